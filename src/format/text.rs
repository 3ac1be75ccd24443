//! The printf-level pieces every format shares: byte-counted padding and
//! cuts, ipvsadm's number scaling, glibc's address text and ipvsadm's
//! `host:port` rendering.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv6Addr};

use ipvs::Protocol;

use super::resolve::Resolver;

/// `%-<width>s`: the bytes, then blanks up to `width`. printf counts bytes,
/// so this does too (a Rust `{:<w}` would count characters).
pub(crate) fn pad<W: Write + ?Sized>(w: &mut W, s: &[u8], width: usize) -> io::Result<()> {
    const BLANKS: [u8; 64] = [b' '; 64];
    w.write_all(s)?;
    let mut missing = width.saturating_sub(s.len());
    while missing > 0 {
        let n = missing.min(BLANKS.len());
        w.write_all(&BLANKS[..n])?;
        missing -= n;
    }
    Ok(())
}

/// The first `n` bytes (C's `buf[n] = '\0'`).
pub(crate) fn cut(s: &[u8], n: usize) -> &[u8] {
    &s[..s.len().min(n)]
}

/// ipvsadm's `print_largenum`: a counter in a 9-column field. Exact: the
/// full number right-aligned, `%*llu` with width 9, or its length + 1 when
/// longer than 8 digits. Otherwise `%9llu` below 10^8, else `%8llu` of the
/// number in thousands (K, below 10^9), millions (M, below 10^11),
/// billions (G, below 10^14) or trillions (T) followed by the unit letter.
pub(crate) fn largenum<W: Write + ?Sized>(w: &mut W, n: u64, exact: bool) -> io::Result<()> {
    if exact {
        let digits = n.to_string();
        let width = if digits.len() <= 8 {
            9
        } else {
            digits.len() + 1
        };
        return write!(w, "{digits:>width$}");
    }
    const SCALES: [(u64, u64, &str); 4] = [
        (1_000_000_000, 1_000, "K"),
        (100_000_000_000, 1_000_000, "M"),
        (100_000_000_000_000, 1_000_000_000, "G"),
        (u64::MAX, 1_000_000_000_000, "T"),
    ];
    if n < 100_000_000 {
        return write!(w, "{n:>9}");
    }
    // The last scale applies to everything left (u64::MAX included).
    let (_, div, unit) = SCALES
        .iter()
        .find(|(below, _, _)| n < *below)
        .unwrap_or(&SCALES[3]);
    write!(w, "{:>8}{unit}", n / div)
}

/// An address as glibc's `inet_ntop` writes it (ipvsadm's numeric form).
///
/// IPv6 differs from Rust's `Display`: glibc writes the IPv4-compatible form
/// `::a.b.c.d` whenever the first six groups are zero and the seventh is
/// not, which Rust stopped doing.
pub fn inet_ntop(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => ntop6(&a),
    }
}

