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
use crate::protocol::{procs, XdrWriter};
use crate::types::*;
use conn::Conn;
use qemu::{Accel, Qemu, QemuWatch, SockDir};
use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ApplianceBackend {
    conn: Conn,
    qemu: Option<Qemu>,
    name: &'static str,
    events: Vec<BackendEvent>,
}

/// How the appliance was started (for libguestfs-test-tool and the benchmarks).
#[derive(Debug, Clone)]
pub struct LaunchInfo {
    pub command_line: String,
    pub accel: Accel,
    pub kernel: std::path::PathBuf,
    pub initrd: std::path::PathBuf,
}

fn args1(s: &str) -> XdrWriter {
    let mut w = XdrWriter::new();
    w.string(s);
    w
}

fn args2(a: &str, b: &str) -> XdrWriter {
    let mut w = args1(a);
    w.string(b);
    w
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
                let mut b = ApplianceBackend {
                    conn,
                    qemu: Some(q),
                    name: "direct",
                    events: Vec::new(),
                };
                b.drain_console();
                return Ok(b);
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
    Ok(ApplianceBackend {
        conn,
        qemu: None,
        name: "unix",
        events: Vec::new(),
    })
}

impl ApplianceBackend {
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

    fn call<T: crate::protocol::Xdr>(
        &mut self,
        proc_nr: i32,
        optargs: u64,
        args: XdrWriter,
    ) -> Result<T> {
        let r = self.conn.call(proc_nr, optargs, args);
        self.after();
        r
    }

    fn file_out(&mut self, proc_nr: i32, args: XdrWriter, out: &mut dyn Write) -> Result<()> {
        let r = self.conn.call_file_out(proc_nr, args, out);
        self.after();
        r
    }

    /// Uploads `input` to a file or device in the guest (FileIn).
    pub fn upload(
        &mut self,
        input: &mut dyn std::io::Read,
        size_hint: u64,
        remotefilename: &str,
    ) -> Result<()> {
        let r = self
            .conn
            .call_file_in(procs::UPLOAD, args1(remotefilename), input, size_hint);
        self.after();
        r
    }

    fn names_list(&mut self, proc_nr: i32, dir: &str) -> Result<Vec<String>> {
        let mut buf = Vec::new();
        self.file_out(proc_nr, args1(dir), &mut buf)?;
        let mut v: Vec<String> = buf
            .split(|&c| c == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        v.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Ok(v)
    }
}

impl Backend for ApplianceBackend {
    fn name(&self) -> &str {
        self.name
    }

    fn shutdown(&mut self) -> Result<()> {
        if self.conn.dead.is_none() {
            let _: Result<()> = self
                .conn
                .call(procs::INTERNAL_AUTOSYNC, 0, XdrWriter::new());
        }
        self.conn.dead = Some("the appliance was shut down".into());
        if let Some(mut q) = self.qemu.take() {
            q.stop(Duration::from_secs(3));
        }
        Ok(())
    }

    fn take_events(&mut self) -> Vec<BackendEvent> {
        self.drain_console();
        std::mem::take(&mut self.events)
    }

    fn is_alive(&mut self) -> bool {
        self.conn.dead.is_none()
    }

