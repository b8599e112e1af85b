//! The devices calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Devices for NativeBackend {
    fn list_devices(&mut self) -> Result<Vec<String>> {
        Ok(self.devices.disks().map(|n| n.name.clone()).collect())
    }

    fn blockdev_getsize64(&mut self, device: &str) -> Result<i64> {
        let node = self.devices.get(device)?;
        Ok(node.device()?.size() as i64)
    }

    fn blockdev_getss(&mut self, device: &str) -> Result<i32> {
        let node = self.devices.get(device)?;
        let disk = match &node.kind {
            NodeKind::Partition { disk, .. } => &self.devices.nodes[*disk],
            _ => node,
        };
        Ok(match &disk.kind {
            NodeKind::Disk { sector_size, .. } | NodeKind::Mapper { sector_size, .. } => {
                *sector_size as i32
            }
            _ => 512,
        })
    }

    fn pread_device(&mut self, device: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let (count, offset) = crate::protocol::pread_args(count, offset)?;
        let dev = self.devices.get(device)?.device()?.clone();
        let end = offset.saturating_add(count).min(dev.size());
        let mut out = Vec::new();
        copy_device(dev.as_ref(), offset, end.saturating_sub(offset), &mut out)?;
        Ok(out)
    }
}
