//! Debian's libyara (`libyara.so.9`, YARA 4.2), opened at run time: the rules `yara_load`
//! compiled, kept for `internal_yara_scan`. Only the few entry points 1.48's daemon uses are
//! looked up; the layouts used are those of YARA 4.2's headers.

use guestfs_protocol::{Error, Result};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::OnceLock;

/// Where Debian's libyara is (the appliance carries it: appliance/contents/forensics.txt).
pub const LIBRARY_PATH: &str = "/usr/lib/x86_64-linux-gnu/libyara.so.9";
const LIBRARY: &CStr = c"/usr/lib/x86_64-linux-gnu/libyara.so.9";
const ERROR_SUCCESS: c_int = 0;
const ERROR_INVALID_FILE: c_int = 6;
const ERROR_INSUFFICIENT_MEMORY: c_int = 1;
const CALLBACK_MSG_RULE_MATCHING: c_int = 1;
const CALLBACK_CONTINUE: c_int = 0;
const CALLBACK_ERROR: c_int = 2;
const YARA_ERROR_LEVEL_ERROR: c_int = 0;
/// `YR_RULE.identifier`: after two 32-bit fields, in an 8-byte aligned union.
const RULE_IDENTIFIER_OFFSET: usize = 8;

type ScanCallback = unsafe extern "C" fn(*mut c_void, c_int, *mut c_void, *mut c_void) -> c_int;
type CompilerCallback =
    unsafe extern "C" fn(c_int, *const c_char, c_int, *const c_void, *const c_char, *mut c_void);

type InitializeFn = unsafe extern "C" fn() -> c_int;
type RulesLoadFn = unsafe extern "C" fn(*const c_char, *mut *mut c_void) -> c_int;
type RulesDestroyFn = unsafe extern "C" fn(*mut c_void) -> c_int;
type RulesScanFdFn =
    unsafe extern "C" fn(*mut c_void, c_int, c_int, ScanCallback, *mut c_void, c_int) -> c_int;
type CompilerCreateFn = unsafe extern "C" fn(*mut *mut c_void) -> c_int;
type CompilerDestroyFn = unsafe extern "C" fn(*mut c_void);
type CompilerSetCallbackFn = unsafe extern "C" fn(*mut c_void, CompilerCallback, *mut c_void);
type CompilerAddFileFn =
    unsafe extern "C" fn(*mut c_void, *mut libc::FILE, *const c_char, *const c_char) -> c_int;
type CompilerGetRulesFn = unsafe extern "C" fn(*mut c_void, *mut *mut c_void) -> c_int;

/// The entry points of libyara used here.
struct Library {
    initialize: InitializeFn,
    rules_load: RulesLoadFn,
    rules_destroy: RulesDestroyFn,
    rules_scan_fd: RulesScanFdFn,
    compiler_create: CompilerCreateFn,
    compiler_destroy: CompilerDestroyFn,
    compiler_set_callback: CompilerSetCallbackFn,
    compiler_add_file: CompilerAddFileFn,
    compiler_get_rules: CompilerGetRulesFn,
}

/// libyara, initialized once; None when it is not in the appliance.
fn library() -> Option<&'static Library> {
    static LIB: OnceLock<Option<Library>> = OnceLock::new();
    LIB.get_or_init(|| {
        let handle = crate::dynlib::Library::open(LIBRARY).ok()?;
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: each field's type is the signature YARA 4.2's headers declare for
                // the function of that name.
                unsafe { handle.function($name).ok()? }
            };
        }
        let lib = Library {
            initialize: sym!(c"yr_initialize"),
            rules_load: sym!(c"yr_rules_load"),
            rules_destroy: sym!(c"yr_rules_destroy"),
            rules_scan_fd: sym!(c"yr_rules_scan_fd"),
            compiler_create: sym!(c"yr_compiler_create"),
            compiler_destroy: sym!(c"yr_compiler_destroy"),
            compiler_set_callback: sym!(c"yr_compiler_set_callback"),
            compiler_add_file: sym!(c"yr_compiler_add_file"),
            compiler_get_rules: sym!(c"yr_compiler_get_rules"),
        };
        // SAFETY: no arguments; called once, before any other libyara function.
        unsafe {
            if (lib.initialize)() != ERROR_SUCCESS {
                return None;
            }
            Some(lib)
        }
    })
    .as_ref()
}

/// Compiled rules.
pub struct Rules(*mut c_void);

// SAFETY: the rules are only used under the daemon's lock, one call at a time.
unsafe impl Send for Rules {}

