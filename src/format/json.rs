//! `-L --json`: the listings as JSON documents (rsvsadm's own format; the
//! schema is documented in docs/json.md and in rsvsadm(8)).
//!
//! Every function here is pure: typed IPVS values in, a
//! [`serde_json::Value`] (or bytes written to a [`Write`]) out. Counters are
//! JSON integers with every digit of the kernel's 64-bit value; addresses
//! are numeric (glibc's `inet_ntop` form, as `-n` prints them); nothing is
//! scaled, cut or resolved, whatever `-n`, `--exact` or the listing kind
//! say. Services and destinations are written in the order given: the
//! caller sorts them (or not, for `--nosort`).
//!
//! One invocation writes one document, pretty-printed, ending in a newline,
//! with the keys of every object in sorted order.

use std::io::{self, Write};
use std::net::Ipv4Addr;

use ipvs::conn::ConnEntry;
use ipvs::{
    Daemon, Destination, Family, ForwardMethod, Info, Service, ServiceFlags, ServiceKey, Stats,
    Timeouts, TunnelFlags, TunnelType, VirtualService,
};
use serde_json::{json, Map, Value};

use super::list::sched_flags;
use super::text::inet_ntop;

/// Changes only when a key is removed or changes meaning; new keys may be
/// added without a new version.
pub const SCHEMA_VERSION: u64 = 1;

fn document(key: &str, value: Value) -> Value {
    let mut doc = Map::new();
    doc.insert("schema_version".into(), json!(SCHEMA_VERSION));
    doc.insert(key.into(), value);
    Value::Object(doc)
}

/// `-L --json` and `-L -t|-u|-f ... --json`: the IPVS version and the
/// services (one, for a single service).
pub fn table_document(info: &Info, services: &[VirtualService]) -> Value {
    let (major, minor, patch) = info.version_triple();
    let mut doc = document(
        "ipvs",
        json!({
            "version": format!("{major}.{minor}.{patch}"),
            "conn_table_size": info.conn_table_size,
        }),
    );
    doc["services"] = services
        .iter()
        .map(|entry| service(&entry.service, &entry.destinations))
        .collect();
    doc
}

/// `-L --timeout --json`.
pub fn timeouts_document(t: &Timeouts) -> Value {
    document(
        "timeouts",
        json!({ "tcp": t.tcp, "tcp_fin": t.tcp_fin, "udp": t.udp }),
    )
}

/// `-L --daemon --json`.
pub fn daemons_document(daemons: &[Daemon]) -> Value {
    document("daemons", daemons.iter().map(daemon).collect())
}

pub(super) fn family_name(f: Family) -> &'static str {
    match f {
        Family::Inet => "ipv4",
        Family::Inet6 => "ipv6",
    }
}

fn counters(s: &Stats) -> Value {
    json!({
        "conns": s.conns,
        "inpkts": s.inpkts,
        "outpkts": s.outpkts,
        "inbytes": s.inbytes,
        "outbytes": s.outbytes,
    })
}

fn rates(s: &Stats) -> Value {
    json!({
        "cps": s.cps,
        "inpps": s.inpps,
        "outpps": s.outpps,
        "inbps": s.inbps,
        "outbps": s.outbps,
    })
}

/// The persistence granularity as `-M` takes it: a dotted IPv4 mask, or an
/// IPv6 prefix length.
fn netmask_text(svc: &Service) -> String {
    let raw = svc.netmask.raw();
    match svc.key.family() {
        Family::Inet => Ipv4Addr::from(raw).to_string(),
        Family::Inet6 => raw.to_string(),
    }
}

