//! Server and connection commands through the `redis` crate: errors in Redis's words,
//! HELLO and RESP3, CLIENT, COMMAND, INFO, CONFIG, SELECT/SWAPDB/FLUSH.

mod common;

use common::{cmd, send_raw, Server};
use redis::Value;
use std::time::Duration;

#[test]
fn unknown_commands_and_wrong_arity_use_redis_texts() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let e = cmd::<()>(&mut c, &["FOO", "bar", "baz"]).unwrap_err();
    assert_eq!(e.detail(), Some("unknown command 'FOO', with args beginning with: 'bar' 'baz' "));
    let e = cmd::<()>(&mut c, &["GET"]).unwrap_err();
    assert_eq!(e.detail(), Some("wrong number of arguments for 'get' command"));
    let e = cmd::<()>(&mut c, &["CLIENT", "NOPE"]).unwrap_err();
    assert_eq!(e.detail(), Some("unknown subcommand 'NOPE'. Try CLIENT HELP."));
    let e = cmd::<()>(&mut c, &["CONFIG", "GET"]).unwrap_err();
    assert_eq!(e.detail(), Some("wrong number of arguments for 'config|get' command"));
}

#[test]
fn debug_module_and_scripting_do_not_exist() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for command in [&["DEBUG", "SEGFAULT"][..], &["MODULE", "LOAD", "/tmp/x.so"], &["EVAL", "return 1", "0"]] {
        let e = cmd::<()>(&mut c, command).unwrap_err();
        assert!(e.detail().unwrap().starts_with("unknown command"), "{e:?}");
    }
    assert_eq!(cmd::<String>(&mut c, &["FUNCTION", "FLUSH"]).unwrap(), "OK");
    assert_eq!(cmd::<Vec<Value>>(&mut c, &["FUNCTION", "LIST"]).unwrap(), Vec::<Value>::new());
}

#[test]
fn hello_switches_to_resp3_and_back() {
    let s = Server::start(&[]);
    let mut raw = s.raw();
    let got = send_raw(
        &mut raw,
        b"HELLO 3\r\nHGETALL nokey\r\nGET nokey\r\nHELLO 2\r\nGET nokey\r\nQUIT\r\n",
        Duration::from_secs(2),
    );
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"), "{text}");
    assert!(text.contains("$5\r\nproto\r\n:3\r\n"), "{text}");
    assert!(text.contains("_\r\n"), "RESP3 null expected: {text}");
    assert!(text.contains("$-1\r\n"), "RESP2 null expected after HELLO 2: {text}");
    let mut c = s.conn();
    let e = cmd::<()>(&mut c, &["HELLO", "4"]).unwrap_err();
    assert_eq!(e.code(), Some("NOPROTO"));
}

#[test]
fn resp3_client_of_the_redis_crate_works() {
    let s = Server::start(&[]);
    let client = redis::Client::open(format!("{}?protocol=resp3", s.url())).unwrap();
    let mut c = client.get_connection().unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let info: String = redis::cmd("INFO").arg("server").query(&mut c).unwrap();
    assert!(info.contains("redis_version:"));
}

#[test]
fn client_commands_name_list_and_kill() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    assert_eq!(cmd::<String>(&mut a, &["CLIENT", "SETNAME", "alpha"]).unwrap(), "OK");
    assert_eq!(cmd::<String>(&mut a, &["CLIENT", "GETNAME"]).unwrap(), "alpha");
    let e = cmd::<()>(&mut a, &["CLIENT", "SETNAME", "has space"]).unwrap_err();
    assert_eq!(e.detail(), Some("Client names cannot contain spaces, newlines or special characters."));
    let a_id: i64 = cmd(&mut a, &["CLIENT", "ID"]).unwrap();
    let list: String = cmd(&mut b, &["CLIENT", "LIST"]).unwrap();
    assert!(list.contains(&format!("id={a_id} ")) && list.contains("name=alpha"), "{list}");
    assert_eq!(list.lines().count(), 2);
    let info: String = cmd(&mut a, &["CLIENT", "INFO"]).unwrap();
    assert!(info.contains("name=alpha") && info.contains("cmd=client|info"), "{info}");
    let killed: i64 = cmd(&mut b, &["CLIENT", "KILL", "ID", &a_id.to_string()]).unwrap();
    assert_eq!(killed, 1);
    std::thread::sleep(Duration::from_millis(200));
    assert!(cmd::<String>(&mut a, &["PING"]).is_err(), "killed client still served");
    let e = cmd::<()>(&mut b, &["CLIENT", "KILL", "1.2.3.4:5"]).unwrap_err();
    assert_eq!(e.detail(), Some("No such client"));
}

