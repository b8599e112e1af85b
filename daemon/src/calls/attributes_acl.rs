//! POSIX ACLs and file capabilities through libacl and libcap, as 1.48 does: their text
//! formats (names looked up in the appliance, `#effective:` comments, libcap's compact
//! capability sets) and their parsers' errors are theirs, so the libraries themselves are used
//! rather than a rewrite of their formats.

use crate::daemon::Daemon;
use crate::sys::{cstr, errno, Chroot};
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, Result};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};

type AclT = *mut c_void;
type CapT = *mut c_void;

const ACL_TYPE_ACCESS: c_uint = 0x8000;
const ACL_TYPE_DEFAULT: c_uint = 0x4000;

#[link(name = "libacl.so.1", kind = "dylib", modifiers = "+verbatim")]
extern "C" {
    fn acl_get_file(path: *const c_char, t: c_uint) -> AclT;
    fn acl_set_file(path: *const c_char, t: c_uint, acl: AclT) -> c_int;
    fn acl_delete_def_file(path: *const c_char) -> c_int;
    fn acl_to_text(acl: AclT, len: *mut isize) -> *mut c_char;
    fn acl_from_text(text: *const c_char) -> AclT;
    fn acl_free(obj: *mut c_void) -> c_int;
}

#[link(name = "libcap.so.2", kind = "dylib", modifiers = "+verbatim")]
extern "C" {
    fn cap_get_file(path: *const c_char) -> CapT;
    fn cap_set_file(path: *const c_char, cap: CapT) -> c_int;
    fn cap_to_text(cap: CapT, len: *mut isize) -> *mut c_char;
    fn cap_from_text(text: *const c_char) -> CapT;
    fn cap_free(obj: *mut c_void) -> c_int;
}

/// `WHAT: strerror(errno)` with the current errno.
fn perror(what: &str) -> Error {
    let e = errno();
    Error::new(e, format!("{}: {}", what, strerror(e)))
}

fn acl_type(acltype: &str) -> Result<c_uint> {
    match acltype {
        "access" => Ok(ACL_TYPE_ACCESS),
        "default" => Ok(ACL_TYPE_DEFAULT),
        _ => Err(Error::msg(format!(
            "invalid acltype parameter: {}",
            acltype
        ))),
    }
}

/// An object of libacl or libcap, released with the library's own free function.
struct Owned {
    ptr: *mut c_void,
    free: unsafe extern "C" fn(*mut c_void) -> c_int,
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from the library whose `free` this is, and is freed once.
        unsafe { (self.free)(self.ptr) };
    }
}

/// The text a library's `*_to_text` made of an object, copied out; `what` names it in the
/// error.
fn to_text(
    obj: &Owned,
    to_text: unsafe extern "C" fn(*mut c_void, *mut isize) -> *mut c_char,
    what: &str,
) -> Result<String> {
    // SAFETY: `obj` is a live object of the library that provides `to_text`.
    let text = unsafe { to_text(obj.ptr, std::ptr::null_mut()) };
    if text.is_null() {
        return Err(perror(what));
    }
    let text = Owned {
        ptr: text.cast(),
        free: obj.free,
    };
    // SAFETY: the library returned a NUL-terminated string, alive until `text` drops.
    let s = unsafe { CStr::from_ptr(text.ptr as *const c_char) };
    Ok(String::from_utf8_lossy(s.to_bytes()).into_owned())
}

impl Daemon {
    pub(super) fn acl_get_file(&mut self, path: &str, acltype: &str) -> Result<String> {
        let t = acl_type(acltype)?;
        let c = cstr(path)?;
        let acl = {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: a valid C string.
            unsafe { acl_get_file(c.as_ptr(), t) }
        };
        if acl.is_null() {
            return Err(perror(path));
        }
        let acl = Owned {
            ptr: acl,
            free: acl_free,
        };
        to_text(&acl, acl_to_text, "acl_to_text")
    }

    pub(super) fn acl_set_file(&mut self, path: &str, acltype: &str, text: &str) -> Result<()> {
        let t = acl_type(acltype)?;
        let ctext = cstr(text)?;
        // SAFETY: a valid C string.
        let acl = unsafe { acl_from_text(ctext.as_ptr()) };
        if acl.is_null() {
            return Err(perror(&format!(
                "could not parse acl string: {}: acl_from_text",
                text
            )));
        }
        let acl = Owned {
            ptr: acl,
            free: acl_free,
        };
        // SAFETY: a valid C string and a live ACL.
        self.set_in_guest(path, |p| unsafe { acl_set_file(p, t, acl.ptr) })
    }

    pub(super) fn acl_delete_def_file(&mut self, dir: &str) -> Result<()> {
        let c = cstr(dir)?;
        let _c = Chroot::enter(&self.sysroot)?;
        // SAFETY: a valid C string.
        if unsafe { acl_delete_def_file(c.as_ptr()) } == -1 {
            return Err(perror(dir));
        }
        Ok(())
    }

    /// A file's capabilities as libcap writes them; none (ENODATA) is the empty string, as
    /// `getcap` takes it (RHBZ#989356).
    pub(super) fn cap_get_file(&mut self, path: &str) -> Result<String> {
        let c = cstr(path)?;
        let (cap, e) = {
            let _c = Chroot::enter(&self.sysroot)?;
            // SAFETY: a valid C string.
            let cap = unsafe { cap_get_file(c.as_ptr()) };
            (cap, errno())
        };
        if cap.is_null() {
            if e == libc::ENODATA {
                return Ok(String::new());
            }
            return Err(Error::new(e, format!("{}: {}", path, strerror(e))));
        }
        let cap = Owned {
            ptr: cap,
            free: cap_free,
        };
        to_text(&cap, cap_to_text, "cap_to_text")
    }

    pub(super) fn cap_set_file(&mut self, path: &str, text: &str) -> Result<()> {
        let ctext = cstr(text)?;
        // SAFETY: a valid C string.
        let cap = unsafe { cap_from_text(ctext.as_ptr()) };
        if cap.is_null() {
            return Err(perror(&format!(
                "could not parse cap string: {}: cap_from_text",
                text
            )));
        }
        let cap = Owned {
            ptr: cap,
            free: cap_free,
        };
        // SAFETY: a valid C string and a live capability set.
        self.set_in_guest(path, |p| unsafe { cap_set_file(p, cap.ptr) })
    }

    /// Runs a library's `*_set_file` on a guest path inside the chroot; failures read
    /// `PATH: strerror`.
    fn set_in_guest(&self, path: &str, set: impl FnOnce(*const c_char) -> c_int) -> Result<()> {
        let c = cstr(path)?;
        let r = {
            let _c = Chroot::enter(&self.sysroot)?;
            set(c.as_ptr())
        };
        if r == -1 {
            return Err(perror(path));
        }
        Ok(())
    }
}
