//! Running the system tools (nft, iptables, ip) with argument vectors.
//!
//! Arguments are passed as separate argv entries, never through a shell,
//! and every value in them comes from a validated type, so user input can't
//! change what a command means.

use std::ffi::OsStr;
use std::io::{ErrorKind, Write};
use std::process::{Command, Stdio};

use crate::director::error::{Error, Result};

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program args...`, feeding `stdin` if given. A program that can't
/// be started is an error; a non-zero exit is reported in [`Output`].
pub fn run<S: AsRef<OsStr>>(program: &str, args: &[S], stdin: Option<&str>) -> Result<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The tools' messages are parsed in places; keep them untranslated.
        .env("LC_ALL", "C");
    let mut child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes())
            .map_err(|e| Error::tool(program, format!("writing its input: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::tool(program, e.to_string()))?;
    Ok(Output {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Like [`run`], but a non-zero exit is an error carrying the tool's
/// message and the command line.
pub fn run_ok<S: AsRef<OsStr>>(program: &str, args: &[S], stdin: Option<&str>) -> Result<String> {
    let out = run(program, args, stdin)?;
    if out.success {
        return Ok(out.stdout);
    }
    let line: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    Err(Error::tool(
        program,
        format!(
            "`{program} {}` failed: {}",
            line.join(" "),
            first_line(&out.stderr)
        ),
    ))
}

fn first_line(text: &str) -> String {
    let msg: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if msg.is_empty() {
        "(no message)".into()
    } else {
        msg.join("; ")
    }
}

fn spawn_error(program: &str, e: std::io::Error) -> Error {
    if e.kind() == ErrorKind::NotFound {
        Error::tool(
            program,
            "not found: install it (it is needed for this command)",
        )
    } else {
        Error::tool(program, format!("cannot run it: {e}"))
    }
}

/// Whether `program` can be found on PATH (to choose nft or iptables).
pub fn available(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(program);
        candidate.is_file()
    })
}
