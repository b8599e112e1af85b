//! Running the appliance: the qemu command line (drives as libguestfs 1.48 passes them, the
//! handle's memory, vCPUs, network, kernel command line and extra parameters), the console,
//! KVM with a fall-back to TCG, and making sure qemu never outlives the program.

use super::conn::Liveness;
use crate::drive::{Discard, Drive, Protocol, Server, Transport};
use crate::error::{Error, Result};
use crate::settings::Settings;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Default launch timeout (`LIBGUESTFS_LAUNCH_TIMEOUT` overrides, in seconds).
const DEFAULT_LAUNCH_TIMEOUT: u64 = 120;
/// How long a KVM launch may take before we decide KVM hangs here and use TCG.
const KVM_LAUNCH_TIMEOUT: Duration = Duration::from_secs(6);
/// The user network libguestfs gives the appliance.
const NETWORK: &str = "169.254.0.0/16";

/// Where qemu packages put qboot.
const QBOOT: &[&str] = &["/usr/share/qemu/qboot.rom", "/usr/share/qemu-kvm/qboot.rom"];

/// The accelerator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

/// A drive as qemu gets it.
#[derive(Debug, Clone)]
pub struct QemuDrive {
    pub drive: Drive,
    /// The format qemu is told (given, or detected on the host for local files).
    pub format: Option<String>,
    /// The `file=` value: the absolute file name, or the network URI.
    pub source: String,
    /// The throw-away qcow2 a read-only drive is used through.
    pub overlay: Option<PathBuf>,
}

/// How qemu is run (the handle's `direct`, `pgroup` and `recovery_proc`).
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// The console is this process's terminal instead of a socket the library reads.
    pub direct: bool,
    /// qemu gets its own process group (^C on the terminal does not reach it).
    pub pgroup: bool,
    /// qemu is killed when this process dies.
    pub recovery: bool,
}

/// The running qemu: killed when dropped.
pub struct Qemu {
    child: Option<Child>,
    pub console: mpsc::Receiver<String>,
    /// The last console lines, for error messages.
    pub tail: Arc<Mutex<VecDeque<String>>>,
    pub accel: Accel,
    pub command_line: String,
    /// This side of the console (None in direct mode).
    console_sock: Option<OwnedFd>,
    /// Set when the console is handed to the caller: the reader stops.
    handed_over: Arc<AtomicBool>,
    /// The thread reading the console until it is handed over.
    console_reader: Option<std::thread::JoinHandle<()>>,
}

impl Qemu {
    /// Terminates qemu (SIGTERM, then SIGKILL after a grace period) and reaps it.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() >= deadline => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Some(reason) once qemu has exited.
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(st)) => Some(format!("qemu exited ({})", st)),
            Ok(None) => None,
            Err(e) => Some(format!("qemu: {}", e)),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn last_console_lines(&self, n: usize) -> Vec<String> {
        let t = match self.tail.lock() {
            Ok(t) => t,
            Err(p) => p.into_inner(),
        };
        t.iter().rev().take(n).rev().cloned().collect()
    }

    /// The console socket, for a caller that talks to the appliance's console itself
    /// (virt-rescue): the library stops reading it. Returns once the reader has stopped, so
    /// that what it read (a prompt without a line end, say) is in `console` before the caller
    /// reads what comes next.
    pub fn console_socket(&mut self) -> Option<i32> {
        let fd = self.console_sock.as_ref()?.as_raw_fd();
        self.handed_over.store(true, Ordering::SeqCst);
        if let Some(reader) = self.console_reader.take() {
            let _ = reader.join();
        }
        Some(fd)
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        self.stop(Duration::from_millis(0));
    }
}

/// Watches the qemu child while the library waits on the socket.
pub struct QemuWatch(pub Arc<Mutex<Option<u32>>>);

