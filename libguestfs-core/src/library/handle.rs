//! The handle's settings as libguestfs 1.48 keeps them: their defaults, the checks and
//! messages of their `set_*` calls, `parse_environment`, and the directories the handle puts
//! its files in (`get_tmpdir`, `get_cachedir`, `get_sockdir`).

use crate::error::{Error, Result};
use crate::handle::{Handle, State};
use crate::settings::*;
use guestfs_protocol::structs::Version;
use std::path::PathBuf;

/// `set_memsize` refuses less.
const MIN_MEMSIZE: i32 = 256;
/// `set_smp` refuses more vCPUs.
const MAX_SMP: i32 = 255;
/// Messages of the credential calls: this library is built without libvirt.
const NO_LIBVIRT_AUTH: &str = "libvirt authentication APIs not available since this version of libguestfs was compiled without libvirt";

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
