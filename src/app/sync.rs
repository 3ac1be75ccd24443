//! `-R --sync` (rsvsadm): make the kernel's table equal to the rules on
//! standard input with the fewest changes, without a flush. What stays the
//! same is not touched, so its connections keep flowing.
//!
//! Every line is checked first (the grammar, then a replay with the
//! kernel's rules), the kernel's table is read, and [`reconcile::plan`]'s
//! changes are applied. If the kernel refuses one, every change this run
//! made is undone and the refused one is reported with its line: nothing
//! is left half-applied. `--dry-run` prints the changes instead;
//! `--drain` lets destinations that go finish their connections first.
//!
//! What the rules cannot say is not changed: ipvsadm's `-S` has no
//! thresholds, so a destination the kernel already has keeps its
//! thresholds unless its rules line gives `-x` or `-y` (then the line's
//! pair, as `-e` sets them: mixing the two could give a lower threshold
//! above the upper one, which the kernel refuses). Otherwise
//! `-S | -R --sync` would reset the thresholds that another program
//! (keepalived's uthreshold/lthreshold) set.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::thread;
use std::time::{Duration, Instant};

use ipvs::{Change, Destination, Error, Ipvs, KernelError, ServiceKey, VirtualService};

use super::reconcile::{self, DesiredEntry, ReplayError, SyncPlan, SyncStep};
use super::restore::{read_stdin, Lines};
use super::{kernel_failure, kernel_message, Failure, KernelOp, Outcome, EXIT_KERNEL};
use crate::cli::parse::Popt;
use crate::cli::{self, ParseOptions, SyncOptions};
use crate::format::{self, NumericResolver};

/// How often a drain looks at the active connections left.
const DRAIN_POLL: Duration = Duration::from_millis(250);

/// `-R --sync [--dry-run] [--drain[=SECONDS]]`.
pub fn sync(argv0: &str, ipvs: &mut Ipvs, options: SyncOptions) -> Outcome {
    let input = read_stdin()?;
    let lines = cli::parse_restore_with(&input, &cli::NssResolver, ParseOptions::from_env())
        .map_err(|e| Failure::new(e.render(argv0), e.exit_code()))?;
    let prog = cli::program_name(argv0);
    let texts = Lines::new(&input);
    let mut desired =
        reconcile::desired_table(&lines).map_err(|e| replay_failure(prog, &texts, &e))?;
    // A service another process deletes meanwhile is not in it.
    let current = ipvs
        .table()
        .map_err(|e| kernel_failure(KernelOp::Get, &e, EXIT_KERNEL))?;
    keep_unset_thresholds(&mut desired, &current, |line| {
        sets_thresholds(texts.bytes(line))
    });
    let plan = reconcile::plan(&desired, &current);
    let removed = match options.drain {
        Some(_) => reconcile::removed_dests(&plan, &current),
        None => Vec::new(),
    };
    let drain = reconcile::drain(&removed);
    if options.dry_run {
        return print_plan(&plan, &drain, &removed, options.drain);
    }
    let mut run = Run {
        ipvs,
        prog,
        texts,
        done: Vec::new(),
    };
    let result = run.apply(&plan.build).and_then(|()| {
        if let Some(seconds) = options.drain.filter(|_| !removed.is_empty()) {
            run.apply(&drain)?;
            run.wait_drained(&removed, Duration::from_secs(seconds.into()))?;
        }
        run.apply(&plan.remove)
    });
    result.map_err(|refusal| run.roll_back(refusal))
}

