//! The IPVS client: one socket, the family resolved once, typed calls.

use std::net::IpAddr;

use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;

use crate::attr::{CmdAttr, InfoAttr};
use crate::convert::*;
use crate::error::{Error, Result};
use crate::message::{Attrs, Cmd, IpvsMessage, FAMILY_NAME};
use crate::socket::{AckResult, Connection};
use crate::types::*;

/// How often a dump interrupted by concurrent changes is started again
/// before giving up.
const DUMP_RETRIES: usize = 8;

/// A change to the IPVS table, for [`Ipvs::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddService(Service),
    EditService(Service),
    DeleteService(ServiceKey),
    AddDest(ServiceKey, Destination),
    EditDest(ServiceKey, Destination),
    DeleteDest(ServiceKey, IpAddr, u16),
    Flush,
    Zero(Option<ServiceKey>),
    SetTimeouts(Timeouts),
    StartDaemon(Daemon),
    StopDaemon(Daemon),
}

/// A connection to the kernel's IPVS.
pub struct Ipvs {
    conn: Connection,
    family_id: u16,
}

type Msg = GenlMessage<IpvsMessage>;

impl Ipvs {
    /// Opens a netlink socket and resolves the "IPVS" family.
    /// [`Error::NoIpvs`] if the kernel has none.
    pub fn connect() -> Result<Ipvs> {
        let mut conn = Connection::open()?;
        let family_id = resolve_family(&mut conn)?;
        Ok(Ipvs { conn, family_id })
    }

    fn message(&self, cmd: Cmd, attrs: Vec<CmdAttr>) -> Msg {
        let mut msg = GenlMessage::from_payload(IpvsMessage::new(cmd, attrs, self.family_id));
        msg.finalize();
        msg
    }

    fn request(&mut self, cmd: Cmd, attrs: Vec<CmdAttr>) -> Result<Vec<IpvsMessage>> {
        let msg = self.message(cmd, attrs);
        let replies = self.conn.request(msg)?;
        Ok(replies.into_iter().map(|m| m.payload).collect())
    }

    /// A dump collected into a vector, started again if interrupted.
    fn dump<T>(
        &mut self,
        cmd: Cmd,
        attrs: Vec<CmdAttr>,
        parse: impl Fn(&IpvsMessage) -> Result<Option<T>>,
    ) -> Result<Vec<T>> {
        for _ in 0..DUMP_RETRIES {
            let mut items = Vec::new();
            let msg = self.message(cmd, attrs.clone());
            match self.conn.dump(msg, |reply: Msg| {
                items.extend(parse(&reply.payload)?);
                Ok(())
            }) {
                Ok(()) => return Ok(items),
                Err(Error::DumpInterrupted) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::DumpInterrupted)
    }

    /// IPVS version and connection table size.
    pub fn info(&mut self) -> Result<Info> {
        let replies = self.request(Cmd::GetInfo, vec![])?;
        let mut info = None;
        for reply in &replies {
            if let Attrs::Info(attrs) = &reply.attrs {
                let mut version = None;
                let mut size = None;
                for attr in attrs {
                    match attr {
                        InfoAttr::Version(v) => version = Some(*v),
                        InfoAttr::ConnTabSize(v) => size = Some(*v),
                        InfoAttr::Other(_) => {}
                    }
                }
                if let (Some(version), Some(conn_table_size)) = (version, size) {
                    info = Some(Info {
                        version,
                        conn_table_size,
                    });
                }
            }
        }
        info.ok_or_else(|| Error::Malformed("GET_INFO reply without version and size".into()))
    }

    /// Every virtual service, in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<Service>> {
        self.dump(Cmd::GetService, vec![], parse_service_reply)
    }

    /// One virtual service (`Error::Kernel(ESRCH)` if there is none).
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service> {
        let replies = self.request(
            Cmd::GetService,
            vec![CmdAttr::Service(service_key_attrs(key))],
        )?;
        for reply in &replies {
            if let Some(svc) = parse_service_reply(reply)? {
                return Ok(svc);
            }
        }
        Err(Error::Malformed(
            "GET_SERVICE reply without a service".into(),
        ))
    }

