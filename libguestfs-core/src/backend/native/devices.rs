//! The native backend's block devices: drives, their partitions and LVM logical volumes,
//! named and numbered as the Linux kernel inside the libguestfs appliance names them.

use crate::block::{self, Device, Slice};
use crate::drive::Drive;
use crate::error::{Error, Result};
use crate::fs::{self, Probe};
use crate::lvm;
use crate::partition::{self, PartitionEntry, PartitionTable};
use crate::types::makedev;
use guestfs_protocol::device_name::{canonical_name, drive_letters, natural_cmp};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// What a block node is.
pub enum NodeKind {
    /// A whole drive; `index` is its position among the drives (0 = sda).
    Disk {
        table: Option<PartitionTable>,
        sector_size: u32,
    },
    /// A partition of the drive at node `disk`.
    Partition { disk: usize, entry: PartitionEntry },
    /// An LVM logical volume `/dev/VG/LV`.
    LogicalVolume { vg: String, lv: String },
}

/// One block device of the guest.
pub struct Node {
    /// The libguestfs name (`/dev/sda1`, `/dev/VG/LV`).
    pub name: String,
    pub kind: NodeKind,
    /// The readable device, or why it cannot be read natively.
    pub device: std::result::Result<Device, String>,
    /// Its device number as the appliance's kernel would give it.
    pub devno: i64,
    /// Lazily probed content.
    probe: OnceLock<Option<Probe>>,
}

impl Node {
    /// What blkid would say about this device (cached).
    pub fn probe(&self) -> Option<&Probe> {
        self.probe
            .get_or_init(|| match &self.device {
                Ok(dev) => fs::probe(dev.as_ref()),
                Err(_) => None,
            })
            .as_ref()
    }

    /// blkid's TYPE, "" when unknown.
    pub fn vfs_type(&self) -> &str {
        self.probe().map(|p| p.fs_type.as_str()).unwrap_or("")
    }

    pub fn device(&self) -> Result<&Device> {
        self.device
            .as_ref()
            .map_err(|why| Error::new(libc::ENOTSUP, format!("{}: {}", self.name, why)))
    }
}

/// Every block device of the guest.
pub struct Devices {
    pub nodes: Vec<Node>,
    by_name: HashMap<String, usize>,
    pub lvm: lvm::Scan,
}

/// The kernel's (major, minor) for SCSI disk `index`, partition `part` (0 = whole disk).
fn sd_devno(index: usize, part: u32) -> i64 {
    const SD_MAJORS: [u64; 16] = [
        8, 65, 66, 67, 68, 69, 70, 71, 128, 129, 130, 131, 132, 133, 134, 135,
    ];
    let major = SD_MAJORS.get(index / 16).copied().unwrap_or(259);
    if part >= 16 {
        // The kernel gives partitions past 15 dynamic numbers in the block-extended major.
        return makedev(259, (index as u64) * 256 + part as u64);
    }
    makedev(major, ((index % 16) as u64) * 16 + part as u64)
}

impl Devices {
    /// Opens every drive, reads partition tables, and assembles LVM.
    pub fn open(drives: &[Drive], log: &mut dyn FnMut(String)) -> Result<Devices> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut partitions: Vec<Node> = Vec::new();
        for (index, drive) in drives.iter().enumerate() {
            let path = drive.file().ok_or_else(|| {
                Error::new(
                    libc::ENOTSUP,
                    format!(
                        "{}: the native backend only opens local files, not {} drives (use LIBGUESTFS_BACKEND=direct)",
                        drive.path,
                        drive.protocol.name()
                    ),
                )
            })?;
            let format = drive
                .format
                .as_deref()
                .map(block::ImageFormat::parse)
                .transpose()
                .map_err(|e| e.context(&drive.path))?;
            let (dev, format) = block::open_image(path, format)?;
            let name = format!("/dev/sd{}", drive_letters(index));
            log(format!(
                "{}: {} ({} format, {} bytes)",
                name,
                drive.path,
                format.name(),
                dev.size()
            ));
            let table = match partition::read(dev.as_ref(), drive.sector_size() as u64) {
                Ok(t) => t,
                Err(e) => {
                    log(format!(
                        "{}: ignoring unreadable partition table: {}",
                        name, e
                    ));
                    None
                }
            };
            let disk_node = nodes.len();
            if let Some(t) = &table {
                for entry in &t.partitions {
                    let part_dev: Device =
                        Arc::new(Slice::new(dev.clone(), entry.start, entry.device_size));
                    partitions.push(Node {
                        name: format!("{}{}", name, entry.number),
                        kind: NodeKind::Partition {
                            disk: disk_node,
                            entry: entry.clone(),
                        },
                        device: Ok(part_dev),
                        devno: sd_devno(index, entry.number),
                        probe: OnceLock::new(),
                    });
                }
            }
            nodes.push(Node {
                name,
                kind: NodeKind::Disk {
                    table,
                    sector_size: drive.sector_size(),
                },
                device: Ok(dev),
                devno: sd_devno(index, 0),
                probe: OnceLock::new(),
            });
        }
        // Partitions come after all disks; sort them naturally (sda2 before sda10).
        partitions.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        nodes.extend(partitions);

