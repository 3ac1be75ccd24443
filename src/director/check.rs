//! `rsvsadm check`: inspect a director and report mistakes, each with a fix.
//!
//! The host is read once into a [`Snapshot`] (the IPVS table, sysctls,
//! routes, NAT rules, two looks at the connection table); [`findings`] is a
//! pure function of it, so every rule is unit-tested without a kernel.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipvs::conn::{ConnEntry, ConnReader, CONN_PROC_FILE};
use ipvs::{DaemonState, Destination, ForwardMethod, Service, ServiceKey};
use serde_json::Value;

use super::addr::{self, RouteGet};
use super::check_sync;
use super::cli::CheckArgs;
use super::error::{Error, Result};
use super::exec;
use super::firewall::FirewallView;
use super::model::{Cidr, IfName, VirtualService};
use super::nft;
use super::sysctl::{ConfDev, Sysctl, PROC_SYS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// What the finding is about ("TCP 203.0.113.10:80 -> 198.51.100.11:80").
    pub subject: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: {}: {}\n  fix: {}",
            self.subject, self.problem, self.fix
        )
    }
}

/// A virtual service with its real servers.
#[derive(Debug, Clone)]
pub struct ServiceView {
    pub service: Service,
    pub dests: Vec<Destination>,
}

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
    pub services: Vec<ServiceView>,
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
    pub fullnat: BTreeMap<VirtualService, Vec<IpAddr>>,
    /// The connection table, then the same a few seconds later.
    pub conns_before: Vec<ConnEntry>,
    pub conns_after: Vec<ConnEntry>,
    /// The connection-sync daemons (`check_sync.rs`).
    pub sync: check_sync::SyncView,
}

pub(super) fn service_name(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => VirtualService {
            protocol: *protocol,
            addr: *addr,
            port: *port,
        }
        .to_string(),
        ServiceKey::Fwmark { mark, .. } => format!("FWM {mark}"),
    }
}