#[test]
fn client_reply_off_and_skip_drop_replies() {
    let s = Server::start(&[]);
    let mut raw = s.raw();
    let got = send_raw(
        &mut raw,
        b"CLIENT REPLY SKIP\r\nPING skipped\r\nPING one\r\nCLIENT REPLY OFF\r\nPING two\r\nCLIENT REPLY ON\r\nPING three\r\nQUIT\r\n",
        Duration::from_secs(2),
    );
    assert_eq!(String::from_utf8_lossy(&got), "$3\r\none\r\n+OK\r\n$5\r\nthree\r\n+OK\r\n");
}

#[test]
fn command_introspection_reads_the_table() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let count: i64 = cmd(&mut c, &["COMMAND", "COUNT"]).unwrap();
    let all: Vec<Value> = cmd(&mut c, &["COMMAND"]).unwrap();
    assert_eq!(count as usize, all.len());
    assert!(count > 60, "{count}");
    let info: Vec<Value> = cmd(&mut c, &["COMMAND", "INFO", "get", "nosuch"]).unwrap();
    assert_eq!(info.len(), 2);
    assert_eq!(info[1], Value::Nil);
    let Value::Array(get) = &info[0] else { panic!("{info:?}") };
    assert_eq!(get[0], Value::BulkString(b"get".to_vec()));
    assert_eq!(get[1], Value::Int(2));
    assert_eq!((get[3].clone(), get[4].clone(), get[5].clone()), (Value::Int(1), Value::Int(1), Value::Int(1)));
    let keys: Vec<String> = cmd(&mut c, &["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"]).unwrap();
    assert_eq!(keys, vec!["a", "b"]);
    let e = cmd::<()>(&mut c, &["COMMAND", "GETKEYS", "PING", "x"]).unwrap_err();
    assert_eq!(e.detail(), Some("The command has no key arguments"));
    let list: Vec<String> = cmd(&mut c, &["COMMAND", "LIST", "FILTERBY", "PATTERN", "client*"]).unwrap();
    assert!(list.contains(&"client|list".to_string()), "{list:?}");
    let docs: Value = cmd(&mut c, &["COMMAND", "DOCS", "get"]).unwrap();
    assert!(format!("{docs:?}").contains("Get the value of a key"), "{docs:?}");
}

#[test]
fn info_sections_hold_real_figures() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = cmd(&mut c, &["SET", "a", "1"]).unwrap();
    let _: Option<String> = cmd(&mut c, &["GET", "a"]).unwrap();
    let _: Option<String> = cmd(&mut c, &["GET", "missing"]).unwrap();
    let info: String = cmd(&mut c, &["INFO"]).unwrap();
    for field in [
        "redis_version:",
        "process_id:",
        "connected_clients:1",
        "used_memory:",
        "keyspace_hits:1",
        "keyspace_misses:1",
        "db0:keys=1,expires=0",
    ] {
        assert!(info.contains(field), "missing {field} in {info}");
    }
    assert!(!info.contains("cmdstat_"), "commandstats is not a default section");
    let stats: String = cmd(&mut c, &["INFO", "commandstats"]).unwrap();
    assert!(stats.contains("cmdstat_get:calls=2"), "{stats}");
    let cpu: String = cmd(&mut c, &["INFO", "cpu"]).unwrap();
    assert!(cpu.contains("used_cpu_user:") && !cpu.contains("used_memory"), "{cpu}");
}

