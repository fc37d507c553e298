//! The sealed append-only file against real processes (docs/persistence.md "Sealed files",
//! THREATS.md T16): with `seal-key-file` the base and incremental files are sealed, a
//! SIGKILLed server restarts with identical data, a rewrite makes a sealed base (also the
//! first one, when the log is turned on at run time); a transaction left open at the end of
//! a sealed log is dropped and a DISCARD logged after it; a flipped
//! byte, a wrong key, a cut last write (as `aof-load-truncated` says), a plain directory
//! under a key and a sealed one without it are refused with the error checked; `redoubt seal`
//! adopts a plain directory and `redoubt unseal` gives one a real redis-server 7.0 loads
//! (skipped, saying so, when it is absent).

mod common;

use common::procs::{copy_dir, have, info_field, last_incr, q, run, state, wait_rewrite, Proc, Scratch, State};
use redis::Connection;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The seal magic (crates/persist/src/seal/mod.rs).
const MAGIC: &[u8] = b"\x89SEAL\r\n\x1a";
/// A value that must never appear in a sealed file.
const MARKER: &str = "marker-51d0c2-plaintext";

fn key_file(s: &Scratch) -> PathBuf {
    let key = s.0.join("seal.key");
    if !key.exists() {
        let out = Command::new(env!("CARGO_BIN_EXE_redoubt")).args(["seal", "keygen"]).arg(&key).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    key
}

fn aof_dir(s: &Scratch) -> PathBuf {
    s.data().join("appendonlydir")
}

/// Starts Redoubt with the key (and `extra`).
fn sealed(s: &Scratch, key: &Path, extra: &[&str]) -> Result<Proc, String> {
    let k = key.display().to_string();
    let mut args = vec!["--seal-key-file", k.as_str(), "--appendfsync", "always"];
    args.extend_from_slice(extra);
    Proc::redoubt(s, &args)
}

/// Starts Redoubt expecting a refusal; returns what it logged.
fn refused(s: &Scratch, args: &[&str]) -> String {
    std::fs::write(s.log(), "").unwrap();
    match Proc::redoubt(s, args) {
        Ok(_) => panic!("the server started although it should have refused ({args:?})"),
        Err(e) => assert!(e.starts_with("exited at start"), "{e}"),
    }
    std::fs::read_to_string(s.log()).unwrap()
}

/// Writes of every type, with the marker in a string, a list, a hash and a set; a
/// transaction; one value spanning several sealed records.
fn fill(c: &mut Connection, tag: &str) {
    for line in [
        format!("SET s:marker {MARKER}"),
        format!("RPUSH l:list a {MARKER} c"),
        format!("HSET h:hash f {MARKER}"),
        format!("SADD set:s {MARKER} x"),
        "ZADD z:z 1 a 2.5 b".to_string(),
        "SET s:ttl v EX 100000".to_string(),
        "MULTI".to_string(),
        format!("SET tx:{tag} 1"),
        format!("INCR tx:{tag}"),
        "EXEC".to_string(),
        format!("SET tag {tag}"),
    ] {
        run(c, &line);
    }
    let big = "0123456789abcdef".repeat(100_000);
    let _: () = q(c, &[b"SET", b"s:big", big.as_bytes()]);
}

/// Sealed, private, and no marker anywhere in it.
fn assert_sealed(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.starts_with(MAGIC), "{} is not sealed", file.display());
    for needle in [MARKER.as_bytes(), b"REDIS", b"SELECT", b"0123456789abcdef"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{:?} is readable in {}",
            String::from_utf8_lossy(needle),
            file.display()
        );
    }
}

/// How the server names `file` (relative to its working directory, the scratch).
fn shown(s: &Scratch, file: &Path) -> String {
    file.strip_prefix(&s.0).unwrap().display().to_string()
}

/// The files the manifest lists.
fn listed(dir: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).unwrap();
    manifest.lines().map(|l| dir.join(l.split(' ').nth(1).unwrap())).collect()
}

/// A sealed server that wrote `fill`, killed; the key and the data it held.
fn crashed_sealed_server(s: &Scratch) -> (PathBuf, State) {
    let key = key_file(s);
    let server = sealed(s, &key, &[]).unwrap();
    let mut c = server.conn();
    fill(&mut c, "one");
    let before = state(&mut c);
    server.kill();
    (key, before)
}

