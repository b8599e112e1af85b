//! The `direct` (alias `appliance`) backend: a small Linux VM run by qemu, with the daemon
//! (guestfsd) inside serving the libguestfs protocol over virtio-serial; and `unix:PATH`, the
//! same protocol to a daemon that is already running.

mod conn;
pub mod qemu;

/// The appliance builder (kernel, modules, daemon, initramfs, cache).
pub use guestfs_appliance as builder;

use super::{Backend, BackendEvent};
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::handle::Drive;
use crate::protocol::client::{RemoteDaemon, Request, Transport};
use crate::protocol::Daemon;
use conn::Conn;
use qemu::{Accel, Qemu, QemuWatch, SockDir};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The connection to a daemon (in the appliance qemu runs, or listening on a socket), and
/// what it has to pass on to the handle.
pub struct Appliance {
    conn: Conn,
    qemu: Option<Qemu>,
    name: &'static str,
    events: Vec<BackendEvent>,
}

/// The appliance backend: every daemon call sent to the daemon.
pub type ApplianceBackend = RemoteDaemon<Appliance>;

/// How the appliance was started (for libguestfs-test-tool and the benchmarks).
#[derive(Debug, Clone)]
pub struct LaunchInfo {
    pub command_line: String,
    pub accel: Accel,
    pub kernel: std::path::PathBuf,
    pub initrd: std::path::PathBuf,
}

/// Launches qemu with the appliance. KVM is used when it works; when it fails or hangs here
/// the launch is retried with TCG and KVM is not tried again in this boot of the host.
pub fn launch_direct(
    drives: &[Drive],
    verbose: bool,
    log: &mut dyn FnMut(EventKind, String),
) -> Result<ApplianceBackend> {
    if drives.is_empty() {
        return Err(Error::new(
            libc::EINVAL,
            "you must call guestfs_add_drive before guestfs_launch",
        ));
    }
    if drives.len() > 255 {
        return Err(Error::new(
            libc::EINVAL,
            "too many drives have been added: the appliance supports at most 255",
        ));
    }
    let start = Instant::now();
    let qemu_bin = qemu::qemu_binary()?;
    let settings = qemu::backend_settings();
    let force_tcg = settings.iter().any(|s| s == "force_tcg");
    let force_kvm = settings.iter().any(|s| s == "force_kvm");
    if force_tcg && force_kvm {
        return Err(Error::new(
            libc::EINVAL,
            "both force_kvm and force_tcg backend settings supplied",
        ));
    }
    let mut formats = Vec::new();
    for d in drives {
        let md = std::fs::metadata(&d.path)
            .map_err(|e| Error::from(e).context(&d.path.display().to_string()))?;
        use std::os::unix::fs::FileTypeExt;
        if !(md.is_file() || md.file_type().is_block_device()) {
            return Err(Error::new(
                libc::EINVAL,
                format!(
                    "{}: not a disk image (it is not a regular file or a block device)",
                    d.path.display()
                ),
            ));
        }
        let f = qemu::drive_format(d)?;
        formats.push((d.clone(), f));
    }
    let daemon = guestfs_appliance::find_daemon();
    let mut alog = |m: String| log(EventKind::Library, m);
    let appliance =
        guestfs_appliance::get(&daemon, &mut alog).map_err(|e| Error::new(libc::EIO, e.0))?;
    let kernel_version = guestfs_appliance::find_kernel().ok().map(|k| k.version);
    log(
        EventKind::Library,
        format!(
            "appliance: {} + {} ({:.3} s)",
            appliance.kernel.display(),
            appliance.initrd.display(),
            start.elapsed().as_secs_f64()
        ),
    );
    let mut accels = Vec::new();
    if force_kvm {
        if !qemu::kvm_usable() {
            return Err(Error::new(libc::ENODEV, "force_kvm backend setting set, but KVM is not available (/dev/kvm cannot be opened)"));
        }
        accels.push(Accel::Kvm);
    } else if force_tcg || !qemu::kvm_usable() || qemu::kvm_known_broken(&qemu_bin) {
        accels.push(Accel::Tcg);
    } else {
        accels.extend([Accel::Kvm, Accel::Tcg]);
    }
    let mut last_err = None;
    for accel in accels {
        let sockdir = SockDir::new()?;
        let sock = sockdir.0.join("guestfsd.sock");
        if sock.as_os_str().len() >= 108 {
            return Err(Error::new(
                libc::ENAMETOOLONG,
                format!("socket path too long: {}", sock.display()),
            ));
        }
        let listener = UnixListener::bind(&sock)
            .map_err(|e| Error::from(e).context(&sock.display().to_string()))?;
        let args = qemu::qemu_args(
            &appliance,
            &formats,
            &sock,
            accel,
            verbose,
            kernel_version.as_deref(),
        );
        let t0 = Instant::now();
        let deadline = qemu::deadline_for(accel, t0);
        let mut qlog = |m: String| log(EventKind::Library, m);
        match qemu::start(&qemu_bin, &args, accel, &listener, deadline, &mut qlog) {
            Ok((q, stream)) => {
                drop(listener);
                drop(sockdir);
                log(
                    EventKind::Library,
                    format!(
                        "appliance is up ({:?}, {:.3} s)",
                        accel,
                        start.elapsed().as_secs_f64()
                    ),
                );
                let pid = Arc::new(Mutex::new(q_pid(&q)));
                let conn = Conn::new(stream, Some(Box::new(QemuWatch(pid))));
                let mut a = Appliance {
                    conn,
                    qemu: Some(q),
                    name: "direct",
                    events: Vec::new(),
                };
                a.drain_console();
                return Ok(RemoteDaemon { transport: a });
            }
            Err(e) => {
                log(
                    EventKind::Library,
                    format!("launch with {:?} failed: {}", accel, e.message),
                );
                if accel == Accel::Kvm && !force_kvm {
                    qemu::mark_kvm_broken(&qemu_bin);
                    log(
                        EventKind::Library,
                        "KVM does not work here: falling back to TCG".to_string(),
                    );
                }
                last_err = Some(e);
            }
        }
    }
    Err(last_err.unwrap_or_else(|| Error::msg("appliance launch failed")))
}

