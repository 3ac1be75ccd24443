//! `rsvsadm check`, connection sync: what this director alone can tell
//! about its sync daemons (`--start-daemon`).
//!
//! A backup daemon with no master on the same host is the normal case (the
//! master runs on the other director), and a host may run both roles so
//! that either director can be the active one. Nothing here needs the peer;
//! what is checked, and why:
//! - each daemon's interface exists and is up: else nothing is synced, and
//!   the first failover loses every connection ([`interfaces`]);
//! - a backup with syncid 0 beside a master with a non-zero one
//!   ([`syncids`]);
//! - a master and a backup of the same syncid on different multicast
//!   groups or ports ([`channels`]);
//! - the `net.ipv4.vs.sync_*` parameters that decide whether a connection
//!   reaches the backup in a usable state ([`refresh`], [`version`],
//!   [`persistence`]).
//!
//! [`findings`] is a pure function of a [`SyncView`] and the IPVS table;
//! [`gather`] reads the view from the kernel.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use ipvs::{Daemon, DaemonState, Family, Protocol, ServiceFlags, ServiceKey, VirtualService};

use super::finding::{service_name, Finding, Severity};
use crate::director::error::Result;
use crate::director::host::addr;
use crate::director::host::sysctl::Sysctl;

/// The sync daemons and what they depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncView {
    pub daemons: Vec<Daemon>,
    /// This host's interfaces: name, and whether it is (administratively) up.
    pub links: BTreeMap<String, bool>,
    pub params: SyncParams,
    /// IPVS's TCP timeout in seconds (`--set`'s first value), for messages.
    pub tcp_timeout: Option<u32>,
}

/// The `net.ipv4.vs.*` parameters the checks read; `None` when unreadable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncParams {
    /// `sync_threshold`: the threshold and the period.
    pub threshold: Option<(u32, u32)>,
    pub refresh_period: Option<u32>,
    pub version: Option<u32>,
    pub persist_mode: Option<u32>,
    pub sloppy_tcp: Option<bool>,
    pub sloppy_sctp: Option<bool>,
}

impl SyncView {
    fn daemon(&self, state: DaemonState) -> Option<&Daemon> {
        self.daemons.iter().find(|d| d.state == state)
    }
}

/// Every finding about the sync daemons; none when no daemon runs.
pub fn findings(view: &SyncView, services: &[VirtualService]) -> Vec<Finding> {
    let mut out = Vec::new();
    if view.daemons.is_empty() {
        return out;
    }
    interfaces(view, &mut out);
    syncids(view, &mut out);
    channels(view, &mut out);
    refresh(view, &mut out);
    version(view, services, &mut out);
    persistence(view, services, &mut out);
    out
}

/// "master sync daemon (mcast=eth1, syncid=51)", as `-L --daemon` starts.
fn daemon_name(d: &Daemon) -> String {
    format!(
        "{} sync daemon (mcast={}, syncid={})",
        d.state.name(),
        d.mcast_ifn,
        d.syncid
    )
}

/// The commands that restart `d` with the same options, except those
/// `change` alters: the kernel can't change a running daemon.
fn restart(d: &Daemon, change: impl FnOnce(&mut Daemon)) -> String {
    let mut new = d.clone();
    change(&mut new);
    let state = d.state.name();
    let mut start = format!(
        "rsvsadm --start-daemon {state} --mcast-interface {} --syncid {}",
        new.mcast_ifn, new.syncid
    );
    if let Some(v) = new.sync_maxlen {
        start.push_str(&format!(" --sync-maxlen {v}"));
    }
    if let Some(v) = new.mcast_group {
        start.push_str(&format!(" --mcast-group {v}"));
    }
    if let Some(v) = new.mcast_port {
        start.push_str(&format!(" --mcast-port {v}"));
    }
    if let Some(v) = new.mcast_ttl {
        start.push_str(&format!(" --mcast-ttl {v}"));
    }
    format!("rsvsadm --stop-daemon {state} && {start}")
}

fn what_it_moves(d: &Daemon) -> &'static str {
    match d.state {
        DaemonState::Master => "sends no connection to the backup",
        DaemonState::Backup => "receives no connection from the master",
        _ => "syncs no connection",
    }
}

