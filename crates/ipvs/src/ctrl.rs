//! The generic-netlink controller ("nlctrl"), only as far as the client
//! needs it: asking for a family by name and reading its id.
//!
//! netlink-packet-generic has a full controller message, but its parser
//! reads some nested attributes (operation policies) through unchecked
//! buffers and panics on a malformed reply (found by the `netlink_replies`
//! fuzz target). This one reads every attribute through checked buffers
//! and keeps the ones it does not need as opaque [`CtrlAttr::Other`].

use netlink_packet_core::{
    parse_string, parse_u16, DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, NlasIterator,
    Parseable, ParseableParametrized,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};

/// `GENL_ID_CTRL`: the controller's fixed family id.
const GENL_ID_CTRL: u16 = 0x10;
/// The controller protocol version this speaks.
const CTRL_VERSION: u8 = 2;
/// `CTRL_CMD_GETFAMILY`
const CTRL_CMD_GETFAMILY: u8 = 3;
/// `CTRL_ATTR_FAMILY_ID`, `CTRL_ATTR_FAMILY_NAME`
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// A controller attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtrlAttr {
    FamilyId(u16),
    FamilyName(String),
    /// Versions, operations, multicast groups, policies: not needed.
    Other(DefaultNla),
}

impl Nla for CtrlAttr {
    fn value_len(&self) -> usize {
        match self {
            CtrlAttr::FamilyId(_) => 2,
            CtrlAttr::FamilyName(name) => name.len() + 1,
            CtrlAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            CtrlAttr::FamilyId(_) => CTRL_ATTR_FAMILY_ID,
            CtrlAttr::FamilyName(_) => CTRL_ATTR_FAMILY_NAME,
            CtrlAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            CtrlAttr::FamilyId(id) => buffer[..2].copy_from_slice(&id.to_ne_bytes()),
            CtrlAttr::FamilyName(name) => {
                buffer[..name.len()].copy_from_slice(name.as_bytes());
                buffer[name.len()] = 0;
            }
            CtrlAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl CtrlAttr {
    fn parse(buf: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError> {
        let payload = buf.value();
        Ok(match buf.kind() {
            CTRL_ATTR_FAMILY_ID => CtrlAttr::FamilyId(parse_u16(payload)?),
            CTRL_ATTR_FAMILY_NAME => CtrlAttr::FamilyName(parse_string(payload)?),
            _ => CtrlAttr::Other(DefaultNla::parse(buf)?),
        })
    }
}

/// A controller message: a command and its top-level attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtrlMessage {
    pub cmd: u8,
    pub attrs: Vec<CtrlAttr>,
}

impl CtrlMessage {
    /// `CTRL_CMD_GETFAMILY` for the family called `name`.
    pub fn get_family(name: &str) -> CtrlMessage {
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

impl ParseableParametrized<[u8], GenlHeader> for CtrlMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let attrs = NlasIterator::new(buf)
            .map(|nla| nla.and_then(|nla| CtrlAttr::parse(&nla)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CtrlMessage {
            cmd: header.cmd,
            attrs,
        })
    }
}
