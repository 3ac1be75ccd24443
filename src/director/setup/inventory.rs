//! `setup show`, `setup clear`, `setup save`, `setup restore`.

use std::io::Read;
use std::net::IpAddr;
use std::path::Path;

use ipvs::Family;

use super::apply;
use super::current::{current_setup, is_link_local};
use crate::director::cli::ApplyOpts;
use crate::director::error::{Error, Result};
use crate::director::firewall::{iptables, nft, FirewallView};
use crate::director::host::addr::{self, Address, Link, LINK_PREFIX};
use crate::director::host::sysctl::{ConfDev, Sysctl, PROC_SYS};
use crate::director::model::{IfName, Setup, SetupCommand};
use crate::director::state;

/// The kernel parameters rsvsadm sets somewhere, for this host's setup.
pub fn managed_sysctls(setup: &Setup, links: &[Link]) -> Vec<Sysctl> {
    let mut list = vec![
        Sysctl::ip_forward(),
        Sysctl::ipv6_forwarding(),
        Sysctl::vs_conntrack(),
        Sysctl::ipv4_conf(ConfDev::All, "send_redirects"),
        Sysctl::ipv4_conf(ConfDev::Default, "send_redirects"),
    ];
    if let Some(nat) = &setup.nat {
        list.extend(
            nat.interfaces
                .iter()
                .map(|i| Sysctl::ipv4_conf(ConfDev::Dev(i), "send_redirects")),
        );
    }
    list.push(Sysctl::ipv4_conf(ConfDev::All, "arp_ignore"));
    list.push(Sysctl::ipv4_conf(ConfDev::All, "arp_announce"));
    list.push(Sysctl::ipv4_conf(ConfDev::All, "rp_filter"));
    for link in links.iter().filter(|l| l.name.starts_with(LINK_PREFIX)) {
        if let Ok(name) = link.name.parse::<IfName>() {
            list.push(Sysctl::ipv4_conf(ConfDev::Dev(&name), "rp_filter"));
        }
    }
    list
}

fn sysctl_lines(list: &[Sysctl], root: &Path) -> Vec<String> {
    list.iter()
        .map(|s| match s.read(root) {
            Ok(Some(v)) => format!("{} = {v}", s.name()),
            Ok(None) => format!("{} (not present)", s.name()),
            Err(e) => format!("{} (unreadable: {e})", s.name()),
        })
        .collect()
}

/// Addresses rsvsadm put on `lo` (see `host/addr.rs` for the marks).
pub fn our_addresses(addresses: &[Address]) -> Vec<&Address> {
    addresses.iter().filter(|a| a.is_ours_on_lo()).collect()
}

fn our_links(links: &[Link]) -> Vec<&Link> {
    links
        .iter()
        .filter(|l| l.name.starts_with(LINK_PREFIX))
        .collect()
}

fn section(title: &str, lines: &[String]) {
    println!("{title}:");
    if lines.is_empty() {
        println!("  (none)");
    }
    for line in lines {
        println!("  {line}");
    }
}

fn firewall_lines(view: &FirewallView) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    if view.nft_listing.is_some() {
        if let Some(text) = nft::list_table_text()? {
            lines.extend(text.lines().map(String::from));
        }
    }
    for (tool, chain) in iptables_chains(view) {
        lines.push(format!("{tool} -t nat -S {chain}:"));
        lines.extend(
            iptables::list(tool, chain)?
                .lines()
                .map(|l| format!("  {l}")),
        );
    }
    Ok(lines)
}

/// rsvsadm's iptables chains that exist.
fn iptables_chains(view: &FirewallView) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, family) in [Family::Inet, Family::Inet6].into_iter().enumerate() {
        if view.ipt_chain[i] {
            out.push((iptables::tool(family), iptables::CHAIN));
        }
    }
    if view.ipt_record {
        out.push((iptables::tool(Family::Inet), iptables::RECORD_CHAIN));
    }
    out
}

pub fn show() -> Result<()> {
    let root = Path::new(PROC_SYS);
    let view = FirewallView::observe()?;
    let links = addr::links()?;
    let addresses = addr::addresses()?;
    let setup = current_setup(&view, &addresses);
    section(
        "Setup (as `rsvsadm setup save` writes it)",
        &setup.to_lines(),
    );
    section(
        "Kernel parameters",
        &sysctl_lines(&managed_sysctls(&setup, &links), root),
    );
    section("Firewall rules", &firewall_lines(&view)?);
    let addr_lines: Vec<String> = our_addresses(&addresses)
        .iter()
        .map(|a| describe_address(a))
        .collect();
    section("Addresses added", &addr_lines);
    let link_lines: Vec<String> = our_links(&links)
        .iter()
        .map(|l| describe_link(l, &addresses))
        .collect();
    section("Interfaces created", &link_lines);
    Ok(())
}

fn describe_address(a: &Address) -> String {
    match (&a.label, a.metric) {
        (Some(label), _) if label != &a.dev => {
            format!("{}/{} on {} (label {label})", a.addr, a.prefix, a.dev)
        }
        (_, Some(metric)) => format!("{}/{} on {} (metric {metric})", a.addr, a.prefix, a.dev),
        _ => format!("{}/{} on {}", a.addr, a.prefix, a.dev),
    }
}

