//! Linux software RAID (md): member superblocks ([`superblock`]), assembled into arrays by
//! array UUID and role as `mdadm --assemble --scan --run` does, and read through
//! [`array::ArrayDevice`]. Arrays the reader cannot read exactly as the kernel would are
//! refused with a reason (`auto` then uses the appliance).

pub mod array;
pub mod raid0;
pub mod raid10;
pub mod raid456;
pub mod superblock;

use crate::block::{Device, Slice};
use array::{ArrayDevice, Geometry};
use std::sync::Arc;
use superblock::{Metadata, Role, Superblock};

/// The most members an array may have (the 1.x role table's capacity).
const MAX_MEMBERS: u32 = 1920;

/// One member of an array: the device it was found on and its superblock.
#[derive(Clone)]
pub struct Member {
    /// The node's name (`/dev/sda1`).
    pub name: String,
    pub superblock: Superblock,
}

/// An assembled (or refused) array.
pub struct Array {
    /// The superblock of the most recent member: the array's geometry.
    pub superblock: Superblock,
    /// The members it was assembled from (up to date, not spare or faulty), in scan order.
    pub members: Vec<Member>,
    /// Members in role order (`None`: missing).
    pub slots: Vec<Option<Member>>,
    /// The readable array, or why it is not read natively.
    pub device: Result<Device, String>,
    /// Whether the appliance starts it: 1.48's init assembles with `--no-degraded` first,
    /// which leaves an array missing members it had at its last use inactive (its members
    /// then stay busy, so the later `--run` pass cannot start it either). Inactive arrays
    /// still take an md number.
    pub active: bool,
}

impl Array {
    pub fn uuid(&self) -> String {
        superblock::uuid_string(self.superblock.metadata, &self.superblock.uuid)
    }

    pub fn metadata(&self) -> Metadata {
        self.superblock.metadata
    }

    /// Members missing from their slots.
    pub fn missing(&self) -> usize {
        self.slots.iter().filter(|s| s.is_none()).count()
    }

    /// mdadm's level name (`raid1`).
    pub fn level_name(&self) -> String {
        level_name(self.superblock.level)
    }
}

pub fn level_name(level: i32) -> String {
    match level {
        -1 => "linear".into(),
        -4 => "multipath".into(),
        -5 => "faulty".into(),
        -1000000 => "container".into(),
        l => format!("raid{}", l),
    }
}

/// What a scan found: arrays (assembled or refused) and what the kernel would not start.
#[derive(Default)]
pub struct Scan {
    pub arrays: Vec<Array>,
    /// Members whose superblock is unreadable, and why.
    pub bad_members: Vec<(String, String)>,
}

/// Reads the superblocks of `candidates` (the devices blkid calls `linux_raid_member`, in
/// the order the kernel lists them) and assembles their arrays, active or not.
pub fn scan(candidates: &[(String, Device)]) -> Scan {
    let mut scan = Scan::default();
    // Groups by array UUID, in the order of their first member.
    let mut groups: Vec<Vec<(Member, Device)>> = Vec::new();
    for (name, dev) in candidates {
        let sb = match superblock::read(dev.as_ref()) {
            None => continue,
            Some(Err(why)) => {
                scan.bad_members.push((name.clone(), why));
                continue;
            }
            Some(Ok(sb)) => sb,
        };
        let member = Member {
            name: name.clone(),
            superblock: sb,
        };
        match groups.iter_mut().find(|g| {
            g[0].0.superblock.uuid == member.superblock.uuid
                && g[0].0.superblock.metadata == member.superblock.metadata
        }) {
            Some(g) => g.push((member, dev.clone())),
            None => groups.push(vec![(member, dev.clone())]),
        }
    }
    for group in groups {
        if let Some(a) = assemble(group) {
            scan.arrays.push(a);
        }
    }
    scan
}

/// Assembles one array from the members sharing its UUID (`None` when none is usable).
fn assemble(group: Vec<(Member, Device)>) -> Option<Array> {
    // The most recent superblock rules; members more than one event behind are stale (mdadm).
    let newest = group.iter().map(|(m, _)| m.superblock.events).max()?;
    let best = group
        .iter()
        .find(|(m, _)| m.superblock.events == newest)?
        .0
        .superblock
        .clone();
    let raid_disks = best.raid_disks.min(MAX_MEMBERS);
    let mut slots: Vec<Option<Member>> = vec![None; raid_disks as usize];
    let mut slot_devs: Vec<Option<Device>> = vec![None; raid_disks as usize];
    let mut members = Vec::new();
    let mut refusal: Option<String> = None;
    let mut refuse = |why: String| {
        if refusal.is_none() {
            refusal = Some(why);
        }
    };
    if best.raid_disks == 0 || best.raid_disks > MAX_MEMBERS {
        refuse(format!("{} member slots", best.raid_disks));
    }
    for (m, dev) in &group {
        let sb = &m.superblock;
        if sb.events.saturating_add(1) < newest {
            continue;
        }
        let role = match sb.role {
            Role::Active(r) => r,
            _ => continue,
        };
        if (sb.level, sb.layout, sb.chunk_sectors, sb.raid_disks)
            != (best.level, best.layout, best.chunk_sectors, best.raid_disks)
        {
            refuse(format!("{}: superblock disagrees with the array's", m.name));
            continue;
        }
        let Some(slot) = slots.get_mut(role as usize) else {
            continue;
        };
        if let Some(other) = slot {
            refuse(format!(
                "{} and {} both claim slot {}",
                other.name, m.name, role
            ));
            continue;
        }
        *slot = Some(m.clone());
        let data: Device = Arc::new(Slice::new(
            dev.clone(),
            sb.data_offset.saturating_mul(512),
            sb.data_sectors.saturating_mul(512),
        ));
        slot_devs[role as usize] = Some(data);
        members.push(m.clone());
    }
    let present = slot_devs.iter().flatten().count() as u64;
    let n = u64::from(raid_disks);
    let missing = n - present;
    // Whether the kernel would start the array with what is present.
    let runnable = match best.level {
        0 => missing == 0,
        1 => present > 0,
        // A dirty degraded array could hold stale parity: the kernel refuses to start it.
        4 | 5 => missing == 0 || (missing == 1 && best.clean),
        6 => missing == 0 || (missing <= 2 && best.clean),
        10 => raid10_enough(&best, &slot_devs),
        _ => present > 0,
    };
    if members.is_empty() {
        return None;
    }
    let active = runnable && present >= u64::from(best.recorded_active);
    let device = match refusal {
        Some(why) => Err(why),
        None => build(&best, &slots, slot_devs),
    };
    Some(Array {
        superblock: best,
        members,
        slots,
        device,
        active,
    })
}

