//! A fake kernel: an IPVS table in memory behind a fake netlink socket,
//! answering the client's requests with the bytes the kernel would send
//! (the same attributes, dumps resumed by position across datagrams, acks
//! with the kernel's errnos). It lets the client's dump-consistency,
//! deleted-mid-read and batching logic run without a kernel.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use netlink_packet_core::{Emitable, Nla};

use crate::client::Ipvs;
use crate::ctrl::{CtrlAttr, GENL_ID_CTRL};
use crate::error::Result;
use crate::nl::message::{info_attrs, timeout_attrs, CmdAttr, IpvsCmd};
use crate::nl::read::{datagram_requests, RawRequest};
use crate::nl::{daemon, dest, service};
use crate::socket::{Transport, RECV_BUFFER};
use crate::types::*;

/// The family id the fake kernel gives "IPVS".
const FAKE_FAMILY_ID: u16 = 0x1d;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 2;

/// A request as the fake kernel is about to answer it, for
/// [`FakeKernel::before_each_datagram`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FakeRequest {
    /// The service dump.
    ListServices,
    /// The destination dump of this service.
    ListDestinations(ServiceKey),
    /// Any other request, by its `IPVS_CMD_*` number.
    Other(u8),
}

type Hook = Box<dyn FnMut(&mut Vec<VirtualService>, &FakeRequest, usize) + Send>;

/// A dump being answered: what, and how many objects went already.
struct Dump {
    seq: u32,
    request: FakeRequest,
    sent: usize,
    datagrams: usize,
}

struct State {
    table: Vec<VirtualService>,
    timeouts: Timeouts,
    daemons: Vec<Daemon>,
    per_datagram: usize,
    hook: Option<Hook>,
    outbox: VecDeque<Vec<u8>>,
    dump: Option<Dump>,
}

/// An in-memory IPVS table the client can be connected to.
///
/// ```
/// use ipvs::testing::FakeKernel;
/// use ipvs::{Change, Protocol, Service, ServiceKey};
///
/// let kernel = FakeKernel::new();
/// let mut ipvs = kernel.connect()?;
/// let key = ServiceKey::Addr {
///     protocol: Protocol::Tcp,
///     addr: "192.0.2.1".parse().unwrap(),
///     port: 80,
/// };
/// ipvs.apply(&Change::AddService(Service::new(key)))?;
/// assert_eq!(ipvs.table()?.len(), 1);
/// assert!(ipvs.apply(&Change::AddService(Service::new(key))).unwrap_err().is_already_exists());
/// # Ok::<(), ipvs::Error>(())
/// ```
#[derive(Clone)]
pub struct FakeKernel {
    state: Arc<Mutex<State>>,
}

impl Default for FakeKernel {
    fn default() -> Self {
        FakeKernel::new()
    }
}

