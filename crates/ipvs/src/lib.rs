//! A typed client for the Linux kernel's IPVS (IP Virtual Server) table,
//! spoken over the generic-netlink family "IPVS".
//!
//! The types in [`types`] are plain values; the client turns them into
//! netlink requests and parses the kernel's replies with checked
//! constructors, so a malformed reply is an [`Error`], never a panic.

pub mod attr;
mod client;
pub mod conn;
mod convert;
pub mod ctrl;
pub mod decode;
pub mod error;
pub mod message;
pub mod reply;
pub mod socket;
pub mod types;

pub use client::{Change, Ipvs};
pub use error::{Error, Result};
pub use types::*;
