//! The iptables fallback, for hosts without the nft tool.
//!
//! rsvsadm's rules live in one chain of its own per family,
//! `RSVSADM-POSTROUTING` in the nat table, reached by one jump from
//! POSTROUTING; its record (`firewall.rs`) in `RSVSADM-SETUP`, an iptables
//! nat chain nothing jumps to, as `-j RETURN` rules with comments.
//! `setup clear` removes the jump and the two chains and nothing else.
//! Every rule is checked with `-C` before it is added, so re-running a
//! setup adds nothing.

use std::net::IpAddr;

use ipvs::{Family, Protocol};

use super::error::Result;
use super::exec;
use super::firewall::NatRule;

pub const CHAIN: &str = "RSVSADM-POSTROUTING";
pub const RECORD_CHAIN: &str = "RSVSADM-SETUP";

pub fn tool(family: Family) -> &'static str {
    match family {
        Family::Inet => "iptables",
        Family::Inet6 => "ip6tables",
    }
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

fn comment(args: &mut Vec<String>, text: &str) {
    args.extend(["-m", "comment", "--comment"].map(String::from));
    args.push(text.to_string());
}

/// The rule specifications (what follows `-A CHAIN`) for one NAT rule.
/// Several local addresses become one rule each: rule i takes every
/// (N-i)-th of the connections that reach it, the last one takes the rest,
/// which hands new connections to the addresses in turn (the nat table sees
/// only a connection's first packet).
pub fn specs(rule: &NatRule) -> Vec<Vec<String>> {
    match rule {
        NatRule::Fullnat { service, laddrs } => {
            let n = laddrs.len();
            laddrs
                .iter()
                .enumerate()
                .map(|(i, laddr)| {
                    let mut a: Vec<String> =
                        vec!["-p".into(), protocol_name(service.protocol).into()];
                    a.extend(["-m", "conntrack", "--ctorigdst"].map(String::from));
                    a.push(host(&service.addr));
                    if service.port != 0 {
                        a.push("--ctorigdstport".into());
                        a.push(service.port.to_string());
                    }
                    if i + 1 < n {
                        a.extend(["-m", "statistic", "--mode", "nth", "--every"].map(String::from));
                        a.push((n - i).to_string());
                        a.extend(["--packet", "0"].map(String::from));
                    }
                    comment(&mut a, &rule.comment());
                    a.extend(["-j", "SNAT", "--to-source"].map(String::from));
                    a.push(laddr.to_string());
                    a
                })
                .collect()
        }
        NatRule::Masquerade(cidr) => {
            let mut a = vec!["-s".to_string(), cidr.to_string()];
            if cidr.prefix() != 0 {
                a.extend(["!".to_string(), "-d".to_string(), cidr.to_string()]);
            }
            comment(&mut a, &rule.comment());
            a.extend(["-j", "MASQUERADE"].map(String::from));
            vec![a]
        }
    }
}

fn host(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}

/// All rule specifications of one family, in order.
pub fn family_specs(rules: &[NatRule], family: Family) -> Vec<Vec<String>> {
    rules
        .iter()
        .filter(|r| r.family() == family)
        .flat_map(specs)
        .collect()
}

fn nat_args<'a>(cmd: &'a str, chain: &'a str, spec: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["-w", "-t", "nat", cmd, chain];
    args.extend(spec.iter().map(String::as_str));
    args
}

fn succeeds(tool: &str, args: &[&str]) -> Result<bool> {
    Ok(exec::run(tool, args, None)?.success)
}

pub fn chain_exists(tool: &str, chain: &str) -> Result<bool> {
    succeeds(tool, &["-w", "-t", "nat", "-S", chain])
}

fn jump() -> Vec<String> {
    vec!["-j".into(), CHAIN.into()]
}

/// The record item as a rule that does nothing.
pub fn record_spec(item: &str) -> Vec<String> {
    let mut a = Vec::new();
    comment(&mut a, item);
    a.extend(["-j", "RETURN"].map(String::from));
    a
}

/// Makes the family's NAT chain hold exactly `specs` (removing the chain
/// when there are none). Changes nothing when every rule is already there.
pub fn apply(family: Family, specs: &[Vec<String>]) -> Result<Vec<String>> {
    let tool = tool(family);
    let mut done = sync_chain(tool, CHAIN, specs)?;
    if specs.is_empty() {
        return Ok(done);
    }
    let jump = jump();
    if !succeeds(tool, &nat_args("-C", "POSTROUTING", &jump))? {
        exec::run_ok(tool, &nat_args("-A", "POSTROUTING", &jump), None)?;
        done.push(format!("{tool}: POSTROUTING jumps to {CHAIN}"));
    }
    Ok(done)
}

/// Makes the record chain hold exactly `items`.
pub fn apply_record(items: &[String]) -> Result<Vec<String>> {
    let specs: Vec<Vec<String>> = items.iter().map(|i| record_spec(i)).collect();
    sync_chain(tool(Family::Inet), RECORD_CHAIN, &specs)
}

