//! COMMAND and its subcommands: everything they say is read from the command table.

use crate::context::{is_opt, CmdError, CmdResult, Ctx};
use crate::engine::resolve;
use crate::spec::{BeginSearch, CommandSpec, FindKeys, KeyFlags};
use crate::table;
use redoubt_resp::ReplyBuffer;

fn write_info(out: &mut ReplyBuffer, spec: &CommandSpec, container: Option<&CommandSpec>) {
    let fullname = match container {
        Some(c) => format!("{}|{}", c.name, spec.name),
        None => spec.name.to_string(),
    };
    let (first, last, step) = spec.legacy_range();
    out.array(10);
    out.bulk(fullname.as_bytes());
    out.int(spec.arity as i64);
    let flags: Vec<&str> = spec.effective_flags().names().collect();
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    out.int(first as i64);
    out.int(last as i64);
    out.int(step as i64);
    let cats: Vec<&str> = spec.categories().names().collect();
    out.set(cats.len());
    for c in cats {
        out.simple(c);
    }
    out.set(0); // tips
    out.array(spec.key_specs.len());
    for ks in spec.key_specs {
        write_key_spec(out, ks.flags, ks.begin, ks.find);
    }
    out.array(spec.subcommands.len());
    for sub in spec.subcommands {
        write_info(out, sub, Some(spec));
    }
}

fn write_key_spec(out: &mut ReplyBuffer, flags: KeyFlags, begin: BeginSearch, find: FindKeys) {
    out.map(3);
    out.bulk(b"flags");
    let names: Vec<&str> = flags.names().collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
    out.bulk(b"begin_search");
    out.map(2);
    match begin {
        BeginSearch::Index(pos) => {
            out.bulk(b"type");
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(pos as i64);
        }
        BeginSearch::Keyword { keyword, start_from } => {
            out.bulk(b"type");
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(start_from as i64);
        }
        BeginSearch::Unknown => {
            out.bulk(b"type");
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    match find {
        FindKeys::Range { last, step, limit } => {
            out.bulk(b"type");
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"lastkey");
            out.int(last as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
            out.bulk(b"limit");
            out.int(limit as i64);
        }
        FindKeys::Keynum { keynum_index, first, step } => {
            out.bulk(b"type");
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"keynumidx");
            out.int(keynum_index as i64);
            out.bulk(b"firstkey");
            out.int(first as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
        }
        FindKeys::Unknown => {
            out.bulk(b"type");
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

fn write_docs(out: &mut ReplyBuffer, spec: &CommandSpec) {
    let has_subs = !spec.subcommands.is_empty();
    out.map(4 + usize::from(has_subs));
    out.bulk(b"summary");
    out.bulk(spec.doc.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(spec.doc.since.as_bytes());
    out.bulk(b"group");
    out.bulk(spec.doc.group.as_bytes());
    out.bulk(b"complexity");
    out.bulk(spec.doc.complexity.as_bytes());
    if has_subs {
        out.bulk(b"subcommands");
        out.map(spec.subcommands.len());
        for sub in spec.subcommands {
            out.bulk(format!("{}|{}", spec.name, sub.name).as_bytes());
            write_docs(out, sub);
        }
    }
}

/// COMMAND: information about every command.
pub(crate) fn command(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.array(table::count());
    for spec in table::all() {
        write_info(ctx.out, spec, None);
    }
    Ok(())
}

/// COMMAND COUNT
pub(crate) fn command_count(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.int(table::count() as i64);
    Ok(())
}

/// Finds a command or `container|sub` by its full name.
fn by_fullname(name: &[u8]) -> Option<(&'static CommandSpec, Option<&'static CommandSpec>)> {
    match name.iter().position(|&c| c == b'|') {
        None => table::lookup(name).map(|s| (s, None)),
        Some(i) => {
            let container = table::lookup(&name[..i])?;
            let sub = table::lookup_sub(container, &name[i + 1..])?;
            Some((sub, Some(container)))
        }
    }
}

/// COMMAND INFO [name ...]
pub(crate) fn command_info(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() == 2 {
        return command(ctx);
    }
    ctx.out.array(ctx.args.len() - 2);
    for name in &ctx.args[2..] {
        match by_fullname(name) {
            Some((spec, container)) => write_info(ctx.out, spec, container),
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [name ...]
pub(crate) fn command_docs(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() == 2 {
        ctx.out.map(table::count());
        for spec in table::all() {
            ctx.out.bulk(spec.name.as_bytes());
            write_docs(ctx.out, spec);
        }
        return Ok(());
    }
    let found: Vec<(&[u8], &CommandSpec)> =
        ctx.args[2..].iter().filter_map(|n| by_fullname(n).map(|(s, _)| (&n[..], s))).collect();
    ctx.out.map(found.len());
    for (name, spec) in found {
        ctx.out.bulk(&name.to_ascii_lowercase());
        write_docs(ctx.out, spec);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
pub(crate) fn command_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut names: Vec<String> = Vec::new();
    for spec in table::all() {
        names.push(spec.name.to_string());
        for sub in spec.subcommands {
            names.push(format!("{}|{}", spec.name, sub.name));
        }
    }
    match ctx.args.len() {
        2 => {}
        5 if is_opt(&ctx.args[2], "FILTERBY") => {
            let value = String::from_utf8_lossy(&ctx.args[4]).to_lowercase();
            if is_opt(&ctx.args[3], "MODULE") {
                names.clear();
            } else if is_opt(&ctx.args[3], "ACLCAT") {
                let wanted = format!("@{value}");
                names.retain(|n| {
                    by_fullname(n.as_bytes()).is_some_and(|(s, _)| s.categories().names().any(|c| c == wanted))
                });
            } else if is_opt(&ctx.args[3], "PATTERN") {
                names.retain(|n| redoubt_store::glob_match(value.as_bytes(), n.as_bytes(), true));
            } else {
                return Err(CmdError::syntax());
            }
        }
        _ => return Err(CmdError::syntax()),
    }
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn keys_of(ctx: &Ctx<'_>) -> Result<Vec<(usize, KeyFlags)>, CmdError> {
    let args = &ctx.args[2..];
    let spec = match resolve(args) {
        Ok(spec) => spec,
        Err(e) if e.message().starts_with("ERR wrong number") => {
            return Err(CmdError::raw("ERR Invalid number of arguments specified for command"))
        }
        Err(_) => return Err(CmdError::raw("ERR Invalid command specified")),
    };
    let is_sub = !std::ptr::eq(spec, crate::table::lookup(&args[0]).unwrap_or(spec));
    let keys = crate::keyfind::command_keys(spec, is_sub, args);
    if keys.is_empty() {
        return Err(CmdError::raw("ERR The command has no key arguments"));
    }
    Ok(keys)
}

/// COMMAND GETKEYS command [arg ...]
pub(crate) fn command_getkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = keys_of(ctx)?;
    ctx.out.array(keys.len());
    for (i, _) in keys {
        ctx.out.bulk(&ctx.args[2 + i]);
    }
    Ok(())
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub(crate) fn command_getkeysandflags(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = keys_of(ctx)?;
    ctx.out.array(keys.len());
    for (i, flags) in keys {
        ctx.out.array(2);
        ctx.out.bulk(&ctx.args[2 + i]);
        let names: Vec<&str> = flags.names().collect();
        ctx.out.set(names.len());
        for n in names {
            ctx.out.simple(n);
        }
    }
    Ok(())
}

/// COMMAND HELP
pub(crate) fn command_help(ctx: &mut Ctx<'_>) -> CmdResult {
    super::help_reply(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}
