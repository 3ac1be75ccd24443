//! `rsvsadm metrics`: the table as Prometheus text (exposition format
//! 0.0.4, what node_exporter's textfile collector reads) or OpenMetrics
//! 1.0 text. Metric names and labels are documented in docs/metrics.md
//! and are stable: dashboards and alerts are built on them.
//!
//! Counters are the kernel's 64-bit counters, written in full (a float
//! would round them beyond 2^53). Every sample of a family is written
//! together, as both formats require; a family with no samples still has
//! its `# HELP` and `# TYPE`, so an empty table is a valid scrape.

use std::io::{self, Write};

use ipvs::{Destination, Service, ServiceFlags, ServiceKey, Stats, VirtualService};

use super::json::{family_name, forward_name};
use super::text::inet_ntop;

/// Which text format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsFormat {
    /// Prometheus text 0.0.4: a counter's `# TYPE` names its `_total`.
    #[default]
    Prometheus,
    /// OpenMetrics 1.0: a counter family is named without `_total`, and
    /// the exposition ends with `# EOF`.
    OpenMetrics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

/// One metric family of services or destinations: the end of its name
/// (after `rsvsadm_service_` or `rsvsadm_destination_`; a counter's
/// without `_total`), its type, its help text (`{}` stands for "service"
/// or "destination") and how to read its value.
struct Family<T> {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    value: fn(&T) -> i128,
}

/// The traffic families, the same for services and destinations.
const TRAFFIC: [Family<Stats>; 10] = [
    Family {
        name: "connections",
        kind: Kind::Counter,
        help: "Connections scheduled to this {}.",
        value: |s| s.conns.into(),
    },
    Family {
        name: "incoming_packets",
        kind: Kind::Counter,
        help: "Packets from clients to this {}.",
        value: |s| s.inpkts.into(),
    },
    Family {
        name: "outgoing_packets",
        kind: Kind::Counter,
        help: "Packets from this {} to clients (seen by NAT only).",
        value: |s| s.outpkts.into(),
    },
    Family {
        name: "incoming_bytes",
        kind: Kind::Counter,
        help: "Bytes from clients to this {}.",
        value: |s| s.inbytes.into(),
    },
    Family {
        name: "outgoing_bytes",
        kind: Kind::Counter,
        help: "Bytes from this {} to clients (seen by NAT only).",
        value: |s| s.outbytes.into(),
    },
    Family {
        name: "connection_rate",
        kind: Kind::Gauge,
        help: "The kernel's estimate of new connections per second to this {}.",
        value: |s| s.cps.into(),
    },
    Family {
        name: "incoming_packet_rate",
        kind: Kind::Gauge,
        help: "The kernel's estimate of incoming packets per second of this {}.",
        value: |s| s.inpps.into(),
    },
    Family {
        name: "outgoing_packet_rate",
        kind: Kind::Gauge,
        help: "The kernel's estimate of outgoing packets per second of this {}.",
        value: |s| s.outpps.into(),
    },
    Family {
        name: "incoming_byte_rate",
        kind: Kind::Gauge,
        help: "The kernel's estimate of incoming bytes per second of this {}.",
        value: |s| s.inbps.into(),
    },
    Family {
        name: "outgoing_byte_rate",
        kind: Kind::Gauge,
        help: "The kernel's estimate of outgoing bytes per second of this {}.",
        value: |s| s.outbps.into(),
    },
];

/// What the kernel holds of a destination besides its traffic.
const DEST_STATE: [Family<Destination>; 6] = [
    Family {
        name: "active_connections",
        kind: Kind::Gauge,
        help: "Connections to this {} in an active state (TCP: established).",
        value: |d| d.active_conns.into(),
    },
    Family {
        name: "inactive_connections",
        kind: Kind::Gauge,
        help: "Connections to this {} in any other state.",
        value: |d| d.inactive_conns.into(),
    },
    Family {
        name: "persistent_connections",
        kind: Kind::Gauge,
        help: "Persistence templates that point at this {}.",
        value: |d| d.persist_conns.into(),
    },
    Family {
        name: "weight",
        kind: Kind::Gauge,
        help: "Scheduling weight of this {} (0: quiesced, no new connections).",
        value: |d| d.weight.into(),
    },
    Family {
        name: "upper_threshold",
        kind: Kind::Gauge,
        help: "Connections above which this {} takes no new ones (0: no limit).",
        value: |d| d.upper_threshold.into(),
    },
    Family {
        name: "lower_threshold",
        kind: Kind::Gauge,
        help: "Connections below which this {} takes new ones again (0: not set).",
        value: |d| d.lower_threshold.into(),
    },
];

const INFO: &str = "rsvsadm_service_info";
const INFO_HELP: &str =
    "A virtual service (always 1), with its scheduler and persistence timeout in seconds.";

