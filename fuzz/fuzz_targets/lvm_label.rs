//! LVM2 on in-memory devices: PV label, metadata area (header, circular buffer), text metadata,
//! VG assembly and the pvs/vgs/lvs reports; then reads through every LV device.
//! The first byte chooses whether the rest is one device or two halves.
#![no_main]

#[path = "../common/memory.rs"]
mod memory;

use guestfs::block::Device;
use guestfs::lvm;
use libfuzzer_sys::fuzz_target;
use memory::Mem;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut candidates: Vec<(String, Device)> = Vec::new();
    if mode & 1 == 0 {
        candidates.push(("/dev/sda".into(), Arc::new(Mem(rest.to_vec()))));
    } else {
        let (a, b) = rest.split_at(rest.len() / 2);
        candidates.push(("/dev/sda".into(), Arc::new(Mem(a.to_vec()))));
        candidates.push(("/dev/sdb".into(), Arc::new(Mem(b.to_vec()))));
    }
    let Ok(scan) = lvm::scan(&candidates) else {
        return;
    };
    let _ = (scan.pvs_full(), scan.vgs_full(), scan.lvs_full());
    for vg in &scan.vgs {
        for lv in &vg.lvs {
            if let Ok(dev) = &lv.device {
                let mut buf = [0u8; 4096];
                let size = dev.size();
                for off in [0, size / 2, size.saturating_sub(4096)] {
                    let n = (size - off.min(size)).min(4096) as usize;
                    let _ = dev.read_exact_at(&mut buf[..n], off);
                }
            }
        }
    }
});
