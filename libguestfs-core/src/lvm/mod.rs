//! LVM2: physical volume labels, the text metadata, and logical volumes as block devices.
//!
//! [`scan`] reads the PV label of each candidate device ([`label`]), the metadata areas it
//! lists ([`mda`]), parses the newest copy of each volume group's metadata ([`metadata`],
//! [`volume`]) and assembles the VGs: their PVs matched by UUID to the candidates, their visible
//! LVs as block devices (or the reason the native backend cannot read them), and the rows
//! libguestfs's `pvs_full`/`vgs_full`/`lvs_full` report ([`report`]).

pub mod label;
pub mod mda;
pub mod metadata;
mod report;
pub mod volume;

use crate::block::Device;
use crate::error::Result;
use crate::types::{LvmLv, LvmPv, LvmVg};
use std::collections::{HashMap, HashSet};
use volume::{PvData, VgMetadata};

/// LVM reads at most two metadata areas per PV (`FMT_TEXT_MAX_MDAS_PER_PV`).
const MAX_MDAS_PER_PV: usize = 2;

/// A physical volume found on a device.
#[derive(Clone)]
pub struct PhysicalVolume {
    /// The libguestfs device name holding the PV (`/dev/sda2`).
    pub device: String,
    /// The PV UUID as LVM prints it, with dashes.
    pub uuid: String,
    /// Start of the first extent, in bytes.
    pub pe_start: u64,
    /// Number of extents.
    pub pe_count: u64,
}

/// A logical volume.
#[derive(Clone)]
pub struct LogicalVolume {
    pub name: String,
    /// The LV UUID as LVM prints it, with dashes.
    pub uuid: String,
    /// Size in bytes.
    pub size: u64,
    /// The LV's data, or why the native backend cannot read it (thin, raid5, missing PV, …).
    pub device: std::result::Result<Device, String>,
    /// The device-mapper minor the appliance's activation gives it (major 253), None when it
    /// would not be activated (activation skip, missing PVs).
    pub kernel_minor: Option<u32>,
}

/// A volume group with its PVs and its visible LVs in metadata order.
#[derive(Clone)]
pub struct VolumeGroup {
    pub name: String,
    /// The VG UUID as LVM prints it, with dashes.
    pub uuid: String,
    /// The PVs present, in metadata order (missing PVs are left out).
    pub pvs: Vec<PhysicalVolume>,
    pub lvs: Vec<LogicalVolume>,
    /// Extent size in bytes.
    pub extent_size: u64,
    /// The metadata sequence number used.
    pub seqno: u64,
    /// Some PVs of the VG were not found.
    pub partial: bool,
}

/// Every VG found on a set of devices.
#[derive(Clone, Default)]
pub struct Scan {
    pub vgs: Vec<VolumeGroup>,
    /// What was ignored and why (bad labels, unreadable or corrupt metadata, duplicates).
    pub warnings: Vec<String>,
    pv_full: Vec<LvmPv>,
    vg_full: Vec<LvmVg>,
    lv_full: Vec<LvmLv>,
}

impl Scan {
    pub fn pvs_full(&self) -> Vec<LvmPv> {
        self.pv_full.clone()
    }
    pub fn vgs_full(&self) -> Vec<LvmVg> {
        self.vg_full.clone()
    }
    pub fn lvs_full(&self) -> Vec<LvmLv> {
        self.lv_full.clone()
    }
}

/// A metadata area of a PV as found.
struct MdaState {
    /// Area size (from the header), for the free-space figure.
    size: u64,
    /// Size of the committed metadata (0 when none).
    used: u64,
}

/// A device with a valid PV label.
struct FoundPv {
    name: String,
    device: Device,
    label: label::PvLabel,
    /// Metadata areas whose header is valid.
    mdas: Vec<MdaState>,
}

impl FoundPv {
    fn mda_free(&self) -> u64 {
        self.mdas
            .iter()
            .map(|m| mda::mda_free_bytes(m.size, m.used))
            .min()
            .unwrap_or(0)
    }
}

