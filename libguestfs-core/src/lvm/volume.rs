//! A volume group as its text metadata describes it (physical volumes, logical volumes and their
//! segments), and logical volumes turned into block devices: `striped` (linear is one stripe),
//! `mirror` and `raid1` (the first readable leg), `zero` and `error`.

use super::label::undash_uuid;
use super::metadata::{Section, Value};
use crate::block::{check_range, BlockDevice, Device, Slice, Zero};
use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::Arc;

/// Most stripes (or mirror legs, or raid images) in one segment; LVM's own limit is 128 stripes.
pub const MAX_AREAS: usize = 256;

/// Deepest stacking of logical volumes on logical volumes (a raid1 on its images is 1).
pub const MAX_STACK_DEPTH: usize = 8;

/// Longest VG or LV name (`NAME_LEN` - 1).
pub const MAX_NAME_LEN: usize = 127;

/// A PV as listed in the VG metadata (`physical_volumes { pv0 { … } }`).
#[derive(Debug, Clone, PartialEq)]
pub struct PvMetadata {
    /// The section name the segments refer to (`pv0`).
    pub key: String,
    /// The PV UUID, 32 characters without dashes.
    pub id: String,
    pub status: Vec<String>,
    pub flags: Vec<String>,
    pub tags: Vec<String>,
    /// `dev_size`, in sectors (0 when absent).
    pub dev_size: u64,
    /// `pe_start`, in sectors.
    pub pe_start: u64,
    pub pe_count: u64,
}

/// One segment of an LV: `extent_count` extents from `start_extent`, of a type.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start_extent: u64,
    pub extent_count: u64,
    /// `type` (`striped`, `mirror`, `raid1`, `thin`, …).
    pub seg_type: String,
    /// The segment's section, for the type-specific settings.
    pub section: Section,
}

/// An LV as listed in the VG metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LvMetadata {
    pub name: String,
    /// The LV UUID, 32 characters without dashes.
    pub id: String,
    pub status: Vec<String>,
    pub flags: Vec<String>,
    pub tags: Vec<String>,
    /// `allocation_policy` (default "inherit").
    pub allocation_policy: String,
    /// Segments in extent order.
    pub segments: Vec<Segment>,
    /// Why the segments are unusable (gaps, overlaps, count mismatch), if they are.
    pub problem: Option<String>,
}

impl LvMetadata {
    /// Total extents (the segments are checked to be contiguous from 0).
    pub fn extent_count(&self) -> u64 {
        self.segments
            .iter()
            .fold(0u64, |a, s| a.saturating_add(s.extent_count))
    }

    pub fn has_status(&self, flag: &str) -> bool {
        self.status.iter().any(|s| s == flag) || self.flags.iter().any(|s| s == flag)
    }
}

/// A volume group's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct VgMetadata {
    pub name: String,
    /// The VG UUID, 32 characters without dashes.
    pub id: String,
    pub seqno: u64,
    pub status: Vec<String>,
    pub flags: Vec<String>,
    pub tags: Vec<String>,
    /// `extent_size`, in sectors.
    pub extent_size: u64,
    pub max_lv: i64,
    pub max_pv: i64,
    /// `allocation_policy` (default "normal").
    pub allocation_policy: String,
    pub system_id: String,
    pub lock_type: String,
    pub pvs: Vec<PvMetadata>,
    pub lvs: Vec<LvMetadata>,
    /// LV name → index in `lvs`.
    lv_by_name: HashMap<String, usize>,
}

impl VgMetadata {
    pub fn extent_bytes(&self) -> u64 {
        self.extent_size * 512
    }

    pub fn has_status(&self, flag: &str) -> bool {
        self.status.iter().any(|s| s == flag) || self.flags.iter().any(|s| s == flag)
    }

    pub fn lv_index(&self, name: &str) -> Option<usize> {
        self.lv_by_name.get(name).copied()
    }

