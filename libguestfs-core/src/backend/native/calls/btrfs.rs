//! The btrfs calls the native backend answers: what subvolumes there are and the default
//! one, read from the filesystem rather than from `btrfs` on a mount of it.

use super::super::*;
use crate::fs::btrfs::{BtrfsFs, Selection};
use guestfs_protocol::calls as api;

impl api::Btrfs for NativeBackend {
    fn btrfs_subvolume_list(&mut self, fs: &str) -> Result<Vec<BtrfsSubvolume>> {
        let (btrfs, mounted) = self.btrfs_at(fs)?;
        Ok(btrfs
            .subvolumes(mounted)?
            .into_iter()
            .map(|v| BtrfsSubvolume {
                btrfssubvolume_id: v.id,
                btrfssubvolume_top_level_id: v.top_level,
                btrfssubvolume_path: guestfs_protocol::lossless::string_from(v.path),
            })
            .collect())
    }

    fn btrfs_subvolume_get_default(&mut self, fs: &str) -> Result<i64> {
        let (btrfs, _) = self.btrfs_at(fs)?;
        Ok(btrfs.default_subvolume()? as i64)
    }
}

impl NativeBackend {
    /// The btrfs a `Mountable_or_Path` names, and the subvolume `btrfs` would run in there:
    /// the mounted one for a mountable (1.48 mounts it), the one holding the path for a path.
    fn btrfs_at(&self, arg: &str) -> Result<(BtrfsFs, u64)> {
        let not_btrfs = || Error::new(libc::EINVAL, format!("{}: not a btrfs filesystem", arg));
        if arg.starts_with("/dev/") || arg.starts_with("btrfsvol:") {
            let (device, selection) = match split_btrfsvol(&self.devices, arg) {
                Some((device, volume)) => (
                    device,
                    Selection {
                        path: Some(volume.to_string()),
                        id: None,
                    },
                ),
                None => (arg, Selection::default()),
            };
            let node = self.devices.get(device)?;
            if node.vfs_type() != "btrfs" {
                return Err(not_btrfs());
            }
            let fs = BtrfsFs::open_subvolume(node.device()?.clone(), &selection)?;
            let mounted = fs.mounted_subvolume();
            return Ok((fs, mounted));
        }
        let loc = self
            .mounts
            .resolve(arg, true)
            .map_err(|e| prefix_path(e, arg))?;
        let mount = &self.mounts.mounts()[loc.mount];
        if mount.fs.fs_type() != "btrfs" {
            return Err(not_btrfs());
        }
        let subvolume = mount.fs.device_part(loc.ino).ok_or_else(not_btrfs)?;
        let node = self.devices.get(&mount.device)?;
        let fs = BtrfsFs::open(node.device()?.clone())?;
        Ok((fs, subvolume))
    }
}
