//! The native btrfs reader against images made by mkfs.btrfs and filled through the kernel's
//! own btrfs driver (a loop mount: this needs root and loop devices, and says so when it
//! cannot), compared with what that driver reports on a read-only mount: every stat, the
//! readdir order of every directory, link targets, extended attributes, file contents
//! (inline, regular, compressed with zlib, LZO and zstd, preallocated, sparse) and statfs.
//! Damaged images must give errors, never panics or endless loops.

use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use guestfs::fs::btrfs::BtrfsFs;
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

const POPULATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/btrfs-populate.sh");

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("btrfs-test-{}-{}", std::process::id(), tag));
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

/// An image made by mkfs.btrfs with `args`, filled by the populate script through a loop
/// mount with `options`; None (after saying why) where loop mounts are not possible.
fn make_image(dir: &Scratch, name: &str, args: &str, options: &str) -> Option<PathBuf> {
    let img = dir.0.join(format!("{}.img", name));
    assert!(sh(&format!(
        "truncate -s 300M '{0}' && mkfs.btrfs -q -f {1} '{0}'",
        img.display(),
        args
    )));
    let mnt = dir.0.join(format!("{}.mnt", name));
    let Some(m) = LoopMount::new(&img, &mnt, options) else {
        eprintln!("SKIP: cannot loop-mount a btrfs image here (needs root and loop devices)");
        return None;
    };
    assert!(sh(&format!("bash '{}' '{}'", POPULATE, mnt.display())));
    drop(m);
    Some(img)
}

