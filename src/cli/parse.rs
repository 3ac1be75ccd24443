//! A popt-compatible tokenizer over the option table.
//!
//! ipvsadm 1.31 parses its command line with popt (Debian: libpopt 1.19).
//! This module reproduces the parts of `poptGetNextOpt()` that are visible
//! to a user of ipvsadm's option table (no aliases, no exec, no callbacks):
//!
//! - A word not starting with `-`, a lone `-`, and every word after `--`
//!   is a leftover argument (read later in order with [`Popt::next_arg`]);
//!   option parsing carries on after it, unless `POSIXLY_CORRECT` or
//!   `POSIX_ME_HARDER` is set in the environment, in which case every
//!   word after the first leftover is a leftover too.
//! - `--name` and `--name=value`: exact match only (no abbreviations).
//! - `-abc` is a cluster of short options; a short option that takes a
//!   value takes the rest of the word (`-w2`; one leading `=` is dropped,
//!   `-w=2`), or else the next word, whatever it looks like (`-w -1`).
//! - An optional value (`-p`) is the rest of the word, or else the next
//!   word unless that word starts with `-` (so `-p ""` has the value "").
//! - A flag given a value (`--numeric=1`, `-n=1`) is an error.
//! - In any value, the text `!#:+` is replaced by the next word that does
//!   not start with `-`, and that word is then skipped (popt's
//!   `expandNextArg()`; a leftover of its alias machinery that applies to
//!   every argument).
//!
//! Errors carry popt's text (`poptStrerror()`) and the word
//! `poptBadOption()` names: the last word consumed.
//!
//! Words are bytes, as for popt: a word that is not UTF-8 is echoed in
//! messages as it was given.

use std::collections::VecDeque;

use super::options::{ArgKind, OptSpec};
use super::table::{find_long, find_short};

/// The popt errors ipvsadm's table can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoptErrorKind {
    /// `POPT_ERROR_NOARG`
    MissingArgument,
    /// `POPT_ERROR_UNWANTEDARG`
    UnwantedArgument,
    /// `POPT_ERROR_BADOPT`
    UnknownOption,
}

impl PoptErrorKind {
    /// `poptStrerror()`'s text.
    pub fn text(self) -> &'static str {
        match self {
            PoptErrorKind::MissingArgument => "missing argument",
            PoptErrorKind::UnwantedArgument => "option does not take an argument",
            PoptErrorKind::UnknownOption => "unknown option",
        }
    }
}

/// A popt error and the word it blames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoptError {
    pub kind: PoptErrorKind,
    /// `poptBadOption(context, POPT_BADOPTION_NOALIAS)`.
    pub option: Vec<u8>,
}

/// One option found on the command line.
#[derive(Debug, Clone)]
pub struct Hit {
    pub spec: &'static OptSpec,
    /// The value (after `!#:+` expansion), if the option takes one and one
    /// was given.
    pub value: Option<Vec<u8>>,
}

/// The tokenizer state (a popt context without argv\[0\]).
#[derive(Debug)]
pub struct Popt<'a> {
    argv: &'a [Vec<u8>],
    /// Index of the next word to read.
    next: usize,
    /// Rest of a short-option cluster: (word index, byte offset).
    cluster: Option<(usize, usize)>,
    /// After `--` (or the first leftover, in POSIX mode): everything is
    /// a leftover.
    rest_leftover: bool,
    /// popt's POPT_CONTEXT_POSIXMEHARDER.
    posix: bool,
    /// Words taken by `!#:+` expansion; skipped later.
    taken: Vec<bool>,
    leftovers: VecDeque<Vec<u8>>,
}

