//! The native XFS reader against images made by mkfs.xfs and filled through the kernel's
//! own XFS driver (a loop mount: this needs root and loop devices, and says so when it
//! cannot), compared with what that driver reports on a read-only mount: every stat, the
//! readdir order of every directory, link targets, extended attributes, file contents and
//! statfs. Corrupted images must give errors, never panics or endless loops.

mod common;
use common::*;
use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use guestfs::fs::xfs::XfsFs;
use guestfs::fs::{FileType, Filesystem};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const POPULATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/xfs-populate.sh");

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

/// Makes an image, and compares the native reader with the kernel's driver on it.
fn check_against_kernel(name: &str, mkfs_args: &str, bigtime: bool) {
    let dir = Scratch::new(name);
    let Some(img) = make_image(&dir, name, mkfs_args, bigtime) else {
        return;
    };
    let mnt = dir.0.join("ro");
    let m = LoopMount::new(&img, &mnt, "ro").expect("read-only mount");
    let kernel = kernel_tree(&mnt, XattrOrder::ByName);
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

// ---------------------------------------------------------------------------------------
// Logs that need recovery, and damaged images: errors (EIO, naming what is corrupt),
// never panics or endless loops.

fn xfs_db(img: &Path, cmds: &[&str]) -> String {
    let mut c = Command::new("xfs_db");
    c.arg("-x");
    for cmd in cmds {
        c.args(["-c", cmd]);
    }
    let out = c.arg(img).output().expect("xfs_db");
    assert!(out.status.success(), "xfs_db {:?}", cmds);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The number xfs_db prints for `FIELD = N` (the first line).
fn db_number(out: &str) -> u64 {
    let v = out
        .lines()
        .next()
        .and_then(|l| l.split(" = ").nth(1))
        .unwrap();
    v.trim().parse().unwrap_or_else(|_| panic!("{:?}", out))
}

/// A small image filled from a prototype file by mkfs.xfs itself (no mount needed).
fn proto_image(dir: &Scratch, name: &str, args: &str) -> PathBuf {
    let img = dir.0.join(format!("{}.img", name));
    let data = dir.0.join("data");
    std::fs::write(&data, vec![b'x'; 20000]).unwrap();
    let mut proto = format!(
        "/dev/null\n0 0\nd--755 0 0\nf ---644 0 0 {}\nl l--777 0 0 f\nd d--755 0 0\n",
        data.display()
    );
    for i in 0..100 {
        proto.push_str(&format!("  entry-{} ---644 0 0 {}\n", i, data.display()));
    }
    proto.push_str("  $\n$\n");
    std::fs::write(dir.0.join("proto"), proto).unwrap();
    assert!(sh(&format!(
        "truncate -s 24M '{0}' && TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -f {1} -p '{2}' '{0}' 2>/dev/null",
        img.display(),
        args,
        dir.0.join("proto").display()
    )));
    img
}

fn open_bytes(data: Vec<u8>) -> guestfs::Result<XfsFs> {
    XfsFs::open(Arc::new(MemDev(data)))
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
fn exercise(fs: &XfsFs) -> usize {
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

fn expect_eio(r: guestfs::Result<impl std::fmt::Debug>, wanted: &str) {
    let e = r.expect_err(wanted);
    assert_eq!(e.errno, libc::EIO, "{}", e.message);
    assert!(
        e.message.contains(wanted),
        "{:?} lacks {:?}",
        e.message,
        wanted
    );
}

#[test]
fn a_log_that_needs_recovery_is_refused() {
    let dir = Scratch::new("dirty");
    let img = proto_image(&dir, "dirty", "");
    let mnt = dir.0.join("mnt");
    let Some(m) = LoopMount::new(&img, &mnt, "rw") else {
        eprintln!("SKIPPED: cannot loop-mount an XFS image here (needs root and loop devices)");
        return;
    };
    // Shut the filesystem down after a change reached the log but before unmount cleaned it.
    assert!(sh(&format!(
        "echo changed > '{0}/new' && xfs_io -x -c 'shutdown -f' '{0}'",
        mnt.display()
    )));
    drop(m);
    let dev: Device = Arc::new(RawImage::open(&img).unwrap());
    let why = guestfs::fs::refusal(&dev, "xfs").expect("a dirty log is refused");
    assert_eq!(why, "the log has transactions to replay");
    let e = XfsFs::open(dev).err().expect("open refuses a dirty log");
    assert_eq!(e.errno, libc::ENOTSUP);
    assert_eq!(e.message, "xfs: the log has transactions to replay");
}

#[test]
fn clean_proto_images_open_and_are_not_refused() {
    let dir = Scratch::new("proto");
    for (name, args) in [("v5", ""), ("v4", "-m crc=0")] {
        let img = proto_image(&dir, name, args);
        let dev: Device = Arc::new(RawImage::open(&img).unwrap());
        assert_eq!(guestfs::fs::refusal(&dev, "xfs"), None);
        let fs = XfsFs::open(dev).unwrap();
        let d = fs.lookup(fs.root(), "d").unwrap().unwrap();
        assert_eq!(fs.read_dir(d).unwrap().len(), 100);
        let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
        assert_eq!(read_all(&fs, f, 20000), vec![b'x'; 20000]);
        assert_eq!(
            fs.read_link(fs.lookup(fs.root(), "l").unwrap().unwrap())
                .unwrap(),
            "f"
        );
    }
}

#[test]
fn truncated_image_is_refused() {
    let dir = Scratch::new("trunc");
    let img = proto_image(&dir, "t", "");
    let data = std::fs::read(&img).unwrap();
    for len in [0, 100, 512, 4096, data.len() / 2, data.len() - 4096] {
        let r = open_bytes(data[..len].to_vec()).map(|_| ());
        assert!(r.is_err(), "opened a {}-byte prefix", len);
    }
    expect_eio(
        open_bytes(data[..data.len() / 2].to_vec()).map(|_| ()),
        "larger than its device",
    );
}

#[test]
fn absurd_extent_count_is_an_error() {
    let dir = Scratch::new("absurd");
    for (name, args) in [("v5", ""), ("v4", "-m crc=0")] {
        let img = proto_image(&dir, name, args);
        let fs = open(&img);
        let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
        drop(fs);
        // xfs_db recomputes the inode's checksum, so only the count is wrong.
        xfs_db(
            &img,
            &[&format!("inode {}", f), "write core.nextents 4000000000"],
        );
        let fs = open(&img);
        expect_eio(fs.read_at(f, 0, &mut [0u8; 512]), "extent");
        exercise(&fs);
    }
}

#[test]
fn random_damage_to_metadata_gives_errors_not_panics() {
    let dir = Scratch::new("damage");
    for (name, args) in [("v5", ""), ("v4", "-m crc=0")] {
        let img = proto_image(&dir, name, args);
        let data = std::fs::read(&img).unwrap();
        // The first 256 KiB hold the superblock, AG headers, the inode chunk and directory
        // blocks of these small images.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..300 {
            let mut d = data.clone();
            for _ in 0..1 + round % 8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize >> 8) % (256 * 1024);
                d[at] = seed as u8;
            }
            if let Ok(fs) = open_bytes(d) {
                exercise(&fs);
            }
        }
    }
}

/// The v4 image of the populate script (block-map B-tree directories and files), made once.
fn populated_v4(dir: &Scratch) -> Option<PathBuf> {
    make_image(dir, "v4", "-m crc=0", false)
}

#[test]
fn directory_btree_whose_child_points_at_itself() {
    let dir = Scratch::new("btloop");
    let Some(img) = populated_v4(&dir) else {
        return;
    };
    let fs = open(&img);
    let bt1 = fs.lookup(fs.root(), "bt1").unwrap().unwrap();
    drop(fs);
    let out = xfs_db(
        &img,
        &[
            &format!("inode {}", bt1),
            "print core.format u.bmbt.ptrs[1]",
        ],
    );
    assert!(out.contains("(btree)"), "{}", out);
    let child = db_number(out.lines().nth(1).unwrap());
    let inode_at = db_number(&xfs_db(&img, &[&format!("convert ino {} byte", bt1)]));
    let child_at = db_number(&xfs_db(&img, &[&format!("convert fsb {} byte", child)]));
    let mut data = std::fs::read(&img).unwrap();
    // The root in the inode (v4 core: 100 bytes) says level 2; the child says level 1 and
    // its first pointer names itself.
    let root = inode_at as usize + 100;
    data[root..root + 2].copy_from_slice(&2u16.to_be_bytes());
    let c = child_at as usize;
    data[c + 4..c + 6].copy_from_slice(&1u16.to_be_bytes());
    let ptrs = c + 24 + (4096 - 24) / 16 * 8;
    data[ptrs..ptrs + 8].copy_from_slice(&child.to_be_bytes());
    let fs = open_bytes(data).unwrap();
    expect_eio(fs.read_dir(bt1), "reached twice (a loop)");
    expect_eio(fs.lookup(bt1, "x"), "reached twice (a loop)");
    // The rest of the filesystem still reads.
    assert!(fs.lookup(fs.root(), "files").unwrap().is_some());
}
