//! The IPVS generic-netlink attributes (`include/uapi/linux/ip_vs.h`) as
//! enums, one per nesting level, in the style of netlink-packet-route.
//!
//! Every parse goes through `NlaBuffer::new_checked` (via `NlasIterator`) and
//! checks the payload size of each known attribute, so a truncated or
//! mis-sized reply is a `DecodeError`. Attributes this code does not know
//! (a newer kernel) are kept as `Other` and ignored by the typed layer.

use netlink_packet_core::{
    emit_u16, emit_u32, emit_u64, parse_string, parse_u16, parse_u32, parse_u64, parse_u8,
    DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, NlasIterator, Parseable, NLA_F_NESTED,
};

// Nested attribute kinds at the top level of a command (IPVS_CMD_ATTR_*).
pub(crate) const CMD_ATTR_SERVICE: u16 = 1;
pub(crate) const CMD_ATTR_DEST: u16 = 2;
pub(crate) const CMD_ATTR_DAEMON: u16 = 3;
pub(crate) const CMD_ATTR_TIMEOUT_TCP: u16 = 4;
pub(crate) const CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
pub(crate) const CMD_ATTR_TIMEOUT_UDP: u16 = 6;

// IPVS_SVC_ATTR_*
pub(crate) const SVC_ATTR_AF: u16 = 1;
pub(crate) const SVC_ATTR_PROTOCOL: u16 = 2;
pub(crate) const SVC_ATTR_ADDR: u16 = 3;
pub(crate) const SVC_ATTR_PORT: u16 = 4;
pub(crate) const SVC_ATTR_FWMARK: u16 = 5;
pub(crate) const SVC_ATTR_SCHED_NAME: u16 = 6;
pub(crate) const SVC_ATTR_FLAGS: u16 = 7;
pub(crate) const SVC_ATTR_TIMEOUT: u16 = 8;
pub(crate) const SVC_ATTR_NETMASK: u16 = 9;
pub(crate) const SVC_ATTR_STATS: u16 = 10;
pub(crate) const SVC_ATTR_PE_NAME: u16 = 11;
pub(crate) const SVC_ATTR_STATS64: u16 = 12;

// IPVS_DEST_ATTR_*
pub(crate) const DEST_ATTR_ADDR: u16 = 1;
pub(crate) const DEST_ATTR_PORT: u16 = 2;
pub(crate) const DEST_ATTR_FWD_METHOD: u16 = 3;
pub(crate) const DEST_ATTR_WEIGHT: u16 = 4;
pub(crate) const DEST_ATTR_U_THRESH: u16 = 5;
pub(crate) const DEST_ATTR_L_THRESH: u16 = 6;
pub(crate) const DEST_ATTR_ACTIVE_CONNS: u16 = 7;
pub(crate) const DEST_ATTR_INACT_CONNS: u16 = 8;
pub(crate) const DEST_ATTR_PERSIST_CONNS: u16 = 9;
pub(crate) const DEST_ATTR_STATS: u16 = 10;
pub(crate) const DEST_ATTR_ADDR_FAMILY: u16 = 11;
pub(crate) const DEST_ATTR_STATS64: u16 = 12;
pub(crate) const DEST_ATTR_TUN_TYPE: u16 = 13;
pub(crate) const DEST_ATTR_TUN_PORT: u16 = 14;
pub(crate) const DEST_ATTR_TUN_FLAGS: u16 = 15;

// IPVS_DAEMON_ATTR_*
const DAEMON_ATTR_STATE: u16 = 1;
const DAEMON_ATTR_MCAST_IFN: u16 = 2;
const DAEMON_ATTR_SYNC_ID: u16 = 3;
const DAEMON_ATTR_SYNC_MAXLEN: u16 = 4;
const DAEMON_ATTR_MCAST_GROUP: u16 = 5;
const DAEMON_ATTR_MCAST_GROUP6: u16 = 6;
const DAEMON_ATTR_MCAST_PORT: u16 = 7;
const DAEMON_ATTR_MCAST_TTL: u16 = 8;

