//! The IPVS generic-netlink message: a command number and its attributes.

use netlink_packet_core::{DecodeError, Emitable, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use crate::attr::{parse_all, CmdAttr, InfoAttr};

/// Name of the generic-netlink family, resolved once per connection.
pub const FAMILY_NAME: &str = "IPVS";
/// `IPVS_GENL_VERSION`.
pub const FAMILY_VERSION: u8 = 1;

/// IPVS commands (`IPVS_CMD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cmd {
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
    SetInfo = 14,
    GetInfo = 15,
    Zero = 16,
    Flush = 17,
}

/// The attributes of a message: every command uses the `IPVS_CMD_ATTR_*`
/// space except the GET_INFO reply (command SET_INFO), which reuses the
/// same numbers for `IPVS_INFO_ATTR_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attrs {
    Cmd(Vec<CmdAttr>),
    Info(Vec<InfoAttr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsMessage {
    /// The raw command number (a reply may carry one this code predates).
    pub cmd: u8,
    pub attrs: Attrs,
    /// The family id this connection resolved for "IPVS".
    pub family_id: u16,
}

impl IpvsMessage {
    pub fn new(cmd: Cmd, attrs: Vec<CmdAttr>, family_id: u16) -> IpvsMessage {
        IpvsMessage {
            cmd: cmd as u8,
            attrs: Attrs::Cmd(attrs),
            family_id,
        }
    }

    /// The command attributes (empty for an info reply).
    pub fn cmd_attrs(&self) -> &[CmdAttr] {
        match &self.attrs {
            Attrs::Cmd(attrs) => attrs,
            Attrs::Info(_) => &[],
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
        match &self.attrs {
            Attrs::Cmd(attrs) => attrs.as_slice().buffer_len(),
            Attrs::Info(attrs) => attrs.as_slice().buffer_len(),
        }
    }

    fn emit(&self, buffer: &mut [u8]) {
        match &self.attrs {
            Attrs::Cmd(attrs) => attrs.as_slice().emit(buffer),
            Attrs::Info(attrs) => attrs.as_slice().emit(buffer),
        }
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let attrs = if header.cmd == Cmd::SetInfo as u8 {
            Attrs::Info(parse_all(buf, InfoAttr::parse)?)
        } else {
            Attrs::Cmd(parse_all(buf, CmdAttr::parse)?)
        };
        // The family id is the netlink message type; the socket layer
        // checks it, the payload does not carry it.
        Ok(IpvsMessage {
            cmd: header.cmd,
            attrs,
            family_id: 0,
        })
    }
}
