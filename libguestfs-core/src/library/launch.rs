//! Launching and stopping the backend as libguestfs 1.48 does (`launch`, `shutdown`,
//! `kill_subprocess`, `wait_ready`), the calls about the running appliance (`get_pid`,
//! `internal_get_console_socket`, `user_cancel`), and the read-only drives' overlays.

use crate::backend::appliance::qemu::{drive_format, network_source, QemuDrive};
use crate::backend::appliance::{self, LaunchConfig};
use crate::backend::{launch_backend, Backend, Chosen};
use crate::drive::{Drive, Protocol};
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::handle::{Handle, State};
use crate::library::disk::{local_virtual_size, write_overlay};
use guestfs_protocol::calls::{CryptsetupOpenOpts, DiskCreateOpts};
use std::time::{Duration, Instant};

/// The calls that open an encrypted volume: after them, the native backend chosen by `auto`
/// may hand over to the appliance (see [`Backend::hand_over`]).
pub(crate) const OPENING_CALLS: [&str; 3] = ["cryptsetup_open", "luks_open", "luks_open_ro"];

/// Launches slower than this report their progress (in twelfths), as libguestfs does.
const SLOW_LAUNCH: Duration = Duration::from_secs(5);

impl Handle {
    /// Starts the backend: CONFIG → LAUNCHING → READY. On failure the handle is in CONFIG
    /// again, its drives still added.
    pub(crate) fn impl_launch(&mut self) -> Result<()> {
        if self.state != State::Config {
            return Err(Error::msg(
                "the libguestfs handle has already been launched",
            ));
        }
        // A backend that cannot tell (unix:) is not limited.
        self.push_error_handler_quiet();
        let max = self.max_disks();
        self.pop_error_handler();
        if let Ok(max) = max {
            if self.drives.len() > max as usize {
                return Err(Error::msg(format!(
                    "too many drives have been added, the current backend only supports {} drives",
                    max
                )));
            }
        }
        let started = Instant::now();
        self.temp_dir()?;
        if self.is_verbose() {
            self.debug_launch()?;
        }
        let setting = self.settings.backend.clone();
        if !setting.starts_with("unix:") && self.drives.is_empty() {
            return Err(Error::msg(
                "you must call guestfs_add_drive before guestfs_launch",
            ));
        }
        self.state = State::Launching;
        let launched = self.launch_chosen(&setting, started);
        match launched {
            Ok(backend) => {
                self.events
                    .debug(&format!("launched backend {}", backend.name()));
                self.backend = Some(backend);
                self.state = State::Ready;
                self.features.clear();
                self.events.void(EventKind::LaunchDone);
                self.launch_progress(started, 12);
                self.after_backend_call();
                Ok(())
            }
            Err(e) => {
                self.state = State::Config;
                Err(e)
            }
        }
    }

    fn launch_chosen(&mut self, setting: &str, started: Instant) -> Result<Box<dyn Backend>> {
        match launch_backend(setting, &self.drives, &self.events)? {
            Chosen::Running(b) => Ok(b),
            Chosen::Appliance => self.launch_appliance(started),
        }
    }

    fn launch_appliance(&mut self, started: Instant) -> Result<Box<dyn Backend>> {
        let drives = self.appliance_drives()?;
        self.launch_progress(started, 3);
        let cfg = LaunchConfig {
            drives,
            settings: &self.settings,
            verbose: self.events.verbose(),
            cachedir: self.settings.cachedir(),
            sockdir: self.settings.sockdir(),
            events: &self.events,
        };
        appliance::launch_direct(cfg).map(|b| Box::new(b) as Box<dyn Backend>)
    }

    /// After an encrypted volume was opened: when the native backend chosen by `auto` cannot
    /// read what it holds, the appliance takes the drives over and opens the same volumes.
    pub(crate) fn hand_over_if_needed(&mut self) -> Result<()> {
        let Some(hand_over) = self.backend.as_ref().and_then(|b| b.hand_over()) else {
            return Ok(());
        };
        self.events.debug(&format!(
            "auto backend: handing over to the appliance for: {}",
            hand_over.reasons.join(", ")
        ));
        if let Some(mut native) = self.backend.take() {
            native.shutdown()?;
        }
        let mut appliance = match self.launch_appliance(Instant::now()) {
            Ok(b) => b,
            Err(e) => {
                self.forget_launch();
                return Err(e);
            }
        };
        self.events
            .debug(&format!("launched backend {}", appliance.name()));
        let mut replayed = Ok(());
        for v in &hand_over.opened {
            let opts = CryptsetupOpenOpts {
                readonly: Some(v.readonly),
                crypttype: v.crypttype.clone(),
            };
            replayed = appliance.cryptsetup_open(&v.device, &v.key, &v.mapname, &opts);
            if replayed.is_err() {
                break;
            }
        }
        self.backend = Some(appliance);
        self.after_backend_call();
        replayed
    }

    /// The launch's progress in twelfths, sent only once a launch is slow.
    fn launch_progress(&mut self, started: Instant, twelfths: u64) {
        if started.elapsed() >= SLOW_LAUNCH {
            self.events
                .array(EventKind::Progress, &[0, 0, twelfths, 12]);
        }
    }

