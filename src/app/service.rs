//! `rsvsadm service ...`: what the systemd units run (systemd/*.service.in).
//!
//! The distributions' ipvsadm.service does its work in shell
//! (`ipvsadm-restore < /etc/sysconfig/ipvsadm`) and fails at boot when that
//! file does not exist yet. Here the units only call rsvsadm,
//! and every decision is made below, testable without systemd:
//!
//! - `service start`: the IPVS table becomes what the rules file says (a
//!   flush, then the rules, all checked before anything is applied). No
//!   file yet is an empty table and a notice, not a failure.
//! - `service stop`: the table is saved to the rules file (through a
//!   temporary file and a rename), then cleared; both can be turned off.
//!   The file is `-S -n` plus what `-S` loses: timeouts and thresholds.
//! - `service setup-start` / `setup-stop`: the same for the director setup
//!   (`rsvsadm setup save|restore`, src/director).
//!
//! Settings come from options or from the environment (the units read
//! /etc/default/rsvsadm as an EnvironmentFile); options win.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use ipvs::{Change, Ipvs, VirtualService};

use super::restore::{restore_rules, Source};
use super::{apply, connect, list, Failure, Outcome};
use crate::cli;
use crate::director;
use crate::format::{sort_destinations, write_change, NumericResolver};

/// Where the IPVS rules are kept by default.
const RULES_FILE: &str = "/etc/rsvsadm/rules";

/// What `service stop` writes above the rules.
const RULES_HEADER: &str = "\
# IPVS rules: `rsvsadm service start` restores them (at boot), `rsvsadm service
# stop` writes them. The lines are `rsvsadm -R` input: `ipvsadm -S -n` with the
# timeouts (--set) and thresholds (-x, -y). ipvsadm-restore reads them too.
";

#[derive(Debug, Parser)]
#[command(
    about = "Restore and save the IPVS rules and the director setup (the systemd units)",
    disable_version_flag = true
)]
pub struct ServiceCli {
    #[command(subcommand)]
    pub command: ServiceRoot,
}

#[derive(Debug, Subcommand)]
pub enum ServiceRoot {
    /// What the systemd units run: restore at boot, save at stop
    #[command(subcommand)]
    Service(ServiceCmd),
}

#[derive(Debug, Subcommand)]
pub enum ServiceCmd {
    /// Make the IPVS table what the rules file says (no file yet: an empty
    /// table)
    Start(RulesArgs),
    /// Save the IPVS table to the rules file, then clear the table
    Stop(StopArgs),
    /// Apply the saved director setup (no file yet: nothing to do)
    SetupStart(SetupArgs),
    /// Save the director setup to its file
    SetupStop(SetupStopArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// The rules file (/etc/ipvsadm.rules and /etc/sysconfig/ipvsadm, as
    /// Debian's and RHEL's ipvsadm keep them, work too)
    #[arg(long, value_name = "FILE", env = "RSVSADM_RULES", default_value = RULES_FILE)]
    pub rules: PathBuf,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub file: RulesArgs,
    /// Save the table to the rules file
    #[arg(long, value_name = "yes|no", env = "RSVSADM_SAVE_ON_STOP", default_value = "yes",
          value_parser = yes_no(), action = ArgAction::Set)]
    pub save_on_stop: bool,
    /// Clear the table (after saving it)
    #[arg(long, value_name = "yes|no", env = "RSVSADM_CLEAR_ON_STOP", default_value = "yes",
          value_parser = yes_no(), action = ArgAction::Set)]
    pub clear_on_stop: bool,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The saved director setup, as `rsvsadm setup save` writes it
    #[arg(long, value_name = "FILE", env = "RSVSADM_SETUP_FILE",
          default_value = director::SAVE_FILE)]
    pub setup_file: PathBuf,
}

