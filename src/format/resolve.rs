//! Names for addresses and ports, as ipvsadm shows them without `-n`.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::net::IpAddr;
use std::sync::Mutex;

use ipvs::Protocol;
use nix::libc;

/// Turns addresses and ports into names. `None` means "no name": the
/// caller prints the number, as ipvsadm does when a lookup fails.
pub trait Resolver {
    /// The host name of an address (ipvsadm: `gethostbyaddr`'s `h_name`).
    fn host_name(&self, addr: IpAddr) -> Option<String>;
    /// The service name of a port (ipvsadm: `getservbyport` with "tcp",
    /// "udp" or "sctp").
    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String>;
}

/// Never resolves: everything prints as numbers.
#[derive(Debug, Clone, Copy, Default)]
pub struct NumericResolver;

impl Resolver for NumericResolver {
    fn host_name(&self, _addr: IpAddr) -> Option<String> {
        None
    }
    fn service_name(&self, _port: u16, _protocol: Protocol) -> Option<String> {
        None
    }
}

/// The system's name service (/etc/hosts, DNS, /etc/services via NSS), as
/// ipvsadm asks it. Answers, including "no name", are cached for the life
/// of the resolver: a large table names the same real server many times and
/// each miss may be a DNS timeout. Names that are not UTF-8 are converted
/// lossily.
#[derive(Debug, Default)]
pub struct SystemResolver {
    hosts: Mutex<HashMap<IpAddr, Option<String>>>,
    services: Mutex<HashMap<(u16, Protocol), Option<String>>>,
}

impl SystemResolver {
    pub fn new() -> SystemResolver {
        SystemResolver::default()
    }
}

impl Resolver for SystemResolver {
    fn host_name(&self, addr: IpAddr) -> Option<String> {
        let mut cache = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(addr)
            .or_insert_with(|| sys::host_name(addr))
            .clone()
    }

    fn service_name(&self, port: u16, protocol: Protocol) -> Option<String> {
        let mut cache = self.services.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((port, protocol))
            .or_insert_with(|| sys::service_name(port, protocol))
            .clone()
    }
}

fn owned(name: &CStr) -> String {
    name.to_string_lossy().into_owned()
}

/// The C library calls. All the `unsafe` of name resolution is here.
mod sys {
    use super::*;

    /// The host name of `addr`, through `getnameinfo(NI_NAMEREQD)`: glibc
    /// answers it with the same `gethostbyaddr_r` lookup ipvsadm's
    /// `gethostbyaddr` makes, and returns the same `h_name`, but is
    /// reentrant. No scope id is set, so nothing is appended to the name.
    pub(super) fn host_name(addr: IpAddr) -> Option<String> {
        let mut host = [0 as c_char; libc::NI_MAXHOST as usize];
        let rc = match addr {
            IpAddr::V4(a) => {
                let sa = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: 0,
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sa is a valid sockaddr_in of the length given;
                // host is writable for its length; no service buffer.
                unsafe {
                    libc::getnameinfo(
                        (&sa as *const libc::sockaddr_in).cast(),
                        std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                        host.as_mut_ptr(),
                        host.len() as libc::socklen_t,
                        std::ptr::null_mut(),
                        0,
                        libc::NI_NAMEREQD,
                    )
                }
            }
            IpAddr::V6(a) => {
                let sa = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: 0,
                    sin6_flowinfo: 0,
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.octets(),
                    },
                    sin6_scope_id: 0,
                };
                // SAFETY: as above, for a sockaddr_in6.
                unsafe {
                    libc::getnameinfo(
                        (&sa as *const libc::sockaddr_in6).cast(),
                        std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                        host.as_mut_ptr(),
                        host.len() as libc::socklen_t,
                        std::ptr::null_mut(),
                        0,
                        libc::NI_NAMEREQD,
                    )
                }
            }
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: on success getnameinfo wrote a NUL-terminated string
        // into host (and the buffer ends with the zero it was filled with).
        Some(owned(unsafe { CStr::from_ptr(host.as_ptr()) }))
    }

    /// `getservbyport` returns a pointer into static storage, so calls are
    /// serialised and the name copied before the lock is released.
    static SERVICES_LOCK: Mutex<()> = Mutex::new(());

    /// The service name of `port`, exactly ipvsadm's
    /// `getservbyport(htons(port), "tcp"|"udp"|"sctp")`.
    pub(super) fn service_name(port: u16, protocol: Protocol) -> Option<String> {
        let proto: &CStr = match protocol {
            Protocol::Tcp => c"tcp",
            Protocol::Udp => c"udp",
            Protocol::Sctp => c"sctp",
        };
        let _guard = SERVICES_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: proto is NUL-terminated; the returned entry (static
        // storage) is read before anything else can call getservbyport
        // through this lock, and only when non-null.
        unsafe {
            let ent = libc::getservbyport(c_int::from(port.to_be()), proto.as_ptr());
            if ent.is_null() || (*ent).s_name.is_null() {
                return None;
            }
            Some(owned(CStr::from_ptr((*ent).s_name)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn numeric_resolver_never_names() {
        let r = NumericResolver;
        assert_eq!(r.host_name(IpAddr::V4(Ipv4Addr::LOCALHOST)), None);
        assert_eq!(r.service_name(80, Protocol::Tcp), None);
    }

    /// Whether /etc/services lists `name` for `port/proto`.
    fn listed(services: &str, name: &str, port_proto: &str) -> bool {
        services.lines().any(|l| {
            let mut f = l.split_whitespace();
            f.next() == Some(name) && f.next() == Some(port_proto)
        })
    }

    // These read the build machine's /etc/services and /etc/hosts, and
    // check only entries the files actually have.
    #[test]
    fn system_resolver_services() {
        let services = std::fs::read_to_string("/etc/services").unwrap_or_default();
        let r = SystemResolver::new();
        let cases = [
            ("http", "80/tcp", 80, Protocol::Tcp),
            ("domain", "53/udp", 53, Protocol::Udp),
            ("amqp", "5672/sctp", 5672, Protocol::Sctp),
        ];
        for (name, port_proto, port, proto) in cases {
            if listed(&services, name, port_proto) {
                assert_eq!(r.service_name(port, proto).as_deref(), Some(name));
                // the cached answer is the same
                assert_eq!(r.service_name(port, proto).as_deref(), Some(name));
            }
        }
        if !services
            .lines()
            .any(|l| l.contains("\t0/tcp") || l.contains(" 0/tcp"))
        {
            assert_eq!(r.service_name(0, Protocol::Tcp), None);
        }
    }

    #[test]
    fn system_resolver_hosts() {
        let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        let nss = std::fs::read_to_string("/etc/nsswitch.conf").unwrap_or_default();
        let files_first = nss
            .lines()
            .find(|l| l.starts_with("hosts:"))
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("files"));
        let r = SystemResolver::new();
        if files_first
            && hosts
                .lines()
                .any(|l| l.split_whitespace().next() == Some("127.0.0.1"))
        {
            assert!(r.host_name(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_some());
        }
    }
}
