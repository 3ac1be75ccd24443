//! The shell completions in completions/ are generated from the clap
//! definition of the whole command line (`rsvsadm::app::completions`), and
//! must be what it generates now. To regenerate them after changing an
//! option:
//!
//!     RSVSADM_UPDATE_COMPLETIONS=1 cargo test --test completions

use std::path::PathBuf;
use std::process::Command;

use clap_complete::Shell;
use rsvsadm::app::completions;

/// Each shell's file, under the name its completion directory wants.
const FILES: [(Shell, &str); 3] = [
    (Shell::Bash, "rsvsadm.bash"),
    (Shell::Zsh, "_rsvsadm"),
    (Shell::Fish, "rsvsadm.fish"),
];

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name)
}

#[test]
fn completions_are_up_to_date() {
    let update = std::env::var_os("RSVSADM_UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for (shell, name) in FILES {
        let fresh = completions::generate(shell, "rsvsadm");
        let file = path(name);
        if update {
            std::fs::write(&file, &fresh).unwrap();
            continue;
        }
        match std::fs::read(&file) {
            Ok(text) if text == fresh => {}
            _ => stale.push(file.display().to_string()),
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with \
         RSVSADM_UPDATE_COMPLETIONS=1 cargo test --test completions"
    );
}

/// What the completions must offer: commands, options, the director's and
/// service's subcommands, scheduler names and the --tun-type and
/// --sched-flags values.
#[test]
fn completions_offer_commands_options_and_values() {
    for (shell, _) in FILES {
        let text = String::from_utf8(completions::generate(shell, "rsvsadm")).unwrap();
        let mut want = vec![
            "add-service",
            "list",
            "json",
            "netns",
            "tun-type",
            "sched-flags",
            "setup",
            "check",
            "service",
            "fullnat",
            "realserver",
            "masquerade",
            "setup-start",
            "clear-on-stop",
            "wlc",
            "mh",
            "twos",
            "gue",
            "gre",
            "sh-fallback",
            "mh-port",
        ];
        if shell != Shell::Bash {
            // bash completes values without telling which option they are for;
            // zsh and fish keep the help text too.
            want.push("scheduling method");
        }
        for w in want {
            assert!(text.contains(w), "{shell}: {w:?} missing");
        }
    }
}

/// What bash offers after `words` (the last one being completed), with the
/// installed script: scheduler names after -s, the --tun-type and
/// --sched-flags values, the commands of setup and service.
fn bash_offers(words: &[&str]) -> String {
    let script = format!(
        "source {}; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); \
         _rsvsadm rsvsadm \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; \
         echo \"${{COMPREPLY[*]}}\"",
        path("rsvsadm.bash").display()
    );
    let out = Command::new("bash")
        .args(["-c", &script, "bash"])
        .args(words)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn bash_completes_values_and_commands() {
    assert_eq!(
        bash_offers(&["rsvsadm", "-A", "-t", "192.0.2.1:80", "-s", ""]),
        "rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos"
    );
    assert_eq!(
        bash_offers(&["rsvsadm", "-a", "--tun-type", "g"]),
        "gue gre"
    );
    assert_eq!(
        bash_offers(&["rsvsadm", "-A", "--sched-flags", "sh-"]),
        "sh-fallback sh-port"
    );
    assert_eq!(
        bash_offers(&["rsvsadm", "setup", ""]),
        "nat fullnat realserver show clear save restore"
    );
    assert_eq!(
        bash_offers(&["rsvsadm", "service", "setup-"]),
        "setup-start setup-stop"
    );
    assert_eq!(bash_offers(&["rsvsadm", "--js"]), "--json");
}
