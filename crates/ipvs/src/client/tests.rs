//! The client against the fake kernel: the table read whole and
//! consistently while another process changes it, and batches.

use std::net::{IpAddr, Ipv4Addr};

use crate::testing::{FakeKernel, FakeRequest};
use crate::*;

fn key(last: u8) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: IpAddr::from([203, 0, 113, last]),
        port: 80,
    }
}

fn entry(last: u8, dests: u8) -> VirtualService {
    VirtualService {
        service: Service::new(key(last)),
        destinations: (1..=dests)
            .map(|d| Destination::new(IpAddr::from([192, 0, 2, d]), 8080))
            .collect(),
    }
}

fn keys(table: &[VirtualService]) -> Vec<ServiceKey> {
    table.iter().map(|e| e.service.key).collect()
}

#[test]
fn the_table_is_every_service_with_its_destinations() {
    let kernel = FakeKernel::new();
    let want = vec![entry(1, 3), entry(2, 0), entry(3, 1)];
    kernel.set_table(want.clone());
    assert_eq!(kernel.connect().unwrap().table().unwrap(), want);
}

#[test]
fn a_service_deleted_while_the_table_is_read_is_left_out() {
    for dests_of_the_deleted in [2, 0] {
        let kernel = FakeKernel::new();
        kernel.set_table(vec![
            entry(1, 2),
            entry(2, dests_of_the_deleted),
            entry(3, 0),
        ]);
        // Another process deletes service 2 once service 1's destinations
        // are asked for: after the service dump, before its own.
        kernel.before_each_datagram(|table, request, _| {
            if *request == FakeRequest::ListDestinations(key(1)) {
                table.retain(|e| e.service.key != key(2));
            }
        });
        let table = kernel.connect().unwrap().table().unwrap();
        // Service 3, which has no destinations and stays, is listed.
        assert_eq!(keys(&table), [key(1), key(3)], "{dests_of_the_deleted}");
        assert_eq!(table[0].destinations.len(), 2);
    }
}

#[test]
fn a_dump_shifted_by_a_concurrent_delete_is_read_again() {
    let kernel = FakeKernel::new();
    kernel.set_table((1..=6).map(|i| entry(i, 1)).collect());
    kernel.set_per_datagram(2);
    // Between the first and second datagram of the first service dump,
    // the first service goes: the kernel resumes at position 2 and the
    // third service would be missed.
    let mut done = false;
    kernel.before_each_datagram(move |table, request, datagram| {
        if *request == FakeRequest::ListServices && datagram == 1 && !done {
            table.remove(0);
            done = true;
        }
    });
    let services = kernel.connect().unwrap().services().unwrap();
    let got: Vec<ServiceKey> = services.iter().map(|s| s.key).collect();
    assert_eq!(got, (2..=6).map(key).collect::<Vec<_>>());
}

#[test]
fn a_table_that_never_stops_changing_is_an_error() {
    let kernel = FakeKernel::new();
    kernel.set_table((1..=4).map(|i| entry(i, 0)).collect());
    kernel.set_per_datagram(1);
    // A service added in front during every dump: each reading lists one
    // service twice.
    let mut next = 10;
    kernel.before_each_datagram(move |table, request, datagram| {
        if *request == FakeRequest::ListServices && datagram == 1 {
            table.insert(0, entry(next, 0));
            next += 1;
        }
    });
    let err = kernel.connect().unwrap().services().unwrap_err();
    assert!(matches!(err, Error::DumpInterrupted), "{err:?}");
}

