//! The kernel's connection table as text: `/proc/net/ip_vs_conn`.
//!
//! IPVS lists its connections only through procfs, not netlink. The file is
//! a title line followed by one line per connection (the kernel's
//! `ip_vs_conn_seq_show`):
//!
//! ```text
//! Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
//! TCP C0A80001 9C40 C0A838C8 0050 C0A8BC6B 0050 ESTABLISHED     899
//! TCP 2001:0db8:0000:0000:0000:0000:0000:0001 9C40 2001:0db8:...:0080 0050 ...
//! ```
//!
//! IPv4 addresses are 8 hex digits (host order of the address's value),
//! IPv6 addresses the kernel's `%pI6` (eight 4-digit groups), ports 4 hex
//! digits, the expiry decimal seconds. The client and virtual address share
//! the connection's family; the destination may differ (tunnels across
//! families). A connection with persistence-engine data ends with the engine
//! name and its data (`sip <call-id>`).
//!
//! Tokens are split on blanks and anything after the eleventh is ignored
//! (as the kernel's own tools read them); a malformed line is an error.

use std::fmt;
use std::io::{self, BufRead};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::types::Protocol;

/// The connection table of the calling thread's network namespace.
pub const CONN_PROC_FILE: &str = "/proc/net/ip_vs_conn";

/// One connection (or persistence template) of the kernel's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnEntry {
    /// Protocol as the kernel names it: "TCP", "UDP", "SCTP", and for
    /// persistence templates or other protocols whatever it prints ("IP").
    pub protocol: String,
    /// The client's address.
    pub client_addr: IpAddr,
    /// The client's port.
    pub client_port: u16,
    /// The virtual service's address.
    pub virtual_addr: IpAddr,
    /// The virtual service's port.
    pub virtual_port: u16,
    /// The real server's address.
    pub dest_addr: IpAddr,
    /// The real server's port.
    pub dest_port: u16,
    /// Connection state name ("ESTABLISHED", "SYN_RECV", "UDP", "NONE", ...).
    pub state: String,
    /// Seconds until the entry expires.
    pub expires: u32,
    /// Persistence engine name, when the entry carries engine data.
    pub pe_name: Option<String>,
    /// The engine's data (its first blank-separated word).
    pub pe_data: Option<String>,
}

impl ConnEntry {
    /// The protocol as a typed value, when it is one IPVS services use
    /// (exact, case-sensitive names).
    pub fn protocol_kind(&self) -> Option<Protocol> {
        match self.protocol.as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

/// Why one line of the connection table could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLineError {
    /// The field that was missing or malformed.
    pub field: &'static str,
    /// The offending token ("" when the field is missing).
    pub token: String,
}

impl fmt::Display for ConnLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.token.is_empty() {
            write!(f, "missing {}", self.field)
        } else {
            write!(f, "bad {} {:?}", self.field, self.token)
        }
    }
}

impl std::error::Error for ConnLineError {}

/// Errors reading the connection table.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The input is empty: not even the title line ("unexpected
    /// input from /proc/net/ip_vs_conn").
    #[error("no title line")]
    MissingTitle,
    /// Line `line` (1-based, counting the title) is malformed.
    #[error("line {line}: {source}")]
    Line {
        /// The line number.
        line: usize,
        /// What is wrong with it.
        #[source]
        source: ConnLineError,
    },
}

fn bad(field: &'static str, token: &str) -> ConnLineError {
    ConnLineError {
        field,
        token: token.to_string(),
    }
}

/// An address: IPv6 text, dotted IPv4, else hex IPv4 (the kernel's).
fn parse_addr(field: &'static str, token: &str) -> Result<IpAddr, ConnLineError> {
    if let Ok(a) = Ipv6Addr::from_str(token) {
        return Ok(IpAddr::V6(a));
    }
    if let Ok(a) = Ipv4Addr::from_str(token) {
        return Ok(IpAddr::V4(a));
    }
    if (1..=8).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(v) = u32::from_str_radix(token, 16) {
            return Ok(IpAddr::V4(Ipv4Addr::from(v)));
        }
    }
    Err(bad(field, token))
}

fn parse_port(field: &'static str, token: &str) -> Result<u16, ConnLineError> {
    if (1..=4).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(v) = u16::from_str_radix(token, 16) {
            return Ok(v);
        }
    }
    Err(bad(field, token))
}

impl FromStr for ConnEntry {
    type Err = ConnLineError;

