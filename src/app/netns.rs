//! `--netns NAME`: run the whole command in a named network namespace, as
//! `ip -n NAME` / `ip netns exec NAME` do.
//!
//! IPVS tables, the connection-sync daemons, /proc/net/ip_vs_conn and the
//! `net.ipv4.vs.*` sysctls all belong to a network namespace, so entering
//! it before anything connects is all the IPVS commands need. `setup` and
//! `check` also look at /sys/class/net, which shows the namespace of
//! whoever mounted sysfs: like `ip netns exec`, we get a private mount
//! namespace and mount a sysfs of the entered namespace there.
//!
//! The option must come first (`rsvsadm --netns NAME -L -n`), so that it
//! works the same for every command, including `setup`, `check`,
//! `service` and the ipvsadm-save/ipvsadm-restore personalities.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

use super::Failure;

/// Where `ip netns add` keeps its namespaces.
const NETNS_RUN_DIR: &str = "/run/netns";

/// Exit status for a namespace that cannot be entered (as for IPVS that
/// cannot be initialised).
const EXIT_NETNS: i32 = 2;

/// Splits a leading `--netns NAME` or `--netns=NAME` off `args`.
pub fn split_leading(args: &[OsString]) -> Result<(Option<&OsStr>, &[OsString]), Failure> {
    let Some(first) = args.first() else {
        return Ok((None, args));
    };
    let (name, rest) = if first == "--netns" {
        match args.get(1) {
            Some(name) => (name.as_os_str(), &args[2..]),
            None => return Err(usage("--netns needs a namespace name")),
        }
    } else if let Some(name) = first.as_bytes().strip_prefix(b"--netns=") {
        (OsStr::from_bytes(name), &args[1..])
    } else {
        return Ok((None, args));
    };
    let again = rest
        .first()
        .is_some_and(|a| a == "--netns" || a.as_bytes().starts_with(b"--netns="));
    if again {
        return Err(usage("--netns is given twice"));
    }
    Ok((Some(name), rest))
}

fn usage(message: &str) -> Failure {
    Failure::new(
        format!("{message}: use `--netns NAME` first, before the command\n"),
        EXIT_NETNS,
    )
}

/// The namespace file of `name`, refusing names that would leave
/// /run/netns (as `ip` does).
fn netns_path(name: &OsStr) -> Result<PathBuf, Failure> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.contains(&b'/') || name == "." || name == ".." {
        return Err(Failure::new(
            format!(
                "--netns {}: not a namespace name (a name as `ip netns list` shows it)\n",
                name.to_string_lossy()
            ),
            EXIT_NETNS,
        ));
    }
    Ok(PathBuf::from(NETNS_RUN_DIR).join(name))
}

/// Moves this (single-threaded) process into the named namespace.
pub fn enter(name: &OsStr) -> Result<(), Failure> {
    let path = netns_path(name)?;
    let shown = name.to_string_lossy();
    let file = File::open(&path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "no such network namespace ({} does not exist); `ip netns list` shows \
                 the namespaces, `ip netns add {shown}` makes one",
                path.display()
            )
        } else {
            format!("{}: {e}", path.display())
        };
        Failure::new(format!("--netns {shown}: {why}\n"), EXIT_NETNS)
    })?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| failed(&shown, "enter it", e))?;
    remount_sysfs().map_err(|(what, e)| failed(&shown, what, e))
}

fn failed(name: &str, what: &str, e: Errno) -> Failure {
    let hint = if e == Errno::EPERM {
        " (run as root)"
    } else {
        ""
    };
    Failure::new(
        format!("--netns {name}: cannot {what}: {}{hint}\n", e.desc()),
        EXIT_NETNS,
    )
}

/// A private mount namespace with a sysfs of the current network
/// namespace on /sys (`ip netns exec` does the same).
fn remount_sysfs() -> Result<(), (&'static str, Errno)> {
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| ("get a private mount namespace", e))?;
    // Nothing mounted here may reach the rest of the system.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| ("make / a slave mount", e))?;
    // Without a sysfs to replace (none mounted), the new one just goes on
    // top; a read-only one can only be covered by a read-only one.
    let read_only = umount2("/sys", MntFlags::MNT_DETACH).is_err()
        && nix::sys::statvfs::statvfs("/sys")
            .is_ok_and(|s| s.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY));
    let flags = if read_only {
        MsFlags::MS_RDONLY
    } else {
        MsFlags::empty()
    };
    mount(Some("sysfs"), "/sys", Some("sysfs"), flags, None::<&str>)
        .map_err(|e| ("mount its /sys", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn netns_leading_option() {
        let a = args(&["--netns", "blue", "-L", "-n"]);
        let (name, rest) = split_leading(&a).unwrap();
        assert_eq!(name, Some(OsStr::new("blue")));
        assert_eq!(rest, &a[2..]);
        let a = args(&["--netns=red", "setup", "show"]);
        let (name, rest) = split_leading(&a).unwrap();
        assert_eq!(name, Some(OsStr::new("red")));
        assert_eq!(rest, &a[1..]);
        let a = args(&["-L", "--netns", "blue"]);
        let (name, rest) = split_leading(&a).unwrap();
        assert_eq!((name, rest), (None, &a[..]));
        assert_eq!(split_leading(&[]).unwrap().0, None);
    }

    #[test]
    fn netns_usage_errors() {
        let err = split_leading(&args(&["--netns"])).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(
            err.message.contains("needs a namespace name"),
            "{}",
            err.message
        );
        let err = split_leading(&args(&["--netns", "a", "--netns=b", "-L"])).unwrap_err();
        assert!(err.message.contains("given twice"), "{}", err.message);
    }

    #[test]
    fn netns_names_stay_in_run_netns() {
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(netns_path(OsStr::new(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            netns_path(OsStr::new("blue")).unwrap(),
            PathBuf::from("/run/netns/blue")
        );
    }

    #[test]
    fn netns_missing_namespace_is_a_clear_error() {
        let err = enter(OsStr::new("rsvsadm-test-no-such-namespace")).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(
            err.message.contains("no such network namespace")
                && err
                    .message
                    .contains("ip netns add rsvsadm-test-no-such-namespace"),
            "{}",
            err.message
        );
    }
}
