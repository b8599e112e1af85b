//! The native backend's block devices: drives, their partitions, LVM logical volumes and the
//! decrypted devices that `cryptsetup_open` adds, named and numbered as the Linux kernel
//! inside the libguestfs appliance names them.

use crate::block::{self, md, Device, Slice};
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
    /// A decrypted device `/dev/mapper/NAME` of the encrypted device `source`.
    Mapper { source: String, sector_size: u32 },
    /// An md array `/dev/mdN`: `array` indexes [`Devices::md`].
    Md { array: usize },
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
    /// The md arrays, in the order of their nodes.
    pub md: Vec<md::Array>,
    /// Members whose md superblock is unreadable, and why.
    pub md_bad_members: Vec<(String, String)>,
    /// The device-mapper minor the next LV or decrypted device gets.
    next_dm_minor: u64,
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

        let mut devices = Devices {
            nodes,
            by_name: HashMap::new(),
            lvm: lvm::Scan::default(),
            md: Vec::new(),
            md_bad_members: Vec::new(),
            next_dm_minor: 0,
        };
        devices.scan_md(log);
        devices.scan_lvm()?;
        Ok(devices)
    }

    /// Assembles LVM from every physical volume among the devices (again, after a decrypted
    /// device revealed one) and makes a node for each logical volume. LVs already known keep
    /// their device numbers.
    fn scan_lvm(&mut self) -> Result<()> {
        let candidates: Vec<(String, Device)> = self
            .nodes
            .iter()
            .filter(|n| !matches!(n.kind, NodeKind::LogicalVolume { .. }))
            .filter(|n| n.vfs_type() == "LVM2_member")
            .filter_map(|n| n.device.as_ref().ok().map(|d| (n.name.clone(), d.clone())))
            .collect();
        let lvm = if candidates.is_empty() {
            lvm::Scan::default()
        } else {
            lvm::scan(&candidates)?
        };
        let known: HashMap<String, i64> = self
            .logical_volumes()
            .map(|n| (n.name.clone(), n.devno))
            .collect();
        let first_scan = known.is_empty() && self.next_dm_minor == 0;
        if first_scan {
            // At launch, device-mapper minors are handed out as LVs are activated (the LVM
            // reader knows that order, hidden sub-LVs included); LVs it cannot place follow.
            self.next_dm_minor = lvm
                .vgs
                .iter()
                .flat_map(|vg| vg.lvs.iter())
                .filter_map(|lv| lv.kernel_minor)
                .max()
                .map_or(0, |m| u64::from(m) + 1);
        }
        self.nodes
            .retain(|n| !matches!(n.kind, NodeKind::LogicalVolume { .. }));
        for vg in &lvm.vgs {
            for lv in &vg.lvs {
                let name = format!("/dev/{}/{}", vg.name, lv.name);
                let devno = match (known.get(&name), lv.kernel_minor) {
                    (Some(&devno), _) => devno,
                    (None, Some(m)) if first_scan => makedev(253, u64::from(m)),
                    _ => makedev(253, self.take_dm_minor()),
                };
                self.nodes.push(Node {
                    name,
                    kind: NodeKind::LogicalVolume {
                        vg: vg.name.clone(),
                        lv: lv.name.clone(),
                    },
                    device: lv.device.clone(),
                    devno,
                    probe: OnceLock::new(),
                });
            }
        }
        self.lvm = lvm;
        self.index();
        Ok(())
    }

    /// Assembles the md arrays whose members are among the disks and partitions, as the
    /// appliance's `mdadm --assemble --scan` does, and makes a node `/dev/mdN` for each.
    fn scan_md(&mut self, log: &mut dyn FnMut(String)) {
        // The kernel's listing order (/proc/partitions): each disk, then its partitions.
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        let disk_of = |i: usize| match &self.nodes[i].kind {
            NodeKind::Partition { disk, entry } => (*disk, entry.number),
            _ => (i, 0),
        };
        order.sort_by_key(|&i| disk_of(i));
        let candidates: Vec<(String, Device)> = order
            .iter()
            .map(|&i| &self.nodes[i])
            .filter(|n| n.vfs_type() == "linux_raid_member")
            .filter_map(|n| n.device.as_ref().ok().map(|d| (n.name.clone(), d.clone())))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let scan = md::scan(&candidates);
        for (name, why) in &scan.bad_members {
            log(format!("{}: md superblock not used: {}", name, why));
        }
        self.md_bad_members = scan.bad_members;
        let minors = md_minors(&scan.arrays, &candidates);
        let mut md_nodes = Vec::new();
        for (i, array) in scan.arrays.iter().enumerate() {
            let minor = minors[i];
            let name = format!("/dev/md{}", minor);
            if !array.active {
                log(format!(
                    "{}: inactive {} array of {} ({} of {} members missing; the appliance does not start it either)",
                    name,
                    array.level_name(),
                    array.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(","),
                    array.missing(),
                    array.superblock.raid_disks
                ));
                continue;
            }
            log(format!(
                "{}: {} {} array of {} ({} missing){}",
                name,
                array.level_name(),
                array.metadata().name(),
                array
                    .members
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                array.missing(),
                match &array.device {
                    Ok(_) => String::new(),
                    Err(why) => format!(", not read natively: {}", why),
                }
            ));
            md_nodes.push(Node {
                name,
                kind: NodeKind::Md { array: i },
                device: array.device.clone(),
                devno: makedev(9, minor),
                probe: OnceLock::new(),
            });
        }
        md_nodes.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        self.nodes.extend(md_nodes);
        self.md = scan.arrays;
        self.index();
    }

    /// The md arrays' nodes, in natural name order.
    pub fn md_nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Md { .. }))
    }

    fn take_dm_minor(&mut self) -> u64 {
        self.next_dm_minor += 1;
        self.next_dm_minor - 1
    }

    fn index(&mut self) {
        self.by_name = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
    }

    /// Adds the decrypted device `/dev/mapper/NAME` of the encrypted device `source`, and the
    /// logical volumes of a volume group it holds.
    pub fn add_mapper(
        &mut self,
        mapname: &str,
        source: &str,
        device: Device,
        sector_size: u32,
    ) -> Result<()> {
        let minor = self.take_dm_minor();
        self.nodes.push(Node {
            name: format!("/dev/mapper/{}", mapname),
            kind: NodeKind::Mapper {
                source: source.to_string(),
                sector_size,
            },
            device: Ok(device),
            devno: makedev(253, minor),
            probe: OnceLock::new(),
        });
        self.index();
        let holds_pv = self
            .nodes
            .last()
            .is_some_and(|n| n.vfs_type() == "LVM2_member");
        if holds_pv {
            if let Err(e) = self.scan_lvm() {
                self.nodes.pop();
                self.index();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Removes the decrypted device `name` (`/dev/mapper/NAME`).
    pub fn remove_mapper(&mut self, name: &str) {
        self.nodes.retain(|n| n.name != name);
        self.index();
    }

    /// The decrypted devices, sorted by name as `ls /dev/mapper` sorts them.
    pub fn mappers(&self) -> Vec<&Node> {
        let mut m: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Mapper { .. }))
            .collect();
        m.sort_by(|a, b| a.name.cmp(&b.name));
        m
    }

    /// Finds a device by any name libguestfs accepts for it: `/dev/sda1`, `/dev/vda1`,
    /// `/dev/hda1`, `/dev/VG/LV`, `/dev/mapper/VG-LV`, `/dev/mapper/NAME`.
    pub fn find(&self, name: &str) -> Option<&Node> {
        // A decrypted device's own name first: `/dev/mapper/luks-UUID` is no `/dev/VG/LV`.
        let i = match self.by_name.get(name) {
            Some(&i) => i,
            None => *self.by_name.get(&canonical_name(name))?,
        };
        Some(&self.nodes[i])
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

/// The md numbers the appliance's `mdadm --assemble --scan` gives the arrays, active or
/// not (1.48's init runs it with `--no-degraded`, then `--run`). mdadm walks /proc/partitions
/// backwards and assembles an array when it meets its first member (1.1 arrays after the
/// others, but see below); a 0.90 array takes its preferred minor when free, others the
/// highest free number from 127 down.
fn md_minors(arrays: &[md::Array], candidates: &[(String, Device)]) -> Vec<u64> {
    let position = |a: &md::Array| {
        a.members
            .iter()
            .filter_map(|m| candidates.iter().position(|(n, _)| *n == m.name))
            .max()
            .unwrap_or(0)
    };
    let first = arrays.iter().map(position).max();
    let mut order: Vec<usize> = (0..arrays.len()).collect();
    order.sort_by_key(|&i| {
        let a = &arrays[i];
        // Arrays with 1.1 superblocks (at the start of their members) come last, unless one
        // holds the very first member mdadm meets: seen in the appliance's mdadm, active or
        // not.
        let deferred = a.metadata() == md::superblock::Metadata::V1_1 && Some(position(a)) != first;
        (deferred, std::cmp::Reverse(position(a)))
    });
    let mut minors = vec![0u64; arrays.len()];
    let mut used: Vec<u64> = Vec::new();
    for i in order {
        let sb = &arrays[i].superblock;
        let preferred = u64::from(sb.preferred_minor);
        let minor = if sb.metadata == md::superblock::Metadata::V0_90
            && preferred < 256
            && !used.contains(&preferred)
        {
            preferred
        } else {
            (0..=127u64).rev().find(|m| !used.contains(m)).unwrap_or(0)
        };
        used.push(minor);
        minors[i] = minor;
    }
    minors
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
