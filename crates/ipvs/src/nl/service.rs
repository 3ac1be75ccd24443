//! A virtual service: the `IPVS_CMD_ATTR_SERVICE` nest.

use netlink_packet_core::{
    emit_u16, emit_u32, parse_string, parse_u16, parse_u32, DefaultNla, Emitable, Nla, NLA_F_NESTED,
};

use super::read::{
    addr, addr_bytes, addr_from_bytes, be16, checked, emit_string, find_nest, malformed,
    string_len, Attrs, CMD_ATTR_SERVICE, INET_ADDR_LEN,
};
use super::stats::{self, StatsAttr};
use crate::error::Result;
use crate::types::*;

// IPVS_SVC_ATTR_*
const SVC_ATTR_AF: u16 = 1;
const SVC_ATTR_PROTOCOL: u16 = 2;
const SVC_ATTR_ADDR: u16 = 3;
const SVC_ATTR_PORT: u16 = 4;
const SVC_ATTR_FWMARK: u16 = 5;
const SVC_ATTR_SCHED_NAME: u16 = 6;
const SVC_ATTR_FLAGS: u16 = 7;
const SVC_ATTR_TIMEOUT: u16 = 8;
const SVC_ATTR_NETMASK: u16 = 9;
const SVC_ATTR_STATS: u16 = 10;
const SVC_ATTR_PE_NAME: u16 = 11;
const SVC_ATTR_STATS64: u16 = 12;

/// An attribute of the service nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SvcAttr {
    Af(u16),
    Protocol(u16),
    /// Always 16 bytes on the wire; IPv4 uses the first four.
    Addr([u8; INET_ADDR_LEN]),
    /// Network byte order on the wire; host order here.
    Port(u16),
    Fwmark(u32),
    SchedName(String),
    Flags {
        flags: u32,
        mask: u32,
    },
    Timeout(u32),
    Netmask(u32),
    /// Replies only (the fake kernel's and the tests').
    #[allow(dead_code)]
    Stats(Vec<StatsAttr>),
    PeName(String),
    #[allow(dead_code)]
    Stats64(Vec<StatsAttr>),
    #[allow(dead_code)]
    Other(DefaultNla),
}

