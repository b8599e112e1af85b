#![no_main]
//! Opens a squashfs filesystem described by the input (a sparse image, see
//! common/sparse_image.rs) and walks it with bounded effort: directories (with their index),
//! lookups, stat, links, xattrs, file data (blocks, holes, fragments).
//! Seeds: `sh make-squashfs-seeds.sh` writes small images made by mksquashfs into
//! corpus/squashfs.

use guestfs::block::Device;
use guestfs::fs::squashfs::{refusal, SquashFs};
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

fuzz_target!(|data: &[u8]| {
    let Some(img) = sparse_image::SparseImage::parse(data) else { return };
    let dev: Device = Arc::new(img);
    let _ = refusal(&dev);
    if let Ok(f) = SquashFs::open(dev) {
        walk(&f);
    }
});
