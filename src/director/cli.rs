//! rsvsadm's own commands `setup` and `check` (clap 4 derive). These are
//! not ipvsadm syntax, so clap's usual help and errors apply.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use ipvs::Protocol;

use super::error::{Error, Result};
use super::firewall::Backend;
use super::model::{Cidr, IfName, NatSetup, RsMode, SetupCommand, VirtualService};
use super::state::SAVE_FILE;

#[derive(Debug, Parser)]
#[command(
    about = "Prepare and inspect IPVS directors and real servers",
    disable_version_flag = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Top,
}

#[derive(Debug, Subcommand)]
pub enum Top {
    /// Prepare this host as a director (nat, fullnat) or a real server
    #[command(subcommand)]
    Setup(SetupCmd),
    /// Inspect this director and report each mistake with a fix
    Check(CheckArgs),
}

#[derive(Debug, Subcommand)]
pub enum SetupCmd {
    /// NAT director: IP forwarding on, ICMP redirects off, masquerading
    Nat(NatArgs),
    /// FULLNAT on a stock kernel: NAT plus source NAT to local addresses
    Fullnat(FullnatArgs),
    /// Real server for DR or TUN: the VIP on lo or on a tunnel
    Realserver(RealserverArgs),
    /// What rsvsadm manages on this host
    Show,
    /// Remove every rule, address and interface rsvsadm installed
    Clear(ClearArgs),
    /// Write the recorded setup as commands, for `setup restore`
    Save(SaveArgs),
    /// Apply the setup commands of a file (as written by `setup save`)
    Restore(RestoreArgs),
}

/// Options of every command that changes the host.
#[derive(Debug, Clone, Args)]
pub struct ApplyOpts {
    /// Print what would be changed, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Firewall for the NAT rules (auto: nftables if `nft` exists)
    #[arg(long, value_enum, value_name = "KIND", default_value = "auto")]
    pub firewall: Backend,
}

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

#[derive(Debug, Args)]
pub struct NatArgs {
    #[command(flatten)]
    pub spec: NatSpec,
    #[command(flatten)]
    pub opts: ApplyOpts,
}

#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("service").required(true).args(["tcp_service", "udp_service", "sctp_service"])))]
pub struct FullnatSpec {
    /// TCP virtual service
    #[arg(short, long, value_name = "VIP:PORT", value_parser = parse_tcp)]
    pub tcp_service: Option<VirtualService>,
    /// UDP virtual service
    #[arg(short, long, value_name = "VIP:PORT", value_parser = parse_udp)]
    pub udp_service: Option<VirtualService>,
    /// SCTP virtual service
    #[arg(long, value_name = "VIP:PORT", value_parser = parse_sctp)]
    pub sctp_service: Option<VirtualService>,
    /// Local address of this director the forwarded connections come
    /// from; repeat it to spread connections over several
    #[arg(long, value_name = "ADDR", required_unless_present = "delete")]
    pub laddr: Vec<IpAddr>,
    /// Remove this service's FULLNAT rule instead
    #[arg(long, conflicts_with = "laddr")]
    pub delete: bool,
}

