//! `-L` and `-S`: read the table on one socket and stream it through a
//! buffered writer, one service at a time.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};

use ipvs::conn::{ConnError, ConnReader, CONN_PROC_FILE};
use ipvs::{Ipvs, Service, VirtualService};

use super::{kernel_failure, Failure, KernelOp, Outcome, EXIT_LIST};
use crate::cli::{ListFormat, ListRequest, ListTarget};
use crate::format::{self, ListKind, ListOptions, NumericResolver, Resolver, SystemResolver};

const OUTPUT_BUFFER: usize = 64 * 1024;

fn options(f: &ListFormat) -> ListOptions {
    ListOptions {
        numeric: f.numeric,
        kind: ListKind::from_flags(f.stats, f.rate, f.thresholds, f.persistent_conn, f.tun_info),
        exact: f.exact,
        sort: !f.nosort,
    }
}

fn resolver(numeric: bool) -> Box<dyn Resolver> {
    if numeric {
        Box::new(NumericResolver)
    } else {
        Box::new(SystemResolver::new())
    }
}

pub(super) fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout().lock())
}

pub(super) fn write_failed(e: io::Error) -> Failure {
    Failure::new(format!("{e}\n"), EXIT_LIST)
}

pub(super) fn list_failed(e: &ipvs::Error) -> Failure {
    kernel_failure(KernelOp::Get, e, EXIT_LIST)
}

/// `-L` in all its forms.
pub fn list(ipvs: &mut Ipvs, request: &ListRequest) -> Outcome {
    if request.format.json {
        return super::json::list(ipvs, request);
    }
    let opts = options(&request.format);
    let resolver = resolver(opts.numeric);
    let mut out = stdout();
    match &request.target {
        ListTarget::All => list_all(ipvs, &mut out, &opts, resolver.as_ref())?,
        ListTarget::Service(key) => {
            let svc = ipvs.service(key).map_err(|e| list_failed(&e))?;
            format::write_list_titles(&mut out, &opts).map_err(write_failed)?;
            write_one(ipvs, &mut out, &svc, &opts, resolver.as_ref())?;
        }
        ListTarget::Connections => list_connections(&mut out, &opts, resolver.as_ref())?,
        ListTarget::Timeouts => {
            let t = ipvs.timeouts().map_err(|e| list_failed(&e))?;
            format::write_timeouts(&mut out, &t).map_err(write_failed)?;
        }
        ListTarget::Daemons => {
            let daemons = ipvs.daemons().map_err(|e| list_failed(&e))?;
            format::write_daemons(&mut out, &daemons).map_err(write_failed)?;
        }
    }
    out.flush().map_err(write_failed)
}

/// The whole table: header, titles, every service with its destinations,
/// one service at a time (a service another process deletes while the
/// table is read is left out, as a listing a moment later would leave it
/// out: [`Ipvs::with_destinations`]).
fn list_all(
    ipvs: &mut Ipvs,
    out: &mut impl Write,
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> Outcome {
    let info = ipvs.info().map_err(|e| list_failed(&e))?;
    // ipvsadm prints the header before it asks for the services.
    format::write_version_header(out, &info).map_err(write_failed)?;
    let services = sorted_services(ipvs, opts.sort)?;
    format::write_list_titles(out, opts).map_err(write_failed)?;
    for svc in services {
        if let Some(entry) = ipvs.with_destinations(svc).map_err(|e| list_failed(&e))? {
            format::write_service(out, &entry.service, &entry.destinations, opts, resolver)
                .map_err(write_failed)?;
        }
    }
    Ok(())
}

fn sorted_services(ipvs: &mut Ipvs, sort: bool) -> Result<Vec<Service>, Failure> {
    let mut services = ipvs.services().map_err(|e| list_failed(&e))?;
    if sort {
        format::sort_services(&mut services);
    }
    Ok(services)
}

/// The whole table ([`Ipvs::table`]), services in ipvsadm's order if
/// `sort`.
pub(super) fn read_table(ipvs: &mut Ipvs, sort: bool) -> Result<Vec<VirtualService>, Failure> {
    let mut table = ipvs.table().map_err(|e| list_failed(&e))?;
    if sort {
        format::sort_table(&mut table);
    }
    Ok(table)
}

fn write_one(
    ipvs: &mut Ipvs,
    out: &mut impl Write,
    svc: &Service,
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> Outcome {
    let dests = ipvs.destinations(&svc.key).map_err(|e| list_failed(&e))?;
    format::write_service(out, svc, &dests, opts, resolver).map_err(write_failed)
}

/// `-S`: the table as rules `-R` reads back, one service at a time.
pub fn save(ipvs: &mut Ipvs, numeric: bool) -> Outcome {
    let resolver = resolver(numeric);
    let mut out = stdout();
    for svc in sorted_services(ipvs, true)? {
        if let Some(entry) = ipvs.with_destinations(svc).map_err(|e| list_failed(&e))? {
            format::write_save_service(
                &mut out,
                &entry.service,
                &entry.destinations,
                numeric,
                resolver.as_ref(),
            )
            .map_err(write_failed)?;
        }
    }
    out.flush().map_err(write_failed)
}

/// `-c`: the kernel's connection table, streamed line by line from
/// /proc/net/ip_vs_conn (constant memory however many entries).
fn list_connections(out: &mut impl Write, opts: &ListOptions, resolver: &dyn Resolver) -> Outcome {
    let reader = open_connections()?;
    format::write_conn_titles(out, opts).map_err(write_failed)?;
    for entry in reader {
        let entry = entry.map_err(conn_failed)?;
        format::write_conn(out, &entry, opts, resolver).map_err(write_failed)?;
    }
    Ok(())
}

/// /proc/net/ip_vs_conn, past its title line. (/proc/net is the calling
/// thread's network namespace's, so this follows `--netns`.)
pub(super) fn open_connections() -> Result<ConnReader<BufReader<File>>, Failure> {
    let file = File::open(CONN_PROC_FILE)
        .map_err(|_| Failure::new(format!("cannot open file {CONN_PROC_FILE}\n"), EXIT_LIST))?;
    ConnReader::new(BufReader::with_capacity(OUTPUT_BUFFER, file)).map_err(|e| match e {
        ConnError::MissingTitle => Failure::new(
            format!("unexpected input from {CONN_PROC_FILE}\n"),
            EXIT_LIST,
        ),
        other => conn_failed(other),
    })
}

pub(super) fn conn_failed(e: ConnError) -> Failure {
    Failure::new(format!("{CONN_PROC_FILE}: {e}\n"), EXIT_LIST)
}
