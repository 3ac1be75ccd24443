//! [`OPTIONS`]: every option rsvsadm's ipvsadm grammar knows, one row each
//! (names, value, help group and text, completion hints, and how it is
//! applied). The rows are in the order of ipvsadm's `options_table` in
//! `parse_options()`, which matters where popt takes the first match
//! (`--list` is `-L`); rsvsadm's own options come last.

use clap::builder::PossibleValuesParser;
use clap::ValueHint::{Hostname, Other};
use clap::{Arg, ArgAction, ValueHint};
use ipvs::{DaemonState, ForwardMethod, Protocol, ServiceFlags, TunnelFlags, TunnelType};

use super::address::{parse_fwmark, parse_mcast_group};
use super::builder::{parse_timeout, truncate_bytes, Builder};
use super::command::{ListFormat, MAX_TIMEOUT};
use super::options::Action::{Apply, Command, Set};
use super::options::ArgKind::{Optional, Required};
use super::options::Role as R;
use super::options::{ArgKind, OptSpec, Role};
use super::rules::{OptClass as C, Verb};
use super::CliError;

/// Scheduler names known to the kernel (ipvsadm's SCHEDULERS list plus
/// `twos`, added in Linux 6.x).
const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// Persistence engines (ipvsadm's PE_LIST).
const PERSISTENCE_ENGINES: &[&str] = &["sip"];

/// `--sched-flags` words (`parse_sched_flags()`).
const SCHED_FLAGS: &[&str] = &[
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-fallback",
    "sh-port",
    "mh-fallback",
    "mh-port",
];

/// `--tun-type` values (`parse_tun_type()`).
const TUNNEL_TYPES: &[&str] = &["ipip", "gue", "gre"];

/// `--start-daemon` / `--stop-daemon` values.
const DAEMON_STATES: &[&str] = &["master", "backup"];

/// C's `INT_MAX`, the upper bound of weights and thresholds.
const INT_MAX: i64 = i32::MAX as i64;

/// A command option (the first option of a command line).
const fn command(
    long: &'static str,
    shorts: &'static [char],
    verb: Verb,
    help: &'static str,
) -> OptSpec {
    OptSpec::new(long, shorts, R::Command, help, Command(verb))
}

/// A flag of the class `class` whose setter only records it.
const fn flag(
    long: &'static str,
    shorts: &'static [char],
    role: R,
    class: C,
    help: &'static str,
) -> OptSpec {
    OptSpec::new(long, shorts, role, help, Set(class, |_, _| Ok(())))
}

/// The `--start-daemon` / `--stop-daemon` state; `None` for any other
/// word.
pub(crate) fn daemon_state(v: &[u8]) -> Option<DaemonState> {
    match v {
        b"master" => Some(DaemonState::Master),
        b"backup" => Some(DaemonState::Backup),
        _ => None,
    }
}

fn forward(b: &mut Builder, method: ForwardMethod) -> Result<(), CliError> {
    b.forward = method;
    Ok(())
}

fn list_format(b: &mut Builder, set: fn(&mut ListFormat)) -> Result<(), CliError> {
    set(&mut b.format);
    Ok(())
}

fn tun_flag(b: &mut Builder, bit: TunnelFlags) -> Result<(), CliError> {
    b.tun_flags |= bit;
    Ok(())
}

