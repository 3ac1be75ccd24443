//! ipvsadm 1.31's command-line grammar, parsed into typed [`Command`]s.
//!
//! - [`options`]: the one table of every option (also builds
//!   [`clap_command`] for completions).
//! - [`parse`]: a popt-compatible tokenizer over that table.
//! - [`command`]: the typed commands and ipvsadm's per-command rules.
//! - [`address`]: host\[:port\], masks and numbers with C semantics.
//! - [`help`]: the `-h` and `-v` texts.
//! - [`restore`]: the `-R` input parser.
//! - [`resolve`]: host/service name lookups behind a trait.
//!
//! Parsing never talks to the kernel (ipvsadm opens its IPVS socket before
//! it even looks at its arguments, so `-h` fails without IPVS; ours does
//! not). Errors are [`CliError`]s whose [`CliError::render`] gives
//! ipvsadm's exact stderr text and [`CliError::exit_code`] its status.

pub mod address;
pub mod command;
pub mod help;
pub mod options;
pub mod parse;
pub mod resolve;
pub mod restore;

use std::ffi::OsStr;
use std::fmt;

pub use command::{Command, ListFormat, ListRequest, ListTarget, SyncOptions};
pub use help::{help_text, program_name, try_help_text, version_text};
pub use options::{clap_command, OPTIONS};
pub use resolve::{NameResolver, NoResolver, SystemResolver};
pub use restore::{parse_restore, parse_restore_with, RestoreError, RestoreLine};

/// A command-line error, as ipvsadm reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// ipvsadm's `fail(2, ...)`: the message and a newline; exit status 2.
    Fail(String),
    /// A popt error after the command: `<word>: <reason>`; exit status 255
    /// (`process_options()` returns -1).
    Popt {
        option: String,
        reason: &'static str,
    },
    /// `tryhelp_exit(argv[0], -1)`: only the "Try `prog -h'" line; exit
    /// status 255. ipvsadm says nothing else when the first option is not
    /// a command, is unknown, lacks its value, or there is no option.
    TryHelp,
}

impl CliError {
    pub(crate) fn fail(message: impl Into<String>) -> CliError {
        CliError::Fail(message.into())
    }

    pub(crate) fn try_help() -> CliError {
        CliError::TryHelp
    }

    pub(crate) fn popt(e: &parse::PoptError) -> CliError {
        CliError::Popt {
            option: e.option.clone(),
            reason: e.kind.text(),
        }
    }

    /// The process exit status ipvsadm uses for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Fail(_) => 2,
            CliError::Popt { .. } | CliError::TryHelp => 255,
        }
    }

    /// Exactly what ipvsadm writes to stderr, with `prog` (argv\[0\] as
    /// invoked) where ipvsadm prints its argv\[0\].
    pub fn render(&self, prog: &str) -> String {
        match self {
            CliError::Fail(m) => format!("{m}\n"),
            CliError::Popt { option, reason } => format!("{option}: {reason}\n"),
            CliError::TryHelp => try_help_text(prog),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render("rsvsadm").trim_end_matches('\n'))
    }
}

impl std::error::Error for CliError {}

/// Settings that come from the environment rather than the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// popt's POSIX mode: options end at the first non-option word (as
    /// with `POSIXLY_CORRECT` or `POSIX_ME_HARDER` set).
    pub posixly_correct: bool,
}

impl ParseOptions {
    /// What popt would pick up from this process's environment.
    pub fn from_env() -> ParseOptions {
        ParseOptions {
            posixly_correct: std::env::var_os("POSIXLY_CORRECT").is_some()
                || std::env::var_os("POSIX_ME_HARDER").is_some(),
        }
    }
}

/// Parse the arguments after the program name, as popt does without
/// POSIX mode (see [`parse_with`]).
///
/// No arguments means "list everything". Arguments that are not valid
/// UTF-8 are converted lossily (ipvsadm would pass the bytes through;
/// every value it accepts is ASCII except interface, scheduler and
/// persistence-engine names, which the kernel would not know anyway).
pub fn parse<S: AsRef<OsStr>>(
    args: &[S],
    resolver: &dyn NameResolver,
) -> Result<Command, CliError> {
    parse_with(args, resolver, ParseOptions::default())
}

/// [`parse`] with explicit [`ParseOptions`]; the binary passes
/// [`ParseOptions::from_env`] to behave as ipvsadm does.
pub fn parse_with<S: AsRef<OsStr>>(
    args: &[S],
    resolver: &dyn NameResolver,
    options: ParseOptions,
) -> Result<Command, CliError> {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    command::parse_args(&args, resolver, options)
}

#[cfg(test)]
mod tests;
