//! `mkfs` as 1.48's daemon runs it: mke2fs for ext2/3/4 (mkfs would eat `-F`), `mkfs -t`
//! for everything else, with each filesystem's spelling of the optional arguments, after
//! wiping the old signatures off the device.

use crate::calls::ext::{is_extfs, EXT2_LABEL_MAX};
use crate::calls::xfs::XFS_LABEL_MAX;
use crate::sys::{command, command_ok, Outcome};
use guestfs_protocol::{Error, MkfsBtrfsOpts, MkfsOpts, MksquashfsOpts, Result, MAX_CHUNK_SIZE};
use std::io::{Read, Write};

/// Old signatures confuse the probing of what mkfs makes next (1.48's
/// `wipe_device_before_mkfs`); whether wipefs succeeds does not matter.
pub fn wipe_before_mkfs(device: &str) {
    let _ = command("wipefs", &["-a", "--force", device], false);
}

fn is_fat(fstype: &str) -> bool {
    matches!(fstype, "fat" | "vfat" | "msdos")
}

/// Whether this mkfs.fat knows `--mbr` (it prints its usage, with status 1, when run bare).
fn fat_has_mbr_option() -> bool {
    matches!(command("mkfs.fat", &[], false), Ok(Outcome::Failure(usage)) if usage.contains("--mbr["))
}

/// The program and arguments that make `fstype` on `device`.
fn mkfs_command(fstype: &str, device: &str, opts: &MkfsOpts) -> Result<Vec<String>> {
    let extfs = is_extfs(fstype);
    let mut a: Vec<String> = vec![
        if extfs { "mke2fs" } else { "mkfs" }.into(),
        "-t".into(),
        fstype.into(),
    ];
    if extfs {
        a.push("-F".into());
    }
    if fstype == "ntfs" {
        a.extend(["-Q".into(), "-F".into()]);
    }
    if matches!(fstype, "reiserfs" | "jfs" | "xfs") {
        a.push("-f".into());
    }
    if matches!(fstype, "gfs" | "gfs2") {
        a.extend(["-p", "lock_nolock", "-j", "1", "-O"].map(String::from));
    }
    if is_fat(fstype) {
        // A whole-disk filesystem, and no made-up partition table (RHBZ#1931821).
        a.push("-I".into());
        if fat_has_mbr_option() {
            a.push("--mbr=n".into());
        }
    }
    if let Some(bs) = opts.blocksize {
        if bs <= 0 || bs.count_ones() != 1 {
            return Err(Error::msg("block size must be > 0 and a power of 2"));
        }
        match fstype {
            "vfat" | "msdos" => {
                let ss = crate::calls::devices::sector_size(device)?;
                let spc = bs / ss;
                if !(1..=128).contains(&spc) {
                    return Err(Error::msg(format!("unsupported cluster size for {} filesystem (requested cluster size = {}, sector size = {}, trying sectors per cluster = {})", fstype, bs, ss, spc)));
                }
                a.extend(["-s".into(), spc.to_string()]);
            }
            "ntfs" => a.extend(["-c".into(), bs.to_string()]),
            "btrfs" => {
                return Err(Error::msg(
                    "blocksize cannot be set on btrfs filesystems, use 'mkfs-btrfs'",
                ))
            }
            "xfs" => a.extend(["-b".into(), format!("size={}", bs)]),
            _ => a.extend(["-b".into(), bs.to_string()]),
        }
    }
    if let Some(features) = &opts.features {
        a.extend(["-O".into(), features.clone()]);
    }
    if let Some(inode) = opts.inode {
        if !extfs {
            return Err(Error::msg(
                "inode size (-I) can only be set on ext2/3/4 filesystems",
            ));
        }
        if inode <= 0 {
            return Err(Error::msg("inode size must be larger than zero"));
        }
        a.extend(["-I".into(), inode.to_string()]);
    }
    if let Some(ss) = opts.sectorsize {
        if fstype != "ufs" {
            return Err(Error::msg(
                "sector size (-S) can only be set on ufs filesystems",
            ));
        }
        if ss <= 0 {
            return Err(Error::msg("sector size must be larger than zero"));
        }
        a.extend(["-S".into(), ss.to_string()]);
    }
    if let Some(label) = &opts.label {
        let flag = if extfs {
            if label.len() > EXT2_LABEL_MAX {
                return Err(Error::msg(format!(
                    "{}: ext2/3/4 labels are limited to {} bytes",
                    label, EXT2_LABEL_MAX
                )));
            }
            "-L"
        } else if is_fat(fstype) {
            "-n"
        } else if fstype == "xfs" {
            if label.len() > XFS_LABEL_MAX {
                return Err(Error::msg(format!(
                    "{}: xfs labels are limited to {} bytes",
                    label, XFS_LABEL_MAX
                )));
            }
            "-L"
        } else if matches!(fstype, "ntfs" | "btrfs") {
            "-L"
        } else if fstype == "f2fs" {
            "-l"
        } else {
            return Err(Error::msg(format!(
                "don't know how to set the label for '{}' filesystems",
                fstype
            )));
        };
        a.extend([flag.into(), label.clone()]);
    }
    a.push(device.into());
    Ok(a)
}

