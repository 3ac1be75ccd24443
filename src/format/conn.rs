//! `-L -c`: the connection table (ipvsadm: list_conn, print_conn).

use std::io::{self, Write};

use ipvs::conn::ConnEntry;

use super::resolve::Resolver;
use super::text::{addrport, pad};
use super::{ListKind, ListOptions};

/// Whether the `--persistent-conn` form is asked for.
fn persistent(opts: &ListOptions) -> bool {
    opts.kind == ListKind::PersistentConn
}

/// `IPVS connection entries` and the column titles. ipvsadm prints them
/// only once it has read the file's title line: open the file and make the
/// [`ipvs::conn::ConnReader`] first (an empty file is an error, with no
/// output).
pub fn write_conn_titles<W: Write + ?Sized>(w: &mut W, opts: &ListOptions) -> io::Result<()> {
    w.write_all(b"IPVS connection entries\n")?;
    if persistent(opts) {
        // ipvsadm: "pro expire %-11s %-18s %-18s %-18s %-16s %s\n"
        writeln!(
            w,
            "pro expire {:<11} {:<18} {:<18} {:<18} {:<16} pe_data",
            "state", "source", "virtual", "destination", "pe name"
        )
    } else {
        // ipvsadm: "pro expire %-11s %-18s %-18s %s\n"
        writeln!(
            w,
            "pro expire {:<11} {:<18} {:<18} destination",
            "state", "source", "virtual"
        )
    }
}

/// One connection row. Ports are named after the entry's protocol (TCP,
/// UDP, SCTP only); the expiry is `MM:SS` (`%02d:%02d`, minutes unbounded).
/// The persistence-engine columns appear only in the `--persistent-conn`
/// form and only for entries that carry both engine name and data. The row
/// is rendered in memory and written with one `write_all`.
pub fn write_conn<W: Write + ?Sized>(
    w: &mut W,
    e: &ConnEntry,
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(128);
    render_conn(&mut buf, e, opts, resolver)?;
    w.write_all(&buf)
}

fn render_conn(
    w: &mut Vec<u8>,
    e: &ConnEntry,
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let proto = e.protocol_kind();
    let name = |addr, port| addrport(addr, port, proto, opts.numeric, resolver);
    let client = name(e.client_addr, e.client_port);
    let virt = name(e.virtual_addr, e.virtual_port);
    let dest = name(e.dest_addr, e.dest_port);
    let expire = format!("{:02}:{:02}", e.expires / 60, e.expires % 60);

    // ipvsadm: "%-3s %-6s %-11s %-18s %-18s %s\n", or with the engine
    // "%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n"
    pad(w, e.protocol.as_bytes(), 3)?;
    w.write_all(b" ")?;
    pad(w, expire.as_bytes(), 6)?;
    w.write_all(b" ")?;
    pad(w, e.state.as_bytes(), 11)?;
    w.write_all(b" ")?;
    pad(w, &client, 18)?;
    w.write_all(b" ")?;
    pad(w, &virt, 18)?;
    w.write_all(b" ")?;
    match (&e.pe_name, &e.pe_data) {
        (Some(pe_name), Some(pe_data)) if persistent(opts) => {
            pad(w, &dest, 16)?;
            w.write_all(b" ")?;
            pad(w, pe_name.as_bytes(), 18)?;
            w.write_all(b" ")?;
            w.write_all(pe_data.as_bytes())?;
        }
        _ => w.write_all(&dest)?,
    }
    w.write_all(b"\n")
}
