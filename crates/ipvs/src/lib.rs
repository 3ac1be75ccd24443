//! A typed client for the Linux kernel's IPVS (IP Virtual Server) table,
//! spoken over the generic-netlink family "IPVS".
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
pub mod conn;
mod ctrl;
mod error;
mod nl;
mod socket;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod types;

pub use client::{Change, Ipvs};
pub use error::{Error, KernelError, Result};
pub use socket::AckResult;
pub use types::*;