impl Liveness for QemuWatch {
    fn died(&mut self) -> Option<String> {
        let pid = (*self.0.lock().ok()?)?;
        // SAFETY: kill with signal 0 only checks that the process exists; a zombie still
        // exists, so also look at its state.
        let alive = unsafe { libc::kill(pid as i32, 0) } == 0;
        let zombie = std::fs::read_to_string(format!("/proc/{}/stat", pid))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .map(|r| r.trim_start().starts_with('Z'))
                    .unwrap_or(false)
            })
            .unwrap_or(true);
        if !alive || zombie {
            Some(
                "the appliance died: qemu exited (run 'libguestfs-test-tool' to diagnose)"
                    .to_string(),
            )
        } else {
            None
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The hypervisor the handle names (`set_hv`, `LIBGUESTFS_HV`), which must exist.
pub fn hypervisor(hv: &str) -> Result<PathBuf> {
    let p = PathBuf::from(hv);
    if !p.is_file() {
        return Err(Error::new(
            libc::ENOENT,
            format!(
                "{}: hypervisor not found: install qemu-system-x86 (scripts/install-deps.sh) or set LIBGUESTFS_HV",
                hv
            ),
        ));
    }
    Ok(p)
}

/// Whether KVM was found not to work in this boot of the host (cached in the process and on
/// disk, keyed by the boot id and the qemu binary).
fn kvm_verdict_file(qemu: &Path) -> Option<(PathBuf, String)> {
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let md = std::fs::metadata(qemu).ok()?;
    use std::os::unix::fs::MetadataExt;
    let key = format!("{} {} {}", boot_id.trim(), md.mtime(), md.size());
    Some((guestfs_appliance::cache_dir().join("kvm-broken"), key))
}

static KVM_BROKEN: OnceLock<Mutex<bool>> = OnceLock::new();

/// How long a "KVM hangs here" verdict is trusted: after this, KVM is tried again (a host
/// whose nested virtualisation was fixed gets KVM back without a reboot).
const KVM_VERDICT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Why KVM is skipped without trying it, for the debug log: an earlier launch of this process
/// found it hanging, or a recorded verdict from this boot, younger than its lifetime, says so.
pub fn kvm_known_broken(qemu: &Path) -> Option<String> {
    if KVM_BROKEN
        .get()
        .is_some_and(|m| m.lock().map(|b| *b).unwrap_or(false))
    {
        return Some("an earlier launch in this process found that KVM hangs".into());
    }
    let (f, key) = kvm_verdict_file(qemu)?;
    recorded_kvm_verdict(&f, &key)
}

/// The verdict recorded in `f`, if it is for `key` (this boot and qemu) and not expired (an
/// expired one is removed).
fn recorded_kvm_verdict(f: &Path, key: &str) -> Option<String> {
    if std::fs::read_to_string(f).ok()?.trim() != key {
        return None;
    }
    let age = std::fs::metadata(f).ok()?.modified().ok()?.elapsed().ok()?;
    if age > KVM_VERDICT_LIFETIME {
        let _ = std::fs::remove_file(f);
        return None;
    }
    Some(format!(
        "a launch {} min ago found that KVM hangs on this host (recorded in {}, trusted for {} h or until reboot; delete it to try KVM again)",
        age.as_secs() / 60,
        f.display(),
        KVM_VERDICT_LIFETIME.as_secs() / 3600
    ))
}

pub fn mark_kvm_broken(qemu: &Path) {
    if let Ok(mut b) = KVM_BROKEN.get_or_init(|| Mutex::new(false)).lock() {
        *b = true;
    }
    if let Some((f, key)) = kvm_verdict_file(qemu) {
        let _ = std::fs::create_dir_all(f.parent().unwrap_or(Path::new("/")));
        let tmp = f.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, key).is_ok() {
            let _ = std::fs::rename(&tmp, &f);
        }
    }
}

