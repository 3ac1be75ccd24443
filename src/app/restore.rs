//! `-R`: read the whole input, validate every line, then apply the changes
//! pipelined on one socket. A line the kernel refuses is reported with its
//! line number and ipvsadm's message, and the rest goes on (as in
//! ipvsadm); the exit status is then non-zero.

use std::io::{self, Read};

use ipvs::{Change, Ipvs};

use super::{connect, execute, kernel_failure, to_change, Failure, Op, Outcome, EXIT_KERNEL};
use crate::cli::{self, Command, ParseOptions, RestoreLine};

/// A run of consecutive changes, or a command that is not a change (a
/// listing inside the input, which must see the changes before it).
enum Step {
    Changes(Vec<(usize, String, Change)>),
    Other(Command),
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| Failure::new(format!("reading standard input: {e}\n"), EXIT_KERNEL))?;
    Ok(input)
}

/// The line's text as the user wrote it, for error messages.
fn line_text(input: &[u8], line: usize) -> String {
    input
        .split(|b| *b == b'\n')
        .nth(line.saturating_sub(1))
        .map(|l| {
            String::from_utf8_lossy(l)
                .trim_end_matches('\r')
                .to_string()
        })
        .unwrap_or_default()
}

fn plan(input: &[u8], lines: Vec<RestoreLine>, flush_first: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut batch = Vec::new();
    if flush_first {
        batch.push((0, "-C".to_string(), Change::Flush));
    }
    for RestoreLine { line, command } in lines {
        match to_change(command.clone()) {
            Some(change) => batch.push((line, line_text(input, line), change)),
            None => {
                if !batch.is_empty() {
                    steps.push(Step::Changes(std::mem::take(&mut batch)));
                }
                steps.push(Step::Other(command));
            }
        }
    }
    if !batch.is_empty() {
        steps.push(Step::Changes(batch));
    }
    steps
}

/// `-R` (and `ipvsadm-restore`, which flushes the table first).
pub fn restore(argv0: &str, ipvs: &mut Ipvs, flush_first: bool) -> Outcome {
    let input = read_stdin()?;
    let lines = cli::parse_restore_with(&input, &cli::SystemResolver, ParseOptions::from_env())
        .map_err(|e| Failure::new(e.render(argv0), e.exit_code()))?;
    let mut failed = false;
    for step in plan(&input, lines, flush_first) {
        match step {
            Step::Changes(batch) => failed |= apply_batch(argv0, ipvs, &batch)?,
            Step::Other(command) => execute(argv0, command)?,
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
    batch: &[(usize, String, Change)],
) -> Result<bool, Failure> {
    let mut refused = Vec::new();
    ipvs.apply_all(batch.iter().map(|(_, _, c)| c), |i, result| {
        if let Err(errno) = result {
            refused.push((i, errno));
        }
    })
    .map_err(|e| kernel_failure(Op::Other, &e, EXIT_KERNEL))?;
    let prog = cli::program_name(argv0);
    let mut report = String::new();
    for (i, errno) in &refused {
        let (line, text, change) = &batch[*i];
        let failure = kernel_failure(Op::of(change), &ipvs::Error::Kernel(*errno), EXIT_KERNEL);
        if failure.code != EXIT_KERNEL {
            // Not a per-line problem (no permission at all): stop here.
            return Err(failure);
        }
        report.push_str(&format!(
            "{prog}: -R line {line}: {text}\n{}",
            failure.message
        ));
    }
    eprint!("{report}");
    Ok(!refused.is_empty())
}

/// `ipvsadm-restore`: like `-R`, but the table is flushed first.
pub fn restore_personality(argv0: &str) -> Outcome {
    restore(argv0, &mut connect()?, true)
}
