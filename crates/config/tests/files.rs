//! Loading: values of every kind, errors with file and line, include, flags, secrets,
//! environment, warnings.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use redoubt_config::{check, Config, LogLevel, MaxmemoryPolicy};

fn tmpdir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("redoubt-config-{}-{tag}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn get(cfg: &Config, name: &str) -> String {
    cfg.value(name).unwrap()
}

fn parse_err(text: &str) -> String {
    Config::parse_str(text, "t.conf").unwrap_err().to_string()
}

#[test]
fn values_of_every_kind() {
    let text = r#"
# a comment

PORT 7000
protected-mode NO
maxmemory 2gb
proto-max-bulk-len 100mb
client-query-buffer-limit 5000k
hash-max-listpack-value 1kb
stream-node-max-bytes 2m
auto-aof-rewrite-min-size 1g
maxmemory-clients 20%
unixsocket "/run/redoubt sock"
unixsocketperm 700
loglevel WARNING
maxmemory-policy allkeys-lfu
logfile ''
dbfilename "data\x2erdb"
save 900 1
save 300 10
bind 10.0.0.1 -::1
client-output-buffer-limit pubsub 64mb 16mb 90
notify-keyspace-events KEA
replicaof 10.0.0.2 6380
latency-tracking-info-percentiles "50 99.99"
shutdown-on-sigterm save now
list-max-listpack-size -3
rename-command FLUSHALL ""
rename-command CONFIG "CONFIG-b7e1"
user alice on >pw ~cache:* +get
"#;
    let cfg = Config::parse_str(text, "t.conf").unwrap();
    assert_eq!(cfg.port, 7000);
    assert!(!cfg.protected_mode);
    assert_eq!(cfg.maxmemory, 2 << 30);
    assert_eq!(cfg.proto_max_bulk_len, 100 << 20);
    assert_eq!(cfg.client_query_buffer_limit, 5_000_000);
    assert_eq!(get(&cfg, "hash-max-listpack-value"), "1024");
    assert_eq!(get(&cfg, "stream-node-max-bytes"), "2000000");
    assert_eq!(get(&cfg, "auto-aof-rewrite-min-size"), "1000000000");
    assert_eq!(get(&cfg, "maxmemory-clients"), "20%");
    assert_eq!(cfg.unixsocket.as_deref(), Some(Path::new("/run/redoubt sock")));
    assert_eq!(cfg.unixsocketperm, Some(0o700));
    assert_eq!(get(&cfg, "unixsocketperm"), "700");
    assert_eq!(cfg.loglevel, LogLevel::Warning);
    assert_eq!(cfg.maxmemory_policy, MaxmemoryPolicy::AllkeysLfu);
    assert_eq!(cfg.logfile, None);
    assert_eq!(cfg.dbfilename, "data.rdb");
    // A second `save` line adds to the first, as in Redis.
    assert_eq!(get(&cfg, "save"), "900 1 300 10");
    assert_eq!(cfg.bind, ["10.0.0.1", "-::1"]);
    assert_eq!(cfg.bind_addrs().collect::<Vec<_>>(), [("10.0.0.1", false), ("::1", true)]);
    assert_eq!(
        get(&cfg, "client-output-buffer-limit"),
        "normal 1073741824 268435456 60 slave 268435456 67108864 60 pubsub 67108864 16777216 90"
    );
    assert_eq!(get(&cfg, "notify-keyspace-events"), "AKE");
    assert_eq!(get(&cfg, "replicaof"), "10.0.0.2 6380");
    assert_eq!(get(&cfg, "latency-tracking-info-percentiles"), "50 99.99");
    assert_eq!(get(&cfg, "shutdown-on-sigterm"), "save now");
    assert_eq!(get(&cfg, "list-max-listpack-size"), "-3");
    assert_eq!(cfg.renamed_commands, [("FLUSHALL".into(), "".into()), ("CONFIG".into(), "CONFIG-b7e1".into())]);
    assert_eq!(cfg.users.len(), 1);
    assert_eq!(cfg.users[0].name, "alice");
    assert_eq!(cfg.users[0].rules, ["on", ">pw", "~cache:*", "+get"]);
    assert!(cfg.warnings().is_empty(), "{:?}", cfg.warnings());
}

