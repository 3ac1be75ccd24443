//! Errors of the IPVS client.

use std::fmt;
use std::io;

/// What can go wrong talking to the kernel's IPVS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The generic-netlink family "IPVS" does not exist: the kernel has no
    /// IPVS (the ip_vs module is not loaded or not built).
    #[error("the kernel has no IPVS generic-netlink family (is the ip_vs module loaded?)")]
    NoIpvs,
    /// The kernel refused a request.
    #[error("kernel error: {0}")]
    Kernel(KernelError),
    /// The socket failed (or the network namespace could not be entered).
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
    /// The errno, if the kernel refused the request or the socket failed.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel(e) => Some(e.errno()),
            Error::Io(e) => e.raw_os_error(),
            _ => None,
        }
    }

    /// The kernel's refusal, if this is one.
    pub fn kernel(&self) -> Option<KernelError> {
        match self {
            Error::Kernel(e) => Some(*e),
            _ => None,
        }
    }

    /// Whether the kernel has no such service or destination (see
    /// [`KernelError::is_not_found`]).
    pub fn is_not_found(&self) -> bool {
        self.kernel().is_some_and(KernelError::is_not_found)
    }

    /// Whether the kernel has no such service.
    pub fn is_no_such_service(&self) -> bool {
        self.kernel().is_some_and(KernelError::is_no_such_service)
    }

    /// Whether the object to add exists already.
    pub fn is_already_exists(&self) -> bool {
        self.kernel().is_some_and(KernelError::is_already_exists)
    }

    /// Whether the caller lacks the privilege (IPVS wants `CAP_NET_ADMIN`
    /// for every request, reads included).
    pub fn is_permission_denied(&self) -> bool {
        self.kernel().is_some_and(KernelError::is_permission_denied)
    }
}

/// A request the kernel refused, with the errno it gave.
///
/// IPVS answers with a handful of errnos whose meaning depends on the
/// request; the helpers name the common
/// ones.
///
/// ```
/// use ipvs::KernelError;
///
/// let e = KernelError::from_errno(3); // ESRCH
/// assert!(e.is_no_such_service() && e.is_not_found());
/// assert_eq!(e.to_string(), "No such process (os error 3)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelError(i32);

impl KernelError {
    /// A refusal with this (positive) errno.
    pub fn from_errno(errno: i32) -> KernelError {
        KernelError(errno)
    }

    /// The errno.
    pub fn errno(self) -> i32 {
        self.0
    }

    /// `ESRCH`: no such service (the service of the request, or of the
    /// destination request, is not in the table).
    pub fn is_no_such_service(self) -> bool {
        self.0 == libc::ESRCH
    }

    /// `ENOENT`: no such destination (or no such sync daemon).
    pub fn is_no_such_destination(self) -> bool {
        self.0 == libc::ENOENT
    }

    /// No such service or no such destination: the object the request
    /// names is not in the table (another process may have removed it).
    pub fn is_not_found(self) -> bool {
        self.is_no_such_service() || self.is_no_such_destination()
    }

    /// `EEXIST`: the service, destination or daemon to add exists.
    pub fn is_already_exists(self) -> bool {
        self.0 == libc::EEXIST
    }

    /// `EPERM`: the caller lacks `CAP_NET_ADMIN` (in the namespace that
    /// owns the table).
    pub fn is_permission_denied(self) -> bool {
        self.0 == libc::EPERM
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        io::Error::from_raw_os_error(self.0).fmt(f)
    }
}

/// The result of the client's calls.
pub type Result<T> = std::result::Result<T, Error>;