fn open(img: &Path) -> BtrfsFs {
    let dev: Device = Arc::new(RawImage::open(img).unwrap());
    BtrfsFs::open(dev).unwrap()
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

fn read_all(fs: &BtrfsFs, ino: Ino, size: u64) -> Vec<u8> {
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
fn native_tree(fs: &BtrfsFs) -> BTreeMap<Vec<u8>, Node> {
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

/// statfs of a mounted path.
fn kernel_statvfs(mnt: &Path) -> libc::statvfs {
    // SAFETY: a zeroed statvfs is a valid value for the call to fill in.
    let mut kst: libc::statvfs = unsafe { std::mem::zeroed() };
    let cpath = CString::new(mnt.as_os_str().as_bytes()).unwrap();
    // SAFETY: the path is NUL-terminated and the struct is ours.
    assert_eq!(unsafe { libc::statvfs(cpath.as_ptr(), &mut kst) }, 0);
    kst
}

/// Compares the native reader with the kernel's driver on an image.
fn compare_with_kernel(img: &Path, mnt: &Path) -> BTreeMap<Vec<u8>, Node> {
    let m = LoopMount::new(img, mnt, "ro").expect("read-only mount");
    let kernel = kernel_tree(mnt);
    let kst = kernel_statvfs(mnt);
    drop(m);

    let fs = open(img);
    assert_eq!(
        guestfs::fs::refusal(&(Arc::new(RawImage::open(img).unwrap()) as Device), "btrfs"),
        None
    );
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
        kst.f_files as i64,
        kst.f_ffree as i64,
        kst.f_favail as i64,
        kst.f_namemax as i64,
        kst.f_fsid as i64,
    );
    let n = (
        st.bsize, st.frsize, st.blocks, st.bfree, st.files, st.ffree, st.favail, st.namemax,
        st.fsid,
    );
    assert_eq!(k, n, "statvfs");
    // f_bavail: the appliance's 6.1 kernel counts the free space of data chunks and what is
    // unallocated; newer ones (the host's) may leave out the former (tests/btrfs.rs compares
    // with the appliance exactly).
    assert!(
        kst.f_bavail as i64 <= st.bavail,
        "f_bavail {} vs {}",
        kst.f_bavail,
        st.bavail
    );
    kernel
}

/// Makes an image, fills it through a mount with `options`, and compares.
fn check_against_kernel(name: &str, mkfs_args: &str, options: &str) {
    let dir = Scratch::new(name);
    let Some(img) = make_image(&dir, name, mkfs_args, options) else {
        return;
    };
    let kernel = compare_with_kernel(&img, &dir.0.join("ro"));
    // What the populate script made is all there, so a regression cannot pass unnoticed.
    let entries = |p: &str| kernel[p.as_bytes()].entries.len();
    assert_eq!(entries("/big"), 2500);
    assert!(kernel[&b"/attrs/many"[..]].xattrs.len() >= 200);
    assert_eq!(kernel[&b"/links/long"[..]].link.len(), 907);
}

#[test]
fn default_matches_the_kernel() {
    check_against_kernel("default", "", "rw");
}

#[test]
fn zlib_matches_the_kernel() {
    check_against_kernel("zlib", "", "compress-force=zlib");
}

#[test]
fn lzo_matches_the_kernel() {
    check_against_kernel("lzo", "", "compress-force=lzo");
}

#[test]
fn zstd_matches_the_kernel() {
    check_against_kernel("zstd", "", "compress-force=zstd");
}

#[test]
fn single_metadata_dup_data_and_64k_nodes_match_the_kernel() {
    check_against_kernel("dup", "-m single -d dup -n 65536", "compress=zstd");
}

#[test]
fn mixed_block_groups_match_the_kernel() {
    check_against_kernel("mixed", "--mixed", "rw");
}

/// A directory tree for `mkfs.btrfs --rootdir`.
fn rootdir(dir: &Scratch) -> PathBuf {
    let root = dir.0.join("rootdir");
    if root.exists() {
        return root;
    }
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::fs::write(root.join("f"), vec![b'x'; 20000]).unwrap();
    std::fs::write(root.join("small"), b"inline\n").unwrap();
    std::os::unix::fs::symlink("f", root.join("l")).unwrap();
    for i in 0..100 {
        std::fs::write(root.join(format!("d/entry-{}", i)), format!("{}", i)).unwrap();
    }
    root
}

fn rootdir_image(dir: &Scratch, name: &str, args: &str) -> PathBuf {
    let img = dir.0.join(format!("{}.img", name));
    assert!(sh(&format!(
        "truncate -s 48M '{0}' && mkfs.btrfs -q -f {1} --rootdir '{2}' '{0}' >/dev/null",
        img.display(),
        args,
        rootdir(dir).display()
    )));
    img
}

#[test]
fn rootdir_images_match_the_kernel() {
    let dir = Scratch::new("rootdir");
    for (name, args) in [("plain", ""), ("zstd", "--compress zstd")] {
        let img = rootdir_image(&dir, name, args);
        let fs = open(&img);
        let d = fs.lookup(fs.root(), "d").unwrap().unwrap();
        assert_eq!(fs.read_dir(d).unwrap().len(), 100);
        let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
        assert_eq!(read_all(&fs, f, 20000), vec![b'x'; 20000]);
        let l = fs.lookup(fs.root(), "l").unwrap().unwrap();
        assert_eq!(fs.read_link(l).unwrap(), "f");
        let mnt = dir.0.join(format!("{}.mnt", name));
        if LoopMount::new(&img, &mnt, "ro").is_none() {
            eprintln!("SKIP: cannot loop-mount a btrfs image here (needs root and loop devices)");
            continue;
        }
        compare_with_kernel(&img, &mnt);
    }
}

// ---------------------------------------------------------------------------------------
// What is refused (so that `auto` uses the appliance), and damaged images: errors (EIO,
// naming what is corrupt), never panics or endless loops.

fn refusal_of(img: &Path) -> Option<String> {
    let dev: Device = Arc::new(RawImage::open(img).unwrap());
    guestfs::fs::refusal(&dev, "btrfs")
}

#[test]
fn subvolumes_are_refused() {
    let dir = Scratch::new("subvol");
    let img = dir.0.join("s.img");
    let root = rootdir(&dir);
    assert!(sh(&format!(
        "truncate -s 200M '{0}' && mkfs.btrfs -q -f --rootdir '{1}' --subvol d '{0}' >/dev/null",
        img.display(),
        root.display()
    )));
    let why = refusal_of(&img).expect("a subvolume is refused");
    assert_eq!(
        why,
        "subvolume 256 (subvolumes and snapshots are not read natively)"
    );
    let e = BtrfsFs::open(Arc::new(RawImage::open(&img).unwrap()))
        .err()
        .unwrap();
    assert_eq!(e.errno, libc::ENOTSUP);
}

#[test]
fn two_devices_are_refused() {
    let dir = Scratch::new("twodev");
    let (a, b) = (dir.0.join("a.img"), dir.0.join("b.img"));
    assert!(sh(&format!(
        "truncate -s 200M '{0}' '{1}' && mkfs.btrfs -q -f -d single -m single '{0}' '{1}' >/dev/null",
        a.display(),
        b.display()
    )));
    assert_eq!(
        refusal_of(&a).as_deref(),
        Some("2 devices (only single-device filesystems are read natively)")
    );
}

fn open_bytes(data: Vec<u8>) -> guestfs::Result<BtrfsFs> {
    BtrfsFs::open(Arc::new(MemDev(data)))
}

struct MemDev(Vec<u8>);

impl guestfs::block::BlockDevice for MemDev {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        guestfs::block::check_range(self.size(), offset, buf.len())?;
        buf.copy_from_slice(&self.0[offset as usize..offset as usize + buf.len()]);
        Ok(())
    }
}

/// Reads everything reachable with bounded effort, ignoring errors; returns how many calls
/// succeeded.
fn exercise(fs: &BtrfsFs) -> usize {
    let mut ok = usize::from(fs.statvfs().is_ok());
    let mut stack = vec![fs.root()];
    let mut seen = std::collections::HashSet::new();
    let mut buf = vec![0u8; 64 * 1024];
    while let Some(dir) = stack.pop() {
        if !seen.insert(dir) || seen.len() > 500 {
            continue;
        }
        let Ok(entries) = fs.read_dir(dir) else {
            continue;
        };
        ok += 1;
        for e in entries.iter().take(200) {
            ok += usize::from(fs.lookup(dir, &e.name).is_ok());
            ok += usize::from(fs.xattrs(e.ino).is_ok());
            ok += usize::from(fs.read_link(e.ino).is_ok());
            ok += usize::from(fs.read_at(e.ino, 0, &mut buf).is_ok());
            if let Ok(st) = fs.stat(e.ino) {
                ok += 1;
                if FileType::from_mode(st.st_mode) == FileType::Directory {
                    stack.push(e.ino);
                }
            }
        }
    }
    ok
}

#[test]
fn truncated_image_is_refused() {
    let dir = Scratch::new("trunc");
    let img = rootdir_image(&dir, "t", "");
    let data = std::fs::read(&img).unwrap();
    for len in [
        0,
        4096,
        65536,
        65536 + 4096,
        data.len() / 2,
        data.len() - 4096,
    ] {
        if let Ok(fs) = open_bytes(data[..len].to_vec()) {
            // What lies past the end is data only this small image does not use.
            exercise(&fs);
        }
    }
    assert!(open_bytes(data[..65536 + 4096].to_vec()).is_err());
}

#[test]
fn random_damage_to_metadata_gives_errors_not_panics() {
    let dir = Scratch::new("damage");
    for (name, args) in [("plain", ""), ("zstd", "--compress zstd")] {
        let img = rootdir_image(&dir, name, args);
        let data = std::fs::read(&img).unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..100 {
            let mut d = data.clone();
            for _ in 0..1 + round % 8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize >> 8) % d.len();
                d[at] = seed as u8;
            }
            if let Ok(fs) = open_bytes(d) {
                exercise(&fs);
            }
        }
    }
}
