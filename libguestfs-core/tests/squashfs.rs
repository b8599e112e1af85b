//! The native squashfs reader against images made by mksquashfs, compared with what the
//! kernel's squashfs driver reports on a loop mount (this needs root and loop devices, and
//! says so when it cannot): every stat, the readdir order of every directory, link targets,
//! extended attributes, file contents and statfs, for each compressor the reader decodes
//! and the layouts mksquashfs's options give. Refused images (lzo, xz with BCJ filters other
//! than x86) are ENOTSUP with a reason; damaged ones give errors, never panics or endless
//! loops.

mod common;
use common::*;
use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use guestfs::fs::squashfs::SquashFs;
use guestfs::fs::{FileType, Filesystem};
use guestfs::protocol::lossless;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const POPULATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/squashfs-populate.sh"
);

fn have_mksquashfs() -> bool {
    if sh("mksquashfs -version >/dev/null 2>&1") {
        return true;
    }
    eprintln!("SKIP: mksquashfs is not installed");
    false
}

/// The populate script's tree, made once per test in `dir`.
fn populated(dir: &Scratch) -> PathBuf {
    let src = dir.0.join("src");
    std::fs::create_dir_all(&src).unwrap();
    assert!(sh(&format!("bash '{}' '{}'", POPULATE, src.display())));
    src
}

/// mksquashfs `src` with `args` into `dir/name.img`.
fn mksquashfs(dir: &Scratch, src: &Path, name: &str, args: &str) -> PathBuf {
    let img = dir.0.join(format!("{}.img", name));
    assert!(
        sh(&format!(
            "mksquashfs '{}' '{}' -noappend -quiet -no-progress {} >/dev/null",
            src.display(),
            img.display(),
            args
        )),
        "mksquashfs {}",
        args
    );
    img
}

fn open(img: &Path) -> SquashFs {
    let dev: Device = Arc::new(RawImage::open(img).unwrap());
    SquashFs::open(dev).unwrap()
}

