//! What the binary does: pick the personality from argv\[0\], parse the
//! command line, run the command against the kernel and map every outcome
//! to ipvsadm's output and exit status.
//!
//! rsvsadm's own additions: a leading `--netns NAME` (`netns`), `-L
//! --json` (`json`), `rsvsadm service ...` for the systemd units
//! (`service`), `rsvsadm metrics` for Prometheus (`metrics`), and the whole command line as one clap definition for
//! completions ([`completions`]).

pub mod completions;
mod errors;
mod json;
mod list;
mod metrics;
mod netns;
pub mod reconcile;
mod restore;
mod service;
mod sync;

use std::ffi::OsString;
use std::io::{self, Write};

use ipvs::{Change, Daemon, Error, Ipvs};

use crate::cli::{self, Command, ParseOptions};
pub use errors::{kernel_message, KernelOp};

/// How a command ended: what to print on stderr and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    pub fn new(message: impl Into<String>, code: i32) -> Failure {
        Failure {
            message: message.into(),
            code,
        }
    }
    /// A message that may not be UTF-8 (it echoes the user's bytes, as
    /// ipvsadm does): written to stderr now, the failure keeps the status.
    pub fn printed(message: &[u8], code: i32) -> Failure {
        let _ = io::stderr().lock().write_all(message);
        Failure::new("", code)
    }
}

pub type Outcome = Result<(), Failure>;

/// ipvsadm exits 255 (its `-1`) when the kernel refuses a change.
const EXIT_KERNEL: i32 = 255;
/// ipvsadm exits 1 when a listing fails.
const EXIT_LIST: i32 = 1;
/// ipvsadm exits 2 when IPVS cannot be initialised.
const EXIT_INIT: i32 = 2;

/// The entry point: returns the process exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rsvsadm".to_string());
    let rest = match enter_netns(&argv0, &args[args.len().min(1)..]) {
        Ok(rest) => rest,
        Err(f) => return report(Err(f)),
    };
    let outcome = match cli::program_name(&argv0) {
        "ipvsadm-save" => save_personality(&argv0, rest),
        "ipvsadm-restore" => restore::restore_personality(&argv0),
        _ if is_director_command(rest) => {
            return crate::director::run(&argv0, rest);
        }
        // Like `setup`, a word ipvsadm's grammar cannot start with.
        _ if first_word(rest) == Some("service") => return service::run(&argv0, rest),
        _ if first_word(rest) == Some("metrics") => return metrics::run(&argv0, rest),
        _ => run_ipvsadm(&argv0, rest),
    };
    report(outcome)
}

/// A leading `--netns NAME`: enter it, and go on with the other words.
fn enter_netns<'a>(argv0: &str, args: &'a [OsString]) -> Result<&'a [OsString], Failure> {
    let prefixed = |f: Failure| {
        let prog = cli::program_name(argv0);
        Failure::new(format!("{prog}: {}", f.message), f.code)
    };
    let (name, rest) = netns::split_leading(args).map_err(prefixed)?;
    if let Some(name) = name {
        netns::enter(name).map_err(prefixed)?;
    }
    Ok(rest)
}

/// Prints a failure's message; the exit status.
fn report(outcome: Outcome) -> i32 {
    match outcome {
        Ok(()) => 0,
        Err(f) => {
            let mut stderr = io::stderr().lock();
            let _ = stderr.write_all(f.message.as_bytes());
            f.code
        }
    }
}

/// `setup ...` and `check` are rsvsadm's own commands (no ipvsadm word
/// starts without a dash, so they cannot clash with its grammar).
fn is_director_command(args: &[OsString]) -> bool {
    matches!(first_word(args), Some("setup" | "check"))
}

fn first_word(args: &[OsString]) -> Option<&str> {
    args.first().and_then(|a| a.to_str())
}

/// The ipvsadm command line.
fn run_ipvsadm(argv0: &str, args: &[OsString]) -> Outcome {
    let command = cli::parse_with(args, &cli::NssResolver, ParseOptions::from_env())
        .map_err(|e| Failure::printed(&e.render_bytes(argv0), e.exit_code()))?;
    execute(argv0, command)
}

/// `ipvsadm-save [-n]`: the rules on stdout; any other option is a usage
/// error (exit 1), as the ipvsadm-save script does.
fn save_personality(argv0: &str, args: &[OsString]) -> Outcome {
    let mut numeric = false;
    for arg in args {
        match arg.to_str() {
            Some("-n") => numeric = true,
            Some(a) if a.starts_with('-') => {
                let name = cli::program_name(argv0);
                return Err(Failure::new(
                    format!(
                        "{name}: Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n"
                    ),
                    1,
                ));
            }
            _ => {}
        }
    }
    execute(argv0, Command::Save { numeric })
}

/// Runs one parsed command.
pub fn execute(argv0: &str, command: Command) -> Outcome {
    match command {
        Command::Help => print(&help(argv0)),
        Command::Version => print(&cli::version_text(cli::program_name(argv0))),
        Command::List(request) => list::list(&mut connect()?, &request),
        Command::Save { numeric } => list::save(&mut connect()?, numeric),
        Command::Restore => restore::restore(argv0, &mut connect()?, false),
        Command::Sync(options) => sync::sync(argv0, &mut connect()?, options),
        // Every other command is a single change to the table.
        other => match to_change(other) {
            Some(change) => apply(&mut connect()?, &change),
            None => Ok(()),
        },
    }
}

