//! THE directive table: every directive of Redis 7.0.15's `config.c` (so a Redis user's
//! redis.conf loads), the directives Redis handles outside its table (`include`,
//! `rename-command`, `user`, `loadmodule`, `sentinel`, removed ones), and Redoubt's own.
//!
//! Each entry gives the name, aliases, kind of value, default (in config-file syntax; Redis's
//! default unless the doc says otherwise), and then:
//! - `.field(..)`: the server reads it through a typed field of `Config` ("active");
//!   without it the value is stored so CONFIG GET/SET work until the feature lands ("stored");
//! - `.inert(why)`: accepted with a warning, because it has no meaning in Redoubt;
//! - `.imm()`: Redis refuses CONFIG SET; `.prot()`: Redoubt refuses it too (THREATS.md T9);
//! - `.secret()`: refused on the command line, redacted by CONFIG GET.
//!
//! docs/configuration.md is generated from this table (see `doc_table.rs`).

use crate::directives::{d, Directive, Kind, Unit, INT_MAX, INT_MIN, LONG_MAX, UINT_MAX, ULLONG_MAX};
use crate::fields::Field as F;
use crate::value::{
    check_appenddirname, check_appendfilename, check_dbfilename, check_shutdown_flags, check_tls_protocols,
};

const BOOL: Kind = Kind::Bool;
const STR: Kind = Kind::Str;
const fn int(min: i128, max: i128) -> Kind {
    Kind::Int { min, max, unit: Unit::Plain }
}
const fn mem(min: i128, max: i128) -> Kind {
    Kind::Int { min, max, unit: Unit::Memory }
}
const fn en(choices: &'static [(&'static str, u32)]) -> Kind {
    Kind::Enum(choices)
}

