//! `-L`: the titles, one row per service and one per destination, in the
//! default, `--stats`, `--rate`, `--thresholds`, `--persistent-conn` and
//! `--tun-info` forms (ipvsadm: print_title, print_service_entry).

use std::io::{self, Write};
use std::net::Ipv4Addr;

use ipvs::{
    Destination, Family, ForwardMethod, Protocol, Service, ServiceFlags, ServiceKey, Stats,
    TunnelType,
};

use super::resolve::Resolver;
use super::sort::{compare_destinations, qsort_order};
use super::text::{addrport, cut, largenum, pad};
use super::{ListKind, ListOptions};

/// The column titles of a listing (two lines).
pub fn write_list_titles<W: Write + ?Sized>(w: &mut W, opts: &ListOptions) -> io::Result<()> {
    const PROT: &str = "Prot LocalAddress:Port";
    const REMOTE: &str = "  -> RemoteAddress:Port";
    match opts.kind {
        // ipvsadm: "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n"
        ListKind::Stats => writeln!(
            w,
            "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{REMOTE}",
            "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        ),
        ListKind::Rate => writeln!(
            w,
            "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{REMOTE}",
            "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        ),
        // ipvsadm: "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n"
        ListKind::Thresholds => writeln!(
            w,
            "{PROT:<33} {:<10} {:<10} {:<10} {:<10}\n{REMOTE}",
            "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        ),
        // ipvsadm: "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n"
        ListKind::PersistentConn => writeln!(
            w,
            "{PROT:<33} {:<9} {:<11} {:<10} {:<10}\n{REMOTE}",
            "Weight", "PersistConn", "ActiveConn", "InActConn"
        ),
        ListKind::TunInfo => w.write_all(
            b"Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           \
              Forward TunnelInfo    Weight ActiveConn InActConn\n",
        ),
        ListKind::Default => w.write_all(
            b"Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           \
              Forward Weight ActiveConn InActConn\n",
        ),
    }
}

/// One service row and its destination rows. The destinations are listed
/// in ipvsadm's order when `opts.sort`, else as given (the kernel's order);
/// sorting the services themselves is the caller's ([`super::sort_services`]).
/// The rows are rendered in memory and written with one `write_all`.
pub fn write_service<W: Write + ?Sized>(
    w: &mut W,
    svc: &Service,
    dests: &[Destination],
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(128 * (dests.len() + 1));
    render_service(&mut buf, svc, dests, opts, resolver)?;
    w.write_all(&buf)
}

fn render_service(
    w: &mut Vec<u8>,
    svc: &Service,
    dests: &[Destination],
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let label = service_label(svc, opts.numeric, resolver);
    match opts.kind {
        // ipvsadm: printf("%-33s", svc_name) then five print_largenum
        ListKind::Stats | ListKind::Rate => {
            pad(w, &label, 33)?;
            for n in counters(&svc.stats, opts.kind) {
                largenum(w, n, opts.exact)?;
            }
            w.write_all(b"\n")?;
        }
        _ => write_service_options(w, svc, &label)?,
    }
    let order: Vec<usize> = if opts.sort {
        qsort_order(dests, compare_destinations)
    } else {
        (0..dests.len()).collect()
    };
    for i in order {
        write_destination(w, svc, &dests[i], opts, resolver)?;
    }
    Ok(())
}

/// The five counters of `--stats`, or the five rates of `--rate`.
fn counters(s: &Stats, kind: ListKind) -> [u64; 5] {
    if kind == ListKind::Rate {
        [s.cps, s.inpps, s.outpps, s.inbps, s.outbps]
    } else {
        [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes]
    }
}

/// The service protocol as ipvsadm passes it to name lookups (none for
/// fwmark services: their protocol field is 0).
pub(super) fn service_protocol(svc: &Service) -> Option<Protocol> {
    match svc.key {
        ServiceKey::Addr { protocol, .. } => Some(protocol),
        ServiceKey::Fwmark { .. } => None,
    }
}

/// ipvsadm's listed `svc_name`: `"%-4s %s"` of protocol and address:port,
/// cut at 33 bytes unless IPv6; `"FWM  %d"` (+ `" IPv6"`) for fwmark
/// services, the mark printed as a C int.
fn service_label(svc: &Service, numeric: bool, resolver: &dyn Resolver) -> Vec<u8> {
    match svc.key {
        ServiceKey::Fwmark { mark, family } => {
            let v6 = if family == Family::Inet6 { " IPv6" } else { "" };
            format!("FWM  {}{v6}", mark as i32).into_bytes()
        }
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let mut label = format!("{:<4} ", protocol.name()).into_bytes();
            label.extend(addrport(addr, port, Some(protocol), numeric, resolver));
            if !addr.is_ipv6() {
                label.truncate(33);
            }
            label
        }
    }
}

/// The scheduler name as libipvs keeps it (15 bytes at most).
pub(super) fn scheduler(svc: &Service) -> &[u8] {
    cut(svc.scheduler.as_bytes(), 15)
}

/// Whether any scheduler flag is set (ipvsadm prints the flags then).
pub(super) fn has_sched_flags(svc: &Service) -> bool {
    svc.flags.intersects(ServiceFlags::SCHED_MASK)
}

/// ipvsadm's print_sched_flags: the names of the set scheduler flags,
/// comma-separated; sh and mh name the first two flags after themselves
/// and ignore the third.
pub(super) fn sched_flags(svc: &Service) -> String {
    let names: &[(ServiceFlags, &str)] = match scheduler(svc) {
        b"sh" => &[
            (ServiceFlags::SCHED1, "sh-fallback"),
            (ServiceFlags::SCHED2, "sh-port"),
        ],
        b"mh" => &[
            (ServiceFlags::SCHED1, "mh-fallback"),
            (ServiceFlags::SCHED2, "mh-port"),
        ],
        _ => &[
            (ServiceFlags::SCHED1, "flag-1"),
            (ServiceFlags::SCHED2, "flag-2"),
            (ServiceFlags::SCHED3, "flag-3"),
        ],
    };
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| svc.flags.contains(*bit))
        .map(|(_, name)| *name)
        .collect();
    set.join(",")
}

/// The persistence netmask as ipvsadm shows it, if not the full mask:
/// dotted for IPv4 (`inet_ntoa`), a C int prefix length for IPv6.
pub(super) fn netmask(svc: &Service) -> Option<String> {
    let raw = svc.netmask.raw();
    match svc.key.family() {
        Family::Inet => (raw != u32::MAX).then(|| Ipv4Addr::from(raw).to_string()),
        Family::Inet6 => (raw != 128).then(|| (raw as i32).to_string()),
    }
}

/// The persistence engine name as libipvs keeps it (16 bytes), if any.
pub(super) fn pe_name(svc: &Service) -> Option<&[u8]> {
    svc.pe_name
        .as_deref()
        .map(|p| cut(p.as_bytes(), 16))
        .filter(|p| !p.is_empty())
}

/// The default service row: `%s %s` of label and scheduler, then
/// ` (flags)`, ` persistent %u`, ` mask %s`, ` pe %s` (those three only
/// when persistent) and ` ops`.
fn write_service_options<W: Write + ?Sized>(
    w: &mut W,
    svc: &Service,
    label: &[u8],
) -> io::Result<()> {
    w.write_all(label)?;
    w.write_all(b" ")?;
    w.write_all(scheduler(svc))?;
    if has_sched_flags(svc) {
        write!(w, " ({})", sched_flags(svc))?;
    }
    if svc.flags.contains(ServiceFlags::PERSISTENT) {
        write!(w, " persistent {}", svc.timeout)?;
        if let Some(mask) = netmask(svc) {
            write!(w, " mask {mask}")?;
        }
        if let Some(pe) = pe_name(svc) {
            w.write_all(b" pe ")?;
            w.write_all(pe)?;
        }
    }
    if svc.flags.contains(ServiceFlags::ONEPACKET) {
        w.write_all(b" ops")?;
    }
    w.write_all(b"\n")
}

/// ipvsadm's fwd_name; a method it does not know prints as glibc prints a
/// NULL string.
pub(super) fn forward_name(f: ForwardMethod) -> &'static str {
    match f {
        ForwardMethod::Masq => "Masq",
        ForwardMethod::Local => "Local",
        ForwardMethod::Tunnel => "Tunnel",
        ForwardMethod::Route => "Route",
        // ipvsadm has no name for these.
        _ => "(null)",
    }
}