#[derive(Debug, Args)]
pub struct SetupStopArgs {
    #[command(flatten)]
    pub file: SetupArgs,
    /// Save the setup in place to the setup file
    #[arg(long, value_name = "yes|no", env = "RSVSADM_SETUP_SAVE_ON_STOP",
          default_value = "yes", value_parser = yes_no(),
          action = ArgAction::Set)]
    pub save_on_stop: bool,
    /// Remove the setup (`rsvsadm setup clear`) after saving it
    #[arg(long, value_name = "yes|no", env = "RSVSADM_SETUP_CLEAR_ON_STOP",
          default_value = "no", value_parser = yes_no(),
          action = ArgAction::Set)]
    pub clear_on_stop: bool,
}

/// The `yes|no` of the settings (the words /etc/default files use).
fn yes_no() -> impl TypedValueParser<Value = bool> {
    PossibleValuesParser::new(["yes", "no"]).map(|v| v == "yes")
}

/// Runs `service ...`; `args` are the words after the program name.
/// Returns the exit status: 0 success, 2 bad usage, else what failed
/// says (ipvsadm's statuses for the IPVS table, 1 for files and setup).
pub fn run(argv0: &str, args: &[OsString]) -> i32 {
    let prog = cli::program_name(argv0);
    let parsed = ServiceCli::command()
        .bin_name(prog.to_string())
        .try_get_matches_from(std::iter::once(OsString::from(prog)).chain(args.iter().cloned()))
        .and_then(|m| ServiceCli::from_arg_matches(&m));
    let ServiceRoot::Service(command) = match parsed {
        Ok(cli) => cli.command,
        Err(e) => {
            // --help prints to stdout and succeeds.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let outcome = match command {
        ServiceCmd::Start(a) => start(argv0, &a.rules),
        ServiceCmd::Stop(a) => stop(argv0, &a),
        ServiceCmd::SetupStart(a) => return setup_start(argv0, &a.setup_file),
        ServiceCmd::SetupStop(a) => return setup_stop(argv0, &a),
    };
    match outcome {
        Ok(()) => 0,
        Err(f) => {
            eprint!("{}", f.message);
            f.code
        }
    }
}

/// Exit status for a rules file that cannot be read or written.
const EXIT_FILE: i32 = 1;

fn file_failure(prog: &str, what: &str, path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::new(
        format!("{prog}: cannot {what} {}: {e}\n", path.display()),
        EXIT_FILE,
    )
}

/// `service start`: flush, then the rules of the file (checked first).
fn start(argv0: &str, path: &Path) -> Outcome {
    let prog = cli::program_name(argv0);
    let input = match fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(file_failure(prog, "read the rules file", path, e)),
    };
    let mut ipvs = connect()?;
    match input {
        Some(input) => {
            restore_rules(argv0, &mut ipvs, &input, Source::File(path), true)?;
            println!("{prog}: restored the IPVS rules of {}", path.display());
        }
        None => {
            apply(&mut ipvs, &Change::Flush)?;
            println!(
                "{prog}: no rules file {} yet: starting with an empty IPVS table \
                 (`{prog} service stop` saves the table there)",
                path.display()
            );
        }
    }
    Ok(())
}

/// `service stop`: save (if asked), then clear (if asked). A failed save
/// leaves the table as it is.
fn stop(argv0: &str, args: &StopArgs) -> Outcome {
    let prog = cli::program_name(argv0);
    let path = &args.file.rules;
    let mut ipvs = connect()?;
    if args.save_on_stop {
        let text = saved_rules(&mut ipvs)?;
        director::write_atomic(path, &text).map_err(|e| {
            Failure::new(format!("{prog}: cannot save the rules: {e}\n"), EXIT_FILE)
        })?;
        println!("{prog}: saved the IPVS rules to {}", path.display());
    }
    if args.clear_on_stop {
        apply(&mut ipvs, &Change::Flush)?;
        println!("{prog}: cleared the IPVS table");
    }
    Ok(())
}

