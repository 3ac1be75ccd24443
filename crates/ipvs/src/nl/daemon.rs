//! A connection-sync daemon: the `IPVS_CMD_ATTR_DAEMON` nest.

use std::net::IpAddr;

use netlink_packet_core::{
    emit_u16, emit_u32, parse_string, parse_u16, parse_u32, parse_u8, DefaultNla, Nla,
};

use super::read::{checked, emit_string, find_nest, malformed, string_len, Attrs, CMD_ATTR_DAEMON};
use crate::error::Result;
use crate::types::{Daemon, DaemonState};

// IPVS_DAEMON_ATTR_*
const DAEMON_ATTR_STATE: u16 = 1;
const DAEMON_ATTR_MCAST_IFN: u16 = 2;
const DAEMON_ATTR_SYNC_ID: u16 = 3;
const DAEMON_ATTR_SYNC_MAXLEN: u16 = 4;
const DAEMON_ATTR_MCAST_GROUP: u16 = 5;
const DAEMON_ATTR_MCAST_GROUP6: u16 = 6;
const DAEMON_ATTR_MCAST_PORT: u16 = 7;
const DAEMON_ATTR_MCAST_TTL: u16 = 8;

/// An attribute of the daemon nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DaemonAttr {
    State(u32),
    McastIfn(String),
    SyncId(u32),
    SyncMaxlen(u16),
    /// IPv4 group, as the 4 bytes of the address.
    McastGroup([u8; 4]),
    McastGroup6([u8; 16]),
    McastPort(u16),
    McastTtl(u8),
    #[allow(dead_code)] // the tests' attributes of kinds to come
    Other(DefaultNla),
}

impl Nla for DaemonAttr {
    fn value_len(&self) -> usize {
        match self {
            DaemonAttr::State(_) | DaemonAttr::SyncId(_) | DaemonAttr::McastGroup(_) => 4,
            DaemonAttr::McastIfn(s) => string_len(s),
            DaemonAttr::SyncMaxlen(_) | DaemonAttr::McastPort(_) => 2,
            DaemonAttr::McastGroup6(_) => 16,
            DaemonAttr::McastTtl(_) => 1,
            DaemonAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            DaemonAttr::State(_) => DAEMON_ATTR_STATE,
            DaemonAttr::McastIfn(_) => DAEMON_ATTR_MCAST_IFN,
            DaemonAttr::SyncId(_) => DAEMON_ATTR_SYNC_ID,
            DaemonAttr::SyncMaxlen(_) => DAEMON_ATTR_SYNC_MAXLEN,
            DaemonAttr::McastGroup(_) => DAEMON_ATTR_MCAST_GROUP,
            DaemonAttr::McastGroup6(_) => DAEMON_ATTR_MCAST_GROUP6,
            DaemonAttr::McastPort(_) => DAEMON_ATTR_MCAST_PORT,
            DaemonAttr::McastTtl(_) => DAEMON_ATTR_MCAST_TTL,
            DaemonAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        // The emit_* helpers only fail on a buffer shorter than value_len().
        match self {
            DaemonAttr::State(v) | DaemonAttr::SyncId(v) => {
                emit_u32(buffer, *v).unwrap_or_default()
            }
            DaemonAttr::McastIfn(s) => emit_string(buffer, s),
            // The kernel reads the port with nla_get_u16 and converts it
            // with htons itself (ip_vs_genl_new_daemon): host order here,
            // as libipvs sends it (netns-tests/tests/23-daemon.sh starts
            // daemons with either tool, lists them with both, and sees the
            // backup bound to the port given).
            DaemonAttr::SyncMaxlen(v) | DaemonAttr::McastPort(v) => {
                emit_u16(buffer, *v).unwrap_or_default()
            }
            DaemonAttr::McastGroup(a) => buffer[..4].copy_from_slice(a),
            DaemonAttr::McastGroup6(a) => buffer[..16].copy_from_slice(a),
            DaemonAttr::McastTtl(v) => buffer[0] = *v,
            DaemonAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

/// The attributes of a daemon, for NEW_DAEMON and DEL_DAEMON.
pub(crate) fn attrs(daemon: &Daemon) -> Vec<DaemonAttr> {
    let mut attrs = vec![
        DaemonAttr::State(daemon.state.code()),
        DaemonAttr::McastIfn(daemon.mcast_ifn.clone()),
        DaemonAttr::SyncId(daemon.syncid),
    ];
    attrs.extend(daemon.sync_maxlen.map(DaemonAttr::SyncMaxlen));
    attrs.extend(daemon.mcast_port.map(DaemonAttr::McastPort));
    attrs.extend(daemon.mcast_ttl.map(DaemonAttr::McastTtl));
    match daemon.mcast_group {
        Some(IpAddr::V4(g)) => attrs.push(DaemonAttr::McastGroup(g.octets())),
        Some(IpAddr::V6(g)) => attrs.push(DaemonAttr::McastGroup6(g.octets())),
        None => {}
    }
    attrs
}

/// The daemon of a GET_DAEMON reply's attributes (`None` if it carries
/// none).
pub(crate) fn read(attrs: &[u8]) -> Result<Option<Daemon>> {
    find_nest(attrs, CMD_ATTR_DAEMON)?
        .map(read_nest)
        .transpose()
}

fn read_nest(nest: &[u8]) -> Result<Daemon> {
    let (mut state, mut ifn, mut syncid) = (None, None, None);
    let mut daemon = Daemon {
        state: DaemonState::Master,
        mcast_ifn: String::new(),
        syncid: 0,
        sync_maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    for attr in Attrs(nest) {
        let (kind, value) = attr?;
        match kind {
            DAEMON_ATTR_STATE => state = Some(checked(parse_u32(value))?),
            DAEMON_ATTR_MCAST_IFN => ifn = Some(checked(parse_string(value))?),
            DAEMON_ATTR_SYNC_ID => syncid = Some(checked(parse_u32(value))?),
            DAEMON_ATTR_SYNC_MAXLEN => daemon.sync_maxlen = Some(checked(parse_u16(value))?),
            DAEMON_ATTR_MCAST_GROUP => {
                let group: [u8; 4] = value
                    .try_into()
                    .map_err(|_| malformed("IPv4 multicast group is not 4 bytes"))?;
                daemon.mcast_group = Some(IpAddr::from(group));
            }
            DAEMON_ATTR_MCAST_GROUP6 => {
                let group: [u8; 16] = value
                    .try_into()
                    .map_err(|_| malformed("IPv6 multicast group is not 16 bytes"))?;
                daemon.mcast_group = Some(IpAddr::from(group));
            }
            DAEMON_ATTR_MCAST_PORT => daemon.mcast_port = Some(checked(parse_u16(value))?),
            DAEMON_ATTR_MCAST_TTL => daemon.mcast_ttl = Some(checked(parse_u8(value))?),
            _ => {}
        }
    }
    // libipvs requires these three; so do we.
    daemon.state = state
        .and_then(DaemonState::from_code)
        .ok_or_else(|| malformed("daemon without a known state"))?;
    daemon.mcast_ifn = ifn.ok_or_else(|| malformed("daemon without an interface"))?;
    daemon.syncid = syncid.ok_or_else(|| malformed("daemon without a sync id"))?;
    Ok(daemon)
}