#[test]
fn save_empty_turns_snapshots_off_and_later_lines_add() {
    let cfg = Config::parse_str("save \"\"\n", "t.conf").unwrap();
    assert_eq!(get(&cfg, "save"), "");
    let cfg = Config::parse_str("save 900 1\nsave \"\"\nsave 60 5\n", "t.conf").unwrap();
    assert_eq!(get(&cfg, "save"), "60 5");
    let cfg = Config::parse_str("save \"3600 1 300 100\"\n", "t.conf").unwrap();
    assert_eq!(get(&cfg, "save"), "3600 1 300 100");
}

#[test]
fn errors_name_file_line_and_directive() {
    assert_eq!(parse_err("port 1\n\nfoo bar\n"), "t.conf:3: unknown directive 'foo'");
    assert_eq!(parse_err("maxclients lots"), "t.conf:1: 'maxclients': argument couldn't be parsed into an integer");
    assert_eq!(parse_err("port 1 2"), "t.conf:1: 'port': wrong number of arguments");
    assert_eq!(parse_err("port"), "t.conf:1: 'port': wrong number of arguments");
    assert_eq!(parse_err("port 70000"), "t.conf:1: 'port': argument must be between 0 and 65535 inclusive");
    assert_eq!(
        parse_err("maxmemory-policy lru"),
        "t.conf:1: 'maxmemory-policy': argument(s) must be one of the following: volatile-lru, \
         volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, \
         noeviction"
    );
    assert_eq!(parse_err("appendonly maybe"), "t.conf:1: 'appendonly': argument must be 'yes' or 'no'");
    assert_eq!(parse_err("maxmemory 1tb"), "t.conf:1: 'maxmemory': argument must be a memory value");
    assert_eq!(
        parse_err("unixsocketperm 999"),
        "t.conf:1: 'unixsocketperm': argument couldn't be parsed as an octal number"
    );
    assert_eq!(parse_err("save 900"), "t.conf:1: 'save': Invalid save parameters");
    assert_eq!(parse_err("dbfilename ../x.rdb"), "t.conf:1: 'dbfilename': dbfilename can't be a path, just a filename");
    assert_eq!(
        parse_err("bind \"\""),
        "t.conf:1: 'bind': at least one address is needed (use 'port 0' to turn TCP off)"
    );
    assert_eq!(parse_err("rename-command GET"), "t.conf:1: 'rename-command': wrong number of arguments");
    assert_eq!(parse_err("requirepass \"open"), "t.conf:1: 'requirepass': unbalanced quotes in configuration line");
    assert_eq!(parse_err("\"port 1"), "t.conf:1: unbalanced quotes in configuration line");
    assert!(parse_err("sentinel monitor m 1.2.3.4 1 2").contains("no sentinel mode"));
    assert!(parse_err("mymodule.knob 1").contains("Redoubt loads no modules"));
}

#[test]
fn errors_never_quote_values() {
    let err = parse_err("requirepass \"hunter2");
    assert!(!err.contains("hunter2"), "{err}");
    let err = parse_err("masterauth hunter2 again");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn inert_directives_warn_with_file_and_line() {
    let cfg = Config::parse_str("daemonize yes\nport 1\nlua-time-limit 100\nloadmodule /x.so\n", "t.conf").unwrap();
    let w = cfg.warnings();
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w[0].starts_with("t.conf:1: 'daemonize' has no effect in Redoubt: "), "{}", w[0]);
    assert!(w[1].starts_with("t.conf:3: 'lua-time-limit' has no effect in Redoubt: "), "{}", w[1]);
    assert!(w[2].starts_with("t.conf:4: 'loadmodule' has no effect in Redoubt: "), "{}", w[2]);
    // Stored anyway, so CONFIG GET shows what the file said.
    assert_eq!(get(&cfg, "busy-reply-threshold"), "100");
}

