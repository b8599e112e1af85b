//! LVM: listing physical volumes, volume groups and logical volumes, and creating and removing
//! them with the lvm program as 1.48's daemon does (its errors are lvm's own words).

use crate::daemon::Daemon;
use crate::lvm;
use crate::sys::command_ok;
use guestfs_protocol::calls;
use guestfs_protocol::{Error, LvmLv, LvmPv, LvmVg, Result};

/// `lvm ARGS…`; a failure is lvm's error output (1.48: `reply_with_error ("%s", err)`).
fn lvm_command(args: &[&str]) -> Result<()> {
    lvm::activate();
    command_ok("lvm", args, false, "").map(|_| ())
}

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
        if !(0..=100).contains(&percent) {
            return Err(Error::msg(format!(
                "percentage must be [0..100] (was {})",
                percent
            )));
        }
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
}
