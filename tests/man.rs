//! man/rsvsadm.8 documents every option rsvsadm knows (ipvsadm's option
//! table, `setup`/`check` and `service`, as the clap definition of the whole
//! command line has them, with their values and environment variables) and
//! renders without a warning.

use std::path::PathBuf;
use std::process::Command;

use rsvsadm::app::completions;

fn man_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man/rsvsadm.8")
}

/// The page's text with the roff escapes that matter here undone: `\-` is
/// a hyphen, font changes (`\fB`, `\fI`, `\fR`, `\fP`) go.
fn man_text() -> String {
    let roff = std::fs::read_to_string(man_path()).unwrap();
    let mut text = roff.replace("\\-", "-").replace("\\e", "\\");
    for font in ["\\fB", "\\fI", "\\fR", "\\fP"] {
        text = text.replace(font, "");
    }
    text
}

/// Whether `word` occurs in `text` on its own: not as a part of a longer
/// name (`--sort` is not in `--nosort`, `-n` is not in `-nat`).
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// Every name the page must have for `cmd` and its subcommands: command
/// paths, options (long and short), their listed values, and environment
/// variables.
fn names(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        out.extend(arg.get_long().map(|l| format!("--{l}")));
        out.extend(arg.get_short().map(|c| format!("-{c}")));
        out.extend(
            arg.get_all_short_aliases()
                .unwrap_or_default()
                .iter()
                .map(|c| format!("-{c}")),
        );
        // (Flags have the possible values true and false: not words to
        // document.)
        if arg.get_action().takes_values() {
            out.extend(
                arg.get_possible_values()
                    .iter()
                    .map(|v| v.get_name().to_string()),
            );
        }
        out.extend(arg.get_env().map(|e| e.to_string_lossy().into_owned()));
    }
    for sub in cmd.get_subcommands() {
        let sub_path = format!("{path}{} ", sub.get_name());
        out.push(sub_path.trim_end().to_string());
        names(sub, &sub_path, out);
    }
}

#[test]
fn man_page_documents_every_option() {
    let text = man_text();
    let mut want = Vec::new();
    names(&completions::command("rsvsadm"), "", &mut want);
    // The sanity of the walk itself: all three sources are in it.
    for sample in [
        "--tcp-service",
        "--json",
        "--netns",
        "setup fullnat",
        "--laddr",
        "check",
        "service stop",
        "RSVSADM_CLEAR_ON_STOP",
        "mh-port",
        "gue",
    ] {
        assert!(
            want.iter().any(|w| w == sample),
            "{sample} not among the options"
        );
    }
    let missing: Vec<&String> = want.iter().filter(|w| !has_word(&text, w)).collect();
    assert!(
        missing.is_empty(),
        "man/rsvsadm.8 does not mention: {missing:?}"
    );
}

#[test]
fn man_page_has_its_sections() {
    let text = man_text();
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "SCHEDULERS",
        "RSVSADM EXTENSIONS",
        "SETUP AND CHECK",
        "SAVING ACROSS REBOOTS",
        "THE COMPATIBILITY NAMES",
        "JSON OUTPUT",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "DIFFERENCES FROM IPVSADM",
        "EXAMPLES",
    ] {
        assert!(
            text.contains(&format!("\n.SH {section}\n")),
            "no section {section}"
        );
    }
}

/// `groff -man -ww -z`: no warning at all, as printed and at the widths a
/// terminal shows it. Skipped (with a note) where groff is not installed.
#[test]
fn man_page_renders_without_warnings() {
    let runs: [&[&str]; 3] = [&[], &["-Tutf8", "-rLL=80n"], &["-Tutf8", "-rLL=65n"]];
    for extra in runs {
        let out = match Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .args(extra)
            .arg(man_path())
            .output()
        {
            Ok(out) => out,
            Err(e) => {
                eprintln!("groff not run ({e}): man page rendering not checked");
                return;
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "groff {extra:?}:\n{stderr}"
        );
    }
}
