//! The one table of every command-line option ipvsadm 1.31 knows.
//!
//! Everything that needs to know the option set is derived from
//! [`OPTIONS`]: the popt-like tokenizer ([`super::parse`]), the
//! shell-completion [`clap_command`], and (later) the man-page check. The
//! rows are in the order of ipvsadm's `options_table` in `parse_options()`,
//! which matters where popt takes the first match (`--list` is `-L`).

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ValueHint};

/// Identity of an option, independent of how it was spelt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptId {
    AddService,
    EditService,
    DeleteService,
    Clear,
    List,
    Zero,
    AddServer,
    EditServer,
    DeleteServer,
    Set,
    Help,
    Version,
    Restore,
    Save,
    StartDaemon,
    StopDaemon,
    TcpService,
    UdpService,
    SctpService,
    FwmarkService,
    Scheduler,
    Persistent,
    Netmask,
    RealServer,
    Masquerading,
    Ipip,
    Gatewaying,
    Weight,
    UThreshold,
    LThreshold,
    Numeric,
    Connection,
    McastInterface,
    Syncid,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    Sort,
    Exact,
    Ipv6,
    Ops,
    Pe,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
    Json,
    Netns,
    Sync,
    DryRun,
    Drain,
}

/// Whether an option takes a value (popt's `POPT_ARG_NONE`,
/// `POPT_ARG_STRING`, `POPT_ARG_STRING|POPT_ARGFLAG_OPTIONAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    Required,
    /// The value is taken from the same word (`-p300`, `--persistent=300`)
    /// or from the next word unless that word starts with `-`.
    Optional,
}

/// What an option is for; used to group help and completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Selects the command; must be the first option.
    Command,
    /// Names a virtual service.
    Service,
    /// Any other option.
    Option,
    /// Connection-sync daemon option.
    Daemon,
    /// rsvsadm's own option, not in ipvsadm (and so not in its `-h` text).
    Extension,
}

/// One row of the option table.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    pub id: OptId,
    /// Long name without the leading `--`.
    pub long: &'static str,
    /// Short letters; the first is the documented one, others are aliases
    /// (`-l` for `-L`).
    pub shorts: &'static [char],
    pub arg: ArgKind,
    pub role: Role,
    /// Name of the value in help text (`service-address`, `timeout`, ...).
    pub value_name: Option<&'static str>,
    /// The accepted or suggested values, for completions.
    pub values: &'static [&'static str],
    /// One-line description (from ipvsadm's usage text where it has one).
    pub help: &'static str,
}

/// Scheduler names known to the kernel (ipvsadm's SCHEDULERS list plus
/// `twos`, added in Linux 6.x).
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// Persistence engines (ipvsadm's PE_LIST).
pub const PERSISTENCE_ENGINES: &[&str] = &["sip"];

/// `--sched-flags` words (`parse_sched_flags()`).
pub const SCHED_FLAGS: &[&str] = &[
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-fallback",
    "sh-port",
    "mh-fallback",
    "mh-port",
];

/// `--tun-type` values (`parse_tun_type()`).
pub const TUNNEL_TYPES: &[&str] = &["ipip", "gue", "gre"];

/// `--start-daemon` / `--stop-daemon` values.
pub const DAEMON_STATES: &[&str] = &["master", "backup"];

// One positional constructor keeps each table row on one line.
#[allow(clippy::too_many_arguments)]
const fn row(
    id: OptId,
    long: &'static str,
    shorts: &'static [char],
    arg: ArgKind,
    role: Role,
    value_name: Option<&'static str>,
    values: &'static [&'static str],
    help: &'static str,
) -> OptSpec {
    OptSpec {
        id,
        long,
        shorts,
        arg,
        role,
        value_name,
        values,
        help,
    }
}

use ArgKind as K;
use OptId as O;
use Role as R;