/// Reads the PV labels and metadata of `candidates` (devices blkid calls `LVM2_member`, with
/// their libguestfs names) and assembles the volume groups. Damaged PVs and metadata are left
/// out with a warning rather than failing the scan.
pub fn scan(candidates: &[(String, Device)]) -> Result<Scan> {
    let mut scan = Scan::default();
    let mut found: Vec<FoundPv> = Vec::new();
    // The newest metadata of each VG (by VG UUID), and the order VGs were first seen.
    let mut newest: HashMap<String, VgMetadata> = HashMap::new();

    for (name, dev) in candidates {
        let label = match label::read_label(dev.as_ref()) {
            Ok(Some(l)) => l,
            Ok(None) => {
                scan.warnings.push(format!("{}: no LVM2 label", name));
                continue;
            }
            Err(e) => {
                scan.warnings.push(format!("{}: {}", name, e));
                continue;
            }
        };
        if let Some(other) = found.iter().find(|f| f.label.pv_uuid == label.pv_uuid) {
            scan.warnings.push(format!(
                "{}: duplicate of PV {} on {}, ignored",
                name,
                label::dash_uuid(&label.pv_uuid),
                other.name
            ));
            continue;
        }
        let mut mdas = Vec::new();
        for area in label.metadata_areas.iter().take(MAX_MDAS_PER_PV) {
            let hdr = match mda::read_mda_header(dev.as_ref(), *area) {
                Ok(h) => h,
                Err(e) => {
                    scan.warnings.push(format!("{}: {}", name, e));
                    continue;
                }
            };
            let text = mda::read_mda_text(dev.as_ref(), &hdr);
            let used = match &text {
                Ok(mda::MdaText::Text { locn, .. }) => locn.size,
                _ => 0,
            };
            mdas.push(MdaState {
                size: hdr.size,
                used,
            });
            match text {
                Ok(mda::MdaText::Text { text, .. }) => {
                    match metadata::parse(&text).and_then(|top| volume::vg_from_config(&top)) {
                        Ok(vg) => {
                            let newer = newest.get(&vg.id).is_none_or(|old| vg.seqno > old.seqno);
                            if newer {
                                newest.insert(vg.id.clone(), vg);
                            }
                        }
                        Err(e) => scan.warnings.push(format!("{}: {}", name, e)),
                    }
                }
                Ok(_) => {}
                Err(e) => scan.warnings.push(format!("{}: {}", name, e)),
            }
        }
        found.push(FoundPv {
            name: name.clone(),
            device: dev.clone(),
            label,
            mdas,
        });
    }

    let mut vgs: Vec<VgMetadata> = newest.into_values().collect();
    vgs.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut claimed = vec![false; found.len()];
    let mut seen_names = HashSet::new();
    let mut dm_minor = 0u32;
    for vg in vgs {
        if !seen_names.insert(vg.name.clone()) {
            scan.warnings.push(format!(
                "volume group {} (UUID {}) has the same name as another, ignored",
                vg.name,
                label::dash_uuid(&vg.id)
            ));
            continue;
        }
        assemble_vg(&mut scan, &vg, &found, &mut claimed, &mut dm_minor);
    }

    // PVs in no VG (orphans, or their VG's metadata is not readable).
    for (i, f) in found.iter().enumerate() {
        if !claimed[i] {
            scan.pv_full.push(report::orphan_pv(
                &f.name,
                f.device.size(),
                &f.label,
                f.mdas.len(),
                f.mda_free(),
            ));
        }
    }

    scan.pv_full
        .sort_by(|a, b| a.pv_name.as_bytes().cmp(b.pv_name.as_bytes()));
    scan.vg_full
        .sort_by(|a, b| a.vg_name.as_bytes().cmp(b.vg_name.as_bytes()));
    Ok(scan)
}

