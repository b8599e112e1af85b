//! The native ext2/3/4 reader against images made by mke2fs, checked against the source
//! tree, against the kernel's own ext4 driver (a read-only loop mount, when this runs as root
//! with loop devices), against blkid, and against libguestfs's outputs for the fixtures.

use guestfs::block::raw::RawImage;
use guestfs::block::{BlockDevice, Device, Slice};
use guestfs::fs::ext::{probe, ExtFs};
use guestfs::fs::{FileType, Filesystem, Ino};
use guestfs::types::StatNs;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// Helpers

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let p = base.join(format!(
            "ext-test-{}-{}-{}",
            std::process::id(),
            tag,
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {}", cmd, e));
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A deterministic stream of pseudo-random numbers (xorshift64).
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Deterministic bytes.
fn pseudo_random(len: usize, mut seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.extend_from_slice(&seed.to_le_bytes());
    }
    v.truncate(len);
    v
}

fn sha256(data: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(data);
    h.finalize().iter().map(|b| format!("{:02x}", b)).collect()
}

fn have_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// The source tree every image is made from.
fn populate(src: &Path, with_specials: bool) {
    std::fs::write(src.join("hello.txt"), b"hello, world\n").unwrap();
    std::fs::write(src.join("empty"), b"").unwrap();
    std::fs::write(src.join("big.bin"), pseudo_random(5 << 20, 42)).unwrap();
    // A sparse file: data at 0 and at 3 MiB, a hole between.
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::create(src.join("sparse.bin")).unwrap();
        f.write_all_at(&pseudo_random(8192, 7), 0).unwrap();
        f.write_all_at(&pseudo_random(4096, 8), 3 << 20).unwrap();
        // A large sparse file: 5 GiB of hole, then data (triple-indirect with 1 KiB blocks).
        let f = std::fs::File::create(src.join("huge-sparse")).unwrap();
        f.write_all_at(&pseudo_random(5000, 11), 5 << 30).unwrap();
    }
    std::fs::hard_link(src.join("hello.txt"), src.join("hello-link")).unwrap();
    symlink("hello.txt", src.join("fast-link")).unwrap();
    let long_target = format!("{}/target", "long-directory-name".repeat(10));
    symlink(&long_target, src.join("slow-link")).unwrap();
    std::fs::create_dir_all(src.join("a/b/c")).unwrap();
    std::fs::write(src.join("a/b/c/deep.txt"), b"deep\n").unwrap();
    std::fs::create_dir(src.join("many")).unwrap();
    for i in 0..2000 {
        std::fs::write(
            src.join(format!("many/file-with-a-longish-name-{:05}", i)),
            format!("{}\n", i),
        )
        .unwrap();
    }
    std::fs::write(src.join("small-inline"), b"tiny").unwrap();
    std::fs::write(src.join("medium"), pseudo_random(100, 3)).unwrap();
    if with_specials {
        let c = |p: &str| CString::new(src.join(p).as_os_str().as_bytes()).unwrap();
        unsafe {
            libc::mkfifo(c("fifo").as_ptr(), 0o644);
            if have_root() {
                libc::mknod(
                    c("null").as_ptr(),
                    libc::S_IFCHR | 0o666,
                    libc::makedev(1, 3),
                );
                libc::mknod(
                    c("sda1").as_ptr(),
                    libc::S_IFBLK | 0o660,
                    libc::makedev(8, 1),
                );
                libc::mknod(
                    c("bigdev").as_ptr(),
                    libc::S_IFCHR | 0o600,
                    libc::makedev(300, 70000),
                );
            }
        }
    }
    // Extended attributes, if the host filesystem keeps them.
    let _ = Command::new("setfattr")
        .args(["-n", "user.greeting", "-v", "hello"])
        .arg(src.join("hello.txt"))
        .status();
    // POSIX ACLs, stored by mke2fs in ext4's compact format.
    let _ = Command::new("setfacl")
        .args(["-m", "u:1000:r,g:50:rw"])
        .arg(src.join("hello.txt"))
        .status();
    let _ = Command::new("setfacl")
        .args(["-d", "-m", "u:1000:rx"])
        .arg(src.join("a"))
        .status();
    let _ = Command::new("setfattr")
        .args(["-n", "user.big", "-v", &"x".repeat(700)])
        .arg(src.join("medium"))
        .status();
}

fn mkfs(dir: &Path, name: &str, mkfs: &str, args: &[&str], src: &Path, size_mib: u64) -> PathBuf {
    let img = dir.join(format!("{}.img", name));
    let f = std::fs::File::create(&img).unwrap();
    f.set_len(size_mib << 20).unwrap();
    drop(f);
    run(Command::new(mkfs)
        .args(["-q", "-F"])
        .args(args)
        .arg("-d")
        .arg(src)
        .arg(&img));
    img
}

fn open_image(img: &Path) -> ExtFs {
    let dev: Device = Arc::new(RawImage::open(img).unwrap());
    ExtFs::open(dev).unwrap()
}

/// Resolves a relative path (no symlinks followed).
fn resolve(fs: &ExtFs, path: &str) -> Ino {
    let mut ino = fs.root();
    for c in path.split('/').filter(|c| !c.is_empty()) {
        ino = fs
            .lookup(ino, c)
            .unwrap()
            .unwrap_or_else(|| panic!("{} not found", path));
    }
    ino
}

fn read_all(fs: &ExtFs, ino: Ino) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 256 * 1024 + 17];
    loop {
        let n = fs.read_at(ino, out.len() as u64, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// Every path of the tree (relative, without leading '/'), with its inode and entry type.
fn walk(fs: &ExtFs) -> BTreeMap<String, (Ino, FileType)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(String::new(), fs.root())];
    let mut seen = HashSet::new();
    while let Some((path, ino)) = stack.pop() {
        if !seen.insert(ino) {
            continue;
        }
        for e in fs.read_dir(ino).unwrap() {
            let p = if path.is_empty() {
                e.name.clone()
            } else {
                format!("{}/{}", path, e.name)
            };
            let ft = match e.file_type {
                FileType::Unknown => FileType::from_mode(fs.stat(e.ino).unwrap().st_mode),
                t => t,
            };
            if ft == FileType::Directory {
                stack.push((p.clone(), e.ino));
            }
            out.insert(p, (e.ino, ft));
        }
    }
    out
}

