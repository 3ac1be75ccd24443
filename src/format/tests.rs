//! Listing, save, connection and one-line outputs.
//!
//! Expected bytes come from two places only: real ipvsadm output (quoted
//! with its source), and glibc's `snprintf` run on the format strings of
//! ipvsadm.c (the `cfmt!` oracle; each call names the ipvsadm function the
//! format is from). Nothing is typed in from imagination.

use std::net::{IpAddr, Ipv4Addr};

use ipvs::conn::ConnEntry;
use ipvs::{
    Daemon, DaemonState, Destination, Family, ForwardMethod, Info, PersistenceNetmask, Protocol,
    Service, ServiceFlags, ServiceKey, Stats, Timeouts, TunnelFlags, TunnelType,
};

use super::oracle::cfmt;
use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn svc(protocol: Protocol, addr: &str, port: u16, sched: &str) -> Service {
    let mut s = Service::new(ServiceKey::Addr {
        protocol,
        addr: ip(addr),
        port,
    });
    s.scheduler = sched.to_string();
    s
}

fn fwm(mark: u32, family: Family) -> Service {
    Service::new(ServiceKey::Fwmark { mark, family })
}

fn dest(addr: &str, port: u16, forward: ForwardMethod, weight: i32) -> Destination {
    let mut d = Destination::new(ip(addr), port);
    d.forward = forward;
    d.weight = weight;
    d
}

fn opts(kind: ListKind) -> ListOptions {
    ListOptions {
        numeric: true,
        kind,
        ..ListOptions::default()
    }
}

fn list(s: &Service, dests: &[Destination], o: &ListOptions, r: &dyn Resolver) -> Vec<u8> {
    let mut out = Vec::new();
    write_service(&mut out, s, dests, o, r).unwrap();
    out
}

fn listn(s: &Service, dests: &[Destination], kind: ListKind) -> Vec<u8> {
    list(s, dests, &opts(kind), &NumericResolver)
}

fn titles(kind: ListKind) -> Vec<u8> {
    let mut out = Vec::new();
    write_list_titles(&mut out, &opts(kind)).unwrap();
    out
}

fn save(s: &Service, dests: &[Destination], numeric: bool, r: &dyn Resolver) -> Vec<u8> {
    let mut out = Vec::new();
    write_save_service(&mut out, s, dests, numeric, r).unwrap();
    out
}

fn text(v: &[u8]) -> &str {
    std::str::from_utf8(v).unwrap()
}

/// A resolver with a few fixed names, standing in for /etc/hosts and
/// /etc/services.
struct Names;

impl Resolver for Names {
    fn host_name(&self, addr: IpAddr) -> Option<String> {
        match addr.to_string().as_str() {
            "192.0.2.1" => Some("www.example.com".into()),
            "192.0.2.2" => Some("a-rather-long-real-server-name.example.com".into()),
            "198.51.100.1" => Some("realserver.example.com".into()),
            "2001:db8::1" => Some("v6.example.com".into()),
            "10.0.0.1" => Some("x".repeat(80)),
            _ => None,
        }
    }
    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String> {
        match (port, protocol) {
            (80, Protocol::Tcp) => Some("http".into()),
            (443, Protocol::Tcp) => Some("https".into()),
            (53, Protocol::Udp) => Some("domain".into()),
            _ => None,
        }
    }
}

// --- real ipvsadm output ---------------------------------------------------

/// The seed document's `ipvsadm -ln` of an LVS-NAT director (wrr, weights
/// 2 and 1). Its last row lost its trailing blanks in the document (it
/// ends "8" + 6 blanks where the %-10u column has 9), so that row is
/// compared without them; every other byte is compared as printed.
#[test]
fn seed_listing_lvs_nat_wrr() {
    let seed = "IP Virtual Server version 1.2.1 (size=4096)\n\
                Prot LocalAddress:Port Scheduler Flags\n  \
                -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
                TCP  192.168.56.200:80 wrr\n  \
                -> 192.168.188.107:80           Masq    2      0          16        \n  \
                -> 192.168.188.110:80           Masq    1      0          8      \n";
    let s = svc(Protocol::Tcp, "192.168.56.200", 80, "wrr");
    let mut d1 = dest("192.168.188.107", 80, ForwardMethod::Masq, 2);
    d1.inactive_conns = 16;
    let mut d2 = dest("192.168.188.110", 80, ForwardMethod::Masq, 1);
    d2.inactive_conns = 8;
    let o = ListOptions {
        numeric: true,
        ..ListOptions::default()
    };
    let mut out = Vec::new();
    write_version_header(
        &mut out,
        &Info {
            version: 0x010201,
            conn_table_size: 4096,
        },
    )
    .unwrap();
    write_list_titles(&mut out, &o).unwrap();
    // given in reverse: the listing sorts them
    write_service(&mut out, &s, &[d2, d1], &o, &NumericResolver).unwrap();
    let got: Vec<&str> = text(&out).split_inclusive('\n').collect();
    let want: Vec<&str> = seed.split_inclusive('\n').collect();
    assert_eq!(got.len(), want.len());
    assert_eq!(got[..5], want[..5]);
    assert_eq!(got[5].trim_end(), want[5].trim_end());
}

