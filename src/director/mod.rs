//! Director and real-server setup (`rsvsadm setup ...`) and the director
//! check (`rsvsadm check`): what lvs_nat.sh and the LVS-DR/TUN recipes did
//! by hand, done atomically, idempotently, and undoable.
//!
//! - `setup nat`: ip_forward on, ICMP redirects off, MASQUERADE for the real
//!   servers' networks.
//! - `setup fullnat`: FULLNAT's effect on a mainline kernel: IPVS NAT with
//!   `net.ipv4.vs.conntrack=1`, plus a source-NAT rule to local addresses
//!   for the packets IPVS forwards for the service.
//! - `setup realserver`: the VIP on lo (DR) or on an IP-in-IP tunnel (TUN),
//!   with the ARP and reverse-path settings they need.
//! - `setup show|clear|save|restore`, and `check`.
//!
//! Firewall rules go into one nftables table, `inet rsvsadm` (or, without
//! nft, one iptables chain per family); see `firewall/`. How rsvsadm
//! recognises its addresses and interfaces: `host/addr.rs`; its record:
//! `firewall/content.rs`; the saved configuration: `state.rs`.
//!
//! Layering. Imports run one way, from each line to the lines above it
//! (and within a folder as its `mod.rs` says); no file imports one below
//! it, so there is no import circle:
//!
//! ```text
//! error                        the errors of every command
//! model/{mod, grammar}         the setup as values; the words of a setup
//!                              command (command line, setup file, record)
//! host/{exec, addr, sysctl}    the host's tools, addresses, kernel parameters
//! state                        the saved setup file
//! firewall/{content, nft, iptables, view}
//!                              the NAT rules and record in nftables/iptables
//! cli                          the clap command line around the grammar
//! setup/{step, plan, current, apply, inventory}
//!                              `rsvsadm setup ...`
//! check/{finding, sync, snapshot, local, handshake, nft_rules, gather}
//!                              `rsvsadm check`
//! mod.rs (this file)           parse the command line, dispatch
//! ```

pub mod check;
pub mod cli;
mod error;
mod firewall;
mod host;
pub mod model;
mod setup;
mod state;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

pub use error::{Error, Result};
// For `rsvsadm service` (src/app/service.rs): the setup file's default
// place, and the atomic writer it shares for the IPVS rules file.
pub use state::{write_atomic, SAVE_FILE};

use cli::{DirectorCli, DirectorCommand, SetupCmd};

/// Runs `setup ...` or `check ...`; `args` are the words after the program
/// name. Returns the exit status: 0 success, 1 failure (or `check` found
/// an error), 2 bad usage.
pub fn run(prog: &str, args: &[OsString]) -> i32 {
    let cli = match parse(prog, args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and friends print to stdout and succeed.
            let _ = e.print();
            return e.exit_code();
        }
    };
    match dispatch(&cli.command) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("{prog}: {e}");
            1
        }
    }
}

fn parse(prog: &str, args: &[OsString]) -> std::result::Result<DirectorCli, clap::Error> {
    let argv = std::iter::once(OsString::from(prog)).chain(args.iter().cloned());
    DirectorCli::command()
        .bin_name(prog.to_string())
        .try_get_matches_from(argv)
        .and_then(|m| DirectorCli::from_arg_matches(&m))
}

fn dispatch(command: &DirectorCommand) -> Result<i32> {
    match command {
        DirectorCommand::Check(args) => check::run(args),
        DirectorCommand::Setup(cmd) => setup_command(cmd).map(|()| 0),
    }
}

fn setup_command(cmd: &SetupCmd) -> Result<()> {
    match cmd {
        SetupCmd::Nat(a) => setup::run(&[a.spec.command()], &a.opts, true),
        SetupCmd::Fullnat(a) => setup::run(&[a.spec.command()?], &a.opts, true),
        SetupCmd::Realserver(a) => setup::run(&[a.spec.command()?], &a.opts, false),
        SetupCmd::Show => setup::show(),
        SetupCmd::Clear(a) => setup::clear(a.dry_run),
        SetupCmd::Save(a) => setup::save(&a.file),
        SetupCmd::Restore(a) => setup::restore(&a.file, &a.opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn usage_errors_exit_2_and_help_exits_0() {
        let code = |w: &[&str]| parse("rsvsadm", &args(w)).unwrap_err().exit_code();
        assert_eq!(code(&["setup", "bogus"]), 2);
        assert_eq!(code(&["setup", "nat", "--interface", "a/b"]), 2);
        assert_eq!(code(&["check", "--syn-wait", "0"]), 2);
        assert_eq!(code(&["setup", "--help"]), 0);
        assert!(parse("rsvsadm", &args(&["check"])).is_ok());
    }
}
