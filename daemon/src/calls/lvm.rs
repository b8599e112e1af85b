//! LVM: listing physical volumes, volume groups and logical volumes, and creating and removing
//! them with the lvm program as 1.48's daemon does (its errors are lvm's own words).

use crate::daemon::Daemon;
use crate::lvm;
use crate::sys::command_ok;
use guestfs_protocol::calls;
use guestfs_protocol::{Error, LvmLv, LvmPv, LvmVg, Result};

/// `lvm ARGS…`; a failure is lvm's error output (1.48: `reply_with_error ("%s", err)`).
fn lvm_command(args: &[&str]) -> Result<()> {
    lvm_prefixed(args, "")
}

/// `lvm ARGS…`, failing with `PREFIX: ERROR` (the error alone when the prefix is empty).
fn lvm_prefixed(args: &[&str], prefix: &str) -> Result<()> {
    lvm::activate();
    command_ok("lvm", args, false, prefix).map(|_| ())
}

/// `lvm lvresize ARGS…`, where asking for the size an LV already has is not an error.
fn lvresize(args: &[&str]) -> Result<()> {
    match lvm_command(args) {
        Err(e)
            if e.message.contains("New size (")
                && e.message.contains("extents) matches existing size (") =>
        {
            Ok(())
        }
        r => r,
    }
}

fn check_percent(percent: i32) -> Result<()> {
    if !(0..=100).contains(&percent) {
        return Err(Error::msg(format!(
            "percentage must be [0..100] (was {})",
            percent
        )));
    }
    Ok(())
}

/// 1.48's filter rules for `lvm_set_filter`: each device exactly, and a whole disk's
/// partitions too.
fn filter_rules(devices: &[String]) -> Vec<String> {
    let mut rules = Vec::new();
    for d in devices {
        rules.push(format!("a|^{}$|", d));
        if !d.ends_with(|c: char| c.is_ascii_digit()) {
            rules.push(format!("a|^{}[0-9]|", d));
        }
    }
    rules.push("r|.*|".to_string());
    rules
}

/// Every volume group deactivated, the filter replaced, the devices scanned again and the
/// groups activated (1.48's `lvm_set_filter` and `lvm_clear_filter`).
fn replace_filter(rules: Vec<String>) -> Result<()> {
    lvm_prefixed(&["vgchange", "-an"], "vgchange -an")?;
    lvm::set_filter(rules)?;
    lvm_prefixed(&["vgscan", "--cache"], "vgscan")?;
    lvm_prefixed(&["vgchange", "-ay"], "vgchange -ay")
}

/// The largest metadata `vgmeta` returns: what fits in one message.
const VGMETA_MAX: u64 = guestfs_protocol::MESSAGE_MAX as u64 - 1000;

impl calls::Lvm for Daemon {
    fn vg_activate_all(&mut self, activate: bool) -> Result<()> {
        self.vg_activate(activate, &[])
    }

    fn vg_activate(&mut self, activate: bool, volgroups: &[String]) -> Result<()> {
        lvm::rescan();
        let mut args = vec!["vgchange", "-a", if activate { "y" } else { "n" }];
        args.extend(volgroups.iter().map(String::as_str));
        command_ok("lvm", &args, false, "vgchange").map(|_| ())
    }

    /// 1.48 runs `pvscan --cache [--activate ay]`; without lvmetad or udev here, a rescan
    /// and (when asked) activating every complete volume group does the same.
    fn lvm_scan(&mut self, activate: bool) -> Result<()> {
        lvm::rescan();
        if activate {
            command_ok("lvm", &["vgchange", "-a", "ay"], false, "").map(|_| ())
        } else {
            Ok(())
        }
    }

    fn pvs(&mut self) -> Result<Vec<String>> {
        lvm::pvs()
    }

    fn vgs(&mut self) -> Result<Vec<String>> {
        lvm::vgs()
    }

    fn lvs(&mut self) -> Result<Vec<String>> {
        lvm::lvs()
    }

