//! Everything `check` looks at, read once: the [`Snapshot`] its rules are
//! pure functions of.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipvs::conn::ConnEntry;
use ipvs::{Destination, ForwardMethod, ServiceKey, VirtualService};

use super::sync::SyncView;
use crate::director::host::addr::RouteGet;
use crate::director::model::ServiceEndpoint;

/// A NAT rule that only ever sees IPVS traffic with `vs.conntrack=1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConntrackRule {
    pub what: String,
    /// A FULLNAT rule (sure to be meant for IPVS) rather than a rule that
    /// merely matches a real server's address.
    pub fullnat: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub services: Vec<VirtualService>,
    pub ip_forward: Option<bool>,
    pub ipv6_forwarding: Option<bool>,
    pub vs_conntrack: Option<bool>,
    pub redirects_all: Option<bool>,
    /// Each interface that leads to a NAT real server or holds a VIP, with
    /// its own send_redirects value.
    pub redirects: BTreeMap<String, bool>,
    /// `ip route get` for every real server and VIP.
    pub routes: BTreeMap<IpAddr, RouteGet>,
    pub conntrack_rules: Vec<ConntrackRule>,
    /// FULLNAT services and their local addresses (rsvsadm's record).
    pub fullnat: BTreeMap<ServiceEndpoint, Vec<IpAddr>>,
    /// The connection table, then the same a few seconds later.
    pub conns_before: Vec<ConnEntry>,
    pub conns_after: Vec<ConnEntry>,
    /// The connection-sync daemons (`sync.rs`).
    pub sync: SyncView,
}

impl Snapshot {
    /// The virtual addresses of the address-based services.
    pub fn vips(&self) -> BTreeSet<IpAddr> {
        self.services
            .iter()
            .filter_map(|svc| match svc.service.key {
                ServiceKey::Addr { addr, .. } => Some(addr),
                ServiceKey::Fwmark { .. } => None,
            })
            .collect()
    }

    pub fn nat_dests(&self) -> impl Iterator<Item = (&VirtualService, &Destination)> {
        self.services.iter().flat_map(|s| {
            s.destinations
                .iter()
                .filter(|d| d.forward == ForwardMethod::Masq && !self.is_local(&d.addr))
                .map(move |d| (s, d))
        })
    }

    pub fn is_local(&self, addr: &IpAddr) -> bool {
        matches!(self.routes.get(addr), Some(RouteGet::Route { kind, .. }) if kind == "local")
    }

    /// The director's own address towards `addr` (its route's source).
    pub fn source_towards(&self, addr: &IpAddr) -> Option<IpAddr> {
        match self.routes.get(addr) {
            Some(RouteGet::Route { prefsrc, .. }) => *prefsrc,
            _ => None,
        }
    }
}
