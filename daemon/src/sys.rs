//! Thin wrappers over the system calls and commands the daemon uses.

use guestfs_protocol::error::{strerror, Error, Result};
use guestfs_protocol::lossless;
use std::ffi::CString;
use std::os::unix::io::RawFd;
use std::process::{Command, Stdio};

/// The C string of an API string: the bytes it carries (see `guestfs_protocol::lossless`).
pub fn cstr(s: &str) -> Result<CString> {
    CString::new(lossless::bytes_of(s).into_owned()).map_err(|_| {
        Error::new(
            libc::EINVAL,
            format!("{}: path contains a NUL byte", s.escape_debug()),
        )
    })
}

pub fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// mount(2) without options; errors are ignored by callers that only prepare the appliance.
pub fn mount(
    source: &str,
    target: &str,
    fstype: &str,
    flags: libc::c_ulong,
    data: &str,
) -> Result<()> {
    let (s, t, f, d) = (cstr(source)?, cstr(target)?, cstr(fstype)?, cstr(data)?);
    // SAFETY: all pointers are valid NUL-terminated strings for the duration of the call.
    let r = unsafe {
        libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            f.as_ptr(),
            flags,
            d.as_ptr() as *const libc::c_void,
        )
    };
    if r == -1 {
        return Err(Error::path(errno(), target));
    }
    Ok(())
}

/// Whether `fd` has data to read now.
pub fn readable_now(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut pfd, 1, 0) };
    r > 0 && (pfd.revents & (libc::POLLIN | libc::POLLHUP)) != 0
}

/// A finished command.
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A program to run with the appliance's environment (its PATH, the C locale, LVM's
/// settings), once the appliance's disk, where most programs live, is mounted. Every program
/// the daemon runs starts here.
pub fn program(name: &str) -> Command {
    crate::appliance_disk::ensure_mounted();
    let mut cmd = Command::new(name);
    cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C")
        .env("LVM_SYSTEM_DIR", crate::lvm::LVM_SYSTEM_DIR)
        .env("LVM_SUPPRESS_FD_WARNINGS", "1");
    cmd
}

/// Runs a program with the appliance's environment and collects its output.
pub fn run(program: &str, args: &[&str]) -> Result<Output> {
    let out = self::program(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::new(
                e.raw_os_error().unwrap_or(libc::EIO),
                format!("{}: {}", program, e),
            )
        })?;
    Ok(Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs a program that must succeed; the error is its stderr (or its exit status).
pub fn run_ok(program: &str, args: &[&str]) -> Result<String> {
    let out = run(program, args)?;
    if out.status != 0 {
        let msg = out.stderr.trim_end();
        let msg = if msg.is_empty() {
            format!("{} exited with status {}", program, out.status)
        } else {
            msg.to_string()
        };
        return Err(Error::msg(msg));
    }
    Ok(out.stdout)
}

/// `PATH: strerror` for the current errno.
pub fn perror(path: &str) -> Error {
    let e = errno();
    Error::new(e, format!("{}: {}", path, strerror(e)))
}

/// One line of /proc/mounts.
pub struct MountEntry {
    pub source: String,
    pub dir: String,
}

/// The mounts of the appliance, in mount order.
pub fn mount_table() -> Vec<MountEntry> {
    let text = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut it = l.split(' ');
            Some(MountEntry {
                source: unoctal(it.next()?),
                dir: unoctal(it.next()?),
            })
        })
        .collect()
}

/// /proc/mounts escapes space, tab, newline and backslash as `\ooo`.
pub fn unoctal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// While alive, the process's root is the sysroot, so guest paths (and the symlinks in them)
/// resolve inside the guest. Dropping it returns to the real root (the working directory stays
/// at the real `/`, so `chroot(".")` goes back).
pub struct Chroot(bool);

impl Chroot {
    pub fn enter(sysroot: &str) -> Result<Chroot> {
        if sysroot.is_empty() {
            return Ok(Chroot(false));
        }
        let c = cstr(sysroot)?;
        // SAFETY: valid C string.
        if unsafe { libc::chroot(c.as_ptr()) } == -1 {
            return Err(perror(sysroot));
        }
        Ok(Chroot(true))
    }
}