/// Whether /dev/kvm can be opened.
pub fn kvm_usable() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// Percent-encodes what a URI component may not hold as is (`allowed`: extra characters
/// kept).
fn uri_escape(s: &str, allowed: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~".contains(c) || allowed.contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// `scheme://[user[:password]@]host[:port]/path` (or `?socket=PATH` for a Unix socket).
fn uri(scheme: &str, d: &Drive, server: &Server, path: Option<&str>) -> String {
    let mut s = format!("{}://", scheme);
    if let Some(user) = &d.username {
        s.push_str(&uri_escape(user, "!$&'()*+,;="));
        if let Some(secret) = &d.secret {
            s.push(':');
            s.push_str(&uri_escape(secret, "!$&'()*+,;="));
        }
        s.push('@');
    }
    if server.transport != Transport::Unix {
        s.push_str(&server.host);
        if server.port != 0 {
            s.push_str(&format!(":{}", server.port));
        }
    }
    if let Some(p) = path {
        if !p.starts_with('/') {
            s.push('/');
        }
        s.push_str(&uri_escape(p, "/!$&'()*+,;=:@"));
    }
    if server.transport == Transport::Unix {
        s.push_str(&format!("?socket={}", server.host));
    }
    s
}

/// The `file=` value of a network drive, as libguestfs 1.48 writes it for qemu.
pub fn network_source(d: &Drive) -> String {
    let first = d.servers.first();
    let server = |f: &dyn Fn(&Server) -> String| first.map(f).unwrap_or_default();
    match d.protocol {
        Protocol::File => d.path.clone(),
        Protocol::Ftp
        | Protocol::Ftps
        | Protocol::Http
        | Protocol::Https
        | Protocol::Ssh
        | Protocol::Tftp => server(&|s| uri(d.protocol.name(), d, s, Some(&d.path))),
        Protocol::Gluster => server(&|s| match s.transport {
            Transport::Unspecified => uri("gluster", d, s, Some(&d.path)),
            Transport::Tcp => uri("gluster+tcp", d, s, Some(&d.path)),
            Transport::Unix => uri("gluster+unix", d, s, None),
        }),
        Protocol::Iscsi => server(&|s| {
            let auth = match (&d.username, &d.secret) {
                (Some(u), Some(p)) => format!("{}%{}@", u, p),
                _ => String::new(),
            };
            let port = if s.port != 0 {
                format!(":{}", s.port)
            } else {
                String::new()
            };
            format!(
                "iscsi://{}{}{}/{}",
                auth,
                uri_escape(&s.host, ""),
                port,
                uri_escape(&d.path, "/")
            )
        }),
        Protocol::Nbd => server(&|s| {
            let base = match s.transport {
                Transport::Unix => format!("nbd:unix:{}", s.host),
                _ => format!("nbd:{}:{}", s.host, s.port),
            };
            if d.path.is_empty() {
                base
            } else {
                format!("{}:exportname={}", base, d.path)
            }
        }),
        Protocol::Rbd => {
            let hosts: Vec<String> = d
                .servers
                .iter()
                .map(|s| format!("{}\\:{}", s.host.replace(':', "\\:"), s.port))
                .collect();
            let mut v = format!("rbd:{}", d.path);
            if !hosts.is_empty() {
                v.push_str(&format!(":mon_host={}", hosts.join("\\;")));
            }
            if let Some(u) = &d.username {
                v.push_str(&format!(":id={}", u));
            }
            if d.username.is_some() || d.secret.is_some() {
                v.push_str(":auth_supported=cephx\\;none");
            } else {
                v.push_str(":auth_supported=none");
            }
            if let Some(k) = &d.secret {
                v.push_str(&format!(":key={}", k));
            }
            v
        }
        Protocol::Sheepdog => match first {
            None => format!("sheepdog:{}", d.path),
            Some(s) => format!("sheepdog:{}:{}:{}", s.host, s.port, d.path),
        },
    }
}

/// The `discard=` of a drive, or why `discard=enable` cannot be honoured.
fn discard_option(q: &QemuDrive) -> Result<Option<&'static str>> {
    let d = &q.drive;
    match d.discard {
        Discard::Disable => Ok(None),
        Discard::BestEffort => Ok(Some("discard=unmap")),
        Discard::Enable => {
            let refuse = |why: String| {
                Err(Error::new(
                    libc::ENOTSUP,
                    format!("discard cannot be enabled on this drive: {}", why),
                ))
            };
            match d.format.as_deref() {
                None => return refuse("you have to specify the format of the file".into()),
                Some("raw") | Some("qcow2") => {}
                Some(f) => {
                    return refuse(format!(
                        "qemu does not support discard for ‘{}’ format files",
                        f
                    ))
                }
            }
            if matches!(
                d.protocol,
                Protocol::Ftp
                    | Protocol::Ftps
                    | Protocol::Http
                    | Protocol::Https
                    | Protocol::Ssh
                    | Protocol::Tftp
            ) {
                return refuse(format!(
                    "protocol ‘{}’ does not support discard",
                    d.protocol.name()
                ));
            }
            Ok(Some("discard=unmap"))
        }
    }
}

/// The `-drive` and `-device` arguments of drive `i`.
fn drive_args(i: usize, q: &QemuDrive) -> Result<Vec<String>> {
    let d = &q.drive;
    let mut spec = Vec::new();
    match &q.overlay {
        None => {
            spec.push(format!("file={}", qemu_escape(&q.source)));
            spec.push(format!(
                "cache={}",
                d.cachemode.as_deref().unwrap_or("writeback")
            ));
            if let Some(f) = &q.format {
                spec.push(format!("format={}", f));
            }
            if d.copyonread {
                spec.push("copy-on-read=on".to_string());
            }
            if let Some(discard) = discard_option(q)? {
                spec.push(discard.to_string());
            }
        }
        // Writes go to the overlay; the backing file is opened read-only and unlocked, so a
        // disk in use by a running guest can be looked at.
        Some(overlay) if d.protocol == Protocol::File => {
            let ov = qemu_escape(&overlay.display().to_string());
            spec.push(format!("file.file.filename={}", ov));
            spec.push("file.driver=qcow2".to_string());
            spec.push("file.backing.file.locking=off".to_string());
            spec.push("cache=unsafe".to_string());
        }
        Some(overlay) => {
            spec.push(format!(
                "file={}",
                qemu_escape(&overlay.display().to_string())
            ));
            spec.push("format=qcow2".to_string());
            spec.push("cache=unsafe".to_string());
        }
    }
    spec.push(format!("id=hd{}", i));
    let mut device = Vec::new();
    let block_sizes = |v: &mut Vec<String>| {
        if d.blocksize != 0 {
            v.push(format!("physical_block_size={}", d.blocksize));
            v.push(format!("logical_block_size={}", d.blocksize));
        }
    };
    match d.iface.as_deref() {
        Some("virtio") => {
            spec.push("if=none".to_string());
            device.push("virtio-blk-pci".to_string());
            device.push(format!("drive=hd{}", i));
            if let Some(l) = &d.label {
                device.push(format!("serial={}", l));
            }
            block_sizes(&mut device);
        }
        Some(iface) => spec.push(format!("if={}", iface)),
        None => {
            spec.push("if=none".to_string());
            device.push("scsi-hd".to_string());
            device.push(format!("drive=hd{}", i));
            // The daemon scans exactly these SCSI targets (scsi_mod.scan=manual).
            device.push(format!("scsi-id={}", i));
            device.push("lun=0".to_string());
            if let Some(l) = &d.label {
                device.push(format!("serial={}", l));
            }
            block_sizes(&mut device);
        }
    }
    let mut args = vec!["-drive".to_string(), spec.join(",")];
    if !device.is_empty() {
        args.extend(["-device".to_string(), device.join(",")]);
    }
    Ok(args)
}