/// Compares the image with the tree it was made from: names, types, data, link targets.
fn check_against_source(fs: &ExtFs, src: &Path) {
    let tree = walk(fs);
    let mut expected = BTreeMap::new();
    fn list(dir: &Path, rel: &str, out: &mut BTreeMap<String, std::fs::Metadata>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let p = if rel.is_empty() {
                name.clone()
            } else {
                format!("{}/{}", rel, name)
            };
            let md = std::fs::symlink_metadata(e.path()).unwrap();
            if md.is_dir() {
                list(&e.path(), &p, out);
            }
            out.insert(p, md);
        }
    }
    list(src, "", &mut expected);
    let ours: Vec<&String> = tree.keys().filter(|k| *k != "lost+found").collect();
    let theirs: Vec<&String> = expected.keys().collect();
    assert_eq!(ours, theirs, "names differ");
    for (path, (ino, ft)) in &tree {
        if path == "lost+found" {
            continue;
        }
        let md = &expected[path];
        let st = fs.stat(*ino).unwrap();
        assert_eq!(st.st_mode as u32, md.mode(), "{}: mode", path);
        assert_eq!(*ft, FileType::from_mode(st.st_mode), "{}: entry type", path);
        match ft {
            FileType::Regular if md.len() > (64 << 20) => {
                // Only the end of very large (sparse) files: 1 MiB of hole and the data.
                use std::os::unix::fs::FileExt;
                assert_eq!(st.st_size as u64, md.len(), "{}: size", path);
                let off = md.len() - (1 << 20);
                let mut want = vec![0u8; 1 << 20];
                std::fs::File::open(src.join(path))
                    .unwrap()
                    .read_exact_at(&mut want, off)
                    .unwrap();
                let mut got = vec![0xffu8; 1 << 20];
                assert_eq!(fs.read_at(*ino, off, &mut got).unwrap(), 1 << 20);
                assert_eq!(got, want, "{}: content", path);
                let mut b = [0xffu8; 100];
                assert_eq!(fs.read_at(*ino, 1 << 30, &mut b).unwrap(), 100);
                assert_eq!(b, [0u8; 100], "{}: hole", path);
            }
            FileType::Regular => {
                assert_eq!(st.st_size as u64, md.len(), "{}: size", path);
                let data = read_all(fs, *ino);
                let want = std::fs::read(src.join(path)).unwrap();
                assert_eq!(sha256(&data), sha256(&want), "{}: content", path);
            }
            FileType::Symlink => {
                let t = fs.read_link(*ino).unwrap();
                let want = std::fs::read_link(src.join(path)).unwrap();
                assert_eq!(t, want.to_string_lossy(), "{}: link target", path);
            }
            FileType::CharDevice | FileType::BlockDevice => {
                assert_eq!(st.st_rdev as u64, md.rdev(), "{}: rdev", path);
            }
            _ => {}
        }
    }
    // The hard link shares the inode and both names count.
    assert_eq!(tree["hello.txt"].0, tree["hello-link"].0);
    assert_eq!(fs.stat(tree["hello.txt"].0).unwrap().st_nlink, 2);
}

/// A read-only mount of an image through a loop device, undone on drop. With `writable`
/// the loop device itself is writable, so the kernel can replay a journal.
struct Mount {
    dir: PathBuf,
    loopdev: String,
}

impl Mount {
    fn new(img: &Path, at: &Path, offset: u64, writable: bool) -> Option<Mount> {
        if !have_root() {
            return None;
        }
        std::fs::create_dir_all(at).ok()?;
        let mut c = Command::new("losetup");
        c.args(["-f", "--show", "-o"]).arg(offset.to_string());
        if !writable {
            c.arg("-r");
        }
        let out = c.arg(img).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let loopdev = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let ok = Command::new("mount")
            .args(["-o", "ro"])
            .arg(&loopdev)
            .arg(at)
            .status()
            .ok()?
            .success();
        if !ok {
            let _ = Command::new("losetup").arg("-d").arg(&loopdev).status();
            return None;
        }
        Some(Mount {
            dir: at.to_path_buf(),
            loopdev,
        })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = Command::new("losetup")
            .arg("-d")
            .arg(&self.loopdev)
            .status();
    }
}

fn kernel_stat(p: &Path) -> StatNs {
    let m = std::fs::symlink_metadata(p).unwrap();
    StatNs {
        st_dev: 0,
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

fn kernel_xattrs(p: &Path) -> Vec<(String, Vec<u8>)> {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    let mut names = vec![0u8; 65536];
    let n = unsafe {
        libc::llistxattr(
            c.as_ptr(),
            names.as_mut_ptr() as *mut libc::c_char,
            names.len(),
        )
    };
    assert!(n >= 0, "llistxattr {}", p.display());
    let mut out = Vec::new();
    for name in names[..n as usize]
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
    {
        let cn = CString::new(name).unwrap();
        let mut v = vec![0u8; 65536];
        let len = unsafe {
            libc::lgetxattr(
                c.as_ptr(),
                cn.as_ptr(),
                v.as_mut_ptr() as *mut libc::c_void,
                v.len(),
            )
        };
        assert!(len >= 0);
        v.truncate(len as usize);
        out.push((String::from_utf8_lossy(name).into_owned(), v));
    }
    out.sort();
    out
}

/// Compares every inode's stat, every directory, link, xattr list and statvfs with what the
/// kernel's driver reports. Returns false (after saying so) when no mount is possible.
fn check_against_kernel(fs: &ExtFs, img: &Path, mnt: &Path) -> bool {
    check_against_kernel_at(fs, img, 0, false, mnt)
}

fn check_against_kernel_at(
    fs: &ExtFs,
    img: &Path,
    offset: u64,
    writable: bool,
    mnt: &Path,
) -> bool {
    let Some(m) = Mount::new(img, mnt, offset, writable) else {
        eprintln!(
            "note: cannot loop-mount {} (needs root and loop devices); kernel comparison skipped",
            img.display()
        );
        return false;
    };
    let tree = walk(fs);
    let mut all: Vec<(String, Ino)> = tree.iter().map(|(p, (i, _))| (p.clone(), *i)).collect();
    all.push((String::new(), fs.root()));
    for (path, ino) in &all {
        let kp = m.dir.join(path);
        let want = kernel_stat(&kp);
        let got = fs.stat(*ino).unwrap();
        assert_eq!(got, want, "stat of /{}", path);
        let ft = FileType::from_mode(got.st_mode);
        if ft == FileType::Directory {
            let ours: Vec<(String, u64)> = fs
                .read_dir(*ino)
                .unwrap()
                .into_iter()
                .map(|e| (e.name, e.ino))
                .collect();
            let theirs: Vec<(String, u64)> = std::fs::read_dir(&kp)
                .unwrap()
                .map(|e| e.unwrap())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.ino()))
                .collect();
            // Unsorted: the same names in the order the kernel's readdir gives them.
            assert_eq!(ours, theirs, "entries of /{} in readdir order", path);
        }
        if ft == FileType::Symlink {
            assert_eq!(
                fs.read_link(*ino).unwrap(),
                std::fs::read_link(&kp).unwrap().to_string_lossy(),
                "/{}",
                path
            );
        }
        if ft == FileType::Regular && got.st_size < (1 << 20) {
            assert_eq!(
                read_all(fs, *ino),
                std::fs::read(&kp).unwrap(),
                "content of /{}",
                path
            );
        }
        assert_eq!(
            fs.xattrs(*ino).unwrap(),
            kernel_xattrs(&kp),
            "xattrs of /{}",
            path
        );
    }
    let c = CString::new(m.dir.as_os_str().as_bytes()).unwrap();
    let mut sv: libc::statvfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut sv) }, 0);
    let ours = fs.statvfs().unwrap();
    let theirs = (
        sv.f_bsize as i64,
        sv.f_frsize as i64,
        sv.f_blocks as i64,
        sv.f_bfree as i64,
        sv.f_bavail as i64,
        sv.f_files as i64,
        sv.f_ffree as i64,
        sv.f_favail as i64,
        sv.f_fsid as i64,
        sv.f_flag as i64,
        sv.f_namemax as i64,
    );
    let ours = (
        ours.bsize,
        ours.frsize,
        ours.blocks,
        ours.bfree,
        ours.bavail,
        ours.files,
        ours.ffree,
        ours.favail,
        ours.fsid,
        ours.flag,
        ours.namemax,
    );
    assert_eq!(ours, theirs, "statvfs");
    true
}

