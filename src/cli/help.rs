//! ipvsadm's usage (`-h`) and version (`-v`) texts, and rsvsadm's `-h`,
//! which adds its own commands and options to ipvsadm's text.
//!
//! ipvsadm prints the usage text with `argv[0]` exactly as invoked (e.g.
//! `/sbin/ipvsadm`) in the synopsis lines and in the "Try `%s -h'" hint,
//! but its version line always says `ipvsadm`. We take both names as
//! parameters; [`help_text`] uses the basename of `prog` for the version
//! line.

use super::options::{ArgKind, Role};
use super::table::OPTIONS;

/// ipvsadm's version number and date (`IPVSADM_VERSION`).
pub const VERSION: &str = "v1.31 2019/12/24";

/// The IPVS protocol version ipvsadm 1.31 was built for
/// (`IP_VS_VERSION_CODE` 0x010201), printed by `-v`.
pub const IPVS_VERSION: &str = "1.2.1";

/// The usage text after the version line; `%PROG%` stands for argv\[0\].
/// Copied byte for byte from `usage_exit()` with the SCHEDULERS, PE_LIST,
/// DEF_SCHED and DEF_TUNNEL_TYPE macros expanded.
const USAGE: &str = r#"Usage:
  %PROG% -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  %PROG% -D virtual-service
  %PROG% -C
  %PROG% -R
  %PROG% -S [-n]
  %PROG% -a|e virtual-service -r server-address [options]
  %PROG% -d virtual-service -r server-address
  %PROG% -L|l [virtual-service] [options]
  %PROG% -Z [virtual-service]
  %PROG% --set tcp tcpfin udp
  %PROG% --start-daemon {master|backup} [daemon-options]
  %PROG% --stop-daemon {master|backup}
  %PROG% -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
"#;

/// The basename of a program path (`/usr/sbin/ipvsadm` -> `ipvsadm`).
pub fn program_name(argv0: &str) -> &str {
    argv0
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(argv0)
}

/// `version()`: `<name> v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)`
/// and a newline. ipvsadm always prints `ipvsadm` as the name.
pub fn version_text(name: &str) -> String {
    format!("{name} {VERSION} (compiled with popt and IPVS v{IPVS_VERSION})\n")
}

/// `usage_exit()`'s text: the version line, then the usage with `prog`
/// (argv\[0\] as invoked) in each synopsis line.
pub fn help_text(prog: &str) -> String {
    let mut s = version_text(program_name(prog));
    s.push_str(&USAGE.replace("%PROG%", prog));
    s
}

/// rsvsadm's own version, at the end of [`rsvsadm_help_text`].
pub const RSVSADM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the descriptions start in ipvsadm's option lines.
const HELP_COLUMN: usize = 38;

/// One of rsvsadm's own commands (`setup`, `check`, ...), for
/// [`rsvsadm_help_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnCommand {
    /// The words after the program name (`setup nat|fullnat|...`).
    pub synopsis: String,
    /// One line on what it is for.
    pub about: String,
}

/// One help line: `  <names>` and the description at ipvsadm's column,
/// or on the next line if the names reach it.
fn help_line(names: &str, about: &str) -> String {
    let width = HELP_COLUMN - 2;
    if names.len() < width {
        format!("  {names:<width$}{about}\n")
    } else {
        format!("  {names}\n{:HELP_COLUMN$}{about}\n", "")
    }
}

/// `rsvsadm -h`: ipvsadm's text (see [`help_text`]), then rsvsadm's own
/// commands (as given: the caller knows them) and options (the option
/// table's rsvsadm rows), then rsvsadm's version.
pub fn rsvsadm_help_text(prog: &str, commands: &[OwnCommand]) -> String {
    let mut s = help_text(prog);
    s.push_str(&format!(
        "\nrsvsadm's own commands (`{prog} COMMAND --help` for their options):\n"
    ));
    for c in commands {
        s.push_str(&help_line(&format!("{prog} {}", c.synopsis), &c.about));
    }
    s.push_str("\nrsvsadm's own options:\n");
    for o in OPTIONS.iter().filter(|o| o.role == Role::Extension) {
        let names = match o.arg {
            ArgKind::None => format!("--{}", o.long),
            ArgKind::Required(v) => format!("--{} {v}", o.long),
            ArgKind::Optional(v) => format!("--{} [{v}]", o.long),
        };
        s.push_str(&help_line(&names, o.help));
    }
    s.push_str(&format!(
        "\nrsvsadm {RSVSADM_VERSION}: ipvsadm 1.31's command line and more; see rsvsadm(8).\n"
    ));
    s
}