/// The kernel command line.
fn kernel_cmdline(
    ndisks: usize,
    root_uuid: Option<&str>,
    accel: Accel,
    verbose: bool,
    kernel_version: Option<&str>,
    settings: &Settings,
) -> String {
    let mut a = vec![
        "panic=1".to_string(),
        "console=ttyS0".into(),
        "edd=off".into(),
        "no_timer_check".into(),
        "printk.time=1".into(),
        "cgroup_disable=memory".into(),
        "usbcore.nousb".into(),
        "cryptomgr.notests".into(),
        "tsc=reliable".into(),
        "8250.nr_uarts=1".into(),
        "mitigations=off".into(),
        "random.trust_cpu=on".into(),
        "pci=noearly".into(),
        // Initcalls the appliance does not need that cost seconds under TCG (the KDF
        // self-test alone takes about a third of the kernel's boot; registering TCP CUBIC's
        // BPF functions parses the kernel's whole BTF, 0.1 s).
        "initcall_blacklist=crypto_kdf108_init,init_kprobe_trace,init_encrypted,trace_eval_init,inet6_init,load_system_certificate_list,bpf_rstat_kfunc_init,tracer_init_tracefs,digsig_init,init_ima,init_zswap,cubictcp_register,i8042_init".into(),
        "apparmor=0".into(),
        // The daemon asks for exactly the SCSI targets the drives are on instead of letting
        // the kernel probe all 256 targets of the virtio-scsi bus (~0.2 s under TCG).
        "scsi_mod.scan=manual".into(),
    ];
    // The firmware's MP table routes the PCI interrupts; interpreting the ACPI tables costs
    // about 0.2 s under TCG and the appliance needs nothing else from them. Except a shell on
    // the serial console (virt-rescue): without ACPI the serial port's transmit interrupts
    // are lost, and the shell's output stalls until input arrives.
    let rescue = settings
        .append
        .as_deref()
        .is_some_and(|a| a.split_whitespace().any(|w| w == "guestfs_rescue=1"));
    if !rescue {
        a.push("acpi=off".into());
    }
    if accel == Accel::Tcg {
        if let Some(lpj) = guestfs_appliance::host_lpj(kernel_version) {
            a.push(format!("lpj={}", lpj));
        }
    }
    // The appliance's disk is one more for the daemon to wait for; it tells it by its UUID.
    match root_uuid {
        Some(uuid) => {
            a.push(format!("guestfs_ndisks={}", ndisks + 1));
            a.push(format!("root=UUID={}", uuid));
        }
        None => a.push(format!("guestfs_ndisks={}", ndisks)),
    }
    // The deprecated SELinux setting, as libguestfs passes it.
    a.push(if settings.selinux {
        "selinux=1 enforcing=0".into()
    } else {
        "selinux=0".into()
    });
    a.push(if verbose {
        "guestfs_verbose=1".into()
    } else {
        "quiet".into()
    });
    if settings.network {
        a.push("guestfs_network=1".into());
    }
    let term = std::env::var("TERM").unwrap_or_default();
    let term_ok = !term.is_empty()
        && term.len() <= 16
        && term
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    a.push(format!(
        "TERM={}",
        if term_ok { term.as_str() } else { "linux" }
    ));
    if !settings.identifier.is_empty() {
        a.push(format!("guestfs_identifier={}", settings.identifier));
    }
    if let Some(extra) = &settings.append {
        a.push(extra.clone());
    }
    a.join(" ")
}

