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

// ---------------------------------------------------------------------
// The seed command lines.

#[test]
fn cli_seed_lines() {
    let s = add_service("-A -t 192.168.56.200:80 -s wrr");
    assert_eq!(s.key, tcp("192.168.56.200", 80));
    assert_eq!(s.scheduler, "wrr");
    assert_eq!(s.flags, ServiceFlags(0));
    assert_eq!(s.netmask, u32::MAX);
    assert_eq!(s.timeout, 0);
    assert_eq!(s.pe_name, None);

    let (svc, d) = add_dest("-a -t 192.168.56.200:80 -r 192.168.188.107:80 -m -w 2");
    assert_eq!(svc, tcp("192.168.56.200", 80));
    assert_eq!(d.addr, ip("192.168.188.107"));
    assert_eq!(d.port, 80);
    assert_eq!(d.forward, ForwardMethod::Masq);
    assert_eq!(d.weight, 2);

    let s = add_service("-A -t 192.168.18.58:8888 -s rr");
    assert_eq!(
        (s.key, s.scheduler.as_str()),
        (tcp("192.168.18.58", 8888), "rr")
    );

    let (svc, d) = add_dest("-a -t 192.168.18.58:8888 -r 192.168.2.71:9999 -m");
    assert_eq!(svc, tcp("192.168.18.58", 8888));
    assert_eq!((d.addr, d.port, d.weight), (ip("192.168.2.71"), 9999, 1));

    assert_eq!(
        ok("--set 1 120 300"),
        Command::SetTimeouts(Timeouts {
            tcp: 1,
            tcp_fin: 120,
            udp: 300
        })
    );
    assert_eq!(list("-L --timeout").target, ListTarget::Timeouts);
    let l = list("-Lnc");
    assert_eq!(l.target, ListTarget::Connections);
    assert!(l.format.numeric);
    let l = list("-ln");
    assert_eq!(l.target, ListTarget::All);
    assert!(l.format.numeric);
    assert_eq!(ok("-C"), Command::Flush);
}

#[test]
fn cli_no_arguments_lists() {
    let none: [&str; 0] = [];
    assert_eq!(
        parse_words(&none).unwrap(),
        Command::List(ListRequest::default())
    );
    assert_eq!(list("-L"), ListRequest::default());
    assert_eq!(list("--list"), ListRequest::default());
    assert_eq!(list("-l"), ListRequest::default());
}

// ---------------------------------------------------------------------
// The first option, -h and -v.

#[test]
fn cli_help_and_version() {
    assert_eq!(ok("-h"), Command::Help);
    assert_eq!(ok("--help"), Command::Help);
    assert_eq!(ok("-v"), Command::Version);
    assert_eq!(ok("--version"), Command::Version);
    // parse_options() exits at once: nothing after -h/-v is looked at.
    assert_eq!(ok("-h --bogus -w x"), Command::Help);
    assert_eq!(ok("-vL"), Command::Version);
    assert_eq!(ok("junk -v"), Command::Version);
}

#[test]
fn cli_first_option_must_be_a_command() {
    // parse_options(): the first poptGetNextOpt() is not a command, is
    // an error, or there is none: tryhelp_exit(argv[0], -1).
    assert_try_help(&["-n", "-L"]);
    assert_try_help(&["-nL"]);
    assert_try_help(&["-t", "1.2.3.4:80"]);
    assert_try_help(&["--bogus"]);
    assert_try_help(&["--bogus", "-L"]);
    assert_try_help(&["foo"]);
    assert_try_help(&[""]);
    assert_try_help(&["--"]);
    assert_try_help(&["--", "-L"]);
    assert_try_help(&["-"]);
    assert_try_help(&["--start-daemon"]);
    assert_try_help(&["--list=1"]);
    assert_try_help(&["-L=1"]);
    assert_try_help(&["-I"]);
    assert_try_help(&["--sort"]);
}

#[test]
fn cli_later_options_that_are_commands() {
    // parse_options(): default case of the option loop.
    assert_fail("-L -A", "invalid option `-A'");
    assert_fail("-L -l", "invalid option `-l'");
    assert_fail("-L -h", "invalid option `-h'");
    assert_fail("-L -v", "invalid option `-v'");
    assert_fail("-LA", "invalid option `-LA'");
    assert_fail("-A --set", "invalid option `--set'");
    // popt has already read the value: the "option" is the value word.
    assert_fail("-L --start-daemon master", "invalid option `master'");
    assert_fail(
        "-L --stop-daemon=backup",
        "invalid option `--stop-daemon=backup'",
    );
}

#[test]
fn cli_popt_errors_after_the_command() {
    // parse_options(): "%s: %s\n" of poptBadOption() and poptStrerror();
    // process_options() returns -1: status 255.
    assert_popt("-L --bogus", "--bogus: unknown option");
    assert_popt("-Lq", "-Lq: unknown option");
    assert_popt("-L -n -I", "-I: unknown option");
    assert_popt("-A -t 1.2.3.4:80 -s", "-s: missing argument");
    assert_popt("-A -t", "-t: missing argument");
    assert_popt("-a -t 1.2.3.4:80 --weight", "--weight: missing argument");
    assert_popt(
        "-L --numeric=1",
        "--numeric=1: option does not take an argument",
    );
    assert_popt("-Ln=1", "-Ln=1: option does not take an argument");
    assert_popt("-L --lis", "--lis: unknown option");
    // Options before the bad one have been applied (and checked) already.
    assert_fail(
        "-a -t 1.2.3.4:80 -w abc --bogus",
        "illegal weight specified",
    );
    assert_popt("-a -t 1.2.3.4:80 --bogus -w abc", "--bogus: unknown option");
    // ...but the command checks come after.
    assert_popt("-A --bogus", "--bogus: unknown option");
}

#[test]
fn cli_daemon_state_values() {
    // parse_options(): case TAG_START_DAEMON / TAG_STOP_DAEMON.
    assert_fail(
        "--start-daemon foo",
        "illegal start-daemon parameter specified",
    );
    assert_fail("--stop-daemon foo", "illegal start_daemon specified");
    assert_fail(
        "--start-daemon Master",
        "illegal start-daemon parameter specified",
    );
}

// ---------------------------------------------------------------------
// generic_opt_check()

