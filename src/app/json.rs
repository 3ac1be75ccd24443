//! `-L ... --json`: the same reads as the text listing, written as one
//! JSON document (`format::json`; schema in docs/json.md).

use std::io::Write;

use ipvs::Ipvs;

use super::list::{
    conn_failed, destinations_if_still_there, list_failed, open_connections, sorted_services,
    stdout, write_failed,
};
use super::{Failure, Outcome};
use crate::cli::{ListRequest, ListTarget};
use crate::format::json::{self, ConnDocument, ServiceEntry};
use crate::format::sort_destinations;

/// `-L --json` in all its forms. Addresses are always numeric and counters
/// exact; `--nosort` is the only formatting option that matters.
pub fn list(ipvs: &mut Ipvs, request: &ListRequest) -> Outcome {
    let sort = !request.format.nosort;
    let mut out = stdout();
    let doc = match &request.target {
        ListTarget::All => {
            let info = ipvs.info().map_err(|e| list_failed(&e))?;
            let services = sorted_services(ipvs, sort)?;
            let entries = with_destinations(ipvs, services, sort)?;
            json::table_document(&info, &entries)
        }
        ListTarget::Service(key) => {
            let info = ipvs.info().map_err(|e| list_failed(&e))?;
            let svc = ipvs.service(key).map_err(|e| list_failed(&e))?;
            let entries = with_destinations(ipvs, vec![svc], sort)?;
            json::table_document(&info, &entries)
        }
        ListTarget::Timeouts => {
            json::timeouts_document(&ipvs.timeouts().map_err(|e| list_failed(&e))?)
        }
        ListTarget::Daemons => {
            json::daemons_document(&ipvs.daemons().map_err(|e| list_failed(&e))?)
        }
        ListTarget::Connections => return connections(&mut out),
    };
    json::write_document(&mut out, &doc).map_err(write_failed)?;
    out.flush().map_err(write_failed)
}

/// Each service with its destinations (sorted if `sort`).
pub(super) fn with_destinations(
    ipvs: &mut Ipvs,
    services: Vec<ipvs::Service>,
    sort: bool,
) -> Result<Vec<ServiceEntry>, Failure> {
    let mut entries = Vec::with_capacity(services.len());
    // A service deleted by another process since the service dump is left
    // out, as in the text listing.
    for svc in services {
        if let Some(mut dests) = destinations_if_still_there(ipvs, &svc)? {
            if sort {
                sort_destinations(&mut dests);
            }
            entries.push((svc, dests));
        }
    }
    Ok(entries)
}

/// `-L -c --json`, streamed entry by entry.
fn connections(out: &mut impl Write) -> Outcome {
    let reader = open_connections()?;
    let mut doc = ConnDocument::begin(out).map_err(write_failed)?;
    for entry in reader {
        let entry = entry.map_err(conn_failed)?;
        doc.entry(out, &entry).map_err(write_failed)?;
    }
    doc.end(out).map_err(write_failed)?;
    out.flush().map_err(write_failed)
}
