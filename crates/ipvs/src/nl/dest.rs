//! A real server of a virtual service: the `IPVS_CMD_ATTR_DEST` nest.

use std::net::IpAddr;

use netlink_packet_core::{
    emit_u16, emit_u32, parse_u16, parse_u32, parse_u8, DefaultNla, Emitable, Nla, NLA_F_NESTED,
};

use super::read::{
    addr, addr_bytes, addr_from_bytes, be16, checked, find_nest, malformed, Attrs, CMD_ATTR_DEST,
    INET_ADDR_LEN,
};
use super::stats::{self, StatsAttr};
use crate::error::Result;
use crate::types::*;

// IPVS_DEST_ATTR_*
const DEST_ATTR_ADDR: u16 = 1;
const DEST_ATTR_PORT: u16 = 2;
const DEST_ATTR_FWD_METHOD: u16 = 3;
const DEST_ATTR_WEIGHT: u16 = 4;
const DEST_ATTR_U_THRESH: u16 = 5;
const DEST_ATTR_L_THRESH: u16 = 6;
const DEST_ATTR_ACTIVE_CONNS: u16 = 7;
const DEST_ATTR_INACT_CONNS: u16 = 8;
const DEST_ATTR_PERSIST_CONNS: u16 = 9;
const DEST_ATTR_STATS: u16 = 10;
const DEST_ATTR_ADDR_FAMILY: u16 = 11;
const DEST_ATTR_STATS64: u16 = 12;
const DEST_ATTR_TUN_TYPE: u16 = 13;
const DEST_ATTR_TUN_PORT: u16 = 14;
const DEST_ATTR_TUN_FLAGS: u16 = 15;

/// An attribute of the destination nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DestAttr {
    Addr([u8; INET_ADDR_LEN]),
    /// Network byte order on the wire; host order here.
    Port(u16),
    FwdMethod(u32),
    Weight(u32),
    UThresh(u32),
    LThresh(u32),
    /// The three counts and the stats nests: replies only (the fake
    /// kernel's and the tests').
    #[allow(dead_code)]
    ActiveConns(u32),
    #[allow(dead_code)]
    InactConns(u32),
    #[allow(dead_code)]
    PersistConns(u32),
    #[allow(dead_code)]
    Stats(Vec<StatsAttr>),
    AddrFamily(u16),
    #[allow(dead_code)]
    Stats64(Vec<StatsAttr>),
    TunType(u8),
    /// Network byte order on the wire; host order here.
    TunPort(u16),
    TunFlags(u16),
    #[allow(dead_code)]
    Other(DefaultNla),
}

