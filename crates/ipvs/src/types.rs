//! The IPVS objects as typed values: what the kernel stores, independent of
//! how it travels over netlink or how a tool prints it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address family of a service or destination (the kernel's `AF_*` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl Family {
    /// The kernel's `AF_INET`.
    pub const AF_INET: u16 = 2;
    /// The kernel's `AF_INET6`.
    pub const AF_INET6: u16 = 10;

    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }

    /// The kernel's `AF_*` number.
    pub fn af(self) -> u16 {
        match self {
            Family::Inet => Self::AF_INET,
            Family::Inet6 => Self::AF_INET6,
        }
    }

    /// The family of an `AF_*` number (`None` for one IPVS does not use).
    pub fn from_af(af: u16) -> Option<Family> {
        match af {
            Self::AF_INET => Some(Family::Inet),
            Self::AF_INET6 => Some(Family::Inet6),
            _ => None,
        }
    }

    /// The unspecified address of this family (used for fwmark services).
    pub fn unspecified(self) -> IpAddr {
        match self {
            Family::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }
}

/// Transport protocol of an address-based virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// SCTP (132).
    Sctp,
}

impl Protocol {
    /// IANA protocol number as the kernel stores it.
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    /// The protocol of an IANA number (`None` for one IPVS does not
    /// balance).
    pub fn from_number(n: u16) -> Option<Protocol> {
        match n {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The upper-case name ("TCP", "UDP", "SCTP").
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// What identifies a virtual service in the kernel's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKey {
    /// A service on a protocol, address and port.
    Addr {
        /// TCP, UDP or SCTP.
        protocol: Protocol,
        /// The virtual address.
        addr: IpAddr,
        /// The virtual port (0: every port, for a persistent service).
        port: u16,
    },
    /// A service for the packets netfilter marked with `mark`, of one
    /// address family.
    Fwmark {
        /// The firewall mark (not 0).
        mark: u32,
        /// The family of the packets it takes.
        family: Family,
    },
}

impl ServiceKey {
    /// The service's address family.
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(addr),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }

    /// Whether the service is a firewall-mark one.
    pub fn is_fwmark(&self) -> bool {
        matches!(self, ServiceKey::Fwmark { .. })
    }

    /// The service port (0 for fwmark services).
    pub fn port(&self) -> u16 {
        match self {
            ServiceKey::Addr { port, .. } => *port,
            ServiceKey::Fwmark { .. } => 0,
        }
    }
}

bitflags::bitflags! {
    /// Service flag bits (`IP_VS_SVC_F_*`), as the kernel stores them.
    ///
    /// Bits this crate does not name are kept as they are
    /// ([`from_bits_retain`](Self::from_bits_retain)) and shown in hex by
    /// `Debug`.
    ///
    /// ```
    /// use ipvs::ServiceFlags;
    /// let mut f = ServiceFlags::PERSISTENT;
    /// f.insert(ServiceFlags::SCHED1);
    /// assert!(f.contains(ServiceFlags::PERSISTENT));
    /// assert_eq!(f.bits(), 0x9);
    /// assert_eq!(format!("{f:?}"), "ServiceFlags(PERSISTENT | SCHED1)");
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ServiceFlags: u32 {
        /// Persistent service: a client sticks to its destination.
        const PERSISTENT = 0x0001;
        /// Set by the kernel on every service in its table.
        const HASHED = 0x0002;
        /// One-packet scheduling (UDP): each datagram scheduled on its own.
        const ONEPACKET = 0x0004;
        /// Scheduler flag 1 (sh and mh: fallback).
        const SCHED1 = 0x0008;
        /// Scheduler flag 2 (sh and mh: hash the port too).
        const SCHED2 = 0x0010;
        /// Scheduler flag 3.
        const SCHED3 = 0x0020;
        // The kernel may send bits this crate predates; keep them.
        const _ = !0;
    }
}

impl ServiceFlags {
    /// The three scheduler flags.
    pub const SCHED_MASK: ServiceFlags = Self::SCHED1.union(Self::SCHED2).union(Self::SCHED3);
    /// Every bit user space may set; HASHED is the kernel's own.
    pub const USER_MASK: ServiceFlags = Self::PERSISTENT
        .union(Self::ONEPACKET)
        .union(Self::SCHED_MASK);
}

/// Traffic counters and rate estimates. The kernel keeps 64-bit counters
/// (`IPVS_*_ATTR_STATS64`); older kernels send only the 32-bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in (client to server).
    pub inpkts: u64,
    /// Packets out (server to client; NAT only).
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out (NAT only).
    pub outbytes: u64,
    /// Connections per second (the kernel's 2-second estimate).
    pub cps: u64,
    /// Packets in per second.
    pub inpps: u64,
    /// Packets out per second.
    pub outpps: u64,
    /// Bytes in per second.
    pub inbps: u64,
    /// Bytes out per second.
    pub outbps: u64,
}