fn q_pid(q: &Qemu) -> Option<u32> {
    q.pid()
}

/// `unix:PATH`: connects to a daemon already listening there (`guestfsd --listen --channel
/// PATH`) and waits for its launch flag.
pub fn connect_unix(path: &str) -> Result<ApplianceBackend> {
    if path.len() >= 108 {
        return Err(Error::new(
            libc::ENAMETOOLONG,
            format!("socket path too long: {}", path),
        ));
    }
    let stream = UnixStream::connect(path).map_err(|e| Error::from(e).context(path))?;
    let mut conn = Conn::new(stream, None);
    conn.wait_launch_flag()?;
    Ok(RemoteDaemon {
        transport: Appliance {
            conn,
            qemu: None,
            name: "unix",
            events: Vec::new(),
        },
    })
}

impl Appliance {
    /// How the appliance was started, if it was.
    pub fn launch_info(&self) -> Option<(String, Accel)> {
        self.qemu
            .as_ref()
            .map(|q| (q.command_line.clone(), q.accel))
    }

    fn drain_console(&mut self) {
        if let Some(q) = &self.qemu {
            while let Ok(line) = q.console.try_recv() {
                self.events
                    .push(BackendEvent::Log(EventKind::Appliance, line));
            }
        }
    }

    fn after(&mut self) {
        self.drain_console();
        for (p, t) in self.conn.progress.drain(..) {
            self.events.push(BackendEvent::Progress(p, t));
        }
    }
}

impl Transport for Appliance {
    fn call(&mut self, request: Request<'_, '_>) -> Result<Vec<u8>> {
        let r = self.conn.request(request);
        self.after();
        r
    }
}

impl Backend for ApplianceBackend {
    fn name(&self) -> &str {
        self.transport.name
    }

    fn shutdown(&mut self) -> Result<()> {
        if self.transport.conn.dead.is_none() {
            let _ = self.internal_autosync();
        }
        let a = &mut self.transport;
        a.conn.dead = Some("the appliance was shut down".into());
        if let Some(mut q) = a.qemu.take() {
            q.stop(Duration::from_secs(3));
        }
        Ok(())
    }

    fn take_events(&mut self) -> Vec<BackendEvent> {
        self.transport.drain_console();
        std::mem::take(&mut self.transport.events)
    }

    fn is_alive(&mut self) -> bool {
        self.transport.conn.dead.is_none()
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if let Some(mut q) = self.qemu.take() {
            q.stop(Duration::from_millis(500));
        }
    }
}
