//! Which firewall carries rsvsadm's rules, and what it holds now: the one
//! place that looks at both nftables and iptables.

use ipvs::Family;
use serde_json::Value;

use super::content::setup_from_items;
use super::{iptables, nft};
use crate::director::error::Result;
use crate::director::host::exec;
use crate::director::model::Setup;

/// Which firewall carries the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// nftables when the `nft` tool exists, else iptables.
    Auto,
    Nft,
    Iptables,
}

impl Backend {
    pub fn resolve(self) -> Backend {
        match self {
            Backend::Auto if exec::available("nft") => Backend::Nft,
            Backend::Auto => Backend::Iptables,
            other => other,
        }
    }
}

/// The firewall as it is now.
#[derive(Debug, Clone, Default)]
pub struct FirewallView {
    /// `nft -j list table inet rsvsadm`, None when there is no such table
    /// (or no nft).
    pub nft_listing: Option<Value>,
    /// Whether iptables / ip6tables has the postrouting chain, and whether
    /// iptables has the record chain.
    pub ipt_chain: [bool; 2],
    pub ipt_record: bool,
    /// The setup recorded in whichever firewall holds rsvsadm's rules.
    pub recorded: Setup,
}

impl FirewallView {
    /// Whether rsvsadm has anything in iptables.
    pub fn in_iptables(&self) -> bool {
        self.ipt_chain.iter().any(|c| *c) || self.ipt_record
    }

    pub fn observe() -> Result<FirewallView> {
        let mut view = FirewallView::default();
        let mut items = Vec::new();
        if exec::available("nft") {
            view.nft_listing = nft::list_table()?;
            if let Some(listing) = &view.nft_listing {
                items.extend(nft::record_items_in(listing));
            }
        }
        for (i, family) in [Family::Inet, Family::Inet6].into_iter().enumerate() {
            let tool = iptables::tool(family);
            view.ipt_chain[i] =
                exec::available(tool) && iptables::chain_exists(tool, iptables::CHAIN)?;
        }
        let v4 = iptables::tool(Family::Inet);
        view.ipt_record =
            exec::available(v4) && iptables::chain_exists(v4, iptables::RECORD_CHAIN)?;
        if view.ipt_record {
            items.extend(iptables::read_record(v4)?);
        }
        view.recorded = setup_from_items(&items)?;
        Ok(view)
    }
}
