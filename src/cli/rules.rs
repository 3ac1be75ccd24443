//! ipvsadm's per-command option rules: its commands (`CMD_*`), its option
//! classes (`OPTC_*`), the `commands_v_options` and
//! `tunnel_types_v_options` tables, and `generic_opt_check()` /
//! `tunnel_opt_check()`, which report the first problem in class order.

use ipvs::TunnelType;

use super::CliError;

/// ipvsadm's commands (`CMD_*`, plus `-h` and `-v`, which ipvsadm handles
/// before it has a command), named as in its messages (`cmdnames`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
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
    Help,
    Version,
}

impl Verb {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Verb::Add => "add-service",
            Verb::Edit => "edit-service",
            Verb::Del => "delete-service",
            Verb::Flush => "flush",
            Verb::List => "list",
            Verb::AddDest => "add-server",
            Verb::DelDest => "delete-server",
            Verb::EditDest => "edit-server",
            Verb::Timeout => "set",
            Verb::StartDaemon => "start-daemon",
            Verb::StopDaemon => "stop-daemon",
            Verb::Restore => "restore",
            Verb::Save => "save",
            Verb::Zero => "zero",
            Verb::Help => "help",
            Verb::Version => "version",
        }
    }
}

/// Declares [`OptClass`] from one line per class: its name in ipvsadm's
/// messages (`optnames`). The lines are in ipvsadm's `OPTC_*` order, which
/// is the order in which problems are reported.
macro_rules! option_classes {
    ($($(#[$doc:meta])* $class:ident = $name:literal,)*) => {
        /// An option class: what `set_option()` counts, and what the rule
        /// tables speak of (`-t`, `-u`, `--sctp-service` and `-f` are all
        /// `Service`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum OptClass {
            $($(#[$doc])* $class,)*
        }

        impl OptClass {
            /// Every class, in report order.
            pub(crate) const ALL: &'static [OptClass] = &[$(OptClass::$class,)*];

            /// The name in ipvsadm's messages.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(OptClass::$class => $name,)*
                }
            }
        }
    };
}

option_classes! {
    Numeric = "numeric",
    Connection = "connection",
    Service = "service-address",
    Scheduler = "scheduler",
    Persistent = "persistent",
    Netmask = "netmask",
    Server = "real-server",
    Forward = "forwarding-method",
    Weight = "weight",
    UThreshold = "u-threshold",
    LThreshold = "l-threshold",
    Mcast = "mcast-interface",
    Timeout = "timeout",
    Daemon = "daemon",
    Stats = "stats",
    Rate = "rate",
    Thresholds = "thresholds",
    PersistentConn = "persistent-conn",
    NoSort = "nosort",
    SyncId = "syncid",
    Exact = "exact",
    OnePacket = "ops",
    Pe = "pe",
    SchedFlags = "sched-flags",
    McastGroup = "mcast-group",
    McastPort = "mcast-port",
    McastTtl = "mcast-ttl",
    SyncMaxlen = "sync-maxlen",
    TunInfo = "tun-info",
    TunType = "tun-type",
    TunPort = "tun-port",
    TunNocsum = "tun-nocsum",
    TunCsum = "tun-csum",
    TunRemcsum = "tun-remcsum",
    /// rsvsadm's `--json`, after ipvsadm's classes so that its error order
    /// is kept.
    Json = "json",
    /// rsvsadm's `-R --sync`, `--dry-run`, `--drain`.
    Sync = "sync",
    DryRun = "dry-run",
    Drain = "drain",
}

impl OptClass {
    /// The class's bit in a set of given classes.
    pub(crate) fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// How an option stands with a command (or a tunnel type). Options not
/// listed are illegal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Must be given.
    Required,
    /// May be given.
    Optional,
    /// May be given, but only one of the `Exclusive` ones.
    Exclusive,
}

/// ipvsadm's `commands_v_options` table, one command at a time.
pub(crate) fn command_rules(verb: Verb) -> &'static [(OptClass, Rule)] {
    use OptClass::*;
    use Rule::*;
    match verb {
        Verb::Add | Verb::Edit => &[
            (Service, Required),
            (Scheduler, Optional),
            (Persistent, Optional),
            (Netmask, Optional),
            (OnePacket, Optional),
            (Pe, Optional),
            (SchedFlags, Optional),
        ],
        Verb::Del => &[(Service, Required)],
        // -h and -v return before any other option is read.
        Verb::Flush | Verb::Timeout | Verb::Help | Verb::Version => &[],
        Verb::Restore => &[(Sync, Optional), (DryRun, Optional), (Drain, Optional)],
        Verb::List => &[
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
        Verb::AddDest | Verb::EditDest => &[
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
        Verb::DelDest => &[(Service, Required), (Server, Required)],
        Verb::StartDaemon => &[
            (Mcast, Optional),
            (SyncId, Optional),
            (McastGroup, Optional),
            (McastPort, Optional),
            (McastTtl, Optional),
            (SyncMaxlen, Optional),
        ],
        Verb::StopDaemon => &[(SyncId, Optional)],
        Verb::Save => &[(Numeric, Optional)],
        Verb::Zero => &[(Service, Optional)],
    }
}

/// ipvsadm's `tunnel_types_v_options` table (over [`TUNNEL_CLASSES`]
/// only; `--tun-type` itself is always fine).
pub(crate) fn tunnel_rules(t: TunnelType) -> &'static [(OptClass, Rule)] {
    use OptClass::*;
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
        // A type the ipvs crate adds later takes no tunnel option yet.
        _ => &[],
    }
}

/// The classes `tunnel_opt_check()` walks.
pub(crate) const TUNNEL_CLASSES: [OptClass; 4] = [
    OptClass::TunPort,
    OptClass::TunNocsum,
    OptClass::TunCsum,
    OptClass::TunRemcsum,
];

/// `generic_opt_check()` / `tunnel_opt_check()`: walk the classes in
/// order; the first missing, illegal or conflicting one is the error.
/// `what` is "command" or "tunnel type".
pub(crate) fn check_rules(
    given: u64,
    universe: &[OptClass],
    rules: &[(OptClass, Rule)],
    subject: &str,
    what: &str,
) -> Result<(), CliError> {
    let mut first_exclusive: Option<OptClass> = None;
    for &class in universe {
        let rule = rules.iter().find(|(c, _)| *c == class).map(|&(_, r)| r);
        if given & class.bit() == 0 {
            if rule == Some(Rule::Required) {
                return Err(CliError::fail(format!(
                    "You need to supply the '{}' option for the '{subject}' {what}",
                    class.name()
                )));
            }
            continue;
        }
        match rule {
            None => {
                return Err(CliError::fail(format!(
                    "Illegal '{}' option with the '{subject}' {what}",
                    class.name()
                )))
            }
            Some(Rule::Exclusive) => match first_exclusive {
                None => first_exclusive = Some(class),
                Some(first) => {
                    return Err(CliError::fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{subject}' {what}",
                        class.name(),
                        first.name()
                    )))
                }
            },
            Some(_) => {}
        }
    }
    Ok(())
}