    fn list_devices(&mut self) -> Result<Vec<String>> {
        self.call(procs::LIST_DEVICES, 0, XdrWriter::new())
    }
    fn list_partitions(&mut self) -> Result<Vec<String>> {
        self.call(procs::LIST_PARTITIONS, 0, XdrWriter::new())
    }
    fn list_filesystems(&mut self) -> Result<Vec<(String, String)>> {
        self.call(procs::LIST_FILESYSTEMS, 0, XdrWriter::new())
    }
    fn list_md_devices(&mut self) -> Result<Vec<String>> {
        self.call(procs::LIST_MD_DEVICES, 0, XdrWriter::new())
    }
    fn vfs_type(&mut self, mountable: &str) -> Result<String> {
        self.call(procs::VFS_TYPE, 0, args1(mountable))
    }
    fn vfs_label(&mut self, mountable: &str) -> Result<String> {
        self.call(procs::VFS_LABEL, 0, args1(mountable))
    }
    fn vfs_uuid(&mut self, mountable: &str) -> Result<String> {
        self.call(procs::VFS_UUID, 0, args1(mountable))
    }
    fn blockdev_getsize64(&mut self, device: &str) -> Result<i64> {
        self.call(procs::BLOCKDEV_GETSIZE64, 0, args1(device))
    }
    fn blockdev_getss(&mut self, device: &str) -> Result<i32> {
        self.call(procs::BLOCKDEV_GETSS, 0, args1(device))
    }
    fn part_list(&mut self, device: &str) -> Result<Vec<Partition>> {
        self.call(procs::PART_LIST, 0, args1(device))
    }
    fn part_get_parttype(&mut self, device: &str) -> Result<String> {
        self.call(procs::PART_GET_PARTTYPE, 0, args1(device))
    }
    fn part_get_mbr_id(&mut self, device: &str, partnum: i32) -> Result<i32> {
        let mut w = args1(device);
        w.i32(partnum);
        self.call(procs::PART_GET_MBR_ID, 0, w)
    }
    fn part_get_gpt_type(&mut self, device: &str, partnum: i32) -> Result<String> {
        let mut w = args1(device);
        w.i32(partnum);
        self.call(procs::PART_GET_GPT_TYPE, 0, w)
    }
    fn part_get_gpt_guid(&mut self, device: &str, partnum: i32) -> Result<String> {
        let mut w = args1(device);
        w.i32(partnum);
        self.call(procs::PART_GET_GPT_GUID, 0, w)
    }
    fn part_to_dev(&mut self, partition: &str) -> Result<String> {
        self.call(procs::PART_TO_DEV, 0, args1(partition))
    }
    fn part_to_partnum(&mut self, partition: &str) -> Result<i32> {
        self.call(procs::PART_TO_PARTNUM, 0, args1(partition))
    }
    fn mount(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        self.call(procs::MOUNT, 0, args2(mountable, mountpoint))
    }
    fn mount_ro(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        self.call(procs::MOUNT_RO, 0, args2(mountable, mountpoint))
    }
    fn mount_options(&mut self, options: &str, mountable: &str, mountpoint: &str) -> Result<()> {
        let mut w = args2(options, mountable);
        w.string(mountpoint);
        self.call(procs::MOUNT_OPTIONS, 0, w)
    }
    fn mount_vfs(
        &mut self,
        options: &str,
        vfstype: &str,
        mountable: &str,
        mountpoint: &str,
    ) -> Result<()> {
        let mut w = args2(options, vfstype);
        w.string(mountable);
        w.string(mountpoint);
        self.call(procs::MOUNT_VFS, 0, w)
    }
    fn umount(&mut self, pathordevice: &str) -> Result<()> {
        let mut w = args1(pathordevice);
        w.bool(false);
        w.bool(false);
        self.call(procs::UMOUNT, 0, w)
    }
    fn umount_all(&mut self) -> Result<()> {
        self.call(procs::UMOUNT_ALL, 0, XdrWriter::new())
    }
    fn mounts(&mut self) -> Result<Vec<String>> {
        self.call(procs::MOUNTS, 0, XdrWriter::new())
    }
    fn mountpoints(&mut self) -> Result<Vec<(String, String)>> {
        self.call(procs::MOUNTPOINTS, 0, XdrWriter::new())
    }
    fn ls(&mut self, directory: &str) -> Result<Vec<String>> {
        self.names_list(procs::LS0, directory)
    }
    fn readdir(&mut self, dir: &str) -> Result<Vec<Dirent>> {
        self.call(procs::READDIR, 0, args1(dir))
    }
    fn statns(&mut self, path: &str) -> Result<Stat> {
        self.call(procs::STATNS, 0, args1(path))
    }
    fn lstatns(&mut self, path: &str) -> Result<Stat> {
        self.call(procs::LSTATNS, 0, args1(path))
    }
    fn lstatnslist(&mut self, path: &str, names: &[String]) -> Result<Vec<Stat>> {
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(1000) {
            let mut w = args1(path);
            w.string_list(batch);
            let v: Vec<Stat> = self.call(procs::INTERNAL_LSTATNSLIST, 0, w)?;
            out.extend(v);
        }
        Ok(out)
    }
    fn lgetxattrs(&mut self, path: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let mut v: Vec<(String, Vec<u8>)> = self.call(procs::LGETXATTRS, 0, args1(path))?;
        v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(v)
    }
    fn readlink(&mut self, path: &str) -> Result<String> {
        self.call(procs::READLINK, 0, args1(path))
    }
    fn readlinklist(&mut self, path: &str, names: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(1000) {
            let mut w = args1(path);
            w.string_list(batch);
            let v: Vec<String> = self.call(procs::INTERNAL_READLINKLIST, 0, w)?;
            out.extend(v);
        }
        Ok(out)
    }
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.file_out(procs::DOWNLOAD, args1(path), &mut buf)?;
        Ok(buf)
    }
    fn download(&mut self, remotefilename: &str, out: &mut dyn Write) -> Result<()> {
        self.file_out(procs::DOWNLOAD, args1(remotefilename), out)
    }
    fn download_offset(
        &mut self,
        remotefilename: &str,
        offset: i64,
        size: i64,
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut w = args1(remotefilename);
        w.i64(offset);
        w.i64(size);
        self.file_out(procs::DOWNLOAD_OFFSET, w, out)
    }
    fn pread(&mut self, path: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let mut w = args1(path);
        w.i32(count);
        w.i64(offset);
        self.call(procs::PREAD, 0, w)
    }
    fn pread_device(&mut self, device: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let mut w = args1(device);
        w.i32(count);
        w.i64(offset);
        self.call(procs::PREAD_DEVICE, 0, w)
    }
    fn findfs_uuid(&mut self, uuid: &str) -> Result<String> {
        self.call(procs::FINDFS_UUID, 0, args1(uuid))
    }
    fn findfs_label(&mut self, label: &str) -> Result<String> {
        self.call(procs::FINDFS_LABEL, 0, args1(label))
    }
    fn find(&mut self, directory: &str) -> Result<Vec<String>> {
        self.names_list(procs::FIND0, directory)
    }
    fn is_file(&mut self, path: &str, followsymlinks: bool) -> Result<bool> {
        let mut w = args1(path);
        w.bool(followsymlinks);
        self.call(procs::IS_FILE, 1, w)
    }
    fn is_dir(&mut self, path: &str, followsymlinks: bool) -> Result<bool> {
        let mut w = args1(path);
        w.bool(followsymlinks);
        self.call(procs::IS_DIR, 1, w)
    }
    fn is_symlink(&mut self, path: &str) -> Result<bool> {
        self.call(procs::IS_SYMLINK, 0, args1(path))
    }
    fn exists(&mut self, path: &str) -> Result<bool> {
        self.call(procs::EXISTS, 0, args1(path))
    }
    fn statvfs(&mut self, path: &str) -> Result<StatVfs> {
        self.call(procs::STATVFS, 0, args1(path))
    }
    fn realpath(&mut self, path: &str) -> Result<String> {
        self.call(procs::REALPATH, 0, args1(path))
    }
    fn case_sensitive_path(&mut self, path: &str) -> Result<String> {
        self.call(procs::CASE_SENSITIVE_PATH, 0, args1(path))
    }
    fn checksum(&mut self, csumtype: &str, path: &str) -> Result<String> {
        self.call(procs::CHECKSUM, 0, args2(csumtype, path))
    }
    fn cryptsetup_open(&mut self, device: &str, key: &str, mapname: &str) -> Result<()> {
        let mut w = XdrWriter::new();
        w.string(device);
        w.string(key);
        w.string(mapname);
        self.call(procs::LUKS_OPEN, 0, w)
    }
    fn lvm_scan(&mut self, activate: bool) -> Result<()> {
        let mut w = XdrWriter::new();
        w.bool(activate);
        self.call(procs::VG_ACTIVATE_ALL, 0, w)
    }
    fn pvs(&mut self) -> Result<Vec<String>> {
        self.call(procs::PVS, 0, XdrWriter::new())
    }
    fn vgs(&mut self) -> Result<Vec<String>> {
        self.call(procs::VGS, 0, XdrWriter::new())
    }
    fn lvs(&mut self) -> Result<Vec<String>> {
        self.call(procs::LVS, 0, XdrWriter::new())
    }
    fn pvs_full(&mut self) -> Result<Vec<LvmPv>> {
        self.call(procs::PVS_FULL, 0, XdrWriter::new())
    }
    fn vgs_full(&mut self) -> Result<Vec<LvmVg>> {
        self.call(procs::VGS_FULL, 0, XdrWriter::new())
    }
    fn lvs_full(&mut self) -> Result<Vec<LvmLv>> {
        self.call(procs::LVS_FULL, 0, XdrWriter::new())
    }
    fn lvuuid(&mut self, device: &str) -> Result<String> {
        self.call(procs::LVUUID, 0, args1(device))
    }
    fn pvuuid(&mut self, device: &str) -> Result<String> {
        self.call(procs::PVUUID, 0, args1(device))
    }
    fn vguuid(&mut self, vgname: &str) -> Result<String> {
        self.call(procs::VGUUID, 0, args1(vgname))
    }
    fn vglvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        self.call(procs::VGLVUUIDS, 0, args1(vgname))
    }
    fn vgpvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        self.call(procs::VGPVUUIDS, 0, args1(vgname))
    }
}

impl Drop for ApplianceBackend {
    fn drop(&mut self) {
        if let Some(mut q) = self.qemu.take() {
            q.stop(Duration::from_millis(500));
        }
    }
}