// IPVS_STATS_ATTR_*
pub(crate) const STATS_ATTR_CONNS: u16 = 1;
pub(crate) const STATS_ATTR_OUTBPS: u16 = 10;
// The 32-bit STATS nest carries the byte counters as u64 (see ip_vs.h).
pub(crate) const STATS_ATTR_INBYTES: u16 = 4;
pub(crate) const STATS_ATTR_OUTBYTES: u16 = 5;

// IPVS_INFO_ATTR_*
const INFO_ATTR_VERSION: u16 = 1;
const INFO_ATTR_CONN_TAB_SIZE: u16 = 2;

/// Size of the kernel's `union nf_inet_addr`, the size of every address
/// attribute it sends and the size libipvs sends.
pub const INET_ADDR_LEN: usize = 16;

/// Attributes at the top level of every IPVS command except the GET_INFO
/// reply (which reuses the numbers for [`InfoAttr`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdAttr {
    Service(Vec<SvcAttr>),
    Dest(Vec<DestAttr>),
    Daemon(Vec<DaemonAttr>),
    TimeoutTcp(u32),
    TimeoutTcpFin(u32),
    TimeoutUdp(u32),
    Other(DefaultNla),
}

/// Attributes of a virtual service (`IPVS_CMD_ATTR_SERVICE` nest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SvcAttr {
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
    Stats(Vec<StatsAttr>),
    PeName(String),
    Stats64(Vec<StatsAttr>),
    Other(DefaultNla),
}

/// Attributes of a real server (`IPVS_CMD_ATTR_DEST` nest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestAttr {
    Addr([u8; INET_ADDR_LEN]),
    /// Network byte order on the wire; host order here.
    Port(u16),
    FwdMethod(u32),
    Weight(u32),
    UThresh(u32),
    LThresh(u32),
    ActiveConns(u32),
    InactConns(u32),
    PersistConns(u32),
    Stats(Vec<StatsAttr>),
    AddrFamily(u16),
    Stats64(Vec<StatsAttr>),
    TunType(u8),
    /// Network byte order on the wire; host order here.
    TunPort(u16),
    TunFlags(u16),
    Other(DefaultNla),
}

/// Attributes of a sync daemon (`IPVS_CMD_ATTR_DAEMON` nest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonAttr {
    State(u32),
    McastIfn(String),
    SyncId(u32),
    SyncMaxlen(u16),
    /// IPv4 group, as the 4 bytes of the address.
    McastGroup([u8; 4]),
    McastGroup6([u8; 16]),
    McastPort(u16),
    McastTtl(u8),
    Other(DefaultNla),
}

/// One counter of a STATS or STATS64 nest, widened to u64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsAttr {
    /// `kind` is 1 (conns) ..= 10 (outbps).
    Counter {
        kind: u16,
        value: u64,
    },
    Other(DefaultNla),
}

/// Attributes of the GET_INFO reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoAttr {
    Version(u32),
    ConnTabSize(u32),
    Other(DefaultNla),
}

