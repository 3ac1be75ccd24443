//! ipvsadm's wording for kernel errors (libipvs `ipvs_strerror`): the same
//! errno reads differently depending on the operation that got it.

use std::ffi::{c_char, CStr};

use ipvs::Change;
use nix::errno::Errno;
use nix::libc;

/// The operations whose errors ipvsadm words specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelOp {
    AddService,
    EditService,
    DeleteService,
    ZeroService,
    AddDest,
    EditDest,
    DeleteDest,
    StartDaemon,
    StopDaemon,
    /// Reading services or destinations.
    Get,
    /// Flush, timeouts: only the generic wording applies.
    Other,
}

impl KernelOp {
    pub fn of(change: &Change) -> KernelOp {
        match change {
            Change::AddService(_) => KernelOp::AddService,
            Change::EditService(_) => KernelOp::EditService,
            Change::DeleteService(_) => KernelOp::DeleteService,
            Change::Zero(_) => KernelOp::ZeroService,
            Change::AddDest(..) => KernelOp::AddDest,
            Change::EditDest(..) => KernelOp::EditDest,
            Change::DeleteDest(..) => KernelOp::DeleteDest,
            Change::StartDaemon(_) => KernelOp::StartDaemon,
            Change::StopDaemon(_) => KernelOp::StopDaemon,
            Change::Flush | Change::SetTimeouts(_) => KernelOp::Other,
        }
    }
}

/// The message ipvsadm prints for `errno` returned by `op`.
pub fn kernel_message(op: KernelOp, errno: i32) -> String {
    let e = Errno::from_raw(errno);
    let specific = match (op, e) {
        (KernelOp::AddService, Errno::EEXIST) => Some("Service already exists"),
        (KernelOp::AddService | KernelOp::EditService, Errno::ENOENT) => {
            Some("Scheduler or persistence engine not found")
        }
        (
            KernelOp::EditService | KernelOp::DeleteService | KernelOp::ZeroService | KernelOp::Get,
            Errno::ESRCH,
        ) => Some("No such service"),
        (KernelOp::AddDest | KernelOp::EditDest | KernelOp::DeleteDest, Errno::ESRCH) => {
            Some("Service not defined")
        }
        (KernelOp::AddDest, Errno::EEXIST) => Some("Destination already exists"),
        (KernelOp::EditDest | KernelOp::DeleteDest, Errno::ENOENT) => Some("No such destination"),
        (KernelOp::StartDaemon, Errno::EEXIST) => Some("Daemon has already run"),
        (KernelOp::StopDaemon, Errno::ESRCH) => Some("No daemon is running"),
        _ => None,
    };
    let generic = match e {
        Errno::EPERM => Some("Permission denied (you must be root)"),
        Errno::EINVAL => {
            Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
        }
        Errno::ENOPROTOOPT => Some("Protocol not available"),
        Errno::ENOMEM => Some("Memory allocation problem"),
        Errno::EOPNOTSUPP => Some("Operation not supported with IPv6"),
        Errno::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
        Errno::EMSGSIZE => Some("Module is wrong version"),
        _ => None,
    };
    specific
        .or(generic)
        .map_or_else(|| strerror(errno), str::to_string)
}

/// glibc's `strerror` text, which libipvs falls back to. nix's own table
/// words some errors differently ("Math result not representable" for
/// ERANGE, where glibc says "Numerical result out of range").
fn strerror(errno: i32) -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: buf is writable for its whole length; the XSI strerror_r
    // (what the libc crate binds on glibc) NUL-terminates what it writes,
    // also for an unknown errno ("Unknown error N").
    unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    let bytes: Vec<u8> = buf.iter().map(|&c| c as u8).collect();
    CStr::from_bytes_until_nul(&bytes)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("Unknown error {errno}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_decides_the_wording() {
        assert_eq!(
            kernel_message(KernelOp::AddService, Errno::EEXIST as i32),
            "Service already exists"
        );
        assert_eq!(
            kernel_message(KernelOp::AddDest, Errno::EEXIST as i32),
            "Destination already exists"
        );
        assert_eq!(
            kernel_message(KernelOp::DeleteDest, Errno::ESRCH as i32),
            "Service not defined"
        );
        assert_eq!(
            kernel_message(KernelOp::DeleteService, Errno::ESRCH as i32),
            "No such service"
        );
    }

    #[test]
    fn unknown_errors_read_as_strerror() {
        assert_eq!(
            kernel_message(KernelOp::Other, Errno::EBUSY as i32),
            "Device or resource busy"
        );
        // glibc's text, seen from ipvsadm for -y above -x in the lab.
        assert_eq!(
            kernel_message(KernelOp::AddDest, Errno::ERANGE as i32),
            "Numerical result out of range"
        );
        assert_eq!(kernel_message(KernelOp::Other, 4242), "Unknown error 4242");
    }
}
