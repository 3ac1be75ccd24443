//! `-L ... --json`: the same reads as the text listing, written as one
//! JSON document (`format::json`; schema in docs/json.md).

use std::io::Write;

use ipvs::{Ipvs, VirtualService};

use super::list::{conn_failed, list_failed, open_connections, read_table, stdout, write_failed};
use super::Outcome;
use crate::cli::{ListRequest, ListTarget};
use crate::format::json::{self, ConnDocument};
use crate::format::sort_destinations;

/// `-L --json` in all its forms. Addresses are always numeric and counters
/// exact; `--nosort` is the only formatting option that matters.
pub fn list(ipvs: &mut Ipvs, request: &ListRequest) -> Outcome {
    let sort = !request.format.nosort;
    let mut out = stdout();
    let doc = match &request.target {
        ListTarget::All => {
            let info = ipvs.info().map_err(|e| list_failed(&e))?;
            let entries = entries(read_table(ipvs, sort)?, sort);
            json::table_document(&info, &entries)
        }
        ListTarget::Service(key) => {
            let info = ipvs.info().map_err(|e| list_failed(&e))?;
            let service = ipvs.service(key).map_err(|e| list_failed(&e))?;
            let destinations = ipvs.destinations(key).map_err(|e| list_failed(&e))?;
            let entries = entries(
                vec![VirtualService {
                    service,
                    destinations,
                }],
                sort,
            );
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

/// The table with its destinations in ipvsadm's order if `sort`.
fn entries(mut table: Vec<VirtualService>, sort: bool) -> Vec<VirtualService> {
    if sort {
        for entry in &mut table {
            sort_destinations(&mut entry.destinations);
        }
    }
    table
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
