//! The IPVS generic-netlink message: a command, its top-level attributes
//! (the object nests and the timeouts), and the readers of the replies
//! that carry no nest (GET_INFO, GET_CONFIG).

use netlink_packet_core::{emit_u32, parse_u32, DefaultNla, Emitable, Nla, NLA_F_NESTED};
use netlink_packet_generic::GenlFamily;

use super::daemon::DaemonAttr;
use super::dest::DestAttr;
use super::read::{
    checked, malformed, Attrs, RawReply, CMD_ATTR_DAEMON, CMD_ATTR_DEST, CMD_ATTR_SERVICE,
};
use super::service::{self, SvcAttr};
use crate::error::Result;
use crate::types::{Info, ServiceKey, Timeouts};

/// Name of the generic-netlink family, resolved once per connection.
pub(crate) const FAMILY_NAME: &str = "IPVS";
/// `IPVS_GENL_VERSION`.
const FAMILY_VERSION: u8 = 1;

// IPVS_CMD_ATTR_* (the three nests' numbers are in `read`, where each
// object's reader finds its nest)
const CMD_ATTR_TIMEOUT_TCP: u16 = 4;
const CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
const CMD_ATTR_TIMEOUT_UDP: u16 = 6;

// IPVS_INFO_ATTR_*: the GET_INFO reply reuses the top-level numbers.
const INFO_ATTR_VERSION: u16 = 1;
const INFO_ATTR_CONN_TAB_SIZE: u16 = 2;

/// IPVS commands (`IPVS_CMD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum IpvsCmd {
    NewService = 1,
    SetService = 2,
    DelService = 3,
    GetService = 4,
    NewDest = 5,
    SetDest = 6,
    DelDest = 7,
    GetDest = 8,
    NewDaemon = 9,
    DelDaemon = 10,
    GetDaemon = 11,
    SetConfig = 12,
    GetConfig = 13,
    /// The command of the GET_INFO reply.
    SetInfo = 14,
    GetInfo = 15,
    Zero = 16,
    Flush = 17,
}

/// An attribute at the top level of an IPVS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CmdAttr {
    Service(Vec<SvcAttr>),
    Dest(Vec<DestAttr>),
    Daemon(Vec<DaemonAttr>),
    TimeoutTcp(u32),
    TimeoutTcpFin(u32),
    TimeoutUdp(u32),
    /// What no request carries: the fake kernel's GET_INFO replies, the
    /// tests' attributes of kinds to come.
    #[allow(dead_code)]
    Other(DefaultNla),
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
            // emit_u32 only fails on a buffer shorter than value_len().
            CmdAttr::TimeoutTcp(v) | CmdAttr::TimeoutTcpFin(v) | CmdAttr::TimeoutUdp(v) => {
                emit_u32(buffer, *v).unwrap_or_default()
            }
            CmdAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

/// An IPVS request (or, in the tests and the fake kernel, a reply).
/// Replies are read as [`RawReply`], never as this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpvsMessage {
    /// The raw command number.
    pub cmd: u8,
    pub attrs: Vec<CmdAttr>,
    /// The family id this connection resolved for "IPVS" (the netlink
    /// message type; the payload does not carry it).
    pub family_id: u16,
}

impl IpvsMessage {
    pub(crate) fn new(cmd: IpvsCmd, attrs: Vec<CmdAttr>, family_id: u16) -> IpvsMessage {
        IpvsMessage {
            cmd: cmd as u8,
            attrs,
            family_id,
        }
    }
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }

    fn family_id(&self) -> u16 {
        self.family_id
    }

    fn command(&self) -> u8 {
        self.cmd
    }

    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for IpvsMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

/// The attributes of a GET_INFO reply (command SET_INFO).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn info_attrs(info: &Info) -> Vec<CmdAttr> {
    [
        (INFO_ATTR_VERSION, info.version),
        (INFO_ATTR_CONN_TAB_SIZE, info.conn_table_size),
    ]
    .into_iter()
    .map(|(kind, v)| CmdAttr::Other(DefaultNla::new(kind, v.to_ne_bytes().to_vec())))
    .collect()
}

/// The attributes of a GET_CONFIG reply (command SET_CONFIG).
pub(crate) fn timeout_attrs(t: &Timeouts) -> Vec<CmdAttr> {
    vec![
        CmdAttr::TimeoutTcp(t.tcp),
        CmdAttr::TimeoutTcpFin(t.tcp_fin),
        CmdAttr::TimeoutUdp(t.udp),
    ]
}

/// The IPVS version and connection table size from GET_INFO replies.
pub(crate) fn read_info(replies: &[RawReply]) -> Result<Info> {
    let mut found = None;
    for reply in replies.iter().filter(|r| r.cmd == IpvsCmd::SetInfo as u8) {
        let (mut version, mut size) = (None, None);
        for attr in Attrs(&reply.attrs) {
            let (kind, value) = attr?;
            match kind {
                INFO_ATTR_VERSION => version = Some(checked(parse_u32(value))?),
                INFO_ATTR_CONN_TAB_SIZE => size = Some(checked(parse_u32(value))?),
                _ => {}
            }
        }
        if let (Some(version), Some(conn_table_size)) = (version, size) {
            found = Some(Info {
                version,
                conn_table_size,
            });
        }
    }
    found.ok_or_else(|| malformed("GET_INFO reply without version and size"))
}

/// The three timeouts from GET_CONFIG replies; one the kernel leaves out
/// reads as 0.
pub(crate) fn read_timeouts(replies: &[RawReply]) -> Result<Timeouts> {
    let mut t = Timeouts::default();
    for reply in replies.iter().filter(|r| r.cmd != IpvsCmd::SetInfo as u8) {
        for attr in Attrs(&reply.attrs) {
            let (kind, value) = attr?;
            let slot = match kind {
                CMD_ATTR_TIMEOUT_TCP => &mut t.tcp,
                CMD_ATTR_TIMEOUT_TCP_FIN => &mut t.tcp_fin,
                CMD_ATTR_TIMEOUT_UDP => &mut t.udp,
                _ => continue,
            };
            *slot = checked(parse_u32(value))?;
        }
    }
    Ok(t)
}

/// A destination's attributes in a request about `service`.
pub(crate) fn dest_request(service: &ServiceKey, dest: Vec<DestAttr>) -> Vec<CmdAttr> {
    vec![
        CmdAttr::Service(service::key_attrs(service)),
        CmdAttr::Dest(dest),
    ]
}