/// `-h`: ipvsadm's text, byte for byte, when called by one of ipvsadm's
/// names; else rsvsadm's, which goes on with rsvsadm's own commands (every
/// subcommand of the whole command line, [`completions::command`]: a new
/// one is listed once it is there) and options.
fn help(argv0: &str) -> String {
    if cli::program_name(argv0).starts_with("ipvsadm") {
        return cli::help_text(argv0);
    }
    let whole = completions::command(argv0);
    let commands: Vec<cli::OwnCommand> = whole.get_subcommands().map(own_command).collect();
    cli::rsvsadm_help_text(argv0, &commands)
}

/// `setup nat|fullnat|...` and its one-line description.
fn own_command(c: &clap::Command) -> cli::OwnCommand {
    let words: Vec<&str> = c.get_subcommands().map(|s| s.get_name()).collect();
    let synopsis = match words.as_slice() {
        [] => format!("{} [options]", c.get_name()),
        words => format!("{} {}", c.get_name(), words.join("|")),
    };
    cli::OwnCommand {
        synopsis,
        about: c.get_about().map(|a| a.to_string()).unwrap_or_default(),
    }
}

/// The kernel change a command makes, if it is one.
pub fn to_change(command: Command) -> Option<Change> {
    Some(match command {
        Command::AddService(s) => Change::AddService(s),
        Command::EditService(s) => Change::EditService(s),
        Command::DeleteService(k) => Change::DeleteService(k),
        Command::Flush => Change::Flush,
        Command::AddDest { service, dest } => Change::AddDest(service, dest),
        Command::EditDest { service, dest } => Change::EditDest(service, dest),
        Command::DeleteDest {
            service,
            addr,
            port,
        } => Change::DeleteDest(service, addr, port),
        Command::Zero(k) => Change::Zero(k),
        Command::SetTimeouts(t) => Change::SetTimeouts(t),
        Command::StartDaemon(d) => Change::StartDaemon(d),
        Command::StopDaemon { state, syncid } => Change::StopDaemon(Daemon {
            state,
            mcast_ifn: String::new(),
            syncid,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }),
        Command::List(_)
        | Command::Save { .. }
        | Command::Restore
        | Command::Sync(_)
        | Command::Help
        | Command::Version => return None,
    })
}

pub(crate) fn apply(ipvs: &mut Ipvs, change: &Change) -> Outcome {
    ipvs.apply(change)
        .map_err(|e| kernel_failure(KernelOp::of(change), &e, EXIT_KERNEL))
}

fn print(text: &str) -> Outcome {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(format!("{e}\n"), EXIT_LIST))
}

/// Opens the IPVS connection. Without IPVS in the kernel, say so and how
/// to fix it (ipvsadm's "Can't initialize ipvs" with a useful second line).
pub fn connect() -> Result<Ipvs, Failure> {
    Ipvs::connect().map_err(|e| match e {
        Error::NoIpvs => Failure::new(
            "Can't initialize ipvs: the kernel has no IP Virtual Server support loaded.\n\
             Load it with `modprobe ip_vs` (as root), or use a kernel built with CONFIG_IP_VS.\n",
            EXIT_INIT,
        ),
        other => init_failure(&other.to_string()),
    })
}

fn init_failure(reason: &str) -> Failure {
    Failure::new(
        format!(
            "Can't initialize ipvs: {reason}\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
        ),
        EXIT_INIT,
    )
}

/// Maps a client error to ipvsadm's message. Without CAP_NET_ADMIN every
/// IPVS request fails with EPERM; ipvsadm meets that in its start-up
/// GET_INFO and reports it as an initialisation failure, so we do too.
pub fn kernel_failure(op: KernelOp, e: &Error, code: i32) -> Failure {
    match e.errno() {
        Some(errno) if errno == nix::errno::Errno::EPERM as i32 => {
            init_failure(&kernel_message(op, errno))
        }
        Some(errno) => Failure::new(format!("{}\n", kernel_message(op, errno)), code),
        None => Failure::new(format!("{e}\n"), code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_ipvsadms_under_its_names() {
        for prog in ["/usr/sbin/ipvsadm", "ipvsadm", "ipvsadm-restore"] {
            assert_eq!(help(prog), cli::help_text(prog), "{prog}");
        }
    }

    #[test]
    fn help_as_rsvsadm_lists_every_own_command() {
        let h = help("/usr/sbin/rsvsadm");
        let own = h
            .strip_prefix(cli::help_text("/usr/sbin/rsvsadm").as_str())
            .expect("ipvsadm's text first");
        for command in completions::command("rsvsadm").get_subcommands() {
            let line = format!("\n  /usr/sbin/rsvsadm {} ", command.get_name());
            assert!(own.contains(&line), "{line:?} missing");
        }
        assert!(own.contains("  /usr/sbin/rsvsadm setup nat|fullnat|realserver|"));
        assert!(own.contains("  /usr/sbin/rsvsadm check [options]   Inspect"));
    }
}
