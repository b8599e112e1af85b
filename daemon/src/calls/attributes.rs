//! File attributes: extended attributes, with 1.48's wording for every failure. Paths are
//! guest paths, looked up inside the sysroot chroot; `l*` calls do not follow a final symlink.

use crate::daemon::Daemon;
use crate::sys::{cstr, errno, Chroot};
use guestfs_protocol::calls;
use guestfs_protocol::error::strerror;
use guestfs_protocol::{
    CopyAttributesOpts, Error, Result, SelinuxRelabelOpts, SetE2attrsOpts, Xattr,
};
use std::ffi::CString;

/// The kernel's limit for one value (XATTR_SIZE_MAX).
const XATTR_SIZE_MAX: usize = 65536;

/// The attribute NTFS uses for CompactOS data, which the kernel cannot read: 1.48 hides it.
const HIDDEN: &[u8] = b"user.WofCompressedData";

/// `MSG: strerror(errno)` with the current errno.
fn perror(msg: String) -> Error {
    let e = errno();
    Error::new(e, format!("{}: {}", msg, strerror(e)))
}

/// Whether the calls follow a final symlink.
#[derive(Clone, Copy)]
enum Follow {
    Yes,
    No,
}

fn list_raw(path: &CString, follow: Follow) -> isize {
    list_into(path, follow, std::ptr::null_mut(), 0)
}

fn list_into(path: &CString, follow: Follow, buf: *mut u8, len: usize) -> isize {
    // SAFETY: the kernel writes at most `len` bytes into `buf` (NULL/0 asks for the size).
    unsafe {
        match follow {
            Follow::Yes => libc::listxattr(path.as_ptr(), buf as *mut libc::c_char, len),
            Follow::No => libc::llistxattr(path.as_ptr(), buf as *mut libc::c_char, len),
        }
    }
}

fn get_into(path: &CString, name: &CString, follow: Follow, buf: *mut u8, len: usize) -> isize {
    // SAFETY: as above, for one attribute's value.
    unsafe {
        match follow {
            Follow::Yes => {
                libc::getxattr(path.as_ptr(), name.as_ptr(), buf as *mut libc::c_void, len)
            }
            Follow::No => {
                libc::lgetxattr(path.as_ptr(), name.as_ptr(), buf as *mut libc::c_void, len)
            }
        }
    }
}

/// The attribute names of a file (without the hidden one); Err(errno) when they cannot be
/// listed. Runs inside the chroot.
fn names(path: &CString, follow: Follow) -> std::result::Result<Vec<Vec<u8>>, i32> {
    let len = list_raw(path, follow);
    if len < 0 {
        return Err(errno());
    }
    let mut buf = vec![0u8; len as usize];
    let len = list_into(path, follow, buf.as_mut_ptr(), buf.len());
    if len < 0 {
        return Err(errno());
    }
    buf.truncate(len as usize);
    Ok(buf
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty() && *n != HIDDEN)
        .map(<[u8]>::to_vec)
        .collect())
}

/// One value, failing with `getxattr: NAME: …` / `NAME: extended attribute is too large`
/// (1.48's wording in the listing calls). Runs inside the chroot.
fn value(path: &CString, name: &[u8], follow: Follow) -> Result<Vec<u8>> {
    let shown = String::from_utf8_lossy(name).into_owned();
    let cname = CString::new(name).map_err(|_| Error::msg(format!("{}: bad name", shown)))?;
    let len = get_into(path, &cname, follow, std::ptr::null_mut(), 0);
    if len < 0 {
        return Err(perror(format!("getxattr: {}", shown)));
    }
    if len as usize > XATTR_SIZE_MAX {
        return Err(Error::msg(format!(
            "{}: extended attribute is too large",
            shown
        )));
    }
    let mut buf = vec![0u8; len as usize];
    let got = get_into(path, &cname, follow, buf.as_mut_ptr(), buf.len());
    if got < 0 {
        return Err(perror(format!("getxattr: {}", shown)));
    }
    buf.truncate(got as usize);
    Ok(buf)
}

