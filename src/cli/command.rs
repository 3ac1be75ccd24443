//! The typed commands and ipvsadm's rules for turning options into them
//! (`parse_options()`, `generic_opt_check()`, `tunnel_opt_check()` and the
//! checks at the top of `process_options()`), in ipvsadm's order, so that
//! the first error reported is the one ipvsadm reports.

use std::net::IpAddr;

use ipvs::{
    Daemon, DaemonState, Destination, Family, ForwardMethod, Protocol, Service, ServiceFlags,
    ServiceKey, Timeouts, TunnelFlags, TunnelType,
};

use super::address::{
    atoi, parse_fwmark, parse_mcast_group, parse_netmask, parse_service, string_to_number,
};
use super::options::OptId;
use super::parse::{Hit, Popt};
use super::resolve::NameResolver;
use super::{CliError, ParseOptions};

/// One ipvsadm command, fully defaulted the way ipvsadm sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-A`: the whole service (scheduler defaults to wlc).
    AddService(Service),
    /// `-E`: the whole service; options not given are back to defaults.
    EditService(Service),
    /// `-D`
    DeleteService(ServiceKey),
    /// `-C`
    Flush,
    /// `-a`
    AddDest {
        service: ServiceKey,
        dest: Destination,
    },
    /// `-e`: the whole destination; options not given are defaults.
    EditDest {
        service: ServiceKey,
        dest: Destination,
    },
    /// `-d`
    DeleteDest {
        service: ServiceKey,
        addr: IpAddr,
        port: u16,
    },
    /// `-L`/`-l`, and no arguments at all.
    List(ListRequest),
    /// `-S`
    Save { numeric: bool },
    /// `-R`
    Restore,
    /// `-R --sync` (rsvsadm): the fewest changes that make the table equal
    /// to the rules, all undone if the kernel refuses one.
    Sync(SyncOptions),
    /// `-Z`: one service or all.
    Zero(Option<ServiceKey>),
    /// `--set tcp tcpfin udp` (0 = unchanged).
    SetTimeouts(Timeouts),
    /// `--start-daemon` (interface defaults to eth0, syncid to 0).
    StartDaemon(Daemon),
    /// `--stop-daemon`. libipvs sends the state, an empty interface name
    /// and the syncid; the kernel uses only the state.
    StopDaemon { state: DaemonState, syncid: u32 },
    /// `-h`: print [`super::help_text`] to stdout, exit 0.
    Help,
    /// `-v`: print [`super::version_text`] to stdout, exit 0.
    Version,
}

/// How `-R --sync` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncOptions {
    /// `--dry-run`: print the changes as rules, change nothing.
    pub dry_run: bool,
    /// `--drain[=SECONDS]`: before removing destinations, set their weight
    /// to 0 and wait up to this long for their active connections to end.
    pub drain: Option<u32>,
}

/// `--drain` without a value: long enough for most requests and
/// keep-alive connections to end.
pub const DEFAULT_DRAIN_SECONDS: u32 = 60;

/// What `-L` lists. At most one of these can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListTarget {
    /// The whole table.
    #[default]
    All,
    /// One virtual service (no header line).
    Service(ServiceKey),
    /// `-c`: the connection table.
    Connections,
    /// `--timeout`
    Timeouts,
    /// `--daemon`
    Daemons,
}

/// How `-L` prints (ipvsadm's `FMT_*` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListFormat {
    /// `-n`
    pub numeric: bool,
    /// `--exact` / `-X`
    pub exact: bool,
    /// `--nosort`
    pub nosort: bool,
    /// `--stats`
    pub stats: bool,
    /// `--rate`
    pub rate: bool,
    /// `--thresholds`
    pub thresholds: bool,
    /// `--persistent-conn`
    pub persistent_conn: bool,
    /// `--tun-info`
    pub tun_info: bool,
    /// `--json` (rsvsadm): one JSON document instead of the text.
    pub json: bool,
}

/// A `-L` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListRequest {
    pub target: ListTarget,
    pub format: ListFormat,
}

/// ipvsadm's commands (`CMD_*`), named as in its messages (`cmdnames`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Add,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    Timeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

impl Cmd {
    fn name(self) -> &'static str {
        match self {
            Cmd::Add => "add-service",
            Cmd::Edit => "edit-service",
            Cmd::Del => "delete-service",
            Cmd::Flush => "flush",
            Cmd::List => "list",
            Cmd::AddDest => "add-server",
            Cmd::DelDest => "delete-server",
            Cmd::EditDest => "edit-server",
            Cmd::Timeout => "set",
            Cmd::StartDaemon => "start-daemon",
            Cmd::StopDaemon => "stop-daemon",
            Cmd::Restore => "restore",
            Cmd::Save => "save",
            Cmd::Zero => "zero",
        }
    }
}