/// Every option, in ipvsadm's `options_table` order.
#[rustfmt::skip]
pub static OPTIONS: &[OptSpec] = &[
    row(O::AddService, "add-service", &['A'], K::None, R::Command, None, &[], "add virtual service with options"),
    row(O::EditService, "edit-service", &['E'], K::None, R::Command, None, &[], "edit virtual service with options"),
    row(O::DeleteService, "delete-service", &['D'], K::None, R::Command, None, &[], "delete virtual service"),
    row(O::Clear, "clear", &['C'], K::None, R::Command, None, &[], "clear the whole table"),
    row(O::List, "list", &['L', 'l'], K::None, R::Command, None, &[], "list the table"),
    row(O::Zero, "zero", &['Z'], K::None, R::Command, None, &[], "zero counters in a service or all services"),
    row(O::AddServer, "add-server", &['a'], K::None, R::Command, None, &[], "add real server with options"),
    row(O::EditServer, "edit-server", &['e'], K::None, R::Command, None, &[], "edit real server with options"),
    row(O::DeleteServer, "delete-server", &['d'], K::None, R::Command, None, &[], "delete real server"),
    row(O::Set, "set", &[], K::None, R::Command, None, &[], "set connection timeout values (tcp tcpfin udp)"),
    row(O::Help, "help", &['h'], K::None, R::Command, None, &[], "display this help message"),
    row(O::Version, "version", &['v'], K::None, R::Command, None, &[], "display the version"),
    row(O::Restore, "restore", &['R'], K::None, R::Command, None, &[], "restore rules from stdin"),
    row(O::Save, "save", &['S'], K::None, R::Command, None, &[], "save rules to stdout"),
    row(O::StartDaemon, "start-daemon", &[], K::Required, R::Command, Some("state"), DAEMON_STATES, "start connection sync daemon"),
    row(O::StopDaemon, "stop-daemon", &[], K::Required, R::Command, Some("state"), DAEMON_STATES, "stop connection sync daemon"),
    row(O::TcpService, "tcp-service", &['t'], K::Required, R::Service, Some("service-address"), &[], "TCP service; service-address is host[:port]"),
    row(O::UdpService, "udp-service", &['u'], K::Required, R::Service, Some("service-address"), &[], "UDP service; service-address is host[:port]"),
    row(O::SctpService, "sctp-service", &[], K::Required, R::Service, Some("service-address"), &[], "SCTP service; service-address is host[:port]"),
    row(O::FwmarkService, "fwmark-service", &['f'], K::Required, R::Service, Some("fwmark"), &[], "firewall-mark service; fwmark is an integer greater than zero"),
    row(O::Scheduler, "scheduler", &['s'], K::Required, R::Option, Some("scheduler"), SCHEDULERS, "scheduling method, the default scheduler is wlc"),
    row(O::Persistent, "persistent", &['p'], K::Optional, R::Option, Some("timeout"), &[], "persistent service"),
    row(O::Netmask, "netmask", &['M'], K::Required, R::Option, Some("netmask"), &[], "persistent granularity mask"),
    row(O::RealServer, "real-server", &['r'], K::Required, R::Option, Some("server-address"), &[], "server-address is host (and port)"),
    row(O::Masquerading, "masquerading", &['m'], K::None, R::Option, None, &[], "masquerading (NAT)"),
    row(O::Ipip, "ipip", &['i'], K::None, R::Option, None, &[], "ipip encapsulation (tunneling)"),
    row(O::Gatewaying, "gatewaying", &['g'], K::None, R::Option, None, &[], "gatewaying (direct routing) (default)"),
    row(O::Weight, "weight", &['w'], K::Required, R::Option, Some("weight"), &[], "capacity of real server"),
    row(O::UThreshold, "u-threshold", &['x'], K::Required, R::Option, Some("uthreshold"), &[], "upper threshold of connections"),
    row(O::LThreshold, "l-threshold", &['y'], K::Required, R::Option, Some("lthreshold"), &[], "lower threshold of connections"),
    row(O::Numeric, "numeric", &['n'], K::None, R::Option, None, &[], "numeric output of addresses and ports"),
    row(O::Connection, "connection", &['c'], K::None, R::Option, None, &[], "output of current IPVS connections"),
    row(O::McastInterface, "mcast-interface", &[], K::Required, R::Daemon, Some("interface"), &[], "multicast interface for connection sync"),
    row(O::Syncid, "syncid", &[], K::Required, R::Daemon, Some("sid"), &[], "syncid for connection sync"),
    row(O::Timeout, "timeout", &[], K::None, R::Option, None, &[], "output of timeout (tcp tcpfin udp)"),
    row(O::Daemon, "daemon", &[], K::None, R::Option, None, &[], "output of daemon information"),
    row(O::Stats, "stats", &[], K::None, R::Option, None, &[], "output of statistics information"),
    row(O::Rate, "rate", &[], K::None, R::Option, None, &[], "output of rate information"),
    row(O::Thresholds, "thresholds", &[], K::None, R::Option, None, &[], "output of thresholds information"),
    row(O::PersistentConn, "persistent-conn", &[], K::None, R::Option, None, &[], "output of persistent connection info"),
    row(O::NoSort, "nosort", &[], K::None, R::Option, None, &[], "disable sorting output of service/server entries"),
    row(O::Sort, "sort", &[], K::None, R::Option, None, &[], "does nothing, for backwards compatibility"),
    row(O::Exact, "exact", &['X'], K::None, R::Option, None, &[], "expand numbers (display exact values)"),
    row(O::Ipv6, "ipv6", &['6'], K::None, R::Option, None, &[], "fwmark entry uses IPv6"),
    row(O::Ops, "ops", &['o'], K::None, R::Option, None, &[], "one-packet scheduling"),
    row(O::Pe, "pe", &[], K::Required, R::Option, Some("engine"), PERSISTENCE_ENGINES, "alternate persistence engine"),
    row(O::SchedFlags, "sched-flags", &['b'], K::Required, R::Option, Some("flags"), SCHED_FLAGS, "scheduler flags (comma-separated)"),
    row(O::McastGroup, "mcast-group", &[], K::Required, R::Daemon, Some("address"), &[], "IPv4/IPv6 group (default=224.0.0.81)"),
    row(O::McastPort, "mcast-port", &[], K::Required, R::Daemon, Some("port"), &[], "UDP port (default=8848)"),
    row(O::McastTtl, "mcast-ttl", &[], K::Required, R::Daemon, Some("ttl"), &[], "Multicast TTL (default=1)"),
    row(O::SyncMaxlen, "sync-maxlen", &[], K::Required, R::Daemon, Some("length"), &[], "Max sync message length (default=1472)"),
    row(O::TunInfo, "tun-info", &[], K::None, R::Option, None, &[], "output of tunnel information"),
    row(O::TunType, "tun-type", &[], K::Required, R::Option, Some("type"), TUNNEL_TYPES, "tunnel type, the default tunnel type is ipip"),
    row(O::TunPort, "tun-port", &[], K::Required, R::Option, Some("port"), &[], "tunnel destination port"),
    row(O::TunNocsum, "tun-nocsum", &[], K::None, R::Option, None, &[], "tunnel encapsulation without checksum"),
    row(O::TunCsum, "tun-csum", &[], K::None, R::Option, None, &[], "tunnel encapsulation with checksum"),
    row(O::TunRemcsum, "tun-remcsum", &[], K::None, R::Option, None, &[], "tunnel encapsulation with remote checksum"),
    row(O::Json, "json", &[], K::None, R::Extension, None, &[], "with -L: the listing as one JSON document (see rsvsadm(8))"),
    row(O::Netns, "netns", &[], K::Required, R::Extension, Some("name"), &[], "run in the named network namespace (as `ip -n`); comes first"),
    row(O::Sync, "sync", &[], K::None, R::Extension, None, &[], "with -R: change the table to the rules with the fewest changes, undone if one fails"),
    row(O::DryRun, "dry-run", &[], K::None, R::Extension, None, &[], "with -R --sync: print the changes as rules instead of making them"),
    row(O::Drain, "drain", &[], K::Optional, R::Extension, Some("seconds"), &[], "with -R --sync: weight 0 for servers that go, then wait for their connections (default 60 s)"),
];

