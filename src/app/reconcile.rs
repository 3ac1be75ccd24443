//! `-R --sync`: the smallest set of changes that makes the kernel's table
//! equal to a rules file, and for each change what undoes it.
//!
//! Everything here is a pure function over values; `app::sync` reads
//! the kernel, applies and rolls back.
//!
//! - [`desired_table`] replays the rules on an empty table, with the
//!   kernel's rules for each command (so a rules file that `-C` then `-R`
//!   would refuse is refused here, naming the line, before anything
//!   changes).
//! - [`plan`] compares that with the kernel's table. Changes are ordered
//!   "make before break", so that no service ever has fewer destinations
//!   than both the old and the new table give it:
//!   1. new services, then edited services (an add comes before the
//!      destinations of the service it adds),
//!   2. new and edited destinations,
//!   3. removed destinations of the services that stay,
//!   4. removed services (their destinations go with them).
//!
//!   Every add and edit carries the whole object (SET_SERVICE and
//!   SET_DEST replace every setting, the forwarding method included).
//! - [`drain`] gives the weight-0 edits that let the destinations about to
//!   be removed finish their connections first.
//! - Each [`SyncStep`] carries its undo, built from the objects as the kernel
//!   had them before the run; [`rollback`] of the applied steps is their
//!   undos in reverse order.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::net::IpAddr;

use ipvs::{Change, Destination, Service, ServiceFlags, ServiceKey, VirtualService};
use nix::errno::Errno;

use super::errors::Op;
use crate::cli::{Command, RestoreLine};

/// A value of the desired table and the rules line that last set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruled<T> {
    pub line: usize,
    pub value: T,
}

/// A service of the desired table with its destinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredEntry {
    pub service: Ruled<Service>,
    pub dests: Vec<Ruled<Destination>>,
}

/// Why a rules file does not describe a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The kernel would refuse the line with this errno (e.g. a second
    /// `-A` of the same service: EEXIST).
    Refused { line: usize, op: Op, errno: i32 },
    /// Not a change to services or destinations (`--set`, `-Z`, a
    /// listing, a daemon): the run would do more than sync the table.
    NotARule { line: usize },
}

/// One change of a sync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStep {
    pub change: Change,
    /// The rules line that asks for it; `None` for a removal (the object
    /// is only in the kernel's table).
    pub line: Option<usize>,
    /// What puts the table back as it was, in order.
    pub undo: Vec<Change>,
}

/// The ordered changes of a sync run: first those that add and edit,
/// then those that remove (between the two, destinations may drain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub build: Vec<SyncStep>,
    pub remove: Vec<SyncStep>,
}

impl SyncPlan {
    pub fn is_empty(&self) -> bool {
        self.build.is_empty() && self.remove.is_empty()
    }
}

/// The table a rules file describes: its lines applied in order to an
/// empty table. `-C` empties it again.
pub fn desired_table(lines: &[RestoreLine]) -> Result<Vec<DesiredEntry>, ReplayError> {
    let mut table = Replay::default();
    for RestoreLine { line, command } in lines {
        table.apply(*line, command)?;
    }
    Ok(table.slots.into_iter().map(|slot| slot.entry).collect())
}

/// What identifies a destination within its service.
type DestKey = (IpAddr, u16);

fn dest_key(d: &Destination) -> DestKey {
    (d.addr, d.port)
}

/// Positions by key.
fn index_by<T, K: Eq + Hash>(items: &[T], key: impl Fn(&T) -> K) -> HashMap<K, usize> {
    items.iter().enumerate().map(|(i, t)| (key(t), i)).collect()
}

/// A service being replayed, with its destinations found by key.
struct Slot {
    entry: DesiredEntry,
    dests: HashMap<DestKey, usize>,
}

impl Slot {
    fn find(&self, key: DestKey) -> Option<usize> {
        self.dests.get(&key).copied()
    }

    fn remove(&mut self, i: usize) {
        self.entry.dests.remove(i);
        self.dests = index_by(&self.entry.dests, |d| dest_key(&d.value));
    }
}

/// The services of a table being replayed, found by key (a rules file
/// may hold 100,000 lines, or one service with thousands of servers).
#[derive(Default)]
struct Replay {
    slots: Vec<Slot>,
    index: HashMap<ServiceKey, usize>,
}