#[test]
fn config_get_set_and_paths_are_immutable() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let v: Vec<String> = cmd(&mut c, &["CONFIG", "GET", "maxclients"]).unwrap();
    assert_eq!(v, vec!["maxclients", "10000"]);
    assert_eq!(cmd::<String>(&mut c, &["CONFIG", "SET", "maxclients", "500"]).unwrap(), "OK");
    let v: Vec<String> = cmd(&mut c, &["CONFIG", "GET", "maxclients"]).unwrap();
    assert_eq!(v, vec!["maxclients", "500"]);
    for path in ["dir", "dbfilename", "logfile", "unixsocket", "bind", "port"] {
        let e = cmd::<()>(&mut c, &["CONFIG", "SET", path, "/tmp/x"]).unwrap_err();
        assert!(e.detail().unwrap().contains("can't set"), "{path}: {e:?}");
    }
}

#[test]
fn select_swapdb_and_flush() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = cmd(&mut c, &["SET", "in0", "x"]).unwrap();
    assert_eq!(cmd::<String>(&mut c, &["SELECT", "9"]).unwrap(), "OK");
    let _: () = cmd(&mut c, &["SET", "in9", "y"]).unwrap();
    let e = cmd::<()>(&mut c, &["SELECT", "16"]).unwrap_err();
    assert_eq!(e.detail(), Some("DB index is out of range"));
    assert_eq!(cmd::<String>(&mut c, &["SWAPDB", "0", "9"]).unwrap(), "OK");
    assert_eq!(cmd::<Option<String>>(&mut c, &["GET", "in0"]).unwrap(), Some("x".into()));
    assert_eq!(cmd::<String>(&mut c, &["FLUSHDB"]).unwrap(), "OK");
    assert_eq!(cmd::<i64>(&mut c, &["DBSIZE"]).unwrap(), 0);
    assert_eq!(cmd::<String>(&mut c, &["SELECT", "0"]).unwrap(), "OK");
    assert_eq!(cmd::<i64>(&mut c, &["DBSIZE"]).unwrap(), 1);
    let e = cmd::<()>(&mut c, &["FLUSHALL", "NOW"]).unwrap_err();
    assert_eq!(e.detail(), Some("syntax error"));
    assert_eq!(cmd::<String>(&mut c, &["FLUSHALL", "ASYNC"]).unwrap(), "OK");
    assert_eq!(cmd::<i64>(&mut c, &["DBSIZE"]).unwrap(), 0);
}

#[test]
fn ping_echo_time_and_reset() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(cmd::<String>(&mut c, &["PING"]).unwrap(), "PONG");
    assert_eq!(cmd::<String>(&mut c, &["PING", "hi"]).unwrap(), "hi");
    assert_eq!(cmd::<String>(&mut c, &["ECHO", "bin\u{1}ary"]).unwrap(), "bin\u{1}ary");
    let t: Vec<String> = cmd(&mut c, &["TIME"]).unwrap();
    let secs: u64 = t[0].parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(secs.abs_diff(now) < 60);
    assert_eq!(cmd::<String>(&mut c, &["SELECT", "3"]).unwrap(), "OK");
    assert_eq!(cmd::<String>(&mut c, &["RESET"]).unwrap(), "RESET");
    let info: String = cmd(&mut c, &["CLIENT", "INFO"]).unwrap();
    assert!(info.contains(" db=0 "), "{info}");
}

