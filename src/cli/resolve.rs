//! Host and service name resolution, the only thing the parser asks of
//! the outside world. Behind a trait so that tests can fake it.

use std::ffi::CString;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use ipvs::Protocol;

/// Name lookups as ipvsadm does them.
pub trait NameResolver {
    /// `gethostbyname()`: the first IPv4 address of a host name, `None`
    /// if the name does not resolve or resolves to IPv6 only.
    fn host_to_ipv4(&self, name: &str) -> Option<Ipv4Addr>;

    /// `getservbyname(name, "tcp"|"udp"|"sctp")`: the port of a service
    /// name, host byte order.
    fn service_to_port(&self, name: &str, protocol: Protocol) -> Option<u16>;
}

/// Resolves nothing: every name is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResolver;

impl NameResolver for NoResolver {
    fn host_to_ipv4(&self, _name: &str) -> Option<Ipv4Addr> {
        None
    }

    fn service_to_port(&self, _name: &str, _protocol: Protocol) -> Option<u16> {
        None
    }
}

/// The C library's resolver (NSS: /etc/hosts, DNS, /etc/services, ...),
/// through the same calls ipvsadm makes.
#[derive(Debug, Clone, Copy, Default)]
pub struct NssResolver;

/// gethostbyname() and getservbyname() return static storage.
static NSS_LOCK: Mutex<()> = Mutex::new(());

extern "C" {
    // Not bound by the libc crate (obsolescent in POSIX, but it is what
    // ipvsadm calls, and it differs from getaddrinfo in ordering).
    fn gethostbyname(name: *const nix::libc::c_char) -> *mut nix::libc::hostent;
}

impl NameResolver for NssResolver {
    fn host_to_ipv4(&self, name: &str) -> Option<Ipv4Addr> {
        if name.is_empty() {
            return None;
        }
        let cname = CString::new(name).ok()?;
        let _guard = NSS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: cname is a valid C string; the result points to static
        // storage that stays valid until the next call, which the lock
        // excludes while we read it.
        unsafe {
            let h = gethostbyname(cname.as_ptr());
            if h.is_null() {
                return None;
            }
            let h = &*h;
            if h.h_addrtype != nix::libc::AF_INET || h.h_length != 4 || h.h_addr_list.is_null() {
                return None;
            }
            let first = *h.h_addr_list;
            if first.is_null() {
                return None;
            }
            let mut octets = [0u8; 4];
            std::ptr::copy_nonoverlapping(first as *const u8, octets.as_mut_ptr(), 4);
            Some(Ipv4Addr::from(octets))
        }
    }

    fn service_to_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        let cname = CString::new(name).ok()?;
        let proto: &[u8] = match protocol {
            Protocol::Tcp => b"tcp\0",
            Protocol::Udp => b"udp\0",
            Protocol::Sctp => b"sctp\0",
        };
        let _guard = NSS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: both arguments are NUL-terminated; the result is read
        // before the lock is released.
        unsafe {
            let s = nix::libc::getservbyname(cname.as_ptr(), proto.as_ptr().cast());
            if s.is_null() {
                return None;
            }
            // s_port holds the port in network byte order in an int.
            Some(u16::from_be((*s).s_port as u16))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fixed table: hosts `web` = 10.0.0.80, `db` = 10.0.0.5,
    /// `mask` = 255.255.0.0; services `http` (tcp, udp, sctp) = 80,
    /// `domain` (udp) = 53, `https` (tcp) = 443.
    #[derive(Debug, Default)]
    pub struct FakeResolver;

    impl NameResolver for FakeResolver {
        fn host_to_ipv4(&self, name: &str) -> Option<Ipv4Addr> {
            match name {
                "web" => Some(Ipv4Addr::new(10, 0, 0, 80)),
                "db" => Some(Ipv4Addr::new(10, 0, 0, 5)),
                "mask" => Some(Ipv4Addr::new(255, 255, 0, 0)),
                _ => None,
            }
        }

        fn service_to_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
            match (name, protocol) {
                ("http", _) => Some(80),
                ("domain", Protocol::Udp) => Some(53),
                ("https", Protocol::Tcp) => Some(443),
                _ => None,
            }
        }
    }

    #[test]
    fn cli_system_resolver_smoke() {
        let r = NssResolver;
        // Works without network: numeric names and an empty name.
        assert_eq!(r.host_to_ipv4(""), None);
        assert_eq!(r.host_to_ipv4("a\0b"), None);
        assert_eq!(r.host_to_ipv4("127.0.0.1"), Some(Ipv4Addr::LOCALHOST));
        // /etc/services may be missing in a minimal container.
        if std::path::Path::new("/etc/services").exists() {
            if let Some(p) = r.service_to_port("http", Protocol::Tcp) {
                assert_eq!(p, 80);
            }
        }
        assert_eq!(
            r.service_to_port("no-such-service-xyz", Protocol::Tcp),
            None
        );
    }
}
