//! The handle's settings (everything the `set_*` calls change) with libguestfs 1.48's
//! defaults, and the directories the handle puts its files in. The `set_*`/`get_*` calls
//! themselves are in `library/handle.rs`; the backends read the settings at launch.

use crate::error::{Error, Result};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// libguestfs's boolean words (`1 true t yes y on`, `0 false f no n off`, case-insensitive).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// libguestfs's default appliance memory, in MiB.
pub(crate) const DEFAULT_MEMSIZE: i32 = 1280;

/// Where a fixed appliance is looked for (`LIBGUESTFS_PATH` / `set_path` replace it): the
/// installed layout of packaging/install.sh with PREFIX=/usr.
pub(crate) const DEFAULT_PATH: &str = "/usr/lib/virt-tools";

/// The settings of a handle (everything the `set_*` calls change), with 1.48's defaults.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// As `set_backend` stored it (`appliance` becomes `direct`).
    pub backend: String,
    pub backend_settings: Vec<String>,
    pub memsize: i32,
    pub smp: i32,
    pub append: Option<String>,
    pub autosync: bool,
    pub program: String,
    pub identifier: String,
    pub hv: String,
    pub path: String,
    pub trace: bool,
    pub direct: bool,
    pub network: bool,
    pub pgroup: bool,
    pub recovery_proc: bool,
    pub selinux: bool,
    /// `set_tmpdir` (absolute), then `TMPDIR` (absolute), then /tmp.
    pub int_tmpdir: Option<PathBuf>,
    pub env_tmpdir: Option<PathBuf>,
    /// `set_cachedir` (absolute), then `TMPDIR`, then /var/tmp.
    pub int_cachedir: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR` (absolute): where a non-root user's sockets go.
    pub env_runtimedir: Option<PathBuf>,
    /// Extra qemu parameters from `config`, most recent first (the order libguestfs puts
    /// them on the command line).
    pub hv_params: Vec<(String, Option<String>)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backend: "auto".to_string(),
            backend_settings: Vec::new(),
            memsize: DEFAULT_MEMSIZE,
            smp: 1,
            append: None,
            autosync: true,
            program: program_name(),
            identifier: String::new(),
            hv: default_hv(),
            path: DEFAULT_PATH.to_string(),
            trace: false,
            direct: false,
            network: false,
            pgroup: false,
            recovery_proc: true,
            selinux: false,
            int_tmpdir: None,
            env_tmpdir: None,
            int_cachedir: None,
            env_runtimedir: None,
            hv_params: Vec::new(),
        }
    }
}

/// The short name of the running program (`getprogname`), without libtool's `lt-` prefix.
fn program_name() -> String {
    let name = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    match name.strip_prefix("lt-") {
        Some(rest) => rest.to_string(),
        None => name,
    }
}

/// The hypervisor libguestfs is configured with: qemu-system-ARCH in /usr/bin, or wherever
/// PATH has it.
pub(crate) fn default_hv() -> String {
    let name = format!("qemu-system-{}", std::env::consts::ARCH);
    let usr_bin = Path::new("/usr/bin").join(&name);
    if usr_bin.is_file() {
        return usr_bin.display().to_string();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(&name))
        .find(|p| p.is_file())
        .unwrap_or(usr_bin)
        .display()
        .to_string()
}

impl Settings {
    pub(crate) fn tmpdir(&self) -> PathBuf {
        self.int_tmpdir
            .clone()
            .or_else(|| self.env_tmpdir.clone())
            .unwrap_or_else(|| PathBuf::from("/tmp"))
    }

    pub(crate) fn cachedir(&self) -> PathBuf {
        self.int_cachedir
            .clone()
            .or_else(|| self.env_tmpdir.clone())
            .unwrap_or_else(|| PathBuf::from("/var/tmp"))
    }

    /// /tmp for root (qemu run by libvirt as another user must reach it), else
    /// `XDG_RUNTIME_DIR` or /tmp.
    pub(crate) fn sockdir(&self) -> PathBuf {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            return PathBuf::from("/tmp");
        }
        self.env_runtimedir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/tmp"))
    }

    /// A backend setting read as a boolean (absent is false), as the direct backend reads
    /// `force_tcg` and `force_kvm`.
    pub(crate) fn backend_setting_bool(&self, name: &str) -> Result<bool> {
        match backend_setting(&self.backend_settings, name) {
            None => Ok(false),
            Some(v) => parse_bool(v)
                .ok_or_else(|| Error::msg(format!("{}={}: non-boolean backend setting", name, v))),
        }
    }
}

/// The handle's private temporary directory (overlays, scratch disks, files of FileOut calls
/// the library reads back): made on first use, removed with the handle.
#[derive(Debug, Default)]
pub(crate) struct TempDir {
    path: Option<PathBuf>,
    /// Numbers the files made in it.
    unique: u32,
}

impl TempDir {
    /// The directory, made now in `base` if it does not exist yet.
    pub(crate) fn get(&mut self, base: &Path) -> Result<PathBuf> {
        if let Some(p) = &self.path {
            return Ok(p.clone());
        }
        let made = make_private_dir(base)?;
        self.path = Some(made.clone());
        Ok(made)
    }

    /// A new file name `NAMEn[.EXT]` in the directory.
    pub(crate) fn file(&mut self, base: &Path, name: &str, ext: Option<&str>) -> Result<PathBuf> {
        let dir = self.get(base)?;
        self.unique += 1;
        Ok(dir.join(match ext {
            Some(e) => format!("{}{}.{}", name, self.unique, e),
            None => format!("{}{}", name, self.unique),
        }))
    }

    /// Whether the directory has been made.
    pub(crate) fn exists(&self) -> bool {
        self.path.is_some()
    }

    /// Removes the directory and everything in it.
    pub(crate) fn remove(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// `BASE/libguestfsXXXXXX`, private to this process; readable by others when root (qemu run
/// as another user must reach the files in it).
pub(crate) fn make_private_dir(base: &Path) -> Result<PathBuf> {
    let template = base.join("libguestfsXXXXXX");
    let shown = template.display().to_string();
    let mut buf = std::ffi::CString::new(template.into_os_string().into_encoded_bytes())
        .map_err(|_| Error::new(libc::EINVAL, format!("{}: invalid directory name", shown)))?
        .into_bytes_with_nul();
    // SAFETY: mkdtemp rewrites the XXXXXX of our NUL-terminated buffer in place.
    if unsafe { libc::mkdtemp(buf.as_mut_ptr() as *mut libc::c_char) }.is_null() {
        let e = std::io::Error::last_os_error();
        return Err(
            Error::from(e).context(&format!("{}: cannot create temporary directory", shown))
        );
    }
    buf.pop();
    let dir = PathBuf::from(std::ffi::OsString::from_vec(buf));
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::from(e).context(&format!("chmod: {}", dir.display())))?;
    }
    Ok(dir)
}

/// Whether backend setting `s` is `name` or `name=…`.
pub(crate) fn setting_is(s: &str, name: &str) -> bool {
    s == name || s.strip_prefix(name).is_some_and(|r| r.starts_with('='))
}

/// The value of the first setting called `name`.
pub(crate) fn backend_setting<'a>(settings: &'a [String], name: &str) -> Option<&'a str> {
    settings.iter().find_map(|s| {
        if s == name {
            Some("1")
        } else {
            s.strip_prefix(name).and_then(|r| r.strip_prefix('='))
        }
    })
}

/// `sscanf ("%d")`: optional blanks and sign, then at least one digit; the rest is ignored.
pub(crate) fn scan_int(s: &str) -> Option<i32> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let v: i64 = digits[..end].parse().unwrap_or(i64::MAX);
    let v = if neg { -v } else { v };
    Some(v.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}
