//! Kernel parameters under /proc/sys, addressed by path components.
//!
//! A sysctl is kept as its list of path components, never as a dotted
//! string: an interface name may itself contain dots (`eth0.100`), and in
//! /proc/sys that dot stays a dot (`net/ipv4/conf/eth0.100/rp_filter`).
//! Only for display is it turned into sysctl(8)'s dotted notation, where
//! sysctl(8) swaps '.' and '/' inside a component, so the name we print
//! (`net.ipv4.conf.eth0/100.rp_filter`) can be pasted into `sysctl -w`.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::director::error::{Error, Result};
use crate::director::model::IfName;

/// Where the kernel exposes its parameters.
pub const PROC_SYS: &str = "/proc/sys";

/// The interface part of `net.ipv4.conf.<dev>.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfDev<'a> {
    /// Combined with every interface's own value by the kernel.
    All,
    /// Copied to interfaces created later.
    Default,
    Dev(&'a IfName),
}

impl ConfDev<'_> {
    fn component(&self) -> &str {
        match self {
            ConfDev::All => "all",
            ConfDev::Default => "default",
            ConfDev::Dev(name) => name.as_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sysctl {
    parts: Vec<String>,
}

impl Sysctl {
    fn new(parts: &[&str]) -> Sysctl {
        Sysctl {
            parts: parts.iter().map(|p| p.to_string()).collect(),
        }
    }

    pub fn ip_forward() -> Sysctl {
        Sysctl::new(&["net", "ipv4", "ip_forward"])
    }

    pub fn ipv6_forwarding() -> Sysctl {
        Sysctl::new(&["net", "ipv6", "conf", "all", "forwarding"])
    }

    /// `net.ipv4.vs.conntrack`: keep conntrack entries for IPVS
    /// connections, which netfilter NAT needs to see them at all.
    pub fn vs_conntrack() -> Sysctl {
        Sysctl::new(&["net", "ipv4", "vs", "conntrack"])
    }

    /// Any `net.ipv4.vs.KEY` (the connection-sync parameters).
    pub fn ipvs(key: &str) -> Sysctl {
        Sysctl::new(&["net", "ipv4", "vs", key])
    }

    pub fn ipv4_conf(dev: ConfDev<'_>, key: &str) -> Sysctl {
        Sysctl::new(&["net", "ipv4", "conf", dev.component(), key])
    }

    pub fn path(&self, root: &Path) -> PathBuf {
        let mut path = root.to_path_buf();
        path.extend(&self.parts);
        path
    }

    /// The name as sysctl(8) spells it.
    pub fn name(&self) -> String {
        let parts: Vec<String> = self.parts.iter().map(|p| p.replace('.', "/")).collect();
        parts.join(".")
    }

    /// The value, trimmed; `None` if the parameter does not exist (an
    /// interface that went away, IPVS not loaded).
    pub fn read(&self, root: &Path) -> Result<Option<String>> {
        let path = self.path(root);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_string())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    pub fn write(&self, root: &Path, value: &str) -> Result<()> {
        let path = self.path(root);
        fs::write(&path, format!("{value}\n")).map_err(|e| Error::io(path, e))
    }
}

/// One parameter and the value a setup command wants it to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlWant {
    pub sysctl: Sysctl,
    pub value: &'static str,
    /// Only ever raise the value to `value`, never lower it (rp_filter:
    /// 1 strict must become 2 loose, 0 off stays 0).
    pub only_if: Option<&'static str>,
}

impl SysctlWant {
    pub fn set(sysctl: Sysctl, value: &'static str) -> SysctlWant {
        SysctlWant {
            sysctl,
            value,
            only_if: None,
        }
    }

    /// Writes `value` only when the current value is `current`.
    pub fn replace(sysctl: Sysctl, current: &'static str, value: &'static str) -> SysctlWant {
        SysctlWant {
            sysctl,
            value,
            only_if: Some(current),
        }
    }

    /// Whether a parameter whose value is `current` must be written.
    pub fn needs_write(&self, current: &str) -> bool {
        current != self.value
            && match self.only_if {
                None => true,
                Some(v) => v == current,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_names_keep_their_dot_in_the_path_and_swap_it_in_the_name() {
        let dev: IfName = "eth0.100".parse().unwrap();
        let s = Sysctl::ipv4_conf(ConfDev::Dev(&dev), "send_redirects");
        assert_eq!(
            s.path(Path::new("/proc/sys")),
            PathBuf::from("/proc/sys/net/ipv4/conf/eth0.100/send_redirects")
        );
        assert_eq!(s.name(), "net.ipv4.conf.eth0/100.send_redirects");
        assert_eq!(
            Sysctl::ipv4_conf(ConfDev::All, "arp_ignore").name(),
            "net.ipv4.conf.all.arp_ignore"
        );
        assert_eq!(Sysctl::ip_forward().name(), "net.ipv4.ip_forward");
        assert_eq!(Sysctl::vs_conntrack().name(), "net.ipv4.vs.conntrack");
    }

    #[test]
    fn read_and_write_under_a_root() {
        let dir = std::env::temp_dir().join(format!("rsvsadm-sysctl-{}", std::process::id()));
        let s = Sysctl::ip_forward();
        let path = s.path(&dir);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        assert_eq!(s.read(&dir).unwrap(), None);
        fs::write(&path, "0\n").unwrap();
        assert_eq!(s.read(&dir).unwrap().as_deref(), Some("0"));
        s.write(&dir, "1").unwrap();
        assert_eq!(s.read(&dir).unwrap().as_deref(), Some("1"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn conditional_writes() {
        let rp = Sysctl::ipv4_conf(ConfDev::All, "rp_filter");
        let w = SysctlWant::replace(rp.clone(), "1", "2");
        assert!(w.needs_write("1"));
        assert!(!w.needs_write("0"));
        assert!(!w.needs_write("2"));
        let w = SysctlWant::set(rp, "0");
        assert!(w.needs_write("1"));
        assert!(!w.needs_write("0"));
    }
}