    /// Parses one connection line (without or with its line end).
    fn from_str(line: &str) -> Result<ConnEntry, ConnLineError> {
        let mut tokens = line.split_ascii_whitespace();
        let mut next = |field: &'static str| tokens.next().ok_or_else(|| bad(field, ""));

        let protocol = next("protocol")?.to_string();
        let client_addr = parse_addr("client address", next("client address")?)?;
        let client_port = parse_port("client port", next("client port")?)?;
        let virtual_token = next("virtual address")?;
        let virtual_addr = parse_addr("virtual address", virtual_token)?;
        if virtual_addr.is_ipv4() != client_addr.is_ipv4() {
            return Err(bad("virtual address", virtual_token));
        }
        let virtual_port = parse_port("virtual port", next("virtual port")?)?;
        let dest_addr = parse_addr("destination address", next("destination address")?)?;
        let dest_port = parse_port("destination port", next("destination port")?)?;
        let state = next("state")?.to_string();
        let expires_token = next("expiry")?;
        let expires = expires_token
            .parse::<u32>()
            .map_err(|_| bad("expiry", expires_token))?;
        let pe_name = tokens.next().map(str::to_string);
        let pe_data = tokens.next().map(str::to_string);
        Ok(ConnEntry {
            protocol,
            client_addr,
            client_port,
            virtual_addr,
            virtual_port,
            dest_addr,
            dest_port,
            state,
            expires,
            pe_name,
            pe_data,
        })
    }
}

/// Streams the entries of a connection table, one line at a time.
///
/// [`ConnReader::new`] consumes the title line; iterating yields one
/// `Result` per following line, so a caller can stop at the first error or
/// skip bad lines. Nothing is buffered beyond the current line.
pub struct ConnReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: usize,
}

impl<R: BufRead> ConnReader<R> {
    /// Reads (and discards) the title line. An empty input is
    /// [`ConnError::MissingTitle`].
    pub fn new(mut inner: R) -> Result<ConnReader<R>, ConnError> {
        let mut buf = Vec::new();
        if inner.read_until(b'\n', &mut buf)? == 0 {
            return Err(ConnError::MissingTitle);
        }
        Ok(ConnReader {
            inner,
            buf,
            line: 1,
        })
    }
}

