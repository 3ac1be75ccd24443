//! Unit tests of the planner (`plan.rs`), on a fake /proc/sys.

use super::*;
use crate::director::model::Cidr;
use ipvs::Protocol;
use std::fs;

/// A fake /proc/sys with the parameters the planner reads.
struct FakeSys(PathBuf);

impl FakeSys {
    fn new(tag: &str) -> FakeSys {
        let dir = std::env::temp_dir().join(format!("rsvsadm-plan-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let sys = FakeSys(dir);
        sys.set(&Sysctl::ip_forward(), "0");
        sys.set(&Sysctl::ipv6_forwarding(), "0");
        sys.set(&Sysctl::vs_conntrack(), "0");
        for dev in ["all", "default", "eth0", "eth1.100", "lo"] {
            for (key, v) in [
                ("send_redirects", "1"),
                ("arp_ignore", "0"),
                ("arp_announce", "0"),
                ("rp_filter", "1"),
            ] {
                let d: IfName = dev.parse().unwrap();
                let s = match dev {
                    "all" => Sysctl::ipv4_conf(ConfDev::All, key),
                    "default" => Sysctl::ipv4_conf(ConfDev::Default, key),
                    _ => Sysctl::ipv4_conf(ConfDev::Dev(&d), key),
                };
                sys.set(&s, v);
            }
        }
        sys
    }

    fn set(&self, s: &Sysctl, v: &str) {
        let p = s.path(&self.0);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, format!("{v}\n")).unwrap();
    }

    fn host(&self) -> HostView {
        let link = |name: &str, kind: Option<&str>| Link {
            name: name.into(),
            kind: kind.map(String::from),
            up: true,
        };
        HostView {
            sysctl_root: self.0.clone(),
            links: vec![
                link("lo", None),
                link("eth0", None),
                link("eth1.100", Some("vlan")),
            ],
            addresses: vec![
                Address {
                    dev: "eth0".into(),
                    addr: "198.51.100.1".parse().unwrap(),
                    prefix: 24,
                    label: Some("eth0".into()),
                    metric: None,
                },
                Address {
                    dev: "eth0".into(),
                    addr: "198.51.100.2".parse().unwrap(),
                    prefix: 24,
                    label: Some("eth0".into()),
                    metric: None,
                },
            ],
        }
    }
}

impl Drop for FakeSys {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn no_firewall() -> FirewallView {
    FirewallView::default()
}

fn nat(cidrs: &[&str], ifaces: &[&str]) -> SetupCommand {
    SetupCommand::Nat(NatSetup {
        masquerade: cidrs.iter().map(|c| c.parse::<Cidr>().unwrap()).collect(),
        interfaces: ifaces.iter().map(|c| c.parse().unwrap()).collect(),
    })
}

fn names(steps: &[SetupStep]) -> Vec<String> {
    steps.iter().map(SetupStep::describe).collect()
}

#[test]
fn nat_plan_like_lvs_nat_sh() {
    let sys = FakeSys::new("nat");
    let plan = plan(
        &[nat(&["192.0.2.0/24"], &["eth0", "eth1.100"])],
        &Setup::default(),
        &sys.host(),
        Some((&no_firewall(), Backend::Nft)),
    )
    .unwrap();
    assert_eq!(
        names(&plan.steps),
        [
            "net.ipv4.ip_forward = 1 (was 0)",
            "net.ipv4.conf.all.send_redirects = 0 (was 1)",
            "net.ipv4.conf.default.send_redirects = 0 (was 1)",
            "net.ipv4.conf.eth0.send_redirects = 0 (was 1)",
            "net.ipv4.conf.eth1/100.send_redirects = 0 (was 1)",
            "nftables: table inet rsvsadm holds 1 NAT rule(s) and the setup record",
        ]
    );
    assert_eq!(
        plan.setup.to_lines(),
        ["nat --masquerade 192.0.2.0/24 --interface eth0 --interface eth1.100"]
    );
}

#[test]
fn nothing_planned_when_already_done() {
    let sys = FakeSys::new("again");
    let cmd = nat(&["192.0.2.0/24"], &["eth0"]);
    let first = plan(
        std::slice::from_ref(&cmd),
        &Setup::default(),
        &sys.host(),
        Some((&no_firewall(), Backend::Nft)),
    )
    .unwrap();
    for step in &first.steps {
        if let SetupStep::Sysctl { sysctl, to, .. } = step {
            sysctl.write(&sys.0, to).unwrap();
        }
    }
    // The table as nft would list it after the first run.
    let Some(SetupStep::Nft { batch, .. }) = first.steps.last() else {
        panic!()
    };
    let mut items = vec![serde_json::json!({"table": {"family": "inet", "name": "rsvsadm"}})];
    for cmd in batch["nftables"].as_array().unwrap() {
        if let Some(add) = cmd.get("add") {
            if add.get("table").is_none() {
                items.push(add.clone());
            }
        }
    }
    let view = FirewallView {
        nft_listing: Some(serde_json::json!({ "nftables": items })),
        ..no_firewall()
    };
    let second = plan(
        &[cmd],
        &first.setup,
        &sys.host(),
        Some((&view, Backend::Nft)),
    )
    .unwrap();
    assert_eq!(second.steps, []);
    assert_eq!(second.setup, first.setup);
}

#[test]
fn unknown_interface_is_refused_before_anything() {
    let sys = FakeSys::new("badif");
    let err = plan(&[nat(&[], &["eth9"])], &Setup::default(), &sys.host(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "--interface eth9: no such interface with IPv4 on this host (see `ip link`)"
    );
}

#[test]
fn fullnat_plan_needs_local_laddrs() {
    let sys = FakeSys::new("fullnat");
    let service = ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap();
    let cmd = |laddrs: &[&str]| SetupCommand::Fullnat {
        service,
        laddrs: laddrs.iter().map(|a| a.parse().unwrap()).collect(),
    };
    let err = plan(
        &[cmd(&["198.51.100.9"])],
        &Setup::default(),
        &sys.host(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("--laddr 198.51.100.9 is not an address of this host"),
        "{err}"
    );
    let p = plan(
        &[cmd(&["198.51.100.1", "198.51.100.2"])],
        &Setup::default(),
        &sys.host(),
        Some((&no_firewall(), Backend::Nft)),
    )
    .unwrap();
    assert_eq!(
        names(&p.steps),
        [
            "net.ipv4.vs.conntrack = 1 (was 0)",
            "net.ipv4.ip_forward = 1 (was 0)",
            "nftables: table inet rsvsadm holds 1 NAT rule(s) and the setup record",
        ]
    );
}

#[test]
fn second_fullnat_service_keeps_the_first() {
    let sys = FakeSys::new("two");
    let mut current = Setup::default();
    let a = ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap();
    let b = ServiceEndpoint::parse(Protocol::Udp, "203.0.113.10:53").unwrap();
    current
        .fullnat
        .insert(a, vec!["198.51.100.1".parse().unwrap()]);
    let cmd = SetupCommand::Fullnat {
        service: b,
        laddrs: vec!["198.51.100.2".parse().unwrap()],
    };
    let p = plan(
        &[cmd],
        &current,
        &sys.host(),
        Some((&no_firewall(), Backend::Nft)),
    )
    .unwrap();
    assert_eq!(p.setup.fullnat.len(), 2);
    assert!(matches!(
        p.steps.last(),
        Some(SetupStep::Nft { rules: Some(2), .. })
    ));
}

#[test]
fn dr_realserver_plan() {
    let sys = FakeSys::new("dr");
    let cmd = SetupCommand::Realserver {
        vips: vec![
            "203.0.113.10".parse().unwrap(),
            "2001:db8::10".parse().unwrap(),
        ],
        mode: RsMode::Dr,
    };
    let p = plan(&[cmd], &Setup::default(), &sys.host(), None).unwrap();
    assert_eq!(
        names(&p.steps),
        [
            "added 203.0.113.10/32 to lo (label lo:rsvs)",
            "added 2001:db8::10/128 to lo (metric 1920169587: rsvsadm's mark)",
            "net.ipv4.conf.all.arp_ignore = 1 (was 0)",
            "net.ipv4.conf.all.arp_announce = 2 (was 0)",
        ]
    );
    assert_eq!(p.setup.realservers.len(), 2);
}

#[test]
fn tun_realserver_plan_creates_the_tunnel_then_relaxes_rp_filter() {
    let sys = FakeSys::new("tun");
    let cmd = SetupCommand::Realserver {
        vips: vec!["203.0.113.10".parse().unwrap()],
        mode: RsMode::Tun,
    };
    let p = plan(&[cmd], &Setup::default(), &sys.host(), None).unwrap();
    assert_eq!(
        names(&p.steps),
        [
            "created interface rsvs-tun (ipip external: decapsulates from any director)",
            "set rsvs-tun up",
            "added 203.0.113.10/32 to rsvs-tun",
            "net.ipv4.conf.all.arp_ignore = 1 (was 0)",
            "net.ipv4.conf.all.arp_announce = 2 (was 0)",
            "net.ipv4.conf.rsvs-tun.rp_filter = 0",
            "net.ipv4.conf.all.rp_filter = 2 (was 1)",
        ]
    );
}

#[test]
fn vip_on_a_network_interface_is_refused() {
    let sys = FakeSys::new("vipeth");
    let mut host = sys.host();
    host.addresses.push(Address {
        dev: "eth0".into(),
        addr: "203.0.113.10".parse().unwrap(),
        prefix: 32,
        label: None,
        metric: None,
    });
    let cmd = SetupCommand::Realserver {
        vips: vec!["203.0.113.10".parse().unwrap()],
        mode: RsMode::Dr,
    };
    let err = plan(&[cmd], &Setup::default(), &host, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("already on eth0"), "{err}");
}

#[test]
fn mixing_firewalls_is_refused() {
    let sys = FakeSys::new("mix");
    let view = FirewallView {
        ipt_chain: [true, false],
        ..no_firewall()
    };
    let err = plan(
        &[nat(&["192.0.2.0/24"], &[])],
        &Setup::default(),
        &sys.host(),
        Some((&view, Backend::Nft)),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("RSVSADM-POSTROUTING"), "{err}");
}

#[test]
fn iptables_backend_plans_per_family() {
    let sys = FakeSys::new("ipt");
    let view = no_firewall();
    let p = plan(
        &[nat(&["192.0.2.0/24", "2001:db8:2::/64"], &[])],
        &Setup::default(),
        &sys.host(),
        Some((&view, Backend::Iptables)),
    )
    .unwrap();
    let fw: Vec<String> = p.steps.iter().skip(4).map(SetupStep::describe).collect();
    assert_eq!(
        fw,
        [
            "iptables: chain RSVSADM-POSTROUTING holds 1 rule(s)",
            "ip6tables: chain RSVSADM-POSTROUTING holds 1 rule(s)",
            "iptables: chain RSVSADM-SETUP records 3 setup item(s)",
        ]
    );
}