/// `ipvsadm -Ln` quoted in a public LVS tutorial (NAT, rr, weight 50); its
/// first destination row kept its trailing blanks.
#[test]
fn tutorial_listing_lvs_nat_rr() {
    let real = "TCP  10.0.0.101:80 rr\n  \
                -> 172.16.1.102:80              Masq    50     0          0         \n";
    let s = svc(Protocol::Tcp, "10.0.0.101", 80, "rr");
    let d = dest("172.16.1.102", 80, ForwardMethod::Masq, 50);
    assert_eq!(text(&listn(&s, &[d], ListKind::Default)), real);
}

// --- titles ------------------------------------------------------------------

#[test]
fn titles_match_print_title() {
    // ipvsadm: print_title
    let remote = "  -> RemoteAddress:Port\n";
    let mut stats = cfmt!(
        "%-33s %8s %8s %8s %8s %8s\n",
        "Prot LocalAddress:Port",
        "Conns",
        "InPkts",
        "OutPkts",
        "InBytes",
        "OutBytes"
    );
    stats.extend_from_slice(remote.as_bytes());
    assert_eq!(titles(ListKind::Stats), stats);
    let mut rate = cfmt!(
        "%-33s %8s %8s %8s %8s %8s\n",
        "Prot LocalAddress:Port",
        "CPS",
        "InPPS",
        "OutPPS",
        "InBPS",
        "OutBPS"
    );
    rate.extend_from_slice(remote.as_bytes());
    assert_eq!(titles(ListKind::Rate), rate);
    let mut thr = cfmt!(
        "%-33s %-10s %-10s %-10s %-10s\n",
        "Prot LocalAddress:Port",
        "Uthreshold",
        "Lthreshold",
        "ActiveConn",
        "InActConn"
    );
    thr.extend_from_slice(remote.as_bytes());
    assert_eq!(titles(ListKind::Thresholds), thr);
    let mut pc = cfmt!(
        "%-33s %-9s %-11s %-10s %-10s\n",
        "Prot LocalAddress:Port",
        "Weight",
        "PersistConn",
        "ActiveConn",
        "InActConn"
    );
    pc.extend_from_slice(remote.as_bytes());
    assert_eq!(titles(ListKind::PersistentConn), pc);
    assert_eq!(
        text(&titles(ListKind::TunInfo)),
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           \
         Forward TunnelInfo    Weight ActiveConn InActConn\n"
    );
}

#[test]
fn list_kind_precedence() {
    use ListKind::*;
    assert_eq!(
        ListKind::from_flags(false, false, false, false, false),
        Default
    );
    assert_eq!(ListKind::from_flags(true, true, true, true, true), Stats);
    assert_eq!(ListKind::from_flags(false, true, true, true, true), Rate);
    assert_eq!(
        ListKind::from_flags(false, false, true, true, true),
        Thresholds
    );
    assert_eq!(
        ListKind::from_flags(false, false, false, true, true),
        PersistentConn
    );
    assert_eq!(
        ListKind::from_flags(false, false, false, false, true),
        TunInfo
    );
}

// --- service rows ----------------------------------------------------------

/// The first line of a listing of `s` (its service row).
fn service_row(s: &Service, kind: ListKind, r: &dyn Resolver, numeric: bool) -> String {
    let o = ListOptions {
        numeric,
        kind,
        ..ListOptions::default()
    };
    text(&list(s, &[], &o, r)).to_string()
}

#[test]
fn service_row_options() {
    // ipvsadm: "%-4s %s" + " %s" sched, " (" flags ")", " persistent %u",
    // " mask %s", " pe %s", " ops"
    let label = |p: &str, a: &str| cfmt!("%-4s %s", p, a);
    let mut s = svc(Protocol::Udp, "192.0.2.1", 53, "wlc");
    s.flags = ServiceFlags::PERSISTENT
        | ServiceFlags::ONEPACKET
        | ServiceFlags::SCHED1
        | ServiceFlags::SCHED3;
    s.timeout = 300;
    s.netmask = PersistenceNetmask::V4(Ipv4Addr::new(255, 255, 255, 0));
    s.pe_name = Some("sip".into());
    let mut want = label("UDP", "192.0.2.1:53");
    want.extend(cfmt!(" %s", "wlc"));
    want.extend(cfmt!(" (%s)", "flag-1,flag-3"));
    want.extend(cfmt!(" persistent %u", 300u32));
    want.extend(cfmt!(" mask %s", "255.255.255.0"));
    want.extend(cfmt!(" pe %s", "sip"));
    want.extend(cfmt!(" ops\n"));
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true).as_bytes(),
        want
    );

    // pe shows only with persistence; sh names its flags; a lone third
    // flag gives empty parentheses.
    let mut s = svc(Protocol::Tcp, "192.0.2.1", 80, "sh");
    s.pe_name = Some("sip".into());
    s.flags = ServiceFlags::SCHED1 | ServiceFlags::SCHED2 | ServiceFlags::SCHED3;
    let mut want = label("TCP", "192.0.2.1:80");
    want.extend(cfmt!(" %s (%s)\n", "sh", "sh-fallback,sh-port"));
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true).as_bytes(),
        want
    );
    s.scheduler = "mh".into();
    s.flags = ServiceFlags::SCHED3;
    let mut want = label("TCP", "192.0.2.1:80");
    want.extend(cfmt!(" %s (%s)\n", "mh", ""));
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true).as_bytes(),
        want
    );

    // IPv6: the mask is a prefix length (" mask %i"), 128 not shown
    let mut s = svc(Protocol::Tcp, "2001:db8::1", 80, "rr");
    s.flags = ServiceFlags::PERSISTENT;
    s.timeout = 360;
    let mut want = label("TCP", "[2001:db8::1]:80");
    want.extend(cfmt!(" %s persistent %u\n", "rr", 360u32));
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true).as_bytes(),
        want
    );
    s.netmask = PersistenceNetmask::V6Prefix(64);
    let mut want = label("TCP", "[2001:db8::1]:80");
    want.extend(cfmt!(" %s persistent %u mask %i\n", "rr", 360u32, 64i32));
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true).as_bytes(),
        want
    );
}

