//! [`parse_args`]: ipvsadm's `process_options()` up to the point where it
//! talks to the kernel. The tokenizer ([`super::parse`]) finds each option
//! in the table ([`super::table`]); its row's action is applied to a
//! [`Builder`], which checks and builds the [`Command`].
//!
//! The grammar's modules import one way: `command` (the result types) <-
//! `builder` <- `options` (what a row is) <- `table` (the rows and their
//! lookups) <- `parse` (the tokenizer) <- `args` (this driver).

use super::builder::{Builder, Value};
use super::command::{Command, ListRequest};
use super::options::Action;
use super::parse::Popt;
use super::resolve::NameResolver;
use super::rules::Verb;
use super::table::daemon_state;
use super::{CliError, ParseOptions};

/// Parse the arguments after the program name (ipvsadm's
/// `process_options()` up to the point where it talks to the kernel).
pub(crate) fn parse_args(
    args: &[Vec<u8>],
    resolver: &dyn NameResolver,
    options: ParseOptions,
) -> Result<Command, CliError> {
    if args.is_empty() {
        // main(): no arguments lists the table.
        return Ok(Command::List(ListRequest::default()));
    }
    let mut popt = Popt::new(args, options.posixly_correct);

    // The first option must be a command; anything else (including a
    // popt error or no option at all) only prints the "Try" hint.
    let first = match popt.next_opt() {
        Ok(Some(hit)) => hit,
        Ok(None) | Err(_) => return Err(CliError::try_help()),
    };
    let Action::Command(verb) = first.spec.action else {
        return Err(CliError::try_help());
    };
    let mut builder = Builder::new(verb);
    let state = first.value.as_deref().map(daemon_state);
    match verb {
        Verb::Help | Verb::Version => return builder.finish(),
        Verb::StartDaemon => {
            builder.state = state
                .flatten()
                .ok_or_else(|| CliError::fail("illegal start-daemon parameter specified"))?;
        }
        Verb::StopDaemon => {
            // sic: ipvsadm's text for --stop-daemon.
            builder.state = state
                .flatten()
                .ok_or_else(|| CliError::fail("illegal start_daemon specified"))?;
        }
        _ => {}
    }

    // The `while` loop of `parse_options()`.
    while let Some(hit) = popt.next_opt().map_err(|e| CliError::popt(&e))? {
        let value = Value::new(hit.value.as_deref(), resolver);
        match hit.spec.action {
            Action::Set(class, setter) => {
                builder.set(class)?;
                setter(&mut builder, value)?;
            }
            Action::Apply(setter) => setter(&mut builder, value)?,
            // A command, -h or -v after the first option.
            Action::Command(_) => {
                return Err(CliError::echo(&[
                    b"invalid option `",
                    popt.bad_option(),
                    b"'",
                ]))
            }
        }
    }

    if verb == Verb::Timeout {
        let (Some(tcp), Some(fin), Some(udp)) = (popt.next_arg(), popt.next_arg(), popt.next_arg())
        else {
            return Err(CliError::fail("--set option requires 3 timeout values"));
        };
        builder.set_timeouts([&tcp, &fin, &udp])?;
    }

    if let Some(extra) = popt.next_arg() {
        return Err(CliError::echo(&[b"unexpected argument ", &extra]));
    }

    builder.apply_sched_flags()?;
    builder.finish()
}
