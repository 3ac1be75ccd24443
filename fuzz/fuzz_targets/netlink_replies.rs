//! Every parser of kernel replies on arbitrary datagrams: the IPVS
//! replies (services, destinations, daemons, info, timeouts) and the
//! generic-netlink controller's (the family id). Malformed input must be
//! an error, never a panic.
#![no_main]

use ipvs::ctrl::CtrlMessage;
use ipvs::decode;
use ipvs::message::IpvsMessage;
use ipvs::Family;
use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;

fuzz_target!(|datagram: &[u8]| {
    let mut replies = Vec::new();
    let _ = decode::datagram(datagram, |msg: NetlinkMessage<GenlMessage<IpvsMessage>>| {
        if let NetlinkPayload::InnerMessage(genl) = msg.payload {
            let reply = genl.payload;
            let _ = decode::service(&reply);
            let _ = decode::destination(&reply, Family::Inet);
            let _ = decode::destination(&reply, Family::Inet6);
            let _ = decode::daemon(&reply);
            replies.push(reply);
        }
        Ok(())
    });
    let _ = decode::info(&replies);
    let _ = decode::timeouts(&replies);

    let mut ctrl = Vec::new();
    let _ = decode::datagram(datagram, |msg: NetlinkMessage<GenlMessage<CtrlMessage>>| {
        if let NetlinkPayload::InnerMessage(genl) = msg.payload {
            ctrl.push(genl.payload);
        }
        Ok(())
    });
    let _ = decode::family_id(&ctrl);
});
