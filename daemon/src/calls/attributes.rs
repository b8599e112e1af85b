//! File attributes: extended attributes.

use crate::daemon::Daemon;
use crate::sys::{cstr, errno, Chroot};
use guestfs_protocol::calls;
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, Result, Xattr};

/// A size query then a read into a buffer of that size (at most `limit` bytes), for the
/// syscalls that work that way (`f(NULL, 0)` returns the size). A race gives ERANGE.
fn read_sized(call: &str, limit: usize, f: impl Fn(*mut u8, usize) -> isize) -> Result<Vec<u8>> {
    let failed = || {
        let e = errno();
        Error::new(e, format!("{}: {}", call, strerror(e)))
    };
    let len = f(std::ptr::null_mut(), 0);
    if len < 0 {
        return Err(failed());
    }
    let mut buf = vec![0u8; (len as usize).min(limit)];
    let len = f(buf.as_mut_ptr(), buf.len());
    if len < 0 {
        return Err(failed());
    }
    buf.truncate(len as usize);
    Ok(buf)
}

impl calls::Attributes for Daemon {
    /// The extended attributes of a file, not following a final symlink.
    fn lgetxattrs(&mut self, path: &str) -> Result<Vec<Xattr>> {
        let _c = Chroot::enter(&self.sysroot)?;
        let c = cstr(path)?;
        // SAFETY (both closures): the kernel writes at most `len` bytes into `buf`, and a NULL
        // buffer with length 0 asks for the size.
        let names = read_sized("llistxattr", usize::MAX, |buf, len| unsafe {
            libc::llistxattr(c.as_ptr(), buf as *mut libc::c_char, len)
        })?;
        let mut out = Vec::new();
        for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            let Ok(cn) = std::ffi::CString::new(name) else {
                continue;
            };
            // 64 KiB is the kernel's limit for a value.
            let val = read_sized("lgetxattr", 65536, |buf, len| unsafe {
                libc::lgetxattr(c.as_ptr(), cn.as_ptr(), buf as *mut libc::c_void, len)
            })?;
            out.push(Xattr {
                attrname: String::from_utf8_lossy(name).into_owned(),
                attrval: val,
            });
        }
        Ok(out)
    }
}