    /// The destinations of one service, in the kernel's order.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<Destination>> {
        let family = key.family();
        self.dump(
            Cmd::GetDest,
            vec![CmdAttr::Service(service_key_attrs(key))],
            move |reply| {
                find_nest(reply.cmd_attrs(), |a| match a {
                    CmdAttr::Dest(d) => Some(d),
                    _ => None,
                })
                .map(|attrs| dest_from(attrs, family))
                .transpose()
            },
        )
    }

    /// TCP, TCP FIN and UDP timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts> {
        let replies = self.request(Cmd::GetConfig, vec![])?;
        let mut t = Timeouts::default();
        for attr in replies.iter().flat_map(|r| r.cmd_attrs()) {
            match attr {
                CmdAttr::TimeoutTcp(v) => t.tcp = *v,
                CmdAttr::TimeoutTcpFin(v) => t.tcp_fin = *v,
                CmdAttr::TimeoutUdp(v) => t.udp = *v,
                _ => {}
            }
        }
        Ok(t)
    }

    /// The running sync daemons (master and/or backup).
    pub fn daemons(&mut self) -> Result<Vec<Daemon>> {
        self.dump(Cmd::GetDaemon, vec![], |reply| {
            find_nest(reply.cmd_attrs(), |a| match a {
                CmdAttr::Daemon(d) => Some(d),
                _ => None,
            })
            .map(daemon_from)
            .transpose()
        })
    }

    fn change_message(&self, change: &Change) -> Msg {
        let (cmd, attrs) = match change {
            Change::AddService(s) => (Cmd::NewService, vec![CmdAttr::Service(service_attrs(s))]),
            Change::EditService(s) => (Cmd::SetService, vec![CmdAttr::Service(service_attrs(s))]),
            Change::DeleteService(k) => (
                Cmd::DelService,
                vec![CmdAttr::Service(service_key_attrs(k))],
            ),
            Change::AddDest(k, d) => (Cmd::NewDest, dest_request(k, dest_attrs(d))),
            Change::EditDest(k, d) => (Cmd::SetDest, dest_request(k, dest_attrs(d))),
            Change::DeleteDest(k, addr, port) => {
                (Cmd::DelDest, dest_request(k, dest_key_attrs(addr, *port)))
            }
            Change::Flush => (Cmd::Flush, vec![]),
            Change::Zero(None) => (Cmd::Zero, vec![]),
            Change::Zero(Some(k)) => (Cmd::Zero, vec![CmdAttr::Service(service_key_attrs(k))]),
            Change::SetTimeouts(t) => (
                Cmd::SetConfig,
                vec![
                    CmdAttr::TimeoutTcp(t.tcp),
                    CmdAttr::TimeoutTcpFin(t.tcp_fin),
                    CmdAttr::TimeoutUdp(t.udp),
                ],
            ),
            Change::StartDaemon(d) => (Cmd::NewDaemon, vec![CmdAttr::Daemon(daemon_attrs(d))]),
            Change::StopDaemon(d) => (Cmd::DelDaemon, vec![CmdAttr::Daemon(daemon_attrs(d))]),
        };
        self.message(cmd, attrs)
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &Change) -> Result<()> {
        let msg = self.change_message(change);
        self.conn.request(msg).map(|_| ())
    }

    /// Applies many changes pipelined on this socket, in order. Each
    /// change's outcome goes to `on_result(index, result)` as it is known;
    /// a refused change does not stop the ones after it.
    pub fn apply_all<'a>(
        &mut self,
        changes: impl IntoIterator<Item = &'a Change>,
        on_result: impl FnMut(usize, AckResult),
    ) -> Result<()> {
        let messages: Vec<Msg> = changes
            .into_iter()
            .map(|c| self.change_message(c))
            .collect();
        self.conn.batch(messages, on_result)
    }
}

fn parse_service_reply(reply: &IpvsMessage) -> Result<Option<Service>> {
    find_nest(reply.cmd_attrs(), |a| match a {
        CmdAttr::Service(s) => Some(s),
        _ => None,
    })
    .map(service_from)
    .transpose()
}

/// Asks the generic-netlink controller for the id of "IPVS".
fn resolve_family(conn: &mut Connection) -> Result<u16> {
    let mut msg = GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(FAMILY_NAME.to_string())],
    });
    msg.finalize();
    let replies = match conn.request(msg) {
        Err(Error::Kernel(libc::ENOENT)) => return Err(Error::NoIpvs),
        other => other?,
    };
    replies
        .iter()
        .flat_map(|r| r.payload.nlas.iter())
        .find_map(|nla| match nla {
            GenlCtrlAttrs::FamilyId(id) => Some(*id),
            _ => None,
        })
        .ok_or(Error::NoIpvs)
}
