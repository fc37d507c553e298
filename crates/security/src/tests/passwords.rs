//! Passwords: SHA-256 as Redis, argon2id, constant-time comparison, GENPASS, `redoubt passwd`.

use super::user_with;
use crate::password::StoredPassword;
use crate::{argon2id_hash, constant_time_eq, genpass, passwd, sha256_hex, AclUser, RuleError};

#[test]
fn sha256_matches_redis() {
    // `ACL SETUSER u >pw` on redis-server 7.0.15 stores this hash.
    assert_eq!(sha256_hex(b"pw"), "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
    let u = user_with("u", "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
    assert!(u.verify_password(b"pw"));
    assert!(!u.verify_password(b"pw "));
    assert!(!u.verify_password(b""));
    let mut binary = AclUser::new("b", false).unwrap();
    binary.apply_rule(b">\x00\xff\n").unwrap();
    assert!(binary.verify_password(b"\x00\xff\n"), "passwords are bytes");
    assert!(StoredPassword::from_hash(b"30C952FAB122C3F9759F02A6D95C3758B246B4FEE239957B2D4FEE46E26170C4").is_err());
}

#[test]
fn argon2id_hashes_in_hash_position() {
    let phc = argon2id_hash(b"correct horse").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    let mut u = AclUser::new("a", false).unwrap();
    u.apply_rules(&["on", &format!("#{phc}")]).unwrap();
    assert!(u.has_slow_hashes());
    assert!(u.verify_password(b"correct horse"));
    assert!(!u.verify_password(b"correct horsf"));
    assert_eq!(u.info().passwords, std::slice::from_ref(&phc));
    u.apply_rules(&[format!("!{phc}")]).unwrap();
    assert!(!u.verify_password(b"correct horse") && !u.has_slow_hashes());
    // Refused: other argon2 variants, missing hash, excessive costs, garbage.
    let mut v = AclUser::new("v", false).unwrap();
    let argon2i = phc.replacen("argon2id", "argon2i", 1);
    let huge_m = phc.replacen("m=19456", "m=4194304", 1);
    let huge_t = phc.replacen("t=2", "t=100", 1);
    let no_hash = phc.rsplit_once('$').unwrap().0.to_string();
    for bad in [argon2i, huge_m, huge_t, no_hash, "$argon2id$garbage".into()] {
        assert_eq!(v.apply_rule(format!("#{bad}").as_bytes()), Err(RuleError::BadArgon2), "{bad}");
    }
    // Both forms on one user.
    let w = user_with("w", &format!("on >plain #{phc}"));
    assert!(w.verify_password(b"plain") && w.verify_password(b"correct horse"));
}

#[test]
fn constant_time_helpers() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(constant_time_eq(b"", b""));
}

#[test]
fn genpass_as_redis() {
    assert_eq!(genpass(None).unwrap().len(), 64);
    assert_eq!(genpass(Some(5)).unwrap().len(), 2);
    assert_eq!(genpass(Some(1)).unwrap().len(), 1);
    assert_eq!(genpass(Some(4096)).unwrap().len(), 1024);
    let a = genpass(None).unwrap();
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(a, genpass(None).unwrap());
    let msg =
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
    for bad in [0, -1, 4097] {
        assert_eq!(genpass(Some(bad)).unwrap_err().message(), msg);
    }
}

#[test]
fn redoubt_passwd_prints_a_secret_and_its_line() {
    let p = passwd("admin").unwrap();
    assert_eq!(p.secret.len(), 64);
    assert_eq!(p.hash, sha256_hex(p.secret.as_bytes()));
    assert_eq!(p.acl_line, format!("user admin on #{} ~* &* +@all", p.hash));
    assert!(!format!("{p:?}").contains(&p.secret), "Debug never shows the secret");
    // The line works as a config line.
    let rules: Vec<&str> = p.acl_line.split(' ').skip(2).collect();
    let mut u = AclUser::new("admin", false).unwrap();
    u.apply_rules(&rules).unwrap();
    assert!(u.is_enabled() && u.verify_password(p.secret.as_bytes()));
    assert_eq!(u.describe(), format!("on #{} ~* &* +@all", p.hash));
    assert!(passwd("a b").is_err() && passwd("").is_err());
}