/// ipvsadm's tunflags[] names of the checksum flags. ipvsadm indexes its
/// table with the raw value (out of bounds beyond 2); other values print as
/// their number here.
pub(super) fn tun_flag_name(flags: u16, names: [&str; 3]) -> String {
    names
        .get(usize::from(flags))
        .map_or_else(|| flags.to_string(), |n| (*n).to_string())
}

/// ipvsadm's fwd_tun_info: `ipip`, `gue:PORT:FLAG`, `gre:FLAG` for
/// tunnelling destinations (in a 16-byte buffer), none otherwise.
fn tun_info(d: &Destination) -> Option<Vec<u8>> {
    if d.forward != ForwardMethod::Tunnel {
        return None;
    }
    let flag = || tun_flag_name(d.tun_flags.bits(), ["-c", "+c", "r+c"]);
    let mut info = match d.tun_type {
        TunnelType::Ipip => "ipip".to_string(),
        TunnelType::Gue => format!("gue:{}:{}", d.tun_port, flag()),
        TunnelType::Gre => format!("gre:{}", flag()),
        other => other.name().to_string(),
    }
    .into_bytes();
    info.truncate(15);
    Some(info)
}

/// One destination row: `  -> %-28s` of the address (cut at 28 bytes
/// unless IPv6), then the columns of the listing kind.
fn write_destination<W: Write + ?Sized>(
    w: &mut W,
    svc: &Service,
    d: &Destination,
    opts: &ListOptions,
    resolver: &dyn Resolver,
) -> io::Result<()> {
    let mut name = addrport(
        d.addr,
        d.port,
        service_protocol(svc),
        opts.numeric,
        resolver,
    );
    if !d.addr.is_ipv6() {
        name.truncate(28);
    }
    w.write_all(b"  -> ")?;
    pad(w, &name, 28)?;
    match opts.kind {
        // ipvsadm: five print_largenum
        ListKind::Stats => {
            for n in counters(&d.stats, ListKind::Stats) {
                largenum(w, n, opts.exact)?;
            }
        }
        // ipvsadm: " %8llu %8llu %8llu" of the packet rates (never scaled),
        // then print_largenum of the two byte rates
        ListKind::Rate => {
            let s = &d.stats;
            write!(w, " {:>8} {:>8} {:>8}", s.cps, s.inpps, s.outpps)?;
            largenum(w, s.inbps, opts.exact)?;
            largenum(w, s.outbps, opts.exact)?;
        }
        // ipvsadm: " %-10u %-10u %-10u %-10u"
        ListKind::Thresholds => write!(
            w,
            " {:<10} {:<10} {:<10} {:<10}",
            d.upper_threshold, d.lower_threshold, d.active_conns, d.inactive_conns
        )?,
        // ipvsadm: " %-9u %-11u %-10u %-10u" (the weight as unsigned)
        ListKind::PersistentConn => write!(
            w,
            " {:<9} {:<11} {:<10} {:<10}",
            d.weight as u32, d.persist_conns, d.active_conns, d.inactive_conns
        )?,
        // ipvsadm: " %-7s %-13s %-6d %-10u %-10u"
        ListKind::TunInfo => {
            write!(w, " {:<7} ", forward_name(d.forward))?;
            pad(w, tun_info(d).as_deref().unwrap_or(b"n/a"), 13)?;
            write!(
                w,
                " {:<6} {:<10} {:<10}",
                d.weight, d.active_conns, d.inactive_conns
            )?;
        }
        // ipvsadm: " %-7s %-6d %-10u %-10u"
        ListKind::Default => write!(
            w,
            " {:<7} {:<6} {:<10} {:<10}",
            forward_name(d.forward),
            d.weight,
            d.active_conns,
            d.inactive_conns
        )?,
    }
    w.write_all(b"\n")
}
