//! A bounded walk over a filesystem the fuzz targets of the native readers share: every
//! directory (with and without dots), lookups, stat, readdir numbers, links, xattrs, and the
//! first and last bytes of every file.

use guestfs::fs::{FileType, Filesystem};

pub fn walk(f: &dyn Filesystem) {
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
