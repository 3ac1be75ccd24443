use super::*;
use ipvs::{ForwardMethod, Protocol, TunnelType};

fn key(port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: "192.0.2.1".parse().unwrap(),
        port,
    }
}

fn fwmark(mark: u32) -> ServiceKey {
    ServiceKey::Fwmark {
        mark,
        family: ipvs::Family::Inet,
    }
}

fn svc(key: ServiceKey, scheduler: &str) -> Service {
    let mut s = Service::new(key);
    s.scheduler = scheduler.into();
    s
}

fn dest(last: u8, weight: i32) -> Destination {
    let mut d = Destination::new(format!("198.51.100.{last}").parse().unwrap(), 8080);
    d.forward = ForwardMethod::Masq;
    d.weight = weight;
    d
}

fn lines(commands: Vec<Command>) -> Vec<RestoreLine> {
    commands
        .into_iter()
        .enumerate()
        .map(|(i, command)| RestoreLine {
            line: i + 1,
            command,
        })
        .collect()
}

fn add_dest_cmd(service: ServiceKey, dest: Destination) -> Command {
    Command::AddDest { service, dest }
}

/// The kernel's view of a table: as listed, with the HASHED flag and
/// counters the kernel adds.
fn kernel(entries: Vec<(Service, Vec<Destination>)>) -> Vec<VirtualService> {
    entries
        .into_iter()
        .map(|(mut service, dests)| {
            service.flags |= ServiceFlags::HASHED;
            service.stats.conns = 42;
            let dests = dests
                .into_iter()
                .map(|mut d| {
                    d.active_conns = 3;
                    d
                })
                .collect();
            VirtualService {
                service,
                destinations: dests,
            }
        })
        .collect()
}

/// Applies changes to a model of the kernel's table, as the kernel
/// would (panicking where the kernel would refuse), to check that a
/// plan and its rollback reach the tables they promise.
fn run(table: &mut Vec<VirtualService>, changes: &[Change]) {
    for change in changes {
        match change {
            Change::AddService(s) => {
                assert!(table.iter().all(|e| e.service.key != s.key), "EEXIST");
                assert!(!s.flags.contains(ServiceFlags::HASHED), "sent HASHED");
                table.push(VirtualService {
                    service: s.clone(),
                    destinations: vec![],
                });
            }
            Change::EditService(s) => {
                let e = table.iter_mut().find(|e| e.service.key == s.key).unwrap();
                e.service = s.clone();
            }
            Change::DeleteService(k) => {
                let before = table.len();
                table.retain(|e| e.service.key != *k);
                assert_eq!(table.len() + 1, before, "ESRCH");
            }
            Change::AddDest(k, d) => {
                let e = table.iter_mut().find(|e| e.service.key == *k).unwrap();
                assert!(e
                    .destinations
                    .iter()
                    .position(|x| dest_key(x) == dest_key(d))
                    .is_none());
                e.destinations.push(d.clone());
            }
            Change::EditDest(k, d) => {
                let e = table.iter_mut().find(|e| e.service.key == *k).unwrap();
                let i = e
                    .destinations
                    .iter()
                    .position(|x| dest_key(x) == dest_key(d))
                    .unwrap();
                e.destinations[i] = d.clone();
            }
            Change::DeleteDest(k, addr, port) => {
                let e = table.iter_mut().find(|e| e.service.key == *k).unwrap();
                let i = e
                    .destinations
                    .iter()
                    .position(|x| dest_key(x) == (*addr, *port))
                    .unwrap();
                e.destinations.remove(i);
            }
            other => panic!("not a table change: {other:?}"),
        }
    }
}

/// Settings only, in a canonical order: what "the same table" means.
fn settings(table: &[VirtualService]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = table
        .iter()
        .map(|e| {
            let s = sendable(&e.service);
            let mut dests: Vec<String> = e
                .destinations
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    d.active_conns = 0;
                    format!("{d:?}")
                })
                .collect();
            dests.sort();
            (format!("{s:?}"), dests)
        })
        .collect();
    out.sort();
    out
}

fn changes(steps: &[SyncStep]) -> Vec<Change> {
    steps.iter().map(|s| s.change.clone()).collect()
}

#[test]
fn replay_builds_the_table_with_lines() {
    let desired = desired_table(&lines(vec![
        Command::AddService(svc(key(80), "rr")),
        add_dest_cmd(key(80), dest(1, 1)),
        add_dest_cmd(key(80), dest(2, 1)),
        Command::EditService(svc(key(80), "wrr")),
        Command::EditDest {
            service: key(80),
            dest: dest(2, 5),
        },
        Command::DeleteDest {
            service: key(80),
            addr: dest(1, 1).addr,
            port: 8080,
        },
    ]))
    .unwrap();
    assert_eq!(
        desired,
        vec![DesiredEntry {
            service: Ruled {
                line: 4,
                value: svc(key(80), "wrr")
            },
            dests: vec![Ruled {
                line: 5,
                value: dest(2, 5)
            }],
        }]
    );
}