impl Replay {
    fn apply(&mut self, line: usize, command: &Command) -> Result<(), ReplayError> {
        let refused = |op, errno: Errno| ReplayError::Refused {
            line,
            op,
            errno: errno as i32,
        };
        match command {
            Command::AddService(svc) => {
                if self.index.contains_key(&svc.key) {
                    return Err(refused(Op::AddService, Errno::EEXIST));
                }
                self.index.insert(svc.key, self.slots.len());
                self.slots.push(Slot {
                    entry: DesiredEntry {
                        service: Ruled {
                            line,
                            value: svc.clone(),
                        },
                        dests: Vec::new(),
                    },
                    dests: HashMap::new(),
                });
            }
            Command::EditService(svc) => {
                let slot = self
                    .slot(&svc.key)
                    .ok_or_else(|| refused(Op::EditService, Errno::ESRCH))?;
                slot.entry.service = Ruled {
                    line,
                    value: svc.clone(),
                };
            }
            Command::DeleteService(key) => {
                let i = *self
                    .index
                    .get(key)
                    .ok_or_else(|| refused(Op::DeleteService, Errno::ESRCH))?;
                self.slots.remove(i);
                // The positions after it moved (rare: -D in a rules file).
                self.index = index_by(&self.slots, |s| s.entry.service.value.key);
            }
            Command::Flush => {
                self.slots.clear();
                self.index.clear();
            }
            Command::AddDest { service, dest } => {
                let slot = self
                    .slot(service)
                    .ok_or_else(|| refused(Op::AddDest, Errno::ESRCH))?;
                if slot.find(dest_key(dest)).is_some() {
                    return Err(refused(Op::AddDest, Errno::EEXIST));
                }
                slot.dests.insert(dest_key(dest), slot.entry.dests.len());
                slot.entry.dests.push(Ruled {
                    line,
                    value: dest.clone(),
                });
            }
            Command::EditDest { service, dest } => {
                let slot = self
                    .slot(service)
                    .ok_or_else(|| refused(Op::EditDest, Errno::ESRCH))?;
                let i = slot
                    .find(dest_key(dest))
                    .ok_or_else(|| refused(Op::EditDest, Errno::ENOENT))?;
                slot.entry.dests[i] = Ruled {
                    line,
                    value: dest.clone(),
                };
            }
            Command::DeleteDest {
                service,
                addr,
                port,
            } => {
                let slot = self
                    .slot(service)
                    .ok_or_else(|| refused(Op::DeleteDest, Errno::ESRCH))?;
                let i = slot
                    .find((*addr, *port))
                    .ok_or_else(|| refused(Op::DeleteDest, Errno::ENOENT))?;
                slot.remove(i);
            }
            _ => return Err(ReplayError::NotARule { line }),
        }
        Ok(())
    }

    fn slot(&mut self, key: &ServiceKey) -> Option<&mut Slot> {
        let i = *self.index.get(key)?;
        self.slots.get_mut(i)
    }
}

/// The settings of a kernel's service, as they can be sent back: without
/// counters, and only the flags user space sets (the kernel adds HASHED
/// itself, and NEW_SERVICE with HASHED set would leave the new service
/// out of its lookup table).
fn sendable(svc: &Service) -> Service {
    Service {
        flags: ServiceFlags(svc.flags.0 & ServiceFlags::USER_MASK),
        stats: Default::default(),
        ..svc.clone()
    }
}

/// Whether the kernel's service already has every setting of `want`.
fn same_service(want: &Service, have: &Service) -> bool {
    want.scheduler == have.scheduler
        && want.flags.0 & ServiceFlags::USER_MASK == have.flags.0 & ServiceFlags::USER_MASK
        && want.timeout == have.timeout
        && want.netmask == have.netmask
        && want.pe_name == have.pe_name
}

/// Whether the kernel's destination already has every setting of `want`
/// (counters and connection numbers are not settings).
fn same_dest(want: &Destination, have: &Destination) -> bool {
    want.forward == have.forward
        && want.weight == have.weight
        && want.upper_threshold == have.upper_threshold
        && want.lower_threshold == have.lower_threshold
        && want.tun_type == have.tun_type
        && want.tun_port == have.tun_port
        && want.tun_flags == have.tun_flags
}

/// The changes that turn `current` (the kernel's table) into `desired`.
pub fn plan(desired: &[DesiredEntry], current: &[VirtualService]) -> SyncPlan {
    let by_key: HashMap<ServiceKey, &VirtualService> =
        current.iter().map(|e| (e.service.key, e)).collect();
    let mut plan = SyncPlan::default();
    let mut dest_steps = Vec::new();
    for want in desired {
        let key = want.service.value.key;
        let have = by_key.get(&key);
        match have {
            None => plan.build.push(add_service(&want.service)),
            Some(have) if !same_service(&want.service.value, &have.service) => {
                plan.build.push(edit_service(&want.service, &have.service))
            }
            Some(_) => {}
        }
        let have_dests: HashMap<DestKey, &Destination> = have
            .map(|e| e.destinations.iter().map(|d| (dest_key(d), d)).collect())
            .unwrap_or_default();
        for dest in &want.dests {
            match have_dests.get(&dest_key(&dest.value)) {
                None => dest_steps.push(add_dest(&key, dest)),
                Some(h) if !same_dest(&dest.value, h) => dest_steps.push(edit_dest(&key, dest, h)),
                Some(_) => {}
            }
        }
        if let Some(have) = have {
            let wanted: HashSet<DestKey> = want.dests.iter().map(|d| dest_key(&d.value)).collect();
            plan.remove.extend(
                have.destinations
                    .iter()
                    .filter(|d| !wanted.contains(&dest_key(d)))
                    .map(|d| delete_dest(&key, d)),
            );
        }
    }
    plan.build.append(&mut dest_steps);
    let wanted: HashSet<ServiceKey> = desired.iter().map(|w| w.service.value.key).collect();
    plan.remove.extend(
        current
            .iter()
            .filter(|e| !wanted.contains(&e.service.key))
            .map(delete_service),
    );
    plan
}

