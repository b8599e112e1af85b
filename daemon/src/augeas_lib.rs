//! The Augeas C library (libaugeas.so.0) behind safe functions. It is loaded with dlopen(3)
//! on first use, so the daemon starts without it; a handle is an [`Augeas`].

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::sync::OnceLock;

/// The library's file name (Debian's libaugeas0).
const LIBRARY: &CStr = c"libaugeas.so.0";

/// `AUG_NO_ERR_CLOSE`: aug_init returns a handle even when it fails, to read the error from.
pub const NO_ERR_CLOSE: c_uint = 1 << 8;
/// `AUG_ENOMEM`, the error code of an allocation failure.
pub const ENOMEM: c_int = 1;

type Handle = *mut c_void;

/// The library's functions used here.
struct Library {
    init: unsafe extern "C" fn(*const c_char, *const c_char, c_uint) -> Handle,
    close: unsafe extern "C" fn(Handle),
    error: unsafe extern "C" fn(Handle) -> c_int,
    error_message: unsafe extern "C" fn(Handle) -> *const c_char,
    error_minor_message: unsafe extern "C" fn(Handle) -> *const c_char,
    error_details: unsafe extern "C" fn(Handle) -> *const c_char,
    defvar: unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> c_int,
    defnode: unsafe extern "C" fn(
        Handle,
        *const c_char,
        *const c_char,
        *const c_char,
        *mut c_int,
    ) -> c_int,
    get: unsafe extern "C" fn(Handle, *const c_char, *mut *const c_char) -> c_int,
    label: unsafe extern "C" fn(Handle, *const c_char, *mut *const c_char) -> c_int,
    set: unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> c_int,
    setm: unsafe extern "C" fn(Handle, *const c_char, *const c_char, *const c_char) -> c_int,
    insert: unsafe extern "C" fn(Handle, *const c_char, *const c_char, c_int) -> c_int,
    rm: unsafe extern "C" fn(Handle, *const c_char) -> c_int,
    mv: unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> c_int,
    matches: unsafe extern "C" fn(Handle, *const c_char, *mut *mut *mut c_char) -> c_int,
    save: unsafe extern "C" fn(Handle) -> c_int,
    load: unsafe extern "C" fn(Handle) -> c_int,
    transform: unsafe extern "C" fn(Handle, *const c_char, *const c_char, c_int) -> c_int,
}

impl Library {
    fn open() -> Result<Library, String> {
        let lib = crate::dynlib::Library::open(LIBRARY)?;
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the symbol is the Augeas function of this name, whose C signature
                // is the field's type (augeas.h).
                unsafe { lib.function($name)? }
            };
        }
        Ok(Library {
            init: sym!(c"aug_init"),
            close: sym!(c"aug_close"),
            error: sym!(c"aug_error"),
            error_message: sym!(c"aug_error_message"),
            error_minor_message: sym!(c"aug_error_minor_message"),
            error_details: sym!(c"aug_error_details"),
            defvar: sym!(c"aug_defvar"),
            defnode: sym!(c"aug_defnode"),
            get: sym!(c"aug_get"),
            label: sym!(c"aug_label"),
            set: sym!(c"aug_set"),
            setm: sym!(c"aug_setm"),
            insert: sym!(c"aug_insert"),
            rm: sym!(c"aug_rm"),
            mv: sym!(c"aug_mv"),
            matches: sym!(c"aug_match"),
            save: sym!(c"aug_save"),
            load: sym!(c"aug_load"),
            transform: sym!(c"aug_transform"),
        })
    }
}

fn library() -> Result<&'static Library, String> {
    static LIB: OnceLock<Result<Library, String>> = OnceLock::new();
    LIB.get_or_init(Library::open)
        .as_ref()
        .map_err(Clone::clone)
}

/// A C string for an argument; Augeas strings cannot hold NUL bytes.
fn c(s: &str) -> Result<CString, Failure> {
    CString::new(s).map_err(|_| Failure::Invalid(format!("{:?}: contains a NUL byte", s)))
}