#[test]
fn fwmark_rows() {
    // ipvsadm: "FWM  %d" / "FWM  %d IPv6", then " %s" of the scheduler
    let s = fwm(5, Family::Inet);
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true).as_bytes(),
        cfmt!("FWM  %d %s\n", 5i32, "wlc")
    );
    assert_eq!(
        service_row(&s, ListKind::Default, &NumericResolver, true),
        "FWM  5 wlc\n"
    );
    let s6 = fwm(5, Family::Inet6);
    assert_eq!(
        service_row(&s6, ListKind::Default, &NumericResolver, true).as_bytes(),
        cfmt!("FWM  %d IPv6 %s\n", 5i32, "wlc")
    );
    // the mark is printed with %d: above 2^31 it is negative
    let big = fwm(0xffff_fff0, Family::Inet);
    assert_eq!(
        service_row(&big, ListKind::Default, &NumericResolver, true).as_bytes(),
        cfmt!("FWM  %d %s\n", 0xffff_fff0u32 as i32, "wlc")
    );
    // fwmark destination ports are never named (the protocol is 0)
    let d = dest("192.0.2.1", 80, ForwardMethod::Route, 1);
    let o = ListOptions::default();
    let out = list(&s, &[d], &o, &Names);
    assert!(
        text(&out).contains("  -> www.example.com:80 "),
        "{}",
        text(&out)
    );
}

#[test]
fn service_label_cut_at_33_unless_ipv6() {
    // ipvsadm: snprintf(svc_name, ..., "%-4s %s"); svc_name[33] = '\0'
    let s = svc(Protocol::Tcp, "192.0.2.2", 443, "wlc");
    let full = cfmt!(
        "%-4s %s",
        "TCP",
        "a-rather-long-real-server-name.example.com:https"
    );
    let mut want = full[..33].to_vec();
    want.extend(cfmt!(" %s\n", "wlc"));
    assert_eq!(
        service_row(&s, ListKind::Default, &Names, false).as_bytes(),
        want
    );
    // --stats pads the (cut) label to 33
    let row = service_row(&s, ListKind::Stats, &Names, false);
    assert_eq!(&row.as_bytes()[..33], &full[..33]);
    // an IPv6 label is never cut
    let mut s6 = svc(Protocol::Tcp, "2001:db8::abcd:1234:5678:9abc", 65535, "wlc");
    s6.key = ServiceKey::Addr {
        protocol: Protocol::Sctp,
        addr: ip("2001:db8::abcd:1234:5678:9abc"),
        port: 65535,
    };
    let mut want = cfmt!("%-4s %s", "SCTP", "[2001:db8::abcd:1234:5678:9abc]:65535");
    assert!(want.len() > 33);
    want.extend(cfmt!(" %s\n", "wlc"));
    assert_eq!(
        service_row(&s6, ListKind::Default, &Names, false).as_bytes(),
        want
    );
}

// --- destination rows ------------------------------------------------------

/// The rows after the service row.
fn dest_rows(s: &Service, dests: &[Destination], o: &ListOptions, r: &dyn Resolver) -> Vec<u8> {
    let out = list(s, dests, o, r);
    let first = out.iter().position(|b| *b == b'\n').unwrap();
    out[first + 1..].to_vec()
}

#[test]
fn default_rows_every_forward_method() {
    let s = svc(Protocol::Tcp, "192.0.2.10", 80, "wlc");
    let cases = [
        (ForwardMethod::Masq, "Masq"),
        (ForwardMethod::Local, "Local"),
        (ForwardMethod::Tunnel, "Tunnel"),
        (ForwardMethod::Route, "Route"),
    ];
    for (f, name) in cases {
        let mut d = dest("198.51.100.1", 8080, f, 65535);
        d.active_conns = 4_294_967_295;
        d.inactive_conns = 7;
        // ipvsadm: "  -> %-28s %-7s %-6d %-10u %-10u\n"
        let want = cfmt!(
            "  -> %-28s %-7s %-6d %-10u %-10u\n",
            "198.51.100.1:8080",
            name,
            65535i32,
            4_294_967_295u32,
            7u32
        );
        assert_eq!(
            dest_rows(&s, &[d], &opts(ListKind::Default), &NumericResolver),
            want
        );
    }
    // glibc prints a NULL %s as "(null)": ipvsadm's fwd_name for bypass
    let d = dest("198.51.100.1", 80, ForwardMethod::Bypass, -1);
    let want = cfmt!(
        "  -> %-28s %-7s %-6d %-10u %-10u\n",
        "198.51.100.1:80",
        "(null)",
        -1i32,
        0u32,
        0u32
    );
    assert_eq!(
        dest_rows(&s, &[d], &opts(ListKind::Default), &NumericResolver),
        want
    );
}