/// The persistence granularity of a service (`-M`): which client
/// addresses share a persistent destination.
///
/// The kernel keeps one 32-bit field whose meaning depends on the
/// service's family: an IPv4 mask (sent as a `__be32`) or an IPv6 prefix
/// length (sent as a host-order `u32`).
///
/// ```
/// use ipvs::{Family, PersistenceNetmask};
/// use std::net::Ipv4Addr;
/// let m = PersistenceNetmask::v4(Ipv4Addr::new(255, 255, 255, 0));
/// assert_eq!(m.raw(), 0xffff_ff00);
/// assert_eq!(PersistenceNetmask::from_raw(Family::Inet6, 64), PersistenceNetmask::V6Prefix(64));
/// assert!(PersistenceNetmask::full(Family::Inet).is_full());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersistenceNetmask {
    /// An IPv4 mask (e.g. 255.255.255.0), for IPv4 services.
    V4(Ipv4Addr),
    /// An IPv6 prefix length, for IPv6 services: 1..=128 from the tools;
    /// a value read back from the kernel is kept as it is.
    V6Prefix(u32),
}

impl PersistenceNetmask {
    /// An IPv4 mask.
    pub fn v4(mask: Ipv4Addr) -> PersistenceNetmask {
        PersistenceNetmask::V4(mask)
    }

    /// An IPv6 prefix length.
    pub fn v6_prefix(len: u8) -> PersistenceNetmask {
        PersistenceNetmask::V6Prefix(u32::from(len))
    }

    /// The whole-address netmask of a family (255.255.255.255 or /128):
    /// the kernel's default.
    pub fn full(family: Family) -> PersistenceNetmask {
        match family {
            Family::Inet => PersistenceNetmask::V4(Ipv4Addr::BROADCAST),
            Family::Inet6 => PersistenceNetmask::V6Prefix(128),
        }
    }

    /// The netmask of a family from the kernel's field in host order: an
    /// IPv4 mask for [`Family::Inet`], a prefix length for
    /// [`Family::Inet6`].
    pub fn from_raw(family: Family, raw: u32) -> PersistenceNetmask {
        match family {
            Family::Inet => PersistenceNetmask::V4(Ipv4Addr::from(raw)),
            Family::Inet6 => PersistenceNetmask::V6Prefix(raw),
        }
    }

    /// The kernel's field in host order: the IPv4 mask as a number, or
    /// the prefix length.
    pub fn raw(self) -> u32 {
        match self {
            PersistenceNetmask::V4(mask) => u32::from(mask),
            PersistenceNetmask::V6Prefix(len) => len,
        }
    }

    /// The family it is a netmask of.
    pub fn family(self) -> Family {
        match self {
            PersistenceNetmask::V4(_) => Family::Inet,
            PersistenceNetmask::V6Prefix(_) => Family::Inet6,
        }
    }

    /// Whether it is the whole-address netmask of its family.
    pub fn is_full(self) -> bool {
        self == PersistenceNetmask::full(self.family())
    }
}

/// A virtual service with its options (and, when read back, its counters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// What identifies it.
    pub key: ServiceKey,
    /// Scheduler name, at most 15 bytes (`IP_VS_SCHEDNAME_MAXLEN - 1`).
    pub scheduler: String,
    /// Flags (persistence, one-packet, the scheduler's).
    pub flags: ServiceFlags,
    /// Persistence timeout in seconds (meaningful with `PERSISTENT`).
    pub timeout: u32,
    /// Persistence netmask: an IPv4 mask for IPv4 services, a prefix
    /// length for IPv6 services. It travels as the key's family says.
    pub netmask: PersistenceNetmask,
    /// Persistence engine (e.g. "sip").
    pub pe_name: Option<String>,
    /// Counters (zero in a request).
    pub stats: Stats,
}

