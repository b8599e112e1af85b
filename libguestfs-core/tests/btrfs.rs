//! The native btrfs reader against images made by mkfs.btrfs and filled through the kernel's
//! own btrfs driver (a loop mount: this needs root and loop devices, and says so when it
//! cannot), compared with what that driver reports on a read-only mount: every stat, the
//! readdir order of every directory, link targets, extended attributes, file contents
//! (inline, regular, compressed with zlib, LZO and zstd, preallocated, sparse) and statfs.
//! Damaged images must give errors, never panics or endless loops.

mod common;
use common::*;
use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use guestfs::fs::btrfs::{BtrfsFs, Selection};
use guestfs::fs::{FileType, Filesystem};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use std::path::{Path, PathBuf};
use std::sync::Arc;

const POPULATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/btrfs-populate.sh");

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
    let kernel = kernel_tree(mnt, XattrOrder::ByName);
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
fn a_rootdir_subvolume_matches_the_kernel() {
    let dir = Scratch::new("subvol");
    let img = dir.0.join("s.img");
    let root = rootdir(&dir);
    assert!(sh(&format!(
        "truncate -s 200M '{0}' && mkfs.btrfs -q -f --rootdir '{1}' --subvol d '{0}' >/dev/null",
        img.display(),
        root.display()
    )));
    assert_eq!(refusal_of(&img), None);
    let fs = open(&img);
    let d = fs.lookup(fs.root(), "d").unwrap().unwrap();
    assert_eq!(fs.stat(d).unwrap().st_ino, 256);
    assert_eq!(fs.read_dir(d).unwrap().len(), 100);
    let subvolumes = fs.subvolumes(5).unwrap();
    assert_eq!(subvolumes.len(), 1);
    assert_eq!((subvolumes[0].id, subvolumes[0].top_level), (256, 5));
    assert_eq!(subvolumes[0].path, b"d");
    let mnt = dir.0.join("s.mnt");
    if LoopMount::new(&img, &mnt, "ro").is_none() {
        eprintln!("SKIP: cannot loop-mount a btrfs image here (needs root and loop devices)");
        return;
    }
    compare_with_kernel(&img, &mnt);
}

/// Subvolumes made through the kernel: "root" (with a nested one and files), "home", one
/// under a plain directory, a snapshot of "root" (where the nested subvolume is an empty
/// placeholder) and a read-only snapshot; `default` names the default subvolume's path.
fn subvolume_image(dir: &Scratch, name: &str, default: Option<&str>) -> Option<PathBuf> {
    let img = dir.0.join(format!("{}.img", name));
    assert!(sh(&format!(
        "truncate -s 300M '{0}' && mkfs.btrfs -q -f '{0}'",
        img.display()
    )));
    let mnt = dir.0.join(format!("{}.mnt", name));
    let Some(m) = LoopMount::new(&img, &mnt, "rw") else {
        eprintln!("SKIP: cannot loop-mount a btrfs image here (needs root and loop devices)");
        return None;
    };
    let set_default = match default {
        Some(p) => format!("btrfs -q subvolume set-default '{}'", p),
        None => String::new(),
    };
    assert!(sh(&format!(
        "cd '{}' && set -e; exec >/dev/null
         btrfs -q subvolume create root; btrfs -q subvolume create home
         mkdir -p root/etc root/var dir; echo fedora > root/etc/hostname
         btrfs -q subvolume create root/var/nested; echo nested > root/var/nested/f
         mkdir root/var/nested/d; ln -s ../etc root/var/nested/l
         btrfs -q subvolume create dir/sub2; head -c 100000 /dev/urandom > dir/sub2/r
         echo user > home/u; setfattr -n user.a -v b home/u
         btrfs -q subvolume snapshot root snap; echo changed > snap/etc/hostname
         btrfs -q subvolume snapshot -r home home-ro
         {}",
        mnt.display(),
        set_default
    )));
    drop(m);
    Some(img)
}

/// The native reader with `which` against a kernel mount with `options`: every file (the
/// placeholder's times are those of the lookup, so they are left out) and which files share
/// an `st_dev`.
fn compare_subvolumes(img: &Path, mnt: &Path, options: &str, which: &Selection) {
    let m = LoopMount::new(img, mnt, options).expect("read-only mount");
    let mut kernel = kernel_tree(mnt, XattrOrder::ByName);
    let mut kernel_devs = BTreeMap::new();
    let mut kernel_fsids = BTreeMap::new();
    for (path, node) in &kernel {
        let p = mnt.join(std::ffi::OsStr::from_bytes(&path[1..]));
        kernel_devs.insert(path.clone(), std::fs::symlink_metadata(&p).unwrap().dev());
        if FileType::from_mode(node.stat.st_mode) == FileType::Directory {
            kernel_fsids.insert(path.clone(), kernel_statvfs(&p).f_fsid as i64);
        }
    }
    drop(m);
    let fs = BtrfsFs::open_subvolume(Arc::new(RawImage::open(img).unwrap()), which).unwrap();
    let mut native = native_tree(&fs);
    let mut parts = BTreeMap::new();
    for path in native.keys() {
        let ino = resolve(&fs, path);
        parts.insert(path.clone(), fs.device_part(ino).unwrap());
    }
    for tree in [&mut kernel, &mut native] {
        for node in tree.values_mut().filter(|n| n.stat.st_ino == 2) {
            let st = &mut node.stat;
            (st.st_atime_sec, st.st_atime_nsec) = (0, 0);
            (st.st_mtime_sec, st.st_mtime_nsec) = (0, 0);
            (st.st_ctime_sec, st.st_ctime_nsec) = (0, 0);
        }
    }
    assert_eq!(
        kernel.keys().collect::<Vec<_>>(),
        native.keys().collect::<Vec<_>>()
    );
    for (path, k) in &kernel {
        assert_eq!(
            Some(k),
            native.get(path),
            "{}",
            String::from_utf8_lossy(path)
        );
    }
    // statfs's f_fsid names the subvolume a directory is in.
    for (path, fsid) in &kernel_fsids {
        let ino = resolve(&fs, path);
        assert_eq!(
            fs.statvfs_at(ino).unwrap().fsid,
            *fsid,
            "f_fsid of {:?}",
            path
        );
    }
    // Files share a device exactly where they share a part.
    for (p, dp) in &kernel_devs {
        for (q, dq) in &kernel_devs {
            assert_eq!(dp == dq, parts[p] == parts[q], "{:?} {:?}", p, q);
        }
    }
}

