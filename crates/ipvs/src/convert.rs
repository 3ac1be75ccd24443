//! Conversions between the typed objects and their attribute lists.
//!
//! Requests carry what libipvs sends (so the kernel sees the same thing
//! from both tools); replies are read leniently about attributes the
//! kernel may omit but strictly about values that make no sense.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::attr::{CmdAttr, DaemonAttr, DestAttr, StatsAttr, SvcAttr, INET_ADDR_LEN};
use crate::error::{Error, Result};
use crate::types::*;

fn addr_bytes(addr: &IpAddr) -> [u8; INET_ADDR_LEN] {
    let mut out = [0u8; INET_ADDR_LEN];
    match addr {
        IpAddr::V4(v4) => out[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.copy_from_slice(&v6.octets()),
    }
    out
}

pub(crate) fn addr_from_bytes(family: Family, bytes: &[u8; INET_ADDR_LEN]) -> IpAddr {
    match family {
        Family::Inet => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        Family::Inet6 => IpAddr::V6(Ipv6Addr::from(*bytes)),
    }
}

pub(crate) fn malformed(what: &str) -> Error {
    Error::Malformed(what.to_string())
}

/// The kernel keeps an IPVS IPv4 persistence mask as a `__be32` and sends
/// it as the raw attribute; an IPv6 one is a prefix length in host order.
fn netmask_to_wire(family: Family, netmask: u32) -> u32 {
    match family {
        Family::Inet => u32::from_ne_bytes(netmask.to_be_bytes()),
        Family::Inet6 => netmask,
    }
}

pub(crate) fn netmask_from_wire(family: Family, wire: u32) -> u32 {
    match family {
        Family::Inet => u32::from_be_bytes(wire.to_ne_bytes()),
        Family::Inet6 => wire,
    }
}

/// The attributes naming a service: enough for delete, get, zero and as
/// the service of a destination request.
pub fn service_key_attrs(key: &ServiceKey) -> Vec<SvcAttr> {
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => vec![
            SvcAttr::Af(Family::of(addr).af()),
            SvcAttr::Protocol(protocol.number()),
            SvcAttr::Addr(addr_bytes(addr)),
            SvcAttr::Port(*port),
        ],
        ServiceKey::Fwmark { mark, family } => {
            vec![SvcAttr::Af(family.af()), SvcAttr::Fwmark(*mark)]
        }
    }
}

/// Every attribute of a service, as for NEW_SERVICE and SET_SERVICE.
pub fn service_attrs(svc: &Service) -> Vec<SvcAttr> {
    let mut attrs = service_key_attrs(&svc.key);
    attrs.push(SvcAttr::SchedName(svc.scheduler.clone()));
    if let Some(pe) = &svc.pe_name {
        attrs.push(SvcAttr::PeName(pe.clone()));
    }
    attrs.extend([
        // The whole flag word is sent, as libipvs does: -E replaces it.
        SvcAttr::Flags {
            flags: svc.flags.0,
            mask: u32::MAX,
        },
        SvcAttr::Timeout(svc.timeout),
        SvcAttr::Netmask(netmask_to_wire(svc.key.family(), svc.netmask)),
    ]);
    attrs
}

pub fn dest_attrs(dest: &Destination) -> Vec<DestAttr> {
    vec![
        DestAttr::AddrFamily(dest.family().af()),
        DestAttr::Addr(addr_bytes(&dest.addr)),
        DestAttr::Port(dest.port),
        DestAttr::FwdMethod(dest.forward.code()),
        DestAttr::Weight(dest.weight as u32),
        DestAttr::TunType(dest.tun_type.code()),
        DestAttr::TunPort(dest.tun_port),
        DestAttr::TunFlags(dest.tun_flags.0),
        DestAttr::UThresh(dest.upper_threshold),
        DestAttr::LThresh(dest.lower_threshold),
    ]
}

/// The attributes naming a destination, for DEL_DEST.
pub fn dest_key_attrs(addr: &IpAddr, port: u16) -> Vec<DestAttr> {
    vec![
        DestAttr::AddrFamily(Family::of(addr).af()),
        DestAttr::Addr(addr_bytes(addr)),
        DestAttr::Port(port),
    ]
}

pub fn daemon_attrs(daemon: &Daemon) -> Vec<DaemonAttr> {
    let mut attrs = vec![
        DaemonAttr::State(daemon.state.code()),
        DaemonAttr::McastIfn(daemon.mcast_ifn.clone()),
        DaemonAttr::SyncId(daemon.syncid),
    ];
    attrs.extend(daemon.sync_maxlen.map(DaemonAttr::SyncMaxlen));
    attrs.extend(daemon.mcast_port.map(DaemonAttr::McastPort));
    attrs.extend(daemon.mcast_ttl.map(DaemonAttr::McastTtl));
    match daemon.mcast_group {
        Some(IpAddr::V4(g)) => attrs.push(DaemonAttr::McastGroup(g.octets())),
        Some(IpAddr::V6(g)) => attrs.push(DaemonAttr::McastGroup6(g.octets())),
        None => {}
    }
    attrs
}

