//! Real servers, tunnels, and the popt corners of whole command lines.

use super::*;

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
            TunnelFlags::REMCSUM
        )
    );
    let (_, d) = add_dest(&format!("{base} -i --tun-type gre --tun-csum"));
    assert_eq!(
        (d.tun_type, d.tun_port, d.tun_flags),
        (TunnelType::Gre, 0, TunnelFlags::CSUM)
    );
    let (_, d) = add_dest(&format!("{base} -i --tun-type ipip"));
    assert_eq!(
        (d.tun_type, d.tun_flags),
        (TunnelType::Ipip, TunnelFlags::empty())
    );
    let (_, d) = add_dest(&format!(
        "{base} -i --tun-type gue --tun-port 1 --tun-nocsum"
    ));
    assert_eq!(d.tun_flags, TunnelFlags::empty());
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
    // ipvsadm hangs on some of these; rsvsadm answers at once, with the
    // text left as it is when there is no word to take.
    let start = Instant::now();
    assert_fail(
        "-A -t 1.2.3.4:80 -s !#:+ -p !#:+",
        "invalid timeout value `!#:+' specified",
    );
    assert_fail(
        "-L -t !#:+",
        "illegal virtual server address[:port] specified",
    );
    assert!(start.elapsed().as_secs() < 5);
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

/// A word that is not UTF-8 is echoed as its bytes, as ipvsadm does.
#[test]
fn cli_non_utf8_words_are_echoed_as_given() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let words = |line: &[&[u8]]| -> Vec<OsString> {
        line.iter()
            .map(|w| OsString::from_vec(w.to_vec()))
            .collect()
    };
    let render = |line: &[&[u8]]| {
        parse(&words(line), &FakeResolver)
            .unwrap_err()
            .render_bytes("x")
    };
    assert_eq!(
        render(&[b"-A", b"-f", b"\xff7"]),
        b"invalid fwmark value `\xff7' specified\n"
    );
    assert_eq!(render(&[b"-L", b"--b\xe9"]), b"--b\xe9: unknown option\n");
    assert_eq!(
        render(&[b"-L", b"-n", b"\xc3"]),
        b"unexpected argument \xc3\n"
    );
    assert_eq!(render(&[b"-C", b"-\xfe"]), b"-\xfe: unknown option\n");
    assert_eq!(
        render(&[b"-A", b"-t", b"1.2.3.4:80", b"-b", b"x\xff"]),
        b"invalid scheduler flag `x\xff'\n"
    );
    assert_eq!(
        render(&[b"-A", b"-t", b"1.2.3.4:80", b"-p", b"9\x80"]),
        b"invalid timeout value `9\x80' specified\n"
    );
    assert_eq!(render(&[b"-L", b"-\xffL"]), b"-\xffL: unknown option\n");
    // Display (for rsvsadm's own messages) reads such a byte as U+FFFD.
    let e = parse(&words(&[b"-L", b"-n", b"\xc3"]), &FakeResolver).unwrap_err();
    assert_eq!(e.to_string(), "unexpected argument \u{fffd}");
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