/// The rules file's text: the header, the connection timeouts, then the
/// rules of `-S -n`, with `-x`/`-y` on the destinations that have
/// thresholds. `-S` leaves the timeouts and thresholds out, which would
/// lose them at every reboot; ipvsadm's `-R` reads both.
fn saved_rules(ipvs: &mut Ipvs) -> Result<String, Failure> {
    let t = ipvs.timeouts().map_err(|e| list::list_failed(&e))?;
    let mut out = Vec::from(RULES_HEADER);
    // Writing into a Vec cannot fail.
    let _ = writeln!(out, "--set {} {} {}", t.tcp, t.tcp_fin, t.udp);
    // A service another process deletes while the table is read is left
    // out, as a save a moment later would leave it out.
    for entry in list::read_table(ipvs, true)? {
        let VirtualService {
            service,
            mut destinations,
        } = entry;
        sort_destinations(&mut destinations);
        let key = service.key;
        let mut rule = |change: Change| {
            write_change(&mut out, &change, true, &NumericResolver).map_err(list::write_failed)
        };
        rule(Change::AddService(service))?;
        for d in destinations {
            rule(Change::AddDest(key, d))?;
        }
    }
    // Numeric rules: addresses, numbers and the kernel's names, all ASCII.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `service setup-start`: `setup restore FILE`, if there is a file.
fn setup_start(argv0: &str, path: &Path) -> i32 {
    let prog = cli::program_name(argv0);
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            println!(
                "{prog}: no saved setup {} yet: nothing to set up \
                 (`{prog} service setup-stop` or `{prog} setup save` writes it)",
                path.display()
            );
            0
        }
        _ => director::run(argv0, &setup_args(&["setup", "restore"], Some(path))),
    }
}

/// `service setup-stop`: `setup save FILE`, then `setup clear`, as asked.
fn setup_stop(argv0: &str, args: &SetupStopArgs) -> i32 {
    if args.save_on_stop {
        let status = director::run(
            argv0,
            &setup_args(&["setup", "save"], Some(&args.file.setup_file)),
        );
        if status != 0 {
            return status;
        }
    }
    if args.clear_on_stop {
        return director::run(argv0, &setup_args(&["setup", "clear"], None));
    }
    0
}