/// Reads a stats nest. Counters absent from the nest stay 0.
fn stats_from(attrs: &[StatsAttr]) -> Stats {
    let mut stats = Stats::default();
    for attr in attrs {
        if let StatsAttr::Counter { kind, value } = attr {
            *stats_slot(&mut stats, *kind) = *value;
        }
    }
    stats
}

/// The field of counter `kind` (`IPVS_STATS_ATTR_*`, 1 ..= 10; anything
/// above is the last one, as the parsers only hand out 1 ..= 10).
pub(crate) fn stats_slot(stats: &mut Stats, kind: u16) -> &mut u64 {
    match kind {
        1 => &mut stats.conns,
        2 => &mut stats.inpkts,
        3 => &mut stats.outpkts,
        4 => &mut stats.inbytes,
        5 => &mut stats.outbytes,
        6 => &mut stats.cps,
        7 => &mut stats.inpps,
        8 => &mut stats.outpps,
        9 => &mut stats.inbps,
        _ => &mut stats.outbps,
    }
}

/// Finds the nest of a reply's top-level attributes.
pub fn find_nest<'a, T>(
    attrs: &'a [CmdAttr],
    pick: impl Fn(&'a CmdAttr) -> Option<&'a Vec<T>>,
) -> Option<&'a [T]> {
    attrs.iter().find_map(pick).map(Vec::as_slice)
}

/// The attributes of a service reply, however they were read (the
/// attribute tree here, the byte reader in `reply`): one place turns them
/// into a [`Service`].
#[derive(Default)]
pub(crate) struct ServiceParts {
    pub af: Option<u16>,
    pub protocol: Option<u16>,
    pub addr: Option<[u8; INET_ADDR_LEN]>,
    pub port: u16,
    pub fwmark: u32,
    pub sched: Option<String>,
    pub flags: u32,
    pub timeout: u32,
    pub netmask: u32,
    pub pe: Option<String>,
    pub stats32: Option<Stats>,
    pub stats64: Option<Stats>,
}

impl ServiceParts {
    pub(crate) fn build(self) -> Result<Service> {
        let family = self
            .af
            .and_then(Family::from_af)
            .ok_or_else(|| malformed("service without a known address family"))?;
        let key = if self.fwmark != 0 {
            ServiceKey::Fwmark {
                mark: self.fwmark,
                family,
            }
        } else {
            let protocol = self
                .protocol
                .and_then(Protocol::from_number)
                .ok_or_else(|| malformed("service without a known protocol"))?;
            let addr = self
                .addr
                .ok_or_else(|| malformed("service without an address"))?;
            ServiceKey::Addr {
                protocol,
                addr: addr_from_bytes(family, &addr),
                port: self.port,
            }
        };
        Ok(Service {
            netmask: netmask_from_wire(key.family(), self.netmask),
            key,
            scheduler: self.sched.unwrap_or_default(),
            flags: ServiceFlags(self.flags),
            timeout: self.timeout,
            pe_name: self.pe.filter(|p| !p.is_empty()),
            // Prefer the 64-bit counters; kernels before 4.1 only send STATS.
            stats: self.stats64.or(self.stats32).unwrap_or_default(),
        })
    }
}

/// Builds a service from the kernel's service nest.
pub fn service_from(attrs: &[SvcAttr]) -> Result<Service> {
    let mut parts = ServiceParts::default();
    for attr in attrs {
        match attr {
            SvcAttr::Af(v) => parts.af = Some(*v),
            SvcAttr::Protocol(v) => parts.protocol = Some(*v),
            SvcAttr::Addr(a) => parts.addr = Some(*a),
            SvcAttr::Port(v) => parts.port = *v,
            SvcAttr::Fwmark(v) => parts.fwmark = *v,
            SvcAttr::SchedName(s) => parts.sched = Some(s.clone()),
            SvcAttr::Flags { flags, .. } => parts.flags = *flags,
            SvcAttr::Timeout(v) => parts.timeout = *v,
            SvcAttr::Netmask(v) => parts.netmask = *v,
            SvcAttr::PeName(s) => parts.pe = Some(s.clone()),
            SvcAttr::Stats(s) => parts.stats32 = Some(stats_from(s)),
            SvcAttr::Stats64(s) => parts.stats64 = Some(stats_from(s)),
            SvcAttr::Other(_) => {}
        }
    }
    parts.build()
}