fn describe_link(l: &Link, addresses: &[Address]) -> String {
    let addrs: Vec<String> = addresses
        .iter()
        .filter(|a| a.dev == l.name && !is_link_local(&a.addr))
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect();
    format!(
        "{} ({}, {}){}{}",
        l.name,
        l.kind.as_deref().unwrap_or("?"),
        if l.up { "up" } else { "down" },
        if addrs.is_empty() { "" } else { ": " },
        addrs.join(" ")
    )
}

/// One removal `setup clear` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    NftTable,
    IptablesChain(&'static str, &'static str),
    Link(String),
    Address {
        dev: String,
        addr: IpAddr,
        prefix: u8,
    },
}

impl Removal {
    pub fn describe(&self) -> String {
        match self {
            Removal::NftTable => format!("nftables table {} {}", nft::FAMILY, nft::TABLE),
            Removal::IptablesChain(tool, chain) if *chain == iptables::CHAIN => {
                format!("{tool} nat chain {chain} and its jump")
            }
            Removal::IptablesChain(tool, chain) => format!("{tool} nat chain {chain}"),
            Removal::Link(name) => format!("interface {name} (with its addresses)"),
            Removal::Address { dev, addr, prefix } => format!("address {addr}/{prefix} on {dev}"),
        }
    }
}

/// Everything rsvsadm installed, as found by its markers.
pub fn removals(
    nft_table: bool,
    ipt_chains: &[(&'static str, &'static str)],
    links: &[Link],
    addresses: &[Address],
) -> Vec<Removal> {
    let mut out = Vec::new();
    if nft_table {
        out.push(Removal::NftTable);
    }
    out.extend(ipt_chains.iter().map(|(t, c)| Removal::IptablesChain(t, c)));
    out.extend(
        our_links(links)
            .iter()
            .map(|l| Removal::Link(l.name.clone())),
    );
    out.extend(our_addresses(addresses).iter().map(|a| Removal::Address {
        dev: a.dev.clone(),
        addr: a.addr,
        prefix: a.prefix,
    }));
    out
}

fn remove(r: &Removal) -> Result<()> {
    match r {
        Removal::NftTable => nft::apply(&serde_json::json!({"nftables": [
            {"delete": {"table": {"family": nft::FAMILY, "name": nft::TABLE}}}
        ]})),
        Removal::IptablesChain(tool, chain) => iptables::remove_chain(tool, chain),
        Removal::Link(name) => addr::delete_link(name),
        Removal::Address { dev, addr, prefix } => addr::del_address(dev, addr, *prefix),
    }
}

/// The kernel parameters a setup changes (those `clear` leaves).
fn touched_sysctls(setup: &Setup, links: &[Link]) -> Vec<Sysctl> {
    let all = managed_sysctls(setup, links);
    if setup.is_empty() {
        return all;
    }
    let mut names: Vec<String> = Vec::new();
    if let Some(nat) = &setup.nat {
        names.push(Sysctl::ip_forward().name());
        if nat.has_ipv6() {
            names.push(Sysctl::ipv6_forwarding().name());
        }
        names.push("send_redirects".into());
    }
    for service in setup.fullnat.keys() {
        names.push(Sysctl::vs_conntrack().name());
        names.push(
            if service.addr.is_ipv4() {
                Sysctl::ip_forward()
            } else {
                Sysctl::ipv6_forwarding()
            }
            .name(),
        );
    }
    if setup.realservers.keys().any(IpAddr::is_ipv4) {
        names.extend(["arp_ignore", "arp_announce", "rp_filter"].map(String::from));
    }
    all.into_iter()
        .filter(|s| {
            let name = s.name();
            names
                .iter()
                .any(|n| name == *n || name.ends_with(&format!(".{n}")))
        })
        .collect()
}

pub fn clear(dry_run: bool) -> Result<()> {
    let root = Path::new(PROC_SYS);
    let view = FirewallView::observe()?;
    let links = addr::links()?;
    let addresses = addr::addresses()?;
    let setup = current_setup(&view, &addresses);
    let todo = removals(
        view.nft_listing.is_some(),
        &iptables_chains(&view),
        &links,
        &addresses,
    );
    let verb = if dry_run { "would remove" } else { "removed" };
    let mut failures = Vec::new();
    for r in &todo {
        if !dry_run {
            if let Err(e) = remove(r) {
                failures.push(format!("{}: {e}", r.describe()));
                continue;
            }
        }
        println!("{verb} {}", r.describe());
    }
    if todo.is_empty() {
        println!("nothing installed by rsvsadm to remove");
    }
    println!(
        "left as they are: kernel parameters. rsvsadm does not know their values from before \
         the setup, and other software on this host (routing, containers, VPNs) may rely on \
         them; set them back with `sysctl -w` if this host should no longer be a director or \
         real server:"
    );
    for line in sysctl_lines(&touched_sysctls(&setup, &links), root) {
        println!("  {line}");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::Unexpected(format!(
            "could not remove: {}",
            failures.join("; ")
        )))
    }
}

