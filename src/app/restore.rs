//! `-R`: read the whole input, validate every line, then apply the changes
//! pipelined on one socket. A line the kernel refuses is reported with its
//! line number and ipvsadm's message, and the rest goes on (as in
//! ipvsadm); the exit status is then non-zero.

use std::io::{self, Read, Write};
use std::path::Path;

use ipvs::{Change, Ipvs};

use super::{connect, execute, kernel_failure, to_change, Failure, KernelOp, Outcome, EXIT_KERNEL};
use crate::cli::{self, Command, ParseOptions, RestoreLine};

/// A run of consecutive changes, each with its 1-based input line (0 for
/// the flush `ipvsadm-restore` does first), or a command that is not a
/// change (a listing inside the input, which must see the changes before
/// it).
enum RestoreStep {
    Changes(Vec<(usize, Change)>),
    Other(Command),
}

pub(super) fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| Failure::new(format!("reading standard input: {e}\n"), EXIT_KERNEL))?;
    Ok(input)
}

/// The input split into lines, indexed once when a line is refused:
/// looking each one up from the start of the input would cost O(lines)
/// per line (minutes for a 50,000-line restore).
pub(super) struct Lines<'a>(Vec<&'a [u8]>);

impl<'a> Lines<'a> {
    pub(super) fn new(input: &'a [u8]) -> Lines<'a> {
        Lines(input.split(|b| *b == b'\n').collect())
    }

    /// The bytes of 1-based line `line` as the user wrote them (line 0
    /// is the flush of `ipvsadm-restore`), for error messages.
    pub(super) fn bytes(&self, line: usize) -> &'a [u8] {
        let raw = match line.checked_sub(1) {
            None => b"-C",
            Some(i) => self.0.get(i).copied().unwrap_or_default(),
        };
        let end = raw.iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
        &raw[..end]
    }

    /// [`Lines::bytes`] as text (lossily).
    pub(super) fn text(&self, line: usize) -> String {
        String::from_utf8_lossy(self.bytes(line)).into_owned()
    }
}

fn plan(lines: Vec<RestoreLine>, flush_first: bool) -> Vec<RestoreStep> {
    let mut steps = Vec::new();
    let mut batch = Vec::new();
    if flush_first {
        batch.push((0, Change::Flush));
    }
    for RestoreLine { line, command } in lines {
        match to_change(command.clone()) {
            Some(change) => batch.push((line, change)),
            None => {
                if !batch.is_empty() {
                    steps.push(RestoreStep::Changes(std::mem::take(&mut batch)));
                }
                steps.push(RestoreStep::Other(command));
            }
        }
    }
    if !batch.is_empty() {
        steps.push(RestoreStep::Changes(batch));
    }
    steps
}

/// Where restore input comes from: it names a bad line in messages.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// `-R`: "-R line N".
    Stdin,
    /// A rules file (`service start`): "PATH:N".
    File(&'a Path),
}

impl Source<'_> {
    fn locate(&self, prog: &str, line: usize) -> String {
        match self {
            Source::Stdin => format!("{prog}: -R line {line}"),
            Source::File(path) => format!("{prog}: {}:{line}", path.display()),
        }
    }
}

/// `-R` (and `ipvsadm-restore`, which flushes the table first).
pub fn restore(argv0: &str, ipvs: &mut Ipvs, flush_first: bool) -> Outcome {
    // ipvsadm asks the kernel for its version before it reads anything, so
    // without CAP_NET_ADMIN even an empty or bad restore fails with the
    // permission message (exit 2). Ask first too: one round trip.
    ipvs.info()
        .map_err(|e| kernel_failure(KernelOp::Get, &e, EXIT_KERNEL))?;
    let input = read_stdin()?;
    restore_rules(argv0, ipvs, &input, Source::Stdin, flush_first)
}

/// Checks every line of `input`, then applies them (after a flush, if
/// `flush_first`).
pub fn restore_rules(
    argv0: &str,
    ipvs: &mut Ipvs,
    input: &[u8],
    source: Source<'_>,
    flush_first: bool,
) -> Outcome {
    let lines = cli::parse_restore_with(input, &cli::NssResolver, ParseOptions::from_env())
        .map_err(|e| {
            // For stdin, exactly RestoreError::render_bytes(argv0).
            let place = format!("{}: ", source.locate(argv0, e.line));
            let message = [
                place.as_bytes(),
                &e.text,
                b"\n",
                &e.error.render_bytes(argv0),
            ];
            Failure::printed(&message.concat(), e.exit_code())
        })?;
    let mut failed = false;
    for step in plan(lines, flush_first) {
        match step {
            RestoreStep::Changes(batch) => {
                failed |= apply_batch(argv0, ipvs, input, &batch, source)?
            }
            RestoreStep::Other(command) => execute(argv0, command)?,
        }
    }
    if failed {
        Err(Failure::new("", EXIT_KERNEL))
    } else {
        Ok(())
    }
}

/// Applies one run of changes and reports each refused line on stderr, in
/// input order. Returns whether any was refused.
fn apply_batch(
    argv0: &str,
    ipvs: &mut Ipvs,
    input: &[u8],
    batch: &[(usize, Change)],
    source: Source<'_>,
) -> Result<bool, Failure> {
    let mut refused = Vec::new();
    ipvs.apply_all(batch.iter().map(|(_, c)| c), |i, result| {
        if let Err(errno) = result {
            refused.push((i, errno));
        }
    })
    .map_err(|e| kernel_failure(KernelOp::Other, &e, EXIT_KERNEL))?;
    if refused.is_empty() {
        return Ok(false);
    }
    let prog = cli::program_name(argv0);
    let lines = Lines::new(input);
    let mut report = Vec::new();
    for (i, errno) in &refused {
        let (line, change) = &batch[*i];
        let failure = kernel_failure(
            KernelOp::of(change),
            &ipvs::Error::Kernel(*errno),
            EXIT_KERNEL,
        );
        if failure.code != EXIT_KERNEL {
            // Not a per-line problem (no permission at all): stop here.
            return Err(failure);
        }
        let place = format!("{}: ", source.locate(prog, *line));
        report.extend_from_slice(place.as_bytes());
        report.extend_from_slice(lines.bytes(*line));
        report.push(b'\n');
        report.extend_from_slice(failure.message.as_bytes());
    }
    let _ = io::stderr().lock().write_all(&report);
    Ok(true)
}

/// `ipvsadm-restore`: like `-R`, but the table is flushed first.
pub fn restore_personality(argv0: &str) -> Outcome {
    restore(argv0, &mut connect()?, true)
}
