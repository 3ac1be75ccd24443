//! rsvsadm: administer the Linux Virtual Server (IPVS) table, a drop-in
//! replacement for ipvsadm 1.31. The binary is a thin shell over this
//! library: the command-line grammar, the IPVS client calls, and the
//! listing and save formats, which reproduce ipvsadm's output byte for byte.

pub mod app;
pub mod cli;
pub mod director;
pub mod format;
