//! The `direct` (alias `appliance`) backend: a small Linux VM run by qemu, with the daemon
//! (guestfsd) inside serving the libguestfs protocol over virtio-serial; and `unix:PATH`, the
//! same protocol to a daemon that is already running.

mod conn;
pub mod qemu;

/// The appliance builder (kernel, modules, daemon, initramfs, cache).
pub use guestfs_appliance as builder;

use super::{Backend, BackendEvent};
use crate::drive::MAX_DISKS;
use crate::error::{Error, Result};
use crate::events::{EventHub, EventKind};
use crate::protocol::client::{RemoteDaemon, Request, Transport};
use crate::settings::Settings;
use conn::Conn;
use qemu::{Accel, LaunchLog, Qemu, QemuDrive, QemuWatch, RunOptions, SockDir};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The connection to a daemon (in the appliance qemu runs, or listening on a socket), and
/// what it has to pass on to the handle.
pub struct Appliance {
    conn: Conn,
    qemu: Option<Qemu>,
    name: &'static str,
    events: Vec<BackendEvent>,
    /// The read-only drives' overlays, removed with the appliance.
    overlays: Vec<PathBuf>,
}

/// The appliance backend: every daemon call sent to the daemon.
pub type ApplianceBackend = RemoteDaemon<Appliance>;

/// What the appliance is launched with.
pub(crate) struct LaunchConfig<'a> {
    pub drives: Vec<QemuDrive>,
    pub settings: &'a Settings,
    pub verbose: bool,
    /// Where the appliance is built and cached (the handle's `get_cachedir`).
    pub cachedir: PathBuf,
    /// Where the daemon's socket is made (the handle's `get_sockdir`).
    pub sockdir: PathBuf,
    pub events: &'a EventHub,
}

/// Launches qemu with the appliance. KVM is used when it works; when it fails or hangs here
/// the launch is retried with TCG and KVM is not tried again in this boot of the host.
pub(crate) fn launch_direct(cfg: LaunchConfig<'_>) -> Result<ApplianceBackend> {
    let events = cfg.events;
    let overlays: Vec<PathBuf> = cfg
        .drives
        .iter()
        .filter_map(|d| d.overlay.clone())
        .collect();
    let launched = launch_qemu(&cfg);
    match launched {
        Ok((q, stream)) => {
            let pid = Arc::new(Mutex::new(q.pid()));
            let mut conn = Conn::new(stream, Some(Box::new(QemuWatch(pid))));
            let hub = events.clone();
            conn.on_progress = Some(Box::new(move |p: &[u64; 4]| {
                hub.array(EventKind::Progress, p)
            }));
            let mut a = Appliance {
                conn,
                qemu: Some(q),
                name: "direct",
                events: Vec::new(),
                overlays,
            };
            a.drain_console();
            Ok(RemoteDaemon { transport: a })
        }
        Err(e) => {
            for o in overlays {
                let _ = std::fs::remove_file(o);
            }
            Err(e)
        }
    }
}

