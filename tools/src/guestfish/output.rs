//! guestfish's standard output, buffered as C's stdio buffers it, because that decides when a
//! write error shows and how 1.48 words it: line by line on a terminal (a failure is a
//! `write error` after the command), in 4 KiB blocks otherwise (the failure shows when the
//! command's output is flushed: `failed to flush standard output: ERROR`).

use std::io::Write;

/// A stdio buffer's size for pipes and files.
const BLOCK: usize = 4096;

/// How flushing a command's output went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flushed {
    Ok,
    /// A write failed earlier, but nothing was left to flush (line-buffered output).
    WriteError,
    /// The final flush failed, with this errno.
    FlushError(i32),
}

pub struct Stdout {
    buf: Vec<u8>,
    line_buffered: bool,
    /// The errno of a failed write since the last flush.
    failed: Option<i32>,
}

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

impl Stdout {
    /// Line-buffered when stdout is a terminal, as stdio decides at the first write.
    pub fn new() -> Stdout {
        // SAFETY: isatty only inspects descriptor 1.
        let line_buffered = unsafe { libc::isatty(1) } == 1;
        Stdout {
            buf: Vec::new(),
            line_buffered,
            failed: None,
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), i32> {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| errno_of(&e))
    }

    pub fn write(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        let ready = if self.line_buffered {
            self.buf
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1)
        } else if self.buf.len() >= BLOCK {
            self.buf.len() - self.buf.len() % BLOCK
        } else {
            0
        };
        if ready > 0 {
            let chunk: Vec<u8> = self.buf.drain(..ready).collect();
            if let Err(errno) = self.emit(&chunk) {
                self.failed = Some(errno);
            }
        }
    }

    /// Writes what is buffered (as `fflush(stdout)` after each command).
    pub fn flush(&mut self) -> Flushed {
        let pending = std::mem::take(&mut self.buf);
        let earlier = self.failed.take();
        // stdio keeps what it could not write and fails again on the flush.
        if let (Some(errno), false) = (earlier, self.line_buffered) {
            return Flushed::FlushError(errno);
        }
        if !pending.is_empty() {
            if let Err(errno) = self.emit(&pending) {
                return Flushed::FlushError(errno);
            }
        }
        if earlier.is_some() {
            Flushed::WriteError
        } else {
            Flushed::Ok
        }
    }
}