impl Drop for Chroot {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: valid C string; the cwd is the real root.
            unsafe { libc::chroot(c".".as_ptr()) };
        }
    }
}

/// An io::Error as the daemon reports it: `WHAT: strerror` with its errno.
pub fn io_error(e: &std::io::Error, what: &str) -> Error {
    Error::path(e.raw_os_error().unwrap_or(libc::EIO), what)
}

/// How a program run by [`command`] ended.
pub enum Outcome {
    /// Exit status 0: its standard output.
    Success(String),
    /// Anything else: its standard error (with its standard output when folded), without
    /// trailing newlines, as 1.48's daemon quotes it in error messages.
    Failure(String),
}

/// A program run to its end, as 1.48's `commandr` sees it.
pub struct Finished {
    /// The exit status; None when a signal ended the program (1.48's -1).
    pub status: Option<i32>,
    pub stdout: String,
    /// Its standard error (with its standard output when folded), without trailing newlines,
    /// as 1.48's daemon quotes it in error messages.
    pub stderr: String,
}

/// Runs a program as 1.48's daemon `commandr` does. With `fold` the program's standard output
/// goes to the error text too (COMMAND_FLAG_FOLD_STDOUT_ON_STDERR), in the order written.
pub fn command_r(program: &str, args: &[&str], fold: bool) -> Result<Finished> {
    let mut cmd = self::program(program);
    cmd.args(args).stdin(Stdio::null());
    let spawn_error = |e: std::io::Error| {
        Error::new(
            e.raw_os_error().unwrap_or(libc::EIO),
            format!("{}: {}", program, e),
        )
    };
    let (status, stdout, stderr) = if fold {
        let (r, w) = pipe().map_err(spawn_error)?;
        let w2 = w.try_clone().map_err(spawn_error)?;
        cmd.stdout(w).stderr(w2);
        let mut child = cmd.spawn().map_err(spawn_error)?;
        drop(cmd);
        let mut all = Vec::new();
        let _ = std::io::Read::read_to_end(&mut { r }, &mut all);
        let st = child.wait().map_err(spawn_error)?;
        (st, all.clone(), all)
    } else {
        let out = cmd.output().map_err(spawn_error)?;
        (out.status, out.stdout, out.stderr)
    };
    let stderr = String::from_utf8_lossy(&stderr);
    Ok(Finished {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: stderr.trim_end_matches('\n').to_string(),
    })
}

/// Runs a program as 1.48's daemon `command` does (see [`command_r`]).
pub fn command(program: &str, args: &[&str], fold: bool) -> Result<Outcome> {
    let done = command_r(program, args, fold)?;
    Ok(if done.status == Some(0) {
        Outcome::Success(done.stdout)
    } else {
        Outcome::Failure(done.stderr)
    })
}

/// 1.48's OCaml `command`: Ok(stdout), or the error `PROG exited with status N: STDERR`.
pub fn ocaml_command(program: &str, args: &[&str], fold: bool) -> Result<String> {
    let mut cmd = self::program(program);
    cmd.args(args).stdin(Stdio::null());
    let out = cmd.output().map_err(|e| {
        Error::new(
            e.raw_os_error().unwrap_or(libc::EIO),
            format!("{}: {}", program, e),
        )
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if fold {
        stderr = stdout.clone() + &stderr;
    }
    match out.status.code() {
        Some(0) => Ok(if fold { stderr } else { stdout }),
        code => Err(Error::msg(format!(
            "{} exited with status {}: {}",
            program,
            code.unwrap_or(1),
            stderr.strip_suffix('\n').unwrap_or(&stderr)
        ))),
    }
}

/// [`command`] with the failure as an error `PREFIX: ERROR TEXT`, or the error text alone
/// when `prefix` is empty (no errno, as 1.48's `reply_with_error`).
pub fn command_ok(program: &str, args: &[&str], fold: bool, prefix: &str) -> Result<String> {
    match command(program, args, fold)? {
        Outcome::Success(out) => Ok(out),
        Outcome::Failure(err) if prefix.is_empty() => Err(Error::msg(err)),
        Outcome::Failure(err) => Err(Error::msg(format!("{}: {}", prefix, err))),
    }
}

/// A pipe (read end, write end), closed on exec.
fn pipe() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nothing else.
    Ok(unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    })
}
