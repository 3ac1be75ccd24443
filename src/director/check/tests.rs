//! Unit tests of the check rules, on hand-made snapshots.

use std::net::IpAddr;

use ipvs::conn::ConnEntry;
use ipvs::{
    DaemonState, Destination, ForwardMethod, Protocol, Service, ServiceKey, VirtualService,
};
use serde_json::json;

use super::nft_rules::conntrack_rules_in;
use super::snapshot::ConntrackRule;
use super::*;
use crate::director::host::addr::RouteGet;
use crate::director::model::ServiceEndpoint;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn dest(a: &str, port: u16, forward: ForwardMethod) -> Destination {
    let mut d = Destination::new(ip(a), port);
    d.forward = forward;
    d
}

fn service(vip: &str, port: u16, dests: Vec<Destination>) -> VirtualService {
    VirtualService {
        service: Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: ip(vip),
            port,
        }),
        destinations: dests,
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

/// An LVS-NAT director (lvs_nat.sh's): a NAT service with two real servers,
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
        .destinations
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
    dr.services[0].destinations[0].forward = ForwardMethod::Route;
    dr.services[0].destinations[1].forward = ForwardMethod::Route;
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
        ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap(),
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
        ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap(),
        vec![ip("198.51.100.1")],
    );
    assert_eq!(findings(&s), []);
    s.services[0].destinations[1].forward = ForwardMethod::Route;
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