impl<'a> Popt<'a> {
    /// A context over the arguments (without the program name).
    /// `posix`: options end at the first non-option word.
    pub fn new(argv: &'a [Vec<u8>], posix: bool) -> Popt<'a> {
        Popt {
            argv,
            next: 0,
            cluster: None,
            rest_leftover: false,
            posix,
            taken: vec![false; argv.len()],
            leftovers: VecDeque::new(),
        }
    }

    /// `poptBadOption()`: the last word read.
    pub fn bad_option(&self) -> &[u8] {
        self.next
            .checked_sub(1)
            .and_then(|i| self.argv.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// `poptGetArg()`: the next leftover argument seen so far.
    pub fn next_arg(&mut self) -> Option<Vec<u8>> {
        self.leftovers.pop_front()
    }

    fn error(&self, kind: PoptErrorKind) -> PoptError {
        PoptError {
            kind,
            option: self.bad_option().to_vec(),
        }
    }

    /// `poptGetNextOpt()`: the next option, `Ok(None)` at the end.
    pub fn next_opt(&mut self) -> Result<Option<Hit>, PoptError> {
        loop {
            if self.cluster.is_none() {
                if self.next == self.argv.len() {
                    return Ok(None);
                }
                if self.taken[self.next] {
                    self.next += 1;
                    continue;
                }
                let index = self.next;
                let word = &self.argv[index];
                self.next += 1;
                if self.rest_leftover || !word.starts_with(b"-") || word == b"-" {
                    if self.posix {
                        self.rest_leftover = true;
                    }
                    self.leftovers.push_back(word.clone());
                    continue;
                }
                if word == b"--" {
                    self.rest_leftover = true;
                    continue;
                }
                if let Some(body) = word.strip_prefix(b"--") {
                    let (name, value) = match body.iter().position(|&b| b == b'=') {
                        Some(eq) => (&body[..eq], Some(body[eq + 1..].to_vec())),
                        None => (body, None),
                    };
                    let spec =
                        find_long(name).ok_or_else(|| self.error(PoptErrorKind::UnknownOption))?;
                    return self.finish(spec, value).map(Some);
                }
                // A single dash: popt would try a long name marked
                // POPT_ARGFLAG_ONEDASH (ipvsadm has none), then a cluster.
                self.cluster = Some((index, 1));
            }
            let Some((index, offset)) = self.cluster.take() else {
                continue;
            };
            let word = &self.argv[index];
            let spec =
                find_short(word[offset]).ok_or_else(|| self.error(PoptErrorKind::UnknownOption))?;
            if offset + 1 < word.len() {
                self.cluster = Some((index, offset + 1));
            }
            return self.finish(spec, None).map(Some);
        }
    }

    /// Take the option's value, if it has one.
    fn finish(
        &mut self,
        spec: &'static OptSpec,
        long_value: Option<Vec<u8>>,
    ) -> Result<Hit, PoptError> {
        if spec.arg == ArgKind::None {
            let cluster_has_equals = self
                .cluster
                .is_some_and(|(i, off)| self.argv[i][off] == b'=');
            if long_value.is_some() || cluster_has_equals {
                return Err(self.error(PoptErrorKind::UnwantedArgument));
            }
            return Ok(Hit { spec, value: None });
        }
        let value = if let Some(v) = long_value {
            Some(v)
        } else if let Some((i, off)) = self.cluster.take() {
            let rest = &self.argv[i][off..];
            Some(rest.strip_prefix(b"=").unwrap_or(rest).to_vec())
        } else if self.next == self.argv.len() {
            if matches!(spec.arg, ArgKind::Required(_)) {
                return Err(self.error(PoptErrorKind::MissingArgument));
            }
            None
        } else if matches!(spec.arg, ArgKind::Optional(_)) && self.argv[self.next].starts_with(b"-")
        {
            None
        } else {
            // Taken even if `!#:+` expansion already used this word, as
            // popt does.
            let v = self.argv[self.next].clone();
            self.next += 1;
            Some(v)
        };
        let value = value.map(|v| self.expand(&v));
        Ok(Hit { spec, value })
    }

    /// popt's `expandNextArg()`. (ipvsadm hangs on some of these values;
    /// this always answers.)
    fn expand(&mut self, s: &[u8]) -> Vec<u8> {
        const MARK: &[u8] = b"!#:+";
        if !s.windows(MARK.len()).any(|w| w == MARK) {
            return s.to_vec();
        }
        let mut out = Vec::with_capacity(s.len());
        let mut found: Option<Vec<u8>> = None;
        let mut rest = s;
        while let Some((&byte, tail)) = rest.split_first() {
            if rest.starts_with(MARK) {
                if found.is_none() {
                    found = self.take_next_plain_word();
                }
                if let Some(word) = &found {
                    out.extend_from_slice(word);
                    rest = &rest[MARK.len()..];
                    continue;
                }
            }
            out.push(byte);
            rest = tail;
        }
        out
    }

    /// popt's `findNextArg(con, 1, 1)`.
    fn take_next_plain_word(&mut self) -> Option<Vec<u8>> {
        for i in self.next..self.argv.len() {
            if self.taken[i] || self.argv[i].starts_with(b"-") {
                continue;
            }
            self.taken[i] = true;
            return Some(self.argv[i].clone());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn words(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// (long name, value) of each option found.
    type Hits = Vec<(&'static str, Option<String>)>;

    /// All options as (id, value), then the leftovers; or the error.
    fn run(args: &[&str]) -> Result<(Hits, Vec<String>), PoptError> {
        let argv = words(args);
        let mut p = Popt::new(&argv, false);
        let mut hits = Vec::new();
        while let Some(h) = p.next_opt()? {
            let value = h.value.map(|v| String::from_utf8_lossy(&v).into_owned());
            hits.push((h.spec.long, value));
        }
        let mut rest = Vec::new();
        while let Some(a) = p.next_arg() {
            rest.push(String::from_utf8_lossy(&a).into_owned());
        }
        Ok((hits, rest))
    }

    fn v(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn cli_popt_clusters() {
        let (h, _) = run(&["-Lnc", "--timeout"]).unwrap();
        assert_eq!(
            h,
            [
                ("list", None),
                ("numeric", None),
                ("connection", None),
                ("timeout", None)
            ]
        );
        let (h, _) = run(&["-ln"]).unwrap();
        assert_eq!(h, [("list", None), ("numeric", None)]);
    }

    #[test]
    fn cli_popt_values() {
        let (h, _) = run(&["-w2", "-w", "3", "-w=4", "--weight=5", "--weight", "6"]).unwrap();
        let vals: Vec<_> = h.into_iter().map(|(_, v)| v.unwrap()).collect();
        assert_eq!(vals, ["2", "3", "4", "5", "6"]);
        // A required value takes the next word even if it looks like an option.
        let (h, _) = run(&["-w", "-L"]).unwrap();
        assert_eq!(h, [("weight", v("-L"))]);
        // Value in the middle of a cluster: the rest of the word.
        let (h, _) = run(&["-ts"]).unwrap();
        assert_eq!(h, [("tcp-service", v("s"))]);
        // Empty long value.
        let (h, _) = run(&["--weight="]).unwrap();
        assert_eq!(h, [("weight", v(""))]);
        // Only the first `=` is dropped.
        let (h, _) = run(&["-w==1"]).unwrap();
        assert_eq!(h, [("weight", v("=1"))]);
    }

    #[test]
    fn cli_popt_optional_value() {
        let (h, _) = run(&["-p", "300"]).unwrap();
        assert_eq!(h, [("persistent", v("300"))]);
        let (h, _) = run(&["-p", "-M", "1"]).unwrap();
        assert_eq!(h, [("persistent", None), ("netmask", v("1"))]);
        let (h, _) = run(&["-p"]).unwrap();
        assert_eq!(h, [("persistent", None)]);
        let (h, _) = run(&["-p300", "--persistent=5", "--persistent", "6"]).unwrap();
        assert_eq!(
            h,
            [
                ("persistent", v("300")),
                ("persistent", v("5")),
                ("persistent", v("6"))
            ]
        );
        let (h, _) = run(&["-p", ""]).unwrap();
        assert_eq!(h, [("persistent", v(""))]);
        let (h, _) = run(&["-p", "-"]).unwrap();
        assert_eq!(h, [("persistent", None)]);
        // Cluster: the rest of the word is the value.
        let (h, _) = run(&["-pn"]).unwrap();
        assert_eq!(h, [("persistent", v("n"))]);
    }

    #[test]
    fn cli_popt_leftovers() {
        let (h, rest) = run(&["a", "--set", "b", "-", "--", "-L", "c"]).unwrap();
        assert_eq!(h, [("set", None)]);
        assert_eq!(rest, ["a", "b", "-", "-L", "c"]);
    }

    #[test]
    fn cli_popt_errors() {
        let e = run(&["-L", "--bogus"]).unwrap_err();
        assert_eq!(e.kind, PoptErrorKind::UnknownOption);
        assert_eq!(e.option, b"--bogus");
        let e = run(&["-Lq"]).unwrap_err();
        assert_eq!(
            (e.kind, e.option.as_slice()),
            (PoptErrorKind::UnknownOption, &b"-Lq"[..])
        );
        let e = run(&["-L", "-w"]).unwrap_err();
        assert_eq!(
            (e.kind, e.option.as_slice()),
            (PoptErrorKind::MissingArgument, &b"-w"[..])
        );
        let e = run(&["--numeric=1"]).unwrap_err();
        assert_eq!(
            (e.kind, e.option.as_slice()),
            (PoptErrorKind::UnwantedArgument, &b"--numeric=1"[..])
        );
        let e = run(&["-Ln=1"]).unwrap_err();
        assert_eq!(
            (e.kind, e.option.as_slice()),
            (PoptErrorKind::UnwantedArgument, &b"-Ln=1"[..])
        );
        // No abbreviations, and single-dash long names are clusters.
        assert_eq!(
            run(&["--lis"]).unwrap_err().kind,
            PoptErrorKind::UnknownOption
        );
        let (h, _) = run(&["-list"]).unwrap();
        assert_eq!(h, [("list", None), ("ipip", None), ("scheduler", v("t"))]);
        assert_eq!(
            run(&["--=x"]).unwrap_err().kind,
            PoptErrorKind::UnknownOption
        );
        assert_eq!(run(&["-é"]).unwrap_err().kind, PoptErrorKind::UnknownOption);
        // --syncid's popt val is 'I' but it has no short name.
        assert_eq!(run(&["-I"]).unwrap_err().kind, PoptErrorKind::UnknownOption);
    }

    #[test]
    fn cli_popt_posix_mode() {
        let argv = words(&["-L", "x", "-n", "--", "y"]);
        let mut p = Popt::new(&argv, true);
        assert_eq!(p.next_opt().unwrap().unwrap().spec.long, "list");
        assert!(p.next_opt().unwrap().is_none());
        let rest: Vec<Vec<u8>> = std::iter::from_fn(|| p.next_arg()).collect();
        assert_eq!(rest, words(&["x", "-n", "--", "y"]));
    }

    #[test]
    fn cli_popt_expand_next_arg() {
        let (h, rest) = run(&["-s", "x!#:+y!#:+", "-n", "abc", "def"]).unwrap();
        assert_eq!(h, [("scheduler", v("xabcyabc")), ("numeric", None)]);
        assert_eq!(rest, ["def"]);
        // Nothing to take: the text stays.
        let (h, _) = run(&["-s", "!#:+"]).unwrap();
        assert_eq!(h, [("scheduler", v("!#:+"))]);
    }
}
