//! The Sleuth Kit's library (Debian's `libtsk.so.19`, TSK 4.11), opened at run time for the
//! directory walks behind `filesystem_walk` and `find_inode`. 1.48's daemon walks with
//! `tsk_fs_dir_walk`; no TSK program prints what a walk entry carries (link counts, symlink
//! targets, nanosecond times, reallocated names), so the library it is. The structures below
//! mirror the leading fields of TSK 4.11's (`tsk/fs/tsk_fs.h`) as far as they are read; their
//! offsets are checked at compile time against those the headers give.

use crate::dynlib::Library;
use guestfs_protocol::{Error, Result};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::mem::offset_of;
use std::sync::OnceLock;

/// Where Debian's libtsk is (the appliance carries it, with The Sleuth Kit's programs).
pub const LIBRARY_PATH: &str = "/usr/lib/x86_64-linux-gnu/libtsk.so.19";
const LIBRARY: &CStr = c"/usr/lib/x86_64-linux-gnu/libtsk.so.19";

/// `TSK_FS_DIR_WALK_FLAG_ALLOC | _UNALLOC | _RECURSE | _NOORPHAN`, 1.48's walk.
const WALK_FLAGS: c_int = 0x01 | 0x02 | 0x04 | 0x08;
const WALK_CONT: c_int = 0;
const WALK_ERROR: c_int = 2;
/// `TSK_IMG_TYPE_DETECT`, `TSK_FS_TYPE_DETECT`.
const DETECT: c_uint = 0;
const NAME_FLAG_UNALLOC: c_int = 0x02;
const META_FLAG_ALLOC: c_int = 0x01;
const META_FLAG_COMP: c_int = 0x10;

/// `tsk_dirent.tsk_flags`, as 1.48 sets them.
const DIRENT_ALLOC: u32 = 0x01;
const DIRENT_REALLOC: u32 = 0x02;
const DIRENT_COMPRESSED: u32 = 0x04;

/// `TSK_FS_FILE`.
#[repr(C)]
struct FsFile {
    tag: c_int,
    name: *const FsName,
    meta: *const FsMeta,
    fs_info: *const FsInfo,
}

/// `TSK_FS_NAME`.
#[repr(C)]
struct FsName {
    tag: c_int,
    name: *const c_char,
    name_size: usize,
    short_name: *const c_char,
    short_name_size: usize,
    meta_addr: u64,
    meta_seq: u32,
    parent_addr: u64,
    parent_seq: u32,
    date_added: u64,
    kind: c_int,
    flags: c_int,
}

/// `TSK_FS_META` up to `link`; `time2` is a union of at most 8 `time_t` and a `uint16_t`.
#[repr(C)]
struct FsMeta {
    tag: c_int,
    flags: c_int,
    addr: u64,
    kind: c_int,
    mode: c_int,
    nlink: c_int,
    size: i64,
    uid: u32,
    gid: u32,
    mtime: i64,
    mtime_nano: u32,
    atime: i64,
    atime_nano: u32,
    ctime: i64,
    ctime_nano: u32,
    crtime: i64,
    crtime_nano: u32,
    time2: [u64; 9],
    content_ptr: *const c_void,
    content_len: usize,
    content_type: c_int,
    reset_content: *const c_void,
    seq: u32,
    attr: *const c_void,
    attr_state: c_int,
    name2: *const c_void,
    link: *const c_char,
}

/// `TSK_FS_INFO` up to `root_inum`.
#[repr(C)]
struct FsInfo {
    tag: c_int,
    img_info: *const c_void,
    offset: i64,
    inum_count: u64,
    root_inum: u64,
}

// The offsets TSK 4.11's headers give on x86_64 (offsetof, compiled against libtsk-dev).
const _: () = {
    assert!(offset_of!(FsFile, name) == 8 && offset_of!(FsFile, fs_info) == 24);
    assert!(offset_of!(FsName, meta_addr) == 40 && offset_of!(FsName, kind) == 80);
    assert!(offset_of!(FsName, flags) == 84);
    assert!(offset_of!(FsMeta, kind) == 16 && offset_of!(FsMeta, nlink) == 24);
    assert!(offset_of!(FsMeta, size) == 32 && offset_of!(FsMeta, mtime) == 48);
    assert!(offset_of!(FsMeta, crtime_nano) == 104 && offset_of!(FsMeta, link) == 248);
    assert!(offset_of!(FsInfo, root_inum) == 32);
};