#[test]
fn sealed_log_restarts_after_sigkill_and_a_rewrite_with_identical_data() {
    let s = Scratch::new("seal-restart");
    let key = key_file(&s);
    let server = sealed(&s, &key, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(info_field(&mut c, "aof_enabled"), "1");
    assert_eq!(info_field(&mut c, "aof_sealed"), "1");
    fill(&mut c, "one");
    let before = state(&mut c);
    server.kill();
    let files = listed(&aof_dir(&s));
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert_sealed(f);
    }
    let manifest = std::fs::read_to_string(aof_dir(&s).join("appendonly.aof.manifest")).unwrap();
    assert!(
        manifest.starts_with("file appendonly.aof.1.base.rdb seq 1 type b\n"),
        "the manifest stays plain: {manifest}"
    );

    // Restart: identical, and the log goes on (its counter continues) across a second crash.
    let server = sealed(&s, &key, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before);
    run(&mut c, "SET after restart");
    let before = state(&mut c);
    server.kill();
    let mut server = sealed(&s, &key, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before);

    // A rewrite with an RDB preamble, then one in command form: each base is sealed.
    for (preamble, seq) in [("yes", 2), ("no", 3)] {
        run(&mut c, &format!("CONFIG SET aof-use-rdb-preamble {preamble}"));
        let reply: String = q(&mut c, &[b"BGREWRITEAOF"]);
        assert_eq!(reply, "Background append only file rewriting started");
        wait_rewrite(&mut c);
        assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
        run(&mut c, &format!("SET after-rewrite-{seq} {MARKER}"));
        let before = state(&mut c);
        server.kill();
        let files = listed(&aof_dir(&s));
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        assert_eq!(files[0], aof_dir(&s).join(format!("appendonly.aof.{seq}.base.{ext}")));
        for f in &files {
            assert_sealed(f);
        }
        server = sealed(&s, &key, &[]).unwrap();
        c = server.conn();
        assert_eq!(state(&mut c), before, "after the rewrite with aof-use-rdb-preamble {preamble}");
    }
}

#[test]
fn a_flipped_byte_or_a_wrong_key_refuses_the_start() {
    let s = Scratch::new("seal-flip");
    let (key, _) = crashed_sealed_server(&s);
    let incr = last_incr(&aof_dir(&s));
    let good = std::fs::read(&incr).unwrap();
    let k = key.display().to_string();
    let mut bad = good.clone();
    let at = good.len() / 2;
    bad[at] ^= 0x20;
    std::fs::write(&incr, &bad).unwrap();
    for truncated in ["yes", "no"] {
        let said = refused(&s, &["--seal-key-file", &k, "--aof-load-truncated", truncated]);
        assert!(
            said.contains(&format!("the sealed append-only file {} is refused", shown(&s, &incr)))
                && said.contains("failed authentication"),
            "{said}"
        );
    }
    // The base, flipped in its header: the key check fails, reported as a wrong key or an
    // altered header.
    std::fs::write(&incr, &good).unwrap();
    let base = listed(&aof_dir(&s))[0].clone();
    let good_base = std::fs::read(&base).unwrap();
    let mut bad = good_base.clone();
    bad[20] ^= 1;
    std::fs::write(&base, &bad).unwrap();
    let said = refused(&s, &["--seal-key-file", &k]);
    assert!(said.contains(&shown(&s, &base)) && said.contains("does not open this file"), "{said}");
    std::fs::write(&base, &good_base).unwrap();

    // Another key.
    let other = s.0.join("other.key");
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt")).args(["seal", "keygen"]).arg(&other).output().unwrap();
    assert!(out.status.success());
    let said = refused(&s, &["--seal-key-file", &other.display().to_string()]);
    assert!(said.contains("sealed with another key"), "{said}");
    // The right key still opens the untouched files.
    sealed(&s, &key, &[]).unwrap();
}

#[test]
fn a_cut_last_write_loads_with_aof_load_truncated_yes_and_refuses_with_no() {
    let s = Scratch::new("seal-cut");
    let key = key_file(&s);
    let server = sealed(&s, &key, &[]).unwrap();
    let mut c = server.conn();
    fill(&mut c, "cut");
    let before = state(&mut c);
    // With appendfsync always and one client, this is a write of its own.
    run(&mut c, &format!("SET last-write {MARKER}"));
    server.kill();
    let incr = last_incr(&aof_dir(&s));
    let len = std::fs::metadata(&incr).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&incr).unwrap().set_len(len - 7).unwrap();

    let k = key.display().to_string();
    let said = refused(&s, &["--seal-key-file", &k, "--aof-load-truncated", "no"]);
    assert!(said.contains("Unexpected end of file") && said.contains("aof-load-truncated"), "{said}");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), len - 7, "a refused start changes nothing");

    std::fs::write(s.log(), "").unwrap();
    let server = sealed(&s, &key, &["--aof-load-truncated", "yes"]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before, "everything but the cut write");
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert!(log.contains("Truncating the AOF") && log.contains("loaded anyway"), "{log}");
    // The log goes on after the cut: a resumed record, and the next start verifies it all.
    run(&mut c, "SET resumed yes");
    let before = state(&mut c);
    server.kill();
    let server = sealed(&s, &key, &["--aof-load-truncated", "no"]).unwrap();
    assert_eq!(state(&mut server.conn()), before);
}

