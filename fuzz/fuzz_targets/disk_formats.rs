//! The VMDK, VDI, VHD and VHDX readers over a sparse fuzz input (see common/sparse_image.rs):
//! each format opens the bytes and reads at the start, the middle, the end and one offset the
//! input picks. A VMDK's extent files and parent are small all-zero devices.
#![no_main]

#[path = "../common/sparse_image.rs"]
mod sparse_image;

use guestfs::block::qcow2::BackingFile;
use guestfs::block::{vdi, vhdx, vmdk, vpc, BlockDevice, Device, Zero};
use guestfs::error::Result;
use libfuzzer_sys::fuzz_target;
use sparse_image::SparseImage;
use std::path::Path;
use std::sync::Arc;

struct ZeroFiles;

impl vmdk::Files for ZeroFiles {
    fn extent(&mut self, _: &Path) -> Result<Device> {
        Ok(Arc::new(Zero(1 << 20)))
    }
    fn parent(&mut self, _: &BackingFile) -> Result<Device> {
        Ok(Arc::new(Zero(3 << 20)))
    }
}

fn exercise(dev: &dyn BlockDevice, pick: u64) {
    let size = dev.size();
    if size == 0 {
        return;
    }
    let len = size.min(300_000);
    let mut buf = vec![0u8; len as usize];
    for offset in [0, size / 2 - (size / 2).min(len / 2), size - len, pick % (size - len + 1)] {
        let _ = dev.read_exact_at(&mut buf, offset);
        let _ = dev.read_exact_at(&mut buf[..len.min(777) as usize], offset);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(image) = SparseImage::parse(data) else {
        return;
    };
    let source: Device = Arc::new(image);
    let pick = data
        .get(4..12)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .unwrap_or(0);
    if let Ok(d) = vmdk::open_source(source.clone(), "fuzz.vmdk", &mut ZeroFiles) {
        exercise(d.as_ref(), pick);
    }
    if let Ok(d) = vdi::open_source(source.clone(), "fuzz.vdi") {
        exercise(&d, pick);
    }
    if let Ok(d) = vpc::open_source(source.clone(), "fuzz.vhd") {
        exercise(&d, pick);
    }
    if let Ok(d) = vhdx::open_source(source, "fuzz.vhdx") {
        exercise(&d, pick);
    }
});