/// The option classes ipvsadm checks against each command (`OPTC_*`), in
/// its order: the order in which problems are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Numeric,
    Connection,
    Service,
    Scheduler,
    Persistent,
    Netmask,
    Server,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    Mcast,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    OnePacket,
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
    /// rsvsadm's `--json`, last so that ipvsadm's error order is kept.
    Json,
    /// rsvsadm's `-R --sync`, `--dry-run`, `--drain`.
    Sync,
    DryRun,
    Drain,
}

const ALL_OPTS: [Opt; 38] = [
    Opt::Numeric,
    Opt::Connection,
    Opt::Service,
    Opt::Scheduler,
    Opt::Persistent,
    Opt::Netmask,
    Opt::Server,
    Opt::Forward,
    Opt::Weight,
    Opt::UThreshold,
    Opt::LThreshold,
    Opt::Mcast,
    Opt::Timeout,
    Opt::Daemon,
    Opt::Stats,
    Opt::Rate,
    Opt::Thresholds,
    Opt::PersistentConn,
    Opt::NoSort,
    Opt::SyncId,
    Opt::Exact,
    Opt::OnePacket,
    Opt::Pe,
    Opt::SchedFlags,
    Opt::McastGroup,
    Opt::McastPort,
    Opt::McastTtl,
    Opt::SyncMaxlen,
    Opt::TunInfo,
    Opt::TunType,
    Opt::TunPort,
    Opt::TunNocsum,
    Opt::TunCsum,
    Opt::TunRemcsum,
    Opt::Json,
    Opt::Sync,
    Opt::DryRun,
    Opt::Drain,
];

impl Opt {
    /// The name in ipvsadm's messages (`optnames`).
    fn name(self) -> &'static str {
        match self {
            Opt::Numeric => "numeric",
            Opt::Connection => "connection",
            Opt::Service => "service-address",
            Opt::Scheduler => "scheduler",
            Opt::Persistent => "persistent",
            Opt::Netmask => "netmask",
            Opt::Server => "real-server",
            Opt::Forward => "forwarding-method",
            Opt::Weight => "weight",
            Opt::UThreshold => "u-threshold",
            Opt::LThreshold => "l-threshold",
            Opt::Mcast => "mcast-interface",
            Opt::Timeout => "timeout",
            Opt::Daemon => "daemon",
            Opt::Stats => "stats",
            Opt::Rate => "rate",
            Opt::Thresholds => "thresholds",
            Opt::PersistentConn => "persistent-conn",
            Opt::NoSort => "nosort",
            Opt::SyncId => "syncid",
            Opt::Exact => "exact",
            Opt::OnePacket => "ops",
            Opt::Pe => "pe",
            Opt::SchedFlags => "sched-flags",
            Opt::McastGroup => "mcast-group",
            Opt::McastPort => "mcast-port",
            Opt::McastTtl => "mcast-ttl",
            Opt::SyncMaxlen => "sync-maxlen",
            Opt::TunInfo => "tun-info",
            Opt::TunType => "tun-type",
            Opt::TunPort => "tun-port",
            Opt::TunNocsum => "tun-nocsum",
            Opt::TunCsum => "tun-csum",
            Opt::TunRemcsum => "tun-remcsum",
            Opt::Json => "json",
            Opt::Sync => "sync",
            Opt::DryRun => "dry-run",
            Opt::Drain => "drain",
        }
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// How an option stands with a command (or a tunnel type). Options not
/// listed are illegal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Must be given.
    Required,
    /// May be given.
    Optional,
    /// May be given, but only one of the `Exclusive` ones.
    Exclusive,
}

