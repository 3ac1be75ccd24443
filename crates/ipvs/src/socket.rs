//! A small synchronous generic-netlink request layer: single requests
//! with replies, dumps, and pipelined batches of acked requests (many
//! requests per `send`, acks read back in bulk), over a [`Transport`]: the
//! kernel's netlink socket, or in the tests a fake kernel.
//!
//! Every datagram is walked with [`datagram`], so a reply with bad lengths
//! is an [`Error::Malformed`], never an out-of-bounds read. Replies are
//! matched to their request by sequence number.

use std::fmt::Debug;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NetlinkSerializable, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_DUMP_INTR, NLM_F_REQUEST,
};
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};

use crate::error::{Error, KernelError, Result};
use crate::nl::read::{datagram, RawReply, Received};

/// Size of the receive buffer handed to `recv`. The kernel sizes dump
/// datagrams from the reader's buffer but never beyond 32 KiB plus headers;
/// anything larger is reported as truncated rather than silently cut.
/// Large dump datagrams matter: IPVS walks its service table from the
/// start for every datagram of a dump. (Measured in the lab: an 8 KiB
/// buffer, which spares the kernel its 32 KiB allocations for the small
/// destination dumps, lists 10,000 services no faster.)
pub(crate) const RECV_BUFFER: usize = 256 * 1024;

/// Socket receive buffer requested from the kernel. Acks of a pipelined
/// batch queue up here until read; a larger buffer lets more be in flight.
const SOCKET_RCVBUF: usize = 4 * 1024 * 1024;

/// How many acked requests are in flight at once, and how many bytes of
/// requests go into one `send`. Each ack costs under 1 KiB of receive
/// buffer (skb overhead), so 256 stay below even the default, unforced
/// buffer; a `send` larger than the socket's send buffer (208 KiB by
/// default) fails with EMSGSIZE, which 64 KiB keeps well clear of. In the
/// lab (a 50,000-line restore, see BENCHMARKS.md), windows of 16 to 1,024
/// requests take the same time, one at a time 14% more (median): past a
/// few dozen, the kernel's work per request is all that is left.
const WINDOW_REQUESTS: usize = 256;
const WINDOW_BYTES: usize = 64 * 1024;

/// No IPVS operation takes this long; a missing reply must not hang a
/// restore forever.
const RECV_TIMEOUT: Duration = Duration::from_secs(60);

/// Where requests go and replies come from: datagrams, as a netlink
/// socket carries them.
pub(crate) trait Transport {
    /// Sends one datagram; returns how many bytes went.
    fn send(&mut self, bytes: &[u8]) -> io::Result<usize>;
    /// Receives one datagram into `buf` (empty, with room for
    /// [`RECV_BUFFER`] bytes); returns its whole length, which is more
    /// than `buf` holds if it did not fit.
    fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<usize>;
}

/// The kernel's generic-netlink socket.
pub(crate) struct NetlinkSocket(Socket);

impl NetlinkSocket {
    /// A generic-netlink socket, connected to the kernel, in the calling
    /// thread's network namespace.
    pub(crate) fn open() -> Result<NetlinkSocket> {
        let mut socket = Socket::new(NETLINK_GENERIC)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        // Acks carry only the header of the request, not the whole request.
        socket.set_cap_ack(true)?;
        set_socket_options(&socket);
        Ok(NetlinkSocket(socket))
    }
}

impl Transport for NetlinkSocket {
    fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.send(bytes, 0)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.0.recv(buf, libc::MSG_TRUNC)
    }
}

/// Requests and their replies over one transport.
pub(crate) struct Connection {
    transport: Box<dyn Transport + Send>,
    next_seq: u32,
    rx: Vec<u8>,
}

/// The outcome of one request of a batch.
pub type AckResult = std::result::Result<(), KernelError>;

impl Connection {
    pub(crate) fn new(transport: Box<dyn Transport + Send>) -> Connection {
        Connection {
            transport,
            next_seq: 1,
            rx: Vec::with_capacity(RECV_BUFFER),
        }
    }