/// The qemu arguments (without the binary).
pub(crate) fn qemu_args(
    appliance: &guestfs_appliance::Appliance,
    drives: &[QemuDrive],
    socket: &Path,
    accel: Accel,
    verbose: bool,
    kernel_version: Option<&str>,
    settings: &Settings,
) -> Result<Vec<String>> {
    let mut a: Vec<String> = vec![
        "-no-user-config".into(),
        "-nodefaults".into(),
        "-display".into(),
        "none".into(),
    ];
    a.push("-machine".into());
    a.push(match accel {
        Accel::Kvm => "pc,accel=kvm".into(),
        Accel::Tcg => "pc,accel=tcg".into(),
    });
    a.extend([
        "-cpu".into(),
        if accel == Accel::Kvm {
            "host".into()
        } else {
            "max".into()
        },
    ]);
    if settings.smp > 1 {
        a.extend(["-smp".into(), settings.smp.to_string()]);
    }
    a.extend(["-m".into(), settings.memsize.to_string()]);
    a.push("-no-reboot".into());
    // qboot instead of SeaBIOS: a minimal firmware that jumps straight to the PVH entry of
    // the ELF kernel (about half a second less under TCG).
    if appliance.kernel.file_name().is_some_and(|n| n == "vmlinux") {
        if let Some(bios) = QBOOT.iter().find(|p| Path::new(p).is_file()) {
            a.extend(["-bios".into(), bios.to_string()]);
        }
    }
    a.extend(["-rtc".into(), "driftfix=slew".into()]);
    a.extend(["-kernel".into(), appliance.kernel.display().to_string()]);
    a.extend(["-initrd".into(), appliance.initrd.display().to_string()]);
    a.extend(["-device".into(), "virtio-scsi-pci,id=scsi".into()]);
    for (i, d) in drives.iter().enumerate() {
        a.extend(drive_args(i, d)?);
    }
    // The appliance's disk, after the user's drives as libguestfs 1.48 attaches it.
    let root_uuid = appliance
        .root
        .as_deref()
        .and_then(guestfs_appliance::disk_uuid);
    if let (Some(root), Some(_)) = (&appliance.root, &root_uuid) {
        a.extend([
            "-drive".into(),
            format!(
                "file={},format=raw,if=none,id=appliance,readonly=on,cache=unsafe",
                qemu_escape(&root.display().to_string())
            ),
            "-device".into(),
            format!("scsi-hd,drive=appliance,scsi-id={},lun=0", drives.len()),
        ]);
    }
    a.extend(["-device".into(), "virtio-serial-pci".into()]);
    a.extend(["-serial".into(), "stdio".into()]);
    a.extend([
        "-chardev".into(),
        format!(
            "socket,path={},id=channel0",
            qemu_escape(&socket.display().to_string())
        ),
    ]);
    a.extend([
        "-device".into(),
        format!(
            "virtserialport,chardev=channel0,name={}",
            crate::protocol::CHANNEL_NAME
        ),
    ]);
    if settings.network {
        a.extend([
            "-netdev".into(),
            format!("user,id=usernet,net={}", NETWORK),
            "-device".into(),
            "virtio-net-pci,netdev=usernet".into(),
        ]);
    }
    a.extend([
        "-append".into(),
        kernel_cmdline(
            drives.len(),
            root_uuid.as_deref(),
            accel,
            verbose,
            kernel_version,
            settings,
        ),
    ]);
    // Last, so that `-set` can change what is above.
    for (param, value) in &settings.hv_params {
        a.push(param.clone());
        if let Some(v) = value {
            a.push(v.clone());
        }
    }
    Ok(a)
}

/// A private directory for the socket, removed when dropped.
pub struct SockDir(pub PathBuf);

impl SockDir {
    pub fn new(base: &Path) -> Result<SockDir> {
        crate::settings::make_private_dir(base).map(SockDir)
    }
}

impl Drop for SockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A connected pair of stream sockets.
fn socketpair() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: socketpair fills two descriptors we then own.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } == -1
    {
        return Err(Error::from(std::io::Error::last_os_error()).context("socketpair"));
    }
    // SAFETY: fresh descriptors.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Reads the console until it closes or is handed over, passing on whole lines. It reads only
/// what is there (never waiting for a line end), so that once the console is handed over the
/// caller gets everything the appliance writes after.
fn read_console(
    fd: OwnedFd,
    handed_over: Arc<AtomicBool>,
    tx: mpsc::Sender<String>,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let send = |line: &[u8]| {
        let line = String::from_utf8_lossy(line).into_owned();
        if let Ok(mut t) = tail.lock() {
            if t.len() >= 40 {
                t.pop_front();
            }
            t.push_back(line.trim_end_matches(['\n', '\r']).to_string());
        }
        tx.send(line).is_ok()
    };
    let mut partial = Vec::new();
    let mut buf = [0u8; 4096];
    while !handed_over.load(Ordering::SeqCst) {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; a short timeout so that a hand-over is noticed.
        if unsafe { libc::poll(&mut pfd, 1, 100) } <= 0 {
            continue;
        }
        // SAFETY: reading into our buffer from a descriptor we own.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
            )
        };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        partial.extend_from_slice(&buf[..n as usize]);
        while let Some(i) = partial.iter().position(|&c| c == b'\n') {
            let line: Vec<u8> = partial.drain(..=i).collect();
            if !send(&line) {
                return;
            }
        }
    }
    if !partial.is_empty() {
        send(&partial);
    }
}

