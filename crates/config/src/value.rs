//! Directive values: reading them from words as Redis 7.0 does, and rendering them as
//! CONFIG GET shows them.
//!
//! Error texts are Redis's own (`argument must be a memory value`, `argument(s) must be one of
//! the following: ...`), because clients and Redis's test suite match on them.

use crate::directives::{Directive, Kind, Unit};

/// A directive's value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// No value: a directive like `include`, or one whose value lives in a typed field.
    None,
    /// `yes`/`no`.
    Bool(bool),
    /// Any integer kind; a negative value of a percent kind is a percentage.
    Int(i128),
    /// Text; empty when unset.
    Str(String),
    /// An enum value, or or-ed flags.
    Enum(u32),
    /// A list of words (`bind`).
    Words(Vec<String>),
    /// `save`: (seconds, changes) pairs.
    Save(Vec<(i64, i64)>),
    /// `client-output-buffer-limit` for the normal, replica and pubsub classes.
    Obuf([ObufLimit; 3]),
    /// `oom-score-adj-values`.
    Oom([i64; 3]),
    /// `notify-keyspace-events` flags.
    Notify(u32),
    /// `replicaof`: the primary, or `None` for `no one`.
    ReplicaOf(Option<(String, u16)>),
    /// `latency-tracking-info-percentiles`.
    Percentiles(Vec<f64>),
}

/// Output buffer limits of one client class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct ObufLimit {
    pub(crate) hard: u64,
    pub(crate) soft: u64,
    pub(crate) soft_seconds: i64,
}

