//! NAT rules in the nftables ruleset that are meant for IPVS traffic
//! (they see it only with `net.ipv4.vs.conntrack=1`).

use std::net::IpAddr;

use serde_json::Value;

use super::snapshot::ConntrackRule;
use crate::director::model::Cidr;

/// NAT rules in an nft ruleset (`nft -j list ruleset`) that are meant for
/// IPVS traffic: a FULLNAT-style match on the connection's original
/// destination being a VIP, or a match on a NAT real server's address.
pub fn conntrack_rules_in(
    ruleset: &Value,
    vips: &[IpAddr],
    nat_dests: &[IpAddr],
) -> Vec<ConntrackRule> {
    let Some(items) = ruleset.get("nftables").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rule in items.iter().filter_map(|i| i.get("rule")) {
        let Some(exprs) = rule.get("expr").and_then(Value::as_array) else {
            continue;
        };
        let nats = exprs
            .iter()
            .any(|e| e.get("snat").is_some() || e.get("masquerade").is_some());
        if !nats {
            continue;
        }
        let mut fullnat = false;
        let mut to_dest = false;
        for m in exprs.iter().filter_map(|e| e.get("match")) {
            if m.get("op").and_then(Value::as_str) != Some("==") {
                continue;
            }
            let (Some(left), Some(right)) = (m.get("left"), m.get("right")) else {
                continue;
            };
            if is_ct_original_daddr(left) && matches_any(right, vips) {
                fullnat = true;
            }
            if is_payload_daddr(left) && matches_any(right, nat_dests) {
                to_dest = true;
            }
        }
        if fullnat || to_dest {
            out.push(ConntrackRule {
                what: describe_rule(rule),
                fullnat,
            });
        }
    }
    out
}

fn is_ct_original_daddr(v: &Value) -> bool {
    v.get("ct").is_some_and(|ct| {
        ct.get("dir").and_then(Value::as_str) == Some("original")
            && matches!(
                ct.get("key").and_then(Value::as_str),
                Some("ip daddr" | "ip6 daddr" | "daddr")
            )
    })
}

fn is_payload_daddr(v: &Value) -> bool {
    v.get("payload")
        .is_some_and(|p| p.get("field").and_then(Value::as_str) == Some("daddr"))
}

/// Whether a match's right side (an address or a prefix) covers one of
/// `addrs`.
fn matches_any(right: &Value, addrs: &[IpAddr]) -> bool {
    let cidr: Option<Cidr> = if let Some(text) = right.as_str() {
        text.parse().ok()
    } else if let Some(p) = right.get("prefix") {
        let addr = p
            .get("addr")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok());
        let len = p
            .get("len")
            .and_then(Value::as_u64)
            .and_then(|l| u8::try_from(l).ok());
        addr.zip(len).and_then(|(a, l)| Cidr::new(a, l))
    } else {
        None
    };
    cidr.is_some_and(|c| addrs.iter().any(|a| c.contains(a)))
}

fn describe_rule(rule: &Value) -> String {
    let field = |k: &str| {
        rule.get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let mut text = format!(
        "nft rule in table {} {} chain {}",
        field("family"),
        field("table"),
        field("chain")
    );
    if let Some(c) = rule.get("comment").and_then(Value::as_str) {
        text.push_str(&format!(" ({c:?})"));
    }
    text
}