fn endpoint(addr: &IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

fn dest_name(svc: &ServiceView, d: &Destination) -> String {
    format!(
        "{} -> {}",
        service_name(&svc.service.key),
        endpoint(&d.addr, d.port)
    )
}

fn forwards_elsewhere(d: &Destination) -> bool {
    matches!(
        d.forward,
        ForwardMethod::Masq | ForwardMethod::Route | ForwardMethod::Tunnel
    )
}

impl Snapshot {
    /// The virtual addresses of the address-based services.
    fn vips(&self) -> BTreeSet<IpAddr> {
        self.services
            .iter()
            .filter_map(|svc| match svc.service.key {
                ServiceKey::Addr { addr, .. } => Some(addr),
                ServiceKey::Fwmark { .. } => None,
            })
            .collect()
    }

    fn nat_dests(&self) -> impl Iterator<Item = (&ServiceView, &Destination)> {
        self.services.iter().flat_map(|s| {
            s.dests
                .iter()
                .filter(|d| d.forward == ForwardMethod::Masq && !self.is_local(&d.addr))
                .map(move |d| (s, d))
        })
    }

    fn is_local(&self, addr: &IpAddr) -> bool {
        matches!(self.routes.get(addr), Some(RouteGet::Route { kind, .. }) if kind == "local")
    }

    /// The director's own address towards `addr` (its route's source).
    fn source_towards(&self, addr: &IpAddr) -> Option<IpAddr> {
        match self.routes.get(addr) {
            Some(RouteGet::Route { prefsrc, .. }) => *prefsrc,
            _ => None,
        }
    }
}

/// Every finding, errors first.
pub fn findings(s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    forwarding(s, &mut out);
    redirects(s, &mut out);
    destination_routes(s, &mut out);
    vips(s, &mut out);
    tunnel_sources(s, &mut out);
    conntrack(s, &mut out);
    fullnat_forwarding(s, &mut out);
    stuck_handshakes(s, &mut out);
    out.extend(check_sync::findings(&s.sync, &s.services));
    out.sort_by_key(|f| f.severity);
    out
}

fn forwarding(s: &Snapshot, out: &mut Vec<Finding>) {
    let (mut v4, mut v6) = (0, 0);
    for (_, d) in s.nat_dests() {
        if d.addr.is_ipv4() {
            v4 += 1;
        } else {
            v6 += 1;
        }
    }
    let cases = [
        (v4, s.ip_forward, Sysctl::ip_forward(), "IPv4"),
        (v6, s.ipv6_forwarding, Sysctl::ipv6_forwarding(), "IPv6"),
    ];
    for (count, value, sysctl, family) in cases {
        if count > 0 && value == Some(false) {
            out.push(Finding {
                severity: Severity::Error,
                subject: format!("{} = 0", sysctl.name()),
                problem: format!(
                    "{count} NAT real server(s) are {family}, but this host does not forward \
                     {family}: their replies to the clients are dropped here"
                ),
                fix: format!("rsvsadm setup nat (or: sysctl -w {}=1)", sysctl.name()),
            });
        }
    }
}

fn redirects(s: &Snapshot, out: &mut Vec<Finding>) {
    if s.nat_dests().next().is_none() {
        return;
    }
    let all_on = s.redirects_all == Some(true);
    let on: Vec<&String> = s
        .redirects
        .iter()
        .filter(|(_, own)| all_on || **own)
        .map(|(dev, _)| dev)
        .collect();
    if on.is_empty() && !all_on {
        return;
    }
    let names: Vec<String> = on.iter().map(|d| d.to_string()).collect();
    let ifaces: String = names.iter().map(|d| format!(" --interface {d}")).collect();
    out.push(Finding {
        severity: Severity::Warning,
        subject: if all_on {
            "net.ipv4.conf.all.send_redirects = 1".to_string()
        } else {
            format!("send_redirects on {}", names.join(", "))
        },
        problem: "this director sends ICMP redirects: when a real server's reply leaves \
                  through the interface it came in on, the redirect tells the real server to \
                  bypass the director, and its replies lose their NAT"
            .to_string(),
        fix: format!(
            "rsvsadm setup nat{ifaces}  (send_redirects=0 on all, default and each interface)"
        ),
    });
}

fn destination_routes(s: &Snapshot, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for svc in &s.services {
        for d in svc.dests.iter().filter(|d| forwards_elsewhere(d)) {
            if !seen.insert((d.addr, d.forward)) {
                continue;
            }
            let subject = dest_name(svc, d);
            match s.routes.get(&d.addr) {
                Some(RouteGet::Unreachable(msg)) => out.push(Finding {
                    severity: Severity::Error,
                    subject,
                    problem: format!("no route to the real server ({msg}): IPVS cannot send it anything"),
                    fix: format!(
                        "give this director an address on {}'s network, or a route to it \
                         (ip route add {}/{} via GATEWAY)",
                        d.addr,
                        d.addr,
                        if d.addr.is_ipv4() { 32 } else { 128 }
                    ),
                }),
                Some(RouteGet::Route { kind, .. }) if kind != "unicast" && kind != "local" => {
                    out.push(Finding {
                        severity: Severity::Error,
                        subject,
                        problem: format!("the route to the real server is of type {kind}: packets to it are dropped"),
                        fix: format!("replace that route (ip route get {} shows it)", d.addr),
                    })
                }
                Some(RouteGet::Route {
                    gateway: Some(gw),
                    dev,
                    ..
                }) if d.forward == ForwardMethod::Route => out.push(Finding {
                    severity: Severity::Error,
                    subject,
                    problem: format!(
                        "a direct-routing (-g) real server must be on a network this director \
                         is directly connected to, but it is reached via the gateway {gw}{}: \
                         DR only rewrites the MAC address",
                        dev.as_ref().map(|d| format!(" on {d}")).unwrap_or_default()
                    ),
                    fix: "give this director an address on the real server's network, or \
                          use tunnelling (-i) or NAT (-m) for it"
                        .to_string(),
                }),
                _ => {}
            }
        }
    }
}

fn vips(s: &Snapshot, out: &mut Vec<Finding>) {
    for svc in &s.services {
        let ServiceKey::Addr { addr, .. } = svc.service.key else {
            continue;
        };
        if !svc.dests.iter().any(forwards_elsewhere) || s.is_local(&addr) {
            continue;
        }
        // A standby director (a backup sync daemon runs) holds no VIP until
        // VRRP moves it here: expected, but worth a word.
        let standby = s
            .sync
            .daemons
            .iter()
            .any(|d| d.state == DaemonState::Backup);
        out.push(Finding {
            severity: if standby {
                Severity::Warning
            } else {
                Severity::Error
            },
            subject: service_name(&svc.service.key),
            problem: format!(
                "the virtual address {addr} is not on any interface of this director{}: \
                 packets to it are routed on, never handed to IPVS",
                if standby {
                    " (expected on a standby director until it takes over)"
                } else {
                    ""
                }
            ),
            fix: format!(
                "ip addr add {addr}/{} dev IFACE  (the interface facing the clients)",
                if addr.is_ipv4() { 32 } else { 128 }
            ),
        });
    }
}

/// A tunnelled packet leaves with the source address the director's route
/// to the real server picks. If that is a VIP, the real server, which owns
/// the VIP too, drops it (IPv4: a martian source; IPv6: ip6tnl refuses a
/// local remote). IPv6 picks it easily: a VIP in the real servers' /64
/// matches their addresses more closely than the director's own address.
fn tunnel_sources(s: &Snapshot, out: &mut Vec<Finding>) {
    let vips = s.vips();
    let mut seen = BTreeSet::new();
    for svc in &s.services {
        for d in svc
            .dests
            .iter()
            .filter(|d| d.forward == ForwardMethod::Tunnel)
        {
            let Some(src) = s.source_towards(&d.addr).filter(|a| vips.contains(a)) else {
                continue;
            };
            if !seen.insert(d.addr) {
                continue;
            }
            let fix = if src.is_ipv6() {
                format!(
                    "make the VIP deprecated, so it is never chosen as a source: \
                     ip -6 addr change {src}/128 dev IFACE preferred_lft 0"
                )
            } else {
                format!(
                    "give the route to {} this director's own address as source \
                     (ip route change NETWORK dev IFACE src ADDR), or add the VIP as a \
                     secondary /32 after that address",
                    d.addr
                )
            };
            out.push(Finding {
                severity: Severity::Error,
                subject: dest_name(svc, d),
                problem: format!(
                    "packets tunnelled to this real server leave with the VIP {src} as their \
                     source; the real server has that address too and drops them"
                ),
                fix,
            });
        }
    }
}

fn conntrack(s: &Snapshot, out: &mut Vec<Finding>) {
    if s.vs_conntrack == Some(true) {
        return;
    }
    let value = match s.vs_conntrack {
        Some(_) => "net.ipv4.vs.conntrack = 0",
        None => "net.ipv4.vs.conntrack is missing",
    };
    for rule in &s.conntrack_rules {
        out.push(Finding {
            severity: if rule.fullnat {
                Severity::Error
            } else {
                Severity::Warning
            },
            subject: rule.what.clone(),
            problem: format!(
                "{value}: IPVS connections bypass netfilter's connection tracking, so this \
                 source-NAT rule never applies to them"
            ),
            fix: "sysctl -w net.ipv4.vs.conntrack=1  (rsvsadm setup fullnat sets it)".to_string(),
        });
    }
}

/// FULLNAT's source NAT applies to what IPVS forwards by NAT; a DR or TUN
/// real server of that service gets the client's packets unchanged.
fn fullnat_forwarding(s: &Snapshot, out: &mut Vec<Finding>) {
    for svc in &s.services {
        let ServiceKey::Addr {
            protocol,
            addr,
            port,
        } = svc.service.key
        else {
            continue;
        };
        let service = VirtualService {
            protocol,
            addr,
            port,
        };
        if !s.fullnat.contains_key(&service) {
            continue;
        }
        for d in svc
            .dests
            .iter()
            .filter(|d| matches!(d.forward, ForwardMethod::Route | ForwardMethod::Tunnel))
        {
            out.push(Finding {
                severity: Severity::Warning,
                subject: dest_name(svc, d),
                problem: "this service is set up for FULLNAT, but this real server is reached by \
                          direct routing or tunnelling, which FULLNAT's source NAT does not apply to"
                    .to_string(),
                fix: format!(
                    "forward to it by NAT: rsvsadm -e {} -r {} -m",
                    service.option(),
                    endpoint(&d.addr, d.port)
                ),
            });
        }
    }
}

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

fn conn_of(svc: &ServiceView, d: &Destination, c: &ConnEntry) -> bool {
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

const SYN_RECV: &str = "SYN_RECV";

/// A NAT connection still in SYN_RECV after the wait never got its
/// SYN-ACK back through the director: the real server answers another way.
fn stuck_handshakes(s: &Snapshot, out: &mut Vec<Finding>) {
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
    svc: &ServiceView,
    d: &Destination,
    stuck: usize,
    working: bool,
) -> Finding {
    let fullnat = match svc.service.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => s.fullnat.get(&VirtualService {
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

/// NAT rules in an nft ruleset (`nft -j list ruleset`) that are meant for
/// IPVS traffic: a FULLNAT-style match on the connection's original
/// destination being a VIP, or a match on a NAT real server's address.
pub fn conntrack_rules_in(
    ruleset: &Value,
    vips: &[IpAddr],
    nat_dests: &[IpAddr],
) -> Vec<ConntrackRule> {
    let Some(items) = ruleset.get("nftables").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rule in items.iter().filter_map(|i| i.get("rule")) {
        let Some(exprs) = rule.get("expr").and_then(Value::as_array) else {
            continue;
        };
        let nats = exprs
            .iter()
            .any(|e| e.get("snat").is_some() || e.get("masquerade").is_some());
        if !nats {
            continue;
        }
        let mut fullnat = false;
        let mut to_dest = false;
        for m in exprs.iter().filter_map(|e| e.get("match")) {
            if m.get("op").and_then(Value::as_str) != Some("==") {
                continue;
            }
            let (Some(left), Some(right)) = (m.get("left"), m.get("right")) else {
                continue;
            };
            if is_ct_original_daddr(left) && matches_any(right, vips) {
                fullnat = true;
            }
            if is_payload_daddr(left) && matches_any(right, nat_dests) {
                to_dest = true;
            }
        }
        if fullnat || to_dest {
            out.push(ConntrackRule {
                what: describe_rule(rule),
                fullnat,
            });
        }
    }
    out
}

fn is_ct_original_daddr(v: &Value) -> bool {
    v.get("ct").is_some_and(|ct| {
        ct.get("dir").and_then(Value::as_str) == Some("original")
            && matches!(
                ct.get("key").and_then(Value::as_str),
                Some("ip daddr" | "ip6 daddr" | "daddr")
            )
    })
}

fn is_payload_daddr(v: &Value) -> bool {
    v.get("payload")
        .is_some_and(|p| p.get("field").and_then(Value::as_str) == Some("daddr"))
}

/// Whether a match's right side (an address or a prefix) covers one of
/// `addrs`.
fn matches_any(right: &Value, addrs: &[IpAddr]) -> bool {
    let cidr: Option<Cidr> = if let Some(text) = right.as_str() {
        text.parse().ok()
    } else if let Some(p) = right.get("prefix") {
        let addr = p
            .get("addr")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok());
        let len = p
            .get("len")
            .and_then(Value::as_u64)
            .and_then(|l| u8::try_from(l).ok());
        addr.zip(len).and_then(|(a, l)| Cidr::new(a, l))
    } else {
        None
    };
    cidr.is_some_and(|c| addrs.iter().any(|a| c.contains(a)))
}

fn describe_rule(rule: &Value) -> String {
    let field = |k: &str| {
        rule.get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let mut text = format!(
        "nft rule in table {} {} chain {}",
        field("family"),
        field("table"),
        field("chain")
    );
    if let Some(c) = rule.get("comment").and_then(Value::as_str) {
        text.push_str(&format!(" ({c:?})"));
    }
    text
}

// ---------------------------------------------------------------- effects

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

fn gather_services() -> Result<Vec<ServiceView>> {
    let mut ipvs = ipvs::Ipvs::connect()?;
    let mut out = Vec::new();
    for service in ipvs.services()? {
        let dests = ipvs.destinations(&service.key)?;
        out.push(ServiceView { service, dests });
    }
    Ok(out)
}

fn gather(wait: Duration) -> Result<Snapshot> {
    let root = Path::new(PROC_SYS);
    let mut s = Snapshot {
        services: gather_services()?,
        ip_forward: read_bool(&Sysctl::ip_forward(), root)?,
        ipv6_forwarding: read_bool(&Sysctl::ipv6_forwarding(), root)?,
        vs_conntrack: read_bool(&Sysctl::vs_conntrack(), root)?,
        redirects_all: read_bool(&Sysctl::ipv4_conf(ConfDev::All, "send_redirects"), root)?,
        sync: check_sync::gather(root)?,
        ..Snapshot::default()
    };
    let mut addrs: BTreeSet<IpAddr> = BTreeSet::new();
    let mut vip_addrs = Vec::new();
    for svc in &s.services {
        if let ServiceKey::Addr { addr, .. } = svc.service.key {
            addrs.insert(addr);
            vip_addrs.push(addr);
        }
        addrs.extend(svc.dests.iter().map(|d| d.addr));
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

/// Prints the findings; the exit status is 1 when one is an error.
pub fn run(args: &CheckArgs) -> Result<i32> {
    let snapshot = gather(Duration::from_secs(args.syn_wait))?;
    let found = findings(&snapshot);
    for f in &found {
        println!("{f}");
    }
    let errors = found
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = found.len() - errors;
    if !found.is_empty() {
        println!("check: {errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipvs::Protocol;
    use serde_json::json;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn dest(a: &str, port: u16, forward: ForwardMethod) -> Destination {
        let mut d = Destination::new(ip(a), port);
        d.forward = forward;
        d
    }

    fn service(vip: &str, port: u16, dests: Vec<Destination>) -> ServiceView {
        ServiceView {
            service: Service::new(ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: ip(vip),
                port,
            }),
            dests,
        }
    }

    fn route(dev: &str, gateway: Option<&str>, prefsrc: &str) -> RouteGet {
        RouteGet::Route {
            kind: "unicast".into(),
            dev: Some(dev.into()),
            gateway: gateway.map(ip),
            prefsrc: Some(ip(prefsrc)),
        }
    }

    fn local(a: &str) -> RouteGet {
        RouteGet::Route {
            kind: "local".into(),
            dev: Some("lo".into()),
            gateway: None,
            prefsrc: Some(ip(a)),
        }
    }

    /// The director of seed 000: a NAT service with two real servers,
    /// everything right.
    fn good_director() -> Snapshot {
        let mut s = Snapshot {
            services: vec![service(
                "203.0.113.10",
                80,
                vec![
                    dest("198.51.100.11", 80, ForwardMethod::Masq),
                    dest("198.51.100.12", 80, ForwardMethod::Masq),
                ],
            )],
            ip_forward: Some(true),
            ipv6_forwarding: Some(false),
            vs_conntrack: Some(false),
            redirects_all: Some(false),
            ..Snapshot::default()
        };
        s.redirects.insert("eth0".into(), false);
        s.redirects.insert("eth1".into(), false);
        s.routes.insert(ip("203.0.113.10"), local("203.0.113.10"));
        s.routes
            .insert(ip("198.51.100.11"), route("eth1", None, "198.51.100.1"));
        s.routes
            .insert(ip("198.51.100.12"), route("eth1", None, "198.51.100.1"));
        s
    }

    fn conn(client_port: u16, rs: &str, state: &str) -> ConnEntry {
        ConnEntry {
            protocol: "TCP".into(),
            client_addr: ip("192.0.2.100"),
            client_port,
            virtual_addr: ip("203.0.113.10"),
            virtual_port: 80,
            dest_addr: ip(rs),
            dest_port: 80,
            state: state.into(),
            expires: 50,
            pe_name: None,
            pe_data: None,
        }
    }

    fn subjects(s: &Snapshot) -> Vec<String> {
        findings(s)
            .iter()
            .map(|f| format!("{:?} {}", f.severity, f.subject))
            .collect()
    }

    #[test]
    fn a_correct_director_has_no_findings() {
        let mut s = good_director();
        s.conns_before = vec![
            conn(40000, "198.51.100.11", "ESTABLISHED"),
            conn(40001, "198.51.100.12", "SYN_RECV"),
        ];
        // The handshake in progress completed during the wait.
        s.conns_after = vec![
            conn(40000, "198.51.100.11", "ESTABLISHED"),
            conn(40001, "198.51.100.12", "ESTABLISHED"),
        ];
        assert_eq!(findings(&s), []);
    }

    #[test]
    fn ip_forward_off_with_nat_destinations() {
        let mut s = good_director();
        s.ip_forward = Some(false);
        let f = findings(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].subject, "net.ipv4.ip_forward = 0");
        assert!(f[0].fix.starts_with("rsvsadm setup nat"));
        // Without NAT destinations forwarding doesn't matter.
        s.services[0]
            .dests
            .iter_mut()
            .for_each(|d| d.forward = ForwardMethod::Tunnel);
        assert_eq!(findings(&s), []);
    }

    #[test]
    fn send_redirects_on() {
        let mut s = good_director();
        s.redirects.insert("eth1".into(), true);
        let f = findings(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].subject, "send_redirects on eth1");
        assert!(f[0].fix.contains("--interface eth1"), "{}", f[0].fix);
        s.redirects_all = Some(true);
        let f = findings(&s);
        assert_eq!(f[0].subject, "net.ipv4.conf.all.send_redirects = 1");
        assert!(
            f[0].fix.contains("--interface eth0 --interface eth1"),
            "{}",
            f[0].fix
        );
    }

    #[test]
    fn unroutable_and_indirect_destinations() {
        let mut s = good_director();
        s.routes.insert(
            ip("198.51.100.12"),
            RouteGet::Unreachable("Network is unreachable".into()),
        );
        assert_eq!(
            subjects(&s),
            ["Error TCP 203.0.113.10:80 -> 198.51.100.12:80"]
        );
        let mut dr = good_director();
        dr.services[0].dests[0].forward = ForwardMethod::Route;
        dr.services[0].dests[1].forward = ForwardMethod::Route;
        dr.routes.insert(
            ip("198.51.100.11"),
            route("eth1", Some("198.51.100.254"), "198.51.100.1"),
        );
        let f = findings(&dr);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].problem
                .contains("via the gateway 198.51.100.254 on eth1"),
            "{}",
            f[0].problem
        );
        // A NAT destination behind a gateway is fine.
        let mut nat = good_director();
        nat.routes.insert(
            ip("198.51.100.11"),
            route("eth1", Some("198.51.100.254"), "198.51.100.1"),
        );
        assert_eq!(findings(&nat), []);
    }

    #[test]
    fn vip_not_local() {
        let mut s = good_director();
        s.routes.insert(
            ip("203.0.113.10"),
            route("eth0", Some("203.0.113.1"), "203.0.113.2"),
        );
        let f = findings(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "TCP 203.0.113.10:80");
        assert!(f[0].problem.contains("not on any interface"));
        assert!(f[0].fix.starts_with("ip addr add 203.0.113.10/32"));
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn vip_elsewhere_is_expected_on_a_standby_director() {
        let mut s = good_director();
        s.routes.insert(
            ip("203.0.113.10"),
            route("eth0", Some("203.0.113.1"), "203.0.113.2"),
        );
        s.sync.links.insert("eth1".into(), true);
        s.sync.daemons.push(ipvs::Daemon {
            state: DaemonState::Backup,
            mcast_ifn: "eth1".into(),
            syncid: 51,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        });
        let f = findings(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].problem.contains("standby"));
    }

    #[test]
    fn fullnat_without_conntrack() {
        let mut s = good_director();
        s.conntrack_rules.push(ConntrackRule {
            what: "rsvsadm setup fullnat -t 203.0.113.10:80".into(),
            fullnat: true,
        });
        let f = findings(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].problem.starts_with("net.ipv4.vs.conntrack = 0"));
        s.vs_conntrack = Some(true);
        assert_eq!(findings(&s), []);
    }

    #[test]
    fn syn_recv_stuck_is_reported_with_the_gateway_question() {
        let mut s = good_director();
        s.conns_before = vec![
            conn(40000, "198.51.100.11", "SYN_RECV"),
            conn(40001, "198.51.100.11", "SYN_RECV"),
            conn(40002, "198.51.100.12", "ESTABLISHED"),
            // Closed before the real server's route broke: no evidence.
            conn(39999, "198.51.100.11", "TIME_WAIT"),
        ];
        s.conns_after = s.conns_before.clone();
        let f = findings(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].subject, "TCP 203.0.113.10:80 -> 198.51.100.11:80");
        assert_eq!(
            f[0].problem,
            "2 connection(s) stuck in SYN_RECV: its replies are not coming back through this \
             director: is its default gateway this director's address?"
        );
        assert!(f[0]
            .fix
            .starts_with("on 198.51.100.11: ip route replace default via 198.51.100.1"));
        // Some handshakes complete: a warning, not an error.
        s.conns_after
            .push(conn(40003, "198.51.100.11", "ESTABLISHED"));
        assert_eq!(findings(&s)[0].severity, Severity::Warning);
        // A new SYN_RECV seen only in the second look is not stuck.
        let mut fresh = good_director();
        fresh.conns_after = vec![conn(40005, "198.51.100.11", "SYN_RECV")];
        assert_eq!(findings(&fresh), []);
    }

    #[test]
    fn stuck_fullnat_asks_about_the_local_address() {
        let mut s = good_director();
        s.fullnat.insert(
            VirtualService::parse(Protocol::Tcp, "203.0.113.10:80").unwrap(),
            vec![ip("198.51.100.1")],
        );
        s.vs_conntrack = Some(true);
        s.conns_before = vec![conn(40000, "198.51.100.12", "SYN_RECV")];
        s.conns_after = s.conns_before.clone();
        let f = findings(&s);
        assert!(f[0].problem.contains("local address"), "{}", f[0].problem);
        assert!(f[0].fix.contains("route to 198.51.100.1"), "{}", f[0].fix);
    }

    #[test]
    fn tunnel_leaving_from_a_vip() {
        let mut s = good_director();
        s.services.push(service(
            "2001:db8:2::20",
            80,
            vec![dest("2001:db8:2::11", 80, ForwardMethod::Tunnel)],
        ));
        s.routes
            .insert(ip("2001:db8:2::20"), local("2001:db8:2::20"));
        s.routes
            .insert(ip("2001:db8:2::11"), route("eth0", None, "2001:db8:2::2"));
        assert_eq!(findings(&s), []);
        s.routes
            .insert(ip("2001:db8:2::11"), route("eth0", None, "2001:db8:2::20"));
        let f = findings(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].subject,
            "TCP [2001:db8:2::20]:80 -> [2001:db8:2::11]:80"
        );
        assert!(f[0]
            .problem
            .contains("with the VIP 2001:db8:2::20 as their source"));
        assert!(f[0]
            .fix
            .ends_with("ip -6 addr change 2001:db8:2::20/128 dev IFACE preferred_lft 0"));
    }

    #[test]
    fn fullnat_with_a_dr_destination() {
        let mut s = good_director();
        s.vs_conntrack = Some(true);
        s.fullnat.insert(
            VirtualService::parse(Protocol::Tcp, "203.0.113.10:80").unwrap(),
            vec![ip("198.51.100.1")],
        );
        assert_eq!(findings(&s), []);
        s.services[0].dests[1].forward = ForwardMethod::Route;
        let f = findings(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].subject, "TCP 203.0.113.10:80 -> 198.51.100.12:80");
        assert_eq!(
            f[0].fix,
            "forward to it by NAT: rsvsadm -e -t 203.0.113.10:80 -r 198.51.100.12:80 -m"
        );
    }

    #[test]
    fn finds_nat_rules_meant_for_ipvs() {
        let ruleset = json!({"nftables": [
            {"metainfo": {}},
            {"rule": {"family": "inet", "table": "rsvsadm", "chain": "postrouting",
                      "comment": "fullnat TCP 203.0.113.10:80", "expr": [
                {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},
                {"match": {"op": "==", "left": {"ct": {"key": "ip daddr", "dir": "original"}}, "right": "203.0.113.10"}},
                {"snat": {"family": "ip", "addr": "198.51.100.1"}}]}},
            {"rule": {"family": "ip", "table": "nat", "chain": "post", "expr": [
                {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                           "right": {"prefix": {"addr": "198.51.100.0", "len": 24}}}},
                {"masquerade": null}]}},
            {"rule": {"family": "inet", "table": "rsvsadm", "chain": "postrouting", "expr": [
                {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                           "right": {"prefix": {"addr": "198.51.100.0", "len": 24}}}},
                {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                           "right": {"prefix": {"addr": "198.51.100.0", "len": 24}}}},
                {"masquerade": null}]}},
            {"rule": {"family": "ip", "table": "filter", "chain": "fwd", "expr": [
                {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "198.51.100.11"}},
                {"accept": null}]}},
        ]});
        let rules = conntrack_rules_in(&ruleset, &[ip("203.0.113.10")], &[ip("198.51.100.11")]);
        assert_eq!(
            rules,
            [
                ConntrackRule {
                    what: "nft rule in table inet rsvsadm chain postrouting (\"fullnat TCP 203.0.113.10:80\")".into(),
                    fullnat: true
                },
                ConntrackRule {
                    what: "nft rule in table ip nat chain post".into(),
                    fullnat: false
                },
            ]
        );
    }

    #[test]
    fn finding_display() {
        let f = Finding {
            severity: Severity::Warning,
            subject: "s".into(),
            problem: "p".into(),
            fix: "x".into(),
        };
        assert_eq!(f.to_string(), "warning: s: p\n  fix: x");
    }
}