impl Service {
    /// A service with the kernel's usual settings: the wlc scheduler, no
    /// persistence, a whole-address netmask.
    pub fn new(key: ServiceKey) -> Service {
        let netmask = PersistenceNetmask::full(key.family());
        Service {
            key,
            scheduler: "wlc".to_string(),
            flags: ServiceFlags::default(),
            timeout: 0,
            netmask,
            pe_name: None,
            stats: Stats::default(),
        }
    }
}

/// How packets reach a real server (`IP_VS_CONN_F_FWD_MASK` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ForwardMethod {
    /// NAT (masquerading): the director rewrites the destination address.
    Masq,
    /// The director itself is the real server.
    Local,
    /// IP tunnelling: packets are encapsulated to the real server.
    Tunnel,
    /// Direct routing ("gatewaying"): the frame goes to the real server
    /// unchanged, on the same link.
    Route,
    /// Bypass (never configured by tools; listed if the kernel reports it).
    Bypass,
}

impl ForwardMethod {
    /// The kernel's `IP_VS_CONN_F_*` number.
    pub fn code(self) -> u32 {
        match self {
            ForwardMethod::Masq => 0,
            ForwardMethod::Local => 1,
            ForwardMethod::Tunnel => 2,
            ForwardMethod::Route => 3,
            ForwardMethod::Bypass => 4,
        }
    }

    /// The method of a forwarding code (its low three bits).
    pub fn from_code(code: u32) -> Option<ForwardMethod> {
        match code & 0x7 {
            0 => Some(ForwardMethod::Masq),
            1 => Some(ForwardMethod::Local),
            2 => Some(ForwardMethod::Tunnel),
            3 => Some(ForwardMethod::Route),
            4 => Some(ForwardMethod::Bypass),
            _ => None,
        }
    }
}

/// Encapsulation of a tunnelling destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TunnelType {
    /// IP in IP.
    #[default]
    Ipip,
    /// Generic UDP encapsulation (Linux 5.2).
    Gue,
    /// GRE (Linux 5.3).
    Gre,
}

impl TunnelType {
    /// The kernel's `IP_VS_CONN_F_TUNNEL_TYPE_*` number.
    pub fn code(self) -> u8 {
        match self {
            TunnelType::Ipip => 0,
            TunnelType::Gue => 1,
            TunnelType::Gre => 2,
        }
    }

    /// The type of a kernel number (`None` for one this crate predates).
    pub fn from_code(code: u8) -> Option<TunnelType> {
        match code {
            0 => Some(TunnelType::Ipip),
            1 => Some(TunnelType::Gue),
            2 => Some(TunnelType::Gre),
            _ => None,
        }
    }

    /// The lower-case name ("ipip", "gue", "gre").
    pub fn name(self) -> &'static str {
        match self {
            TunnelType::Ipip => "ipip",
            TunnelType::Gue => "gue",
            TunnelType::Gre => "gre",
        }
    }
}

bitflags::bitflags! {
    /// Tunnel checksum flag bits (`IP_VS_TUNNEL_ENCAP_FLAG_*`) of a GUE or
    /// GRE destination.
    ///
    /// The kernel's `IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM` is 0, so "no checksum"
    /// is not a flag but the empty set, [`TunnelFlags::empty`] (the
    /// default).
    ///
    /// ```
    /// use ipvs::TunnelFlags;
    /// assert_eq!(TunnelFlags::default(), TunnelFlags::empty());
    /// assert_eq!(TunnelFlags::REMCSUM.bits(), 2);
    /// assert_eq!(format!("{:?}", TunnelFlags::CSUM), "TunnelFlags(CSUM)");
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct TunnelFlags: u16 {
        /// A checksum in the encapsulation.
        const CSUM = 1 << 0;
        /// Remote checksum offload.
        const REMCSUM = 1 << 1;
        // The kernel may send bits this crate predates; keep them.
        const _ = !0;
    }
}

