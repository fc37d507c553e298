//! The append-only file under crashes: a real server under a concurrent write load is killed
//! with SIGKILL and restarted on the same files; every write it acknowledged must be there,
//! with `appendfsync always` and with `everysec` (Redoubt writes the log to the kernel before
//! any reply, in every mode: docs/persistence.md). Also a truncated tail (loaded with a
//! warning under `aof-load-truncated yes`, refused under `no`) and garbage in the middle
//! (refused, nothing served). The same crash with a sealed log (`seal-key-file`), whose
//! group-commit writes are sealed records.

mod common;

use common::procs::{last_incr, q, Proc, Scratch};
use std::time::Duration;

const WRITERS: usize = 4;

/// Runs WRITERS connections that each SET `w<t>:<i>` for i = 0, 1, ... until the server
/// dies, recording the last i acknowledged; kills the server with SIGKILL after `run_for`;
/// returns the acknowledged counts.
fn write_until_killed(server: Proc, run_for: Duration) -> Vec<i64> {
    let mut handles = Vec::new();
    for t in 0..WRITERS {
        let mut c = server.conn();
        handles.push(std::thread::spawn(move || {
            let mut acked = -1i64;
            for i in 0.. {
                let r: redis::RedisResult<()> = redis::cmd("SET").arg(format!("w{t}:{i}")).arg(i).query(&mut c);
                match r {
                    Ok(()) => acked = i,
                    Err(_) => break,
                }
                // A pipelined burst now and then: batches commit together.
                if i % 100 == 0 {
                    let mut p = redis::pipe();
                    for _ in 0..10 {
                        p.cmd("INCR").arg(format!("w{t}:counter")).ignore();
                    }
                    if p.query::<()>(&mut c).is_err() {
                        break;
                    }
                }
            }
            acked
        }));
    }
    std::thread::sleep(run_for);
    server.kill();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Restarts on the same files (with `extra`) and counts, per writer, the acknowledged writes
/// missing.
fn count_lost(scratch: &Scratch, acked: &[i64], extra: &[&str]) -> (u64, u64) {
    let server = Proc::redoubt(scratch, extra).expect("restart after the crash");
    let mut c = server.conn();
    let (mut lost, mut total) = (0u64, 0u64);
    for (t, &last) in acked.iter().enumerate() {
        for i in 0..=last {
            total += 1;
            let v: Option<i64> = q(&mut c, &[b"GET", format!("w{t}:{i}").as_bytes()]);
            if v != Some(i) {
                lost += 1;
            }
        }
    }
    (lost, total)
}

fn crash_test(fsync: &str) {
    crash_test_with(fsync, &[]);
}

fn crash_test_with(fsync: &str, extra: &[&str]) {
    let scratch = Scratch::new(fsync);
    let mut args = vec!["--appendfsync", fsync];
    args.extend_from_slice(extra);
    let server = Proc::redoubt(&scratch, &args).unwrap();
    let acked = write_until_killed(server, Duration::from_millis(1500));
    let (lost, total) = count_lost(&scratch, &acked, extra);
    println!("appendfsync {fsync} {extra:?}: {total} acknowledged writes, {lost} lost after SIGKILL");
    assert!(total > WRITERS as u64, "the load wrote almost nothing: {acked:?}");
    assert_eq!(lost, 0, "acknowledged writes lost with appendfsync {fsync}");
}

#[test]
fn sigkill_loses_no_acknowledged_write_with_fsync_always() {
    crash_test("always");
}

#[test]
fn sigkill_loses_no_acknowledged_write_with_fsync_everysec() {
    crash_test("everysec");
}

#[test]
fn sigkill_loses_no_acknowledged_write_with_fsync_no() {
    crash_test("no");
}

#[test]
fn sigkill_loses_no_acknowledged_write_with_a_sealed_log() {
    let key = std::env::temp_dir().join(format!("redoubt-crash-seal-{}.key", std::process::id()));
    let _ = std::fs::remove_file(&key);
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_redoubt")).args(["seal", "keygen"]).arg(&key).output();
    assert!(made.unwrap().status.success());
    let k = key.display().to_string();
    crash_test_with("always", &["--seal-key-file", &k]);
    let _ = std::fs::remove_file(&key);
}

/// A server that wrote `n` keys and was killed; returns the scratch directory.
fn crashed_with_keys(tag: &str, n: usize) -> Scratch {
    let scratch = Scratch::new(tag);
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    let mut c = server.conn();
    for i in 0..n {
        let _: () = q(&mut c, &[b"SET", format!("k{i}").as_bytes(), b"value"]);
    }
    server.kill();
    scratch
}

#[test]
fn truncated_tail_loads_with_a_warning_or_is_refused() {
    let scratch = crashed_with_keys("trunc", 10);
    let incr = last_incr(&scratch.data().join("appendonlydir"));
    let bytes = std::fs::read(&incr).unwrap();
    std::fs::write(&incr, &bytes[..bytes.len() - 3]).unwrap();

    // aof-load-truncated no: refused, with Redis's words, and nothing served.
    let refused = Proc::redoubt(&scratch, &["--aof-load-truncated", "no"]);
    assert!(refused.is_err(), "started on a truncated file with aof-load-truncated no");
    let log = std::fs::read_to_string(scratch.log()).unwrap();
    assert!(log.contains("Unexpected end of file reading the append only file"), "{log}");

    // yes (the default): loads every whole command, warns, and cuts the file.
    let server = Proc::redoubt(&scratch, &[]).expect("aof-load-truncated yes loads the file");
    let mut c = server.conn();
    let n: i64 = q(&mut c, &[b"DBSIZE"]);
    assert_eq!(n, 9, "the last, cut SET is dropped and the nine before it kept");
    let log = std::fs::read_to_string(scratch.log()).unwrap();
    let name = incr.file_name().unwrap().to_string_lossy().to_string();
    assert!(log.contains(&format!("Truncating the AOF {name} at offset")), "{log}");
    // The cut file takes new writes after its last whole command.
    let _: () = q(&mut c, &[b"SET", b"after", b"1"]);
    server.kill();
    let server = Proc::redoubt(&scratch, &["--aof-load-truncated", "no"]).expect("the repaired file loads");
    let mut c = server.conn();
    let n: i64 = q(&mut c, &[b"DBSIZE"]);
    assert_eq!(n, 10);
}

#[test]
fn garbage_in_the_middle_is_refused() {
    let scratch = crashed_with_keys("garbage", 10);
    let incr = last_incr(&scratch.data().join("appendonlydir"));
    let mut bytes = std::fs::read(&incr).unwrap();
    // The fifth command's `*` becomes something no command starts with.
    let at = bytes.iter().enumerate().filter(|(_, &b)| b == b'*').nth(5).unwrap().0;
    bytes[at] = b'!';
    std::fs::write(&incr, &bytes).unwrap();
    for truncated in ["yes", "no"] {
        let refused = Proc::redoubt(&scratch, &["--aof-load-truncated", truncated]);
        assert!(refused.is_err(), "started on a damaged file (aof-load-truncated {truncated})");
    }
    let log = std::fs::read_to_string(scratch.log()).unwrap();
    assert!(log.contains("Bad file format reading the append only file"), "{log}");
    // The file is left as it was for the operator to inspect.
    assert_eq!(std::fs::read(&incr).unwrap(), bytes);
}
