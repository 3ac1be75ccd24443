//! Property tests: what `-S` writes, the command-line grammar reads back
//! as the same objects, and a whole saved table restores (and replays, for
//! `-R --sync`) as the same table.
//!
//! The generators make the objects `-S` can express: `-S` never writes
//! thresholds, writes the persistence mask and timeout only for persistent
//! services, and names only the first two scheduler flags of sh and mh.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipvs::{
    Destination, Family, ForwardMethod, PersistenceNetmask, Protocol, Service, ServiceFlags,
    ServiceKey, TunnelFlags, TunnelType,
};
use proptest::prelude::*;
use rsvsadm::app::reconcile::desired_table;
use rsvsadm::cli::{parse, parse_restore, Command, NoResolver};
use rsvsadm::format::{sort_services, write_save_service, NumericResolver};

fn addr(family: Family) -> BoxedStrategy<IpAddr> {
    match family {
        Family::Inet => any::<u32>()
            .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .boxed(),
        Family::Inet6 => any::<u128>()
            .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
            .boxed(),
    }
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Inet), Just(Family::Inet6)]
}

fn service_key() -> impl Strategy<Value = ServiceKey> {
    let protocol = prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Sctp)
    ];
    prop_oneof![
        (protocol, family().prop_flat_map(addr), any::<u16>()).prop_map(
            |(protocol, addr, port)| ServiceKey::Addr {
                protocol,
                addr,
                port
            }
        ),
        (1..=u32::MAX, family()).prop_map(|(mark, family)| ServiceKey::Fwmark { mark, family }),
    ]
}

fn scheduler() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("rr".to_string()),
        Just("wlc".to_string()),
        Just("sh".to_string()),
        Just("mh".to_string()),
        "[a-z][a-z0-9]{0,14}",
    ]
}

/// A service as `-S` writes it in full.
fn service() -> impl Strategy<Value = Service> {
    (
        service_key(),
        scheduler(),
        any::<bool>(),
        any::<bool>(),
        0u32..8,
        1u32..=2_678_400,
        any::<u32>(),
        any::<bool>(),
    )
        .prop_map(
            |(key, scheduler, persistent, ops, sched_bits, timeout, mask, sip)| {
                let mut svc = Service::new(key);
                let port = key.port();
                // Zero port needs persistence; -o needs UDP or a fwmark.
                let persistent = persistent || (!key.is_fwmark() && port == 0);
                let ops_allowed = matches!(
                    key,
                    ServiceKey::Fwmark { .. }
                        | ServiceKey::Addr {
                            protocol: Protocol::Udp,
                            ..
                        }
                );
                let mut flags = 0;
                if persistent {
                    flags |= ServiceFlags::PERSISTENT.bits();
                    svc.timeout = timeout;
                    let raw = match key.family() {
                        Family::Inet => mask,
                        Family::Inet6 => 1 + mask % 128,
                    };
                    svc.netmask = PersistenceNetmask::from_raw(key.family(), raw);
                }
                if ops && ops_allowed {
                    flags |= ServiceFlags::ONEPACKET.bits();
                }
                // sh and mh name only the first two flags.
                let representable = if matches!(scheduler.as_str(), "sh" | "mh") {
                    0b011
                } else {
                    0b111
                };
                flags |= (sched_bits & representable) * ServiceFlags::SCHED1.bits();
                svc.flags = ServiceFlags::from_bits_retain(flags);
                svc.scheduler = scheduler;
                svc.pe_name = sip.then(|| "sip".to_string());
                svc
            },
        )
}

