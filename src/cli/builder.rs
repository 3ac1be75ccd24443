//! ipvsadm's `struct ipvs_command_entry` as the options are applied one by
//! one ([`Builder`]), and the checks of `process_options()` that turn it
//! into a [`Command`], in ipvsadm's order, so that the first error
//! reported is the one ipvsadm reports.

use std::borrow::Cow;
use std::net::IpAddr;

use ipvs::{
    Daemon, DaemonState, Destination, Family, ForwardMethod, PersistenceNetmask, Protocol, Service,
    ServiceFlags, ServiceKey, Timeouts, TunnelFlags, TunnelType,
};

use super::address::{atoi, parse_netmask, parse_service, string_to_number};
use super::command::{
    Command, ListFormat, ListRequest, ListTarget, SyncOptions, DEFAULT_DRAIN_SECONDS,
    DEFAULT_MCAST_INTERFACE, DEFAULT_SCHEDULER, MAX_TIMEOUT,
};
use super::resolve::NameResolver;
use super::rules::{check_rules, command_rules, tunnel_rules, OptClass, Verb, TUNNEL_CLASSES};
use super::CliError;

/// How a row of the option table applies its value to the builder.
pub(crate) type Setter = fn(&mut Builder, Value<'_>) -> Result<(), CliError>;

/// An option's value, as a [`Setter`] sees it.
#[derive(Clone, Copy)]
pub(crate) struct Value<'a> {
    bytes: Option<&'a [u8]>,
    pub(crate) resolver: &'a dyn NameResolver,
}

impl<'a> Value<'a> {
    pub(crate) fn new(bytes: Option<&'a [u8]>, resolver: &'a dyn NameResolver) -> Value<'a> {
        Value { bytes, resolver }
    }

    /// The value as given ("" if none), to echo in messages.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes.unwrap_or(b"")
    }

    /// The value as text, to parse. Every value ipvsadm parses is ASCII,
    /// so a byte that is not UTF-8 only ever meets a "not valid" answer.
    pub(crate) fn text(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.bytes())
    }

    /// The value as given, or `None` if an optional value was left out.
    pub(crate) fn given(&self) -> Option<&'a [u8]> {
        self.bytes
    }

    /// `string_to_number()` with ipvsadm's "illegal <what> specified".
    pub(crate) fn number(&self, min: i64, max: i64, what: &str) -> Result<i64, CliError> {
        string_to_number(&self.text(), min, max)
            .ok_or_else(|| CliError::fail(format!("illegal {what} specified")))
    }
}

/// `IPVS_SVC_PERSISTENT_TIMEOUT`: `-p` without a value.
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 6 * 60;