/// A copy of a string the library owns (None for NULL).
fn copied(p: *const c_char) -> Option<String> {
    // SAFETY: the library returns NULL or a valid NUL-terminated string alive until the
    // next call on the handle; it is copied at once.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Why a function failed.
#[derive(Debug)]
pub enum Failure {
    /// The library reported an error: read it with [`Augeas::error`].
    Augeas,
    /// An argument the C API cannot take.
    Invalid(String),
}

/// The handle's error: code, message, minor message, details (augeas.h's `aug_error*`).
pub struct ErrorInfo {
    pub code: c_int,
    pub message: String,
    pub minor: Option<String>,
    pub details: Option<String>,
}

/// An Augeas handle, closed when dropped.
pub struct Augeas {
    lib: &'static Library,
    handle: Handle,
}

// SAFETY: the handle is only used through &mut self / &self of one owner at a time.
unsafe impl Send for Augeas {}

type Outcome<T> = Result<T, Failure>;

impl Augeas {
    /// aug_init(root, NULL, flags): the handle even when it reports an error (with
    /// [`NO_ERR_CLOSE`]); Err(text) when the library cannot be loaded or returns no handle.
    pub fn init(root: &str, flags: c_uint) -> Result<Augeas, String> {
        let lib = library()?;
        let root = CString::new(root).map_err(|_| "root contains a NUL byte".to_string())?;
        // SAFETY: valid C string; a NULL loadpath means the default lens directories.
        let handle = unsafe { (lib.init)(root.as_ptr(), std::ptr::null(), flags) };
        if handle.is_null() {
            return Err("augeas initialization failed".to_string());
        }
        Ok(Augeas { lib, handle })
    }

    pub fn error(&self) -> ErrorInfo {
        // SAFETY: live handle; the returned strings are copied at once.
        unsafe {
            ErrorInfo {
                code: (self.lib.error)(self.handle),
                message: copied((self.lib.error_message)(self.handle)).unwrap_or_default(),
                minor: copied((self.lib.error_minor_message)(self.handle)),
                details: copied((self.lib.error_details)(self.handle)),
            }
        }
    }

    /// A C result: Err(Failure::Augeas) for -1.
    fn checked(r: c_int) -> Outcome<c_int> {
        if r == -1 {
            Err(Failure::Augeas)
        } else {
            Ok(r)
        }
    }

    pub fn defvar(&mut self, name: &str, expr: Option<&str>) -> Outcome<c_int> {
        let (name, expr) = (c(name)?, expr.map(c).transpose()?);
        let expr_p = expr.as_ref().map_or(std::ptr::null(), |e| e.as_ptr());
        // SAFETY: live handle, valid (or NULL) C strings.
        Self::checked(unsafe { (self.lib.defvar)(self.handle, name.as_ptr(), expr_p) })
    }

    /// aug_defnode: (number of nodes, whether one was created).
    pub fn defnode(&mut self, name: &str, expr: &str, value: &str) -> Outcome<(c_int, bool)> {
        let (name, expr, value) = (c(name)?, c(expr)?, c(value)?);
        let mut created: c_int = 0;
        // SAFETY: live handle, valid C strings, valid out pointer.
        let r = unsafe {
            (self.lib.defnode)(
                self.handle,
                name.as_ptr(),
                expr.as_ptr(),
                value.as_ptr(),
                &mut created,
            )
        };
        Self::checked(r).map(|n| (n, created != 0))
    }

    /// aug_get: (number of matches, the value when exactly one node matched and has one).
    pub fn get(&mut self, path: &str) -> Outcome<(c_int, Option<String>)> {
        let path = c(path)?;
        let mut value: *const c_char = std::ptr::null();
        // SAFETY: live handle, valid C string and out pointer.
        let r = unsafe { (self.lib.get)(self.handle, path.as_ptr(), &mut value) };
        let n = Self::checked(r)?;
        Ok((n, if n == 1 { copied(value) } else { None }))
    }

    /// aug_label: (number of matches, the label when exactly one node matched).
    pub fn label(&mut self, path: &str) -> Outcome<(c_int, Option<String>)> {
        let path = c(path)?;
        let mut label: *const c_char = std::ptr::null();
        // SAFETY: live handle, valid C string and out pointer.
        let r = unsafe { (self.lib.label)(self.handle, path.as_ptr(), &mut label) };
        let n = Self::checked(r)?;
        Ok((n, if n == 1 { copied(label) } else { None }))
    }

    /// aug_set; a None value clears the node's value.
    pub fn set(&mut self, path: &str, value: Option<&str>) -> Outcome<()> {
        let (path, value) = (c(path)?, value.map(c).transpose()?);
        let value_p = value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr());
        // SAFETY: live handle, valid (or NULL) C strings.
        Self::checked(unsafe { (self.lib.set)(self.handle, path.as_ptr(), value_p) }).map(drop)
    }

    pub fn setm(&mut self, base: &str, sub: Option<&str>, value: &str) -> Outcome<c_int> {
        let (base, sub, value) = (c(base)?, sub.map(c).transpose()?, c(value)?);
        let sub_p = sub.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
        // SAFETY: live handle, valid (or NULL) C strings.
        Self::checked(unsafe { (self.lib.setm)(self.handle, base.as_ptr(), sub_p, value.as_ptr()) })
    }

    pub fn insert(&mut self, path: &str, label: &str, before: bool) -> Outcome<()> {
        let (path, label) = (c(path)?, c(label)?);
        // SAFETY: live handle, valid C strings.
        Self::checked(unsafe {
            (self.lib.insert)(
                self.handle,
                path.as_ptr(),
                label.as_ptr(),
                c_int::from(before),
            )
        })
        .map(drop)
    }

    pub fn rm(&mut self, path: &str) -> Outcome<c_int> {
        let path = c(path)?;
        // SAFETY: live handle, valid C string.
        Self::checked(unsafe { (self.lib.rm)(self.handle, path.as_ptr()) })
    }

    pub fn mv(&mut self, src: &str, dest: &str) -> Outcome<()> {
        let (src, dest) = (c(src)?, c(dest)?);
        // SAFETY: live handle, valid C strings.
        Self::checked(unsafe { (self.lib.mv)(self.handle, src.as_ptr(), dest.as_ptr()) }).map(drop)
    }

    /// aug_match: the paths of the matching nodes, in the library's order.
    pub fn matches(&mut self, path: &str) -> Outcome<Vec<String>> {
        let path = c(path)?;
        let mut list: *mut *mut c_char = std::ptr::null_mut();
        // SAFETY: live handle, valid C string and out pointer.
        let r = unsafe { (self.lib.matches)(self.handle, path.as_ptr(), &mut list) };
        let n = Self::checked(r)?;
        let mut out = Vec::with_capacity(n as usize);
        if !list.is_null() {
            for i in 0..n as usize {
                // SAFETY: the library returned an array of n malloc'ed strings, which we
                // now own and free, then the array itself.
                unsafe {
                    let p = *list.add(i);
                    out.extend(copied(p));
                    libc::free(p as *mut c_void);
                }
            }
            // SAFETY: see above.
            unsafe { libc::free(list as *mut c_void) };
        }
        Ok(out)
    }

    pub fn save(&mut self) -> Outcome<()> {
        // SAFETY: live handle.
        Self::checked(unsafe { (self.lib.save)(self.handle) }).map(drop)
    }

    pub fn load(&mut self) -> Outcome<()> {
        // SAFETY: live handle.
        Self::checked(unsafe { (self.lib.load)(self.handle) }).map(drop)
    }

    pub fn transform(&mut self, lens: &str, file: &str, excl: bool) -> Outcome<()> {
        let (lens, file) = (c(lens)?, c(file)?);
        // SAFETY: live handle, valid C strings.
        Self::checked(unsafe {
            (self.lib.transform)(self.handle, lens.as_ptr(), file.as_ptr(), c_int::from(excl))
        })
        .map(drop)
    }
}

impl Drop for Augeas {
    fn drop(&mut self) {
        // SAFETY: the handle is live and closed exactly once.
        unsafe { (self.lib.close)(self.handle) };
    }
}
