//! Value parsers with the C library semantics ipvsadm relies on:
//! `strtol()`-based numbers, `inet_aton()`, `inet_pton()`, and
//! `parse_service()`'s host\[:port\] grammar.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipvs::Protocol;

use super::resolve::NameResolver;

/// C's `isspace()` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtol(s, &end, 10)`: `(value, consumed bytes, overflowed)`. The value
/// saturates like strtol's LONG_MIN/LONG_MAX; `consumed` is 0 when no
/// digits were found.
fn strtol10(s: &str) -> (i64, usize, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    // Accumulate as a negative number so that LONG_MIN fits.
    let mut acc: i64 = 0;
    let mut overflow = false;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = i64::from(b[i] - b'0');
        match acc.checked_mul(10).and_then(|a| a.checked_sub(d)) {
            Some(a) if !overflow => acc = a,
            _ => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0, false);
    }
    let value = if overflow {
        if negative {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if negative {
        acc
    } else {
        match acc.checked_neg() {
            Some(v) => v,
            None => {
                overflow = true;
                i64::MAX
            }
        }
    };
    (value, i, overflow)
}

/// ipvsadm's `string_to_number()`: the whole string is a decimal `long`
/// (leading blanks and a sign allowed) within `min..=max`.
pub fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    let (value, used, overflow) = strtol10(s);
    if used == 0 || used != s.len() || overflow {
        return None;
    }
    (min..=max).contains(&value).then_some(value)
}

/// C's `atoi()` as glibc implements it: `(int) strtol(s, NULL, 10)`.
pub fn atoi(s: &str) -> i32 {
    strtol10(s).0 as i32
}

/// ipvsadm's `parse_fwmark()`: 1..=4294967295.
pub fn parse_fwmark(s: &str) -> Option<u32> {
    let (value, used, overflow) = strtol10(s);
    if used == 0 || used != s.len() || overflow {
        return None;
    }
    // ipvsadm prints marks with %d, so its own -S writes a mark of 2^31 or
    // more as a negative number that its -R then rejects. We accept what
    // ipvsadm prints: -2^31..-1 is read back as the 32-bit mark it stands
    // for (a superset of ipvsadm's grammar, so its save files restore).
    let mark = if (-(1i64 << 31)..0).contains(&value) {
        value + (1i64 << 32)
    } else {
        value
    };
    u32::try_from(mark).ok().filter(|&v| v > 0)
}

/// `strtoul(s, &end, 0)` on a string starting with a digit:
/// `(value, consumed)`, `None` on overflow.
fn strtoul0(s: &[u8]) -> Option<(u64, usize)> {
    let (radix, mut i) = if s.len() >= 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') {
        if s.get(2).is_some_and(|c| c.is_ascii_hexdigit()) {
            (16, 2)
        } else {
            // "0x" without hex digits: strtoul reads just the "0".
            return Some((0, 1));
        }
    } else if s[0] == b'0' {
        (8, 0)
    } else {
        (10, 0)
    };
    let mut acc: u64 = 0;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        acc = acc
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(d))?;
        i += 1;
    }
    Some((acc, i))
}

/// glibc's `inet_aton()`: 1 to 4 parts, each decimal, octal (`0`) or hex
/// (`0x`); the last part fills the remaining bytes. Anything after a
/// blank is ignored, as glibc does.
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    let mut parts: Vec<u32> = Vec::with_capacity(4);
    let mut i = 0;
    let last = loop {
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (value, used) = strtoul0(&b[i..])?;
        let value = u32::try_from(value).ok()?;
        i += used;
        if b.get(i) == Some(&b'.') {
            if parts.len() > 2 || value > 0xff {
                return None;
            }
            parts.push(value);
            i += 1;
        } else {
            break value;
        }
    };
    if let Some(&c) = b.get(i) {
        if !is_c_space(c) {
            return None;
        }
    }
    let max: u32 = match parts.len() {
        0 => u32::MAX,
        1 => 0xff_ffff,
        2 => 0xffff,
        _ => 0xff,
    };
    if last > max {
        return None;
    }
    let mut word: u32 = 0;
    for (k, p) in parts.iter().enumerate() {
        word |= p << (24 - 8 * k);
    }
    Some(Ipv4Addr::from(word | last))
}

/// glibc's `inet_pton(AF_INET6, ...)`.
pub fn inet_pton6(s: &str) -> Option<Ipv6Addr> {
    // Rust's parser has the same grammar as glibc's: at most 4 hex digits
    // a group, `::` standing for at least one group, an optional dotted
    // IPv4 tail without leading zeros, no zone.
    s.parse().ok()
}

/// glibc's `inet_pton(AF_INET, ...)`: exactly four decimal parts, no
/// leading zeros.
pub fn inet_pton4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// ipvsadm's `str_is_digit()`: true for an empty string too.
fn str_is_digit(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// What `parse_service()` found: an address and, if one was written, a
/// port (`SERVICE_ADDR` / `SERVICE_ADDR|SERVICE_PORT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPort {
    pub addr: IpAddr,
    pub port: Option<u16>,
}