/// ipvsadm's `commands_v_options` table, one command at a time.
fn command_rules(cmd: Cmd) -> &'static [(Opt, Rule)] {
    use Opt::*;
    use Rule::*;
    match cmd {
        Cmd::Add | Cmd::Edit => &[
            (Service, Required),
            (Scheduler, Optional),
            (Persistent, Optional),
            (Netmask, Optional),
            (OnePacket, Optional),
            (Pe, Optional),
            (SchedFlags, Optional),
        ],
        Cmd::Del => &[(Service, Required)],
        Cmd::Flush | Cmd::Timeout => &[],
        Cmd::Restore => &[(Sync, Optional), (DryRun, Optional), (Drain, Optional)],
        Cmd::List => &[
            (Numeric, Optional),
            (Connection, Exclusive),
            (Service, Exclusive),
            (Timeout, Exclusive),
            (Daemon, Exclusive),
            (Stats, Optional),
            (Rate, Optional),
            (Thresholds, Optional),
            (PersistentConn, Optional),
            (NoSort, Optional),
            (SyncId, Optional),
            (Exact, Optional),
            (TunInfo, Optional),
            (Json, Optional),
        ],
        Cmd::AddDest | Cmd::EditDest => &[
            (Service, Required),
            (Server, Required),
            (Forward, Optional),
            (Weight, Optional),
            (UThreshold, Optional),
            (LThreshold, Optional),
            (TunType, Optional),
            (TunPort, Optional),
            (TunNocsum, Optional),
            (TunCsum, Optional),
            (TunRemcsum, Optional),
        ],
        Cmd::DelDest => &[(Service, Required), (Server, Required)],
        Cmd::StartDaemon => &[
            (Mcast, Optional),
            (SyncId, Optional),
            (McastGroup, Optional),
            (McastPort, Optional),
            (McastTtl, Optional),
            (SyncMaxlen, Optional),
        ],
        Cmd::StopDaemon => &[(SyncId, Optional)],
        Cmd::Save => &[(Numeric, Optional)],
        Cmd::Zero => &[(Service, Optional)],
    }
}

/// ipvsadm's `tunnel_types_v_options` table (over the tunnel options
/// only; `--tun-type` itself is always fine).
fn tunnel_rules(t: TunnelType) -> &'static [(Opt, Rule)] {
    use Opt::*;
    use Rule::*;
    match t {
        TunnelType::Ipip => &[],
        TunnelType::Gue => &[
            (TunPort, Required),
            (TunNocsum, Exclusive),
            (TunCsum, Exclusive),
            (TunRemcsum, Exclusive),
        ],
        TunnelType::Gre => &[(TunNocsum, Exclusive), (TunCsum, Exclusive)],
    }
}

const TUNNEL_OPTS: [Opt; 4] = [Opt::TunPort, Opt::TunNocsum, Opt::TunCsum, Opt::TunRemcsum];

/// `generic_opt_check()` / `tunnel_opt_check()`: walk the options in
/// table order; the first missing, illegal or conflicting one is the
/// error. `what` is "command" or "tunnel type".
fn check_rules(
    given: u64,
    universe: &[Opt],
    rules: &[(Opt, Rule)],
    subject: &str,
    what: &str,
) -> Result<(), CliError> {
    let mut first_exclusive: Option<Opt> = None;
    for &opt in universe {
        let rule = rules.iter().find(|(o, _)| *o == opt).map(|&(_, r)| r);
        if given & opt.bit() == 0 {
            if rule == Some(Rule::Required) {
                return Err(CliError::fail(format!(
                    "You need to supply the '{}' option for the '{subject}' {what}",
                    opt.name()
                )));
            }
            continue;
        }
        match rule {
            None => {
                return Err(CliError::fail(format!(
                    "Illegal '{}' option with the '{subject}' {what}",
                    opt.name()
                )))
            }
            Some(Rule::Exclusive) => match first_exclusive {
                None => first_exclusive = Some(opt),
                Some(first) => {
                    return Err(CliError::fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{subject}' {what}",
                        opt.name(),
                        first.name()
                    )))
                }
            },
            Some(_) => {}
        }
    }
    Ok(())
}

/// 31 days: the largest timeout ipvsadm accepts (`MAX_TIMEOUT`).
pub const MAX_TIMEOUT: i64 = 86400 * 31;
/// `IPVS_SVC_PERSISTENT_TIMEOUT`: `-p` without a value.
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 6 * 60;
/// `DEF_SCHED`
pub const DEFAULT_SCHEDULER: &str = "wlc";
/// `DEF_MCAST_IFN`
pub const DEFAULT_MCAST_INTERFACE: &str = "eth0";

/// The longest prefix of `s` of at most `max` bytes (`strncpy` into a
/// fixed buffer), cut at a character boundary.
fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// ipvsadm's `parse_timeout()`.
fn parse_timeout(value: Option<&str>, min: i64, max: i64) -> Result<u32, CliError> {
    match value {
        None => Ok(DEFAULT_PERSISTENT_TIMEOUT),
        Some(v) => string_to_number(v, min, max)
            .map(|n| n as u32)
            .ok_or_else(|| CliError::fail(format!("invalid timeout value `{v}' specified"))),
    }
}