/// Builds one VG: matches its PVs to the found devices, builds its LVs, fills the reports.
fn assemble_vg(
    scan: &mut Scan,
    vg: &VgMetadata,
    found: &[FoundPv],
    claimed: &mut [bool],
    dm_minor: &mut u32,
) {
    let extent = vg.extent_bytes();
    // For each PV of the metadata: the index of the device holding it.
    let holders: Vec<Option<usize>> = vg
        .pvs
        .iter()
        .map(|pv| {
            let i = found
                .iter()
                .enumerate()
                .position(|(i, f)| !claimed[i] && f.label.pv_uuid == pv.id)?;
            claimed[i] = true;
            Some(i)
        })
        .collect();
    let pv_data: Vec<PvData> = vg
        .pvs
        .iter()
        .zip(&holders)
        .map(|(pv, h)| PvData {
            device: if pv_is_missing(pv) {
                None
            } else {
                h.and_then(|i| found.get(i)).map(|f| f.device.clone())
            },
            pe_start: pv.pe_start * 512,
            pe_count: pv.pe_count,
        })
        .collect();
    let partial = pv_data.iter().any(|p| p.device.is_none());
    let devices = volume::build_lv_devices(vg, &pv_data);
    let usage = report::Usage::of(vg);

    // Activation: visible LVs in metadata order, each after the LVs it is built on.
    let mut minors: Vec<Option<u32>> = vec![None; vg.lvs.len()];
    let missing: HashSet<&str> = vg
        .pvs
        .iter()
        .zip(&pv_data)
        .filter(|(_, d)| d.device.is_none())
        .map(|(p, _)| p.key.as_str())
        .collect();
    let visible = vg.visibility();
    let partial_lv = partial_lvs(vg, &missing);
    let active: Vec<bool> = vg
        .lvs
        .iter()
        .zip(&devices)
        .zip(&visible)
        .zip(&partial_lv)
        .map(|(((lv, dev), &vis), &partial)| {
            vis && !lv.has_status("ACTIVATION_SKIP") && !(partial && dev.is_err())
        })
        .collect();
    for (i, a) in active.iter().enumerate() {
        if *a {
            activate(vg, i, &mut minors, dm_minor, 0);
        }
    }

    let mut lvs = Vec::new();
    let mut lv_rows = Vec::new();
    for (i, (lv, dev)) in vg.lvs.iter().zip(devices).enumerate() {
        if visible.get(i) != Some(&true) {
            continue;
        }
        let size = lv.extent_count().saturating_mul(extent);
        let kernel_minor = if active.get(i) == Some(&true) {
            minors.get(i).copied().flatten()
        } else {
            None
        };
        let partial = partial_lv.get(i) == Some(&true);
        lv_rows.push(report::lv_row(
            vg,
            lv,
            &usage,
            &visible,
            size,
            kernel_minor,
            partial,
        ));
        lvs.push(LogicalVolume {
            name: lv.name.clone(),
            uuid: label::dash_uuid(&lv.id),
            size,
            device: dev,
            kernel_minor,
        });
    }

    let mut pvs = Vec::new();
    let mut mda_count = 0usize;
    let mut mda_free: Option<u64> = None;
    for ((pv, h), data) in vg.pvs.iter().zip(&holders).zip(&pv_data) {
        let holder = h.and_then(|i| found.get(i));
        if let Some(f) = holder {
            mda_count += f.mdas.len();
            if !f.mdas.is_empty() {
                let free = f.mda_free();
                mda_free = Some(mda_free.map_or(free, |m| m.min(free)));
            }
            if data.device.is_some() {
                pvs.push(PhysicalVolume {
                    device: f.name.clone(),
                    uuid: label::dash_uuid(&pv.id),
                    pe_start: data.pe_start,
                    pe_count: pv.pe_count,
                });
            }
        }
        scan.pv_full.push(report::vg_pv_row(
            vg,
            pv,
            &usage,
            holder.map(|f| (f.name.as_str(), f.device.size(), f.mdas.len(), f.mda_free())),
            data.device.is_none(),
        ));
    }
    let visible_count = visible.iter().filter(|&&v| v).count();
    scan.vg_full.push(report::vg_row(
        vg,
        &usage,
        visible_count,
        partial,
        mda_count,
        mda_free.unwrap_or(0),
    ));
    scan.vgs.push(VolumeGroup {
        name: vg.name.clone(),
        uuid: label::dash_uuid(&vg.id),
        pvs,
        lvs,
        extent_size: extent,
        seqno: vg.seqno,
        partial,
    });
    // `lvs` sorts by VG name (VGs are assembled in name order), then LV name.
    lv_rows.sort_by(|a, b| a.lv_name.as_bytes().cmp(b.lv_name.as_bytes()));
    scan.lv_full.extend(lv_rows);
}

fn pv_is_missing(pv: &volume::PvMetadata) -> bool {
    pv.status.iter().chain(&pv.flags).any(|s| s == "MISSING")
}

/// For each LV, whether it is built (directly or through other LVs) on a missing PV.
fn partial_lvs(vg: &VgMetadata, missing: &HashSet<&str>) -> Vec<bool> {
    // 0: not computed, 1: in progress or false, 2: true. Each LV is visited once.
    fn visit(
        vg: &VgMetadata,
        i: usize,
        missing: &HashSet<&str>,
        state: &mut [u8],
        depth: usize,
    ) -> bool {
        match state.get(i) {
            Some(0) => {}
            Some(s) => return *s == 2,
            None => return false,
        }
        state[i] = 1;
        if depth > volume::MAX_STACK_DEPTH {
            return false;
        }
        let Some(lv) = vg.lvs.get(i) else {
            return false;
        };
        let mut partial = false;
        for r in lv.segments.iter().flat_map(volume::segment_lv_refs) {
            partial |= missing.contains(r)
                || vg
                    .lv_index(r)
                    .is_some_and(|j| visit(vg, j, missing, state, depth + 1));
        }
        if partial {
            state[i] = 2;
        }
        partial
    }
    let mut state = vec![0u8; vg.lvs.len()];
    (0..vg.lvs.len())
        .map(|i| !missing.is_empty() && visit(vg, i, missing, &mut state, 0))
        .collect()
}

/// Gives LV `i` its device-mapper minor, after the LVs it is built on (as activation creates
/// the lower devices first).
fn activate(vg: &VgMetadata, i: usize, minors: &mut [Option<u32>], next: &mut u32, depth: usize) {
    if depth > volume::MAX_STACK_DEPTH || minors.get(i).is_none_or(|m| m.is_some()) {
        return;
    }
    let Some(lv) = vg.lvs.get(i) else { return };
    // Mark first so that a loop in the metadata cannot recurse for ever.
    if let Some(m) = minors.get_mut(i) {
        *m = Some(u32::MAX);
    }
    for seg in &lv.segments {
        for r in volume::segment_lv_refs(seg) {
            if let Some(j) = vg.lv_index(r) {
                activate(vg, j, minors, next, depth + 1);
            }
        }
    }
    if let Some(m) = minors.get_mut(i) {
        *m = Some(*next);
    }
    *next = next.saturating_add(1);
}
