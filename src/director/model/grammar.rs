//! The setup-command grammar: the words of `setup nat|fullnat|realserver`
//! (clap 4 derive), shared by the command line (`cli.rs` flattens these
//! specs into its subcommands) and by the lines of a setup file and of the
//! firewall record ([`parse_conf_line`]), so both always read the same
//! language. Each spec turns into the model's [`SetupCommand`] with its
//! values checked against one another.

use std::net::IpAddr;

use clap::{ArgGroup, Args, Parser};
use ipvs::Protocol;

use super::{Cidr, IfName, NatSetup, RsMode, ServiceEndpoint, SetupCommand};
use crate::director::error::{Error, Result};

#[derive(Debug, Clone, Args)]
pub struct NatSpec {
    /// Masquerade traffic from this network (the real servers') leaving
    /// the director; repeatable
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub masquerade: Vec<Cidr>,
    /// Also turn off ICMP redirects on this interface; repeatable
    #[arg(short, long, value_name = "IFACE", value_parser = parse_ifname)]
    pub interface: Vec<IfName>,
}

#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("service").required(true).args(["tcp_service", "udp_service", "sctp_service"])))]
pub struct FullnatSpec {
    /// TCP virtual service
    #[arg(short, long, value_name = "VIP:PORT", value_parser = parse_tcp)]
    pub tcp_service: Option<ServiceEndpoint>,
    /// UDP virtual service
    #[arg(short, long, value_name = "VIP:PORT", value_parser = parse_udp)]
    pub udp_service: Option<ServiceEndpoint>,
    /// SCTP virtual service
    #[arg(long, value_name = "VIP:PORT", value_parser = parse_sctp)]
    pub sctp_service: Option<ServiceEndpoint>,
    /// Local address of this director the forwarded connections come
    /// from; repeat it to spread connections over several
    #[arg(long, value_name = "ADDR", required_unless_present = "delete")]
    pub laddr: Vec<IpAddr>,
    /// Remove this service's FULLNAT rule instead
    #[arg(long, conflicts_with = "laddr")]
    pub delete: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RealserverSpec {
    /// Virtual IP address this real server answers for; repeatable
    #[arg(long, value_name = "ADDR", required = true)]
    pub vip: Vec<IpAddr>,
    /// How the director forwards to this server
    #[arg(long, value_enum, default_value = "dr")]
    pub mode: RsMode,
}

fn parse_cidr(s: &str) -> std::result::Result<Cidr, String> {
    s.parse()
}

fn parse_ifname(s: &str) -> std::result::Result<IfName, String> {
    s.parse()
}

fn parse_tcp(s: &str) -> std::result::Result<ServiceEndpoint, String> {
    ServiceEndpoint::parse(Protocol::Tcp, s)
}

fn parse_udp(s: &str) -> std::result::Result<ServiceEndpoint, String> {
    ServiceEndpoint::parse(Protocol::Udp, s)
}

fn parse_sctp(s: &str) -> std::result::Result<ServiceEndpoint, String> {
    ServiceEndpoint::parse(Protocol::Sctp, s)
}

impl NatSpec {
    pub fn command(&self) -> SetupCommand {
        SetupCommand::Nat(NatSetup {
            masquerade: self.masquerade.iter().copied().collect(),
            interfaces: self.interface.iter().cloned().collect(),
        })
    }
}

impl FullnatSpec {
    fn service(&self) -> Result<ServiceEndpoint> {
        self.tcp_service
            .or(self.udp_service)
            .or(self.sctp_service)
            .ok_or_else(|| Error::invalid("give the virtual service: -t, -u or --sctp-service"))
    }

    /// The command, with the local addresses checked against the service:
    /// same family, usable as a source, each given once.
    pub fn command(&self) -> Result<SetupCommand> {
        let service = self.service()?;
        if self.delete {
            return Ok(SetupCommand::FullnatDelete(service));
        }
        let mut laddrs: Vec<IpAddr> = Vec::new();
        for laddr in &self.laddr {
            if laddr.is_ipv4() != service.addr.is_ipv4() {
                return Err(Error::invalid(format!(
                    "--laddr {laddr}: the virtual service {service} is {}; \
                     give a local address of the same family",
                    if service.addr.is_ipv4() {
                        "IPv4"
                    } else {
                        "IPv6"
                    }
                )));
            }
            if laddr.is_unspecified() || laddr.is_multicast() || laddr.is_loopback() {
                return Err(Error::invalid(format!(
                    "--laddr {laddr}: not usable as a source address; \
                     give an address of this director on the real servers' side"
                )));
            }
            if laddrs.contains(laddr) {
                return Err(Error::invalid(format!("--laddr {laddr} is given twice")));
            }
            laddrs.push(*laddr);
        }
        Ok(SetupCommand::Fullnat { service, laddrs })
    }
}

impl RealserverSpec {
    pub fn command(&self) -> Result<SetupCommand> {
        let mut vips: Vec<IpAddr> = Vec::new();
        for vip in &self.vip {
            if vip.is_unspecified() || vip.is_multicast() || vip.is_loopback() {
                return Err(Error::invalid(format!(
                    "--vip {vip}: not a virtual service address"
                )));
            }
            if !vips.contains(vip) {
                vips.push(*vip);
            }
        }
        Ok(SetupCommand::Realserver {
            vips,
            mode: self.mode,
        })
    }
}

/// The commands a setup file may hold: those that describe a setup.
#[derive(Debug, Parser)]
#[command(
    no_binary_name = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
enum ConfLine {
    Nat(NatSpec),
    Fullnat(FullnatSpec),
    Realserver(RealserverSpec),
}

/// One line of a setup file (words split on blanks; no value contains
/// one), e.g. `fullnat -t 203.0.113.10:80 --laddr 198.51.100.1`.
pub fn parse_conf_line(line: &str) -> Result<SetupCommand> {
    let words = line.split_whitespace();
    let parsed = ConfLine::try_parse_from(words).map_err(|e| {
        let msg = e.to_string();
        let first = msg.lines().next().unwrap_or("invalid line").trim();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        Error::invalid(first.to_string())
    })?;
    match parsed {
        ConfLine::Nat(spec) => Ok(spec.command()),
        ConfLine::Fullnat(spec) => spec.command(),
        ConfLine::Realserver(spec) => spec.command(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fullnat_laddr_checks() {
        let spec = |laddrs: &[&str]| FullnatSpec {
            tcp_service: Some(ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap()),
            udp_service: None,
            sctp_service: None,
            laddr: laddrs.iter().map(|a| a.parse().unwrap()).collect(),
            delete: false,
        };
        let err = spec(&["2001:db8::1"]).command().unwrap_err().to_string();
        assert!(err.contains("same family"), "{err}");
        let err = spec(&["198.51.100.1", "198.51.100.1"])
            .command()
            .unwrap_err()
            .to_string();
        assert!(err.contains("given twice"), "{err}");
        assert!(spec(&["0.0.0.0"]).command().is_err());
    }
}