/// A daemon whose interface is gone or down syncs nothing, silently: the
/// kernel keeps it running.
fn interfaces(view: &SyncView, out: &mut Vec<Finding>) {
    for d in &view.daemons {
        let ifn = &d.mcast_ifn;
        let (problem, fix) = match view.links.get(ifn) {
            Some(true) => continue,
            Some(false) => (
                format!("its interface {ifn} is down: it {}", what_it_moves(d)),
                format!("ip link set dev {ifn} up"),
            ),
            // The daemon's socket belongs to the interface that was there
            // when it started: a new one of the same name needs a restart.
            None => (
                format!(
                    "its interface {ifn} does not exist: it {}",
                    what_it_moves(d)
                ),
                format!(
                    "{}  (IFACE: the interface that reaches the other director)",
                    restart(d, |n| n.mcast_ifn = "IFACE".into())
                ),
            ),
        };
        out.push(Finding {
            severity: Severity::Error,
            subject: daemon_name(d),
            problem,
            fix,
        });
    }
}

/// A backup with syncid 0 takes in the messages of every syncid. Beside a
/// master that marks its own with a non-zero syncid, which is what one
/// does when several director pairs share a network, that backup also
/// takes in the other pairs' connections.
fn syncids(view: &SyncView, out: &mut Vec<Finding>) {
    let (Some(m), Some(b)) = (
        view.daemon(DaemonState::Master),
        view.daemon(DaemonState::Backup),
    ) else {
        return;
    };
    if b.syncid != 0 || m.syncid == 0 {
        return;
    }
    out.push(Finding {
        severity: Severity::Warning,
        subject: daemon_name(b),
        problem: format!(
            "syncid 0 accepts sync messages of every syncid, while this host's master marks \
             its own with syncid {}: this backup also takes in the connections of any other \
             director pair syncing on {}",
            m.syncid, b.mcast_ifn
        ),
        fix: restart(b, |n| n.syncid = m.syncid),
    });
}

/// The same syncid means the same director pair; the two daemons of one
/// host then use the same group and port, so that the other director, set
/// up like this one, sends where this backup listens.
fn channels(view: &SyncView, out: &mut Vec<Finding>) {
    let (Some(m), Some(b)) = (
        view.daemon(DaemonState::Master),
        view.daemon(DaemonState::Backup),
    ) else {
        return;
    };
    let same = m.mcast_group == b.mcast_group && m.mcast_port == b.mcast_port;
    if m.syncid != b.syncid || same {
        return;
    }
    out.push(Finding {
        severity: Severity::Warning,
        subject: daemon_name(b),
        problem: format!(
            "this host's master of the same syncid sends to {}, but this backup listens on \
             {}: a peer director set up like this one sends where this backup does not listen",
            channel(m),
            channel(b)
        ),
        fix: restart(b, |n| {
            n.mcast_group = m.mcast_group;
            n.mcast_port = m.mcast_port;
        }),
    });
}

fn channel(d: &Daemon) -> String {
    let group = d
        .mcast_group
        .map_or_else(|| "the default group".to_string(), |g| g.to_string());
    let port = d
        .mcast_port
        .map_or_else(|| "the default port".to_string(), |p| p.to_string());
    match d.mcast_group {
        Some(IpAddr::V6(_)) => format!("[{group}]:{port}"),
        _ => format!("{group}:{port}"),
    }
}

/// With a sync period of 0 and no refresh period the kernel syncs an
/// ESTABLISHED connection once, when its incoming packet count equals the
/// threshold (and again only when it starts closing). The backup's copy
/// then expires after the TCP timeout even while the connection is in use
/// on the master, and a failover after that resets it.
fn refresh(view: &SyncView, out: &mut Vec<Finding>) {
    if view.daemon(DaemonState::Master).is_none() {
        return;
    }
    let p = &view.params;
    let (Some((threshold, 0)), Some(0)) = (p.threshold, p.refresh_period) else {
        return;
    };
    let timeout = view
        .tcp_timeout
        .map_or_else(|| "the TCP timeout".to_string(), |t| format!("{t} s"));
    out.push(Finding {
        severity: Severity::Warning,
        subject: format!("net.ipv4.vs.sync_threshold = {threshold} 0"),
        problem: format!(
            "with net.ipv4.vs.sync_refresh_period = 0 as well, the master syncs an established \
             connection only once (at its packet number {threshold}): the backup's copy expires \
             after {timeout} even while the connection is in use here, and a failover after \
             that resets it"
        ),
        fix: "sysctl -w net.ipv4.vs.sync_threshold=\"3 50\"  (the default: again every 50 \
              packets), or sysctl -w net.ipv4.vs.sync_refresh_period=SECONDS"
            .to_string(),
    });
}

