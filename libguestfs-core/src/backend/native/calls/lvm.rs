//! The lvm calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Lvm for NativeBackend {
    /// The native backend assembles LVM when it launches, and again when a decrypted device
    /// reveals a physical volume; there is nothing to rescan.
    fn lvm_scan(&mut self, _activate: bool) -> Result<()> {
        Ok(())
    }

    /// Every decrypted device, which is not an LV (the only other device-mapper devices the
    /// native backend makes).
    fn list_dm_devices(&mut self) -> Result<Vec<String>> {
        Ok(self
            .devices
            .mappers()
            .into_iter()
            .map(|n| n.name.clone())
            .collect())
    }

    fn pvs(&mut self) -> Result<Vec<String>> {
        // Like `lvm pvs`: every PV, including those in no volume group.
        Ok(self
            .devices
            .lvm
            .pvs_full()
            .into_iter()
            .map(|pv| pv.pv_name)
            .collect())
    }

    fn vgs(&mut self) -> Result<Vec<String>> {
        Ok(self
            .devices
            .lvm
            .vgs
            .iter()
            .map(|vg| vg.name.clone())
            .collect())
    }

    fn lvs(&mut self) -> Result<Vec<String>> {
        let mut lvs: Vec<String> = self
            .devices
            .logical_volumes()
            .map(|n| n.name.clone())
            .collect();
        lvs.sort();
        Ok(lvs)
    }

    fn pvs_full(&mut self) -> Result<Vec<LvmPv>> {
        Ok(self.devices.lvm.pvs_full())
    }

    fn vgs_full(&mut self) -> Result<Vec<LvmVg>> {
        Ok(self.devices.lvm.vgs_full())
    }

    fn lvs_full(&mut self) -> Result<Vec<LvmLv>> {
        Ok(self.devices.lvm.lvs_full())
    }

    fn lvuuid(&mut self, device: &str) -> Result<String> {
        let node = self.devices.get(device)?;
        if let NodeKind::LogicalVolume { vg, lv } = &node.kind {
            let vg = self.lvm_vg(vg)?;
            if let Some(l) = vg.lvs.iter().find(|l| &l.name == lv) {
                return Ok(l.uuid.clone());
            }
        }
        Err(Error::new(
            libc::EINVAL,
            format!("{}: not a logical volume", device),
        ))
    }

    fn pvuuid(&mut self, device: &str) -> Result<String> {
        let canonical = canonical_name(device);
        self.devices
            .lvm
            .vgs
            .iter()
            .flat_map(|vg| vg.pvs.iter())
            .find(|pv| pv.device == canonical)
            .map(|pv| pv.uuid.replace('-', ""))
            .ok_or_else(|| Error::new(libc::EINVAL, format!("{}: not a physical volume", device)))
    }

    fn vguuid(&mut self, vgname: &str) -> Result<String> {
        Ok(self.lvm_vg(vgname)?.uuid.replace('-', ""))
    }

    fn vglvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        Ok(self
            .lvm_vg(vgname)?
            .lvs
            .iter()
            .map(|l| l.uuid.replace('-', ""))
            .collect())
    }

    fn vgpvuuids(&mut self, vgname: &str) -> Result<Vec<String>> {
        Ok(self
            .lvm_vg(vgname)?
            .pvs
            .iter()
            .map(|p| p.uuid.replace('-', ""))
            .collect())
    }
}