/// Whether a rules line gives `-x` or `-y`, found by the tokenizer that
/// parsed it (so `--u-threshold=5` and `-x5` count). Words that are not
/// options (`ipvsadm`, which `-R` drops) are skipped; the line has been
/// parsed already, so a tokenizer error cannot happen and ends the search.
fn sets_thresholds(line: &[u8]) -> bool {
    let words: Vec<Vec<u8>> = line
        .split(|b| matches!(b, b' ' | b'\t' | b'\r'))
        .filter(|w| !w.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let mut popt = Popt::new(&words, false);
    while let Ok(Some(hit)) = popt.next_opt() {
        if matches!(hit.spec.long, "u-threshold" | "l-threshold") {
            return true;
        }
    }
    false
}

/// A destination the kernel has keeps its thresholds if its rules line
/// gives neither (`sets` tells, for a line number). Lines are only looked
/// at where the thresholds would otherwise change.
fn keep_unset_thresholds(
    desired: &mut [DesiredEntry],
    current: &[VirtualService],
    sets: impl Fn(usize) -> bool,
) {
    let by_key: HashMap<ServiceKey, &VirtualService> =
        current.iter().map(|e| (e.service.key, e)).collect();
    for want in desired {
        let Some(have) = by_key.get(&want.service.value.key) else {
            continue;
        };
        let have_dests: HashMap<(IpAddr, u16), &Destination> = have
            .destinations
            .iter()
            .map(|d| ((d.addr, d.port), d))
            .collect();
        for dest in &mut want.dests {
            let d = &mut dest.value;
            let Some(h) = have_dests.get(&(d.addr, d.port)) else {
                continue;
            };
            let kept = (h.upper_threshold, h.lower_threshold);
            if (d.upper_threshold, d.lower_threshold) != kept && !sets(dest.line) {
                (d.upper_threshold, d.lower_threshold) = kept;
            }
        }
    }
}

/// A rules line the kernel would refuse (or that is not a table rule),
/// reported as `-R` reports a refused line.
fn replay_failure(prog: &str, lines: &Lines<'_>, e: &ReplayError) -> Failure {
    let (line, reason) = match *e {
        ReplayError::Refused { line, op, errno } => (line, kernel_message(op, errno)),
        ReplayError::NotARule { line } => (
            line,
            "-R --sync takes only -A, -E, -D, -a, -e, -d and -C lines: it makes the \
             table of services and destinations equal to them"
                .to_string(),
        ),
    };
    Failure::new(
        format!("{prog}: -R line {line}: {}\n{reason}\n", lines.text(line)),
        EXIT_KERNEL,
    )
}

/// A change as a numeric `-S` rule line.
fn rule(change: &Change) -> String {
    let mut line = Vec::new();
    match format::write_change(&mut line, change, true, &NumericResolver) {
        Ok(()) => String::from_utf8_lossy(&line).into_owned(),
        // Plans hold only table changes; say what it is rather than fail.
        Err(_) => format!("{change:?}\n"),
    }
}

/// `--dry-run`: the changes in the order they would be made.
fn print_plan(
    plan: &SyncPlan,
    drain: &[SyncStep],
    removed: &[(ServiceKey, Destination)],
    drain_seconds: Option<u32>,
) -> Outcome {
    let mut text = String::new();
    for step in plan.build.iter().chain(drain) {
        text.push_str(&rule(&step.change));
    }
    if let (Some(seconds), false) = (drain_seconds, removed.is_empty()) {
        text.push_str(&format!(
            "# wait up to {seconds} s for the active connections of the {} \
             destinations removed below to end\n",
            removed.len()
        ));
    }
    for step in &plan.remove {
        text.push_str(&rule(&step.change));
    }
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(format!("{e}\n"), EXIT_KERNEL))
}

/// Why a run stopped: the kernel refused a step, or the socket failed
/// (then which changes were made is not known beyond those acked).
enum Refusal<'p> {
    SyncStep(&'p SyncStep, KernelError),
    Socket(Error),
}

/// A sync run under way: the steps the kernel has taken so far.
struct Run<'i, 'p> {
    ipvs: &'i mut Ipvs,
    prog: &'i str,
    /// The rules' lines as written, for messages.
    texts: Lines<'i>,
    done: Vec<&'p SyncStep>,
}