/// ipvsadm's `parse_sched_flags()`. `sched` is the scheduler as given
/// (empty = the default).
fn parse_sched_flags(sched: &str, arg: &str) -> Result<u32, CliError> {
    let sched = if sched.is_empty() {
        DEFAULT_SCHEDULER
    } else {
        sched
    };
    let mut flags = 0;
    let mut any = false;
    // strtok(): empty pieces are skipped.
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        any = true;
        let (bit, needs) = match flag {
            "flag-1" => (ServiceFlags::SCHED1, None),
            "flag-2" => (ServiceFlags::SCHED2, None),
            "flag-3" => (ServiceFlags::SCHED3, None),
            "sh-fallback" => (ServiceFlags::SCHED1, Some("sh")),
            "sh-port" => (ServiceFlags::SCHED2, Some("sh")),
            "mh-fallback" => (ServiceFlags::SCHED1, Some("mh")),
            "mh-port" => (ServiceFlags::SCHED2, Some("mh")),
            _ => return Err(CliError::fail(format!("invalid scheduler flag `{flag}'"))),
        };
        if needs.is_some_and(|s| s != sched) {
            return Err(CliError::fail(format!(
                "incompatible scheduler flag `{flag}'"
            )));
        }
        flags |= bit;
    }
    if !any {
        // ipvsadm dereferences a NULL token here and crashes (`-b ,`).
        return Err(CliError::fail(format!("invalid scheduler flag `{arg}'")));
    }
    Ok(flags)
}

/// ipvsadm's `struct ipvs_command_entry` plus the option bits, as the
/// options are applied one by one.
struct Entry {
    cmd: Cmd,
    given: u64,
    // The virtual service (`ce.svc`).
    svc_family: Option<Family>,
    svc_protocol: Option<Protocol>,
    svc_addr: Option<IpAddr>,
    svc_port: u16,
    fwmark: u32,
    scheduler: String,
    flags: u32,
    timeout: u32,
    /// IPv4: mask in host order; IPv6: prefix length.
    netmask: u32,
    pe_name: String,
    sched_flags_arg: String,
    // The real server (`ce.dest`).
    dest_addr: Option<IpAddr>,
    dest_port: u16,
    forward: ForwardMethod,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    tun_type: TunnelType,
    tun_port: u16,
    tun_flags: u16,
    // The daemon (`ce.daemon`).
    state: DaemonState,
    mcast_ifn: String,
    syncid: u32,
    mcast_group: Option<IpAddr>,
    mcast_port: Option<u16>,
    mcast_ttl: Option<u8>,
    sync_maxlen: Option<u16>,
    timeouts: Timeouts,
    drain: Option<u32>,
    format: ListFormat,
}

impl Entry {
    fn new(cmd: Cmd) -> Entry {
        Entry {
            cmd,
            given: 0,
            svc_family: None,
            svc_protocol: None,
            svc_addr: None,
            svc_port: 0,
            fwmark: 0,
            scheduler: String::new(),
            flags: 0,
            timeout: 0,
            netmask: u32::MAX,
            pe_name: String::new(),
            sched_flags_arg: String::new(),
            dest_addr: None,
            dest_port: 0,
            forward: ForwardMethod::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_flags: TunnelFlags::NOCSUM,
            state: DaemonState::Master,
            mcast_ifn: String::new(),
            syncid: 0,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
            sync_maxlen: None,
            timeouts: Timeouts::default(),
            drain: None,
            format: ListFormat::default(),
        }
    }

    /// `set_option()`
    fn set(&mut self, opt: Opt) -> Result<(), CliError> {
        if self.given & opt.bit() != 0 {
            return Err(CliError::fail(format!(
                "multiple '{}' options specified",
                opt.name()
            )));
        }
        self.given |= opt.bit();
        Ok(())
    }

    fn has(&self, opt: Opt) -> bool {
        self.given & opt.bit() != 0
    }

