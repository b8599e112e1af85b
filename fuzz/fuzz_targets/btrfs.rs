#![no_main]
//! Opens a btrfs filesystem described by the input (a sparse image, see common/sparse_image.rs)
//! and walks it with bounded effort: directories, lookups, stat, links, xattrs, file data,
//! the subvolume list, and each of the first subvolumes opened as `subvolid=` opens it.
//! Checksums are recomputed as blocks are read (see `Recrc`), so that mutations reach the
//! parsers behind them instead of stopping at the checksum check.
//! Seeds: `sh make-btrfs-seeds.sh` writes small images made by mkfs.btrfs into corpus/btrfs.

use guestfs::block::{BlockDevice, Device};
use guestfs::fs::btrfs::{refusal, BtrfsFs, Selection};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[path = "../common/sparse_image.rs"]
mod sparse_image;
#[path = "../common/walk.rs"]
mod walk;

/// Gives every superblock and tree block read a correct CRC-32C (btrfs's default checksum):
/// the superblock is the 4 KiB at 64 KiB, tree blocks are reads of 4 to 64 KiB.
struct Recrc(sparse_image::SparseImage);

impl BlockDevice for Recrc {
    fn size(&self) -> u64 {
        self.0.size()
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.0.read_exact_at(buf, offset)?;
        let len = buf.len();
        if len.is_power_of_two() && (4096..=65536).contains(&len) {
            let crc = !guestfs::fs::crc32c::crc32c(!0, &buf[32..]);
            buf[..4].copy_from_slice(&crc.to_le_bytes());
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(img) = sparse_image::SparseImage::parse(data) else { return };
    let dev: Device = Arc::new(Recrc(img));
    let _ = refusal(&dev);
    if let Ok(f) = BtrfsFs::open(dev.clone()) {
        walk::walk(&f);
        let _ = f.default_subvolume();
        for v in f.subvolumes(5).unwrap_or_default().iter().take(4) {
            let which = Selection {
                path: None,
                id: Some(v.id),
            };
            if let Ok(sub) = BtrfsFs::open_subvolume(dev.clone(), &which) {
                walk::walk(&sub);
            }
        }
    }
});
