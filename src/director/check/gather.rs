//! Reading the host into a [`Snapshot`]: the only part of `check` that
//! talks to the kernel and the tools.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipvs::conn::{ConnEntry, ConnReader, CONN_PROC_FILE};
use ipvs::{ServiceKey, VirtualService};

use super::handshake::SYN_RECV;
use super::nft_rules::conntrack_rules_in;
use super::snapshot::{ConntrackRule, Snapshot};
use super::sync;
use crate::director::error::{Error, Result};
use crate::director::firewall::{nft, FirewallView};
use crate::director::host::addr::{self, RouteGet};
use crate::director::host::exec;
use crate::director::host::sysctl::{ConfDev, Sysctl, PROC_SYS};
use crate::director::model::IfName;

fn read_bool(s: &Sysctl, root: &Path) -> Result<Option<bool>> {
    Ok(s.read(root)?.map(|v| v != "0"))
}

fn read_conns() -> Result<Vec<ConnEntry>> {
    let file = File::open(CONN_PROC_FILE).map_err(|e| Error::io(CONN_PROC_FILE, e))?;
    let reader = ConnReader::new(BufReader::new(file))
        .map_err(|e| Error::Unexpected(format!("{CONN_PROC_FILE}: {e}")))?;
    // A malformed line (a kernel format we don't know) is skipped, not
    // fatal: the other checks are still worth reporting.
    Ok(reader.filter_map(|r| r.ok()).collect())
}

/// The whole IPVS table, each service with its real servers: the one
/// place `check` reads it from the kernel. A service another process
/// deletes meanwhile is left out ([`ipvs::Ipvs::table`]).
fn read_ipvs_table() -> Result<Vec<VirtualService>> {
    Ok(ipvs::Ipvs::connect()?.table()?)
}

pub fn gather(wait: Duration) -> Result<Snapshot> {
    let root = Path::new(PROC_SYS);
    let mut s = Snapshot {
        services: read_ipvs_table()?,
        ip_forward: read_bool(&Sysctl::ip_forward(), root)?,
        ipv6_forwarding: read_bool(&Sysctl::ipv6_forwarding(), root)?,
        vs_conntrack: read_bool(&Sysctl::vs_conntrack(), root)?,
        redirects_all: read_bool(&Sysctl::ipv4_conf(ConfDev::All, "send_redirects"), root)?,
        sync: sync::gather(root)?,
        ..Snapshot::default()
    };
    let mut addrs: BTreeSet<IpAddr> = BTreeSet::new();
    let mut vip_addrs = Vec::new();
    for svc in &s.services {
        if let ServiceKey::Addr { addr, .. } = svc.service.key {
            addrs.insert(addr);
            vip_addrs.push(addr);
        }
        addrs.extend(svc.destinations.iter().map(|d| d.addr));
    }
    for a in addrs {
        s.routes.insert(a, addr::route_get(&a)?);
    }
    gather_redirects(&mut s, root)?;
    let view = FirewallView::observe()?;
    s.fullnat = view.recorded.fullnat.clone();
    let nat_dests: Vec<IpAddr> = s.nat_dests().map(|(_, d)| d.addr).collect();
    if exec::available("nft") {
        s.conntrack_rules = conntrack_rules_in(&nft::ruleset()?, &vip_addrs, &nat_dests);
    }
    for service in view.recorded.fullnat.keys() {
        let what = format!("rsvsadm setup fullnat {}", service.option());
        if !s
            .conntrack_rules
            .iter()
            .any(|r| r.what.contains(&service.to_string()))
        {
            s.conntrack_rules.push(ConntrackRule {
                what,
                fullnat: true,
            });
        }
    }
    if !s.services.is_empty() {
        s.conns_before = read_conns()?;
        let nat_waiting = s.conns_before.iter().any(|c| c.state == SYN_RECV);
        s.conns_after = if nat_waiting {
            std::thread::sleep(wait);
            read_conns()?
        } else {
            s.conns_before.clone()
        };
    }
    Ok(s)
}

/// send_redirects of the interfaces towards NAT real servers and VIPs.
fn gather_redirects(s: &mut Snapshot, root: &Path) -> Result<()> {
    let mut devs: BTreeSet<String> = s
        .routes
        .values()
        .filter_map(|r| match r {
            RouteGet::Route { dev: Some(dev), .. } if dev != "lo" => Some(dev.clone()),
            _ => None,
        })
        .collect();
    // A VIP's route is via lo; the interface facing the clients is the one
    // holding it.
    let vips = s.vips();
    for a in addr::addresses()? {
        if vips.contains(&a.addr) && a.dev != "lo" {
            devs.insert(a.dev);
        }
    }
    for dev in devs {
        let Ok(name) = dev.parse::<IfName>() else {
            continue;
        };
        if let Some(on) = read_bool(
            &Sysctl::ipv4_conf(ConfDev::Dev(&name), "send_redirects"),
            root,
        )? {
            s.redirects.insert(dev, on);
        }
    }
    Ok(())
}
