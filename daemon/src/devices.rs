//! Device names. The library names the user's drives `/dev/sda`, `/dev/sdb`, … in the order it
//! added them, whatever names the appliance kernel gave them (SCSI probing is asynchronous):
//! names are translated on the way in and back on the way out, as 1.48's daemon does with its
//! `/dev/disk/by-path` cache. The appliance's own disk (the `root` drive attached after the
//! user's drives, by libguestfs 1.48 booting a fixed appliance as by this library) is not one
//! of them: it is hidden from listings and from translation.

use guestfs_protocol::device_name::{drive_index, drive_letters, natural_cmp};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The user's drives (kernel names in drive order) and the appliance's disk, if attached.
struct Disks {
    user: Vec<String>,
    appliance: Option<String>,
}

static DISKS: OnceLock<Disks> = OnceLock::new();

fn kernel_cmdline() -> String {
    std::fs::read_to_string("/proc/cmdline").unwrap_or_default()
}

/// A `NAME=VALUE` word of the kernel command line.
fn cmdline_value(cmdline: &str, name: &str) -> Option<String> {
    let prefix = format!("{}=", name);
    cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix(prefix.as_str()))
        .map(str::to_string)
}

/// (host, channel, target, lun) of a SCSI disk, from /sys/block/NAME/device.
fn scsi_address(name: &str) -> Option<[u64; 4]> {
    let link = std::fs::read_link(format!("/sys/block/{}/device", name)).ok()?;
    let addr = link.file_name()?.to_str()?.to_string();
    let v: Vec<u64> = addr.split(':').filter_map(|p| p.parse().ok()).collect();
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

/// The disks in bus order (what `ls -v /dev/disk/by-path` gives without udev).
fn scan() -> Vec<String> {
    let mut found: Vec<([u64; 4], String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/sys/block") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if ["sd", "vd", "hd", "ubd"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                let addr = scsi_address(&name).unwrap_or([u64::MAX; 4]);
                found.push((addr, name));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| natural_cmp(&a.1, &b.1)));
    found.into_iter().map(|(_, n)| n).collect()
}

/// A disk is usable once the kernel has read its capacity. Its partitions are in place by
/// then too: the SCSI disk driver is loaded after the disks are found, and loading a module
/// waits for the probes it started (which read the partition tables).
fn is_ready(name: &str) -> bool {
    std::fs::read_to_string(format!("/sys/block/{}/size", name))
        .map(|s| s.trim() != "0")
        .unwrap_or(false)
}

/// The UUID of the ext2/3/4 filesystem on a device, as `root=UUID=` writes it.
fn ext_uuid(device: &str) -> Option<String> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(device).ok()?;
    let mut sb = [0u8; 0x80];
    f.read_exact_at(&mut sb, 0x400).ok()?;
    if sb[0x38..0x3a] != [0x53, 0xef] {
        return None;
    }
    let u = &sb[0x68..0x78];
    let hex: Vec<String> = u.iter().map(|b| format!("{:02x}", b)).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        hex[0..4].concat(),
        hex[4..6].concat(),
        hex[6..8].concat(),
        hex[8..10].concat(),
        hex[10..16].concat()
    ))
}

/// Splits the appliance's disk off the disks: libguestfs 1.48 attaches it after every user
/// drive and names it on the kernel command line (`root=UUID=…`). Only the last disk is
/// considered, so a guest disk carrying the same UUID is never hidden.
fn split_appliance(mut disks: Vec<String>, root_uuid: Option<&str>) -> Disks {
    // The last SCSI disk: user drives on virtio-blk sort after every SCSI disk.
    let last_scsi = disks.iter().rposition(|d| d.starts_with("sd"));
    let appliance = match (root_uuid, last_scsi) {
        (Some(uuid), Some(i))
            if ext_uuid(&format!("/dev/{}", disks[i]))
                .is_some_and(|u| u.eq_ignore_ascii_case(uuid)) =>
        {
            Some(disks.remove(i))
        }
        _ => None,
    };
    Disks {
        user: disks,
        appliance,
    }
}

