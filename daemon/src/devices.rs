//! Device names: the user's drives are `/dev/sda`, `/dev/sdb`, … in `-drive` order, whatever
//! names the kernel gave them (SCSI probing is asynchronous). Names are translated on the way
//! in and on the way out.

use guestfs::backend::native::{drive_index, drive_letters};
use guestfs::error::{Error, Result};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static DISKS: OnceLock<Vec<String>> = OnceLock::new();

/// How many drives the library attached (`guestfs_ndisks=N` on the kernel command line).
fn expected_disks() -> Option<usize> {
    let cmdline = std::fs::read_to_string("/proc/cmdline").ok()?;
    cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("guestfs_ndisks="))
        .and_then(|n| n.parse().ok())
}

/// (host, channel, target, lun) of a SCSI disk, from /sys/block/NAME/device.
fn scsi_address(name: &str) -> Option<[u64; 4]> {
    let link = std::fs::read_link(format!("/sys/block/{}/device", name)).ok()?;
    let addr = link.file_name()?.to_str()?.to_string();
    let v: Vec<u64> = addr.split(':').filter_map(|p| p.parse().ok()).collect();
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

fn scan() -> Vec<String> {
    let mut found: Vec<([u64; 4], String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/sys/block") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("sd") || name.starts_with("vd") {
                let addr = scsi_address(&name).unwrap_or([u64::MAX; 4]);
                found.push((addr, name));
            }
        }
    }
    found.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| guestfs::backend::native::natural_cmp(&a.1, &b.1))
    });
    found.into_iter().map(|(_, n)| n).collect()
}

/// The kernel names of the user's drives in drive order, waiting (bounded) for the SCSI scan.
pub fn disks() -> &'static [String] {
    DISKS.get_or_init(|| {
        let want = expected_disks();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = scan();
            let complete = match want {
                Some(n) => found.len() >= n && found.iter().all(|d| is_ready(d)),
                None => true,
            };
            if complete || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

/// A disk is usable once the kernel has read its capacity. Its partitions are in place by
/// then too: the SCSI disk driver is loaded after the disks are found, and loading a module
/// waits for the probes it started (which read the partition tables).
fn is_ready(name: &str) -> bool {
    std::fs::read_to_string(format!("/sys/block/{}/size", name))
        .map(|s| s.trim() != "0")
        .unwrap_or(false)
}

/// Splits `sda12` into (`sda`, `12`).
fn split_name(name: &str) -> (&str, &str) {
    let cut = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    (&name[..cut], &name[cut..])
}

/// A libguestfs device name to the appliance kernel's path. `/dev/vdX` and `/dev/hdX` are
/// accepted for `/dev/sdX`. Other names (`/dev/VG/LV`, `/dev/mapper/…`, `/dev/md0`) pass.
pub fn to_kernel(name: &str) -> Result<String> {
    for prefix in ["/dev/sd", "/dev/vd", "/dev/hd"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.contains('/') || !rest.starts_with(|c: char| c.is_ascii_lowercase()) {
                break;
            }
            let (letters, part) = split_name(rest);
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                break;
            }
            let disks = disks();
            let idx = drive_index(letters).ok_or_else(|| Error::path(libc::ENOENT, name))?;
            let disk = disks
                .get(idx)
                .ok_or_else(|| Error::path(libc::ENOENT, name))?;
            let path = format!("/dev/{}{}", disk, part);
            if std::fs::metadata(&path).is_err() {
                return Err(Error::path(libc::ENOENT, name));
            }
            return Ok(path);
        }
    }
    if !name.starts_with("/dev/") {
        return Err(Error::new(
            libc::EINVAL,
            format!("{}: device name must start with /dev/", name),
        ));
    }
    Ok(name.to_string())
}

/// The appliance kernel's path of a disk or partition to the libguestfs name.
pub fn from_kernel(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("/dev/") {
        let (disk, part) = split_name(rest);
        if let Some(idx) = disks().iter().position(|d| d == disk) {
            return format!("/dev/sd{}{}", drive_letters(idx), part);
        }
    }
    path.to_string()
}

/// The partitions of a kernel disk (`sdb` → [`sdb1`, `sdb2`]) in number order.
pub fn kernel_partitions(disk: &str) -> Vec<String> {
    let mut parts: Vec<(u64, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(format!("/sys/block/{}", disk)) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some(num) = n.strip_prefix(disk) {
                if let Ok(k) = num.parse::<u64>() {
                    parts.push((k, n));
                }
            }
        }
    }
    parts.sort();
    parts.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_map_to_indexes() {
        assert_eq!(drive_index("a"), Some(0));
        assert_eq!(drive_index("z"), Some(25));
        assert_eq!(drive_index("aa"), Some(26));
        assert_eq!(drive_index("ab"), Some(27));
        assert_eq!(split_name("sdab12"), ("sdab", "12"));
    }
}
