//! The handle's settings as libguestfs 1.48 keeps them: their defaults, the checks and
//! messages of their `set_*` calls, `parse_environment`, and the directories the handle puts
//! its files in (`get_tmpdir`, `get_cachedir`, `get_sockdir`).

use crate::error::{Error, Result};
use crate::handle::{Handle, State};
use guestfs_protocol::structs::Version;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// libguestfs's default appliance memory, in MiB.
pub(crate) const DEFAULT_MEMSIZE: i32 = 1280;
/// `set_memsize` refuses less.
const MIN_MEMSIZE: i32 = 256;
/// `set_smp` refuses more vCPUs.
const MAX_SMP: i32 = 255;
/// Where a fixed appliance is looked for (`LIBGUESTFS_PATH` / `set_path` replace it): the
/// installed layout of packaging/install.sh with PREFIX=/usr.
const DEFAULT_PATH: &str = "/usr/lib/virt-tools";
/// Messages of the credential calls: this library is built without libvirt.
const NO_LIBVIRT_AUTH: &str = "libvirt authentication APIs not available since this version of libguestfs was compiled without libvirt";

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

/// libguestfs's boolean words (`1 true t yes y on`, `0 false f no n off`, case-insensitive).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// The valid backend names: `direct` (alias `appliance`), `native`, `auto`, `unix:PATH`.
fn canonical_backend(name: &str) -> Option<String> {
    match name {
        "appliance" | "direct" => Some("direct".to_string()),
        "native" | "auto" => Some(name.to_string()),
        s if s.starts_with("unix:") => Some(s.to_string()),
        _ => None,
    }
}

/// An absolute directory for the `*dir` settings: `realpath`, then it must be a directory.
/// `what` names the setting in messages (`set_tmpdir`, `TMPDIR`, …).
fn absolute_dir(what: &str, dir: &str) -> Result<PathBuf> {
    let abs = std::fs::canonicalize(dir).map_err(|e| {
        Error::from(e).context(&format!(
            "converting path to absolute path: {}: {}: realpath",
            what, dir
        ))
    })?;
    let md = std::fs::metadata(&abs).map_err(|e| {
        Error::from(e).context(&format!(
            "setting temporary directory: {}: {}: stat",
            what, dir
        ))
    })?;
    if !md.is_dir() {
        return Err(Error::msg(format!(
            "setting temporary directory: {}: ‘{}’ is not a directory",
            what, dir
        )));
    }
    Ok(abs)
}

/// Sets a directory setting from an optional value, as libguestfs does: the old value is gone
/// even when the new one is refused.
fn set_dir(slot: &mut Option<PathBuf>, what: &str, dir: Option<&str>) -> Result<()> {
    *slot = None;
    if let Some(d) = dir {
        *slot = Some(absolute_dir(what, d)?);
    }
    Ok(())
}

impl Handle {
    /// Applies the `LIBGUESTFS_*` (and `TMPDIR`, `XDG_RUNTIME_DIR`) variables `getenv`
    /// returns, in 1.48's order, stopping at the first bad one. The setters are the public
    /// calls, so they are traced once `LIBGUESTFS_TRACE` has turned tracing on.
    fn apply_environment(&mut self, getenv: &dyn Fn(&str) -> Option<String>) -> Result<()> {
        let nonempty = |name: &str| getenv(name).filter(|v| !v.is_empty());
        for (var, is_trace) in [("LIBGUESTFS_TRACE", true), ("LIBGUESTFS_DEBUG", false)] {
            if let Some(v) = getenv(var) {
                let b = parse_bool(&v)
                    .ok_or_else(|| Error::msg(format!("{}={}: non-boolean value", var, v)))?;
                if is_trace {
                    self.set_trace(b)?;
                } else {
                    self.set_verbose(b)?;
                }
            }
        }
        if let Some(v) = nonempty("LIBGUESTFS_TMPDIR") {
            self.set_tmpdir(Some(&v))?;
        }
        if let Some(v) = nonempty("LIBGUESTFS_CACHEDIR") {
            self.set_cachedir(Some(&v))?;
        }
        set_dir(
            &mut self.settings.env_tmpdir,
            "TMPDIR",
            getenv("TMPDIR").as_deref(),
        )?;
        if let Some(v) = nonempty("LIBGUESTFS_PATH") {
            self.set_path(Some(&v))?;
        }
        if let Some(v) = nonempty("LIBGUESTFS_HV").or_else(|| nonempty("LIBGUESTFS_QEMU")) {
            self.set_hv(&v)?;
        }
        if let Some(v) = getenv("LIBGUESTFS_APPEND") {
            self.set_append(Some(&v))?;
        }
        if let Some(v) = nonempty("LIBGUESTFS_MEMSIZE") {
            let n = scan_int(&v)
                .ok_or_else(|| Error::msg("non-numeric value for LIBGUESTFS_MEMSIZE"))?;
            self.set_memsize(n)?;
        }
        if let Some(v) =
            nonempty("LIBGUESTFS_BACKEND").or_else(|| nonempty("LIBGUESTFS_ATTACH_METHOD"))
        {
            self.set_backend(&v)?;
        }
        if let Some(v) = getenv("LIBGUESTFS_BACKEND_SETTINGS") {
            let list: Vec<String> = v
                .split(':')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            self.set_backend_settings(&list)?;
        }
        set_dir(
            &mut self.settings.env_runtimedir,
            "XDG_RUNTIME_DIR",
            getenv("XDG_RUNTIME_DIR").as_deref(),
        )
    }