/// Where `start` sends the debug log and the console's lines as they come.
pub struct LaunchLog<'a> {
    pub debug: &'a mut dyn FnMut(String),
    pub console: &'a mut dyn FnMut(String),
}

/// Starts qemu, waits for it to connect and for the daemon's launch flag, passing the console
/// on as it boots (so a failed boot shows its log). On any failure qemu is killed before
/// returning.
pub fn start(
    qemu_bin: &Path,
    args: &[String],
    accel: Accel,
    run: RunOptions,
    listener: &UnixListener,
    deadline: Instant,
    log: LaunchLog<'_>,
) -> Result<(Qemu, UnixStream)> {
    let mut q = spawn(qemu_bin, args, accel, run, log.debug)?;
    let waited = wait_for_daemon(&mut q, listener, deadline, log.console);
    while let Ok(line) = q.console.try_recv() {
        (log.console)(line);
    }
    waited.map(|stream| (q, stream))
}

/// Runs qemu with its console on a socket (or this process's terminal in direct mode).
fn spawn(
    qemu_bin: &Path,
    args: &[String],
    accel: Accel,
    run: RunOptions,
    log: &mut dyn FnMut(String),
) -> Result<Qemu> {
    let command_line = format!(
        "{} {}",
        qemu_bin.display(),
        args.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    log(format!("qemu command line: {}", command_line));
    let mut cmd = Command::new(qemu_bin);
    cmd.args(args)
        .env("LC_ALL", "C")
        .env("QEMU_AUDIO_DRV", "none");
    let console_sock = if run.direct {
        None
    } else {
        let (ours, theirs) = socketpair()?;
        let clone = |fd: &OwnedFd| fd.try_clone().map_err(Error::from);
        cmd.stdin(Stdio::from(clone(&theirs)?))
            .stdout(Stdio::from(clone(&theirs)?))
            .stderr(Stdio::from(theirs));
        Some(ours)
    };
    let parent = std::process::id() as i32;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if run.recovery {
                // qemu dies with us, even on SIGKILL.
                libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                );
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
            }
            if run.pgroup {
                libc::setpgid(0, 0);
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| Error::new(libc::ENOENT, format!("{}: {}", qemu_bin.display(), e)))?;
    let (tx, rx) = mpsc::channel();
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let handed_over = Arc::new(AtomicBool::new(false));
    let console_reader = match &console_sock {
        Some(ours) => {
            let fd = ours.try_clone().map_err(Error::from)?;
            let (t, h) = (tail.clone(), handed_over.clone());
            Some(std::thread::spawn(move || read_console(fd, h, tx, t)))
        }
        None => None,
    };
    Ok(Qemu {
        child: Some(child),
        console: rx,
        tail,
        accel,
        command_line,
        console_sock,
        handed_over,
        console_reader,
    })
}

/// Waits for qemu to connect to the socket and for the daemon's launch flag.
fn wait_for_daemon(
    q: &mut Qemu,
    listener: &UnixListener,
    deadline: Instant,
    console: &mut dyn FnMut(String),
) -> Result<UnixStream> {
    let _ = listener.set_nonblocking(true);
    let stream = loop {
        while let Ok(line) = q.console.try_recv() {
            console(line);
        }
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Error::from(e).context("accept")),
        }
        if let Some(why) = q.exited() {
            return Err(launch_failed(q, &why));
        }
        if Instant::now() > deadline {
            return Err(launch_timeout(q));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut word = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        while let Ok(line) = q.console.try_recv() {
            console(line);
        }
        match std::io::Read::read(&mut &stream, &mut word[got..]) {
            Ok(0) => {
                std::thread::sleep(Duration::from_millis(20));
                let why = q
                    .exited()
                    .unwrap_or_else(|| "the daemon closed the channel".into());
                return Err(launch_failed(q, &why));
            }
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from(e).context("reading the launch flag")),
        }
        if let Some(why) = q.exited() {
            return Err(launch_failed(q, &why));
        }
        if Instant::now() > deadline {
            return Err(launch_timeout(q));
        }
    }
    if u32::from_be_bytes(word) != crate::protocol::LAUNCH_FLAG {
        return Err(Error::new(
            libc::EPROTO,
            "launch failed: the daemon did not send the launch flag (protocol mismatch)",
        ));
    }
    Ok(stream)
}