/// Client classes of `client-output-buffer-limit`, in Redis's rendering order.
const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Redis's `string2ll`: an optional `-`, then digits without leading zeros; no blanks, no `+`.
pub(crate) fn string2ll(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let ok = s == "0"
        || (digits.as_bytes().first().is_some_and(|b| (b'1'..=b'9').contains(b))
            && digits.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

/// Redis's `memtoull`: digits with an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any
/// case; k = 1000, kb = 1024). Unlike Redis, an overflowing product is refused, not wrapped.
pub(crate) fn memory(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// C's `strtoll(s, &end, 8)` with `*end == '\0'` and no overflow: blanks, a sign, octal digits.
fn octal(s: &str) -> Option<i128> {
    if s.is_empty() {
        return Some(0); // strtoll("") consumes nothing and leaves end at the terminator
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.starts_with(['+', '-']) {
        return None; // from_str_radix would take a second sign
    }
    let v = i64::from_str_radix(digits, 8).ok()?;
    Some(if neg { -i128::from(v) } else { i128::from(v) })
}

/// A whole-string `strtoll(s, &end, 10)` as Redis uses for `save` and buffer-limit seconds.
fn c_int(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// Parses an integer of the given unit and bounds, with Redis's error texts.
pub(crate) fn parse_int(s: &str, min: i128, max: i128, unit: Unit) -> Result<i128, String> {
    let parsed = match unit {
        Unit::Plain => string2ll(s).map(i128::from),
        Unit::Memory => memory(s).map(i128::from),
        Unit::MemoryOrPercent => memory(s).map(i128::from).or_else(|| {
            let n = s.strip_suffix('%').filter(|_| s.len() > 1).and_then(string2ll)?;
            (n >= 0).then(|| -i128::from(n))
        }),
        Unit::Octal => octal(s),
    };
    let v = parsed.ok_or(match unit {
        Unit::Plain => "argument couldn't be parsed into an integer",
        Unit::Memory => "argument must be a memory value",
        Unit::MemoryOrPercent => "argument must be a memory or percent value",
        Unit::Octal => "argument couldn't be parsed as an octal number",
    })?;
    if unit == Unit::MemoryOrPercent && v < 0 {
        if v < min {
            return Err(format!("percentage argument must be less or equal to {}", -min));
        }
    } else if v < min || v > max {
        return Err(if unit == Unit::Octal {
            format!("argument must be between {min:o} and {max:o} inclusive")
        } else {
            format!("argument must be between {min} and {max} inclusive")
        });
    }
    Ok(v)
}

fn parse_bool(s: &str) -> Result<bool, String> {
    if s.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if s.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

fn parse_enum(choices: &[(&str, u32)], args: &[String], flags: bool) -> Result<u32, String> {
    let fail = || {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        format!("argument(s) must be one of the following: {}", names.join(", "))
    };
    if args.is_empty() || (!flags && args.len() != 1) {
        return Err(fail());
    }
    let mut value = 0;
    for arg in args {
        let mut matched = false;
        for (name, v) in choices {
            if arg.eq_ignore_ascii_case(name) {
                value |= v;
                matched = true;
            }
        }
        if !matched {
            return Err(fail());
        }
    }
    Ok(value)
}

/// Redis's `configEnumGetName`: the first exact match, or for flags the names that cover it.
fn render_enum(choices: &[(&str, u32)], value: u32, flags: bool) -> String {
    let mut names = Vec::new();
    let mut unmatched = value;
    for (name, v) in choices {
        if *v == value {
            return name.to_string();
        }
        if flags && *v != 0 && *v == unmatched & v {
            names.push(*name);
            unmatched &= !v;
        }
    }
    if names.is_empty() || unmatched != 0 {
        "unknown".into()
    } else {
        names.join(" ")
    }
}

/// A single empty word stands for "no words" (`save ""`, `bind ""`).
fn words_or_none(args: &[String]) -> &[String] {
    match args {
        [only] if only.is_empty() => &[],
        _ => args,
    }
}

fn parse_save(args: &[String]) -> Result<Value, String> {
    const BAD: &str = "Invalid save parameters";
    let args = words_or_none(args);
    if args.len() % 2 == 1 {
        return Err(BAD.into());
    }
    let mut pairs = Vec::new();
    for pair in args.chunks(2) {
        let seconds = c_int(&pair[0]).filter(|&s| s >= 1).ok_or(BAD)?;
        let changes = c_int(&pair[1]).filter(|&c| c >= 0).ok_or(BAD)?;
        pairs.push((seconds, changes));
    }
    Ok(Value::Save(pairs))
}

/// Redis's CONFIG_BINDADDR_MAX.
const MAX_BIND: usize = 16;

fn parse_bind(args: &[String]) -> Result<Value, String> {
    if args.len() > MAX_BIND {
        return Err("Too many bind addresses specified.".into());
    }
    let args = words_or_none(args);
    if args.is_empty() {
        // Redis binds every interface when the list is empty; Redoubt refuses instead.
        return Err("at least one address is needed (use 'port 0' to turn TCP off)".into());
    }
    Ok(Value::Words(args.to_vec()))
}

fn parse_obuf(args: &[String], prev: &Value) -> Result<Value, String> {
    if args.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = match prev {
        Value::Obuf(l) => *l,
        _ => [ObufLimit::default(); 3],
    };
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard = memory(&group[1]).ok_or(bad)?;
        let soft = memory(&group[2]).ok_or(bad)?;
        let soft_seconds = c_int(&group[3]).filter(|&s| s >= 0).ok_or(bad)?;
        limits[class] = ObufLimit { hard, soft, soft_seconds };
    }
    Ok(Value::Obuf(limits))
}

fn parse_oom(args: &[String]) -> Result<Value, String> {
    let [a, b, c] = args else {
        return Err("wrong number of arguments".into());
    };
    let one = |s: &String| {
        c_int(s)
            .filter(|v| (-2000..=2000).contains(v))
            .ok_or_else(|| "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".to_string())
    };
    Ok(Value::Oom([one(a)?, one(b)?, one(c)?]))
}

/// Keyspace event classes: (letter, flag). `A` is every class but `K`, `E`, `m` and `n`.
const NOTIFY: [(char, u32); 14] = [
    ('K', 1 << 0),
    ('E', 1 << 1),
    ('g', 1 << 2),
    ('$', 1 << 3),
    ('l', 1 << 4),
    ('s', 1 << 5),
    ('h', 1 << 6),
    ('z', 1 << 7),
    ('x', 1 << 8),
    ('e', 1 << 9),
    ('t', 1 << 10),
    ('m', 1 << 11),
    ('d', 1 << 13),
    ('n', 1 << 14),
];
const NOTIFY_ALL: u32 =
    (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13);

fn notify_flag(c: char) -> Option<u32> {
    NOTIFY.iter().find(|(l, _)| *l == c).map(|(_, f)| *f)
}

fn parse_notify(s: &str) -> Result<Value, String> {
    let mut flags = 0;
    for c in s.chars() {
        flags |= match c {
            'A' => NOTIFY_ALL,
            c => notify_flag(c).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?,
        };
    }
    Ok(Value::Notify(flags))
}

/// Redis's `keyspaceEventsFlagsToString`.
fn render_notify(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for c in ['g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't', 'd', 'n'] {
            if notify_flag(c).is_some_and(|f| flags & f != 0) {
                out.push(c);
            }
        }
    }
    for c in ['K', 'E', 'm'] {
        if notify_flag(c).is_some_and(|f| flags & f != 0) {
            out.push(c);
        }
    }
    out
}

fn parse_replicaof(args: &[String]) -> Result<Value, String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(Value::ReplicaOf(None));
    }
    let port = c_int(port).and_then(|p| u16::try_from(p).ok()).ok_or("Invalid master port")?;
    Ok(Value::ReplicaOf(Some((host.clone(), port))))
}

fn parse_percentiles(args: &[String]) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in words_or_none(args) {
        let p: f64 = arg
            .parse()
            .ok()
            .filter(|p: &f64| !p.is_nan())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
        }
        out.push(p);
    }
    Ok(Value::Percentiles(out))
}

