//! The bridge between table entries and the typed fields of [`Config`].
//!
//! A directive the server reads through a typed field has a [`Field`] in the table. Its value
//! lives only in that field: CONFIG GET reads the field and CONFIG SET writes it, so the field
//! and what clients see can never disagree. Values reaching [`write`] were already validated
//! against the table's bounds, so the conversions below never lose anything; they saturate
//! rather than panic all the same.

use std::path::PathBuf;

use crate::config::Config;
use crate::types::{LogLevel, MaxmemoryPolicy, Secret};
use crate::value::Value;

/// A typed field of [`Config`] that backs a directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Bind,
    Port,
    Unixsocket,
    Unixsocketperm,
    Maxclients,
    Timeout,
    TcpKeepalive,
    TcpBacklog,
    Databases,
    Hz,
    ProtoMaxBulkLen,
    ClientQueryBufferLimit,
    Loglevel,
    Logfile,
    Dir,
    Dbfilename,
    Requirepass,
    RequirepassFile,
    Masterauth,
    MasterauthFile,
    ProtectedMode,
    Maxmemory,
    MaxmemoryPolicy,
    AllowFrom,
    AuditLog,
    SealKeyFile,
    InsecureNoAuth,
    UnauthenticatedTimeout,
    MaxclientsPerSource,
    AuthFreeFailures,
    AuthBackoffBaseMs,
    AuthBackoffMaxMs,
    AuthLockoutFailures,
    AuthLockoutSeconds,
    AuthLockoutMaxSeconds,
}

/// Redis's bounds for `hz`: values outside are accepted and clamped.
const HZ_MIN: u32 = 1;
const HZ_MAX: u32 = 500;

fn int(v: impl Into<i128>) -> Value {
    Value::Int(v.into())
}

fn text(s: &str) -> Value {
    Value::Str(s.to_string())
}

fn path_text(p: &Option<PathBuf>) -> Value {
    text(&p.as_ref().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default())
}

fn secret_text(s: &Option<Secret>) -> Value {
    text(s.as_ref().map(Secret::expose).unwrap_or(""))
}

/// The field's value, as the table's kind for it.
pub(crate) fn read(cfg: &Config, field: Field) -> Value {
    match field {
        Field::Bind => Value::Words(cfg.bind.clone()),
        Field::Port => int(cfg.port),
        Field::Unixsocket => path_text(&cfg.unixsocket),
        Field::Unixsocketperm => int(cfg.unixsocketperm.unwrap_or(0)),
        Field::Maxclients => int(cfg.maxclients),
        Field::Timeout => int(cfg.timeout),
        Field::TcpKeepalive => int(cfg.tcp_keepalive),
        Field::TcpBacklog => int(cfg.tcp_backlog),
        Field::Databases => int(cfg.databases as u64),
        Field::Hz => int(cfg.hz),
        Field::ProtoMaxBulkLen => int(cfg.proto_max_bulk_len as u64),
        Field::ClientQueryBufferLimit => int(cfg.client_query_buffer_limit as u64),
        Field::Loglevel => Value::Enum(cfg.loglevel as u32),
        Field::Logfile => path_text(&cfg.logfile),
        Field::Dir => text(&cfg.dir.to_string_lossy()),
        Field::Dbfilename => text(&cfg.dbfilename),
        Field::Requirepass => secret_text(&cfg.requirepass),
        Field::RequirepassFile => path_text(&cfg.requirepass_file),
        Field::Masterauth => secret_text(&cfg.masterauth),
        Field::MasterauthFile => path_text(&cfg.masterauth_file),
        Field::ProtectedMode => Value::Bool(cfg.protected_mode),
        Field::Maxmemory => int(cfg.maxmemory),
        Field::MaxmemoryPolicy => Value::Enum(cfg.maxmemory_policy as u32),
        Field::AllowFrom => Value::Words(cfg.allow_from.clone()),
        Field::AuditLog => path_text(&cfg.audit_log),
        Field::SealKeyFile => path_text(&cfg.seal_key_file),
        Field::InsecureNoAuth => Value::Bool(cfg.insecure_no_auth),
        Field::UnauthenticatedTimeout => int(cfg.unauthenticated_timeout),
        Field::MaxclientsPerSource => int(cfg.maxclients_per_source),
        Field::AuthFreeFailures => int(cfg.auth_free_failures),
        Field::AuthBackoffBaseMs => int(cfg.auth_backoff_base_ms),
        Field::AuthBackoffMaxMs => int(cfg.auth_backoff_max_ms),
        Field::AuthLockoutFailures => int(cfg.auth_lockout_failures),
        Field::AuthLockoutSeconds => int(cfg.auth_lockout_seconds),
        Field::AuthLockoutMaxSeconds => int(cfg.auth_lockout_max_seconds),
    }
}

