//! Tests of the gate. Expected ACL LIST / GETUSER texts and error replies are literals
//! captured from a real redis-server 7.0.15 given the same rules.

mod audit;
mod check;
mod passwords;
mod registry;
mod rules;
mod throttle;

use crate::AclUser;
use bytes::Bytes;

/// A user named `name` after `rules` (split on spaces), as ACL SETUSER makes it.
pub(crate) fn user_with(name: &str, rules: &str) -> AclUser {
    let mut u = AclUser::new(name, false).unwrap();
    let rules: Vec<&str> = rules.split(' ').filter(|r| !r.is_empty()).collect();
    u.apply_rules(&rules).unwrap();
    u
}

/// ACL SETUSER's error for these rules on a new user.
pub(crate) fn setuser_error(rules: &[&str]) -> String {
    let mut u = AclUser::new("e", false).unwrap();
    let before = u.clone();
    let e = u.apply_rules(rules).unwrap_err();
    assert_eq!(u, before, "a failed ACL SETUSER must change nothing");
    e.message().to_string()
}

/// Arguments from a space-separated command line.
pub(crate) fn args(line: &str) -> Vec<Bytes> {
    line.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
}
