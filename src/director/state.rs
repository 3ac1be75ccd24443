//! The saved setup file, `/etc/rsvsadm/setup.conf`: one `rsvsadm setup`
//! command a line (without "setup"), written by `setup save` and applied by
//! `setup restore` (at boot, to make the setup survive a reboot).
//!
//! There is no runtime state file: what rsvsadm set up is read back from
//! the kernel's own objects, in the network namespace they belong to: the
//! firewall record (`firewall/content.rs`) and the marked addresses and
//! interfaces (`host/addr.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::model::grammar::parse_conf_line;
use super::model::{Setup, SetupCommand};

pub const SAVE_FILE: &str = "/etc/rsvsadm/setup.conf";

/// Parses setup command lines; `#` starts a comment. Errors name the line.
pub fn parse_commands(text: &str, origin: &str) -> Result<Vec<SetupCommand>> {
    let mut cmds = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cmd = parse_conf_line(line)
            .map_err(|e| Error::invalid(format!("{origin}:{}: {e}", n + 1)))?;
        cmds.push(cmd);
    }
    Ok(cmds)
}

/// The commands merged into one setup.
pub fn merge_all(base: Setup, cmds: &[SetupCommand], origin: &str) -> Result<Setup> {
    let mut setup = base;
    for cmd in cmds {
        setup
            .merge(cmd)
            .map_err(|e| Error::invalid(format!("{origin}: {e}")))?;
    }
    Ok(setup)
}

/// A setup file's text: a header and one command a line.
pub fn render(setup: &Setup) -> String {
    let mut text = String::from(
        "# rsvsadm setup, one `rsvsadm setup` command a line (without \"setup\").\n\
         # Apply with: rsvsadm setup restore [FILE]\n",
    );
    for line in setup.to_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// Writes `text` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::model::RsMode;

    #[test]
    fn file_round_trip() {
        let cmds = parse_commands(
            "# comment\n\
             nat --masquerade 192.0.2.0/24 --interface eth0.100  # trailing\n\
             \n\
             fullnat -u [2001:db8::10]:53 --laddr 2001:db8:1::1\n\
             realserver --vip 203.0.113.10 --mode tun\n",
            "test",
        )
        .unwrap();
        let setup = merge_all(Setup::default(), &cmds, "test").unwrap();
        assert_eq!(setup.realservers.values().next(), Some(&RsMode::Tun));
        let path = std::env::temp_dir()
            .join(format!("rsvsadm-state-{}", std::process::id()))
            .join("setup.conf");
        write_atomic(&path, &render(&setup)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let again = merge_all(Setup::default(), &parse_commands(&text, "t").unwrap(), "t").unwrap();
        assert_eq!(again, setup);
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_commands(
            "nat\nnat --masquerade nonsense\n",
            "/etc/rsvsadm/setup.conf",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("/etc/rsvsadm/setup.conf:2: "), "{err}");
        assert!(err.contains("nonsense"), "{err}");
    }
}
