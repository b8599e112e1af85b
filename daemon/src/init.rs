//! PID 1 of the appliance: mounts the kernel filesystems, loads the boot modules, runs the
//! protocol server in a child, reaps orphans, and reboots (which makes qemu exit, as it runs
//! with `-no-reboot`) when the server ends for any reason — so a crashed daemon ends the VM
//! and the library sees the end of the stream at once.

use crate::sys::mount;

/// The modules to load before serving (virtio, SCSI disk, console), one name per line.
const BOOT_MODULES: &str = "/etc/guestfsd/boot-modules";

fn kernel_cmdline() -> String {
    std::fs::read_to_string("/proc/cmdline").unwrap_or_default()
}

pub fn pid1() -> ! {
    for d in ["/proc", "/sys", "/dev", "/sysroot", "/tmp", "/run"] {
        let _ = std::fs::create_dir_all(d);
    }
    let _ = mount("proc", "/proc", "proc", 0, "");
    let _ = mount("sysfs", "/sys", "sysfs", 0, "");
    let _ = mount("devtmpfs", "/dev", "devtmpfs", 0, "");
    let _ = std::fs::create_dir_all("/dev/pts");
    let _ = std::fs::create_dir_all("/dev/shm");
    let _ = mount("devpts", "/dev/pts", "devpts", 0, "");
    let _ = std::os::unix::fs::symlink("/proc/self/fd", "/dev/fd");
    let _ = std::os::unix::fs::symlink("/proc/mounts", "/etc/mtab");
    let cmdline = kernel_cmdline();
    let verbose = cmdline.split_whitespace().any(|w| w == "guestfs_verbose=1");
    if verbose {
        eprintln!("guestfsd: init: {}", uptime());
    }
    if let Ok(list) = std::fs::read_to_string(BOOT_MODULES) {
        for m in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let t = std::time::Instant::now();
            let ok = crate::modules::load(m);
            if m == "virtio_scsi" {
                // After sd_mod: each disk is named as its target is scanned.
                scan_disks(&cmdline);
            }
            if verbose {
                eprintln!(
                    "guestfsd: init: module {}: {} ({:.3} s)",
                    m,
                    if ok { "loaded" } else { "NOT LOADED" },
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
    let network = cmdline.split_whitespace().any(|w| w == "guestfs_network=1");
    crate::network::set_up(network);
    if verbose {
        eprintln!("guestfsd: init: modules loaded: {}", uptime());
    }
    let rescue = crate::rescue::requested(&cmdline);
    if rescue {
        // The shell's programs are on the appliance's disk; mounted here, before the
        // server is forked, so that the server knows it is mounted.
        crate::appliance_disk::ensure_mounted();
    }
    // SAFETY: fork in a single-threaded process.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let opts = crate::Options {
            verbose,
            network,
            sysroot: "/sysroot".to_string(),
            ..Default::default()
        };
        let code = crate::server::run(opts);
        std::process::exit(code);
    }
    if rescue {
        // The appliance ends with the shell, whatever the server is doing.
        crate::rescue::run_shell(&cmdline);
    } else {
        loop {
            let mut status = 0;
            // SAFETY: waits for any child; status is a valid out pointer.
            let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
            if pid == child || (pid == -1 && crate::sys::errno() == libc::ECHILD) {
                break;
            }
        }
    }
    if verbose {
        eprintln!("guestfsd: init: daemon exited, rebooting");
    }
    // SAFETY: sync and reboot take no pointers; reboot ends the VM.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_AUTOBOOT);
    }
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// With `scsi_mod.scan=manual` the kernel does not probe every possible SCSI target of the
/// virtio-scsi bus (slow under TCG): we ask for exactly the targets the drives are on, in
/// drive order, and wait for each disk to take its name (sd_mod numbers disks as its
/// asynchronous probes start) before asking for the next, so that the kernel's names are the
/// drives' names.
fn scan_disks(cmdline: &str) {
    if !cmdline
        .split_whitespace()
        .any(|w| w == "scsi_mod.scan=manual")
    {
        return;
    }
    let n: usize = cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("guestfs_ndisks="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let Ok(hosts) = std::fs::read_dir("/sys/class/scsi_host") else {
        return;
    };
    for h in hosts.flatten() {
        let host: String = h
            .file_name()
            .to_string_lossy()
            .trim_start_matches("host")
            .to_string();
        for t in 0..n.min(256) {
            let _ = std::fs::write(h.path().join("scan"), format!("0 {} 0", t));
            wait_for_disk_name(&format!("/sys/bus/scsi/devices/{}:0:{}:0", host, t));
        }
    }
}

/// Waits until the SCSI disk driver has numbered the device (its `scsi_disk` entry exists),
/// if the device exists and is a disk at all. Bounded: a disk that never appears costs its
/// name order, not the boot.
fn wait_for_disk_name(device: &str) {
    // SCSI peripheral types sd_mod takes: disk, optical memory, RBC, zoned block.
    const SD_TYPES: [&str; 4] = ["0", "7", "14", "20"];
    let is_disk = std::fs::read_to_string(format!("{}/type", device))
        .is_ok_and(|t| SD_TYPES.contains(&t.trim()));
    if !is_disk {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let named = format!("{}/scsi_disk", device);
    while !std::path::Path::new(&named).exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

pub fn uptime() -> String {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(|s| format!("uptime {}", s)))
        .unwrap_or_default()
}