pub fn mkfs(fstype: &str, device: &str, opts: &MkfsOpts) -> Result<()> {
    let argv = mkfs_command(fstype, device, opts)?;
    wipe_before_mkfs(device);
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let prefix = format!("{}: {}", fstype, device);
    command_ok(&argv[0], &args, false, &prefix).map(|_| ())
}

fn power_of_2(n: i32) -> bool {
    n > 0 && n.count_ones() == 1
}

/// 1.48's `mkfs_btrfs`: one filesystem over `devices`.
pub fn mkfs_btrfs(devices: &[String], o: &MkfsBtrfsOpts) -> Result<()> {
    if devices.is_empty() {
        return Err(Error::msg("list of devices must be non-empty"));
    }
    let mut a: Vec<String> = Vec::new();
    // `allocstart` (--alloc-start) left btrfs-progs in 4.14.1: accepted and ignored.
    if let Some(v) = o.bytecount {
        if v <= 0 {
            return Err(Error::msg("bytecount must be > 0"));
        }
        a.extend(["--byte-count".into(), v.to_string()]);
    }
    let profiles = ["raid0", "raid1", "raid10", "single"];
    if let Some(t) = &o.datatype {
        if !profiles.contains(&t.as_str()) {
            return Err(Error::msg("datatype not one of the allowed values"));
        }
        a.extend(["--data".into(), t.clone()]);
    }
    if let Some(v) = o.leafsize {
        if !power_of_2(v) {
            return Err(Error::msg("leafsize must be > 0 and a power of two"));
        }
        a.extend(["--leafsize".into(), v.to_string()]);
    }
    if let Some(l) = &o.label {
        a.extend(["--label".into(), l.clone()]);
    }
    if let Some(m) = &o.metadata {
        if !profiles.contains(&m.as_str()) {
            return Err(Error::msg("metadata not one of the allowed values"));
        }
        a.extend(["--metadata".into(), m.clone()]);
    }
    for (value, name, flag) in [
        (o.nodesize, "nodesize", "--nodesize"),
        (o.sectorsize, "sectorsize", "--sectorsize"),
    ] {
        if let Some(v) = value {
            if !power_of_2(v) {
                return Err(Error::msg(format!(
                    "{} must be > 0 and a power of two",
                    name
                )));
            }
            a.extend([flag.into(), v.to_string()]);
        }
    }
    a.extend(devices.iter().cloned());
    for d in devices {
        wipe_before_mkfs(d);
    }
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    command_ok("mkfs.btrfs", &args, false, &devices[0]).map(|_| ())
}

