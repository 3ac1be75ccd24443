//! The generic-netlink controller ("nlctrl"), only as far as the client
//! needs it: asking for a family by name and reading its id.
//!
//! netlink-packet-generic has a full controller message, but its parser
//! reads some nested attributes (operation policies) through unchecked
//! buffers and panics on a malformed reply (found by the `netlink_replies`
//! fuzz target). The reply is read here like every other: as bytes, with
//! every attribute's length checked, and only the family id looked into.

use netlink_packet_core::{emit_u16, parse_u16, Emitable, Nla};
use netlink_packet_generic::GenlFamily;

use crate::error::Result;
use crate::nl::read::{checked, emit_string, string_len, Attrs, RawReply};

/// `GENL_ID_CTRL`: the controller's fixed family id.
pub(crate) const GENL_ID_CTRL: u16 = 0x10;
/// The controller protocol version this speaks.
const CTRL_VERSION: u8 = 2;
/// `CTRL_CMD_GETFAMILY`
const CTRL_CMD_GETFAMILY: u8 = 3;
/// `CTRL_ATTR_FAMILY_ID`, `CTRL_ATTR_FAMILY_NAME`
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// A controller attribute, as requests (and the fake kernel's replies)
/// carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CtrlAttr {
    #[allow(dead_code)] // replies only
    FamilyId(u16),
    FamilyName(String),
}

impl Nla for CtrlAttr {
    fn value_len(&self) -> usize {
        match self {
            CtrlAttr::FamilyId(_) => 2,
            CtrlAttr::FamilyName(name) => string_len(name),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            CtrlAttr::FamilyId(_) => CTRL_ATTR_FAMILY_ID,
            CtrlAttr::FamilyName(_) => CTRL_ATTR_FAMILY_NAME,
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            // emit_u16 only fails on a buffer shorter than value_len().
            CtrlAttr::FamilyId(id) => emit_u16(buffer, *id).unwrap_or_default(),
            CtrlAttr::FamilyName(name) => emit_string(buffer, name),
        }
    }
}

/// A controller message: a command and its top-level attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CtrlMessage {
    pub cmd: u8,
    pub attrs: Vec<CtrlAttr>,
}

impl CtrlMessage {
    /// `CTRL_CMD_GETFAMILY` for the family called `name`.
    pub(crate) fn get_family(name: &str) -> CtrlMessage {
        CtrlMessage {
            cmd: CTRL_CMD_GETFAMILY,
            attrs: vec![CtrlAttr::FamilyName(name.to_string())],
        }
    }
}

impl GenlFamily for CtrlMessage {
    fn family_name() -> &'static str {
        "nlctrl"
    }

    fn family_id(&self) -> u16 {
        GENL_ID_CTRL
    }

    fn command(&self) -> u8 {
        self.cmd
    }

    fn version(&self) -> u8 {
        CTRL_VERSION
    }
}

impl Emitable for CtrlMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

/// The family id in the controller's GET_FAMILY replies.
pub(crate) fn read_family_id(replies: &[RawReply]) -> Result<Option<u16>> {
    for reply in replies {
        for attr in Attrs(&reply.attrs) {
            let (kind, value) = attr?;
            if kind == CTRL_ATTR_FAMILY_ID {
                return checked(parse_u16(value)).map(Some);
            }
        }
    }
    Ok(None)
}
