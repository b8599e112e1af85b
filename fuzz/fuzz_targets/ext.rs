//! Fuzzes the ext2/3/4 reader: the input is a whole filesystem image. Opens it, then walks the
//! tree with bounded effort, reading every file, link and xattr list and calling statvfs.
//! Seeds: `sh make-ext-seeds.sh` writes small real images into corpus/ext.
#![no_main]

#[path = "../common/memory.rs"]
mod memory;

use guestfs::block::Device;
use guestfs::fs::ext::{probe, ExtFs};
use guestfs::fs::{FileType, Filesystem};
use libfuzzer_sys::fuzz_target;
use memory::Mem;
use std::collections::HashSet;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let dev: Device = Arc::new(Mem(data.to_vec()));
    let _ = probe(dev.as_ref());
    let Ok(fs) = ExtFs::open(dev) else { return };
    let _ = fs.statvfs();
    let mut budget = 2000usize;
    let mut stack = vec![fs.root()];
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; 16 * 1024];
    while let Some(dir) = stack.pop() {
        if !seen.insert(dir) {
            continue;
        }
        let Ok(entries) = fs.read_dir(dir) else {
            continue;
        };
        for e in entries {
            if budget == 0 {
                return;
            }
            budget -= 1;
            let _ = fs.lookup(dir, &e.name);
            let _ = fs.xattrs(e.ino);
            let Ok(st) = fs.stat(e.ino) else { continue };
            match FileType::from_mode(st.st_mode) {
                FileType::Directory => stack.push(e.ino),
                FileType::Symlink => {
                    let _ = fs.read_link(e.ino);
                }
                _ => {
                    let mut off = 0u64;
                    while off < (256 << 10) {
                        match fs.read_at(e.ino, off, &mut buf) {
                            Ok(n) if n > 0 => off += n as u64,
                            _ => break,
                        }
                    }
                    // A read far out, past any real data.
                    let _ = fs.read_at(e.ino, u64::MAX / 2, &mut buf[..512]);
                }
            }
        }
    }
});
