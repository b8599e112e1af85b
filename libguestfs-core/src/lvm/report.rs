//! The rows of libguestfs's `pvs_full`, `vgs_full` and `lvs_full`, which libguestfs fills from
//! `lvm pvs/vgs/lvs --units b` in the appliance (after `vgchange -ay`): sizes in bytes, UUIDs
//! as 32 characters without dashes, attribute strings as LVM prints them.

use super::label::PvLabel;
use super::volume::{LvMetadata, PvMetadata, Segment, VgMetadata};
use crate::types::{LvmLv, LvmPv, LvmVg};
use std::collections::{HashMap, HashSet};

/// How a (usually hidden) LV is used by the segments of others.
#[derive(Default)]
struct Roles {
    raid_metadata: bool,
    raid_image: bool,
    mirror_image: bool,
    mirror_log: bool,
    pool_metadata: bool,
    pool_data: bool,
}

/// Facts about a VG gathered from all its segments.
pub(super) struct Usage<'a> {
    /// Extents allocated on each PV, by its key (`pv0`).
    alloc: HashMap<&'a str, u64>,
    /// Snapshot exception-store LV → (origin, merging).
    cows: HashMap<&'a str, (&'a str, bool)>,
    /// Origin LV → a snapshot of it is being merged.
    origins: HashMap<&'a str, bool>,
    roles: HashMap<&'a str, Roles>,
    /// Thin pools that zero new blocks.
    zeroing_pools: HashSet<&'a str>,
}

fn pairs(seg: &Segment, key: &str) -> Vec<(String, u64)> {
    let list = seg.section.list(key).unwrap_or_default();
    list.chunks(2)
        .filter_map(|p| match p {
            [super::metadata::Value::String(n), super::metadata::Value::Int(e)] => {
                Some((n.clone(), *e as u64))
            }
            _ => None,
        })
        .collect()
}