impl<'p> Run<'_, 'p> {
    /// Applies `steps` pipelined. The kernel goes on after a refused
    /// request, so every step it took is recorded (for the rollback)
    /// and the first one it refused is returned.
    fn apply(&mut self, steps: &'p [SyncStep]) -> Result<(), Refusal<'p>> {
        let mut first_refused = None;
        let done = &mut self.done;
        self.ipvs
            .apply_all(steps.iter().map(|s| &s.change), |i, result| match result {
                Ok(()) => done.push(&steps[i]),
                Err(errno) => {
                    if first_refused.is_none() {
                        first_refused = Some((&steps[i], errno));
                    }
                }
            })
            .map_err(Refusal::Socket)?;
        match first_refused {
            Some((step, errno)) => Err(Refusal::SyncStep(step, errno)),
            None => Ok(()),
        }
    }

    /// Waits until the removed destinations have no active connection
    /// left, or `limit` has passed (then says so and goes on).
    fn wait_drained(
        &mut self,
        removed: &[(ServiceKey, Destination)],
        limit: Duration,
    ) -> Result<(), Refusal<'p>> {
        let deadline = Instant::now() + limit;
        loop {
            let left = active_left(self.ipvs, removed).map_err(Refusal::Socket)?;
            let now = Instant::now();
            if left == 0 {
                return Ok(());
            }
            if now >= deadline {
                eprintln!(
                    "{}: -R --sync: {left} connections still active after {} s of draining; \
                     removing their destinations anyway",
                    self.prog,
                    limit.as_secs()
                );
                return Ok(());
            }
            thread::sleep(DRAIN_POLL.min(deadline - now));
        }
    }

    /// Undoes every step taken, reports why, and gives the failure.
    fn roll_back(&mut self, refusal: Refusal<'p>) -> Failure {
        let mut report = match &refusal {
            Refusal::SyncStep(step, errno) => self.refused(step, *errno),
            Refusal::Socket(e) => format!("{}: -R --sync: {e}\n", self.prog),
        };
        let undo = reconcile::rollback(self.done.iter().copied());
        let mut failed = Vec::new();
        let outcome = self.ipvs.apply_all(&undo, |i, result| {
            if let Err(errno) = result {
                failed.push((i, errno));
            }
        });
        match outcome {
            Ok(()) if failed.is_empty() => report.push_str(&format!(
                "{}: -R --sync: {}; the table is as it was\n",
                self.prog,
                match self.done.len() {
                    0 => "nothing had been changed".to_string(),
                    1 => "undid the 1 change made".to_string(),
                    n => format!("undid the {n} changes made"),
                }
            )),
            Ok(()) => {
                report.push_str(&format!(
                    "{}: -R --sync: could not undo every change; the table is left partly \
                     changed (see `-Sn`). Refused:\n",
                    self.prog
                ));
                for (i, errno) in failed {
                    let change = &undo[i];
                    report.push_str(&rule(change));
                    report.push_str(&format!(
                        "  {}\n",
                        kernel_message(KernelOp::of(change), errno.errno())
                    ));
                }
            }
            Err(e) => report.push_str(&format!(
                "{}: -R --sync: could not undo the changes ({e}); the table is left partly \
                 changed (see `-Sn`)\n",
                self.prog
            )),
        }
        Failure::new(report, EXIT_KERNEL)
    }

    /// A refused step as `-R` reports a refused line; a removal has no
    /// line, so its rule is shown.
    fn refused(&self, step: &SyncStep, errno: KernelError) -> String {
        let reason = kernel_failure(
            KernelOp::of(&step.change),
            &Error::Kernel(errno),
            EXIT_KERNEL,
        );
        let (place, text) = match step.line {
            Some(line) => (format!("-R line {line}"), self.texts.text(line)),
            None => (
                "-R --sync".to_string(),
                rule(&step.change).trim_end().to_string(),
            ),
        };
        format!("{}: {place}: {text}\n{}", self.prog, reason.message)
    }
}