/// ipvsadm.c's `commands_v_options` table, transcribed as strings (one
/// character per option in optnames order).
const TABLE: [(&str, &[&str], &str); 14] = [
    (
        "add-service",
        &["-A", "-t", "1.2.3.4:80"],
        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    ),
    (
        "edit-service",
        &["-E", "-t", "1.2.3.4:80"],
        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    ),
    (
        "delete-service",
        &["-D", "-t", "1.2.3.4:80"],
        "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    ("flush", &["-C"], "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("list", &["-L"], " 11xxxxxxxxx11       xxxxxxx xxxxx"),
    (
        "add-server",
        &["-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    ),
    (
        "delete-server",
        &["-d", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    (
        "edit-server",
        &["-e", "-t", "1.2.3.4:80", "-r", "5.6.7.8"],
        "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    ),
    (
        "set",
        &["--set", "1", "2", "3"],
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    (
        "start-daemon",
        &["--start-daemon", "master"],
        "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
    ),
    (
        "stop-daemon",
        &["--stop-daemon", "backup"],
        "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
    ),
    ("restore", &["-R"], "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("save", &["-S"], " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("zero", &["-Z"], "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
];

/// One way of giving each option class, in optnames order.
const OPTION_WORDS: [(&str, &[&str]); 34] = [
    ("numeric", &["-n"]),
    ("connection", &["-c"]),
    ("service-address", &["-t", "1.2.3.4:80"]),
    ("scheduler", &["-s", "rr"]),
    ("persistent", &["-p"]),
    ("netmask", &["-M", "255.255.255.255"]),
    ("real-server", &["-r", "5.6.7.8"]),
    ("forwarding-method", &["-g"]),
    ("weight", &["-w", "1"]),
    ("u-threshold", &["-x", "1"]),
    ("l-threshold", &["-y", "1"]),
    ("mcast-interface", &["--mcast-interface", "eth1"]),
    ("timeout", &["--timeout"]),
    ("daemon", &["--daemon"]),
    ("stats", &["--stats"]),
    ("rate", &["--rate"]),
    ("thresholds", &["--thresholds"]),
    ("persistent-conn", &["--persistent-conn"]),
    ("nosort", &["--nosort"]),
    ("syncid", &["--syncid", "1"]),
    ("exact", &["--exact"]),
    ("ops", &["-o"]),
    ("pe", &["--pe", "sip"]),
    ("sched-flags", &["-b", "flag-1"]),
    ("mcast-group", &["--mcast-group", "224.0.0.81"]),
    ("mcast-port", &["--mcast-port", "8848"]),
    ("mcast-ttl", &["--mcast-ttl", "1"]),
    ("sync-maxlen", &["--sync-maxlen", "1472"]),
    ("tun-info", &["--tun-info"]),
    ("tun-type", &["--tun-type", "ipip"]),
    ("tun-port", &["--tun-port", "1"]),
    ("tun-nocsum", &["--tun-nocsum"]),
    ("tun-csum", &["--tun-csum"]),
    ("tun-remcsum", &["--tun-remcsum"]),
];

#[test]
fn cli_command_option_matrix() {
    for (cmd, base, row) in TABLE {
        for (j, (opt, words)) in OPTION_WORDS.iter().enumerate() {
            let rule = row.as_bytes()[j];
            if rule == b'+' {
                continue; // already in `base`
            }
            let mut args: Vec<&str> = base.to_vec();
            args.extend_from_slice(words);
            let illegal =
                CliError::Fail(format!("Illegal '{opt}' option with the '{cmd}' command"));
            match parse_words(&args) {
                Err(e) if e == illegal => assert_eq!(rule, b'x', "{args:?} was refused"),
                other => assert_ne!(rule, b'x', "{args:?} gave {other:?}"),
            }
        }
    }
}

#[test]
fn cli_required_options() {
    // generic_opt_check(): '+' entries, reported in optnames order.
    let need = |opt: &str, cmd: &str| {
        format!("You need to supply the '{opt}' option for the '{cmd}' command")
    };
    assert_fail("-A", &need("service-address", "add-service"));
    assert_fail("-E -s rr", &need("service-address", "edit-service"));
    assert_fail("-D", &need("service-address", "delete-service"));
    assert_fail("-a", &need("service-address", "add-server"));
    assert_fail("-a -r 1.2.3.4", &need("service-address", "add-server"));
    assert_fail("-a -t 1.2.3.4:80", &need("real-server", "add-server"));
    assert_fail("-e -t 1.2.3.4:80 -w 3", &need("real-server", "edit-server"));
    assert_fail("-d -t 1.2.3.4:80", &need("real-server", "delete-server"));
    // An illegal option earlier in optnames order wins over a missing one.
    assert_fail(
        "-A -n",
        "Illegal 'numeric' option with the 'add-service' command",
    );
    assert_fail(
        "-a -c",
        "Illegal 'connection' option with the 'add-server' command",
    );
    // A missing option earlier in order wins over an illegal later one.
    assert_fail(
        "-a -t 1.2.3.4:80 --syncid 1",
        &need("real-server", "add-server"),
    );
    assert_fail(
        "-a -t 1.2.3.4:80 -s rr",
        "Illegal 'scheduler' option with the 'add-server' command",
    );
    assert_fail("-A -r 1.2.3.4", &need("service-address", "add-service"));
}

#[test]
fn cli_exclusive_list_options() {
    // generic_opt_check(): '1' entries; the later option is named first.
    let conflict = |a: &str, b: &str| {
        format!("The option '{a}' conflicts with the '{b}' option in the 'list' command")
    };
    assert_fail(
        "-L -c -t 1.2.3.4:80",
        &conflict("service-address", "connection"),
    );
    assert_fail("-L --timeout -c", &conflict("timeout", "connection"));
    assert_fail("-L --timeout --daemon", &conflict("daemon", "timeout"));
    assert_fail(
        "-L --daemon -t 1.2.3.4:80",
        &conflict("daemon", "service-address"),
    );
    assert_fail("-Lnc --timeout", &conflict("timeout", "connection"));
}

#[test]
fn cli_list_conflicts() {
    // process_options(): case CMD_LIST.
    for line in [
        "-L -c --stats",
        "-L -c --rate",
        "-L -c --thresholds",
        "-L --timeout --stats",
        "-L --daemon --rate",
        "-L --timeout --persistent-conn",
        "-L --daemon --persistent-conn",
    ] {
        assert_fail(line, "options conflicts in the list command");
    }
    let l = list("-L -c --persistent-conn -n");
    assert_eq!(l.target, ListTarget::Connections);
    assert!(l.format.persistent_conn && l.format.numeric);
    let l = list("-L --stats --rate --thresholds --exact --nosort --sort --tun-info --syncid 3");
    assert_eq!(l.target, ListTarget::All);
    let f = l.format;
    assert!(f.stats && f.rate && f.thresholds && f.exact && f.nosort && f.tun_info);
    assert!(!f.numeric && !f.persistent_conn);
    assert!(list("-L -X").format.exact);
    let l = list("-L -t 1.2.3.4:80 --stats");
    assert_eq!(l.target, ListTarget::Service(tcp("1.2.3.4", 80)));
    assert_eq!(list("-L --daemon").target, ListTarget::Daemons);
    assert_eq!(
        list("-L -f 7 -6").target,
        ListTarget::Service(ServiceKey::Fwmark {
            mark: 7,
            family: Family::Inet6
        })
    );
    // --sort is a no-op and may be repeated.
    list("-L --sort --sort");
}

#[test]
fn cli_multiple_options() {
    // set_option()
    assert_fail(
        "-A -t 1.2.3.4:80 -t 1.2.3.4:81",
        "multiple 'service-address' options specified",
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -f 1",
        "multiple 'service-address' options specified",
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -u 1.2.3.4:80",
        "multiple 'service-address' options specified",
    );
    assert_fail(
        "-a -t 1.2.3.4:80 -r 5.6.7.8 -m -g",
        "multiple 'forwarding-method' options specified",
    );
    assert_fail(
        "-a -t 1.2.3.4:80 -r 5.6.7.8 -w 1 -w 2",
        "multiple 'weight' options specified",
    );
    assert_fail("-Lnn", "multiple 'numeric' options specified");
    assert_fail(
        "-A -t 1.2.3.4:80 -p -p",
        "multiple 'persistent' options specified",
    );
    // -6 is not counted.
    add_service("-A -f 1 -6 -6");
}

// ---------------------------------------------------------------------
// Values and ranges.

#[test]
fn cli_weight_and_thresholds() {
    let base = "-a -t 1.2.3.4:80 -r 5.6.7.8";
    assert_eq!(add_dest(&format!("{base} -w 0")).1.weight, 0);
    assert_eq!(add_dest(&format!("{base} -w 65535")).1.weight, 65535);
    // Debian's patched limit (#814348).
    assert_eq!(add_dest(&format!("{base} -w 65536")).1.weight, 65536);
    assert_eq!(
        add_dest(&format!("{base} -w 2147483647")).1.weight,
        i32::MAX
    );
    assert_eq!(add_dest(&format!("{base} -w0")).1.weight, 0);
    assert_eq!(add_dest(&format!("{base} --weight=+7")).1.weight, 7);
    assert_eq!(add_dest(base).1.weight, 1);
    for bad in ["2147483648", "-1", "abc", "1x", "0x10"] {
        assert_fail(&format!("{base} -w {bad}"), "illegal weight specified");
    }
    assert_fail(&format!("{base} --weight="), "illegal weight specified");
    let d = add_dest(&format!("{base} -x 2147483647 -y 0"));
    assert_eq!((d.1.upper_threshold, d.1.lower_threshold), (2147483647, 0));
    assert_fail(
        &format!("{base} -x 2147483648"),
        "illegal u_threshold specified",
    );
    assert_fail(&format!("{base} -y -1"), "illegal l_threshold specified");
}

#[test]
fn cli_persistent_timeout() {
    let base = "-A -t 1.2.3.4:80";
    let s = add_service(&format!("{base} -p"));
    assert_eq!(
        (s.flags, s.timeout),
        (ServiceFlags(ServiceFlags::PERSISTENT), 360)
    );
    assert_eq!(add_service(&format!("{base} -p 1")).timeout, 1);
    assert_eq!(add_service(&format!("{base} -p 2678400")).timeout, 2678400);
    assert_eq!(add_service(&format!("{base} -p300")).timeout, 300);
    assert_eq!(add_service(&format!("{base} --persistent=5")).timeout, 5);
    // The next word starts with '-': not a value.
    let s = add_service(&format!("{base} -p -s rr"));
    assert_eq!((s.timeout, s.scheduler.as_str()), (360, "rr"));
    // parse_timeout()
    assert_fail(
        &format!("{base} -p 0"),
        "invalid timeout value `0' specified",
    );
    assert_fail(
        &format!("{base} -p 2678401"),
        "invalid timeout value `2678401' specified",
    );
    assert_fail(
        &format!("{base} -p foo"),
        "invalid timeout value `foo' specified",
    );
    let e = parse_words(&["-A", "-t", "1.2.3.4:80", "-p", ""]).unwrap_err();
    assert_eq!(e.render("x"), "invalid timeout value `' specified\n");
    // Zero port is fine for a persistent service.
    assert_eq!(add_service("-A -t 1.2.3.4 -p").key, tcp("1.2.3.4", 0));
}

#[test]
fn cli_set_timeouts() {
    assert_eq!(ok("--set 0 0 0"), Command::SetTimeouts(Timeouts::default()));
    assert_eq!(
        ok("5 --set 6 7"),
        Command::SetTimeouts(Timeouts {
            tcp: 5,
            tcp_fin: 6,
            udp: 7
        })
    );
    assert_eq!(
        ok("--set 2678400 -- 1 +2"),
        Command::SetTimeouts(Timeouts {
            tcp: 2678400,
            tcp_fin: 1,
            udp: 2
        })
    );
    assert_fail("--set", "--set option requires 3 timeout values");
    assert_fail("--set 1 2", "--set option requires 3 timeout values");
    assert_fail("--set 1 2 3 4", "unexpected argument 4");
    assert_fail("--set 1 x 3", "invalid timeout value `x' specified");
    assert_fail(
        "--set 1 2 2678401",
        "invalid timeout value `2678401' specified",
    );
    assert_fail(
        "--set 1 2 3 -n",
        "Illegal 'numeric' option with the 'set' command",
    );
}

#[test]
fn cli_unexpected_arguments() {
    assert_fail("-L foo", "unexpected argument foo");
    assert_fail("-C x y", "unexpected argument x");
    assert_fail("-C -- -n", "unexpected argument -n");
    assert_fail("-C -", "unexpected argument -");
    // Popt errors come first, then --set, then leftovers, then -b, then
    // the per-command checks.
    assert_popt("-L foo --bogus", "--bogus: unknown option");
    assert_fail("-A foo -b bogus", "unexpected argument foo");
    assert_fail("-A -b bogus", "invalid scheduler flag `bogus'");
}

#[test]
fn cli_daemon_options() {
    match ok("--start-daemon master") {
        Command::StartDaemon(d) => {
            assert_eq!(d.state, DaemonState::Master);
            assert_eq!(d.mcast_ifn, "eth0");
            assert_eq!(d.syncid, 0);
            assert_eq!(
                (d.sync_maxlen, d.mcast_group, d.mcast_port, d.mcast_ttl),
                (None, None, None, None)
            );
        }
        c => panic!("{c:?}"),
    }
    match ok("--start-daemon=backup --mcast-interface eth1 --syncid 255 --sync-maxlen 65507 --mcast-group ff02::81 --mcast-port 1 --mcast-ttl 255") {
        Command::StartDaemon(d) => {
            assert_eq!(d.state, DaemonState::Backup);
            assert_eq!(d.mcast_ifn, "eth1");
            assert_eq!(d.syncid, 255);
            assert_eq!(d.sync_maxlen, Some(65507));
            assert_eq!(d.mcast_group, Some(ip("ff02::81")));
            assert_eq!(d.mcast_port, Some(1));
            assert_eq!(d.mcast_ttl, Some(255));
        }
        c => panic!("{c:?}"),
    }
    match parse_words(&["--start-daemon", "master", "--mcast-interface", ""]).unwrap() {
        Command::StartDaemon(d) => assert_eq!(d.mcast_ifn, "eth0"),
        c => panic!("{c:?}"),
    }
    match ok("--start-daemon master --mcast-interface a234567890123456789") {
        Command::StartDaemon(d) => assert_eq!(d.mcast_ifn, "a23456789012345"),
        c => panic!("{c:?}"),
    }
    let sd = "--start-daemon master";
    assert_fail(&format!("{sd} --syncid 256"), "illegal syncid specified");
    assert_fail(&format!("{sd} --syncid -1"), "illegal syncid specified");
    assert_fail(
        &format!("{sd} --sync-maxlen 0"),
        "illegal sync-maxlen specified",
    );
    assert_fail(
        &format!("{sd} --sync-maxlen 65508"),
        "illegal sync-maxlen specified",
    );
    assert_fail(
        &format!("{sd} --mcast-port 0"),
        "illegal mcast-port specified",
    );
    assert_fail(
        &format!("{sd} --mcast-port 65536"),
        "illegal mcast-port specified",
    );
    assert_fail(
        &format!("{sd} --mcast-ttl 0"),
        "illegal mcast-ttl specified",
    );
    assert_fail(
        &format!("{sd} --mcast-ttl 256"),
        "illegal mcast-ttl specified",
    );
    assert_fail(
        &format!("{sd} --mcast-group 10.1.1.1"),
        "invalid IPv4 mcast-group `10.1.1.1'",
    );
    assert_fail(
        &format!("{sd} --mcast-group 2001:db8::1"),
        "invalid IPv6 mcast-group `2001:db8::1'",
    );
    assert_fail(
        &format!("{sd} --mcast-group 224.0.0.081"),
        "invalid IPv4 mcast-group `224.0.0.081'",
    );
    assert_eq!(
        ok("--stop-daemon backup --syncid 9"),
        Command::StopDaemon {
            state: DaemonState::Backup,
            syncid: 9
        }
    );
    assert_eq!(
        ok("--stop-daemon master"),
        Command::StopDaemon {
            state: DaemonState::Master,
            syncid: 0
        }
    );
    assert_fail(
        "--stop-daemon master --mcast-interface eth0",
        "Illegal 'mcast-interface' option with the 'stop-daemon' command",
    );
}

// ---------------------------------------------------------------------
// Virtual services.

#[test]
fn cli_service_addresses() {
    assert_eq!(
        add_service("-A -u 1.2.3.4:53").key,
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: ip("1.2.3.4"),
            port: 53
        }
    );
    assert_eq!(
        add_service("-A --sctp-service 1.2.3.4:9").key,
        ServiceKey::Addr {
            protocol: Protocol::Sctp,
            addr: ip("1.2.3.4"),
            port: 9
        }
    );
    assert_eq!(
        add_service("--add-service --tcp-service=1.2.3.4:80").key,
        tcp("1.2.3.4", 80)
    );
    // Host and service names (gethostbyname / getservbyname).
    assert_eq!(add_service("-A -t web:http").key, tcp("10.0.0.80", 80));
    assert_eq!(add_service("-A -t web:https").key, tcp("10.0.0.80", 443));
    assert_eq!(add_service("-A -u web:domain").key.port(), 53);
    assert_fail(
        "-A -t web:domain",
        "illegal virtual server address[:port] specified",
    );
    assert_fail(
        "-A -t nohost:80",
        "illegal virtual server address[:port] specified",
    );
    // parse_service() quirks.
    for bad in [
        "1234",
        "1.2.3.4:65536",
        "1.2.3.4:",
        "[::1]",
        "[::1",
        "[::1]80",
        ":80",
    ] {
        assert_fail(
            &format!("-A -t {bad}"),
            "illegal virtual server address[:port] specified",
        );
    }
    // "[1.2.3.4]:80": the port is lost, the address stays.
    assert_eq!(
        ok("-D -t [1.2.3.4]:80"),
        Command::DeleteService(tcp("1.2.3.4", 0))
    );
    // "::1:80" is an IPv6 address without a port.
    assert_eq!(ok("-D -t ::1:80"), Command::DeleteService(tcp("::1:80", 0)));
    assert_eq!(add_service("-A -t 1.2:80").key, tcp("1.0.0.2", 80));
    assert_eq!(add_service("-A -t 1.2.3.4:+80").key, tcp("1.2.3.4", 80));
}

#[test]
fn cli_zero_port_and_ops() {
    // process_options(): CMD_ADD / CMD_EDIT checks.
    assert_fail(
        "-A -t 1.2.3.4",
        "Zero port specified for non-persistent service",
    );
    assert_fail(
        "-E -t 1.2.3.4:0",
        "Zero port specified for non-persistent service",
    );
    assert_eq!(add_service("-A -f 1").key.port(), 0);
    assert_fail(
        "-A -t 1.2.3.4:80 -o",
        "One-Packet Scheduling is only for UDP virtual services",
    );
    assert_fail(
        "-A --sctp-service 1.2.3.4:80 -o",
        "One-Packet Scheduling is only for UDP virtual services",
    );
    let s = add_service("-A -u 1.2.3.4:53 -o");
    assert_eq!(s.flags, ServiceFlags(ServiceFlags::ONEPACKET));
    assert!(add_service("-A -f 1 --ops")
        .flags
        .has(ServiceFlags::ONEPACKET));
    // The zero-port check comes before the ops check.
    assert_fail(
        "-A -t 1.2.3.4 -o",
        "Zero port specified for non-persistent service",
    );
}

#[test]
fn cli_ipv6_and_fwmark() {
    let s = add_service("-A -t [2001:db8::1]:80");
    assert_eq!(s.key, tcp("2001:db8::1", 80));
    assert_eq!(s.netmask, 128);
    let s = add_service("-A -f 1 -6");
    assert_eq!(
        s.key,
        ServiceKey::Fwmark {
            mark: 1,
            family: Family::Inet6
        }
    );
    assert_eq!(s.netmask, 128);
    let s = add_service("-A -f 4294967295");
    assert_eq!(
        s.key,
        ServiceKey::Fwmark {
            mark: u32::MAX,
            family: Family::Inet
        }
    );
    assert_eq!(s.netmask, u32::MAX);
    // parse_options(): case '6' (the message has its own newline).
    let e = err("-A -6 -f 1");
    assert_eq!(e.render("ipvsadm"), "-6 used before -f\n\n");
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        err("-A -t 1.2.3.4:80 -6").render("x"),
        "-6 used before -f\n\n"
    );
    // parse_fwmark()
    for bad in ["0", "-2147483649", "4294967296", "x", "1x", ""] {
        let e = parse_words(&["-A", "-f", bad]).unwrap_err();
        assert_eq!(
            e,
            CliError::Fail(format!("invalid fwmark value `{bad}' specified"))
        );
    }
    // What ipvsadm -S prints for marks of 2^31 and more reads back.
    assert_eq!(
        parse_words(&["-D", "-f", "-1"]).unwrap(),
        Command::DeleteService(ServiceKey::Fwmark {
            mark: u32::MAX,
            family: Family::Inet
        })
    );
}

#[test]
fn cli_netmask() {
    let s = add_service("-A -t 1.2.3.4:80 -p -M 255.255.255.0");
    assert_eq!(s.netmask, 0xffff_ff00);
    assert_eq!(add_service("-A -t 1.2.3.4:80 -M mask").netmask, 0xffff_0000);
    assert_eq!(
        add_service("-A -t 1.2.3.4:80 -M 0xffffff00").netmask,
        0xffff_ff00
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -M nomask",
        "illegal virtual server persistent mask specified",
    );
    // IPv6: atoi() of a prefix length 1..128.
    assert_eq!(add_service("-A -t [::1]:80 -M 64").netmask, 64);
    assert_eq!(add_service("-A -t [::1]:80 -M 64junk").netmask, 64);
    assert_eq!(add_service("-A -f 1 -6 -M 1").netmask, 1);
    assert_eq!(add_service("-A -f 1 -6 -M 128").netmask, 128);
    for bad in ["0", "129", "x", "-64", "ffff::"] {
        let e = parse_words(&["-A", "-t", "[::1]:80", "-M", bad]).unwrap_err();
        assert_eq!(
            e,
            CliError::Fail("illegal ipv6 netmask specified".into()),
            "{bad}"
        );
    }
    // The family is the one known when -M is read: later -t/-6 reset it.
    assert_eq!(add_service("-A -M 64 -t [::1]:80").netmask, 128);
    assert_eq!(add_service("-A -f 1 -M 64 -6").netmask, 128);
    assert_fail(
        "-A -M 255.255.255.0 -f 1 -6 -M 64",
        "multiple 'netmask' options specified",
    );
}

#[test]
fn cli_scheduler_and_pe() {
    assert_eq!(add_service("-A -t 1.2.3.4:80").scheduler, "wlc");
    assert_eq!(
        add_service("-A -t 1.2.3.4:80 --scheduler=mh").scheduler,
        "mh"
    );
    // strncpy(sched_name, optarg, IP_VS_SCHEDNAME_MAXLEN - 1)
    assert_eq!(
        add_service("-A -t 1.2.3.4:80 -s abcdefghijklmnopq").scheduler,
        "abcdefghijklmno"
    );
    match parse_words(&["-A", "-t", "1.2.3.4:80", "-s", ""]).unwrap() {
        Command::AddService(s) => assert_eq!(s.scheduler, "wlc"),
        c => panic!("{c:?}"),
    }
    let s = add_service("-A -t 1.2.3.4:80 -p --pe sip");
    assert_eq!(s.pe_name.as_deref(), Some("sip"));
    match parse_words(&["-A", "-t", "1.2.3.4:80", "--pe", ""]).unwrap() {
        Command::AddService(s) => assert_eq!(s.pe_name, None),
        c => panic!("{c:?}"),
    }
    assert_eq!(
        add_service("-A -t 1.2.3.4:80 --pe 0123456789abcdefXYZ")
            .pe_name
            .as_deref(),
        Some("0123456789abcdef")
    );
}

#[test]
fn cli_sched_flags() {
    let flags = |line: &str| add_service(line).flags.0;
    assert_eq!(
        flags("-A -t 1.2.3.4:80 -b flag-1,flag-2,flag-3"),
        0x8 | 0x10 | 0x20
    );
    assert_eq!(flags("-A -t 1.2.3.4:80 -b flag-1,,flag-3,"), 0x8 | 0x20);
    assert_eq!(
        flags("-A -t 1.2.3.4:80 -s sh -b sh-fallback,sh-port"),
        0x8 | 0x10
    );
    assert_eq!(flags("-A -t 1.2.3.4:80 -b sh-port -s sh"), 0x10);
    assert_eq!(
        flags("-A -t 1.2.3.4:80 -s mh -b mh-fallback,mh-port -p"),
        0x1 | 0x8 | 0x10
    );
    assert_eq!(flags("-A -t 1.2.3.4:80 -s rr --sched-flags=flag-2"), 0x10);
    // parse_sched_flags()
    assert_fail(
        "-A -t 1.2.3.4:80 -b sh-port",
        "incompatible scheduler flag `sh-port'",
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -s mh -b sh-fallback",
        "incompatible scheduler flag `sh-fallback'",
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -s sh -b mh-port",
        "incompatible scheduler flag `mh-port'",
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -b flag-1,bogus",
        "invalid scheduler flag `bogus'",
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -b FLAG-1",
        "invalid scheduler flag `FLAG-1'",
    );
    // ipvsadm crashes on a list of only commas; we refuse it.
    assert_fail("-A -t 1.2.3.4:80 -b ,", "invalid scheduler flag `,'");
    // An empty -b sets nothing but counts as given.
    match parse_words(&["-A", "-t", "1.2.3.4:80", "-b", ""]).unwrap() {
        Command::AddService(s) => assert_eq!(s.flags.0, 0),
        c => panic!("{c:?}"),
    }
    assert_fail(
        "-A -t 1.2.3.4:80 -b flag-1 -b flag-2",
        "multiple 'sched-flags' options specified",
    );
    // -s "" means the default scheduler for the sh/mh checks too.
    let e = parse_words(&["-A", "-t", "1.2.3.4:80", "-s", "", "-b", "sh-port"]).unwrap_err();
    assert_eq!(
        e,
        CliError::Fail("incompatible scheduler flag `sh-port'".into())
    );
    // The flags are parsed before the command checks.
    assert_fail("-L -b bogus", "invalid scheduler flag `bogus'");
    assert_fail(
        "-L -b flag-1",
        "Illegal 'sched-flags' option with the 'list' command",
    );
}

#[test]
fn cli_edit_service_is_fully_defaulted() {
    match ok("-E -t 1.2.3.4:80") {
        Command::EditService(s) => assert_eq!(s, Service::new(tcp("1.2.3.4", 80))),
        c => panic!("{c:?}"),
    }
    assert_eq!(
        ok("-D -f 3"),
        Command::DeleteService(ServiceKey::Fwmark {
            mark: 3,
            family: Family::Inet
        })
    );
    assert_eq!(ok("-Z"), Command::Zero(None));
    assert_eq!(
        ok("-Z -t 1.2.3.4:80"),
        Command::Zero(Some(tcp("1.2.3.4", 80)))
    );
    assert_eq!(ok("-S"), Command::Save { numeric: false });
    assert_eq!(ok("-Sn"), Command::Save { numeric: true });
    assert_eq!(ok("--save --numeric"), Command::Save { numeric: true });
    assert_eq!(ok("-R"), Command::Restore);
    assert_fail(
        "-R -n",
        "Illegal 'numeric' option with the 'restore' command",
    );
    assert_fail(
        "-S -c",
        "Illegal 'connection' option with the 'save' command",
    );
}

// ---------------------------------------------------------------------
// Real servers.

#[test]
fn cli_real_server_ports() {
    let port = |line: &str| add_dest(line).1.port;
    // No port on -r: the service's.
    assert_eq!(port("-a -t 1.2.3.4:80 -r 5.6.7.8 -m"), 80);
    // Direct routing (the default) and tunnelling force the service port.
    assert_eq!(port("-a -t 1.2.3.4:80 -r 5.6.7.8:8080"), 80);
    assert_eq!(port("-a -t 1.2.3.4:80 -r 5.6.7.8:8080 -g"), 80);
    assert_eq!(port("-a -t 1.2.3.4:80 -r 5.6.7.8:8080 -i"), 80);
    assert_eq!(port("-a -t 1.2.3.4:80 -r 5.6.7.8:8080 -m"), 8080);
    // -r before -t: the service port was not known yet.
    assert_eq!(port("-a -r 5.6.7.8 -t 1.2.3.4:80 -m"), 0);
    assert_eq!(port("-a -r 5.6.7.8 -t 1.2.3.4:80"), 80);
    // Fwmark services: nothing is forced.
    assert_eq!(port("-a -f 5 -r 5.6.7.8:8080"), 8080);
    assert_eq!(port("-a -f 5 -r 5.6.7.8"), 0);
    // Port names resolve with the service's protocol (none before -t).
    assert_eq!(port("-a -t 1.2.3.4:80 -r 5.6.7.8:https -m"), 443);
    assert_eq!(port("-a -f 5 -r 5.6.7.8:https"), 443);
    assert_fail(
        "-a -r 5.6.7.8:https -t 1.2.3.4:80 -m",
        "illegal real server address[:port] specified",
    );
    assert_fail(
        "-a -t 1.2.3.4:80 -r 1234",
        "illegal real server address[:port] specified",
    );
    // Delete: no forcing.
    assert_eq!(
        ok("-d -t 1.2.3.4:80 -r 5.6.7.8:8080"),
        Command::DeleteDest {
            service: tcp("1.2.3.4", 80),
            addr: ip("5.6.7.8"),
            port: 8080
        }
    );
    assert_eq!(
        ok("-d -t 1.2.3.4:80 -r 5.6.7.8"),
        Command::DeleteDest {
            service: tcp("1.2.3.4", 80),
            addr: ip("5.6.7.8"),
            port: 80
        }
    );
    // Defaults of a destination, and -e sends them all.
    let (_, d) = add_dest("-a -t 1.2.3.4:80 -r web");
    assert_eq!(d, Destination::new(ip("10.0.0.80"), 80));
    match ok("--edit-server -t 1.2.3.4:80 --real-server=5.6.7.8 --masquerading") {
        Command::EditDest { dest, .. } => {
            let mut want = Destination::new(ip("5.6.7.8"), 80);
            want.forward = ForwardMethod::Masq;
            assert_eq!(dest, want);
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn cli_real_server_families() {
    // process_options(): CMD_ADDDEST / CMD_EDITDEST.
    assert_fail(
        "-a -t [::1]:80 -r 1.2.3.4 -m",
        "Different address family is allowed only for tunneling servers",
    );
    assert_fail(
        "-e -t 1.2.3.4:80 -r [::2]:80 -g",
        "Different address family is allowed only for tunneling servers",
    );
    assert_fail(
        "-a -f 1 -6 -r 1.2.3.4",
        "Different address family is allowed only for tunneling servers",
    );
    let (svc, d) = add_dest("-a -t [::1]:80 -r 1.2.3.4 -i");
    assert_eq!((svc.family(), d.family()), (Family::Inet6, Family::Inet));
    let (_, d) = add_dest("-a -f 1 -6 -r [2001:db8::2]:8080 -m");
    assert_eq!((d.addr, d.port), (ip("2001:db8::2"), 8080));
    let (_, d) = add_dest("-a -t [2001:db8::1]:80 -r 2001:db8::2 -m");
    assert_eq!((d.addr, d.port), (ip("2001:db8::2"), 80));
    // Delete does not check families.
    ok("-d -t [::1]:80 -r 1.2.3.4");
}

#[test]
fn cli_tunnel_options() {
    let base = "-a -t 1.2.3.4:80 -r 5.6.7.8";
    // Only tunnelling takes tunnel options.
    for opt in [
        "--tun-type ipip",
        "--tun-port 1",
        "--tun-nocsum",
        "--tun-csum",
        "--tun-remcsum",
    ] {
        assert_fail(
            &format!("{base} {opt}"),
            "Tunnel options conflict with forward method",
        );
        assert_fail(
            &format!("{base} -m {opt}"),
            "Tunnel options conflict with forward method",
        );
    }
    // tunnel_opt_check()
    for opt in ["tun-port 1", "tun-nocsum", "tun-csum", "tun-remcsum"] {
        let name = opt.split(' ').next().unwrap();
        assert_fail(
            &format!("{base} -i --{opt}"),
            &format!("Illegal '{name}' option with the 'ipip' tunnel type"),
        );
    }
    assert_fail(
        &format!("{base} -i --tun-type gue"),
        "You need to supply the 'tun-port' option for the 'gue' tunnel type",
    );
    assert_fail(
        &format!("{base} -i --tun-type gue --tun-csum"),
        "You need to supply the 'tun-port' option for the 'gue' tunnel type",
    );
    assert_fail(
        &format!("{base} -i --tun-type gue --tun-port 6080 --tun-remcsum --tun-nocsum"),
        "The option 'tun-remcsum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type",
    );
    assert_fail(
        &format!("{base} -i --tun-type gre --tun-port 1"),
        "Illegal 'tun-port' option with the 'gre' tunnel type",
    );
    assert_fail(
        &format!("{base} -i --tun-type gre --tun-remcsum"),
        "Illegal 'tun-remcsum' option with the 'gre' tunnel type",
    );
    assert_fail(
        &format!("{base} -i --tun-type gre --tun-csum --tun-nocsum"),
        "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type",
    );
    assert_fail(
        &format!("{base} -i --tun-type vxlan"),
        "illegal tunnel type specified",
    );
    assert_fail(
        &format!("{base} -i --tun-type gue --tun-port 0"),
        "illegal tunnel port specified",
    );
    assert_fail(
        &format!("{base} -i --tun-type gue --tun-port 65536"),
        "illegal tunnel port specified",
    );

    let (_, d) = add_dest(&format!(
        "{base} -i --tun-type gue --tun-port 6080 --tun-remcsum"
    ));
    assert_eq!(
        (d.forward, d.tun_type, d.tun_port, d.tun_flags),
        (
            ForwardMethod::Tunnel,
            TunnelType::Gue,
            6080,
            TunnelFlags(TunnelFlags::REMCSUM)
        )
    );
    let (_, d) = add_dest(&format!("{base} -i --tun-type gre --tun-csum"));
    assert_eq!(
        (d.tun_type, d.tun_port, d.tun_flags),
        (TunnelType::Gre, 0, TunnelFlags(TunnelFlags::CSUM))
    );
    let (_, d) = add_dest(&format!("{base} -i --tun-type ipip"));
    assert_eq!(
        (d.tun_type, d.tun_flags),
        (TunnelType::Ipip, TunnelFlags(0))
    );
    let (_, d) = add_dest(&format!(
        "{base} -i --tun-type gue --tun-port 1 --tun-nocsum"
    ));
    assert_eq!(d.tun_flags, TunnelFlags(TunnelFlags::NOCSUM));
    // The generic check comes first: -d takes no tunnel options.
    assert_fail(
        "-d -t 1.2.3.4:80 -r 5.6.7.8 --tun-type gue",
        "Illegal 'tun-type' option with the 'delete-server' command",
    );
}

#[test]
fn cli_posixly_correct() {
    let posix = ParseOptions {
        posixly_correct: true,
    };
    let e = parse_with(&["--set", "1", "2", "3", "-n"], &FakeResolver, posix).unwrap_err();
    assert_eq!(e, CliError::Fail("unexpected argument -n".into()));
    let e = parse_with(&["-L", "x", "--bogus"], &FakeResolver, posix).unwrap_err();
    assert_eq!(e, CliError::Fail("unexpected argument x".into()));
    assert_eq!(
        parse_with(&["-Ln"], &FakeResolver, posix).unwrap(),
        ok("-Ln")
    );
    let e = parse_restore_with(b"-C\n-L x -n\n", &FakeResolver, posix).unwrap_err();
    assert_eq!(
        (e.line, e.error),
        (2, CliError::Fail("unexpected argument x".into()))
    );
}

#[test]
fn cli_expand_next_arg_quirk() {
    // popt replaces "!#:+" in a value with the next plain word.
    let s = add_service("-A -t 1.2.3.4:80 -s w!#:+ rr");
    assert_eq!(s.scheduler, "wrr");
}

#[test]
fn cli_non_utf8_arguments_do_not_panic() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let args = [
        OsString::from("-A"),
        OsString::from("-t"),
        OsString::from_vec(vec![0xff, b':', b'8']),
    ];
    let e = parse(&args, &FakeResolver).unwrap_err();
    assert_eq!(
        e,
        CliError::Fail("illegal virtual server address[:port] specified".into())
    );
}

#[test]
fn cli_error_display() {
    assert_eq!(
        err("-A").to_string(),
        "You need to supply the 'service-address' option for the 'add-service' command"
    );
    assert_eq!(
        CliError::TryHelp.render("/sbin/ipvsadm"),
        "Try `/sbin/ipvsadm -h' or '/sbin/ipvsadm --help' for more information.\n"
    );
}

// ---------------------------------------------------------------------
// -R input.

fn restore(input: &str) -> Result<Vec<RestoreLine>, RestoreError> {
    parse_restore(input.as_bytes(), &FakeResolver)
}

#[test]
fn cli_restore_basic() {
    let input = "# saved by hand\n\n-A -t 1.2.3.4:80 -s rr\n   \t\n  # indented comment\nipvsadm -a -t 1.2.3.4:80 -r 5.6.7.8:80 -m -w 2\r\nrsvsadm -C\n-L -n";
    let lines = restore(input).unwrap();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0].line, 3);
    assert_eq!(lines[0].command, ok("-A -t 1.2.3.4:80 -s rr"));
    assert_eq!(lines[1].line, 6);
    assert_eq!(
        lines[1].command,
        ok("-a -t 1.2.3.4:80 -r 5.6.7.8:80 -m -w 2")
    );
    assert_eq!(
        lines[2],
        RestoreLine {
            line: 7,
            command: Command::Flush
        }
    );
    assert_eq!(lines[3].line, 8);
    assert!(restore("").unwrap().is_empty());
    assert!(restore("\n\n").unwrap().is_empty());
    // "ipvsadm" alone is an empty line.
    assert!(restore("ipvsadm\n").unwrap().is_empty());
    // Tabs separate too; \v does not.
    assert_eq!(
        restore("-A\t-t\t1.2.3.4:80").unwrap()[0].command,
        ok("-A -t 1.2.3.4:80")
    );
}

#[test]
fn cli_restore_save_output_round_trip() {
    // What ipvsadm -S prints.
    let input = "-A -t 192.168.56.200:http -s wrr\n-a -t 192.168.56.200:http -r 192.168.188.107:http -m -w 2\n-A -f 5 -s rr -p 360 -M 255.255.255.255\n-A -u 10.0.0.1:53 -s sh -b sh-fallback -o\n";
    let lines = restore(input).unwrap();
    assert_eq!(lines.len(), 4);
    assert!(matches!(lines[2].command, Command::AddService(ref s) if s.timeout == 360));
}

#[test]
fn cli_restore_errors() {
    let e = restore("-C\n-A -t 1.2.3.4 -s rr\n-C\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.text, "-A -t 1.2.3.4 -s rr");
    assert_eq!(
        e.error,
        CliError::Fail("Zero port specified for non-persistent service".into())
    );
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        e.render("rsvsadm"),
        "rsvsadm: -R line 2: -A -t 1.2.3.4 -s rr\nZero port specified for non-persistent service\n"
    );
    // Nested -R: restore_table()'s tryhelp_exit().
    let e = restore("-C\n\n-R\n").unwrap_err();
    assert_eq!(
        (e.line, e.error.clone(), e.exit_code()),
        (3, CliError::TryHelp, 255)
    );
    let e = restore("--restore -n").unwrap_err();
    assert_eq!(
        e.error,
        CliError::Fail("Illegal 'numeric' option with the 'restore' command".into())
    );
    // A `#` after the start of a line is an ordinary word.
    let e = restore("-C # flush").unwrap_err();
    assert_eq!(e.error, CliError::Fail("unexpected argument #".into()));
    // Popt errors keep their form.
    let e = restore("-L --bogus\r\n").unwrap_err();
    assert_eq!(e.text, "-L --bogus");
    assert_eq!(e.error.render("x"), "--bogus: unknown option\n");
    // First word not a command.
    assert_eq!(restore("-n -L").unwrap_err().error, CliError::TryHelp);
}

#[test]
fn cli_restore_bad_bytes() {
    let e = parse_restore(b"-C\n-A -t \xff:80\n", &FakeResolver).unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.error, CliError::Fail("invalid UTF-8 in input".into()));
    assert_eq!(e.text, "-A -t \u{fffd}:80");
    let e = parse_restore(b"-C\n-C\n-L\0 -n\n", &FakeResolver).unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.error, CliError::Fail("NUL byte in input".into()));
    assert_eq!(e.text, "-L\\0 -n");
    let e = parse_restore(b"\0", &FakeResolver).unwrap_err();
    assert_eq!(e.line, 1);
}

#[test]
fn cli_restore_long_lines() {
    // 1 MB of blanks around a command.
    let line = format!("{}-C{}\n", " ".repeat(500_000), "\t".repeat(500_000));
    assert_eq!(restore(&line).unwrap()[0].command, Command::Flush);
    // A 1 MB scheduler name is cut like strncpy() would.
    let line = format!("-A -t 1.2.3.4:80 -s {}", "x".repeat(1 << 20));
    match &restore(&line).unwrap()[0].command {
        Command::AddService(s) => assert_eq!(s.scheduler.len(), 15),
        c => panic!("{c:?}"),
    }
    // A 1 MB bad value: the error carries it whole.
    let line = format!("-A -t {}", "9".repeat(1 << 20));
    let e = restore(&line).unwrap_err();
    assert_eq!(e.text.len(), 6 + (1 << 20));
}

#[test]
fn cli_restore_100k_lines_fast() {
    let mut input = String::new();
    for i in 0..50_000u32 {
        let a = i.to_be_bytes();
        input.push_str(&format!("-A -t 10.{}.{}.{}:80 -s rr\n", a[1], a[2], a[3]));
        input.push_str(&format!(
            "-a -t 10.{}.{}.{}:80 -r 192.168.0.1:8080 -m -w 3\n",
            a[1], a[2], a[3]
        ));
    }
    let start = Instant::now();
    let lines = restore(&input).unwrap();
    let took = start.elapsed();
    assert_eq!(lines.len(), 100_000);
    assert_eq!(lines[99_999].line, 100_000);
    // Generous for debug builds on a loaded machine.
    assert!(took.as_secs() < 10, "took {took:?}");
}

#[test]
fn cli_restore_sync_options() {
    assert_eq!(ok("-R"), Command::Restore);
    assert_eq!(ok("-R --sync"), Command::Sync(SyncOptions::default()));
    assert_eq!(
        ok("--restore --sync --dry-run --drain"),
        Command::Sync(SyncOptions {
            dry_run: true,
            drain: Some(command::DEFAULT_DRAIN_SECONDS),
        })
    );
    for words in [
        "-R --sync --drain=5",
        "-R --drain 5 --sync",
        "-R --sync --drain 5",
    ] {
        assert_eq!(
            ok(words),
            Command::Sync(SyncOptions {
                dry_run: false,
                drain: Some(5),
            }),
            "{words}"
        );
    }
    assert_fail(
        "-R --dry-run",
        "--dry-run and --drain only go with -R --sync",
    );
    assert_fail(
        "-R --drain=3",
        "--dry-run and --drain only go with -R --sync",
    );
    assert_fail("-R --sync --sync", "multiple 'sync' options specified");
    assert_fail(
        "-R --sync --drain=-1",
        "invalid drain time `-1' specified (seconds, 0 to 2678400)",
    );
    assert_fail(
        "-R --sync --drain=x",
        "invalid drain time `x' specified (seconds, 0 to 2678400)",
    );
    assert_fail("-L --sync", "Illegal 'sync' option with the 'list' command");
    assert_fail(
        "-A -t 1.2.3.4:80 --dry-run",
        "Illegal 'dry-run' option with the 'add-service' command",
    );
    assert_popt("-R --sync=1", "--sync=1: option does not take an argument");
}

#[test]
fn cli_restore_sync_is_not_a_restore_line() {
    let e = restore("-A -t 1.2.3.4:80\n-R --sync\n").unwrap_err();
    assert_eq!((e.line, e.error), (2, CliError::TryHelp));
}

#[test]
fn cli_json_goes_with_every_listing() {
    for (line, target) in [
        ("-L --json", ListTarget::All),
        ("-Ln --json", ListTarget::All),
        ("-L -c --json", ListTarget::Connections),
        ("-L --timeout --json", ListTarget::Timeouts),
        ("-L --daemon --json", ListTarget::Daemons),
        ("-L --stats --rate --exact --json", ListTarget::All),
    ] {
        let Command::List(request) = ok(line) else {
            panic!("{line:?}")
        };
        assert!(request.format.json, "{line:?}");
        assert_eq!(request.target, target, "{line:?}");
    }
    let Command::List(plain) = ok("-Ln") else {
        panic!("-Ln")
    };
    assert!(!plain.format.json);
    assert_fail("-S --json", "Illegal 'json' option with the 'save' command");
    assert_fail("-L --json --json", "multiple 'json' options specified");
    assert_popt("-L --json=1", "--json=1: option does not take an argument");
}

#[test]
fn cli_netns_must_come_first() {
    // `--netns` is taken off the front before parsing (app::netns); one
    // that is left is misplaced.
    assert_fail(
        "-L --netns blue",
        "--netns must be the first argument, before the command (`--netns blue -L -n`)",
    );
    assert_eq!(err("--netns blue -L"), CliError::TryHelp);
}