fn sat<T: TryFrom<i128> + Bounded>(v: i128) -> T {
    T::try_from(v).unwrap_or(if v < 0 { T::MIN } else { T::MAX })
}

/// Numeric types [`sat`] can clamp into.
trait Bounded: Sized {
    const MIN: Self;
    const MAX: Self;
}

macro_rules! bounded {
    ($($t:ty),*) => { $(impl Bounded for $t { const MIN: Self = <$t>::MIN; const MAX: Self = <$t>::MAX; })* };
}
bounded!(u16, u32, u64, usize);

fn opt_path(s: String) -> Option<PathBuf> {
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// Stores a validated value into the field.
pub(crate) fn write(cfg: &mut Config, field: Field, value: Value) {
    match (field, value) {
        (Field::Bind, Value::Words(w)) => cfg.bind = w,
        (Field::Port, Value::Int(v)) => cfg.port = sat(v),
        (Field::Unixsocket, Value::Str(s)) => cfg.unixsocket = opt_path(s),
        (Field::Unixsocketperm, Value::Int(v)) => cfg.unixsocketperm = (v != 0).then(|| sat(v)),
        (Field::Maxclients, Value::Int(v)) => cfg.maxclients = sat(v),
        (Field::Timeout, Value::Int(v)) => cfg.timeout = sat(v),
        (Field::TcpKeepalive, Value::Int(v)) => cfg.tcp_keepalive = sat(v),
        (Field::TcpBacklog, Value::Int(v)) => cfg.tcp_backlog = sat(v),
        (Field::Databases, Value::Int(v)) => cfg.databases = sat(v),
        (Field::Hz, Value::Int(v)) => cfg.hz = sat::<u32>(v).clamp(HZ_MIN, HZ_MAX),
        (Field::ProtoMaxBulkLen, Value::Int(v)) => cfg.proto_max_bulk_len = sat(v),
        (Field::ClientQueryBufferLimit, Value::Int(v)) => cfg.client_query_buffer_limit = sat(v),
        (Field::Loglevel, Value::Enum(v)) => cfg.loglevel = LogLevel::from_index(v),
        (Field::Logfile, Value::Str(s)) => cfg.logfile = opt_path(s),
        (Field::Dir, Value::Str(s)) => cfg.dir = PathBuf::from(s),
        (Field::Dbfilename, Value::Str(s)) => cfg.dbfilename = s,
        (Field::Requirepass, Value::Str(s)) => {
            cfg.requirepass = (!s.is_empty()).then(|| Secret::new(s));
            cfg.requirepass_file = None;
        }
        (Field::RequirepassFile, Value::Str(s)) => cfg.requirepass_file = opt_path(s),
        (Field::Masterauth, Value::Str(s)) => {
            cfg.masterauth = (!s.is_empty()).then(|| Secret::new(s));
            cfg.masterauth_file = None;
        }
        (Field::MasterauthFile, Value::Str(s)) => cfg.masterauth_file = opt_path(s),
        (Field::ProtectedMode, Value::Bool(b)) => cfg.protected_mode = b,
        (Field::Maxmemory, Value::Int(v)) => cfg.maxmemory = sat(v),
        (Field::MaxmemoryPolicy, Value::Enum(v)) => cfg.maxmemory_policy = MaxmemoryPolicy::from_index(v),
        (Field::AllowFrom, Value::Words(w)) => cfg.allow_from = w,
        (Field::AuditLog, Value::Str(s)) => cfg.audit_log = opt_path(s),
        (Field::SealKeyFile, Value::Str(s)) => cfg.seal_key_file = opt_path(s),
        (Field::InsecureNoAuth, Value::Bool(b)) => cfg.insecure_no_auth = b,
        (Field::UnauthenticatedTimeout, Value::Int(v)) => cfg.unauthenticated_timeout = sat(v),
        (Field::MaxclientsPerSource, Value::Int(v)) => cfg.maxclients_per_source = sat(v),
        (Field::AuthFreeFailures, Value::Int(v)) => cfg.auth_free_failures = sat(v),
        (Field::AuthBackoffBaseMs, Value::Int(v)) => cfg.auth_backoff_base_ms = sat(v),
        (Field::AuthBackoffMaxMs, Value::Int(v)) => cfg.auth_backoff_max_ms = sat(v),
        (Field::AuthLockoutFailures, Value::Int(v)) => cfg.auth_lockout_failures = sat(v),
        (Field::AuthLockoutSeconds, Value::Int(v)) => cfg.auth_lockout_seconds = sat(v),
        (Field::AuthLockoutMaxSeconds, Value::Int(v)) => cfg.auth_lockout_max_seconds = sat(v),
        // The table pairs each field with the kind that produces its variant; a mismatch is a
        // table bug caught by the tests, and leaves the field as it was.
        (field, value) => debug_assert!(false, "{field:?} cannot hold {value:?}"),
    }
}
