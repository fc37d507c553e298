//! Generates the directive tables of docs/configuration.md from the table, and checks that
//! the file holds exactly them, so the docs cannot drift from the code.
//!
//! After changing `table.rs`, regenerate with
//! `REDOUBT_BLESS=1 cargo test -p redoubt-config doc_table`.

use std::path::PathBuf;

use crate::directives::{directives, Directive, Runtime};

const BEGIN: &str = "<!-- BEGIN GENERATED DIRECTIVES: generated from crates/config/src/table.rs; \
                     regenerate with `REDOUBT_BLESS=1 cargo test -p redoubt-config doc_table` -->";
const END: &str = "<!-- END GENERATED DIRECTIVES -->";

/// Text for a table cell: pipes escaped, and angle brackets so `<name>` is not taken for HTML.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

fn name_cell(d: &Directive) -> String {
    let mut s = format!("`{}`", d.name);
    if !d.aliases.is_empty() {
        let aliases: Vec<String> = d.aliases.iter().map(|a| format!("`{a}`")).collect();
        s.push_str(&format!(" (alias {})", aliases.join(", ")));
    }
    s
}

fn default_cell(d: &Directive) -> String {
    if !d.has_value() {
        "—".into()
    } else if d.default.is_empty() {
        "`\"\"`".into()
    } else {
        format!("`{}`", d.default.replace('|', "\\|"))
    }
}

fn runtime_cell(d: &Directive) -> &'static str {
    if !d.has_value() {
        return "—";
    }
    match d.runtime {
        Runtime::Mutable => "yes",
        Runtime::Immutable => "no (immutable)",
        Runtime::Protected => "**no (protected)**",
    }
}

fn table(out: &mut String, rows: impl Iterator<Item = &'static Directive>, last: &str) {
    out.push_str(&format!("| Directive | Default | CONFIG SET | {last} |\n| --- | --- | --- | --- |\n"));
    for d in rows {
        let text = d.inert.unwrap_or(d.doc);
        out.push_str(&format!("| {} | {} | {} | {} |\n", name_cell(d), default_cell(d), runtime_cell(d), cell(text)));
    }
}

/// The generated part of docs/configuration.md.
pub(crate) fn generate() -> String {
    let all = directives();
    let mut out = String::new();
    out.push_str(BEGIN);
    out.push_str("\n\n### Directives Redoubt acts on\n\n");
    out.push_str("The server reads these through typed fields of `Config`.\n\n");
    table(&mut out, all.iter().filter(|d| d.field.is_some()), "Meaning");

    out.push_str("\n### Stored directives\n\n");
    out.push_str(
        "Accepted with Redis's default and validated as Redis does; CONFIG GET and CONFIG SET \
         work on them. They take effect as the features behind them land.\n\n",
    );
    let stored = |d: &&Directive| d.has_value() && d.field.is_none() && d.inert.is_none();
    table(&mut out, all.iter().filter(stored), "Meaning");

    out.push_str("\n### Inert directives\n\n");
    out.push_str(
        "Accepted so a Redis configuration loads (and, when they hold a value, stored for \
         CONFIG GET/SET), but they do nothing in Redoubt: each one met in a file or flag logs a warning \
         (`<file>:<line>: '<name>' has no effect in Redoubt: <why>`).\n\n",
    );
    table(&mut out, all.iter().filter(|d| d.inert.is_some()), "Why it has no effect");

    out.push_str("\n### Other directives\n\n| Directive | Meaning |\n| --- | --- |\n");
    for d in all.iter().filter(|d| !d.has_value() && d.inert.is_none()) {
        out.push_str(&format!("| {} | {} |\n", name_cell(d), cell(d.doc)));
    }

    out.push_str("\n### Never changed at run time\n\n");
    out.push_str("CONFIG SET refuses these with `ERR CONFIG SET failed (possibly related to argument '<name>') - can't set immutable config`.\n\n");
    for (runtime, title) in [
        (Runtime::Protected, "Protected by Redoubt (Redis would allow them)"),
        (Runtime::Immutable, "Immutable in Redis already (or, for Redoubt's own `busy-poll-us`, read once at start)"),
    ] {
        let names: Vec<String> = all
            .iter()
            .filter(|d| d.runtime == runtime)
            .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
            .map(|n| format!("`{n}`"))
            .collect();
        out.push_str(&format!("- {title}: {}.\n", names.join(", ")));
    }
    out.push('\n');
    out.push_str(END);
    out
}

fn docs_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md")
}

#[test]
fn docs_match_the_table() {
    let path = docs_path();
    let text = std::fs::read_to_string(&path).expect("docs/configuration.md exists");
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("docs/configuration.md lacks the generated-directives markers");
    };
    let current = &text[start..end + END.len()];
    let wanted = generate();
    if current == wanted {
        return;
    }
    if std::env::var_os("REDOUBT_BLESS").is_some() {
        let updated = format!("{}{}{}", &text[..start], wanted, &text[end + END.len()..]);
        std::fs::write(&path, updated).expect("docs/configuration.md is writable");
        return;
    }
    panic!(
        "docs/configuration.md is out of date with crates/config/src/table.rs; \
         regenerate it with `REDOUBT_BLESS=1 cargo test -p redoubt-config doc_table`"
    );
}

#[test]
fn every_directive_is_documented() {
    let text = std::fs::read_to_string(docs_path()).expect("docs/configuration.md exists");
    for d in directives() {
        assert!(text.contains(&format!("`{}`", d.name)), "{} is not in the docs", d.name);
    }
}
