//! The IPVS client: one socket, the family resolved once, typed calls.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;
use std::net::IpAddr;

use netlink_packet_core::ParseableParametrized;
use netlink_packet_generic::{GenlHeader, GenlMessage};

use crate::attr::CmdAttr;
use crate::convert::*;
use crate::ctrl::CtrlMessage;
use crate::decode;
use crate::error::{Error, Result};
use crate::message::{Cmd, IpvsMessage, FAMILY_NAME};
use crate::reply::{self, RawReply};
use crate::socket::{AckResult, Connection};
use crate::types::*;

/// How often a dump is read again, when the table changed while it was
/// read, before giving up.
const DUMP_RETRIES: usize = 16;

/// A change to the IPVS table, for [`Ipvs::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddService(Service),
    EditService(Service),
    DeleteService(ServiceKey),
    AddDest(ServiceKey, Destination),
    EditDest(ServiceKey, Destination),
    DeleteDest(ServiceKey, IpAddr, u16),
    Flush,
    Zero(Option<ServiceKey>),
    SetTimeouts(Timeouts),
    StartDaemon(Daemon),
    StopDaemon(Daemon),
}

/// A connection to the kernel's IPVS.
pub struct Ipvs {
    conn: Connection,
    family_id: u16,
}

type Msg = GenlMessage<IpvsMessage>;

/// What a reply can be read as: the attribute tree ([`IpvsMessage`]) or
/// the bytes ([`RawReply`]), which [`reply`] reads much faster.
trait Reply: ParseableParametrized<[u8], GenlHeader> + Debug {}
impl<R: ParseableParametrized<[u8], GenlHeader> + Debug> Reply for R {}

impl Ipvs {
    /// Opens a netlink socket and resolves the "IPVS" family.
    /// [`Error::NoIpvs`] if the kernel has none.
    pub fn connect() -> Result<Ipvs> {
        let mut conn = Connection::open()?;
        let family_id = resolve_family(&mut conn)?;
        Ok(Ipvs { conn, family_id })
    }

    fn message(&self, cmd: Cmd, attrs: Vec<CmdAttr>) -> Msg {
        genl_message(self.family_id, cmd, attrs)
    }