/// The active connections the removed destinations still have. A service
/// that has gone meanwhile has none.
fn active_left(ipvs: &mut Ipvs, removed: &[(ServiceKey, Destination)]) -> Result<u64, Error> {
    let mut by_service: HashMap<ServiceKey, Vec<&Destination>> = HashMap::new();
    for (key, dest) in removed {
        by_service.entry(*key).or_default().push(dest);
    }
    let mut left = 0u64;
    for (key, gone) in by_service {
        let now = match ipvs.destinations(&key) {
            Ok(dests) => dests,
            Err(e) if e.is_no_such_service() => continue,
            Err(e) => return Err(e),
        };
        left += now
            .iter()
            .filter(|d| gone.iter().any(|g| g.addr == d.addr && g.port == d.port))
            .map(|d| u64::from(d.active_conns))
            .sum::<u64>();
    }
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::NoResolver;

    /// The kernel's table: one NAT service with two destinations whose
    /// thresholds another program set.
    fn kernel_table() -> Vec<VirtualService> {
        let rules = b"-A -t 192.0.2.1:80 -s wrr\n\
            -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1 -x 100 -y 50\n\
            -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 2 -x 7\n";
        let desired = desired(rules);
        desired
            .into_iter()
            .map(|e| VirtualService {
                service: e.service.value,
                destinations: e.dests.into_iter().map(|d| d.value).collect(),
            })
            .collect()
    }

    fn desired(rules: &[u8]) -> Vec<DesiredEntry> {
        let lines = cli::parse_restore(rules, &NoResolver).unwrap();
        reconcile::desired_table(&lines).unwrap()
    }

    /// The plan for `rules` against [`kernel_table`], as dry-run lines.
    fn dry_run(rules: &[u8]) -> String {
        let current = kernel_table();
        let mut wanted = desired(rules);
        let texts = Lines::new(rules);
        keep_unset_thresholds(&mut wanted, &current, |line| {
            sets_thresholds(texts.bytes(line))
        });
        let plan = reconcile::plan(&wanted, &current);
        plan.build
            .iter()
            .chain(&plan.remove)
            .map(|s| rule(&s.change))
            .collect()
    }

    #[test]
    fn rules_without_thresholds_keep_the_kernels() {
        // What `-S -n` prints for the kernel's table: no -x/-y.
        let saved = b"-A -t 192.0.2.1:80 -s wrr\n\
            -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1\n\
            -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 2\n";
        assert_eq!(dry_run(saved), "");
        // A weight change keeps the thresholds too, and the edit says so.
        let reweighted = b"-A -t 192.0.2.1:80 -s wrr\n\
            ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 3\n\
            -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 2\n";
        assert_eq!(
            dry_run(reweighted),
            "-e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 3 -x 100 -y 50\n"
        );
    }

    #[test]
    fn thresholds_a_line_gives_are_applied_as_a_pair() {
        // As -e sets them, what the line leaves out is 0: mixing the pair
        // with the kernel's could give a lower threshold above the upper
        // one, which the kernel refuses.
        let rules = b"-A -t 192.0.2.1:80 -s wrr\n\
            -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1 --u-threshold=0\n\
            -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 2 -x9 -y3\n";
        assert_eq!(
            dry_run(rules),
            "-e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1 -x 0 -y 0\n\
             -e -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 2 -x 9 -y 3\n"
        );
    }

    #[test]
    fn sets_thresholds_reads_every_spelling() {
        let cases = [
            ("-a -t 192.0.2.1:80 -r 198.51.100.1 -m", false),
            ("-a -t 192.0.2.1:80 -r 198.51.100.1 -x 5", true),
            ("-a -t 192.0.2.1:80 -r 198.51.100.1 -y5", true),
            (
                "ipvsadm -e -t 192.0.2.1:80 -r 198.51.100.1 --u-threshold=2",
                true,
            ),
            ("-e -t 192.0.2.1:80 -r 198.51.100.1 --l-threshold 1", true),
        ];
        for (text, want) in cases {
            assert_eq!(sets_thresholds(text.as_bytes()), want, "{text}");
        }
    }
}
