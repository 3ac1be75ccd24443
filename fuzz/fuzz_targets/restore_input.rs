//! The `-R` input parser (every line goes through the command-line
//! grammar too) on arbitrary bytes: never a panic, and an error always
//! names a line that exists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rsvsadm::cli::{parse_restore, NoResolver};

fuzz_target!(|input: &[u8]| {
    // Lines as the parser counts them: a final `\n` ends the last line.
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    let lines = body.split(|&b| b == b'\n').count();
    match parse_restore(input, &NoResolver) {
        Ok(parsed) => {
            assert!(parsed.windows(2).all(|w| w[0].line < w[1].line));
            assert!(parsed.iter().all(|l| (1..=lines).contains(&l.line)));
        }
        Err(e) => {
            assert!((1..=lines).contains(&e.line), "line {} of {lines}", e.line);
            let text = e.render("rsvsadm");
            assert!(text.starts_with(&format!("rsvsadm: -R line {}: ", e.line)));
        }
    }
});
