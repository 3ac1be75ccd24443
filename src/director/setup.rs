//! `setup nat|fullnat|realserver|restore`: validate, plan, apply.
//!
//! A command first looks at the host (sysctls, interfaces, addresses, the
//! firewall), then builds the complete list of changes without touching
//! anything; every argument is checked against the live system at this
//! point. Only then are the changes made, in an order where the firewall
//! transaction (the likeliest to be refused) comes last; if any change
//! fails, the earlier ones are undone. A change that is already in place is
//! not planned at all, so running a command twice changes nothing.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipvs::Family;
use serde_json::Value;

use super::addr::{self, Address, Link, Mark, LO_LABEL, TUN4, TUN6};
use super::cli::ApplyOpts;
use super::error::{Error, Result};
use super::firewall::{self, Backend, FirewallView};
use super::inventory;
use super::iptables;
use super::model::{IfName, NatSetup, RsMode, Setup, SetupCommand, VirtualService};
use super::nft;
use super::state;
use super::sysctl::{ConfDev, Sysctl, SysctlWant, PROC_SYS};

/// What the planner needs to know about the host.
#[derive(Debug, Clone, Default)]
pub struct Host {
    pub sysctl_root: PathBuf,
    pub links: Vec<Link>,
    pub addresses: Vec<Address>,
}

