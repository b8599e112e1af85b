//! Loading kernel modules without kmod: the appliance carries the `.ko` files it needs and
//! the matching lines of `modules.dep` and `modules.alias`; dependencies are loaded first.
//!
//! The same code answers the kernel's module helper (`/sbin/modprobe -q -- fs-ext4`), so
//! mount(2) of a filesystem whose driver is not loaded yet loads it on demand.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Where the modules of the running kernel are.
fn module_dir() -> String {
    // SAFETY: uname fills a caller-provided struct.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    format!("/lib/modules/{}", release)
}

/// A module's canonical name: file stem with `-` as `_`.
pub fn canonical(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.split(".ko").next().unwrap_or(base);
    let stem = stem.strip_suffix(".gz").unwrap_or(stem);
    stem.replace('-', "_")
}

struct Index {
    dir: String,
    /// name → (path relative to dir, dependency names in modules.dep order)
    deps: HashMap<String, (String, Vec<String>)>,
    /// (pattern, module)
    aliases: Vec<(String, String)>,
}

fn load_index() -> Index {
    let dir = module_dir();
    let mut deps = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(format!("{}/modules.dep", dir)) {
        for line in text.lines() {
            let Some((path, rest)) = line.split_once(':') else {
                continue;
            };
            let d: Vec<String> = rest.split_whitespace().map(canonical).collect();
            deps.insert(canonical(path), (path.to_string(), d));
        }
    }
    let mut aliases = Vec::new();
    if let Ok(text) = std::fs::read_to_string(format!("{}/modules.alias", dir)) {
        for line in text.lines() {
            let mut it = line.split_whitespace();
            if let (Some("alias"), Some(pat), Some(m)) = (it.next(), it.next(), it.next()) {
                aliases.push((pat.replace('-', "_"), canonical(m)));
            }
        }
    }
    Index { dir, deps, aliases }
}

struct State {
    index: Option<Index>,
    loaded: Option<HashSet<String>>,
}

static STATE: Mutex<State> = Mutex::new(State {
    index: None,
    loaded: None,
});

/// Matches a modules.alias pattern (`*`, `?`; `[…]` classes are treated as one character).
fn glob(pat: &[u8], s: &[u8]) -> bool {
    match pat.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob(&pat[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob(&pat[1..], &s[1..]),
        Some(b'[') => match pat.iter().position(|&c| c == b']') {
            Some(end) => {
                !s.is_empty() && pat[1..end].contains(&s[0]) && glob(&pat[end + 1..], &s[1..])
            }
            None => false,
        },
        Some(&c) => s.first() == Some(&c) && glob(&pat[1..], &s[1..]),
    }
}

/// Loads a module (or the modules an alias names) and its dependencies. Returns false when
/// nothing could be found or loaded.
pub fn load(name: &str) -> bool {
    let mut st = match STATE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if st.index.is_none() {
        st.index = Some(load_index());
    }
    let st = &mut *st;
    let Some(index) = st.index.as_ref() else {
        return false;
    };
    let name = canonical(name);
    if index.deps.contains_key(&name) {
        return load_one(index, st.loaded.get_or_insert_with(HashSet::new), &name, 0);
    }
    let targets: Vec<String> = index
        .aliases
        .iter()
        .filter(|(p, _)| glob(p.as_bytes(), name.as_bytes()))
        .map(|(_, m)| m.clone())
        .collect();
    let mut ok = false;
    for t in targets {
        ok |= load_one(index, st.loaded.get_or_insert_with(HashSet::new), &t, 0);
    }
    ok
}

fn load_one(index: &Index, loaded: &mut HashSet<String>, name: &str, depth: usize) -> bool {
    if loaded.contains(name) {
        return true;
    }
    let Some((path, deps)) = index.deps.get(name) else {
        return false;
    };
    if depth > 32 {
        return false;
    }
    // modules.dep lists the deepest dependency last; load from the end.
    for d in deps.iter().rev() {
        load_one(index, loaded, d, depth + 1);
    }
    let full = if path.starts_with('/') {
        path.clone()
    } else {
        format!("{}/{}", index.dir, path)
    };
    let params = cmdline_params(name);
    let ok = if full.ends_with(".gz") {
        load_compressed(&full, &params)
    } else {
        match std::fs::File::open(&full) {
            Ok(f) => {
                // SAFETY: finit_module reads the module from an open fd; params is a valid C string.
                let r = unsafe {
                    libc::syscall(
                        libc::SYS_finit_module,
                        std::os::unix::io::AsRawFd::as_raw_fd(&f),
                        params.as_ptr(),
                        0,
                    )
                };
                r == 0 || crate::sys::errno() == libc::EEXIST
            }
            Err(_) => false,
        }
    };
    if ok {
        loaded.insert(name.to_string());
    } else if std::env::var_os("GUESTFSD_DEBUG_MODULES").is_some() || std::process::id() == 1 {
        eprintln!("guestfsd: module {} ({}) not loaded", name, full);
    }
    ok
}

/// The parameters the kernel command line gives a module (`scsi_mod.scan=manual` →
/// `scan=manual`), as modprobe passes them: the kernel applies such words only to built-in
/// code, never to a module loaded later.
fn cmdline_params(module: &str) -> std::ffi::CString {
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let words: Vec<&str> = cmdline
        .split_whitespace()
        .filter_map(|w| {
            let (name, param) = w.split_once('.')?;
            (name.replace('-', "_") == module && param.contains('=')).then_some(param)
        })
        .collect();
    std::ffi::CString::new(words.join(" ")).unwrap_or_default()
}

/// Inflates a gzip-compressed module and loads it from memory.
fn load_compressed(path: &str, params: &std::ffi::CStr) -> bool {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut data = Vec::new();
    // A module is at most a few tens of MiB; refuse anything larger.
    let mut gz = flate2::read::GzDecoder::new(f).take(256 << 20);
    if let Err(e) = gz.read_to_end(&mut data) {
        eprintln!("guestfsd: {}: {}", path, e);
        return false;
    }
    // SAFETY: init_module reads `data.len()` bytes from a live buffer; params is a C string.
    let r = unsafe {
        libc::syscall(
            libc::SYS_init_module,
            data.as_ptr(),
            data.len() as libc::c_ulong,
            params.as_ptr(),
        )
    };
    let e = crate::sys::errno();
    if r != 0 && e != libc::EEXIST {
        eprintln!(
            "guestfsd: {}: init_module: {}",
            path,
            guestfs_protocol::error::strerror(e)
        );
    }
    r == 0 || e == libc::EEXIST
}

/// `modprobe [-q] [--] NAME`, as the kernel's module helper calls it.
pub fn modprobe_main(args: &[String]) -> i32 {
    match args.iter().find(|a| !a.starts_with('-')) {
        Some(name) if load(name) => 0,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_match_like_kmod() {
        assert!(glob(b"fs_ext4", b"fs_ext4"));
        assert!(glob(b"crypto_xts*", b"crypto_xts(aes)"));
        assert!(!glob(b"fs_ext4", b"fs_ext3"));
        assert_eq!(canonical("kernel/fs/fat/vfat.ko"), "vfat");
        assert_eq!(canonical("dm-mod.ko.xz"), "dm_mod");
    }
}