#[test]
fn config_rewrite_writes_what_the_next_start_reads() {
    let server = Server::start_with_config(
        "# kept comment\nuser default on nopass ~* &* +@all -flushdb\nmaxmemory 10mb\nmaxmemory 11mb\n",
        &[],
    );
    let mut c = server.conn();
    let _: () = cmd(&mut c, &["CONFIG", "SET", "maxmemory", "20mb", "maxmemory-policy", "allkeys-lru"]).unwrap();
    let _: () = cmd(&mut c, &["ACL", "SETUSER", "reader", "on", ">reader-password-1", "~cache:*", "+get"]).unwrap();
    let ok: String = cmd(&mut c, &["CONFIG", "REWRITE"]).unwrap();
    assert_eq!(ok, "OK");

    let path = server.dir.join("redoubt-test.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(text.starts_with("# kept comment\n"), "{text}");
    assert_eq!(text.matches("maxmemory ").count(), 1, "duplicates go: {text}");
    assert!(text.contains("maxmemory 20971520\n"), "{text}");
    assert!(text.contains("maxmemory-policy allkeys-lru\n"), "{text}");
    assert!(!text.contains("reader-password-1"), "a password reached the file in clear: {text}");

    // A server started from the rewritten file runs with the rewritten configuration.
    let again = Server::start_with_config(&text, &[]);
    let mut c = again.conn();
    let got: Vec<String> = cmd(&mut c, &["CONFIG", "GET", "maxmemory"]).unwrap();
    assert_eq!(got, ["maxmemory", "20971520"]);
    let err = cmd::<String>(&mut c, &["FLUSHDB"]).unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"), "{err}");
    let _: () = cmd(&mut c, &["AUTH", "reader", "reader-password-1"]).unwrap();
    let err = cmd::<String>(&mut c, &["SET", "cache:a", "1"]).unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"), "{err}");
}

#[test]
fn memory_doctor_stats_and_acl_subcommands() {
    let server = Server::start(&[]);
    let mut c = server.conn();
    for i in 0..10 {
        let _: () = cmd(&mut c, &["SET", &format!("k{i}"), "v"]).unwrap();
    }
    let doctor: String = cmd(&mut c, &["MEMORY", "DOCTOR"]).unwrap();
    assert!(doctor.starts_with("Hi Sam"), "{doctor}");
    let stats: std::collections::HashMap<String, Value> = cmd(&mut c, &["MEMORY", "STATS"]).unwrap();
    assert_eq!(stats.get("keys.count"), Some(&Value::Int(10)));
    assert!(matches!(stats.get("db.0"), Some(Value::Array(_) | Value::Map(_))), "{stats:?}");
    let purge: String = cmd(&mut c, &["MEMORY", "PURGE"]).unwrap();
    assert_eq!(purge, "OK");

    let _: () = cmd(&mut c, &["ACL", "SETUSER", "alice", "on", ">alice-pw", "+@all", "-memory|doctor"]).unwrap();
    let _: () = cmd(&mut c, &["AUTH", "alice", "alice-pw"]).unwrap();
    let err = cmd::<String>(&mut c, &["MEMORY", "DOCTOR"]).unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"), "{err}");
    let _: Value = cmd(&mut c, &["MEMORY", "STATS"]).unwrap();
}

#[test]
fn busy_polling_is_on_by_default_can_be_turned_off_and_is_fixed_at_start() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let v: Vec<String> = cmd(&mut c, &["CONFIG", "GET", "busy-poll-us"]).unwrap();
    assert_eq!(v, vec!["busy-poll-us", "50"]);
    let e = cmd::<()>(&mut c, &["CONFIG", "SET", "busy-poll-us", "0"]).unwrap_err();
    assert!(e.detail().unwrap().contains("can't set immutable config"), "{e:?}");

    // Off: the server sleeps as soon as it has nothing to do, and serves all the same.
    let off = Server::start(&["--busy-poll-us", "0"]);
    let mut c = off.conn();
    let v: Vec<String> = cmd(&mut c, &["CONFIG", "GET", "busy-poll-us"]).unwrap();
    assert_eq!(v, vec!["busy-poll-us", "0"]);
    for i in 0..100 {
        let _: () = cmd(&mut c, &["SET", &format!("k{i}"), "v"]).unwrap();
    }
    assert_eq!(cmd::<i64>(&mut c, &["DBSIZE"]).unwrap(), 100);

    // Out of range: the start is refused with the directive named.
    let mut start = std::process::Command::new(env!("CARGO_BIN_EXE_redoubt"));
    start.args(["--port", &common::free_port().to_string(), "--bind", "127.0.0.1", "--busy-poll-us", "5000"]);
    let err = common::refused_start(start);
    assert!(err.contains("busy-poll-us"), "{err}");
}