/// Every option, in ipvsadm's `options_table` order.
#[rustfmt::skip]
pub static OPTIONS: &[OptSpec] = &[
    command("add-service", &['A'], Verb::Add, "add virtual service with options"),
    command("edit-service", &['E'], Verb::Edit, "edit virtual service with options"),
    command("delete-service", &['D'], Verb::Del, "delete virtual service"),
    command("clear", &['C'], Verb::Flush, "clear the whole table"),
    command("list", &['L', 'l'], Verb::List, "list the table"),
    command("zero", &['Z'], Verb::Zero, "zero counters in a service or all services"),
    command("add-server", &['a'], Verb::AddDest, "add real server with options"),
    command("edit-server", &['e'], Verb::EditDest, "edit real server with options"),
    command("delete-server", &['d'], Verb::DelDest, "delete real server"),
    command("set", &[], Verb::Timeout, "set connection timeout values (tcp tcpfin udp)"),
    command("help", &['h'], Verb::Help, "display this help message"),
    command("version", &['v'], Verb::Version, "display the version"),
    command("restore", &['R'], Verb::Restore, "restore rules from stdin"),
    command("save", &['S'], Verb::Save, "save rules to stdout"),
    command("start-daemon", &[], Verb::StartDaemon, "start connection sync daemon")
        .takes(Required("state")).values(DAEMON_STATES),
    command("stop-daemon", &[], Verb::StopDaemon, "stop connection sync daemon")
        .takes(Required("state")).values(DAEMON_STATES),
    OptSpec::new("tcp-service", &['t'], R::Service, "TCP service; service-address is host[:port]",
        Set(C::Service, |b, v| b.service_address(Protocol::Tcp, v)))
        .takes(Required("service-address")).hint(Hostname),
    OptSpec::new("udp-service", &['u'], R::Service, "UDP service; service-address is host[:port]",
        Set(C::Service, |b, v| b.service_address(Protocol::Udp, v)))
        .takes(Required("service-address")).hint(Hostname),
    OptSpec::new("sctp-service", &[], R::Service, "SCTP service; service-address is host[:port]",
        Set(C::Service, |b, v| b.service_address(Protocol::Sctp, v)))
        .takes(Required("service-address")).hint(Hostname),
    OptSpec::new("fwmark-service", &['f'], R::Service, "firewall-mark service; fwmark is an integer greater than zero",
        Set(C::Service, |b, v| {
            b.svc_family = Some(ipvs::Family::Inet);
            b.svc_protocol = Some(Protocol::Tcp);
            b.fwmark = parse_fwmark(&v.text())
                .ok_or_else(|| CliError::echo(&[b"invalid fwmark value `", v.bytes(), b"' specified"]))?;
            Ok(())
        }))
        .takes(Required("fwmark")),
    OptSpec::new("scheduler", &['s'], R::Option, "scheduling method, the default scheduler is wlc",
        Set(C::Scheduler, |b, v| {
            b.scheduler = truncate_bytes(&v.text(), 15); // IP_VS_SCHEDNAME_MAXLEN - 1
            Ok(())
        }))
        .takes(Required("scheduler")).values(SCHEDULERS),
    OptSpec::new("persistent", &['p'], R::Option, "persistent service",
        Set(C::Persistent, |b, v| {
            b.flags |= ServiceFlags::PERSISTENT;
            // No value: the default timeout.
            b.timeout = parse_timeout(v.given(), 1, MAX_TIMEOUT)?;
            Ok(())
        }))
        .takes(Optional("timeout")),
    OptSpec::new("netmask", &['M'], R::Option, "persistent granularity mask",
        Set(C::Netmask, |b, v| b.persistence_mask(v)))
        .takes(Required("netmask")).hint(Other),
    OptSpec::new("real-server", &['r'], R::Option, "server-address is host (and port)",
        Set(C::Server, |b, v| b.real_server(v)))
        .takes(Required("server-address")).hint(Hostname),
    OptSpec::new("masquerading", &['m'], R::Option, "masquerading (NAT)",
        Set(C::Forward, |b, _| forward(b, ForwardMethod::Masq))),
    OptSpec::new("ipip", &['i'], R::Option, "ipip encapsulation (tunneling)",
        Set(C::Forward, |b, _| forward(b, ForwardMethod::Tunnel))),
    OptSpec::new("gatewaying", &['g'], R::Option, "gatewaying (direct routing) (default)",
        Set(C::Forward, |b, _| forward(b, ForwardMethod::Route))),
    // Debian's ipvsadm 1.31-1 (the reference) carries a patch raising the
    // weight limit from 65535 to INT_MAX (Debian #814348).
    OptSpec::new("weight", &['w'], R::Option, "capacity of real server",
        Set(C::Weight, |b, v| { b.weight = v.number(0, INT_MAX, "weight")? as i32; Ok(()) }))
        .takes(Required("weight")),
    OptSpec::new("u-threshold", &['x'], R::Option, "upper threshold of connections",
        Set(C::UThreshold, |b, v| { b.u_threshold = v.number(0, INT_MAX, "u_threshold")? as u32; Ok(()) }))
        .takes(Required("uthreshold")),
    OptSpec::new("l-threshold", &['y'], R::Option, "lower threshold of connections",
        Set(C::LThreshold, |b, v| { b.l_threshold = v.number(0, INT_MAX, "l_threshold")? as u32; Ok(()) }))
        .takes(Required("lthreshold")),
    OptSpec::new("numeric", &['n'], R::Option, "numeric output of addresses and ports",
        Set(C::Numeric, |b, _| list_format(b, |f| f.numeric = true))),
    flag("connection", &['c'], R::Option, C::Connection, "output of current IPVS connections"),
    OptSpec::new("mcast-interface", &[], R::Daemon, "multicast interface for connection sync",
        Set(C::Mcast, |b, v| {
            b.mcast_ifn = truncate_bytes(&v.text(), 15); // IP_VS_IFNAME_MAXLEN - 1
            Ok(())
        }))
        .takes(Required("interface")),
    OptSpec::new("syncid", &[], R::Daemon, "syncid for connection sync",
        Set(C::SyncId, |b, v| { b.syncid = v.number(0, 255, "syncid")? as u32; Ok(()) }))
        .takes(Required("sid")),
    flag("timeout", &[], R::Option, C::Timeout, "output of timeout (tcp tcpfin udp)"),
    flag("daemon", &[], R::Option, C::Daemon, "output of daemon information"),
    OptSpec::new("stats", &[], R::Option, "output of statistics information",
        Set(C::Stats, |b, _| list_format(b, |f| f.stats = true))),
    OptSpec::new("rate", &[], R::Option, "output of rate information",
        Set(C::Rate, |b, _| list_format(b, |f| f.rate = true))),
    OptSpec::new("thresholds", &[], R::Option, "output of thresholds information",
        Set(C::Thresholds, |b, _| list_format(b, |f| f.thresholds = true))),
    OptSpec::new("persistent-conn", &[], R::Option, "output of persistent connection info",
        Set(C::PersistentConn, |b, _| list_format(b, |f| f.persistent_conn = true))),
    OptSpec::new("nosort", &[], R::Option, "disable sorting output of service/server entries",
        Set(C::NoSort, |b, _| list_format(b, |f| f.nosort = true))),
    OptSpec::new("sort", &[], R::Option, "does nothing, for backwards compatibility",
        Apply(|_, _| Ok(()))),
    OptSpec::new("exact", &['X'], R::Option, "expand numbers (display exact values)",
        Set(C::Exact, |b, _| list_format(b, |f| f.exact = true))),
    OptSpec::new("ipv6", &['6'], R::Option, "fwmark entry uses IPv6",
        Apply(|b, _| b.fwmark_ipv6())),
    OptSpec::new("ops", &['o'], R::Option, "one-packet scheduling",
        Set(C::OnePacket, |b, _| { b.flags |= ServiceFlags::ONEPACKET; Ok(()) })),
    OptSpec::new("pe", &[], R::Option, "alternate persistence engine",
        Set(C::Pe, |b, v| {
            b.pe_name = truncate_bytes(&v.text(), 16); // IP_VS_PENAME_MAXLEN
            Ok(())
        }))
        .takes(Required("engine")).values(PERSISTENCE_ENGINES),
    OptSpec::new("sched-flags", &['b'], R::Option, "scheduler flags (comma-separated)",
        Set(C::SchedFlags, |b, v| {
            // snprintf into a 128-byte buffer; read once the scheduler is known.
            b.sched_flags_arg = v.bytes()[..v.bytes().len().min(127)].to_vec();
            Ok(())
        }))
        .takes(Required("flags")).values(SCHED_FLAGS).comma_list(),
    OptSpec::new("mcast-group", &[], R::Daemon, "IPv4/IPv6 group (default=224.0.0.81)",
        Set(C::McastGroup, |b, v| {
            b.mcast_group = Some(parse_mcast_group(&v.text()).map_err(CliError::fail)?);
            Ok(())
        }))
        .takes(Required("address")).hint(Other),
    OptSpec::new("mcast-port", &[], R::Daemon, "UDP port (default=8848)",
        Set(C::McastPort, |b, v| { b.mcast_port = Some(v.number(1, 65535, "mcast-port")? as u16); Ok(()) }))
        .takes(Required("port")),
    OptSpec::new("mcast-ttl", &[], R::Daemon, "Multicast TTL (default=1)",
        Set(C::McastTtl, |b, v| { b.mcast_ttl = Some(v.number(1, 255, "mcast-ttl")? as u8); Ok(()) }))
        .takes(Required("ttl")),
    OptSpec::new("sync-maxlen", &[], R::Daemon, "Max sync message length (default=1472)",
        Set(C::SyncMaxlen, |b, v| { b.sync_maxlen = Some(v.number(1, 65535 - 20 - 8, "sync-maxlen")? as u16); Ok(()) }))
        .takes(Required("length")),
    OptSpec::new("tun-info", &[], R::Option, "output of tunnel information",
        Set(C::TunInfo, |b, _| list_format(b, |f| f.tun_info = true))),
    OptSpec::new("tun-type", &[], R::Option, "tunnel type, the default tunnel type is ipip",
        Set(C::TunType, |b, v| {
            b.tun_type = match v.bytes() {
                b"ipip" => TunnelType::Ipip,
                b"gue" => TunnelType::Gue,
                b"gre" => TunnelType::Gre,
                _ => return Err(CliError::fail("illegal tunnel type specified")),
            };
            Ok(())
        }))
        .takes(Required("type")).values(TUNNEL_TYPES),
    OptSpec::new("tun-port", &[], R::Option, "tunnel destination port",
        Set(C::TunPort, |b, v| { b.tun_port = v.number(1, 65535, "tunnel port")? as u16; Ok(()) }))
        .takes(Required("port")),
    OptSpec::new("tun-nocsum", &[], R::Option, "tunnel encapsulation without checksum",
        Set(C::TunNocsum, |b, _| tun_flag(b, TunnelFlags::empty()))),
    OptSpec::new("tun-csum", &[], R::Option, "tunnel encapsulation with checksum",
        Set(C::TunCsum, |b, _| tun_flag(b, TunnelFlags::CSUM))),
    OptSpec::new("tun-remcsum", &[], R::Option, "tunnel encapsulation with remote checksum",
        Set(C::TunRemcsum, |b, _| tun_flag(b, TunnelFlags::REMCSUM))),
    // rsvsadm's own options.
    OptSpec::new("json", &[], R::Extension, "with -L: the listing as one JSON document (see rsvsadm(8))",
        Set(C::Json, |b, _| list_format(b, |f| f.json = true))),
    // The program enters the namespace before it parses the command (see
    // `app::netns`), so here it is misplaced.
    OptSpec::new("netns", &[], R::Extension, "run in the named network namespace (as `ip -n`); comes first",
        Apply(|_, v| Err(CliError::echo(&[
            b"--netns must be the first argument, before the command (`--netns ",
            v.bytes(),
            b" -L -n`)",
        ]))))
        .takes(Required("name")),
    flag("sync", &[], R::Extension, C::Sync, "with -R: change the table to the rules with the fewest changes, undone if one fails"),
    flag("dry-run", &[], R::Extension, C::DryRun, "with -R --sync: print the changes as rules instead of making them"),
    OptSpec::new("drain", &[], R::Extension, "with -R --sync: weight 0 for servers that go, then wait for their connections (default 60 s)",
        Set(C::Drain, |b, v| b.drain_time(v)))
        .takes(Optional("seconds")),
];