        let candidates: Vec<(String, Device)> = nodes
            .iter()
            .filter(|n| n.vfs_type() == "LVM2_member")
            .filter_map(|n| n.device.as_ref().ok().map(|d| (n.name.clone(), d.clone())))
            .collect();
        let lvm = if candidates.is_empty() {
            lvm::Scan::default()
        } else {
            lvm::scan(&candidates)?
        };
        // Device-mapper minors are handed out as LVs are activated (the LVM reader knows that
        // order, hidden sub-LVs included); LVs it cannot place follow.
        let mut next_minor = lvm
            .vgs
            .iter()
            .flat_map(|vg| vg.lvs.iter())
            .filter_map(|lv| lv.kernel_minor)
            .max()
            .map_or(0, |m| u64::from(m) + 1);
        for vg in &lvm.vgs {
            for lv in &vg.lvs {
                let dm_minor = match lv.kernel_minor {
                    Some(m) => u64::from(m),
                    None => {
                        next_minor += 1;
                        next_minor - 1
                    }
                };
                nodes.push(Node {
                    name: format!("/dev/{}/{}", vg.name, lv.name),
                    kind: NodeKind::LogicalVolume {
                        vg: vg.name.clone(),
                        lv: lv.name.clone(),
                    },
                    device: lv.device.clone(),
                    devno: makedev(253, dm_minor),
                    probe: OnceLock::new(),
                });
            }
        }
        let by_name = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        Ok(Devices {
            nodes,
            by_name,
            lvm,
        })
    }

    /// Finds a device by any name libguestfs accepts for it: `/dev/sda1`, `/dev/vda1`,
    /// `/dev/hda1`, `/dev/VG/LV`, `/dev/mapper/VG-LV`.
    pub fn find(&self, name: &str) -> Option<&Node> {
        let canonical = canonical_name(name);
        self.by_name.get(&canonical).map(|&i| &self.nodes[i])
    }

    /// Like [`find`](Self::find), with the daemon's error for an unknown device.
    pub fn get(&self, name: &str) -> Result<&Node> {
        self.find(name)
            .ok_or_else(|| Error::path(libc::ENOENT, name))
    }

    pub fn disks(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Disk { .. }))
    }

    pub fn partitions(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Partition { .. }))
    }

    pub fn logical_volumes(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::LogicalVolume { .. }))
    }

    /// The partition table of a whole device.
    pub fn table(&self, device: &str) -> Result<Option<&PartitionTable>> {
        let node = self.get(device)?;
        match &node.kind {
            NodeKind::Disk { table, .. } => Ok(table.as_ref()),
            _ => Err(Error::new(
                libc::EINVAL,
                format!("{}: not a whole block device", device),
            )),
        }
    }

    /// Partition `partnum` of a whole device.
    pub fn partition(&self, device: &str, partnum: i32) -> Result<&PartitionEntry> {
        let table = self.table(device)?.ok_or_else(|| no_table(device))?;
        table
            .partitions
            .iter()
            .find(|p| p.number as i32 == partnum)
            .ok_or_else(|| {
                Error::new(
                    libc::EINVAL,
                    format!("{}: partition {} not found", device, partnum),
                )
            })
    }
}

pub fn no_table(device: &str) -> Error {
    Error::new(
        libc::EINVAL,
        format!("parted: {}: unrecognised disk label", device),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scsi_device_numbers() {
        assert_eq!(sd_devno(0, 0), makedev(8, 0));
        assert_eq!(sd_devno(0, 2), makedev(8, 2));
        assert_eq!(sd_devno(1, 1), makedev(8, 17));
        assert_eq!(sd_devno(16, 0), makedev(65, 0));
    }
}
