//! The `-R` input: one ipvsadm command line per input line.
//!
//! Like ipvsadm (`restore_table()` and `config_stream_read()`):
//! - lines end at `\n`; a line is split at blanks (space, tab, `\r`), with
//!   no quoting or escaping;
//! - every token `ipvsadm` is dropped (so `ipvsadm -A ...` lines work);
//! - a line with no tokens left is skipped;
//! - each line is parsed with the same grammar and gives the same errors
//!   as the command line;
//! - a nested `-R` is refused (with ipvsadm's "Try" hint, exit 255).
//!
//! - a `-h` or `-v` line ends the input: its text is printed after the
//!   lines before it are applied, and the lines after it are not applied
//!   (ipvsadm exits there);
//! - a last line without a `\n` that ends in two blanks or more is not
//!   applied (ipvsadm's reader drops it: the blank after the last word is
//!   that word's end, and meeting the end of input among more blanks
//!   throws the line away);
//! - words are bytes: a line that is not UTF-8 is read as ipvsadm reads
//!   it, and echoed as it is.
//!
//! Better than ipvsadm (see "Differences from ipvsadm" in rsvsadm(8)):
//! - every line is checked before anything is applied, including the
//!   lines after a `-h`/`-v` line and a dropped last line, and an error
//!   names its 1-based line number and text;
//! - a line whose first non-blank character is `#` is a comment (ipvsadm
//!   stops the whole restore with the "Try" hint on such a line, so no
//!   input that ipvsadm accepts changes meaning). A `#` later in a line
//!   is an ordinary character, as in ipvsadm;
//! - a first token `rsvsadm` is dropped too;
//! - a NUL byte is an error (ipvsadm would cut the line there and apply
//!   what is left of it, a different rule than the one written);
//! - no line length limit (ipvsadm silently splits tokens over 4096 bytes).

use std::fmt;

use super::args::parse_args;
use super::command::Command;
use super::resolve::NameResolver;
use super::{CliError, ParseOptions};

/// One parsed input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreLine {
    /// 1-based line number in the input.
    pub line: usize,
    pub command: Command,
}

/// The first bad line of a restore input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreError {
    /// 1-based line number.
    pub line: usize,
    /// The line's text (without the line end).
    pub text: Vec<u8>,
    /// What is wrong, as the command line would say it.
    pub error: CliError,
}

impl RestoreError {
    /// The exit status: that of the underlying error.
    pub fn exit_code(&self) -> i32 {
        self.error.exit_code()
    }

    /// `<prog>: -R line <n>: <text>` and then the error exactly as the
    /// command line would print it.
    pub fn render_bytes(&self, prog: &str) -> Vec<u8> {
        let place = format!("{prog}: -R line {}: ", self.line);
        [
            place.as_bytes(),
            &self.text,
            b"\n",
            &self.error.render_bytes(prog),
        ]
        .concat()
    }

    /// [`RestoreError::render_bytes`] as text (lossily).
    pub fn render(&self, prog: &str) -> String {
        String::from_utf8_lossy(&self.render_bytes(prog)).into_owned()
    }
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(&self.text);
        write!(f, "line {}: {text}: {}", self.line, self.error)
    }
}

impl std::error::Error for RestoreError {}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

/// Parse a whole `-R` input. Nothing is returned unless every line is
/// valid.
pub fn parse_restore(
    input: &[u8],
    resolver: &dyn NameResolver,
) -> Result<Vec<RestoreLine>, RestoreError> {
    parse_restore_with(input, resolver, ParseOptions::default())
}

/// [`parse_restore`] with explicit [`ParseOptions`]. Every line is
/// checked; the lines returned are those to run: up to the first `-h` or
/// `-v` line (included), without a last line that ends in two blanks
/// or more and has no `\n`.
pub fn parse_restore_with(
    input: &[u8],
    resolver: &dyn NameResolver,
    options: ParseOptions,
) -> Result<Vec<RestoreLine>, RestoreError> {
    let lines = split_lines(input);
    // ipvsadm's reader drops a last line that has no `\n` and ends in
    // two blanks or more.
    let dropped_last = !input.ends_with(b"\n")
        && lines
            .last()
            .is_some_and(|l| l.len() >= 2 && l[l.len() - 2..].iter().all(|&b| is_blank(b)));
    let mut out = Vec::new();
    let mut stopped = false;
    for (index, raw) in lines.iter().enumerate() {
        let line = index + 1;
        let Some(command) = parse_line(line, raw, resolver, options)? else {
            continue;
        };
        if stopped || (dropped_last && line == lines.len()) {
            continue;
        }
        stopped = matches!(command, Command::Help | Command::Version);
        out.push(RestoreLine { line, command });
    }
    Ok(out)
}

/// The input's lines, without their `\n`. A final line without `\n`
/// counts; an empty tail after the last `\n` is not a line.
fn split_lines(input: &[u8]) -> Vec<&[u8]> {
    if input.is_empty() {
        return Vec::new();
    }
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    body.split(|&b| b == b'\n').collect()
}

/// One line's command; `None` for a blank or comment line.
fn parse_line(
    line: usize,
    raw: &[u8],
    resolver: &dyn NameResolver,
    options: ParseOptions,
) -> Result<Option<Command>, RestoreError> {
    let end = raw.iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
    let text = &raw[..end];
    let fail = |error: CliError| RestoreError {
        line,
        text: text.to_vec(),
        error,
    };
    if raw.contains(&0) {
        return Err(RestoreError {
            line,
            text: escape_nul(raw),
            error: CliError::fail("NUL byte in input"),
        });
    }
    let trimmed = raw
        .iter()
        .position(|&b| !is_blank(b))
        .map_or(&[][..], |i| &raw[i..]);
    if trimmed.starts_with(b"#") {
        return Ok(None);
    }
    let tokens: Vec<Vec<u8>> = raw
        .split(|&b| is_blank(b))
        .filter(|t| !t.is_empty())
        .enumerate()
        .filter(|&(k, t)| t != b"ipvsadm" && !(k == 0 && t == b"rsvsadm"))
        .map(|(_, t)| t.to_vec())
        .collect();
    if tokens.is_empty() {
        return Ok(None);
    }
    let command = parse_args(&tokens, resolver, options).map_err(fail)?;
    if matches!(command, Command::Restore | Command::Sync(_)) {
        // restore_table() refuses to recurse: tryhelp_exit().
        return Err(fail(CliError::TryHelp));
    }
    Ok(Some(command))
}

/// The line with each NUL byte shown as `\0`, for the message.
fn escape_nul(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 1);
    for &b in raw {
        match b {
            0 => out.extend_from_slice(b"\\0"),
            b => out.push(b),
        }
    }
    out
}
