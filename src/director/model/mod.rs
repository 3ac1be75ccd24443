//! Validated values the director commands work with, and the setup
//! configuration they record: what `setup nat`, `setup fullnat` and
//! `setup realserver` asked for, as one mergeable value.
//!
//! Every value here is parsed from user input exactly once; the rest of the
//! code only ever sees these types, so an interface name that reaches a
//! /proc/sys path or an `ip` command line has already been checked. The
//! words that spell a setup command, on the command line and in a file,
//! are the model's own grammar (`grammar.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipvs::{Family, Protocol};

use super::error::{Error, Result};

pub mod grammar;

/// Longest interface name the kernel accepts (`IFNAMSIZ` - 1).
pub const IFNAME_MAX: usize = 15;

/// A syntactically valid network interface name (the kernel's
/// `dev_valid_name`): 1 to 15 bytes, not "." or "..", no '/', ':' or
/// whitespace. Dots are allowed: VLAN interfaces are named `eth0.100`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName(String);

impl IfName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for IfName {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<IfName, String> {
        if s.is_empty() {
            return Err("an interface name cannot be empty".into());
        }
        if s.len() > IFNAME_MAX {
            return Err(format!(
                "interface name {s:?} is longer than {IFNAME_MAX} bytes"
            ));
        }
        if s == "." || s == ".." {
            return Err(format!("{s:?} is not an interface name"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| *c == '/' || *c == ':' || c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "interface name {s:?} contains {c:?}, which the kernel does not allow"
            ));
        }
        Ok(IfName(s.to_string()))
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IP network: the address with its host bits cleared, and the prefix
/// length. `192.0.2.7/24` is accepted and becomes `192.0.2.0/24`, as
/// iptables and nft do; a bare address is a /32 (/128).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        let max = max_prefix(&addr);
        (prefix <= max).then(|| Cidr {
            addr: network(addr, prefix),
            prefix,
        })
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }

    pub fn contains(&self, addr: &IpAddr) -> bool {
        addr.is_ipv4() == self.addr.is_ipv4() && network(*addr, self.prefix) == self.addr
    }
}

fn max_prefix(addr: &IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `addr` with every bit past `prefix` cleared.
fn network(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Cidr, String> {
        let (addr_text, prefix_text) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| format!("{s:?} is not an IP network (like 192.0.2.0/24)"))?;
        let prefix = match prefix_text {
            None => max_prefix(&addr),
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max_prefix(&addr))
                .ok_or_else(|| format!("{s:?}: bad prefix length {p:?}"))?,
        };
        Cidr::new(addr, prefix).ok_or_else(|| format!("{s:?}: bad prefix length"))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An address-based virtual service, as `-t`/`-u`/`--sctp-service` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceEndpoint {
    pub protocol: Protocol,
    pub addr: IpAddr,
    /// 0: every port (a persistent service without a port).
    pub port: u16,
}

impl ServiceEndpoint {
    /// Parses `ADDR:PORT` or `[IPV6]:PORT` (numeric only: this is a
    /// firewall rule, a name could resolve differently at boot).
    pub fn parse(protocol: Protocol, s: &str) -> std::result::Result<ServiceEndpoint, String> {
        let bad =
            || format!("{s:?} is not a virtual service address (use ADDR:PORT, or [IPV6]:PORT)");
        let (addr_text, port_text) = if let Some(rest) = s.strip_prefix('[') {
            let (a, p) = rest.split_once("]:").ok_or_else(bad)?;
            (a, p)
        } else {
            let (a, p) = s.rsplit_once(':').ok_or_else(bad)?;
            if a.contains(':') {
                return Err(bad());
            }
            (a, p)
        };
        let addr: IpAddr = addr_text.parse().map_err(|_| bad())?;
        if bracketed(s) != addr.is_ipv6() {
            return Err(bad());
        }
        let port: u16 = port_text
            .parse()
            .map_err(|_| format!("{s:?}: bad port {port_text:?} (0-65535)"))?;
        Ok(ServiceEndpoint {
            protocol,
            addr,
            port,
        })
    }

    /// The ipvsadm option naming this service, e.g. `-t 192.0.2.1:80`.
    pub fn option(&self) -> String {
        let flag = match self.protocol {
            Protocol::Tcp => "-t",
            Protocol::Udp => "-u",
            Protocol::Sctp => "--sctp-service",
        };
        format!("{flag} {}", self.endpoint())
    }

    /// `ADDR:PORT`, IPv6 in brackets.
    pub fn endpoint(&self) -> String {
        match self.addr {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }
}

fn bracketed(s: &str) -> bool {
    s.starts_with('[')
}

impl fmt::Display for ServiceEndpoint {
    /// As ipvsadm lists it: `TCP 192.0.2.1:80`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.protocol.name(), self.endpoint())
    }
}

/// How a real server receives its traffic from the director.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum RsMode {
    /// Direct routing (`-g`): the VIP on `lo`.
    Dr,
    /// IP-in-IP tunnelling (`-i`): the VIP on a decapsulating tunnel.
    Tun,
}