    /// For each LV, whether LVM lists it without `-a`: the internal `snapshotN` volume of an
    /// old-style snapshot is not listed; its exception store is listed when its origin is (and
    /// no merge is under way), whatever its own VISIBLE flag; the others when marked VISIBLE.
    pub fn visibility(&self) -> Vec<bool> {
        let flagged = |lv: &LvMetadata| lv.status.iter().any(|s| s == "VISIBLE");
        let mut visible: Vec<bool> = self
            .lvs
            .iter()
            .map(|lv| flagged(lv) && !lv.segments.iter().any(|s| s.seg_type == "snapshot"))
            .collect();
        for seg in self
            .lvs
            .iter()
            .flat_map(|l| &l.segments)
            .filter(|s| s.seg_type == "snapshot")
        {
            let origin_visible = seg
                .section
                .string("origin")
                .and_then(|o| self.lv_index(o))
                .and_then(|i| self.lvs.get(i))
                .is_some_and(flagged);
            if let Some(i) = seg
                .section
                .string("cow_store")
                .and_then(|c| self.lv_index(c))
            {
                if let Some(v) = visible.get_mut(i) {
                    *v = origin_visible;
                }
            }
            if let Some(i) = seg
                .section
                .string("merging_store")
                .and_then(|c| self.lv_index(c))
            {
                if let Some(v) = visible.get_mut(i) {
                    *v = false;
                }
            }
        }
        visible
    }
}

/// Whether `name` is a valid LVM VG or LV name: 1 to 127 of `[A-Za-z0-9+_.-]`, not starting with
/// `-`, not `.` or `..`. (It then is safe as a path component in `/dev/VG/LV`.)
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'_' | b'.' | b'-'))
}

fn corrupt(vg: &str, what: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("LVM metadata of volume group {}: {}", vg, what))
}

fn strings(s: &Section, key: &str) -> Vec<String> {
    s.string_list(key).into_iter().map(str::to_owned).collect()
}

/// A non-negative integer setting no larger than `max`.
fn uint(s: &Section, key: &str, max: u64) -> Option<u64> {
    s.int(key)
        .and_then(|i| u64::try_from(i).ok())
        .filter(|&v| v <= max)
}

fn uuid(s: &Section, vg: &str, what: &str) -> Result<String> {
    s.string("id")
        .and_then(undash_uuid)
        .ok_or_else(|| corrupt(vg, format!("{}: missing or invalid id", what)))
}