/// Sync protocol version 0 (for pre-2.6.39 backups) has no room for IPv6
/// addresses: the master skips IPv6 connections altogether.
fn version(view: &SyncView, services: &[VirtualService], out: &mut Vec<Finding>) {
    if view.daemon(DaemonState::Master).is_none() || view.params.version != Some(0) {
        return;
    }
    let v6: Vec<String> = services
        .iter()
        .filter(|s| s.service.key.family() == Family::Inet6)
        .map(|s| service_name(&s.service.key))
        .collect();
    if v6.is_empty() {
        return;
    }
    out.push(Finding {
        severity: Severity::Warning,
        subject: "net.ipv4.vs.sync_version = 0".to_string(),
        problem: format!(
            "sync protocol version 0 cannot carry IPv6: the connections of {} are never synced, \
             and a failover resets them",
            v6.join(", ")
        ),
        fix: "sysctl -w net.ipv4.vs.sync_version=1  (understood by every backup since Linux \
              2.6.39)"
            .to_string(),
    });
}

/// With `sync_persist_mode = 1` the masters sync only the persistence
/// templates of persistent services, not their connections. A backup that
/// takes over then sees packets of connections it has no entry for, and
/// TCP (SCTP) packets other than a SYN (INIT) are only scheduled, by the
/// template, with `sloppy_tcp` (`sloppy_sctp`); without it those
/// connections are reset. Both roles read the same parameters on their own
/// host, and a pair is normally set up alike, so this host's values stand
/// for both.
fn persistence(view: &SyncView, services: &[VirtualService], out: &mut Vec<Finding>) {
    if view.params.persist_mode != Some(1) {
        return;
    }
    let persistent = || {
        services
            .iter()
            .filter(|s| s.service.flags.contains(ServiceFlags::PERSISTENT))
    };
    let needs = [
        ("sloppy_tcp", view.params.sloppy_tcp, Protocol::Tcp),
        ("sloppy_sctp", view.params.sloppy_sctp, Protocol::Sctp),
    ];
    for (key, value, protocol) in needs {
        let names: Vec<String> = persistent()
            .filter(|s| carries(&s.service.key, protocol))
            .map(|s| service_name(&s.service.key))
            .collect();
        if value != Some(false) || names.is_empty() {
            continue;
        }
        out.push(Finding {
            severity: Severity::Warning,
            subject: format!("net.ipv4.vs.sync_persist_mode = 1 with net.ipv4.vs.{key} = 0"),
            problem: format!(
                "only the persistence templates of {} are synced, not their connections, and \
                 a backup without {key} does not pick a connection up in the middle: a \
                 failover resets them",
                names.join(", ")
            ),
            fix: format!(
                "sysctl -w net.ipv4.vs.{key}=1 on both directors, or sysctl -w \
                 net.ipv4.vs.sync_persist_mode=0"
            ),
        });
    }
}

/// Whether a service may carry `protocol`: a firewall-mark service may
/// carry any.
fn carries(key: &ServiceKey, protocol: Protocol) -> bool {
    match key {
        ServiceKey::Addr { protocol: p, .. } => *p == protocol,
        ServiceKey::Fwmark { .. } => true,
    }
}

// ---------------------------------------------------------------- effects

/// Reads the daemons and, when one runs, what the checks need.
pub fn gather(root: &Path) -> Result<SyncView> {
    let mut ipvs = ipvs::Ipvs::connect()?;
    let daemons = ipvs.daemons()?;
    if daemons.is_empty() {
        return Ok(SyncView::default());
    }
    let links = addr::links()?.into_iter().map(|l| (l.name, l.up)).collect();
    Ok(SyncView {
        daemons,
        links,
        params: gather_params(root)?,
        tcp_timeout: Some(ipvs.timeouts()?.tcp),
    })
}

fn gather_params(root: &Path) -> Result<SyncParams> {
    let read = |key: &str| Sysctl::ipvs(key).read(root);
    let number = |key: &str| -> Result<Option<u32>> { Ok(read(key)?.and_then(|v| v.parse().ok())) };
    let flag = |key: &str| -> Result<Option<bool>> { Ok(number(key)?.map(|v| v != 0)) };
    Ok(SyncParams {
        threshold: read("sync_threshold")?.as_deref().and_then(parse_threshold),
        refresh_period: number("sync_refresh_period")?,
        version: number("sync_version")?,
        persist_mode: number("sync_persist_mode")?,
        sloppy_tcp: flag("sloppy_tcp")?,
        sloppy_sctp: flag("sloppy_sctp")?,
    })
}

/// `sync_threshold` reads "3\t50".
fn parse_threshold(text: &str) -> Option<(u32, u32)> {
    let mut words = text.split_whitespace().map(str::parse::<u32>);
    match (words.next(), words.next(), words.next()) {
        (Some(Ok(threshold)), Some(Ok(period)), None) => Some((threshold, period)),
        _ => None,
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
