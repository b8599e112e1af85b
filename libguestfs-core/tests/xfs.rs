//! The native XFS reader against images made by mkfs.xfs and filled through the kernel's
//! own XFS driver (a loop mount: this needs root and loop devices, and says so when it
//! cannot), compared with what that driver reports on a read-only mount: every stat, the
//! readdir order of every directory, link targets, extended attributes, file contents and
//! statfs. Corrupted images must give errors, never panics or endless loops.

use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use guestfs::fs::xfs::XfsFs;
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
use std::sync::Arc;

const POPULATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/xfs-populate.sh");

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("xfs-test-{}-{}", std::process::id(), tag));
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

fn sh(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", cmd])
        .status()
        .is_ok_and(|s| s.success())
}

/// A loop mount of an image, unmounted on drop.
struct LoopMount(PathBuf);

impl LoopMount {
    fn new(img: &Path, at: &Path, options: &str) -> Option<LoopMount> {
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

/// An image made by mkfs.xfs with `args`, filled by the populate script through a loop
/// mount; None (after saying why) where loop mounts are not possible.
fn make_image(dir: &Scratch, name: &str, args: &str, bigtime: bool) -> Option<PathBuf> {
    let img = dir.0.join(format!("{}.img", name));
    assert!(sh(&format!(
        "truncate -s 320M '{0}' && mkfs.xfs -q -f {1} '{0}'",
        img.display(),
        args
    )));
    let mnt = dir.0.join(format!("{}.mnt", name));
    let Some(m) = LoopMount::new(&img, &mnt, "rw") else {
        eprintln!("SKIPPED: cannot loop-mount an XFS image here (needs root and loop devices)");
        return None;
    };
    assert!(sh(&format!(
        "BIGTIME={} bash '{}' '{}'",
        u8::from(bigtime),
        POPULATE,
        mnt.display()
    )));
    drop(m);
    Some(img)
}

fn open(img: &Path) -> XfsFs {
    let dev: Device = Arc::new(RawImage::open(img).unwrap());
    XfsFs::open(dev).unwrap()
}

/// What one file looks like: its stat, its directory entries (names and inodes in readdir
/// order), link target, extended attributes, and a digest of its contents.
#[derive(Debug, PartialEq, Eq)]
struct Node {
    stat: StatNs,
    entries: Vec<(Vec<u8>, u64)>,
    link: Vec<u8>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    digest: String,
}

fn digest(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

fn kernel_stat(m: &std::fs::Metadata) -> StatNs {
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

/// llistxattr and lgetxattr, as the appliance's daemon calls them.
fn kernel_xattrs(p: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    let mut names = vec![0u8; 1 << 20];
    // SAFETY: the buffers outlive the calls and their lengths are passed.
    let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
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
    out.sort();
    out
}

/// Every file under a read-only mount as the kernel's driver reports it.
fn kernel_tree(mnt: &Path) -> BTreeMap<Vec<u8>, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(mnt.to_path_buf(), b"/".to_vec())];
    while let Some((p, rel)) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let mut node = Node {
            stat: kernel_stat(&m),
            entries: Vec::new(),
            link: Vec::new(),
            xattrs: kernel_xattrs(&p),
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

fn read_all(fs: &XfsFs, ino: Ino, size: u64) -> Vec<u8> {
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
fn native_tree(fs: &XfsFs) -> BTreeMap<Vec<u8>, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(fs.root(), b"/".to_vec())];
    while let Some((ino, rel)) = stack.pop() {
        let stat = fs.stat(ino).unwrap();
        let xattrs = fs
            .xattrs(ino)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (lossless::bytes_of(&n).into_owned(), v))
            .collect();
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
                    node.entries.push((name.clone(), e.ino));
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

/// Makes an image, and compares the native reader with the kernel's driver on it.
fn check_against_kernel(name: &str, mkfs_args: &str, bigtime: bool) {
    let dir = Scratch::new(name);
    let Some(img) = make_image(&dir, name, mkfs_args, bigtime) else {
        return;
    };
    let mnt = dir.0.join("ro");
    let m = LoopMount::new(&img, &mnt, "ro").expect("read-only mount");
    let kernel = kernel_tree(&mnt);
    // SAFETY: a zeroed statvfs is a valid value for the call to fill in.
    let mut kst: libc::statvfs = unsafe { std::mem::zeroed() };
    let cpath = CString::new(mnt.as_os_str().as_bytes()).unwrap();
    // SAFETY: the path is NUL-terminated and the struct is ours.
    assert_eq!(unsafe { libc::statvfs(cpath.as_ptr(), &mut kst) }, 0);
    drop(m);

    let fs = open(&img);
    let native = native_tree(&fs);
    assert_eq!(
        kernel.keys().collect::<Vec<_>>(),
        native.keys().collect::<Vec<_>>()
    );
    for (path, k) in &kernel {
        let path_s = String::from_utf8_lossy(path);
        assert_eq!(Some(k), native.get(path), "{}", path_s);
    }
    let st = fs.statvfs().unwrap();
    let k = (
        kst.f_bsize as i64,
        kst.f_frsize as i64,
        kst.f_blocks as i64,
        kst.f_bfree as i64,
        kst.f_bavail as i64,
        kst.f_files as i64,
        kst.f_ffree as i64,
        kst.f_favail as i64,
        kst.f_namemax as i64,
    );
    let n = (
        st.bsize, st.frsize, st.blocks, st.bfree, st.bavail, st.files, st.ffree, st.favail,
        st.namemax,
    );
    assert_eq!(k, n, "statvfs");

    // What the populate script made is all there, so a regression cannot pass unnoticed.
    let entries = |p: &str| kernel[p.as_bytes()].entries.len();
    assert_eq!(entries("/node"), 3000);
    assert_eq!(entries("/bt1"), 2000);
    assert!(kernel[&b"/attrs/node"[..]].xattrs.len() >= 400);
    assert_eq!(kernel[&b"/links/max"[..]].link.len(), 1023);
}

#[test]
fn v5_default_matches_the_kernel() {
    check_against_kernel("v5", "", true);
}

#[test]
fn v4_matches_the_kernel() {
    check_against_kernel("v4", "-m crc=0", false);
}

#[test]
fn v5_large_inodes_4k_sectors_and_64k_directory_blocks() {
    check_against_kernel("v5big", "-i size=1024 -s size=4096 -n size=65536", true);
}

#[test]
fn v4_without_ftype_and_2k_blocks() {
    check_against_kernel("v4noft", "-m crc=0 -n ftype=0 -b size=2048", false);
}