/// `tryhelp_exit()`'s line.
pub fn try_help_text(prog: &str) -> String {
    format!("Try `{prog} -h' or '{prog} --help' for more information.\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::options::Role;
    use crate::cli::table::OPTIONS;

    /// The output of ipvsadm.c's own `usage_exit("/usr/sbin/ipvsadm", 0)`,
    /// compiled from the 1.31 source with the Makefile's macros.
    #[test]
    fn cli_help_text_is_ipvsadms() {
        let expected = include_str!("testdata/ipvsadm-help.txt");
        assert_eq!(help_text("/usr/sbin/ipvsadm"), expected);
    }

    #[test]
    fn cli_version_text() {
        assert_eq!(
            version_text("ipvsadm"),
            "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"
        );
    }

    #[test]
    fn cli_help_text_shape() {
        let h = help_text("/usr/sbin/ipvsadm");
        assert!(h.starts_with(
            "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\nUsage:\n  /usr/sbin/ipvsadm -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n"
        ));
        assert!(h.ends_with("  --mcast-ttl ttl                     Multicast TTL (default=1)\n"));
        assert_eq!(h.matches("/usr/sbin/ipvsadm ").count(), 13);
        assert_eq!(h.lines().count(), 82);
        assert!(h.contains("  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,\n                                      the default scheduler is wlc.\n"));
        assert!(h.contains("(comma-separated)\nDaemon Options:\n"));
        assert!(!h.contains('%'));
    }

    #[test]
    fn cli_help_mentions_every_option() {
        let h = help_text("ipvsadm");
        // rsvsadm's own options are in its man page, not in ipvsadm's text.
        for s in OPTIONS.iter().filter(|s| s.role != Role::Extension) {
            if s.long == "version" {
                continue; // ipvsadm's usage does not list --version
            }
            assert!(h.contains(&format!("--{}", s.long)), "--{} missing", s.long);
            for c in s.shorts {
                if *c == 'X' {
                    continue; // nor -X (only --exact)
                }
                assert!(h.contains(&format!("-{c}")), "-{c} missing");
            }
        }
    }

    #[test]
    fn cli_rsvsadm_help_adds_its_own_commands_and_options() {
        let commands = [
            OwnCommand {
                synopsis: "check".into(),
                about: "Inspect this director".into(),
            },
            OwnCommand {
                synopsis: "setup nat|fullnat|realserver|show|clear|save|restore".into(),
                about: "Prepare this host".into(),
            },
        ];
        let h = rsvsadm_help_text("rsvsadm", &commands);
        let ipvsadm = help_text("rsvsadm");
        let own = h
            .strip_prefix(ipvsadm.as_str())
            .expect("ipvsadm's text first");
        assert!(own.starts_with(
            "\nrsvsadm's own commands (`rsvsadm COMMAND --help` for their options):\n"
        ));
        assert!(own.contains("\n  rsvsadm check                       Inspect this director\n"));
        assert!(own.contains(
            "\n  rsvsadm setup nat|fullnat|realserver|show|clear|save|restore\n                                      Prepare this host\n"
        ));
        for option in [
            "--json",
            "--netns name",
            "--sync",
            "--dry-run",
            "--drain [seconds]",
        ] {
            assert!(own.contains(&format!("\n  {option} ")), "{option} missing");
        }
        assert!(own.ends_with(&format!(
            "\nrsvsadm {RSVSADM_VERSION}: ipvsadm 1.31's command line and more; see rsvsadm(8).\n"
        )));
    }

    #[test]
    fn cli_program_name() {
        assert_eq!(program_name("/usr/sbin/ipvsadm"), "ipvsadm");
        assert_eq!(program_name("rsvsadm"), "rsvsadm");
        assert_eq!(program_name("./x/"), "./x/");
    }
}