/// Writes the whole exposition of `table`.
pub fn write_metrics<W: Write + ?Sized>(
    w: &mut W,
    table: &[VirtualService],
    format: MetricsFormat,
) -> io::Result<()> {
    let services: Vec<(&Service, String)> = table
        .iter()
        .map(|e| (&e.service, service_labels(&e.service)))
        .collect();
    let dests: Vec<(&Destination, String)> = services
        .iter()
        .zip(table)
        .flat_map(|((_, labels), e)| {
            e.destinations
                .iter()
                .map(move |d| (d, dest_labels(labels, d)))
        })
        .collect();
    header(w, INFO, Kind::Gauge, INFO_HELP, format)?;
    for (svc, labels) in &services {
        let persistent = if svc.flags.contains(ServiceFlags::PERSISTENT) {
            svc.timeout.to_string()
        } else {
            String::new()
        };
        writeln!(
            w,
            "{INFO}{{{labels},scheduler=\"{}\",persistent=\"{persistent}\"}} 1",
            escape(&svc.scheduler)
        )?;
    }
    let service_stats: Vec<(&Stats, &str)> = services
        .iter()
        .map(|(s, l)| (&s.stats, l.as_str()))
        .collect();
    let dest_stats: Vec<(&Stats, &str)> =
        dests.iter().map(|(d, l)| (&d.stats, l.as_str())).collect();
    let dest_items: Vec<(&Destination, &str)> =
        dests.iter().map(|(d, l)| (*d, l.as_str())).collect();
    write_families(w, "service", &TRAFFIC, &service_stats, format)?;
    write_families(w, "destination", &TRAFFIC, &dest_stats, format)?;
    write_families(w, "destination", &DEST_STATE, &dest_items, format)?;
    if format == MetricsFormat::OpenMetrics {
        w.write_all(b"# EOF\n")?;
    }
    Ok(())
}

/// Each of `families` for `items` (values with their labels), the names
/// and help texts made for `who`.
fn write_families<W: Write + ?Sized, T>(
    w: &mut W,
    who: &str,
    families: &[Family<T>],
    items: &[(&T, &str)],
    format: MetricsFormat,
) -> io::Result<()> {
    for family in families {
        let name = format!("rsvsadm_{who}_{}", family.name);
        header(
            w,
            &name,
            family.kind,
            &family.help.replace("{}", who),
            format,
        )?;
        let sample = sample_name(&name, family.kind);
        for (item, labels) in items {
            writeln!(w, "{sample}{{{labels}}} {}", (family.value)(item))?;
        }
    }
    Ok(())
}

/// A counter's samples end in `_total` in both formats.
fn sample_name(name: &str, kind: Kind) -> String {
    match kind {
        Kind::Counter => format!("{name}_total"),
        Kind::Gauge => name.to_string(),
    }
}

/// `# HELP` and `# TYPE` of a family.
fn header<W: Write + ?Sized>(
    w: &mut W,
    name: &str,
    kind: Kind,
    help: &str,
    format: MetricsFormat,
) -> io::Result<()> {
    // Prometheus 0.0.4 types the sample name; OpenMetrics the family.
    let typed = match format {
        MetricsFormat::Prometheus => sample_name(name, kind),
        MetricsFormat::OpenMetrics => name.to_string(),
    };
    let kind = match kind {
        Kind::Counter => "counter",
        Kind::Gauge => "gauge",
    };
    writeln!(w, "# HELP {typed} {help}")?;
    writeln!(w, "# TYPE {typed} {kind}")
}

/// The labels that name a service. Every service has all of them (an
/// address service an empty `fwmark`; a fwmark service an empty
/// `protocol`, `vip` and `port`), so all series of a family have the
/// same label names.
fn service_labels(svc: &Service) -> String {
    let (protocol, vip, port, fwmark) = match svc.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => (
            protocol.name().to_ascii_lowercase(),
            inet_ntop(addr),
            port.to_string(),
            String::new(),
        ),
        ServiceKey::Fwmark { mark, .. } => (
            String::new(),
            String::new(),
            String::new(),
            mark.to_string(),
        ),
    };
    format!(
        "family=\"{}\",protocol=\"{protocol}\",vip=\"{vip}\",port=\"{port}\",fwmark=\"{fwmark}\"",
        family_name(svc.key.family())
    )
}

/// A destination's labels: its service's, then its own.
fn dest_labels(service: &str, d: &Destination) -> String {
    format!(
        "{service},server=\"{}\",server_port=\"{}\",forward=\"{}\"",
        inet_ntop(d.addr),
        d.port,
        forward_name(d.forward)
    )
}

