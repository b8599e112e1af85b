//! Running the appliance: the qemu command line, the console, KVM with a fall-back to TCG,
//! and making sure qemu never outlives the program.

use super::conn::Liveness;
use crate::error::{Error, Result};
use crate::handle::Drive;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Default guest memory in MiB (`LIBGUESTFS_MEMSIZE` overrides; at least 256). Under TCG
/// the kernel's set-up of its memory map costs boot time in proportion to the RAM, and the
/// daemon streams data rather than holding it, so 384 MiB leaves ample room for the ~30 MiB
/// initramfs, ntfs-3g, LVM and the page cache (libguestfs uses 1280).
const DEFAULT_MEMSIZE: u64 = 384;
/// Default launch timeout (`LIBGUESTFS_LAUNCH_TIMEOUT` overrides, in seconds).
const DEFAULT_LAUNCH_TIMEOUT: u64 = 120;
/// How long a KVM launch may take before we decide KVM hangs here and use TCG.
const KVM_LAUNCH_TIMEOUT: Duration = Duration::from_secs(6);

/// Where qemu packages put qboot.
const QBOOT: &[&str] = &["/usr/share/qemu/qboot.rom", "/usr/share/qemu-kvm/qboot.rom"];

/// The accelerator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

/// The running qemu: killed when dropped.
pub struct Qemu {
    child: Option<Child>,
    pub console: mpsc::Receiver<String>,
    /// The last console lines, for error messages.
    pub tail: Arc<Mutex<VecDeque<String>>>,
    pub accel: Accel,
    pub command_line: String,
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

/// The qemu binary: `LIBGUESTFS_HV` (or `LIBGUESTFS_QEMU`), else qemu-system-x86_64 on PATH.
pub fn qemu_binary() -> Result<PathBuf> {
    if let Some(hv) =
        std::env::var_os("LIBGUESTFS_HV").or_else(|| std::env::var_os("LIBGUESTFS_QEMU"))
    {
        let p = PathBuf::from(hv);
        if !p.is_file() {
            return Err(Error::new(
                libc::ENOENT,
                format!("LIBGUESTFS_HV={}: no such file", p.display()),
            ));
        }
        return Ok(p);
    }
    let name = format!("qemu-system-{}", std::env::consts::ARCH);
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/libexec")])
    {
        let p = dir.join(&name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::new(
        libc::ENOENT,
        format!(
            "{} not found: install qemu-system-x86 (scripts/install-deps.sh) or set LIBGUESTFS_HV",
            name
        ),
    ))
}

/// Backend settings (`LIBGUESTFS_BACKEND_SETTINGS`, colon-separated).
pub fn backend_settings() -> Vec<String> {
    std::env::var("LIBGUESTFS_BACKEND_SETTINGS")
        .map(|s| {
            s.split(':')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
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

pub fn kvm_known_broken(qemu: &Path) -> bool {
    if KVM_BROKEN
        .get()
        .is_some_and(|m| m.lock().map(|b| *b).unwrap_or(false))
    {
        return true;
    }
    match kvm_verdict_file(qemu) {
        Some((f, key)) => std::fs::read_to_string(f)
            .map(|s| s.trim() == key)
            .unwrap_or(false),
        None => false,
    }
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

/// Escapes a value for a qemu option list (commas are doubled).
fn qemu_escape(s: &str) -> String {
    s.replace(',', ",,")
}

/// The kernel command line.
fn kernel_cmdline(
    ndisks: usize,
    accel: Accel,
    verbose: bool,
    kernel_version: Option<&str>,
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
        // The firmware's MP table routes the PCI interrupts; interpreting the ACPI tables
        // costs about 0.2 s under TCG and the appliance needs nothing else from them.
        "acpi=off".into(),
        // Initcalls the appliance does not need that cost seconds under TCG (the KDF
        // self-test alone takes about a third of the kernel's boot; registering TCP CUBIC's
        // BPF functions parses the kernel's whole BTF, 0.1 s).
        "initcall_blacklist=crypto_kdf108_init,init_kprobe_trace,init_encrypted,trace_eval_init,inet6_init,load_system_certificate_list,bpf_rstat_kfunc_init,tracer_init_tracefs,digsig_init,init_ima,init_zswap,cubictcp_register,i8042_init".into(),
        "apparmor=0".into(),
        // The daemon asks for exactly the SCSI targets the drives are on instead of letting
        // the kernel probe all 256 targets of the virtio-scsi bus (~0.2 s under TCG).
        "scsi_mod.scan=manual".into(),
    ];
    if accel == Accel::Tcg {
        if let Some(lpj) = guestfs_appliance::host_lpj(kernel_version) {
            a.push(format!("lpj={}", lpj));
        }
    }
    a.push(format!("guestfs_ndisks={}", ndisks));
    a.push(if verbose {
        "guestfs_verbose=1".into()
    } else {
        "quiet".into()
    });
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
    if let Ok(extra) = std::env::var("LIBGUESTFS_APPEND") {
        if !extra.trim().is_empty() {
            a.push(extra.trim().to_string());
        }
    }
    a.join(" ")
}

/// The qemu arguments (without the binary).
pub fn qemu_args(
    appliance: &guestfs_appliance::Appliance,
    drives: &[(Drive, &'static str)],
    socket: &Path,
    accel: Accel,
    verbose: bool,
    kernel_version: Option<&str>,
) -> Vec<String> {
    let mem = env_u64("LIBGUESTFS_MEMSIZE")
        .unwrap_or(DEFAULT_MEMSIZE)
        .max(256);
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
    a.extend(["-m".into(), mem.to_string()]);
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
    for (i, (d, fmt)) in drives.iter().enumerate() {
        let mut spec = format!(
            "file={},format={},if=none,id=hd{}",
            qemu_escape(&d.path.display().to_string()),
            fmt,
            i
        );
        if d.readonly {
            // Writes go to a temporary overlay qemu deletes itself: the image is never changed.
            spec.push_str(",snapshot=on,cache=unsafe");
        } else {
            spec.push_str(",cache=writeback");
        }
        a.extend(["-drive".into(), spec]);
        let mut dev = format!("scsi-hd,drive=hd{},scsi-id={},lun=0", i, i);
        if d.blocksize != 512 {
            dev.push_str(&format!(
                ",physical_block_size={},logical_block_size={}",
                d.blocksize, d.blocksize
            ));
        }
        a.extend(["-device".into(), dev]);
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
    a.extend([
        "-append".into(),
        kernel_cmdline(drives.len(), accel, verbose, kernel_version),
    ]);
    a
}

/// A private directory for the socket, removed when dropped.
pub struct SockDir(pub PathBuf);

impl SockDir {
    pub fn new() -> Result<SockDir> {
        let base = std::env::var_os("LIBGUESTFS_TMPDIR")
            .or_else(|| std::env::var_os("TMPDIR"))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let template = base.join("libguestfsXXXXXX");
        let c = std::ffi::CString::new(template.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::new(libc::EINVAL, "bad temporary directory name"))?;
        let mut buf = c.into_bytes_with_nul();
        // SAFETY: mkdtemp rewrites the XXXXXX in place in our NUL-terminated buffer.
        let r = unsafe { libc::mkdtemp(buf.as_mut_ptr() as *mut libc::c_char) };
        if r.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(Error::new(
                e.raw_os_error().unwrap_or(libc::EIO),
                format!("cannot create a temporary directory in {}: {} (set TMPDIR to a writable directory)", base.display(), e),
            ));
        }
        buf.pop();
        Ok(SockDir(PathBuf::from(std::ffi::OsString::from(
            String::from_utf8_lossy(&buf).into_owned(),
        ))))
    }
}

impl Drop for SockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts qemu, waits for it to connect and for the daemon's launch flag. On any failure qemu
/// is killed before returning.
pub fn start(
    qemu_bin: &Path,
    args: &[String],
    accel: Accel,
    listener: &UnixListener,
    deadline: Instant,
    log: &mut dyn FnMut(String),
) -> Result<(Qemu, UnixStream)> {
    let command_line = format!(
        "{} {}",
        qemu_bin.display(),
        args.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    log(format!("qemu command line: {}", command_line));
    let (out_r, out_w) = pipe()?;
    let out_w2 = out_w.try_clone().map_err(Error::from)?;
    let parent = std::process::id() as i32;
    let mut cmd = Command::new(qemu_bin);
    cmd.args(args)
        .env("LC_ALL", "C")
        .env("QEMU_AUDIO_DRV", "none")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out_w))
        .stderr(Stdio::from(out_w2));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            // qemu dies with us, even on SIGKILL; its own process group keeps ^C for us.
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
            libc::setpgid(0, 0);
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| Error::new(libc::ENOENT, format!("{}: {}", qemu_bin.display(), e)))?;
    let (tx, rx) = mpsc::channel();
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let tail2 = tail.clone();
    std::thread::spawn(move || {
        let r = BufReader::new(std::fs::File::from(out_r));
        for line in r.split(b'\n').map_while(|l| l.ok()) {
            let line = String::from_utf8_lossy(&line)
                .trim_end_matches('\r')
                .to_string();
            if let Ok(mut t) = tail2.lock() {
                if t.len() >= 40 {
                    t.pop_front();
                }
                t.push_back(line.clone());
            }
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut q = Qemu {
        child: Some(child),
        console: rx,
        tail,
        accel,
        command_line,
    };
    let _ = listener.set_nonblocking(true);
    let stream = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Error::from(e).context("accept")),
        }
        if let Some(why) = q.exited() {
            return Err(launch_failed(&q, &why));
        }
        if Instant::now() > deadline {
            return Err(launch_timeout(&q));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut word = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match std::io::Read::read(&mut &stream, &mut word[got..]) {
            Ok(0) => {
                std::thread::sleep(Duration::from_millis(20));
                let why = q
                    .exited()
                    .unwrap_or_else(|| "the daemon closed the channel".into());
                return Err(launch_failed(&q, &why));
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
            return Err(launch_failed(&q, &why));
        }
        if Instant::now() > deadline {
            return Err(launch_timeout(&q));
        }
    }
    if u32::from_be_bytes(word) != crate::protocol::LAUNCH_FLAG {
        return Err(Error::new(
            libc::EPROTO,
            "launch failed: the daemon did not send the launch flag (protocol mismatch)",
        ));
    }
    Ok((q, stream))
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

fn pipe() -> Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(Error::from(std::io::Error::last_os_error()));
    }
    Ok(unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    })
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

/// The format of an image, detected on the host when the caller gave none (qcow2 by its
/// magic, otherwise raw), so qemu never probes it itself (CVE-2010-3851).
pub fn drive_format(d: &Drive) -> Result<&'static str> {
    match d.format {
        Some(f) => Ok(f.name()),
        None => crate::block::detect_format(&d.path).map(|f| f.name()),
    }
}
