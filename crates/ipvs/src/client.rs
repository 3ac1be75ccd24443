//! The IPVS client: one socket, the family resolved once, typed calls.

use std::collections::HashSet;
use std::fs::File;
use std::hash::Hash;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;

use netlink_packet_generic::GenlMessage;

use crate::ctrl::{read_family_id, CtrlMessage};
use crate::error::{Error, Result};
use crate::nl::message::{
    dest_request, read_info, read_timeouts, timeout_attrs, CmdAttr, IpvsCmd, IpvsMessage,
    FAMILY_NAME,
};
use crate::nl::read::RawReply;
use crate::nl::{daemon, dest, service};
use crate::socket::{AckResult, Connection, NetlinkSocket, Transport};
use crate::types::*;

/// How often a dump is read again, when the table changed while it was
/// read, before giving up.
const DUMP_RETRIES: usize = 16;

/// A change to the IPVS table, for [`Ipvs::apply`] and
/// [`Ipvs::apply_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Adds a service (`EEXIST` if there is one with its key).
    AddService(Service),
    /// Replaces every setting of a service (`ESRCH` if there is none).
    EditService(Service),
    /// Removes a service and its destinations.
    DeleteService(ServiceKey),
    /// Adds a destination to a service.
    AddDest(ServiceKey, Destination),
    /// Replaces every setting of a destination, the forwarding method
    /// included.
    EditDest(ServiceKey, Destination),
    /// Removes the destination at this address and port.
    DeleteDest(ServiceKey, IpAddr, u16),
    /// Removes every service.
    Flush,
    /// Zeroes the counters of one service, or of all.
    Zero(Option<ServiceKey>),
    /// Sets the connection timeouts (a 0 leaves that one unchanged).
    SetTimeouts(Timeouts),
    /// Starts a connection-sync daemon.
    StartDaemon(Daemon),
    /// Stops a connection-sync daemon.
    StopDaemon(Daemon),
}

/// A connection to the kernel's IPVS: one generic-netlink socket, in the
/// network namespace it was opened in.
///
/// Every call is a request (or a dump) on that socket and waits for the
/// kernel's answer; a handle is cheap to keep open. IPVS wants
/// `CAP_NET_ADMIN` for every request, reads included.
pub struct Ipvs {
    conn: Connection,
    family_id: u16,
}

type Msg = GenlMessage<IpvsMessage>;

impl Ipvs {
    /// Opens a netlink socket in the calling thread's network namespace
    /// and resolves the "IPVS" family. [`Error::NoIpvs`] if the kernel has
    /// none.
    pub fn connect() -> Result<Ipvs> {
        Ipvs::over(Box::new(NetlinkSocket::open()?))
    }

    /// Opens a handle on the IPVS table of another network namespace,
    /// named by its file (`/run/netns/NAME` for one `ip netns add` made,
    /// `/proc/PID/ns/net` for a process's). The calling thread stays
    /// where it is. Needs `CAP_SYS_ADMIN` (to enter the namespace).
    pub fn connect_in_netns(path: impl AsRef<Path>) -> Result<Ipvs> {
        let file = File::open(path)?;
        Ipvs::connect_in_netns_fd(file.as_fd())
    }

