//! Unit tests of the connection-sync rules (`sync.rs`).

use super::*;
use ipvs::{Destination, ForwardMethod, Service};

fn daemon(state: DaemonState, ifn: &str, syncid: u32) -> Daemon {
    Daemon {
        state,
        mcast_ifn: ifn.into(),
        syncid,
        sync_maxlen: Some(1472),
        mcast_group: Some("224.0.0.81".parse().unwrap()),
        mcast_port: Some(8848),
        mcast_ttl: Some(1),
    }
}

fn service(key: &str, persistent: bool) -> VirtualService {
    let (proto, rest) = key.split_once(' ').unwrap();
    let key = match proto {
        "FWM" => ServiceKey::Fwmark {
            mark: rest.parse().unwrap(),
            family: Family::Inet,
        },
        _ => {
            let sa: std::net::SocketAddr = rest.parse().unwrap();
            ServiceKey::Addr {
                protocol: match proto {
                    "TCP" => Protocol::Tcp,
                    "UDP" => Protocol::Udp,
                    _ => Protocol::Sctp,
                },
                addr: sa.ip(),
                port: sa.port(),
            }
        }
    };
    let mut service = Service::new(key);
    if persistent {
        service.flags = ServiceFlags::PERSISTENT;
        service.timeout = 300;
    }
    let mut d = Destination::new("198.51.100.11".parse().unwrap(), 80);
    d.forward = ForwardMethod::Masq;
    VirtualService {
        service,
        destinations: vec![d],
    }
}

/// The failover test's director: master and backup on eth1, syncid 51,
/// the kernel's default parameters.
fn pair_member() -> SyncView {
    SyncView {
        daemons: vec![
            daemon(DaemonState::Master, "eth1", 51),
            daemon(DaemonState::Backup, "eth1", 51),
        ],
        links: [("lo", true), ("eth0", true), ("eth1", true)]
            .into_iter()
            .map(|(n, up)| (n.to_string(), up))
            .collect(),
        params: SyncParams {
            threshold: Some((3, 50)),
            refresh_period: Some(0),
            version: Some(1),
            persist_mode: Some(0),
            sloppy_tcp: Some(false),
            sloppy_sctp: Some(false),
        },
        tcp_timeout: Some(900),
    }
}

fn subjects(found: &[Finding]) -> Vec<String> {
    found
        .iter()
        .map(|f| format!("{:?} {}", f.severity, f.subject))
        .collect()
}

#[test]
fn a_correct_pair_member_and_no_daemon_have_no_findings() {
    let services = [service("TCP 203.0.113.10:80", true)];
    assert_eq!(findings(&pair_member(), &services), []);
    // A backup alone (its master is the other director) is normal.
    let mut backup_only = pair_member();
    backup_only.daemons.remove(0);
    assert_eq!(findings(&backup_only, &services), []);
    // Without daemons nothing about sync is reported, whatever the
    // parameters say.
    let mut none = pair_member();
    none.daemons.clear();
    none.params.threshold = Some((3, 0));
    none.links.clear();
    assert_eq!(findings(&none, &services), []);
}

#[test]
fn interface_missing_or_down() {
    let mut v = pair_member();
    v.links.insert("eth1".into(), false);
    let f = findings(&v, &[]);
    assert_eq!(
        subjects(&f),
        [
            "Error master sync daemon (mcast=eth1, syncid=51)",
            "Error backup sync daemon (mcast=eth1, syncid=51)"
        ]
    );
    assert_eq!(
        f[0].problem,
        "its interface eth1 is down: it sends no connection to the backup"
    );
    assert_eq!(f[1].fix, "ip link set dev eth1 up");
    v.links.remove("eth1");
    let f = findings(&v, &[]);
    assert_eq!(
        f[1].problem,
        "its interface eth1 does not exist: it receives no connection from the master"
    );
    assert_eq!(
        f[1].fix,
        "rsvsadm --stop-daemon backup && rsvsadm --start-daemon backup --mcast-interface \
         IFACE --syncid 51 --sync-maxlen 1472 --mcast-group 224.0.0.81 --mcast-port 8848 \
         --mcast-ttl 1  (IFACE: the interface that reaches the other director)"
    );
}

