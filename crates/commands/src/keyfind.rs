//! Which arguments of a command are keys, and how each is used, as Redis 7.0's
//! `getKeysFromCommandWithSpecs` finds them. Key specs come from the command table; where
//! Redis does not trust the specs (flags that depend on the arguments, keys a spec cannot
//! describe) it calls the command's own key finder, and so does this module: SET and
//! BITFIELD (flags), SORT, SORT_RO and MIGRATE (positions). COMMAND GETKEYS and the gate's
//! permission check both read keys here, so they always agree.

use crate::spec::{CommandSpec, KeyFlags};
use bytes::Bytes;

/// The key arguments of a command: (position in `args`, flags).
pub fn command_keys(spec: &CommandSpec, is_sub: bool, args: &[Bytes]) -> Vec<(usize, KeyFlags)> {
    if !is_sub {
        match spec.name {
            "set" => return set_keys(args),
            "bitfield" => return bitfield_keys(args),
            "sort" => return sort_keys(args),
            "sort_ro" => return first_key(args, KeyFlags::RO | KeyFlags::ACCESS),
            "migrate" => return migrate_keys(args),
            _ => {}
        }
    }
    let mut keys = spec.key_positions(args);
    keys.retain(|(pos, flags)| !flags.contains(KeyFlags::NOT_KEY) && *pos < args.len());
    keys
}

fn first_key(args: &[Bytes], flags: KeyFlags) -> Vec<(usize, KeyFlags)> {
    if args.len() > 1 {
        vec![(1, flags)]
    } else {
        Vec::new()
    }
}

/// Redis's `setGetKeys`: with GET the key is also read.
fn set_keys(args: &[Bytes]) -> Vec<(usize, KeyFlags)> {
    let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
    let flags = if get { KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE } else { KeyFlags::OW | KeyFlags::UPDATE };
    first_key(args, flags)
}

/// Redis's `bitfieldGetKeys`: only GET (and OVERFLOW) operations make it a read.
fn bitfield_keys(args: &[Bytes]) -> Vec<(usize, KeyFlags)> {
    let mut readonly = true;
    let mut i = 2;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            i += 2;
        } else if (a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby")) && remaining >= 3 {
            readonly = false;
            break;
        } else if a.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            i += 1;
        } else {
            readonly = false;
            break;
        }
        i += 1;
    }
    let flags =
        if readonly { KeyFlags::RO | KeyFlags::ACCESS } else { KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::UPDATE };
    first_key(args, flags)
}

/// Redis's `sortGetKeys`: the sorted key, and the last STORE destination.
pub(crate) fn sort_keys(args: &[Bytes]) -> Vec<(usize, KeyFlags)> {
    let mut keys = first_key(args, KeyFlags::RO | KeyFlags::ACCESS);
    if keys.is_empty() {
        return keys;
    }
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push((pos, KeyFlags::OW | KeyFlags::UPDATE));
    }
    keys
}

/// Redis's `migrateGetKeys`: the key argument, or the keys after KEYS.
fn migrate_keys(args: &[Bytes]) -> Vec<(usize, KeyFlags)> {
    let flags = KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::DELETE;
    let (mut first, mut num) = (3usize, 1usize);
    if args.len() > 6 {
        let mut i = 6;
        while i < args.len() {
            let a = &args[i];
            if a.eq_ignore_ascii_case(b"keys") {
                if !args[3].is_empty() {
                    num = 0;
                } else {
                    first = i + 1;
                    num = args.len() - first;
                }
                break;
            }
            if a.eq_ignore_ascii_case(b"auth") {
                i += 1;
            } else if a.eq_ignore_ascii_case(b"auth2") {
                i += 2;
            }
            i += 1;
        }
    }
    (first..first + num).filter(|&p| p < args.len()).map(|p| (p, flags)).collect()
}