#[derive(Debug, Args)]
pub struct FullnatArgs {
    #[command(flatten)]
    pub spec: FullnatSpec,
    #[command(flatten)]
    pub opts: ApplyOpts,
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

#[derive(Debug, Args)]
pub struct RealserverArgs {
    #[command(flatten)]
    pub spec: RealserverSpec,
    #[command(flatten)]
    pub opts: ApplyOpts,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    /// Print what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// File to write ("-": standard output)
    #[arg(value_name = "FILE", default_value = SAVE_FILE)]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// File to read ("-": standard input)
    #[arg(value_name = "FILE", default_value = SAVE_FILE)]
    pub file: PathBuf,
    #[command(flatten)]
    pub opts: ApplyOpts,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Seconds between the two looks at the connection table that tell a
    /// stuck handshake from one in progress
    #[arg(long, value_name = "SECS", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=60))]
    pub syn_wait: u64,
}

fn parse_cidr(s: &str) -> std::result::Result<Cidr, String> {
    s.parse()
}

fn parse_ifname(s: &str) -> std::result::Result<IfName, String> {
    s.parse()
}

fn parse_tcp(s: &str) -> std::result::Result<VirtualService, String> {
    VirtualService::parse(Protocol::Tcp, s)
}

fn parse_udp(s: &str) -> std::result::Result<VirtualService, String> {
    VirtualService::parse(Protocol::Udp, s)
}

fn parse_sctp(s: &str) -> std::result::Result<VirtualService, String> {
    VirtualService::parse(Protocol::Sctp, s)
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
    fn service(&self) -> Result<VirtualService> {
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
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> std::result::Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("rsvsadm").chain(args.iter().copied()))
    }

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn nat_arguments() {
        let cli = parse(&[
            "setup",
            "nat",
            "--masquerade",
            "192.0.2.0/24",
            "-i",
            "eth0.100",
            "--interface",
            "eth1",
        ])
        .unwrap();
        let Top::Setup(SetupCmd::Nat(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.spec.interface.len(), 2);
        assert!(!args.opts.dry_run);
        assert_eq!(args.opts.firewall, Backend::Auto);
        assert!(parse(&["setup", "nat", "--interface", "eth0/1"]).is_err());
        assert!(parse(&["setup", "nat", "--masquerade", "192.0.2.0/40"]).is_err());
    }

    #[test]
    fn fullnat_needs_one_service_and_laddrs() {
        assert!(parse(&["setup", "fullnat", "--laddr", "198.51.100.1"]).is_err());
        assert!(parse(&["setup", "fullnat", "-t", "203.0.113.10:80"]).is_err());
        assert!(parse(&[
            "setup",
            "fullnat",
            "-t",
            "203.0.113.10:80",
            "-u",
            "203.0.113.10:53",
            "--laddr",
            "198.51.100.1"
        ])
        .is_err());
        let cli = parse(&[
            "setup",
            "fullnat",
            "-t",
            "203.0.113.10:80",
            "--laddr",
            "198.51.100.1",
            "--laddr",
            "198.51.100.2",
        ])
        .unwrap();
        let Top::Setup(SetupCmd::Fullnat(args)) = cli.command else {
            panic!()
        };
        match args.spec.command().unwrap() {
            SetupCommand::Fullnat { laddrs, .. } => assert_eq!(laddrs.len(), 2),
            other => panic!("{other:?}"),
        }
        let del = parse(&["setup", "fullnat", "-t", "203.0.113.10:80", "--delete"]).unwrap();
        let Top::Setup(SetupCmd::Fullnat(args)) = del.command else {
            panic!()
        };
        assert!(matches!(
            args.spec.command().unwrap(),
            SetupCommand::FullnatDelete(_)
        ));
    }

    #[test]
    fn fullnat_laddr_checks() {
        let spec = |laddrs: &[&str]| FullnatSpec {
            tcp_service: Some(VirtualService::parse(Protocol::Tcp, "203.0.113.10:80").unwrap()),
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

    #[test]
    fn realserver_arguments() {
        let cli = parse(&[
            "setup",
            "realserver",
            "--vip",
            "203.0.113.10",
            "--mode",
            "tun",
        ])
        .unwrap();
        let Top::Setup(SetupCmd::Realserver(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.spec.mode, RsMode::Tun);
        assert!(parse(&[
            "setup",
            "realserver",
            "--vip",
            "203.0.113.10",
            "--mode",
            "nat"
        ])
        .is_err());
        assert!(parse(&["setup", "realserver"]).is_err());
    }

    #[test]
    fn conf_lines() {
        assert_eq!(
            parse_conf_line("nat --masquerade 192.0.2.0/24 --interface eth0").unwrap(),
            parse(&[
                "setup",
                "nat",
                "--masquerade",
                "192.0.2.0/24",
                "--interface",
                "eth0"
            ])
            .map(|c| match c.command {
                Top::Setup(SetupCmd::Nat(a)) => a.spec.command(),
                _ => panic!(),
            })
            .unwrap()
        );
        assert!(parse_conf_line("realserver --vip 203.0.113.10 --mode dr").is_ok());
        // Options that only make sense on the command line are refused.
        let err = parse_conf_line("nat --dry-run").unwrap_err().to_string();
        assert!(err.contains("--dry-run"), "{err}");
        assert!(parse_conf_line("clear").is_err());
        assert!(parse_conf_line("show").is_err());
    }
}