/// Parses every attribute in `payload` with `parse_one`.
pub(crate) fn parse_all<T>(
    payload: &[u8],
    parse_one: impl Fn(&NlaBuffer<&[u8]>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    NlasIterator::new(payload)
        .map(|nla| nla.and_then(|nla| parse_one(&nla)))
        .collect()
}

fn parse_addr(kind: &str, payload: &[u8]) -> Result<[u8; INET_ADDR_LEN], DecodeError> {
    // The kernel sends 16 bytes; accept a bare IPv4 address too.
    let mut addr = [0u8; INET_ADDR_LEN];
    match payload.len() {
        4 | INET_ADDR_LEN => {
            addr[..payload.len()].copy_from_slice(payload);
            Ok(addr)
        }
        n => Err(DecodeError::from(format!(
            "{kind}: address attribute of {n} bytes"
        ))),
    }
}

fn parse_be16(payload: &[u8]) -> Result<u16, DecodeError> {
    parse_u16(payload).map(u16::from_be)
}

fn parse_name(payload: &[u8]) -> Result<String, DecodeError> {
    parse_string(payload)
}

fn unknown(buf: &NlaBuffer<&[u8]>) -> Result<DefaultNla, DecodeError> {
    DefaultNla::parse(buf)
}

fn string_len(s: &str) -> usize {
    s.len() + 1
}

fn emit_string(buffer: &mut [u8], s: &str) {
    buffer[..s.len()].copy_from_slice(s.as_bytes());
    buffer[s.len()] = 0;
}

impl Nla for CmdAttr {
    fn value_len(&self) -> usize {
        match self {
            CmdAttr::Service(nlas) => nlas.as_slice().buffer_len(),
            CmdAttr::Dest(nlas) => nlas.as_slice().buffer_len(),
            CmdAttr::Daemon(nlas) => nlas.as_slice().buffer_len(),
            CmdAttr::TimeoutTcp(_) | CmdAttr::TimeoutTcpFin(_) | CmdAttr::TimeoutUdp(_) => 4,
            CmdAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            CmdAttr::Service(_) => CMD_ATTR_SERVICE | NLA_F_NESTED,
            CmdAttr::Dest(_) => CMD_ATTR_DEST | NLA_F_NESTED,
            CmdAttr::Daemon(_) => CMD_ATTR_DAEMON | NLA_F_NESTED,
            CmdAttr::TimeoutTcp(_) => CMD_ATTR_TIMEOUT_TCP,
            CmdAttr::TimeoutTcpFin(_) => CMD_ATTR_TIMEOUT_TCP_FIN,
            CmdAttr::TimeoutUdp(_) => CMD_ATTR_TIMEOUT_UDP,
            CmdAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            CmdAttr::Service(nlas) => nlas.as_slice().emit(buffer),
            CmdAttr::Dest(nlas) => nlas.as_slice().emit(buffer),
            CmdAttr::Daemon(nlas) => nlas.as_slice().emit(buffer),
            CmdAttr::TimeoutTcp(v) | CmdAttr::TimeoutTcpFin(v) | CmdAttr::TimeoutUdp(v) => {
                emit_u32(buffer, *v).unwrap_or_default()
            }
            CmdAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl CmdAttr {
    pub fn parse(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let payload = buf.value();
        Ok(match buf.kind() {
            CMD_ATTR_SERVICE => CmdAttr::Service(parse_all(payload, SvcAttr::parse)?),
            CMD_ATTR_DEST => CmdAttr::Dest(parse_all(payload, DestAttr::parse)?),
            CMD_ATTR_DAEMON => CmdAttr::Daemon(parse_all(payload, DaemonAttr::parse)?),
            CMD_ATTR_TIMEOUT_TCP => CmdAttr::TimeoutTcp(parse_u32(payload)?),
            CMD_ATTR_TIMEOUT_TCP_FIN => CmdAttr::TimeoutTcpFin(parse_u32(payload)?),
            CMD_ATTR_TIMEOUT_UDP => CmdAttr::TimeoutUdp(parse_u32(payload)?),
            _ => CmdAttr::Other(unknown(buf)?),
        })
    }
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

impl SvcAttr {
    pub fn parse(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let payload = buf.value();
        Ok(match buf.kind() {
            SVC_ATTR_AF => SvcAttr::Af(parse_u16(payload)?),
            SVC_ATTR_PROTOCOL => SvcAttr::Protocol(parse_u16(payload)?),
            SVC_ATTR_ADDR => SvcAttr::Addr(parse_addr("service", payload)?),
            SVC_ATTR_PORT => SvcAttr::Port(parse_be16(payload)?),
            SVC_ATTR_FWMARK => SvcAttr::Fwmark(parse_u32(payload)?),
            SVC_ATTR_SCHED_NAME => SvcAttr::SchedName(parse_name(payload)?),
            SVC_ATTR_FLAGS => {
                if payload.len() != 8 {
                    return Err(DecodeError::from("service flags attribute is not 8 bytes"));
                }
                SvcAttr::Flags {
                    flags: parse_u32(&payload[..4])?,
                    mask: parse_u32(&payload[4..])?,
                }
            }
            SVC_ATTR_TIMEOUT => SvcAttr::Timeout(parse_u32(payload)?),
            SVC_ATTR_NETMASK => SvcAttr::Netmask(parse_u32(payload)?),
            SVC_ATTR_STATS => SvcAttr::Stats(parse_all(payload, StatsAttr::parse32)?),
            SVC_ATTR_PE_NAME => SvcAttr::PeName(parse_name(payload)?),
            SVC_ATTR_STATS64 => SvcAttr::Stats64(parse_all(payload, StatsAttr::parse64)?),
            _ => SvcAttr::Other(unknown(buf)?),
        })
    }
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

impl DestAttr {
    pub fn parse(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let payload = buf.value();
        Ok(match buf.kind() {
            DEST_ATTR_ADDR => DestAttr::Addr(parse_addr("destination", payload)?),
            DEST_ATTR_PORT => DestAttr::Port(parse_be16(payload)?),
            DEST_ATTR_FWD_METHOD => DestAttr::FwdMethod(parse_u32(payload)?),
            DEST_ATTR_WEIGHT => DestAttr::Weight(parse_u32(payload)?),
            DEST_ATTR_U_THRESH => DestAttr::UThresh(parse_u32(payload)?),
            DEST_ATTR_L_THRESH => DestAttr::LThresh(parse_u32(payload)?),
            DEST_ATTR_ACTIVE_CONNS => DestAttr::ActiveConns(parse_u32(payload)?),
            DEST_ATTR_INACT_CONNS => DestAttr::InactConns(parse_u32(payload)?),
            DEST_ATTR_PERSIST_CONNS => DestAttr::PersistConns(parse_u32(payload)?),
            DEST_ATTR_STATS => DestAttr::Stats(parse_all(payload, StatsAttr::parse32)?),
            DEST_ATTR_ADDR_FAMILY => DestAttr::AddrFamily(parse_u16(payload)?),
            DEST_ATTR_STATS64 => DestAttr::Stats64(parse_all(payload, StatsAttr::parse64)?),
            DEST_ATTR_TUN_TYPE => DestAttr::TunType(parse_u8(payload)?),
            DEST_ATTR_TUN_PORT => DestAttr::TunPort(parse_be16(payload)?),
            DEST_ATTR_TUN_FLAGS => DestAttr::TunFlags(parse_u16(payload)?),
            _ => DestAttr::Other(unknown(buf)?),
        })
    }
}

impl Nla for DaemonAttr {
    fn value_len(&self) -> usize {
        match self {
            DaemonAttr::State(_) | DaemonAttr::SyncId(_) | DaemonAttr::McastGroup(_) => 4,
            DaemonAttr::McastIfn(s) => string_len(s),
            DaemonAttr::SyncMaxlen(_) | DaemonAttr::McastPort(_) => 2,
            DaemonAttr::McastGroup6(_) => 16,
            DaemonAttr::McastTtl(_) => 1,
            DaemonAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            DaemonAttr::State(_) => DAEMON_ATTR_STATE,
            DaemonAttr::McastIfn(_) => DAEMON_ATTR_MCAST_IFN,
            DaemonAttr::SyncId(_) => DAEMON_ATTR_SYNC_ID,
            DaemonAttr::SyncMaxlen(_) => DAEMON_ATTR_SYNC_MAXLEN,
            DaemonAttr::McastGroup(_) => DAEMON_ATTR_MCAST_GROUP,
            DaemonAttr::McastGroup6(_) => DAEMON_ATTR_MCAST_GROUP6,
            DaemonAttr::McastPort(_) => DAEMON_ATTR_MCAST_PORT,
            DaemonAttr::McastTtl(_) => DAEMON_ATTR_MCAST_TTL,
            DaemonAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            DaemonAttr::State(v) | DaemonAttr::SyncId(v) => {
                emit_u32(buffer, *v).unwrap_or_default()
            }
            DaemonAttr::McastIfn(s) => emit_string(buffer, s),
            // The kernel reads the port with nla_get_u16 and converts it
            // with htons itself (ip_vs_genl_new_daemon): host order here,
            // as libipvs sends it (netns-tests/tests/23-daemon.sh starts
            // daemons with either tool, lists them with both, and sees the
            // backup bound to the port given).
            DaemonAttr::SyncMaxlen(v) | DaemonAttr::McastPort(v) => {
                emit_u16(buffer, *v).unwrap_or_default()
            }
            DaemonAttr::McastGroup(a) => buffer[..4].copy_from_slice(a),
            DaemonAttr::McastGroup6(a) => buffer[..16].copy_from_slice(a),
            DaemonAttr::McastTtl(v) => buffer[0] = *v,
            DaemonAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl DaemonAttr {
    pub fn parse(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let payload = buf.value();
        Ok(match buf.kind() {
            DAEMON_ATTR_STATE => DaemonAttr::State(parse_u32(payload)?),
            DAEMON_ATTR_MCAST_IFN => DaemonAttr::McastIfn(parse_name(payload)?),
            DAEMON_ATTR_SYNC_ID => DaemonAttr::SyncId(parse_u32(payload)?),
            DAEMON_ATTR_SYNC_MAXLEN => DaemonAttr::SyncMaxlen(parse_u16(payload)?),
            DAEMON_ATTR_MCAST_GROUP => DaemonAttr::McastGroup(
                payload
                    .try_into()
                    .map_err(|_| DecodeError::from("IPv4 multicast group is not 4 bytes"))?,
            ),
            DAEMON_ATTR_MCAST_GROUP6 => DaemonAttr::McastGroup6(
                payload
                    .try_into()
                    .map_err(|_| DecodeError::from("IPv6 multicast group is not 16 bytes"))?,
            ),
            DAEMON_ATTR_MCAST_PORT => DaemonAttr::McastPort(parse_u16(payload)?),
            DAEMON_ATTR_MCAST_TTL => DaemonAttr::McastTtl(parse_u8(payload)?),
            _ => DaemonAttr::Other(unknown(buf)?),
        })
    }
}

impl Nla for StatsAttr {
    fn value_len(&self) -> usize {
        match self {
            StatsAttr::Counter { .. } => 8,
            StatsAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            StatsAttr::Counter { kind, .. } => *kind,
            StatsAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            StatsAttr::Counter { value, .. } => emit_u64(buffer, *value).unwrap_or_default(),
            StatsAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl StatsAttr {
    fn is_counter(kind: u16) -> bool {
        (STATS_ATTR_CONNS..=STATS_ATTR_OUTBPS).contains(&kind)
    }

    /// The 32-bit STATS nest: u32 counters except the two byte counters.
    pub fn parse32(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let kind = buf.kind();
        if !Self::is_counter(kind) {
            return Ok(StatsAttr::Other(unknown(buf)?));
        }
        let payload = buf.value();
        let value = match kind {
            STATS_ATTR_INBYTES | STATS_ATTR_OUTBYTES => parse_u64(payload)?,
            _ => u64::from(parse_u32(payload)?),
        };
        Ok(StatsAttr::Counter { kind, value })
    }

    /// The STATS64 nest: every counter is a u64.
    pub fn parse64(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let kind = buf.kind();
        if !Self::is_counter(kind) {
            return Ok(StatsAttr::Other(unknown(buf)?));
        }
        Ok(StatsAttr::Counter {
            kind,
            value: parse_u64(buf.value())?,
        })
    }
}

impl Nla for InfoAttr {
    fn value_len(&self) -> usize {
        match self {
            InfoAttr::Version(_) | InfoAttr::ConnTabSize(_) => 4,
            InfoAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            InfoAttr::Version(_) => INFO_ATTR_VERSION,
            InfoAttr::ConnTabSize(_) => INFO_ATTR_CONN_TAB_SIZE,
            InfoAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            InfoAttr::Version(v) | InfoAttr::ConnTabSize(v) => {
                emit_u32(buffer, *v).unwrap_or_default()
            }
            InfoAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl InfoAttr {
    pub fn parse(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let payload = buf.value();
        Ok(match buf.kind() {
            INFO_ATTR_VERSION => InfoAttr::Version(parse_u32(payload)?),
            INFO_ATTR_CONN_TAB_SIZE => InfoAttr::ConnTabSize(parse_u32(payload)?),
            _ => InfoAttr::Other(unknown(buf)?),
        })
    }
}
