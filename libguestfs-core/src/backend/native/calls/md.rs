//! The md calls the native backend answers, worded as mdadm and /proc/mdstat in the
//! appliance word them.

use super::super::*;
use crate::block::md;
use guestfs_protocol::calls as api;

impl NativeBackend {
    fn md_array(&self, name: &str) -> Result<(&devices::Node, &md::Array)> {
        let node = self.devices.get(name)?;
        match node.kind {
            NodeKind::Md { array } => Ok((node, &self.devices.md[array])),
            _ => Err(Error::new(
                libc::EINVAL,
                format!("mdadm: {} does not appear to be an md device", name),
            )),
        }
    }
}

/// The kernel's name of a member (`sda1`).
fn kernel_name(member: &str) -> &str {
    member.strip_prefix("/dev/").unwrap_or(member)
}

impl api::Md for NativeBackend {
    fn list_md_devices(&mut self) -> Result<Vec<String>> {
        Ok(self.devices.md_nodes().map(|n| n.name.clone()).collect())
    }

    /// `mdadm -D --export`, keys lower-cased without `MD_`.
    fn md_detail(&mut self, md: &str) -> Result<Vec<(String, String)>> {
        let (_, array) = self.md_array(md)?;
        let sb = &array.superblock;
        let mut out = vec![
            ("level".to_string(), array.level_name()),
            ("devices".to_string(), sb.raid_disks.to_string()),
            ("metadata".to_string(), array.metadata().name().to_string()),
            ("uuid".to_string(), array.uuid()),
        ];
        if array.metadata() == md::superblock::Metadata::V0_90 {
            out.push(("devname".into(), sb.preferred_minor.to_string()));
        } else {
            let short = sb.name.rsplit(':').next().unwrap_or("");
            out.push(("devname".into(), short.to_string()));
            out.push(("name".into(), sb.name.clone()));
        }
        // mdadm lists the members of a raid1 in role order, those of the other levels in
        // reverse (as seen in the appliance and in 1.48's).
        let mut members: Vec<&md::Member> = array.slots.iter().flatten().collect();
        if sb.level != 1 {
            members.reverse();
        }
        for m in members {
            let k = kernel_name(&m.name).replace(['/', '-'], "_");
            let role = match m.superblock.role {
                md::superblock::Role::Active(r) => r.to_string(),
                _ => "spare".into(),
            };
            out.push((format!("device_dev_{}_role", k), role));
            out.push((format!("device_dev_{}_dev", k), m.name.clone()));
        }
        Ok(out)
    }

    /// The array's members as /proc/mdstat lists them: the last added first. mdadm adds
    /// them in role order, the member whose superblock it chose last.
    fn md_stat(&mut self, md: &str) -> Result<Vec<MdStat>> {
        let (node, array) = self.md_array(md)?;
        let _ = node;
        let chosen = array.members.first().map(|m| m.name.clone());
        let mut order: Vec<&md::Member> = array
            .slots
            .iter()
            .flatten()
            .filter(|m| Some(&m.name) != chosen.as_ref())
            .collect();
        order.extend(array.members.first());
        Ok(order
            .iter()
            .rev()
            .map(|m| MdStat {
                mdstat_device: m.name.clone(),
                mdstat_index: m.superblock.dev_number as i32,
                mdstat_flags: String::new(),
            })
            .collect())
    }
}
