#![no_main]
//! Opens an ISO 9660 filesystem described by the input (a sparse image, see
//! common/sparse_image.rs) and walks it with bounded effort: directories (Rock Ridge, Joliet
//! and plain names), lookups, stat, readdir numbers, symlinks, file data (zisofs too).
//! Seeds: `sh make-iso-seeds.sh` writes small images made by xorriso into corpus/iso9660.

use guestfs::block::Device;
use guestfs::fs::iso9660::{refusal, Iso9660Fs};
use guestfs::fs::{FileType, Filesystem};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[path = "../common/sparse_image.rs"]
mod sparse_image;

fn walk(f: &Iso9660Fs) {
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
            let _ = f.dirent_ino(ino, &e);
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
    if let Ok(f) = Iso9660Fs::open(dev) {
        walk(&f);
    }
});
