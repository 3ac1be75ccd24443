//! The readers on replies emitted with the crate's own attribute enums (so
//! they are what a kernel sends), then cut and corrupted at every byte:
//! malformed input is an error, never a panic, and whatever is read back
//! re-reads the same ([`check_round_trip`]).

use netlink_packet_core::{
    DefaultNla, Emitable, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_MULTIPART,
};
use netlink_packet_generic::GenlMessage;

use super::daemon::DaemonAttr;
use super::dest::DestAttr;
use super::message::{info_attrs, timeout_attrs, CmdAttr, IpvsCmd, IpvsMessage};
use super::service::SvcAttr;
use super::stats::StatsAttr;
use super::{daemon, dest, service};
use crate::ctrl::{CtrlAttr, CtrlMessage};
use crate::error::Error;
use crate::testing::{check_round_trip, decode, Decoded};
use crate::types::*;

const FAMILY_ID: u16 = 0x1d;

/// Serializes messages as the kernel sends a dump: one datagram, each
/// message 4-byte aligned, flagged multi-part.
fn datagram_of<F>(messages: Vec<F>) -> Vec<u8>
where
    GenlMessage<F>: netlink_packet_core::NetlinkSerializable,
    F: netlink_packet_generic::GenlFamily + Emitable + std::fmt::Debug,
{
    let mut out = Vec::new();
    for (seq, message) in messages.into_iter().enumerate() {
        let mut genl = GenlMessage::from_payload(message);
        genl.finalize();
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_MULTIPART;
        header.sequence_number = seq as u32 + 1;
        let mut msg = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(genl));
        msg.finalize();
        let start = out.len();
        out.resize(start + msg.buffer_len(), 0);
        msg.serialize(&mut out[start..]);
        out.resize((out.len() + 3) & !3, 0);
    }
    out
}

fn reply(cmd: IpvsCmd, attrs: Vec<CmdAttr>) -> IpvsMessage {
    IpvsMessage::new(cmd, attrs, FAMILY_ID)
}

fn sample_stats() -> Stats {
    Stats {
        conns: 1 << 33,
        inpkts: 2 << 33,
        outpkts: 3 << 33,
        inbytes: 4 << 33,
        outbytes: 5 << 33,
        cps: 6 << 33,
        inpps: 7 << 33,
        outpps: 8 << 33,
        inbps: 9 << 33,
        outbps: 10 << 33,
    }
}

fn sample_service() -> Service {
    let mut svc = Service::new(ServiceKey::Addr {
        protocol: Protocol::Udp,
        addr: "192.0.2.10".parse().unwrap(),
        port: 53,
    });
    svc.scheduler = "sh".into();
    svc.flags = ServiceFlags::PERSISTENT | ServiceFlags::SCHED1;
    svc.timeout = 600;
    svc.netmask = PersistenceNetmask::V4(std::net::Ipv4Addr::new(255, 255, 255, 0));
    svc.pe_name = Some("sip".into());
    svc.stats = sample_stats();
    svc
}

fn sample_dest() -> Destination {
    let mut d = Destination::new("2001:db8::7".parse().unwrap(), 6080);
    d.forward = ForwardMethod::Tunnel;
    d.weight = 7;
    d.upper_threshold = 100;
    d.lower_threshold = 10;
    d.tun_type = TunnelType::Gue;
    d.tun_port = 5555;
    d.tun_flags = TunnelFlags::REMCSUM;
    d.active_conns = 3;
    d.inactive_conns = 4;
    d
}

fn sample_daemon() -> Daemon {
    Daemon {
        state: DaemonState::Backup,
        mcast_ifn: "lo".into(),
        syncid: 9,
        sync_maxlen: Some(1400),
        mcast_group: Some("239.1.2.3".parse().unwrap()),
        mcast_port: Some(8848),
        mcast_ttl: Some(3),
    }
}

fn unknown(kind: u16) -> DefaultNla {
    DefaultNla::new(kind, vec![0xa5; 7])
}

fn sample_info() -> Info {
    Info {
        version: 0x010201,
        conn_table_size: 4096,
    }
}

fn sample_timeouts() -> Timeouts {
    Timeouts {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    }
}