/// Whether every raid10 chunk has a copy on a present member.
fn raid10_enough(sb: &Superblock, slots: &[Option<Device>]) -> bool {
    let Some(g) = raid10::Geometry::new(sb.layout, slots.len() as u64, u64::MAX / 4) else {
        return slots.iter().any(|s| s.is_some());
    };
    // The copies pattern repeats every `raid_disks` chunks (times the far sets).
    (0..(g.raid_disks * 2)).all(|c| {
        g.copies(c)
            .iter()
            .any(|&(s, _)| slots.get(s).is_some_and(|d| d.is_some()))
    })
}

/// The array device for a geometry the reader supports, or why not.
fn build(
    sb: &Superblock,
    members: &[Option<Member>],
    slots: Vec<Option<Device>>,
) -> Result<Device, String> {
    const UNSUPPORTED_FEATURES: u32 = superblock::FEATURE_RESHAPE_ACTIVE
        | superblock::FEATURE_NEW_OFFSET
        | superblock::FEATURE_REPLACEMENT
        | superblock::FEATURE_JOURNAL
        | superblock::FEATURE_PPL
        | superblock::FEATURE_MULTIPLE_PPLS;
    if sb.feature_map & UNSUPPORTED_FEATURES != 0 {
        return Err(format!(
            "md features {:#x} (reshape, journal, PPL or replacement)",
            sb.feature_map & UNSUPPORTED_FEATURES
        ));
    }
    // The smallest data area of a present member: no member may be asked for more.
    let member_sectors = members
        .iter()
        .flatten()
        .map(|m| m.superblock.data_sectors)
        .min()
        .unwrap_or(0);
    let n = slots.len() as u64;
    let chunk_sectors = sb.chunk_sectors;
    let needs_chunk = sb.level != 1;
    if needs_chunk && (chunk_sectors == 0 || chunk_sectors > member_sectors) {
        return Err(format!(
            "chunk of {} sectors for members of {} sectors",
            chunk_sectors, member_sectors
        ));
    }
    let too_big = |need: u64| {
        format!(
            "the array needs {} sectors of each member, which hold {}",
            need, member_sectors
        )
    };
    let missing = slots.iter().filter(|s| s.is_none()).count();
    let (geometry, size_sectors) = match sb.level {
        1 => {
            if sb.dev_sectors > member_sectors {
                return Err(too_big(sb.dev_sectors));
            }
            (Geometry::Raid1, sb.dev_sectors)
        }
        0 => {
            let rounded: Vec<u64> = members
                .iter()
                .flatten()
                .map(|m| m.superblock.data_sectors / chunk_sectors * chunk_sectors)
                .collect();
            if rounded.windows(2).any(|w| w[0] != w[1]) {
                return Err("raid0 members of unequal sizes (several zones)".into());
            }
            let per = rounded.first().copied().unwrap_or(0);
            (Geometry::Raid0, per.saturating_mul(n))
        }
        10 => {
            let dev_chunks = sb.dev_sectors / chunk_sectors;
            let g = raid10::Geometry::new(sb.layout, n, dev_chunks)
                .ok_or_else(|| format!("raid10 layout {:#x}", sb.layout))?;
            let need = g.stride.saturating_mul(g.far).saturating_mul(chunk_sectors);
            if need > member_sectors || sb.dev_sectors > member_sectors {
                return Err(too_big(need.max(sb.dev_sectors)));
            }
            (
                Geometry::Raid10(g),
                g.array_chunks(dev_chunks).saturating_mul(chunk_sectors),
            )
        }
        4..=6 => {
            let g = raid456::Geometry::new(sb.level, sb.layout, n)
                .ok_or_else(|| format!("raid{} layout {} on {} members", sb.level, sb.layout, n))?;
            if sb.level == 6 && missing > 1 {
                return Err("raid6 with two members missing (P+Q rebuild)".into());
            }
            if sb.level == 6 && missing == 1 && sb.layout >= 8 && sb.layout <= 10 {
                return Err("degraded raid6 in a DDF layout".into());
            }
            let per = sb.dev_sectors / chunk_sectors * chunk_sectors;
            if per > member_sectors {
                return Err(too_big(per));
            }
            (Geometry::Raid456(g), per.saturating_mul(g.data_disks()))
        }
        l => return Err(format!("md level {}", level_name(l))),
    };
    if sb.level == 6 && missing == 1 {
        // A missing data chunk is rebuilt from P; when P's member is the missing one a
        // read never needs it. Q is never needed with one member missing.
    }
    Ok(Arc::new(ArrayDevice {
        geometry,
        chunk: chunk_sectors * 512,
        size: size_sectors.saturating_mul(512),
        slots,
    }))
}

#[cfg(test)]
mod tests;