/// `allow-from`: every network of the words (split again on commas and blanks), each checked
/// with [`check_network`]; a single empty word is the empty list.
fn parse_allow_from(args: &[String]) -> Result<Value, String> {
    if args.is_empty() {
        return Err("wrong number of arguments".into());
    }
    let args = words_or_none(args);
    let mut networks = Vec::new();
    for arg in args {
        for item in arg.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
            check_network(item)?;
            networks.push(item.to_string());
        }
    }
    if !args.is_empty() && networks.is_empty() {
        return Err("needs at least one network, such as 10.0.0.0/8 or 2001:db8::/32".into());
    }
    Ok(Value::Words(networks))
}

/// `replica-allowed-primaries`: `host:port` words (`*` for any port); `""` for none.
fn parse_primaries(args: &[String]) -> Result<Value, String> {
    let mut primaries = Vec::new();
    for item in words_or_none(args).iter().flat_map(|a| a.split_whitespace()) {
        let Some((host, port)) = item.rsplit_once(':') else {
            return Err(format!("'{item}' is not <host>:<port> (the port may be *)"));
        };
        if host.is_empty() || (port != "*" && port.parse::<u16>().map_or(true, |p| p == 0)) {
            return Err(format!("'{item}' is not <host>:<port> (the port may be *)"));
        }
        primaries.push(item.to_string());
    }
    Ok(Value::Words(primaries))
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// One network of `allow-from`: an IPv4 or IPv6 address with an optional `/prefix`. The rules
/// are those of `redoubt_security::SourceAllowlist` (which the server builds from the same
/// words): a bare address is one host; an IPv4-mapped IPv6 network with a prefix of at least
/// 96 is an IPv4 network; bits set after the prefix are refused (a typo, not a wider network).
pub(crate) fn check_network(item: &str) -> Result<(), String> {
    let bad = |why: String| format!("'{item}' {why}");
    let (addr, prefix) = match item.split_once('/') {
        Some((a, p)) => {
            let ok = !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
            let p: u8 = p.parse().ok().filter(|_| ok).ok_or_else(|| bad("has an invalid prefix length".into()))?;
            (a, Some(p))
        }
        None => (item, None),
    };
    let ip: std::net::IpAddr = addr.parse().map_err(|_| bad("is not an IPv4 or IPv6 address or network".into()))?;
    let v4_bits = |v4: std::net::Ipv4Addr, p: u8| {
        let bits = u32::from(v4);
        if bits & !mask32(p) != 0 {
            let net = std::net::Ipv4Addr::from(bits & mask32(p));
            return Err(bad(format!("has bits set after the /{p} prefix (did you mean {net}/{p}, or {v4}/32?)")));
        }
        Ok(())
    };
    match ip {
        std::net::IpAddr::V4(v4) => {
            let p = prefix.unwrap_or(32);
            if p > 32 {
                return Err(bad("has a prefix longer than 32".into()));
            }
            v4_bits(v4, p)
        }
        std::net::IpAddr::V6(v6) => {
            let p = prefix.unwrap_or(128);
            if p > 128 {
                return Err(bad("has a prefix longer than 128".into()));
            }
            match v6.to_ipv4_mapped() {
                Some(v4) if p >= 96 => v4_bits(v4, p - 96),
                _ => {
                    let bits = u128::from(v6);
                    if bits & !mask128(p) != 0 {
                        let net = std::net::Ipv6Addr::from(bits & mask128(p));
                        return Err(bad(format!("has bits set after the /{p} prefix (did you mean {net}/{p}?)")));
                    }
                    Ok(())
                }
            }
        }
    }
}

/// `%f` with trailing zeros (and a trailing point) removed, as Redis's `trimDoubleString`.
fn render_double(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads a directive's value from its words. `prev` is the current value, for kinds that
/// change only part of it (`client-output-buffer-limit`).
pub(crate) fn parse(d: &Directive, args: &[String], prev: &Value) -> Result<Value, String> {
    let first = args.first().map(String::as_str).unwrap_or("");
    let value = match d.kind {
        Kind::Bool => Value::Bool(parse_bool(first)?),
        Kind::Int { min, max, unit } => Value::Int(parse_int(first, min, max, unit)?),
        Kind::Str | Kind::SecretFile(_) => Value::Str(first.to_string()),
        Kind::Enum(choices) => Value::Enum(parse_enum(choices, args, false)?),
        Kind::Flags(choices) => Value::Enum(parse_enum(choices, args, true)?),
        Kind::Save => parse_save(args)?,
        Kind::Bind => parse_bind(args)?,
        Kind::ClientOutputBufferLimit => parse_obuf(args, prev)?,
        Kind::OomScoreAdjValues => parse_oom(args)?,
        Kind::NotifyKeyspaceEvents => parse_notify(first)?,
        Kind::ReplicaOf => parse_replicaof(args)?,
        Kind::Percentiles => parse_percentiles(args)?,
        Kind::AllowFrom => parse_allow_from(args)?,
        Kind::Primaries => parse_primaries(args)?,
        Kind::Include | Kind::RenameCommand | Kind::User | Kind::LoadModule | Kind::Sentinel | Kind::Removed => {
            return Err("this directive has no value".into())
        }
    };
    if let Some(check) = d.check {
        check(&value)?;
    }
    Ok(value)
}

/// Renders a value as CONFIG GET does: bytes for memory, `yes`/`no`, lowercase enum names,
/// octal digits for octal kinds, words joined by spaces.
pub(crate) fn render(d: &Directive, value: &Value) -> String {
    match value {
        Value::None => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Int(v) => match d.kind {
            Kind::Int { unit: Unit::MemoryOrPercent, .. } if *v < 0 => format!("{}%", -v),
            Kind::Int { unit: Unit::Octal, .. } => format!("{v:o}"),
            _ => v.to_string(),
        },
        Value::Str(s) => s.clone(),
        Value::Enum(v) => match d.kind {
            Kind::Enum(choices) => render_enum(choices, *v, false),
            Kind::Flags(choices) => render_enum(choices, *v, true),
            _ => v.to_string(),
        },
        Value::Words(w) => w.join(" "),
        Value::Save(pairs) => {
            let parts: Vec<String> = pairs.iter().map(|(s, c)| format!("{s} {c}")).collect();
            parts.join(" ")
        }
        Value::Obuf(limits) => {
            let parts: Vec<String> = OBUF_CLASSES
                .iter()
                .zip(limits)
                .map(|(class, l)| format!("{class} {} {} {}", l.hard, l.soft, l.soft_seconds))
                .collect();
            parts.join(" ")
        }
        Value::Oom(v) => format!("{} {} {}", v[0], v[1], v[2]),
        Value::Notify(flags) => render_notify(*flags),
        Value::ReplicaOf(None) => String::new(),
        Value::ReplicaOf(Some((host, port))) => format!("{host} {port}"),
        Value::Percentiles(p) => {
            let parts: Vec<String> = p.iter().map(|v| render_double(*v)).collect();
            parts.join(" ")
        }
    }
}

/// `dbfilename` must be a bare file name (T9: no writing elsewhere through it).
pub(crate) fn check_dbfilename(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::Str(s) if s.contains(['/', '\\']) => Err("dbfilename can't be a path, just a filename"),
        _ => Ok(()),
    }
}

/// `tls-protocols`: TLSv1.2 and TLSv1.3 only (empty = both); older versions are refused, not
/// silently dropped.
pub(crate) fn check_tls_protocols(v: &Value) -> Result<(), &'static str> {
    let known = |w: &str| w.eq_ignore_ascii_case("TLSv1.2") || w.eq_ignore_ascii_case("TLSv1.3");
    match v {
        Value::Str(s) if !s.split_whitespace().all(known) => {
            Err("TLSv1.2 and TLSv1.3 only: older TLS and SSL versions are not supported")
        }
        _ => Ok(()),
    }
}

