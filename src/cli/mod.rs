//! ipvsadm 1.31's command-line grammar, parsed into typed [`Command`]s.
//!
//! - [`options`]: what an option is: one row of the one table of every
//!   option (`table`) holds its names, value, help and how it is applied;
//!   [`clap_command`] for completions is derived from it.
//! - [`parse`]: a popt-compatible tokenizer over that table.
//! - [`command`]: the typed commands, and the parse of one command line
//!   (the rows' setters fill a `builder::Builder`; `rules` has ipvsadm's
//!   per-command option rules).
//! - [`address`]: host\[:port\], masks and numbers with C semantics.
//! - [`help`]: the `-h` and `-v` texts.
//! - [`restore`]: the `-R` input parser.
//! - [`resolve`]: host/service name lookups behind a trait.
//!
//! Parsing never talks to the kernel (ipvsadm opens its IPVS socket before
//! it even looks at its arguments, so `-h` fails without IPVS; ours does
//! not). Errors are [`CliError`]s whose [`CliError::render_bytes`] gives
//! ipvsadm's exact stderr bytes and [`CliError::exit_code`] its status.
//! Arguments are bytes throughout, as in C: a word that is not UTF-8 is
//! echoed as it was given.

pub mod address;
mod args;
mod builder;
pub mod command;
pub mod help;
pub mod options;
pub mod parse;
pub mod resolve;
pub mod restore;
mod rules;
mod table;

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;

pub use command::{Command, ListFormat, ListRequest, ListTarget, SyncOptions};
pub use help::{
    help_text, program_name, rsvsadm_help_text, try_help_text, version_text, OwnCommand,
};
pub use resolve::{NameResolver, NoResolver, NssResolver};
pub use restore::{parse_restore, parse_restore_with, RestoreError, RestoreLine};
pub use table::{clap_command, OPTIONS};

/// A command-line error, as ipvsadm reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// ipvsadm's `fail(2, ...)`: the message (bytes: it may echo a word
    /// that is not UTF-8) and a newline; exit status 2.
    Fail(Vec<u8>),
    /// A popt error after the command: `<word>: <reason>`; exit status 255
    /// (`process_options()` returns -1).
    Popt {
        option: Vec<u8>,
        reason: &'static str,
    },
    /// `tryhelp_exit(argv[0], -1)`: only the "Try `prog -h'" line; exit
    /// status 255. ipvsadm says nothing else when the first option is not
    /// a command, is unknown, lacks its value, or there is no option.
    TryHelp,
}

impl CliError {
    pub(crate) fn fail(message: impl Into<String>) -> CliError {
        CliError::Fail(message.into().into_bytes())
    }

    /// A `fail()` message made of text and echoed words.
    pub(crate) fn echo(parts: &[&[u8]]) -> CliError {
        CliError::Fail(parts.concat())
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
    pub fn render_bytes(&self, prog: &str) -> Vec<u8> {
        match self {
            CliError::Fail(m) => [m.as_slice(), b"\n"].concat(),
            CliError::Popt { option, reason } => {
                [option.as_slice(), b": ", reason.as_bytes(), b"\n"].concat()
            }
            CliError::TryHelp => try_help_text(prog).into_bytes(),
        }
    }

    /// [`CliError::render_bytes`] as text (a byte that is not UTF-8 reads
    /// as U+FFFD), for messages that quote it.
    pub fn render(&self, prog: &str) -> String {
        String::from_utf8_lossy(&self.render_bytes(prog)).into_owned()
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
/// No arguments means "list everything". Arguments are taken as bytes;
/// values are decoded (lossily) only where they are parsed or sent as
/// names: every value ipvsadm accepts is ASCII except interface,
/// scheduler and persistence-engine names, which the kernel would not
/// know anyway.
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
    let args: Vec<Vec<u8>> = args
        .iter()
        .map(|a| a.as_ref().as_bytes().to_vec())
        .collect();
    args::parse_args(&args, resolver, options)
}

#[cfg(test)]
mod tests;