    /// libguestfs's launch debug lines.
    fn debug_launch(&mut self) -> Result<()> {
        let v = self.version()?;
        let backend = self.get_backend()?;
        let mut lines = vec![format!("launch: program={}", self.settings.program)];
        if !self.settings.identifier.is_empty() {
            lines.push(format!("launch: identifier={}", self.settings.identifier));
        }
        lines.push(format!(
            "launch: version={}.{}.{}{}",
            v.major, v.minor, v.release, v.extra
        ));
        for b in ["unix", "native", "direct"] {
            lines.push(format!("launch: backend registered: {}", b));
        }
        lines.push(format!("launch: backend={}", backend));
        lines.push(format!("launch: tmpdir={}", self.temp_dir()?.display()));
        // SAFETY: umask is set back at once; libguestfs reads it the same way.
        let mask = unsafe {
            let m = libc::umask(0o022);
            libc::umask(m);
            m
        };
        lines.push(format!("launch: umask=0{:03o}", mask));
        // SAFETY: geteuid has no preconditions.
        lines.push(format!("launch: euid={}", unsafe { libc::geteuid() }));
        for l in lines {
            self.events.debug(&l);
        }
        Ok(())
    }

    /// The drives as qemu gets them: formats detected on the host, read-only drives through
    /// a new overlay each.
    fn appliance_drives(&mut self) -> Result<Vec<QemuDrive>> {
        let drives = self.drives.clone();
        let mut out = Vec::with_capacity(drives.len());
        for d in drives {
            if let Some(path) = d.file() {
                check_disk_image(path)?;
            }
            let format = drive_format(&d)?;
            // qemu opens the files an image names (backing files, extents) itself: they are
            // checked here first.
            if let (Some(path), Some(format)) = (d.file(), format.as_deref()) {
                crate::block::external::check_named_files(path, format)?;
            }
            let source = match d.file() {
                Some(path) => std::fs::canonicalize(path)
                    .map_err(|e| {
                        Error::from(e).context(&format!(
                            "realpath: could not convert ‘{}’ to absolute path",
                            d.path
                        ))
                    })?
                    .display()
                    .to_string(),
                None => network_source(&d),
            };
            let overlay = if d.readonly {
                Some(self.make_overlay(&d, &source, format.as_deref())?)
            } else {
                None
            };
            out.push(QemuDrive {
                drive: d,
                format,
                source,
                overlay,
            });
        }
        Ok(out)
    }

    /// A qcow2 overlay over a read-only drive in the temporary directory: written here for
    /// local raw and qcow2 images, made by qemu-img (`disk_create`) for anything else.
    fn make_overlay(
        &mut self,
        d: &Drive,
        source: &str,
        format: Option<&str>,
    ) -> Result<std::path::PathBuf> {
        let overlay = self.temp_file("overlay", Some("qcow2"))?;
        let local_size = match (d.protocol, format) {
            (Protocol::File, Some(f)) => local_virtual_size(std::path::Path::new(source), f),
            _ => None,
        };
        match (local_size, format) {
            (Some(size), Some(f)) => write_overlay(&overlay, source, f, size)?,
            _ => self.disk_create(
                &overlay.display().to_string(),
                "qcow2",
                -1,
                DiskCreateOpts {
                    backingfile: Some(source.to_string()),
                    backingformat: format.map(str::to_string),
                    ..Default::default()
                },
            )?,
        }
        Ok(overlay)
    }

    /// Stops the backend: the handle returns to CONFIG with no drives, as libguestfs does.
    pub(crate) fn impl_shutdown(&mut self) -> Result<()> {
        self.stop_backend()
    }

    /// libguestfs's `shutdown_backend`: unmount and sync first (autosync), then stop.
    pub(crate) fn stop_backend(&mut self) -> Result<()> {
        if self.state == State::Config {
            return Ok(());
        }
        let mut result = Ok(());
        if self.settings.autosync && self.state == State::Ready {
            if let Err(e) = self.internal_autosync() {
                result = Err(e);
            }
        }
        if let Some(mut b) = self.backend.take() {
            if let Err(e) = b.shutdown() {
                result = result.and(Err(e));
            }
        }
        self.forget_launch();
        result
    }

    pub(crate) fn impl_kill_subprocess(&mut self) -> Result<()> {
        self.shutdown()
    }

    pub(crate) fn impl_wait_ready(&mut self) -> Result<()> {
        if self.state != State::Ready {
            return Err(Error::msg("qemu has not been launched yet"));
        }
        Ok(())
    }

    pub(crate) fn impl_get_pid(&mut self) -> Result<i32> {
        let Some(b) = self
            .backend
            .as_deref()
            .filter(|_| self.state == State::Ready)
        else {
            return Err(Error::msg("get-pid can only be called after launch"));
        };
        b.pid().map(|p| p as i32).ok_or_else(|| {
            Error::new(
                libc::ENOTSUP,
                "the current backend does not support ‘get-pid’",
            )
        })
    }

    /// The appliance's serial console, for a caller that talks to it (virt-rescue); the
    /// library stops reading it.
    pub(crate) fn impl_internal_get_console_socket(&mut self) -> Result<i32> {
        let fd = match self.backend.as_deref_mut() {
            None => return Err(Error::msg("no console socket, the handle must be launched")),
            Some(b) => b.console_socket(),
        };
        // The console's output up to the hand-over reaches the caller's callbacks first.
        self.after_backend_call();
        fd
    }

    /// Cancels the file transfer in progress. Useful from another thread or a callback
    /// through [`Handle::user_cancel_handle`]; here, it only affects a transfer that is
    /// running, which none is while this call runs.
    pub(crate) fn impl_user_cancel(&mut self) -> Result<()> {
        self.user_cancel_handle().cancel();
        Ok(())
    }
}

/// A local drive must be a regular file or a block device: qemu would take a directory as a
/// virtual FAT disk.
fn check_disk_image(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let md =
        std::fs::metadata(path).map_err(|e| Error::from(e).context(&path.display().to_string()))?;
    if md.is_file() || md.file_type().is_block_device() {
        return Ok(());
    }
    Err(Error::new(
        libc::EINVAL,
        format!(
            "{}: not a disk image (it is not a regular file or a block device)",
            path.display()
        ),
    ))
}
