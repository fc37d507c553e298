//! Passwords: Redis's SHA-256 form (`>secret` is stored as `#<sha256 hex>`), argon2id PHC
//! strings (`#$argon2id$v=19$m=...`) accepted beside it in the ACL file, constant-time
//! verification, ACL GENPASS and `redoubt passwd`.
//!
//! SHA-256 digests are compared with [`subtle`]'s constant-time equality, every stored digest
//! of a user is compared (no early exit), and argon2id hashes are checked by the `argon2`
//! crate (itself constant-time). An argon2id check costs tens of milliseconds by design: the
//! server runs [`crate::Users::authenticate`] off its event loop (for example with
//! `spawn_blocking`) when [`crate::AclUser::has_slow_hashes`] says so.

use crate::error::AclError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Largest argon2 memory cost accepted from an ACL file, KiB (256 MiB): a hash cannot make
/// each AUTH allocate without bound.
pub const ARGON2_MAX_M_COST: u32 = 256 * 1024;
/// Largest argon2 time cost accepted.
pub const ARGON2_MAX_T_COST: u32 = 16;
/// Largest argon2 parallelism accepted.
pub const ARGON2_MAX_P_COST: u32 = 16;
/// ACL GENPASS's largest size, bits (Redis's `GENPASS_MAX_BITS`).
pub const GENPASS_MAX_BITS: i64 = 4096;

/// A password as a user keeps it: never the cleartext.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum StoredPassword {
    /// Redis's form: SHA-256 of the password, and its lowercase hex text.
    Sha256 { hex: String, digest: [u8; 32] },
    /// An argon2id PHC string.
    Argon2id { phc: String },
}

impl std::fmt::Debug for StoredPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoredPassword::Sha256 { .. } => "Sha256(..)",
            StoredPassword::Argon2id { .. } => "Argon2id(..)",
        })
    }
}

/// Why a `#hash` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashError {
    /// Not 64 lowercase hex digits (Redis's EBADMSG).
    BadSha,
    /// Looks like argon2 but is not a valid argon2id hash within the cost limits.
    BadArgon2,
}

impl StoredPassword {
    /// The SHA-256 form of a cleartext password (`>secret`).
    pub(crate) fn from_cleartext(password: &[u8]) -> StoredPassword {
        let digest: [u8; 32] = Sha256::digest(password).into();
        StoredPassword::Sha256 { hex: hex(&digest), digest }
    }

    /// Parses the text after `#` or `!`.
    pub(crate) fn from_hash(text: &[u8]) -> Result<StoredPassword, HashError> {
        if text.starts_with(b"$argon2") {
            let s = std::str::from_utf8(text).map_err(|_| HashError::BadArgon2)?;
            check_argon2id(s).map_err(|_| HashError::BadArgon2)?;
            return Ok(StoredPassword::Argon2id { phc: s.to_string() });
        }
        if text.len() != 64 || !text.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)) {
            return Err(HashError::BadSha);
        }
        let mut digest = [0u8; 32];
        for (i, pair) in text.chunks(2).enumerate() {
            digest[i] = (nibble(pair[0]) << 4) | nibble(pair[1]);
        }
        Ok(StoredPassword::Sha256 { hex: String::from_utf8_lossy(text).into_owned(), digest })
    }

    /// The text shown after `#` in ACL LIST and in ACL GETUSER's `passwords`.
    pub(crate) fn text(&self) -> &str {
        match self {
            StoredPassword::Sha256 { hex, .. } => hex,
            StoredPassword::Argon2id { phc } => phc,
        }
    }

    /// Whether this is an argon2id hash (slow to check).
    pub(crate) fn is_slow(&self) -> bool {
        matches!(self, StoredPassword::Argon2id { .. })
    }
}