/// A destination of `key` as `-S` writes it in full.
fn destination(key: ServiceKey) -> impl Strategy<Value = Destination> {
    let forward = prop_oneof![
        Just(ForwardMethod::Masq),
        Just(ForwardMethod::Route),
        Just(ForwardMethod::Tunnel)
    ];
    (
        forward,
        family(),
        any::<u16>(),
        0..=i32::MAX,
        0u8..3,
        1u16..=u16::MAX,
        0u16..3,
    )
        .prop_flat_map(move |(forward, other, port, weight, tun, tun_port, csum)| {
            // Only a tunnel may reach another address family.
            let family = if forward == ForwardMethod::Tunnel {
                other
            } else {
                key.family()
            };
            addr(family).prop_map(move |a| {
                let mut d = Destination::new(a, port);
                d.forward = forward;
                d.weight = weight;
                // Direct routing and tunnels keep the service's port.
                if !key.is_fwmark() && forward != ForwardMethod::Masq {
                    d.port = key.port();
                }
                if forward == ForwardMethod::Tunnel {
                    let flags = [
                        TunnelFlags::empty(),
                        TunnelFlags::CSUM,
                        TunnelFlags::REMCSUM,
                    ];
                    match tun {
                        0 => d.tun_type = TunnelType::Ipip,
                        1 => {
                            d.tun_type = TunnelType::Gue;
                            d.tun_port = tun_port;
                            d.tun_flags = flags[csum as usize];
                        }
                        _ => {
                            d.tun_type = TunnelType::Gre;
                            d.tun_flags = flags[csum as usize % 2];
                        }
                    }
                }
                d
            })
        })
}

/// A service with destinations of distinct addresses and ports.
fn entry() -> impl Strategy<Value = (Service, Vec<Destination>)> {
    service().prop_flat_map(|svc| {
        let key = svc.key;
        (
            Just(svc),
            prop::collection::vec(destination(key), 0..6).prop_map(|mut dests| {
                let mut seen = std::collections::HashSet::new();
                dests.retain(|d| seen.insert((d.addr, d.port)));
                dests
            }),
        )
    })
}

fn saved(svc: &Service, dests: &[Destination]) -> String {
    let mut out = Vec::new();
    write_save_service(&mut out, svc, dests, true, &NumericResolver).unwrap();
    String::from_utf8(out).unwrap()
}

fn command(line: &str) -> Command {
    let words: Vec<&str> = line.split_whitespace().collect();
    parse(&words, &NoResolver).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// Destinations in a canonical order (`-S` sorts them).
fn by_address(mut dests: Vec<Destination>) -> Vec<Destination> {
    dests.sort_by_key(|d| (d.addr, d.port));
    dests
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_saved_service_parses_back_to_itself((svc, dests) in entry()) {
        let text = saved(&svc, &dests);
        let mut lines = text.lines();
        let first = lines.next().unwrap();
        prop_assert_eq!(command(first), Command::AddService(svc.clone()), "{}", first);
        let mut back = Vec::new();
        for line in lines {
            match command(line) {
                Command::AddDest { service, dest } => {
                    prop_assert_eq!(service, svc.key, "{}", line);
                    back.push(dest);
                }
                other => prop_assert!(false, "{line}: {other:?}"),
            }
        }
        prop_assert_eq!(by_address(back), by_address(dests));
    }

    #[test]
    fn a_saved_table_restores_to_the_same_table(
        entries in prop::collection::vec(entry(), 0..8)
    ) {
        // Distinct services, as in a kernel table.
        let mut seen = std::collections::HashSet::new();
        let mut table: Vec<(Service, Vec<Destination>)> =
            entries.into_iter().filter(|(s, _)| seen.insert(s.key)).collect();
        let mut services: Vec<Service> = table.iter().map(|(s, _)| s.clone()).collect();
        sort_services(&mut services);
        let text: String = services
            .iter()
            .map(|s| {
                let dests = &table.iter().find(|(t, _)| t.key == s.key).unwrap().1;
                saved(s, dests)
            })
            .collect();
        let lines = parse_restore(text.as_bytes(), &NoResolver)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let mut back: Vec<(Service, Vec<Destination>)> = desired_table(&lines)
            .unwrap()
            .into_iter()
            .map(|e| (e.service.value, by_address(e.dests.into_iter().map(|d| d.value).collect())))
            .collect();
        for (_, dests) in &mut table {
            *dests = by_address(std::mem::take(dests));
        }
        let order = |t: &mut Vec<(Service, Vec<Destination>)>| {
            t.sort_by_key(|(s, _)| format!("{:?}", s.key))
        };
        order(&mut table);
        order(&mut back);
        prop_assert_eq!(back, table, "{}", text);
    }
}
