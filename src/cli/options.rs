//! What an option is: one [`OptSpec`] row of [`OPTIONS`] (in
//! [`super::table`]) holds its names, its value, its help group and text,
//! its completion hints, and how it is applied (its [`Action`]).
//!
//! Everything else is derived from the rows: the popt-like tokenizer
//! ([`super::parse`]) looks names up here, the command builder
//! ([`super::builder`]) runs the actions, [`clap_command`] gives the shell
//! completions, and `tests/man.rs` checks the man page against it.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ValueHint};

use super::builder::Setter;
use super::rules::{OptClass, Verb};
pub use super::table::OPTIONS;

/// Whether an option takes a value (popt's `POPT_ARG_NONE`,
/// `POPT_ARG_STRING`, `POPT_ARG_STRING|POPT_ARGFLAG_OPTIONAL`), with the
/// value's name in help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    Required(&'static str),
    /// The value is taken from the same word (`-p300`, `--persistent=300`)
    /// or from the next word unless that word starts with `-`.
    Optional(&'static str),
}

impl ArgKind {
    /// The value's name in help text, if the option takes one.
    pub fn value_name(self) -> Option<&'static str> {
        match self {
            ArgKind::None => None,
            ArgKind::Required(name) | ArgKind::Optional(name) => Some(name),
        }
    }
}

/// What an option is for; groups help and completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Selects the command; must be the first option.
    Command,
    /// Names a virtual service.
    Service,
    /// Any other option.
    Option,
    /// Connection-sync daemon option.
    Daemon,
    /// rsvsadm's own option, not in ipvsadm (and so not in its `-h` text).
    Extension,
}

/// How an option is applied once popt has found it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action {
    /// Selects the command (only as the first option).
    Command(Verb),
    /// `set_option()` for the class (once per command line), then the
    /// setter.
    Set(OptClass, Setter),
    /// The setter alone: options ipvsadm does not count.
    Apply(Setter),
}

/// One row of the option table.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    /// Long name without the leading `--`.
    pub long: &'static str,
    /// Short letters; the first is the documented one, others are aliases
    /// (`-l` for `-L`).
    pub shorts: &'static [char],
    pub arg: ArgKind,
    pub role: Role,
    /// One-line description (from ipvsadm's usage text where it has one).
    pub help: &'static str,
    /// The accepted or suggested values, for completions.
    pub values: &'static [&'static str],
    /// Several of [`OptSpec::values`], comma-separated (`-b`).
    pub comma_list: bool,
    /// What kind of value a shell should complete.
    pub hint: ValueHint,
    pub(crate) action: Action,
}

impl OptSpec {
    /// A row with no value, no completion hints.
    pub(crate) const fn new(
        long: &'static str,
        shorts: &'static [char],
        role: Role,
        help: &'static str,
        action: Action,
    ) -> OptSpec {
        OptSpec {
            long,
            shorts,
            arg: ArgKind::None,
            role,
            help,
            values: &[],
            comma_list: false,
            hint: ValueHint::Unknown,
            action,
        }
    }

    pub(crate) const fn takes(mut self, arg: ArgKind) -> OptSpec {
        self.arg = arg;
        self
    }

    pub(crate) const fn values(mut self, values: &'static [&'static str]) -> OptSpec {
        self.values = values;
        self
    }

    pub(crate) const fn comma_list(mut self) -> OptSpec {
        self.comma_list = true;
        self
    }

    pub(crate) const fn hint(mut self, hint: ValueHint) -> OptSpec {
        self.hint = hint;
        self
    }
}

/// popt's long-name lookup: exact match, first row wins.
pub fn find_long(name: &[u8]) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|s| s.long.as_bytes() == name)
}

/// popt's short-name lookup (one byte), first row wins.
pub fn find_short(c: u8) -> Option<&'static OptSpec> {
    OPTIONS
        .iter()
        .find(|s| s.shorts.iter().any(|&sc| sc.is_ascii() && sc as u8 == c))
}