/// Makes an image of the populate script's tree, and compares the native reader with the
/// kernel's driver on it.
fn check_against_kernel(name: &str, args: &str) {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new(name);
    let src = populated(&dir);
    let img = mksquashfs(&dir, &src, name, args);
    let mnt = dir.0.join("ro");
    let Some(m) = LoopMount::new(&img, &mnt, "ro") else {
        eprintln!("SKIP: cannot loop-mount a squashfs image here (needs root and loop devices)");
        return;
    };
    let kernel = kernel_tree(&mnt, XattrOrder::Listed);
    // SAFETY: a zeroed statvfs is a valid value for the call to fill in.
    let mut kst: libc::statvfs = unsafe { std::mem::zeroed() };
    let cpath = CString::new(mnt.as_os_str().as_bytes()).unwrap();
    // SAFETY: the path is NUL-terminated and the struct is ours.
    assert_eq!(unsafe { libc::statvfs(cpath.as_ptr(), &mut kst) }, 0);
    // `..` of every directory but the root, as the kernel's readdir gives it.
    let mut dotdot = BTreeMap::new();
    for rel in kernel.keys() {
        let is_dir = kernel[rel].stat.st_mode & libc::S_IFMT as i64 == libc::S_IFDIR as i64;
        if is_dir && rel.len() > 1 {
            let parent = rel[..rel.iter().rposition(|&b| b == b'/').unwrap().max(1)].to_vec();
            dotdot.insert(rel.clone(), kernel[&parent].stat.st_ino as u64);
        }
    }
    drop(m);

    let fs = open(&img);
    let native = native_tree(&fs);
    assert_eq!(
        kernel.keys().collect::<Vec<_>>(),
        native.keys().collect::<Vec<_>>()
    );
    for (path, k) in &kernel {
        let path_s = String::from_utf8_lossy(path);
        let n = &native[path];
        // Field by field, so that a failure names what differs without printing values
        // of kilobytes.
        assert_eq!(k.stat, n.stat, "stat of {}", path_s);
        assert_eq!(k.entries, n.entries, "entries of {}", path_s);
        assert_eq!(k.link, n.link, "link of {}", path_s);
        assert_eq!(k.digest, n.digest, "contents of {}", path_s);
        assert!(k.xattrs == n.xattrs, "xattrs of {}", path_s);
    }
    // `..` names the parent directory.
    for (rel, parent) in &dotdot {
        let mut ino = fs.root();
        for part in rel[1..].split(|&b| b == b'/') {
            ino = fs
                .lookup(ino, &lossless::string_from(part.to_vec()))
                .unwrap()
                .unwrap();
        }
        assert_eq!(fs.read_dir_with_dots(ino, 0).unwrap()[1].ino, *parent);
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
    assert!(fs.fsid_is_device());

    // What the populate script made is all there, so a regression cannot pass unnoticed.
    let entries = |p: &str| kernel[p.as_bytes()].entries.len();
    assert_eq!(entries("/big"), 1500);
    if !args.contains("-no-xattrs") {
        assert_eq!(kernel[&b"/attrs/many"[..]].xattrs.len(), 40);
        assert_eq!(kernel[&b"/attrs/one"[..]].xattrs.len(), 3);
    }
    assert_eq!(kernel[&b"/files/random"[..]].stat.st_uid, 4_000_000_000);
    assert_eq!(kernel[&b"/links/long"[..]].link.len(), 907);
}

#[test]
fn gzip_default_matches_the_kernel() {
    check_against_kernel("gzip", "");
}

#[test]
fn xz_matches_the_kernel() {
    check_against_kernel("xz", "-comp xz");
}

#[test]
fn xz_bcj_x86_matches_the_kernel() {
    check_against_kernel("xzbcj", "-comp xz -Xbcj x86 -Xdict-size 50%");
}

#[test]
fn xz_dictionary_larger_than_the_options_is_refused_like_the_kernel() {
    if !have_mksquashfs() {
        return;
    }
    // With 4 KiB blocks and compressor options written (-Xbcj), the options say a 4 KiB
    // dictionary, but metadata blocks are compressed with 8 KiB: the kernel cannot read
    // them, and neither does this reader.
    let dir = Scratch::new("xzdict");
    let src = populated(&dir);
    let img = mksquashfs(&dir, &src, "d", "-comp xz -b 4096 -Xbcj x86");
    let mnt = dir.0.join("mnt");
    if let Some(m) = LoopMount::new(&img, &mnt, "ro") {
        // Whether the mount itself fails depends on the block holding the root inode.
        let listed = sh(&format!("ls -lR '{}' >/dev/null 2>&1", mnt.display()));
        drop(m);
        assert!(
            !listed,
            "the kernel read an xz dictionary larger than its options'"
        );
    }
    let dev: Device = Arc::new(RawImage::open(&img).unwrap());
    let why = "larger than the filesystem's 4096";
    match SquashFs::open(dev) {
        Err(e) => assert!(e.message.contains(why), "{}", e.message),
        Ok(fs) => {
            let mut errors = Vec::new();
            let mut stack = vec![fs.root()];
            while let Some(d) = stack.pop() {
                match fs.read_dir(d) {
                    Err(e) => errors.push(e.message),
                    Ok(entries) => {
                        for e in entries {
                            match fs.stat(e.ino) {
                                Err(e) => errors.push(e.message),
                                Ok(st)
                                    if FileType::from_mode(st.st_mode) == FileType::Directory =>
                                {
                                    stack.push(e.ino)
                                }
                                Ok(_) => {}
                            }
                        }
                    }
                }
            }
            assert!(errors.iter().any(|m| m.contains(why)), "{:?}", errors);
        }
    }
}

#[test]
fn lz4_matches_the_kernel() {
    check_against_kernel("lz4", "-comp lz4 -Xhc");
}

#[test]
fn zstd_matches_the_kernel() {
    check_against_kernel("zstd", "-comp zstd");
}

#[test]
fn small_blocks_match_the_kernel() {
    check_against_kernel("b4k", "-b 4096");
}

#[test]
fn no_fragments_match_the_kernel() {
    check_against_kernel("nofrag", "-no-fragments");
}

#[test]
fn always_fragments_match_the_kernel() {
    check_against_kernel("always", "-always-use-fragments -b 16384");
}

#[test]
fn uncompressed_without_exports_or_xattrs_matches_the_kernel() {
    check_against_kernel("plain", "-noI -noD -noF -noX -no-exports -no-xattrs");
}

/// A small image of one file, one symlink and one directory.
fn tiny_image(dir: &Scratch, name: &str, args: &str) -> PathBuf {
    let src = dir.0.join(format!("{}-src", name));
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("f"), vec![b'x'; 20000]).unwrap();
    std::os::unix::fs::symlink("f", src.join("l")).unwrap();
    for i in 0..10 {
        std::fs::write(src.join("d").join(format!("entry-{}", i)), b"e").unwrap();
    }
    mksquashfs(dir, &src, name, args)
}

