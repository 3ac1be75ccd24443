//! Unit tests of the nftables table (`nft.rs`).

use super::*;
use crate::director::model::ServiceEndpoint;

fn fullnat(service: &str, laddrs: &[&str]) -> NatRule {
    let proto = if service.starts_with('[') || service.contains('.') {
        Protocol::Tcp
    } else {
        Protocol::Udp
    };
    NatRule::Fullnat {
        service: ServiceEndpoint::parse(proto, service).unwrap(),
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
