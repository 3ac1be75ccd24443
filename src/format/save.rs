//! `-S`/`-Sn`: the table as `-A`/`-a` rules that `-R` reads back
//! (ipvsadm: print_service_entry and print_tunnel_rule with FMT_RULE).

use std::io::{self, Write};

use ipvs::{
    Change, Destination, Family, ForwardMethod, Protocol, Service, ServiceFlags, ServiceKey,
    TunnelType,
};

use super::list::{
    has_sched_flags, netmask, pe_name, sched_flags, scheduler, service_protocol, tun_flag_name,
};
use super::resolve::Resolver;
use super::sort::{compare_destinations, qsort_order};
use super::text::addrport;

/// One service's rules: its `-A` line, then an `-a` line per destination
/// in ipvsadm's order (ipvsadm always sorts them for `-S`). Unless
/// `numeric`, addresses and ports are written as names, as ipvsadm does.
/// The lines are rendered in memory and written with one `write_all`.
pub fn write_save_service<W: Write + ?Sized>(
    w: &mut W,
    svc: &Service,
    dests: &[Destination],
    numeric: bool,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(96 * (dests.len() + 1));
    render_save_service(&mut buf, svc, dests, numeric, resolver)?;
    w.write_all(&buf)
}

fn render_save_service(
    w: &mut Vec<u8>,
    svc: &Service,
    dests: &[Destination],
    numeric: bool,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let label = rule_label(&svc.key, numeric, resolver);
    write_service_rule(w, b"-A ", &label, svc)?;
    for i in qsort_order(dests, compare_destinations) {
        write_dest_rule(
            w,
            b"-a ",
            &label,
            &dests[i],
            service_protocol(svc),
            numeric,
            resolver,
        )?;
    }
    Ok(())
}

/// One change of rsvsadm's `-R --sync` as a rule line in the `-S` syntax
/// (`-A`/`-E`, `-D`, `-a`/`-e`, `-d`), so that a dry run prints what
/// `-R` would do. Thresholds, which `-S` never writes, are added as
/// `-x`/`-y`: to an add when set, to an edit always (an edit replaces
/// them, and may change only them, to 0 too). Other changes are not
/// table rules and are refused (`InvalidInput`).
pub fn write_change<W: Write + ?Sized>(
    w: &mut W,
    change: &Change,
    numeric: bool,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let label = |key: &ServiceKey| rule_label(key, numeric, resolver);
    let protocol = |key: &ServiceKey| match key {
        ServiceKey::Addr { protocol, .. } => Some(*protocol),
        ServiceKey::Fwmark { .. } => None,
    };
    let mut line = Vec::with_capacity(128);
    match change {
        Change::AddService(svc) => write_service_rule(&mut line, b"-A ", &label(&svc.key), svc)?,
        Change::EditService(svc) => write_service_rule(&mut line, b"-E ", &label(&svc.key), svc)?,
        Change::DeleteService(key) => {
            line.extend_from_slice(b"-D ");
            line.extend(label(key));
            line.push(b'\n');
        }
        Change::AddDest(key, d) | Change::EditDest(key, d) => {
            let command: &[u8] = if matches!(change, Change::AddDest(..)) {
                b"-a "
            } else {
                b"-e "
            };
            write_dest_rule(
                &mut line,
                command,
                &label(key),
                d,
                protocol(key),
                numeric,
                resolver,
            )?;
            let edit = matches!(change, Change::EditDest(..));
            if edit || d.upper_threshold != 0 || d.lower_threshold != 0 {
                line.pop();
                writeln!(line, " -x {} -y {}", d.upper_threshold, d.lower_threshold)?;
            }
        }
        Change::DeleteDest(key, addr, port) => {
            line.extend_from_slice(b"-d ");
            line.extend(label(key));
            line.extend_from_slice(b" -r ");
            line.extend(addrport(*addr, *port, protocol(key), numeric, resolver));
            line.push(b'\n');
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a virtual-server rule: {other:?}"),
            ))
        }
    }
    w.write_all(&line)
}

