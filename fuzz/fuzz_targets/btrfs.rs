#![no_main]
//! Opens an btrfs filesystem described by the input (a sparse image, see common/sparse_image.rs)
//! and walks it with bounded effort: directories, lookups, stat, links, xattrs, file data.
//! Checksums are recomputed as blocks are read (see `Recrc`), so that mutations reach the
//! parsers behind them instead of stopping at the checksum check.
//! Seeds: `sh make-btrfs-seeds.sh` writes small images made by mkfs.xfs into corpus/btrfs.

use guestfs::block::{BlockDevice, Device};
use guestfs::fs::btrfs::{refusal, BtrfsFs};
use guestfs::fs::{FileType, Filesystem};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[path = "../common/sparse_image.rs"]
mod sparse_image;

fn walk(f: &dyn Filesystem) {
    let _ = f.statvfs();
    let mut stack = vec![(f.root(), 0)];
    let mut budget = 400;
    let mut buf = vec![0u8; 64 * 1024];
    while let Some((ino, depth)) = stack.pop() {
        let _ = f.read_dir_with_dots(ino, ino);
        let Ok(entries) = f.read_dir(ino) else { continue };
        for e in entries {
            budget -= 1;
            if budget == 0 {
                return;
            }
            let _ = f.lookup(ino, &e.name);
            let _ = f.xattrs(e.ino);
            let Ok(st) = f.stat(e.ino) else { continue };
            match FileType::from_mode(st.st_mode) {
                FileType::Directory if depth < 8 => stack.push((e.ino, depth + 1)),
                FileType::Symlink => {
                    let _ = f.read_link(e.ino);
                }
                _ => {
                    let _ = f.read_at(e.ino, 0, &mut buf);
                    let _ = f.read_at(e.ino, st.st_size.max(1) as u64 - 1, &mut buf);
                }
            }
        }
    }
}

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
    if let Ok(f) = BtrfsFs::open(dev) {
        walk(&f);
    }
});