/// popt's long-name lookup: exact match, first row wins.
pub fn find_long(name: &[u8]) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|s| s.long.as_bytes() == name)
}

/// popt's short-name lookup (one byte), first row wins.
pub fn find_short(c: u8) -> Option<&'static OptSpec> {
    OPTIONS
        .iter()
        .find(|s| s.shorts.iter().any(|&sc| sc.is_ascii() && sc as u8 == c))
}

/// A `clap::Command` describing the same option set, for shell
/// completions and documentation checks. It is NOT used to parse: clap
/// cannot express popt's rules (command-first, clustered optional values).
pub fn clap_command(prog: &str) -> clap::Command {
    // clap (without its "string" feature) keeps names as &'static str;
    // this is built once per process, so leaking the name is fine.
    let name: &'static str = Box::leak(prog.to_string().into_boxed_str());
    let cmd = clap::Command::new(name)
        .about("Linux Virtual Server administration")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("set-values")
                .help("--set: tcp tcpfin udp timeouts in seconds")
                .value_names(["tcp", "tcpfin", "udp"])
                .num_args(0..=3)
                .action(ArgAction::Append),
        );
    OPTIONS.iter().fold(cmd, |cmd, s| cmd.arg(clap_arg(s)))
}

fn clap_arg(s: &OptSpec) -> Arg {
    let mut arg = Arg::new(s.long).long(s.long).help(s.help);
    if let Some((&first, rest)) = s.shorts.split_first() {
        arg = arg.short(first);
        for &alias in rest {
            arg = arg.short_alias(alias);
        }
    }
    arg = arg.help_heading(match s.role {
        Role::Command => "Commands",
        Role::Service => "Virtual service",
        Role::Option => "Options",
        Role::Daemon => "Daemon options",
        Role::Extension => "rsvsadm extensions",
    });
    arg = match s.arg {
        ArgKind::None => arg.action(ArgAction::SetTrue),
        ArgKind::Required(_) => arg.action(ArgAction::Set).num_args(1),
        ArgKind::Optional(_) => arg.action(ArgAction::Set).num_args(0..=1),
    };
    if let Some(name) = s.arg.value_name() {
        arg = arg.value_name(name);
    }
    if !s.values.is_empty() {
        arg = arg.value_parser(PossibleValuesParser::new(s.values.iter().copied()));
    }
    if s.comma_list {
        arg = arg.value_delimiter(',');
    }
    if s.hint != ValueHint::Unknown {
        arg = arg.value_hint(s.hint);
    }
    arg
}
