#![no_main]
//! Opens an XFS filesystem described by the input (a sparse image, see common/sparse_image.rs)
//! and walks it with bounded effort: directories, lookups, stat, links, xattrs, file data.
//! Seeds: `sh make-xfs-seeds.sh` writes small images made by mkfs.xfs into corpus/xfs.

use guestfs::block::Device;
use guestfs::fs::xfs::{refusal, XfsFs};
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
    if let Ok(f) = XfsFs::open(dev) {
        walk::walk(&f);
    }
});
