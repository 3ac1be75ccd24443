//! What every reader of replies shares: the reply kept as bytes, the
//! checked walk over a run of attributes, and the payload readers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{
    parse_u16, DecodeError, NetlinkBuffer, NetlinkMessage, Parseable, ParseableParametrized,
    NLA_TYPE_MASK,
};
use netlink_packet_generic::{GenlHeader, GenlMessage};

use crate::error::{Error, Result};
use crate::types::Family;

// The top-level IPVS_CMD_ATTR_* numbers of the three nests: every object's
// reader looks its nest up by them, and requests are built with them.
pub(crate) const CMD_ATTR_SERVICE: u16 = 1;
pub(crate) const CMD_ATTR_DEST: u16 = 2;
pub(crate) const CMD_ATTR_DAEMON: u16 = 3;

/// Size of the kernel's `union nf_inet_addr`, the size of every address
/// attribute it sends and the size libipvs sends.
pub(crate) const INET_ADDR_LEN: usize = 16;

/// A generic-netlink reply kept as bytes: its command and its attributes
/// (what follows the generic-netlink header), read by the readers of the
/// object modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawReply {
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

/// A netlink message of a received datagram.
pub(crate) type Received = NetlinkMessage<GenlMessage<RawReply>>;

/// Walks the netlink messages of one received datagram, handing each to
/// `each`. Every message is bounds-checked before it is parsed; the
/// first malformed one ends the walk with an error.
pub(crate) fn datagram(
    mut bytes: &[u8],
    mut each: impl FnMut(Received) -> Result<()>,
) -> Result<()> {
    while !bytes.is_empty() {
        let buf = NetlinkBuffer::new_checked(&bytes).map_err(decode_error)?;
        let len = buf.length() as usize;
        each(Received::parse(&buf).map_err(decode_error)?)?;
        // Messages are 4-byte aligned; the last one may lack its padding.
        bytes = bytes.get((len + 3) & !3..).unwrap_or_default();
    }
    Ok(())
}

fn decode_error(e: DecodeError) -> Error {
    Error::Malformed(e.to_string())
}

/// The attributes of a buffer as `(kind, payload)`, each length checked
/// like `NlaBuffer::new_checked`: a truncated or mis-sized attribute is an
/// error and ends the walk.
pub(crate) struct Attrs<'a>(pub &'a [u8]);

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

/// A payload reader's result as this crate's.
pub(crate) fn checked<T>(value: std::result::Result<T, DecodeError>) -> Result<T> {
    value.map_err(decode_error)
}

pub(crate) fn malformed(what: &str) -> Error {
    Error::Malformed(what.to_string())
}

/// The payload of the first `kind` attribute of a reply. The other
/// attributes are skipped, their lengths checked.
pub(crate) fn find_nest(attrs: &[u8], kind: u16) -> Result<Option<&[u8]>> {
    let mut found = None;
    for attr in Attrs(attrs) {
        let (k, payload) = attr?;
        if k == kind && found.is_none() {
            found = Some(payload);
        }
    }
    Ok(found)
}

/// An address attribute: the kernel sends 16 bytes; a bare IPv4 address
/// is read too.
pub(crate) fn addr(what: &str, payload: &[u8]) -> Result<[u8; INET_ADDR_LEN]> {
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

/// A port: network byte order on the wire.
pub(crate) fn be16(payload: &[u8]) -> Result<u16> {
    checked(parse_u16(payload)).map(u16::from_be)
}

/// An address as the 16 bytes the kernel's `union nf_inet_addr` holds.
pub(crate) fn addr_bytes(addr: &IpAddr) -> [u8; INET_ADDR_LEN] {
    let mut out = [0u8; INET_ADDR_LEN];
    match addr {
        IpAddr::V4(v4) => out[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.copy_from_slice(&v6.octets()),
    }
    out
}

pub(crate) fn addr_from_bytes(family: Family, bytes: &[u8; INET_ADDR_LEN]) -> IpAddr {
    match family {
        Family::Inet => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        Family::Inet6 => IpAddr::V6(Ipv6Addr::from(*bytes)),
    }
}

/// The length of a NUL-terminated string attribute.
pub(crate) fn string_len(s: &str) -> usize {
    s.len() + 1
}

/// Writes a NUL-terminated string attribute; `buffer` is `string_len` long.
pub(crate) fn emit_string(buffer: &mut [u8], s: &str) {
    buffer[..s.len()].copy_from_slice(s.as_bytes());
    buffer[s.len()] = 0;
}

/// A request as the fake kernel receives it.
#[cfg(any(test, feature = "testing"))]
pub(crate) struct RawRequest {
    /// The netlink message type: the family id.
    pub family: u16,
    pub flags: u16,
    pub seq: u32,
    pub cmd: u8,
    pub attrs: Vec<u8>,
    /// The netlink header, which an ack repeats.
    pub header: Vec<u8>,
}

#[cfg(any(test, feature = "testing"))]
impl RawRequest {
    pub(crate) fn is_dump(&self) -> bool {
        let dump = netlink_packet_core::NLM_F_DUMP;
        self.flags & dump == dump
    }
}

/// The requests of a datagram the client sent.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn datagram_requests(mut bytes: &[u8]) -> Result<Vec<RawRequest>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let buf = NetlinkBuffer::new_checked(&bytes).map_err(decode_error)?;
        let len = buf.length() as usize;
        let payload = buf.payload();
        let cmd = *payload
            .first()
            .ok_or_else(|| malformed("no generic-netlink header"))?;
        out.push(RawRequest {
            family: buf.message_type(),
            flags: buf.flags(),
            seq: buf.sequence_number(),
            cmd,
            attrs: payload.get(4..).unwrap_or_default().to_vec(),
            header: bytes[..16].to_vec(),
        });
        bytes = bytes.get((len + 3) & !3..).unwrap_or_default();
    }
    Ok(out)
}
