//! The filesystems calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Filesystems for NativeBackend {
    /// A device, or a btrfs subvolume (`btrfsvol:DEVICE/PATH`, type 1).
    fn internal_parse_mountable(&mut self, mountable: &str) -> Result<InternalMountable> {
        if let Some((device, volume)) = split_btrfsvol(&self.devices, mountable) {
            return Ok(InternalMountable {
                im_type: 1,
                im_device: self.devices.get(device)?.name.clone(),
                im_volume: volume.to_string(),
            });
        }
        Ok(InternalMountable {
            im_type: 0,
            im_device: self.devices.get(mountable)?.name.clone(),
            im_volume: String::new(),
        })
    }

    fn list_filesystems(&mut self) -> Result<Vec<(String, String)>> {
        let mut candidates = Vec::new();
        for node in &self.devices.nodes {
            match &node.kind {
                NodeKind::Disk { table: Some(_), .. } => continue,
                NodeKind::Disk { table: None, .. }
                | NodeKind::LogicalVolume { .. }
                | NodeKind::Mapper { .. }
                | NodeKind::Md { .. } => {}
                NodeKind::Partition { entry, .. } => {
                    if entry.is_extended
                        || entry.mbr_id.is_some_and(|id| MBR_EXTENDED.contains(&id))
                    {
                        continue;
                    }
                    if entry
                        .gpt_type
                        .as_deref()
                        .is_some_and(|t| GPT_NOT_FILESYSTEMS.contains(&t))
                    {
                        continue;
                    }
                }
            }
            candidates.push(node);
        }
        // Order (1.48's listfs.ml): whole devices, decrypted devices sorted by name,
        // partitions, then LVs sorted by name.
        let mut out = Vec::new();
        let mut mappers = Vec::new();
        let mut lvs = Vec::new();
        for node in candidates {
            let t = node.vfs_type();
            if t.ends_with("_member") || t == "crypto_LUKS" || t == "BitLocker" {
                continue;
            }
            let t = if t.is_empty() {
                "unknown".to_string()
            } else {
                t.to_string()
            };
            match node.kind {
                NodeKind::LogicalVolume { .. } => lvs.push((node.name.clone(), t)),
                NodeKind::Mapper { .. } => mappers.push((node.name.clone(), t)),
                _ => out.push((node.name.clone(), t)),
            }
        }
        mappers.sort();
        let disks = out.iter().take_while(|(name, _)| {
            self.devices
                .find(name)
                .is_some_and(|n| matches!(n.kind, NodeKind::Disk { .. }))
        });
        let at = disks.count();
        out.splice(at..at, mappers);
        lvs.sort();
        out.extend(lvs);
        // A btrfs device stands for its default subvolume; 1.48 lists every other subvolume
        // after it, as `btrfs subvolume list` names them on a mount of the device.
        let mut with_subvolumes = Vec::with_capacity(out.len());
        for (name, t) in out {
            let subvolumes = if t == "btrfs" {
                self.btrfs_subvolumes_of(&name)?
            } else {
                Vec::new()
            };
            with_subvolumes.push((name.clone(), t));
            for path in subvolumes {
                with_subvolumes.push((format!("btrfsvol:{}/{}", name, path), "btrfs".into()));
            }
        }
        Ok(with_subvolumes)
    }

    fn vfs_type(&mut self, mountable: &str) -> Result<String> {
        Ok(self.mountable_node(mountable)?.vfs_type().to_string())
    }

    fn vfs_label(&mut self, mountable: &str) -> Result<String> {
        Ok(self
            .mountable_node(mountable)?
            .probe()
            .map(|p| p.label.clone())
            .unwrap_or_default())
    }

    fn vfs_uuid(&mut self, mountable: &str) -> Result<String> {
        Ok(self
            .mountable_node(mountable)?
            .probe()
            .map(|p| p.uuid.clone())
            .unwrap_or_default())
    }

    /// The native backend never writes: a plain mount is a read-only one, and writing calls
    /// are refused.
    fn mount(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        self.mount_fs("mount", "", None, mountable, mountpoint)
    }

    fn mount_ro(&mut self, mountable: &str, mountpoint: &str) -> Result<()> {
        self.mount_fs("mount_ro", "ro", None, mountable, mountpoint)
    }

    fn mount_options(&mut self, options: &str, mountable: &str, mountpoint: &str) -> Result<()> {
        self.mount_fs("mount_options", options, None, mountable, mountpoint)
    }

    fn mount_vfs(
        &mut self,
        options: &str,
        vfstype: &str,
        mountable: &str,
        mountpoint: &str,
    ) -> Result<()> {
        self.mount_fs("mount_vfs", options, Some(vfstype), mountable, mountpoint)
    }

    fn umount(&mut self, pathordevice: &str, _opts: &UmountOpts) -> Result<()> {
        let canonical = canonical_name(pathordevice);
        let idx = self
            .mounts
            .mounts()
            .iter()
            .rposition(|m| m.mountpoint == pathordevice || m.device == canonical)
            .ok_or_else(|| {
                Error::new(
                    libc::EINVAL,
                    format!("umount: {}: not mounted.", pathordevice),
                )
            })?;
        let mp = self.mounts.mounts()[idx].mountpoint.clone();
        let prefix = if mp == "/" {
            "/".to_string()
        } else {
            format!("{}/", mp)
        };
        if self
            .mounts
            .mounts()
            .iter()
            .skip(idx + 1)
            .any(|m| m.mountpoint.starts_with(&prefix))
        {
            return Err(Error::new(
                libc::EBUSY,
                format!("umount: /sysroot{}: target is busy.", sysroot_suffix(&mp)),
            ));
        }
        self.mounts.remove(idx);
        Ok(())
    }

    fn umount_all(&mut self) -> Result<()> {
        self.mounts.clear();
        Ok(())
    }

    fn mounts(&mut self) -> Result<Vec<String>> {
        Ok(self
            .mounts
            .mounts()
            .iter()
            .map(|m| m.device.clone())
            .collect())
    }

    fn mountpoints(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self
            .mounts
            .mounts()
            .iter()
            .map(|m| (m.device.clone(), m.mountpoint.clone()))
            .collect())
    }

    fn findfs_uuid(&mut self, uuid: &str) -> Result<String> {
        self.findfs(|p| p.uuid == uuid, "UUID", uuid)
    }

    fn findfs_label(&mut self, label: &str) -> Result<String> {
        self.findfs(|p| p.label == label, "LABEL", label)
    }

    fn statvfs(&mut self, path: &str) -> Result<StatVfs> {
        let loc = self
            .mounts
            .resolve(path, true)
            .map_err(|e| prefix_path(e, path))?;
        self.mounts.statvfs(&loc)
    }
}

impl NativeBackend {
    /// The device of a mountable (a btrfs subvolume's is its filesystem's device).
    pub(crate) fn mountable_node(&self, mountable: &str) -> Result<&devices::Node> {
        match split_btrfsvol(&self.devices, mountable) {
            Some((device, _)) => self.devices.get(device),
            None => self.devices.get(mountable),
        }
    }

    /// The paths of the subvolumes of the btrfs on `device` but its default one, for
    /// `list_filesystems` (none when the native reader does not open it: `auto` gives such
    /// filesystems to the appliance). A listing that fails fails the call, as in 1.48.
    fn btrfs_subvolumes_of(&self, device: &str) -> Result<Vec<String>> {
        let Some(dev) = self.devices.find(device).and_then(|n| n.device().ok()) else {
            return Ok(Vec::new());
        };
        let Ok(fs) = crate::fs::btrfs::BtrfsFs::open(dev.clone()) else {
            return Ok(Vec::new());
        };
        let default = fs.mounted_subvolume();
        Ok(fs
            .subvolumes(default)?
            .into_iter()
            .filter(|v| v.id != default)
            .map(|v| guestfs_protocol::lossless::string_from(v.path))
            .collect())
    }
}