#[test]
fn destination_names_cut_at_28_unless_ipv6() {
    let s = svc(Protocol::Tcp, "192.0.2.10", 80, "wlc");
    let d = dest("192.0.2.2", 80, ForwardMethod::Route, 1);
    // ipvsadm: dname[28] = '\0' then "  -> %-28s ..."
    let full = "a-rather-long-real-server-name.example.com:http";
    let want = cfmt!(
        "  -> %-28s %-7s %-6d %-10u %-10u\n",
        &full[..28],
        "Route",
        1i32,
        0u32,
        0u32
    );
    let o = ListOptions::default();
    assert_eq!(dest_rows(&s, std::slice::from_ref(&d), &o, &Names), want);
    // -S does not cut
    let saved = save(&s, &[d], false, &Names);
    assert!(
        text(&saved).contains(&format!("-r {full} -g")),
        "{}",
        text(&saved)
    );

    let s6 = svc(Protocol::Tcp, "2001:db8::80", 80, "wlc");
    let d6 = dest("2001:db8::1234:5678:9abc:def0", 80, ForwardMethod::Masq, 1);
    let want = cfmt!(
        "  -> %-28s %-7s %-6d %-10u %-10u\n",
        "[2001:db8::1234:5678:9abc:def0]:80",
        "Masq",
        1i32,
        0u32,
        0u32
    );
    assert_eq!(
        dest_rows(&s6, &[d6], &opts(ListKind::Default), &NumericResolver),
        want
    );
    let d6 = dest("2001:db8::1", 80, ForwardMethod::Masq, 1);
    let want = cfmt!(
        "  -> %-28s %-7s %-6d %-10u %-10u\n",
        "[v6.example.com]:http",
        "Masq",
        1i32,
        0u32,
        0u32
    );
    assert_eq!(dest_rows(&s6, &[d6], &o, &Names), want);
}

fn stats(base: u64) -> Stats {
    Stats {
        conns: base,
        inpkts: base * 10,
        outpkts: base * 100,
        inbytes: base * 1000,
        outbytes: base * 10000,
        cps: base + 1,
        inpps: base * 10 + 1,
        outpps: base * 100 + 1,
        inbps: base * 1000 + 1,
        outbps: base * 10000 + 1,
    }
}

/// ipvsadm's print_largenum through glibc printf (see text.rs).
fn c_largenum(n: u64, exact: bool) -> Vec<u8> {
    if exact {
        let len = cfmt!("%llu", n).len() as i32;
        return cfmt!("%*llu", if len <= 8 { 9 } else { len + 1 }, n);
    }
    match n {
        0..=99_999_999 => cfmt!("%9llu", n),
        100_000_000..=999_999_999 => cfmt!("%8lluK", n / 1000),
        1_000_000_000..=99_999_999_999 => cfmt!("%8lluM", n / 1_000_000),
        100_000_000_000..=99_999_999_999_999 => cfmt!("%8lluG", n / 1_000_000_000),
        _ => cfmt!("%8lluT", n / 1_000_000_000_000),
    }
}

#[test]
fn stats_and_rate_rows() {
    for exact in [false, true] {
        for base in [0u64, 7, 12_345, 9_999_999, 123_456_789, 98_765_432_109] {
            let mut s = svc(Protocol::Tcp, "192.0.2.10", 80, "wlc");
            s.stats = stats(base);
            let mut d = dest("198.51.100.1", 80, ForwardMethod::Masq, 1);
            d.stats = stats(base + 3);
            let o = ListOptions {
                numeric: true,
                kind: ListKind::Stats,
                exact,
                sort: true,
            };
            // ipvsadm: "%-33s" + 5 print_largenum + "\n"
            let mut want = cfmt!("%-33s", "TCP  192.0.2.10:80");
            for n in [
                s.stats.conns,
                s.stats.inpkts,
                s.stats.outpkts,
                s.stats.inbytes,
                s.stats.outbytes,
            ] {
                want.extend(c_largenum(n, exact));
            }
            want.push(b'\n');
            // ipvsadm: "  -> %-28s" + 5 print_largenum + "\n"
            want.extend(cfmt!("  -> %-28s", "198.51.100.1:80"));
            for n in [
                d.stats.conns,
                d.stats.inpkts,
                d.stats.outpkts,
                d.stats.inbytes,
                d.stats.outbytes,
            ] {
                want.extend(c_largenum(n, exact));
            }
            want.push(b'\n');
            assert_eq!(
                text(&list(&s, std::slice::from_ref(&d), &o, &NumericResolver)),
                text(&want)
            );

            let o = ListOptions {
                kind: ListKind::Rate,
                ..o
            };
            let mut want = cfmt!("%-33s", "TCP  192.0.2.10:80");
            for n in [
                s.stats.cps,
                s.stats.inpps,
                s.stats.outpps,
                s.stats.inbps,
                s.stats.outbps,
            ] {
                want.extend(c_largenum(n, exact));
            }
            want.push(b'\n');
            // ipvsadm: "  -> %-28s %8llu %8llu %8llu" + 2 print_largenum
            let ds = &d.stats;
            want.extend(cfmt!(
                "  -> %-28s %8llu %8llu %8llu",
                "198.51.100.1:80",
                ds.cps,
                ds.inpps,
                ds.outpps
            ));
            want.extend(c_largenum(ds.inbps, exact));
            want.extend(c_largenum(ds.outbps, exact));
            want.push(b'\n');
            assert_eq!(text(&list(&s, &[d], &o, &NumericResolver)), text(&want));
        }
    }
}

