//! The source allowlist (`allow-from`): IPv4 and IPv6 networks in CIDR notation, checked at
//! accept before a byte is read (threat T19).
//!
//! Each `allow-from` line may hold several networks, separated by spaces or commas. A bare
//! address is a single host (/32 or /128). An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`),
//! as a dual-stack socket reports IPv4 clients, is treated as the IPv4 address, both in the
//! list and for the client. A network with bits set after its prefix (`10.0.0.1/8`) is
//! refused rather than silently widened: it is almost always a typo.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The address as the gate sees it: IPv4-mapped IPv6 addresses become IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Networks that may connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceAllowlist {
    v4: Vec<(u32, u8)>,
    v6: Vec<(u128, u8)>,
}

impl SourceAllowlist {
    /// An empty list: it allows nobody until networks are added. (With no `allow-from` at
    /// all the server has no list and does not filter.)
    pub fn new() -> SourceAllowlist {
        SourceAllowlist::default()
    }

    /// Parses `allow-from` lines (each with one or more networks).
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Result<SourceAllowlist, String> {
        let mut list = SourceAllowlist::new();
        for line in lines {
            list.add_line(line.as_ref())?;
        }
        Ok(list)
    }

    /// Adds the networks of one `allow-from` line.
    pub fn add_line(&mut self, line: &str) -> Result<(), String> {
        let mut any = false;
        for item in line.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
            self.add(item)?;
            any = true;
        }
        if any {
            Ok(())
        } else {
            Err("allow-from needs at least one network, such as 10.0.0.0/8 or 2001:db8::/32".into())
        }
    }

    /// Adds one network (`10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`, `::ffff:10.0.0.0/104`).
    pub fn add(&mut self, cidr: &str) -> Result<(), String> {
        let bad = |why: &str| format!("allow-from: '{cidr}' {why}");
        let (addr, prefix) = match cidr.split_once('/') {
            Some((a, p)) => {
                let p: u8 = p.parse().map_err(|_| bad("has an invalid prefix length"))?;
                (a, Some(p))
            }
            None => (cidr, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| bad("is not an IPv4 or IPv6 address or network"))?;
        match ip {
            IpAddr::V4(v4) => {
                let p = prefix.unwrap_or(32);
                if p > 32 {
                    return Err(bad("has a prefix longer than 32"));
                }
                self.push_v4(v4, p).map_err(|m| bad(&m))
            }
            IpAddr::V6(v6) => {
                let p = prefix.unwrap_or(128);
                if p > 128 {
                    return Err(bad("has a prefix longer than 128"));
                }
                match v6.to_ipv4_mapped() {
                    Some(v4) if p >= 96 => self.push_v4(v4, p - 96).map_err(|m| bad(&m)),
                    _ => {
                        let bits = u128::from(v6);
                        if bits & !mask128(p) != 0 {
                            return Err(bad(&format!(
                                "has bits set after the /{p} prefix (did you mean {}/{p}?)",
                                Ipv6Addr::from(bits & mask128(p))
                            )));
                        }
                        self.v6.push((bits, p));
                        Ok(())
                    }
                }
            }
        }
    }

    fn push_v4(&mut self, v4: Ipv4Addr, p: u8) -> Result<(), String> {
        let bits = u32::from(v4);
        if bits & !mask32(p) != 0 {
            return Err(format!(
                "has bits set after the /{p} prefix (did you mean {}/{p}, or {v4}/32?)",
                Ipv4Addr::from(bits & mask32(p))
            ));
        }
        self.v4.push((bits, p));
        Ok(())
    }

    /// Whether a client at `ip` may connect.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match canonical_ip(ip) {
            IpAddr::V4(v4) => {
                let a = u32::from(v4);
                self.v4.iter().any(|&(net, p)| a & mask32(p) == net)
            }
            IpAddr::V6(v6) => {
                let a = u128::from(v6);
                self.v6.iter().any(|&(net, p)| a & mask128(p) == net)
            }
        }
    }

    /// Whether the list holds no network.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// The networks, normalised (`10.0.0.0/8`), for logs and CONFIG GET.
    pub fn networks(&self) -> Vec<String> {
        let v4 = self.v4.iter().map(|&(n, p)| format!("{}/{p}", Ipv4Addr::from(n)));
        let v6 = self.v6.iter().map(|&(n, p)| format!("{}/{p}", Ipv6Addr::from(n)));
        v4.chain(v6).collect()
    }
}