/// A real server of a virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The real server's address (of either family, for tunnels).
    pub addr: IpAddr,
    /// The real server's port.
    pub port: u16,
    /// How packets reach it.
    pub forward: ForwardMethod,
    /// 0..=65535 from the tools; the kernel stores an int.
    pub weight: i32,
    /// No new connections past this many (0: no limit).
    pub upper_threshold: u32,
    /// New connections again below this many.
    pub lower_threshold: u32,
    /// Encapsulation, for [`ForwardMethod::Tunnel`].
    pub tun_type: TunnelType,
    /// Destination port of a GUE tunnel.
    pub tun_port: u16,
    /// Checksum flags of a GUE or GRE tunnel.
    pub tun_flags: TunnelFlags,
    /// Active connections (read only).
    pub active_conns: u32,
    /// Inactive connections (read only).
    pub inactive_conns: u32,
    /// Persistence templates (read only).
    pub persist_conns: u32,
    /// Counters (read only).
    pub stats: Stats,
}

impl Destination {
    /// A destination with the usual settings: direct routing, weight 1,
    /// no thresholds.
    pub fn new(addr: IpAddr, port: u16) -> Destination {
        Destination {
            addr,
            port,
            forward: ForwardMethod::Route,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_flags: TunnelFlags::default(),
            active_conns: 0,
            inactive_conns: 0,
            persist_conns: 0,
            stats: Stats::default(),
        }
    }

    /// The family of its address.
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

/// A virtual service with its destinations: one entry of
/// [`Ipvs::table`](crate::Ipvs::table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualService {
    /// The service.
    pub service: Service,
    /// Its destinations, in the kernel's order.
    pub destinations: Vec<Destination>,
}

/// Connection timeouts in seconds; in a request, 0 means "leave
/// unchanged".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    /// Established TCP connections.
    pub tcp: u32,
    /// TCP connections after a FIN.
    pub tcp_fin: u32,
    /// UDP "connections".
    pub udp: u32,
}

/// What `GET_INFO` tells: the IPVS version and connection table size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Encoded as 0xMMmmpp (e.g. 0x010201 for 1.2.1).
    pub version: u32,
    /// Buckets of the connection hash table.
    pub conn_table_size: u32,
}

impl Info {
    /// The version as (major, minor, patch).
    pub fn version_triple(&self) -> (u32, u32, u32) {
        (
            (self.version >> 16) & 0xff,
            (self.version >> 8) & 0xff,
            self.version & 0xff,
        )
    }
}

/// Role of a connection-sync daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DaemonState {
    /// Sends the director's connections.
    Master,
    /// Receives another director's connections.
    Backup,
}

impl DaemonState {
    /// The kernel's `IP_VS_STATE_MASTER`.
    pub const MASTER: u32 = 1;
    /// The kernel's `IP_VS_STATE_BACKUP`.
    pub const BACKUP: u32 = 2;

    /// The kernel's number.
    pub fn code(self) -> u32 {
        match self {
            DaemonState::Master => Self::MASTER,
            DaemonState::Backup => Self::BACKUP,
        }
    }

    /// The role of a kernel number.
    pub fn from_code(code: u32) -> Option<DaemonState> {
        match code {
            Self::MASTER => Some(DaemonState::Master),
            Self::BACKUP => Some(DaemonState::Backup),
            _ => None,
        }
    }

    /// "master" or "backup".
    pub fn name(self) -> &'static str {
        match self {
            DaemonState::Master => "master",
            DaemonState::Backup => "backup",
        }
    }
}

/// A connection-sync daemon. Optional fields are those the kernel reports
/// (and the tools print) only when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    /// Master or backup.
    pub state: DaemonState,
    /// The interface it sends or listens on.
    pub mcast_ifn: String,
    /// The sync id (0 ..= 255) that pairs a master with its backups.
    pub syncid: u32,
    /// Largest sync message, in bytes.
    pub sync_maxlen: Option<u16>,
    /// Multicast group (IPv4 or IPv6).
    pub mcast_group: Option<IpAddr>,
    /// UDP port of the group.
    pub mcast_port: Option<u16>,
    /// TTL of the master's messages.
    pub mcast_ttl: Option<u8>,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