    pub(crate) fn impl_parse_environment(&mut self) -> Result<()> {
        self.apply_environment(&|name| std::env::var(name).ok())
    }

    pub(crate) fn impl_parse_environment_list(&mut self, environment: &[String]) -> Result<()> {
        self.apply_environment(&|name| {
            environment.iter().find_map(|e| {
                e.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('='))
                    .map(str::to_string)
            })
        })
    }

    pub(crate) fn impl_set_verbose(&mut self, verbose: bool) -> Result<()> {
        self.events.set_verbose(verbose);
        Ok(())
    }
    pub(crate) fn impl_get_verbose(&mut self) -> Result<bool> {
        Ok(self.events.verbose())
    }
    pub(crate) fn impl_set_trace(&mut self, trace: bool) -> Result<()> {
        self.settings.trace = trace;
        Ok(())
    }
    pub(crate) fn impl_get_trace(&mut self) -> Result<bool> {
        Ok(self.settings.trace)
    }
    pub(crate) fn impl_set_autosync(&mut self, autosync: bool) -> Result<()> {
        self.settings.autosync = autosync;
        Ok(())
    }
    pub(crate) fn impl_get_autosync(&mut self) -> Result<bool> {
        Ok(self.settings.autosync)
    }
    pub(crate) fn impl_set_direct(&mut self, direct: bool) -> Result<()> {
        self.settings.direct = direct;
        Ok(())
    }
    pub(crate) fn impl_get_direct(&mut self) -> Result<bool> {
        Ok(self.settings.direct)
    }
    pub(crate) fn impl_set_network(&mut self, network: bool) -> Result<()> {
        self.settings.network = network;
        Ok(())
    }
    pub(crate) fn impl_get_network(&mut self) -> Result<bool> {
        Ok(self.settings.network)
    }
    pub(crate) fn impl_set_pgroup(&mut self, pgroup: bool) -> Result<()> {
        self.settings.pgroup = pgroup;
        Ok(())
    }
    pub(crate) fn impl_get_pgroup(&mut self) -> Result<bool> {
        Ok(self.settings.pgroup)
    }
    pub(crate) fn impl_set_recovery_proc(&mut self, recoveryproc: bool) -> Result<()> {
        self.settings.recovery_proc = recoveryproc;
        Ok(())
    }
    pub(crate) fn impl_get_recovery_proc(&mut self) -> Result<bool> {
        Ok(self.settings.recovery_proc)
    }
    pub(crate) fn impl_set_selinux(&mut self, selinux: bool) -> Result<()> {
        self.settings.selinux = selinux;
        Ok(())
    }
    pub(crate) fn impl_get_selinux(&mut self) -> Result<bool> {
        Ok(self.settings.selinux)
    }

    pub(crate) fn impl_set_memsize(&mut self, memsize: i32) -> Result<()> {
        if memsize < MIN_MEMSIZE {
            return Err(Error::msg(format!(
                "too small value for memsize (must be at least {})",
                MIN_MEMSIZE
            )));
        }
        self.settings.memsize = memsize;
        Ok(())
    }
    pub(crate) fn impl_get_memsize(&mut self) -> Result<i32> {
        Ok(self.settings.memsize)
    }

    pub(crate) fn impl_set_smp(&mut self, smp: i32) -> Result<()> {
        if smp > MAX_SMP {
            return Err(Error::msg(format!(
                "unsupported number of smp vcpus: {}",
                smp
            )));
        }
        if smp < 1 {
            return Err(Error::msg(format!("invalid smp parameter: {}", smp)));
        }
        self.settings.smp = smp;
        Ok(())
    }
    pub(crate) fn impl_get_smp(&mut self) -> Result<i32> {
        Ok(self.settings.smp)
    }

    pub(crate) fn impl_set_append(&mut self, append: Option<&str>) -> Result<()> {
        self.settings.append = append.map(str::to_string);
        Ok(())
    }
    pub(crate) fn impl_get_append(&mut self) -> Result<Option<String>> {
        Ok(self.settings.append.clone())
    }

    pub(crate) fn impl_set_program(&mut self, program: &str) -> Result<()> {
        self.settings.program = program.to_string();
        Ok(())
    }
    pub(crate) fn impl_get_program(&mut self) -> Result<String> {
        Ok(self.settings.program.clone())
    }

    pub(crate) fn impl_set_identifier(&mut self, identifier: &str) -> Result<()> {
        if !identifier
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(Error::msg(
                "identifier must contain only alphanumeric characters, underscore or minus sign",
            ));
        }
        self.settings.identifier = identifier.to_string();
        self.events.set_identifier(identifier);
        Ok(())
    }
    pub(crate) fn impl_get_identifier(&mut self) -> Result<String> {
        Ok(self.settings.identifier.clone())
    }

    pub(crate) fn impl_set_hv(&mut self, hv: &str) -> Result<()> {
        self.settings.hv = hv.to_string();
        Ok(())
    }
    pub(crate) fn impl_get_hv(&mut self) -> Result<String> {
        Ok(self.settings.hv.clone())
    }
    /// The deprecated form of `set_hv`: NULL restores the default.
    pub(crate) fn impl_set_qemu(&mut self, hv: Option<&str>) -> Result<()> {
        self.settings.hv = match hv {
            Some(h) => h.to_string(),
            None => default_hv(),
        };
        Ok(())
    }
    pub(crate) fn impl_get_qemu(&mut self) -> Result<String> {
        Ok(self.settings.hv.clone())
    }

    pub(crate) fn impl_set_path(&mut self, searchpath: Option<&str>) -> Result<()> {
        self.settings.path = searchpath.unwrap_or(DEFAULT_PATH).to_string();
        Ok(())
    }
    pub(crate) fn impl_get_path(&mut self) -> Result<String> {
        Ok(self.settings.path.clone())
    }

    /// Chooses the backend for the next launch: `auto`, `native`, `direct` (alias
    /// `appliance`), or `unix:PATH`.
    pub(crate) fn impl_set_backend(&mut self, backend: &str) -> Result<()> {
        match canonical_backend(backend) {
            Some(b) => {
                self.settings.backend = b;
                Ok(())
            }
            None => Err(Error::msg(format!("invalid backend: {}", backend))),
        }
    }
    pub(crate) fn impl_get_backend(&mut self) -> Result<String> {
        Ok(self.settings.backend.clone())
    }
    pub(crate) fn impl_set_attach_method(&mut self, backend: &str) -> Result<()> {
        self.set_backend(backend)
    }
    /// `direct` is called `appliance` here, as in the days of attach methods.
    pub(crate) fn impl_get_attach_method(&mut self) -> Result<String> {
        if self.settings.backend == "direct" {
            return Ok("appliance".to_string());
        }
        self.get_backend()
    }

    pub(crate) fn impl_set_backend_settings(&mut self, settings: &[String]) -> Result<()> {
        self.settings.backend_settings = settings.to_vec();
        Ok(())
    }
    pub(crate) fn impl_get_backend_settings(&mut self) -> Result<Vec<String>> {
        Ok(self.settings.backend_settings.clone())
    }
    /// `NAME` alone reads as `1`; `NAME=VALUE` gives VALUE.
    pub(crate) fn impl_get_backend_setting(&mut self, name: &str) -> Result<String> {
        backend_setting(&self.settings.backend_settings, name)
            .map(str::to_string)
            .ok_or_else(|| Error::new(libc::ESRCH, "setting not found"))
    }
    pub(crate) fn impl_clear_backend_setting(&mut self, name: &str) -> Result<i32> {
        let before = self.settings.backend_settings.len();
        self.settings
            .backend_settings
            .retain(|s| !setting_is(s, name));
        Ok((before - self.settings.backend_settings.len()) as i32)
    }
    pub(crate) fn impl_set_backend_setting(&mut self, name: &str, val: &str) -> Result<()> {
        self.settings
            .backend_settings
            .retain(|s| !setting_is(s, name));
        self.settings
            .backend_settings
            .push(format!("{}={}", name, val));
        Ok(())
    }

    pub(crate) fn impl_set_tmpdir(&mut self, tmpdir: Option<&str>) -> Result<()> {
        set_dir(&mut self.settings.int_tmpdir, "set_tmpdir", tmpdir)
    }
    pub(crate) fn impl_get_tmpdir(&mut self) -> Result<String> {
        Ok(self.settings.tmpdir().display().to_string())
    }
    pub(crate) fn impl_set_cachedir(&mut self, cachedir: Option<&str>) -> Result<()> {
        set_dir(&mut self.settings.int_cachedir, "set_cachedir", cachedir)
    }
    pub(crate) fn impl_get_cachedir(&mut self) -> Result<String> {
        Ok(self.settings.cachedir().display().to_string())
    }
    pub(crate) fn impl_get_sockdir(&mut self) -> Result<String> {
        Ok(self.settings.sockdir().display().to_string())
    }

    /// Extra qemu parameters, except the ones the appliance's own command line needs.
    pub(crate) fn impl_config(&mut self, hvparam: &str, hvvalue: Option<&str>) -> Result<()> {
        const RESERVED: [&str; 8] = [
            "-kernel",
            "-initrd",
            "-nographic",
            "-display",
            "-serial",
            "-full-screen",
            "-std-vga",
            "-vnc",
        ];
        if RESERVED.contains(&hvparam) {
            return Err(Error::msg(format!("parameter ‘{}’ isn't allowed", hvparam)));
        }
        self.settings
            .hv_params
            .insert(0, (hvparam.to_string(), hvvalue.map(str::to_string)));
        Ok(())
    }

    /// The version of this workspace (1.48.x: the libguestfs it is compatible with).
    pub(crate) fn impl_version(&mut self) -> Result<Version> {
        let number = |s: &str| s.parse::<i64>().unwrap_or(0);
        Ok(Version {
            major: number(env!("CARGO_PKG_VERSION_MAJOR")),
            minor: number(env!("CARGO_PKG_VERSION_MINOR")),
            release: number(env!("CARGO_PKG_VERSION_PATCH")),
            extra: env!("CARGO_PKG_VERSION_PRE").to_string(),
        })
    }

    /// A number that identifies this handle for as long as it lives (the address of its
    /// shared event registry: the `Handle` value itself moves).
    pub(crate) fn impl_c_pointer(&mut self) -> Result<i64> {
        Ok(self.events.address() as i64)
    }

    pub(crate) fn impl_is_config(&mut self) -> Result<bool> {
        Ok(self.state == State::Config)
    }
    pub(crate) fn impl_is_launching(&mut self) -> Result<bool> {
        Ok(self.state == State::Launching)
    }
    pub(crate) fn impl_is_ready(&mut self) -> Result<bool> {
        Ok(self.state == State::Ready)
    }
    /// There has been no BUSY state since libguestfs 1.17.36.
    pub(crate) fn impl_is_busy(&mut self) -> Result<bool> {
        Ok(false)
    }
    pub(crate) fn impl_get_state(&mut self) -> Result<i32> {
        Ok(self.state as i32)
    }

    pub(crate) fn impl_set_libvirt_supported_credentials(
        &mut self,
        _creds: &[String],
    ) -> Result<()> {
        Err(Error::msg(NO_LIBVIRT_AUTH))
    }
    pub(crate) fn impl_get_libvirt_requested_credentials(&mut self) -> Result<Vec<String>> {
        Err(Error::msg(NO_LIBVIRT_AUTH))
    }
    pub(crate) fn impl_get_libvirt_requested_credential_prompt(
        &mut self,
        _index: i32,
    ) -> Result<String> {
        Err(Error::msg(NO_LIBVIRT_AUTH))
    }
    pub(crate) fn impl_get_libvirt_requested_credential_challenge(
        &mut self,
        _index: i32,
    ) -> Result<String> {
        Err(Error::msg(NO_LIBVIRT_AUTH))
    }
    pub(crate) fn impl_get_libvirt_requested_credential_defresult(
        &mut self,
        _index: i32,
    ) -> Result<String> {
        Err(Error::msg(NO_LIBVIRT_AUTH))
    }
    pub(crate) fn impl_set_libvirt_requested_credential(
        &mut self,
        _index: i32,
        _cred: &[u8],
    ) -> Result<()> {
        Err(Error::msg(NO_LIBVIRT_AUTH))
    }
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
fn setting_is(s: &str, name: &str) -> bool {
    s == name || s.strip_prefix(name).is_some_and(|r| r.starts_with('='))
}

/// The value of the first setting called `name`.
fn backend_setting<'a>(settings: &'a [String], name: &str) -> Option<&'a str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_setting_lookup() {
        let s: Vec<String> = ["force_tcg", "gdb=0", "x=1=2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(backend_setting(&s, "force_tcg"), Some("1"));
        assert_eq!(backend_setting(&s, "gdb"), Some("0"));
        assert_eq!(backend_setting(&s, "x"), Some("1=2"));
        assert_eq!(backend_setting(&s, "force"), None);
        assert!(setting_is("gdb=0", "gdb") && !setting_is("gdbx", "gdb"));
    }

    #[test]
    fn scan_int_is_sscanf_d() {
        assert_eq!(scan_int(" 512M"), Some(512));
        assert_eq!(scan_int("-3"), Some(-3));
        assert_eq!(scan_int("x1"), None);
        assert_eq!(scan_int(""), None);
        assert_eq!(scan_int("99999999999"), Some(i32::MAX));
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("ON"), Some(true));
        assert_eq!(parse_bool("n"), Some(false));
        assert_eq!(parse_bool("2"), None);
    }
}