impl RsMode {
    pub fn name(self) -> &'static str {
        match self {
            RsMode::Dr => "dr",
            RsMode::Tun => "tun",
        }
    }
}

/// What `setup nat` records: the networks to masquerade and the interfaces
/// whose ICMP redirects were turned off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatSetup {
    pub masquerade: BTreeSet<Cidr>,
    pub interfaces: BTreeSet<IfName>,
}

impl NatSetup {
    /// Whether any masqueraded network is IPv6 (then IPv6 forwarding is on).
    pub fn has_ipv6(&self) -> bool {
        self.masquerade.iter().any(|c| c.family() == Family::Inet6)
    }
}

/// One setup command, validated (syntax only: whether an interface exists
/// is checked against the live system before anything is changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupCommand {
    Nat(NatSetup),
    Fullnat {
        service: ServiceEndpoint,
        laddrs: Vec<IpAddr>,
    },
    FullnatDelete(ServiceEndpoint),
    Realserver {
        vips: Vec<IpAddr>,
        mode: RsMode,
    },
}

/// Everything rsvsadm has been asked to set up on this host. Kept in
/// sorted collections so the same setup always produces the same rules in
/// the same order (which is what makes re-running a command a no-op).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    pub nat: Option<NatSetup>,
    /// The local addresses of each FULLNAT service, in the order given.
    pub fullnat: BTreeMap<ServiceEndpoint, Vec<IpAddr>>,
    pub realservers: BTreeMap<IpAddr, RsMode>,
}

impl Setup {
    pub fn is_empty(&self) -> bool {
        self.nat.is_none() && self.fullnat.is_empty() && self.realservers.is_empty()
    }

    /// Adds a command's part. `nat` accumulates networks and interfaces;
    /// `fullnat` replaces that one service's local addresses (the command
    /// describes the service completely); a real-server VIP keeps its mode.
    pub fn merge(&mut self, cmd: &SetupCommand) -> Result<()> {
        match cmd {
            SetupCommand::Nat(nat) => {
                let mine = self.nat.get_or_insert_with(NatSetup::default);
                mine.masquerade.extend(nat.masquerade.iter().copied());
                mine.interfaces.extend(nat.interfaces.iter().cloned());
            }
            SetupCommand::Fullnat { service, laddrs } => {
                self.fullnat.insert(*service, laddrs.clone());
            }
            SetupCommand::FullnatDelete(service) => {
                self.fullnat.remove(service);
            }
            SetupCommand::Realserver { vips, mode } => {
                for vip in vips {
                    if let Some(old) = self.realservers.get(vip).filter(|m| *m != mode) {
                        return Err(Error::invalid(format!(
                            "--vip {vip} is already set up for {} mode; \
                             run `rsvsadm setup clear` first to switch it to {}",
                            old.name(),
                            mode.name()
                        )));
                    }
                }
                for vip in vips {
                    self.realservers.insert(*vip, *mode);
                }
            }
        }
        Ok(())
    }

