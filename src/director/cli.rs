//! rsvsadm's own commands `setup` and `check` on the command line (clap 4
//! derive). These are not ipvsadm syntax, so clap's usual help and errors
//! apply. The words that describe a setup are the model's grammar
//! (`model/grammar.rs`); this file adds the commands around them and the
//! options that only make sense on a command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::firewall::Backend;
use super::model::grammar::{FullnatSpec, NatSpec, RealserverSpec};
use super::state::SAVE_FILE;

#[derive(Debug, Parser)]
#[command(
    about = "Prepare and inspect IPVS directors and real servers",
    disable_version_flag = true
)]
pub struct DirectorCli {
    #[command(subcommand)]
    pub command: DirectorCommand,
}

#[derive(Debug, Subcommand)]
pub enum DirectorCommand {
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

#[derive(Debug, Args)]
pub struct NatArgs {
    #[command(flatten)]
    pub spec: NatSpec,
    #[command(flatten)]
    pub opts: ApplyOpts,
}

#[derive(Debug, Args)]
pub struct FullnatArgs {
    #[command(flatten)]
    pub spec: FullnatSpec,
    #[command(flatten)]
    pub opts: ApplyOpts,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::grammar::parse_conf_line;
    use crate::director::model::{RsMode, SetupCommand};
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> std::result::Result<DirectorCli, clap::Error> {
        DirectorCli::try_parse_from(std::iter::once("rsvsadm").chain(args.iter().copied()))
    }

    #[test]
    fn cli_is_well_formed() {
        DirectorCli::command().debug_assert();
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
        let DirectorCommand::Setup(SetupCmd::Nat(args)) = cli.command else {
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
        let DirectorCommand::Setup(SetupCmd::Fullnat(args)) = cli.command else {
            panic!()
        };
        match args.spec.command().unwrap() {
            SetupCommand::Fullnat { laddrs, .. } => assert_eq!(laddrs.len(), 2),
            other => panic!("{other:?}"),
        }
        let del = parse(&["setup", "fullnat", "-t", "203.0.113.10:80", "--delete"]).unwrap();
        let DirectorCommand::Setup(SetupCmd::Fullnat(args)) = del.command else {
            panic!()
        };
        assert!(matches!(
            args.spec.command().unwrap(),
            SetupCommand::FullnatDelete(_)
        ));
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
        let DirectorCommand::Setup(SetupCmd::Realserver(args)) = cli.command else {
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
                DirectorCommand::Setup(SetupCmd::Nat(a)) => a.spec.command(),
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