/// ipvsadm's `parse_service()`: `host[:port]`, `[v6]:port`, or a bare
/// IPv6 address. A host is tried as IPv6, then `inet_aton()`, then
/// resolved (IPv4 only); a port as a number 0..65535, then as a service
/// name of `protocol`. `None` = `SERVICE_NONE`.
///
/// Quirks kept: `[v6]` needs a port; `[1.2.3.4]:80` loses its port (the
/// bracket's content is re-split at its own last `:`); `::1:80` is the
/// IPv6 address `::1:80`; an all-digit string is refused.
pub fn parse_service(
    buf: &str,
    protocol: Option<Protocol>,
    resolver: &dyn NameResolver,
) -> Option<HostPort> {
    if str_is_digit(buf) {
        return None;
    }
    let mut host = buf;
    let mut port_text: Option<&str> = None;
    if let Some(inner) = buf.strip_prefix('[') {
        let close = inner.find(']')?;
        let after = &inner[close + 1..];
        port_text = Some(after.strip_prefix(':')?);
        host = &inner[..close];
    }
    let addr = if let Some(a6) = inet_pton6(host) {
        IpAddr::V6(a6)
    } else {
        port_text = None;
        if let Some(colon) = host.rfind(':') {
            port_text = Some(&host[colon + 1..]);
            host = &host[..colon];
        }
        let a4 = inet_aton(host).or_else(|| resolver.host_to_ipv4(host))?;
        IpAddr::V4(a4)
    };
    let port = match port_text {
        None => None,
        Some(p) => Some(match string_to_number(p, 0, 65535) {
            Some(n) => n as u16,
            None => protocol.and_then(|proto| resolver.service_to_port(p, proto))?,
        }),
    };
    Some(HostPort { addr, port })
}

/// ipvsadm's `parse_netmask()` for IPv4 persistence masks:
/// `inet_aton()` or a resolved host name. Host byte order.
pub fn parse_netmask(buf: &str, resolver: &dyn NameResolver) -> Option<u32> {
    inet_aton(buf)
        .or_else(|| resolver.host_to_ipv4(buf))
        .map(u32::from)
}