impl Host {
    pub fn observe(sysctl_root: &Path) -> Result<Host> {
        Ok(Host {
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

/// One change to the host.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
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
    /// batch deletes it.
    Nft {
        batch: Value,
        rules: Option<usize>,
    },
    Iptables {
        family: Family,
        specs: Vec<Vec<String>>,
    },
    IptablesRecord {
        items: Vec<String>,
    },
}

impl Step {
    /// One line saying what the step does.
    pub fn describe(&self) -> String {
        match self {
            Step::Sysctl { sysctl, from, to } => match from {
                Some(from) => format!("{} = {to} (was {from})", sysctl.name()),
                None => format!("{} = {to}", sysctl.name()),
            },
            Step::CreateTunnel { name, ipv6 } => format!(
                "created interface {name} ({} external: decapsulates from any director)",
                if *ipv6 { "ip6tnl" } else { "ipip" }
            ),
            Step::LinkUp { name } => format!("set {name} up"),
            Step::AddAddress { dev, addr, mark } => match mark {
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
            Step::Nft { rules: None, .. } => {
                format!(
                    "nftables: deleted table {} {} (nothing left to set up)",
                    nft::FAMILY,
                    nft::TABLE
                )
            }
            Step::Nft { rules: Some(n), .. } => format!(
                "nftables: table {} {} holds {n} NAT rule(s) and the setup record",
                nft::FAMILY,
                nft::TABLE
            ),
            Step::Iptables { family, specs } => format!(
                "{}: chain {} holds {} rule(s)",
                iptables::tool(*family),
                iptables::CHAIN,
                specs.len()
            ),
            Step::IptablesRecord { items } => format!(
                "iptables: chain {} records {} setup item(s)",
                iptables::RECORD_CHAIN,
                items.len()
            ),
        }
    }
}

/// The changes, and the whole setup once they are made.
#[derive(Debug)]
pub struct Plan {
    pub steps: Vec<Step>,
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

    fn steps(&self, root: &Path) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        for (want, fresh) in &self.0 {
            if *fresh {
                steps.push(Step::Sysctl {
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
                steps.push(Step::Sysctl {
                    sysctl: want.sysctl.clone(),
                    from: Some(current),
                    to: want.value,
                });
            }
        }
        Ok(steps)
    }
}

fn missing_sysctl(s: &Sysctl) -> Error {
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

fn nat_wants(nat: &NatSetup, host: &Host, wants: &mut Wants) -> Result<()> {
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
fn check_interface(iface: &IfName, host: &Host) -> Result<()> {
    let conf = Sysctl::ipv4_conf(ConfDev::Dev(iface), "send_redirects");
    if host.link(iface.as_str()).is_none() || !conf.path(&host.sysctl_root).exists() {
        return Err(Error::invalid(format!(
            "--interface {iface}: no such interface with IPv4 on this host (see `ip link`)"
        )));
    }
    Ok(())
}

fn fullnat_wants(
    service: &VirtualService,
    laddrs: &[IpAddr],
    host: &Host,
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
    host: &Host,
    wants: &mut Wants,
) -> Result<Vec<Step>> {
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
        steps.push(Step::AddAddress {
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
fn rp_filter_wants(host: &Host, wants: &mut Wants) -> Result<()> {
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

fn tunnel_steps(name: &'static str, ipv6: bool, host: &Host, steps: &mut Vec<Step>) -> Result<()> {
    let kind = if ipv6 { "ip6tnl" } else { "ipip" };
    match host.link(name) {
        Some(link) if link.kind.as_deref() != Some(kind) => Err(Error::invalid(format!(
            "interface {name} exists but is not an {kind} tunnel; \
             remove it (ip link del {name}) or run `rsvsadm setup clear`"
        ))),
        Some(link) => {
            if !link.up && !steps.contains(&Step::LinkUp { name }) {
                steps.push(Step::LinkUp { name });
            }
            Ok(())
        }
        None => {
            let create = Step::CreateTunnel { name, ipv6 };
            if !steps.contains(&create) {
                steps.push(create);
                steps.push(Step::LinkUp { name });
            }
            Ok(())
        }
    }
}

/// The firewall step(s) that make the rules and the record match `setup`.
pub fn firewall_steps(setup: &Setup, view: &FirewallView, backend: Backend) -> Result<Vec<Step>> {
    let rules = firewall::rules(setup);
    let items = firewall::record_items(setup);
    if backend == Backend::Iptables {
        if view.nft_listing.is_some() {
            return Err(mixed_backends("nftables table inet rsvsadm", "nft"));
        }
        let mut steps = Vec::new();
        for (i, family) in [Family::Inet, Family::Inet6].into_iter().enumerate() {
            let specs = iptables::family_specs(&rules, family);
            if !specs.is_empty() || view.ipt_chain[i] {
                steps.push(Step::Iptables { family, specs });
            }
        }
        if !items.is_empty() || view.ipt_record {
            steps.push(Step::IptablesRecord { items });
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
        .map(|batch| Step::Nft {
            batch,
            rules: (!items.is_empty()).then_some(rules.len()),
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
    host: &Host,
    firewall: Option<(&FirewallView, Backend)>,
) -> Result<Plan> {
    let setup = state::merge_all(current.clone(), cmds, "setup")?;
    let mut wants = Wants::default();
    let mut link_steps: Vec<Step> = Vec::new();
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
    Ok(Plan { steps, setup })
}

// ---------------------------------------------------------------- effects

fn apply_step(step: &Step, root: &Path) -> Result<Vec<String>> {
    match step {
        Step::Sysctl { sysctl, to, .. } => sysctl.write(root, to)?,
        Step::CreateTunnel { name, ipv6 } => addr::add_tunnel(name, *ipv6)?,
        Step::LinkUp { name } => addr::set_up(name)?,
        Step::AddAddress { dev, addr, mark } => addr::add_address(dev, addr, *mark)?,
        Step::Nft { batch, .. } => nft::apply(batch)?,
        Step::Iptables { family, specs } => return iptables::apply(*family, specs),
        Step::IptablesRecord { items } => return iptables::apply_record(items),
    }
    Ok(vec![step.describe()])
}

/// Reverts a step that was made; the firewall steps come last and are
/// never undone (nft's is one transaction that either happened or not).
fn undo_step(step: &Step, root: &Path) -> Result<Option<String>> {
    match step {
        Step::Sysctl {
            sysctl,
            from: Some(from),
            ..
        } => {
            sysctl.write(root, from)?;
            Ok(Some(format!("{} = {from}", sysctl.name())))
        }
        Step::CreateTunnel { name, .. } => {
            addr::delete_link(name)?;
            Ok(Some(format!("deleted interface {name}")))
        }
        Step::AddAddress { dev, addr, .. } => {
            let prefix = if addr.is_ipv4() { 32 } else { 128 };
            // An address on a tunnel created by this plan went with it.
            if dev.starts_with(addr::LINK_PREFIX) && !addr::link_exists(dev) {
                return Ok(None);
            }
            addr::del_address(dev, addr, prefix)?;
            Ok(Some(format!(
                "removed {} from {dev}",
                addr::host_cidr(addr)
            )))
        }
        _ => Ok(None),
    }
}

/// Makes the steps in order; on a failure, undoes the ones made (in
/// reverse) and returns the failure. Returns what was done.
pub fn execute(steps: &[Step], root: &Path) -> Result<Vec<String>> {
    let mut done = Vec::new();
    let mut messages = Vec::new();
    for step in steps {
        match apply_step(step, root) {
            Ok(msgs) => {
                messages.extend(msgs);
                done.push(step);
            }
            Err(e) => {
                for made in done.iter().rev() {
                    match undo_step(made, root) {
                        Ok(Some(msg)) => eprintln!("rsvsadm: undone: {msg}"),
                        Ok(None) => {}
                        Err(undo) => {
                            eprintln!("rsvsadm: could not undo `{}`: {undo}", made.describe())
                        }
                    }
                }
                return Err(e);
            }
        }
    }
    Ok(messages)
}

/// Loads ip_vs if `net.ipv4.vs.*` is missing: resolving the IPVS netlink
/// family makes the kernel load the module on demand.
fn ensure_ip_vs(root: &Path) -> Result<()> {
    let conntrack = Sysctl::vs_conntrack();
    if conntrack.read(root)?.is_some() {
        return Ok(());
    }
    let _ = ipvs::Ipvs::connect();
    match conntrack.read(root)? {
        Some(_) => Ok(()),
        None => Err(missing_sysctl(&conntrack)),
    }
}

/// Runs setup commands: look, plan everything, then print or apply.
/// `director`: the commands touch the NAT rules and their record.
pub fn run(cmds: &[SetupCommand], opts: &ApplyOpts, director: bool) -> Result<()> {
    let root = Path::new(PROC_SYS);
    if cmds
        .iter()
        .any(|c| matches!(c, SetupCommand::Fullnat { .. }))
    {
        ensure_ip_vs(root)?;
    }
    let host = Host::observe(root)?;
    let view = FirewallView::observe()?;
    let current = inventory::current_setup(&view, &host.addresses);
    let backend = opts.firewall.resolve();
    let plan = plan(cmds, &current, &host, director.then_some((&view, backend)))?;
    if opts.dry_run {
        print_dry_run(&plan);
        return Ok(());
    }
    for msg in execute(&plan.steps, root)? {
        println!("{msg}");
    }
    Ok(())
}

fn print_dry_run(plan: &Plan) {
    if plan.steps.is_empty() {
        println!("nothing to change");
    }
    for step in &plan.steps {
        println!("would: {}", step.describe());
        match step {
            Step::Nft { batch, .. } => {
                let text = serde_json::to_string_pretty(batch).unwrap_or_default();
                println!("  nft -j -f - <<'EOF'\n{text}\n  EOF");
            }
            Step::Iptables { family, specs } => {
                for spec in specs {
                    println!(
                        "  {} -t nat -A {} {}",
                        iptables::tool(*family),
                        iptables::CHAIN,
                        spec.join(" ")
                    );
                }
            }
            _ => {}
        }
    }
    println!("setup afterwards:");
    for line in plan.setup.to_lines() {
        println!("  {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::Cidr;
    use ipvs::Protocol;
    use std::fs;

    /// A fake /proc/sys with the parameters the planner reads.
    struct FakeSys(PathBuf);

    impl FakeSys {
        fn new(tag: &str) -> FakeSys {
            let dir =
                std::env::temp_dir().join(format!("rsvsadm-plan-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            let sys = FakeSys(dir);
            sys.set(&Sysctl::ip_forward(), "0");
            sys.set(&Sysctl::ipv6_forwarding(), "0");
            sys.set(&Sysctl::vs_conntrack(), "0");
            for dev in ["all", "default", "eth0", "eth1.100", "lo"] {
                for (key, v) in [
                    ("send_redirects", "1"),
                    ("arp_ignore", "0"),
                    ("arp_announce", "0"),
                    ("rp_filter", "1"),
                ] {
                    let d: IfName = dev.parse().unwrap();
                    let s = match dev {
                        "all" => Sysctl::ipv4_conf(ConfDev::All, key),
                        "default" => Sysctl::ipv4_conf(ConfDev::Default, key),
                        _ => Sysctl::ipv4_conf(ConfDev::Dev(&d), key),
                    };
                    sys.set(&s, v);
                }
            }
            sys
        }

        fn set(&self, s: &Sysctl, v: &str) {
            let p = s.path(&self.0);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, format!("{v}\n")).unwrap();
        }

        fn host(&self) -> Host {
            let link = |name: &str, kind: Option<&str>| Link {
                name: name.into(),
                kind: kind.map(String::from),
                up: true,
            };
            Host {
                sysctl_root: self.0.clone(),
                links: vec![
                    link("lo", None),
                    link("eth0", None),
                    link("eth1.100", Some("vlan")),
                ],
                addresses: vec![
                    Address {
                        dev: "eth0".into(),
                        addr: "198.51.100.1".parse().unwrap(),
                        prefix: 24,
                        label: Some("eth0".into()),
                        metric: None,
                    },
                    Address {
                        dev: "eth0".into(),
                        addr: "198.51.100.2".parse().unwrap(),
                        prefix: 24,
                        label: Some("eth0".into()),
                        metric: None,
                    },
                ],
            }
        }
    }

    impl Drop for FakeSys {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn no_firewall() -> FirewallView {
        FirewallView::default()
    }

    fn nat(cidrs: &[&str], ifaces: &[&str]) -> SetupCommand {
        SetupCommand::Nat(NatSetup {
            masquerade: cidrs.iter().map(|c| c.parse::<Cidr>().unwrap()).collect(),
            interfaces: ifaces.iter().map(|c| c.parse().unwrap()).collect(),
        })
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps.iter().map(Step::describe).collect()
    }

    #[test]
    fn nat_plan_like_lvs_nat_sh() {
        let sys = FakeSys::new("nat");
        let plan = plan(
            &[nat(&["192.0.2.0/24"], &["eth0", "eth1.100"])],
            &Setup::default(),
            &sys.host(),
            Some((&no_firewall(), Backend::Nft)),
        )
        .unwrap();
        assert_eq!(
            names(&plan.steps),
            [
                "net.ipv4.ip_forward = 1 (was 0)",
                "net.ipv4.conf.all.send_redirects = 0 (was 1)",
                "net.ipv4.conf.default.send_redirects = 0 (was 1)",
                "net.ipv4.conf.eth0.send_redirects = 0 (was 1)",
                "net.ipv4.conf.eth1/100.send_redirects = 0 (was 1)",
                "nftables: table inet rsvsadm holds 1 NAT rule(s) and the setup record",
            ]
        );
        assert_eq!(
            plan.setup.to_lines(),
            ["nat --masquerade 192.0.2.0/24 --interface eth0 --interface eth1.100"]
        );
    }

    #[test]
    fn nothing_planned_when_already_done() {
        let sys = FakeSys::new("again");
        let cmd = nat(&["192.0.2.0/24"], &["eth0"]);
        let first = plan(
            std::slice::from_ref(&cmd),
            &Setup::default(),
            &sys.host(),
            Some((&no_firewall(), Backend::Nft)),
        )
        .unwrap();
        for step in &first.steps {
            if let Step::Sysctl { sysctl, to, .. } = step {
                sysctl.write(&sys.0, to).unwrap();
            }
        }
        // The table as nft would list it after the first run.
        let Some(Step::Nft { batch, .. }) = first.steps.last() else {
            panic!()
        };
        let mut items = vec![serde_json::json!({"table": {"family": "inet", "name": "rsvsadm"}})];
        for cmd in batch["nftables"].as_array().unwrap() {
            if let Some(add) = cmd.get("add") {
                if add.get("table").is_none() {
                    items.push(add.clone());
                }
            }
        }
        let view = FirewallView {
            nft_listing: Some(serde_json::json!({ "nftables": items })),
            ..no_firewall()
        };
        let second = plan(
            &[cmd],
            &first.setup,
            &sys.host(),
            Some((&view, Backend::Nft)),
        )
        .unwrap();
        assert_eq!(second.steps, []);
        assert_eq!(second.setup, first.setup);
    }

    #[test]
    fn unknown_interface_is_refused_before_anything() {
        let sys = FakeSys::new("badif");
        let err = plan(&[nat(&[], &["eth9"])], &Setup::default(), &sys.host(), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--interface eth9: no such interface with IPv4 on this host (see `ip link`)"
        );
    }

    #[test]
    fn fullnat_plan_needs_local_laddrs() {
        let sys = FakeSys::new("fullnat");
        let service = VirtualService::parse(Protocol::Tcp, "203.0.113.10:80").unwrap();
        let cmd = |laddrs: &[&str]| SetupCommand::Fullnat {
            service,
            laddrs: laddrs.iter().map(|a| a.parse().unwrap()).collect(),
        };
        let err = plan(
            &[cmd(&["198.51.100.9"])],
            &Setup::default(),
            &sys.host(),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("--laddr 198.51.100.9 is not an address of this host"),
            "{err}"
        );
        let p = plan(
            &[cmd(&["198.51.100.1", "198.51.100.2"])],
            &Setup::default(),
            &sys.host(),
            Some((&no_firewall(), Backend::Nft)),
        )
        .unwrap();
        assert_eq!(
            names(&p.steps),
            [
                "net.ipv4.vs.conntrack = 1 (was 0)",
                "net.ipv4.ip_forward = 1 (was 0)",
                "nftables: table inet rsvsadm holds 1 NAT rule(s) and the setup record",
            ]
        );
    }

    #[test]
    fn second_fullnat_service_keeps_the_first() {
        let sys = FakeSys::new("two");
        let mut current = Setup::default();
        let a = VirtualService::parse(Protocol::Tcp, "203.0.113.10:80").unwrap();
        let b = VirtualService::parse(Protocol::Udp, "203.0.113.10:53").unwrap();
        current
            .fullnat
            .insert(a, vec!["198.51.100.1".parse().unwrap()]);
        let cmd = SetupCommand::Fullnat {
            service: b,
            laddrs: vec!["198.51.100.2".parse().unwrap()],
        };
        let p = plan(
            &[cmd],
            &current,
            &sys.host(),
            Some((&no_firewall(), Backend::Nft)),
        )
        .unwrap();
        assert_eq!(p.setup.fullnat.len(), 2);
        assert!(matches!(
            p.steps.last(),
            Some(Step::Nft { rules: Some(2), .. })
        ));
    }

    #[test]
    fn dr_realserver_plan() {
        let sys = FakeSys::new("dr");
        let cmd = SetupCommand::Realserver {
            vips: vec![
                "203.0.113.10".parse().unwrap(),
                "2001:db8::10".parse().unwrap(),
            ],
            mode: RsMode::Dr,
        };
        let p = plan(&[cmd], &Setup::default(), &sys.host(), None).unwrap();
        assert_eq!(
            names(&p.steps),
            [
                "added 203.0.113.10/32 to lo (label lo:rsvs)",
                "added 2001:db8::10/128 to lo (metric 1920169587: rsvsadm's mark)",
                "net.ipv4.conf.all.arp_ignore = 1 (was 0)",
                "net.ipv4.conf.all.arp_announce = 2 (was 0)",
            ]
        );
        assert_eq!(p.setup.realservers.len(), 2);
    }

    #[test]
    fn tun_realserver_plan_creates_the_tunnel_then_relaxes_rp_filter() {
        let sys = FakeSys::new("tun");
        let cmd = SetupCommand::Realserver {
            vips: vec!["203.0.113.10".parse().unwrap()],
            mode: RsMode::Tun,
        };
        let p = plan(&[cmd], &Setup::default(), &sys.host(), None).unwrap();
        assert_eq!(
            names(&p.steps),
            [
                "created interface rsvs-tun (ipip external: decapsulates from any director)",
                "set rsvs-tun up",
                "added 203.0.113.10/32 to rsvs-tun",
                "net.ipv4.conf.all.arp_ignore = 1 (was 0)",
                "net.ipv4.conf.all.arp_announce = 2 (was 0)",
                "net.ipv4.conf.rsvs-tun.rp_filter = 0",
                "net.ipv4.conf.all.rp_filter = 2 (was 1)",
            ]
        );
    }

    #[test]
    fn vip_on_a_network_interface_is_refused() {
        let sys = FakeSys::new("vipeth");
        let mut host = sys.host();
        host.addresses.push(Address {
            dev: "eth0".into(),
            addr: "203.0.113.10".parse().unwrap(),
            prefix: 32,
            label: None,
            metric: None,
        });
        let cmd = SetupCommand::Realserver {
            vips: vec!["203.0.113.10".parse().unwrap()],
            mode: RsMode::Dr,
        };
        let err = plan(&[cmd], &Setup::default(), &host, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("already on eth0"), "{err}");
    }

    #[test]
    fn mixing_firewalls_is_refused() {
        let sys = FakeSys::new("mix");
        let view = FirewallView {
            ipt_chain: [true, false],
            ..no_firewall()
        };
        let err = plan(
            &[nat(&["192.0.2.0/24"], &[])],
            &Setup::default(),
            &sys.host(),
            Some((&view, Backend::Nft)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("RSVSADM-POSTROUTING"), "{err}");
    }

    #[test]
    fn iptables_backend_plans_per_family() {
        let sys = FakeSys::new("ipt");
        let view = no_firewall();
        let p = plan(
            &[nat(&["192.0.2.0/24", "2001:db8:2::/64"], &[])],
            &Setup::default(),
            &sys.host(),
            Some((&view, Backend::Iptables)),
        )
        .unwrap();
        let fw: Vec<String> = p.steps.iter().skip(4).map(Step::describe).collect();
        assert_eq!(
            fw,
            [
                "iptables: chain RSVSADM-POSTROUTING holds 1 rule(s)",
                "ip6tables: chain RSVSADM-POSTROUTING holds 1 rule(s)",
                "iptables: chain RSVSADM-SETUP records 3 setup item(s)",
            ]
        );
    }
}
