//! Test support, behind the `testing` feature (not a stable API):
//!
//! - [`FakeKernel`], an in-memory IPVS table behind a fake netlink socket,
//!   for unit tests of code that drives an [`Ipvs`](crate::Ipvs);
//! - [`decode`], the client's own readers of kernel replies on a captured
//!   or fuzzed datagram, and [`check_round_trip`], the property a fuzz
//!   target holds them to.

mod fake;

use netlink_packet_core::{Emitable, NetlinkPayload};

pub use fake::{FakeKernel, FakeRequest};

use crate::ctrl::{read_family_id, GENL_ID_CTRL};
use crate::error::Result;
use crate::nl::message::{info_attrs, read_info, read_timeouts, timeout_attrs, CmdAttr, IpvsCmd};
use crate::nl::read::{datagram, RawReply};
use crate::nl::{daemon, dest, service};
use crate::types::*;

/// What one datagram decodes to, by the readers the client uses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded {
    /// The services of GET_SERVICE replies.
    pub services: Vec<Service>,
    /// The destinations of GET_DEST replies.
    pub destinations: Vec<Destination>,
    /// The daemons of GET_DAEMON replies.
    pub daemons: Vec<Daemon>,
    /// The GET_INFO reply's, if there is a complete one.
    pub info: Option<Info>,
    /// The GET_CONFIG reply's (zeros without one).
    pub timeouts: Timeouts,
    /// The generic-netlink controller's answer: the id of the family.
    pub family_id: Option<u16>,
}

/// Decodes every message of a datagram the kernel sent. `dest_family` is
/// the family of the service whose destinations these would be.
pub fn decode(bytes: &[u8], dest_family: Family) -> Result<Decoded> {
    let mut out = Decoded::default();
    let (mut replies, mut ctrl) = (Vec::new(), Vec::new());
    datagram(bytes, |msg| {
        if let NetlinkPayload::InnerMessage(genl) = msg.payload {
            let reply = genl.payload;
            if msg.header.message_type == GENL_ID_CTRL {
                ctrl.push(reply);
                return Ok(());
            }
            // The GET_INFO reply reuses the numbers of the nests.
            if reply.cmd != IpvsCmd::SetInfo as u8 {
                out.services.extend(service::read(&reply.attrs)?);
                out.destinations
                    .extend(dest::read(&reply.attrs, dest_family)?);
                out.daemons.extend(daemon::read(&reply.attrs)?);
            }
            replies.push(reply);
        }
        Ok(())
    })?;
    out.info = read_info(&replies).ok();
    out.timeouts = read_timeouts(&replies)?;
    out.family_id = read_family_id(&ctrl)?;
    Ok(out)
}

fn reply_of(cmd: u8, attrs: &[CmdAttr]) -> RawReply {
    let mut bytes = vec![0; attrs.buffer_len()];
    attrs.emit(&mut bytes);
    RawReply { cmd, attrs: bytes }
}

/// Panics unless every object of `decoded`, sent as the kernel sends it,
/// reads back the same: what the readers accept, they understand whole.
pub fn check_round_trip(decoded: &Decoded) {
    for s in &decoded.services {
        let r = reply_of(
            IpvsCmd::NewService as u8,
            &[CmdAttr::Service(service::reply_attrs(s))],
        );
        assert_eq!(service::read(&r.attrs).ok().flatten().as_ref(), Some(s));
    }
    for d in &decoded.destinations {
        let r = reply_of(
            IpvsCmd::NewDest as u8,
            &[CmdAttr::Dest(dest::reply_attrs(d))],
        );
        assert_eq!(
            dest::read(&r.attrs, d.family()).ok().flatten().as_ref(),
            Some(d)
        );
    }
    for d in &decoded.daemons {
        let r = reply_of(
            IpvsCmd::NewDaemon as u8,
            &[CmdAttr::Daemon(daemon::attrs(d))],
        );
        assert_eq!(daemon::read(&r.attrs).ok().flatten().as_ref(), Some(d));
    }
    if let Some(info) = &decoded.info {
        let r = reply_of(IpvsCmd::SetInfo as u8, &info_attrs(info));
        assert_eq!(read_info(&[r]).ok().as_ref(), Some(info));
    }
    let r = reply_of(IpvsCmd::SetConfig as u8, &timeout_attrs(&decoded.timeouts));
    assert_eq!(read_timeouts(&[r]).ok(), Some(decoded.timeouts));
}