    /// The setup as `rsvsadm setup` command lines (without the leading
    /// `setup`), one per line: the format of the record and of setup.conf.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(nat) = &self.nat {
            let mut line = String::from("nat");
            for cidr in &nat.masquerade {
                line.push_str(&format!(" --masquerade {cidr}"));
            }
            for iface in &nat.interfaces {
                line.push_str(&format!(" --interface {iface}"));
            }
            lines.push(line);
        }
        for (service, laddrs) in &self.fullnat {
            let mut line = format!("fullnat {}", service.option());
            for laddr in laddrs {
                line.push_str(&format!(" --laddr {laddr}"));
            }
            lines.push(line);
        }
        for (vip, mode) in &self.realservers {
            lines.push(format!("realserver --vip {vip} --mode {}", mode.name()));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ifname_rules() {
        for good in [
            "eth0",
            "eth0.100",
            "br-lan",
            "a",
            "abcdefghijklmno",
            "rsvs-tun",
        ] {
            assert!(good.parse::<IfName>().is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "abcdefghijklmnop",
            "eth0/1",
            "eth0:1",
            "eth 0",
            "eth\t0",
            "eth\n",
        ] {
            assert!(bad.parse::<IfName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cidr_parses_and_normalizes() {
        let c: Cidr = "192.0.2.77/24".parse().unwrap();
        assert_eq!(c.to_string(), "192.0.2.0/24");
        assert_eq!(
            "192.0.2.7".parse::<Cidr>().unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(
            "0.0.0.0/0".parse::<Cidr>().unwrap().to_string(),
            "0.0.0.0/0"
        );
        let v6: Cidr = "2001:db8::1/64".parse().unwrap();
        assert_eq!(v6.to_string(), "2001:db8::/64");
        assert_eq!(v6.family(), Family::Inet6);
        assert!(c.contains(&ip("192.0.2.200")));
        assert!(!c.contains(&ip("192.0.3.1")));
        assert!(!c.contains(&ip("2001:db8::1")));
        for bad in [
            "",
            "192.0.2.0/33",
            "192.0.2.0/",
            "x/24",
            "192.0.2.0/-1",
            "2001:db8::/129",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn virtual_service_parses() {
        let s = ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap();
        assert_eq!(s.addr, ip("203.0.113.10"));
        assert_eq!(s.port, 80);
        assert_eq!(s.option(), "-t 203.0.113.10:80");
        assert_eq!(s.to_string(), "TCP 203.0.113.10:80");
        let s6 = ServiceEndpoint::parse(Protocol::Sctp, "[2001:db8::10]:443").unwrap();
        assert_eq!(s6.option(), "--sctp-service [2001:db8::10]:443");
        for bad in [
            "203.0.113.10",
            "203.0.113.10:http",
            "203.0.113.10:65536",
            "2001:db8::10:80",
            "[203.0.113.10]:80",
            "[2001:db8::10]80",
            "host.example:80",
        ] {
            assert!(ServiceEndpoint::parse(Protocol::Udp, bad).is_err(), "{bad}");
        }
    }

    fn nat(cidrs: &[&str], ifaces: &[&str]) -> SetupCommand {
        SetupCommand::Nat(NatSetup {
            masquerade: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
            interfaces: ifaces.iter().map(|c| c.parse().unwrap()).collect(),
        })
    }

    #[test]
    fn merge_accumulates_nat_and_replaces_fullnat() {
        let mut setup = Setup::default();
        setup.merge(&nat(&["192.0.2.0/24"], &["eth0"])).unwrap();
        setup
            .merge(&nat(&["198.51.100.0/24"], &["eth1.7"]))
            .unwrap();
        let svc = ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap();
        setup
            .merge(&SetupCommand::Fullnat {
                service: svc,
                laddrs: vec![ip("198.51.100.1")],
            })
            .unwrap();
        setup
            .merge(&SetupCommand::Fullnat {
                service: svc,
                laddrs: vec![ip("198.51.100.2"), ip("198.51.100.1")],
            })
            .unwrap();
        assert_eq!(
            setup.to_lines(),
            vec![
                "nat --masquerade 192.0.2.0/24 --masquerade 198.51.100.0/24 \
                 --interface eth0 --interface eth1.7",
                "fullnat -t 203.0.113.10:80 --laddr 198.51.100.2 --laddr 198.51.100.1",
            ]
        );
        setup.merge(&SetupCommand::FullnatDelete(svc)).unwrap();
        assert!(setup.fullnat.is_empty());
    }

    #[test]
    fn merge_refuses_mode_switch() {
        let mut setup = Setup::default();
        let dr = SetupCommand::Realserver {
            vips: vec![ip("203.0.113.10")],
            mode: RsMode::Dr,
        };
        setup.merge(&dr).unwrap();
        setup.merge(&dr).unwrap();
        let tun = SetupCommand::Realserver {
            vips: vec![ip("203.0.113.10")],
            mode: RsMode::Tun,
        };
        let err = setup.merge(&tun).unwrap_err().to_string();
        assert!(err.contains("already set up for dr mode"), "{err}");
        assert_eq!(
            setup.to_lines(),
            vec!["realserver --vip 203.0.113.10 --mode dr"]
        );
    }
}