fn console_hint(q: &Qemu) -> String {
    let lines: Vec<String> = q
        .last_console_lines(3)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!(" [console: {}]", lines.join(" | "))
    }
}

fn launch_failed(q: &Qemu, why: &str) -> Error {
    Error::new(
        libc::EIO,
        format!(
            "appliance launch failed: {}{}; run 'libguestfs-test-tool' to see the whole log",
            why,
            console_hint(q)
        ),
    )
}

fn launch_timeout(q: &Qemu) -> Error {
    Error::new(
        libc::ETIMEDOUT,
        format!(
            "appliance launch timed out: the appliance did not start in time{}; run 'libguestfs-test-tool' to diagnose (LIBGUESTFS_LAUNCH_TIMEOUT sets the limit in seconds)",
            console_hint(q)
        ),
    )
}

/// The launch deadline for an accelerator.
pub fn deadline_for(accel: Accel, start: Instant) -> Instant {
    let normal = Duration::from_secs(
        env_u64("LIBGUESTFS_LAUNCH_TIMEOUT")
            .unwrap_or(DEFAULT_LAUNCH_TIMEOUT)
            .max(1),
    );
    match accel {
        Accel::Kvm => start + normal.min(KVM_LAUNCH_TIMEOUT),
        Accel::Tcg => start + normal,
    }
}

/// Quotes an argument for display, the way a shell would need it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_=,./:+@%".contains(&c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The format of a local image, detected on the host when the caller gave none (by qemu's
/// own rules), so qemu never probes it itself (CVE-2010-3851).
pub fn drive_format(d: &Drive) -> Result<Option<String>> {
    if let Some(f) = &d.format {
        return Ok(Some(f.clone()));
    }
    match d.file() {
        Some(path) => Ok(Some(crate::block::probe::probe_file(path)?.to_string())),
        // A network drive's format is qemu's to find out, as with libguestfs.
        None => Ok(None),
    }
}