/// Creates, rewrites or removes one of rsvsadm's chains so that it holds
/// `specs`, touching nothing when it already does.
fn sync_chain(tool: &str, chain: &str, specs: &[Vec<String>]) -> Result<Vec<String>> {
    let exists = exec::available(tool) && chain_exists(tool, chain)?;
    if specs.is_empty() {
        if exists {
            remove_chain(tool, chain)?;
            return Ok(vec![format!("{tool}: removed chain {chain}")]);
        }
        return Ok(Vec::new());
    }
    if !exists {
        exec::run_ok(tool, &["-w", "-t", "nat", "-N", chain], None)?;
    } else if chain_holds(tool, chain, specs)? {
        return Ok(Vec::new());
    }
    // Something differs (a rule missing, or one too many): rewrite the
    // chain in order, so the rule order is always the same.
    exec::run_ok(tool, &["-w", "-t", "nat", "-F", chain], None)?;
    for spec in specs {
        exec::run_ok(tool, &nat_args("-A", chain, spec), None)?;
    }
    Ok(vec![format!(
        "{tool}: chain {chain} holds {} rule(s)",
        specs.len()
    )])
}

/// Whether every spec is present (`-C`) and the chain has no other rule.
fn chain_holds(tool: &str, chain: &str, specs: &[Vec<String>]) -> Result<bool> {
    for spec in specs {
        if !succeeds(tool, &nat_args("-C", chain, spec))? {
            return Ok(false);
        }
    }
    Ok(count_rules(&list(tool, chain)?, chain) == specs.len())
}

/// `iptables -S CHAIN` output: the `-N` line, then one `-A` line a rule.
pub fn count_rules(listing: &str, chain: &str) -> usize {
    listing
        .lines()
        .filter(|l| l.starts_with(&format!("-A {chain} ")))
        .count()
}

pub fn list(tool: &str, chain: &str) -> Result<String> {
    exec::run_ok(tool, &["-w", "-t", "nat", "-S", chain], None)
}

/// The comments of the record chain's rules, in order.
pub fn read_record(tool: &str) -> Result<Vec<String>> {
    Ok(record_comments(&list(tool, RECORD_CHAIN)?))
}

/// The `--comment` values of `iptables -S` lines: quoted when they hold a
/// blank (our items never hold a quote).
pub fn record_comments(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| {
            let rest = line.split_once("--comment ")?.1;
            match rest.strip_prefix('"') {
                Some(quoted) => quoted.split_once('"').map(|(c, _)| c.to_string()),
                None => rest.split_whitespace().next().map(String::from),
            }
        })
        .collect()
}

/// Removes one of rsvsadm's chains, and for the NAT chain the jump(s) to it.
pub fn remove_chain(tool: &str, chain: &str) -> Result<()> {
    if chain == CHAIN {
        let jump = jump();
        while succeeds(tool, &nat_args("-C", "POSTROUTING", &jump))? {
            exec::run_ok(tool, &nat_args("-D", "POSTROUTING", &jump), None)?;
        }
    }
    exec::run_ok(tool, &["-w", "-t", "nat", "-F", chain], None)?;
    exec::run_ok(tool, &["-w", "-t", "nat", "-X", chain], None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::VirtualService;

    #[test]
    fn fullnat_specs_take_turns() {
        let rule = NatRule::Fullnat {
            service: VirtualService::parse(Protocol::Tcp, "203.0.113.10:80").unwrap(),
            laddrs: ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
                .iter()
                .map(|a| a.parse().unwrap())
                .collect(),
        };
        let specs: Vec<String> = specs(&rule).iter().map(|s| s.join(" ")).collect();
        assert_eq!(
            specs,
            [
                "-p tcp -m conntrack --ctorigdst 203.0.113.10/32 --ctorigdstport 80 \
                 -m statistic --mode nth --every 3 --packet 0 \
                 -m comment --comment fullnat TCP 203.0.113.10:80 -j SNAT --to-source 198.51.100.1",
                "-p tcp -m conntrack --ctorigdst 203.0.113.10/32 --ctorigdstport 80 \
                 -m statistic --mode nth --every 2 --packet 0 \
                 -m comment --comment fullnat TCP 203.0.113.10:80 -j SNAT --to-source 198.51.100.2",
                "-p tcp -m conntrack --ctorigdst 203.0.113.10/32 --ctorigdstport 80 \
                 -m comment --comment fullnat TCP 203.0.113.10:80 -j SNAT --to-source 198.51.100.3",
            ]
        );
    }

    #[test]
    fn masquerade_spec_and_family_split() {
        let rules = vec![
            NatRule::Masquerade("192.0.2.0/24".parse().unwrap()),
            NatRule::Masquerade("2001:db8:2::/64".parse().unwrap()),
        ];
        let v4 = family_specs(&rules, Family::Inet);
        assert_eq!(
            v4[0].join(" "),
            "-s 192.0.2.0/24 ! -d 192.0.2.0/24 -m comment --comment masquerade 192.0.2.0/24 -j MASQUERADE"
        );
        assert_eq!(family_specs(&rules, Family::Inet6).len(), 1);
        assert_eq!(tool(Family::Inet6), "ip6tables");
    }

    #[test]
    fn counts_only_rules() {
        let listing = format!("-N {CHAIN}\n-A {CHAIN} -s 192.0.2.0/24 -j MASQUERADE\n");
        assert_eq!(count_rules(&listing, CHAIN), 1);
    }

    #[test]
    fn record_as_rules_and_back() {
        assert_eq!(
            record_spec("nat --interface eth0").join(" "),
            "-m comment --comment nat --interface eth0 -j RETURN"
        );
        // As iptables 1.8.9 prints them.
        let listing = "-N RSVSADM-SETUP\n\
            -A RSVSADM-SETUP -m comment --comment \"nat --interface eth0\" -j RETURN\n\
            -A RSVSADM-SETUP -m comment --comment nat -j RETURN\n";
        assert_eq!(record_comments(listing), ["nat --interface eth0", "nat"]);
    }
}