/// One service and its destinations.
pub fn service(svc: &Service, dests: &[Destination]) -> Value {
    let (protocol, address, port, fwmark) = match svc.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => (
            json!(protocol.name().to_ascii_lowercase()),
            json!(inet_ntop(addr)),
            json!(port),
            Value::Null,
        ),
        ServiceKey::Fwmark { mark, .. } => (Value::Null, Value::Null, Value::Null, json!(mark)),
    };
    let flags = sched_flags(svc);
    let persistence = if svc.flags.contains(ServiceFlags::PERSISTENT) {
        json!({ "timeout": svc.timeout, "netmask": netmask_text(svc) })
    } else {
        Value::Null
    };
    json!({
        "family": family_name(svc.key.family()),
        "protocol": protocol,
        "address": address,
        "port": port,
        "fwmark": fwmark,
        "scheduler": svc.scheduler,
        "sched_flags": flags.split(',').filter(|f| !f.is_empty()).collect::<Vec<_>>(),
        "persistence": persistence,
        "pe": svc.pe_name.as_deref().filter(|p| !p.is_empty()),
        "one_packet": svc.flags.contains(ServiceFlags::ONEPACKET),
        "stats": counters(&svc.stats),
        "rate": rates(&svc.stats),
        "destinations": dests.iter().map(destination).collect::<Vec<_>>(),
    })
}

pub(super) fn forward_name(f: ForwardMethod) -> &'static str {
    match f {
        ForwardMethod::Masq => "masq",
        ForwardMethod::Local => "local",
        ForwardMethod::Tunnel => "tunnel",
        ForwardMethod::Route => "route",
        ForwardMethod::Bypass => "bypass",
        // A method the ipvs crate adds later.
        _ => "unknown",
    }
}

/// The encapsulation of a tunnelling destination, named as the
/// `--tun-type` and `--tun-*csum` options name it.
fn tunnel(d: &Destination) -> Value {
    if d.forward != ForwardMethod::Tunnel {
        return Value::Null;
    }
    let flags = d.tun_flags;
    let checksum = if flags.is_empty() {
        "nocsum".to_string()
    } else if flags == TunnelFlags::CSUM {
        "csum".to_string()
    } else if flags == TunnelFlags::REMCSUM {
        "remcsum".to_string()
    } else {
        // Not a value the tools set; keep it visible rather than guess.
        flags.bits().to_string()
    };
    json!({
        "type": d.tun_type.name(),
        "port": (d.tun_type == TunnelType::Gue).then_some(d.tun_port),
        "checksum": checksum,
    })
}

fn destination(d: &Destination) -> Value {
    json!({
        "family": family_name(d.family()),
        "address": inet_ntop(d.addr),
        "port": d.port,
        "forward": forward_name(d.forward),
        "weight": d.weight,
        "upper_threshold": d.upper_threshold,
        "lower_threshold": d.lower_threshold,
        "active_conns": d.active_conns,
        "inactive_conns": d.inactive_conns,
        "persistent_conns": d.persist_conns,
        "tunnel": tunnel(d),
        "stats": counters(&d.stats),
        "rate": rates(&d.stats),
    })
}

fn daemon(d: &Daemon) -> Value {
    json!({
        "state": d.state.name(),
        "mcast_interface": d.mcast_ifn,
        "syncid": d.syncid,
        "sync_maxlen": d.sync_maxlen.filter(|v| *v != 0),
        "mcast_group": d.mcast_group.map(inet_ntop),
        "mcast_port": d.mcast_port.filter(|v| *v != 0),
        "mcast_ttl": d.mcast_ttl.filter(|v| *v != 0),
    })
}

/// One entry of the connection table (`-L -c --json`).
pub fn connection(c: &ConnEntry) -> Value {
    json!({
        "protocol": c.protocol.to_ascii_lowercase(),
        "source_address": inet_ntop(c.client_addr),
        "source_port": c.client_port,
        "virtual_address": inet_ntop(c.virtual_addr),
        "virtual_port": c.virtual_port,
        "destination_address": inet_ntop(c.dest_addr),
        "destination_port": c.dest_port,
        "state": c.state,
        "expires": c.expires,
        "pe_name": c.pe_name,
        "pe_data": c.pe_data,
    })
}

/// Writes a whole document.
pub fn write_document<W: Write + ?Sized>(w: &mut W, doc: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, doc)?;
    w.write_all(b"\n")
}

/// `-L -c --json`, streamed: the connection table can be far larger than
/// the rest, so its entries are written one at a time, between
/// [`ConnDocument::begin`] and [`ConnDocument::end`]. The bytes are the
/// same as [`write_document`] of the whole document.
pub struct ConnDocument {
    entries: usize,
}

