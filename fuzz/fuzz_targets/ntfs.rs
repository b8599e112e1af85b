#![no_main]
//! Probes, opens and walks (bounded) an NTFS volume described by the input.

use guestfs::block::Device;
use guestfs::fs::{self, Filesystem};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[path = "../common/sparse_image.rs"]
mod sparse_image;

fn walk(f: &dyn Filesystem) {
    let _ = f.statvfs();
    let mut stack = vec![(f.root(), 0)];
    let mut budget = 200;
    while let Some((ino, depth)) = stack.pop() {
        let Ok(entries) = f.read_dir(ino) else { continue };
        for e in entries {
            budget -= 1;
            if budget == 0 {
                return;
            }
            let _ = f.lookup(ino, &e.name);
            let Ok(st) = f.stat(e.ino) else { continue };
            match st.st_mode & 0o170000 {
                0o040000 if depth < 8 => stack.push((e.ino, depth + 1)),
                0o120000 => {
                    let _ = f.read_link(e.ino);
                }
                _ => {
                    let mut buf = [0u8; 4096];
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
    let _ = fs::ntfs::probe(&*dev);
    if let Ok(f) = fs::ntfs::NtfsFs::open(dev) {
        walk(&f);
    }
});
