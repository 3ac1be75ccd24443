//! Interfaces, addresses and routes, read with `ip -j` and changed with
//! iproute2 commands whose arguments are validated values.
//!
//! How rsvsadm recognises what it added, from the kernel's own objects
//! (which live and die with their network namespace, unlike a file):
//! - interfaces it creates are named with the `rsvs-` prefix;
//! - IPv4 addresses it puts on `lo` carry the label `lo:rsvs`;
//! - IPv6 addresses can't have a label: those it puts on `lo` carry the
//!   metric [`ADDR_METRIC`] (IFA_RT_PRIORITY, Linux 4.18+), with
//!   `noprefixroute` so the metric makes no route.
//!
//! An address that was already there (put there by hand) is never marked,
//! so it is never removed.

use std::net::IpAddr;

use serde_json::Value;

use super::exec;
use crate::director::error::{Error, Result};

/// Prefix of every interface rsvsadm creates.
pub const LINK_PREFIX: &str = "rsvs-";
/// The decapsulating tunnel for IPv4 VIPs of a TUN real server.
pub const TUN4: &str = "rsvs-tun";
/// The decapsulating tunnel for IPv6 VIPs of a TUN real server.
pub const TUN6: &str = "rsvs-tun6";
/// Label of the IPv4 VIPs rsvsadm puts on `lo` (an address label must
/// start with the interface name).
pub const LO_LABEL: &str = "lo:rsvs";
/// Metric of the IPv6 VIPs rsvsadm puts on `lo`: "rsvs" in ASCII.
pub const ADDR_METRIC: u64 = 0x7273_7673;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    /// `linkinfo.info_kind` ("ipip", "ip6tnl", "vlan"...); None for
    /// physical devices and lo.
    pub kind: Option<String>,
    pub up: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub dev: String,
    pub addr: IpAddr,
    pub prefix: u8,
    pub label: Option<String>,
    pub metric: Option<u64>,
}

impl Address {
    /// Whether rsvsadm put this address on `lo` (see the module comment).
    pub fn is_ours_on_lo(&self) -> bool {
        self.dev == "lo"
            && (self.label.as_deref() == Some(LO_LABEL) || self.metric == Some(ADDR_METRIC))
    }
}

/// What `ip route get` says about a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteGet {
    Route {
        /// "unicast", "local", "blackhole", ... (`ip` omits "unicast").
        kind: String,
        dev: Option<String>,
        gateway: Option<IpAddr>,
        prefsrc: Option<IpAddr>,
    },
    /// No route: the tool's message ("Network is unreachable").
    Unreachable(String),
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn ip_field(v: &Value, key: &str) -> Option<IpAddr> {
    str_field(v, key).and_then(|s| s.parse().ok())
}

fn unexpected(what: &str) -> Error {
    Error::Unexpected(format!("unexpected output of `ip -j {what}`"))
}

/// `ip -j -d link show`.
pub fn parse_links(v: &Value) -> Result<Vec<Link>> {
    let items = v.as_array().ok_or_else(|| unexpected("link show"))?;
    Ok(items
        .iter()
        .filter_map(|item| {
            let name = str_field(item, "ifname")?.to_string();
            let kind = item
                .get("linkinfo")
                .and_then(|li| str_field(li, "info_kind"))
                .map(String::from);
            let up = item
                .get("flags")
                .and_then(Value::as_array)
                .is_some_and(|f| f.iter().any(|x| x == "UP"));
            Some(Link { name, kind, up })
        })
        .collect())
}

/// `ip -j addr show`.
pub fn parse_addresses(v: &Value) -> Result<Vec<Address>> {
    let items = v.as_array().ok_or_else(|| unexpected("addr show"))?;
    let mut out = Vec::new();
    for item in items {
        let Some(dev) = str_field(item, "ifname") else {
            continue;
        };
        let infos = item.get("addr_info").and_then(Value::as_array);
        for info in infos.into_iter().flatten() {
            let (Some(addr), Some(prefix)) = (
                ip_field(info, "local"),
                info.get("prefixlen").and_then(Value::as_u64),
            ) else {
                continue;
            };
            out.push(Address {
                dev: dev.to_string(),
                addr,
                prefix: u8::try_from(prefix).map_err(|_| unexpected("addr show"))?,
                label: str_field(info, "label").map(String::from),
                metric: info.get("metric").and_then(Value::as_u64),
            });
        }
    }
    Ok(out)
}

/// `ip -j route get ADDR` (its first route).
pub fn parse_route(v: &Value) -> Result<RouteGet> {
    let r = v
        .as_array()
        .and_then(|a| a.first())
        .ok_or_else(|| unexpected("route get"))?;
    Ok(RouteGet::Route {
        kind: str_field(r, "type").unwrap_or("unicast").to_string(),
        dev: str_field(r, "dev").map(String::from),
        gateway: ip_field(r, "gateway"),
        prefsrc: ip_field(r, "prefsrc"),
    })
}