#[test]
fn lzo_and_xz_bcj_arm_are_refused_with_a_reason() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("refused");
    for (name, args, why) in [
        ("lzo", "-comp lzo", "lzo compression"),
        (
            "arm",
            "-comp xz -Xbcj arm",
            "xz with BCJ filters other than x86",
        ),
    ] {
        let img = tiny_image(&dir, name, args);
        let dev: Device = Arc::new(RawImage::open(&img).unwrap());
        let reason = guestfs::fs::refusal(&dev, "squashfs").expect("refused");
        assert!(reason.contains(why), "{}", reason);
        let e = SquashFs::open(dev).err().expect("open refuses");
        assert_eq!(e.errno, libc::ENOTSUP);
    }
    for (name, args) in [
        ("gz", ""),
        ("xz", "-comp xz"),
        ("x86", "-comp xz -Xbcj x86"),
        ("lz4", "-comp lz4"),
    ] {
        let img = tiny_image(&dir, name, args);
        let dev: Device = Arc::new(RawImage::open(&img).unwrap());
        assert_eq!(guestfs::fs::refusal(&dev, "squashfs"), None);
        let fs = SquashFs::open(dev).unwrap();
        let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
        assert_eq!(read_all(&fs, f, 20000), vec![b'x'; 20000]);
        let l = fs.lookup(fs.root(), "l").unwrap().unwrap();
        assert_eq!(fs.read_link(l).unwrap(), "f");
        let d = fs.lookup(fs.root(), "d").unwrap().unwrap();
        assert_eq!(fs.read_dir(d).unwrap().len(), 10);
    }
}

// ---------------------------------------------------------------------------------------
// Damaged images: errors (EIO, naming what is corrupt), never panics or endless loops.

fn le32(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}

fn le64(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().unwrap())
}

/// An image with uncompressed metadata and data, so that structures can be found and
/// changed in place: its bytes and where the inode and directory tables start.
fn plain_image(dir: &Scratch, name: &str, extra: &str) -> (Vec<u8>, usize, usize) {
    let img = tiny_image(dir, name, &format!("-noI -noD -noF -noX {}", extra));
    let data = std::fs::read(img).unwrap();
    let inodes = le64(&data, 64) as usize;
    let dirs = le64(&data, 72) as usize;
    (data, inodes, dirs)
}

/// Where the basic regular inode of `f` (20000 bytes) lies in an uncompressed inode table.
fn inode_of_f(data: &[u8], inodes: usize, dirs: usize) -> usize {
    (inodes + 2..dirs - 32)
        .find(|&p| u16::from_le_bytes([data[p], data[p + 1]]) == 2 && le32(data, p + 28) == 20000)
        .expect("the inode of f")
}

#[test]
fn truncated_image_is_refused_or_fails_reads() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("trunc");
    let img = tiny_image(&dir, "t", "");
    let data = std::fs::read(&img).unwrap();
    let used = le64(&data, 40) as usize;
    for len in [0, 50, 96, used / 2, used - 1] {
        let r = open_bytes(data[..len].to_vec()).map(|_| ());
        assert!(r.is_err(), "opened a {}-byte prefix", len);
    }
    expect_eio(
        open_bytes(data[..used / 2].to_vec()).map(|_| ()),
        "bytes used",
    );
}

#[test]
fn metadata_block_length_past_the_end_is_an_error() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("metalen");
    let (mut data, _, dirs) = plain_image(&dir, "m", "");
    // The directory table's first block claims 8 KiB (uncompressed), past the image's end.
    data[dirs..dirs + 2].copy_from_slice(&(0x8000u16 | 8192).to_le_bytes());
    let fs = open_bytes(data).unwrap();
    expect_eio(fs.read_dir(fs.root()), "past the filesystem's end");
}