impl Daemon {
    fn getxattrs(&self, path: &str, follow: Follow) -> Result<Vec<Xattr>> {
        let _c = Chroot::enter(&self.sysroot)?;
        let c = cstr(path)?;
        let names = names(&c, follow)
            .map_err(|e| Error::new(e, format!("listxattr: {}: {}", path, strerror(e))))?;
        names
            .into_iter()
            .map(|n| {
                Ok(Xattr {
                    attrval: value(&c, &n, follow)?,
                    attrname: String::from_utf8_lossy(&n).into_owned(),
                })
            })
            .collect()
    }

    fn getxattr_one(&self, path: &str, name: &str, follow: Follow) -> Result<Vec<u8>> {
        let _c = Chroot::enter(&self.sysroot)?;
        let (c, cname) = (cstr(path)?, cstr(name)?);
        let len = get_into(&c, &cname, follow, std::ptr::null_mut(), 0);
        if len < 0 {
            return Err(perror("getxattr".into()));
        }
        if len as usize > XATTR_SIZE_MAX {
            return Err(Error::msg("extended attribute is too large"));
        }
        let mut buf = vec![0u8; len as usize];
        let got = get_into(&c, &cname, follow, buf.as_mut_ptr(), buf.len());
        if got < 0 {
            return Err(perror("getxattr".into()));
        }
        if got as usize != buf.len() {
            return Err(Error::msg(format!(
                "getxattr: unexpected size ({}/{})",
                buf.len(),
                got
            )));
        }
        Ok(buf)
    }

    fn setxattr(
        &self,
        xattr: &str,
        val: &str,
        vallen: i32,
        path: &str,
        follow: Follow,
    ) -> Result<()> {
        if vallen > XATTR_SIZE_MAX as i32 {
            return Err(Error::msg("extended attribute is too large"));
        }
        if vallen < 0 {
            // 1.48 passes it on as a huge size_t, which the kernel refuses.
            return Err(Error::new(
                libc::E2BIG,
                format!("setxattr: {}", strerror(libc::E2BIG)),
            ));
        }
        // The value is the string's first `vallen` bytes (never past its end).
        let n = (vallen.max(0) as usize).min(val.len());
        let _c = Chroot::enter(&self.sysroot)?;
        let (c, cname) = (cstr(path)?, cstr(xattr)?);
        let v = val.as_bytes()[..n].as_ptr() as *const libc::c_void;
        // SAFETY: valid C strings, and `n` readable bytes at `v`.
        let r = unsafe {
            match follow {
                Follow::Yes => libc::setxattr(c.as_ptr(), cname.as_ptr(), v, n, 0),
                Follow::No => libc::lsetxattr(c.as_ptr(), cname.as_ptr(), v, n, 0),
            }
        };
        if r == -1 {
            return Err(perror("setxattr".into()));
        }
        Ok(())
    }

    fn removexattr(&self, xattr: &str, path: &str, follow: Follow) -> Result<()> {
        let _c = Chroot::enter(&self.sysroot)?;
        let (c, cname) = (cstr(path)?, cstr(xattr)?);
        // SAFETY: valid C strings.
        let r = unsafe {
            match follow {
                Follow::Yes => libc::removexattr(c.as_ptr(), cname.as_ptr()),
                Follow::No => libc::lremovexattr(c.as_ptr(), cname.as_ptr()),
            }
        };
        if r == -1 {
            return Err(perror("removexattr".into()));
        }
        Ok(())
    }
}

