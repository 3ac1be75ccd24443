//! Every parser of kernel replies on arbitrary datagrams: the IPVS
//! replies read as attribute trees (services, destinations, daemons, info,
//! timeouts) and as bytes (the services and destinations the client
//! lists), and the generic-netlink controller's (the family id).
//! Malformed input must be an error, never a panic; and where the
//! attribute tree of a reply parses, the byte reader must read the same
//! service and destination from it (or fail alike).
#![no_main]

use ipvs::ctrl::CtrlMessage;
use ipvs::decode;
use ipvs::message::{Cmd, IpvsMessage};
use ipvs::reply::{self, RawReply};
use ipvs::Family;
use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{NetlinkDeserializable, NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;

/// The generic-netlink payloads of a datagram, as far as it parses.
fn payloads<F>(datagram: &[u8]) -> Vec<F>
where
    GenlMessage<F>: NetlinkDeserializable,
{
    let mut out = Vec::new();
    let _ = decode::datagram(datagram, |msg: NetlinkMessage<GenlMessage<F>>| {
        if let NetlinkPayload::InnerMessage(genl) = msg.payload {
            out.push(genl.payload);
        }
        Ok(())
    });
    out
}

/// A result with its error reduced to "an error": the two readers word
/// their errors differently.
fn outcome<T: std::fmt::Debug>(r: ipvs::Result<T>) -> String {
    format!("{:?}", r.map_err(|_| ()))
}

fuzz_target!(|datagram: &[u8]| {
    let trees: Vec<IpvsMessage> = payloads(datagram);
    for tree in &trees {
        let _ = decode::daemon(tree);
    }
    let _ = decode::info(&trees);
    let _ = decode::timeouts(&trees);

    let raws: Vec<RawReply> = payloads(datagram);
    for (i, raw) in raws.iter().enumerate() {
        let tree = trees.get(i).filter(|_| raw.cmd != Cmd::SetInfo as u8);
        let svc = reply::service(&raw.attrs);
        if let Some(tree) = tree {
            assert_eq!(outcome(decode::service(tree)), outcome(svc), "service");
        }
        for family in [Family::Inet, Family::Inet6] {
            let dest = reply::destination(&raw.attrs, family);
            if let Some(tree) = tree {
                let reference = decode::destination(tree, family);
                assert_eq!(outcome(reference), outcome(dest), "destination");
            }
        }
    }

    let ctrl: Vec<CtrlMessage> = payloads(datagram);
    let _ = decode::family_id(&ctrl);
});