    fn pvs_full(&mut self) -> Result<Vec<LvmPv>> {
        lvm::pvs_full()
    }

    fn vgs_full(&mut self) -> Result<Vec<LvmVg>> {
        lvm::vgs_full()
    }

    fn lvs_full(&mut self) -> Result<Vec<LvmLv>> {
        lvm::lvs_full()
    }

    fn pvuuid(&mut self, device: &str) -> Result<String> {
        lvm::one_uuid("pvs", "pv_uuid", device)
    }

    fn lvuuid(&mut self, device: &str) -> Result<String> {
        lvm::one_uuid("lvs", "lv_uuid", device)
    }

    fn vguuid(&mut self, vgname: &str) -> Result<String> {
        lvm::one_uuid("vgs", "vg_uuid", vgname)
    }

    fn vglvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        lvm::uuid_list("lvs", "lv_uuid", vgname)
    }

    fn vgpvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        lvm::uuid_list("vgs", "pv_uuid", vgname)
    }

    fn pvcreate(&mut self, device: &str) -> Result<()> {
        lvm_command(&["pvcreate", "--force", device])
    }

    fn vgcreate(&mut self, volgroup: &str, physvols: &[String]) -> Result<()> {
        let mut args = vec!["vgcreate", volgroup];
        args.extend(physvols.iter().map(String::as_str));
        lvm_command(&args)
    }

    fn lvcreate(&mut self, logvol: &str, volgroup: &str, mbytes: i32) -> Result<()> {
        let size = mbytes.to_string();
        lvm_command(&["lvcreate", "--yes", "-L", &size, "-n", logvol, volgroup])
    }

    fn lvcreate_free(&mut self, logvol: &str, volgroup: &str, percent: i32) -> Result<()> {
        check_percent(percent)?;
        let size = format!("{}%FREE", percent);
        lvm_command(&["lvcreate", "-l", &size, "-n", logvol, volgroup])
    }

    fn lvremove(&mut self, device: &str) -> Result<()> {
        lvm_command(&["lvremove", "-f", device])
    }

    fn vgremove(&mut self, vgname: &str) -> Result<()> {
        lvm_command(&["vgremove", "-f", vgname])
    }

    fn pvremove(&mut self, device: &str) -> Result<()> {
        lvm_command(&["pvremove", "-ff", device])
    }

    /// Every LV, then every VG, then every PV, each deactivated before it is removed (as
    /// 1.48 does: `-f` alone does not always remove an active one).
    fn lvm_remove_all(&mut self) -> Result<()> {
        for lv in lvm::lvs()? {
            let _ = command_ok("lvm", &["lvchange", "-an", &lv], false, "");
            lvm_command(&["lvremove", "-f", &lv])
                .map_err(|e| Error::msg(format!("lvremove: {}: {}", lv, e.message)))?;
        }
        for vg in lvm::vgs()? {
            let _ = command_ok("lvm", &["vgchange", "-an", &vg], false, "");
            lvm_command(&["vgremove", "-f", &vg])
                .map_err(|e| Error::msg(format!("vgremove: {}: {}", vg, e.message)))?;
        }
        for pv in lvm::pvs()? {
            lvm_command(&["pvremove", "-f", &pv])
                .map_err(|e| Error::msg(format!("pvremove: {}: {}", pv, e.message)))?;
        }
        Ok(())
    }

    fn is_lv(&mut self, mountable: &str) -> Result<bool> {
        if mountable.starts_with("btrfsvol:") {
            return Ok(false);
        }
        Ok(lvm::lv_canonical(mountable)?.is_some())
    }

    fn lvm_canonical_lv_name(&mut self, lvname: &str) -> Result<String> {
        if !lvname.starts_with("/dev/") {
            return Err(Error::msg(format!("{}: not a device name", lvname)));
        }
        lvm::lv_canonical(lvname)?
            .ok_or_else(|| Error::new(libc::EINVAL, format!("{}: not a logical volume", lvname)))
    }

    fn list_dm_devices(&mut self) -> Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir("/dev/mapper")
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != "control")
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        let lvs = if names.is_empty() {
            Vec::new()
        } else {
            lvm::lv_device_numbers()?
        };
        let mut out = Vec::new();
        for n in names {
            let path = format!("/dev/mapper/{}", n);
            if lvm::lv_canonical_among(&path, &lvs)?.is_none() {
                out.push(path);
            }
        }
        Ok(out)
    }

    fn lvm_set_filter(&mut self, devices: &[String]) -> Result<()> {
        replace_filter(filter_rules(devices))
    }

    fn lvm_clear_filter(&mut self) -> Result<()> {
        replace_filter(vec!["a/.*/".to_string()])
    }

    fn lvrename(&mut self, logvol: &str, newlogvol: &str) -> Result<()> {
        let prefix = format!("{} -> {}", logvol, newlogvol);
        lvm_prefixed(&["lvrename", logvol, newlogvol], &prefix)
    }

    fn vgrename(&mut self, volgroup: &str, newvolgroup: &str) -> Result<()> {
        let prefix = format!("{} -> {}", volgroup, newvolgroup);
        lvm_prefixed(&["vgrename", volgroup, newvolgroup], &prefix)
    }

    fn lvresize(&mut self, device: &str, mbytes: i32) -> Result<()> {
        let size = mbytes.to_string();
        lvresize(&["lvresize", "--force", "-L", &size, device])
    }

    fn lvresize_free(&mut self, lv: &str, percent: i32) -> Result<()> {
        check_percent(percent)?;
        let size = format!("+{}%FREE", percent);
        lvresize(&["lvresize", "-l", &size, lv])
    }

    fn pvresize(&mut self, device: &str) -> Result<()> {
        lvm_prefixed(&["pvresize", device], device)
    }

    fn pvresize_size(&mut self, device: &str, size: i64) -> Result<()> {
        let size = format!("{}b", size);
        let args = [
            "pvresize",
            "--yes",
            "--setphysicalvolumesize",
            &size,
            device,
        ];
        lvm_prefixed(&args, device)
    }

    fn pvchange_uuid(&mut self, device: &str) -> Result<()> {
        lvm_prefixed(&["pvchange", "-u", device], device)
    }

    fn pvchange_uuid_all(&mut self) -> Result<()> {
        lvm_command(&["pvchange", "-u", "-a"])
    }

    fn vgchange_uuid(&mut self, vg: &str) -> Result<()> {
        lvm_prefixed(&["vgchange", "-u", vg], vg)
    }

    fn vgchange_uuid_all(&mut self) -> Result<()> {
        lvm_command(&["vgchange", "-u"])
    }

    fn vgscan(&mut self) -> Result<()> {
        self.lvm_scan(false)
    }

    fn vgmeta(&mut self, vgname: &str) -> Result<Vec<u8>> {
        let tmp = format!("/tmp/vgmeta{}", std::process::id());
        let _ = std::fs::remove_file(&tmp);
        let backup = lvm_prefixed(&["vgcfgbackup", "-f", &tmp, vgname], "vgcfgbackup");
        let meta = backup.and_then(|_| {
            let f = std::fs::File::open(&tmp).map_err(|_| Error::msg(tmp.clone()))?;
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, VGMETA_MAX + 1), &mut buf)
                .map_err(|e| crate::sys::io_error(&e, &format!("read: {}", tmp)))?;
            if buf.len() as u64 > VGMETA_MAX {
                return Err(Error::msg("metadata is too large for message buffer"));
            }
            Ok(buf)
        });
        let _ = std::fs::remove_file(&tmp);
        meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_accept_whole_disks_with_their_partitions() {
        let devices = ["/dev/sda".to_string(), "/dev/sdb1".to_string()];
        assert_eq!(
            filter_rules(&devices),
            [
                "a|^/dev/sda$|",
                "a|^/dev/sda[0-9]|",
                "a|^/dev/sdb1$|",
                "r|.*|"
            ]
        );
    }
}