/// Interprets parsed metadata text (its top level) as a VG.
pub fn vg_from_config(top: &Section) -> Result<VgMetadata> {
    let (name, vgs) = top
        .sections()
        .next()
        .ok_or_else(|| Error::corrupt("LVM metadata: no volume group section"))?;
    if !is_valid_name(name) {
        return Err(Error::corrupt(format!(
            "LVM metadata: invalid volume group name {:?}",
            name
        )));
    }
    let id = uuid(vgs, name, "volume group")?;
    let seqno = uint(vgs, "seqno", u32::MAX.into())
        .ok_or_else(|| corrupt(name, "missing or invalid seqno"))?;
    let extent_size = uint(vgs, "extent_size", u32::MAX.into())
        .filter(|&e| e > 0)
        .ok_or_else(|| corrupt(name, "missing or invalid extent_size"))?;

    let mut pvs: Vec<PvMetadata> = Vec::new();
    let mut pv_keys = HashSet::new();
    let mut pv_ids = HashSet::new();
    let pv_section = vgs
        .section("physical_volumes")
        .ok_or_else(|| corrupt(name, "no physical_volumes section"))?;
    for (key, s) in pv_section.sections() {
        if !pv_keys.insert(key) {
            return Err(corrupt(
                name,
                format!("physical volume {} listed twice", key),
            ));
        }
        let what = format!("physical volume {}", key);
        let pv_id = uuid(s, name, &what)?;
        if !pv_ids.insert(pv_id.clone()) {
            return Err(corrupt(name, format!("{}: UUID listed twice", what)));
        }
        pvs.push(PvMetadata {
            key: key.to_owned(),
            id: pv_id,
            status: strings(s, "status"),
            flags: strings(s, "flags"),
            tags: strings(s, "tags"),
            dev_size: uint(s, "dev_size", u64::MAX / 512).unwrap_or(0),
            pe_start: uint(s, "pe_start", u64::MAX / 512)
                .ok_or_else(|| corrupt(name, format!("{}: missing or invalid pe_start", what)))?,
            pe_count: uint(s, "pe_count", u32::MAX.into())
                .ok_or_else(|| corrupt(name, format!("{}: missing or invalid pe_count", what)))?,
        });
    }

    let mut lvs: Vec<LvMetadata> = Vec::new();
    let mut lv_by_name = HashMap::new();
    if let Some(lv_section) = vgs.section("logical_volumes") {
        for (lv_name, s) in lv_section.sections() {
            if !is_valid_name(lv_name) {
                return Err(corrupt(
                    name,
                    format!("invalid logical volume name {:?}", lv_name),
                ));
            }
            if lv_by_name.insert(lv_name.to_owned(), lvs.len()).is_some() {
                return Err(corrupt(
                    name,
                    format!("logical volume {} listed twice", lv_name),
                ));
            }
            lvs.push(lv_from_config(name, lv_name, s)?);
        }
    }

    Ok(VgMetadata {
        name: name.to_owned(),
        id,
        seqno,
        status: strings(vgs, "status"),
        flags: strings(vgs, "flags"),
        tags: strings(vgs, "tags"),
        extent_size,
        max_lv: vgs.int("max_lv").unwrap_or(0),
        max_pv: vgs.int("max_pv").unwrap_or(0),
        allocation_policy: vgs
            .string("allocation_policy")
            .unwrap_or("normal")
            .to_owned(),
        system_id: vgs.string("system_id").unwrap_or("").to_owned(),
        lock_type: vgs.string("lock_type").unwrap_or("").to_owned(),
        pvs,
        lvs,
        lv_by_name,
    })
}

fn lv_from_config(vg: &str, name: &str, s: &Section) -> Result<LvMetadata> {
    let id = uuid(s, vg, &format!("logical volume {}", name))?;
    let mut segments = Vec::new();
    let mut problem = None;
    for (seg_name, seg) in s.sections() {
        let start = uint(seg, "start_extent", u32::MAX.into());
        let count = uint(seg, "extent_count", u32::MAX.into()).filter(|&c| c > 0);
        match (start, count) {
            (Some(start_extent), Some(extent_count)) => segments.push(Segment {
                start_extent,
                extent_count,
                seg_type: seg.string("type").unwrap_or("striped").to_owned(),
                section: seg.clone(),
            }),
            _ => {
                problem.get_or_insert(format!(
                    "{}: invalid start_extent or extent_count",
                    seg_name
                ));
            }
        }
    }
    segments.sort_by_key(|s| s.start_extent);
    let mut next = 0u64;
    for seg in &segments {
        if seg.start_extent != next {
            problem.get_or_insert(format!(
                "segments do not cover extent {} exactly once",
                next
            ));
            break;
        }
        next = next.saturating_add(seg.extent_count);
    }
    match s.int("segment_count") {
        Some(n) if usize::try_from(n).ok() == Some(segments.len()) => {}
        _ => {
            problem.get_or_insert(format!(
                "segment_count does not match the {} segments",
                segments.len()
            ));
        }
    }
    if segments.is_empty() {
        problem.get_or_insert("no segments".to_owned());
    }
    Ok(LvMetadata {
        name: name.to_owned(),
        id,
        status: strings(s, "status"),
        flags: strings(s, "flags"),
        tags: strings(s, "tags"),
        allocation_policy: s
            .string("allocation_policy")
            .unwrap_or("inherit")
            .to_owned(),
        segments,
        problem,
    })
}