/// Whether `candidate` matches one of `stored`: every SHA-256 digest is compared in constant
/// time; argon2id hashes are tried only when no digest matched.
pub(crate) fn verify(stored: &[StoredPassword], candidate: &[u8]) -> bool {
    let digest: [u8; 32] = Sha256::digest(candidate).into();
    let mut matched = subtle::Choice::from(0u8);
    for p in stored {
        if let StoredPassword::Sha256 { digest: d, .. } = p {
            matched |= d.ct_eq(&digest);
        }
    }
    if bool::from(matched) {
        return true;
    }
    stored.iter().any(|p| match p {
        StoredPassword::Argon2id { phc } => verify_argon2id(phc, candidate),
        StoredPassword::Sha256 { .. } => false,
    })
}

/// Compares two byte strings in constant time (for their common length; lengths are public).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The lowercase hex SHA-256 of `password`: what `#` holds for `>password`.
pub fn sha256_hex(password: &[u8]) -> String {
    hex(&Sha256::digest(password))
}

/// An argon2id PHC string for `password` with a fresh random salt and the argon2 crate's
/// recommended parameters (19 MiB, 2 passes, 1 lane), for operators who prefer argon2id
/// in the ACL file (`user app on #$argon2id$... ~* +@all`).
pub fn argon2id_hash(password: &[u8]) -> Result<String, AclError> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AclError::new(format!("ERR argon2: {e}")))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    argon.hash_password(password, &salt).map(|h| h.to_string()).map_err(|e| AclError::new(format!("ERR argon2: {e}")))
}

fn check_argon2id(phc: &str) -> Result<(), ()> {
    let parsed = PasswordHash::new(phc).map_err(|_| ())?;
    if parsed.algorithm.as_str() != "argon2id" || parsed.hash.is_none() {
        return Err(());
    }
    let params = Params::try_from(&parsed).map_err(|_| ())?;
    if params.m_cost() > ARGON2_MAX_M_COST || params.t_cost() > ARGON2_MAX_T_COST || params.p_cost() > ARGON2_MAX_P_COST
    {
        return Err(());
    }
    Ok(())
}

fn verify_argon2id(phc: &str, candidate: &[u8]) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    Argon2::default().verify_password(candidate, &parsed).is_ok()
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), AclError> {
    getrandom::fill(buf).map_err(|e| AclError::new(format!("ERR no random source: {e}")))
}

/// ACL GENPASS: `bits` of randomness (default 256) as `(bits + 3) / 4` lowercase hex digits.
pub fn genpass(bits: Option<i64>) -> Result<String, AclError> {
    let bits = bits.unwrap_or(256);
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return Err(AclError::new(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {GENPASS_MAX_BITS}"
        )));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut raw = vec![0u8; chars.div_ceil(2)];
    fill_random(&mut raw)?;
    let mut out = hex(&raw);
    out.truncate(chars);
    Ok(out)
}

/// What `redoubt passwd` prints: a new secret and the ACL line that holds only its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Passwd {
    /// 256 random bits as 64 hex digits: give it to the client, keep it out of the config.
    pub secret: String,
    /// Its SHA-256, as `#` takes it.
    pub hash: String,
    /// `user <name> on #<hash> ~* &* +@all`: the config or ACL file line of an admin.
    pub acl_line: String,
}

impl std::fmt::Debug for Passwd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwd").field("hash", &self.hash).field("acl_line", &self.acl_line).finish()
    }
}

/// `redoubt passwd [user]`: a 256-bit secret and the line granting `user` (default `admin`)
/// everything with only the secret's hash in the file.
pub fn passwd(user: &str) -> Result<Passwd, AclError> {
    if user.is_empty() || has_space_or_nul(user.as_bytes()) {
        return Err(AclError::new("ERR Usernames can't contain spaces or null characters"));
    }
    let secret = genpass(Some(256))?;
    let hash = sha256_hex(secret.as_bytes());
    let acl_line = format!("user {user} on #{hash} ~* &* +@all");
    Ok(Passwd { secret, hash, acl_line })
}

/// Redis's `ACLStringHasSpaces`: whitespace (as C's `isspace`) or NUL.
pub(crate) fn has_space_or_nul(s: &[u8]) -> bool {
    s.iter().any(|&c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}