/// popt's long-name lookup: exact match, first row wins.
pub fn find_long(name: &str) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|s| s.long == name)
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
    let mut cmd = clap::Command::new(name)
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
    for s in OPTIONS {
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
            ArgKind::Required => arg.action(ArgAction::Set).num_args(1),
            ArgKind::Optional => arg.action(ArgAction::Set).num_args(0..=1),
        };
        if let Some(name) = s.value_name {
            arg = arg.value_name(name);
        }
        if !s.values.is_empty() {
            arg = arg.value_parser(PossibleValuesParser::new(s.values.iter().copied()));
            if s.id == OptId::SchedFlags {
                arg = arg.value_delimiter(',');
            }
        }
        arg = match s.id {
            OptId::TcpService | OptId::UdpService | OptId::SctpService | OptId::RealServer => {
                arg.value_hint(ValueHint::Hostname)
            }
            OptId::McastGroup | OptId::Netmask => arg.value_hint(ValueHint::Other),
            _ => arg,
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn cli_table_names_are_unique() {
        let mut longs = HashSet::new();
        let mut shorts = HashSet::new();
        let mut ids = HashSet::new();
        for s in OPTIONS {
            assert!(longs.insert(s.long), "duplicate --{}", s.long);
            assert!(ids.insert(s.id), "duplicate id {:?}", s.id);
            for &c in s.shorts {
                assert!(shorts.insert(c), "duplicate -{c}");
            }
            assert_eq!(s.value_name.is_some(), s.arg != ArgKind::None, "{}", s.long);
        }
    }

    #[test]
    fn cli_lookup() {
        assert_eq!(find_long("list").unwrap().id, OptId::List);
        assert_eq!(find_short(b'l').unwrap().id, OptId::List);
        assert!(find_short(b'I').is_none(), "--syncid has no short form");
        assert!(find_long("lis").is_none(), "popt has no abbreviations");
        assert_eq!(find_short(b'6').unwrap().id, OptId::Ipv6);
    }

    #[test]
    fn cli_clap_command_builds() {
        let cmd = clap_command("rsvsadm");
        cmd.clone().debug_assert();
        let m = cmd
            .try_get_matches_from([
                "rsvsadm",
                "-A",
                "-t",
                "1.2.3.4:80",
                "-s",
                "wrr",
                "-b",
                "flag-1,flag-2",
            ])
            .unwrap();
        assert!(m.get_flag("add-service"));
        assert_eq!(m.get_one::<String>("scheduler").unwrap(), "wrr");
        let flags: Vec<&String> = m.get_many::<String>("sched-flags").unwrap().collect();
        assert_eq!(flags, ["flag-1", "flag-2"]);
        let tun = clap_command("x");
        let arg = tun
            .get_arguments()
            .find(|a| a.get_id() == "tun-type")
            .unwrap();
        let pv: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(pv, ["ipip", "gue", "gre"]);
    }
}
