//! ipvsadm 1.31's listing and save formats, byte for byte.
//!
//! Every function here is a pure function from the typed IPVS values to
//! text written into a [`std::io::Write`]; nothing talks to the kernel. The
//! authority for every width, cut and number format is ipvsadm's own
//! `printf` formats (quoted in the comments as "ipvsadm: ..."); rows keep
//! their trailing blanks, as ipvsadm's do.
//!
//! A listing is streamed by the caller:
//!
//! 1. [`write_version_header`] (not for a single service, not for `-S`),
//! 2. [`write_list_titles`],
//! 3. for each service (in [`sort_services`] order unless `--nosort`):
//!    [`write_service`] with its destinations, which it sorts itself
//!    according to [`ListOptions::sort`].
//!
//! `-S` is [`sort_services`] then [`write_save_service`] per service. The
//! connection listing is [`write_conn_titles`] then [`write_conn`] per
//! entry of [`ipvs::conn::ConnReader`]. Wrap stdout in a `BufWriter`: rows
//! are written in several small pieces.
//!
//! Names: unless `numeric`, addresses and ports are shown as host and
//! service names through a [`Resolver`] ([`SystemResolver`] does what
//! ipvsadm does), with ipvsadm's cuts: a rendered `host:port` never exceeds
//! 59 bytes, a listed IPv4 service column 33 and a listed IPv4 destination
//! 28; `-S` does not cut beyond the 59.
//!
//! [`json`] is rsvsadm's own `-L --json` format (pure functions too), and
//! [`write_metrics`] its Prometheus/OpenMetrics text (docs/metrics.md).

mod conn;
pub mod json;
mod list;
mod metrics;
mod misc;
mod resolve;
mod save;
mod sort;
mod text;

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;

pub use conn::{write_conn, write_conn_titles};
pub use list::{write_list_titles, write_service};
pub use metrics::{write_metrics, MetricsFormat};
pub use misc::{write_daemons, write_timeouts, write_version_header};
pub use resolve::{NumericResolver, Resolver, SystemResolver};
pub use save::{write_change, write_save_service};
pub use sort::{
    compare_destinations, compare_services, sort_destinations, sort_services, sort_table,
};
pub use text::inet_ntop;

/// Which listing `-L` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListKind {
    /// Forward, weight and connection counters.
    #[default]
    Default,
    /// `--stats`: traffic counters, K/M/G/T-scaled unless `--exact`.
    Stats,
    /// `--rate`: rate estimates.
    Rate,
    /// `--thresholds`: upper/lower connection thresholds.
    Thresholds,
    /// `--persistent-conn`: persistent connection counters (and, with `-c`,
    /// the persistence-engine columns).
    PersistentConn,
    /// `--tun-info`: the tunnel column.
    TunInfo,
}

impl ListKind {
    /// The listing ipvsadm prints when several of these options are given:
    /// its formats test them in the order stats, rate, thresholds,
    /// persistent-conn, tun-info, and the first one set wins.
    pub fn from_flags(
        stats: bool,
        rate: bool,
        thresholds: bool,
        persistent_conn: bool,
        tun_info: bool,
    ) -> ListKind {
        if stats {
            ListKind::Stats
        } else if rate {
            ListKind::Rate
        } else if thresholds {
            ListKind::Thresholds
        } else if persistent_conn {
            ListKind::PersistentConn
        } else if tun_info {
            ListKind::TunInfo
        } else {
            ListKind::Default
        }
    }
}

/// How to list (`-L` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOptions {
    /// `-n`: numeric addresses and ports; the resolver is never asked.
    pub numeric: bool,
    pub kind: ListKind,
    /// `--exact`: full numbers in `--stats`/`--rate`.
    pub exact: bool,
    /// Sort destinations (and, by the caller, services); `--nosort` clears
    /// it to keep the kernel's order.
    pub sort: bool,
}

impl Default for ListOptions {
    /// What ipvsadm does with no options: names, default listing, sorted.
    fn default() -> ListOptions {
        ListOptions {
            numeric: false,
            kind: ListKind::Default,
            exact: false,
            sort: true,
        }
    }
}