/// `loglevel` names; the numbers are [`crate::LogLevel`]'s.
pub(crate) const LOGLEVELS: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
/// `maxmemory-policy` names; the numbers are [`crate::MaxmemoryPolicy`]'s.
pub(crate) const POLICIES: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
const FACILITY: &[(&str, u32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const FSYNC: &[(&str, u32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
const SHUTDOWN: &[(&str, u32)] = &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];
const DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const TLS_USER: &[(&str, u32)] = &[("off", 0), ("CN", 1)];
const OOM: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const PUBSUB: &[(&str, u32)] = &[("allchannels", 8), ("resetchannels", 0)];
const SANITIZE: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const ALLOWED: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION: &[(&str, u32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

const CLUSTER: &str = "Redoubt has no cluster mode; put `redoubt guard` in front of a Redis or Valkey Cluster";
const DEFRAG: &str = "active defragmentation is a jemalloc feature, and Redoubt does not use jemalloc";
const CPUS: &str = "Redoubt does not pin threads to CPUs; use taskset or systemd's CPUAffinity=";
const SYSLOG: &str = "Redoubt logs to stdout or the logfile; let journald or your supervisor forward it to syslog";
const TESTING: &str = "a hook of Redis's own test suite that Redoubt does not have";
const THREADS: &str = "Redoubt's io-threads read, parse and write for their own clients already";

/// Every directive, in the order of Redis's redis.conf sections.
#[rustfmt::skip]
pub(crate) static DIRECTIVES: &[Directive] = &[
    // ---- Includes and modules ----
    d("include", Kind::Include, "", "Reads another config file at this point; the path is relative to the including file. Wildcards in the file name are allowed.").prot(),
    d("loadmodule", Kind::LoadModule, "", "Loads a Redis module.").inert("Redoubt loads no modules (THREATS.md T11); the module's commands will be unknown"),

    // ---- Network ----
    d("bind", Kind::Bind, "127.0.0.1 -::1", "Addresses to listen on; a '-' prefix means: skip it if it is unavailable. Redoubt's default is loopback only (Redis binds every interface).").field(F::Bind).prot(),
    d("bind-source-addr", STR, "", "Source address of outgoing connections (to a primary)."),
    d("protected-mode", BOOL, "yes", "With no password set, refuse clients that are neither on loopback nor on the unix socket.").field(F::ProtectedMode),
    d("enable-protected-configs", en(ALLOWED), "no", "Lets CONFIG SET change protected configs.").imm().inert("paths never change at run time in Redoubt, whatever this says (THREATS.md T9)"),
    d("enable-debug-command", en(ALLOWED), "no", "Enables the DEBUG command.").imm().inert("Redoubt has no DEBUG command (THREATS.md T10)"),
    d("enable-module-command", en(ALLOWED), "no", "Enables the MODULE command.").imm().inert("Redoubt has no MODULE command (THREATS.md T11)"),
    d("port", int(0, 65535), "6379", "TCP port; 0 turns TCP off.").field(F::Port).prot(),
    d("tcp-backlog", int(0, INT_MAX), "511", "Backlog of the listening sockets.").field(F::TcpBacklog).imm(),
    d("unixsocket", STR, "", "Path of a unix socket to listen on (none by default).").field(F::Unixsocket).imm(),
    d("unixsocketperm", Kind::Int { min: 0, max: 0o777, unit: Unit::Octal }, "0", "Permissions of the unix socket, in octal (700); 0 = Redoubt's owner-only default.").field(F::Unixsocketperm).imm(),
    d("socket-mark-id", int(0, UINT_MAX), "0", "Mark (SO_MARK) set on listening sockets.").imm(),
    d("timeout", int(0, INT_MAX), "0", "Close a client idle for this many seconds; 0 = never.").field(F::Timeout),
    d("tcp-keepalive", int(0, INT_MAX), "300", "TCP keepalive interval in seconds; 0 = off.").field(F::TcpKeepalive),

    // ---- TLS ----
    d("tls-port", int(0, 65535), "0", "TLS port; 0 = no TLS listener.").prot(),
    d("tls-cert-file", STR, "", "Server certificate (PEM).").prot(),
    d("tls-key-file", STR, "", "Private key of the server certificate (PEM).").prot(),
    d("tls-key-file-pass", STR, "", "Passphrase of tls-key-file.").secret().prot(),
    d("tls-client-cert-file", STR, "", "Certificate presented when Redoubt is a TLS client (to a primary).").prot(),
    d("tls-client-key-file", STR, "", "Private key of tls-client-cert-file.").prot(),
    d("tls-client-key-file-pass", STR, "", "Passphrase of tls-client-key-file.").secret().prot(),
    d("tls-dh-params-file", STR, "", "DH parameters file (older TLS ciphers).").prot(),
    d("tls-ca-cert-file", STR, "", "CA certificates that client certificates must chain to.").prot(),
    d("tls-ca-cert-dir", STR, "", "Directory of CA certificates.").prot(),
    d("tls-auth-clients", en(TLS_AUTH), "yes", "Whether clients must present a certificate: yes, no or optional."),
    d("tls-auth-clients-user", en(TLS_USER), "off", "CN: a client whose verified certificate's CN names a user is logged in as that user, with no password (as Valkey 9 and Redis 8.6); a CN that names no user is refused. off: certificates identify no one.").prot(),
    d("tls-replication", BOOL, "no", "Use TLS towards a primary."),
    d("tls-cluster", BOOL, "no", "Use TLS on the cluster bus.").inert(CLUSTER),
    d("tls-protocols", STR, "", "TLS versions to accept: TLSv1.2 and/or TLSv1.3 (empty = both); older versions are refused.").check(check_tls_protocols),
    d("tls-ciphers", STR, "", "TLS 1.2 cipher list."),
    d("tls-ciphersuites", STR, "", "TLS 1.3 cipher suites."),
    d("tls-prefer-server-ciphers", BOOL, "no", "Prefer the server's cipher order."),
    d("tls-session-caching", BOOL, "yes", "Cache TLS sessions for resumption."),
    d("tls-session-cache-size", int(0, INT_MAX), "20480", "Number of cached TLS sessions."),
    d("tls-session-cache-timeout", int(0, INT_MAX), "300", "Lifetime of cached TLS sessions, seconds."),

    // ---- General ----
    d("daemonize", BOOL, "no", "Fork into the background.").imm().inert("Redoubt stays in the foreground; let systemd or your supervisor run it in the background"),
    d("supervised", en(SUPERVISED), "no", "Signal readiness to upstart or systemd.").imm().inert("Redoubt does not talk to upstart or systemd; use Type=simple"),
    d("pidfile", STR, "", "File to write the process id to.").imm(),
    d("loglevel", en(LOGLEVELS), "notice", "Log verbosity: debug, verbose, notice or warning.").field(F::Loglevel),
    d("logfile", STR, "", "Log file; empty = standard output.").field(F::Logfile).imm(),
    d("syslog-enabled", BOOL, "no", "Log to syslog.").imm().inert(SYSLOG),
    d("syslog-ident", STR, "redis", "Syslog identity.").imm().inert(SYSLOG),
    d("syslog-facility", en(FACILITY), "local0", "Syslog facility.").imm().inert(SYSLOG),
    d("crash-log-enabled", BOOL, "yes", "Write a stack trace on a crash.").inert("Redoubt is memory-safe Rust and installs no crash-report signal handler"),
    d("crash-memcheck-enabled", BOOL, "yes", "Run a memory test after a crash.").inert("Redoubt runs no memory test after a crash"),
    d("databases", int(1, INT_MAX), "16", "Number of databases (SELECT 0 to N-1).").field(F::Databases).imm(),
    d("always-show-logo", BOOL, "no", "Print the ASCII logo at start.").imm().inert("Redoubt prints no logo"),
    d("set-proc-title", BOOL, "yes", "Rewrite the process title.").imm().inert("Redoubt does not rewrite its process title"),
    d("proc-title-template", STR, "{title} {listen-addr} {server-mode}", "Template of the process title.").inert("Redoubt does not rewrite its process title"),

    // ---- Snapshotting ----
    d("save", Kind::Save, "3600 1 300 100 60 10000", "Snapshot after <seconds> if at least <changes> writes; \"\" turns snapshots off."),
    d("stop-writes-on-bgsave-error", BOOL, "yes", "Refuse writes after a failed background save."),
    d("rdbcompression", BOOL, "yes", "Compress strings in snapshots (LZF)."),
    d("rdbchecksum", BOOL, "yes", "Append a CRC64 checksum to snapshots.").imm(),
    d("sanitize-dump-payload", en(SANITIZE), "no", "Deep-check RESTORE payloads and snapshots: no, yes or clients."),
    d("dbfilename", STR, "dump.rdb", "Snapshot file name, inside dir; a bare file name.").field(F::Dbfilename).prot().check(check_dbfilename),
    d("rdb-del-sync-files", BOOL, "no", "Delete snapshots made only for replication when persistence is off."),
    d("dir", STR, "redoubt-data", "Data directory, for snapshots and the AOF; relative to the working directory at start. Created 0700 if missing; the start is refused if it is open to group or others. Redoubt's default is ./redoubt-data (Redis: the working directory).").field(F::Dir).prot(),

    // ---- Replication ----
    d("replicaof", Kind::ReplicaOf, "no one", "Primary to replicate from: <host> <port>, or no one.").alias(&["slaveof"]).imm(),
    d("masterauth", STR, "", "Password for the primary. Never on the command line: use masterauth-file or REDOUBT_MASTERAUTH.").field(F::Masterauth).secret(),
    d("masteruser", STR, "", "User name for the primary (ACL)."),
    d("replica-serve-stale-data", BOOL, "yes", "Answer reads while out of sync with the primary.").alias(&["slave-serve-stale-data"]),
    d("replica-read-only", BOOL, "yes", "Refuse writes on a replica.").alias(&["slave-read-only"]),
    d("repl-diskless-sync", BOOL, "yes", "Send snapshots to replicas straight over the socket."),
    d("repl-diskless-sync-delay", int(0, INT_MAX), "5", "Seconds to wait for more replicas before a diskless transfer."),
    d("repl-diskless-sync-max-replicas", int(0, INT_MAX), "0", "Start a diskless transfer once this many replicas wait; 0 = no limit."),
    d("repl-diskless-load", en(DISKLESS_LOAD), "disabled", "Load a replication snapshot from the socket: disabled, on-empty-db or swapdb."),
    d("repl-ping-replica-period", int(1, INT_MAX), "10", "Seconds between pings to replicas.").alias(&["repl-ping-slave-period"]),
    d("repl-timeout", int(1, INT_MAX), "60", "Replication timeout, seconds."),
    d("repl-disable-tcp-nodelay", BOOL, "no", "Turn off TCP_NODELAY towards replicas."),
    d("repl-backlog-size", mem(1, LONG_MAX), "1mb", "Size of the replication backlog."),
    d("repl-backlog-ttl", int(0, LONG_MAX), "3600", "Seconds before freeing the backlog with no replica; 0 = never."),
    d("replica-priority", int(0, INT_MAX), "100", "Priority for promotion by Sentinel; 0 = never.").alias(&["slave-priority"]),
    d("propagation-error-behavior", en(PROPAGATION), "ignore", "What to do when a replicated command fails: ignore, panic or panic-on-replicas."),
    d("replica-ignore-disk-write-errors", BOOL, "no", "Keep replicating when the replica cannot persist."),
    d("replica-announced", BOOL, "yes", "Whether Sentinel reports this replica."),
    d("min-replicas-to-write", int(0, INT_MAX), "0", "Refuse writes unless this many replicas are connected; 0 = off.").alias(&["min-slaves-to-write"]),
    d("min-replicas-max-lag", int(0, INT_MAX), "10", "Lag in seconds under which a replica counts for min-replicas-to-write.").alias(&["min-slaves-max-lag"]),
    d("replica-announce-ip", STR, "", "Address a replica announces to its primary.").alias(&["slave-announce-ip"]),
    d("replica-announce-port", int(0, 65535), "0", "Port a replica announces to its primary.").alias(&["slave-announce-port"]),
    d("replica-lazy-flush", BOOL, "no", "Free the old dataset in the background after a full sync.").alias(&["slave-lazy-flush"]),
    d("replica-ignore-maxmemory", BOOL, "yes", "Replicas do not evict on their own.").alias(&["slave-ignore-maxmemory"]),

    // ---- Keys tracking ----
    d("tracking-table-max-keys", int(0, LONG_MAX), "1000000", "Keys remembered for client-side caching; 0 = no limit."),

    // ---- Security ----
    d("acllog-max-len", int(0, LONG_MAX), "128", "Entries kept by ACL LOG."),
    d("aclfile", STR, "", "File of ACL users (the alternative to user lines here); it must be readable by its owner only (0600), or the start is refused.").imm(),
    d("requirepass", STR, "", "Password of the default user. Never on the command line: use requirepass-file or REDOUBT_PASSWORD.").field(F::Requirepass).secret(),
    d("acl-pubsub-default", en(PUBSUB), "resetchannels", "Channels a new ACL user may use: resetchannels or allchannels."),
    d("rename-command", Kind::RenameCommand, "", "Renames a command, or hides it with \"\"; applied by the server at start."),
    d("user", Kind::User, "", "Declares an ACL user: user <name> <rules...>. Never on the command line."),

    // ---- Clients and memory ----
    d("maxclients", int(1, UINT_MAX), "10000", "Maximum number of connected clients.").field(F::Maxclients),
    d("maxmemory", mem(0, ULLONG_MAX), "0", "Memory limit for data; 0 = none.").field(F::Maxmemory),
    d("maxmemory-policy", en(POLICIES), "noeviction", "What to evict at maxmemory.").field(F::MaxmemoryPolicy),
    d("maxmemory-samples", int(1, INT_MAX), "5", "Keys sampled per eviction."),
    d("maxmemory-eviction-tenacity", int(0, 100), "10", "Effort spent evicting per command, 0-100."),
    d("maxmemory-clients", Kind::Int { min: -100, max: LONG_MAX, unit: Unit::MemoryOrPercent }, "0", "Memory limit for all client buffers, in bytes or N% of maxmemory; over it the clients holding the most are evicted; 0 = none."),
    d("active-expire-effort", int(1, 10), "1", "Effort of the background expiry cycle, 1-10."),

    // ---- Lazy freeing ----
    d("lazyfree-lazy-eviction", BOOL, "no", "Free evicted values in the background."),
    d("lazyfree-lazy-expire", BOOL, "no", "Free expired values in the background."),
    d("lazyfree-lazy-server-del", BOOL, "no", "Free values overwritten by the server (RENAME...) in the background."),
    d("lazyfree-lazy-user-del", BOOL, "no", "Make DEL behave as UNLINK."),
    d("lazyfree-lazy-user-flush", BOOL, "no", "Make FLUSHALL/FLUSHDB asynchronous by default."),

    // ---- Threads and kernel ----
    d("io-threads", int(0, 128), "0", "Connection threads, each an event loop serving its share of the clients; 0 = half the cores (at least one).").imm(),
    d("io-threads-do-reads", BOOL, "no", "Read and parse on the I/O threads too.").imm().inert(THREADS),
    d("oom-score-adj", en(OOM), "no", "Set the process's OOM-killer score.").inert("Redoubt does not change its OOM score; set OOMScoreAdjust= in systemd"),
    d("oom-score-adj-values", Kind::OomScoreAdjValues, "0 200 800", "OOM scores of primary, replica and child processes.").inert("Redoubt does not change its OOM score; set OOMScoreAdjust= in systemd"),
    d("disable-thp", BOOL, "yes", "Turn off transparent huge pages for the process.").imm().inert("Redoubt leaves the transparent huge pages setting of its process alone; set it on the host"),
    d("server_cpulist", STR, "", "CPUs for the main thread.").imm().inert(CPUS),
    d("bio_cpulist", STR, "", "CPUs for background I/O threads.").imm().inert(CPUS),
    d("aof_rewrite_cpulist", STR, "", "CPUs for the AOF rewrite child.").imm().inert(CPUS),
    d("bgsave_cpulist", STR, "", "CPUs for the snapshot child.").imm().inert(CPUS),
    d("ignore-warnings", STR, "", "Start despite the named kernel-bug warnings (ARM64-COW-BUG).").inert("Redoubt does not run Redis's kernel-bug checks"),
    d("jemalloc-bg-thread", BOOL, "yes", "jemalloc's background purge thread.").inert("Redoubt does not use jemalloc"),

    // ---- Append only file ----
    d("appendonly", BOOL, "yes", "Log every write to the append-only file (Redoubt: on by default; see docs/persistence.md)."),
    d("appendfilename", STR, "appendonly.aof", "Base name of the AOF files; a bare file name.").imm().check(check_appendfilename),
    d("appenddirname", STR, "appendonlydir", "Directory of the AOF files, inside dir; a bare name.").imm().check(check_appenddirname),
    d("appendfsync", en(FSYNC), "everysec", "When to fsync the AOF: always, everysec or no."),
    d("no-appendfsync-on-rewrite", BOOL, "no", "Skip fsync while a rewrite runs."),
    d("auto-aof-rewrite-percentage", int(0, INT_MAX), "100", "Rewrite the AOF when it grew by this percentage; 0 = never."),
    d("auto-aof-rewrite-min-size", mem(0, LONG_MAX), "64mb", "Smallest AOF size for an automatic rewrite."),
    d("aof-load-truncated", BOOL, "yes", "Load a truncated AOF (with a warning) instead of refusing to start."),
    d("aof-use-rdb-preamble", BOOL, "yes", "Start rewritten AOFs with a snapshot."),
    d("aof-timestamp-enabled", BOOL, "no", "Write timestamps into the AOF."),
    d("aof-rewrite-incremental-fsync", BOOL, "yes", "fsync every 4 MB while rewriting the AOF."),
    d("rdb-save-incremental-fsync", BOOL, "yes", "fsync every 4 MB while writing a snapshot."),
    d("aof-disable-auto-gc", BOOL, "no", "Keep old AOF files after a rewrite."),

    // ---- Shutdown ----
    d("shutdown-timeout", int(0, INT_MAX), "10", "Seconds SHUTDOWN waits for replicas to catch up."),
    d("shutdown-on-sigint", Kind::Flags(SHUTDOWN), "default", "SHUTDOWN flags on SIGINT: default, or save/nosave, now, force.").check(check_shutdown_flags),
    d("shutdown-on-sigterm", Kind::Flags(SHUTDOWN), "default", "SHUTDOWN flags on SIGTERM: default, or save/nosave, now, force.").check(check_shutdown_flags),

    // ---- Scripts and functions ----
    d("busy-reply-threshold", int(0, LONG_MAX), "5000", "Milliseconds before a running script makes other clients get BUSY.").alias(&["lua-time-limit"]).inert("Redoubt runs no scripts or modules that could keep the server busy (THREATS.md T12)"),

    // ---- Cluster ----
    d("cluster-enabled", BOOL, "no", "Run as a cluster node.").imm().inert(CLUSTER),
    d("cluster-config-file", STR, "nodes.conf", "Cluster state file.").imm().inert(CLUSTER),
    d("cluster-node-timeout", int(0, LONG_MAX), "15000", "Milliseconds before a node counts as failing.").inert(CLUSTER),
    d("cluster-port", int(0, 65535), "0", "Cluster bus port.").imm().inert(CLUSTER),
    d("cluster-replica-validity-factor", int(0, INT_MAX), "10", "Data age factor for failover.").alias(&["cluster-slave-validity-factor"]).inert(CLUSTER),
    d("cluster-migration-barrier", int(0, INT_MAX), "1", "Replicas a primary keeps before one migrates.").inert(CLUSTER),
    d("cluster-allow-replica-migration", BOOL, "yes", "Let replicas migrate to orphaned primaries.").inert(CLUSTER),
    d("cluster-require-full-coverage", BOOL, "yes", "Stop serving when slots are uncovered.").inert(CLUSTER),
    d("cluster-replica-no-failover", BOOL, "no", "Never fail over to this replica.").alias(&["cluster-slave-no-failover"]).inert(CLUSTER),
    d("cluster-allow-reads-when-down", BOOL, "no", "Serve reads while the cluster is down.").inert(CLUSTER),
    d("cluster-allow-pubsubshard-when-down", BOOL, "yes", "Serve sharded pub/sub while the cluster is down.").inert(CLUSTER),
    d("cluster-link-sendbuf-limit", mem(0, ULLONG_MAX), "0", "Send buffer limit of cluster links.").inert(CLUSTER),
    d("cluster-announce-hostname", STR, "", "Hostname announced to the cluster.").inert(CLUSTER),
    d("cluster-preferred-endpoint-type", en(ENDPOINT), "ip", "Endpoint type in redirections.").inert(CLUSTER),
    d("cluster-announce-ip", STR, "", "Address announced to the cluster.").inert(CLUSTER),
    d("cluster-announce-port", int(0, 65535), "0", "Port announced to the cluster.").inert(CLUSTER),
    d("cluster-announce-tls-port", int(0, 65535), "0", "TLS port announced to the cluster.").inert(CLUSTER),
    d("cluster-announce-bus-port", int(0, 65535), "0", "Bus port announced to the cluster.").inert(CLUSTER),

    // ---- Slow log, latency ----
    d("slowlog-log-slower-than", int(-1, LONG_MAX), "10000", "Microseconds above which a command goes to the slow log; -1 = off, 0 = all."),
    d("slowlog-max-len", int(0, LONG_MAX), "128", "Entries kept in the slow log."),
    d("latency-monitor-threshold", int(0, LONG_MAX), "0", "Milliseconds above which LATENCY records an event; 0 = off."),
    d("latency-tracking", BOOL, "yes", "Track per-command latency percentiles."),
    d("latency-tracking-info-percentiles", Kind::Percentiles, "50 99 99.9", "Percentiles shown by INFO latencystats."),

    // ---- Keyspace events ----
    d("notify-keyspace-events", Kind::NotifyKeyspaceEvents, "", "Keyspace events published on pub/sub (classes Ag$lshzxeKEtmdn); empty = none."),

    // ---- Advanced ----
    d("hash-max-listpack-entries", int(0, LONG_MAX), "512", "Hashes up to this many fields use the compact encoding.").alias(&["hash-max-ziplist-entries"]),
    d("hash-max-listpack-value", mem(0, LONG_MAX), "64", "Hashes whose values are up to this size use the compact encoding.").alias(&["hash-max-ziplist-value"]),
    d("list-max-listpack-size", int(INT_MIN, INT_MAX), "-2", "Size of list nodes: entries if positive, -1..-5 for 4-64 KB.").alias(&["list-max-ziplist-size"]),
    d("list-compress-depth", int(0, INT_MAX), "0", "List nodes left uncompressed at each end; 0 = no compression."),
    d("set-max-intset-entries", int(0, LONG_MAX), "512", "Sets of integers up to this size use the compact encoding."),
    d("zset-max-listpack-entries", int(0, LONG_MAX), "128", "Sorted sets up to this many members use the compact encoding.").alias(&["zset-max-ziplist-entries"]),
    d("zset-max-listpack-value", mem(0, LONG_MAX), "64", "Sorted sets whose members are up to this size use the compact encoding.").alias(&["zset-max-ziplist-value"]),
    d("hll-sparse-max-bytes", mem(0, LONG_MAX), "3000", "HyperLogLogs up to this size use the sparse encoding."),
    d("stream-node-max-bytes", mem(0, LONG_MAX), "4096", "Bytes per stream node; 0 = no limit."),
    d("stream-node-max-entries", int(0, LONG_MAX), "100", "Entries per stream node; 0 = no limit."),
    d("activerehashing", BOOL, "yes", "Spend CPU on incremental rehashing of the main tables."),
    d("client-output-buffer-limit", Kind::ClientOutputBufferLimit, "normal 1gb 256mb 60 slave 256mb 64mb 60 pubsub 32mb 8mb 60", "Output buffer limits per client class (normal, replica, pubsub): <class> <hard> <soft> <soft-seconds>; a client over one is closed; 0 = no limit. Redoubt bounds normal clients by default (Redis: normal 0 0 0)."),
    d("client-query-buffer-limit", mem(1024 * 1024, LONG_MAX), "1gb", "Largest query buffer of one client.").field(F::ClientQueryBufferLimit),
    d("proto-max-bulk-len", mem(1024 * 1024, LONG_MAX), "512mb", "Largest bulk string a client may send.").field(F::ProtoMaxBulkLen),
    d("hz", int(0, INT_MAX), "10", "Background task frequency; clamped to 1-500.").field(F::Hz),
    d("dynamic-hz", BOOL, "yes", "Raise hz with many clients."),
    d("lfu-log-factor", int(0, INT_MAX), "10", "LFU counter logarithm factor."),
    d("lfu-decay-time", int(0, INT_MAX), "1", "Minutes for the LFU counter to decay."),

    // ---- Active defragmentation (jemalloc) ----
    d("activedefrag", BOOL, "no", "Active defragmentation.").inert(DEFRAG),
    d("active-defrag-ignore-bytes", mem(1, LONG_MAX), "100mb", "Fragmentation waste under which defrag stays idle.").inert(DEFRAG),
    d("active-defrag-threshold-lower", int(0, 1000), "10", "Fragmentation percentage to start defrag.").inert(DEFRAG),
    d("active-defrag-threshold-upper", int(0, 1000), "100", "Fragmentation percentage for maximum effort.").inert(DEFRAG),
    d("active-defrag-cycle-min", int(1, 99), "1", "Minimal CPU effort for defrag, percent.").inert(DEFRAG),
    d("active-defrag-cycle-max", int(1, 99), "25", "Maximal CPU effort for defrag, percent.").inert(DEFRAG),
    d("active-defrag-max-scan-fields", int(1, LONG_MAX), "1000", "Fields handled in one defrag step.").inert(DEFRAG),

    // ---- Hidden testing knobs of Redis (exact-name CONFIG GET only) ----
    d("use-exit-on-panic", BOOL, "no", "Exit instead of aborting on a panic.").hidden().inert(TESTING),
    d("rdb-key-save-delay", int(INT_MIN, INT_MAX), "0", "Microseconds slept per key while saving.").hidden().inert(TESTING),
    d("key-load-delay", int(INT_MIN, INT_MAX), "0", "Microseconds slept per key while loading.").hidden().inert(TESTING),
    d("watchdog-period", int(0, INT_MAX), "0", "Software watchdog period, milliseconds.").hidden().inert(TESTING),
    d("loading-process-events-interval-bytes", int(1024, INT_MAX), "2097152", "Bytes loaded between event-loop passes.").hidden().inert(TESTING),

    // ---- Handled outside Redis's table ----
    d("sentinel", Kind::Sentinel, "", "Sentinel configuration; refused, as Redoubt has no sentinel mode."),
    d("list-max-ziplist-entries", Kind::Removed, "", "Removed in Redis 7.0.").inert("removed in Redis 7.0; use list-max-listpack-size"),
    d("list-max-ziplist-value", Kind::Removed, "", "Removed in Redis 7.0.").inert("removed in Redis 7.0; use list-max-listpack-size"),
    d("lua-replicate-commands", Kind::Removed, "", "Removed in Redis 7.0.").inert("removed in Redis 7.0; scripts always replicate their effects"),

    // ---- Redoubt's own ----
    d("requirepass-file", Kind::SecretFile("requirepass"), "", "File whose first line is the password of the default user; relative to the config file. The server checks that only its owner can read it.").field(F::RequirepassFile).prot(),
    d("masterauth-file", Kind::SecretFile("masterauth"), "", "File whose first line is masterauth; relative to the config file.").field(F::MasterauthFile).prot(),
    d("allow-from", Kind::AllowFrom, "", "Networks whose TCP clients may connect (CIDR such as 10.0.0.0/8 or 2001:db8::/32, or one address), checked at accept before a byte is read. Lines add up; \"\" clears the list; no list = no filtering. Loopback TCP clients are filtered too (list 127.0.0.1 and ::1 to keep them); unix-socket clients are not.").field(F::AllowFrom).prot(),
    d("audit-log", STR, "", "Audit log: one JSON object per line (auth failures and lockouts, refusals, permission denials, configuration, ACL and role changes), created 0600; empty = no audit log.").field(F::AuditLog).prot(),
    d("insecure-no-auth", BOOL, "no", "For labs only: lets the server start on a non-loopback address although no authentication is configured (refused otherwise), with a loud warning.").field(F::InsecureNoAuth).prot(),
    d("unauthenticated-timeout", int(0, INT_MAX), "10", "Seconds a connection has to authenticate before it is closed; 0 = no deadline.").field(F::UnauthenticatedTimeout),
    d("maxclients-per-source", int(0, UINT_MAX), "64", "Most connections from one source (an IPv4 address or an IPv6 /64) that have not authenticated yet; loopback and the unix socket are exempt; 0 = no cap.").field(F::MaxclientsPerSource),
    d("auth-free-failures", int(0, INT_MAX), "3", "Failed AUTH attempts of a source answered without delay.").field(F::AuthFreeFailures).prot(),
    d("auth-backoff-base-ms", int(1, INT_MAX), "250", "Delay of the first throttled AUTH answer of a source, milliseconds; it doubles with each further failure.").field(F::AuthBackoffBaseMs).prot(),
    d("auth-backoff-max-ms", int(1, INT_MAX), "30000", "Longest delay of a throttled AUTH answer, milliseconds.").field(F::AuthBackoffMaxMs).prot(),
    d("auth-lockout-failures", int(1, INT_MAX), "10", "Failed AUTH attempts that lock a source out.").field(F::AuthLockoutFailures).prot(),
    d("auth-lockout-seconds", int(1, INT_MAX), "300", "First lockout of a source, seconds; each new lockout doubles it, up to auth-lockout-max-seconds.").field(F::AuthLockoutSeconds).prot(),
    d("auth-lockout-max-seconds", int(1, INT_MAX), "3600", "Longest lockout of a source, seconds.").field(F::AuthLockoutMaxSeconds).prot(),
    d("busy-poll-us", int(0, 1000), "50", "Microseconds a connection thread keeps polling for requests after serving some, while they arrive closer together than that, instead of sleeping at once: lower latency for a busy server at the cost of some CPU; 0 = always sleep at once.").imm(),
    d("replica-allowed-primaries", Kind::Primaries, "", "Primaries an admin's REPLICAOF may name at run time, as <host>:<port> words (* as the port matches any port); the replicaof directive's primary is always allowed. Empty = REPLICAOF may only name that one. See docs/replication.md.").prot(),
    d("seal-key-file", STR, "", "Key file of sealed files: when set, snapshots and the append-only file are written encrypted and authenticated (ChaCha20-Poly1305) and only sealed files are loaded (`redoubt seal` converts a plain snapshot or AOF directory). One line of 64 hex digits, made by `redoubt seal keygen FILE`; relative to the working directory. The start is refused when it is missing, malformed, or readable by group or others (chmod 600). See docs/persistence.md.").field(F::SealKeyFile).prot(),
];
