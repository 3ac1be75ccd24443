//! The 64-bit traffic counters on replies the kernel really sent: the
//! datagrams `rsvsadm -Ln --stats --exact` received after ~4 GiB went
//! through a NAT service in the lab, with ipvsadm's listings of the same
//! table (tests/data/stats64/, captured by netns-tests/tests/26-counters64.sh;
//! how is in datagrams.hex).
//!
//! - Decoded and formatted, they give ipvsadm's listings byte for byte
//!   (byte counters past 2^32 included).
//! - FIX: libipvs reads a destination's STATS64 nest with its 32-bit parser
//!   (`nla_get_u32` of each 8-byte counter but the two byte counters), so
//!   ipvsadm shows connection and packet counts past 2^32 cut to their low
//!   32 bits. No lab run sends 2^32 packets; the captured destination reply
//!   with 2^32 added to those counters shows rsvsadm reading them whole,
//!   where ipvsadm would print the captured numbers unchanged.

use ipvs::testing::decode;
use ipvs::{Destination, Family, Info, Service};
use rsvsadm::format::{self, ListKind, ListOptions, NumericResolver};

const DATAGRAMS: &str = include_str!("data/stats64/datagrams.hex");
const IPVSADM_EXACT: &str = include_str!("data/stats64/ipvsadm-stats-exact.txt");
const IPVSADM_SCALED: &str = include_str!("data/stats64/ipvsadm-stats.txt");

/// `GENL_ID_CTRL`: the controller's reply is not an IPVS message.
const GENL_ID_CTRL: u16 = 0x10;
/// `IPVS_STATS_ATTR_CONNS`, `IPVS_STATS_ATTR_INPKTS`.
const CONNS: u16 = 1;
const INPKTS: u16 = 2;

