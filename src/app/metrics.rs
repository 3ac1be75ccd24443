//! `rsvsadm metrics [--openmetrics] [--textfile PATH]`: the table as
//! Prometheus (or OpenMetrics) text, on stdout or, for node_exporter's
//! textfile collector, into a file replaced atomically (a temporary file
//! beside it, then a rename: a scrape never reads half a file). Names and
//! labels: docs/metrics.md; the text itself: `format::write_metrics`.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser};

use super::list::{read_table, stdout, write_failed};
use super::{connect, Failure, Outcome};
use crate::cli;
use crate::director;
use crate::format::{self, write_metrics, MetricsFormat};

/// A file that cannot be written fails as a listing does.
const EXIT_FILE: i32 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "metrics",
    about = "The IPVS table as Prometheus text: per service and per destination \
             counters, rates, connections and weights (names in docs/metrics.md)",
    disable_version_flag = true
)]
struct MetricsArgs {
    /// Write OpenMetrics 1.0 text instead of Prometheus text 0.0.4
    #[arg(long)]
    openmetrics: bool,
    /// Write into PATH through PATH.tmp and a rename instead of stdout (for
    /// node_exporter's textfile collector: PATH ends in .prom)
    #[arg(long, value_name = "PATH")]
    textfile: Option<PathBuf>,
}

/// The `metrics` command's definition (for completions and the man-page
/// check).
pub fn command() -> clap::Command {
    MetricsArgs::command()
}

/// Runs `metrics ...`; `args` start with the word `metrics`. Returns the
/// exit status (2 for bad usage, as clap gives it).
pub fn run(argv0: &str, args: &[OsString]) -> i32 {
    let prog = cli::program_name(argv0);
    let parsed = command()
        .bin_name(format!("{prog} metrics"))
        .try_get_matches_from(args)
        .and_then(|m| MetricsArgs::from_arg_matches(&m));
    let args = match parsed {
        Ok(args) => args,
        Err(e) => {
            // --help prints to stdout and succeeds.
            let _ = e.print();
            return e.exit_code();
        }
    };
    match metrics(prog, &args) {
        Ok(()) => 0,
        Err(f) => {
            eprint!("{}", f.message);
            f.code
        }
    }
}

fn metrics(prog: &str, args: &MetricsArgs) -> Outcome {
    let format = if args.openmetrics {
        MetricsFormat::OpenMetrics
    } else {
        MetricsFormat::Prometheus
    };
    let mut ipvs = connect()?;
    let mut table = read_table(&mut ipvs, true)?;
    for entry in &mut table {
        format::sort_destinations(&mut entry.destinations);
    }
    let mut text = Vec::new();
    write_metrics(&mut text, &table, format).map_err(write_failed)?;
    match &args.textfile {
        None => {
            let mut out = stdout();
            out.write_all(&text)
                .and_then(|()| out.flush())
                .map_err(write_failed)
        }
        // Names and numbers only: the text is ASCII.
        Some(path) => director::write_atomic(path, &String::from_utf8_lossy(&text))
            .map_err(|e| Failure::new(format!("{prog} metrics: {e}\n"), EXIT_FILE)),
    }
}