#[test]
fn replay_refuses_what_the_kernel_would() {
    let refused = |commands, line, op, errno: Errno| {
        assert_eq!(
            desired_table(&lines(commands)),
            Err(ReplayError::Refused {
                line,
                op,
                errno: errno as i32
            })
        )
    };
    refused(
        vec![
            Command::AddService(svc(key(80), "rr")),
            Command::AddService(svc(key(80), "wlc")),
        ],
        2,
        KernelOp::AddService,
        Errno::EEXIST,
    );
    refused(
        vec![add_dest_cmd(key(80), dest(1, 1))],
        1,
        KernelOp::AddDest,
        Errno::ESRCH,
    );
    refused(
        vec![
            Command::AddService(svc(key(80), "rr")),
            add_dest_cmd(key(80), dest(1, 1)),
            add_dest_cmd(key(80), dest(1, 2)),
        ],
        3,
        KernelOp::AddDest,
        Errno::EEXIST,
    );
    refused(
        vec![
            Command::AddService(svc(key(80), "rr")),
            Command::EditDest {
                service: key(80),
                dest: dest(1, 1),
            },
        ],
        2,
        KernelOp::EditDest,
        Errno::ENOENT,
    );
    refused(
        vec![Command::DeleteService(key(80))],
        1,
        KernelOp::DeleteService,
        Errno::ESRCH,
    );
    assert_eq!(
        desired_table(&lines(vec![Command::Zero(None)])),
        Err(ReplayError::NotARule { line: 1 })
    );
}

#[test]
fn replay_flush_and_delete_start_over() {
    let desired = desired_table(&lines(vec![
        Command::AddService(svc(key(80), "rr")),
        Command::AddService(svc(key(81), "rr")),
        Command::AddService(svc(key(82), "rr")),
        Command::DeleteService(key(80)),
        add_dest_cmd(key(82), dest(1, 1)),
    ]))
    .unwrap();
    let keys: Vec<ServiceKey> = desired.iter().map(|e| e.service.value.key).collect();
    assert_eq!(keys, [key(81), key(82)]);
    assert_eq!(desired[1].dests.len(), 1);
    let flushed = desired_table(&lines(vec![
        Command::AddService(svc(key(80), "rr")),
        Command::Flush,
        Command::AddService(svc(key(80), "wrr")),
    ]))
    .unwrap();
    assert_eq!(flushed.len(), 1);
    assert_eq!(flushed[0].service.line, 3);
}

#[test]
fn the_same_table_needs_no_change() {
    let rules = lines(vec![
        Command::AddService(svc(key(80), "rr")),
        add_dest_cmd(key(80), dest(1, 1)),
        Command::AddService(svc(fwmark(7), "wlc")),
        add_dest_cmd(fwmark(7), dest(2, 3)),
    ]);
    let current = kernel(vec![
        (svc(fwmark(7), "wlc"), vec![dest(2, 3)]),
        (svc(key(80), "rr"), vec![dest(1, 1)]),
    ]);
    assert!(plan(&desired_table(&rules).unwrap(), &current).is_empty());
}

#[test]
fn changes_are_minimal_and_made_before_break() {
    let mut tunnel = dest(3, 1);
    tunnel.forward = ForwardMethod::Tunnel;
    tunnel.tun_type = TunnelType::Gre;
    let rules = lines(vec![
        Command::AddService(svc(key(80), "wrr")),
        add_dest_cmd(key(80), dest(1, 1)),
        add_dest_cmd(key(80), dest(4, 2)),
        add_dest_cmd(key(80), tunnel.clone()),
        Command::AddService(svc(key(443), "rr")),
        add_dest_cmd(key(443), dest(5, 1)),
    ]);
    let current = kernel(vec![
        (svc(key(80), "rr"), vec![dest(1, 1), dest(2, 1), dest(3, 1)]),
        (svc(key(22), "rr"), vec![dest(9, 1)]),
    ]);
    let p = plan(&desired_table(&rules).unwrap(), &current);
    assert_eq!(
        changes(&p.build),
        [
            Change::EditService(svc(key(80), "wrr")),
            Change::AddService(svc(key(443), "rr")),
            Change::AddDest(key(80), dest(4, 2)),
            // The forwarding method changes: SET_DEST with all of it.
            Change::EditDest(key(80), tunnel),
            Change::AddDest(key(443), dest(5, 1)),
        ]
    );
    assert_eq!(
        changes(&p.remove),
        [
            Change::DeleteDest(key(80), dest(2, 1).addr, 8080),
            Change::DeleteService(key(22)),
        ]
    );
    let lines: Vec<Option<usize>> = p.build.iter().map(|s| s.line).collect();
    assert_eq!(lines, [Some(1), Some(5), Some(3), Some(4), Some(6)]);
    assert!(p.remove.iter().all(|s| s.line.is_none()));
}