#[test]
fn thresholds_and_persistent_conn_rows() {
    let s = svc(Protocol::Tcp, "192.0.2.10", 80, "wlc");
    let mut d = dest("198.51.100.1", 80, ForwardMethod::Masq, -2);
    d.upper_threshold = 2_147_483_647;
    d.lower_threshold = 10;
    d.active_conns = 3;
    d.inactive_conns = 4;
    d.persist_conns = 5;
    // ipvsadm: "  -> %-28s %-10u %-10u %-10u %-10u\n"
    let want = cfmt!(
        "  -> %-28s %-10u %-10u %-10u %-10u\n",
        "198.51.100.1:80",
        2_147_483_647u32,
        10u32,
        3u32,
        4u32
    );
    assert_eq!(
        dest_rows(
            &s,
            std::slice::from_ref(&d),
            &opts(ListKind::Thresholds),
            &NumericResolver
        ),
        want
    );
    // ipvsadm: "  -> %-28s %-9u %-11u %-10u %-10u\n" (weight as unsigned)
    let want = cfmt!(
        "  -> %-28s %-9u %-11u %-10u %-10u\n",
        "198.51.100.1:80",
        -2i32 as u32,
        5u32,
        3u32,
        4u32
    );
    assert_eq!(
        dest_rows(&s, &[d], &opts(ListKind::PersistentConn), &NumericResolver),
        want
    );
    // the service row of these kinds is the default one
    let row = service_row(&s, ListKind::Thresholds, &NumericResolver, true);
    assert_eq!(
        row.as_bytes(),
        cfmt!("%s %s\n", "TCP  192.0.2.10:80", "wlc")
    );
}

#[test]
fn tun_info_rows() {
    let s = svc(Protocol::Tcp, "192.0.2.10", 80, "wlc");
    let tunnel = |t: TunnelType, port: u16, flags: u16| {
        let mut d = dest("198.51.100.1", 80, ForwardMethod::Tunnel, 3);
        d.tun_type = t;
        d.tun_port = port;
        d.tun_flags = TunnelFlags::from_bits_retain(flags);
        d
    };
    let cases = [
        (tunnel(TunnelType::Ipip, 0, 0), cfmt!("%s", "ipip")),
        (
            tunnel(TunnelType::Gue, 6080, 0),
            cfmt!("%s:%d:%s", "gue", 6080i32, "-c"),
        ),
        (
            tunnel(TunnelType::Gue, 65535, 2),
            cfmt!("%s:%d:%s", "gue", 65535i32, "r+c"),
        ),
        (tunnel(TunnelType::Gre, 0, 1), cfmt!("%s:%s", "gre", "+c")),
        (
            dest("198.51.100.1", 80, ForwardMethod::Masq, 3),
            b"n/a".to_vec(),
        ),
    ];
    for (d, info) in cases {
        let fwd = if d.forward == ForwardMethod::Tunnel {
            "Tunnel"
        } else {
            "Masq"
        };
        // ipvsadm: "  -> %-28s %-7s %-13s %-6d %-10u %-10u\n"
        let want = cfmt!(
            "  -> %-28s %-7s %-13s %-6d %-10u %-10u\n",
            "198.51.100.1:80",
            fwd,
            &info,
            3i32,
            0u32,
            0u32
        );
        assert_eq!(
            dest_rows(&s, &[d], &opts(ListKind::TunInfo), &NumericResolver),
            want
        );
    }
}

#[test]
fn destinations_sorted_unless_nosort() {
    let s = svc(Protocol::Tcp, "192.0.2.10", 80, "wlc");
    let dests = [
        dest("10.0.0.1", 80, ForwardMethod::Masq, 1),
        dest("200.0.0.1", 80, ForwardMethod::Masq, 1),
        dest("10.0.0.1", 79, ForwardMethod::Masq, 1),
    ];
    let order = |o: &ListOptions| -> Vec<String> {
        text(&dest_rows(&s, &dests, o, &NumericResolver))
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        order(&opts(ListKind::Default)),
        ["200.0.0.1:80", "10.0.0.1:79", "10.0.0.1:80"]
    );
    let nosort = ListOptions {
        sort: false,
        ..opts(ListKind::Default)
    };
    assert_eq!(
        order(&nosort),
        ["10.0.0.1:80", "200.0.0.1:80", "10.0.0.1:79"]
    );
}

// --- save --------------------------------------------------------------------