/// The `[name, extent, name, extent, …]` list of a striped or mirror segment.
fn area_pairs<'a>(seg: &'a Segment, key: &str) -> std::result::Result<Vec<(&'a str, u64)>, String> {
    let list = seg
        .section
        .list(key)
        .ok_or_else(|| format!("segment without {}", key))?;
    if list.is_empty() || list.len() % 2 != 0 || list.len() / 2 > MAX_AREAS {
        return Err(format!("malformed {} list", key));
    }
    list.chunks(2)
        .map(|pair| match pair {
            [Value::String(n), Value::Int(e)] if *e >= 0 => Ok((n.as_str(), *e as u64)),
            _ => Err(format!("malformed {} list", key)),
        })
        .collect()
}

/// The LVs a segment is built on (its sub-volumes, logs, pools), in the order LVM activates them.
pub fn segment_lv_refs(seg: &Segment) -> Vec<&str> {
    let mut refs = Vec::new();
    for key in ["mirror_log", "metadata", "pool", "thin_pool", "cache_pool"] {
        if let Some(s) = seg.section.string(key) {
            refs.push(s);
        }
    }
    for key in ["stripes", "mirrors", "raids"] {
        refs.extend(seg.section.string_list(key));
    }
    refs
}

/// The data of one PV, for mapping extents: its device (None when missing) and layout.
#[derive(Clone)]
pub struct PvData {
    pub device: Option<Device>,
    /// Start of the first extent, in bytes.
    pub pe_start: u64,
    pub pe_count: u64,
}

/// Builds every LV of `vg` as a block device, or the reason it cannot be read natively.
/// `pvs` is parallel to `vg.pvs`.
pub fn build_lv_devices(
    vg: &VgMetadata,
    pvs: &[PvData],
) -> Vec<std::result::Result<Device, String>> {
    let mut b = Builder {
        vg,
        pvs,
        pv_by_key: vg
            .pvs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.as_str(), i))
            .collect(),
        extent: vg.extent_bytes(),
        memo: vec![None; vg.lvs.len()],
        in_progress: vec![false; vg.lvs.len()],
        snapshot_cows: HashSet::new(),
        merging_origins: HashSet::new(),
    };
    for lv in &vg.lvs {
        for seg in lv.segments.iter().filter(|s| s.seg_type == "snapshot") {
            if let Some(cow) = seg
                .section
                .string("cow_store")
                .or(seg.section.string("merging_store"))
            {
                b.snapshot_cows.insert(cow);
            }
            if let (Some(origin), Some(_)) = (
                seg.section.string("origin"),
                seg.section.string("merging_store"),
            ) {
                b.merging_origins.insert(origin);
            }
        }
    }
    (0..vg.lvs.len()).map(|i| b.lv(i, 0)).collect()
}

struct Builder<'a> {
    vg: &'a VgMetadata,
    pvs: &'a [PvData],
    pv_by_key: HashMap<&'a str, usize>,
    /// Extent size in bytes.
    extent: u64,
    memo: Vec<Option<std::result::Result<Device, String>>>,
    in_progress: Vec<bool>,
    /// LVs holding the exception store of an old-style snapshot.
    snapshot_cows: HashSet<&'a str>,
    /// Origins with a snapshot being merged into them.
    merging_origins: HashSet<&'a str>,
}

type DevResult = std::result::Result<Device, String>;

impl<'a> Builder<'a> {
    fn lv(&mut self, i: usize, depth: usize) -> DevResult {
        if let Some(Some(r)) = self.memo.get(i) {
            return r.clone();
        }
        let Some(lv) = self.vg.lvs.get(i) else {
            return Err("no such logical volume".into());
        };
        if self.in_progress.get(i) == Some(&true) || depth > MAX_STACK_DEPTH {
            return Err(format!(
                "logical volume {} is stacked in a loop or too deeply",
                lv.name
            ));
        }
        self.in_progress[i] = true;
        let r = self.build_lv(lv, depth);
        self.in_progress[i] = false;
        self.memo[i] = Some(r.clone());
        r
    }

