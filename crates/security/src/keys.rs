//! Which arguments of a command are keys (with how each is used) and which are channels, as
//! Redis 7.0's `getKeysFromCommandWithSpecs` and `getChannelsFromCommand` find them. Keys
//! come from the command layer's key finder, the one COMMAND GETKEYS uses too.

use bytes::Bytes;
pub(crate) use redoubt_commands::keyfind::command_keys;
use redoubt_commands::spec::{CommandSpec, KeyFlags};

/// Whether a command may have key arguments at all (Redis's `doesCommandHaveKeys`).
pub(crate) fn may_have_keys(spec: &CommandSpec) -> bool {
    spec.key_specs.iter().any(|ks| !ks.flags.contains(KeyFlags::NOT_KEY))
}

/// The channel arguments a command publishes or subscribes to: (position, is a pattern).
/// Unsubscribing needs no permission, as in Redis.
pub(crate) fn command_channels(spec: &CommandSpec, is_sub: bool, args: &[Bytes]) -> ChannelArgs {
    let (start, end, pattern) = match (is_sub, spec.name) {
        (false, "subscribe" | "ssubscribe") => (1, args.len(), false),
        (false, "psubscribe") => (1, args.len(), true),
        (false, "publish" | "spublish") => (1, args.len().min(2), false),
        _ => (0, 0, false),
    };
    ChannelArgs { next: start, end, pattern }
}

/// Iterator over channel positions.
pub(crate) struct ChannelArgs {
    next: usize,
    end: usize,
    pattern: bool,
}

impl Iterator for ChannelArgs {
    type Item = (usize, bool);
    fn next(&mut self) -> Option<(usize, bool)> {
        if self.next >= self.end {
            return None;
        }
        self.next += 1;
        Some((self.next - 1, self.pattern))
    }
}