#[test]
fn save_rules() {
    let mut s = svc(Protocol::Tcp, "192.0.2.10", 80, "wrr");
    s.flags = ServiceFlags::PERSISTENT | ServiceFlags::SCHED2;
    s.timeout = 600;
    s.netmask = PersistenceNetmask::V4(Ipv4Addr::new(255, 255, 0, 0));
    s.pe_name = Some("sip".into());
    let dests = [
        dest("198.51.100.2", 80, ForwardMethod::Local, 0),
        dest("198.51.100.1", 8080, ForwardMethod::Masq, 2),
    ];
    // ipvsadm: "-A %s -s %s", " -p %u", " -M %s", " --pe %s", " -b " flags,
    // then "-a %s -r %s %s -w %d\n" per destination (sorted)
    let mut want = cfmt!("-A %s -s %s", "-t 192.0.2.10:80", "wrr");
    want.extend(cfmt!(" -p %u", 600u32));
    want.extend(cfmt!(" -M %s", "255.255.0.0"));
    want.extend(cfmt!(" --pe %s", "sip"));
    want.extend(cfmt!(" -b %s\n", "flag-2"));
    want.extend(cfmt!(
        "-a %s -r %s %s -w %d\n",
        "-t 192.0.2.10:80",
        "198.51.100.1:8080",
        "-m",
        2i32
    ));
    want.extend(cfmt!(
        "-a %s -r %s %s -w %d\n",
        "-t 192.0.2.10:80",
        "198.51.100.2:80",
        "-g",
        0i32
    ));
    assert_eq!(text(&save(&s, &dests, true, &NumericResolver)), text(&want));

    // names without -n; pe saved without persistence; -o
    let mut s = svc(Protocol::Udp, "192.0.2.1", 53, "rr");
    s.flags = ServiceFlags::ONEPACKET;
    s.pe_name = Some("sip".into());
    let d = dest("198.51.100.1", 53, ForwardMethod::Route, 1);
    let mut want = cfmt!("-A %s -s %s", "-u www.example.com:domain", "rr");
    want.extend(cfmt!(" --pe %s", "sip"));
    want.extend(cfmt!(" -o\n"));
    want.extend(cfmt!(
        "-a %s -r %s %s -w %d\n",
        "-u www.example.com:domain",
        "realserver.example.com:domain",
        "-g",
        1i32
    ));
    assert_eq!(text(&save(&s, &[d], false, &Names)), text(&want));
}

#[test]
fn save_fwmark_sctp_ipv6_and_tunnels() {
    let mut s = fwm(5, Family::Inet6);
    s.flags = ServiceFlags::PERSISTENT;
    s.timeout = 360;
    s.netmask = PersistenceNetmask::V6Prefix(64);
    let t = |addr: &str, ty: TunnelType, port: u16, flags: u16| {
        let mut d = dest(addr, 0, ForwardMethod::Tunnel, 1);
        d.tun_type = ty;
        d.tun_port = port;
        d.tun_flags = TunnelFlags::from_bits_retain(flags);
        d
    };
    let dests = [
        t("2001:db8::3", TunnelType::Gre, 0, 1),
        t("2001:db8::2", TunnelType::Gue, 6080, 2),
        t("2001:db8::1", TunnelType::Ipip, 0, 0),
    ];
    // ipvsadm: "-f %d -6"; " -p %u"; " -M %i"; print_tunnel_rule's three
    // formats
    let mut want = cfmt!("-A %s -s %s", "-f 5 -6", "wlc");
    want.extend(cfmt!(" -p %u -M %i\n", 360u32, 64i32));
    want.extend(cfmt!(
        "-a %s -r %s %s -w %d --tun-type %s\n",
        "-f 5 -6",
        "[2001:db8::1]:0",
        "-i",
        1i32,
        "ipip"
    ));
    want.extend(cfmt!(
        "-a %s -r %s %s -w %d --tun-type %s --tun-port %d %s\n",
        "-f 5 -6",
        "[2001:db8::2]:0",
        "-i",
        1i32,
        "gue",
        6080i32,
        "--tun-remcsum"
    ));
    want.extend(cfmt!(
        "-a %s -r %s %s -w %d --tun-type %s %s\n",
        "-f 5 -6",
        "[2001:db8::3]:0",
        "-i",
        1i32,
        "gre",
        "--tun-csum"
    ));
    assert_eq!(text(&save(&s, &dests, true, &NumericResolver)), text(&want));

    let s = svc(Protocol::Sctp, "192.0.2.10", 9, "sh");
    let want = cfmt!("-A %s -s %s\n", "--sctp-service 192.0.2.10:9", "sh");
    assert_eq!(text(&save(&s, &[], true, &NumericResolver)), text(&want));
    let s = fwm(7, Family::Inet);
    let want = cfmt!("-A %s -s %s\n", cfmt!("-f %d", 7i32).as_slice(), "wlc");
    assert_eq!(text(&save(&s, &[], true, &NumericResolver)), text(&want));
}

// --- connections -------------------------------------------------------------

fn conn_opts(numeric: bool, kind: ListKind) -> ListOptions {
    ListOptions {
        numeric,
        kind,
        ..ListOptions::default()
    }
}