#[test]
fn include_is_relative_to_the_including_file() {
    let dir = tmpdir("include");
    write(&dir.join("main.conf"), "port 7001\ninclude sub/extra.conf\nmaxclients 5\n");
    write(&dir.join("sub/extra.conf"), "maxclients 9\ninclude more.conf\n");
    write(&dir.join("sub/more.conf"), "timeout 30\n");
    let cfg = Config::load(&dir.join("main.conf"), &[]).unwrap();
    assert_eq!((cfg.port, cfg.maxclients, cfg.timeout), (7001, 5, 30));
    assert_eq!(cfg.files.len(), 3);
    assert_eq!(cfg.config_file.as_deref(), Some(cfg.files[0].path.as_path()));
    assert!(cfg.files.iter().all(|f| f.path.is_absolute()));

    // An error in an included file names that file and its line.
    write(&dir.join("sub/more.conf"), "\ntimeout soon\n");
    let err = Config::load(&dir.join("main.conf"), &[]).unwrap_err();
    assert!(err.to_string().ends_with("more.conf:2: 'timeout': argument couldn't be parsed into an integer"), "{err}");
    assert_eq!(err.line(), Some(2));

    // A missing include names the including line.
    write(&dir.join("main.conf"), "include nowhere.conf\n");
    let err = Config::load(&dir.join("main.conf"), &[]).unwrap_err().to_string();
    assert!(err.contains("main.conf:1: 'include': can't read config file"), "{err}");
}

#[test]
fn include_with_wildcards() {
    let dir = tmpdir("glob");
    write(&dir.join("main.conf"), "include conf.d/*.conf\ninclude empty.d/*.conf\n");
    fs::create_dir_all(dir.join("empty.d")).unwrap();
    write(&dir.join("conf.d/10-port.conf"), "port 7002\n");
    write(&dir.join("conf.d/20-port.conf"), "port 7003\n");
    write(&dir.join("conf.d/.hidden.conf"), "port 1\n");
    write(&dir.join("conf.d/notes.txt"), "not a config\n");
    let cfg = Config::load(&dir.join("main.conf"), &[]).unwrap();
    assert_eq!(cfg.port, 7003);
    assert_eq!(cfg.files.len(), 3);
}

#[test]
fn include_cycles_and_depth_are_refused() {
    let dir = tmpdir("cycle");
    write(&dir.join("a.conf"), "include b.conf\n");
    write(&dir.join("b.conf"), "port 1\ninclude a.conf\n");
    let err = Config::load(&dir.join("a.conf"), &[]).unwrap_err().to_string();
    assert!(err.contains("b.conf:2: 'include': include cycle: "), "{err}");
    assert!(err.contains("a.conf -> "), "{err}");

    write(&dir.join("self.conf"), "include self.conf\n");
    let err = Config::load(&dir.join("self.conf"), &[]).unwrap_err().to_string();
    assert!(err.contains("include cycle"), "{err}");

    for i in 0..20 {
        write(&dir.join(format!("n{i}.conf")), &format!("include n{}.conf\n", i + 1));
    }
    write(&dir.join("n20.conf"), "port 2\n");
    let err = Config::load(&dir.join("n0.conf"), &[]).unwrap_err().to_string();
    assert!(err.contains("includes nest deeper than 16 levels"), "{err}");
}

