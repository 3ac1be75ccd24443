//! Planning a setup command: look at the host, then build the complete
//! list of changes ([`SetupStep`]s) without touching anything; every
//! argument is checked against the live system at this point. A change
//! that is already in place is not planned at all, so running a command
//! twice changes nothing.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipvs::Family;

use super::step::SetupStep;
use crate::director::error::{Error, Result};
use crate::director::firewall::{content, iptables, nft, Backend, FirewallView};
use crate::director::host::addr::{self, Address, Link, Mark, LO_LABEL, TUN4, TUN6};
use crate::director::host::sysctl::{ConfDev, Sysctl, SysctlWant};
use crate::director::model::{IfName, NatSetup, RsMode, ServiceEndpoint, Setup, SetupCommand};
use crate::director::state;

/// What the planner needs to know about the host.
#[derive(Debug, Clone, Default)]
pub struct HostView {
    pub sysctl_root: PathBuf,
    pub links: Vec<Link>,
    pub addresses: Vec<Address>,
}

impl HostView {
    pub fn observe(sysctl_root: &Path) -> Result<HostView> {
        Ok(HostView {
            sysctl_root: sysctl_root.to_path_buf(),
            links: addr::links()?,
            addresses: addr::addresses()?,
        })
    }

    fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    fn devs_with(&self, ip: &IpAddr) -> Vec<&str> {
        self.addresses
            .iter()
            .filter(|a| a.addr == *ip)
            .map(|a| a.dev.as_str())
            .collect()
    }
}

/// The changes, and the whole setup once they are made.
#[derive(Debug)]
pub struct SetupPlan {
    pub steps: Vec<SetupStep>,
    pub setup: Setup,
}

/// Collects sysctl wants in order, each parameter once.
#[derive(Default)]
struct Wants(Vec<(SysctlWant, bool)>);

impl Wants {
    /// `fresh`: the parameter belongs to an interface the plan creates.
    fn push(&mut self, want: SysctlWant, fresh: bool) {
        if !self.0.iter().any(|(w, _)| w.sysctl == want.sysctl) {
            self.0.push((want, fresh));
        }
    }

    fn steps(&self, root: &Path) -> Result<Vec<SetupStep>> {
        let mut steps = Vec::new();
        for (want, fresh) in &self.0 {
            if *fresh {
                steps.push(SetupStep::Sysctl {
                    sysctl: want.sysctl.clone(),
                    from: None,
                    to: want.value,
                });
                continue;
            }
            let current = want
                .sysctl
                .read(root)?
                .ok_or_else(|| missing_sysctl(&want.sysctl))?;
            if want.needs_write(&current) {
                steps.push(SetupStep::Sysctl {
                    sysctl: want.sysctl.clone(),
                    from: Some(current),
                    to: want.value,
                });
            }
        }
        Ok(steps)
    }
}

pub fn missing_sysctl(s: &Sysctl) -> Error {
    let name = s.name();
    let why = if name.starts_with("net.ipv6") {
        "IPv6 is disabled or not built into this kernel"
    } else if name.starts_with("net.ipv4.vs") {
        "the ip_vs module is not loaded (modprobe ip_vs)"
    } else {
        "this kernel does not have it"
    };
    Error::invalid(format!("{name} does not exist: {why}"))
}

fn nat_wants(nat: &NatSetup, host: &HostView, wants: &mut Wants) -> Result<()> {
    for iface in &nat.interfaces {
        check_interface(iface, host)?;
    }
    wants.push(SysctlWant::set(Sysctl::ip_forward(), "1"), false);
    if nat.has_ipv6() {
        wants.push(SysctlWant::set(Sysctl::ipv6_forwarding(), "1"), false);
    }
    // The kernel sends redirects when `all` OR the interface says so: both
    // must be off; `default` covers interfaces created later.
    let devs = [ConfDev::All, ConfDev::Default]
        .into_iter()
        .chain(nat.interfaces.iter().map(ConfDev::Dev));
    for dev in devs {
        wants.push(
            SysctlWant::set(Sysctl::ipv4_conf(dev, "send_redirects"), "0"),
            false,
        );
    }
    Ok(())
}

