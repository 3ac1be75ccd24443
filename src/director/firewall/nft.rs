//! rsvsadm's nftables table, written as libnftables-json(5) documents
//! (`serde_json` values built here from the typed [`NatRule`]s and record
//! items) and applied in one transaction with `nft -j -f -`.
//!
//! Layout: a single table `inet rsvsadm` (inet: one table for IPv4 and
//! IPv6) with
//! - `setup`: a chain no hook runs, whose rules do nothing (`return`) and
//!   carry the setup's record in their comments (`content.rs`);
//! - `postrouting`: the base chain of type nat at the srcnat priority with
//!   the NAT rules, present only when there are some.
//!
//! Nothing else of rsvsadm lives in nftables, and nothing outside this
//! table is ever touched, so `setup clear` is `delete table inet rsvsadm`.
//!
//! A change is one batch: `add table` (a no-op when it exists), `flush
//! table` (empties its chains but keeps the table where it is in the
//! ruleset), then the chains and every rule of the whole setup. The same
//! setup therefore always yields the same listing, byte for byte; when the
//! table already holds exactly those rules, nothing is sent at all.

use std::net::IpAddr;

use ipvs::{Family, Protocol};
use serde_json::{json, Value};

use super::content::NatRule;
use crate::director::error::{Error, Result};
use crate::director::host::exec;
use crate::director::model::Cidr;

pub const FAMILY: &str = "inet";
pub const TABLE: &str = "rsvsadm";
pub const CHAIN: &str = "postrouting";
pub const RECORD_CHAIN: &str = "setup";
/// `srcnat`: where source NAT belongs (after filtering, before leaving).
const SRCNAT_PRIORITY: i64 = 100;

fn table_ref() -> Value {
    json!({"family": FAMILY, "name": TABLE})
}

fn record_chain_spec() -> Value {
    json!({"family": FAMILY, "table": TABLE, "name": RECORD_CHAIN})
}

fn record_rule_spec(item: &str) -> Value {
    json!({
        "family": FAMILY,
        "table": TABLE,
        "chain": RECORD_CHAIN,
        "comment": item,
        "expr": [{"return": null}],
    })
}

fn chain_spec() -> Value {
    json!({
        "family": FAMILY,
        "table": TABLE,
        "name": CHAIN,
        "type": "nat",
        "hook": "postrouting",
        "prio": SRCNAT_PRIORITY,
        "policy": "accept",
    })
}

/// nft's name of an address family in payload and NAT expressions.
fn proto_family(family: Family) -> &'static str {
    match family {
        Family::Inet => "ip",
        Family::Inet6 => "ip6",
    }
}

fn l4proto(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

fn matches(op: &str, left: Value, right: Value) -> Value {
    json!({"match": {"op": op, "left": left, "right": right}})
}

/// An address or network as the right side of a match. A host network is
/// written as a plain address: that is how nft lists it back.
fn cidr_value(cidr: &Cidr) -> Value {
    let max = match cidr.family() {
        Family::Inet => 32,
        Family::Inet6 => 128,
    };
    if cidr.prefix() == max {
        json!(cidr.addr().to_string())
    } else {
        json!({"prefix": {"addr": cidr.addr().to_string(), "len": cidr.prefix()}})
    }
}

fn payload(family: Family, field: &str) -> Value {
    json!({"payload": {"protocol": proto_family(family), "field": field}})
}

/// `snat ip to A`, or with several addresses `snat ip to numgen inc mod N
/// map { 0 : A, 1 : B }`: NAT rules run once per new connection, so the
/// counter hands each connection the next address.
fn snat(family: Family, laddrs: &[IpAddr]) -> Value {
    let addr = match laddrs {
        [one] => json!(one.to_string()),
        many => {
            let elements: Vec<Value> = many
                .iter()
                .enumerate()
                .map(|(i, a)| json!([i, a.to_string()]))
                .collect();
            json!({"map": {
                "key": {"numgen": {"mode": "inc", "mod": many.len(), "offset": 0}},
                "data": {"set": elements},
            }})
        }
    };
    json!({"snat": {"family": proto_family(family), "addr": addr}})
}

/// The expressions of one rule.
fn rule_exprs(rule: &NatRule) -> Vec<Value> {
    let family = rule.family();
    match rule {
        NatRule::Fullnat { service, laddrs } => {
            let mut exprs = vec![
                matches(
                    "==",
                    json!({"meta": {"key": "l4proto"}}),
                    json!(l4proto(service.protocol)),
                ),
                matches(
                    "==",
                    json!({"ct": {"key": format!("{} daddr", proto_family(family)), "dir": "original"}}),
                    json!(service.addr.to_string()),
                ),
            ];
            if service.port != 0 {
                exprs.push(matches(
                    "==",
                    json!({"ct": {"key": "proto-dst", "dir": "original"}}),
                    json!(service.port),
                ));
            }
            exprs.push(snat(family, laddrs));
            exprs
        }
        NatRule::Masquerade(cidr) if cidr.prefix() == 0 => vec![
            // Every address of the family: match the family itself.
            matches(
                "==",
                json!({"meta": {"key": "nfproto"}}),
                json!(proto_family_name(family)),
            ),
            json!({"masquerade": null}),
        ],
        NatRule::Masquerade(cidr) => vec![
            matches("==", payload(family, "saddr"), cidr_value(cidr)),
            // Traffic among the real servers themselves keeps its source.
            matches("!=", payload(family, "daddr"), cidr_value(cidr)),
            json!({"masquerade": null}),
        ],
    }
}

fn proto_family_name(family: Family) -> &'static str {
    match family {
        Family::Inet => "ipv4",
        Family::Inet6 => "ipv6",
    }
}