fn add_service(want: &Ruled<Service>) -> SyncStep {
    SyncStep {
        change: Change::AddService(want.value.clone()),
        line: Some(want.line),
        undo: vec![Change::DeleteService(want.value.key)],
    }
}

fn edit_service(want: &Ruled<Service>, have: &Service) -> SyncStep {
    SyncStep {
        change: Change::EditService(want.value.clone()),
        line: Some(want.line),
        undo: vec![Change::EditService(sendable(have))],
    }
}

/// Deleting a service takes its destinations with it; the undo adds both.
fn delete_service(have: &VirtualService) -> SyncStep {
    let key = have.service.key;
    let mut undo = vec![Change::AddService(sendable(&have.service))];
    undo.extend(
        have.destinations
            .iter()
            .map(|d| Change::AddDest(key, d.clone())),
    );
    SyncStep {
        change: Change::DeleteService(key),
        line: None,
        undo,
    }
}

fn add_dest(key: &ServiceKey, want: &Ruled<Destination>) -> SyncStep {
    let d = &want.value;
    SyncStep {
        change: Change::AddDest(*key, d.clone()),
        line: Some(want.line),
        undo: vec![Change::DeleteDest(*key, d.addr, d.port)],
    }
}

fn edit_dest(key: &ServiceKey, want: &Ruled<Destination>, have: &Destination) -> SyncStep {
    SyncStep {
        change: Change::EditDest(*key, want.value.clone()),
        line: Some(want.line),
        undo: vec![Change::EditDest(*key, have.clone())],
    }
}

fn delete_dest(key: &ServiceKey, have: &Destination) -> SyncStep {
    SyncStep {
        change: Change::DeleteDest(*key, have.addr, have.port),
        line: None,
        undo: vec![Change::AddDest(*key, have.clone())],
    }
}

/// The destinations the removal steps take away (those of removed
/// services too), as the kernel has them.
pub fn removed_dests(
    plan: &SyncPlan,
    current: &[VirtualService],
) -> Vec<(ServiceKey, Destination)> {
    let by_key: HashMap<ServiceKey, &VirtualService> =
        current.iter().map(|e| (e.service.key, e)).collect();
    let dests_of = |key: &ServiceKey| by_key.get(key).into_iter().flat_map(|e| &e.destinations);
    let mut out = Vec::new();
    for step in &plan.remove {
        match &step.change {
            Change::DeleteDest(key, addr, port) => out.extend(
                dests_of(key)
                    .filter(|d| dest_key(d) == (*addr, *port))
                    .map(|d| (*key, d.clone())),
            ),
            Change::DeleteService(key) => out.extend(dests_of(key).map(|d| (*key, d.clone()))),
            _ => {}
        }
    }
    out
}

/// Weight 0 for each destination about to be removed that still takes
/// new connections: the scheduler then sends it none, and the ones it has
/// can finish before it goes.
pub fn drain(removed: &[(ServiceKey, Destination)]) -> Vec<SyncStep> {
    removed
        .iter()
        .filter(|(_, d)| d.weight != 0)
        .map(|(key, d)| {
            let mut drained = d.clone();
            drained.weight = 0;
            SyncStep {
                change: Change::EditDest(*key, drained),
                line: None,
                undo: vec![Change::EditDest(*key, d.clone())],
            }
        })
        .collect()
}

/// What undoes `applied` (in the order they were applied): their undos,
/// last step first.
pub fn rollback<'a>(applied: impl DoubleEndedIterator<Item = &'a SyncStep>) -> Vec<Change> {
    applied
        .rev()
        .flat_map(|step| step.undo.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
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
                service.flags.0 |= ServiceFlags::HASHED;
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
                    assert_eq!(s.flags.0 & ServiceFlags::HASHED, 0, "sent HASHED");
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
            Op::AddService,
            Errno::EEXIST,
        );
        refused(
            vec![add_dest_cmd(key(80), dest(1, 1))],
            1,
            Op::AddDest,
            Errno::ESRCH,
        );
        refused(
            vec![
                Command::AddService(svc(key(80), "rr")),
                add_dest_cmd(key(80), dest(1, 1)),
                add_dest_cmd(key(80), dest(1, 2)),
            ],
            3,
            Op::AddDest,
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
            Op::EditDest,
            Errno::ENOENT,
        );
        refused(
            vec![Command::DeleteService(key(80))],
            1,
            Op::DeleteService,
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
        persistent.flags = ServiceFlags(ServiceFlags::PERSISTENT | ServiceFlags::SCHED1);
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
}
