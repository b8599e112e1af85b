//! Commands in the guest: a program run chrooted into the mounted guest with the appliance's
//! /dev, /dev/pts, /proc and /sys bound into it for the command's duration, and, when the
//! appliance has a network, the appliance's resolv.conf in place of the guest's (1.48's
//! daemon/sh.c).

use crate::daemon::Daemon;
use crate::sys::{cstr, errno, perror, Chroot};
use crate::transfer::REPLY_TOO_LARGE;
use guestfs_protocol::calls;
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, Result, MESSAGE_MAX};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// The environment of a command: 1.48's daemon environment as its /init script (a bash
/// script: SHLVL, `_`) and guestfsd itself set it, which its commands inherit. (1.48's also
/// holds the kernel command line words the kernel left to init, such as `edd=off`: those
/// belong to 1.48's kernel command line, not to the commands.)
const ENVIRONMENT: &[(&str, &str)] = &[
    ("HOME", "/"),
    ("LC_ALL", "C"),
    ("LVM_SYSTEM_DIR", "/tmp/lvm"),
    ("PATH", "/sbin:/usr/sbin:/bin:/usr/bin"),
    ("PREVLEVEL", "N"),
    ("RUNLEVEL", "S"),
    ("SHELL", "/bin/sh"),
    ("SHLVL", "1"),
    ("TERM", "dumb"),
    ("_", "/sbin/guestfsd"),
];

/// The appliance directories bound into the guest while a command runs, in mount order
/// (appliance directory, guest directory). The guest's /selinux gets the appliance's
/// selinuxfs, where older guests look for it.
const BIND_MOUNTS: &[(&str, &str)] = &[
    ("/dev", "/dev"),
    ("/dev/pts", "/dev/pts"),
    ("/proc", "/proc"),
    ("/sys/fs/selinux", "/selinux"),
    ("/sys", "/sys"),
    ("/sys/fs/selinux", "/sys/fs/selinux"),
];

/// The bind mounts made for one command, undone (in reverse order) when dropped. A mount that
/// fails is skipped silently, as in 1.48 (the guest may lack the directory).
struct BindMounts(Vec<String>);

impl BindMounts {
    fn mount(sysroot: &str) -> BindMounts {
        let mut done = Vec::new();
        for (from, to) in BIND_MOUNTS {
            let target = format!("{}{}", sysroot, to);
            // Only the first component below the sysroot can be the guest's own (the rest
            // are inside appliance directories bound before): never follow a guest symlink
            // out of the guest.
            let real_dir = std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir());
            if real_dir && bind(from, &target).is_ok() {
                done.push(target);
            }
        }
        BindMounts(done)
    }
}

impl Drop for BindMounts {
    fn drop(&mut self) {
        for target in self.0.iter().rev() {
            if let Ok(c) = cstr(target) {
                // SAFETY: c is a valid NUL-terminated path.
                unsafe { libc::umount2(c.as_ptr(), 0) };
            }
        }
    }
}

fn bind(from: &str, to: &str) -> Result<()> {
    crate::sys::mount(from, to, "", libc::MS_BIND, "")
}

/// While alive, the guest's /etc/resolv.conf is the appliance's; the guest's own (if any,
/// even a dangling symlink) is kept under a random name in /etc and put back when dropped.
struct GuestResolvConf {
    sysroot: String,
    saved: Option<String>,
}

const RESOLV_CONF: &str = "/etc/resolv.conf";

impl GuestResolvConf {
    fn replace(sysroot: &str) -> Result<GuestResolvConf> {
        let appliance = std::fs::read(RESOLV_CONF).ok();
        // Inside the guest's root, so that guest symlinks resolve within the guest.
        let _root = Chroot::enter(sysroot)?;
        let mut saved = None;
        if std::fs::symlink_metadata(RESOLV_CONF).is_ok() {
            let backup = format!("/etc/{}", random_name(8)?);
            if std::fs::rename(RESOLV_CONF, &backup).is_err() {
                let e = errno();
                return Err(Error::new(
                    e,
                    format!(
                        "rename: {}{} to {}{}: {}",
                        sysroot,
                        RESOLV_CONF,
                        sysroot,
                        backup,
                        strerror(e)
                    ),
                ));
            }
            saved = Some(backup);
        }
        // 1.48 copies with cp(1) and ignores a failure.
        if let Some(data) = appliance {
            let _ = std::fs::write(RESOLV_CONF, data);
        }
        Ok(GuestResolvConf {
            sysroot: sysroot.to_string(),
            saved,
        })
    }
}

impl Drop for GuestResolvConf {
    fn drop(&mut self) {
        let Ok(_root) = Chroot::enter(&self.sysroot) else {
            return;
        };
        let _ = std::fs::remove_file(RESOLV_CONF);
        if let Some(backup) = &self.saved {
            if let Err(e) = std::fs::rename(backup, RESOLV_CONF) {
                eprintln!("error: could not restore /etc/resolv.conf: {}", e);
            }
        }
    }
}