/// The longest prefix of `s` of at most `max` bytes (`strncpy` into a
/// fixed buffer), cut at a character boundary.
pub(crate) fn truncate_bytes(s: &str, max: usize) -> String {
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
pub(crate) fn parse_timeout(value: Option<&[u8]>, min: i64, max: i64) -> Result<u32, CliError> {
    match value {
        None => Ok(DEFAULT_PERSISTENT_TIMEOUT),
        Some(v) => string_to_number(&String::from_utf8_lossy(v), min, max)
            .map(|n| n as u32)
            .ok_or_else(|| CliError::echo(&[b"invalid timeout value `", v, b"' specified"])),
    }
}

/// ipvsadm's `parse_sched_flags()`. `sched` is the scheduler as given
/// (empty = the default).
fn parse_sched_flags(sched: &str, arg: &[u8]) -> Result<ServiceFlags, CliError> {
    let sched = if sched.is_empty() {
        DEFAULT_SCHEDULER
    } else {
        sched
    };
    let mut flags = ServiceFlags::empty();
    // strtok(): empty pieces are skipped.
    let pieces = arg.split(|&b| b == b',').filter(|f| !f.is_empty());
    for flag in pieces.clone() {
        let (bit, needs) = match flag {
            b"flag-1" => (ServiceFlags::SCHED1, None),
            b"flag-2" => (ServiceFlags::SCHED2, None),
            b"flag-3" => (ServiceFlags::SCHED3, None),
            b"sh-fallback" => (ServiceFlags::SCHED1, Some("sh")),
            b"sh-port" => (ServiceFlags::SCHED2, Some("sh")),
            b"mh-fallback" => (ServiceFlags::SCHED1, Some("mh")),
            b"mh-port" => (ServiceFlags::SCHED2, Some("mh")),
            _ => return Err(CliError::echo(&[b"invalid scheduler flag `", flag, b"'"])),
        };
        if needs.is_some_and(|s| s != sched) {
            return Err(CliError::echo(&[
                b"incompatible scheduler flag `",
                flag,
                b"'",
            ]));
        }
        flags |= bit;
    }
    if pieces.count() == 0 {
        // ipvsadm dereferences a NULL token here and crashes (`-b ,`).
        return Err(CliError::echo(&[b"invalid scheduler flag `", arg, b"'"]));
    }
    Ok(flags)
}

/// ipvsadm's `struct ipvs_command_entry` plus the classes given, as the
/// options are applied one by one. The option table's setters fill it.
pub(crate) struct Builder {
    pub(crate) verb: Verb,
    given: u64,
    // The virtual service (`ce.svc`).
    pub(crate) svc_family: Option<Family>,
    pub(crate) svc_protocol: Option<Protocol>,
    pub(crate) svc_addr: Option<IpAddr>,
    pub(crate) svc_port: u16,
    pub(crate) fwmark: u32,
    pub(crate) scheduler: String,
    pub(crate) flags: ServiceFlags,
    pub(crate) timeout: u32,
    /// IPv4: mask in host order; IPv6: prefix length.
    pub(crate) netmask: u32,
    pub(crate) pe_name: String,
    pub(crate) sched_flags_arg: Vec<u8>,
    // The real server (`ce.dest`).
    pub(crate) dest_addr: Option<IpAddr>,
    pub(crate) dest_port: u16,
    pub(crate) forward: ForwardMethod,
    pub(crate) weight: i32,
    pub(crate) u_threshold: u32,
    pub(crate) l_threshold: u32,
    pub(crate) tun_type: TunnelType,
    pub(crate) tun_port: u16,
    pub(crate) tun_flags: TunnelFlags,
    // The daemon (`ce.daemon`).
    pub(crate) state: DaemonState,
    pub(crate) mcast_ifn: String,
    pub(crate) syncid: u32,
    pub(crate) mcast_group: Option<IpAddr>,
    pub(crate) mcast_port: Option<u16>,
    pub(crate) mcast_ttl: Option<u8>,
    pub(crate) sync_maxlen: Option<u16>,
    pub(crate) timeouts: Timeouts,
    pub(crate) drain: Option<u32>,
    pub(crate) format: ListFormat,
}

impl Builder {
    pub(crate) fn new(verb: Verb) -> Builder {
        Builder {
            verb,
            given: 0,
            svc_family: None,
            svc_protocol: None,
            svc_addr: None,
            svc_port: 0,
            fwmark: 0,
            scheduler: String::new(),
            flags: ServiceFlags::empty(),
            timeout: 0,
            netmask: u32::MAX,
            pe_name: String::new(),
            sched_flags_arg: Vec::new(),
            dest_addr: None,
            dest_port: 0,
            forward: ForwardMethod::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_flags: TunnelFlags::empty(),
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
    pub(crate) fn set(&mut self, class: OptClass) -> Result<(), CliError> {
        if self.has(class) {
            return Err(CliError::fail(format!(
                "multiple '{}' options specified",
                class.name()
            )));
        }
        self.given |= class.bit();
        Ok(())
    }

    fn has(&self, class: OptClass) -> bool {
        self.given & class.bit() != 0
    }

    /// `-t`, `-u`, `--sctp-service`.
    pub(crate) fn service_address(
        &mut self,
        protocol: Protocol,
        v: Value<'_>,
    ) -> Result<(), CliError> {
        self.svc_protocol = Some(protocol);
        let hp = parse_service(&v.text(), Some(protocol), v.resolver)
            .ok_or_else(|| CliError::fail("illegal virtual server address[:port] specified"))?;
        self.svc_family = Some(Family::of(&hp.addr));
        self.svc_addr = Some(hp.addr);
        if hp.addr.is_ipv6() {
            self.netmask = 128;
        }
        if let Some(port) = hp.port {
            self.svc_port = port;
        }
        Ok(())
    }

    /// `-M`: the family is the service's as far as it is known now.
    pub(crate) fn persistence_mask(&mut self, v: Value<'_>) -> Result<(), CliError> {
        if self.svc_family != Some(Family::Inet6) {
            self.netmask = parse_netmask(&v.text(), v.resolver).ok_or_else(|| {
                CliError::fail("illegal virtual server persistent mask specified")
            })?;
        } else {
            self.netmask = atoi(&v.text()) as u32;
            if !(1..=128).contains(&self.netmask) {
                return Err(CliError::fail("illegal ipv6 netmask specified"));
            }
        }
        Ok(())
    }

    /// `-r`: a port name resolves with the service's protocol as known now
    /// (none if -r comes before -t/-u); no port is the service's port as
    /// known now.
    pub(crate) fn real_server(&mut self, v: Value<'_>) -> Result<(), CliError> {
        let hp = parse_service(&v.text(), self.svc_protocol, v.resolver)
            .ok_or_else(|| CliError::fail("illegal real server address[:port] specified"))?;
        self.dest_addr = Some(hp.addr);
        self.dest_port = hp.port.unwrap_or(self.svc_port);
        Ok(())
    }

    /// `-6`: only after `-f`.
    pub(crate) fn fwmark_ipv6(&mut self) -> Result<(), CliError> {
        if self.fwmark == 0 {
            // ipvsadm's text ends in a newline of its own.
            return Err(CliError::fail("-6 used before -f\n"));
        }
        self.svc_family = Some(Family::Inet6);
        self.netmask = 128;
        Ok(())
    }

    /// `--drain[=SECONDS]`.
    pub(crate) fn drain_time(&mut self, v: Value<'_>) -> Result<(), CliError> {
        let seconds = match v.given() {
            None => DEFAULT_DRAIN_SECONDS,
            Some(raw) => string_to_number(&String::from_utf8_lossy(raw), 0, MAX_TIMEOUT)
                .ok_or_else(|| {
                    CliError::echo(&[
                        b"invalid drain time `",
                        v.bytes(),
                        format!("' specified (seconds, 0 to {MAX_TIMEOUT})").as_bytes(),
                    ])
                })? as u32,
        };
        self.drain = Some(seconds);
        Ok(())
    }

    /// The `--set` values, read after the options.
    pub(crate) fn set_timeouts(&mut self, values: [&[u8]; 3]) -> Result<(), CliError> {
        let [tcp, fin, udp] = values.map(|v| parse_timeout(Some(v), 0, MAX_TIMEOUT));
        self.timeouts = Timeouts {
            tcp: tcp?,
            tcp_fin: fin?,
            udp: udp?,
        };
        Ok(())
    }

    /// `-b`'s words, checked once the scheduler is known.
    pub(crate) fn apply_sched_flags(&mut self) -> Result<(), CliError> {
        if !self.sched_flags_arg.is_empty() {
            self.flags.remove(ServiceFlags::SCHED_MASK);
            self.flags |= parse_sched_flags(&self.scheduler, &self.sched_flags_arg)?;
        }
        Ok(())
    }

    fn service_key(&self) -> ServiceKey {
        let family = self.svc_family.unwrap_or(Family::Inet);
        if self.fwmark != 0 {
            ServiceKey::Fwmark {
                mark: self.fwmark,
                family,
            }
        } else {
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
        svc.flags = self.flags;
        svc.timeout = self.timeout;
        svc.netmask = PersistenceNetmask::from_raw(svc.key.family(), self.netmask);
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
        d.tun_flags = self.tun_flags;
        d
    }

    /// The checks of `process_options()` after `generic_opt_check()`, then
    /// the command.
    pub(crate) fn finish(mut self) -> Result<Command, CliError> {
        let verb = self.verb;
        check_rules(
            self.given,
            OptClass::ALL,
            command_rules(verb),
            verb.name(),
            "command",
        )?;
        match verb {
            Verb::Add | Verb::Edit => self.check_service()?,
            Verb::AddDest | Verb::EditDest => self.check_destination()?,
            Verb::List => self.check_list()?,
            _ => {}
        }
        self.command()
    }

    fn check_service(&self) -> Result<(), CliError> {
        if self.fwmark == 0 && self.svc_port == 0 && !self.flags.contains(ServiceFlags::PERSISTENT)
        {
            return Err(CliError::fail(
                "Zero port specified for non-persistent service",
            ));
        }
        if self.flags.contains(ServiceFlags::ONEPACKET)
            && self.fwmark == 0
            && self.svc_protocol != Some(Protocol::Udp)
        {
            return Err(CliError::fail(
                "One-Packet Scheduling is only for UDP virtual services",
            ));
        }
        Ok(())
    }

    fn check_destination(&mut self) -> Result<(), CliError> {
        // Direct routing and tunnelling cannot change the port.
        if self.fwmark == 0 && matches!(self.forward, ForwardMethod::Tunnel | ForwardMethod::Route)
        {
            self.dest_port = self.svc_port;
        }
        let dest_family = self.dest_addr.as_ref().map(Family::of);
        if dest_family != self.svc_family && self.forward != ForwardMethod::Tunnel {
            return Err(CliError::fail(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        let tunnel_options =
            self.has(OptClass::TunType) || TUNNEL_CLASSES.iter().any(|&c| self.has(c));
        if tunnel_options && self.forward != ForwardMethod::Tunnel {
            return Err(CliError::fail(
                "Tunnel options conflict with forward method",
            ));
        }
        check_rules(
            self.given,
            &TUNNEL_CLASSES,
            tunnel_rules(self.tun_type),
            self.tun_type.name(),
            "tunnel type",
        )
    }

    fn check_list(&self) -> Result<(), CliError> {
        use OptClass::*;
        let output_only = self.has(Connection) || self.has(Timeout) || self.has(Daemon);
        let counters = self.has(Stats) || self.has(Rate) || self.has(Thresholds);
        let no_table = self.has(Timeout) || self.has(Daemon);
        if (output_only && counters) || (no_table && self.has(PersistentConn)) {
            return Err(CliError::fail("options conflicts in the list command"));
        }
        Ok(())
    }

    fn list_target(&self) -> ListTarget {
        if self.has(OptClass::Connection) {
            ListTarget::Connections
        } else if self.has(OptClass::Service) {
            ListTarget::Service(self.service_key())
        } else if self.has(OptClass::Timeout) {
            ListTarget::Timeouts
        } else if self.has(OptClass::Daemon) {
            ListTarget::Daemons
        } else {
            ListTarget::All
        }
    }

    fn command(self) -> Result<Command, CliError> {
        Ok(match self.verb {
            Verb::List => Command::List(ListRequest {
                target: self.list_target(),
                format: self.format,
            }),
            Verb::Restore if self.has(OptClass::Sync) => Command::Sync(SyncOptions {
                dry_run: self.has(OptClass::DryRun),
                drain: self.drain,
            }),
            Verb::Restore if self.has(OptClass::DryRun) || self.has(OptClass::Drain) => {
                return Err(CliError::fail(
                    "--dry-run and --drain only go with -R --sync",
                ))
            }
            Verb::Restore => Command::Restore,
            Verb::Save => Command::Save {
                numeric: self.format.numeric,
            },
            Verb::Flush => Command::Flush,
            Verb::Add => Command::AddService(self.service()),
            Verb::Edit => Command::EditService(self.service()),
            Verb::Del => Command::DeleteService(self.service_key()),
            Verb::Zero => Command::Zero(self.has(OptClass::Service).then(|| self.service_key())),
            Verb::AddDest => Command::AddDest {
                service: self.service_key(),
                dest: self.destination(),
            },
            Verb::EditDest => Command::EditDest {
                service: self.service_key(),
                dest: self.destination(),
            },
            Verb::DelDest => {
                let d = self.destination();
                Command::DeleteDest {
                    service: self.service_key(),
                    addr: d.addr,
                    port: d.port,
                }
            }
            Verb::Timeout => Command::SetTimeouts(self.timeouts),
            Verb::StartDaemon => Command::StartDaemon(Daemon {
                state: self.state,
                mcast_ifn: if self.mcast_ifn.is_empty() {
                    DEFAULT_MCAST_INTERFACE.to_string()
                } else {
                    self.mcast_ifn
                },
                syncid: self.syncid,
                sync_maxlen: self.sync_maxlen,
                mcast_group: self.mcast_group,
                mcast_port: self.mcast_port,
                mcast_ttl: self.mcast_ttl,
            }),
            Verb::StopDaemon => Command::StopDaemon {
                state: self.state,
                syncid: self.syncid,
            },
            Verb::Help => Command::Help,
            Verb::Version => Command::Version,
        })
    }
}