/// Builds a destination from the kernel's destination nest. `service`
/// gives the family when an old kernel omits the destination's own.
pub fn dest_from(attrs: &[DestAttr], service_family: Family) -> Result<Destination> {
    let mut family = service_family;
    let mut addr = None;
    let mut dest = Destination::new(service_family.unspecified(), 0);
    let (mut stats32, mut stats64) = (None, None);
    for attr in attrs {
        match attr {
            DestAttr::AddrFamily(af) => {
                family = Family::from_af(*af)
                    .ok_or_else(|| malformed("destination with an unknown address family"))?
            }
            DestAttr::Addr(a) => addr = Some(*a),
            DestAttr::Port(v) => dest.port = *v,
            DestAttr::FwdMethod(v) => {
                dest.forward = ForwardMethod::from_code(*v)
                    .ok_or_else(|| malformed("destination with an unknown forwarding method"))?
            }
            DestAttr::Weight(v) => dest.weight = *v as i32,
            DestAttr::UThresh(v) => dest.upper_threshold = *v,
            DestAttr::LThresh(v) => dest.lower_threshold = *v,
            DestAttr::ActiveConns(v) => dest.active_conns = *v,
            DestAttr::InactConns(v) => dest.inactive_conns = *v,
            DestAttr::PersistConns(v) => dest.persist_conns = *v,
            DestAttr::Stats(s) => stats32 = Some(s),
            DestAttr::Stats64(s) => stats64 = Some(s),
            DestAttr::TunType(v) => {
                dest.tun_type = TunnelType::from_code(*v)
                    .ok_or_else(|| malformed("destination with an unknown tunnel type"))?
            }
            DestAttr::TunPort(v) => dest.tun_port = *v,
            DestAttr::TunFlags(v) => dest.tun_flags = TunnelFlags(*v),
            DestAttr::Other(_) => {}
        }
    }
    let addr = addr.ok_or_else(|| malformed("destination without an address"))?;
    dest.addr = addr_from_bytes(family, &addr);
    dest.stats = stats64
        .or(stats32)
        .map_or_else(Stats::default, |s| stats_from(s));
    Ok(dest)
}

pub fn daemon_from(attrs: &[DaemonAttr]) -> Result<Daemon> {
    let (mut state, mut ifn, mut syncid) = (None, None, None);
    let mut daemon = Daemon {
        state: DaemonState::Master,
        mcast_ifn: String::new(),
        syncid: 0,
        sync_maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    for attr in attrs {
        match attr {
            DaemonAttr::State(v) => state = Some(*v),
            DaemonAttr::McastIfn(s) => ifn = Some(s.clone()),
            DaemonAttr::SyncId(v) => syncid = Some(*v),
            DaemonAttr::SyncMaxlen(v) => daemon.sync_maxlen = Some(*v),
            DaemonAttr::McastGroup(g) => daemon.mcast_group = Some(IpAddr::from(*g)),
            DaemonAttr::McastGroup6(g) => daemon.mcast_group = Some(IpAddr::from(*g)),
            DaemonAttr::McastPort(v) => daemon.mcast_port = Some(*v),
            DaemonAttr::McastTtl(v) => daemon.mcast_ttl = Some(*v),
            DaemonAttr::Other(_) => {}
        }
    }
    // libipvs requires these three; so do we.
    daemon.state = state
        .and_then(DaemonState::from_code)
        .ok_or_else(|| malformed("daemon without a known state"))?;
    daemon.mcast_ifn = ifn.ok_or_else(|| malformed("daemon without an interface"))?;
    daemon.syncid = syncid.ok_or_else(|| malformed("daemon without a sync id"))?;
    Ok(daemon)
}

/// Wraps a destination's attributes for a request about `service`.
pub fn dest_request(service: &ServiceKey, dest: Vec<DestAttr>) -> Vec<CmdAttr> {
    vec![
        CmdAttr::Service(service_key_attrs(service)),
        CmdAttr::Dest(dest),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ServiceKey {
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 80,
        }
    }

    #[test]
    fn service_round_trips_through_attributes() {
        let mut svc = Service::new(key());
        svc.scheduler = "wrr".into();
        svc.flags = ServiceFlags(ServiceFlags::PERSISTENT);
        svc.timeout = 360;
        svc.pe_name = Some("sip".into());
        let back = service_from(&service_attrs(&svc)).unwrap();
        assert_eq!(back, svc);
    }

    #[test]
    fn destination_round_trips_with_its_own_family() {
        let mut d = Destination::new("192.0.2.7".parse().unwrap(), 8080);
        d.forward = ForwardMethod::Tunnel;
        d.weight = 65535;
        d.tun_type = TunnelType::Gue;
        d.tun_port = 6080;
        d.tun_flags = TunnelFlags(TunnelFlags::CSUM);
        assert_eq!(dest_from(&dest_attrs(&d), Family::Inet6).unwrap(), d);
    }

    #[test]
    fn stats64_wins_over_stats32() {
        let big = (1u64 << 32) + 5;
        let attrs = vec![
            DestAttr::Addr([192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            DestAttr::Stats(vec![StatsAttr::Counter { kind: 2, value: 5 }]),
            DestAttr::Stats64(vec![StatsAttr::Counter {
                kind: 2,
                value: big,
            }]),
        ];
        assert_eq!(dest_from(&attrs, Family::Inet).unwrap().stats.inpkts, big);
    }

    #[test]
    fn incomplete_replies_are_errors() {
        assert!(service_from(&[SvcAttr::Af(2)]).is_err());
        assert!(dest_from(&[], Family::Inet).is_err());
        assert!(daemon_from(&[DaemonAttr::State(1)]).is_err());
    }
}