fn host_prefix(addr: &IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

/// `ADDR/32` or `ADDR/128`.
pub fn host_cidr(addr: &IpAddr) -> String {
    format!("{addr}/{}", host_prefix(addr))
}

// ---------------------------------------------------------------- effects

fn ip_json(args: &[&str]) -> Result<Value> {
    let text = exec::run_ok("ip", args, None)?;
    serde_json::from_str(&text).map_err(|_| unexpected(&args.join(" ")))
}

pub fn links() -> Result<Vec<Link>> {
    parse_links(&ip_json(&["-j", "-d", "link", "show"])?)
}

pub fn addresses() -> Result<Vec<Address>> {
    parse_addresses(&ip_json(&["-j", "addr", "show"])?)
}

pub fn route_get(addr: &IpAddr) -> Result<RouteGet> {
    let a = addr.to_string();
    let out = exec::run("ip", &["-j", "route", "get", &a], None)?;
    if !out.success {
        let msg = out.stderr.trim();
        let msg = msg.strip_prefix("RTNETLINK answers: ").unwrap_or(msg);
        return Ok(RouteGet::Unreachable(msg.to_string()));
    }
    let v: Value = serde_json::from_str(&out.stdout).map_err(|_| unexpected("route get"))?;
    parse_route(&v)
}

/// Whether `name` is an existing interface.
pub fn link_exists(name: &str) -> bool {
    std::path::Path::new("/sys/class/net").join(name).exists()
}

/// Creates a decapsulating tunnel that accepts IP-in-IP from any director
/// (`external`: one per namespace, not bound to a local or remote address).
pub fn add_tunnel(name: &str, ipv6: bool) -> Result<()> {
    let kind = if ipv6 { "ip6tnl" } else { "ipip" };
    exec::run_ok("ip", &["link", "add", name, "type", kind, "external"], None).map(|_| ())
}

/// `ip link set NAME up` (`up`), or `down`.
pub fn set_state(name: &str, up: bool) -> Result<()> {
    let state = if up { "up" } else { "down" };
    exec::run_ok("ip", &["link", "set", "dev", name, state], None).map(|_| ())
}

pub fn delete_link(name: &str) -> Result<()> {
    exec::run_ok("ip", &["link", "del", "dev", name], None).map(|_| ())
}

/// How an added address is marked as rsvsadm's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// On an interface rsvsadm owns: the interface is the mark.
    None,
    Label(&'static str),
    Metric,
}

pub fn add_address(dev: &str, addr: &IpAddr, mark: Mark) -> Result<()> {
    let cidr = host_cidr(addr);
    let metric = ADDR_METRIC.to_string();
    let mut args = vec!["addr", "add", cidr.as_str(), "dev", dev];
    match mark {
        Mark::None => {}
        Mark::Label(label) => args.extend(["label", label]),
        Mark::Metric => args.extend(["metric", metric.as_str(), "noprefixroute"]),
    }
    exec::run_ok("ip", &args, None).map(|_| ())
}

pub fn del_address(dev: &str, addr: &IpAddr, prefix: u8) -> Result<()> {
    let cidr = format!("{addr}/{prefix}");
    exec::run_ok("ip", &["addr", "del", cidr.as_str(), "dev", dev], None).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_and_kinds() {
        let v = json!([
            {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"]},
            {"ifindex": 5, "ifname": "rsvs-tun", "flags": ["NOARP"],
             "linkinfo": {"info_kind": "ipip", "info_data": {"external": true}}},
        ]);
        let links = parse_links(&v).unwrap();
        assert_eq!(
            links,
            vec![
                Link {
                    name: "lo".into(),
                    kind: None,
                    up: true
                },
                Link {
                    name: "rsvs-tun".into(),
                    kind: Some("ipip".into()),
                    up: false
                },
            ]
        );
        assert!(parse_links(&json!({})).is_err());
    }

    #[test]
    fn addresses_with_labels() {
        // Shape of iproute2 6.1's `ip -j addr show`.
        let v = json!([{"ifindex":1,"ifname":"lo","addr_info":[
            {"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"},
            {"family":"inet","local":"203.0.113.10","prefixlen":32,"scope":"global","label":"lo:rsvs"},
            {"family":"inet6","local":"::1","prefixlen":128,"scope":"host"},
            {"family":"inet6","local":"2001:db8::10","prefixlen":128,"metric":1920169587,
             "scope":"global","noprefixroute":true}]}]);
        let addrs = parse_addresses(&v).unwrap();
        assert_eq!(addrs.len(), 4);
        assert!(!addrs[0].is_ours_on_lo());
        assert!(addrs[1].is_ours_on_lo());
        assert!(!addrs[2].is_ours_on_lo());
        assert!(addrs[3].is_ours_on_lo());
        assert_eq!(addrs[1].label.as_deref(), Some(LO_LABEL));
        assert_eq!(addrs[1].addr, "203.0.113.10".parse::<IpAddr>().unwrap());
        assert_eq!(addrs[2].label, None);
        assert_eq!(addrs[2].prefix, 128);
    }

    #[test]
    fn routes() {
        let local =
            json!([{"type":"local","dst":"203.0.113.10","dev":"lo","prefsrc":"203.0.113.10"}]);
        assert_eq!(
            parse_route(&local).unwrap(),
            RouteGet::Route {
                kind: "local".into(),
                dev: Some("lo".into()),
                gateway: None,
                prefsrc: Some("203.0.113.10".parse().unwrap())
            }
        );
        let via = json!([{"dst":"198.51.100.7","gateway":"192.0.2.254","dev":"eth0","prefsrc":"192.0.2.1"}]);
        match parse_route(&via).unwrap() {
            RouteGet::Route { kind, gateway, .. } => {
                assert_eq!(kind, "unicast");
                assert_eq!(gateway, Some("192.0.2.254".parse().unwrap()));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_route(&json!([])).is_err());
    }

    #[test]
    fn host_cidrs() {
        assert_eq!(host_cidr(&"192.0.2.1".parse().unwrap()), "192.0.2.1/32");
        assert_eq!(
            host_cidr(&"2001:db8::1".parse().unwrap()),
            "2001:db8::1/128"
        );
    }
}
