//! The typed commands the grammar produces (`args::parse_args`
//! makes them), and the defaults they carry. Plain data: this module
//! imports nothing else of the grammar.

use std::net::IpAddr;

use ipvs::{Daemon, DaemonState, Destination, Service, ServiceKey, Timeouts};

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

/// 31 days: the largest timeout ipvsadm accepts (`MAX_TIMEOUT`).
pub const MAX_TIMEOUT: i64 = 86400 * 31;
/// `DEF_SCHED`
pub const DEFAULT_SCHEDULER: &str = "wlc";
/// `DEF_MCAST_IFN`
pub const DEFAULT_MCAST_INTERFACE: &str = "eth0";
