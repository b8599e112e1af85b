//! The LVM2 text-metadata parser, and the VG it describes: interpretation and LV devices
//! (every PV present, as a device of zeros).
#![no_main]

use guestfs::block::{Device, Zero};
use guestfs::lvm::{metadata, volume};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Ok(top) = metadata::parse(data) else {
        return;
    };
    let Ok(vg) = volume::vg_from_config(&top) else {
        return;
    };
    let pvs: Vec<volume::PvData> = vg
        .pvs
        .iter()
        .map(|p| volume::PvData {
            device: Some(Arc::new(Zero(1 << 40)) as Device),
            pe_start: p.pe_start.saturating_mul(512),
            pe_count: p.pe_count,
        })
        .collect();
    let _ = vg.visibility();
    for dev in volume::build_lv_devices(&vg, &pvs).into_iter().flatten() {
        let mut buf = [0u8; 64];
        let size = dev.size();
        let _ = dev.read_exact_at(&mut buf, 0);
        let _ = dev.read_exact_at(&mut buf, size.saturating_sub(100));
    }
});