#[test]
fn plan_then_rollback_restores_every_setting() {
    let rules = lines(vec![
        Command::AddService(svc(key(80), "wrr")),
        add_dest_cmd(key(80), dest(1, 7)),
        add_dest_cmd(key(80), dest(4, 2)),
        Command::AddService(svc(fwmark(3), "sh")),
        add_dest_cmd(fwmark(3), dest(1, 1)),
    ]);
    let before = kernel(vec![
        (svc(key(80), "rr"), vec![dest(1, 1), dest(2, 1)]),
        (svc(key(22), "rr"), vec![dest(9, 1), dest(8, 4)]),
    ]);
    let desired = desired_table(&rules).unwrap();
    let p = plan(&desired, &before);
    let drained = drain(&removed_dests(&p, &before));
    let steps: Vec<&SyncStep> = p.build.iter().chain(&drained).chain(&p.remove).collect();

    let mut table = before.clone();
    run(
        &mut table,
        &steps.iter().map(|s| s.change.clone()).collect::<Vec<_>>(),
    );
    let after: Vec<VirtualService> = desired
        .iter()
        .map(|e| VirtualService {
            service: e.service.value.clone(),
            destinations: e.dests.iter().map(|d| d.value.clone()).collect(),
        })
        .collect();
    assert_eq!(settings(&table), settings(&after));
    assert!(plan(&desired, &table).is_empty());

    // Undo after every prefix: always back to where it started.
    for applied in 0..=steps.len() {
        let mut table = before.clone();
        let prefix = &steps[..applied];
        run(
            &mut table,
            &prefix.iter().map(|s| s.change.clone()).collect::<Vec<_>>(),
        );
        run(&mut table, &rollback(prefix.iter().copied()));
        assert_eq!(settings(&table), settings(&before), "after {applied} steps");
    }
}

#[test]
fn draining_zeroes_the_weights_of_what_goes() {
    let before = kernel(vec![
        (svc(key(80), "rr"), vec![dest(1, 1), dest(2, 5), dest(3, 0)]),
        (svc(key(22), "rr"), vec![dest(9, 2)]),
    ]);
    let desired = desired_table(&lines(vec![
        Command::AddService(svc(key(80), "rr")),
        add_dest_cmd(key(80), dest(1, 1)),
    ]))
    .unwrap();
    let p = plan(&desired, &before);
    let removed = removed_dests(&p, &before);
    let goes: Vec<(ServiceKey, IpAddr)> = removed.iter().map(|(k, d)| (*k, d.addr)).collect();
    assert_eq!(
        goes,
        [
            (key(80), dest(2, 5).addr),
            (key(80), dest(3, 0).addr),
            (key(22), dest(9, 2).addr),
        ]
    );
    let steps = drain(&removed);
    // Already at weight 0: nothing to edit.
    assert_eq!(steps.len(), 2);
    for step in &steps {
        let Change::EditDest(_, d) = &step.change else {
            panic!("{step:?}")
        };
        assert_eq!(d.weight, 0);
        let Change::EditDest(_, undo) = &step.undo[0] else {
            panic!("{step:?}")
        };
        assert_ne!(undo.weight, 0);
    }
}

#[test]
fn big_tables_replay_and_plan_in_linear_time() {
    // 50,000 services, and one service with 20,000 servers.
    let mut commands = Vec::new();
    let mut current = Vec::new();
    for i in 0..50_000u32 {
        let key = ServiceKey::Fwmark {
            mark: i + 1,
            family: ipvs::Family::Inet,
        };
        commands.push(Command::AddService(svc(key, "rr")));
        current.push((svc(key, "rr"), vec![]));
    }
    let mut many = Vec::new();
    for i in 0..20_000u32 {
        let mut d = dest(1, 1);
        d.addr = IpAddr::from((0x0a00_0000 + i).to_be_bytes());
        commands.push(add_dest_cmd(fwmark(1), d.clone()));
        many.push(d);
    }
    current[0].1 = many;
    let start = std::time::Instant::now();
    let desired = desired_table(&lines(commands)).unwrap();
    assert!(plan(&desired, &kernel(current)).is_empty());
    // Quadratic lookups would take minutes; generous for debug builds.
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
}

#[test]
fn flags_the_kernel_adds_are_not_a_difference_and_not_sent_back() {
    let mut persistent = svc(key(80), "sh");
    persistent.flags = ServiceFlags::PERSISTENT | ServiceFlags::SCHED1;
    persistent.timeout = 300;
    let current = kernel(vec![(persistent.clone(), vec![])]);
    let desired = desired_table(&lines(vec![Command::AddService(persistent.clone())])).unwrap();
    assert!(plan(&desired, &current).is_empty());

    let p = plan(&[], &current);
    assert_eq!(p.remove[0].undo, [Change::AddService(persistent.clone())]);
    let mut other = persistent.clone();
    other.timeout = 60;
    let desired = desired_table(&lines(vec![Command::AddService(other)])).unwrap();
    let p = plan(&desired, &current);
    assert_eq!(p.build[0].undo, [Change::EditService(persistent)]);
}
