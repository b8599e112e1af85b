//! One guestfish session: the handle, the settings the command line chose, where the input
//! comes from (for `FILE:LINE:` error prefixes), and what commands share between them.

use super::commands::events::EventHandlers;
use super::output::{Flushed, Stdout};
use super::progress::ProgressBars;
use guestfs::Handle;
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// How guestfish ends early: the exit status (messages already printed).
pub type Exit = i32;

/// A command failed (its messages are already printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// What a command returns.
pub type CmdResult = Result<(), Failed>;

/// The input being read, for error messages: the `-f` file or `*stdin*`, and the line number
/// (counting every line read, and key lines read from stdin).
pub struct InputPosition {
    pub file: String,
    line: AtomicI64,
}

impl InputPosition {
    pub fn new(file: &str) -> InputPosition {
        InputPosition {
            file: file.to_string(),
            line: AtomicI64::new(0),
        }
    }
    pub fn line(&self) -> i64 {
        self.line.load(Ordering::Relaxed)
    }
    pub fn next_line(&self) {
        self.line.fetch_add(1, Ordering::Relaxed);
    }
}

/// The settings a session keeps from the command line.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub read_only: bool,
    pub verbose: i32,
    pub keys_from_stdin: bool,
    pub echo_keys: bool,
    pub pipe_error: bool,
    /// Tab completion of guest paths and devices (off with `--no-dest-paths`).
    pub complete_dest_paths: bool,
    /// stdin is a terminal and there is no `-f`.
    pub interactive: bool,
    /// `--remote`: commands go to the guestfish server with this PID.
    pub remote_pid: Option<i32>,
}

/// A running guestfish.
pub struct Fish {
    pub g: Handle,
    pub settings: Settings,
    pub input: Arc<InputPosition>,
    /// Set by `quit`; the input loops stop.
    pub quit: bool,
    /// Commands issued so far (the first unknown command gets extra advice).
    pub command_num: u32,
    pub events: EventHandlers,
    pub progress: Option<ProgressBars>,
    /// The root `-i` mounted, for the interactive banner.
    pub inspected_root: Option<String>,
    /// The lines typed in this session, for the history file.
    pub history: Vec<String>,
    /// Command output, buffered as stdio buffers it.
    stdout: Stdout,
}

impl Fish {
    pub fn new(g: Handle, settings: Settings) -> Fish {
        Fish {
            g,
            settings,
            input: Arc::new(InputPosition::new("*stdin*")),
            quit: false,
            command_num: 0,
            events: EventHandlers::default(),
            progress: None,
            inspected_root: None,
            history: Vec::new(),
            stdout: Stdout::new(),
        }
    }

    /// Writes command output to stdout (buffered; see [`Stdout`]).
    pub fn out(&mut self, bytes: &[u8]) {
        self.stdout.write(bytes);
    }

    /// Writes the buffered output, as guestfish does after each command.
    pub fn flush_stdout(&mut self) -> Flushed {
        self.stdout.flush()
    }

    /// In script and command-line modes errors carry the input position:
    /// `FILE:LINE: libguestfs: error: …`.
    pub fn install_error_handler(&mut self) {
        if self.settings.interactive {
            return;
        }
        let input = self.input.clone();
        self.g.set_error_handler(Box::new(move |msg: &str| {
            stderr_line(&format!(
                "{}:{}: libguestfs: error: {}",
                input.file,
                input.line(),
                msg
            ));
        }));
    }

    /// Launches the handle unless it is already launched (guestfish's own launches for
    /// `-i`, `-m` and `-N`).
    pub fn launch(&mut self) -> Result<(), Failed> {
        if self.g.state() == guestfs::State::Config {
            self.g.launch().map_err(|_| Failed)?;
        }
        Ok(())
    }
}

/// Writes to stdout outside a session (`-h CMD`); a failure is `write error`.
pub fn write_stdout(bytes: &[u8]) -> CmdResult {
    let mut out = std::io::stdout();
    if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
        error("write error");
        return Err(Failed);
    }
    Ok(())
}

/// C's `system()`: runs `command` with `/bin/sh -c` (stdout flushed first; the command ends at
/// a NUL byte, as a C string does).
pub fn system(command: impl AsRef<[u8]>) -> std::io::Result<std::process::ExitStatus> {
    use std::os::unix::ffi::OsStrExt;
    let _ = std::io::stdout().flush();
    let command = command
        .as_ref()
        .split(|&c| c == 0)
        .next()
        .unwrap_or_default();
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(std::ffi::OsStr::from_bytes(command))
        .status()
}

/// A line on stderr; a failing stderr is ignored, as C's stdio does.
pub fn stderr_line(line: &str) {
    guestfs::protocol::lossless::eprintln_bytes(line);
}

/// `guestfish: MSG` on stderr.
pub fn error(msg: &str) {
    stderr_line(&format!("guestfish: {}", msg));
}

/// What 1.48 prints where it calls `perror` although nothing failed (after a program that
/// exited with a non-zero status): the text of the errno earlier calls left. `errno` is what
/// 1.48 shows there: 0 ("Success") after a library call, ENOTTY after its own `isatty(0)`.
pub fn perror_stale(context: &str, errno: i32) {
    stderr_line(&format!("{}: {}", context, guestfs::error::strerror(errno)));
}

/// `CONTEXT: ERRNO-TEXT` on stderr, like C's `perror`.
pub fn perror(context: &str, e: &std::io::Error) {
    let errno = e.raw_os_error().unwrap_or(libc::EIO);
    stderr_line(&format!("{}: {}", context, guestfs::error::strerror(errno)));
}