    /// One request; its replies parsed as `R` (the attribute tree, or
    /// [`RawReply`] for the readers of [`reply`]).
    fn request<R: Reply>(&mut self, cmd: Cmd, attrs: Vec<CmdAttr>) -> Result<Vec<R>> {
        let msg = self.message(cmd, attrs);
        let replies: Vec<GenlMessage<R>> = self.conn.request(msg)?;
        Ok(replies.into_iter().map(|m| m.payload).collect())
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
    fn dump<R: Reply, T, K: Eq + Hash>(
        &mut self,
        cmd: Cmd,
        attrs: Vec<CmdAttr>,
        parse: impl Fn(&R) -> Result<Option<T>>,
        key: impl Fn(&T) -> K,
    ) -> Result<Vec<T>> {
        let mut previous: Option<Vec<K>> = None;
        for _ in 0..DUMP_RETRIES {
            let mut items = Vec::new();
            let msg = self.message(cmd, attrs.clone());
            let datagrams = match self.conn.dump(msg, |reply: GenlMessage<R>| {
                items.extend(parse(&reply.payload)?);
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

    /// IPVS version and connection table size.
    pub fn info(&mut self) -> Result<Info> {
        let replies = self.request(Cmd::GetInfo, vec![])?;
        decode::info(&replies)
    }

    /// Every virtual service, in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<Service>> {
        self.dump(
            Cmd::GetService,
            vec![],
            |r: &RawReply| reply::service(&r.attrs),
            |s| s.key,
        )
    }

    /// One virtual service (`Error::Kernel(ESRCH)` if there is none).
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service> {
        let replies: Vec<RawReply> = self.request(
            Cmd::GetService,
            vec![CmdAttr::Service(service_key_attrs(key))],
        )?;
        for r in &replies {
            if let Some(svc) = reply::service(&r.attrs)? {
                return Ok(svc);
            }
        }
        Err(Error::Malformed(
            "GET_SERVICE reply without a service".into(),
        ))
    }

    /// The destinations of one service, in the kernel's order.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<Destination>> {
        let family = key.family();
        self.dump(
            Cmd::GetDest,
            vec![CmdAttr::Service(service_key_attrs(key))],
            move |r: &RawReply| reply::destination(&r.attrs, family),
            |d| (d.addr, d.port),
        )
    }

    /// TCP, TCP FIN and UDP timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts> {
        let replies = self.request(Cmd::GetConfig, vec![])?;
        Ok(decode::timeouts(&replies))
    }

    /// The running sync daemons (master and/or backup).
    pub fn daemons(&mut self) -> Result<Vec<Daemon>> {
        self.dump(Cmd::GetDaemon, vec![], decode::daemon, |d| d.state)
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &Change) -> Result<()> {
        let msg = change_message(self.family_id, change);
        self.conn.request::<_, Msg>(msg).map(|_| ())
    }

    /// Applies many changes pipelined on this socket, in order. Each
    /// change's outcome goes to `on_result(index, result)` as it is known;
    /// a refused change does not stop the ones after it. Messages are
    /// built as the window moves, never all at once: a 50,000-line restore
    /// stays small.
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

fn genl_message(family_id: u16, cmd: Cmd, attrs: Vec<CmdAttr>) -> Msg {
    let mut msg = GenlMessage::from_payload(IpvsMessage::new(cmd, attrs, family_id));
    msg.finalize();
    msg
}

fn change_message(family_id: u16, change: &Change) -> Msg {
    let (cmd, attrs) = match change {
        Change::AddService(s) => (Cmd::NewService, vec![CmdAttr::Service(service_attrs(s))]),
        Change::EditService(s) => (Cmd::SetService, vec![CmdAttr::Service(service_attrs(s))]),
        Change::DeleteService(k) => (
            Cmd::DelService,
            vec![CmdAttr::Service(service_key_attrs(k))],
        ),
        Change::AddDest(k, d) => (Cmd::NewDest, dest_request(k, dest_attrs(d))),
        Change::EditDest(k, d) => (Cmd::SetDest, dest_request(k, dest_attrs(d))),
        Change::DeleteDest(k, addr, port) => {
            (Cmd::DelDest, dest_request(k, dest_key_attrs(addr, *port)))
        }
        Change::Flush => (Cmd::Flush, vec![]),
        Change::Zero(None) => (Cmd::Zero, vec![]),
        Change::Zero(Some(k)) => (Cmd::Zero, vec![CmdAttr::Service(service_key_attrs(k))]),
        Change::SetTimeouts(t) => (
            Cmd::SetConfig,
            vec![
                CmdAttr::TimeoutTcp(t.tcp),
                CmdAttr::TimeoutTcpFin(t.tcp_fin),
                CmdAttr::TimeoutUdp(t.udp),
            ],
        ),
        Change::StartDaemon(d) => (Cmd::NewDaemon, vec![CmdAttr::Daemon(daemon_attrs(d))]),
        Change::StopDaemon(d) => (Cmd::DelDaemon, vec![CmdAttr::Daemon(daemon_attrs(d))]),
    };
    genl_message(family_id, cmd, attrs)
}

/// Asks the generic-netlink controller for the id of "IPVS".
fn resolve_family(conn: &mut Connection) -> Result<u16> {
    let mut msg = GenlMessage::from_payload(CtrlMessage::get_family(FAMILY_NAME));
    msg.finalize();
    let replies: Vec<GenlMessage<CtrlMessage>> = match conn.request(msg) {
        Err(Error::Kernel(libc::ENOENT)) => return Err(Error::NoIpvs),
        other => other?,
    };
    let replies: Vec<CtrlMessage> = replies.into_iter().map(|r| r.payload).collect();
    decode::family_id(&replies).ok_or(Error::NoIpvs)
}