    /// One option after the command (the `while` loop of
    /// `parse_options()`). `bad` is popt's current word, for "invalid
    /// option".
    fn apply(&mut self, hit: Hit, bad: &str, resolver: &dyn NameResolver) -> Result<(), CliError> {
        let value = hit.value;
        let v = value.as_deref().unwrap_or("");
        let number = |min: i64, max: i64, what: &str| {
            string_to_number(v, min, max)
                .ok_or_else(|| CliError::fail(format!("illegal {what} specified")))
        };
        match hit.spec.id {
            OptId::TcpService | OptId::UdpService | OptId::SctpService => {
                self.set(Opt::Service)?;
                let protocol = match hit.spec.id {
                    OptId::TcpService => Protocol::Tcp,
                    OptId::UdpService => Protocol::Udp,
                    _ => Protocol::Sctp,
                };
                self.svc_protocol = Some(protocol);
                let hp = parse_service(v, Some(protocol), resolver).ok_or_else(|| {
                    CliError::fail("illegal virtual server address[:port] specified")
                })?;
                self.svc_family = Some(Family::of(&hp.addr));
                self.svc_addr = Some(hp.addr);
                if hp.addr.is_ipv6() {
                    self.netmask = 128;
                }
                if let Some(port) = hp.port {
                    self.svc_port = port;
                }
            }
            OptId::FwmarkService => {
                self.set(Opt::Service)?;
                self.svc_family = Some(Family::Inet);
                self.svc_protocol = Some(Protocol::Tcp);
                self.fwmark = parse_fwmark(v).ok_or_else(|| {
                    CliError::fail(format!("invalid fwmark value `{v}' specified"))
                })?;
            }
            OptId::Scheduler => {
                self.set(Opt::Scheduler)?;
                // IP_VS_SCHEDNAME_MAXLEN - 1
                self.scheduler = truncate_bytes(v, 15);
            }
            OptId::Persistent => {
                self.set(Opt::Persistent)?;
                self.flags |= ServiceFlags::PERSISTENT;
                // No value: the default timeout.
                self.timeout = parse_timeout(value.as_deref(), 1, MAX_TIMEOUT)?;
            }
            OptId::Netmask => {
                self.set(Opt::Netmask)?;
                // The family is the service's as far as it is known now.
                if self.svc_family != Some(Family::Inet6) {
                    self.netmask = parse_netmask(v, resolver).ok_or_else(|| {
                        CliError::fail("illegal virtual server persistent mask specified")
                    })?;
                } else {
                    self.netmask = atoi(v) as u32;
                    if !(1..=128).contains(&self.netmask) {
                        return Err(CliError::fail("illegal ipv6 netmask specified"));
                    }
                }
            }
            OptId::RealServer => {
                self.set(Opt::Server)?;
                // A port name resolves with the service's protocol as
                // known now (none if -r comes before -t/-u).
                let hp = parse_service(v, self.svc_protocol, resolver).ok_or_else(|| {
                    CliError::fail("illegal real server address[:port] specified")
                })?;
                self.dest_addr = Some(hp.addr);
                // No port: the service's port as known now.
                self.dest_port = hp.port.unwrap_or(self.svc_port);
            }
            OptId::Ipip | OptId::Gatewaying | OptId::Masquerading => {
                self.set(Opt::Forward)?;
                self.forward = match hit.spec.id {
                    OptId::Ipip => ForwardMethod::Tunnel,
                    OptId::Gatewaying => ForwardMethod::Route,
                    _ => ForwardMethod::Masq,
                };
            }
            OptId::Weight => {
                self.set(Opt::Weight)?;
                // Debian's ipvsadm 1.31-1 (the reference) carries a patch
                // raising the limit from 65535 to INT_MAX (Debian #814348).
                self.weight = number(0, i64::from(i32::MAX), "weight")? as i32;
            }
            OptId::UThreshold => {
                self.set(Opt::UThreshold)?;
                self.u_threshold = number(0, i64::from(i32::MAX), "u_threshold")? as u32;
            }
            OptId::LThreshold => {
                self.set(Opt::LThreshold)?;
                self.l_threshold = number(0, i64::from(i32::MAX), "l_threshold")? as u32;
            }
            OptId::Connection => self.set(Opt::Connection)?,
            OptId::Numeric => {
                self.set(Opt::Numeric)?;
                self.format.numeric = true;
            }
            OptId::McastInterface => {
                self.set(Opt::Mcast)?;
                // IP_VS_IFNAME_MAXLEN - 1
                self.mcast_ifn = truncate_bytes(v, 15);
            }
            OptId::Syncid => {
                self.set(Opt::SyncId)?;
                self.syncid = number(0, 255, "syncid")? as u32;
            }
            OptId::Timeout => self.set(Opt::Timeout)?,
            OptId::Daemon => self.set(Opt::Daemon)?,
            OptId::Stats => {
                self.set(Opt::Stats)?;
                self.format.stats = true;
            }
            OptId::Rate => {
                self.set(Opt::Rate)?;
                self.format.rate = true;
            }
            OptId::Thresholds => {
                self.set(Opt::Thresholds)?;
                self.format.thresholds = true;
            }
            OptId::PersistentConn => {
                self.set(Opt::PersistentConn)?;
                self.format.persistent_conn = true;
            }
            OptId::NoSort => {
                self.set(Opt::NoSort)?;
                self.format.nosort = true;
            }
            OptId::Sort => {}
            OptId::Exact => {
                self.set(Opt::Exact)?;
                self.format.exact = true;
            }
            OptId::Ipv6 => {
                if self.fwmark == 0 {
                    // ipvsadm's text ends in a newline of its own.
                    return Err(CliError::fail("-6 used before -f\n"));
                }
                self.svc_family = Some(Family::Inet6);
                self.netmask = 128;
            }
            OptId::Ops => {
                self.set(Opt::OnePacket)?;
                self.flags |= ServiceFlags::ONEPACKET;
            }
            OptId::Pe => {
                self.set(Opt::Pe)?;
                // strncpy(pe_name, optarg, IP_VS_PENAME_MAXLEN)
                self.pe_name = truncate_bytes(v, 16);
            }
            OptId::SchedFlags => {
                self.set(Opt::SchedFlags)?;
                // snprintf into a 128-byte buffer.
                self.sched_flags_arg = truncate_bytes(v, 127);
            }
            OptId::McastGroup => {
                self.set(Opt::McastGroup)?;
                self.mcast_group = Some(parse_mcast_group(v).map_err(CliError::fail)?);
            }
            OptId::McastPort => {
                self.set(Opt::McastPort)?;
                self.mcast_port = Some(number(1, 65535, "mcast-port")? as u16);
            }
            OptId::McastTtl => {
                self.set(Opt::McastTtl)?;
                self.mcast_ttl = Some(number(1, 255, "mcast-ttl")? as u8);
            }
            OptId::SyncMaxlen => {
                self.set(Opt::SyncMaxlen)?;
                self.sync_maxlen = Some(number(1, 65535 - 20 - 8, "sync-maxlen")? as u16);
            }
            OptId::TunInfo => {
                self.set(Opt::TunInfo)?;
                self.format.tun_info = true;
            }
            OptId::TunType => {
                self.set(Opt::TunType)?;
                self.tun_type = match v {
                    "ipip" => TunnelType::Ipip,
                    "gue" => TunnelType::Gue,
                    "gre" => TunnelType::Gre,
                    _ => return Err(CliError::fail("illegal tunnel type specified")),
                };
            }
            OptId::TunPort => {
                self.set(Opt::TunPort)?;
                self.tun_port = number(1, 65535, "tunnel port")? as u16;
            }
            OptId::TunNocsum => {
                self.set(Opt::TunNocsum)?;
                self.tun_flags |= TunnelFlags::NOCSUM;
            }
            OptId::TunCsum => {
                self.set(Opt::TunCsum)?;
                self.tun_flags |= TunnelFlags::CSUM;
            }
            OptId::TunRemcsum => {
                self.set(Opt::TunRemcsum)?;
                self.tun_flags |= TunnelFlags::REMCSUM;
            }
            OptId::Json => {
                self.set(Opt::Json)?;
                self.format.json = true;
            }
            OptId::Sync => self.set(Opt::Sync)?,
            OptId::DryRun => self.set(Opt::DryRun)?,
            OptId::Drain => {
                self.set(Opt::Drain)?;
                self.drain = Some(match value.as_deref() {
                    None => DEFAULT_DRAIN_SECONDS,
                    Some(v) => string_to_number(v, 0, MAX_TIMEOUT).ok_or_else(|| {
                        CliError::fail(format!(
                            "invalid drain time `{v}' specified (seconds, 0 to {MAX_TIMEOUT})"
                        ))
                    })? as u32,
                });
            }
            // The program enters the namespace before it parses the
            // command (see `app::netns`), so here it is misplaced.
            OptId::Netns => {
                return Err(CliError::fail(format!(
                    "--netns must be the first argument, before the command (`--netns {v} -L -n`)"
                )));
            }
            // Commands, -h and -v after the first option.
            OptId::AddService
            | OptId::EditService
            | OptId::DeleteService
            | OptId::Clear
            | OptId::List
            | OptId::Zero
            | OptId::AddServer
            | OptId::EditServer
            | OptId::DeleteServer
            | OptId::Set
            | OptId::Help
            | OptId::Version
            | OptId::Restore
            | OptId::Save
            | OptId::StartDaemon
            | OptId::StopDaemon => {
                return Err(CliError::fail(format!("invalid option `{bad}'")));
            }
        }
        Ok(())
    }

