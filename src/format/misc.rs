//! The one-line outputs: the version header, `--timeout` and `--daemon`.

use std::io::{self, Write};

use ipvs::{Daemon, Info, Timeouts};

use super::text::{cut, inet_ntop};

/// `IP Virtual Server version %d.%d.%d (size=%d)`: the header of a full
/// listing.
pub fn write_version_header<W: Write + ?Sized>(w: &mut W, info: &Info) -> io::Result<()> {
    let (major, minor, patch) = info.version_triple();
    writeln!(
        w,
        "IP Virtual Server version {major}.{minor}.{patch} (size={})",
        info.conn_table_size as i32
    )
}

/// `Timeout (tcp tcpfin udp): %d %d %d`.
pub fn write_timeouts<W: Write + ?Sized>(w: &mut W, t: &Timeouts) -> io::Result<()> {
    writeln!(
        w,
        "Timeout (tcp tcpfin udp): {} {} {}",
        t.tcp as i32, t.tcp_fin as i32, t.udp as i32
    )
}

/// One line per sync daemon, in the order given (the kernel's: master,
/// backup): `<state> sync daemon (mcast=%s, syncid=%d` then `, maxlen=%u`,
/// `, group=%s`, `, port=%u`, `, ttl=%u` for those set (and non-zero), then
/// `)`.
pub fn write_daemons<W: Write + ?Sized>(w: &mut W, daemons: &[Daemon]) -> io::Result<()> {
    for d in daemons {
        write!(w, "{} sync daemon (mcast=", d.state.name())?;
        // libipvs keeps at most 15 bytes of the interface name
        w.write_all(cut(d.mcast_ifn.as_bytes(), 15))?;
        write!(w, ", syncid={}", d.syncid as i32)?;
        if let Some(maxlen) = d.sync_maxlen.filter(|v| *v != 0) {
            write!(w, ", maxlen={maxlen}")?;
        }
        if let Some(group) = d.mcast_group {
            write!(w, ", group={}", inet_ntop(group))?;
        }
        if let Some(port) = d.mcast_port.filter(|v| *v != 0) {
            write!(w, ", port={port}")?;
        }
        if let Some(ttl) = d.mcast_ttl.filter(|v| *v != 0) {
            write!(w, ", ttl={ttl}")?;
        }
        w.write_all(b")\n")?;
    }
    Ok(())
}
