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
#[path = "nft_tests.rs"]
mod tests;