/// `appendfilename` must be a non-empty bare file name.
pub(crate) fn check_appendfilename(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::Str(s) if s.is_empty() => Err("appendfilename can't be empty"),
        Value::Str(s) if s.contains(['/', '\\']) => Err("appendfilename can't be a path, just a filename"),
        _ => Ok(()),
    }
}

/// `appenddirname` must be a non-empty bare directory name.
pub(crate) fn check_appenddirname(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::Str(s) if s.is_empty() => Err("appenddirname can't be empty"),
        Value::Str(s) if s.contains(['/', '\\']) => Err("appenddirname can't be a path, just a dirname"),
        _ => Ok(()),
    }
}

/// `shutdown-on-sig*`: `save` and `nosave` exclude each other.
pub(crate) fn check_shutdown_flags(v: &Value) -> Result<(), &'static str> {
    match v {
        Value::Enum(f) if f & 1 != 0 && f & 2 != 0 => {
            Err("shutdown options SAVE and NOSAVE can't be used simultaneously")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_integers_follow_string2ll() {
        assert_eq!(string2ll("0"), Some(0));
        assert_eq!(string2ll("-12"), Some(-12));
        assert_eq!(string2ll("9223372036854775807"), Some(i64::MAX));
        for bad in ["", "-", "-0", "007", "+1", " 1", "1 ", "1k", "99999999999999999999"] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_units() {
        assert_eq!(memory("100"), Some(100));
        assert_eq!(memory("100b"), Some(100));
        assert_eq!(memory("100k"), Some(100_000));
        assert_eq!(memory("100KB"), Some(102_400));
        assert_eq!(memory("512mb"), Some(512 << 20));
        assert_eq!(memory("5m"), Some(5_000_000));
        assert_eq!(memory("1g"), Some(1_000_000_000));
        assert_eq!(memory("1Gb"), Some(1 << 30));
        for bad in ["", "-1", "1tb", "1.5gb", "gb", "1 gb", "18446744073709551615kb"] {
            assert_eq!(memory(bad), None, "{bad:?}");
        }
        assert_eq!(memory("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn octal_numbers() {
        assert_eq!(octal("700"), Some(0o700));
        assert_eq!(octal("0777"), Some(0o777));
        assert_eq!(octal(""), Some(0));
        assert_eq!(octal("-1"), Some(-1));
        assert_eq!(octal("8"), None);
        assert_eq!(octal("--1"), None);
    }

    #[test]
    fn int_bounds_and_messages() {
        assert_eq!(parse_int("5", 0, 10, Unit::Plain), Ok(5));
        assert_eq!(parse_int("11", 0, 10, Unit::Plain).unwrap_err(), "argument must be between 0 and 10 inclusive");
        assert_eq!(parse_int("x", 0, 10, Unit::Plain).unwrap_err(), "argument couldn't be parsed into an integer");
        assert_eq!(
            parse_int("1000", 0, 0o777, Unit::Octal).unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(parse_int("50%", -100, i64::MAX.into(), Unit::MemoryOrPercent), Ok(-50));
        assert_eq!(
            parse_int("101%", -100, 10, Unit::MemoryOrPercent).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            parse_int("x%", -100, 10, Unit::MemoryOrPercent).unwrap_err(),
            "argument must be a memory or percent value"
        );
    }

    #[test]
    fn enums_render_like_redis() {
        let sig = [("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];
        assert_eq!(render_enum(&sig, 0, true), "default");
        assert_eq!(render_enum(&sig, 1 | 4, true), "save now");
        assert_eq!(render_enum(&sig, 16, true), "unknown");
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_enum(&sig, &words(&["SAVE", "now"]), true), Ok(5));
        assert!(parse_enum(&sig, &words(&["save", "now"]), false).is_err());
    }

    #[test]
    fn keyspace_events() {
        let flags = |s| match parse_notify(s).unwrap() {
            Value::Notify(f) => f,
            _ => unreachable!(),
        };
        assert_eq!(render_notify(flags("KEA")), "AKE");
        assert_eq!(render_notify(flags("Ex$")), "$xE");
        assert_eq!(render_notify(flags("g$lshzxetdKE")), "AKE");
        assert_eq!(render_notify(flags("")), "");
        assert!(parse_notify("Q").is_err());
    }

    #[test]
    fn networks() {
        for ok in [
            "10.0.0.0/8",
            "192.0.2.7",
            "192.0.2.7/32",
            "0.0.0.0/0",
            "::/0",
            "2001:db8::/32",
            "2001:db8::1",
            "::ffff:10.0.0.0/104",
            "::1/128",
        ] {
            assert_eq!(check_network(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_network("10.0.0.1/8").unwrap_err(),
            "'10.0.0.1/8' has bits set after the /8 prefix (did you mean 10.0.0.0/8, or 10.0.0.1/32?)"
        );
        assert_eq!(
            check_network("2001:db8::1/32").unwrap_err(),
            "'2001:db8::1/32' has bits set after the /32 prefix (did you mean 2001:db8::/32?)"
        );
        assert_eq!(check_network("10.0.0.0/33").unwrap_err(), "'10.0.0.0/33' has a prefix longer than 32");
        assert_eq!(check_network("::/129").unwrap_err(), "'::/129' has a prefix longer than 128");
        for bad in
            ["10.0.0.0/x", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "example.com", "fe80::1%eth0", "10.0.0.0/0008"]
        {
            assert!(check_network(bad).is_err(), "{bad}");
        }
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_allow_from(&words(&["10.0.0.0/8,192.0.2.7", "::1"])),
            Ok(Value::Words(words(&["10.0.0.0/8", "192.0.2.7", "::1"])))
        );
        assert_eq!(parse_allow_from(&words(&[""])), Ok(Value::Words(Vec::new())));
        assert!(parse_allow_from(&words(&[" , "])).is_err());
    }

    #[test]
    fn allowed_primaries_are_host_and_port_or_star() {
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_primaries(&words(&["10.0.0.2:6379", "db.internal:*"])),
            Ok(Value::Words(words(&["10.0.0.2:6379", "db.internal:*"])))
        );
        assert_eq!(parse_primaries(&words(&[""])), Ok(Value::Words(Vec::new())));
        for bad in ["10.0.0.2", ":6379", "h:0", "h:70000", "h:x"] {
            assert!(parse_primaries(&words(&[bad])).is_err(), "{bad}");
        }
    }

    #[test]
    fn doubles() {
        assert_eq!(render_double(50.0), "50");
        assert_eq!(render_double(99.9), "99.9");
        assert_eq!(render_double(0.0), "0");
    }
}