fn disks_state() -> &'static Disks {
    DISKS.get_or_init(|| {
        let cmdline = kernel_cmdline();
        // Our library says how many drives it attached; libguestfs 1.48 does not (its drives
        // are all probed by the time the SCSI disk driver's module load returns).
        let want: Option<usize> =
            cmdline_value(&cmdline, "guestfs_ndisks").and_then(|n| n.parse().ok());
        let root_uuid = cmdline_value(&cmdline, "root")
            .and_then(|r| r.strip_prefix("UUID=").map(str::to_string));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = scan();
            let complete = match want {
                Some(n) => found.len() >= n && found.iter().all(|d| is_ready(d)),
                None => true,
            };
            if complete || Instant::now() > deadline {
                return split_appliance(found, root_uuid.as_deref());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

/// The kernel names of the user's drives in drive order.
pub fn disks() -> &'static [String] {
    &disks_state().user
}

/// The kernel name of the appliance's own disk, if one is attached.
pub fn appliance_disk() -> Option<&'static str> {
    disks_state().appliance.as_deref()
}

/// Whether `path` (a block device) is the appliance's own disk.
fn is_appliance_disk(md: &std::fs::Metadata) -> bool {
    let Some(name) = &disks_state().appliance else {
        return false;
    };
    std::fs::metadata(format!("/dev/{}", name)).is_ok_and(|a| a.rdev() == md.rdev())
}

/// `/dev/XXdLETTERS…` (`sd`, `vd`, `hd`, `xvd`, …): the drive index and the rest (partition).
fn drive_name_parts(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("/dev/")?;
    if rest.contains('/') || rest.starts_with('m') {
        return None;
    }
    let d = rest.find('d')?;
    if d == 0 || d > 2 {
        return None;
    }
    let after = &rest[d + 1..];
    let n = after.bytes().take_while(u8::is_ascii_lowercase).count();
    Some((drive_index(&after[..n])?, &after[n..]))
}

/// Opens a device read-only to see that it is there; Err(errno) if not.
fn openable(path: &str) -> std::result::Result<(), i32> {
    std::fs::File::open(path)
        .map(|_| ())
        .map_err(|e| e.raw_os_error().unwrap_or(libc::ENOENT))
}

/// Where 1.48's udev rules put a labelled drive's names (`/dev/disk/guestfs/LABEL`).
const LABEL_DIR: &str = "/dev/disk/guestfs/";

/// A library device name to the appliance kernel's path, or the errno why it cannot be used.
/// Drive names (`/dev/sdb1`, `/dev/vdb1`) follow drive order; a drive the user did not add is
/// ENOENT (never another disk of the appliance). Labelled names (`/dev/disk/guestfs/L`) are
/// the labelled drive's. Other names (`/dev/VG/LV`, `/dev/mapper/…`,
/// `/dev/md0`) are used as they are.
pub fn to_kernel(name: &str) -> std::result::Result<String, i32> {
    if let Some(label) = name.strip_prefix(LABEL_DIR) {
        return match disk_labels().into_iter().find(|(l, _)| l == label) {
            Some((_, device)) => to_kernel(&device),
            None => Err(libc::ENOENT),
        };
    }
    let path = match drive_name_parts(name) {
        Some((index, rest)) => match disks().get(index) {
            Some(disk) => format!("/dev/{}{}", disk, rest),
            None => return Err(libc::ENOENT),
        },
        None => name.to_string(),
    };
    openable(&path)?;
    Ok(path)
}

/// A text (a program's error message) with every appliance kernel name of a user's drive or
/// partition (`/dev/sdb1`) replaced by the library's name for it: 1.48's appliance names its
/// drives in drive order, so its messages name them as the user does.
pub fn from_kernel_in_text(text: &str) -> String {
    let disks = disks();
    let renamed = |i: usize, d: &String| *d != format!("sd{}", drive_letters(i));
    if !disks.iter().enumerate().any(|(i, d)| renamed(i, d)) || !text.contains("/dev/") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/dev/") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let n = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        let whole = !rest[n..].starts_with(|c: char| c.is_ascii_alphabetic());
        match disks.iter().position(|d| *d == rest[..n]) {
            Some(i) if whole => out.push_str(&format!("sd{}", drive_letters(i))),
            _ => out.push_str(&rest[..n]),
        }
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// The appliance kernel's path of a disk or partition to the library's name; anything else
/// unchanged.
pub fn from_kernel(path: &str) -> String {
    for (i, disk) in disks().iter().enumerate() {
        if let Some(rest) = path
            .strip_prefix("/dev/")
            .and_then(|p| p.strip_prefix(disk.as_str()))
        {
            if rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit()) {
                return format!("/dev/sd{}{}", drive_letters(i), rest);
            }
        }
    }
    path.to_string()
}

/// The labels given to drives when they were added (`add_drive … label:L`): the library
/// passes each as the disk's serial number, which 1.48's udev rules turn into
/// `/dev/disk/guestfs/L` for the disk and `/dev/disk/guestfs/LN` for its partition N.
/// There is no udev here: the serials are read from sysfs.
pub fn disk_labels() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for disk in disks() {
        let Some(label) = disk_serial(disk) else {
            continue;
        };
        out.push((label.clone(), from_kernel(&format!("/dev/{}", disk))));
        for part in kernel_partitions(disk) {
            let n = &part[disk.len()..];
            out.push((
                format!("{}{}", label, n),
                from_kernel(&format!("/dev/{}", part)),
            ));
        }
    }
    out
}