impl<'a> Usage<'a> {
    pub(super) fn of(vg: &'a VgMetadata) -> Usage<'a> {
        let mut u = Usage {
            alloc: HashMap::new(),
            cows: HashMap::new(),
            origins: HashMap::new(),
            roles: HashMap::new(),
            zeroing_pools: HashSet::new(),
        };
        let pv_keys: HashSet<&str> = vg.pvs.iter().map(|p| p.key.as_str()).collect();
        for lv in &vg.lvs {
            for seg in &lv.segments {
                let s = &seg.section;
                // PV extents: a stripe holds extent_count / stripes; a mirror leg all of them.
                let stripes = pairs(seg, "stripes");
                let per_stripe = seg.extent_count / (stripes.len().max(1) as u64);
                for (name, _) in &stripes {
                    if let Some(k) = pv_keys.get(name.as_str()) {
                        let a = u.alloc.entry(k).or_default();
                        *a = a.saturating_add(per_stripe);
                    }
                }
                for (name, _) in pairs(seg, "mirrors") {
                    if let Some(k) = pv_keys.get(name.as_str()) {
                        let a = u.alloc.entry(k).or_default();
                        *a = a.saturating_add(seg.extent_count);
                    } else if let Some(l) = vg.lv_index(&name).and_then(|i| vg.lvs.get(i)) {
                        u.roles.entry(&l.name).or_default().mirror_image = true;
                    }
                }
                for (i, name) in s.string_list("raids").into_iter().enumerate() {
                    let r = u.roles.entry(name).or_default();
                    if i % 2 == 0 {
                        r.raid_metadata = true;
                    } else {
                        r.raid_image = true;
                    }
                }
                if let Some(log) = s.string("mirror_log") {
                    u.roles.entry(log).or_default().mirror_log = true;
                }
                if matches!(seg.seg_type.as_str(), "thin-pool" | "cache-pool" | "cache") {
                    if let Some(m) = s.string("metadata") {
                        u.roles.entry(m).or_default().pool_metadata = true;
                    }
                    if let Some(p) = s.string("pool") {
                        u.roles.entry(p).or_default().pool_data = true;
                    }
                }
                if seg.seg_type == "thin-pool" && s.int("zero_new_blocks").unwrap_or(0) != 0 {
                    u.zeroing_pools.insert(&lv.name);
                }
                if seg.seg_type == "snapshot" {
                    let merging = s.string("merging_store").is_some();
                    if let (Some(origin), Some(cow)) = (
                        s.string("origin"),
                        s.string("cow_store").or(s.string("merging_store")),
                    ) {
                        u.cows.insert(cow, (origin, merging));
                        let m = u.origins.entry(origin).or_default();
                        *m |= merging;
                    }
                }
            }
        }
        u
    }

    fn allocated(&self, pv: &PvMetadata) -> u64 {
        self.alloc.get(pv.key.as_str()).copied().unwrap_or(0)
    }

    fn vg_allocated(&self) -> u64 {
        self.alloc.values().fold(0u64, |a, &b| a.saturating_add(b))
    }
}

fn join_tags(tags: &[String]) -> String {
    tags.join(",")
}

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn vg_extents(vg: &VgMetadata) -> u64 {
    vg.pvs
        .iter()
        .fold(0u64, |a, p| a.saturating_add(p.pe_count))
}

/// `pv_attr`: (a)llocatable or (u)sed, e(x)ported, (m)issing.
fn pv_attr(allocatable: bool, used: bool, exported: bool, missing: bool) -> String {
    let mut a = String::with_capacity(3);
    a.push(if allocatable {
        'a'
    } else if used {
        'u'
    } else {
        '-'
    });
    a.push(if exported { 'x' } else { '-' });
    a.push(if missing { 'm' } else { '-' });
    a
}

/// A PV that belongs to no VG found.
pub(super) fn orphan_pv(
    name: &str,
    dev_size: u64,
    label: &PvLabel,
    mda_count: usize,
    mda_free: u64,
) -> LvmPv {
    LvmPv {
        pv_name: name.to_owned(),
        pv_uuid: label.pv_uuid.clone(),
        pv_fmt: "lvm2".into(),
        pv_size: as_i64(dev_size),
        dev_size: as_i64(dev_size),
        pv_free: as_i64(dev_size),
        pv_used: 0,
        pv_attr: pv_attr(
            false,
            label.ext_flags & super::label::PV_EXT_USED != 0,
            false,
            false,
        ),
        pv_pe_count: 0,
        pv_pe_alloc_count: 0,
        pv_tags: String::new(),
        pe_start: as_i64(label.data_areas.first().map_or(0, |d| d.offset)),
        pv_mda_count: mda_count as i64,
        pv_mda_free: as_i64(mda_free),
    }
}

/// A PV of a VG. `holder`: (device name, device size, metadata areas, their free space), None
/// when the PV's device was not found.
pub(super) fn vg_pv_row(
    vg: &VgMetadata,
    pv: &PvMetadata,
    usage: &Usage,
    holder: Option<(&str, u64, usize, u64)>,
    missing: bool,
) -> LvmPv {
    let extent = vg.extent_bytes();
    let alloc = usage.allocated(pv);
    let (name, dev_size, mda_count, mda_free) = holder.unwrap_or(("[unknown]", 0, 0, 0));
    LvmPv {
        pv_name: name.to_owned(),
        pv_uuid: pv.id.clone(),
        pv_fmt: "lvm2".into(),
        pv_size: as_i64(pv.pe_count.saturating_mul(extent)),
        dev_size: as_i64(dev_size),
        pv_free: as_i64(pv.pe_count.saturating_sub(alloc).saturating_mul(extent)),
        pv_used: as_i64(alloc.saturating_mul(extent)),
        pv_attr: pv_attr(
            pv.status.iter().any(|s| s == "ALLOCATABLE"),
            false,
            vg.has_status("EXPORTED"),
            missing,
        ),
        pv_pe_count: as_i64(pv.pe_count),
        pv_pe_alloc_count: as_i64(alloc),
        pv_tags: join_tags(&pv.tags),
        pe_start: as_i64(pv.pe_start.saturating_mul(512)),
        pv_mda_count: mda_count as i64,
        pv_mda_free: as_i64(mda_free),
    }
}

fn policy_char(policy: &str) -> char {
    match policy {
        "contiguous" => 'c',
        "cling" | "cling_by_tags" => 'l',
        "normal" => 'n',
        "anywhere" => 'a',
        "inherit" => 'i',
        _ => '-',
    }
}

/// `vg_attr`: (w)riteable, resi(z)eable, e(x)ported, (p)artial, allocation policy,
/// (c)lustered or (s)hared.
fn vg_attr(vg: &VgMetadata, partial: bool) -> String {
    let mut a = String::with_capacity(6);
    a.push(if vg.has_status("WRITE") { 'w' } else { 'r' });
    a.push(if vg.has_status("RESIZEABLE") {
        'z'
    } else {
        '-'
    });
    a.push(if vg.has_status("EXPORTED") { 'x' } else { '-' });
    a.push(if partial { 'p' } else { '-' });
    a.push(policy_char(&vg.allocation_policy));
    a.push(if vg.has_status("CLUSTERED") {
        'c'
    } else if !vg.lock_type.is_empty() && vg.lock_type != "none" {
        's'
    } else {
        '-'
    });
    a
}

pub(super) fn vg_row(
    vg: &VgMetadata,
    usage: &Usage,
    visible_lvs: usize,
    partial: bool,
    mda_count: usize,
    mda_free: u64,
) -> LvmVg {
    let extent = vg.extent_bytes();
    let extents = vg_extents(vg);
    let free = extents.saturating_sub(usage.vg_allocated());
    LvmVg {
        vg_name: vg.name.clone(),
        vg_uuid: vg.id.clone(),
        vg_fmt: "lvm2".into(),
        vg_attr: vg_attr(vg, partial),
        vg_size: as_i64(extents.saturating_mul(extent)),
        vg_free: as_i64(free.saturating_mul(extent)),
        vg_sysid: vg.system_id.clone(),
        vg_extent_size: as_i64(extent),
        vg_extent_count: as_i64(extents),
        vg_free_count: as_i64(free),
        max_lv: vg.max_lv,
        max_pv: vg.max_pv,
        pv_count: vg.pvs.len() as i64,
        lv_count: visible_lvs as i64,
        snap_count: usage.cows.len() as i64,
        vg_seqno: as_i64(vg.seqno),
        vg_tags: join_tags(&vg.tags),
        vg_mda_count: mda_count as i64,
        vg_mda_free: as_i64(mda_free),
    }
}

fn has_type(lv: &LvMetadata, pred: impl Fn(&str) -> bool) -> bool {
    lv.segments.iter().any(|s| pred(&s.seg_type))
}

/// `lv_attr`, the ten characters `lvs` prints.
fn lv_attr(lv: &LvMetadata, usage: &Usage, active: bool, partial: bool) -> String {
    let name = lv.name.as_str();
    let roles = usage.roles.get(name);
    let role = |f: fn(&Roles) -> bool| roles.is_some_and(f);
    let not_synced = lv.has_status("NOTSYNCED") || lv.has_status("LV_NOTSYNCED");
    let raid = has_type(lv, |t| t.starts_with("raid"));
    let mirror = has_type(lv, |t| t == "mirror");
    let thin = has_type(lv, |t| t == "thin");
    let thin_pool = has_type(lv, |t| t == "thin-pool");
    let cache = has_type(lv, |t| matches!(t, "cache" | "cache-pool" | "writecache"));
    let vdo_pool = has_type(lv, |t| t == "vdo-pool");
    let virtual_lv = has_type(lv, |t| matches!(t, "zero" | "error"));
    let origin = usage.origins.get(name);
    let cow = usage.cows.get(name);

    let kind = if lv.has_status("PVMOVE") {
        'p'
    } else if lv.has_status("CONVERTING") {
        'c'
    } else if let Some(&merging) = origin {
        if merging {
            'O'
        } else {
            'o'
        }
    } else if role(|r| r.pool_metadata || r.raid_metadata) || lv.name.ends_with("_pmspare") {
        'e'
    } else if cache {
        'C'
    } else if raid {
        if not_synced {
            'R'
        } else {
            'r'
        }
    } else if mirror {
        if not_synced {
            'M'
        } else {
            'm'
        }
    } else if thin {
        'V'
    } else if virtual_lv {
        'v'
    } else if thin_pool {
        't'
    } else if role(|r| r.pool_data) {
        'T'
    } else if vdo_pool {
        'd'
    } else if role(|r| r.mirror_image || r.raid_image) {
        'i'
    } else if role(|r| r.mirror_log) {
        'l'
    } else if let Some(&(_, merging)) = cow {
        if merging {
            'S'
        } else {
            's'
        }
    } else {
        '-'
    };

    let mut policy = policy_char(&lv.allocation_policy);
    if lv.has_status("LOCKED") {
        policy = policy.to_ascii_uppercase();
    }
    let target = if mirror || role(|r| r.mirror_image || r.mirror_log) {
        'm'
    } else if raid || role(|r| r.raid_image || r.raid_metadata) {
        'r'
    } else if origin.is_some() || cow.is_some() {
        's'
    } else if thin || thin_pool || role(|r| r.pool_data || r.pool_metadata) && !cache {
        't'
    } else if cache {
        'C'
    } else if vdo_pool {
        'd'
    } else if virtual_lv {
        'v'
    } else {
        '-'
    };
    let zeroing = if thin_pool {
        usage.zeroing_pools.contains(name)
    } else if thin {
        lv.segments.iter().any(|s| {
            s.section
                .string("thin_pool")
                .is_some_and(|p| usage.zeroing_pools.contains(p))
        })
    } else {
        false
    };
    let mut a = String::with_capacity(10);
    a.push(kind);
    a.push(if lv.has_status("WRITE") { 'w' } else { 'r' });
    a.push(policy);
    a.push(if lv.has_status("FIXED_MINOR") {
        'm'
    } else {
        '-'
    });
    a.push(if active { 'a' } else { '-' });
    a.push('-'); // not open: nothing is mounted while libguestfs lists
    a.push(target);
    a.push(if zeroing { 'z' } else { '-' });
    a.push(if partial { 'p' } else { '-' });
    a.push(if lv.has_status("ACTIVATION_SKIP") {
        'k'
    } else {
        '-'
    });
    a
}

/// `modules`: the kernel targets the LV needs.
fn modules(lv: &LvMetadata, usage: &Usage) -> String {
    let mut m: Vec<&str> = Vec::new();
    let mut add = |s: &'static str| {
        if !m.contains(&s) {
            m.push(s);
        }
    };
    if usage.origins.contains_key(lv.name.as_str()) || usage.cows.contains_key(lv.name.as_str()) {
        add("snapshot");
    }
    for seg in &lv.segments {
        match seg.seg_type.as_str() {
            "mirror" => add("mirror"),
            t if t.starts_with("raid") => add("raid"),
            "thin" => {
                add("thin");
                add("thin-pool");
            }
            "thin-pool" => add("thin-pool"),
            "cache" | "cache-pool" => add("cache"),
            "writecache" => add("writecache"),
            "vdo" | "vdo-pool" => add("kvdo"),
            "integrity" => add("integrity"),
            "zero" => add("zero"),
            "error" => add("error"),
            _ => {}
        }
    }
    m.join(",")
}

