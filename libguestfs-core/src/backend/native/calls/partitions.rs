//! The partitions calls the native backend answers.

use super::super::*;
use guestfs_protocol::calls as api;

impl api::Partitions for NativeBackend {
    fn list_partitions(&mut self) -> Result<Vec<String>> {
        Ok(self.devices.partitions().map(|n| n.name.clone()).collect())
    }

    fn part_list(&mut self, device: &str) -> Result<Vec<Partition>> {
        let table = self
            .devices
            .table(device)?
            .ok_or_else(|| no_table(device))?;
        Ok(table
            .partitions
            .iter()
            .map(|p| Partition {
                part_num: p.number as i32,
                part_start: p.start as i64,
                part_end: (p.start + p.size) as i64 - 1,
                part_size: p.size as i64,
            })
            .collect())
    }

    fn part_get_parttype(&mut self, device: &str) -> Result<String> {
        let table = self
            .devices
            .table(device)?
            .ok_or_else(|| no_table(device))?;
        Ok(table.table_type.name().to_string())
    }

    fn part_get_mbr_id(&mut self, device: &str, partnum: i32) -> Result<i32> {
        let entry = self.devices.partition(device, partnum)?;
        entry.mbr_id.map(i32::from).ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "part_get_mbr_id can only be used on MBR partition tables",
            )
        })
    }

    fn part_get_gpt_type(&mut self, device: &str, partnum: i32) -> Result<String> {
        let entry = self.devices.partition(device, partnum)?;
        entry.gpt_type.clone().ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "part_get_gpt_type can only be used on GPT partition tables",
            )
        })
    }

    fn part_get_gpt_guid(&mut self, device: &str, partnum: i32) -> Result<String> {
        let entry = self.devices.partition(device, partnum)?;
        entry.gpt_guid.clone().ok_or_else(|| {
            Error::new(
                libc::EINVAL,
                "part_get_gpt_guid can only be used on GPT partition tables",
            )
        })
    }

    fn part_to_dev(&mut self, partition: &str) -> Result<String> {
        let node = self.devices.get(partition)?;
        match &node.kind {
            NodeKind::Partition { disk, .. } => Ok(self.devices.nodes[*disk].name.clone()),
            _ => Err(Error::new(
                libc::EINVAL,
                format!("device name is not a partition: {}", partition),
            )),
        }
    }

    fn part_to_partnum(&mut self, partition: &str) -> Result<i32> {
        let node = self.devices.get(partition)?;
        match &node.kind {
            NodeKind::Partition { entry, .. } => Ok(entry.number as i32),
            _ => Err(Error::new(
                libc::EINVAL,
                format!("device name is not a partition: {}", partition),
            )),
        }
    }
}