type WalkCallback = unsafe extern "C" fn(*const FsFile, *const c_char, *mut c_void) -> c_int;

/// The entry points of libtsk used here.
struct Tsk {
    img_open_sing: unsafe extern "C" fn(*const c_char, c_uint, c_uint) -> *mut c_void,
    img_close: unsafe extern "C" fn(*mut c_void),
    fs_open_img: unsafe extern "C" fn(*mut c_void, i64, c_uint) -> *mut FsInfo,
    fs_close: unsafe extern "C" fn(*mut FsInfo),
    fs_dir_walk: unsafe extern "C" fn(*mut FsInfo, u64, c_int, WalkCallback, *mut c_void) -> u8,
    error_get_errno: unsafe extern "C" fn() -> u32,
    error_get: unsafe extern "C" fn() -> *const c_char,
}

/// libtsk, looked up once; None when it is not in the appliance.
fn tsk() -> Option<&'static Tsk> {
    static TSK: OnceLock<Option<Tsk>> = OnceLock::new();
    TSK.get_or_init(|| {
        let lib = Library::open(LIBRARY).ok()?;
        // SAFETY: each field's type is the C signature TSK 4.11's headers declare for the
        // function of that name.
        unsafe {
            Some(Tsk {
                img_open_sing: lib.function(c"tsk_img_open_sing").ok()?,
                img_close: lib.function(c"tsk_img_close").ok()?,
                fs_open_img: lib.function(c"tsk_fs_open_img").ok()?,
                fs_close: lib.function(c"tsk_fs_close").ok()?,
                fs_dir_walk: lib.function(c"tsk_fs_dir_walk").ok()?,
                error_get_errno: lib.function(c"tsk_error_get_errno").ok()?,
                error_get: lib.function(c"tsk_error_get").ok()?,
            })
        }
    })
    .as_ref()
}

/// 1.48's `reply_with_tsk_error`: `FUNCTION: TSK's message`.
fn tsk_error(tsk: &Tsk, function: &str) -> Error {
    // SAFETY: no arguments; tsk_error_get returns NULL or the thread's message.
    let message = unsafe {
        if (tsk.error_get_errno)() == 0 {
            None
        } else {
            let p = (tsk.error_get)();
            (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    };
    Error::msg(format!(
        "{}: {}",
        function,
        message.as_deref().unwrap_or("unknown error")
    ))
}

/// One entry of a walk, as 1.48 fills a `tsk_dirent`.
pub struct Dirent {
    pub inode: u64,
    pub kind: u8,
    /// The path from the filesystem's root, without a leading `/` (bytes, as on disk).
    pub name: Vec<u8>,
    pub flags: u32,
    /// Absent for a name whose metadata TSK could not find (deleted entries).
    pub meta: Option<DirentMeta>,
}

pub struct DirentMeta {
    pub size: i64,
    pub nlink: i64,
    /// (seconds, nanoseconds) of access, modification, status change and creation.
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    pub crtime: (i64, i64),
    pub link: Vec<u8>,
}

/// The bytes of a C string, or none for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn c_bytes(p: *const c_char) -> Vec<u8> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(p) }.to_bytes().to_vec()
}

/// 1.48's `file_type`: the name's type letter (what the directory entry says).
fn kind_letter(name_type: c_int) -> u8 {
    match name_type {
        1 => b'f',
        2 => b'c',
        3 => b'd',
        4 => b'b',
        5 => b'r',
        6 => b'l',
        7 => b's',
        8 => b'h',
        9 => b'w',
        _ => b'u',
    }
}

/// What a walk callback needs: which entries, where they go, and the first failure.
struct WalkState<'a> {
    inode: Option<u64>,
    sink: &'a mut dyn FnMut(&Dirent) -> Result<()>,
    failed: Option<Error>,
}

