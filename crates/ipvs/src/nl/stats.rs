//! The counters of a service or destination: the `STATS` nest (u32
//! counters but the two u64 byte counters) and the `STATS64` nest (every
//! counter a u64, since Linux 4.1).

use netlink_packet_core::{emit_u64, parse_u32, parse_u64, DefaultNla, Nla};

use super::read::{checked, Attrs};
use crate::error::Result;
use crate::types::Stats;

// IPVS_STATS_ATTR_*
const STATS_ATTR_CONNS: u16 = 1;
const STATS_ATTR_INBYTES: u16 = 4;
const STATS_ATTR_OUTBYTES: u16 = 5;
const STATS_ATTR_OUTBPS: u16 = 10;

/// One counter of a stats nest. Only replies carry them: this crate
/// emits them for its tests and its fake kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StatsAttr {
    /// `kind` is 1 (conns) ..= 10 (outbps), emitted as a u64.
    #[allow(dead_code)]
    Counter { kind: u16, value: u64 },
    #[allow(dead_code)] // only tests emit counters of other widths
    Other(DefaultNla),
}

impl Nla for StatsAttr {
    fn value_len(&self) -> usize {
        match self {
            StatsAttr::Counter { .. } => 8,
            StatsAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            StatsAttr::Counter { kind, .. } => *kind,
            StatsAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            // emit_u64 only fails on a buffer shorter than value_len().
            StatsAttr::Counter { value, .. } => emit_u64(buffer, *value).unwrap_or_default(),
            StatsAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

/// The counters of `stats` as a STATS64 nest.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn attrs(stats: &Stats) -> Vec<StatsAttr> {
    let mut copy = *stats;
    (STATS_ATTR_CONNS..=STATS_ATTR_OUTBPS)
        .map(|kind| StatsAttr::Counter {
            kind,
            value: *slot(&mut copy, kind),
        })
        .collect()
}

/// Reads a STATS (`wide` false) or STATS64 nest; kinds beyond the ten
/// counters are skipped, counters absent stay 0.
pub(crate) fn read(payload: &[u8], wide: bool) -> Result<Stats> {
    let mut stats = Stats::default();
    for attr in Attrs(payload) {
        let (kind, value) = attr?;
        if !(STATS_ATTR_CONNS..=STATS_ATTR_OUTBPS).contains(&kind) {
            continue;
        }
        let wide = wide || kind == STATS_ATTR_INBYTES || kind == STATS_ATTR_OUTBYTES;
        *slot(&mut stats, kind) = if wide {
            checked(parse_u64(value))?
        } else {
            u64::from(checked(parse_u32(value))?)
        };
    }
    Ok(stats)
}

/// The 64-bit counters if the kernel sent them, else the 32-bit ones
/// (kernels before 4.1), else zeros.
pub(crate) fn pick(stats64: Option<Stats>, stats32: Option<Stats>) -> Stats {
    stats64.or(stats32).unwrap_or_default()
}

/// The field of counter `kind` (1 ..= 10; the callers hand out no other).
fn slot(stats: &mut Stats, kind: u16) -> &mut u64 {
    match kind {
        1 => &mut stats.conns,
        2 => &mut stats.inpkts,
        3 => &mut stats.outpkts,
        4 => &mut stats.inbytes,
        5 => &mut stats.outbytes,
        6 => &mut stats.cps,
        7 => &mut stats.inpps,
        8 => &mut stats.outpps,
        9 => &mut stats.inbps,
        _ => &mut stats.outbps,
    }
}
