//! LVM2: physical volume labels, the text metadata, and logical volumes as block devices.
//! Being written by the LVM work; this file fixes the interface the native backend uses.

use crate::block::Device;
use crate::error::Result;
use crate::types::{LvmLv, LvmPv, LvmVg};

/// A physical volume found on a device.
#[derive(Clone)]
pub struct PhysicalVolume {
    /// The libguestfs device name holding the PV (`/dev/sda2`).
    pub device: String,
    /// The PV UUID as LVM prints it, with dashes.
    pub uuid: String,
}

/// A logical volume.
#[derive(Clone)]
pub struct LogicalVolume {
    pub name: String,
    /// The LV UUID as LVM prints it, with dashes.
    pub uuid: String,
    /// Size in bytes.
    pub size: u64,
    /// The LV's data, or why the native backend cannot read it (thin, raid5, missing PV, …).
    pub device: std::result::Result<Device, String>,
}

/// A volume group with its PVs and its visible LVs in metadata order.
#[derive(Clone)]
pub struct VolumeGroup {
    pub name: String,
    /// The VG UUID as LVM prints it, with dashes.
    pub uuid: String,
    pub pvs: Vec<PhysicalVolume>,
    pub lvs: Vec<LogicalVolume>,
}

/// Every VG found on a set of devices.
#[derive(Clone, Default)]
pub struct Scan {
    pub vgs: Vec<VolumeGroup>,
    pv_full: Vec<LvmPv>,
    vg_full: Vec<LvmVg>,
    lv_full: Vec<LvmLv>,
}

impl Scan {
    pub fn pvs_full(&self) -> Vec<LvmPv> {
        self.pv_full.clone()
    }
    pub fn vgs_full(&self) -> Vec<LvmVg> {
        self.vg_full.clone()
    }
    pub fn lvs_full(&self) -> Vec<LvmLv> {
        self.lv_full.clone()
    }
}

/// Reads the PV labels and metadata of `candidates` (devices blkid calls `LVM2_member`, with
/// their libguestfs names) and assembles the volume groups.
pub fn scan(_candidates: &[(String, Device)]) -> Result<Scan> {
    Ok(Scan::default())
}
