//! `redoubt`: one binary, several verbs. With no verb (or `server`) it runs the data server
//! on its secure embedded defaults; arguments follow redis-server's form (an optional config
//! file, then `--directive value` flags).

mod seal;
mod seal_dir;

use redoubt_config::Config;
use std::process::ExitCode;

const USAGE: &str = "\
Usage:
  redoubt [server] [CONFIG_FILE] [--directive value ...]   run the data server
  redoubt server --check-config CONFIG_FILE                validate a config file and exit
  redoubt passwd [USER]                                    a new secret and the ACL line of an admin
                                                           USER (default admin) holding its hash
  redoubt passwd --requirepass                             a new password for requirepass-file
  redoubt tls init DIR [--host NAME]... [--ip ADDR]... [--client CN]...
                                                           a CA, server and client certificates (docs/tls.md)
  redoubt seal keygen FILE                                 a new key file for seal-key-file (mode 0600)
  redoubt seal --key-file KEY [--force] IN OUT             seal a plain RDB snapshot or AOF directory (docs/persistence.md)
  redoubt unseal --key-file KEY [--force] IN OUT           verify a sealed file or AOF directory and write it plain
  redoubt --version | --help

With no config file the server runs on its secure defaults: 127.0.0.1 and ::1, port 6379.
Directives use redis.conf syntax; see docs/configuration.md.";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("passwd") {
        return passwd(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("tls") {
        return redoubt_tlsgen::main(args.split_off(1));
    }
    if let Some(verb @ ("seal" | "unseal")) = args.first().map(String::as_str) {
        return seal::main(&args[1..], verb == "unseal");
    }
    if args.first().map(String::as_str) == Some("audit") {
        return redoubt_audit::main(args.split_off(1));
    }
    if args.first().map(String::as_str) == Some("server") {
        args.remove(0);
    }
    match args.first().map(String::as_str) {
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("--version" | "-v" | "version") => {
            println!("redoubt {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--check-config") => return check_config(&args[1..]),
        Some(verb) if !verb.starts_with('-') && !std::path::Path::new(verb).exists() && !verb.contains('.') => {
            eprintln!("redoubt: unknown command or missing config file '{verb}'\n\n{USAGE}");
            return ExitCode::from(2);
        }
        _ => {}
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("redoubt: {e}");
            return ExitCode::from(1);
        }
    };
    init_logging(&config);
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    let config_file = args.first().filter(|a| !a.starts_with("--")).cloned();
    // Accept loops, the cron and signals; connections run on the server's own workers.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("redoubt: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(redoubt_net::run(config, config_file)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("redoubt: {e}");
            ExitCode::from(1)
        }
    }
}

fn check_config(args: &[String]) -> ExitCode {
    let Some(path) = args.first() else {
        eprintln!("redoubt: --check-config needs a file\n\n{USAGE}");
        return ExitCode::from(2);
    };
    match redoubt_config::check(std::path::Path::new(path)) {
        Ok(warnings) => {
            for w in &warnings {
                println!("warning: {w}");
            }
            println!("{path}: configuration OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// `redoubt passwd [USER]` and `redoubt passwd --requirepass`: a new 256-bit secret on the
/// first line of standard output (so `(umask 077; redoubt passwd --requirepass > FILE)` is a
/// ready `requirepass-file`), then comment lines, then the config line. The secret is written
/// nowhere else.
fn passwd(args: &[String]) -> ExitCode {
    let (requirepass, user) = match args {
        [] => (false, "admin"),
        [flag] if flag == "--requirepass" => (true, "default"),
        [flag] if flag == "--help" || flag == "-h" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [user] if !user.starts_with('-') => (false, user.as_str()),
        _ => {
            eprintln!("redoubt passwd: expected a user name or --requirepass\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let new = match redoubt_security::passwd(user) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("redoubt passwd: {}", e.message().trim_start_matches("ERR "));
            return ExitCode::from(1);
        }
    };
    let secret = &new.secret;
    if requirepass {
        println!("{secret}");
        println!("# ^ a new password of the default user (256 bits). Give it to the clients (AUTH <password>); it is stored nowhere.");
        println!("# Keep it off the command line: put it alone in a file only the server's user can read, and name that file:");
        println!(
            "#   (umask 077; redoubt passwd --requirepass > /etc/redoubt/requirepass)   # only the first line is read"
        );
        println!("requirepass-file /etc/redoubt/requirepass");
        println!("# or pass it in the environment variable {}.", redoubt_config::ENV_PASSWORD);
    } else {
        println!("{secret}");
        println!(
            "# ^ the secret of user '{user}' (256 bits): give it to that client only (AUTH {user} <secret>, REDISCLI_AUTH, \
             or the application's secret store); it is stored nowhere."
        );
        println!("# Add this line to the config file or the aclfile; it holds only the secret's SHA-256:");
        println!("{}", new.acl_line);
    }
    ExitCode::SUCCESS
}

fn init_logging(config: &Config) {
    let level = match config.loglevel.as_str() {
        "debug" => "debug",
        "verbose" => "info",
        "warning" => "warn",
        "nothing" => "off",
        _ => "info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("REDOUBT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