impl ConnDocument {
    pub fn begin<W: Write + ?Sized>(w: &mut W) -> io::Result<ConnDocument> {
        // Keys are sorted: "connections" comes before "schema_version".
        w.write_all(b"{\n  \"connections\": [")?;
        Ok(ConnDocument { entries: 0 })
    }

    pub fn entry<W: Write + ?Sized>(&mut self, w: &mut W, c: &ConnEntry) -> io::Result<()> {
        let text = serde_json::to_string_pretty(&connection(c))?;
        let sep = if self.entries == 0 { "" } else { "," };
        // The entry sits two levels deep in the document.
        write!(w, "{sep}\n    {}", text.replace('\n', "\n    "))?;
        self.entries += 1;
        Ok(())
    }

    pub fn end<W: Write + ?Sized>(self, w: &mut W) -> io::Result<()> {
        let close = if self.entries == 0 { "]" } else { "\n  ]" };
        write!(w, "{close},\n  \"schema_version\": {SCHEMA_VERSION}\n}}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipvs::{DaemonState, PersistenceNetmask, Protocol};
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn text(doc: &Value) -> String {
        let mut out = Vec::new();
        write_document(&mut out, doc).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_counters_keep_every_bit() {
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: ip("198.51.100.1"),
            port: 80,
        });
        svc.stats.inbytes = u64::MAX;
        svc.stats.conns = (1 << 53) + 1;
        let v = service(&svc, &[]);
        assert_eq!(v["stats"]["inbytes"].as_u64(), Some(u64::MAX));
        let t = text(&v);
        assert!(t.contains("\"inbytes\": 18446744073709551615"), "{t}");
        assert!(t.contains("\"conns\": 9007199254740993"), "{t}");
    }

    #[test]
    fn json_service_fields() {
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: ip("2001:db8::1"),
            port: 53,
        });
        svc.scheduler = "sh".into();
        svc.flags = ServiceFlags::PERSISTENT | ServiceFlags::ONEPACKET | ServiceFlags::SCHED2;
        svc.timeout = 600;
        svc.netmask = PersistenceNetmask::V6Prefix(64);
        svc.pe_name = Some("sip".into());
        let mut d = Destination::new(ip("::192.0.2.1"), 5353);
        d.forward = ForwardMethod::Masq;
        d.weight = 3;
        d.persist_conns = 7;
        let v = service(&svc, &[d]);
        assert_eq!(
            v,
            json!({
                "family": "ipv6", "protocol": "udp", "address": "2001:db8::1",
                "port": 53, "fwmark": null, "scheduler": "sh",
                "sched_flags": ["sh-port"],
                "persistence": {"timeout": 600, "netmask": "64"},
                "pe": "sip", "one_packet": true,
                "stats": {"conns": 0, "inpkts": 0, "outpkts": 0, "inbytes": 0, "outbytes": 0},
                "rate": {"cps": 0, "inpps": 0, "outpps": 0, "inbps": 0, "outbps": 0},
                "destinations": [{
                    "family": "ipv6", "address": "::192.0.2.1", "port": 5353,
                    "forward": "masq", "weight": 3,
                    "upper_threshold": 0, "lower_threshold": 0,
                    "active_conns": 0, "inactive_conns": 0, "persistent_conns": 7,
                    "tunnel": null,
                    "stats": {"conns": 0, "inpkts": 0, "outpkts": 0, "inbytes": 0, "outbytes": 0},
                    "rate": {"cps": 0, "inpps": 0, "outpps": 0, "inbps": 0, "outbps": 0},
                }],
            })
        );
    }

    #[test]
    fn json_fwmark_service_and_tunnels() {
        let mut svc = Service::new(ServiceKey::Fwmark {
            mark: u32::MAX,
            family: Family::Inet,
        });
        svc.netmask = PersistenceNetmask::V4(Ipv4Addr::new(255, 255, 255, 0));
        svc.flags = ServiceFlags::PERSISTENT | ServiceFlags::SCHED1;
        svc.timeout = 360;
        let mut gue = Destination::new(ip("192.0.2.1"), 80);
        gue.forward = ForwardMethod::Tunnel;
        gue.tun_type = TunnelType::Gue;
        gue.tun_port = 6080;
        gue.tun_flags = TunnelFlags::REMCSUM;
        let mut gre = Destination::new(ip("192.0.2.2"), 80);
        gre.forward = ForwardMethod::Tunnel;
        gre.tun_type = TunnelType::Gre;
        gre.tun_flags = TunnelFlags::CSUM;
        let v = service(&svc, &[gue, gre, Destination::new(ip("192.0.2.3"), 80)]);
        // The mark is the unsigned 32-bit value (ipvsadm's text says -1).
        assert_eq!(v["fwmark"], json!(4294967295u32));
        assert_eq!(v["protocol"], Value::Null);
        assert_eq!(v["address"], Value::Null);
        assert_eq!(v["sched_flags"], json!(["flag-1"]));
        assert_eq!(v["persistence"]["netmask"], json!("255.255.255.0"));
        assert_eq!(v["pe"], Value::Null);
        let d = &v["destinations"];
        assert_eq!(
            d[0]["tunnel"],
            json!({"type": "gue", "port": 6080, "checksum": "remcsum"})
        );
        assert_eq!(
            d[1]["tunnel"],
            json!({"type": "gre", "port": null, "checksum": "csum"})
        );
        assert_eq!(d[2]["tunnel"], Value::Null);
        assert_eq!(d[2]["forward"], json!("route"));
    }

    #[test]
    fn json_table_timeouts_daemons() {
        let info = Info {
            version: 0x010201,
            conn_table_size: 4096,
        };
        let doc = table_document(&info, &[]);
        assert_eq!(
            text(&doc),
            "{\n  \"ipvs\": {\n    \"conn_table_size\": 4096,\n    \"version\": \"1.2.1\"\n  },\n  \
             \"schema_version\": 1,\n  \"services\": []\n}\n"
        );
        let t = timeouts_document(&Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        });
        assert_eq!(
            t["timeouts"],
            json!({"tcp": 900, "tcp_fin": 120, "udp": 300})
        );
        let d = daemons_document(&[Daemon {
            state: DaemonState::Backup,
            mcast_ifn: "eth0".into(),
            syncid: 7,
            sync_maxlen: Some(0),
            mcast_group: Some(ip("224.0.0.81")),
            mcast_port: Some(8848),
            mcast_ttl: None,
        }]);
        assert_eq!(
            d["daemons"],
            json!([{
                "state": "backup", "mcast_interface": "eth0", "syncid": 7,
                "sync_maxlen": null, "mcast_group": "224.0.0.81",
                "mcast_port": 8848, "mcast_ttl": null,
            }])
        );
    }

    fn conn(state: &str, pe: Option<(&str, &str)>) -> ConnEntry {
        ConnEntry {
            protocol: "TCP".into(),
            client_addr: ip("192.0.2.1"),
            client_port: 40000,
            virtual_addr: ip("198.51.100.1"),
            virtual_port: 80,
            dest_addr: ip("203.0.113.10"),
            dest_port: 8080,
            state: state.into(),
            expires: 899,
            pe_name: pe.map(|p| p.0.to_string()),
            pe_data: pe.map(|p| p.1.to_string()),
        }
    }

    /// The streamed connection document is byte for byte the whole one.
    #[test]
    fn json_streamed_connections() {
        for entries in [
            vec![],
            vec![conn("ESTABLISHED", None)],
            vec![conn("SYN_RECV", None), conn("NONE", Some(("sip", "abc")))],
        ] {
            let mut out = Vec::new();
            let mut doc = ConnDocument::begin(&mut out).unwrap();
            for c in &entries {
                doc.entry(&mut out, c).unwrap();
            }
            doc.end(&mut out).unwrap();
            let whole = document("connections", entries.iter().map(connection).collect());
            assert_eq!(String::from_utf8(out).unwrap(), text(&whole));
        }
        assert_eq!(
            connection(&conn("NONE", Some(("sip", "abc")))),
            json!({
                "protocol": "tcp",
                "source_address": "192.0.2.1", "source_port": 40000,
                "virtual_address": "198.51.100.1", "virtual_port": 80,
                "destination_address": "203.0.113.10", "destination_port": 8080,
                "state": "NONE", "expires": 899, "pe_name": "sip", "pe_data": "abc",
            })
        );
    }
}