impl Drop for Rules {
    fn drop(&mut self) {
        if let Some(lib) = library() {
            // SAFETY: the rules came from libyara and are destroyed once.
            unsafe { (lib.rules_destroy)(self.0) };
        }
    }
}

unsafe extern "C" fn compile_error(
    level: c_int,
    _file: *const c_char,
    line: c_int,
    _rule: *const c_void,
    message: *const c_char,
    _data: *mut c_void,
) {
    if level == YARA_ERROR_LEVEL_ERROR && !message.is_null() {
        // SAFETY: libyara passes a NUL-terminated message.
        let m = unsafe { CStr::from_ptr(message) }.to_string_lossy();
        eprintln!("Yara error (line {}): {}", line, m);
    }
}

fn unavailable() -> Error {
    Error::msg("failed initializing yara")
}

/// Loads the rules in `path`: compiled rules, or else source to compile (1.48's order).
pub fn load(path: &str) -> Result<Rules> {
    let lib = library().ok_or_else(unavailable)?;
    let cpath = CString::new(path).map_err(|_| Error::msg("invalid path"))?;
    let mut rules: *mut c_void = std::ptr::null_mut();
    // SAFETY: valid path; `rules` receives the loaded rules.
    let r = unsafe { (lib.rules_load)(cpath.as_ptr(), &mut rules) };
    if r == ERROR_SUCCESS {
        return Ok(Rules(rules));
    }
    if r != ERROR_INVALID_FILE {
        return Err(Error::msg(format!("yr_rules_load: error {}", r)));
    }
    let mut compiler: *mut c_void = std::ptr::null_mut();
    // SAFETY: the compiler is created, used and destroyed here; the FILE is opened and
    // closed here.
    unsafe {
        if (lib.compiler_create)(&mut compiler) != ERROR_SUCCESS {
            return Err(Error::msg("yr_compiler_create"));
        }
        (lib.compiler_set_callback)(compiler, compile_error, std::ptr::null_mut());
        let file = libc::fopen(cpath.as_ptr(), c"r".as_ptr());
        if file.is_null() {
            (lib.compiler_destroy)(compiler);
            return Err(Error::msg("unable to open rules file"));
        }
        let errors = (lib.compiler_add_file)(compiler, file, std::ptr::null(), std::ptr::null());
        libc::fclose(file);
        if errors > 0 {
            (lib.compiler_destroy)(compiler);
            return Err(Error::msg(format!(
                "found {} errors when compiling the rules",
                errors
            )));
        }
        let r = (lib.compiler_get_rules)(compiler, &mut rules);
        (lib.compiler_destroy)(compiler);
        if r == ERROR_INSUFFICIENT_MEMORY {
            return Err(Error::new(
                libc::ENOMEM,
                "yr_compiler_get_rules: Cannot allocate memory",
            ));
        }
        if r != ERROR_SUCCESS {
            return Err(Error::msg(format!("yr_compiler_get_rules: error {}", r)));
        }
    }
    Ok(Rules(rules))
}

unsafe extern "C" fn on_match(
    _context: *mut c_void,
    message: c_int,
    data: *mut c_void,
    user: *mut c_void,
) -> c_int {
    if message != CALLBACK_MSG_RULE_MATCHING {
        return CALLBACK_CONTINUE;
    }
    // SAFETY: `user` is the `Vec<String>` of `scan`; `data` is the matching YR_RULE, whose
    // identifier pointer is at RULE_IDENTIFIER_OFFSET.
    unsafe {
        let names = &mut *(user as *mut Vec<String>);
        let ident = *((data as *const u8).add(RULE_IDENTIFIER_OFFSET) as *const *const c_char);
        if ident.is_null() {
            return CALLBACK_ERROR;
        }
        names.push(CStr::from_ptr(ident).to_string_lossy().into_owned());
    }
    CALLBACK_CONTINUE
}

impl Rules {
    /// The identifiers of the rules that match the file open on `fd`, in YARA's order.
    pub fn scan(&self, fd: c_int) -> Result<Vec<String>> {
        let lib = library().ok_or_else(unavailable)?;
        let mut names: Vec<String> = Vec::new();
        // SAFETY: valid rules and fd; the callback only touches `names`, alive throughout.
        let r = unsafe {
            (lib.rules_scan_fd)(
                self.0,
                fd,
                0,
                on_match,
                &mut names as *mut Vec<String> as *mut c_void,
                0,
            )
        };
        if r != ERROR_SUCCESS {
            return Err(Error::msg(format!("yr_rules_scan_fd: error {}", r)));
        }
        Ok(names)
    }
}
