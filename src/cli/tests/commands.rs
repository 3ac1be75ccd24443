//! The first option, the command and which options go with it (`parse_options()`, `generic_opt_check()`).

use super::*;

// ---------------------------------------------------------------------
// The command lines of an LVS-NAT director and of port mapping.

#[test]
fn cli_director_command_lines() {
    let s = add_service("-A -t 192.168.56.200:80 -s wrr");
    assert_eq!(s.key, tcp("192.168.56.200", 80));
    assert_eq!(s.scheduler, "wrr");
    assert_eq!(s.flags, ServiceFlags::empty());
    assert_eq!(s.netmask.raw(), u32::MAX);
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
                CliError::Fail(format!("Illegal '{opt}' option with the '{cmd}' command").into());
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