fn rule_spec(rule: &NatRule) -> Value {
    json!({
        "family": FAMILY,
        "table": TABLE,
        "chain": CHAIN,
        "comment": rule.comment(),
        "expr": rule_exprs(rule),
    })
}

/// What the table should hold: the record items and the NAT rules.
pub struct Content<'a> {
    pub items: &'a [String],
    pub rules: &'a [NatRule],
}

impl Content<'_> {
    /// Chains with their rules, as `add` commands would create them.
    fn chains(&self) -> Vec<(Value, Vec<Value>)> {
        let mut chains = vec![(
            record_chain_spec(),
            self.items.iter().map(|i| record_rule_spec(i)).collect(),
        )];
        if !self.rules.is_empty() {
            chains.push((chain_spec(), self.rules.iter().map(rule_spec).collect()));
        }
        chains
    }
}

/// The transaction that makes the table hold exactly `content`: with
/// nothing to record it deletes the table. `listing` is the table now.
pub fn batch(content: &Content<'_>, listing: Option<&Value>) -> Option<Value> {
    let mut cmds = Vec::new();
    if content.items.is_empty() {
        listing?;
        cmds.push(json!({"delete": {"table": table_ref()}}));
        return Some(json!({"nftables": cmds}));
    }
    cmds.push(json!({"add": {"table": table_ref()}}));
    cmds.push(json!({"flush": {"table": table_ref()}}));
    let chains = content.chains();
    for (chain, rules) in &chains {
        cmds.push(json!({"add": {"chain": chain}}));
        cmds.extend(rules.iter().map(|r| json!({"add": {"rule": r}})));
    }
    // A chain of ours that is no longer wanted (flushed above) goes.
    let wanted: Vec<&Value> = chains.iter().map(|(c, _)| &c["name"]).collect();
    for (chain, _) in listing.map(listed_chains).unwrap_or_default() {
        if !wanted.contains(&&chain["name"]) {
            let name = chain["name"].clone();
            cmds.push(
                json!({"delete": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}}),
            );
        }
    }
    Some(json!({"nftables": cmds}))
}

