//! The iptables fallback, for hosts without the nft tool.
//!
//! rsvsadm's rules live in one chain of its own per family,
//! `RSVSADM-POSTROUTING` in the nat table, reached by one jump from
//! POSTROUTING; its record (`content.rs`) in `RSVSADM-SETUP`, an iptables
//! nat chain nothing jumps to, as `-j RETURN` rules with comments.
//! `setup clear` removes the jump and the two chains and nothing else.
//! A chain whose rules are all there already (`-C`) is left alone, so
//! re-running a setup changes nothing; one that differs is rewritten whole
//! in one `iptables-restore --noflush` commit, which either happens or
//! not, and [`apply`] returns the script that puts the old chain back.

use std::net::IpAddr;

use ipvs::{Family, Protocol};

use super::content::NatRule;
use crate::director::error::Result;
use crate::director::host::exec;

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

/// The record item as a rule that does nothing.
pub fn record_spec(item: &str) -> Vec<String> {
    let mut a = Vec::new();
    comment(&mut a, item);
    a.extend(["-j", "RETURN"].map(String::from));
    a
}

/// One of rsvsadm's chains as it is, or as it is to be.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChainState {
    /// Its rules as `-A CHAIN ...` lines (as `iptables -S` prints them, or
    /// as rsvsadm writes them), in order; None when there is no chain.
    rules: Option<Vec<String>>,
    /// How many times POSTROUTING jumps to it (0 for the record chain).
    jumps: usize,
}

impl ChainState {
    const ABSENT: ChainState = ChainState {
        rules: None,
        jumps: 0,
    };
}

fn observe(tool: &str, chain: &str) -> Result<ChainState> {
    if !exec::available(tool) {
        return Ok(ChainState::ABSENT);
    }
    let out = exec::run(tool, &["-w", "-t", "nat", "-S", chain], None)?;
    if !out.success {
        return Ok(ChainState::ABSENT);
    }
    let jumps = if chain == CHAIN {
        let jump = format!("-A POSTROUTING -j {CHAIN}");
        list(tool, "POSTROUTING")?
            .lines()
            .filter(|l| *l == jump)
            .count()
    } else {
        0
    };
    Ok(ChainState {
        rules: Some(rule_lines(&out.stdout, chain)),
        jumps,
    })
}

/// The rules of an `iptables -S CHAIN` listing: after the `-N` line, one
/// `-A CHAIN` line a rule.
fn rule_lines(listing: &str, chain: &str) -> Vec<String> {
    let prefix = format!("-A {chain} ");
    listing
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(String::from)
        .collect()
}

/// A rule as an iptables-restore line: blanks and quotes inside a value
/// (a comment) are quoted the way iptables-restore reads them.
fn restore_line(chain: &str, spec: &[String]) -> String {
    let words: Vec<String> = spec
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(|c: char| c.is_whitespace() || c == '"') {
                format!("\"{}\"", w.replace('"', "\\\""))
            } else {
                w.clone()
            }
        })
        .collect();
    format!("-A {chain} {}", words.join(" "))
}

/// The iptables-restore input that turns a chain from `from` into `to`:
/// one commit of the nat table, which the kernel takes whole or not at
/// all. With `--noflush`, a chain line (`:CHAIN - [0:0]`) creates the
/// chain or empties it, and nothing else in the table is touched.
fn restore_script(chain: &str, from: &ChainState, to: &ChainState) -> String {
    let mut lines = vec!["*nat".to_string()];
    let add_jump = format!("-A POSTROUTING -j {CHAIN}");
    let del_jump = format!("-D POSTROUTING -j {CHAIN}");
    match &to.rules {
        None => {
            lines.extend(std::iter::repeat(del_jump).take(from.jumps));
            if from.rules.is_some() {
                lines.push(format!("-F {chain}"));
                lines.push(format!("-X {chain}"));
            }
        }
        Some(rules) => {
            if to.rules != from.rules {
                lines.push(format!(":{chain} - [0:0]"));
                lines.extend(rules.iter().cloned());
            }
            lines.extend(std::iter::repeat(add_jump).take(to.jumps.saturating_sub(from.jumps)));
            lines.extend(std::iter::repeat(del_jump).take(from.jumps.saturating_sub(to.jumps)));
        }
    }
    lines.push("COMMIT".to_string());
    lines.join("\n") + "\n"
}

/// Feeds a script to `TOOL-restore --noflush` (iptables-restore,
/// ip6tables-restore).
pub fn restore(tool: &str, script: &str) -> Result<()> {
    let program = format!("{tool}-restore");
    exec::run_ok(&program, &["-w", "--noflush"], Some(script)).map(|_| ())
}

/// What [`apply`] did: its messages, and the script that undoes it (None
/// when nothing changed).
#[derive(Debug)]
pub struct ChainChange {
    pub messages: Vec<String>,
    pub revert: Option<String>,
}

