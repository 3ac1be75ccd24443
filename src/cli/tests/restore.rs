//! The `-R` input.

use super::*;

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
    assert_eq!(e.text, b"-A -t 1.2.3.4 -s rr");
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
    assert_eq!(e.text, b"-L --bogus");
    assert_eq!(e.error.render("x"), "--bogus: unknown option\n");
    // First word not a command.
    assert_eq!(restore("-n -L").unwrap_err().error, CliError::TryHelp);
}

#[test]
fn cli_restore_bad_bytes() {
    // Bytes that are not UTF-8 are read as ipvsadm reads them...
    let lines = parse_restore(b"-C\n-A -t 1.2.3.4:80 -s \xff\n", &FakeResolver).unwrap();
    assert!(matches!(&lines[1].command, Command::AddService(s) if s.scheduler == "\u{fffd}"));
    // ...and echoed as they are.
    let e = parse_restore(b"-C\n-A -f \xff\n", &FakeResolver).unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.text, b"-A -f \xff");
    assert_eq!(
        e.render_bytes("x"),
        b"x: -R line 2: -A -f \xff\ninvalid fwmark value `\xff' specified\n"
    );
    // A NUL byte is refused (ipvsadm would cut the line there).
    let e = parse_restore(b"-C\n-C\n-L\0 -n\n", &FakeResolver).unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.error, CliError::Fail("NUL byte in input".into()));
    assert_eq!(e.text, b"-L\\0 -n");
    let e = parse_restore(b"\0", &FakeResolver).unwrap_err();
    assert_eq!(e.line, 1);
}

fn commands(input: &str) -> Vec<(usize, Command)> {
    let lines = restore(input).unwrap();
    lines.into_iter().map(|l| (l.line, l.command)).collect()
}

/// A -h or -v line ends the input, as ipvsadm exits there; every line is
/// still checked first.
#[test]
fn cli_restore_stops_at_help_and_version() {
    assert_eq!(
        commands("-C\n-h\n-A -t 1.2.3.4:80\n"),
        [(1, Command::Flush), (2, Command::Help)]
    );
    assert_eq!(commands("-v\n-C\n-h\n"), [(1, Command::Version)]);
    let e = restore("-C\n-h\n-A -t 1.2.3.4\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(restore("-h\n-R\n").unwrap_err().error, CliError::TryHelp);
}

/// ipvsadm drops a last line that has no newline and ends in two blanks
/// or more; it is still checked.
#[test]
fn cli_restore_unterminated_last_line() {
    assert_eq!(
        commands("-C\n-C"),
        [(1, Command::Flush), (2, Command::Flush)]
    );
    assert_eq!(
        commands("-C\n-C "),
        [(1, Command::Flush), (2, Command::Flush)]
    );
    assert_eq!(commands("-C\n-C  "), [(1, Command::Flush)]);
    assert_eq!(commands("-C\n-C \t"), [(1, Command::Flush)]);
    assert_eq!(commands("-C\n-C\r\t "), [(1, Command::Flush)]);
    assert_eq!(
        commands("-C\n-C \n"),
        [(1, Command::Flush), (2, Command::Flush)]
    );
    assert_eq!(commands("-C  "), []);
    assert_eq!(restore("-C\n-A -t 1.2.3.4  ").unwrap_err().line, 2);
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