    fn build_lv(&mut self, lv: &'a LvMetadata, depth: usize) -> DevResult {
        if let Some(p) = &lv.problem {
            return Err(format!("logical volume {}: {}", lv.name, p));
        }
        if self.snapshot_cows.contains(lv.name.as_str()) {
            return Err(format!(
                "{} is a snapshot, which the native backend does not read",
                lv.name
            ));
        }
        if self.merging_origins.contains(lv.name.as_str()) {
            return Err(format!("{} has a snapshot being merged into it", lv.name));
        }
        let mut parts = Vec::with_capacity(lv.segments.len());
        for seg in &lv.segments {
            let start = seg
                .start_extent
                .checked_mul(self.extent)
                .ok_or("LV too large")?;
            let len = seg
                .extent_count
                .checked_mul(self.extent)
                .ok_or("LV too large")?;
            let dev = self
                .segment(seg, len, depth)
                .map_err(|e| format!("{}: {}", lv.name, e))?;
            parts.push((start, dev));
        }
        let total = lv
            .extent_count()
            .checked_mul(self.extent)
            .ok_or("LV too large")?;
        match parts.len() {
            1 => Ok(parts.remove(0).1),
            _ => Ok(Arc::new(Concat { parts, size: total })),
        }
    }

    /// `count` extents from extent `start` of the PV or LV called `name`.
    fn area(&mut self, name: &str, start: u64, count: u64, depth: usize) -> DevResult {
        let end = start.checked_add(count).ok_or("extent range overflows")?;
        let offset = start
            .checked_mul(self.extent)
            .ok_or("extent range overflows")?;
        let len = count
            .checked_mul(self.extent)
            .ok_or("extent range overflows")?;
        if let Some(&p) = self.pv_by_key.get(name) {
            let (Some(meta), Some(pv)) = (self.vg.pvs.get(p), self.pvs.get(p)) else {
                return Err(format!("physical volume {} not found", name));
            };
            let Some(dev) = &pv.device else {
                return Err(format!(
                    "physical volume {} (UUID {}) is missing",
                    name, meta.id
                ));
            };
            if end > pv.pe_count {
                return Err(format!(
                    "extents {}..{} lie beyond the {} extents of {}",
                    start, end, pv.pe_count, name
                ));
            }
            let at = pv
                .pe_start
                .checked_add(offset)
                .ok_or("extent range overflows")?;
            if at.checked_add(len).is_none_or(|e| e > dev.size()) {
                return Err(format!(
                    "extents {}..{} lie beyond the end of the device holding {}",
                    start, end, name
                ));
            }
            Ok(Arc::new(Slice::new(dev.clone(), at, len)))
        } else if let Some(l) = self.vg.lv_index(name) {
            let sub_extents = self.vg.lvs.get(l).map(|s| s.extent_count()).unwrap_or(0);
            if end > sub_extents {
                return Err(format!(
                    "extents {}..{} lie beyond the end of {}",
                    start, end, name
                ));
            }
            let sub = self.lv(l, depth + 1)?;
            Ok(Arc::new(Slice::new(sub, offset, len)))
        } else {
            Err(format!("segment refers to an unknown volume {:?}", name))
        }
    }

