//! Reading the kernel's replies: every function that turns bytes received
//! from the kernel into typed values. The client uses exactly these, and
//! they are public so that fuzz targets and tests reach the same code the
//! client runs on real replies.
//!
//! A reply is trusted for nothing: lengths are checked, attributes of a
//! kind this code does not know are ignored, and anything malformed is an
//! [`Error::Malformed`], never a panic.

use netlink_packet_core::{NetlinkBuffer, NetlinkDeserializable, NetlinkMessage, Parseable};

use crate::attr::{CmdAttr, InfoAttr};
use crate::convert::{daemon_from, dest_from, find_nest, service_from};
use crate::ctrl::{CtrlAttr, CtrlMessage};
use crate::error::{Error, Result};
use crate::message::{Attrs, IpvsMessage};
use crate::types::{Daemon, Destination, Family, Info, Service, Timeouts};

/// Walks the netlink messages of one received datagram, handing each to
/// `each`. Every message is bounds-checked before it is parsed; the
/// first malformed one ends the walk with an error.
pub fn datagram<M>(
    mut bytes: &[u8],
    mut each: impl FnMut(NetlinkMessage<M>) -> Result<()>,
) -> Result<()>
where
    M: NetlinkDeserializable,
{
    while !bytes.is_empty() {
        let buf =
            NetlinkBuffer::new_checked(&bytes).map_err(|e| Error::Malformed(e.to_string()))?;
        let len = buf.length() as usize;
        let msg = NetlinkMessage::<M>::parse(&buf).map_err(|e| Error::Malformed(e.to_string()))?;
        each(msg)?;
        // Messages are 4-byte aligned; the last one may lack its padding.
        let advance = (len + 3) & !3;
        bytes = bytes.get(advance..).unwrap_or_default();
    }
    Ok(())
}

/// The service of a GET_SERVICE reply (`None` if it carries none).
pub fn service(reply: &IpvsMessage) -> Result<Option<Service>> {
    find_nest(reply.cmd_attrs(), |a| match a {
        CmdAttr::Service(s) => Some(s),
        _ => None,
    })
    .map(service_from)
    .transpose()
}

/// The destination of a GET_DEST reply (`None` if it carries none).
/// `family` is the service's, for kernels that omit the destination's.
pub fn destination(reply: &IpvsMessage, family: Family) -> Result<Option<Destination>> {
    find_nest(reply.cmd_attrs(), |a| match a {
        CmdAttr::Dest(d) => Some(d),
        _ => None,
    })
    .map(|attrs| dest_from(attrs, family))
    .transpose()
}

/// The daemon of a GET_DAEMON reply (`None` if it carries none).
pub fn daemon(reply: &IpvsMessage) -> Result<Option<Daemon>> {
    find_nest(reply.cmd_attrs(), |a| match a {
        CmdAttr::Daemon(d) => Some(d),
        _ => None,
    })
    .map(daemon_from)
    .transpose()
}

/// The IPVS version and connection table size from GET_INFO replies.
pub fn info(replies: &[IpvsMessage]) -> Result<Info> {
    let mut found = None;
    for reply in replies {
        if let Attrs::Info(attrs) = &reply.attrs {
            let (mut version, mut size) = (None, None);
            for attr in attrs {
                match attr {
                    InfoAttr::Version(v) => version = Some(*v),
                    InfoAttr::ConnTabSize(v) => size = Some(*v),
                    InfoAttr::Other(_) => {}
                }
            }
            if let (Some(version), Some(conn_table_size)) = (version, size) {
                found = Some(Info {
                    version,
                    conn_table_size,
                });
            }
        }
    }
    found.ok_or_else(|| Error::Malformed("GET_INFO reply without version and size".into()))
}

/// The three timeouts from GET_CONFIG replies; one the kernel leaves out
/// reads as 0.
pub fn timeouts(replies: &[IpvsMessage]) -> Timeouts {
    let mut t = Timeouts::default();
    for attr in replies.iter().flat_map(|r| r.cmd_attrs()) {
        match attr {
            CmdAttr::TimeoutTcp(v) => t.tcp = *v,
            CmdAttr::TimeoutTcpFin(v) => t.tcp_fin = *v,
            CmdAttr::TimeoutUdp(v) => t.udp = *v,
            _ => {}
        }
    }
    t
}