/// A walk entry as 1.48's `send_dirent_info` sees it; None for the `.` and `..` entries it
/// skips (but the root's own `.`).
///
/// # Safety
/// `file` and `path` are what `tsk_fs_dir_walk` passes to its callback.
unsafe fn dirent(file: &FsFile, path: *const c_char) -> Option<Dirent> {
    // SAFETY: TSK's walk passes a file with a name, its filesystem, and live metadata or
    // NULL; every string is NUL-terminated.
    unsafe {
        let name = &*file.name;
        let base = c_bytes(name.name);
        let is_dot = base == b"." || base == b"..";
        let is_root = (*file.fs_info).root_inum == name.meta_addr && base == b".";
        if is_dot && !is_root {
            return None;
        }
        let meta = file.meta.as_ref();
        let mut flags = if name.flags & NAME_FLAG_UNALLOC != 0 {
            if meta.is_some_and(|m| m.flags & META_FLAG_ALLOC != 0) {
                DIRENT_REALLOC
            } else {
                0
            }
        } else {
            DIRENT_ALLOC
        };
        if meta.is_some_and(|m| m.flags & META_FLAG_COMP != 0) {
            flags |= DIRENT_COMPRESSED;
        }
        let mut full = c_bytes(path);
        full.extend_from_slice(&base);
        Some(Dirent {
            inode: name.meta_addr,
            kind: kind_letter(name.kind),
            name: full,
            flags,
            meta: meta.map(|m| DirentMeta {
                size: m.size,
                nlink: i64::from(m.nlink),
                atime: (m.atime, i64::from(m.atime_nano)),
                mtime: (m.mtime, i64::from(m.mtime_nano)),
                ctime: (m.ctime, i64::from(m.ctime_nano)),
                crtime: (m.crtime, i64::from(m.crtime_nano)),
                link: c_bytes(m.link),
            }),
        })
    }
}

unsafe extern "C" fn on_entry(
    file: *const FsFile,
    path: *const c_char,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the WalkState of `walk`, alive throughout the walk; `file` is TSK's.
    let state = unsafe { &mut *(data as *mut WalkState) };
    let file = unsafe { &*file };
    // SAFETY: a name is always set on the files of a directory walk.
    let addr = unsafe { (*file.name).meta_addr };
    if state.inode.is_some_and(|wanted| wanted != addr) {
        return WALK_CONT;
    }
    // No unwinding into C: a panic ends the walk as an error.
    let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: as TSK passed them.
        match unsafe { dirent(file, path) } {
            Some(d) => (state.sink)(&d),
            None => Ok(()),
        }
    }));
    match sent {
        Ok(Ok(())) => WALK_CONT,
        Ok(Err(e)) => {
            state.failed = Some(e);
            WALK_ERROR
        }
        Err(_) => {
            state.failed = Some(Error::msg("filesystem walk failed"));
            WALK_ERROR
        }
    }
}

fn unavailable() -> Error {
    Error::msg("The Sleuth Kit's library (libtsk) is not in the appliance")
}

/// Walks the filesystem on `device` from its root as 1.48 does (allocated and deleted names,
/// recursively, without TSK's orphan directory), giving `sink` every entry, or only those
/// whose metadata address is `inode`. Errors opening the filesystem come before any entry.
pub fn walk(
    device: &str,
    inode: Option<u64>,
    sink: &mut dyn FnMut(&Dirent) -> Result<()>,
) -> Result<()> {
    let tsk = tsk().ok_or_else(unavailable)?;
    let cdevice = CString::new(device).map_err(|_| Error::msg("invalid device name"))?;
    // SAFETY: a valid path; the image and filesystem are closed here, after the walk, whose
    // callback gets a pointer to `state`, alive until then.
    unsafe {
        let img = (tsk.img_open_sing)(cdevice.as_ptr(), DETECT, 0);
        if img.is_null() {
            return Err(tsk_error(tsk, "tsk_image_open"));
        }
        let fs = (tsk.fs_open_img)(img, 0, DETECT);
        if fs.is_null() {
            let e = tsk_error(tsk, "tsk_fs_open_img");
            (tsk.img_close)(img);
            return Err(e);
        }
        let mut state = WalkState {
            inode,
            sink,
            failed: None,
        };
        let data = &mut state as *mut WalkState as *mut c_void;
        let r = (tsk.fs_dir_walk)(fs, (*fs).root_inum, WALK_FLAGS, on_entry, data);
        let result = match (r, state.failed.take()) {
            (_, Some(e)) => Err(e),
            (0, None) => Ok(()),
            (_, None) => Err(tsk_error(tsk, "tsk_fs_dir_walk")),
        };
        (tsk.fs_close)(fs);
        (tsk.img_close)(img);
        result
    }
}