fn blkid(img: &Path) -> BTreeMap<String, String> {
    let out = Command::new("blkid")
        .args(["-p", "-o", "export"])
        .arg(img)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("\\ ", " ")))
        .collect()
}

fn check_probe(img: &Path) {
    let dev = RawImage::open(img).unwrap();
    let p = probe(&dev).expect("probe");
    let b = blkid(img);
    assert_eq!(Some(&p.fs_type), b.get("TYPE"), "TYPE of {}", img.display());
    assert_eq!(p.uuid, b.get("UUID").cloned().unwrap_or_default(), "UUID");
    assert_eq!(
        p.label,
        b.get("LABEL").cloned().unwrap_or_default(),
        "LABEL"
    );
}

/// Makes an image from the standard tree and checks it every way.
fn full_check(name: &str, mkfs_cmd: &str, args: &[&str], size_mib: u64) {
    full_check_with(name, mkfs_cmd, args, size_mib, false)
}

/// With `htree`, e2fsck -D then indexes the large directory (mke2fs -d writes it linear).
fn full_check_with(name: &str, mkfs_cmd: &str, args: &[&str], size_mib: u64, htree: bool) {
    let t = TempDir::new(name);
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    populate(&src, true);
    let img = mkfs(t.path(), name, mkfs_cmd, args, &src, size_mib);
    if htree {
        index_dirs(&img);
        let out = Command::new("debugfs")
            .args(["-R", "htree /many"])
            .arg(&img)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Root node dump"),
            "no htree made"
        );
    }
    check_probe(&img);
    let fs = open_image(&img);
    check_against_source(&fs, &src);
    check_against_debugfs(&fs, &img, t.path());
    check_against_kernel(&fs, &img, &t.path().join("mnt"));
}

/// Names of `count` files in `dir`, some with bytes above 0x7f (whose hash differs between
/// the signed and unsigned variants), created in a scrambled order.
fn order_tree(src: &Path, dir: &str, count: usize) {
    let d = src.join(dir);
    std::fs::create_dir_all(&d).unwrap();
    for i in 0..count {
        let j = (i * 7919) % count;
        let name = match j % 3 {
            0 => format!("file-{:05}", j),
            1 => format!("caf\u{e9}-{}", j),
            _ => format!("{}-\u{fc}ber-\u{2603}", j),
        };
        std::fs::write(d.join(name), b"x").unwrap();
    }
}