/// A GET_SERVICE, GET_DEST, GET_DAEMON, GET_INFO and GET_CONFIG reply in
/// one datagram; with `extra`, every nest also carries attributes of kinds
/// no kernel has sent yet.
fn sample_datagram(extra: bool) -> Vec<u8> {
    let mut svc = service::reply_attrs(&sample_service());
    let mut dest = dest::reply_attrs(&sample_dest());
    let mut daemon = daemon::attrs(&sample_daemon());
    let mut info = info_attrs(&sample_info());
    let mut config = timeout_attrs(&sample_timeouts());
    if extra {
        svc.insert(1, SvcAttr::Other(unknown(200)));
        if let Some(SvcAttr::Stats64(counters)) = svc.last_mut() {
            counters.push(StatsAttr::Other(unknown(11)));
        }
        dest.push(DestAttr::Other(unknown(16)));
        daemon.push(DaemonAttr::Other(unknown(9)));
        info.push(CmdAttr::Other(unknown(3)));
        config.push(CmdAttr::Other(unknown(7)));
    }
    let mut svc_reply = vec![CmdAttr::Service(svc)];
    if extra {
        svc_reply.push(CmdAttr::Other(unknown(77)));
    }
    datagram_of(vec![
        reply(IpvsCmd::NewService, svc_reply),
        reply(IpvsCmd::NewDest, vec![CmdAttr::Dest(dest)]),
        reply(IpvsCmd::NewDaemon, vec![CmdAttr::Daemon(daemon)]),
        reply(IpvsCmd::SetInfo, info),
        reply(IpvsCmd::SetConfig, config),
    ])
}

fn expected() -> Decoded {
    Decoded {
        services: vec![sample_service()],
        destinations: vec![sample_dest()],
        daemons: vec![sample_daemon()],
        info: Some(sample_info()),
        timeouts: sample_timeouts(),
        family_id: None,
    }
}

fn read_all(bytes: &[u8]) -> crate::Result<Decoded> {
    let decoded = decode(bytes, Family::Inet)?;
    check_round_trip(&decoded);
    Ok(decoded)
}

#[test]
fn emitted_replies_decode_to_the_same_objects() {
    assert_eq!(read_all(&sample_datagram(false)).unwrap(), expected());
}

#[test]
fn unknown_attribute_kinds_are_ignored() {
    assert_eq!(read_all(&sample_datagram(true)).unwrap(), expected());
}

#[test]
fn every_truncation_is_an_error_or_a_shorter_reply() {
    let full = sample_datagram(true);
    for len in 0..full.len() {
        // As received (the header claims more than there is) ...
        let _ = read_all(&full[..len]);
        // ... and with the first header's length cut to match, so the
        // readers meet the short nests themselves.
        let mut cut = full[..len].to_vec();
        if cut.len() >= 4 {
            cut[..4].copy_from_slice(&(len as u32).to_ne_bytes());
            let _ = read_all(&cut);
        }
    }
}

#[test]
fn every_corrupted_byte_is_an_error_or_a_value() {
    let full = sample_datagram(true);
    for pos in 0..full.len() {
        for value in [
            0x00,
            0x01,
            0x03,
            0x04,
            0x7f,
            0x80,
            0xfe,
            0xff,
            full[pos] ^ 0x20,
        ] {
            let mut bad = full.clone();
            bad[pos] = value;
            let _ = read_all(&bad);
        }
    }
}

#[test]
fn a_header_longer_than_the_datagram_is_malformed() {
    let mut bytes = vec![0u8; 20];
    bytes[0] = 64;
    assert!(matches!(read_all(&bytes), Err(Error::Malformed(_))));
}

#[test]
fn a_nest_with_a_bad_length_is_malformed() {
    let mut bytes = sample_datagram(false);
    // nlmsghdr (16) + genlmsghdr (4), then the service nest's header:
    // claim one byte more than the message holds.
    let nest_len = u16::from_ne_bytes([bytes[20], bytes[21]]);
    bytes[20..22].copy_from_slice(&(nest_len + 1).to_ne_bytes());
    assert!(matches!(read_all(&bytes), Err(Error::Malformed(_))));
}

