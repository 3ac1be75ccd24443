//! `rsvsadm check`: inspect a director and report mistakes, each with a fix.
//!
//! The host is read once into a [`Snapshot`] (the IPVS table, sysctls,
//! routes, NAT rules, two looks at the connection table); [`findings`] is a
//! pure function of it, so every rule is unit-tested without a kernel.
//!
//! Layering, each file importing only those before it: `finding` (what a
//! report says), `sync` (the connection-sync daemons), `snapshot` (what
//! is looked at), `local`, `handshake`, `nft_rules` (the rules), `gather`
//! (reading the host); this file runs them.

mod finding;
mod gather;
mod handshake;
mod local;
mod nft_rules;
mod snapshot;
mod sync;

use std::time::Duration;

use crate::director::cli::CheckArgs;
use crate::director::error::Result;
use finding::{Finding, Severity};
use snapshot::Snapshot;

/// Every finding, errors first.
pub fn findings(s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    local::findings(s, &mut out);
    handshake::stuck_handshakes(s, &mut out);
    out.extend(sync::findings(&s.sync, &s.services));
    out.sort_by_key(|f| f.severity);
    out
}

/// Prints the findings; the exit status is 1 when one is an error.
pub fn run(args: &CheckArgs) -> Result<i32> {
    let snapshot = gather::gather(Duration::from_secs(args.syn_wait))?;
    let found = findings(&snapshot);
    for f in &found {
        println!("{f}");
    }
    let errors = found
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = found.len() - errors;
    if !found.is_empty() {
        println!("check: {errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests;