/// The kernel's readdir order (a loop mount) for every hash variant and directory shape:
/// one-block directories (hashed without an index), htree directories indexed by
/// `e2fsck -D`, TEA and legacy hashes, unsigned hashing (s_flags), and a filesystem without
/// dir_index, read in on-disk order.
#[test]
fn readdir_order_is_the_kernels() {
    let t = TempDir::new("order");
    let src = t.path().join("src");
    order_tree(&src, "small", 25);
    order_tree(&src, "big", 3000);
    std::fs::create_dir(src.join("empty")).unwrap();
    // (name, mkfs, its options, superblock fields set after mkfs (the default hash, the
    // unsigned flag 2 in s_flags), whether e2fsck -D then indexes the directories)
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [&'a str], bool);
    let cases: [Case; 6] = [
        ("half-md4", "mkfs.ext4", &[], &[], false),
        ("half-md4-htree", "mkfs.ext4", &[], &[], true),
        (
            "tea-htree",
            "mkfs.ext4",
            &[],
            &["def_hash_version tea"],
            true,
        ),
        (
            "legacy-unsigned-htree",
            "mkfs.ext4",
            &[],
            &["def_hash_version legacy", "flags 2"],
            true,
        ),
        (
            "ext2-no-dir-index",
            "mkfs.ext2",
            &["-O", "^dir_index"],
            &[],
            false,
        ),
        (
            "inline",
            "mkfs.ext4",
            &["-O", "inline_data", "-I", "512"],
            &[],
            false,
        ),
    ];
    for (name, mkfs_cmd, args, fields, index) in cases {
        let img = mkfs(t.path(), name, mkfs_cmd, args, &src, 64);
        for field in fields {
            debugfs_w(&img, &format!("ssv {}", field));
        }
        // mke2fs -d writes names sorted; one added later lands at the end.
        debugfs_w(&img, "mkdir /big/0-added-later");
        if index {
            index_dirs(&img);
        }
        let fs = open_image(&img);
        let Some(m) = Mount::new(&img, &t.path().join(format!("mnt-{}", name)), 0, false) else {
            eprintln!("note: cannot loop-mount (needs root and loop devices); readdir order not compared with the kernel");
            return;
        };
        for dir in ["", "small", "big", "empty"] {
            let ours: Vec<String> = fs
                .read_dir(resolve(&fs, dir))
                .unwrap()
                .into_iter()
                .map(|e| e.name)
                .collect();
            let kernel: Vec<String> = std::fs::read_dir(m.dir.join(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(ours, kernel, "{}: readdir order of /{}", name, dir);
            if dir == "big" {
                // Hash order (or the scrambled creation order) is not name order, so this
                // comparison could tell the orders apart.
                let mut sorted = kernel.clone();
                sorted.sort();
                assert_ne!(kernel, sorted, "{}: /big in name order", name);
            }
        }
    }
}

/// A damaged htree index read as the kernel reads it: where `dx_probe` finds the index
/// unusable the kernel lists the directory linearly, where it is usable but odd (a hash
/// version the names were not indexed with) it goes by the index; a default hash the kernel
/// does not know makes both refuse the filesystem. Without metadata_csum, so the damage is
/// not caught by a checksum first.
#[test]
fn damaged_htree_index_reads_like_the_kernel() {
    let t = TempDir::new("dx-damage");
    let src = t.path().join("src");
    order_tree(&src, "big", 3000);
    let img = mkfs(
        t.path(),
        "dx",
        "mkfs.ext4",
        &["-O", "^metadata_csum", "-b", "1024"],
        &src,
        64,
    );
    index_dirs(&img);
    let root_blk: u64 = debugfs(&img, "bmap /big 0").trim().parse().unwrap();
    let root = root_blk as usize * 1024;
    let clean = std::fs::read(&img).unwrap();
    // (what, byte offset in the image, new value)
    let info = root + 24;
    let entries = info + 8;
    let mutations: [(&str, usize, u8); 8] = [
        ("unknown root hash version", info + 4, 7),
        ("SipHash root without hashes in entries", info + 4, 6),
        ("TEA root over half-MD4 names", info + 4, 2),
        ("unused flag set", info + 7, 1),
        ("too many levels", info + 6, 3),
        ("info length changes the limit", info + 5, 16),
        ("no entries", entries + 2, 0),
        ("first leaf is the root", entries + 4, 0),
    ];
    for (what, off, value) in mutations {
        let mut d = clean.clone();
        d[off] = value;
        if what == "first leaf is the root" {
            d[off + 1..off + 4].fill(0);
        }
        let bad = t.path().join("bad.img");
        std::fs::write(&bad, &d).unwrap();
        let fs = open_image(&bad);
        let ours = fs
            .read_dir(resolve(&fs, "big"))
            .map(|v| v.into_iter().map(|e| e.name).collect::<Vec<_>>());
        let Some(m) = Mount::new(&bad, &t.path().join("mnt"), 0, false) else {
            eprintln!("note: cannot loop-mount (needs root and loop devices); damaged index not compared with the kernel");
            return;
        };
        let kernel = std::fs::read_dir(m.dir.join("big")).and_then(|rd| {
            rd.map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<std::io::Result<Vec<_>>>()
        });
        match (ours, kernel) {
            (Ok(o), Ok(k)) => assert_eq!(o, k, "{}", what),
            (o, k) => panic!(
                "{}: ours {:?}, kernel {:?}",
                what,
                o.map(|v| v.len()),
                k.map(|v| v.len())
            ),
        }
    }
    // A default hash beyond the known ones: the kernel refuses to mount.
    let mut d = clean.clone();
    d[1024 + 0xfc] = 9;
    assert!(ExtFs::open(Arc::new(MemDev(d))).is_err());
}

/// Random damage to a two-level htree directory (its index and leaf blocks) and to the
/// superblock's hash fields gives errors or some listing, never a panic or an endless walk.
#[test]
fn damaged_htree_blocks_give_errors_not_panics() {
    let t = TempDir::new("dx-fuzz");
    let src = t.path().join("src");
    std::fs::create_dir_all(src.join("big")).unwrap();
    std::fs::write(src.join("big/target"), b"x").unwrap();
    // Hard links need no inodes; long names make enough leaves for a second index level.
    for i in 0..6000 {
        std::fs::hard_link(
            src.join("big/target"),
            src.join(format!("big/a-rather-long-name-for-many-leaves-{:05}", i)),
        )
        .unwrap();
    }
    let img = mkfs(
        t.path(),
        "dx2",
        "mkfs.ext4",
        &["-b", "1024", "-O", "^metadata_csum,^has_journal"],
        &src,
        16,
    );
    index_dirs(&img);
    assert!(
        debugfs(&img, "htree /big").contains("Indirect levels: 1"),
        "no two-level htree made"
    );
    let blocks: Vec<usize> = debugfs(&img, "blocks /big")
        .split_whitespace()
        .map(|b| b.parse().unwrap())
        .collect();
    let clean = std::fs::read(&img).unwrap();
    let fs = open_image(&img);
    let dir = resolve(&fs, "big");
    assert_eq!(fs.read_dir(dir).unwrap().len(), 6001);
    let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
    for round in 0..400 {
        let mut d = clean.clone();
        for _ in 0..(1 + next() % 8) {
            let off = if round % 10 == 0 {
                // s_hash_seed, s_def_hash_version, s_flags.
                1024 + [0xec, 0xf0, 0xf4, 0xf8, 0xfc, 0x160][(next() % 6) as usize]
                    + (next() % 4) as usize
            } else {
                // Mostly the index (the first blocks), sometimes anywhere in the directory.
                let i = if next().is_multiple_of(2) {
                    (next() % 3) as usize
                } else {
                    (next() as usize) % blocks.len()
                };
                blocks[i] * 1024 + (next() % 1024) as usize
            };
            d[off] = next() as u8;
        }
        if let Ok(fs) = ExtFs::open(Arc::new(MemDev(d))) {
            if let Ok(entries) = fs.read_dir(dir) {
                // Every name at most once per leaf reading: bounded by the directory's size.
                assert!(entries.len() <= 6001 * blocks.len());
            }
        }
    }
}

/// Compares stat fields with what `debugfs -R "stat <ino>"` prints for every inode.
fn check_against_debugfs(fs: &ExtFs, img: &Path, tmp: &Path) {
    let mut inodes: Vec<Ino> = walk(fs).values().map(|(i, _)| *i).collect();
    inodes.push(fs.root());
    inodes.sort();
    inodes.dedup();
    let cmds = tmp.join("debugfs-cmds");
    std::fs::write(
        &cmds,
        inodes
            .iter()
            .map(|i| format!("stat <{}>\n", i))
            .collect::<String>(),
    )
    .unwrap();
    let out = run(Command::new("debugfs").arg("-f").arg(&cmds).arg(img));
    let mut checked = 0;
    for chunk in out.split("Inode: ").skip(1) {
        let words: Vec<&str> = chunk.split_whitespace().collect();
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .map(|i| words[i + 1])
                .unwrap()
        };
        let ino: u64 = words[0].parse().unwrap();
        let st = fs.stat(ino).unwrap();
        let what = format!("inode {}", ino);
        assert_eq!(
            format!("{:04o}", st.st_mode & 0o7777),
            after("Mode:"),
            "{}",
            what
        );
        assert_eq!(st.st_nlink.to_string(), after("Links:"), "{}", what);
        assert_eq!(st.st_size.to_string(), after("Size:"), "{}", what);
        assert_eq!(st.st_uid.to_string(), after("User:"), "{}", what);
        assert_eq!(st.st_gid.to_string(), after("Group:"), "{}", what);
        let flags = u32::from_str_radix(after("Flags:").trim_start_matches("0x"), 16).unwrap();
        if flags & 0x1000_0000 == 0 || st.st_mode & 0o170000 != 0o100000 {
            assert_eq!(st.st_blocks.to_string(), after("Blockcount:"), "{}", what);
        }
        for (key, sec, nsec) in [
            ("ctime:", st.st_ctime_sec, st.st_ctime_nsec),
            ("atime:", st.st_atime_sec, st.st_atime_nsec),
            ("mtime:", st.st_mtime_sec, st.st_mtime_nsec),
        ] {
            let v = after(key).trim_start_matches("0x");
            let (base, extra) = match v.split_once(':') {
                Some((b, e)) => (
                    u32::from_str_radix(b, 16).unwrap(),
                    u32::from_str_radix(e, 16).unwrap(),
                ),
                None => (u32::from_str_radix(v, 16).unwrap(), 0),
            };
            let want_sec = base as i32 as i64 + (((extra & 3) as i64) << 32);
            assert_eq!(
                (sec, nsec),
                (want_sec, (extra >> 2) as i64),
                "{} {}",
                what,
                key
            );
        }
        checked += 1;
    }
    assert_eq!(checked, inodes.len());
    // The free counts of a freshly made filesystem are the superblock's.
    let sv = fs.statvfs().unwrap();
    let dump = run(Command::new("dumpe2fs").arg("-h").arg(img));
    let field = |k: &str| -> i64 {
        let l = dump.lines().find(|l| l.starts_with(k)).unwrap();
        l[k.len()..].trim().parse().unwrap()
    };
    assert_eq!(sv.bfree, field("Free blocks:"));
    assert_eq!(sv.ffree, field("Free inodes:"));
    assert_eq!(sv.files, field("Inode count:"));
    assert_eq!(sv.bsize, field("Block size:"));
}

// ---------------------------------------------------------------------------------------
// Variants

#[test]
fn ext2_1k_blocks() {
    full_check_with(
        "ext2-1k",
        "mkfs.ext2",
        &["-b", "1024", "-L", "small"],
        64,
        true,
    );
}

#[test]
fn ext2_no_filetype_4k() {
    full_check(
        "ext2-nofiletype",
        "mkfs.ext2",
        &["-b", "4096", "-O", "^filetype"],
        64,
    );
}

#[test]
fn ext3_2k_blocks() {
    full_check_with("ext3-2k", "mkfs.ext3", &["-b", "2048"], 64, true);
}

#[test]
fn ext4_default() {
    full_check_with("ext4", "mkfs.ext4", &["-L", "my label"], 64, true);
}

#[test]
fn ext4_no_journal_1k() {
    full_check(
        "ext4-nojournal",
        "mkfs.ext4",
        &["-b", "1024", "-O", "^has_journal"],
        64,
    );
}

#[test]
fn ext4_inline_data() {
    full_check(
        "ext4-inline",
        "mkfs.ext4",
        &["-O", "inline_data", "-I", "512"],
        64,
    );
}

#[test]
fn ext4_64bit_meta_bg() {
    full_check(
        "ext4-metabg",
        "mkfs.ext4",
        &["-b", "1024", "-O", "64bit,meta_bg,^resize_inode"],
        96,
    );
}

#[test]
fn ext4_bigalloc() {
    full_check(
        "ext4-bigalloc",
        "mkfs.ext4",
        &["-O", "bigalloc", "-C", "16384"],
        64,
    );
}

#[test]
fn ext4_sparse_super2_and_small_inodes() {
    full_check(
        "ext4-ss2",
        "mkfs.ext4",
        &["-O", "sparse_super2", "-I", "128", "-b", "2048"],
        64,
    );
}

#[test]
fn ext4_64k_blocks() {
    // The x86 kernel may refuse blocks larger than a page: the kernel comparison then skips.
    full_check("ext4-64k", "mkfs.ext4", &["-b", "65536"], 256);
}

// ---------------------------------------------------------------------------------------
// The journal

/// `e2fsck -fyD`: indexes every directory of more than one block into an htree (mke2fs -d
/// writes them linear).
fn index_dirs(img: &Path) {
    let _ = Command::new("e2fsck")
        .arg("-fyD")
        .arg(img)
        .output()
        .unwrap();
}

fn debugfs_w(img: &Path, req: &str) {
    run(Command::new("debugfs")
        .arg("-w")
        .arg("-R")
        .arg(req)
        .arg(img));
}

fn debugfs(img: &Path, req: &str) -> String {
    run(Command::new("debugfs").arg("-R").arg(req).arg(img))
        .trim()
        .to_string()
}

fn needs_recovery(img: &Path) -> bool {
    let out = run(Command::new("dumpe2fs").arg("-h").arg(img));
    out.lines()
        .any(|l| l.starts_with("Filesystem features:") && l.contains("needs_recovery"))
}

/// Transactions written into the log by debugfs (not checkpointed): a committed transaction
/// rewriting two data blocks, then one revoking the second.
#[test]
fn journal_replay_with_revoke() {
    let t = TempDir::new("journal");
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("victim.txt"), b"original content\n").unwrap();
    std::fs::write(src.join("revoked.txt"), b"second file\n").unwrap();
    let img = mkfs(t.path(), "j", "mkfs.ext4", &["-b", "4096"], &src, 32);
    let v = debugfs(&img, "bmap /victim.txt 0");
    let r = debugfs(&img, "bmap /revoked.txt 0");
    let mut data = b"REPLAYED CONTENT\n".to_vec();
    data.resize(4096, 0);
    data.extend_from_slice(b"REPLAYED SECOND\n");
    data.resize(8192, 0);
    let blocks = t.path().join("blocks");
    std::fs::write(&blocks, &data).unwrap();
    let cmds = t.path().join("cmds");
    std::fs::write(
        &cmds,
        format!(
            "jo -c\njw -b {},{} {}\njc\njo\njw -r {} /dev/null\njc\n",
            v,
            r,
            blocks.display(),
            r
        ),
    )
    .unwrap();
    run(Command::new("debugfs")
        .arg("-w")
        .arg("-f")
        .arg(&cmds)
        .arg(&img));
    assert!(needs_recovery(&img));

    let fs = open_image(&img);
    assert_eq!(
        read_all(&fs, resolve(&fs, "victim.txt")),
        b"REPLAYED CONTENT\n"
    );
    assert_eq!(read_all(&fs, resolve(&fs, "revoked.txt")), b"second file\n");

    // e2fsck replays the same way.
    let fixed = t.path().join("fixed.img");
    std::fs::copy(&img, &fixed).unwrap();
    let _ = Command::new("e2fsck")
        .arg("-fy")
        .arg(&fixed)
        .output()
        .unwrap();
    let fs2 = open_image(&fixed);
    assert_eq!(
        read_all(&fs2, resolve(&fs2, "victim.txt")),
        b"REPLAYED CONTENT\n"
    );
    assert_eq!(
        read_all(&fs2, resolve(&fs2, "revoked.txt")),
        b"second file\n"
    );

    // And so does the kernel (on a writable loop device, as libguestfs's overlay allows).
    let copy = t.path().join("copy.img");
    std::fs::copy(&img, &copy).unwrap();
    check_against_kernel_at(&fs, &copy, 0, true, &t.path().join("mnt"));
}

/// An image copied while mounted, after the journal committed but before the metadata was
/// written back: only the journal knows the new files.
#[test]
fn journal_replay_of_a_crashed_filesystem() {
    let t = TempDir::new("crash");
    if !have_root() {
        eprintln!("note: making a crashed image needs root; skipped");
        return;
    }
    let img = t.path().join("live.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    run(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&img));
    let mnt = t.path().join("live");
    std::fs::create_dir(&mnt).unwrap();
    let out = run(Command::new("losetup").args(["-f", "--show"]).arg(&img));
    let loopdev = out.trim().to_string();
    let ok = Command::new("mount")
        .args(["-o", "commit=1"])
        .arg(&loopdev)
        .arg(&mnt)
        .status()
        .unwrap()
        .success();
    if !ok {
        let _ = Command::new("losetup").arg("-d").arg(&loopdev).status();
        eprintln!("note: cannot mount {}; skipped", img.display());
        return;
    }
    std::fs::create_dir(mnt.join("newdir")).unwrap();
    // fsync writes the data and commits the inodes to the journal, nothing more.
    let write_synced = |p: PathBuf, data: &[u8]| {
        use std::io::Write;
        let mut f = std::fs::File::create(p).unwrap();
        f.write_all(data).unwrap();
        f.sync_all().unwrap();
    };
    for i in 0..50 {
        write_synced(
            mnt.join(format!("newdir/f{}", i)),
            format!("file {}\n", i).as_bytes(),
        );
    }
    symlink("newdir/f1", mnt.join("newlink")).unwrap();
    write_synced(mnt.join("big"), &pseudo_random(300_000, 9));
    // Let jbd2 commit (commit=1) but not write back (dirty_expire is 30 s).
    std::thread::sleep(std::time::Duration::from_secs(3));
    let crash = t.path().join("crash.img");
    std::fs::copy(&img, &crash).unwrap();
    let _ = Command::new("umount").arg(&mnt).status();
    let _ = Command::new("losetup").arg("-d").arg(&loopdev).status();
    if !needs_recovery(&crash) {
        eprintln!("note: the copy did not need recovery; the replay path is not exercised");
    }
    let fs = open_image(&crash);
    assert_eq!(read_all(&fs, resolve(&fs, "newdir/f7")), b"file 7\n");
    assert_eq!(fs.read_link(resolve(&fs, "newlink")).unwrap(), "newdir/f1");
    assert_eq!(
        read_all(&fs, resolve(&fs, "big")),
        pseudo_random(300_000, 9)
    );
    let copy = t.path().join("copy.img");
    std::fs::copy(&crash, &copy).unwrap();
    check_against_kernel_at(&fs, &copy, 0, true, &t.path().join("mnt"));
}

// ---------------------------------------------------------------------------------------
// libguestfs's fixtures and its outputs for them

fn shared_dir() -> Option<PathBuf> {
    Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .filter(|p| p.join("fixtures/unpack.sh").exists())
}

/// (byte offset, byte size) of each partition of an MBR or GPT disk, by kernel number.
fn partitions(dev: &dyn BlockDevice) -> BTreeMap<u32, (u64, u64)> {
    let mut out = BTreeMap::new();
    let mut mbr = vec![0u8; 512];
    dev.read_exact_at(&mut mbr, 0).unwrap();
    let le32 = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let le64 = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    if mbr[450] == 0xee {
        let mut hdr = vec![0u8; 512];
        dev.read_exact_at(&mut hdr, 512).unwrap();
        assert_eq!(&hdr[..8], b"EFI PART");
        let (lba, n, size) = (le64(&hdr, 72), le32(&hdr, 80) as u64, le32(&hdr, 84) as u64);
        let mut table = vec![0u8; (n * size) as usize];
        dev.read_exact_at(&mut table, lba * 512).unwrap();
        for i in 0..n as usize {
            let e = &table[i * size as usize..(i + 1) * size as usize];
            if e[..16].iter().any(|&b| b != 0) {
                let (first, last) = (le64(e, 32), le64(e, 40));
                out.insert(i as u32 + 1, (first * 512, (last - first + 1) * 512));
            }
        }
    } else {
        for i in 0..4 {
            let e = &mbr[446 + 16 * i..462 + 16 * i];
            if e[4] != 0 {
                out.insert(
                    i as u32 + 1,
                    (le32(e, 8) as u64 * 512, le32(e, 12) as u64 * 512),
                );
            }
        }
    }
    out
}

#[test]
fn libguestfs_fixtures() {
    let Some(shared) = shared_dir() else {
        eprintln!("note: ../shared/fixtures not found; fixture comparison skipped");
        return;
    };
    let dest = std::env::temp_dir().join("ext-test-fixtures");
    run(Command::new(shared.join("fixtures/unpack.sh")).arg(&dest));
    let expected = shared.join("fixtures/expected");
    let cases: &[(&str, &[u32])] = &[
        ("blank-fs", &[1]),
        ("blank-bootroot", &[1, 2]),
        ("blank-bootrootlv", &[1]),
        ("archlinux", &[1]),
        ("coreos", &[3, 5]),
        ("debian", &[1]),
        ("ubuntu", &[1, 2]),
        ("fedora", &[1]),
    ];
    let mnt = TempDir::new("fixtures-mnt");
    for (name, parts) in cases {
        let img = dest.join(format!("{}.img", name));
        let disk: Device = Arc::new(RawImage::open(&img).unwrap());
        let table = partitions(disk.as_ref());
        let df = std::fs::read_to_string(expected.join(format!("{}.df.out", name))).unwrap();
        let fsl = std::fs::read_to_string(
            expected.join(format!("{}.filesystems-all-long-uuid.out", name)),
        )
        .unwrap();
        for n in *parts {
            let (start, size) = table[n];
            let dev: Device = Arc::new(Slice::new(disk.clone(), start, size));
            let fs = ExtFs::open(dev.clone()).unwrap();
            let sv = fs.statvfs().unwrap();
            let devname = format!("/dev/sda{}", n);
            // virt-df: 1K-blocks, used, available.
            let row = df
                .lines()
                .find(|l| l.starts_with(&format!("{}.img:{} ", name, devname)))
                .unwrap_or_else(|| panic!("{} {} not in df output", name, devname));
            let cols: Vec<i64> = row
                .split_whitespace()
                .skip(1)
                .take(3)
                .map(|c| c.parse().unwrap())
                .collect();
            let k = sv.bsize / 1024;
            assert_eq!(
                cols,
                vec![sv.blocks * k, (sv.blocks - sv.bfree) * k, sv.bavail * k],
                "df of {} {}",
                name,
                devname
            );
            // virt-filesystems: type, label, size, UUID.
            let row = fsl
                .lines()
                .find(|l| l.starts_with(&format!("{} ", devname)) && l.contains(" filesystem "))
                .unwrap();
            let cols: Vec<&str> = row.split_whitespace().collect();
            let p = probe(dev.as_ref()).unwrap();
            assert_eq!(cols[2], p.fs_type, "{} {}", name, devname);
            assert_eq!(
                cols[3],
                if p.label.is_empty() {
                    "-"
                } else {
                    p.label.as_str()
                }
            );
            assert_eq!(
                cols[5].parse::<i64>().unwrap(),
                sv.blocks * sv.bsize,
                "size of {} {}",
                name,
                devname
            );
            assert_eq!(cols[7], p.uuid);
            // The kernel agrees on everything it shows.
            check_against_kernel_at(
                &fs,
                &img,
                start,
                false,
                &mnt.path().join(format!("{}-{}", name, n)),
            );
        }
    }
    // virt-ls --extra-stats on archlinux's /etc: inode numbers, link counts, blocks.
    let img = dest.join("archlinux.img");
    let disk: Device = Arc::new(RawImage::open(&img).unwrap());
    let (start, size) = partitions(disk.as_ref())[&1];
    let fs = ExtFs::open(Arc::new(Slice::new(disk, start, size))).unwrap();
    let ls = std::fs::read_to_string(expected.join("archlinux.ls-csv-extra-etc.out")).unwrap();
    for line in ls.lines() {
        let c: Vec<&str> = line.split(',').collect();
        let st = fs.stat(resolve(&fs, c[13])).unwrap();
        assert_eq!(format!("{:04o}", st.st_mode & 0o7777), c[1], "{}", line);
        assert_eq!(st.st_size.to_string(), c[2], "{}", line);
        assert_eq!(st.st_ino.to_string(), c[9], "{}", line);
        assert_eq!(st.st_nlink.to_string(), c[10], "{}", line);
        assert_eq!(st.st_blocks.to_string(), c[12], "{}", line);
    }
}

// ---------------------------------------------------------------------------------------
// Corrupt images: errors, never panics or endless loops

struct MemDev(Vec<u8>);

impl BlockDevice for MemDev {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        guestfs::block::check_range(self.size(), offset, buf.len())?;
        buf.copy_from_slice(&self.0[offset as usize..offset as usize + buf.len()]);
        Ok(())
    }
}

/// Reads everything reachable with bounded effort, ignoring errors; returns how many
/// operations succeeded.
fn exercise(fs: &ExtFs) -> usize {
    let mut ok = 0;
    let _ = fs.statvfs();
    let mut stack = vec![fs.root()];
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; 64 * 1024];
    while let Some(dir) = stack.pop() {
        if !seen.insert(dir) || seen.len() > 500 {
            continue;
        }
        let Ok(entries) = fs.read_dir(dir) else {
            continue;
        };
        ok += 1;
        for e in entries.into_iter().take(3000) {
            let _ = fs.lookup(dir, &e.name);
            let Ok(st) = fs.stat(e.ino) else { continue };
            ok += 1;
            let _ = fs.xattrs(e.ino);
            match FileType::from_mode(st.st_mode) {
                FileType::Directory => stack.push(e.ino),
                FileType::Symlink => {
                    let _ = fs.read_link(e.ino);
                }
                FileType::Regular => {
                    let mut off = 0u64;
                    while off < (1 << 20) {
                        match fs.read_at(e.ino, off, &mut buf) {
                            Ok(n) if n > 0 => off += n as u64,
                            _ => break,
                        }
                    }
                }
                _ => {}
            }
        }
    }
    ok
}