/// A temporary file removed when dropped.
struct TempFile(String);

impl TempFile {
    /// A new empty file `PREFIX.XXXXXX` (mkstemp).
    fn create(prefix: &str) -> Result<TempFile> {
        let mut template = format!("{}.XXXXXX\0", prefix).into_bytes();
        // SAFETY: template is a writable NUL-terminated buffer mkstemp fills in.
        let fd = unsafe { libc::mkstemp(template.as_mut_ptr() as *mut libc::c_char) };
        if fd == -1 {
            return Err(crate::sys::perror("mkstemp"));
        }
        // SAFETY: fd was just returned by mkstemp.
        unsafe { libc::close(fd) };
        template.pop();
        Ok(TempFile(String::from_utf8_lossy(&template).into_owned()))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The exclusion patterns, one a line, in a temporary file (1.48's `make_exclude_from_file`).
fn exclude_file(function: &str, excludes: &[String]) -> Result<TempFile> {
    let file = TempFile::create("/tmp/excludes")?;
    let mut text = String::new();
    for e in excludes {
        if e.contains('\n') {
            return Err(Error::msg(format!(
                "{}: excludes file patterns cannot contain \\n character",
                function
            )));
        }
        text.push_str(e);
        text.push('\n');
    }
    std::fs::write(&file.0, text).map_err(|e| crate::sys::io_error(&e, "write"))?;
    Ok(file)
}

/// A squashfs image of the guest directory `path` (at `dir` in the appliance), sent whole.
pub fn mksquashfs(path: &str, dir: &str, o: &MksquashfsOpts, out: &mut dyn Write) -> Result<()> {
    // /var/tmp rather than /tmp: the image may not fit in memory.
    let base = if std::path::Path::new("/var/tmp").is_dir() {
        "/var/tmp"
    } else {
        "/tmp"
    };
    let image = TempFile::create(&format!("{}/squashfs", base))?;
    let mut a: Vec<String> = [
        dir,
        &image.0,
        "-noappend",
        "-root-becomes",
        dir,
        "-wildcards",
        "-no-recovery",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(c) = &o.compress {
        a.extend(["-comp".into(), c.clone()]);
    }
    let excludes = match &o.excludes {
        Some(ex) => Some(exclude_file("mksquashfs", ex)?),
        None => None,
    };
    if let Some(ex) = &excludes {
        a.extend(["-ef".into(), ex.0.clone()]);
    }
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    command_ok("mksquashfs", &args, false, path)?;
    let mut f = std::fs::File::open(&image.0).map_err(|e| crate::sys::io_error(&e, &image.0))?;
    // 1.48 replies here: a read error from now on cancels the transfer.
    out.flush().map_err(Error::from)?;
    let mut buf = vec![0u8; MAX_CHUNK_SIZE];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(crate::sys::io_error(&e, &format!("fread: {}", image.0))),
        };
        out.write_all(&buf[..n]).map_err(Error::from)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext4_with_label_uses_mke2fs() {
        let opts = MkfsOpts {
            label: Some("root".into()),
            ..Default::default()
        };
        assert_eq!(
            mkfs_command("ext4", "/dev/sda1", &opts).unwrap(),
            ["mke2fs", "-t", "ext4", "-F", "-L", "root", "/dev/sda1"]
        );
        let long = MkfsOpts {
            label: Some("a-label-longer-than-16".into()),
            ..Default::default()
        };
        assert_eq!(
            mkfs_command("ext4", "/dev/sda1", &long)
                .unwrap_err()
                .message,
            "a-label-longer-than-16: ext2/3/4 labels are limited to 16 bytes"
        );
        let bad = MkfsOpts {
            blocksize: Some(3000),
            ..Default::default()
        };
        assert_eq!(
            mkfs_command("ext4", "/dev/sda1", &bad).unwrap_err().message,
            "block size must be > 0 and a power of 2"
        );
    }
}
