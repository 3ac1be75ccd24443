//! Option values and ranges, and virtual services.

use super::*;

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
    assert_eq!((s.flags, s.timeout), (ServiceFlags::PERSISTENT, 360));
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
    assert_eq!(s.flags, ServiceFlags::ONEPACKET);
    assert!(add_service("-A -f 1 --ops")
        .flags
        .contains(ServiceFlags::ONEPACKET));
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
    assert_eq!(s.netmask.raw(), 128);
    let s = add_service("-A -f 1 -6");
    assert_eq!(
        s.key,
        ServiceKey::Fwmark {
            mark: 1,
            family: Family::Inet6
        }
    );
    assert_eq!(s.netmask.raw(), 128);
    let s = add_service("-A -f 4294967295");
    assert_eq!(
        s.key,
        ServiceKey::Fwmark {
            mark: u32::MAX,
            family: Family::Inet
        }
    );
    assert_eq!(s.netmask.raw(), u32::MAX);
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
            CliError::Fail(format!("invalid fwmark value `{bad}' specified").into())
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
    assert_eq!(s.netmask.raw(), 0xffff_ff00);
    assert_eq!(
        add_service("-A -t 1.2.3.4:80 -M mask").netmask.raw(),
        0xffff_0000
    );
    assert_eq!(
        add_service("-A -t 1.2.3.4:80 -M 0xffffff00").netmask.raw(),
        0xffff_ff00
    );
    assert_fail(
        "-A -t 1.2.3.4:80 -M nomask",
        "illegal virtual server persistent mask specified",
    );
    // IPv6: atoi() of a prefix length 1..128.
    assert_eq!(add_service("-A -t [::1]:80 -M 64").netmask.raw(), 64);
    assert_eq!(add_service("-A -t [::1]:80 -M 64junk").netmask.raw(), 64);
    assert_eq!(add_service("-A -f 1 -6 -M 1").netmask.raw(), 1);
    assert_eq!(add_service("-A -f 1 -6 -M 128").netmask.raw(), 128);
    for bad in ["0", "129", "x", "-64", "ffff::"] {
        let e = parse_words(&["-A", "-t", "[::1]:80", "-M", bad]).unwrap_err();
        assert_eq!(
            e,
            CliError::Fail("illegal ipv6 netmask specified".into()),
            "{bad}"
        );
    }
    // The family is the one known when -M is read: later -t/-6 reset it.
    assert_eq!(add_service("-A -M 64 -t [::1]:80").netmask.raw(), 128);
    assert_eq!(add_service("-A -f 1 -M 64 -6").netmask.raw(), 128);
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
    let flags = |line: &str| add_service(line).flags.bits();
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
        Command::AddService(s) => assert_eq!(s.flags.bits(), 0),
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