#[test]
fn conn_titles() {
    let mut out = Vec::new();
    write_conn_titles(&mut out, &conn_opts(true, ListKind::Default)).unwrap();
    let mut want = b"IPVS connection entries\n".to_vec();
    // ipvsadm: list_conn
    want.extend(cfmt!(
        "pro expire %-11s %-18s %-18s %s\n",
        "state",
        "source",
        "virtual",
        "destination"
    ));
    assert_eq!(text(&out), text(&want));
    let mut out = Vec::new();
    write_conn_titles(&mut out, &conn_opts(true, ListKind::PersistentConn)).unwrap();
    let mut want = b"IPVS connection entries\n".to_vec();
    want.extend(cfmt!(
        "pro expire %-11s %-18s %-18s %-18s %-16s %s\n",
        "state",
        "source",
        "virtual",
        "destination",
        "pe name",
        "pe_data"
    ));
    assert_eq!(text(&out), text(&want));
}

fn conn_row(line: &str, o: &ListOptions, r: &dyn Resolver) -> String {
    let e: ConnEntry = line.parse().unwrap();
    let mut out = Vec::new();
    write_conn(&mut out, &e, o, r).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn conn_rows() {
    // A real kernel line (see ipvs::conn's tests).
    let line = "TCP 0A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT       116\n";
    // ipvsadm: sprintf(expire_str, "%02d:%02d", ...), then
    // "%-3s %-6s %-11s %-18s %-18s %s\n"
    let expire = cfmt!("%02d:%02d", 1i32, 56i32);
    let want = cfmt!(
        "%-3s %-6s %-11s %-18s %-18s %s\n",
        "TCP",
        &expire,
        "TIME_WAIT",
        "10.0.0.104:46370",
        "10.0.0.101:80",
        "172.168.1.103:80"
    );
    assert_eq!(
        conn_row(line, &conn_opts(true, ListKind::Default), &NumericResolver).as_bytes(),
        want
    );

    // names; the persistent form needs pe data
    let line = "TCP C0000201 0050 C0000201 01BB C6336401 01BB ESTABLISHED 3599\n";
    let want = cfmt!(
        "%-3s %-6s %-11s %-18s %-18s %s\n",
        "TCP",
        "59:59",
        "ESTABLISHED",
        "www.example.com:http",
        "www.example.com:https",
        "realserver.example.com:https"
    );
    let pc = conn_opts(false, ListKind::PersistentConn);
    assert_eq!(conn_row(line, &pc, &Names).as_bytes(), want);

    // IPv6 with engine data, both forms
    let line = "UDP 2001:0db8:0000:0000:0000:0000:0000:0001 13C4 \
                2001:0db8:0000:0000:0000:0000:0000:0080 13C4 \
                2001:0db8:0000:0000:0000:0000:0001:0001 13C4 UDP         \
                0 sip a84b4c76e66710@pc33.example.com\n";
    let want = cfmt!(
        "%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n",
        "UDP",
        "00:00",
        "UDP",
        "[2001:db8::1]:5060",
        "[2001:db8::80]:5060",
        "[2001:db8::1:1]:5060",
        "sip",
        "a84b4c76e66710@pc33.example.com"
    );
    assert_eq!(
        conn_row(
            line,
            &conn_opts(true, ListKind::PersistentConn),
            &NumericResolver
        )
        .as_bytes(),
        want
    );
    let want = cfmt!(
        "%-3s %-6s %-11s %-18s %-18s %s\n",
        "UDP",
        "00:00",
        "UDP",
        "[2001:db8::1]:5060",
        "[2001:db8::80]:5060",
        "[2001:db8::1:1]:5060"
    );
    assert_eq!(
        conn_row(line, &conn_opts(true, ListKind::Default), &NumericResolver).as_bytes(),
        want
    );

    // long expiries: minutes are not bounded ("%02d:%02d")
    let line = "IP  C0000201 0000 C6336401 0000 C6336402 0000 NONE       4294967295\n";
    let expire = cfmt!(
        "%02d:%02d",
        (4_294_967_295u32 / 60) as i32,
        (4_294_967_295u32 % 60) as i32
    );
    let want = cfmt!(
        "%-3s %-6s %-11s %-18s %-18s %s\n",
        "IP",
        &expire,
        "NONE",
        "192.0.2.1:0",
        "198.51.100.1:0",
        "198.51.100.2:0"
    );
    assert_eq!(
        conn_row(line, &conn_opts(true, ListKind::Default), &NumericResolver).as_bytes(),
        want
    );
}

// --- one-liners --------------------------------------------------------------

#[test]
fn header_timeouts_daemons() {
    let mut out = Vec::new();
    write_version_header(
        &mut out,
        &Info {
            version: 0x010201,
            conn_table_size: 4096,
        },
    )
    .unwrap();
    // ipvsadm: list_all
    let want = cfmt!(
        "IP Virtual Server version %d.%d.%d (size=%d)\n",
        1i32,
        2i32,
        1i32,
        4096i32
    );
    assert_eq!(out, want);

    let mut out = Vec::new();
    write_timeouts(
        &mut out,
        &Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        },
    )
    .unwrap();
    // ipvsadm: list_timeout
    let want = cfmt!(
        "Timeout (tcp tcpfin udp): %d %d %d\n",
        900i32,
        120i32,
        300i32
    );
    assert_eq!(out, want);

    let daemons = [
        Daemon {
            state: DaemonState::Master,
            mcast_ifn: "eth0".into(),
            syncid: 0,
            sync_maxlen: Some(1472),
            mcast_group: Some(ip("224.0.0.81")),
            mcast_port: Some(8848),
            mcast_ttl: Some(1),
        },
        Daemon {
            state: DaemonState::Backup,
            mcast_ifn: "veth-with-a-long-name".into(),
            syncid: 200,
            sync_maxlen: Some(0),
            mcast_group: Some(ip("ff02::1:2")),
            mcast_port: None,
            mcast_ttl: Some(0),
        },
    ];
    let mut out = Vec::new();
    write_daemons(&mut out, &daemons).unwrap();
    // ipvsadm: list_daemon
    let mut want = cfmt!(
        "%s sync daemon (mcast=%s, syncid=%d",
        "master",
        "eth0",
        0i32
    );
    want.extend(cfmt!(", maxlen=%u", 1472u32));
    want.extend(cfmt!(", group=%s", "224.0.0.81"));
    want.extend(cfmt!(", port=%u", 8848u32));
    want.extend(cfmt!(", ttl=%u", 1u32));
    want.extend(cfmt!(")\n"));
    want.extend(cfmt!(
        "%s sync daemon (mcast=%.15s, syncid=%d",
        "backup",
        "veth-with-a-long-name",
        200i32
    ));
    want.extend(cfmt!(", group=%s", "ff02::1:2"));
    want.extend(cfmt!(")\n"));
    assert_eq!(text(&out), text(&want));
}