    fn service_key(&self) -> ServiceKey {
        if self.fwmark != 0 {
            ServiceKey::Fwmark {
                mark: self.fwmark,
                family: self.svc_family.unwrap_or(Family::Inet),
            }
        } else {
            let family = self.svc_family.unwrap_or(Family::Inet);
            ServiceKey::Addr {
                protocol: self.svc_protocol.unwrap_or(Protocol::Tcp),
                addr: self.svc_addr.unwrap_or_else(|| family.unspecified()),
                port: self.svc_port,
            }
        }
    }

    fn service(&self) -> Service {
        let mut svc = Service::new(self.service_key());
        svc.scheduler = if self.scheduler.is_empty() {
            DEFAULT_SCHEDULER.to_string()
        } else {
            self.scheduler.clone()
        };
        svc.flags = ServiceFlags(self.flags);
        svc.timeout = self.timeout;
        svc.netmask = self.netmask;
        svc.pe_name = (!self.pe_name.is_empty()).then(|| self.pe_name.clone());
        svc
    }

    fn destination(&self) -> Destination {
        let addr = self
            .dest_addr
            .unwrap_or_else(|| self.service_key().family().unspecified());
        let mut d = Destination::new(addr, self.dest_port);
        d.forward = self.forward;
        d.weight = self.weight;
        d.upper_threshold = self.u_threshold;
        d.lower_threshold = self.l_threshold;
        d.tun_type = self.tun_type;
        d.tun_port = self.tun_port;
        d.tun_flags = TunnelFlags(self.tun_flags);
        d
    }