/// glibc's `inet_ntop6`: the longest run (first of equals, at least two
/// groups) of zero groups becomes `::`; groups in lower-case hex without
/// leading zeros; `::a.b.c.d` and `::ffff:a.b.c.d` for embedded IPv4.
fn ntop6(a: &Ipv6Addr) -> String {
    let words = a.segments();
    let (mut best_base, mut best_len) = (None::<usize>, 0usize);
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_base = Some(start);
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = None;
    }
    let in_run = |i: usize| best_base.is_some_and(|b| i >= b && i < b + best_len);
    let mut out = String::with_capacity(40);
    for (i, word) in words.iter().enumerate() {
        if in_run(i) {
            if best_base == Some(i) {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        let embedded_v4 =
            best_base == Some(0) && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
        if i == 6 && embedded_v4 {
            let o = a.octets();
            out.push_str(&format!("{}.{}.{}.{}", o[12], o[13], o[14], o[15]));
            return out;
        }
        out.push_str(&format!("{word:x}"));
    }
    if best_base.is_some_and(|b| b + best_len == 8) {
        out.push(':');
    }
    out
}

/// ipvsadm's `addrport_to_anyname`: `host:port`, `[host]:port` for IPv6,
/// with host and service names unless numeric (each falling back to the
/// number when unknown; services are looked up only for TCP, UDP and SCTP,
/// so never for fwmark services). ipvsadm renders into a 60-byte buffer, so
/// the result is cut at 59 bytes.
pub(crate) fn addrport(
    addr: IpAddr,
    port: u16,
    protocol: Option<Protocol>,
    numeric: bool,
    resolver: &dyn Resolver,
) -> Vec<u8> {
    let host = if numeric {
        None
    } else {
        resolver.host_name(addr)
    }
    .unwrap_or_else(|| inet_ntop(addr));
    let service = match protocol {
        Some(p) if !numeric => resolver.service_name(port, p),
        _ => None,
    }
    .unwrap_or_else(|| port.to_string());
    let mut out = Vec::with_capacity(host.len() + service.len() + 3);
    let v6 = addr.is_ipv6();
    if v6 {
        out.push(b'[');
    }
    out.extend_from_slice(host.as_bytes());
    if v6 {
        out.push(b']');
    }
    out.push(b':');
    out.extend_from_slice(service.as_bytes());
    out.truncate(59);
    out
}

#[cfg(test)]
mod tests {
    use super::super::oracle::{c_inet_ntop6, cfmt};
    use super::super::resolve::NumericResolver;
    use super::*;
    use std::net::Ipv4Addr;

    fn largenum_text(n: u64, exact: bool) -> String {
        let mut v = Vec::new();
        largenum(&mut v, n, exact).unwrap();
        String::from_utf8(v).unwrap()
    }

    /// What ipvsadm's print_largenum prints, by running glibc's printf with
    /// its format strings.
    fn c_largenum(n: u64, exact: bool) -> Vec<u8> {
        if exact {
            let len = cfmt!("%llu", n).len() as i32;
            return cfmt!("%*llu", if len <= 8 { 9 } else { len + 1 }, n);
        }
        if n < 100_000_000 {
            cfmt!("%9llu", n)
        } else if n < 1_000_000_000 {
            cfmt!("%8lluK", n / 1000)
        } else if n < 100_000_000_000 {
            cfmt!("%8lluM", n / 1_000_000)
        } else if n < 100_000_000_000_000 {
            cfmt!("%8lluG", n / 1_000_000_000)
        } else {
            cfmt!("%8lluT", n / 1_000_000_000_000)
        }
    }

    // ipvsadm: print_largenum — "%9llu", "%8lluK", "%8lluM", "%8lluG",
    // "%8lluT"; the expected columns follow from those formats.
    #[test]
    fn largenum_boundaries() {
        let cases: [(u64, &str); 14] = [
            (0, "        0"),
            (12_345, "    12345"),
            (99_999_999, " 99999999"),
            (100_000_000, "  100000K"),
            (100_000_001, "  100000K"),
            (123_456_789, "  123456K"),
            (999_999_999, "  999999K"),
            (1_000_000_000, "    1000M"),
            (1_234_567_890, "    1234M"),
            (99_999_999_999, "   99999M"),
            (100_000_000_000, "     100G"),
            (99_999_999_999_999, "   99999G"),
            (100_000_000_000_000, "     100T"),
            (u64::MAX, "18446744T"),
        ];
        for (n, want) in cases {
            assert_eq!(largenum_text(n, false), want, "{n}");
            assert_eq!(largenum_text(n, false).as_bytes(), c_largenum(n, false));
        }
    }

    // ipvsadm: print_largenum with FMT_EXACT — "%*llu", width 9 or len+1.
    #[test]
    fn largenum_exact() {
        assert_eq!(largenum_text(0, true), "        0");
        assert_eq!(largenum_text(99_999_999, true), " 99999999");
        assert_eq!(largenum_text(100_000_000, true), " 100000000");
        assert_eq!(largenum_text(u64::MAX, true), " 18446744073709551615");
        let mut n: u64 = 1;
        for _ in 0..64 {
            for m in [n - 1, n, n + 1, n.wrapping_mul(10).wrapping_sub(1)] {
                assert_eq!(largenum_text(m, true).as_bytes(), c_largenum(m, true));
                assert_eq!(largenum_text(m, false).as_bytes(), c_largenum(m, false));
            }
            n = n.wrapping_mul(2).max(1);
        }
    }

    #[test]
    fn pad_and_cut_count_bytes() {
        let mut v = Vec::new();
        pad(&mut v, "é".as_bytes(), 4).unwrap();
        assert_eq!(v, b"\xc3\xa9  ");
        assert_eq!(cfmt!("%-4s", "é"), v);
        let mut v = Vec::new();
        pad(&mut v, b"longer than width", 4).unwrap();
        assert_eq!(v, b"longer than width");
        assert_eq!(cut(b"abc", 2), b"ab");
        assert_eq!(cut(b"abc", 9), b"abc");
    }

    #[test]
    fn ntop6_matches_glibc() {
        let fixed = [
            "::",
            "::1",
            "::2",
            "::1.2.3.4",
            "::ffff:1.2.3.4",
            "::ffff:0:0",
            "::ffff:0.0.0.0",
            "1::",
            "1::1",
            "2001:db8::1",
            "2001:db8:0:1:0:0:0:1",
            "2001:0:0:1:0:0:0:1",
            "1:0:1:0:1:0:1:0",
            "fe80::1:2:3:4",
            "0:0:0:0:0:1:0:0",
            "0:0:0:0:0:fffe:1:2",
            "0:0:0:0:1:ffff:1:2",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ];
        for s in fixed {
            let a: Ipv6Addr = s.parse().unwrap();
            assert_eq!(ntop6(&a), c_inet_ntop6(&a), "{s}");
        }
        // Random addresses biased towards zero groups.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut g = [0u16; 8];
            for w in g.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *w = match seed % 4 {
                    0 | 1 => 0,
                    2 => 0xffff,
                    _ => (seed >> 20) as u16,
                };
            }
            let a = Ipv6Addr::from(g);
            assert_eq!(ntop6(&a), c_inet_ntop6(&a), "{a:?}");
        }
    }

    #[test]
    fn addrport_numeric() {
        let r = NumericResolver;
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 168, 56, 200));
        assert_eq!(
            addrport(v4, 80, Some(Protocol::Tcp), true, &r),
            b"192.168.56.200:80"
        );
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            addrport(v6, 80, Some(Protocol::Tcp), true, &r),
            b"[2001:db8::1]:80"
        );
        // ipvsadm: snprintf(buf, 60, "%s%s%s:%u", ...)
        let full: IpAddr = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
            .parse()
            .unwrap();
        let want = cfmt!("%s%s%s:%u", "[", inet_ntop(full).as_str(), "]", 65535u32);
        assert_eq!(addrport(full, 65535, None, true, &r), want);
    }

    struct Names;
    impl Resolver for Names {
        fn host_name(&self, addr: IpAddr) -> Option<String> {
            match addr {
                IpAddr::V4(a) if a.octets()[0] == 10 => Some("x".repeat(70)),
                IpAddr::V4(_) => Some("www.example.com".into()),
                IpAddr::V6(_) => None,
            }
        }
        fn service_name(&self, port: u16, protocol: Protocol) -> Option<String> {
            (port == 80 && protocol == Protocol::Tcp).then(|| "http".into())
        }
    }

    #[test]
    fn addrport_names_and_59_byte_cut() {
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(
            addrport(a, 80, Some(Protocol::Tcp), false, &Names),
            b"www.example.com:http"
        );
        assert_eq!(
            addrport(a, 80, Some(Protocol::Udp), false, &Names),
            b"www.example.com:80"
        );
        // fwmark services have no protocol: ports stay numeric.
        assert_eq!(addrport(a, 80, None, false, &Names), b"www.example.com:80");
        // numeric never asks the resolver.
        assert_eq!(
            addrport(a, 80, Some(Protocol::Tcp), true, &Names),
            b"192.0.2.1:80"
        );
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            addrport(v6, 80, Some(Protocol::Tcp), false, &Names),
            b"[2001:db8::1]:http"
        );
        // ipvsadm: snprintf(buf, 60, "%s%s%s:%s", ...) keeps 59 bytes.
        let long = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let got = addrport(long, 80, Some(Protocol::Tcp), false, &Names);
        let mut buf = [0u8; 60];
        let full = format!("{}:http", "x".repeat(70));
        let n = full.len().min(59);
        buf[..n].copy_from_slice(&full.as_bytes()[..n]);
        assert_eq!(got, &buf[..59]);
        assert_eq!(got, cfmt!("%.59s", full.as_str()));
    }
}