impl Daemon {
    /// 1.48's `copy_xattrs`: every (visible) extended attribute of `src` set on `dest`,
    /// following symlinks.
    fn copy_xattrs(&self, src: &str, dest: &str) -> Result<()> {
        let _c = Chroot::enter(&self.sysroot)?;
        let (s, d) = (cstr(src)?, cstr(dest)?);
        let names = names(&s, Follow::Yes)
            .map_err(|e| Error::new(e, format!("listxattr: {}: {}", src, strerror(e))))?;
        for name in names {
            let shown = String::from_utf8_lossy(&name).into_owned();
            let cname = CString::new(name).map_err(|_| Error::msg("bad name"))?;
            let len = get_into(&s, &cname, Follow::Yes, std::ptr::null_mut(), 0);
            if len < 0 {
                return Err(perror(format!("getxattr: {}, {}", src, shown)));
            }
            if len as usize > XATTR_SIZE_MAX {
                return Err(Error::msg(format!(
                    "{}: extended attribute is too large",
                    shown
                )));
            }
            let mut buf = vec![0u8; len as usize];
            let got = get_into(&s, &cname, Follow::Yes, buf.as_mut_ptr(), buf.len());
            if got < 0 {
                return Err(perror(format!("getxattr: {}, {}", src, shown)));
            }
            // SAFETY: valid C strings, and `got` readable bytes in `buf`.
            let r = unsafe {
                libc::setxattr(
                    d.as_ptr(),
                    cname.as_ptr(),
                    buf.as_ptr() as *const libc::c_void,
                    got as usize,
                    0,
                )
            };
            if r == -1 {
                return Err(perror(format!("setxattr: {}, {}", dest, shown)));
            }
        }
        Ok(())
    }

    /// 1.48's `copy_attributes`: with `all`, each part not given explicitly is copied.
    fn copy_attributes(&self, src: &str, dest: &str, o: &CopyAttributesOpts) -> Result<()> {
        let all = o.all == Some(true);
        let part = |v: Option<bool>| v.unwrap_or(all);
        let (mode, xattributes, ownership) = (part(o.mode), part(o.xattributes), part(o.ownership));
        let stat = |p: &str| -> Result<libc::stat64> {
            let c = cstr(p)?;
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: st is written by the call.
            let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
            // SAFETY: a valid C string and stat buffer.
            if unsafe { libc::stat64(c.as_ptr(), &mut st) } == -1 {
                return Err(perror(format!("stat: {}", p)));
            }
            Ok(st)
        };
        let (from, to) = (stat(src)?, stat(dest)?);
        let d = cstr(dest)?;
        const PERMISSIONS: libc::mode_t = 0o7777;
        if mode && from.st_mode & PERMISSIONS != to.st_mode & PERMISSIONS {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: a valid C string.
            if unsafe { libc::chmod(d.as_ptr(), from.st_mode & PERMISSIONS) } == -1 {
                return Err(perror(format!("chmod: {}", dest)));
            }
        }
        if ownership && (from.st_uid != to.st_uid || from.st_gid != to.st_gid) {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: a valid C string.
            if unsafe { libc::chown(d.as_ptr(), from.st_uid, from.st_gid) } == -1 {
                return Err(perror(format!("chown: {}", dest)));
            }
        }
        if xattributes && crate::calls::daemon::group_available("linuxxattrs") {
            self.copy_xattrs(src, dest)?;
        }
        Ok(())
    }
}

impl calls::Attributes for Daemon {
    fn getxattrs(&mut self, path: &str) -> Result<Vec<Xattr>> {
        Daemon::getxattrs(self, path, Follow::Yes)
    }

    fn lgetxattrs(&mut self, path: &str) -> Result<Vec<Xattr>> {
        Daemon::getxattrs(self, path, Follow::No)
    }

    fn getxattr(&mut self, path: &str, name: &str) -> Result<Vec<u8>> {
        self.getxattr_one(path, name, Follow::Yes)
    }

    fn lgetxattr(&mut self, path: &str, name: &str) -> Result<Vec<u8>> {
        self.getxattr_one(path, name, Follow::No)
    }

    fn setxattr(&mut self, xattr: &str, val: &str, vallen: i32, path: &str) -> Result<()> {
        Daemon::setxattr(self, xattr, val, vallen, path, Follow::Yes)
    }