/// An interface given on the command line must exist now.
fn check_interface(iface: &IfName, host: &HostView) -> Result<()> {
    let conf = Sysctl::ipv4_conf(ConfDev::Dev(iface), "send_redirects");
    if host.link(iface.as_str()).is_none() || !conf.path(&host.sysctl_root).exists() {
        return Err(Error::invalid(format!(
            "--interface {iface}: no such interface with IPv4 on this host (see `ip link`)"
        )));
    }
    Ok(())
}

fn fullnat_wants(
    service: &ServiceEndpoint,
    laddrs: &[IpAddr],
    host: &HostView,
    wants: &mut Wants,
) -> Result<()> {
    for laddr in laddrs {
        if host.devs_with(laddr).is_empty() {
            return Err(Error::invalid(format!(
                "--laddr {laddr} is not an address of this host; add it first to the \
                 interface facing the real servers (ip addr add {laddr}/PREFIX dev IFACE)"
            )));
        }
    }
    wants.push(SysctlWant::set(Sysctl::vs_conntrack(), "1"), false);
    // Replies come back to the local address, conntrack turns them into
    // packets for the client: they are forwarded.
    let forward = match service.addr {
        IpAddr::V4(_) => Sysctl::ip_forward(),
        IpAddr::V6(_) => Sysctl::ipv6_forwarding(),
    };
    wants.push(SysctlWant::set(forward, "1"), false);
    Ok(())
}

/// The address and interface steps for real-server VIPs.
fn realserver_steps(
    vips: &[IpAddr],
    mode: RsMode,
    host: &HostView,
    wants: &mut Wants,
) -> Result<Vec<SetupStep>> {
    let mut steps = Vec::new();
    for vip in vips {
        let dev = match mode {
            RsMode::Dr => "lo",
            RsMode::Tun => {
                let name = if vip.is_ipv4() { TUN4 } else { TUN6 };
                tunnel_steps(name, vip.is_ipv6(), host, &mut steps)?;
                name
            }
        };
        let devs = host.devs_with(vip);
        if devs.contains(&dev) {
            continue;
        }
        if let Some(other) = devs.first() {
            return Err(Error::invalid(format!(
                "--vip {vip} is already on {other}: a real server must not own the VIP on a \
                 network interface (it would answer ARP for it); remove it there first \
                 (ip addr del {vip}/PREFIX dev {other})"
            )));
        }
        // lo is not ours: mark the address (a tunnel is ours already).
        let mark = match (dev, vip) {
            ("lo", IpAddr::V4(_)) => Mark::Label(LO_LABEL),
            ("lo", IpAddr::V6(_)) => Mark::Metric,
            _ => Mark::None,
        };
        steps.push(SetupStep::AddAddress {
            dev: dev.to_string(),
            addr: *vip,
            mark,
        });
    }
    if vips.iter().any(IpAddr::is_ipv4) {
        // Answer ARP only for addresses of the interface asked on, and never
        // announce the VIP as a source: the director must get the VIP's
        // traffic, not this server.
        wants.push(
            SysctlWant::set(Sysctl::ipv4_conf(ConfDev::All, "arp_ignore"), "1"),
            false,
        );
        wants.push(
            SysctlWant::set(Sysctl::ipv4_conf(ConfDev::All, "arp_announce"), "2"),
            false,
        );
        if mode == RsMode::Tun {
            rp_filter_wants(host, wants)?;
        }
    }
    Ok(steps)
}

/// Decapsulated packets arrive on the tunnel from the client's address,
/// whose route goes out another interface: strict reverse-path filtering
/// drops them. The kernel uses max(all, interface): the tunnel gets 0 and
/// a strict `all` (1) becomes loose (2), a looser one stays.
fn rp_filter_wants(host: &HostView, wants: &mut Wants) -> Result<()> {
    let tun: IfName = TUN4.parse().map_err(|e: String| Error::Unexpected(e))?;
    let fresh = host.link(TUN4).is_none();
    wants.push(
        SysctlWant::set(Sysctl::ipv4_conf(ConfDev::Dev(&tun), "rp_filter"), "0"),
        fresh,
    );
    wants.push(
        SysctlWant::replace(Sysctl::ipv4_conf(ConfDev::All, "rp_filter"), "1", "2"),
        false,
    );
    Ok(())
}

