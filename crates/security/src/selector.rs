//! A selector: one set of permissions (commands, key patterns, channel patterns). A user has
//! a root selector and may have more (`(...)` rules); a command runs when any one of them
//! allows all of it. Rules, checks and descriptions follow Redis 7.0's `ACLSetSelector`,
//! `ACLSelectorCheckCmd` and `ACLDescribeSelector`.

use crate::error::RuleError;
use crate::index::{Bits, CmdId, CommandIndex};
use crate::password::has_space_or_nul;
use redoubt_commands::spec::{AclCats, KeyFlags};
use redoubt_store::glob_match;
use std::collections::BTreeMap;

/// A key pattern with the access it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyPattern {
    pub(crate) pattern: String,
    pub(crate) read: bool,
    pub(crate) write: bool,
}

impl KeyPattern {
    /// `~p`, `%R~p` or `%W~p`, as ACL LIST writes it.
    fn render(&self, out: &mut String) {
        out.push_str(match (self.read, self.write) {
            (true, true) => "~",
            (true, false) => "%R~",
            _ => "%W~",
        });
        out.push_str(&self.pattern);
    }
}

/// Access a key needs, from its key-spec flags as Redis 7.0 maps them: `access` needs read;
/// `insert`, `delete` and `update` need write; a key with none of these (EXISTS, TYPE,
/// STRLEN...) only needs to match some pattern.
pub(crate) fn key_access(flags: KeyFlags) -> (bool, bool) {
    let read = flags.contains(KeyFlags::ACCESS);
    let write =
        flags.contains(KeyFlags::INSERT) || flags.contains(KeyFlags::DELETE) || flags.contains(KeyFlags::UPDATE);
    (read, write)
}

/// Why a selector refused a command, with the argument at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Refusal {
    /// Redis's ACL_DENIED_CMD (1).
    Command,
    /// ACL_DENIED_KEY (2), at this argument.
    Key(usize),
    /// ACL_DENIED_CHANNEL (4), at this argument.
    Channel(usize),
}

/// One selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Selector {
    pub(crate) allkeys: bool,
    pub(crate) allchannels: bool,
    /// Redis's SELECTOR_FLAG_ALLCOMMANDS: set by `+@all`, cleared by any removal.
    allcommands: bool,
    /// Redis's reserved "future commands" bit: set by `+@all`, cleared only by `-@all`.
    future: bool,
    commands: Bits,
    /// Allowed first arguments of otherwise refused commands (`+select|0`).
    firstargs: BTreeMap<CmdId, Vec<String>>,
    pub(crate) keys: Vec<KeyPattern>,
    pub(crate) channels: Vec<String>,
}