    fn segment(&mut self, seg: &'a Segment, len: u64, depth: usize) -> DevResult {
        match seg.seg_type.as_str() {
            "striped" | "linear" => self.striped(seg, depth),
            "mirror" => {
                let legs = area_pairs(seg, "mirrors")?;
                self.first_readable(
                    legs.into_iter().map(|(n, e)| (n, e, seg.extent_count)),
                    depth,
                    "mirror leg",
                )
            }
            "raid1" => {
                if seg.section.int("data_offset").is_some_and(|o| o != 0) {
                    return Err("raid1 with a reshape data offset is not supported natively".into());
                }
                if seg.start_extent != 0 {
                    return Err("raid1 segment not at the start of the volume".into());
                }
                let raids = seg.section.string_list("raids");
                if raids.is_empty() || !raids.len().is_multiple_of(2) || raids.len() / 2 > MAX_AREAS
                {
                    return Err("malformed raids list".into());
                }
                // Pairs of (rmeta, rimage); skip images being rebuilt.
                let images: Vec<(&str, u64, u64)> = raids
                    .chunks(2)
                    .filter_map(|p| p.get(1).copied())
                    .filter(|img| {
                        let rebuilding = self
                            .vg
                            .lv_index(img)
                            .and_then(|i| self.vg.lvs.get(i))
                            .is_some_and(|l| l.has_status("REBUILD"));
                        !rebuilding
                    })
                    .map(|img| (img, 0, seg.extent_count))
                    .collect();
                self.first_readable(images.into_iter(), depth, "raid1 image")
            }
            "zero" => Ok(Arc::new(Zero(len))),
            "error" => Ok(Arc::new(ErrorDevice(len))),
            other => Err(unsupported_reason(other)),
        }
    }

    fn striped(&mut self, seg: &'a Segment, depth: usize) -> DevResult {
        let areas = area_pairs(seg, "stripes")?;
        let n = areas.len() as u64;
        if seg
            .section
            .int("stripe_count")
            .is_some_and(|c| c != n as i64)
        {
            return Err("stripe_count does not match the stripes list".into());
        }
        if !seg.extent_count.is_multiple_of(n) {
            return Err("extent count not divisible by the stripe count".into());
        }
        let area_len = seg.extent_count / n;
        let mut devs = Vec::with_capacity(areas.len());
        for (name, start) in areas {
            devs.push(self.area(name, start, area_len, depth)?);
        }
        if devs.len() == 1 {
            return Ok(devs.remove(0));
        }
        let stripe_size = uint_setting(seg, "stripe_size")
            .filter(|&s| s > 0)
            .ok_or("striped segment without stripe_size")?;
        let chunk = stripe_size
            .checked_mul(512)
            .ok_or("stripe_size too large")?;
        let stripe_len = area_len.checked_mul(self.extent).ok_or("LV too large")?;
        if stripe_len % chunk != 0 {
            return Err("stripe size does not divide the stripe length".into());
        }
        let size = stripe_len.checked_mul(n).ok_or("LV too large")?;
        Ok(Arc::new(Striped {
            stripes: devs,
            chunk,
            size,
        }))
    }

