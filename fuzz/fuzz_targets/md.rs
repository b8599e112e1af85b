#![no_main]
//! Assembles md arrays from members described by the input: the first byte is the member
//! count (1 to 4), the rest a sparse image (see common/sparse_image.rs) cut into that many
//! equal members. Every superblock is parsed (0.90, 1.0, 1.1, 1.2, checksums as stored), the
//! arrays assembled, and each readable array read at a few places and probed.
//! Seeds: `sh make-md-seeds.sh` (arrays made by mdadm in the appliance) into corpus/md.

use guestfs::block::{md, BlockDevice, Device, Slice};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[path = "../common/sparse_image.rs"]
mod sparse_image;

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else { return };
    let n = u64::from(count.clamp(1, 4));
    let Some(img) = sparse_image::SparseImage::parse(rest) else { return };
    let size = img.size() / n;
    let img: Device = Arc::new(img);
    let members: Vec<(String, Device)> = (0..n)
        .map(|i| {
            let d: Device = Arc::new(Slice::new(img.clone(), i * size, size));
            (format!("/dev/sd{}", i), d)
        })
        .collect();
    let scan = md::scan(&members);
    for array in &scan.arrays {
        let Ok(dev) = &array.device else { continue };
        let mut buf = vec![0u8; 128 * 1024];
        let len = dev.size().min(buf.len() as u64) as usize;
        let _ = dev.read_exact_at(&mut buf[..len], 0);
        let _ = dev.read_exact_at(&mut buf[..len], dev.size() - len as u64);
        let _ = dev.read_exact_at(&mut buf[..len], dev.size() / 2);
        let _ = guestfs::fs::probe(dev.as_ref());
    }
});