/// The transaction that puts the table back as `before` lists it (None:
/// there was no table), whatever is in it now: it deletes the table and
/// adds every listed object again, the table first and the rules last (a
/// rule may refer to a set listed after it).
pub fn restore_batch(before: Option<&Value>) -> Value {
    let mut cmds = vec![
        json!({"add": {"table": table_ref()}}),
        json!({"delete": {"table": table_ref()}}),
    ];
    let items = before
        .and_then(|l| l.get("nftables"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let objects = items.iter().filter_map(|item| {
        let (kind, body) = item.as_object()?.iter().next()?;
        (kind != "metainfo").then(|| (kind.as_str(), without_handle(body)))
    });
    let (rules, others): (Vec<_>, Vec<_>) = objects.partition(|(kind, _)| *kind == "rule");
    for (kind, body) in others.into_iter().chain(rules) {
        cmds.push(json!({"add": {kind: body}}));
    }
    json!({"nftables": cmds})
}

/// The chains of a listing, each with its rules in order; handles dropped.
/// None for anything but chains and rules (a set, a map...).
fn listed(listing: &Value) -> Option<Vec<(Value, Vec<Value>)>> {
    let items = listing.get("nftables").and_then(Value::as_array)?;
    let mut chains: Vec<(Value, Vec<Value>)> = Vec::new();
    let mut rules: Vec<Value> = Vec::new();
    for item in items {
        let (kind, body) = item.as_object().and_then(|o| o.iter().next())?;
        match kind.as_str() {
            "metainfo" | "table" => {}
            "chain" => chains.push((without_handle(body), Vec::new())),
            "rule" => rules.push(without_handle(body)),
            _ => return None,
        }
    }
    for rule in rules {
        let chain = chains
            .iter_mut()
            .find(|(c, _)| c.get("name") == rule.get("chain"))?;
        chain.1.push(rule);
    }
    Some(chains)
}

fn listed_chains(listing: &Value) -> Vec<(Value, Vec<Value>)> {
    listed(listing).unwrap_or_default()
}

/// Whether a listing of the table (`nft -j list table inet rsvsadm`)
/// already holds exactly what [`batch`] would write. Handles, nft's
/// metainfo and the order of chains are ignored; anything else (an extra
/// chain, set or rule, a rule edited by hand) makes it differ.
pub fn listing_matches(listing: &Value, content: &Content<'_>) -> bool {
    let Some(mut have) = listed(listing) else {
        return false;
    };
    let mut want = content.chains();
    let by_name = |c: &(Value, Vec<Value>)| c.0["name"].as_str().unwrap_or("").to_string();
    have.sort_by_key(by_name);
    want.sort_by_key(by_name);
    have == want
}

/// The record items (comments of the `setup` chain's rules) of a listing.
pub fn record_items_in(listing: &Value) -> Vec<String> {
    listed_chains(listing)
        .into_iter()
        .filter(|(c, _)| c["name"] == RECORD_CHAIN)
        .flat_map(|(_, rules)| rules)
        .filter_map(|r| r.get("comment").and_then(Value::as_str).map(String::from))
        .collect()
}

fn without_handle(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("handle");
    }
    v
}

/// Whether `nft -j list tables` output names rsvsadm's table.
pub fn tables_include_ours(tables: &Value) -> bool {
    tables
        .get("nftables")
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items.iter().any(|item| {
                item.get("table").is_some_and(|t| {
                    t.get("family") == Some(&json!(FAMILY)) && t.get("name") == Some(&json!(TABLE))
                })
            })
        })
}

// ---------------------------------------------------------------- effects

fn nft_json(args: &[&str]) -> Result<Value> {
    let text = exec::run_ok("nft", args, None)?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Unexpected(format!("nft {}: unreadable JSON: {e}", args.join(" "))))
}

pub fn table_exists() -> Result<bool> {
    Ok(tables_include_ours(&nft_json(&["-j", "list", "tables"])?))
}

/// The table as JSON, `None` when it does not exist.
pub fn list_table() -> Result<Option<Value>> {
    if !table_exists()? {
        return Ok(None);
    }
    nft_json(&["-j", "list", "table", FAMILY, TABLE]).map(Some)
}

/// The table in nft's own syntax, for `setup show`.
pub fn list_table_text() -> Result<Option<String>> {
    if !table_exists()? {
        return Ok(None);
    }
    exec::run_ok("nft", &["list", "table", FAMILY, TABLE], None).map(Some)
}

/// The whole ruleset as JSON, for `check`.
pub fn ruleset() -> Result<Value> {
    nft_json(&["-j", "list", "ruleset"])
}