/// `n` random characters of [0-9a-z] (1.48's `random_name`).
fn random_name(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| crate::sys::io_error(&e, "random_name"))?;
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    Ok(bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect())
}

/// Reads the child's standard output and error to their ends (both at once, so that neither
/// pipe fills up), keeping at most `limit` bytes of each; the rest is read and dropped.
/// Returns (stdout, stderr, whether stdout overflowed).
fn read_both(
    out: &mut std::process::ChildStdout,
    err: &mut std::process::ChildStderr,
    limit: usize,
) -> (Vec<u8>, Vec<u8>, bool) {
    let (mut so, mut se) = (Vec::new(), Vec::new());
    let mut overflow = false;
    let mut open = [true, true];
    let mut buf = vec![0u8; 64 * 1024];
    while open.iter().any(|o| *o) {
        let mut fds = [
            libc::pollfd {
                fd: if open[0] { out.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if open[1] { err.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfd entries.
        if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } == -1 {
            if errno() == libc::EINTR {
                continue;
            }
            break;
        }
        for (i, fd) in fds.iter().enumerate() {
            if !open[i] || fd.revents == 0 {
                continue;
            }
            let (reader, sink): (&mut dyn Read, &mut Vec<u8>) = if i == 0 {
                (out, &mut so)
            } else {
                (err, &mut se)
            };
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => open[i] = false,
                Ok(n) => {
                    let room = limit.saturating_sub(sink.len());
                    sink.extend_from_slice(&buf[..n.min(room)]);
                    overflow |= i == 0 && n > room;
                }
            }
        }
    }
    (so, se, overflow)
}

impl Daemon {
    /// 1.48's `do_command`: `argv` run in the guest; its standard output, or its standard
    /// error (without trailing newlines) as the error.
    fn run_in_guest(&mut self, argv: &[String]) -> Result<String> {
        if !self.root_mounted() {
            return Err(Error::msg(
                "do_command: you must call 'mount' first to mount the root filesystem",
            ));
        }
        let Some(program) = argv.first() else {
            return Err(Error::msg("passed an empty list"));
        };
        let binds = BindMounts::mount(&self.sysroot);
        let resolv = if self.network {
            Some(GuestResolvConf::replace(&self.sysroot)?)
        } else {
            None
        };
        let result = self.spawn_chrooted(program, &argv[1..]);
        drop(resolv);
        drop(binds);
        result
    }

    fn spawn_chrooted(&self, program: &str, args: &[String]) -> Result<String> {
        let root = cstr(if self.sysroot.is_empty() {
            "/"
        } else {
            &self.sysroot
        })?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(ENVIRONMENT.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: chroot and chdir are async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::chroot(root.as_ptr()) == -1 || libc::chdir(c"/".as_ptr()) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            // 1.48's child reports a program it cannot run as `PROGRAM: strerror` and fails.
            Err(e) => {
                let code = e.raw_os_error().unwrap_or(libc::EIO);
                return Err(Error::msg(format!("{}: {}", program, strerror(code))));
            }
        };
        let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
        let (stdout, stderr, overflow) = match (&mut out, &mut err) {
            (Some(o), Some(e)) => read_both(o, e, MESSAGE_MAX as usize),
            _ => (Vec::new(), Vec::new(), false),
        };
        let status = child.wait().map_err(|_| perror("waitpid"))?;
        if status.code() != Some(0) {
            let text = c_string(&stderr);
            return Err(Error::msg(text.trim_end_matches('\n')));
        }
        let out = c_string(&stdout);
        if overflow && !stdout.contains(&0) {
            return Err(Error::msg(REPLY_TOO_LARGE));
        }
        Ok(out)
    }
}

/// Output as 1.48 passes it on: a C string, which ends at the first NUL byte.
fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// 1.48's `split_lines`: one string per line; a final newline ends the last line.
fn split_lines(out: &str) -> Vec<String> {
    if out.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<String> = out.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The argument vector of `sh` and `sh_lines`.
fn shell(command: &str) -> [String; 3] {
    ["/bin/sh".into(), "-c".into(), command.into()]
}

impl calls::Commands for Daemon {
    fn command(&mut self, arguments: &[String]) -> Result<String> {
        self.run_in_guest(arguments)
    }

    fn command_lines(&mut self, arguments: &[String]) -> Result<Vec<String>> {
        self.run_in_guest(arguments).map(|out| split_lines(&out))
    }

    fn sh(&mut self, command: &str) -> Result<String> {
        self.run_in_guest(&shell(command))
    }

    fn sh_lines(&mut self, command: &str) -> Result<Vec<String>> {
        self.run_in_guest(&shell(command))
            .map(|out| split_lines(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_1_48_splits_them() {
        assert!(split_lines("").is_empty());
        assert_eq!(split_lines("a\nb\n"), ["a", "b"]);
        assert_eq!(split_lines("a\n\nb"), ["a", "", "b"]);
        assert_eq!(split_lines("\n"), [""]);
    }
}
