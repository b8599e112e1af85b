//! What the native readers' tests share: scratch folders, loop mounts, and the whole tree of a
//! filesystem as the kernel's driver shows it (through a loop mount) and as a native reader
//! shows it, so that the two can be compared file by file.
#![allow(dead_code)]

use guestfs::fs::{FileType, Filesystem, Ino};
use guestfs::protocol::lossless;
use guestfs::types::StatNs;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!(
            "{}-test-{}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id(),
            tag
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn sh(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", cmd])
        .status()
        .is_ok_and(|s| s.success())
}

/// A loop mount of an image, unmounted on drop.
pub struct LoopMount(PathBuf);

impl LoopMount {
    pub fn new(img: &Path, at: &Path, options: &str) -> Option<LoopMount> {
        std::fs::create_dir_all(at).ok()?;
        let ok = sh(&format!(
            "mount -o loop,{} '{}' '{}' 2>/dev/null",
            options,
            img.display(),
            at.display()
        ));
        ok.then(|| LoopMount(at.to_path_buf()))
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        assert!(sh(&format!("umount '{}'", self.0.display())));
    }
}

/// What one file looks like: its stat, its directory entries (names and inodes in readdir
/// order), link target, extended attributes, and a digest of its contents.
#[derive(Debug, PartialEq, Eq)]
pub struct Node {
    pub stat: StatNs,
    pub entries: Vec<(Vec<u8>, u64)>,
    pub link: Vec<u8>,
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    pub digest: String,
}

pub fn digest(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

pub fn kernel_stat(m: &std::fs::Metadata) -> StatNs {
    StatNs {
        st_ino: m.ino() as i64,
        st_mode: m.mode() as i64,
        st_nlink: m.nlink() as i64,
        st_uid: m.uid() as i64,
        st_gid: m.gid() as i64,
        st_rdev: m.rdev() as i64,
        st_size: m.size() as i64,
        st_blksize: m.blksize() as i64,
        st_blocks: m.blocks() as i64,
        st_atime_sec: m.atime(),
        st_atime_nsec: m.atime_nsec(),
        st_mtime_sec: m.mtime(),
        st_mtime_nsec: m.mtime_nsec(),
        st_ctime_sec: m.ctime(),
        st_ctime_nsec: m.ctime_nsec(),
        ..Default::default()
    }
}

/// The order a reader gives extended attributes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XattrOrder {
    /// Sorted by name (ext, XFS, btrfs: the trait's order).
    ByName,
    /// As the kernel's listxattr lists them (squashfs: what the appliance prints).
    Listed,
}

/// llistxattr and lgetxattr, as the appliance's daemon calls them.
pub fn kernel_xattrs(p: &Path, order: XattrOrder) -> Vec<(Vec<u8>, Vec<u8>)> {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    let mut names = vec![0u8; 1 << 20];
    // SAFETY: the buffers outlive the calls and their lengths are passed.
    let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EOPNOTSUPP) {
        // A filesystem made without attributes: the native reader says so too.
        return vec![(b"EOPNOTSUPP".to_vec(), Vec::new())];
    }
    assert!(n >= 0, "llistxattr {}", p.display());
    let mut out = Vec::new();
    for name in names[..n as usize]
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
    {
        let cn = CString::new(name).unwrap();
        let mut v = vec![0u8; 65536];
        // SAFETY: as above.
        let len =
            unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
        assert!(len >= 0, "lgetxattr {} {:?}", p.display(), cn);
        v.truncate(len as usize);
        out.push((name.to_vec(), v));
    }
    if order == XattrOrder::ByName {
        out.sort();
    }
    out
}

/// Every file under a read-only mount as the kernel's driver reports it.
pub fn kernel_tree(mnt: &Path, order: XattrOrder) -> BTreeMap<Vec<u8>, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(mnt.to_path_buf(), b"/".to_vec())];
    while let Some((p, rel)) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let mut node = Node {
            stat: kernel_stat(&m),
            entries: Vec::new(),
            link: Vec::new(),
            xattrs: kernel_xattrs(&p, order),
            digest: String::new(),
        };
        if m.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap();
                let name = e.file_name().as_bytes().to_vec();
                node.entries.push((name.clone(), e.ino()));
                let mut child = rel.clone();
                if child.len() > 1 {
                    child.push(b'/');
                }
                child.extend_from_slice(&name);
                stack.push((e.path(), child));
            }
        } else if m.file_type().is_symlink() {
            node.link = std::fs::read_link(&p)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec();
        } else if m.is_file() {
            node.digest = digest(&std::fs::read(&p).unwrap());
        }
        out.insert(rel, node);
    }
    out
}

pub fn read_all(fs: &dyn Filesystem, ino: Ino, size: u64) -> Vec<u8> {
    // Odd-sized chunks, so that reads start and end inside blocks and extents.
    let mut out = vec![0u8; size as usize];
    let mut off = 0usize;
    while off < out.len() {
        let end = (off + 100_003).min(out.len());
        let n = fs.read_at(ino, off as u64, &mut out[off..end]).unwrap();
        assert!(n > 0, "short read at {}", off);
        off += n;
    }
    assert_eq!(fs.read_at(ino, size, &mut [0u8; 16]).unwrap(), 0);
    out
}

/// Every file as the native reader sees it, walking by lookup as path resolution does.
pub fn native_tree(fs: &dyn Filesystem) -> BTreeMap<Vec<u8>, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(fs.root(), b"/".to_vec())];
    while let Some((ino, rel)) = stack.pop() {
        let stat = fs.stat(ino).unwrap();
        let xattrs = match fs.xattrs(ino) {
            Err(e) if e.errno == libc::EOPNOTSUPP => vec![(b"EOPNOTSUPP".to_vec(), Vec::new())],
            r => r
                .unwrap()
                .into_iter()
                .map(|(n, v)| (lossless::bytes_of(&n).into_owned(), v))
                .collect(),
        };
        let mut node = Node {
            stat,
            entries: Vec::new(),
            link: Vec::new(),
            xattrs,
            digest: String::new(),
        };
        match FileType::from_mode(stat.st_mode) {
            FileType::Directory => {
                let with_dots = fs.read_dir_with_dots(ino, 0).unwrap();
                assert_eq!(with_dots[0].name, ".");
                assert_eq!(with_dots[0].ino, ino);
                assert_eq!(with_dots[1].name, "..");
                for e in fs.read_dir(ino).unwrap() {
                    let name = lossless::bytes_of(&e.name).into_owned();
                    assert_eq!(fs.lookup(ino, &e.name).unwrap(), Some(e.ino));
                    let child_mode = fs.stat(e.ino).unwrap().st_mode;
                    assert_eq!(e.file_type, FileType::from_mode(child_mode), "{:?}", e);
                    // readdir's number, which is not always the handle (isofs, btrfs
                    // subvolumes).
                    node.entries.push((name.clone(), fs.dirent_ino(ino, &e)));
                    let mut child = rel.clone();
                    if child.len() > 1 {
                        child.push(b'/');
                    }
                    child.extend_from_slice(&name);
                    stack.push((e.ino, child));
                }
                assert_eq!(fs.lookup(ino, "no such name").unwrap(), None);
            }
            FileType::Symlink => {
                node.link = lossless::bytes_of(&fs.read_link(ino).unwrap()).into_owned();
            }
            FileType::Regular => {
                node.digest = digest(&read_all(fs, ino, stat.st_size as u64));
            }
            _ => {}
        }
        out.insert(rel, node);
    }
    out
}
