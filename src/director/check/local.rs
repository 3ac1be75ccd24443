//! The director's own configuration against its IPVS table: forwarding,
//! ICMP redirects, routes to the real servers, VIPs, tunnel sources,
//! conntrack for FULLNAT.

use std::collections::BTreeSet;

use ipvs::{DaemonState, Destination, ForwardMethod, ServiceKey};

use super::finding::{dest_name, endpoint, service_name, Finding, Severity};
use super::snapshot::Snapshot;
use crate::director::host::addr::RouteGet;
use crate::director::host::sysctl::Sysctl;
use crate::director::model::ServiceEndpoint;

/// Every finding about the local configuration, in the order of the rules.
pub fn findings(s: &Snapshot, out: &mut Vec<Finding>) {
    forwarding(s, out);
    redirects(s, out);
    destination_routes(s, out);
    vips(s, out);
    tunnel_sources(s, out);
    conntrack(s, out);
    fullnat_forwarding(s, out);
}

fn forwards_elsewhere(d: &Destination) -> bool {
    matches!(
        d.forward,
        ForwardMethod::Masq | ForwardMethod::Route | ForwardMethod::Tunnel
    )
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
        for d in svc.destinations.iter().filter(|d| forwards_elsewhere(d)) {
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
        if !svc.destinations.iter().any(forwards_elsewhere) || s.is_local(&addr) {
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
            .destinations
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
        let service = ServiceEndpoint {
            protocol,
            addr,
            port,
        };
        if !s.fullnat.contains_key(&service) {
            continue;
        }
        for d in svc
            .destinations
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
