//! The setup in place, read back from the host's own objects: there is no
//! state file (see `state.rs`).

use std::net::IpAddr;

use crate::director::firewall::FirewallView;
use crate::director::host::addr::{Address, TUN4, TUN6};
use crate::director::model::{RsMode, Setup};

/// The setup in place: the director's part from the firewall record, the
/// real server's from the marked addresses.
pub fn current_setup(view: &FirewallView, addresses: &[Address]) -> Setup {
    let mut setup = view.recorded.clone();
    for a in addresses {
        if a.is_ours_on_lo() {
            setup.realservers.insert(a.addr, RsMode::Dr);
        } else if (a.dev == TUN4 || a.dev == TUN6) && !is_link_local(&a.addr) {
            setup.realservers.insert(a.addr, RsMode::Tun);
        }
    }
    setup
}

/// An IPv6 link-local address (fe80::/10), which the kernel gives every
/// interface by itself.
pub fn is_link_local(a: &IpAddr) -> bool {
    match a {
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        IpAddr::V4(_) => false,
    }
}