    /// The first of `areas` that can be read; all legs of a mirror hold the same data.
    fn first_readable(
        &mut self,
        areas: impl Iterator<Item = (&'a str, u64, u64)>,
        depth: usize,
        what: &str,
    ) -> DevResult {
        let mut first_error = None;
        for (name, start, count) in areas {
            match self.area(name, start, count, depth) {
                Ok(d) => return Ok(d),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(format!(
            "no readable {}: {}",
            what,
            first_error.unwrap_or_else(|| "none listed".into())
        ))
    }
}

fn uint_setting(seg: &Segment, key: &str) -> Option<u64> {
    seg.section.int(key).and_then(|i| u64::try_from(i).ok())
}

/// Why a segment type cannot be read natively.
fn unsupported_reason(seg_type: &str) -> String {
    let what = match seg_type {
        "thin" => "thin volumes",
        "thin-pool" => "thin pools",
        "cache" | "cache-pool" | "writecache" => "cached volumes",
        "snapshot" => "snapshots",
        "vdo" | "vdo-pool" => "VDO volumes",
        "integrity" => "integrity volumes",
        t if t.starts_with("raid") => {
            return format!("{} volumes are not supported by the native backend", t)
        }
        t => {
            return format!(
                "segment type {:?} is not supported by the native backend",
                t
            )
        }
    };
    format!("{} are not supported by the native backend", what)
}

/// Segments placed end to end.
struct Concat {
    /// (start offset, device), sorted by start, contiguous.
    parts: Vec<(u64, Device)>,
    size: u64,
}

impl BlockDevice for Concat {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        while !buf.is_empty() {
            let i = self
                .parts
                .partition_point(|(start, _)| *start <= offset)
                .saturating_sub(1);
            let Some((start, dev)) = self.parts.get(i) else {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            };
            let inner = offset - start;
            let avail = dev.size().saturating_sub(inner);
            let n = (buf.len() as u64).min(avail) as usize;
            if n == 0 {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            let (head, tail) = buf.split_at_mut(n);
            dev.read_exact_at(head, inner)?;
            buf = tail;
            offset += n as u64;
        }
        Ok(())
    }
}

/// dm-stripe: chunk k of the volume is chunk k / n of stripe k mod n.
struct Striped {
    stripes: Vec<Device>,
    /// Chunk (stripe_size) in bytes.
    chunk: u64,
    size: u64,
}

impl BlockDevice for Striped {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        let n = self.stripes.len() as u64;
        while !buf.is_empty() {
            let chunk_no = offset / self.chunk;
            let within = offset % self.chunk;
            let Some(dev) = self.stripes.get((chunk_no % n) as usize) else {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            };
            let inner = (chunk_no / n) * self.chunk + within;
            let len = (buf.len() as u64).min(self.chunk - within) as usize;
            let (head, tail) = buf.split_at_mut(len);
            dev.read_exact_at(head, inner)?;
            buf = tail;
            offset += len as u64;
        }
        Ok(())
    }
}

/// dm-error: every read fails with EIO.
struct ErrorDevice(u64);

impl BlockDevice for ErrorDevice {
    fn size(&self) -> u64 {
        self.0
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.0, offset, buf.len())?;
        Err(io::Error::from_raw_os_error(libc::EIO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Mem;

    #[test]
    fn striped_maps_chunks_round_robin() {
        let a: Device = Arc::new(Mem((0..16).map(|i| i * 2).collect()));
        let b: Device = Arc::new(Mem((0..16).map(|i| i * 2 + 1).collect()));
        // Chunk of 1 byte: the volume interleaves a and b.
        let s = Striped {
            stripes: vec![a.clone(), b.clone()],
            chunk: 1,
            size: 32,
        };
        let mut buf = [0u8; 32];
        s.read_exact_at(&mut buf, 0).unwrap();
        assert_eq!(buf.to_vec(), (0..32).collect::<Vec<u8>>());
        // Chunk of 4: bytes 4..8 come from b's first chunk.
        let s = Striped {
            stripes: vec![a, b],
            chunk: 4,
            size: 32,
        };
        let mut buf = [0u8; 6];
        s.read_exact_at(&mut buf, 3).unwrap();
        assert_eq!(buf, [6, 1, 3, 5, 7, 8]);
        assert!(s.read_exact_at(&mut buf, 30).is_err());
    }

    #[test]
    fn concat_crosses_parts() {
        let a: Device = Arc::new(Mem(vec![1; 8]));
        let b: Device = Arc::new(Mem(vec![2; 8]));
        let c = Concat {
            parts: vec![(0, a), (8, b)],
            size: 16,
        };
        let mut buf = [0u8; 4];
        c.read_exact_at(&mut buf, 6).unwrap();
        assert_eq!(buf, [1, 1, 2, 2]);
        assert!(c.read_exact_at(&mut buf, 13).is_err());
    }

    #[test]
    fn error_device_fails_with_eio() {
        let e = ErrorDevice(10);
        let mut buf = [0u8; 2];
        assert_eq!(
            e.read_exact_at(&mut buf, 0).unwrap_err().raw_os_error(),
            Some(libc::EIO)
        );
    }

    #[test]
    fn names() {
        assert!(is_valid_name("root"));
        assert!(is_valid_name("lv_rimage_0"));
        assert!(!is_valid_name("a/b"));
        assert!(!is_valid_name(".."));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name(""));
    }
}
