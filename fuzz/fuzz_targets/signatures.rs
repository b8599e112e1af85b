#![no_main]
//! Runs every blkid-style prober over the device the input describes.

use guestfs::fs;
use libfuzzer_sys::fuzz_target;

#[path = "../common/sparse_image.rs"]
mod sparse_image;

fuzz_target!(|data: &[u8]| {
    let Some(img) = sparse_image::SparseImage::parse(data) else { return };
    let _ = fs::signatures::probe_before_filesystems(&img);
    let _ = fs::signatures::probe_other(&img);
    let _ = fs::probe(&img);
});
