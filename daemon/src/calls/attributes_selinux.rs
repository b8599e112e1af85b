//! SELinux: the daemon's own security context (the kernel's `attr/current` of the process,
//! which is what libselinux reads and writes), and relabelling a guest with `setfiles` as
//! 1.48 runs it.

use crate::daemon::Daemon;
use crate::sys::run;
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, Result};
use std::sync::OnceLock;

/// The context of the calling thread, read and written as libselinux does.
const CURRENT: &str = "/proc/thread-self/attr/current";

/// Whether the kernel was booted with verbose messages (the daemon's `-v`), which makes
/// `setfiles` verbose too.
fn verbose() -> bool {
    std::fs::read_to_string("/proc/cmdline")
        .map(|c| c.split_whitespace().any(|w| w == "guestfs_verbose=1"))
        .unwrap_or(false)
}

/// Whether this `setfiles` understands option `-X` (it complains about `'X'` otherwise);
/// asked once per daemon, as 1.48 does.
fn setfiles_has_option(cache: &OnceLock<bool>, opt: char) -> bool {
    *cache.get_or_init(|| {
        let complaint = format!("'{}'", opt);
        run("setfiles", &[&format!("-{}", opt)])
            .map(|o| !o.stderr.contains(&complaint))
            .unwrap_or(false)
    })
}

static HAS_M: OnceLock<bool> = OnceLock::new();
static HAS_C: OnceLock<bool> = OnceLock::new();

fn io_failure(e: &std::io::Error, what: &str) -> Error {
    let n = e.raw_os_error().unwrap_or(libc::EIO);
    Error::new(n, format!("{}: {}", what, strerror(n)))
}

impl Daemon {
    pub(super) fn getcon(&mut self) -> Result<String> {
        let raw = std::fs::read(CURRENT).map_err(|e| io_failure(&e, "getcon"))?;
        // libselinux takes the value up to its NUL, keeping a newline (AppArmor ends its
        // `unconfined` with one, and 1.48 returns it so).
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        Ok(String::from_utf8_lossy(&raw[..end]).into_owned())
    }

    pub(super) fn setcon(&mut self, context: &str) -> Result<()> {
        // libselinux writes the context with its terminating NUL.
        let mut value = context.as_bytes().to_vec();
        value.push(0);
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(CURRENT)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &value))
            .map_err(|e| io_failure(&e, "setcon"))
    }

    pub(super) fn selinux_relabel(
        &mut self,
        specfile: &str,
        path: &str,
        force: bool,
    ) -> Result<()> {
        let under = |p: &str| self.sysroot_path(p);
        let (dev, proc_, selinux, sys) = (
            under("/dev"),
            under("/proc"),
            under("/selinux"),
            under("/sys"),
        );
        let (spec, target) = (under(specfile), under(path));
        let mut args: Vec<&str> = Vec::new();
        if force {
            args.push("-F");
        }
        // Never relabel the appliance's own trees that the guest's would be under.
        for excluded in [&dev, &proc_, &selinux, &sys] {
            args.extend(["-e", excluded.as_str()]);
        }
        // Without -m setfiles excludes every mountpoint (RHBZ#1433577).
        if setfiles_has_option(&HAS_M, 'm') {
            args.push("-m");
        }
        // With -C, status 1 means "relabelling errors only", which is success (RHBZ#1794518).
        let has_c = setfiles_has_option(&HAS_C, 'C');
        if has_c {
            args.push("-C");
        }
        if !self.sysroot.is_empty() && self.sysroot != "/" {
            args.extend(["-r", self.sysroot.as_str()]);
        }
        args.push(if verbose() { "-v" } else { "-q" });
        args.extend([spec.as_str(), target.as_str()]);
        let out = run("setfiles", &args)?;
        if out.status == 0 || (out.status == 1 && has_c) {
            return Ok(());
        }
        Err(Error::msg(out.stderr.trim_end_matches('\n')))
    }
}
