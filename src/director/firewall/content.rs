//! The director's part of the setup as firewall content, independent of
//! the firewall that carries it (nftables, or iptables where there is no
//! nft): the NAT rules, and the record of the setup they came from.
//!
//! The record lives next to the rules, in the same network namespace: a
//! chain that no hook ever runs (`setup` in nftables, `RSVSADM-SETUP` in
//! iptables) whose rules do nothing (`return`) and whose comments are the
//! setup's items, e.g. `fullnat -t 203.0.113.10:80 --laddr 198.51.100.1`.
//! A setup command reads the record, adds its part, and rewrites rules and
//! record together; a file elsewhere could go stale (a namespace deleted, a
//! table flushed by hand), this record can't outlive what it describes.

use std::net::IpAddr;

use ipvs::Family;

use crate::director::error::{Error, Result};
use crate::director::model::grammar::parse_conf_line;
use crate::director::model::{Cidr, NatSetup, ServiceEndpoint, Setup, SetupCommand};

/// One rule of rsvsadm's postrouting NAT chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatRule {
    /// FULLNAT on a mainline kernel: the packets IPVS forwards for
    /// `service` (recognised by their connection's original destination,
    /// which conntrack keeps while IPVS rewrites the packet) leave with a
    /// local address as their source, one address per new connection in
    /// turn, so the real server answers the director, not the client.
    Fullnat {
        service: ServiceEndpoint,
        laddrs: Vec<IpAddr>,
    },
    /// Traffic from `network` (the real servers) to anywhere else leaves
    /// with the director's address, as lvs_nat.sh's MASQUERADE rule did.
    Masquerade(Cidr),
}

impl NatRule {
    pub fn family(&self) -> Family {
        match self {
            NatRule::Fullnat { service, .. } => Family::of(&service.addr),
            NatRule::Masquerade(cidr) => cidr.family(),
        }
    }

    /// Comment stored with the rule, so a listing says what it is for.
    pub fn comment(&self) -> String {
        match self {
            NatRule::Fullnat { service, .. } => format!("fullnat {service}"),
            NatRule::Masquerade(cidr) => format!("masquerade {cidr}"),
        }
    }
}

/// The rules for a whole setup, in a fixed order: FULLNAT first (its
/// packets must never be caught by a broader masquerade rule), then the
/// masqueraded networks, each sorted.
pub fn rules(setup: &Setup) -> Vec<NatRule> {
    let mut rules: Vec<NatRule> = setup
        .fullnat
        .iter()
        .map(|(service, laddrs)| NatRule::Fullnat {
            service: *service,
            laddrs: laddrs.clone(),
        })
        .collect();
    if let Some(nat) = &setup.nat {
        rules.extend(nat.masquerade.iter().map(|c| NatRule::Masquerade(*c)));
    }
    rules
}

/// The record of the director's setup: one short item per value, so each
/// fits in a rule comment (at most 128 characters).
pub fn record_items(setup: &Setup) -> Vec<String> {
    let mut items = Vec::new();
    if let Some(nat) = &setup.nat {
        items.push("nat".to_string());
        items.extend(
            nat.masquerade
                .iter()
                .map(|c| format!("nat --masquerade {c}")),
        );
        items.extend(
            nat.interfaces
                .iter()
                .map(|i| format!("nat --interface {i}")),
        );
    }
    for (service, laddrs) in &setup.fullnat {
        items.extend(
            laddrs
                .iter()
                .map(|a| format!("fullnat {} --laddr {a}", service.option())),
        );
    }
    items
}

/// The setup a record describes. Items add up: a service's `--laddr`
/// items, in order, are its local addresses.
pub fn setup_from_items(items: &[String]) -> Result<Setup> {
    let mut setup = Setup::default();
    for item in items {
        let cmd = parse_conf_line(item).map_err(|e| {
            Error::Unexpected(format!(
                "rsvsadm's firewall record has an item it can't read ({item:?}: {e}); \
                 run `rsvsadm setup clear` and set up again"
            ))
        })?;
        match cmd {
            SetupCommand::Nat(nat) => {
                let mine = setup.nat.get_or_insert_with(NatSetup::default);
                mine.masquerade.extend(nat.masquerade);
                mine.interfaces.extend(nat.interfaces);
            }
            SetupCommand::Fullnat { service, laddrs } => {
                setup.fullnat.entry(service).or_default().extend(laddrs);
            }
            other => {
                return Err(Error::Unexpected(format!(
                    "rsvsadm's firewall record has an unexpected item {other:?}"
                )))
            }
        }
    }
    Ok(setup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipvs::Protocol;

    fn example() -> Setup {
        let mut setup = Setup::default();
        setup
            .merge(&SetupCommand::Nat(NatSetup {
                masquerade: ["198.51.100.0/24".parse().unwrap()].into(),
                interfaces: ["eth0.100".parse().unwrap()].into(),
            }))
            .unwrap();
        let service = ServiceEndpoint::parse(Protocol::Udp, "[2001:db8::10]:53").unwrap();
        setup
            .merge(&SetupCommand::Fullnat {
                service,
                laddrs: vec![
                    "2001:db8:1::2".parse().unwrap(),
                    "2001:db8:1::1".parse().unwrap(),
                ],
            })
            .unwrap();
        setup
    }

    #[test]
    fn fullnat_comes_before_masquerade() {
        let rules = rules(&example());
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].comment(), "fullnat UDP [2001:db8::10]:53");
        assert_eq!(rules[1].comment(), "masquerade 198.51.100.0/24");
        assert_eq!(rules[1].family(), Family::Inet);
    }

    #[test]
    fn record_round_trip() {
        let items = record_items(&example());
        assert_eq!(
            items,
            [
                "nat",
                "nat --masquerade 198.51.100.0/24",
                "nat --interface eth0.100",
                "fullnat -u [2001:db8::10]:53 --laddr 2001:db8:1::2",
                "fullnat -u [2001:db8::10]:53 --laddr 2001:db8:1::1",
            ]
        );
        assert!(items.iter().all(|i| i.len() <= 128));
        assert_eq!(setup_from_items(&items).unwrap(), example());
        assert_eq!(setup_from_items(&[]).unwrap(), Setup::default());
        assert!(setup_from_items(&["realserver --vip 192.0.2.1".into()]).is_err());
        assert!(setup_from_items(&["bogus".into()]).is_err());
    }
}