    /// The checks of `process_options()` after `generic_opt_check()`.
    fn finish(mut self) -> Result<Command, CliError> {
        check_rules(
            self.given,
            &ALL_OPTS,
            command_rules(self.cmd),
            self.cmd.name(),
            "command",
        )?;

        if matches!(self.cmd, Cmd::Add | Cmd::Edit) {
            if self.fwmark == 0 && self.svc_port == 0 && self.flags & ServiceFlags::PERSISTENT == 0
            {
                return Err(CliError::fail(
                    "Zero port specified for non-persistent service",
                ));
            }
            if self.flags & ServiceFlags::ONEPACKET != 0
                && self.fwmark == 0
                && self.svc_protocol != Some(Protocol::Udp)
            {
                return Err(CliError::fail(
                    "One-Packet Scheduling is only for UDP virtual services",
                ));
            }
        }

        if matches!(self.cmd, Cmd::AddDest | Cmd::EditDest) {
            // Direct routing and tunnelling cannot change the port.
            if self.fwmark == 0
                && matches!(self.forward, ForwardMethod::Tunnel | ForwardMethod::Route)
            {
                self.dest_port = self.svc_port;
            }
            let dest_family = self.dest_addr.as_ref().map(Family::of);
            if dest_family != self.svc_family && self.forward != ForwardMethod::Tunnel {
                return Err(CliError::fail(
                    "Different address family is allowed only for tunneling servers",
                ));
            }
            let tunnel_bits = Opt::TunType.bit()
                | Opt::TunPort.bit()
                | Opt::TunNocsum.bit()
                | Opt::TunCsum.bit()
                | Opt::TunRemcsum.bit();
            if self.given & tunnel_bits != 0 && self.forward != ForwardMethod::Tunnel {
                return Err(CliError::fail(
                    "Tunnel options conflict with forward method",
                ));
            }
            check_rules(
                self.given,
                &TUNNEL_OPTS,
                tunnel_rules(self.tun_type),
                self.tun_type.name(),
                "tunnel type",
            )?;
        }

        let command = match self.cmd {
            Cmd::List => {
                let output_only =
                    self.has(Opt::Connection) || self.has(Opt::Timeout) || self.has(Opt::Daemon);
                let counters =
                    self.has(Opt::Stats) || self.has(Opt::Rate) || self.has(Opt::Thresholds);
                let no_table = self.has(Opt::Timeout) || self.has(Opt::Daemon);
                if (output_only && counters) || (no_table && self.has(Opt::PersistentConn)) {
                    return Err(CliError::fail("options conflicts in the list command"));
                }
                let target = if self.has(Opt::Connection) {
                    ListTarget::Connections
                } else if self.has(Opt::Service) {
                    ListTarget::Service(self.service_key())
                } else if self.has(Opt::Timeout) {
                    ListTarget::Timeouts
                } else if self.has(Opt::Daemon) {
                    ListTarget::Daemons
                } else {
                    ListTarget::All
                };
                Command::List(ListRequest {
                    target,
                    format: self.format,
                })
            }
            Cmd::Restore if self.has(Opt::Sync) => Command::Sync(SyncOptions {
                dry_run: self.has(Opt::DryRun),
                drain: self.drain,
            }),
            Cmd::Restore if self.has(Opt::DryRun) || self.has(Opt::Drain) => {
                return Err(CliError::fail(
                    "--dry-run and --drain only go with -R --sync",
                ))
            }
            Cmd::Restore => Command::Restore,
            Cmd::Save => Command::Save {
                numeric: self.format.numeric,
            },
            Cmd::Flush => Command::Flush,
            Cmd::Add => Command::AddService(self.service()),
            Cmd::Edit => Command::EditService(self.service()),
            Cmd::Del => Command::DeleteService(self.service_key()),
            Cmd::Zero => Command::Zero(self.has(Opt::Service).then(|| self.service_key())),
            Cmd::AddDest => Command::AddDest {
                service: self.service_key(),
                dest: self.destination(),
            },
            Cmd::EditDest => Command::EditDest {
                service: self.service_key(),
                dest: self.destination(),
            },
            Cmd::DelDest => {
                let d = self.destination();
                Command::DeleteDest {
                    service: self.service_key(),
                    addr: d.addr,
                    port: d.port,
                }
            }
            Cmd::Timeout => Command::SetTimeouts(self.timeouts),
            Cmd::StartDaemon => Command::StartDaemon(Daemon {
                state: self.state,
                mcast_ifn: if self.mcast_ifn.is_empty() {
                    DEFAULT_MCAST_INTERFACE.to_string()
                } else {
                    self.mcast_ifn.clone()
                },
                syncid: self.syncid,
                sync_maxlen: self.sync_maxlen,
                mcast_group: self.mcast_group,
                mcast_port: self.mcast_port,
                mcast_ttl: self.mcast_ttl,
            }),
            Cmd::StopDaemon => Command::StopDaemon {
                state: self.state,
                syncid: self.syncid,
            },
        };
        Ok(command)
    }
}

