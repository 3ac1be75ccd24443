//! rsvsadm's NAT rules and their record in the host's firewall.
//!
//! - `content`: what the director's setup puts in a firewall, whichever
//!   carries it: the NAT rules and the record of the setup;
//! - `nft`: that content as one nftables table, `inet rsvsadm`;
//! - `iptables`: the same as iptables chains, for hosts without nft;
//! - `view`: which of the two is in use and what it holds now.

pub mod content;
pub mod iptables;
pub mod nft;
pub mod view;

pub use view::{Backend, FirewallView};