impl Selector {
    /// A selector that allows nothing; `allchannels` per `acl-pubsub-default`.
    pub(crate) fn new(idx: &CommandIndex, allchannels: bool) -> Selector {
        Selector {
            allkeys: false,
            allchannels,
            allcommands: false,
            future: false,
            commands: Bits::empty(idx.len()),
            firstargs: BTreeMap::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// Applies one rule (Redis's `ACLSetSelector`).
    pub(crate) fn apply(&mut self, op: &str, idx: &CommandIndex) -> Result<(), RuleError> {
        let b = op.as_bytes();
        if op.eq_ignore_ascii_case("allkeys") || op == "~*" {
            self.allkeys = true;
            self.keys.clear();
        } else if op.eq_ignore_ascii_case("resetkeys") {
            self.allkeys = false;
            self.keys.clear();
        } else if op.eq_ignore_ascii_case("allchannels") || op == "&*" {
            self.allchannels = true;
            self.channels.clear();
        } else if op.eq_ignore_ascii_case("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if op.eq_ignore_ascii_case("allcommands") || op.eq_ignore_ascii_case("+@all") {
            self.commands = Bits::full(idx.len());
            self.allcommands = true;
            self.future = true;
            self.firstargs.clear();
        } else if op.eq_ignore_ascii_case("nocommands") || op.eq_ignore_ascii_case("-@all") {
            self.commands = Bits::empty(idx.len());
            self.allcommands = false;
            self.future = false;
            self.firstargs.clear();
        } else if b.first() == Some(&b'~') || b.first() == Some(&b'%') {
            self.add_key_pattern(op)?;
        } else if b.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pat = &op[1..];
            if has_space_or_nul(pat.as_bytes()) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_string());
            }
            self.allchannels = false;
        } else if b.first() == Some(&b'+') && b.get(1) != Some(&b'@') {
            match self.allow_command(&op[1..], idx) {
                // A Redis command Redoubt does not have (or a first-arg of one): nothing to
                // allow (redis_commands.rs).
                Err(RuleError::UnknownCommand) if absent_redis_command(&op[1..], idx, true) => {}
                other => other?,
            }
        } else if b.first() == Some(&b'-') && b.get(1) != Some(&b'@') {
            match idx.lookup(&op[1..]) {
                Some(id) => self.change(id, false, idx),
                // A Redis command Redoubt does not have: nothing to deny.
                None if absent_redis_command(&op[1..], idx, false) => {}
                None => return Err(RuleError::UnknownCommand),
            }
        } else if (b.first() == Some(&b'+') || b.first() == Some(&b'-')) && b.get(1) == Some(&b'@') {
            let c = CommandIndex::category(&op[2..]).ok_or(RuleError::UnknownCommand)?;
            self.change_category(c, b[0] == b'+', idx);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &str) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeyAfterAll);
        }
        let b = op.as_bytes();
        let (mut read, mut write) = (false, false);
        let mut offset = 1;
        if b[0] == b'%' {
            while offset < b.len() {
                match b[offset] {
                    c if c.eq_ignore_ascii_case(&b'R') && !read => read = true,
                    c if c.eq_ignore_ascii_case(&b'W') && !write => write = true,
                    b'~' => {
                        offset += 1;
                        break;
                    }
                    _ => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
            // `%~pattern` grants nothing; patched Redis 7.0.15 refuses it too.
            if !read && !write {
                return Err(RuleError::Syntax);
            }
        } else {
            read = true;
            write = true;
        }
        let pattern = &op[offset..];
        if has_space_or_nul(pattern.as_bytes()) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pattern) {
            Some(k) => {
                k.read |= read;
                k.write |= write;
            }
            None => self.keys.push(KeyPattern { pattern: pattern.to_string(), read, write }),
        }
        self.allkeys = false;
        Ok(())
    }

    /// `+name`, `+container|sub` or `+command|first-arg`.
    fn allow_command(&mut self, body: &str, idx: &CommandIndex) -> Result<(), RuleError> {
        let Some(bar) = body.rfind('|') else {
            let id = idx.lookup(body).ok_or(RuleError::UnknownCommand)?;
            self.change(id, true, idx);
            return Ok(());
        };
        let (name, sub) = (&body[..bar], &body[bar + 1..]);
        let id = idx.lookup(name).ok_or(RuleError::UnknownCommand)?;
        if idx.entries[id].parent.is_some() {
            return Err(RuleError::SubcommandFirstArg);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !idx.entries[id].children.is_empty() {
            let sid = idx.lookup(body).ok_or(RuleError::UnknownCommand)?;
            self.change(sid, true, idx);
        } else {
            let list = self.firstargs.entry(id).or_default();
            if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                list.push(sub.to_string());
            }
        }
        Ok(())
    }

    /// Redis's `ACLChangeSelectorPerm`: a container brings its subcommands along.
    fn change(&mut self, id: CmdId, allow: bool, idx: &CommandIndex) {
        self.commands.set(id, allow);
        for &child in &idx.entries[id].children {
            self.commands.set(child, allow);
        }
        if !allow {
            self.allcommands = false;
        }
        self.firstargs.remove(&id);
    }

    fn change_category(&mut self, c: usize, allow: bool, idx: &CommandIndex) {
        if allow {
            self.commands.union_with(&idx.apply[c]);
        } else {
            self.commands.subtract(&idx.apply[c]);
            if !idx.apply[c].is_empty() {
                self.allcommands = false;
            }
        }
        for id in &idx.tops[c] {
            self.firstargs.remove(id);
        }
    }

    /// Whether the command part allows `id` (with `args` for first-arg rules).
    #[inline]
    pub(crate) fn allows_command(&self, id: Option<CmdId>, no_auth: bool, is_sub: bool, args: &[bytes::Bytes]) -> bool {
        if self.allcommands || no_auth {
            return true;
        }
        let Some(id) = id else { return false };
        if self.commands.get(id) {
            return true;
        }
        let Some(list) = self.firstargs.get(&id) else { return false };
        let Some(arg) = args.get(if is_sub { 2 } else { 1 }) else { return false };
        args.len() >= 2 && list.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(arg))
    }

    /// Redis's `ACLSelectorCheckKey`.
    pub(crate) fn key_allowed(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.allkeys
            || self
                .keys
                .iter()
                .any(|p| (!read || p.read) && (!write || p.write) && glob_match(p.pattern.as_bytes(), key, false))
    }

    /// Redis's `ACLSelectorHasUnrestrictedKeyAccess`: `~*`-like access of that kind.
    pub(crate) fn unrestricted_keys(&self, read: bool, write: bool) -> bool {
        self.allkeys || self.keys.iter().any(|p| (!read || p.read) && (!write || p.write) && p.pattern == "*")
    }

    /// Redis's `ACLCheckChannelAgainstList` (plus `allchannels`): a pattern subscription
    /// must be allowed literally, a channel may match a pattern.
    pub(crate) fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| {
                if is_pattern {
                    p.as_bytes() == channel
                } else {
                    glob_match(p.as_bytes(), channel, false)
                }
            })
    }

    /// ACL GETUSER's `keys` field.
    pub(crate) fn keys_text(&self) -> String {
        if self.allkeys {
            return "~*".to_string();
        }
        let mut s = String::new();
        for (i, k) in self.keys.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            k.render(&mut s);
        }
        s
    }

    /// ACL GETUSER's `channels` field.
    pub(crate) fn channels_text(&self) -> String {
        if self.allchannels {
            return "&*".to_string();
        }
        self.channels.iter().map(|c| format!("&{c}")).collect::<Vec<_>>().join(" ")
    }

    /// Redis's `ACLDescribeSelector`: keys, channels, then command rules.
    pub(crate) fn describe(&self, idx: &CommandIndex) -> String {
        let mut s = String::new();
        if self.allkeys {
            s.push_str("~* ");
        } else {
            for k in &self.keys {
                k.render(&mut s);
                s.push(' ');
            }
        }
        if self.allchannels {
            s.push_str("&* ");
        } else {
            s.push_str("resetchannels ");
            for c in &self.channels {
                s.push('&');
                s.push_str(c);
                s.push(' ');
            }
        }
        s.push_str(&self.describe_commands(idx));
        s
    }

    /// Redis 7.0's `ACLDescribeSelectorCommandRules`: `+@all` or `-@all`, then the categories
    /// that best fit the bitmap (chosen greedily as Redis does), then single commands and
    /// first-args until the description rebuilds exactly this bitmap.
    pub(crate) fn describe_commands(&self, idx: &CommandIndex) -> String {
        let n = idx.len();
        let additive = !self.future;
        let mut rules = String::from(if additive { "-@all " } else { "+@all " });
        let mut fake = if additive { Bits::empty(n) } else { Bits::full(n) };
        let mut temp = self.commands.clone();
        let ncats = AclCats::NAMES.len();
        let mut applied = vec![false; ncats];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0usize);
            for (j, _) in applied.iter().enumerate().filter(|(_, done)| !**done) {
                let on = temp.count_common(&idx.members[j]);
                let off = idx.members[j].count() - on;
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            if additive {
                fake.union_with(&idx.apply[j]);
                temp.subtract(&idx.apply[j]);
            } else {
                fake.subtract(&idx.apply[j]);
                temp.union_with(&idx.apply[j]);
            }
            rules.push(if additive { '+' } else { '-' });
            rules.push_str(AclCats::NAMES[j].1);
            rules.push(' ');
            applied[j] = true;
        }
        for (id, entry) in idx.entries.iter().enumerate() {
            if entry.parent.is_some() {
                continue;
            }
            self.fix_single(id, idx, &mut fake, &mut rules);
            for &child in &entry.children {
                self.fix_single(child, idx, &mut fake, &mut rules);
            }
            if !self.commands.get(id) {
                for arg in self.firstargs.get(&id).into_iter().flatten() {
                    rules.push('+');
                    rules.push_str(&entry.fullname);
                    rules.push('|');
                    rules.push_str(arg);
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        debug_assert_eq!(fake, self.commands, "ACL description does not rebuild the bitmap: {rules}");
        rules
    }

    fn fix_single(&self, id: CmdId, idx: &CommandIndex, fake: &mut Bits, rules: &mut String) {
        let user = self.commands.get(id);
        if user == fake.get(id) {
            return;
        }
        rules.push(if user { '+' } else { '-' });
        rules.push_str(&idx.entries[id].fullname);
        rules.push(' ');
        fake.set(id, user);
        for &child in &idx.entries[id].children {
            fake.set(child, user);
        }
    }

    /// Checks one command against this selector (Redis's `ACLSelectorCheckCmd`): the command,
    /// then every key (computed once per check into `keys`), then every channel.
    pub(crate) fn check(
        &self,
        cmd: &crate::user::CheckedCommand<'_>,
        keys: &mut Option<Vec<(usize, KeyFlags)>>,
    ) -> Result<(), Refusal> {
        if !self.allows_command(cmd.id, cmd.no_auth, cmd.is_sub, cmd.args) {
            return Err(Refusal::Command);
        }
        if !self.allkeys && crate::keys::may_have_keys(cmd.spec) {
            let keys = keys.get_or_insert_with(|| crate::keys::command_keys(cmd.spec, cmd.is_sub, cmd.args));
            for &(pos, flags) in keys.iter() {
                let (read, write) = key_access(flags);
                if !self.key_allowed(&cmd.args[pos], read, write) {
                    return Err(Refusal::Key(pos));
                }
            }
        }
        if !self.allchannels {
            for (pos, is_pattern) in crate::keys::command_channels(cmd.spec, cmd.is_sub, cmd.args) {
                if !self.channel_allowed(&cmd.args[pos], is_pattern) {
                    return Err(Refusal::Channel(pos));
                }
            }
        }
        Ok(())
    }
}

/// Whether a `+`/`-` rule names a Redis 7.0.15 command (or subcommand) that Redoubt does not
/// have, so that Redis's ACL lines load: `-debug`, `+eval`, `-memory|doctor`, and with
/// `first_arg` (`+` rules) `+debug|object` too. Such rules have no effect.
fn absent_redis_command(name: &str, idx: &CommandIndex, first_arg: bool) -> bool {
    use crate::redis_commands::is_redis_command;
    if idx.lookup(name).is_none() && is_redis_command(name) {
        return true;
    }
    first_arg
        && name.split_once('|').is_some_and(|(cmd, arg)| {
            !arg.is_empty() && !arg.contains('|') && idx.lookup(cmd).is_none() && is_redis_command(cmd)
        })
}