/// The family id in the generic-netlink controller's GET_FAMILY replies.
pub fn family_id(replies: &[CtrlMessage]) -> Option<u16> {
    replies
        .iter()
        .flat_map(|r| r.attrs.iter())
        .find_map(|attr| match attr {
            CtrlAttr::FamilyId(id) => Some(*id),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    //! Replies are built with the crate's own emitters (so they are what a
    //! kernel sends), then cut and corrupted at every byte.

    use netlink_packet_core::{DefaultNla, NetlinkHeader, NetlinkPayload, NLM_F_MULTIPART};
    use netlink_packet_generic::GenlMessage;

    use super::*;
    use crate::attr::{DaemonAttr, DestAttr, StatsAttr, SvcAttr};
    use crate::convert::{daemon_attrs, dest_attrs, service_attrs};
    use crate::message::Cmd;
    use crate::types::*;

    const FAMILY_ID: u16 = 0x1d;

    /// What one datagram decodes to, by every parser the client has.
    #[derive(Debug, Default, PartialEq)]
    struct Decoded {
        services: Vec<Service>,
        dests: Vec<Destination>,
        daemons: Vec<Daemon>,
        info: Option<Info>,
        timeouts: Timeouts,
    }

    fn decode_all(bytes: &[u8]) -> Result<Decoded> {
        let mut out = Decoded::default();
        let mut replies = Vec::new();
        datagram(bytes, |msg: NetlinkMessage<GenlMessage<IpvsMessage>>| {
            if let NetlinkPayload::InnerMessage(genl) = msg.payload {
                let reply = genl.payload;
                out.services.extend(service(&reply)?);
                out.dests.extend(destination(&reply, Family::Inet)?);
                out.daemons.extend(daemon(&reply)?);
                replies.push(reply);
            }
            Ok(())
        })?;
        out.info = info(&replies).ok();
        out.timeouts = timeouts(&replies);
        Ok(out)
    }

    /// Serializes replies as the kernel sends a dump: one datagram,
    /// each message 4-byte aligned, flagged multi-part.
    fn datagram_of(replies: Vec<IpvsMessage>) -> Vec<u8> {
        let mut out = Vec::new();
        for (seq, reply) in replies.into_iter().enumerate() {
            let mut genl = GenlMessage::from_payload(reply);
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

    fn reply(cmd: Cmd, attrs: Vec<CmdAttr>) -> IpvsMessage {
        IpvsMessage::new(cmd, attrs, FAMILY_ID)
    }

    fn stats64() -> SvcAttr {
        SvcAttr::Stats64(
            (1..=10)
                .map(|kind| StatsAttr::Counter {
                    kind,
                    value: u64::from(kind) << 33,
                })
                .collect(),
        )
    }

    fn sample_service() -> Service {
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "192.0.2.10".parse().unwrap(),
            port: 53,
        });
        svc.scheduler = "sh".into();
        svc.flags = ServiceFlags(ServiceFlags::PERSISTENT | ServiceFlags::SCHED1);
        svc.timeout = 600;
        svc.netmask = 0xffff_ff00;
        svc.pe_name = Some("sip".into());
        svc.stats = Stats {
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
        };
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
        d.tun_flags = TunnelFlags(TunnelFlags::REMCSUM);
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

    /// A GET_SERVICE, GET_DEST, GET_DAEMON, GET_INFO and GET_CONFIG reply
    /// in one datagram; with `extra`, every nest also carries attributes of
    /// kinds no kernel has sent yet.
    fn sample_datagram(extra: bool) -> Vec<u8> {
        let mut svc = service_attrs(&sample_service());
        svc.push(stats64());
        let mut dest = dest_attrs(&sample_dest());
        dest.extend([DestAttr::ActiveConns(3), DestAttr::InactConns(4)]);
        let mut daemon = daemon_attrs(&sample_daemon());
        let mut info = vec![InfoAttr::Version(0x010201), InfoAttr::ConnTabSize(4096)];
        let mut config = vec![
            CmdAttr::TimeoutTcp(900),
            CmdAttr::TimeoutTcpFin(120),
            CmdAttr::TimeoutUdp(300),
        ];
        if extra {
            svc.insert(1, SvcAttr::Other(unknown(200)));
            if let Some(SvcAttr::Stats64(counters)) = svc.last_mut() {
                counters.push(StatsAttr::Other(unknown(11)));
            }
            dest.push(DestAttr::Other(unknown(16)));
            daemon.push(DaemonAttr::Other(unknown(9)));
            info.push(InfoAttr::Other(unknown(3)));
            config.push(CmdAttr::Other(unknown(7)));
        }
        let mut svc_reply = vec![CmdAttr::Service(svc)];
        if extra {
            svc_reply.push(CmdAttr::Other(unknown(77)));
        }
        datagram_of(vec![
            reply(Cmd::NewService, svc_reply),
            reply(Cmd::NewDest, vec![CmdAttr::Dest(dest)]),
            reply(Cmd::NewDaemon, vec![CmdAttr::Daemon(daemon)]),
            IpvsMessage {
                cmd: Cmd::SetInfo as u8,
                attrs: Attrs::Info(info),
                family_id: FAMILY_ID,
            },
            reply(Cmd::SetConfig, config),
        ])
    }

    fn expected() -> Decoded {
        let mut dest = sample_dest();
        dest.active_conns = 3;
        dest.inactive_conns = 4;
        Decoded {
            services: vec![sample_service()],
            dests: vec![dest],
            daemons: vec![sample_daemon()],
            info: Some(Info {
                version: 0x010201,
                conn_table_size: 4096,
            }),
            timeouts: Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300,
            },
        }
    }

    #[test]
    fn emitted_replies_decode_to_the_same_objects() {
        assert_eq!(decode_all(&sample_datagram(false)).unwrap(), expected());
    }

    #[test]
    fn unknown_attribute_kinds_are_ignored() {
        assert_eq!(decode_all(&sample_datagram(true)).unwrap(), expected());
    }

    #[test]
    fn every_truncation_is_an_error_or_a_shorter_reply() {
        let full = sample_datagram(true);
        for len in 0..full.len() {
            // As received (the header claims more than there is) ...
            let _ = decode_all(&full[..len]);
            // ... and with the first header's length cut to match, so the
            // attribute parsers meet the short nests themselves.
            let mut cut = full[..len].to_vec();
            if cut.len() >= 4 {
                cut[..4].copy_from_slice(&(len as u32).to_ne_bytes());
                let _ = decode_all(&cut);
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
                let _ = decode_all(&bad);
            }
        }
    }

    #[test]
    fn a_header_longer_than_the_datagram_is_malformed() {
        let mut bytes = vec![0u8; 20];
        bytes[0] = 64;
        assert!(matches!(decode_all(&bytes), Err(Error::Malformed(_))));
    }

    #[test]
    fn a_nest_with_a_bad_length_is_malformed() {
        let mut bytes = sample_datagram(false);
        // nlmsghdr (16) + genlmsghdr (4), then the service nest's header:
        // claim one byte more than the message holds.
        let nest_len = u16::from_ne_bytes([bytes[20], bytes[21]]);
        bytes[20..22].copy_from_slice(&(nest_len + 1).to_ne_bytes());
        assert!(matches!(decode_all(&bytes), Err(Error::Malformed(_))));
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
                let _ = decode_all(&bytes);
            }
        }
    }

    fn ctrl_replies(bytes: &[u8]) -> Result<Vec<CtrlMessage>> {
        let mut replies = Vec::new();
        datagram(bytes, |msg: NetlinkMessage<GenlMessage<CtrlMessage>>| {
            if let NetlinkPayload::InnerMessage(genl) = msg.payload {
                replies.push(genl.payload);
            }
            Ok(())
        })?;
        Ok(replies)
    }

    #[test]
    fn the_controller_reply_gives_the_family_id() {
        let mut reply = CtrlMessage::get_family("IPVS");
        reply
            .attrs
            .extend([CtrlAttr::Other(unknown(3)), CtrlAttr::FamilyId(FAMILY_ID)]);
        let mut genl = GenlMessage::from_payload(reply);
        genl.finalize();
        let mut msg =
            NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::InnerMessage(genl));
        msg.finalize();
        let mut bytes = vec![0; msg.buffer_len()];
        msg.serialize(&mut bytes);
        assert_eq!(family_id(&ctrl_replies(&bytes).unwrap()), Some(FAMILY_ID));
        assert_eq!(family_id(&[]), None);
        for len in 0..bytes.len() {
            let mut cut = bytes[..len].to_vec();
            if cut.len() >= 4 {
                cut[..4].copy_from_slice(&(len as u32).to_ne_bytes());
            }
            let _ = ctrl_replies(&cut);
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
                       // CTRL_ATTR_OP_POLICY (10) of 12 bytes holding one nest that
                       // claims 0x1e bytes.
        bytes[20..24].copy_from_slice(&[12, 0, 10, 0x80]);
        bytes[24..28].copy_from_slice(&[0x1e, 0, 1, 0x80]);
        assert!(ctrl_replies(&bytes).is_ok_and(|r| family_id(&r).is_none()));
    }
}
