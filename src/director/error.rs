//! Errors of the director commands: each says which argument or which
//! system object is at fault and, where there is one, what to do.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line value (or a line of a setup file) is wrong. Nothing
    /// was changed.
    #[error("{0}")]
    Invalid(String),
    /// An external tool (nft, iptables, ip) failed or is missing.
    #[error("{tool}: {message}")]
    Tool { tool: String, message: String },
    /// Reading or writing a file (a sysctl, a state file) failed.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// Output of a tool or a state file could not be understood.
    #[error("{0}")]
    Unexpected(String),
    /// The kernel's IPVS could not be read.
    #[error("IPVS: {0}")]
    Ipvs(#[from] ipvs::Error),
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn tool(tool: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Tool {
            tool: tool.into(),
            message: message.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