#[test]
fn a_batch_reports_every_change_in_order_and_goes_on_after_a_refusal() {
    let kernel = FakeKernel::new();
    let mut ipvs = kernel.connect().unwrap();
    // More than one window of requests; every 7th adds a service again.
    let changes: Vec<Change> = (0..700u32)
        .map(|i| {
            let n = if i % 7 == 6 { i - 1 } else { i };
            Change::AddService(Service::new(ServiceKey::Fwmark {
                mark: n + 1,
                family: Family::Inet,
            }))
        })
        .collect();
    let mut results = Vec::new();
    ipvs.apply_all(&changes, |i, r| results.push((i, r)))
        .unwrap();
    assert_eq!(results.len(), 700);
    for (at, (i, r)) in results.iter().enumerate() {
        assert_eq!(*i, at);
        let refused = r.err().is_some_and(KernelError::is_already_exists);
        assert_eq!(refused, at % 7 == 6, "change {at}: {r:?}");
    }
    assert_eq!(kernel.table().len(), 600);
}

#[test]
fn refusals_are_typed() {
    let kernel = FakeKernel::new();
    let mut ipvs = kernel.connect().unwrap();
    let err = ipvs.apply(&Change::DeleteService(key(9))).unwrap_err();
    assert!(err.is_no_such_service() && err.is_not_found());
    assert_eq!(err.errno(), Some(libc::ESRCH));
    ipvs.apply(&Change::AddService(Service::new(key(9))))
        .unwrap();
    let gone = Change::DeleteDest(key(9), IpAddr::from([192, 0, 2, 1]), 80);
    let err = ipvs.apply(&gone).unwrap_err();
    assert!(err
        .kernel()
        .is_some_and(KernelError::is_no_such_destination));
    assert!(ipvs.service(&key(1)).unwrap_err().is_no_such_service());
}

#[test]
fn settings_round_trip_through_the_fake_kernel() {
    let kernel = FakeKernel::new();
    let mut ipvs = kernel.connect().unwrap();
    let mut svc = Service::new(key(1));
    svc.scheduler = "sh".into();
    svc.flags = ServiceFlags::PERSISTENT | ServiceFlags::SCHED1;
    svc.timeout = 600;
    svc.netmask = PersistenceNetmask::V4(Ipv4Addr::new(255, 255, 255, 0));
    let mut d = Destination::new("2001:db8::7".parse().unwrap(), 6080);
    d.forward = ForwardMethod::Tunnel;
    d.tun_type = TunnelType::Gue;
    d.tun_port = 5555;
    let timeouts = Timeouts {
        tcp: 10,
        tcp_fin: 0,
        udp: 30,
    };
    let daemon = Daemon {
        state: DaemonState::Master,
        mcast_ifn: "eth0".into(),
        syncid: 7,
        sync_maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    for change in [
        Change::AddService(svc.clone()),
        Change::AddDest(svc.key, d.clone()),
        Change::SetTimeouts(timeouts),
        Change::StartDaemon(daemon.clone()),
    ] {
        ipvs.apply(&change).unwrap();
    }
    assert_eq!(ipvs.service(&svc.key).unwrap(), svc);
    assert_eq!(ipvs.destinations(&svc.key).unwrap(), [d]);
    // A 0 leaves a timeout as it was.
    assert_eq!(
        (
            ipvs.timeouts().unwrap().tcp_fin,
            ipvs.timeouts().unwrap().udp
        ),
        (120, 30)
    );
    assert_eq!(ipvs.daemons().unwrap(), [daemon]);
    assert_eq!(ipvs.info().unwrap().version_triple(), (1, 2, 1));
}

#[test]
fn a_handle_opens_in_the_namespace_its_file_names() {
    // The test's own namespace. Entering it needs CAP_SYS_ADMIN, and the
    // host may have no IPVS: the thread enters and opens, or says which.
    match Ipvs::connect_in_netns("/proc/self/ns/net") {
        Ok(_) | Err(Error::NoIpvs) => {}
        Err(Error::Io(e)) if e.raw_os_error() == Some(libc::EPERM) => {}
        Err(e) => panic!("{e:?}"),
    }
    let missing = Ipvs::connect_in_netns("/run/netns/ipvs-test-no-such-namespace");
    assert!(
        matches!(&missing, Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound),
        "{:?}",
        missing.err()
    );
}
