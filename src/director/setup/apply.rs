//! Running a setup command: look, plan everything, then print the plan
//! (`--dry-run`) or make it.

use std::path::Path;

use super::current::current_setup;
use super::plan::{missing_sysctl, plan, HostView, SetupPlan};
use super::step::{execute, SetupStep};
use crate::director::cli::ApplyOpts;
use crate::director::error::Result;
use crate::director::firewall::{iptables, FirewallView};
use crate::director::host::sysctl::{Sysctl, PROC_SYS};
use crate::director::model::SetupCommand;

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
    let host = HostView::observe(root)?;
    let view = FirewallView::observe()?;
    let current = current_setup(&view, &host.addresses);
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

fn print_dry_run(plan: &SetupPlan) {
    if plan.steps.is_empty() {
        println!("nothing to change");
    }
    for step in &plan.steps {
        println!("would: {}", step.describe());
        match step {
            SetupStep::Nft { batch, .. } => {
                let text = serde_json::to_string_pretty(batch).unwrap_or_default();
                println!("  nft -j -f - <<'EOF'\n{text}\n  EOF");
            }
            SetupStep::Iptables { family, specs } => {
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