/// A `clap::Command` describing the same option set, for shell
/// completions and documentation checks. It is NOT used to parse: clap
/// cannot express popt's rules (command-first, clustered optional values).
pub fn clap_command(prog: &str) -> clap::Command {
    // clap (without its "string" feature) keeps names as &'static str;
    // this is built once per process, so leaking the name is fine.
    let name: &'static str = Box::leak(prog.to_string().into_boxed_str());
    let cmd = clap::Command::new(name)
        .about("Linux Virtual Server administration")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("set-values")
                .help("--set: tcp tcpfin udp timeouts in seconds")
                .value_names(["tcp", "tcpfin", "udp"])
                .num_args(0..=3)
                .action(ArgAction::Append),
        );
    OPTIONS.iter().fold(cmd, |cmd, s| cmd.arg(clap_arg(s)))
}

fn clap_arg(s: &OptSpec) -> Arg {
    let mut arg = Arg::new(s.long).long(s.long).help(s.help);
    if let Some((&first, rest)) = s.shorts.split_first() {
        arg = arg.short(first);
        for &alias in rest {
            arg = arg.short_alias(alias);
        }
    }
    arg = arg.help_heading(match s.role {
        Role::Command => "Commands",
        Role::Service => "Virtual service",
        Role::Option => "Options",
        Role::Daemon => "Daemon options",
        Role::Extension => "rsvsadm extensions",
    });
    arg = match s.arg {
        ArgKind::None => arg.action(ArgAction::SetTrue),
        ArgKind::Required(_) => arg.action(ArgAction::Set).num_args(1),
        ArgKind::Optional(_) => arg.action(ArgAction::Set).num_args(0..=1),
    };
    if let Some(name) = s.arg.value_name() {
        arg = arg.value_name(name);
    }
    if !s.values.is_empty() {
        arg = arg.value_parser(PossibleValuesParser::new(s.values.iter().copied()));
    }
    if s.comma_list {
        arg = arg.value_delimiter(',');
    }
    if s.hint != ValueHint::Unknown {
        arg = arg.value_hint(s.hint);
    }
    arg
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn cli_table_names_are_unique() {
        let mut longs = HashSet::new();
        let mut shorts = HashSet::new();
        for s in OPTIONS {
            assert!(longs.insert(s.long), "duplicate --{}", s.long);
            for &c in s.shorts {
                assert!(shorts.insert(c), "duplicate -{c}");
            }
            let selects = matches!(s.action, Action::Command(_));
            assert_eq!(selects, s.role == Role::Command, "--{}", s.long);
        }
    }

    #[test]
    fn cli_lookup() {
        assert_eq!(find_long(b"list").unwrap().long, "list");
        assert_eq!(find_short(b'l').unwrap().long, "list");
        assert!(find_short(b'I').is_none(), "--syncid has no short form");
        assert!(find_long(b"lis").is_none(), "popt has no abbreviations");
        assert_eq!(find_short(b'6').unwrap().long, "ipv6");
    }

    #[test]
    fn cli_clap_command_builds() {
        let cmd = clap_command("rsvsadm");
        cmd.clone().debug_assert();
        let m = cmd
            .try_get_matches_from([
                "rsvsadm",
                "-A",
                "-t",
                "1.2.3.4:80",
                "-s",
                "wrr",
                "-b",
                "flag-1,flag-2",
            ])
            .unwrap();
        assert!(m.get_flag("add-service"));
        assert_eq!(m.get_one::<String>("scheduler").unwrap(), "wrr");
        let flags: Vec<&String> = m.get_many::<String>("sched-flags").unwrap().collect();
        assert_eq!(flags, ["flag-1", "flag-2"]);
        let tun = clap_command("x");
        let arg = tun
            .get_arguments()
            .find(|a| a.get_id() == "tun-type")
            .unwrap();
        let pv: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(pv, ["ipip", "gue", "gre"]);
    }
}
