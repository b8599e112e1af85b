//! Reading lines from input that 1.48 reads without a limit (passphrases, a command's
//! output), never with unbounded memory.

use std::io::BufRead;

/// Reads up to and including the next newline, or at most `max` bytes (`None` at the end of
/// input). Lines 1.48 reads without a limit are cut into pieces this size, so that a line
/// never takes unbounded memory.
pub fn read_line_bounded(input: &mut dyn BufRead, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    while out.len() < max {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min(max - out.len());
        match buf[..take].iter().position(|&c| c == b'\n') {
            Some(i) => {
                out.extend_from_slice(&buf[..=i]);
                input.consume(i + 1);
                return Ok(Some(out));
            }
            None => {
                out.extend_from_slice(&buf[..take]);
                input.consume(take);
            }
        }
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

/// The longest line guestfish reads where 1.48 has no limit (passphrases, `<!` output).
pub const LONG_LINE: usize = 1 << 20;
