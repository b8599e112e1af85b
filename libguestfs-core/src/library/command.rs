//! Running a helper program (qemu-img, tar) the way libguestfs does: `LC_ALL=C`, umask 022,
//! optional resource limits, its error output passed on as appliance events (seen with `-v`),
//! the command line in the debug log, and 1.48's wording when it fails.

use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::handle::Handle;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};

/// Standard output kept from a helper is cut off beyond this (qemu-img info prints a few KiB).
const MAX_OUTPUT: u64 = 16 << 20;

/// libguestfs's advice after a failure whose details only the debug log has.
const DEBUG_ADVICE: &str = "Do:\n  export LIBGUESTFS_DEBUG=1 LIBGUESTFS_TRACE=1\nand run the command again.  For further information, read:\n  http://libguestfs.org/guestfs-faq.1.html#debugging-libguestfs\nYou can also run 'libguestfs-test-tool' and post the *complete* output\ninto a bug report or message to the libguestfs mailing list.";

/// Limits for a helper that reads untrusted data (qemu-img info on a hostile image).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub address_space: u64,
    pub cpu_seconds: u64,
}

/// What a helper left: its status and, when asked for, its standard output.
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
}

/// libguestfs's `exit_status_to_string`.
pub(crate) fn status_string(status: ExitStatus, cmd: &str) -> String {
    if let Some(code) = status.code() {
        if code == 0 {
            format!("{} exited successfully", cmd)
        } else {
            format!("{} exited with error status {}", cmd, code)
        }
    } else if let Some(sig) = status.signal() {
        format!("{} killed by signal {} ({})", cmd, sig, signal_name(sig))
    } else if let Some(sig) = status.stopped_signal() {
        format!("{} stopped by signal {} ({})", cmd, sig, signal_name(sig))
    } else {
        format!("{} exited for an unknown reason", cmd)
    }
}

/// `strsignal`'s text.
fn signal_name(sig: i32) -> String {
    // SAFETY: strsignal returns a pointer to a string that stays valid until the next call
    // from this thread; it is copied at once.
    let p = unsafe { libc::strsignal(sig) };
    if p.is_null() {
        return format!("Unknown signal {}", sig);
    }
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// The command line as libguestfs logs it: the program, then one line per argument (an
/// option and its value together).
pub(crate) fn debug_lines(argv: &[String]) -> Vec<String> {
    let mut out = vec![format!("command: run: {}", argv[0])];
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if i + 1 < argv.len() && a.starts_with('-') && !argv[i + 1].starts_with('-') {
            out.push(format!("command: run: \\ {} {}", a, argv[i + 1]));
            i += 2;
        } else {
            out.push(format!("command: run: \\ {}", a));
            i += 1;
        }
    }
    out
}

impl Handle {
    /// Runs `argv` to completion. Its standard output is returned when `keep_stdout`, else it
    /// joins the error output as appliance events.
    pub(crate) fn run_command(
        &mut self,
        argv: &[String],
        keep_stdout: bool,
        limits: Option<Limits>,
    ) -> Result<Finished> {
        for line in debug_lines(argv) {
            self.events.debug(&line);
        }
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls (umask, setrlimit) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(0o022);
                if let Some(l) = limits {
                    for (resource, value) in [
                        (libc::RLIMIT_AS, l.address_space),
                        (libc::RLIMIT_CPU, l.cpu_seconds),
                    ] {
                        let r = libc::rlimit {
                            rlim_cur: value,
                            rlim_max: value,
                        };
                        // EPERM: the limit is already lower, which is as good.
                        if libc::setrlimit(resource, &r) == -1
                            && *libc::__errno_location() != libc::EPERM
                        {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                }
                Ok(())
            });
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                // What the child of fork would have said and exited with (the shell's codes).
                let errno = e.raw_os_error().unwrap_or(libc::ENOENT);
                self.events.message(
                    EventKind::Appliance,
                    &format!("{}: {}\n", argv[0], crate::error::strerror(errno)),
                );
                let code = if errno == libc::ENOENT { 127 } else { 126 };
                return Ok(Finished {
                    status: ExitStatus::from_raw(code << 8),
                    stdout: Vec::new(),
                });
            }
        };
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let errors = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut stderr).take(MAX_OUTPUT).read_to_end(&mut buf);
            // Drain the rest so the helper never blocks on a full pipe.
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            buf
        });
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut out = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut out);
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        let status = child
            .wait()
            .map_err(|e| Error::from(e).context("waitpid"))?;
        let mut log = errors.join().unwrap_or_default();
        if !keep_stdout {
            out.append(&mut log);
            log = std::mem::take(&mut out);
        }
        if !log.is_empty() {
            self.events
                .message(EventKind::Appliance, &String::from_utf8_lossy(&log));
        }
        Ok(Finished {
            status,
            stdout: out,
        })
    }

    /// libguestfs's error for a helper that failed: `CMD: EXTRA: STATUS` and where to look.
    pub(crate) fn command_failed(&self, status: ExitStatus, cmd: &str, extra: &str) -> Error {
        let what = format!("{}: {}: {}", cmd, extra, status_string(status, cmd));
        if self.events.verbose() {
            Error::msg(format!("{}, see debug messages above", what))
        } else {
            Error::msg(format!(
                "{}.\nTo see full error messages you may need to enable debugging.\n{}",
                what, DEBUG_ADVICE
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_logged_like_libguestfs() {
        let argv: Vec<String> = ["qemu-img", "create", "-f", "qcow2", "-o", "a=b", "/x", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            debug_lines(&argv),
            [
                "command: run: qemu-img",
                "command: run: \\ create",
                "command: run: \\ -f qcow2",
                "command: run: \\ -o a=b",
                "command: run: \\ /x",
                "command: run: \\ 1",
            ]
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(
            status_string(ExitStatus::from_raw(1 << 8), "qemu-img"),
            "qemu-img exited with error status 1"
        );
        assert_eq!(
            status_string(ExitStatus::from_raw(9), "tar"),
            "tar killed by signal 9 (Killed)"
        );
    }
}
