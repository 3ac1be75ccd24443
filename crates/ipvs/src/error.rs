//! Errors of the IPVS client.

use std::io;

/// What can go wrong talking to the kernel's IPVS.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The generic-netlink family "IPVS" does not exist: the kernel has no
    /// IPVS (the ip_vs module is not loaded or not built).
    #[error("the kernel has no IPVS generic-netlink family (is the ip_vs module loaded?)")]
    NoIpvs,
    /// The kernel refused a request with this errno.
    #[error("kernel error: {}", io::Error::from_raw_os_error(*.0))]
    Kernel(i32),
    /// The socket failed.
    #[error("netlink socket: {0}")]
    Io(#[from] io::Error),
    /// A reply was malformed (truncated, bad lengths, wrong sizes).
    #[error("malformed netlink reply: {0}")]
    Malformed(String),
    /// A dump was interrupted by concurrent changes too many times.
    #[error("the IPVS table kept changing while it was read; try again")]
    DumpInterrupted,
}

impl Error {
    /// The kernel's errno, if the kernel refused the request.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel(errno) => Some(*errno),
            Error::Io(e) => e.raw_os_error(),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