/// A service's rule line after `command` (`-A ` or `-E `).
fn write_service_rule(
    w: &mut Vec<u8>,
    command: &[u8],
    label: &[u8],
    svc: &Service,
) -> io::Result<()> {
    // ipvsadm: "-A %s -s %s", " -p %u", " -M %s" / " -M %i", " --pe %s",
    // " -o", " -b " + flags
    w.write_all(command)?;
    w.write_all(label)?;
    w.write_all(b" -s ")?;
    w.write_all(scheduler(svc))?;
    if svc.flags.contains(ServiceFlags::PERSISTENT) {
        write!(w, " -p {}", svc.timeout)?;
        if let Some(mask) = netmask(svc) {
            write!(w, " -M {mask}")?;
        }
    }
    if let Some(pe) = pe_name(svc) {
        w.write_all(b" --pe ")?;
        w.write_all(pe)?;
    }
    if svc.flags.contains(ServiceFlags::ONEPACKET) {
        w.write_all(b" -o")?;
    }
    if has_sched_flags(svc) {
        write!(w, " -b {}", sched_flags(svc))?;
    }
    w.write_all(b"\n")
}

/// ipvsadm's rule `svc_name`: `-t`/`-u`/`--sctp-service` and the
/// address:port (not cut beyond addrport's 59 bytes), or `-f %d` (+ ` -6`).
fn rule_label(key: &ServiceKey, numeric: bool, resolver: &dyn Resolver) -> Vec<u8> {
    match *key {
        ServiceKey::Fwmark { mark, family } => {
            let v6 = if family == Family::Inet6 { " -6" } else { "" };
            format!("-f {}{v6}", mark as i32).into_bytes()
        }
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let option = match protocol {
                Protocol::Tcp => "-t ",
                Protocol::Udp => "-u ",
                Protocol::Sctp => "--sctp-service ",
            };
            let mut label = option.as_bytes().to_vec();
            label.extend(addrport(addr, port, Some(protocol), numeric, resolver));
            label
        }
    }
}

/// ipvsadm's fwd_switch: Local saves as `-g`; a method it does not know
/// prints as glibc prints a NULL string.
fn forward_switch(f: ForwardMethod) -> &'static str {
    match f {
        ForwardMethod::Masq => "-m",
        ForwardMethod::Tunnel => "-i",
        ForwardMethod::Local | ForwardMethod::Route => "-g",
        // ipvsadm has no option for these.
        _ => "(null)",
    }
}

/// `-a %s -r %s %s -w %d` (`command` is `-a ` or `-e `), and for tunnels
/// `--tun-type` with, for gue, `--tun-port %d`, and for gue and gre the
/// checksum option.
fn write_dest_rule<W: Write + ?Sized>(
    w: &mut W,
    command: &[u8],
    label: &[u8],
    d: &Destination,
    protocol: Option<Protocol>,
    numeric: bool,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    w.write_all(command)?;
    w.write_all(label)?;
    w.write_all(b" -r ")?;
    w.write_all(&addrport(d.addr, d.port, protocol, numeric, resolver))?;
    write!(w, " {} -w {}", forward_switch(d.forward), d.weight)?;
    if d.forward == ForwardMethod::Tunnel {
        let csum = || {
            tun_flag_name(
                d.tun_flags.bits(),
                ["--tun-nocsum", "--tun-csum", "--tun-remcsum"],
            )
        };
        match d.tun_type {
            TunnelType::Ipip => w.write_all(b" --tun-type ipip")?,
            TunnelType::Gue => write!(w, " --tun-type gue --tun-port {} {}", d.tun_port, csum())?,
            TunnelType::Gre => write!(w, " --tun-type gre {}", csum())?,
            other => write!(w, " --tun-type {}", other.name())?,
        }
    }
    w.write_all(b"\n")
}
