//! `mkfs` as 1.48's daemon runs it: mke2fs for ext2/3/4 (mkfs would eat `-F`), `mkfs -t`
//! for everything else, with each filesystem's spelling of the optional arguments, after
//! wiping the old signatures off the device.

use crate::sys::{command, command_ok, Outcome};
use guestfs_protocol::{Error, MkfsOpts, Result};

/// Longest labels mke2fs and mkfs.xfs take.
const EXT2_LABEL_MAX: usize = 16;
const XFS_LABEL_MAX: usize = 12;

fn is_extfs(fstype: &str) -> bool {
    matches!(fstype, "ext2" | "ext3" | "ext4")
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
    // Old signatures (btrfs especially) confuse the new filesystem's probing.
    let _ = command("wipefs", &["-a", "--force", device], false);
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let prefix = format!("{}: {}", fstype, device);
    command_ok(&argv[0], &args, false, &prefix).map(|_| ())
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