#[test]
fn flags_override_the_file() {
    let dir = tmpdir("flags");
    let file = dir.join("r.conf");
    write(&file, "port 7000\nmaxmemory 1mb\nsave 900 1\nbind 10.0.0.1\n");
    let args = strings(&["--port", "7001", "--maxmemory 2mb", "--bind", "127.0.0.1", "-::1", "--save", "60", "5"]);
    let cfg = Config::load(&file, &args).unwrap();
    assert_eq!(cfg.port, 7001);
    assert_eq!(cfg.maxmemory, 2 << 20);
    assert_eq!(cfg.bind, ["127.0.0.1", "-::1"]);
    // Flags are appended to the file, so `save` adds to the file's, as redis-server does.
    assert_eq!(get(&cfg, "save"), "900 1 60 5");

    // `--save` with no value means save "".
    let cfg = Config::load(&file, &strings(&["--save", "--port", "1"])).unwrap();
    assert_eq!((get(&cfg, "save").as_str(), cfg.port), ("", 1));
    // A value may start with `--` right after a bare name.
    let cfg = Config::load(&file, &strings(&["--unixsocket", "--odd"])).unwrap();
    assert_eq!(cfg.unixsocket.as_deref(), Some(Path::new("--odd")));

    let cfg = Config::from_args(&strings(&[file.to_str().unwrap(), "--timeout", "9"])).unwrap();
    assert_eq!((cfg.port, cfg.timeout), (7000, 9));
    let cfg = Config::from_args(&strings(&["--port", "0"])).unwrap();
    assert_eq!((cfg.port, cfg.config_file.as_deref()), (0, None));

    let err = Config::from_args(&strings(&["--port", "1", "--nope", "2"])).unwrap_err();
    assert_eq!(err.to_string(), "command line argument 3: unknown directive 'nope'");
    let err = Config::from_args(&strings(&["--port", "99999"])).unwrap_err();
    assert_eq!(err.to_string(), "command line argument 1: 'port': argument must be between 0 and 65535 inclusive");
    assert!(Config::from_args(&strings(&["-"])).is_err());
    assert!(Config::from_args(&strings(&["--port"])).is_err());
    let err = Config::from_args(&strings(&["a.conf", "b.conf"])).unwrap_err().to_string();
    assert!(err.contains("can't read config file 'a.conf'"), "{err}");
}

