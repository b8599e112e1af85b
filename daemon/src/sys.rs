//! Thin wrappers over the system calls and commands the daemon uses.

use guestfs::error::{strerror, Error, Result};
use std::ffi::CString;
use std::os::unix::io::RawFd;
use std::process::{Command, Stdio};

pub fn cstr(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
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

/// Runs a program with the appliance's environment and collects its output.
pub fn run(program: &str, args: &[&str]) -> Result<Output> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C")
        .env("LVM_SYSTEM_DIR", crate::lvm::LVM_SYSTEM_DIR)
        .env("LVM_SUPPRESS_FD_WARNINGS", "1")
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

/// Size of a block device in bytes.
pub fn blockdev_size64(path: &str) -> Result<i64> {
    let f = std::fs::File::open(path).map_err(|e| Error::from(e).context(path))?;
    let mut size: u64 = 0;
    // BLKGETSIZE64 = _IOR(0x12, 114, size_t)
    const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;
    // SAFETY: the ioctl writes one u64 to `size`.
    let r = unsafe {
        libc::ioctl(
            std::os::unix::io::AsRawFd::as_raw_fd(&f),
            BLKGETSIZE64,
            &mut size,
        )
    };
    if r == -1 {
        return Err(Error::path(errno(), path));
    }
    Ok(size as i64)
}

/// Logical sector size of a block device.
pub fn blockdev_ss(path: &str) -> Result<i32> {
    let f = std::fs::File::open(path).map_err(|e| Error::from(e).context(path))?;
    let mut ss: libc::c_int = 0;
    const BLKSSZGET: libc::c_ulong = 0x1268;
    // SAFETY: the ioctl writes one int to `ss`.
    let r = unsafe {
        libc::ioctl(
            std::os::unix::io::AsRawFd::as_raw_fd(&f),
            BLKSSZGET,
            &mut ss,
        )
    };
    if r == -1 {
        return Err(Error::path(errno(), path));
    }
    Ok(ss)
}

/// `PATH: strerror` for the current errno.
pub fn perror(path: &str) -> Error {
    let e = errno();
    Error::new(e, format!("{}: {}", path, strerror(e)))
}
