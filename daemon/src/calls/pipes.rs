//! Programs run on guest data the way 1.48's daemon runs them: one with a guest file on its
//! standard input (`commandrvf` with COMMAND_FLAG_CHROOT_COPY_FILE_TO_STDIN), shell pipelines
//! through `sh -c` (1.48's `popen` and `system`), a pipeline's output streamed to a FileOut
//! call, and a FileIn call's data streamed into a pipeline.

use crate::sys::io_error;
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, FileIn, Result, MAX_CHUNK_SIZE};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, ExitStatus, Stdio};

/// A program with the environment the daemon runs every program in, reading nothing.
pub fn program(name: &str) -> Command {
    let mut cmd = crate::sys::program(name);
    cmd.current_dir("/").stdin(Stdio::null());
    cmd
}

/// A shell running `script` (1.48's `popen` and `system`).
pub fn shell(script: &str) -> Command {
    let mut cmd = program("sh");
    // Paths in the script are the guest's bytes.
    cmd.arg("-c")
        .arg(guestfs_protocol::lossless::os_str_of(script));
    cmd
}

/// `s` quoted for the shell.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// How a program ended, as 1.48's `commandrvf` reports it.
pub struct Finished {
    /// The exit status; None when a signal killed it (1.48's -1).
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    /// Without trailing newlines.
    pub stderr: String,
}

impl Finished {
    /// Exit status 0 (1.48's `command` and `commandf` succeed only then).
    pub fn ok(&self) -> bool {
        self.status == Some(0)
    }

    /// The output as 1.48 has it: a C string, so it ends at the first NUL byte.
    pub fn stdout_text(&self) -> String {
        let end = self
            .stdout
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.stdout.len());
        String::from_utf8_lossy(&self.stdout[..end]).into_owned()
    }

    /// The output split into lines as 1.48's `split_lines` does (no last empty line).
    pub fn stdout_lines(&self) -> Vec<String> {
        split_lines(&self.stdout_text())
    }
}

/// 1.48's `split_lines`: lines without their newlines, no empty line after the last newline.
pub fn split_lines(s: &str) -> Vec<String> {
    let mut lines: Vec<String> = s.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Runs `cmd` to the end with `stdin`, collecting its output. A program that cannot be started
/// fails as 1.48's child does after `execvp`: exit status 1, `PROGRAM: strerror` on stderr.
pub fn finish(mut cmd: Command, stdin: Stdio) -> Result<Finished> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            return Ok(Finished {
                status: Some(1),
                stdout: Vec::new(),
                stderr: format!("{}: {}", name, strerror(errno)),
            });
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    Ok(Finished {
        status: out.status.code(),
        stdout: out.stdout,
        stderr: stderr.trim_end_matches('\n').to_string(),
    })
}

fn spawn_error(what: &str, e: std::io::Error) -> Error {
    io_error(&e, what)
}

/// 1.48's `pclose(fp) != 0`: anything but exit status 0.
fn failed(status: ExitStatus) -> bool {
    !status.success()
}

/// Streams the standard output of `cmd` to a FileOut call's file, as 1.48 does after `popen`:
/// the call's OK reply goes out first (a failure after that can only cancel the transfer,
/// which the library reports as such). `what` names the guest object in the appliance's log.
pub fn stream_out(mut cmd: Command, out: &mut dyn Write, what: &str) -> Result<()> {
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(what, e))?;
    // Sends the OK reply now, as 1.48 does before reading anything.
    out.flush().map_err(Error::from)?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    widen(&stdout);
    let mut buf = vec![0u8; MAX_CHUNK_SIZE];
    let copied = loop {
        match stdout.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(e) = out.write_all(&buf[..n]) {
                    break Err(Error::from(e));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(io_error(&e, &format!("fread: {}", what))),
        }
    };
    drop(stdout);
    let status = wait(&mut child, what)?;
    copied?;
    if failed(status) {
        return Err(Error::msg(format!("pclose: {}: {}", what, status)));
    }
    Ok(())
}

/// Gives a pipe 1 MiB of buffer (the kernel's default is 64 KiB), so the program and the
/// daemon switch less often: each switch costs much in an emulated appliance. Best effort.
fn widen(pipe: &impl AsRawFd) {
    // SAFETY: fcntl on a descriptor we own; failure leaves the pipe as it was.
    unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
}

fn wait(child: &mut Child, what: &str) -> Result<ExitStatus> {
    child
        .wait()
        .map_err(|e| io_error(&e, &format!("waitpid: {}", what)))
}

/// Reads into `buf` until it is full or the data ends (fewer bytes then). Chunks are 8 KiB:
/// writing several at once to a pipeline saves wake-ups, which cost much in an emulated
/// appliance.
fn fill(file: &mut FileIn<'_>, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) => return Err(Error::from(e)),
        }
    }
    Ok(n)
}

/// What became of a FileIn call's data written into a pipeline.
pub enum Fed {
    /// All written, and the pipeline exited with status 0.
    Done,
    /// Writing failed (the pipeline stopped reading).
    WriteError,
    /// All written, but the pipeline failed.
    Failed,
}

/// Writes a FileIn call's data to the standard input of `cmd` and waits for it. A cancel
/// from the library is an error the caller passes on.
pub fn feed(mut cmd: Command, file: &mut FileIn<'_>, what: &str) -> Result<Fed> {
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(what, e))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    widen(&stdin);
    let mut buf = vec![0u8; 1 << 16];
    let mut write_failed = false;
    let copied = loop {
        let n = match fill(file, &mut buf) {
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        if n > 0 && stdin.write_all(&buf[..n]).is_err() {
            write_failed = true;
            break Ok(());
        }
        if n < buf.len() {
            break Ok(());
        }
    };
    drop(stdin);
    let status = wait(&mut child, what)?;
    copied?;
    Ok(if write_failed {
        Fed::WriteError
    } else if failed(status) {
        Fed::Failed
    } else {
        Fed::Done
    })
}