fn small_image(t: &TempDir, mkfs_cmd: &str, args: &[&str]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("small{}", N.fetch_add(1, Ordering::SeqCst));
    let src = t.path().join(format!("{}-src", name));
    std::fs::create_dir_all(src.join("d/e")).unwrap();
    std::fs::write(src.join("file"), pseudo_random(70_000, 1)).unwrap();
    std::fs::write(src.join("d/e/small"), b"small").unwrap();
    symlink("file", src.join("link")).unwrap();
    symlink("x".repeat(100), src.join("slowlink")).unwrap();
    for i in 0..40 {
        std::fs::write(src.join(format!("d/f{}", i)), b"x").unwrap();
    }
    let _ = Command::new("setfattr")
        .args(["-n", "user.a", "-v", "b"])
        .arg(src.join("file"))
        .status();
    mkfs(t.path(), &name, mkfs_cmd, args, &src, 4)
}

#[test]
fn truncated_image_is_refused() {
    let t = TempDir::new("trunc");
    let img = small_image(&t, "mkfs.ext4", &["-b", "1024"]);
    let data = std::fs::read(&img).unwrap();
    for len in [0usize, 1500, 2048, 8192, data.len() / 3, data.len() - 1024] {
        let dev: Device = Arc::new(MemDev(data[..len].to_vec()));
        let r = ExtFs::open(dev);
        assert!(r.is_err(), "truncated to {} bytes was accepted", len);
        assert_eq!(r.err().unwrap().errno, libc::EIO);
    }
}

