#![no_main]
//! Opens an ISO 9660 filesystem described by the input (a sparse image, see
//! common/sparse_image.rs) and walks it with bounded effort: directories (Rock Ridge, Joliet
//! and plain names), lookups, stat, readdir numbers, symlinks, file data (zisofs too).
//! Seeds: `sh make-iso-seeds.sh` writes small images made by xorriso into corpus/iso9660.

use guestfs::block::Device;
use guestfs::fs::iso9660::{refusal, Iso9660Fs};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[path = "../common/sparse_image.rs"]
mod sparse_image;
#[path = "../common/walk.rs"]
mod walk;

fuzz_target!(|data: &[u8]| {
    let Some(img) = sparse_image::SparseImage::parse(data) else { return };
    let dev: Device = Arc::new(img);
    let _ = refusal(&dev);
    if let Ok(f) = Iso9660Fs::open(dev) {
        walk::walk(&f);
    }
});