#[test]
fn directory_that_contains_itself_reads_without_looping() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("selfdir");
    let (mut data, _, dirs) = plain_image(&dir, "s", "");
    let fs = open_bytes(data.clone()).unwrap();
    let root = fs.root();
    let d = fs.lookup(root, "d").unwrap().unwrap();
    drop(fs);
    // The root's listing names `d` with the root's own inode: rewrite the entry's inode
    // offset and number delta to those of the root (found through the superblock).
    let root_ref = le64(&data, 32);
    // struct squashfs_dir_entry: offset u16, inode_number i16, type u16 (1: directory),
    // size u16 (name length - 1), name.
    let at = data[dirs..]
        .windows(5)
        .position(|w| w == [1, 0, 0, 0, b'd'])
        .expect("the entry of d");
    let e = dirs + at - 4;
    let base = d as i64 - i64::from(i16::from_le_bytes([data[e + 2], data[e + 3]]));
    let delta = (root as i64 - base) as i16;
    data[e..e + 2].copy_from_slice(&((root_ref & 0xffff) as u16).to_le_bytes());
    data[e + 2..e + 4].copy_from_slice(&delta.to_le_bytes());
    let fs = open_bytes(data).unwrap();
    let entries = fs.read_dir(root).unwrap();
    let e = entries.iter().find(|e| e.name == "d").unwrap();
    assert_eq!(e.ino, root);
    let again = fs.lookup(root, "d").unwrap().unwrap();
    assert_eq!(fs.read_dir(again).unwrap().len(), entries.len());
    exercise(&fs);
}

#[test]
fn fragment_index_out_of_range_is_an_error() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("frag");
    let (mut data, inodes, dirs) = plain_image(&dir, "f", "-always-use-fragments");
    let fs = open_bytes(data.clone()).unwrap();
    let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
    drop(fs);
    // A basic regular inode: header of 16 bytes, start_block, then fragment.
    let ino_at = inode_of_f(&data, inodes, dirs);
    assert_eq!(le32(&data, ino_at + 12) as u64, f);
    assert_ne!(le32(&data, ino_at + 20), u32::MAX, "f has a fragment");
    data[ino_at + 20..ino_at + 24].copy_from_slice(&1000u32.to_le_bytes());
    let fs = open_bytes(data).unwrap();
    let f2 = fs.lookup(fs.root(), "f").unwrap().unwrap();
    expect_eio(fs.stat(f2), "fragment index 1000 out of range");
    exercise(&fs);
}

#[test]
fn absurd_block_count_is_an_error() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("absurd");
    let (mut data, inodes, dirs) = plain_image(&dir, "a", "-no-fragments -b 4096");
    let ino_at = inode_of_f(&data, inodes, dirs);
    // file_size of the basic inode: 4 GiB - 1, a million blocks the table does not hold.
    data[ino_at + 28..ino_at + 32].copy_from_slice(&u32::MAX.to_le_bytes());
    let fs = open_bytes(data).unwrap();
    let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
    assert_eq!(fs.stat(f).unwrap().st_size, u32::MAX as i64);
    // The list runs into the inodes after it (a block size no block can have) or past
    // the table's end.
    for off in [0, 1 << 31] {
        let e = fs.read_at(f, off, &mut [0u8; 512]).unwrap_err();
        assert_eq!(e.errno, libc::EIO);
        assert!(
            e.message.contains("larger than the block size") || e.message.contains("table's end"),
            "{}",
            e.message
        );
    }
}

#[test]
fn decompression_bomb_is_bounded() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("bomb");
    let (mut data, inodes, dirs) = plain_image(&dir, "b", "-no-fragments -b 4096");
    let ino_at = inode_of_f(&data, inodes, dirs);
    let start = le32(&data, ino_at + 16) as usize;
    let list = ino_at + 32;
    let first = le32(&data, list);
    assert_eq!(first, (1 << 24) | 4096, "an uncompressed first block");
    // 1 MiB of zeros as one zlib stream: about 1 KiB, fitting in the 4 KiB block's place.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 1 << 20]).unwrap();
    let bomb = z.finish().unwrap();
    assert!(bomb.len() <= 4096, "{}", bomb.len());
    data[start..start + bomb.len()].copy_from_slice(&bomb);
    data[list..list + 4].copy_from_slice(&(bomb.len() as u32).to_le_bytes());
    let fs = open_bytes(data).unwrap();
    let f = fs.lookup(fs.root(), "f").unwrap().unwrap();
    expect_eio(fs.read_at(f, 0, &mut [0u8; 512]), "expands past 4096 bytes");
}

#[test]
fn random_damage_gives_errors_not_panics() {
    if !have_mksquashfs() {
        return;
    }
    let dir = Scratch::new("damage");
    for (name, args) in [
        ("gz", ""),
        ("plain", "-noI -noD -noF -noX"),
        ("xz", "-comp xz"),
    ] {
        let img = tiny_image(&dir, name, args);
        let data = std::fs::read(&img).unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..400 {
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
fn open_bytes(data: Vec<u8>) -> guestfs::Result<SquashFs> {
    SquashFs::open(Arc::new(MemDev(data)))
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
fn exercise(fs: &SquashFs) -> usize {
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