impl<R: BufRead> Iterator for ConnReader<R> {
    type Item = Result<ConnEntry, ConnError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buf.clear();
        match self.inner.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Err(e) => Some(Err(ConnError::Io(e))),
            Ok(_) => {
                self.line += 1;
                let line = self.line;
                let parsed = match std::str::from_utf8(&self.buf) {
                    Ok(text) => text.parse::<ConnEntry>(),
                    Err(_) => Err(bad("line (not UTF-8)", &String::from_utf8_lossy(&self.buf))),
                };
                Some(parsed.map_err(|source| ConnError::Line { line, source }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The title and first line are real kernel output (a NAT director's
    // /proc/net/ip_vs_conn, quoted in a public LVS tutorial).
    const TITLE: &str =
        "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n";
    const V4: &str = "TCP 0A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT       116\n";

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn ipv4_line() {
        let e: ConnEntry = V4.parse().unwrap();
        assert_eq!(e.protocol, "TCP");
        assert_eq!(e.protocol_kind(), Some(Protocol::Tcp));
        assert_eq!(e.client_addr, v4(10, 0, 0, 104));
        assert_eq!(e.client_port, 0xB522);
        assert_eq!(e.virtual_addr, v4(10, 0, 0, 101));
        assert_eq!(e.virtual_port, 80);
        assert_eq!(e.dest_addr, v4(172, 168, 1, 103));
        assert_eq!(e.dest_port, 80);
        assert_eq!(e.state, "TIME_WAIT");
        assert_eq!(e.expires, 116);
        assert_eq!(e.pe_name, None);
        assert_eq!(e.pe_data, None);
    }

    // Built from the kernel's format "%-3s %pI6 %04X %pI6 %04X %s %04X %-11s
    // %7u%s\n" with pe_data " sip <callid>".
    #[test]
    fn ipv6_line_with_pe_data() {
        let line = "UDP 2001:0db8:0000:0000:0000:0000:0000:0001 13C4 \
                    2001:0db8:0000:0000:0000:0000:0000:0080 13C4 \
                    2001:0db8:0000:0000:0000:0000:0001:0001 13C4 UDP         \
                    298 sip a84b4c76e66710@pc33.example.com\n";
        let e: ConnEntry = line.parse().unwrap();
        assert_eq!(e.client_addr, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(e.virtual_addr, "2001:db8::80".parse::<IpAddr>().unwrap());
        assert_eq!(e.dest_addr, "2001:db8::1:1".parse::<IpAddr>().unwrap());
        assert_eq!(e.client_port, 5060);
        assert_eq!(e.state, "UDP");
        assert_eq!(e.expires, 298);
        assert_eq!(e.pe_name.as_deref(), Some("sip"));
        assert_eq!(
            e.pe_data.as_deref(),
            Some("a84b4c76e66710@pc33.example.com")
        );
        assert_eq!(e.protocol_kind(), Some(Protocol::Udp));
    }

    // An IPv4 connection to an IPv6 tunnel destination: the kernel prints
    // the destination with %pI6 (cp->daf) and the rest as hex.
    #[test]
    fn mixed_family_destination() {
        let line = "TCP C0000201 9C40 C6336401 0050 \
                    2001:0db8:0000:0000:0000:0000:0000:0002 0050 ESTABLISHED     899\n";
        let e: ConnEntry = line.parse().unwrap();
        assert_eq!(e.client_addr, v4(192, 0, 2, 1));
        assert_eq!(e.dest_addr, "2001:db8::2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn template_line() {
        let line = "IP  C0000201 0000 C6336401 0000 C6336402 0000 NONE            355\n";
        let e: ConnEntry = line.parse().unwrap();
        assert_eq!(e.protocol, "IP");
        assert_eq!(e.protocol_kind(), None);
    }

    #[test]
    fn malformed_lines_are_errors() {
        let bad_lines = [
            "",
            "\n",
            "   \n",
            "TCP",
            "TCP 0A000068",
            "TCP 0A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT\n",
            "TCP 0A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT -1\n",
            "TCP 0A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT 4294967296\n",
            "TCP 0A000068 B522 0A000065 10050 ACA80167 0050 TIME_WAIT 1\n",
            "TCP 0A000068 XYZ 0A000065 0050 ACA80167 0050 TIME_WAIT 1\n",
            "TCP 1A0A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT 1\n",
            "TCP zzzzzzzz B522 0A000065 0050 ACA80167 0050 TIME_WAIT 1\n",
            "TCP 0A000068 B522 2001:db8::1 0050 ACA80167 0050 TIME_WAIT 1\n",
            "TCP 2001:db8::1 B522 0A000065 0050 ACA80167 0050 TIME_WAIT 1\n",
            "TCP +A000068 B522 0A000065 0050 ACA80167 0050 TIME_WAIT 1\n",
        ];
        for line in bad_lines {
            assert!(line.parse::<ConnEntry>().is_err(), "accepted {line:?}");
        }
    }

    #[test]
    fn reader_streams_and_numbers_lines() {
        let text = format!("{TITLE}{V4}garbage\n{V4}");
        let mut r = ConnReader::new(text.as_bytes()).unwrap();
        assert!(r.next().unwrap().is_ok());
        match r.next().unwrap() {
            Err(ConnError::Line { line: 3, .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(r.next().unwrap().is_ok());
        assert!(r.next().is_none());
    }

    #[test]
    fn reader_empty_and_title_only() {
        assert!(matches!(
            ConnReader::new(&b""[..]),
            Err(ConnError::MissingTitle)
        ));
        let mut r = ConnReader::new(TITLE.as_bytes()).unwrap();
        assert!(r.next().is_none());
    }

    #[test]
    fn reader_line_without_newline_and_non_utf8() {
        let text = format!("{TITLE}{}", V4.trim_end());
        let r = ConnReader::new(text.as_bytes()).unwrap();
        assert_eq!(r.filter(Result::is_ok).count(), 1);
        let mut bytes = TITLE.as_bytes().to_vec();
        bytes.extend_from_slice(b"TCP \xff\xfe\n");
        let mut r = ConnReader::new(&bytes[..]).unwrap();
        assert!(r.next().unwrap().is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every line is some mix of the
        // tokens and bytes seen above.
        let pieces = [
            "TCP",
            " ",
            "0A000068",
            "B522",
            "::1",
            "2001:0db8::",
            "\t",
            "1",
            "99999999999",
            "\u{e9}",
            "ffff",
            "1.2.3.4",
            "sip",
            "\n",
            "-",
            "0x10",
        ];
        let mut seed: u32 = 12345;
        for _ in 0..5000 {
            let mut line = String::new();
            for _ in 0..(seed % 14) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                line.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
                line.push(' ');
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let _ = line.parse::<ConnEntry>();
        }
    }
}