pub fn save(file: &Path) -> Result<()> {
    let view = FirewallView::observe()?;
    let setup = current_setup(&view, &addr::addresses()?);
    let text = state::render(&setup);
    if file == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    state::write_atomic(file, &text)?;
    match setup.to_lines().len() {
        0 => println!("nothing is set up; wrote an empty {}", file.display()),
        n => println!("saved {n} setup command(s) to {}", file.display()),
    }
    Ok(())
}

pub fn restore(file: &Path, opts: &ApplyOpts) -> Result<()> {
    let (text, origin) = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::io("<stdin>", e))?;
        (text, "<stdin>".to_string())
    } else {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        (text, file.display().to_string())
    };
    let cmds = state::parse_commands(&text, &origin)?;
    let director = cmds
        .iter()
        .any(|c| !matches!(c, SetupCommand::Realserver { .. }));
    apply::run(&cmds, opts, director)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::RsMode;

    fn addr(dev: &str, a: &str, prefix: u8, label: Option<&str>) -> Address {
        Address {
            dev: dev.into(),
            addr: a.parse().unwrap(),
            prefix,
            label: label.map(String::from),
            metric: None,
        }
    }

    #[test]
    fn clear_removes_only_what_is_marked() {
        let links = vec![
            Link {
                name: "lo".into(),
                kind: None,
                up: true,
            },
            Link {
                name: "rsvs-tun".into(),
                kind: Some("ipip".into()),
                up: true,
            },
            Link {
                name: "tunl0".into(),
                kind: Some("ipip".into()),
                up: false,
            },
        ];
        let addresses = vec![
            addr("lo", "127.0.0.1", 8, Some("lo")),
            addr("lo", "203.0.113.10", 32, Some("lo:rsvs")),
            // Put there by hand: no label, not recorded.
            addr("lo", "203.0.113.11", 32, Some("lo")),
            Address {
                metric: Some(addr::ADDR_METRIC),
                ..addr("lo", "2001:db8::10", 128, None)
            },
            addr("lo", "2001:db8::11", 128, None),
            addr("rsvs-tun", "203.0.113.12", 32, Some("rsvs-tun")),
        ];
        let r = removals(true, &[("iptables", iptables::CHAIN)], &links, &addresses);
        let text: Vec<String> = r.iter().map(Removal::describe).collect();
        assert_eq!(
            text,
            [
                "nftables table inet rsvsadm",
                "iptables nat chain RSVSADM-POSTROUTING and its jump",
                "interface rsvs-tun (with its addresses)",
                "address 203.0.113.10/32 on lo",
                "address 2001:db8::10/128 on lo",
            ]
        );
        assert_eq!(removals(false, &[], &links[..1], &addresses[..1]), []);
        let setup = current_setup(&FirewallView::default(), &addresses);
        assert_eq!(
            setup.to_lines(),
            [
                "realserver --vip 203.0.113.10 --mode dr",
                "realserver --vip 203.0.113.12 --mode tun",
                "realserver --vip 2001:db8::10 --mode dr",
            ]
        );
    }

    #[test]
    fn managed_sysctls_follow_the_setup() {
        let mut setup = Setup::default();
        setup
            .merge(&SetupCommand::Nat(crate::director::model::NatSetup {
                masquerade: Default::default(),
                interfaces: ["eth0.7".parse().unwrap()].into(),
            }))
            .unwrap();
        let links = vec![Link {
            name: "rsvs-tun".into(),
            kind: Some("ipip".into()),
            up: true,
        }];
        let names: Vec<String> = managed_sysctls(&setup, &links)
            .iter()
            .map(Sysctl::name)
            .collect();
        assert!(names.contains(&"net.ipv4.conf.eth0/7.send_redirects".to_string()));
        assert!(names.contains(&"net.ipv4.conf.rsvs-tun.rp_filter".to_string()));
        assert!(names.contains(&"net.ipv4.vs.conntrack".to_string()));
    }

    #[test]
    fn clear_names_only_the_parameters_the_setup_touched() {
        let mut setup = Setup::default();
        setup
            .realservers
            .insert("203.0.113.10".parse().unwrap(), RsMode::Dr);
        let names: Vec<String> = touched_sysctls(&setup, &[])
            .iter()
            .map(Sysctl::name)
            .collect();
        assert_eq!(
            names,
            [
                "net.ipv4.conf.all.arp_ignore",
                "net.ipv4.conf.all.arp_announce",
                "net.ipv4.conf.all.rp_filter"
            ]
        );
    }

    #[test]
    fn addresses_are_described() {
        assert_eq!(
            describe_address(&addr("lo", "203.0.113.10", 32, Some("lo:rsvs"))),
            "203.0.113.10/32 on lo (label lo:rsvs)"
        );
        assert_eq!(
            describe_address(&addr("lo", "2001:db8::10", 128, None)),
            "2001:db8::10/128 on lo"
        );
    }
}