fn mask32(p: u8) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - p as u32)
    }
}

fn mask128(p: u8) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - p as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_networks_and_hosts() {
        let l = SourceAllowlist::parse(&["10.0.0.0/8, 192.0.2.7", "172.16.0.0/12"]).unwrap();
        assert!(l.allows(ip("10.1.2.3")));
        assert!(l.allows(ip("10.255.255.255")));
        assert!(!l.allows(ip("11.0.0.0")));
        assert!(l.allows(ip("192.0.2.7")));
        assert!(!l.allows(ip("192.0.2.8")), "a bare address is a /32");
        assert!(l.allows(ip("172.31.255.1")) && !l.allows(ip("172.32.0.1")));
        assert!(!l.allows(ip("::1")));
        assert_eq!(l.networks(), ["10.0.0.0/8", "192.0.2.7/32", "172.16.0.0/12"]);
    }

    #[test]
    fn zero_and_full_prefixes() {
        let all4 = SourceAllowlist::parse(&["0.0.0.0/0"]).unwrap();
        assert!(all4.allows(ip("1.2.3.4")) && all4.allows(ip("255.255.255.255")));
        assert!(!all4.allows(ip("2001:db8::1")), "/0 of IPv4 is not IPv6");
        assert!(all4.allows(ip("::ffff:1.2.3.4")), "a mapped address is IPv4");
        let all6 = SourceAllowlist::parse(&["::/0"]).unwrap();
        assert!(all6.allows(ip("2001:db8::1")) && !all6.allows(ip("1.2.3.4")));
        let host6 = SourceAllowlist::parse(&["2001:db8::1/128"]).unwrap();
        assert!(host6.allows(ip("2001:db8::1")) && !host6.allows(ip("2001:db8::2")));
        let host4 = SourceAllowlist::parse(&["192.0.2.1/32"]).unwrap();
        assert!(host4.allows(ip("192.0.2.1")) && !host4.allows(ip("192.0.2.0")));
    }

    #[test]
    fn ipv6_networks() {
        let l = SourceAllowlist::parse(&["2001:db8::/32 fd00::/8"]).unwrap();
        assert!(l.allows(ip("2001:db8:ffff::1")));
        assert!(!l.allows(ip("2001:db9::1")));
        assert!(l.allows(ip("fdff::1")));
        assert!(!l.allows(ip("fe80::1")));
    }

    #[test]
    fn mapped_ipv4_in_list_and_client() {
        let l = SourceAllowlist::parse(&["::ffff:10.0.0.0/104"]).unwrap();
        assert!(l.allows(ip("10.9.9.9")));
        assert!(l.allows(ip("::ffff:10.9.9.9")));
        assert!(!l.allows(ip("11.0.0.1")));
        let l = SourceAllowlist::parse(&["127.0.0.1"]).unwrap();
        assert!(l.allows(ip("::ffff:127.0.0.1")));
        assert_eq!(canonical_ip(ip("::ffff:127.0.0.1")), ip("127.0.0.1"));
        assert_eq!(canonical_ip(ip("::1")), ip("::1"));
    }

    #[test]
    fn refusals() {
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "2001:db8::1/32",
            "::/129",
            "10.0.0.0/x",
            "example.com",
            "fe80::1%eth0",
            "10.0.0.0/-1",
            "",
            " , ",
        ] {
            assert!(SourceAllowlist::parse(&[bad]).is_err(), "{bad:?} accepted");
        }
        let e = SourceAllowlist::parse(&["10.0.0.1/8"]).unwrap_err();
        assert!(e.contains("10.0.0.0/8") && e.contains("10.0.0.1/32"), "{e}");
        assert!(SourceAllowlist::new().is_empty());
        assert!(!SourceAllowlist::new().allows(ip("127.0.0.1")), "an empty list allows nobody");
    }
}