fn tunnel_steps(
    name: &'static str,
    ipv6: bool,
    host: &HostView,
    steps: &mut Vec<SetupStep>,
) -> Result<()> {
    let kind = if ipv6 { "ip6tnl" } else { "ipip" };
    match host.link(name) {
        Some(link) if link.kind.as_deref() != Some(kind) => Err(Error::invalid(format!(
            "interface {name} exists but is not an {kind} tunnel; \
             remove it (ip link del {name}) or run `rsvsadm setup clear`"
        ))),
        Some(link) => {
            if !link.up && !steps.contains(&SetupStep::LinkUp { name }) {
                steps.push(SetupStep::LinkUp { name });
            }
            Ok(())
        }
        None => {
            let create = SetupStep::CreateTunnel { name, ipv6 };
            if !steps.contains(&create) {
                steps.push(create);
                steps.push(SetupStep::LinkUp { name });
            }
            Ok(())
        }
    }
}

/// The firewall step(s) that make the rules and the record match `setup`.
pub fn firewall_steps(
    setup: &Setup,
    view: &FirewallView,
    backend: Backend,
) -> Result<Vec<SetupStep>> {
    let rules = content::rules(setup);
    let items = content::record_items(setup);
    if backend == Backend::Iptables {
        if view.nft_listing.is_some() {
            return Err(mixed_backends("nftables table inet rsvsadm", "nft"));
        }
        let mut steps = Vec::new();
        for (i, family) in [Family::Inet, Family::Inet6].into_iter().enumerate() {
            let specs = iptables::family_specs(&rules, family);
            if !specs.is_empty() || view.ipt_chain[i] {
                steps.push(SetupStep::Iptables { family, specs });
            }
        }
        if !items.is_empty() || view.ipt_record {
            steps.push(SetupStep::IptablesRecord { items });
        }
        return Ok(steps);
    }
    if view.in_iptables() {
        return Err(mixed_backends(
            &format!("iptables chain {}", iptables::CHAIN),
            "iptables",
        ));
    }
    let content = nft::Content {
        items: &items,
        rules: &rules,
    };
    if let Some(listing) = &view.nft_listing {
        if nft::listing_matches(listing, &content) {
            return Ok(Vec::new());
        }
    }
    Ok(nft::batch(&content, view.nft_listing.as_ref())
        .map(|batch| SetupStep::Nft {
            batch,
            rules: (!items.is_empty()).then_some(rules.len()),
            before: view.nft_listing.clone(),
        })
        .into_iter()
        .collect())
}

fn mixed_backends(existing: &str, flag: &str) -> Error {
    Error::invalid(format!(
        "rsvsadm's rules are in the {existing}; use --firewall {flag}, \
         or run `rsvsadm setup clear` first to move them"
    ))
}

/// Plans `cmds` on top of the `current` setup. `firewall`: the firewall
/// as it is and the backend to use, when the commands touch NAT rules
/// (director commands); None for real servers.
pub fn plan(
    cmds: &[SetupCommand],
    current: &Setup,
    host: &HostView,
    firewall: Option<(&FirewallView, Backend)>,
) -> Result<SetupPlan> {
    let setup = state::merge_all(current.clone(), cmds, "setup")?;
    let mut wants = Wants::default();
    let mut link_steps: Vec<SetupStep> = Vec::new();
    for cmd in cmds {
        match cmd {
            SetupCommand::Nat(nat) => nat_wants(nat, host, &mut wants)?,
            SetupCommand::Fullnat { service, laddrs } => {
                fullnat_wants(service, laddrs, host, &mut wants)?
            }
            SetupCommand::FullnatDelete(_) => {}
            SetupCommand::Realserver { vips, mode } => {
                for step in realserver_steps(vips, *mode, host, &mut wants)? {
                    if !link_steps.contains(&step) {
                        link_steps.push(step);
                    }
                }
            }
        }
    }
    // Interfaces and addresses first (a new tunnel's sysctls need it), the
    // firewall transaction last: its failure then leaves nothing to undo
    // but the steps before it, which can all be undone.
    let mut steps = link_steps;
    steps.extend(wants.steps(&host.sysctl_root)?);
    if let Some((view, backend)) = firewall {
        steps.extend(firewall_steps(&setup, view, backend)?);
    }
    Ok(SetupPlan { steps, setup })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