impl Nla for DestAttr {
    fn value_len(&self) -> usize {
        match self {
            DestAttr::Addr(_) => INET_ADDR_LEN,
            DestAttr::Port(_) | DestAttr::AddrFamily(_) | DestAttr::TunPort(_) => 2,
            DestAttr::TunFlags(_) => 2,
            DestAttr::TunType(_) => 1,
            DestAttr::FwdMethod(_)
            | DestAttr::Weight(_)
            | DestAttr::UThresh(_)
            | DestAttr::LThresh(_)
            | DestAttr::ActiveConns(_)
            | DestAttr::InactConns(_)
            | DestAttr::PersistConns(_) => 4,
            DestAttr::Stats(nlas) | DestAttr::Stats64(nlas) => nlas.as_slice().buffer_len(),
            DestAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            DestAttr::Addr(_) => DEST_ATTR_ADDR,
            DestAttr::Port(_) => DEST_ATTR_PORT,
            DestAttr::FwdMethod(_) => DEST_ATTR_FWD_METHOD,
            DestAttr::Weight(_) => DEST_ATTR_WEIGHT,
            DestAttr::UThresh(_) => DEST_ATTR_U_THRESH,
            DestAttr::LThresh(_) => DEST_ATTR_L_THRESH,
            DestAttr::ActiveConns(_) => DEST_ATTR_ACTIVE_CONNS,
            DestAttr::InactConns(_) => DEST_ATTR_INACT_CONNS,
            DestAttr::PersistConns(_) => DEST_ATTR_PERSIST_CONNS,
            DestAttr::Stats(_) => DEST_ATTR_STATS | NLA_F_NESTED,
            DestAttr::AddrFamily(_) => DEST_ATTR_ADDR_FAMILY,
            DestAttr::Stats64(_) => DEST_ATTR_STATS64 | NLA_F_NESTED,
            DestAttr::TunType(_) => DEST_ATTR_TUN_TYPE,
            DestAttr::TunPort(_) => DEST_ATTR_TUN_PORT,
            DestAttr::TunFlags(_) => DEST_ATTR_TUN_FLAGS,
            DestAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        // The emit_* helpers only fail on a buffer shorter than value_len().
        match self {
            DestAttr::Addr(a) => buffer[..INET_ADDR_LEN].copy_from_slice(a),
            DestAttr::Port(v) | DestAttr::TunPort(v) => {
                emit_u16(buffer, v.to_be()).unwrap_or_default()
            }
            DestAttr::AddrFamily(v) | DestAttr::TunFlags(v) => {
                emit_u16(buffer, *v).unwrap_or_default()
            }
            DestAttr::TunType(v) => buffer[0] = *v,
            DestAttr::FwdMethod(v)
            | DestAttr::Weight(v)
            | DestAttr::UThresh(v)
            | DestAttr::LThresh(v)
            | DestAttr::ActiveConns(v)
            | DestAttr::InactConns(v)
            | DestAttr::PersistConns(v) => emit_u32(buffer, *v).unwrap_or_default(),
            DestAttr::Stats(nlas) | DestAttr::Stats64(nlas) => nlas.as_slice().emit(buffer),
            DestAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

/// Every setting of a destination, as for NEW_DEST and SET_DEST.
pub(crate) fn attrs(dest: &Destination) -> Vec<DestAttr> {
    vec![
        DestAttr::AddrFamily(dest.family().af()),
        DestAttr::Addr(addr_bytes(&dest.addr)),
        DestAttr::Port(dest.port),
        DestAttr::FwdMethod(dest.forward.code()),
        DestAttr::Weight(dest.weight as u32),
        DestAttr::TunType(dest.tun_type.code()),
        DestAttr::TunPort(dest.tun_port),
        DestAttr::TunFlags(dest.tun_flags.bits()),
        DestAttr::UThresh(dest.upper_threshold),
        DestAttr::LThresh(dest.lower_threshold),
    ]
}

/// A destination as the kernel lists it: its settings, connection counts
/// and counters.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn reply_attrs(dest: &Destination) -> Vec<DestAttr> {
    let mut attrs = attrs(dest);
    attrs.extend([
        DestAttr::ActiveConns(dest.active_conns),
        DestAttr::InactConns(dest.inactive_conns),
        DestAttr::PersistConns(dest.persist_conns),
        DestAttr::Stats64(stats::attrs(&dest.stats)),
    ]);
    attrs
}

/// The attributes naming a destination, for DEL_DEST.
pub(crate) fn key_attrs(addr: &IpAddr, port: u16) -> Vec<DestAttr> {
    vec![
        DestAttr::AddrFamily(Family::of(addr).af()),
        DestAttr::Addr(addr_bytes(addr)),
        DestAttr::Port(port),
    ]
}

/// The destination of a GET_DEST reply's attributes (`None` if it carries
/// none). `family` is the service's, for kernels that omit the
/// destination's own.
pub(crate) fn read(attrs: &[u8], family: Family) -> Result<Option<Destination>> {
    find_nest(attrs, CMD_ATTR_DEST)?
        .map(|nest| read_nest(nest, family))
        .transpose()
}

fn read_nest(nest: &[u8], service_family: Family) -> Result<Destination> {
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
            DEST_ATTR_STATS => stats32 = Some(stats::read(value, false)?),
            DEST_ATTR_ADDR_FAMILY => {
                family = Family::from_af(checked(parse_u16(value))?)
                    .ok_or_else(|| malformed("destination with an unknown address family"))?
            }
            DEST_ATTR_STATS64 => stats64 = Some(stats::read(value, true)?),
            DEST_ATTR_TUN_TYPE => {
                dest.tun_type = TunnelType::from_code(checked(parse_u8(value))?)
                    .ok_or_else(|| malformed("destination with an unknown tunnel type"))?
            }
            DEST_ATTR_TUN_PORT => dest.tun_port = be16(value)?,
            DEST_ATTR_TUN_FLAGS => {
                dest.tun_flags = TunnelFlags::from_bits_retain(checked(parse_u16(value))?)
            }
            _ => {}
        }
    }
    let addr_bytes = addr_bytes.ok_or_else(|| malformed("destination without an address"))?;
    dest.addr = addr_from_bytes(family, &addr_bytes);
    dest.stats = stats::pick(stats64, stats32);
    Ok(dest)
}
