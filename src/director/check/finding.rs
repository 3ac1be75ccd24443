//! What `check` reports ([`Finding`]), and how it names services and
//! real servers in its reports.

use std::fmt;
use std::net::IpAddr;

use ipvs::{Destination, ServiceKey, VirtualService};

use crate::director::model::ServiceEndpoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// What the finding is about ("TCP 203.0.113.10:80 -> 198.51.100.11:80").
    pub subject: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: {}: {}\n  fix: {}",
            self.subject, self.problem, self.fix
        )
    }
}

pub fn service_name(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => ServiceEndpoint {
            protocol: *protocol,
            addr: *addr,
            port: *port,
        }
        .to_string(),
        ServiceKey::Fwmark { mark, .. } => format!("FWM {mark}"),
    }
}

pub fn endpoint(addr: &IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

pub fn dest_name(svc: &VirtualService, d: &Destination) -> String {
    format!(
        "{} -> {}",
        service_name(&svc.service.key),
        endpoint(&d.addr, d.port)
    )
}