/// The handle of a path (by lookups from the root).
fn resolve(fs: &BtrfsFs, path: &[u8]) -> u64 {
    let mut ino = fs.root();
    for c in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        let name = guestfs::protocol::lossless::string_from(c.to_vec());
        ino = fs.lookup(ino, &name).unwrap().unwrap();
    }
    ino
}

#[test]
fn subvolumes_and_snapshots_match_the_kernel() {
    let dir = Scratch::new("subvols");
    let Some(img) = subvolume_image(&dir, "s", None) else {
        return;
    };
    let mnt = dir.0.join("ro");
    let sel = |path: Option<&str>, id: Option<u64>| Selection {
        path: path.map(str::to_string),
        id,
    };
    compare_subvolumes(&img, &mnt, "ro", &sel(None, None));
    compare_subvolumes(&img, &mnt, "ro,subvol=root", &sel(Some("root"), None));
    compare_subvolumes(
        &img,
        &mnt,
        "ro,subvol=/root/var/nested",
        &sel(Some("/root/var/nested"), None),
    );
    compare_subvolumes(&img, &mnt, "ro,subvolid=259", &sel(None, Some(259)));
    compare_subvolumes(&img, &mnt, "ro,subvol=snap", &sel(Some("snap"), None));
    compare_subvolumes(&img, &mnt, "ro,subvolid=5", &sel(None, Some(5)));

    let fs = open(&img);
    assert_eq!(fs.mounted_subvolume(), 5);
    assert_eq!(fs.default_subvolume().unwrap(), 5);
    let listed: Vec<(u64, u64, String)> = fs
        .subvolumes(5)
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v.top_level, String::from_utf8(v.path).unwrap()))
        .collect();
    assert_eq!(listed, btrfs_subvolume_list(&img, "ro"));
    let listed: Vec<(u64, u64, String)> = fs
        .subvolumes(256)
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v.top_level, String::from_utf8(v.path).unwrap()))
        .collect();
    assert_eq!(listed, btrfs_subvolume_list(&img, "ro,subvol=root"));

    // What the kernel refuses to mount.
    let dev = || -> Device { Arc::new(RawImage::open(&img).unwrap()) };
    let errno = |s: Selection| BtrfsFs::open_subvolume(dev(), &s).err().unwrap().errno;
    assert_eq!(errno(sel(Some("nope"), None)), libc::ENOENT);
    assert_eq!(errno(sel(Some("root/etc"), None)), libc::EINVAL);
    assert_eq!(errno(sel(None, Some(999))), libc::ENOENT);
    assert_eq!(errno(sel(None, Some(u64::MAX))), libc::ENOENT);
    assert_eq!(errno(sel(Some("root"), Some(257))), libc::EINVAL);
}

#[test]
fn a_default_subvolume_matches_the_kernel() {
    let dir = Scratch::new("subvol-default");
    let Some(img) = subvolume_image(&dir, "s", Some("root")) else {
        return;
    };
    let mnt = dir.0.join("ro");
    compare_subvolumes(&img, &mnt, "ro", &Selection::default());
    let fs = open(&img);
    assert_eq!(fs.mounted_subvolume(), 256);
    assert_eq!(fs.default_subvolume().unwrap(), 256);
    let listed: Vec<(u64, u64, String)> = fs
        .subvolumes(256)
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v.top_level, String::from_utf8(v.path).unwrap()))
        .collect();
    assert_eq!(listed, btrfs_subvolume_list(&img, "ro"));
}

/// `btrfs subvolume list` on a mount: (id, top level, path).
fn btrfs_subvolume_list(img: &Path, options: &str) -> Vec<(u64, u64, String)> {
    let mnt = img.with_extension("list");
    let m = LoopMount::new(img, &mnt, options).unwrap();
    let out = std::process::Command::new("btrfs")
        .args(["subvolume", "list"])
        .arg(&mnt)
        .output()
        .unwrap();
    drop(m);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            let path = l.split_once(" path ").unwrap().1.to_string();
            (w[1].parse().unwrap(), w[6].parse().unwrap(), path)
        })
        .collect()
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