impl Nla for SvcAttr {
    fn value_len(&self) -> usize {
        match self {
            SvcAttr::Af(_) | SvcAttr::Protocol(_) | SvcAttr::Port(_) => 2,
            SvcAttr::Addr(_) => INET_ADDR_LEN,
            SvcAttr::Fwmark(_) | SvcAttr::Timeout(_) | SvcAttr::Netmask(_) => 4,
            SvcAttr::SchedName(s) | SvcAttr::PeName(s) => string_len(s),
            SvcAttr::Flags { .. } => 8,
            SvcAttr::Stats(nlas) | SvcAttr::Stats64(nlas) => nlas.as_slice().buffer_len(),
            SvcAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            SvcAttr::Af(_) => SVC_ATTR_AF,
            SvcAttr::Protocol(_) => SVC_ATTR_PROTOCOL,
            SvcAttr::Addr(_) => SVC_ATTR_ADDR,
            SvcAttr::Port(_) => SVC_ATTR_PORT,
            SvcAttr::Fwmark(_) => SVC_ATTR_FWMARK,
            SvcAttr::SchedName(_) => SVC_ATTR_SCHED_NAME,
            SvcAttr::Flags { .. } => SVC_ATTR_FLAGS,
            SvcAttr::Timeout(_) => SVC_ATTR_TIMEOUT,
            SvcAttr::Netmask(_) => SVC_ATTR_NETMASK,
            SvcAttr::Stats(_) => SVC_ATTR_STATS | NLA_F_NESTED,
            SvcAttr::PeName(_) => SVC_ATTR_PE_NAME,
            SvcAttr::Stats64(_) => SVC_ATTR_STATS64 | NLA_F_NESTED,
            SvcAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        // The emit_* helpers only fail on a short buffer, and the buffer is
        // sized from value_len() above.
        match self {
            SvcAttr::Af(v) | SvcAttr::Protocol(v) => emit_u16(buffer, *v).unwrap_or_default(),
            SvcAttr::Port(v) => emit_u16(buffer, v.to_be()).unwrap_or_default(),
            SvcAttr::Addr(a) => buffer[..INET_ADDR_LEN].copy_from_slice(a),
            SvcAttr::Fwmark(v) | SvcAttr::Timeout(v) | SvcAttr::Netmask(v) => {
                emit_u32(buffer, *v).unwrap_or_default()
            }
            SvcAttr::SchedName(s) | SvcAttr::PeName(s) => emit_string(buffer, s),
            SvcAttr::Flags { flags, mask } => {
                emit_u32(&mut buffer[..4], *flags).unwrap_or_default();
                emit_u32(&mut buffer[4..8], *mask).unwrap_or_default();
            }
            SvcAttr::Stats(nlas) | SvcAttr::Stats64(nlas) => nlas.as_slice().emit(buffer),
            SvcAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

/// The kernel keeps an IPv4 persistence mask as a `__be32` and sends it
/// as the raw attribute; an IPv6 one is a prefix length in host order.
fn netmask_to_wire(family: Family, netmask: u32) -> u32 {
    match family {
        Family::Inet => u32::from_ne_bytes(netmask.to_be_bytes()),
        Family::Inet6 => netmask,
    }
}

fn netmask_from_wire(family: Family, wire: u32) -> u32 {
    match family {
        Family::Inet => u32::from_be_bytes(wire.to_ne_bytes()),
        Family::Inet6 => wire,
    }
}

/// The attributes naming a service: enough for delete, get, zero and as
/// the service of a destination request.
pub(crate) fn key_attrs(key: &ServiceKey) -> Vec<SvcAttr> {
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => vec![
            SvcAttr::Af(Family::of(addr).af()),
            SvcAttr::Protocol(protocol.number()),
            SvcAttr::Addr(addr_bytes(addr)),
            SvcAttr::Port(*port),
        ],
        ServiceKey::Fwmark { mark, family } => {
            vec![SvcAttr::Af(family.af()), SvcAttr::Fwmark(*mark)]
        }
    }
}

/// Every setting of a service, as for NEW_SERVICE and SET_SERVICE (what
/// libipvs sends, so the kernel sees the same from both tools).
pub(crate) fn attrs(svc: &Service) -> Vec<SvcAttr> {
    let mut attrs = key_attrs(&svc.key);
    attrs.push(SvcAttr::SchedName(svc.scheduler.clone()));
    if let Some(pe) = &svc.pe_name {
        attrs.push(SvcAttr::PeName(pe.clone()));
    }
    attrs.extend([
        // The whole flag word is sent, as libipvs does: an edit replaces
        // every flag.
        SvcAttr::Flags {
            flags: svc.flags.bits(),
            mask: u32::MAX,
        },
        SvcAttr::Timeout(svc.timeout),
        SvcAttr::Netmask(netmask_to_wire(svc.key.family(), svc.netmask.raw())),
    ]);
    attrs
}

/// A service as the kernel lists it: its settings and its counters.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn reply_attrs(svc: &Service) -> Vec<SvcAttr> {
    let mut attrs = attrs(svc);
    attrs.push(SvcAttr::Stats64(stats::attrs(&svc.stats)));
    attrs
}

/// The service of a GET_SERVICE reply's attributes (`None` if it carries
/// none).
pub(crate) fn read(attrs: &[u8]) -> Result<Option<Service>> {
    find_nest(attrs, CMD_ATTR_SERVICE)?.map(nest).transpose()
}

/// The attributes of a service nest, before they are checked together.
#[derive(Default)]
struct Parts {
    af: Option<u16>,
    protocol: Option<u16>,
    addr: Option<[u8; INET_ADDR_LEN]>,
    port: u16,
    fwmark: u32,
    sched: Option<String>,
    flags: u32,
    timeout: u32,
    netmask: u32,
    pe: Option<String>,
    stats32: Option<Stats>,
    stats64: Option<Stats>,
}

fn nest(nest: &[u8]) -> Result<Service> {
    let mut parts = Parts::default();
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
            SVC_ATTR_STATS => parts.stats32 = Some(stats::read(value, false)?),
            SVC_ATTR_PE_NAME => parts.pe = Some(checked(parse_string(value))?),
            SVC_ATTR_STATS64 => parts.stats64 = Some(stats::read(value, true)?),
            _ => {}
        }
    }
    parts.build()
}

impl Parts {
    fn build(self) -> Result<Service> {
        let family = self
            .af
            .and_then(Family::from_af)
            .ok_or_else(|| malformed("service without a known address family"))?;
        let key = if self.fwmark != 0 {
            ServiceKey::Fwmark {
                mark: self.fwmark,
                family,
            }
        } else {
            let protocol = self
                .protocol
                .and_then(Protocol::from_number)
                .ok_or_else(|| malformed("service without a known protocol"))?;
            let addr = self
                .addr
                .ok_or_else(|| malformed("service without an address"))?;
            ServiceKey::Addr {
                protocol,
                addr: addr_from_bytes(family, &addr),
                port: self.port,
            }
        };
        Ok(Service {
            netmask: PersistenceNetmask::from_raw(
                key.family(),
                netmask_from_wire(key.family(), self.netmask),
            ),
            key,
            scheduler: self.sched.unwrap_or_default(),
            flags: ServiceFlags::from_bits_retain(self.flags),
            timeout: self.timeout,
            pe_name: self.pe.filter(|p| !p.is_empty()),
            stats: stats::pick(self.stats64, self.stats32),
        })
    }
}