#[test]
fn mutated_metadata_gives_errors_not_panics() {
    let t = TempDir::new("mutate");
    for (cmd, args) in [
        ("mkfs.ext4", &["-b", "1024"][..]),
        ("mkfs.ext2", &["-b", "1024"][..]),
        (
            "mkfs.ext4",
            &["-b", "1024", "-O", "inline_data,^has_journal"][..],
        ),
    ] {
        let img = small_image(&t, cmd, args);
        let data = std::fs::read(&img).unwrap();
        let clean = open_image(&img);
        assert!(exercise(&clean) > 40);
        // Metadata lives in the first part of these small images: superblock, descriptors,
        // bitmaps, inode tables, directory and extent blocks.
        let hot = (data.len() / 2).min(600 * 1024);
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..300 {
            let mut d = data.clone();
            for _ in 0..(1 + next() % 16) {
                let off = if next().is_multiple_of(4) {
                    1024 + (next() % 1024) as usize
                } else {
                    (next() as usize) % hot
                };
                d[off] = next() as u8;
            }
            if let Ok(fs) = ExtFs::open(Arc::new(MemDev(d))) {
                exercise(&fs);
            }
        }
    }
}

#[test]
fn directory_loop_and_deep_extent_trees() {
    let t = TempDir::new("loop");
    let img = small_image(&t, "mkfs.ext4", &["-b", "1024", "-O", "^has_journal"]);
    // A hard link from d/e/up back to d: a cycle in the tree.
    run(Command::new("debugfs")
        .args(["-w", "-R", "link /d /d/e/up"])
        .arg(&img));
    // The root of /file's extent tree claims depth 6 (the kernel's limit is 5).
    let file_ino = debugfs(&img, "stat /file");
    assert!(file_ino.contains("EXTENTS"));
    run(Command::new("debugfs")
        .args(["-w", "-R", "sif /file block[1] 0x60004"])
        .arg(&img));
    // /d/f0's root claims depth 1 with an index entry into a data block.
    run(Command::new("debugfs")
        .args(["-w", "-R", "sif /d/f0 block[1] 0x10004"])
        .arg(&img));
    let fs = open_image(&img);
    let d = resolve(&fs, "d");
    let up = resolve(&fs, "d/e/up");
    assert_eq!(up, d);
    assert_eq!(
        resolve(&fs, "d/e/up/e/up/e/up/e/small"),
        resolve(&fs, "d/e/small")
    );
    exercise(&fs);
    for p in ["file", "d/f0"] {
        let ino = resolve(&fs, p);
        let e = fs.stat(ino).unwrap_err();
        assert_eq!(e.errno, libc::EIO, "{}: {}", p, e);
        let mut b = [0u8; 10];
        assert_eq!(fs.read_at(ino, 0, &mut b).unwrap_err().errno, libc::EIO);
    }
}