    /// Like [`Ipvs::connect_in_netns`], with the namespace as an open file
    /// descriptor.
    pub fn connect_in_netns_fd(netns: BorrowedFd<'_>) -> Result<Ipvs> {
        // A socket belongs to the namespace of the thread that creates it:
        // a short-lived thread enters the namespace and opens it there.
        let socket = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: setns on a valid, borrowed descriptor; it
                    // changes only this (scoped, about to end) thread.
                    if unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                        return Err(Error::Io(std::io::Error::last_os_error()));
                    }
                    NetlinkSocket::open()
                })
                .join()
                .unwrap_or_else(|_| Err(Error::Io(std::io::Error::other("netns thread failed"))))
        })?;
        Ipvs::over(Box::new(socket))
    }

    /// A handle over any transport (the tests' fake kernel).
    pub(crate) fn over(transport: Box<dyn Transport + Send>) -> Result<Ipvs> {
        let mut conn = Connection::new(transport);
        let family_id = resolve_family(&mut conn)?;
        Ok(Ipvs { conn, family_id })
    }

    fn message(&self, cmd: IpvsCmd, attrs: Vec<CmdAttr>) -> Msg {
        genl_message(self.family_id, cmd, attrs)
    }

    fn request(&mut self, cmd: IpvsCmd, attrs: Vec<CmdAttr>) -> Result<Vec<RawReply>> {
        let msg = self.message(cmd, attrs);
        self.conn.request(msg)
    }

    /// A dump collected into a vector: a consistent one.
    ///
    /// IPVS fills one datagram of a dump at a time, under its lock, and
    /// resumes the next from the position reached; it never flags a dump
    /// as interrupted. So a dump in one datagram is a snapshot, but in one
    /// that took several, an object added or removed in between shifts the
    /// positions and another is listed twice or not at all. Such a dump is
    /// read again until two readings list the same objects (by `key`) in
    /// the same order, none twice.
    fn dump<T, K: Eq + Hash>(
        &mut self,
        cmd: IpvsCmd,
        attrs: Vec<CmdAttr>,
        parse: impl Fn(&RawReply) -> Result<Option<T>>,
        key: impl Fn(&T) -> K,
    ) -> Result<Vec<T>> {
        let mut previous: Option<Vec<K>> = None;
        for _ in 0..DUMP_RETRIES {
            let mut items = Vec::new();
            let msg = self.message(cmd, attrs.clone());
            let datagrams = match self.conn.dump(msg, |reply| {
                items.extend(parse(&reply)?);
                Ok(())
            }) {
                Ok(datagrams) => datagrams,
                Err(Error::DumpInterrupted) => continue,
                Err(e) => return Err(e),
            };
            if datagrams <= 1 {
                return Ok(items);
            }
            let keys: Vec<K> = items.iter().map(&key).collect();
            if previous.as_ref() == Some(&keys) {
                return Ok(items);
            }
            let mut seen = HashSet::with_capacity(keys.len());
            previous = keys.iter().all(|k| seen.insert(k)).then_some(keys);
        }
        Err(Error::DumpInterrupted)
    }

    /// The IPVS version and connection table size.
    pub fn info(&mut self) -> Result<Info> {
        let replies = self.request(IpvsCmd::GetInfo, vec![])?;
        read_info(&replies)
    }

    /// Every virtual service, in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<Service>> {
        self.dump(
            IpvsCmd::GetService,
            vec![],
            |r| service::read(&r.attrs),
            |s| s.key,
        )
    }

    /// One virtual service; [`Error::is_no_such_service`] if there is none.
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service> {
        let replies = self.request(
            IpvsCmd::GetService,
            vec![CmdAttr::Service(service::key_attrs(key))],
        )?;
        for r in &replies {
            if let Some(svc) = service::read(&r.attrs)? {
                return Ok(svc);
            }
        }
        Err(Error::Malformed(
            "GET_SERVICE reply without a service".into(),
        ))
    }

    /// The destinations of one service, in the kernel's order. The kernel
    /// answers for a service it does not have with no destinations.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<Destination>> {
        let family = key.family();
        self.dump(
            IpvsCmd::GetDest,
            vec![CmdAttr::Service(service::key_attrs(key))],
            move |r| dest::read(&r.attrs, family),
            |d| (d.addr, d.port),
        )
    }

    /// The whole table: every service with its destinations, services in
    /// the kernel's order ([`Ipvs::services`], then
    /// [`Ipvs::with_destinations`] of each: a service another process
    /// deletes meanwhile is left out).
    pub fn table(&mut self) -> Result<Vec<VirtualService>> {
        let services = self.services()?;
        let mut table = Vec::with_capacity(services.len());
        for service in services {
            table.extend(self.with_destinations(service)?);
        }
        Ok(table)
    }

    /// A service of [`Ipvs::services`] with its destinations, or `None` if
    /// another process has deleted it since: a reading a moment later
    /// would leave it out, so this does, rather than fail or show it with
    /// no destinations. (The kernel answers a destination dump for a
    /// service it no longer has with an empty dump, so an empty answer is
    /// checked with a GET_SERVICE; `ESRCH`: gone.) For a table read one
    /// service at a time, in an order of the caller's, in constant memory.
    pub fn with_destinations(&mut self, service: Service) -> Result<Option<VirtualService>> {
        let gone = |e: &Error| e.is_no_such_service();
        let destinations = match self.destinations(&service.key) {
            Ok(dests) if !dests.is_empty() => dests,
            Ok(none) => match self.service(&service.key) {
                Ok(_) => none,
                Err(e) if gone(&e) => return Ok(None),
                Err(e) => return Err(e),
            },
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(VirtualService {
            service,
            destinations,
        }))
    }

    /// The TCP, TCP FIN and UDP connection timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts> {
        let replies = self.request(IpvsCmd::GetConfig, vec![])?;
        read_timeouts(&replies)
    }

    /// The running connection-sync daemons (master and/or backup).
    pub fn daemons(&mut self) -> Result<Vec<Daemon>> {
        self.dump(
            IpvsCmd::GetDaemon,
            vec![],
            |r| daemon::read(&r.attrs),
            |d| d.state,
        )
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &Change) -> Result<()> {
        let msg = change_message(self.family_id, change);
        self.conn.request(msg).map(|_| ())
    }

    /// Applies many changes pipelined on this socket, in order. Each
    /// change's outcome goes to `on_result(index, result)` as it is known;
    /// a refused change does not stop the ones after it. Messages are
    /// built as the window moves, never all at once: a 50,000-line restore
    /// stays small. An `Err` is the socket failing (then which changes
    /// were made is known only from the results reported).
    pub fn apply_all<'a>(
        &mut self,
        changes: impl IntoIterator<Item = &'a Change>,
        on_result: impl FnMut(usize, AckResult),
    ) -> Result<()> {
        let family_id = self.family_id;
        let messages = changes
            .into_iter()
            .map(move |c| change_message(family_id, c));
        self.conn.batch(messages, on_result)
    }
}