fn launch_qemu(cfg: &LaunchConfig<'_>) -> Result<(Qemu, UnixStream)> {
    let debug = |m: String| cfg.events.debug(&m);
    if cfg.drives.is_empty() {
        return Err(Error::msg(
            "you must call guestfs_add_drive before guestfs_launch",
        ));
    }
    if cfg.drives.len() > MAX_DISKS as usize {
        return Err(Error::msg(format!(
            "too many drives have been added, the current backend only supports {} drives",
            MAX_DISKS
        )));
    }
    let start = Instant::now();
    let qemu_bin = qemu::hypervisor(&cfg.settings.hv)?;
    let force_tcg = cfg.settings.backend_setting_bool("force_tcg")?;
    let force_kvm = cfg.settings.backend_setting_bool("force_kvm")?;
    if force_tcg && force_kvm {
        return Err(Error::msg(
            "Both force_kvm and force_tcg backend settings supplied.",
        ));
    }
    let daemon = guestfs_appliance::find_daemon();
    let cache = guestfs_appliance::cache_dir_in(&cfg.cachedir);
    let appliance =
        guestfs_appliance::get_in(&daemon, &cfg.settings.path, &cache, &mut |m| debug(m))
            .map_err(|e| Error::new(libc::EIO, e.0))?;
    let kernel_version = guestfs_appliance::find_kernel().ok().map(|k| k.version);
    debug(format!(
        "appliance: {} + {} ({:.3} s)",
        appliance.kernel.display(),
        appliance.initrd.display(),
        start.elapsed().as_secs_f64()
    ));
    let kvm = qemu::kvm_usable();
    debug(format!(
        "qemu KVM: {}",
        if kvm { "enabled" } else { "disabled" }
    ));
    let mut accels = Vec::new();
    if force_kvm {
        if !kvm {
            return Err(Error::msg("force_kvm supplied but kvm not available."));
        }
        accels.push(Accel::Kvm);
    } else if force_tcg || !kvm {
        accels.push(Accel::Tcg);
    } else if let Some(why) = qemu::kvm_known_broken(&qemu_bin) {
        debug(format!("qemu KVM skipped, TCG used: {}", why));
        accels.push(Accel::Tcg);
    } else {
        accels.extend([Accel::Kvm, Accel::Tcg]);
    }
    let run = RunOptions {
        direct: cfg.settings.direct,
        pgroup: cfg.settings.pgroup,
        recovery: cfg.settings.recovery_proc,
    };
    let mut last_err = None;
    for accel in accels {
        let sockdir = SockDir::new(&cfg.sockdir)?;
        let sock = sockdir.0.join("guestfsd.sock");
        if sock.as_os_str().len() >= 108 {
            return Err(Error::msg(format!(
                "socket path too long: {}",
                sock.display()
            )));
        }
        let listener = UnixListener::bind(&sock).map_err(|e| Error::from(e).context("bind"))?;
        let args = qemu::qemu_args(
            &appliance,
            &cfg.drives,
            &sock,
            accel,
            cfg.verbose,
            kernel_version.as_deref(),
            cfg.settings,
        )?;
        let deadline = qemu::deadline_for(accel, Instant::now());
        let log = LaunchLog {
            debug: &mut |m: String| debug(m),
            console: &mut |line: String| cfg.events.message(EventKind::Appliance, &line),
        };
        match qemu::start(&qemu_bin, &args, accel, run, &listener, deadline, log) {
            Ok(started) => {
                debug(format!(
                    "appliance is up ({:?}, {:.3} s)",
                    accel,
                    start.elapsed().as_secs_f64()
                ));
                return Ok(started);
            }
            Err(e) => {
                debug(format!("launch with {:?} failed: {}", accel, e.message));
                if accel == Accel::Kvm && !force_kvm {
                    qemu::mark_kvm_broken(&qemu_bin);
                    debug("KVM does not work here: falling back to TCG".to_string());
                }
                last_err = Some(e);
            }
        }
    }
    Err(last_err.unwrap_or_else(|| Error::msg("appliance launch failed")))
}

/// `unix:PATH`: connects to a daemon already listening there (`guestfsd --listen --channel
/// PATH`) and waits for its launch flag.
pub(crate) fn connect_unix(path: &str, events: &EventHub) -> Result<ApplianceBackend> {
    if path.len() >= 108 {
        return Err(Error::msg(format!("socket path too long: {}", path)));
    }
    let stream = UnixStream::connect(path).map_err(|e| Error::from(e).context(path))?;
    let mut conn = Conn::new(stream, None);
    let hub = events.clone();
    conn.on_progress = Some(Box::new(move |p: &[u64; 4]| {
        hub.array(EventKind::Progress, p)
    }));
    conn.wait_launch_flag()?;
    Ok(RemoteDaemon {
        transport: Appliance {
            conn,
            qemu: None,
            name: "unix",
            events: Vec::new(),
            overlays: Vec::new(),
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

    fn remove_overlays(&mut self) {
        for o in self.overlays.drain(..) {
            let _ = std::fs::remove_file(o);
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
        let a = &mut self.transport;
        a.conn.dead = Some("the appliance was shut down".into());
        if let Some(mut q) = a.qemu.take() {
            q.stop(Duration::from_secs(3));
        }
        a.remove_overlays();
        Ok(())
    }

    fn take_events(&mut self) -> Vec<BackendEvent> {
        self.transport.drain_console();
        std::mem::take(&mut self.transport.events)
    }

    fn is_alive(&mut self) -> bool {
        self.transport.conn.dead.is_none()
    }

    fn pid(&self) -> Option<u32> {
        self.transport.qemu.as_ref().and_then(Qemu::pid)
    }

    fn console_socket(&mut self) -> Result<i32> {
        let fd = match &mut self.transport.qemu {
            None => {
                return Err(Error::new(
                    libc::ENOTSUP,
                    "connection class does not support getting the console socket",
                ))
            }
            Some(q) => q
                .console_socket()
                .ok_or_else(|| Error::msg("console socket not connected"))?,
        };
        // What the console printed before the hand-over goes out as events now.
        self.transport.drain_console();
        Ok(fd)
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if let Some(mut q) = self.qemu.take() {
            q.stop(Duration::from_millis(500));
        }
        self.remove_overlays();
    }
}