/// A SCSI disk's serial: VPD page 0x80 (4 header bytes, then the serial). Only SCSI disks,
/// as 1.48's udev rules (they read `ID_SCSI_SERIAL`).
fn disk_serial(disk: &str) -> Option<String> {
    let page = std::fs::read(format!("/sys/block/{}/device/vpd_pg80", disk)).ok()?;
    let serial = String::from_utf8_lossy(page.get(4..)?).into_owned();
    let serial = serial.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!serial.is_empty()).then(|| serial.to_string())
}

/// Whether an argument names a block device (1.48's `is_device_parameter`): any `/dev/sd…`
/// (translation decides), a block device other than the appliance's disk, or a directory
/// under /dev (`lvremove /dev/VG` removes a whole volume group).
pub fn is_device_parameter(arg: &str) -> bool {
    if !arg.starts_with("/dev/") {
        return false;
    }
    if arg.starts_with("/dev/sd") || arg.starts_with(LABEL_DIR) {
        return true;
    }
    let Ok(md) = std::fs::metadata(arg) else {
        return false;
    };
    if md.is_dir() {
        return arg.len() > 5;
    }
    md.file_type().is_block_device() && !is_appliance_disk(&md)
}

/// `btrfsvol:DEVICE/VOLUME` without its prefix, split as 1.48's `parse_btrfsvol` does: after
/// the first path prefix that translates (when `translate`) to something that is not a
/// directory nor the appliance's disk (`/dev/sda1/vol` → (`/dev/sdb1`, `vol`); `/dev/VG/LV/vol`
/// → (`/dev/VG/LV`, `vol`)). Without `translate` the names are the appliance's already.
pub fn split_btrfsvol(s: &str, translate: bool) -> Option<(String, &str)> {
    let names = s.strip_prefix("/dev/")?;
    for (i, _) in names.match_indices('/') {
        let cut = "/dev/".len() + i;
        let device = if translate {
            match to_kernel(&s[..cut]) {
                Ok(d) => d,
                Err(_) => continue,
            }
        } else {
            s[..cut].to_string()
        };
        let md = std::fs::metadata(&device).ok()?;
        if !md.is_dir() && !is_appliance_disk(&md) {
            return Some((device, &s[cut + 1..]));
        }
    }
    None
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
    fn drive_names_split_like_1_48() {
        assert_eq!(drive_name_parts("/dev/sda"), Some((0, "")));
        assert_eq!(drive_name_parts("/dev/vdab12"), Some((27, "12")));
        assert_eq!(drive_name_parts("/dev/xvdb1"), Some((1, "1")));
        assert_eq!(drive_name_parts("/dev/md0"), None);
        assert_eq!(drive_name_parts("/dev/VG/LV"), None);
        assert_eq!(drive_name_parts("/dev/dm-0"), None);
        assert_eq!(drive_name_parts("/dev/nbd0"), None);
    }

    #[test]
    fn btrfs_volumes_need_a_device() {
        assert_eq!(
            split_btrfsvol("/dev/null/vol", false),
            Some(("/dev/null".into(), "vol"))
        );
        assert_eq!(split_btrfsvol("nodev", false), None);
    }
}
