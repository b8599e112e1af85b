#![no_main]
//! Opens a squashfs filesystem described by the input (a sparse image, see
//! common/sparse_image.rs) and walks it with bounded effort: directories (with their index),
//! lookups, stat, links, xattrs, file data (blocks, holes, fragments).
//! Seeds: `sh make-squashfs-seeds.sh` writes small images made by mksquashfs into
//! corpus/squashfs.

use guestfs::block::Device;
use guestfs::fs::squashfs::{refusal, SquashFs};
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
    if let Ok(f) = SquashFs::open(dev) {
        walk::walk(&f);
    }
});
