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

use super::errors::KernelOp;
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
    Refused {
        line: usize,
        op: KernelOp,
        errno: i32,
    },
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
                    return Err(refused(KernelOp::AddService, Errno::EEXIST));
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
                    .ok_or_else(|| refused(KernelOp::EditService, Errno::ESRCH))?;
                slot.entry.service = Ruled {
                    line,
                    value: svc.clone(),
                };
            }
            Command::DeleteService(key) => {
                let i = *self
                    .index
                    .get(key)
                    .ok_or_else(|| refused(KernelOp::DeleteService, Errno::ESRCH))?;
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
                    .ok_or_else(|| refused(KernelOp::AddDest, Errno::ESRCH))?;
                if slot.find(dest_key(dest)).is_some() {
                    return Err(refused(KernelOp::AddDest, Errno::EEXIST));
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
                    .ok_or_else(|| refused(KernelOp::EditDest, Errno::ESRCH))?;
                let i = slot
                    .find(dest_key(dest))
                    .ok_or_else(|| refused(KernelOp::EditDest, Errno::ENOENT))?;
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
                    .ok_or_else(|| refused(KernelOp::DeleteDest, Errno::ESRCH))?;
                let i = slot
                    .find((*addr, *port))
                    .ok_or_else(|| refused(KernelOp::DeleteDest, Errno::ENOENT))?;
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
        flags: svc.flags & ServiceFlags::USER_MASK,
        stats: Default::default(),
        ..svc.clone()
    }
}

/// Whether the kernel's service already has every setting of `want`.
fn same_service(want: &Service, have: &Service) -> bool {
    want.scheduler == have.scheduler
        && want.flags & ServiceFlags::USER_MASK == have.flags & ServiceFlags::USER_MASK
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
mod tests;
