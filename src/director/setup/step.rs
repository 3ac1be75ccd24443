//! One change to the host ([`SetupStep`]), how it is made, and how it is
//! taken back.
//!
//! Making a step returns, with its messages, a [`Revert`]: the inverse
//! change, built from what was there just before (a sysctl's old value, the
//! firewall's old content). [`execute`] makes the steps in order and, when
//! one fails, runs the reverts of the ones made, newest first, so a failed
//! command leaves the host as it found it. Each firewall step is itself
//! atomic (one nft transaction, one `iptables-restore --noflush` commit per
//! family), so a failing step has nothing half-made to take back.

use std::net::IpAddr;
use std::path::Path;

use ipvs::Family;
use serde_json::Value;

use crate::director::error::Result;
use crate::director::firewall::{iptables, nft};
use crate::director::host::addr::{self, Mark};
use crate::director::host::sysctl::Sysctl;

/// One change to the host.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupStep {
    /// `from` is None when the parameter belongs to an interface this plan
    /// creates.
    Sysctl {
        sysctl: Sysctl,
        from: Option<String>,
        to: &'static str,
    },
    CreateTunnel {
        name: &'static str,
        ipv6: bool,
    },
    LinkUp {
        name: &'static str,
    },
    AddAddress {
        dev: String,
        addr: IpAddr,
        mark: Mark,
    },
    /// `rules`: how many NAT rules the table holds after, None when the
    /// batch deletes it. `before`: the table's listing before (None: there
    /// was no table), what undoing the step puts back.
    Nft {
        batch: Value,
        rules: Option<usize>,
        before: Option<Value>,
    },
    Iptables {
        family: Family,
        specs: Vec<Vec<String>>,
    },
    IptablesRecord {
        items: Vec<String>,
    },
}

impl SetupStep {
    /// One line saying what the step does.
    pub fn describe(&self) -> String {
        match self {
            SetupStep::Sysctl { sysctl, from, to } => match from {
                Some(from) => format!("{} = {to} (was {from})", sysctl.name()),
                None => format!("{} = {to}", sysctl.name()),
            },
            SetupStep::CreateTunnel { name, ipv6 } => format!(
                "created interface {name} ({} external: decapsulates from any director)",
                if *ipv6 { "ip6tnl" } else { "ipip" }
            ),
            SetupStep::LinkUp { name } => format!("set {name} up"),
            SetupStep::AddAddress { dev, addr, mark } => match mark {
                Mark::Label(label) => {
                    format!("added {} to {dev} (label {label})", addr::host_cidr(addr))
                }
                Mark::Metric => format!(
                    "added {} to {dev} (metric {}: rsvsadm's mark)",
                    addr::host_cidr(addr),
                    addr::ADDR_METRIC
                ),
                Mark::None => format!("added {} to {dev}", addr::host_cidr(addr)),
            },
            SetupStep::Nft { rules: None, .. } => {
                format!(
                    "nftables: deleted table {} {} (nothing left to set up)",
                    nft::FAMILY,
                    nft::TABLE
                )
            }
            SetupStep::Nft { rules: Some(n), .. } => format!(
                "nftables: table {} {} holds {n} NAT rule(s) and the setup record",
                nft::FAMILY,
                nft::TABLE
            ),
            SetupStep::Iptables { family, specs } => format!(
                "{}: chain {} holds {} rule(s)",
                iptables::tool(*family),
                iptables::CHAIN,
                specs.len()
            ),
            SetupStep::IptablesRecord { items } => format!(
                "iptables: chain {} records {} setup item(s)",
                iptables::RECORD_CHAIN,
                items.len()
            ),
        }
    }
}