fn setup_args(words: &[&str], file: Option<&Path>) -> Vec<OsString> {
    words
        .iter()
        .map(OsString::from)
        .chain(file.map(|f| f.as_os_str().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<ServiceCmd, clap::Error> {
        let cli =
            ServiceCli::try_parse_from(std::iter::once("rsvsadm").chain(words.iter().copied()))?;
        let ServiceRoot::Service(cmd) = cli.command;
        Ok(cmd)
    }

    #[test]
    fn service_cli_is_well_formed() {
        ServiceCli::command().debug_assert();
    }

    // One test for everything that reads the environment: tests run in
    // parallel threads of one process.
    #[test]
    fn service_options_and_environment() {
        let Ok(ServiceCmd::Stop(a)) = parse(&["service", "stop"]) else {
            panic!("stop")
        };
        assert_eq!(a.file.rules, Path::new(RULES_FILE));
        assert!(a.save_on_stop && a.clear_on_stop);
        let Ok(ServiceCmd::Stop(a)) = parse(&[
            "service",
            "stop",
            "--rules",
            "/etc/ipvsadm.rules",
            "--clear-on-stop",
            "no",
            "--save-on-stop=no",
        ]) else {
            panic!("stop with options")
        };
        assert_eq!(a.file.rules, Path::new("/etc/ipvsadm.rules"));
        assert!(!a.save_on_stop && !a.clear_on_stop);
        assert!(parse(&["service", "stop", "--clear-on-stop", "maybe"]).is_err());
        assert!(parse(&["service", "stop", "--clear-on-stop", "true"]).is_err());
        let Ok(ServiceCmd::SetupStop(a)) = parse(&["service", "setup-stop"]) else {
            panic!("setup-stop")
        };
        assert_eq!(a.file.setup_file, Path::new(director::SAVE_FILE));
        assert!(a.save_on_stop && !a.clear_on_stop);

        std::env::set_var("RSVSADM_RULES", "/etc/sysconfig/ipvsadm");
        std::env::set_var("RSVSADM_CLEAR_ON_STOP", "no");
        let Ok(ServiceCmd::Stop(a)) = parse(&["service", "stop"]) else {
            panic!("stop from the environment")
        };
        assert_eq!(a.file.rules, Path::new("/etc/sysconfig/ipvsadm"));
        assert!(a.save_on_stop && !a.clear_on_stop);
        // An option beats the environment.
        let Ok(ServiceCmd::Stop(a)) = parse(&["service", "stop", "--clear-on-stop", "yes"]) else {
            panic!("option over environment")
        };
        assert!(a.clear_on_stop);
        std::env::remove_var("RSVSADM_RULES");
        std::env::remove_var("RSVSADM_CLEAR_ON_STOP");
    }

    /// systemd/rsvsadm.default shows every setting with its default, as
    /// the options have them.
    #[test]
    fn service_settings_file_shows_the_defaults() {
        let file = include_str!("../../systemd/rsvsadm.default");
        let cli = ServiceCli::command();
        let service = cli.find_subcommand("service").expect("service");
        let mut seen = 0;
        for arg in service.get_subcommands().flat_map(|c| c.get_arguments()) {
            let (Some(env), Some(default)) = (arg.get_env(), arg.get_default_values().first())
            else {
                continue;
            };
            let line = format!("#{}={}", env.to_string_lossy(), default.to_string_lossy());
            assert!(
                file.lines().any(|l| l == line),
                "no {line:?} in the settings file"
            );
            seen += 1;
        }
        assert!(seen >= 6, "{seen} settings");
    }

    #[test]
    fn service_usage_errors_exit_2() {
        for words in [
            &["service"][..],
            &["service", "bogus"],
            &["service", "start", "x"],
        ] {
            assert_eq!(parse(words).unwrap_err().exit_code(), 2, "{words:?}");
        }
    }

    #[test]
    fn service_setup_arguments() {
        assert_eq!(
            setup_args(&["setup", "save"], Some(Path::new("/x/setup.conf"))),
            ["setup", "save", "/x/setup.conf"].map(OsString::from)
        );
        assert_eq!(
            setup_args(&["setup", "clear"], None),
            ["setup", "clear"].map(OsString::from)
        );
    }

    /// `service stop` saves the table while another process deletes a
    /// service (the unit's save must not fail at shutdown): the rules
    /// leave it out, and keep everything else.
    #[test]
    fn service_stop_saves_a_table_changing_under_it() {
        use ipvs::testing::{FakeKernel, FakeRequest};
        use ipvs::{Destination, Protocol, Service, ServiceKey, VirtualService};

        let key = |last: u8| ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: std::net::IpAddr::from([203, 0, 113, last]),
            port: 80,
        };
        let kernel = FakeKernel::new();
        kernel.set_table(
            (1..=3)
                .map(|i| VirtualService {
                    service: Service::new(key(i)),
                    destinations: vec![Destination::new([192, 0, 2, i].into(), 80)],
                })
                .collect(),
        );
        kernel.before_each_datagram(move |table, request, _| {
            if *request == FakeRequest::ListDestinations(key(1)) {
                table.retain(|e| e.service.key != key(2));
            }
        });
        let mut ipvs = kernel.connect().unwrap();
        let text = saved_rules(&mut ipvs).unwrap_or_else(|f| panic!("{}", f.message));
        let rules: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            rules,
            [
                "--set 900 120 300",
                "-A -t 203.0.113.1:80 -s wlc",
                "-a -t 203.0.113.1:80 -r 192.0.2.1:80 -g -w 1",
                "-A -t 203.0.113.3:80 -s wlc",
                "-a -t 203.0.113.3:80 -r 192.0.2.3:80 -g -w 1",
            ]
        );
    }

    #[test]
    fn service_setup_start_without_a_file_is_a_notice() {
        let missing = std::env::temp_dir().join(format!("rsvsadm-no-setup-{}", std::process::id()));
        assert_eq!(setup_start("rsvsadm", &missing), 0);
    }
}