/// `--mcast-group`: a multicast IPv6 address if the text has a `:`, else
/// a multicast dotted-quad IPv4 address. The error is ipvsadm's text.
pub fn parse_mcast_group(buf: &str) -> Result<IpAddr, String> {
    if buf.contains(':') {
        match inet_pton6(buf) {
            Some(a) if a.is_multicast() => Ok(IpAddr::V6(a)),
            _ => Err(format!("invalid IPv6 mcast-group `{buf}'")),
        }
    } else {
        match inet_pton4(buf) {
            Some(a) if a.is_multicast() => Ok(IpAddr::V4(a)),
            _ => Err(format!("invalid IPv4 mcast-group `{buf}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::resolve::tests::FakeResolver;

    #[test]
    fn cli_string_to_number() {
        assert_eq!(string_to_number("80", 0, 65535), Some(80));
        assert_eq!(string_to_number(" +80", 0, 65535), Some(80));
        assert_eq!(string_to_number("-0", 0, 65535), Some(0));
        assert_eq!(string_to_number("65536", 0, 65535), None);
        assert_eq!(string_to_number("", 0, 65535), None);
        assert_eq!(string_to_number(" ", 0, 65535), None);
        assert_eq!(string_to_number("+", 0, 65535), None);
        assert_eq!(string_to_number("8 ", 0, 65535), None);
        assert_eq!(string_to_number("0x10", 0, 65535), None);
        assert_eq!(string_to_number("010", 0, 65535), Some(10));
        assert_eq!(string_to_number("-1", 0, 65535), None);
        assert_eq!(string_to_number("99999999999999999999", 0, i64::MAX), None);
        assert_eq!(
            string_to_number("9223372036854775807", 0, i64::MAX),
            Some(i64::MAX)
        );
        assert_eq!(
            string_to_number("2147483647", 0, 2147483647),
            Some(2147483647)
        );
        assert_eq!(string_to_number("2147483648", 0, 2147483647), None);
    }

    #[test]
    fn cli_atoi() {
        assert_eq!(atoi("64"), 64);
        assert_eq!(atoi("64abc"), 64);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(" -3"), -3);
        // (int) of a long: wraps.
        assert_eq!(atoi("4294967360"), 64);
        assert_eq!(atoi("99999999999999999999"), -1);
    }

    #[test]
    fn cli_fwmark() {
        assert_eq!(parse_fwmark("1"), Some(1));
        assert_eq!(parse_fwmark(" +7"), Some(7));
        assert_eq!(parse_fwmark("4294967295"), Some(u32::MAX));
        assert_eq!(parse_fwmark("4294967296"), None);
        assert_eq!(parse_fwmark("0"), None);
        assert_eq!(parse_fwmark("-1"), Some(u32::MAX));
        assert_eq!(parse_fwmark("-2147483648"), Some(1 << 31));
        assert_eq!(parse_fwmark("-2147483649"), None);
        assert_eq!(parse_fwmark("0x10"), None);
        assert_eq!(parse_fwmark(""), None);
    }

    #[test]
    fn cli_inet_aton() {
        let a = |s: &str| inet_aton(s).map(|a| a.to_string());
        assert_eq!(a("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1").as_deref(), Some("0.0.0.1"));
        assert_eq!(a("1.2").as_deref(), Some("1.0.0.2"));
        assert_eq!(a("1.2.3").as_deref(), Some("1.2.0.3"));
        assert_eq!(a("0x7f.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(a("010.0.0.1").as_deref(), Some("8.0.0.1"));
        assert_eq!(a("0xffffff00").as_deref(), Some("255.255.255.0"));
        assert_eq!(a("4294967295").as_deref(), Some("255.255.255.255"));
        assert_eq!(a("1.2.3.4 junk").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("0").as_deref(), Some("0.0.0.0"));
        assert_eq!(a("0x").as_deref(), None);
        assert_eq!(a("08"), None);
        assert_eq!(a("4294967296"), None);
        assert_eq!(a("1.2.3.4."), None);
        assert_eq!(a("1.2.3.4.5"), None);
        assert_eq!(a("1..2"), None);
        assert_eq!(a("256.1.1.1"), None);
        assert_eq!(a("1.2.65536"), None);
        assert_eq!(a("1.2.65535").as_deref(), Some("1.2.255.255"));
        assert_eq!(a(""), None);
        assert_eq!(a(" 1.2.3.4"), None);
        assert_eq!(a("+1"), None);
        assert_eq!(a("1.2.3.4x"), None);
        assert_eq!(a("99999999999999999999999"), None);
    }

    #[test]
    fn cli_inet_pton6() {
        for ok in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6::8",
            "FE80::A",
        ] {
            assert!(inet_pton6(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            ":",
            ":::",
            "1:::2",
            "1:2:3:4:5:6:7:8::",
            "12345::",
            "::1%eth0",
            "::ffff:01.2.3.4",
            "1::2::3",
            " ::1",
            "[::1]",
        ] {
            assert!(inet_pton6(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn cli_parse_service() {
        let r = FakeResolver;
        let p = |s: &str| parse_service(s, Some(Protocol::Tcp), &r);
        let hp = |a: &str, port: Option<u16>| {
            Some(HostPort {
                addr: a.parse().unwrap(),
                port,
            })
        };
        assert_eq!(p("192.168.56.200:80"), hp("192.168.56.200", Some(80)));
        assert_eq!(p("192.168.56.200"), hp("192.168.56.200", None));
        assert_eq!(p("[2001:db8::1]:80"), hp("2001:db8::1", Some(80)));
        assert_eq!(p("2001:db8::1"), hp("2001:db8::1", None));
        assert_eq!(p("::1:80"), hp("::1:80", None));
        assert_eq!(p("[2001:db8::1]"), None);
        assert_eq!(p("[2001:db8::1]80"), None);
        assert_eq!(p("[2001:db8::1:80"), None);
        assert_eq!(p("[1.2.3.4]:80"), hp("1.2.3.4", None));
        assert_eq!(p("1.2.3.4:"), None);
        assert_eq!(p("1.2.3.4:65536"), None);
        assert_eq!(p("1.2.3.4:0"), hp("1.2.3.4", Some(0)));
        assert_eq!(p("1.2.3.4:http"), hp("1.2.3.4", Some(80)));
        assert_eq!(p("1.2.3.4:nope"), None);
        assert_eq!(p("web:http"), hp("10.0.0.80", Some(80)));
        assert_eq!(p("nohost:80"), None);
        assert_eq!(p("1234"), None);
        assert_eq!(p(""), None);
        assert_eq!(p(":80"), None);
        assert_eq!(p("1.2:80"), hp("1.0.0.2", Some(80)));
        // No protocol yet (-r before -t): names cannot resolve.
        assert_eq!(parse_service("1.2.3.4:http", None, &r), None);
        assert_eq!(
            parse_service("1.2.3.4:domain", Some(Protocol::Udp), &r),
            hp("1.2.3.4", Some(53))
        );
    }

    #[test]
    fn cli_netmask_and_group() {
        let r = FakeResolver;
        assert_eq!(parse_netmask("255.255.255.0", &r), Some(0xffff_ff00));
        assert_eq!(parse_netmask("64", &r), Some(64));
        assert_eq!(parse_netmask("garbage", &r), None);
        assert_eq!(
            parse_mcast_group("224.0.0.81").unwrap().to_string(),
            "224.0.0.81"
        );
        assert_eq!(
            parse_mcast_group("ff02::81").unwrap().to_string(),
            "ff02::81"
        );
        assert_eq!(
            parse_mcast_group("10.0.0.1").unwrap_err(),
            "invalid IPv4 mcast-group `10.0.0.1'"
        );
        assert_eq!(
            parse_mcast_group("224.0.0").unwrap_err(),
            "invalid IPv4 mcast-group `224.0.0'"
        );
        assert_eq!(
            parse_mcast_group("2001::1").unwrap_err(),
            "invalid IPv6 mcast-group `2001::1'"
        );
    }
}