    fn take_seq(&mut self) -> u32 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        seq
    }

    /// Serializes `payload` as one netlink message appended to `out`.
    fn encode<M>(out: &mut Vec<u8>, payload: M, flags: u16, seq: u32)
    where
        M: NetlinkSerializable + Debug,
    {
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = seq;
        let mut msg = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(payload));
        msg.finalize();
        let start = out.len();
        out.resize(start + msg.buffer_len(), 0);
        msg.serialize(&mut out[start..]);
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let sent = self.transport.send(bytes)?;
        if sent != bytes.len() {
            return Err(Error::Io(std::io::Error::other(format!(
                "short netlink send: {sent} of {} bytes",
                bytes.len()
            ))));
        }
        Ok(())
    }

    /// Receives one datagram and hands each netlink message in it to `each`.
    fn recv_each(&mut self, mut each: impl FnMut(Received) -> Result<()>) -> Result<()> {
        self.rx.clear();
        let len = self.transport.recv(&mut self.rx)?;
        if len > self.rx.len() {
            return Err(Error::Malformed(format!(
                "datagram of {len} bytes exceeds the {RECV_BUFFER}-byte buffer"
            )));
        }
        let rx = std::mem::take(&mut self.rx);
        let result = datagram(&rx, &mut each);
        self.rx = rx;
        result
    }

    /// Sends one request and collects its replies up to the kernel's ack.
    pub(crate) fn request<Q>(&mut self, payload: Q) -> Result<Vec<RawReply>>
    where
        Q: NetlinkSerializable + Debug,
    {
        let seq = self.take_seq();
        let mut out = Vec::new();
        Self::encode(&mut out, payload, NLM_F_REQUEST | NLM_F_ACK, seq);
        self.send(&out)?;
        let mut replies = Vec::new();
        let mut acked = None;
        while acked.is_none() {
            self.recv_each(|msg| {
                if msg.header.sequence_number != seq {
                    return Ok(());
                }
                match msg.payload {
                    NetlinkPayload::InnerMessage(inner) => replies.push(inner.payload),
                    NetlinkPayload::Error(e) => acked = Some(errno_of(&e)),
                    _ => {}
                }
                Ok(())
            })?;
        }
        match acked {
            Some(0) | None => Ok(replies),
            Some(errno) => Err(Error::Kernel(KernelError::from_errno(errno))),
        }
    }

    /// Runs a dump, handing each reply to `each`; returns how many
    /// datagrams carried its replies (a dump made in one go fits in one;
    /// the closing NLMSG_DONE, which IPVS only produces when the reader
    /// asks for more after the first datagram, does not count). If the kernel
    /// flags the dump as interrupted by a concurrent change, the rest is
    /// still read (to leave the socket clean) and
    /// [`Error::DumpInterrupted`] returned.
    pub(crate) fn dump<Q>(
        &mut self,
        payload: Q,
        mut each: impl FnMut(RawReply) -> Result<()>,
    ) -> Result<usize>
    where
        Q: NetlinkSerializable + Debug,
    {
        let seq = self.take_seq();
        let mut out = Vec::new();
        Self::encode(&mut out, payload, NLM_F_REQUEST | NLM_F_DUMP, seq);
        self.send(&out)?;
        let mut done = false;
        let mut interrupted = false;
        let mut failure: Option<Error> = None;
        let mut datagrams = 0;
        while !done {
            let mut carried = false;
            self.recv_each(|msg| {
                if msg.header.sequence_number != seq {
                    return Ok(());
                }
                if msg.header.flags & NLM_F_DUMP_INTR != 0 {
                    interrupted = true;
                }
                match msg.payload {
                    NetlinkPayload::InnerMessage(inner) => {
                        carried = true;
                        if failure.is_none() {
                            if let Err(e) = each(inner.payload) {
                                failure = Some(e);
                            }
                        }
                    }
                    NetlinkPayload::Done(_) => done = true,
                    NetlinkPayload::Error(e) => {
                        done = true;
                        let errno = errno_of(&e);
                        if errno != 0 {
                            failure.get_or_insert(Error::Kernel(KernelError::from_errno(errno)));
                        }
                    }
                    _ => {}
                }
                Ok(())
            })?;
            datagrams += usize::from(carried);
        }
        match (failure, interrupted) {
            (Some(e), _) => Err(e),
            (None, true) => Err(Error::DumpInterrupted),
            (None, false) => Ok(datagrams),
        }
    }

    /// Sends acked requests pipelined: up to a window of them per `send`,
    /// then reads their acks. `on_ack(i, result)` is called once for the
    /// i-th request (0-based, in input order), as its ack arrives. A kernel
    /// error on one request does not stop the others (the kernel processes
    /// every message of a datagram).
    pub(crate) fn batch<Q, I>(
        &mut self,
        requests: I,
        mut on_ack: impl FnMut(usize, AckResult),
    ) -> Result<()>
    where
        Q: NetlinkSerializable + Debug,
        I: IntoIterator<Item = Q>,
    {
        let mut requests = requests.into_iter().peekable();
        let mut index = 0usize;
        let mut out = Vec::with_capacity(WINDOW_BYTES + 4096);
        while requests.peek().is_some() {
            out.clear();
            let first_seq = self.next_seq;
            let mut in_flight = 0usize;
            while in_flight < WINDOW_REQUESTS && out.len() < WINDOW_BYTES {
                let Some(request) = requests.next() else {
                    break;
                };
                let seq = self.take_seq();
                Self::encode(&mut out, request, NLM_F_REQUEST | NLM_F_ACK, seq);
                in_flight += 1;
            }
            self.send(&out)?;
            self.collect_acks(first_seq, in_flight, index, &mut on_ack)?;
            index += in_flight;
        }
        Ok(())
    }

    /// Reads acks for the `count` requests numbered from `first_seq`.
    fn collect_acks(
        &mut self,
        first_seq: u32,
        count: usize,
        base_index: usize,
        on_ack: &mut impl FnMut(usize, AckResult),
    ) -> Result<()> {
        let mut pending = vec![true; count];
        let mut remaining = count;
        while remaining > 0 {
            self.recv_each(|msg| {
                let NetlinkPayload::Error(e) = msg.payload else {
                    return Ok(());
                };
                let offset = msg.header.sequence_number.wrapping_sub(first_seq) as usize;
                if let Some(slot) = pending.get_mut(offset).filter(|p| **p) {
                    *slot = false;
                    remaining -= 1;
                    let errno = errno_of(&e);
                    on_ack(
                        base_index + offset,
                        if errno == 0 {
                            Ok(())
                        } else {
                            Err(KernelError::from_errno(errno))
                        },
                    );
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// The positive errno of an NLMSG_ERROR (0 for an ack).
fn errno_of(e: &netlink_packet_core::ErrorMessage) -> i32 {
    e.code.map_or(0, |code| code.get().saturating_abs())
}

/// Best-effort socket tuning: a large receive buffer (forced when we have
/// CAP_NET_ADMIN, which every IPVS operation needs anyway) and a receive
/// timeout. Failing either only makes batches smaller or waits longer.
fn set_socket_options(socket: &Socket) {
    let fd = socket.as_raw_fd();
    let size = SOCKET_RCVBUF as libc::c_int;
    let timeout = libc::timeval {
        tv_sec: RECV_TIMEOUT.as_secs() as libc::time_t,
        tv_usec: 0,
    };
    // SAFETY: plain setsockopt calls on a valid fd with pointers to live
    // values of the sizes passed.
    unsafe {
        let size_ptr = (&size as *const libc::c_int).cast();
        let int_len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        if libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            size_ptr,
            int_len,
        ) != 0
        {
            libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, size_ptr, int_len);
        }
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}