impl FakeKernel {
    /// An empty table; every dump fits in one datagram.
    pub fn new() -> FakeKernel {
        FakeKernel {
            state: Arc::new(Mutex::new(State {
                table: Vec::new(),
                timeouts: Timeouts {
                    tcp: 900,
                    tcp_fin: 120,
                    udp: 300,
                },
                daemons: Vec::new(),
                per_datagram: usize::MAX,
                hook: None,
                outbox: VecDeque::new(),
                dump: None,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked in a hook has failed already.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the table.
    pub fn set_table(&self, table: Vec<VirtualService>) {
        self.state().table = table;
    }

    /// The table as it is now.
    pub fn table(&self) -> Vec<VirtualService> {
        self.state().table.clone()
    }

    /// Puts at most `n` objects (at least 1) in each datagram of a dump,
    /// as the kernel does when they do not fit in one.
    pub fn set_per_datagram(&self, n: usize) {
        self.state().per_datagram = n.max(1);
    }

    /// Calls `hook` with the table before each datagram the fake kernel
    /// fills: the answer to a request (`0`), and each further part of a
    /// dump (`1`, `2`, ...). What it changes, the answer shows: another
    /// process changing the table meanwhile.
    pub fn before_each_datagram(
        &self,
        hook: impl FnMut(&mut Vec<VirtualService>, &FakeRequest, usize) + Send + 'static,
    ) {
        self.state().hook = Some(Box::new(hook));
    }

    /// A client connected to this table.
    pub fn connect(&self) -> Result<Ipvs> {
        Ipvs::over(Box::new(self.clone()))
    }
}

impl Transport for FakeKernel {
    fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let requests = datagram_requests(bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        let mut state = self.state();
        for request in requests {
            state.answer(&request);
        }
        Ok(bytes.len())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut state = self.state();
        if state.outbox.is_empty() {
            state.continue_dump();
        }
        let datagram = state.outbox.pop_front().ok_or_else(|| {
            io::Error::new(io::ErrorKind::TimedOut, "the fake kernel has nothing")
        })?;
        let stored = datagram.len().min(RECV_BUFFER);
        buf.extend_from_slice(&datagram[..stored]);
        Ok(datagram.len())
    }
}

/// One netlink message, 4-byte aligned.
fn nlmsg(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = 16 + payload.len();
    let mut out = Vec::with_capacity((len + 3) & !3);
    out.extend_from_slice(&(len as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize((len + 3) & !3, 0);
    out
}

/// A generic-netlink message of `family` with these attributes.
fn genl(family: u16, cmd: u8, flags: u16, seq: u32, attrs: &[impl Nla]) -> Vec<u8> {
    let mut payload = vec![cmd, 1, 0, 0];
    let start = payload.len();
    payload.resize(start + attrs.buffer_len(), 0);
    attrs.emit(&mut payload[start..]);
    nlmsg(family, flags, seq, &payload)
}

fn ack(request: &RawRequest, errno: i32) -> Vec<u8> {
    let mut payload = (-errno).to_ne_bytes().to_vec();
    // With NETLINK_CAP_ACK the request's header only.
    payload.extend_from_slice(&request.header);
    nlmsg(NLMSG_ERROR, 0, request.seq, &payload)
}

impl State {
    fn answer(&mut self, request: &RawRequest) {
        if request.family == GENL_ID_CTRL {
            let reply = genl(
                GENL_ID_CTRL,
                1,
                0,
                request.seq,
                &[CtrlAttr::FamilyId(FAKE_FAMILY_ID)],
            );
            self.outbox.push_back(reply);
            self.outbox.push_back(ack(request, 0));
            return;
        }
        let fake = fake_request(request);
        if let Some(hook) = self.hook.as_mut() {
            hook(&mut self.table, &fake, 0);
        }
        if request.is_dump() {
            self.dump = Some(Dump {
                seq: request.seq,
                request: fake,
                sent: 0,
                datagrams: 0,
            });
            self.continue_dump();
            return;
        }
        let errno = match self.reply(request) {
            Ok(Some(reply)) => {
                self.outbox.push_back(reply);
                0
            }
            Ok(None) => 0,
            Err(errno) => errno,
        };
        self.outbox.push_back(ack(request, errno));
    }

    /// The next datagram of the dump under way, or its end.
    fn continue_dump(&mut self) {
        let Some(mut dump) = self.dump.take() else {
            return;
        };
        if dump.datagrams > 0 {
            if let Some(hook) = self.hook.as_mut() {
                hook(&mut self.table, &dump.request, dump.datagrams);
            }
        }
        dump.datagrams += 1;
        let objects = self.dump_objects(&dump.request);
        let part: Vec<_> = objects
            .into_iter()
            .skip(dump.sent)
            .take(self.per_datagram)
            .collect();
        if part.is_empty() {
            self.outbox.push_back(nlmsg(
                NLMSG_DONE,
                NLM_F_MULTI,
                dump.seq,
                &0i32.to_ne_bytes(),
            ));
            return;
        }
        dump.sent += part.len();
        let mut datagram = Vec::new();
        for (cmd, attrs) in part {
            datagram.extend(genl(
                FAKE_FAMILY_ID,
                cmd as u8,
                NLM_F_MULTI,
                dump.seq,
                &attrs,
            ));
        }
        self.outbox.push_back(datagram);
        self.dump = Some(dump);
    }

    /// Every object a dump lists, as the replies' attributes.
    fn dump_objects(&self, request: &FakeRequest) -> Vec<(IpvsCmd, Vec<CmdAttr>)> {
        match request {
            FakeRequest::ListServices => self
                .table
                .iter()
                .map(|e| (IpvsCmd::NewService, service_reply(&e.service)))
                .collect(),
            // The kernel answers for a service it does not have with an
            // empty dump (ip_vs_genl_dump_dests), not an error.
            FakeRequest::ListDestinations(key) => self
                .find(key)
                .map(|i| &self.table[i].destinations[..])
                .unwrap_or_default()
                .iter()
                .map(|d| {
                    let attrs = vec![CmdAttr::Dest(dest::reply_attrs(d))];
                    (IpvsCmd::NewDest, attrs)
                })
                .collect(),
            FakeRequest::Other(c) if *c == IpvsCmd::GetDaemon as u8 => self
                .daemons
                .iter()
                .map(|d| (IpvsCmd::NewDaemon, vec![CmdAttr::Daemon(daemon::attrs(d))]))
                .collect(),
            FakeRequest::Other(_) => Vec::new(),
        }
    }

    fn find(&self, key: &ServiceKey) -> Option<usize> {
        self.table.iter().position(|e| e.service.key == *key)
    }

    /// Carries out a request that is not a dump: its reply, if it has one,
    /// or the errno the kernel would refuse it with.
    fn reply(&mut self, request: &RawRequest) -> std::result::Result<Option<Vec<u8>>, i32> {
        let svc = || {
            service::read(&request.attrs)
                .ok()
                .flatten()
                .ok_or(libc::EINVAL)
        };
        let seq = request.seq;
        match request.cmd {
            c if c == IpvsCmd::GetInfo as u8 => {
                let info = Info {
                    version: 0x010201,
                    conn_table_size: 4096,
                };
                let attrs = info_attrs(&info);
                Ok(Some(genl(
                    FAKE_FAMILY_ID,
                    IpvsCmd::SetInfo as u8,
                    0,
                    seq,
                    &attrs,
                )))
            }
            c if c == IpvsCmd::GetConfig as u8 => {
                let attrs = timeout_attrs(&self.timeouts);
                Ok(Some(genl(
                    FAKE_FAMILY_ID,
                    IpvsCmd::SetConfig as u8,
                    0,
                    seq,
                    &attrs,
                )))
            }
            c if c == IpvsCmd::GetService as u8 => {
                let i = self.find(&svc()?.key).ok_or(libc::ESRCH)?;
                let attrs = service_reply(&self.table[i].service);
                Ok(Some(genl(
                    FAKE_FAMILY_ID,
                    IpvsCmd::NewService as u8,
                    0,
                    seq,
                    &attrs,
                )))
            }
            _ => self.change(request).map(|()| None),
        }
    }

    fn change(&mut self, request: &RawRequest) -> std::result::Result<(), i32> {
        let svc = service::read(&request.attrs).ok().flatten();
        let svc = || svc.clone().ok_or(libc::EINVAL);
        let family = || svc().map(|s| s.key.family());
        let destination = || {
            dest::read(&request.attrs, family()?)
                .ok()
                .flatten()
                .ok_or(libc::EINVAL)
        };
        let found = |state: &State| svc().and_then(|s| state.find(&s.key).ok_or(libc::ESRCH));
        match request.cmd {
            c if c == IpvsCmd::NewService as u8 => {
                let service = svc()?;
                if self.find(&service.key).is_some() {
                    return Err(libc::EEXIST);
                }
                self.table.push(VirtualService {
                    service,
                    destinations: Vec::new(),
                });
            }
            c if c == IpvsCmd::SetService as u8 => {
                let i = found(self)?;
                self.table[i].service = svc()?;
            }
            c if c == IpvsCmd::DelService as u8 => {
                let i = found(self)?;
                self.table.remove(i);
            }
            c if c == IpvsCmd::NewDest as u8
                || c == IpvsCmd::SetDest as u8
                || c == IpvsCmd::DelDest as u8 =>
            {
                let i = found(self)?;
                let d = destination()?;
                let dests = &mut self.table[i].destinations;
                let at = dests
                    .iter()
                    .position(|x| (x.addr, x.port) == (d.addr, d.port));
                match (c == IpvsCmd::NewDest as u8, at) {
                    (true, Some(_)) => return Err(libc::EEXIST),
                    (true, None) => dests.push(d),
                    (false, None) => return Err(libc::ENOENT),
                    (false, Some(at)) if c == IpvsCmd::SetDest as u8 => dests[at] = d,
                    (false, Some(at)) => {
                        dests.remove(at);
                    }
                }
            }
            c if c == IpvsCmd::Flush as u8 => self.table.clear(),
            c if c == IpvsCmd::NewDaemon as u8 || c == IpvsCmd::DelDaemon as u8 => {
                let d = daemon::read(&request.attrs)
                    .ok()
                    .flatten()
                    .ok_or(libc::EINVAL)?;
                let at = self.daemons.iter().position(|x| x.state == d.state);
                match (c == IpvsCmd::NewDaemon as u8, at) {
                    (true, Some(_)) => return Err(libc::EEXIST),
                    (true, None) => self.daemons.push(d),
                    (false, None) => return Err(libc::ESRCH),
                    (false, Some(at)) => {
                        self.daemons.remove(at);
                    }
                }
            }
            c if c == IpvsCmd::SetConfig as u8 => {
                let t = crate::nl::message::read_timeouts(&[crate::nl::read::RawReply {
                    cmd: c,
                    attrs: request.attrs.clone(),
                }])
                .map_err(|_| libc::EINVAL)?;
                for (slot, new) in [
                    (&mut self.timeouts.tcp, t.tcp),
                    (&mut self.timeouts.tcp_fin, t.tcp_fin),
                    (&mut self.timeouts.udp, t.udp),
                ] {
                    if new != 0 {
                        *slot = new;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn service_reply(svc: &Service) -> Vec<CmdAttr> {
    vec![CmdAttr::Service(service::reply_attrs(svc))]
}

fn fake_request(request: &RawRequest) -> FakeRequest {
    let key = || service::read(&request.attrs).ok().flatten().map(|s| s.key);
    match (request.cmd, request.is_dump()) {
        (c, true) if c == IpvsCmd::GetService as u8 => FakeRequest::ListServices,
        (c, true) if c == IpvsCmd::GetDest as u8 => match key() {
            Some(key) => FakeRequest::ListDestinations(key),
            None => FakeRequest::Other(c),
        },
        (c, _) => FakeRequest::Other(c),
    }
}
