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
//! Better than ipvsadm:
//! - a line whose first non-blank character is `#` is a comment (ipvsadm
//!   stops the whole restore with the "Try" hint on such a line, so no
//!   input that ipvsadm accepts changes meaning). A `#` later in a line
//!   is an ordinary character, as in ipvsadm;
//! - a first token `rsvsadm` is dropped too;
//! - every line is checked before anything is applied, and an error names
//!   its 1-based line number and text; invalid UTF-8 and NUL bytes are
//!   errors, not truncation;
//! - no line length limit (ipvsadm silently splits tokens over 4096 bytes).

use std::fmt;

use super::command::{parse_args, Command};
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
    /// The line's text (lossily decoded, without the line end).
    pub text: String,
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
    pub fn render(&self, prog: &str) -> String {
        format!(
            "{prog}: -R line {}: {}\n{}",
            self.line,
            self.text,
            self.error.render(prog)
        )
    }
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.text, self.error)
    }
}

impl std::error::Error for RestoreError {}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

/// Parse a whole `-R` input. Nothing is returned unless every line is
/// valid.
pub fn parse_restore(
    input: &[u8],
    resolver: &dyn NameResolver,
) -> Result<Vec<RestoreLine>, RestoreError> {
    parse_restore_with(input, resolver, ParseOptions::default())
}

/// [`parse_restore`] with explicit [`ParseOptions`].
pub fn parse_restore_with(
    input: &[u8],
    resolver: &dyn NameResolver,
    options: ParseOptions,
) -> Result<Vec<RestoreLine>, RestoreError> {
    let mut out = Vec::new();
    if input.is_empty() {
        return Ok(out);
    }
    // A final line without `\n` counts; an empty tail after the last `\n`
    // is not a line.
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    for (index, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let bad = |message: &str| RestoreError {
            line,
            text: String::from_utf8_lossy(raw).replace('\0', "\\0"),
            error: CliError::fail(message),
        };
        if raw.contains(&0) {
            return Err(bad("NUL byte in input"));
        }
        let text = std::str::from_utf8(raw).map_err(|_| bad("invalid UTF-8 in input"))?;
        let trimmed = text.trim_start_matches(is_blank);
        if trimmed.starts_with('#') {
            continue;
        }
        let mut tokens: Vec<String> = Vec::new();
        for (k, token) in text.split(is_blank).filter(|t| !t.is_empty()).enumerate() {
            if token == "ipvsadm" || (k == 0 && token == "rsvsadm") {
                continue;
            }
            tokens.push(token.to_string());
        }
        if tokens.is_empty() {
            continue;
        }
        let fail = |error: CliError| RestoreError {
            line,
            text: text.trim_end_matches('\r').to_string(),
            error,
        };
        let command = parse_args(&tokens, resolver, options).map_err(fail)?;
        if matches!(command, Command::Restore | Command::Sync(_)) {
            // restore_table() refuses to recurse: tryhelp_exit().
            return Err(fail(CliError::TryHelp));
        }
        out.push(RestoreLine { line, command });
    }
    Ok(out)
}