#[test]
fn plain_files_under_a_key_and_sealed_files_without_it_are_refused_and_seal_migrates() {
    let s = Scratch::new("seal-migrate");
    let server = Proc::redoubt(&s, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(info_field(&mut c, "aof_sealed"), "0");
    fill(&mut c, "plain");
    let before = state(&mut c);
    server.kill();
    let key = key_file(&s);
    let k = key.display().to_string();
    let dir = aof_dir(&s);
    let said = refused(&s, &["--seal-key-file", &k]);
    assert!(
        said.contains("is not sealed, but seal-key-file is set")
            && said.contains(&format!("redoubt seal --key-file KEY {} {}.sealed", shown(&s, &dir), shown(&s, &dir))),
        "{said}"
    );

    // Adopt it: seal the directory, move it into place.
    let sealed_dir = s.data().join("appendonlydir.sealed");
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(["seal", "--key-file", &k])
        .arg(&dir)
        .arg(&sealed_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in listed(&sealed_dir) {
        assert_sealed(&f);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::rename(&sealed_dir, &dir).unwrap();
    let server = sealed(&s, &key, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before, "the sealed directory loads with identical data");
    run(&mut c, "SET more yes");
    let before = state(&mut c);
    server.kill();
    let server = sealed(&s, &key, &[]).unwrap();
    assert_eq!(state(&mut server.conn()), before, "and the server appends to it");
    server.kill();

    // Without the key: refused, naming the directive.
    let said = refused(&s, &[]);
    assert!(said.contains("is sealed, but seal-key-file is not set"), "{said}");
}

#[test]
fn unsealed_directory_loads_into_redis() {
    let s = Scratch::new("seal-unseal");
    let key = key_file(&s);
    let server = sealed(&s, &key, &[]).unwrap();
    let mut c = server.conn();
    fill(&mut c, "before-rewrite");
    let _: String = q(&mut c, &[b"BGREWRITEAOF"]);
    wait_rewrite(&mut c);
    fill(&mut c, "after-rewrite");
    let before = state(&mut c);
    server.kill();

    let plain = s.0.join("plain");
    std::fs::create_dir(&plain).unwrap();
    let out_dir = plain.join("appendonlydir");
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(["unseal", "--key-file", &key.display().to_string()])
        .arg(aof_dir(&s))
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = listed(&out_dir);
    assert!(!std::fs::read(&files[1]).unwrap().starts_with(MAGIC));
    // An existing OUTDIR is refused.
    let again = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(["unseal", "--key-file", &key.display().to_string()])
        .arg(aof_dir(&s))
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists"));

    if have("redis-check-aof") {
        let out = Command::new("redis-check-aof").arg(out_dir.join("appendonly.aof.manifest")).output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && said.contains("All AOF files and manifest are valid"), "{said}");
    }
    if have("redis-server") {
        let redis_dir = s.0.join("redis");
        copy_dir(&out_dir, &redis_dir.join("appendonlydir"));
        let redis = Proc::redis(&redis_dir, &["--appendonly", "yes"]).unwrap();
        assert_eq!(state(&mut redis.conn()), before, "Redis 7.0 loads the unsealed log with identical data");
    }
}

#[test]
fn a_transaction_left_open_at_the_end_of_a_sealed_log_is_dropped_and_discarded() {
    let s = Scratch::new("seal-multi");
    let server = Proc::redoubt(&s, &[]).unwrap();
    run(&mut server.conn(), "SET a 1");
    server.kill();
    // A write taken between MULTI and EXEC when the server died: whole commands, in a
    // transaction that never ended.
    let incr = last_incr(&aof_dir(&s));
    let mut text = std::fs::read(&incr).unwrap();
    text.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    std::fs::write(&incr, &text).unwrap();
    let key = key_file(&s);
    let k = key.display().to_string();
    let sealed_dir = s.data().join("sealed");
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(["seal", "--key-file", &k])
        .arg(aof_dir(&s))
        .arg(&sealed_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(aof_dir(&s)).unwrap();
    std::fs::rename(&sealed_dir, aof_dir(&s)).unwrap();

    let said = refused(&s, &["--seal-key-file", &k, "--aof-load-truncated", "no"]);
    assert!(said.contains("Unexpected end of file"), "{said}");
    let server = sealed(&s, &key, &["--aof-load-truncated", "yes"]).unwrap();
    let mut c = server.conn();
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert!(log.contains("Revert incomplete MULTI/EXEC transaction"), "{log}");
    run(&mut c, "SET c 3");
    let before = state(&mut c);
    assert_eq!(before.keys().map(|(_, k)| k.as_slice()).collect::<Vec<_>>(), [&b"a"[..], b"c"]);
    server.kill();
    // The DISCARD logged after the open MULTI keeps it from swallowing later writes.
    let server = sealed(&s, &key, &["--aof-load-truncated", "no"]).unwrap();
    assert_eq!(state(&mut server.conn()), before);
}

#[test]
fn appendonly_turned_on_at_run_time_under_a_key_writes_sealed_files() {
    let s = Scratch::new("seal-turn-on");
    let key = key_file(&s);
    let server = sealed(&s, &key, &["--appendonly", "no"]).unwrap();
    let mut c = server.conn();
    assert_eq!(info_field(&mut c, "aof_sealed"), "1");
    fill(&mut c, "off");
    run(&mut c, "CONFIG SET appendonly yes");
    wait_rewrite(&mut c);
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    run(&mut c, &format!("SET turned-on {MARKER}"));
    let before = state(&mut c);
    server.kill();
    let files = listed(&aof_dir(&s));
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert_sealed(f);
    }
    let server = sealed(&s, &key, &[]).unwrap();
    assert_eq!(state(&mut server.conn()), before);
}
