//! The client's readers of kernel replies (services, destinations,
//! daemons, info, timeouts, and the generic-netlink controller's family
//! id) on arbitrary datagrams: malformed input must be an error, never a
//! panic, and whatever they read must read back the same when sent as
//! the kernel sends it.
#![no_main]

use ipvs::testing::{check_round_trip, decode};
use ipvs::Family;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|datagram: &[u8]| {
    for family in [Family::Inet, Family::Inet6] {
        if let Ok(decoded) = decode(datagram, family) {
            check_round_trip(&decoded);
        }
    }
});
