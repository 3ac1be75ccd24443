//! Command-line grammar tests. Every expected text is a literal string
//! from ipvsadm 1.31's ipvsadm.c (the function is named in a comment), so
//! the lab can later diff them against Debian's ipvsadm.

use std::net::IpAddr;
use std::time::Instant;

use ipvs::{
    DaemonState, Destination, Family, ForwardMethod, Protocol, Service, ServiceFlags, ServiceKey,
    Timeouts, TunnelFlags, TunnelType,
};

use super::resolve::tests::FakeResolver;
use super::*;

fn parse_words(words: &[&str]) -> Result<Command, CliError> {
    parse(words, &FakeResolver)
}

fn ok(line: &str) -> Command {
    let words: Vec<&str> = line.split_whitespace().collect();
    match parse_words(&words) {
        Ok(c) => c,
        Err(e) => panic!("{line:?}: {}", e.render("ipvsadm")),
    }
}

fn err(line: &str) -> CliError {
    let words: Vec<&str> = line.split_whitespace().collect();
    match parse_words(&words) {
        Ok(c) => panic!("{line:?} parsed: {c:?}"),
        Err(e) => e,
    }
}

/// A `fail(2, ...)` error: the message plus a newline, status 2.
#[track_caller]
fn assert_fail(line: &str, message: &str) {
    let e = err(line);
    assert_eq!(e.render("ipvsadm"), format!("{message}\n"), "{line:?}");
    assert_eq!(e.exit_code(), 2, "{line:?}");
}

/// A popt error after the command: `word: reason`, status 255.
#[track_caller]
fn assert_popt(line: &str, text: &str) {
    let e = err(line);
    assert_eq!(e.render("ipvsadm"), format!("{text}\n"), "{line:?}");
    assert_eq!(e.exit_code(), 255, "{line:?}");
}

/// `tryhelp_exit(argv[0], -1)`.
#[track_caller]
fn assert_try_help(words: &[&str]) {
    let e = parse_words(words).expect_err("should fail");
    assert_eq!(e, CliError::TryHelp, "{words:?}");
    assert_eq!(
        e.render("ipvsadm"),
        "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"
    );
    assert_eq!(e.exit_code(), 255);
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn tcp(addr: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: ip(addr),
        port,
    }
}

fn add_service(line: &str) -> Service {
    match ok(line) {
        Command::AddService(s) => s,
        c => panic!("{c:?}"),
    }
}

fn add_dest(line: &str) -> (ServiceKey, Destination) {
    match ok(line) {
        Command::AddDest { service, dest } => (service, dest),
        c => panic!("{c:?}"),
    }
}

fn list(line: &str) -> ListRequest {
    match ok(line) {
        Command::List(l) => l,
        c => panic!("{c:?}"),
    }
}

mod commands;
mod restore;
mod servers;
mod values;