/// Makes one of rsvsadm's chains hold exactly `specs`, in order, reached
/// from POSTROUTING when it is the NAT chain; with no specs, removes it.
/// Changes nothing when the chain already holds every rule.
pub fn apply(family: Family, chain: &'static str, specs: &[Vec<String>]) -> Result<ChainChange> {
    let tool = tool(family);
    let now = observe(tool, chain)?;
    let mut messages = Vec::new();
    let want = if specs.is_empty() {
        if now.rules.is_some() {
            messages.push(format!("{tool}: removed chain {chain}"));
        }
        ChainState::ABSENT
    } else {
        let rules = if chain_holds(tool, chain, specs, &now)? {
            now.rules.clone()
        } else {
            messages.push(format!(
                "{tool}: chain {chain} holds {} rule(s)",
                specs.len()
            ));
            Some(specs.iter().map(|s| restore_line(chain, s)).collect())
        };
        let mut jumps = now.jumps;
        if chain == CHAIN && jumps == 0 {
            messages.push(format!("{tool}: POSTROUTING jumps to {CHAIN}"));
            jumps = 1;
        }
        ChainState { rules, jumps }
    };
    if messages.is_empty() {
        return Ok(ChainChange {
            messages,
            revert: None,
        });
    }
    restore(tool, &restore_script(chain, &now, &want))?;
    Ok(ChainChange {
        messages,
        revert: Some(restore_script(chain, &want, &now)),
    })
}

/// Whether the chain exists, every spec is present (`-C`) and it has no
/// other rule.
fn chain_holds(tool: &str, chain: &str, specs: &[Vec<String>], now: &ChainState) -> Result<bool> {
    let Some(rules) = &now.rules else {
        return Ok(false);
    };
    for spec in specs {
        if !succeeds(tool, &nat_args("-C", chain, spec))? {
            return Ok(false);
        }
    }
    Ok(rules.len() == specs.len())
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

/// Removes one of rsvsadm's chains, and for the NAT chain the jump(s) to
/// it, in one commit.
pub fn remove_chain(tool: &str, chain: &str) -> Result<()> {
    let now = observe(tool, chain)?;
    restore(tool, &restore_script(chain, &now, &ChainState::ABSENT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::ServiceEndpoint;

    #[test]
    fn fullnat_specs_take_turns() {
        let rule = NatRule::Fullnat {
            service: ServiceEndpoint::parse(Protocol::Tcp, "203.0.113.10:80").unwrap(),
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
        assert_eq!(
            rule_lines(&listing, CHAIN),
            [format!("-A {CHAIN} -s 192.0.2.0/24 -j MASQUERADE")]
        );
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

    #[test]
    fn restore_lines_quote_comments() {
        let rule = NatRule::Masquerade("192.0.2.0/24".parse().unwrap());
        assert_eq!(
            restore_line(CHAIN, &specs(&rule)[0]),
            "-A RSVSADM-POSTROUTING -s 192.0.2.0/24 ! -d 192.0.2.0/24 \
             -m comment --comment \"masquerade 192.0.2.0/24\" -j MASQUERADE"
        );
        assert_eq!(
            restore_line(RECORD_CHAIN, &["a\"b c".to_string()]),
            "-A RSVSADM-SETUP \"a\\\"b c\""
        );
    }

    #[test]
    fn restore_scripts_create_rewrite_and_remove() {
        let old = ChainState {
            rules: Some(vec![format!("-A {CHAIN} -s 192.0.2.0/24 -j MASQUERADE")]),
            jumps: 1,
        };
        let new = ChainState {
            rules: Some(vec![format!("-A {CHAIN} -s 198.51.100.0/24 -j MASQUERADE")]),
            jumps: 1,
        };
        // Created with its jump, in one commit.
        assert_eq!(
            restore_script(CHAIN, &ChainState::ABSENT, &new),
            "*nat\n:RSVSADM-POSTROUTING - [0:0]\n\
             -A RSVSADM-POSTROUTING -s 198.51.100.0/24 -j MASQUERADE\n\
             -A POSTROUTING -j RSVSADM-POSTROUTING\nCOMMIT\n"
        );
        // Rewritten (the chain line empties it first), the jump kept; and
        // the script back puts the old rules in place.
        assert_eq!(
            restore_script(CHAIN, &old, &new),
            "*nat\n:RSVSADM-POSTROUTING - [0:0]\n\
             -A RSVSADM-POSTROUTING -s 198.51.100.0/24 -j MASQUERADE\nCOMMIT\n"
        );
        assert!(restore_script(CHAIN, &new, &old).contains("-s 192.0.2.0/24"));
        // Removed: the jumps first, then the chain.
        let twice = ChainState { jumps: 2, ..old };
        assert_eq!(
            restore_script(CHAIN, &twice, &ChainState::ABSENT),
            "*nat\n-D POSTROUTING -j RSVSADM-POSTROUTING\n\
             -D POSTROUTING -j RSVSADM-POSTROUTING\n\
             -F RSVSADM-POSTROUTING\n-X RSVSADM-POSTROUTING\nCOMMIT\n"
        );
        // Only the jump differs: the rules are not touched.
        let unjumped = ChainState {
            jumps: 0,
            ..new.clone()
        };
        assert_eq!(
            restore_script(CHAIN, &unjumped, &new),
            "*nat\n-A POSTROUTING -j RSVSADM-POSTROUTING\nCOMMIT\n"
        );
    }
}