/// A label value with `\`, `"` and newlines escaped, as both formats
/// require (of the values, only the scheduler name, which the kernel
/// gives, is free text).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipvs::{Family as IpFamily, ForwardMethod, Protocol};

    fn render(table: &[VirtualService], format: MetricsFormat) -> String {
        let mut out = Vec::new();
        write_metrics(&mut out, table, format).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn nat_service() -> VirtualService {
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1".parse().unwrap(),
            port: 80,
        });
        svc.scheduler = "wrr".into();
        svc.stats.conns = 3;
        svc.stats.inbytes = u64::MAX;
        let mut d = Destination::new("198.51.100.1".parse().unwrap(), 8080);
        d.forward = ForwardMethod::Masq;
        d.weight = 2;
        d.active_conns = 1;
        d.inactive_conns = 2;
        d.upper_threshold = 10;
        d.stats.conns = 3;
        // Beyond 2^53: a float would print 9007199254740992.
        d.stats.outbytes = (1 << 53) + 1;
        VirtualService {
            service: svc,
            destinations: vec![d],
        }
    }

    fn sample<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
            .collect()
    }

    #[test]
    fn metrics_name_and_label_every_series() {
        let text = render(&[nat_service()], MetricsFormat::Prometheus);
        let svc = r#"family="ipv4",protocol="tcp",vip="192.0.2.1",port="80",fwmark="""#;
        let dest = format!(r#"{svc},server="198.51.100.1",server_port="8080",forward="masq""#);
        assert!(text.starts_with(
            "# HELP rsvsadm_service_info A virtual service (always 1), with its scheduler \
             and persistence timeout in seconds.\n\
             # TYPE rsvsadm_service_info gauge\n"
        ));
        assert_eq!(
            sample(&text, "rsvsadm_service_info"),
            [format!(
                r#"rsvsadm_service_info{{{svc},scheduler="wrr",persistent=""}} 1"#
            )]
        );
        assert!(text.contains(
            "# HELP rsvsadm_service_connections_total Connections scheduled to this service.\n\
             # TYPE rsvsadm_service_connections_total counter\n"
        ));
        let cases = [
            ("rsvsadm_service_connections_total", svc, "3".to_string()),
            (
                "rsvsadm_service_incoming_bytes_total",
                svc,
                u64::MAX.to_string(),
            ),
            (
                "rsvsadm_destination_outgoing_bytes_total",
                &dest,
                "9007199254740993".into(),
            ),
            ("rsvsadm_destination_active_connections", &dest, "1".into()),
            (
                "rsvsadm_destination_inactive_connections",
                &dest,
                "2".into(),
            ),
            ("rsvsadm_destination_weight", &dest, "2".into()),
            ("rsvsadm_destination_upper_threshold", &dest, "10".into()),
            ("rsvsadm_destination_connection_rate", &dest, "0".into()),
        ];
        for (name, labels, value) in cases {
            assert_eq!(
                sample(&text, name),
                [format!("{name}{{{labels}}} {value}")],
                "{name}"
            );
        }
        // 1 info, 10 traffic families per service and per destination, 6 more.
        assert_eq!(text.matches("# TYPE ").count(), 27);
        assert!(!text.contains("# EOF"));
    }

    #[test]
    fn openmetrics_names_counter_families_without_total_and_ends() {
        let text = render(&[nat_service()], MetricsFormat::OpenMetrics);
        assert!(text.contains("# TYPE rsvsadm_service_connections counter\n"));
        assert!(text.contains("\nrsvsadm_service_connections_total{"));
        assert!(text.contains("# TYPE rsvsadm_destination_weight gauge\n"));
        assert!(text.ends_with("\n# EOF\n"));
    }

    #[test]
    fn fwmark_and_ipv6_services_have_the_same_labels() {
        let mut fwm = Service::new(ServiceKey::Fwmark {
            mark: 7,
            family: IpFamily::Inet6,
        });
        fwm.flags = ServiceFlags::PERSISTENT;
        fwm.timeout = 300;
        fwm.scheduler = "odd\"name\\".into();
        let v6 = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 53,
        });
        let d = Destination::new("2001:db8::10".parse().unwrap(), 53);
        let table = [
            VirtualService {
                service: fwm,
                destinations: vec![],
            },
            VirtualService {
                service: v6,
                destinations: vec![d],
            },
        ];
        let text = render(&table, MetricsFormat::Prometheus);
        assert_eq!(
            sample(&text, "rsvsadm_service_info"),
            [
                r#"rsvsadm_service_info{family="ipv6",protocol="",vip="",port="",fwmark="7",scheduler="odd\"name\\",persistent="300"} 1"#,
                r#"rsvsadm_service_info{family="ipv6",protocol="udp",vip="2001:db8::1",port="53",fwmark="",scheduler="wlc",persistent=""} 1"#,
            ]
        );
        assert_eq!(
            sample(&text, "rsvsadm_destination_weight"),
            [
                r#"rsvsadm_destination_weight{family="ipv6",protocol="udp",vip="2001:db8::1",port="53",fwmark="",server="2001:db8::10",server_port="53",forward="route"} 1"#
            ]
        );
    }

    #[test]
    fn an_empty_table_is_a_valid_exposition() {
        let text = render(&[], MetricsFormat::Prometheus);
        assert_eq!(text.lines().count(), 27 * 2);
        assert!(text.lines().all(|l| l.starts_with("# ")));
    }
}