#[test]
fn backup_syncid_zero_beside_a_marked_master() {
    let mut v = pair_member();
    v.daemons[1].syncid = 0;
    let f = findings(&v, &[]);
    assert_eq!(
        subjects(&f),
        ["Warning backup sync daemon (mcast=eth1, syncid=0)"]
    );
    assert!(f[0].problem.contains("with syncid 51"), "{}", f[0].problem);
    assert!(
        f[0].fix
            .contains("--start-daemon backup --mcast-interface eth1 --syncid 51 "),
        "{}",
        f[0].fix
    );
    // Both 0 (the default): one pair on the network, nothing to filter.
    v.daemons[0].syncid = 0;
    assert_eq!(findings(&v, &[]), []);
    // Different non-zero syncids: this host may back up another pair.
    v.daemons[0].syncid = 1;
    v.daemons[1].syncid = 2;
    assert_eq!(findings(&v, &[]), []);
}

#[test]
fn same_syncid_on_different_groups_or_ports() {
    let mut v = pair_member();
    v.daemons[1].mcast_port = Some(8850);
    let f = findings(&v, &[]);
    assert_eq!(
        subjects(&f),
        ["Warning backup sync daemon (mcast=eth1, syncid=51)"]
    );
    assert!(
        f[0].problem
            .contains("sends to 224.0.0.81:8848, but this backup listens on 224.0.0.81:8850"),
        "{}",
        f[0].problem
    );
    assert!(f[0].fix.contains("--mcast-port 8848"), "{}", f[0].fix);
    v.daemons[1].mcast_group = Some("ff02::81".parse().unwrap());
    assert!(findings(&v, &[])[0]
        .problem
        .contains("listens on [ff02::81]:8850"));
    // Another syncid is another pair, with its own channel.
    v.daemons[1].syncid = 52;
    assert_eq!(findings(&v, &[]), []);
}

#[test]
fn sync_once_only() {
    let mut v = pair_member();
    v.params.threshold = Some((3, 0));
    let f = findings(&v, &[]);
    assert_eq!(subjects(&f), ["Warning net.ipv4.vs.sync_threshold = 3 0"]);
    assert!(
        f[0].problem.contains("expires after 900 s"),
        "{}",
        f[0].problem
    );
    // A refresh period makes the master sync again.
    v.params.refresh_period = Some(60);
    assert_eq!(findings(&v, &[]), []);
    // Only a master sends: a backup alone is not concerned.
    v.params.refresh_period = Some(0);
    v.daemons.remove(0);
    assert_eq!(findings(&v, &[]), []);
}

#[test]
fn version_0_with_ipv6_services() {
    let mut v = pair_member();
    v.params.version = Some(0);
    let v4 = [service("TCP 203.0.113.10:80", false)];
    assert_eq!(findings(&v, &v4), []);
    let both = [
        service("TCP 203.0.113.10:80", false),
        service("UDP [2001:db8::10]:53", false),
    ];
    let f = findings(&v, &both);
    assert_eq!(subjects(&f), ["Warning net.ipv4.vs.sync_version = 0"]);
    assert!(
        f[0].problem
            .contains("the connections of UDP [2001:db8::10]:53 are never synced"),
        "{}",
        f[0].problem
    );
}

#[test]
fn persist_mode_needs_sloppy_on_the_backup() {
    let mut v = pair_member();
    v.params.persist_mode = Some(1);
    let plain = [service("TCP 203.0.113.10:80", false)];
    assert_eq!(findings(&v, &plain), []);
    let services = [
        service("TCP 203.0.113.10:443", true),
        service("SCTP 203.0.113.10:3868", true),
        service("UDP 203.0.113.10:53", true),
    ];
    let f = findings(&v, &services);
    assert_eq!(
        subjects(&f),
        [
            "Warning net.ipv4.vs.sync_persist_mode = 1 with net.ipv4.vs.sloppy_tcp = 0",
            "Warning net.ipv4.vs.sync_persist_mode = 1 with net.ipv4.vs.sloppy_sctp = 0"
        ]
    );
    assert!(
        f[0].problem
            .starts_with("only the persistence templates of TCP 203.0.113.10:443 are"),
        "{}",
        f[0].problem
    );
    v.params.sloppy_tcp = Some(true);
    v.params.sloppy_sctp = Some(true);
    assert_eq!(findings(&v, &services), []);
    // A firewall-mark service may carry TCP.
    v.params.sloppy_tcp = Some(false);
    let fwm = [service("FWM 7", true)];
    assert_eq!(
        subjects(&findings(&v, &fwm)),
        ["Warning net.ipv4.vs.sync_persist_mode = 1 with net.ipv4.vs.sloppy_tcp = 0"]
    );
}

#[test]
fn threshold_parsing() {
    assert_eq!(parse_threshold("3\t50\n"), Some((3, 50)));
    assert_eq!(parse_threshold("3 0"), Some((3, 0)));
    assert_eq!(parse_threshold("3"), None);
    assert_eq!(parse_threshold("3 50 7"), None);
    assert_eq!(parse_threshold("x 50"), None);
}