#[test]
fn random_bytes_never_panic() {
    // A cheap deterministic sweep; the fuzz target goes further.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for len in 0..200usize {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state & 0xff) as u8
                })
                .collect();
            let _ = read_all(&bytes);
        }
    }
}

/// The 32-bit counters, as a kernel before 4.1 sends them only: u32 but
/// the two byte counters.
fn stats32(stats: &Stats) -> Vec<StatsAttr> {
    let wide = [stats.inbytes, stats.outbytes];
    let narrow = [stats.conns, stats.inpkts, stats.outpkts, stats.cps];
    let mut out: Vec<StatsAttr> = narrow
        .iter()
        .zip([1, 2, 3, 6])
        .map(|(v, kind)| StatsAttr::Other(DefaultNla::new(kind, (*v as u32).to_ne_bytes().into())))
        .collect();
    out.extend(
        wide.iter()
            .zip([4, 5])
            .map(|(v, kind)| StatsAttr::Counter { kind, value: *v }),
    );
    out
}

#[test]
fn stats64_wins_and_stats32_is_read_without_it() {
    let mut d = Destination::new("192.0.2.7".parse().unwrap(), 80);
    d.stats.inpkts = (1 << 32) + 5;
    d.stats.inbytes = 1 << 40;
    let mut both = dest::reply_attrs(&d);
    both.push(DestAttr::Stats(stats32(&d.stats)));
    let bytes = datagram_of(vec![reply(IpvsCmd::NewDest, vec![CmdAttr::Dest(both)])]);
    assert_eq!(read_all(&bytes).unwrap().destinations, vec![d.clone()]);

    let mut only32 = dest::attrs(&d);
    only32.push(DestAttr::Stats(stats32(&d.stats)));
    let bytes = datagram_of(vec![reply(IpvsCmd::NewDest, vec![CmdAttr::Dest(only32)])]);
    let read = &read_all(&bytes).unwrap().destinations[0];
    assert_eq!((read.stats.inpkts, read.stats.inbytes), (5, 1 << 40));
}

#[test]
fn incomplete_objects_are_malformed() {
    let nest = |attrs: Vec<CmdAttr>| datagram_of(vec![reply(IpvsCmd::NewService, attrs)]);
    for bytes in [
        nest(vec![CmdAttr::Service(vec![SvcAttr::Af(2)])]),
        nest(vec![CmdAttr::Dest(vec![DestAttr::Port(80)])]),
        nest(vec![CmdAttr::Daemon(vec![DaemonAttr::State(1)])]),
    ] {
        assert!(matches!(read_all(&bytes), Err(Error::Malformed(_))));
    }
}

#[test]
fn the_controller_reply_gives_the_family_id() {
    let mut reply = CtrlMessage::get_family("IPVS");
    reply.attrs.push(CtrlAttr::FamilyId(FAMILY_ID));
    let bytes = datagram_of(vec![reply]);
    assert_eq!(read_all(&bytes).unwrap().family_id, Some(FAMILY_ID));
    for len in 0..bytes.len() {
        let mut cut = bytes[..len].to_vec();
        if cut.len() >= 4 {
            cut[..4].copy_from_slice(&(len as u32).to_ne_bytes());
        }
        let _ = read_all(&cut);
    }
}

/// The fuzz target's first find: netlink-packet-generic's controller
/// parser indexed a nested policy attribute past its end and panicked.
/// Attributes the client does not need are not even looked into.
#[test]
fn a_malformed_controller_policy_is_ignored() {
    let mut bytes = vec![0u8; 32];
    bytes[0] = 32; // nlmsg_len
    bytes[4] = 0x10; // GENL_ID_CTRL
    bytes[16] = 1; // CTRL_CMD_NEWFAMILY
                   // CTRL_ATTR_OP_POLICY (10) of 12 bytes holding one nest that claims
                   // 0x1e bytes.
    bytes[20..24].copy_from_slice(&[12, 0, 10, 0x80]);
    bytes[24..28].copy_from_slice(&[0x1e, 0, 1, 0x80]);
    assert!(read_all(&bytes).is_ok_and(|d| d.family_id.is_none()));
}
