//! `rsvsadm setup ...`: prepare this host as a director or a real server,
//! and show, clear, save and restore what was set up.
//!
//! A command is planned whole before anything changes (`plan`), then made
//! step by step (`step`) in an order where the firewall transaction (the
//! likeliest to be refused) comes last; if any step fails, the ones made
//! before it are undone, newest first, each from what was there before it.
//!
//! Layering, each file importing only those before it: `step` (one change,
//! made and undone), `plan` (the host as seen, the steps for commands),
//! `current` (the setup in place), `apply` (`setup nat|fullnat|realserver`:
//! plan, then print or make), `inventory` (`show`, `clear`, `save`,
//! `restore`).

mod apply;
mod current;
mod inventory;
mod plan;
mod step;

pub use apply::run;
pub use inventory::{clear, restore, save, show};