pub(super) fn lv_row(
    vg: &VgMetadata,
    lv: &LvMetadata,
    usage: &Usage,
    visible: &[bool],
    size: u64,
    kernel_minor: Option<u32>,
    partial: bool,
) -> LvmLv {
    let active = kernel_minor.is_some();
    let origin = match usage.cows.get(lv.name.as_str()) {
        Some((o, _)) => (*o).to_owned(),
        None => lv
            .segments
            .iter()
            .find_map(|s| {
                s.section
                    .string("origin")
                    .or(s.section.string("external_origin"))
            })
            .filter(|_| has_type(lv, |t| t == "thin"))
            .unwrap_or("")
            .to_owned(),
    };
    let mirror_log = lv
        .segments
        .iter()
        .find_map(|s| s.section.string("mirror_log"))
        .map(|log| {
            let hidden = vg
                .lv_index(log)
                .and_then(|i| visible.get(i))
                .is_some_and(|v| !v);
            if hidden {
                format!("[{}]", log)
            } else {
                log.to_owned()
            }
        })
        .unwrap_or_default();
    let redundant = has_type(lv, |t| t == "mirror" || t == "raid1");
    LvmLv {
        lv_name: lv.name.clone(),
        lv_uuid: lv.id.clone(),
        lv_attr: lv_attr(lv, usage, active, partial),
        lv_major: -1,
        lv_minor: -1,
        lv_kernel_major: if active { 253 } else { -1 },
        lv_kernel_minor: kernel_minor.map_or(-1, i64::from),
        lv_size: as_i64(size),
        seg_count: lv.segments.len() as i64,
        origin,
        snap_percent: None,
        copy_percent: if redundant && active {
            Some(100.0)
        } else {
            None
        },
        move_pv: String::new(),
        lv_tags: join_tags(&lv.tags),
        mirror_log,
        modules: modules(lv, usage),
    }
}