/// The change that takes a made step back.
#[derive(Debug)]
enum Revert {
    Sysctl {
        sysctl: Sysctl,
        value: String,
    },
    DeleteLink(&'static str),
    LinkDown(&'static str),
    DelAddress {
        dev: String,
        addr: IpAddr,
    },
    /// A transaction that puts rsvsadm's nftables table back as it was.
    Nft(Value),
    /// An `iptables-restore --noflush` script that puts a chain back.
    Iptables {
        tool: &'static str,
        chain: &'static str,
        script: String,
    },
}

impl Revert {
    /// Takes the step back; says what it did, None when there was nothing
    /// left to do.
    fn run(&self, root: &Path) -> Result<Option<String>> {
        match self {
            Revert::Sysctl { sysctl, value } => {
                sysctl.write(root, value)?;
                Ok(Some(format!("{} = {value}", sysctl.name())))
            }
            Revert::DeleteLink(name) => {
                addr::delete_link(name)?;
                Ok(Some(format!("deleted interface {name}")))
            }
            Revert::LinkDown(name) => {
                addr::set_state(name, false)?;
                Ok(Some(format!("set {name} down")))
            }
            Revert::DelAddress { dev, addr } => {
                // An address on a tunnel created by this plan went with it.
                if dev.starts_with(addr::LINK_PREFIX) && !addr::link_exists(dev) {
                    return Ok(None);
                }
                let prefix = if addr.is_ipv4() { 32 } else { 128 };
                addr::del_address(dev, addr, prefix)?;
                Ok(Some(format!(
                    "removed {} from {dev}",
                    addr::host_cidr(addr)
                )))
            }
            Revert::Nft(batch) => {
                nft::apply(batch)?;
                Ok(Some(format!(
                    "nftables: table {} {} as it was",
                    nft::FAMILY,
                    nft::TABLE
                )))
            }
            Revert::Iptables {
                tool,
                chain,
                script,
            } => {
                iptables::restore(tool, script)?;
                Ok(Some(format!("{tool}: chain {chain} as it was")))
            }
        }
    }
}

/// Makes one step: its messages, and how to take it back (None: nothing
/// changed, or nothing of it outlives the steps before it).
fn apply_step(step: &SetupStep, root: &Path) -> Result<(Vec<String>, Option<Revert>)> {
    let revert = match step {
        SetupStep::Sysctl { sysctl, from, to } => {
            sysctl.write(root, to)?;
            // A parameter of an interface this plan created goes with it.
            from.clone().map(|value| Revert::Sysctl {
                sysctl: sysctl.clone(),
                value,
            })
        }
        SetupStep::CreateTunnel { name, ipv6 } => {
            addr::add_tunnel(name, *ipv6)?;
            Some(Revert::DeleteLink(name))
        }
        SetupStep::LinkUp { name } => {
            addr::set_state(name, true)?;
            Some(Revert::LinkDown(name))
        }
        SetupStep::AddAddress { dev, addr, mark } => {
            addr::add_address(dev, addr, *mark)?;
            Some(Revert::DelAddress {
                dev: dev.clone(),
                addr: *addr,
            })
        }
        SetupStep::Nft { batch, before, .. } => {
            let revert = nft::restore_batch(before.as_ref());
            nft::apply(batch)?;
            Some(Revert::Nft(revert))
        }
        SetupStep::Iptables { family, specs } => {
            return iptables_change(*family, iptables::CHAIN, specs);
        }
        SetupStep::IptablesRecord { items } => {
            let specs: Vec<Vec<String>> = items.iter().map(|i| iptables::record_spec(i)).collect();
            return iptables_change(Family::Inet, iptables::RECORD_CHAIN, &specs);
        }
    };
    Ok((vec![step.describe()], revert))
}

fn iptables_change(
    family: Family,
    chain: &'static str,
    specs: &[Vec<String>],
) -> Result<(Vec<String>, Option<Revert>)> {
    let change = iptables::apply(family, chain, specs)?;
    let revert = change.revert.map(|script| Revert::Iptables {
        tool: iptables::tool(family),
        chain,
        script,
    });
    Ok((change.messages, revert))
}

/// Makes the steps in order; on a failure, undoes the ones made (in
/// reverse) and returns the failure. Returns what was done.
pub fn execute(steps: &[SetupStep], root: &Path) -> Result<Vec<String>> {
    let mut made: Vec<(&SetupStep, Option<Revert>)> = Vec::new();
    let mut messages = Vec::new();
    for step in steps {
        match apply_step(step, root) {
            Ok((msgs, revert)) => {
                messages.extend(msgs);
                made.push((step, revert));
            }
            Err(e) => {
                undo(&made, root);
                return Err(e);
            }
        }
    }
    Ok(messages)
}

fn undo(made: &[(&SetupStep, Option<Revert>)], root: &Path) {
    for (step, revert) in made.iter().rev() {
        let Some(revert) = revert else { continue };
        match revert.run(root) {
            Ok(Some(msg)) => eprintln!("rsvsadm: undone: {msg}"),
            Ok(None) => {}
            Err(e) => eprintln!("rsvsadm: could not undo `{}`: {e}", step.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::host::sysctl::ConfDev;
    use crate::director::model::IfName;
    use std::fs;

    #[test]
    fn a_failed_step_undoes_the_ones_made_before_it() {
        let root = std::env::temp_dir().join(format!("rsvsadm-undo-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let forward = Sysctl::ip_forward();
        let redirects = Sysctl::ipv4_conf(ConfDev::All, "send_redirects");
        for (sysctl, value) in [(&forward, "0"), (&redirects, "1")] {
            let path = sysctl.path(&root);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, format!("{value}\n")).unwrap();
        }
        let set = |sysctl: &Sysctl, from: &str, to: &'static str| SetupStep::Sysctl {
            sysctl: sysctl.clone(),
            from: Some(from.into()),
            to,
        };
        // The interface of the third one has no directory: writing fails.
        let eth9: IfName = "eth9".parse().unwrap();
        let steps = [
            set(&forward, "0", "1"),
            set(&redirects, "1", "0"),
            set(
                &Sysctl::ipv4_conf(ConfDev::Dev(&eth9), "send_redirects"),
                "1",
                "0",
            ),
        ];
        assert!(execute(&steps, &root).is_err());
        assert_eq!(forward.read(&root).unwrap().as_deref(), Some("0"));
        assert_eq!(redirects.read(&root).unwrap().as_deref(), Some("1"));
        // Without the failing step both are made, and stay.
        assert_eq!(
            execute(&steps[..2], &root).unwrap(),
            [
                "net.ipv4.ip_forward = 1 (was 0)",
                "net.ipv4.conf.all.send_redirects = 0 (was 1)"
            ]
        );
        assert_eq!(forward.read(&root).unwrap().as_deref(), Some("1"));
        fs::remove_dir_all(&root).unwrap();
    }
}
