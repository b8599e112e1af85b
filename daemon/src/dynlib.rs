//! C libraries the daemon opens at run time with dlopen(3) (Augeas, YARA, The Sleuth Kit):
//! the appliance carries them on its disk, and the daemon starts without them.

use std::ffi::{c_void, CStr};

/// A library opened with dlopen(3). It is never closed: the functions looked up in it stay
/// valid for the daemon's life.
#[derive(Clone, Copy)]
pub struct Library(*mut c_void);

// SAFETY: a dlopen handle may be used from any thread (dlsym is thread-safe).
unsafe impl Send for Library {}
// SAFETY: as above; the handle is never mutated.
unsafe impl Sync for Library {}

/// The text of dlerror(3).
pub fn dlerror() -> String {
    // SAFETY: dlerror returns NULL or a valid C string owned by libc.
    let p = unsafe { libc::dlerror() };
    if p.is_null() {
        return "unknown error".to_string();
    }
    // SAFETY: non-null, NUL-terminated.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl Library {
    /// Opens the library at `path` (a file name or path as dlopen(3) takes it).
    pub fn open(path: &CStr) -> Result<Library, String> {
        // SAFETY: dlopen with a valid C string.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return Err(dlerror());
        }
        Ok(Library(handle))
    }

    /// The function `name` as a function pointer of type `F`.
    ///
    /// # Safety
    /// `F` must be an `unsafe extern "C" fn` type whose signature is the C signature the
    /// library's headers declare for `name`.
    pub unsafe fn function<F: Copy>(&self, name: &CStr) -> Result<F, String> {
        assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<*mut c_void>());
        // SAFETY: a live handle and a valid C string.
        let p = unsafe { libc::dlsym(self.0, name.as_ptr()) };
        if p.is_null() {
            return Err(dlerror());
        }
        // SAFETY: same size (checked); the caller vouches for the signature.
        Ok(unsafe { std::mem::transmute_copy::<*mut c_void, F>(&p) })
    }
}