/// Throughput of large sequential reads (run by hand: `cargo test -p guestfs --test ext --
/// --ignored --nocapture read_throughput`). Prints figures; asserts only the content.
#[test]
#[ignore]
fn read_throughput() {
    let t = TempDir::new("perf");
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let data = pseudo_random(256 << 20, 5);
    std::fs::write(src.join("big"), &data).unwrap();
    for (name, cmd, args) in [
        ("ext4", "mkfs.ext4", &[][..]),
        ("ext3", "mkfs.ext3", &[][..]),
    ] {
        let img = mkfs(t.path(), name, cmd, args, &src, 400);
        let fs = open_image(&img);
        let ino = resolve(&fs, "big");
        let mut buf = vec![0u8; 1 << 20];
        for round in 0..3 {
            let start = std::time::Instant::now();
            let mut h = Sha256::new();
            let mut off = 0u64;
            loop {
                let n = fs.read_at(ino, off, &mut buf).unwrap();
                if n == 0 {
                    break;
                }
                if round == 0 {
                    h.update(&buf[..n]);
                }
                off += n as u64;
            }
            let secs = start.elapsed().as_secs_f64();
            if round == 0 {
                assert_eq!(format!("{:x}", h.finalize()), sha256(&data));
            } else {
                eprintln!(
                    "{}: {} MiB in {:.3} s: {:.0} MiB/s",
                    name,
                    off >> 20,
                    secs,
                    (off >> 20) as f64 / secs
                );
            }
        }
    }
}

/// Bigalloc without `s_overhead_clusters`: the kernel counts the metadata clusters itself.
#[test]
fn ext4_bigalloc_computed_overhead() {
    for (name, args) in [
        (
            "bigalloc-1k",
            &["-b", "1024", "-O", "bigalloc", "-C", "16384"][..],
        ),
        (
            "bigalloc-4k",
            &["-b", "4096", "-O", "bigalloc,^has_journal", "-C", "65536"][..],
        ),
    ] {
        let t = TempDir::new(name);
        let src = t.path().join("src");
        std::fs::create_dir(&src).unwrap();
        std::fs::write(src.join("f"), b"x").unwrap();
        let img = mkfs(t.path(), name, "mkfs.ext4", args, &src, 200);
        run(Command::new("debugfs")
            .args(["-w", "-R", "ssv overhead_clusters 0"])
            .arg(&img));
        let fs = open_image(&img);
        check_against_kernel(&fs, &img, &t.path().join("mnt"));
    }
}