/// Sends one transaction; the kernel applies all of it or none of it.
pub fn apply(batch: &Value) -> Result<()> {
    exec::run_ok("nft", &["-j", "-f", "-"], Some(&batch.to_string())).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::VirtualService;

    fn fullnat(service: &str, laddrs: &[&str]) -> NatRule {
        let proto = if service.starts_with('[') || service.contains('.') {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        NatRule::Fullnat {
            service: VirtualService::parse(proto, service).unwrap(),
            laddrs: laddrs.iter().map(|a| a.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn fullnat_rule_with_one_address() {
        let rule = fullnat("203.0.113.10:80", &["198.51.100.1"]);
        let exprs = serde_json::to_string(&rule_exprs(&rule)).unwrap();
        assert_eq!(
            exprs,
            r#"[{"match":{"left":{"meta":{"key":"l4proto"}},"op":"==","right":"tcp"}},{"match":{"left":{"ct":{"dir":"original","key":"ip daddr"}},"op":"==","right":"203.0.113.10"}},{"match":{"left":{"ct":{"dir":"original","key":"proto-dst"}},"op":"==","right":80}},{"snat":{"addr":"198.51.100.1","family":"ip"}}]"#
        );
    }

    #[test]
    fn fullnat_rule_with_several_addresses_uses_numgen() {
        let rule = fullnat("[2001:db8::10]:443", &["2001:db8:1::1", "2001:db8:1::2"]);
        let exprs = rule_exprs(&rule);
        assert_eq!(exprs[1]["match"]["left"]["ct"]["key"], "ip6 daddr");
        let snat = &exprs[3]["snat"];
        assert_eq!(snat["family"], "ip6");
        assert_eq!(snat["addr"]["map"]["key"]["numgen"]["mod"], 2);
        assert_eq!(
            snat["addr"]["map"]["data"]["set"],
            json!([[0, "2001:db8:1::1"], [1, "2001:db8:1::2"]])
        );
    }

    #[test]
    fn port_zero_matches_every_port() {
        let rule = fullnat("203.0.113.10:0", &["198.51.100.1"]);
        let exprs = rule_exprs(&rule);
        assert_eq!(exprs.len(), 3);
        assert!(exprs[2].get("snat").is_some());
    }

    #[test]
    fn masquerade_rules() {
        let rule = NatRule::Masquerade("192.0.2.0/24".parse().unwrap());
        let text = serde_json::to_string(&rule_exprs(&rule)).unwrap();
        assert_eq!(
            text,
            r#"[{"match":{"left":{"payload":{"field":"saddr","protocol":"ip"}},"op":"==","right":{"prefix":{"addr":"192.0.2.0","len":24}}}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"!=","right":{"prefix":{"addr":"192.0.2.0","len":24}}}},{"masquerade":null}]"#
        );
        let host = NatRule::Masquerade("2001:db8::5/128".parse().unwrap());
        assert_eq!(rule_exprs(&host)[0]["match"]["right"], "2001:db8::5");
        let all = NatRule::Masquerade("0.0.0.0/0".parse().unwrap());
        assert_eq!(rule_exprs(&all)[0]["match"]["right"], "ipv4");
    }

    fn content<'a>(items: &'a [String], rules: &'a [NatRule]) -> Content<'a> {
        Content { items, rules }
    }

    #[test]
    fn batch_rebuilds_the_whole_table_or_deletes_it() {
        let rules = vec![NatRule::Masquerade("192.0.2.0/24".parse().unwrap())];
        let items = vec![
            "nat".to_string(),
            "nat --masquerade 192.0.2.0/24".to_string(),
        ];
        let b = batch(&content(&items, &rules), None).unwrap();
        let cmds = b["nftables"].as_array().unwrap();
        let verbs: Vec<String> = cmds
            .iter()
            .map(|c| {
                let (verb, body) = c.as_object().unwrap().iter().next().unwrap();
                format!(
                    "{verb} {}",
                    body.as_object().unwrap().keys().next().unwrap()
                )
            })
            .collect();
        assert_eq!(
            verbs,
            [
                "add table",
                "flush table",
                "add chain",
                "add rule",
                "add rule",
                "add chain",
                "add rule"
            ]
        );
        assert_eq!(cmds[3]["add"]["rule"]["comment"], "nat");
        assert_eq!(cmds[3]["add"]["rule"]["expr"], json!([{"return": null}]));
        assert_eq!(cmds[6]["add"]["rule"]["comment"], "masquerade 192.0.2.0/24");
        let listing = listing(&items, &rules);
        assert_eq!(
            batch(&content(&[], &[]), Some(&listing)).unwrap(),
            json!({"nftables": [{"delete": {"table": {"family": "inet", "name": "rsvsadm"}}}]})
        );
        assert_eq!(batch(&content(&[], &[]), None), None);
        // The NAT chain goes when its last rule does.
        let b = batch(&content(&items[..1], &[]), Some(&listing)).unwrap();
        assert_eq!(
            b["nftables"].as_array().unwrap().last().unwrap(),
            &json!({"delete": {"chain": {"family": "inet", "table": "rsvsadm", "name": "postrouting"}}})
        );
    }

    /// What nft 1.0.6 prints for a table written by [`batch`]: the table,
    /// the chains, then the rules.
    fn listing(items: &[String], rules: &[NatRule]) -> Value {
        let mut out = vec![
            json!({"metainfo": {"version": "1.0.6", "json_schema_version": 1}}),
            json!({"table": {"family": "inet", "name": "rsvsadm", "handle": 4}}),
        ];
        let chains = content(items, rules).chains();
        for (i, (chain, _)) in chains.iter().enumerate() {
            let mut chain = chain.clone();
            chain["handle"] = json!(i + 1);
            out.push(json!({ "chain": chain }));
        }
        for (i, rule) in chains.iter().flat_map(|(_, r)| r).enumerate() {
            let mut rule = rule.clone();
            rule["handle"] = json!(i + 10);
            out.push(json!({ "rule": rule }));
        }
        json!({ "nftables": out })
    }

    #[test]
    fn listing_comparison_and_record() {
        let rules = vec![
            fullnat("203.0.113.10:80", &["198.51.100.1", "198.51.100.2"]),
            NatRule::Masquerade("192.0.2.0/24".parse().unwrap()),
        ];
        let items = vec![
            "nat".to_string(),
            "fullnat -t 203.0.113.10:80 --laddr 198.51.100.1".into(),
        ];
        let l = listing(&items, &rules);
        assert!(listing_matches(&l, &content(&items, &rules)));
        assert!(!listing_matches(&l, &content(&items, &rules[..1])));
        assert!(!listing_matches(&l, &content(&items[..1], &rules)));
        assert!(!listing_matches(
            &listing(&items, &rules[1..]),
            &content(&items, &rules)
        ));
        assert_eq!(record_items_in(&l), items);
        let mut extra = l.clone();
        extra["nftables"]
            .as_array_mut()
            .unwrap()
            .push(json!({"set": {"name": "x"}}));
        assert!(!listing_matches(&extra, &content(&items, &rules)));
        assert!(!listing_matches(&json!({}), &content(&items, &rules)));
    }

    #[test]
    fn finds_our_table_among_others() {
        let tables = json!({"nftables": [
            {"metainfo": {}},
            {"table": {"family": "ip", "name": "rsvsadm", "handle": 1}},
            {"table": {"family": "inet", "name": "filter", "handle": 2}},
        ]});
        assert!(!tables_include_ours(&tables));
        let mut with = tables.clone();
        with["nftables"]
            .as_array_mut()
            .unwrap()
            .push(json!({"table": {"family": "inet", "name": "rsvsadm", "handle": 3}}));
        assert!(tables_include_ours(&with));
    }

    #[test]
    fn restore_batch_rebuilds_the_listed_table() {
        // No table before: undoing deletes the one the step made.
        assert_eq!(
            restore_batch(None),
            json!({"nftables": [
                {"add": {"table": {"family": "inet", "name": "rsvsadm"}}},
                {"delete": {"table": {"family": "inet", "name": "rsvsadm"}}},
            ]})
        );
        let chain = json!({"family": "inet", "table": "rsvsadm", "name": "setup", "handle": 1});
        let rule = json!({"family": "inet", "table": "rsvsadm", "chain": "setup",
                          "handle": 2, "comment": "nat", "expr": [{"return": null}]});
        let set = json!({"family": "inet", "table": "rsvsadm", "name": "s", "type": "ipv4_addr"});
        let listing = json!({"nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {"table": {"family": "inet", "name": "rsvsadm", "handle": 7}},
            {"chain": chain},
            {"rule": rule},
            {"set": set},
        ]});
        let batch = restore_batch(Some(&listing));
        let cmds = batch["nftables"].as_array().unwrap();
        let added: Vec<&str> = cmds[2..]
            .iter()
            .map(|c| {
                c["add"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .next()
                    .unwrap()
                    .as_str()
            })
            .collect();
        // The table first, rules last, handles dropped.
        assert_eq!(added, ["table", "chain", "set", "rule"]);
        assert_eq!(
            cmds[2]["add"]["table"],
            json!({"family": "inet", "name": "rsvsadm"})
        );
        assert!(cmds[5]["add"]["rule"].get("handle").is_none());
    }
}