    fn lsetxattr(&mut self, xattr: &str, val: &str, vallen: i32, path: &str) -> Result<()> {
        Daemon::setxattr(self, xattr, val, vallen, path, Follow::No)
    }

    fn removexattr(&mut self, xattr: &str, path: &str) -> Result<()> {
        Daemon::removexattr(self, xattr, path, Follow::Yes)
    }

    fn lremovexattr(&mut self, xattr: &str, path: &str) -> Result<()> {
        Daemon::removexattr(self, xattr, path, Follow::No)
    }

    /// For each name: an entry with an empty name whose value is the number of attributes
    /// that follow (as a C string), then those attributes sorted by name. A file whose
    /// attributes cannot be listed gets the empty entry alone.
    fn internal_lxattrlist(&mut self, path: &str, names_in: &[String]) -> Result<Vec<Xattr>> {
        let _c = Chroot::enter(&self.sysroot)?;
        let mut out = Vec::new();
        for name in names_in {
            let c = cstr(&format!("{}/{}", path, name))?;
            let header = out.len();
            out.push(Xattr {
                attrname: String::new(),
                attrval: Vec::new(),
            });
            let Ok(attrs) = names(&c, Follow::No) else {
                continue;
            };
            let mut entries = Vec::with_capacity(attrs.len());
            for a in &attrs {
                entries.push(Xattr {
                    attrval: value(&c, a, Follow::No)?,
                    attrname: String::from_utf8_lossy(a).into_owned(),
                });
            }
            entries.sort_by(|x, y| x.attrname.as_bytes().cmp(y.attrname.as_bytes()));
            let mut count = entries.len().to_string().into_bytes();
            count.push(0);
            out[header].attrval = count;
            out.extend(entries);
        }
        Ok(out)
    }

    fn copy_attributes(&mut self, src: &str, dest: &str, opts: &CopyAttributesOpts) -> Result<()> {
        Daemon::copy_attributes(self, src, dest, opts)
    }

    // ACLs and capabilities: `attributes_acl.rs`.

    fn acl_get_file(&mut self, path: &str, acltype: &str) -> Result<String> {
        Daemon::acl_get_file(self, path, acltype)
    }

    fn acl_set_file(&mut self, path: &str, acltype: &str, acl: &str) -> Result<()> {
        Daemon::acl_set_file(self, path, acltype, acl)
    }

    fn acl_delete_def_file(&mut self, dir: &str) -> Result<()> {
        Daemon::acl_delete_def_file(self, dir)
    }

    fn cap_get_file(&mut self, path: &str) -> Result<String> {
        Daemon::cap_get_file(self, path)
    }

    fn cap_set_file(&mut self, path: &str, cap: &str) -> Result<()> {
        Daemon::cap_set_file(self, path, cap)
    }

    // ext2 attributes: `attributes_e2.rs`.

    fn get_e2attrs(&mut self, file: &str) -> Result<String> {
        Daemon::get_e2attrs(self, file)
    }

    fn set_e2attrs(&mut self, file: &str, attrs: &str, opts: &SetE2attrsOpts) -> Result<()> {
        Daemon::set_e2attrs(self, file, attrs, opts.clear == Some(true))
    }

    fn get_e2generation(&mut self, file: &str) -> Result<i64> {
        Daemon::get_e2generation(self, file)
    }

    fn set_e2generation(&mut self, file: &str, generation: i64) -> Result<()> {
        Daemon::set_e2generation(self, file, generation)
    }

    // SELinux: `attributes_selinux.rs`.

    fn getcon(&mut self) -> Result<String> {
        Daemon::getcon(self)
    }

    fn setcon(&mut self, context: &str) -> Result<()> {
        Daemon::setcon(self, context)
    }

    fn selinux_relabel(
        &mut self,
        specfile: &str,
        path: &str,
        opts: &SelinuxRelabelOpts,
    ) -> Result<()> {
        Daemon::selinux_relabel(self, specfile, path, opts.force == Some(true))
    }
}