fn unhex(line: &str) -> Vec<u8> {
    (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&line[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// The captured datagrams, the controller's reply included.
fn datagrams() -> Vec<Vec<u8>> {
    DATAGRAMS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(unhex)
        .collect()
}

/// The table the datagrams describe: GET_INFO, then the service and its
/// destinations, each dump read once (the client dumped them twice), all
/// read by the client's own readers.
struct Table {
    info: Info,
    service: Service,
    dests: Vec<Destination>,
}

fn table(datagrams: &[Vec<u8>]) -> Table {
    let (mut info, mut family_id, mut services, mut dests) = (None, None, Vec::new(), Vec::new());
    for datagram in datagrams {
        let decoded = decode(datagram, Family::Inet).expect("a datagram the kernel sent decodes");
        info = info.or(decoded.info);
        family_id = family_id.or(decoded.family_id);
        for s in decoded.services {
            if !services.iter().any(|x: &Service| x.key == s.key) {
                services.push(s);
            }
        }
        for d in decoded.destinations {
            if !dests
                .iter()
                .any(|x: &Destination| (x.addr, x.port) == (d.addr, d.port))
            {
                dests.push(d);
            }
        }
    }
    assert_eq!(services.len(), 1, "the capture has one service");
    assert!(
        family_id.is_some(),
        "the controller's reply gives the family id"
    );
    Table {
        info: info.expect("GET_INFO reply"),
        service: services.remove(0),
        dests,
    }
}

/// The whole `-Ln --stats` listing, as rsvsadm writes it.
fn listing(t: &Table, exact: bool) -> String {
    let opts = ListOptions {
        numeric: true,
        kind: ListKind::Stats,
        exact,
        sort: true,
    };
    let mut out = Vec::new();
    format::write_version_header(&mut out, &t.info).unwrap();
    format::write_list_titles(&mut out, &opts).unwrap();
    format::write_service(&mut out, &t.service, &t.dests, &opts, &NumericResolver).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn stats64_capture_lists_as_ipvsadm_does() {
    let t = table(&datagrams());
    assert_eq!(listing(&t, true), IPVSADM_EXACT);
    assert_eq!(listing(&t, false), IPVSADM_SCALED);
    // The point of the capture: byte counters past 2^32, read whole.
    assert!(t.service.stats.inbytes > 1 << 32);
    assert_eq!(t.dests.len(), 1);
    assert_eq!(t.dests[0].stats.inbytes, t.service.stats.inbytes);
}

/// The attributes in `buf` (a run of netlink attributes): kind (flags
/// masked off) and the range of its value, relative to `buf`.
fn nlas(buf: &[u8]) -> Vec<(u16, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 4 <= buf.len() {
        let len = usize::from(u16::from_ne_bytes([buf[at], buf[at + 1]]));
        let kind = u16::from_ne_bytes([buf[at + 2], buf[at + 3]]) & 0x3fff;
        out.push((kind, at + 4..at + len));
        at += (len + 3) & !3;
    }
    out
}

/// `IPVS_CMD_ATTR_DEST`, `IPVS_DEST_ATTR_STATS64`.
const CMD_ATTR_DEST: u16 = 2;
const DEST_ATTR_STATS64: u16 = 12;
/// Netlink header and generic-netlink header lengths.
const NLMSG_HDRLEN: usize = 16;
const GENL_HDRLEN: usize = 4;

/// The datagram with `add` added, in place in the kernel's bytes, to the
/// given counters of every destination's STATS64 nest (a little-endian
/// u64 each, as the kernel writes them on x86).
fn bump_dest_stats64(mut datagram: Vec<u8>, kinds: &[u16], add: u64) -> Vec<u8> {
    let mut msg = 0;
    while msg + NLMSG_HDRLEN <= datagram.len() {
        let len = u32::from_ne_bytes(datagram[msg..msg + 4].try_into().unwrap()) as usize;
        let family = u16::from_ne_bytes([datagram[msg + 4], datagram[msg + 5]]);
        let attrs = msg + NLMSG_HDRLEN + GENL_HDRLEN;
        let mut counters = Vec::new();
        for (kind, dest) in nlas(&datagram[attrs.min(msg + len)..msg + len]) {
            if kind != CMD_ATTR_DEST || family == GENL_ID_CTRL {
                continue;
            }
            let dest = attrs + dest.start..attrs + dest.end;
            for (kind, stats) in nlas(&datagram[dest.clone()]) {
                if kind != DEST_ATTR_STATS64 {
                    continue;
                }
                let stats = dest.start + stats.start..dest.start + stats.end;
                for (kind, value) in nlas(&datagram[stats.clone()]) {
                    if kinds.contains(&kind) {
                        counters.push(stats.start + value.start..stats.start + value.end);
                    }
                }
            }
        }
        for c in counters {
            let v = u64::from_le_bytes(datagram[c.clone()].try_into().unwrap());
            datagram[c].copy_from_slice(&(v + add).to_le_bytes());
        }
        msg += (len + 3) & !3;
    }
    datagram
}

/// The datagrams with 2^32 more connections and packets on the destination.
fn with_huge_dest_counters(datagrams: &[Vec<u8>]) -> Vec<Vec<u8>> {
    datagrams
        .iter()
        .map(|d| bump_dest_stats64(d.clone(), &[CONNS, INPKTS], 1 << 32))
        .collect()
}

#[test]
fn stats64_capture_dest_counters_past_2_32_are_read_whole() {
    let captured = table(&datagrams());
    let huge = table(&with_huge_dest_counters(&datagrams()));
    let (was, now) = (&captured.dests[0].stats, &huge.dests[0].stats);
    assert_eq!(now.conns, was.conns + (1 << 32));
    assert_eq!(now.inpkts, was.inpkts + (1 << 32));
    assert_eq!(now.outpkts, was.outpkts);
    // rsvsadm's row shows the whole numbers; ipvsadm's (the low 32 bits of
    // each) would be the captured row, unchanged.
    let ipvsadm_row = IPVSADM_EXACT
        .lines()
        .find(|l| l.starts_with("  -> "))
        .expect("a destination row");
    let ours = listing(&huge, true);
    let our_row = ours.lines().find(|l| l.starts_with("  -> ")).unwrap();
    let expected = ipvsadm_row
        .replacen(
            &format!(" {:>8} ", was.conns),
            &format!(" {:>8} ", now.conns),
            1,
        )
        .replacen(
            &format!(" {:>8} ", was.inpkts),
            &format!(" {} ", now.inpkts),
            1,
        );
    assert_eq!(our_row, expected);
}
