//! install.sh: everything lands where it should, under a staging root
//! (`--destdir`, as packagers use it), with the installation's paths in the
//! units; the units pass `systemd-analyze verify` where it is available.
//! pkg/build-deb: the Debian package holds those files in Debian's places,
//! declares what replaces ipvsadm, and lintian finds no error in it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rsvsadm-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs install.sh with `args` (and the test's binary); its output.
fn install(args: &[&str]) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new("bash")
        .arg(repo.join("install.sh"))
        .args(["--bin", env!("CARGO_BIN_EXE_rsvsadm")])
        .args(args)
        .output()
        .unwrap()
}

fn install_ok(args: &[&str]) {
    let out = install(args);
    assert!(
        out.status.success(),
        "install.sh {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn install_into_a_staging_root() {
    let root = scratch("destdir");
    install_ok(&["--destdir", root.to_str().unwrap(), "--prefix", "/usr"]);
    let at = |p: &str| root.join(p.trim_start_matches('/'));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));

    assert_eq!(mode(&at("/usr/sbin/rsvsadm")), 0o755);
    for name in ["ipvsadm", "ipvsadm-save", "ipvsadm-restore"] {
        let link = at(&format!("/usr/sbin/{name}"));
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("rsvsadm"),
            "{name}"
        );
        let man = at(&format!("/usr/share/man/man8/{name}.8"));
        assert_eq!(
            fs::read_link(&man).unwrap(),
            Path::new("rsvsadm.8"),
            "{name}.8"
        );
    }
    for (installed, source) in [
        ("/usr/share/man/man8/rsvsadm.8", "man/rsvsadm.8"),
        (
            "/usr/share/bash-completion/completions/rsvsadm",
            "completions/rsvsadm.bash",
        ),
        (
            "/usr/share/zsh/site-functions/_rsvsadm",
            "completions/_rsvsadm",
        ),
        (
            "/usr/share/fish/vendor_completions.d/rsvsadm.fish",
            "completions/rsvsadm.fish",
        ),
        ("/usr/share/doc/rsvsadm/json.md", "docs/json.md"),
        ("/usr/share/doc/rsvsadm/metrics.md", "docs/metrics.md"),
        ("/etc/default/rsvsadm", "systemd/rsvsadm.default"),
    ] {
        assert_eq!(
            fs::read(at(installed)).unwrap(),
            fs::read(repo.join(source)).unwrap(),
            "{installed}"
        );
        assert_eq!(mode(&at(installed)), 0o644, "{installed}");
    }
    // The units name the installed paths, without the staging root.
    let unit = fs::read_to_string(at("/usr/lib/systemd/system/rsvsadm.service")).unwrap();
    for line in [
        "EnvironmentFile=-/etc/default/rsvsadm",
        "ExecStart=/usr/sbin/rsvsadm service start",
        "ExecStop=/usr/sbin/rsvsadm service stop",
    ] {
        assert!(unit.lines().any(|l| l == line), "no {line:?} in\n{unit}");
    }
    let setup = fs::read_to_string(at("/usr/lib/systemd/system/rsvsadm-setup.service")).unwrap();
    assert!(setup.contains("ExecStart=/usr/sbin/rsvsadm service setup-start\n"));
    assert!(
        !unit.contains('@') && !setup.contains('@'),
        "a placeholder is left"
    );

    // Installing again keeps the local settings.
    fs::write(at("/etc/default/rsvsadm"), "RSVSADM_CLEAR_ON_STOP=no\n").unwrap();
    install_ok(&["--destdir", root.to_str().unwrap(), "--prefix", "/usr"]);
    assert_eq!(
        fs::read_to_string(at("/etc/default/rsvsadm")).unwrap(),
        "RSVSADM_CLEAR_ON_STOP=no\n"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn install_refuses_to_replace_another_ipvsadm() {
    let root = scratch("other-ipvsadm");
    let sbin = root.join("usr/local/sbin");
    fs::create_dir_all(&sbin).unwrap();
    fs::write(sbin.join("ipvsadm"), "the distribution's ipvsadm").unwrap();
    let out = install(&["--destdir", root.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-ipvsadm-names"), "{err}");
    assert_eq!(
        fs::read_to_string(sbin.join("ipvsadm")).unwrap(),
        "the distribution's ipvsadm"
    );
    install_ok(&["--destdir", root.to_str().unwrap(), "--no-ipvsadm-names"]);
    assert!(sbin.join("rsvsadm").exists());
    assert!(!root.join("usr/local/share/man/man8/ipvsadm.8").exists());
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn install_usage_errors() {
    for args in [&["--prefix"][..], &["--prefix", "relative"], &["--bogus"]] {
        let out = install(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

/// systemd-analyze verify's messages that concern rsvsadm's own units. It
/// also loads the units they refer to (targets, network-online.target...),
/// so it can warn about whatever else is installed on the machine: those
/// messages say nothing about rsvsadm and must not fail the test.
fn messages_about_our_units(msgs: &str) -> Vec<&str> {
    msgs.lines()
        .filter(|l| l.contains("rsvsadm.service") || l.contains("rsvsadm-setup.service"))
        .collect()
}

#[test]
fn only_our_units_messages_count() {
    let msgs = "/etc/systemd/system/other.service:3: Unknown key name 'Foo' in section 'Unit', ignoring.\n\
                /x/usr/lib/systemd/system/rsvsadm.service:7: Unknown key name 'Bar'\n\
                rsvsadm-setup.service: Command /x/rsvsadm is not executable: No such file or directory\n";
    assert_eq!(
        messages_about_our_units(msgs),
        [
            "/x/usr/lib/systemd/system/rsvsadm.service:7: Unknown key name 'Bar'",
            "rsvsadm-setup.service: Command /x/rsvsadm is not executable: No such file or directory"
        ]
    );
}

/// With the paths real (a prefix, no staging root), systemd itself checks
/// the units: their syntax, that the commands exist, and (with the page's
/// directory in MANPATH) that Documentation=man:rsvsadm(8) resolves.
#[test]
fn installed_units_pass_systemd_analyze_verify() {
    let root = scratch("verify");
    let prefix = root.join("usr");
    let etc = root.join("etc");
    install_ok(&[
        "--prefix",
        prefix.to_str().unwrap(),
        "--sysconfdir",
        etc.to_str().unwrap(),
    ]);
    let units = prefix.join("lib/systemd/system");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(units.join("rsvsadm.service"))
        .arg(units.join("rsvsadm-setup.service"))
        .env("MANPATH", prefix.join("share/man"))
        .output();
    match out {
        Ok(out) => {
            let msgs = String::from_utf8_lossy(&out.stderr);
            let ours = messages_about_our_units(&msgs);
            assert!(ours.is_empty(), "{}", ours.join("\n"));
            // A failure must then come from some other unit on this machine.
            assert!(
                out.status.success() || msgs.lines().any(|l| !l.trim().is_empty()),
                "systemd-analyze verify failed without a message"
            );
            if !msgs.is_empty() {
                eprintln!("systemd-analyze's messages about other units, ignored:\n{msgs}");
            }
        }
        Err(e) => eprintln!("systemd-analyze not run ({e}): units not verified"),
    }
    fs::remove_dir_all(&root).unwrap();
}

/// Runs pkg/build-deb into `out`; the .deb's path.
fn build_deb(out: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = Command::new(repo.join("pkg/build-deb"))
        .args(["--bin", env!("CARGO_BIN_EXE_rsvsadm"), "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "pkg/build-deb: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&run.stdout).trim())
}

/// `dpkg-deb ARGS DEB`'s standard output.
fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(deb)
        .output()
        .unwrap();
    assert!(out.status.success(), "dpkg-deb {args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn debian_package_replaces_ipvsadm() {
    if Command::new("dpkg-deb").arg("--version").output().is_err() {
        eprintln!("dpkg-deb not found: the Debian package is not built here");
        return;
    }
    let out = scratch("deb");
    let deb = build_deb(&out);
    // "path" or "path -> target" per entry, without the leading "."
    let listing: Vec<String> = dpkg_deb(&["--contents"], &deb)
        .lines()
        .filter_map(|l| l.split_once(" ./").map(|(_, p)| format!("/{p}")))
        .collect();
    for want in [
        "/usr/sbin/rsvsadm",
        "/sbin/ipvsadm -> /usr/sbin/rsvsadm",
        "/sbin/ipvsadm-save -> /usr/sbin/rsvsadm",
        "/sbin/ipvsadm-restore -> /usr/sbin/rsvsadm",
        "/usr/share/man/man8/rsvsadm.8.gz",
        "/usr/share/man/man8/ipvsadm.8.gz -> rsvsadm.8.gz",
        "/usr/share/man/man8/ipvsadm-save.8.gz -> rsvsadm.8.gz",
        "/usr/share/man/man8/ipvsadm-restore.8.gz -> rsvsadm.8.gz",
        "/usr/share/bash-completion/completions/rsvsadm",
        "/usr/share/zsh/site-functions/_rsvsadm",
        "/usr/share/fish/vendor_completions.d/rsvsadm.fish",
        "/usr/share/doc/rsvsadm/json.md",
        "/usr/share/doc/rsvsadm/copyright",
        "/usr/share/doc/rsvsadm/changelog.gz",
        "/lib/systemd/system/rsvsadm.service",
        "/lib/systemd/system/rsvsadm-setup.service",
        "/etc/default/rsvsadm",
    ] {
        assert!(
            listing.iter().any(|l| l == want),
            "no {want} in {listing:#?}"
        );
    }
    let control = dpkg_deb(&["--field"], &deb);
    for field in [
        "Provides: ipvsadm",
        "Conflicts: ipvsadm",
        "Replaces: ipvsadm",
        "Section: admin",
    ] {
        assert!(
            control.lines().any(|l| l == field),
            "no {field:?} in\n{control}"
        );
    }
    let depends = control
        .lines()
        .find_map(|l| l.strip_prefix("Depends: "))
        .unwrap_or_default();
    for dep in ["libc6 (>= ", "iproute2", "nftables | iptables"] {
        assert!(depends.contains(dep), "no {dep:?} in Depends: {depends}");
    }
    let info = out.join("info");
    let run = Command::new("dpkg-deb")
        .arg("--control")
        .arg(&deb)
        .arg(&info)
        .status()
        .unwrap();
    assert!(run.success());
    assert_eq!(
        fs::read_to_string(info.join("conffiles")).unwrap(),
        "/etc/default/rsvsadm\n"
    );
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        assert_eq!(mode(&info.join(script)), 0o755, "{script}");
    }
    lintian_finds_no_error(&deb);
    fs::remove_dir_all(&out).unwrap();
}

/// lintian's errors and warnings on the package: none (its informational
/// tags are listed in README's Install section).
fn lintian_finds_no_error(deb: &Path) {
    match Command::new("lintian").arg(deb).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let bad: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("E: ") || l.starts_with("W: "))
                .collect();
            assert!(bad.is_empty() && out.status.success(), "lintian:\n{text}");
        }
        Err(e) => eprintln!("lintian not run ({e}): netns-tests/install-deps installs it"),
    }
}