/// Commas doubled, for a qemu option value.
pub(crate) fn qemu_escape(s: &str) -> String {
    s.replace(',', ",,")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvm_verdict_is_explained_and_expires() {
        let f = std::env::temp_dir().join(format!("kvm-verdict-test-{}", std::process::id()));
        std::fs::write(&f, "boot qemu").unwrap();
        let why = recorded_kvm_verdict(&f, "boot qemu").unwrap();
        assert!(
            why.contains(&f.display().to_string()) && why.contains("delete it"),
            "{}",
            why
        );
        assert_eq!(recorded_kvm_verdict(&f, "another boot"), None);
        let old = std::time::SystemTime::now() - KVM_VERDICT_LIFETIME * 2;
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(recorded_kvm_verdict(&f, "boot qemu"), None);
        assert!(!f.exists(), "an expired verdict is removed");
    }
    use crate::drive::Discard;

    fn drive(path: &str) -> Drive {
        Drive {
            protocol: Protocol::File,
            servers: Vec::new(),
            path: path.to_string(),
            username: None,
            secret: None,
            format: None,
            readonly: false,
            iface: None,
            name: None,
            label: None,
            cachemode: None,
            discard: Discard::Disable,
            copyonread: false,
            blocksize: 0,
        }
    }

    fn qd(d: Drive, overlay: Option<&str>) -> QemuDrive {
        QemuDrive {
            format: Some("raw".into()),
            source: d.path.clone(),
            drive: d,
            overlay: overlay.map(PathBuf::from),
        }
    }

    #[test]
    fn writable_drive_arguments() {
        let mut d = drive("/a,b.img");
        d.label = Some("data".into());
        d.blocksize = 4096;
        d.copyonread = true;
        d.discard = Discard::BestEffort;
        assert_eq!(
            drive_args(1, &qd(d, None)).unwrap(),
            [
                "-drive",
                "file=/a,,b.img,cache=writeback,format=raw,copy-on-read=on,discard=unmap,id=hd1,if=none",
                "-device",
                "scsi-hd,drive=hd1,scsi-id=1,lun=0,serial=data,physical_block_size=4096,logical_block_size=4096",
            ]
        );
    }

    #[test]
    fn read_only_drives_go_through_their_overlay() {
        let mut d = drive("/a.img");
        d.readonly = true;
        assert_eq!(
            drive_args(0, &qd(d, Some("/tmp/x/overlay1.qcow2"))).unwrap()[1],
            "file.file.filename=/tmp/x/overlay1.qcow2,file.driver=qcow2,file.backing.file.locking=off,cache=unsafe,id=hd0,if=none"
        );
    }

    #[test]
    fn interfaces() {
        let mut d = drive("/a.img");
        d.iface = Some("virtio".into());
        let a = drive_args(0, &qd(d.clone(), None)).unwrap();
        assert_eq!(a[3], "virtio-blk-pci,drive=hd0");
        d.iface = Some("ide".into());
        let a = drive_args(0, &qd(d, None)).unwrap();
        assert_eq!(a.len(), 2);
        assert!(a[1].ends_with(",id=hd0,if=ide"));
    }

    #[test]
    fn discard_enable_needs_a_format() {
        let mut d = drive("/a.img");
        d.discard = Discard::Enable;
        let mut q = qd(d, None);
        q.drive.format = None;
        assert_eq!(
            drive_args(0, &q).unwrap_err().message,
            "discard cannot be enabled on this drive: you have to specify the format of the file"
        );
        q.drive.format = Some("vmdk".into());
        assert_eq!(
            drive_args(0, &q).unwrap_err().message,
            "discard cannot be enabled on this drive: qemu does not support discard for ‘vmdk’ format files"
        );
    }

    #[test]
    fn network_sources() {
        let net = |protocol: Protocol, path: &str, servers: &[(Transport, &str, u16)]| {
            let mut d = drive(path);
            d.protocol = protocol;
            d.servers = servers
                .iter()
                .map(|(t, h, p)| Server {
                    transport: *t,
                    host: h.to_string(),
                    port: *p,
                })
                .collect();
            d
        };
        let tcp = Transport::Unspecified;
        assert_eq!(
            network_source(&net(Protocol::Nbd, "", &[(tcp, "h", 10809)])),
            "nbd:h:10809"
        );
        assert_eq!(
            network_source(&net(Protocol::Nbd, "e", &[(Transport::Unix, "/s", 0)])),
            "nbd:unix:/s:exportname=e"
        );
        let mut ssh = net(Protocol::Ssh, "/d i", &[(tcp, "h", 22)]);
        ssh.username = Some("u".into());
        assert_eq!(network_source(&ssh), "ssh://u@h:22/d%20i");
        assert_eq!(
            network_source(&net(Protocol::Http, "/x", &[(tcp, "h", 0)])),
            "http://h/x"
        );
        assert_eq!(
            network_source(&net(Protocol::Gluster, "vol/img", &[(tcp, "h", 0)])),
            "gluster://h/vol/img"
        );
        assert_eq!(
            network_source(&net(Protocol::Iscsi, "iqn.x/0", &[(tcp, "h", 3260)])),
            "iscsi://h:3260/iqn.x/0"
        );
        assert_eq!(
            network_source(&net(
                Protocol::Rbd,
                "pool/img",
                &[(tcp, "a", 1), (tcp, "b", 2)]
            )),
            "rbd:pool/img:mon_host=a\\:1\\;b\\:2:auth_supported=none"
        );
        assert_eq!(
            network_source(&net(Protocol::Sheepdog, "v", &[(tcp, "h", 7000)])),
            "sheepdog:h:7000:v"
        );
    }

    #[test]
    fn the_settings_are_on_the_command_line() {
        let appliance = guestfs_appliance::Appliance {
            kernel: PathBuf::from("/a/kernel"),
            initrd: PathBuf::from("/a/initrd"),
            root: None,
            dir: PathBuf::from("/a"),
            fixed: true,
        };
        let mut s = Settings {
            memsize: 777,
            smp: 3,
            network: true,
            ..Default::default()
        };
        s.hv_params = vec![
            ("-set".into(), Some("device.x.y=z".into())),
            ("-no-hpet".into(), None),
        ];
        let a = qemu_args(
            &appliance,
            &[],
            Path::new("/s/sock"),
            Accel::Tcg,
            false,
            None,
            &s,
        )
        .unwrap();
        let joined = a.join(" ");
        assert!(joined.contains(" -smp 3 -m 777 "), "{}", joined);
        assert!(joined.contains(
            " -netdev user,id=usernet,net=169.254.0.0/16 -device virtio-net-pci,netdev=usernet "
        ));
        assert!(
            joined.ends_with(" -set device.x.y=z -no-hpet"),
            "{}",
            joined
        );
        s.smp = 1;
        let a = qemu_args(
            &appliance,
            &[],
            Path::new("/s"),
            Accel::Tcg,
            false,
            None,
            &s,
        )
        .unwrap();
        assert!(!a.contains(&"-smp".to_string()));
    }

    #[test]
    fn kernel_command_line_follows_the_settings() {
        let s = Settings {
            identifier: "g1".into(),
            append: Some("foo=1 bar".into()),
            network: true,
            ..Default::default()
        };
        let c = kernel_cmdline(2, None, Accel::Kvm, false, None, &s);
        assert!(c.contains(" guestfs_ndisks=2 selinux=0 quiet guestfs_network=1 TERM="));
        assert!(c.ends_with(" guestfs_identifier=g1 foo=1 bar"), "{}", c);
    }
}
