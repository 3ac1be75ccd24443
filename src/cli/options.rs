//! What an option is: one [`OptSpec`] row of [`super::table::OPTIONS`] holds its names, its value, its help group and text,
//! its completion hints, and how it is applied (its [`Action`]).
//!
//! Everything else is derived from the rows: the popt-like tokenizer
//! ([`super::parse`]) looks names up in the table, the command builder
//! ([`super::builder`]) runs the actions, [`super::table::clap_command`] gives the shell
//! completions, and `tests/man.rs` checks the man page against it.

use clap::ValueHint;

use super::builder::Setter;
use super::rules::{OptClass, Verb};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::table::{clap_command, find_long, find_short, OPTIONS};
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