/// Parse the arguments after the program name (ipvsadm's
/// `process_options()` up to the point where it talks to the kernel).
pub(crate) fn parse_args(
    args: &[String],
    resolver: &dyn NameResolver,
    options: ParseOptions,
) -> Result<Command, CliError> {
    if args.is_empty() {
        // main(): no arguments lists the table.
        return Ok(Command::List(ListRequest::default()));
    }
    let mut popt = Popt::new(args, options.posixly_correct);

    // The first option must be a command; anything else (including a
    // popt error or no option at all) only prints the "Try" hint.
    let first = match popt.next_opt() {
        Ok(Some(hit)) => hit,
        Ok(None) | Err(_) => return Err(CliError::try_help()),
    };
    let daemon_state = |v: &str| match v {
        "master" => Some(DaemonState::Master),
        "backup" => Some(DaemonState::Backup),
        _ => None,
    };
    let cmd = match first.spec.id {
        OptId::AddService => Cmd::Add,
        OptId::EditService => Cmd::Edit,
        OptId::DeleteService => Cmd::Del,
        OptId::AddServer => Cmd::AddDest,
        OptId::EditServer => Cmd::EditDest,
        OptId::DeleteServer => Cmd::DelDest,
        OptId::Clear => Cmd::Flush,
        OptId::List => Cmd::List,
        OptId::Zero => Cmd::Zero,
        OptId::Set => Cmd::Timeout,
        OptId::Restore => Cmd::Restore,
        OptId::Save => Cmd::Save,
        OptId::StartDaemon => Cmd::StartDaemon,
        OptId::StopDaemon => Cmd::StopDaemon,
        OptId::Help => return Ok(Command::Help),
        OptId::Version => return Ok(Command::Version),
        _ => return Err(CliError::try_help()),
    };
    let mut entry = Entry::new(cmd);
    match cmd {
        Cmd::StartDaemon => {
            entry.state = daemon_state(first.value.as_deref().unwrap_or(""))
                .ok_or_else(|| CliError::fail("illegal start-daemon parameter specified"))?;
        }
        Cmd::StopDaemon => {
            // sic: ipvsadm's text for --stop-daemon.
            entry.state = daemon_state(first.value.as_deref().unwrap_or(""))
                .ok_or_else(|| CliError::fail("illegal start_daemon specified"))?;
        }
        _ => {}
    }

    loop {
        match popt.next_opt() {
            Ok(Some(hit)) => {
                let bad = popt.bad_option().to_string();
                entry.apply(hit, &bad, resolver)?;
            }
            Ok(None) => break,
            Err(e) => return Err(CliError::popt(&e)),
        }
    }

    if cmd == Cmd::Timeout {
        let (Some(tcp), Some(fin), Some(udp)) = (popt.next_arg(), popt.next_arg(), popt.next_arg())
        else {
            return Err(CliError::fail("--set option requires 3 timeout values"));
        };
        entry.timeouts = Timeouts {
            tcp: parse_timeout(Some(&tcp), 0, MAX_TIMEOUT)?,
            tcp_fin: parse_timeout(Some(&fin), 0, MAX_TIMEOUT)?,
            udp: parse_timeout(Some(&udp), 0, MAX_TIMEOUT)?,
        };
    }

    if let Some(extra) = popt.next_arg() {
        return Err(CliError::fail(format!("unexpected argument {extra}")));
    }

    if !entry.sched_flags_arg.is_empty() {
        let sched_bits = ServiceFlags::SCHED1 | ServiceFlags::SCHED2 | ServiceFlags::SCHED3;
        entry.flags &= !sched_bits;
        entry.flags |= parse_sched_flags(&entry.scheduler, &entry.sched_flags_arg)?;
    }

    entry.finish()
}
