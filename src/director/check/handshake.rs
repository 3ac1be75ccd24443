//! NAT connections stuck in SYN_RECV: a real server whose replies do not
//! come back through the director (a wrong default gateway, or for FULLNAT
//! no route to the local address).

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipvs::conn::ConnEntry;
use ipvs::{Destination, ServiceKey, VirtualService};

use super::finding::{dest_name, Finding, Severity};
use super::snapshot::Snapshot;
use crate::director::model::ServiceEndpoint;

type ConnKey = (IpAddr, u16, IpAddr, u16, IpAddr, u16);

fn conn_key(c: &ConnEntry) -> ConnKey {
    (
        c.client_addr,
        c.client_port,
        c.virtual_addr,
        c.virtual_port,
        c.dest_addr,
        c.dest_port,
    )
}

fn conn_of(svc: &VirtualService, d: &Destination, c: &ConnEntry) -> bool {
    if c.dest_addr != d.addr || c.dest_port != d.port {
        return false;
    }
    match svc.service.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            c.protocol_kind() == Some(protocol) && c.virtual_addr == addr && c.virtual_port == port
        }
        ServiceKey::Fwmark { .. } => c.protocol_kind().is_some(),
    }
}

pub const SYN_RECV: &str = "SYN_RECV";

/// A NAT connection still in SYN_RECV after the wait never got its
/// SYN-ACK back through the director: the real server answers another way.
pub fn stuck_handshakes(s: &Snapshot, out: &mut Vec<Finding>) {
    let waiting: BTreeSet<ConnKey> = s
        .conns_before
        .iter()
        .filter(|c| c.state == SYN_RECV)
        .map(conn_key)
        .collect();
    for (svc, d) in s.nat_dests() {
        let mine: Vec<&ConnEntry> = s
            .conns_after
            .iter()
            .filter(|c| conn_of(svc, d, c))
            .collect();
        let stuck = mine
            .iter()
            .filter(|c| c.state == SYN_RECV && waiting.contains(&conn_key(c)))
            .count();
        if stuck == 0 {
            continue;
        }
        // An open connection shows replies do come back (some of the time);
        // closed ones (TIME_WAIT) may be from before the breakage.
        let working = mine.iter().any(|c| c.state == "ESTABLISHED");
        out.push(stuck_finding(s, svc, d, stuck, working));
    }
}

fn stuck_finding(
    s: &Snapshot,
    svc: &VirtualService,
    d: &Destination,
    stuck: usize,
    working: bool,
) -> Finding {
    let fullnat = match svc.service.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => s.fullnat.get(&ServiceEndpoint {
            protocol,
            addr,
            port,
        }),
        ServiceKey::Fwmark { .. } => None,
    };
    let via = s
        .source_towards(&d.addr)
        .map(|a| a.to_string())
        .unwrap_or_else(|| "THIS-DIRECTOR'S-ADDRESS".into());
    let (problem, fix) = match fullnat {
        Some(laddrs) => (
            "its replies are not coming back to this director's local address: can it reach it?"
                .to_string(),
            format!(
                "on {}: make sure it has a route to {}",
                d.addr,
                laddrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        None => (
            "its replies are not coming back through this director: is its default gateway \
             this director's address?"
                .to_string(),
            format!(
                "on {}: ip route replace default via {via}  (NAT real servers must route their \
                 replies through the director)",
                d.addr
            ),
        ),
    };
    Finding {
        severity: if working {
            Severity::Warning
        } else {
            Severity::Error
        },
        subject: dest_name(svc, d),
        problem: format!("{stuck} connection(s) stuck in SYN_RECV: {problem}"),
        fix,
    }
}
