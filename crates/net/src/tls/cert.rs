//! The subject CN of a client certificate: the identity `tls-auth-clients-user CN` logs in.
//!
//! A small DER walk over `Certificate -> tbsCertificate -> subject` (RFC 5280), run only on a
//! certificate rustls has already verified against the CA. Every length is checked against
//! what is left; nothing allocates beyond the CN itself. A subject with no CN, more than one
//! CN (ambiguous: which user?), a CN in an encoding other than UTF8String, PrintableString or
//! IA5String, or one holding control characters gives no identity.

/// DER tags used here.
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const INTEGER: u8 = 0x02;
const VERSION: u8 = 0xa0;
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const IA5_STRING: u8 = 0x16;

/// The OID 2.5.4.3 (id-at-commonName), DER content bytes.
const CN_OID: &[u8] = &[0x55, 0x04, 0x03];

/// Why a certificate gives no CN.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CnError {
    /// The DER does not parse (cannot happen for a certificate rustls verified).
    Malformed,
    /// The subject has no CN.
    Missing,
    /// The subject has several CNs.
    Ambiguous,
    /// The CN is not UTF8String/PrintableString/IA5String, or holds control characters.
    Unusable,
}

impl std::fmt::Display for CnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CnError::Malformed => "malformed certificate",
            CnError::Missing => "no CN in the subject",
            CnError::Ambiguous => "more than one CN in the subject",
            CnError::Unusable => "the CN is not a plain printable string",
        })
    }
}

/// Reads one TLV at the start of `input`: `(tag, content, rest)`.
fn tlv(input: &[u8]) -> Result<(u8, &[u8], &[u8]), CnError> {
    let (&tag, rest) = input.split_first().ok_or(CnError::Malformed)?;
    let (&first, rest) = rest.split_first().ok_or(CnError::Malformed)?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        // DER: long form only for >= 128, at most 4 length bytes here (certificates are small).
        if n == 0 || n > 4 || rest.len() < n {
            return Err(CnError::Malformed);
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(CnError::Malformed);
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// Reads a TLV that must have `tag`: `(content, rest)`.
fn expect(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), CnError> {
    match tlv(input)? {
        (t, content, rest) if t == tag => Ok((content, rest)),
        _ => Err(CnError::Malformed),
    }
}

/// The subject CN of a DER certificate.
pub(crate) fn subject_cn(der: &[u8]) -> Result<String, CnError> {
    let (cert, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = tlv(rest)?.2;
    }
    rest = expect(rest, INTEGER)?.1; // serialNumber
    rest = expect(rest, SEQUENCE)?.1; // signature
    rest = expect(rest, SEQUENCE)?.1; // issuer
    rest = expect(rest, SEQUENCE)?.1; // validity
    let (mut rdns, _) = expect(rest, SEQUENCE)?; // subject
    let mut found: Option<String> = None;
    while !rdns.is_empty() {
        let (mut set, next) = expect(rdns, SET)?;
        rdns = next;
        while !set.is_empty() {
            let (atv, next) = expect(set, SEQUENCE)?;
            set = next;
            let (oid, value) = expect(atv, OID)?;
            if oid != CN_OID {
                continue;
            }
            if found.is_some() {
                return Err(CnError::Ambiguous);
            }
            let (tag, text, _) = tlv(value)?;
            if !matches!(tag, UTF8_STRING | PRINTABLE_STRING | IA5_STRING) {
                return Err(CnError::Unusable);
            }
            let text = std::str::from_utf8(text).map_err(|_| CnError::Unusable)?;
            if text.is_empty() || text.chars().any(char::is_control) {
                return Err(CnError::Unusable);
            }
            found = Some(text.to_string());
        }
    }
    found.ok_or(CnError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER of a TLV with a short or long length.
    fn t(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if content.len() < 128 {
            v.push(content.len() as u8);
        } else {
            v.push(0x82);
            v.extend_from_slice(&(content.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(content);
        v
    }

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        t(SET, &t(SEQUENCE, &[t(OID, oid), t(tag, value)].concat()))
    }

    /// A certificate skeleton with the given subject RDNs (and a long issuer, for the long
    /// length form).
    fn cert(subject_rdns: &[Vec<u8>]) -> Vec<u8> {
        let issuer = t(SEQUENCE, &atv(CN_OID, UTF8_STRING, &[b'x'; 200]));
        let tbs = [
            t(VERSION, &t(INTEGER, &[2])),
            t(INTEGER, &[1, 2, 3]),
            t(SEQUENCE, &t(OID, &[0x2a, 0x86, 0x48])),
            issuer,
            t(SEQUENCE, &[]),
            t(SEQUENCE, &subject_rdns.concat()),
            t(SEQUENCE, &[]),
        ]
        .concat();
        t(SEQUENCE, &[t(SEQUENCE, &tbs), t(SEQUENCE, &[]), t(0x03, &[0])].concat())
    }

    const O_OID: &[u8] = &[0x55, 0x04, 0x0a];

    #[test]
    fn finds_the_cn() {
        let c = cert(&[atv(O_OID, UTF8_STRING, b"Acme"), atv(CN_OID, PRINTABLE_STRING, b"alice")]);
        assert_eq!(subject_cn(&c).unwrap(), "alice");
        let c = cert(&[atv(CN_OID, UTF8_STRING, "bjørn".as_bytes())]);
        assert_eq!(subject_cn(&c).unwrap(), "bjørn");
    }

    #[test]
    fn refuses_what_is_not_one_plain_cn() {
        assert_eq!(subject_cn(&cert(&[atv(O_OID, UTF8_STRING, b"Acme")])), Err(CnError::Missing));
        let two = cert(&[atv(CN_OID, UTF8_STRING, b"alice"), atv(CN_OID, UTF8_STRING, b"admin")]);
        assert_eq!(subject_cn(&two), Err(CnError::Ambiguous));
        assert_eq!(subject_cn(&cert(&[atv(CN_OID, 0x1e, &[0, b'a'])])), Err(CnError::Unusable));
        assert_eq!(subject_cn(&cert(&[atv(CN_OID, UTF8_STRING, b"a\nb")])), Err(CnError::Unusable));
        assert_eq!(subject_cn(&cert(&[atv(CN_OID, UTF8_STRING, &[0xff])])), Err(CnError::Unusable));
    }

    #[test]
    fn truncated_input_is_an_error_never_a_panic() {
        let c = cert(&[atv(CN_OID, UTF8_STRING, b"alice")]);
        for len in 0..c.len() {
            assert!(subject_cn(&c[..len]).is_err(), "{len}");
        }
        assert_eq!(subject_cn(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Err(CnError::Malformed));
        assert_eq!(subject_cn(&[0x30, 0x85, 0, 0, 0, 0, 1]), Err(CnError::Malformed));
    }
}