// --- robustness --------------------------------------------------------------

/// Every function on many odd values: nothing may panic.
#[test]
fn no_input_panics() {
    let mut seed: u64 = 42;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let forwards = [
        ForwardMethod::Masq,
        ForwardMethod::Local,
        ForwardMethod::Tunnel,
        ForwardMethod::Route,
        ForwardMethod::Bypass,
    ];
    let kinds = [
        ListKind::Default,
        ListKind::Stats,
        ListKind::Rate,
        ListKind::Thresholds,
        ListKind::PersistentConn,
        ListKind::TunInfo,
    ];
    let tuns = [TunnelType::Ipip, TunnelType::Gue, TunnelType::Gre];
    let addrs = [
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:1.2.3.4",
        "10.0.0.1",
        "192.0.2.2",
    ];
    for _ in 0..400 {
        let a = ip(addrs[(rnd() % addrs.len() as u64) as usize]);
        let key = if rnd() % 3 == 0 {
            ServiceKey::Fwmark {
                mark: rnd() as u32,
                family: if rnd() % 2 == 0 {
                    Family::Inet
                } else {
                    Family::Inet6
                },
            }
        } else {
            ServiceKey::Addr {
                protocol: [Protocol::Tcp, Protocol::Udp, Protocol::Sctp][(rnd() % 3) as usize],
                addr: a,
                port: rnd() as u16,
            }
        };
        let mut s = Service::new(key);
        s.scheduler = [
            "",
            "sh",
            "mh",
            "a-scheduler-name-too-long-for-the-kernel",
            "é",
        ][(rnd() % 5) as usize]
            .into();
        s.flags = ServiceFlags::from_bits_retain(rnd() as u32);
        s.timeout = rnd() as u32;
        s.netmask = PersistenceNetmask::from_raw(s.key.family(), rnd() as u32);
        s.pe_name = [None, Some(String::new()), Some("x".repeat(40))][(rnd() % 3) as usize].clone();
        s.stats = Stats {
            conns: rnd(),
            inpkts: rnd(),
            outpkts: u64::MAX,
            inbytes: 0,
            outbytes: rnd(),
            cps: rnd(),
            inpps: rnd(),
            outpps: rnd(),
            inbps: rnd(),
            outbps: u64::MAX,
        };
        let dests: Vec<Destination> = (0..rnd() % 5)
            .map(|_| {
                let mut d = Destination::new(
                    ip(addrs[(rnd() % addrs.len() as u64) as usize]),
                    rnd() as u16,
                );
                d.forward = forwards[(rnd() % 5) as usize];
                d.weight = rnd() as i32;
                d.upper_threshold = rnd() as u32;
                d.tun_type = tuns[(rnd() % 3) as usize];
                d.tun_port = rnd() as u16;
                d.tun_flags = TunnelFlags::from_bits_retain(rnd() as u16);
                d.stats.inbps = rnd();
                d
            })
            .collect();
        for kind in kinds {
            for (numeric, r) in [(true, &NumericResolver as &dyn Resolver), (false, &Names)] {
                let o = ListOptions {
                    numeric,
                    kind,
                    exact: rnd() % 2 == 0,
                    sort: rnd() % 2 == 0,
                };
                let mut out = Vec::new();
                write_list_titles(&mut out, &o).unwrap();
                write_service(&mut out, &s, &dests, &o, r).unwrap();
                write_save_service(&mut out, &s, &dests, numeric, r).unwrap();
            }
        }
        let mut all = vec![s.clone(), s];
        sort_services(&mut all);
    }
}