fn genl_message(family_id: u16, cmd: IpvsCmd, attrs: Vec<CmdAttr>) -> Msg {
    let mut msg = GenlMessage::from_payload(IpvsMessage::new(cmd, attrs, family_id));
    msg.finalize();
    msg
}

fn change_message(family_id: u16, change: &Change) -> Msg {
    let service_key = |k| vec![CmdAttr::Service(service::key_attrs(k))];
    let (cmd, attrs) = match change {
        Change::AddService(s) => (
            IpvsCmd::NewService,
            vec![CmdAttr::Service(service::attrs(s))],
        ),
        Change::EditService(s) => (
            IpvsCmd::SetService,
            vec![CmdAttr::Service(service::attrs(s))],
        ),
        Change::DeleteService(k) => (IpvsCmd::DelService, service_key(k)),
        Change::AddDest(k, d) => (IpvsCmd::NewDest, dest_request(k, dest::attrs(d))),
        Change::EditDest(k, d) => (IpvsCmd::SetDest, dest_request(k, dest::attrs(d))),
        Change::DeleteDest(k, addr, port) => (
            IpvsCmd::DelDest,
            dest_request(k, dest::key_attrs(addr, *port)),
        ),
        Change::Flush => (IpvsCmd::Flush, vec![]),
        Change::Zero(None) => (IpvsCmd::Zero, vec![]),
        Change::Zero(Some(k)) => (IpvsCmd::Zero, service_key(k)),
        Change::SetTimeouts(t) => (IpvsCmd::SetConfig, timeout_attrs(t)),
        Change::StartDaemon(d) => (IpvsCmd::NewDaemon, vec![CmdAttr::Daemon(daemon::attrs(d))]),
        Change::StopDaemon(d) => (IpvsCmd::DelDaemon, vec![CmdAttr::Daemon(daemon::attrs(d))]),
    };
    genl_message(family_id, cmd, attrs)
}

/// Asks the generic-netlink controller for the id of "IPVS".
fn resolve_family(conn: &mut Connection) -> Result<u16> {
    let mut msg = GenlMessage::from_payload(CtrlMessage::get_family(FAMILY_NAME));
    msg.finalize();
    let replies = match conn.request(msg) {
        Err(Error::Kernel(e)) if e.errno() == libc::ENOENT => return Err(Error::NoIpvs),
        other => other?,
    };
    read_family_id(&replies)?.ok_or(Error::NoIpvs)
}

#[cfg(test)]
mod tests;