#[test]
fn secrets_on_the_command_line_are_refused() {
    for (args, hint) in [
        (&["--requirepass", "hunter2"][..], "REDOUBT_PASSWORD"),
        (&["--requirepass hunter2"][..], "requirepass-file"),
        (&["--port", "1", "--masterauth", "hunter2"][..], "REDOUBT_MASTERAUTH"),
        (&["--tls-key-file-pass", "hunter2"][..], "config file"),
        (&["--user", "bob", "on", ">hunter2"][..], "aclfile"),
    ] {
        let err = Config::from_args(&strings(args)).unwrap_err().to_string();
        assert!(err.contains("secrets are not accepted on the command line"), "{err}");
        assert!(err.contains(hint), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[test]
fn secret_files() {
    let dir = tmpdir("secret");
    write(&dir.join("pass"), "s3cret\r\nsecond line ignored\n");
    write(&dir.join("auth"), "upstream\n");
    write(&dir.join("empty"), "\nx\n");
    write(&dir.join("r.conf"), "requirepass-file pass\nmasterauth-file auth\n");
    let cfg = Config::load(&dir.join("r.conf"), &[]).unwrap();
    assert_eq!(cfg.requirepass.as_ref().map(|s| s.expose()), Some("s3cret"));
    assert_eq!(cfg.requirepass_file, Some(dir.join("pass")));
    assert_eq!(cfg.masterauth.as_ref().map(|s| s.expose()), Some("upstream"));
    assert_eq!(cfg.get("requirepass"), [("requirepass".into(), "(redacted)".into())]);
    assert_eq!(get(&cfg, "requirepass-file"), dir.join("pass").to_string_lossy());

    let pass = dir.join("pass");
    let cfg = Config::from_args(&strings(&["--requirepass-file", pass.to_str().unwrap()])).unwrap();
    assert_eq!(cfg.requirepass.as_ref().map(|s| s.expose()), Some("s3cret"));

    write(&dir.join("r.conf"), "requirepass-file empty\n");
    let err = Config::load(&dir.join("r.conf"), &[]).unwrap_err().to_string();
    assert!(err.contains("r.conf:1: 'requirepass-file': the first line of"), "{err}");
    write(&dir.join("r.conf"), "requirepass-file missing\n");
    let err = Config::load(&dir.join("r.conf"), &[]).unwrap_err().to_string();
    assert!(err.contains("'requirepass-file': can't read"), "{err}");
}

#[test]
fn files_holding_secrets_are_marked() {
    let dir = tmpdir("holds");
    write(&dir.join("main.conf"), "port 1\ninclude auth.conf\ninclude users.conf\n");
    write(&dir.join("auth.conf"), "requirepass hunter2\n");
    write(&dir.join("users.conf"), "user app on >pw +@read\n");
    let cfg = Config::load(&dir.join("main.conf"), &[]).unwrap();
    let marks: Vec<bool> = cfg.files.iter().map(|f| f.holds_secrets).collect();
    assert_eq!(marks, [false, true, true]);
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("hunter2") && !shown.contains(">pw"), "{shown}");
}

#[test]
fn environment_supplies_secrets() {
    let mut cfg = Config::default();
    cfg.apply_env(|k| match k {
        "REDOUBT_PASSWORD" => Some("from-env".into()),
        "REDOUBT_MASTERAUTH" => Some(String::new()),
        _ => None,
    });
    assert_eq!(cfg.requirepass.as_ref().map(|s| s.expose()), Some("from-env"));
    assert_eq!(cfg.masterauth, None);
    assert_eq!(cfg.warnings(), ["environment: REDOUBT_MASTERAUTH is set but empty; ignored"]);

    let mut cfg = Config::parse_str("requirepass in-file\n", "t.conf").unwrap();
    cfg.apply_env(|k| (k == "REDOUBT_PASSWORD").then(|| "from-env".to_string()));
    assert_eq!(cfg.requirepass.as_ref().map(|s| s.expose()), Some("from-env"));
    assert_eq!(cfg.warnings(), ["environment: REDOUBT_PASSWORD overrides the 'requirepass' of the configuration"]);
}

#[test]
fn check_config_returns_warnings_or_the_error() {
    let dir = tmpdir("check");
    write(&dir.join("ok.conf"), "always-show-logo yes\nport 1\n");
    let warnings = check(&dir.join("ok.conf")).unwrap();
    assert_eq!(warnings.len(), 1);
    let prefix = format!("{}:1: 'always-show-logo' has no effect in Redoubt: ", dir.join("ok.conf").display());
    assert!(warnings[0].starts_with(&prefix), "{}", warnings[0]);

    write(&dir.join("bad.conf"), "port 1\nport x\n");
    let err = check(&dir.join("bad.conf")).unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert_eq!(err.directive_name(), Some("port"));
    assert_eq!(err.message(), "'port': argument couldn't be parsed into an integer");

    let err = check(&dir.join("none.conf")).unwrap_err().to_string();
    assert!(err.contains("none.conf: can't read config file"), "{err}");

    fs::write(dir.join("latin1.conf"), b"port 1\nrequirepass caf\xe9\n").unwrap();
    let err = check(&dir.join("latin1.conf")).unwrap_err().to_string();
    assert!(err.ends_with("latin1.conf:2: not valid UTF-8"), "{err}");
}

#[test]
fn posture_line() {
    let cfg = Config::default();
    assert_eq!(
        cfg.describe_posture(),
        "listening: TCP 127.0.0.1:6379, [::1]:6379 (if available); TLS off; unix socket off; \
         auth none; protected mode on"
    );
    let cfg = Config::parse_str("port 0\nunixsocket /run/r.sock\nunixsocketperm 700\nrequirepass hunter2\n", "t.conf")
        .unwrap();
    let line = cfg.describe_posture();
    assert_eq!(
        line,
        "listening: TCP off; TLS off; unix socket /run/r.sock (mode 700); auth required (password); \
         protected mode on"
    );
}
