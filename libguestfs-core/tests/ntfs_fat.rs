//! NTFS and FAT readers against images made by the real tools (mkntfs + ntfs-3g, mkfs.vfat +
//! mtools), compared with what blkid, ntfs-3g and mtools say about them, and with libguestfs
//! 1.48's outputs for the shared fixtures when those are present.

use guestfs::block::{raw::RawImage, BlockDevice, Device, Slice};
use guestfs::fs::{self, FileType, Filesystem, Ino};
use guestfs::types::StatNs;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = base.join(format!("guestfs-{}-{}-{}", tag, std::process::id(), nanos));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Never leave a mount behind before removing the tree.
        let mnt = self.0.join("mnt");
        if mnt.exists() && run(&format!("mountpoint -q '{}'", mnt.display())) {
            let _ = Command::new("umount").arg(&mnt).status();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null 2>&1", tool))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn run(cmd: &str) -> bool {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    if !out.status.success() && !cmd.starts_with("mountpoint") {
        eprintln!(
            "command failed: {}\n{}",
            cmd,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success()
}

fn output(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn must(cmd: &str) {
    assert!(run(cmd), "command failed: {}", cmd);
}

/// TYPE, LABEL and UUID as `blkid -p -o export` prints them.
fn blkid(path: &Path) -> (String, String, String) {
    let out = output(&format!("blkid -p -o export '{}'", path.display()));
    // Values are shell-escaped with backslashes.
    let unescape = |v: &str| {
        let mut out = String::new();
        let mut chars = v.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' {
                chars.next().unwrap_or(c)
            } else {
                c
            });
        }
        out
    };
    let get = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{}=", k)))
            .map(unescape)
            .unwrap_or_default()
    };
    (get("TYPE"), get("LABEL"), get("UUID"))
}

fn open_image(path: &Path) -> Device {
    Arc::new(RawImage::open(path).unwrap())
}

fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{:02x}", b))
        .collect()
}

/// Deterministic pseudo-random bytes.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn read_all(f: &dyn Filesystem, ino: Ino) -> guestfs::Result<Vec<u8>> {
    let size = f.stat(ino)?.st_size as usize;
    let mut out = vec![0u8; size];
    let mut done = 0;
    // Odd chunk sizes exercise reads that straddle clusters.
    while done < size {
        let end = (done + 65531).min(size);
        let n = f.read_at(ino, done as u64, &mut out[done..end])?;
        assert!(n > 0, "short read at {}", done);
        done += n;
    }
    assert_eq!(f.read_at(ino, size as u64, &mut [0u8; 16])?, 0);
    Ok(out)
}

/// Resolves a path from the root with `lookup`.
fn resolve(f: &dyn Filesystem, path: &str) -> Option<Ino> {
    let mut ino = f.root();
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        ino = f.lookup(ino, comp).unwrap()?;
    }
    Some(ino)
}

/// Every path below the root with its inode, depth-first, directories before their contents.
fn walk(f: &dyn Filesystem) -> Vec<(String, Ino, FileType)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), f.root(), 0usize)];
    while let Some((path, ino, depth)) = stack.pop() {
        assert!(depth < 64);
        let mut entries = f.read_dir(ino).unwrap();
        entries.reverse();
        for e in entries {
            let p = format!("{}/{}", path, e.name);
            if e.file_type == FileType::Directory {
                stack.push((p.clone(), e.ino, depth + 1));
            }
            out.push((p, e.ino, e.file_type));
        }
    }
    out
}

/// Opens and walks whatever a (possibly corrupt) image holds, reading bounded amounts of
/// everything; errors are fine, panics are not.
fn walk_tolerant(f: &dyn Filesystem) {
    let mut stack = vec![(f.root(), 0usize)];
    let mut seen = 0;
    let _ = f.statvfs();
    while let Some((ino, depth)) = stack.pop() {
        if depth > 16 || seen > 2000 {
            break;
        }
        let Ok(entries) = f.read_dir(ino) else {
            continue;
        };
        for e in entries {
            seen += 1;
            let _ = f.lookup(ino, &e.name);
            if let Ok(st) = f.stat(e.ino) {
                match st.st_mode & 0o170000 {
                    0o040000 => stack.push((e.ino, depth + 1)),
                    0o120000 => {
                        let _ = f.read_link(e.ino);
                    }
                    _ => {
                        let mut buf = vec![0u8; 8192];
                        let _ = f.read_at(e.ino, 0, &mut buf);
                        let _ = f.read_at(e.ino, 1 << 20, &mut buf);
                    }
                }
            }
        }
    }
}

/// An image held in memory.
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

/// A copy of `data` with `count` pseudo-random bytes in `[from, to)` overwritten.
fn corrupt_copy(data: &[u8], from: u64, to: u64, count: usize, seed: u64) -> Device {
    let mut data = data.to_vec();
    let noise = random_bytes(count * 9, seed);
    let span = to.min(data.len() as u64).saturating_sub(from).max(1);
    for i in 0..count {
        let mut off = [0u8; 8];
        off.copy_from_slice(&noise[i * 9..i * 9 + 8]);
        let pos = from + u64::from_le_bytes(off) % span;
        if (pos as usize) < data.len() {
            data[pos as usize] = noise[i * 9 + 8];
        }
    }
    Arc::new(MemDev(data))
}

/// The shared fixtures, unpacked into a temporary folder (None, with a message, when absent).
fn fixture(name: &str) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(format!("{}.img.xz", name));
    if !src.exists() {
        eprintln!(
            "SKIP: fixture {} not found (../shared absent)",
            src.display()
        );
        return None;
    }
    let base = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let dir = base.join("guestfs-ntfsfat-fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{}.img", name));
    if !out.exists() {
        let tmp = dir.join(format!("{}.img.{}.tmp", name, std::process::id()));
        must(&format!(
            "xz -dc '{}' | cp --sparse=always /dev/stdin '{}'",
            src.display(),
            tmp.display()
        ));
        std::fs::rename(&tmp, &out).unwrap();
    }
    Some(out)
}

fn expected(name: &str) -> Option<String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/expected")
            .join(name),
    )
    .ok()
}

/// MBR primary partitions: (start, length) in bytes.
fn mbr_partitions(dev: &dyn BlockDevice) -> Vec<(u64, u64)> {
    let mut mbr = [0u8; 512];
    dev.read_exact_at(&mut mbr, 0).unwrap();
    (0..4)
        .filter_map(|i| {
            let e = &mbr[446 + i * 16..462 + i * 16];
            let start = u32::from_le_bytes([e[8], e[9], e[10], e[11]]) as u64;
            let len = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as u64;
            (e[4] != 0 && len != 0).then_some((start * 512, len * 512))
        })
        .collect()
}

/// GPT partitions: (start, length) in bytes.
fn gpt_partitions(dev: &dyn BlockDevice) -> Vec<(u64, u64)> {
    let mut hdr = [0u8; 512];
    dev.read_exact_at(&mut hdr, 512).unwrap();
    assert_eq!(&hdr[0..8], b"EFI PART");
    let lba = u64::from_le_bytes(hdr[72..80].try_into().unwrap());
    let n = u32::from_le_bytes(hdr[80..84].try_into().unwrap()) as u64;
    let esz = u32::from_le_bytes(hdr[84..88].try_into().unwrap()) as u64;
    let mut out = Vec::new();
    for i in 0..n.min(128) {
        let mut e = vec![0u8; esz as usize];
        dev.read_exact_at(&mut e, lba * 512 + i * esz).unwrap();
        if e[0..16].iter().all(|&b| b == 0) {
            continue;
        }
        let first = u64::from_le_bytes(e[32..40].try_into().unwrap());
        let last = u64::from_le_bytes(e[40..48].try_into().unwrap());
        out.push((first * 512, (last - first + 1) * 512));
    }
    out
}

/// virt-df's numbers for a statvfs: (1K-blocks, used, available).
fn df_numbers(f: &dyn Filesystem) -> (i64, i64, i64) {
    let s = f.statvfs().unwrap();
    let k = s.frsize / 1024;
    (s.blocks * k, (s.blocks - s.bfree) * k, s.bavail * k)
}

// ---------------------------------------------------------------------------------------------
// FAT
// ---------------------------------------------------------------------------------------------

struct FatCase {
    bits: u32,
    size_mib: u64,
    sectors_per_cluster: u32,
}

fn make_fat(dir: &TempDir, case: &FatCase, big: &Path) -> PathBuf {
    let img = dir.path(&format!("fat{}.img", case.bits));
    let i = img.display().to_string();
    must(&format!("truncate -s {}M '{}'", case.size_mib, i));
    must(&format!(
        "mkfs.vfat -F {} -s {} -n 'TEST{}' '{}' >/dev/null",
        case.bits, case.sectors_per_cluster, case.bits, i
    ));
    let hello = dir.path("hello.txt");
    std::fs::write(&hello, b"hello, world\n").unwrap();
    must(&format!(
        "touch -d '2021-03-04 05:06:08' '{}'",
        hello.display()
    ));
    let h = hello.display();
    must(&format!("mmd -i '{}' ::/Sub ::/Sub/Deeper ::/Empty", i));
    must(&format!("mcopy -m -i '{}' '{}' ::/hello.txt", i, h));
    must(&format!(
        "mcopy -m -i '{}' '{}' '::/Sub/A long file name with spaces.txt'",
        i, h
    ));
    must(&format!(
        "mcopy -m -i '{}' '{}' '::/Sub/Deeper/Ünïcödé ☃.txt'",
        i, h
    ));
    must(&format!("mcopy -m -i '{}' '{}' ::/README", i, h));
    must(&format!("mcopy -m -i '{}' '{}' ::/RO.TXT", i, h));
    must(&format!("mattrib -i '{}' +r ::/RO.TXT", i));
    must(&format!(
        "mcopy -i '{}' '{}' ::/Sub/big.bin",
        i,
        big.display()
    ));
    // Enough entries to need more than one cluster of directory.
    for n in 0..70 {
        must(&format!(
            "mcopy -i '{}' '{}' '::/Sub/file number {:03}.dat'",
            i, h, n
        ));
    }
    img
}

#[test]
fn fat12_16_32_read_like_linux_vfat() {
    for tool in ["mkfs.vfat", "mcopy", "mmd", "mattrib", "mdir", "blkid"] {
        if !have(tool) {
            eprintln!("SKIP: {} not installed", tool);
            return;
        }
    }
    let dir = TempDir::new("fat");
    let big_data = random_bytes(3 << 20, 42);
    let big = dir.path("big.bin");
    std::fs::write(&big, &big_data).unwrap();
    let cases = [
        FatCase {
            bits: 12,
            size_mib: 8,
            sectors_per_cluster: 8,
        },
        FatCase {
            bits: 16,
            size_mib: 16,
            sectors_per_cluster: 4,
        },
        FatCase {
            bits: 32,
            size_mib: 40,
            sectors_per_cluster: 1,
        },
    ];
    for case in &cases {
        let img = make_fat(&dir, case, &big);
        let cluster = 512 * case.sectors_per_cluster as i64;

        // blkid's view.
        let dev = open_image(&img);
        let probe = fs::probe(&*dev).expect("probe");
        let (ty, label, uuid) = blkid(&img);
        assert_eq!(
            (
                probe.fs_type.as_str(),
                probe.label.as_str(),
                probe.uuid.as_str()
            ),
            (ty.as_str(), label.as_str(), uuid.as_str())
        );
        assert_eq!(probe.label, format!("TEST{}", case.bits));
        assert!(fs::is_supported("vfat"));

        let f = fs::open(dev, "vfat").unwrap();
        assert_eq!(f.fs_type(), "vfat");

        // Names, in directory order, long names and short names as Linux shows them.
        let root_names: Vec<String> = f
            .read_dir(f.root())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(
            root_names,
            ["Sub", "Empty", "hello.txt", "README", "RO.TXT"],
            "FAT{}",
            case.bits
        );
        let all = walk(&*f);
        assert_eq!(all.len(), 5 + 73 + 1, "FAT{}", case.bits);

        // Lookups ignore ASCII case and match short names too.
        assert_eq!(resolve(&*f, "/HELLO.TXT"), resolve(&*f, "/hello.txt"));
        assert!(resolve(&*f, "/hello.txt").is_some());
        assert_eq!(
            resolve(&*f, "/sub/a long file name with spaces.txt"),
            resolve(&*f, "/Sub/A long file name with spaces.txt")
        );
        let short = output(&format!(
            "mdir -i '{}' ::/Sub | grep -i 'A long file'",
            img.display()
        ));
        let short_name = short
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(".");
        assert_eq!(
            resolve(&*f, &format!("/Sub/{}", short_name)),
            resolve(&*f, "/Sub/A long file name with spaces.txt"),
            "{}",
            short_name
        );
        assert!(resolve(&*f, "/Sub/Deeper/Ünïcödé ☃.txt").is_some());
        assert!(resolve(&*f, "/nonexistent").is_none());

        // Contents.
        let bino = resolve(&*f, "/Sub/big.bin").unwrap();
        assert_eq!(sha256(&read_all(&*f, bino).unwrap()), sha256(&big_data));
        let hino = resolve(&*f, "/hello.txt").unwrap();
        assert_eq!(read_all(&*f, hino).unwrap(), b"hello, world\n");
        let mut buf = [0u8; 5];
        assert_eq!(f.read_at(hino, 7, &mut buf).unwrap(), 5);
        assert_eq!(&buf, b"world");

        // Attributes as the vfat driver gives them (umask 022, times as UTC).
        let st = f.stat(hino).unwrap();
        assert_eq!(st.st_mode, 0o100755);
        assert_eq!(
            (st.st_nlink, st.st_uid, st.st_gid, st.st_size),
            (1, 0, 0, 13)
        );
        assert_eq!(st.st_blksize, cluster);
        assert_eq!(st.st_blocks, cluster / 512);
        assert_eq!(
            (st.st_mtime_sec, st.st_ctime_sec, st.st_mtime_nsec),
            (1614834368, 1614834368, 0)
        );
        assert_eq!(st.st_atime_sec, 1614816000);
        assert_eq!(st.st_ino as u64, hino);
        assert_eq!(
            f.stat(resolve(&*f, "/RO.TXT").unwrap()).unwrap().st_mode,
            0o100555
        );
        let big_st = f.stat(bino).unwrap();
        assert_eq!(
            (big_st.st_size, big_st.st_blocks),
            (3 << 20, (3 << 20) / 512)
        );
        let root = f.stat(f.root()).unwrap();
        assert_eq!(root.st_mode, 0o040755);
        assert_eq!(root.st_ino, 1);
        assert_eq!(root.st_nlink, 2 + 2, "root has Sub and Empty");
        assert_eq!((root.st_mtime_sec, root.st_atime_sec), (0, 0));
        if case.bits == 32 {
            assert_eq!(root.st_size, cluster);
        } else {
            assert_eq!(root.st_size, 512 * 32);
        }
        let sub = f.stat(resolve(&*f, "/Sub").unwrap()).unwrap();
        assert_eq!(sub.st_nlink, 3);
        // 76 entries with long names need several clusters; the size is the chain's.
        assert!(sub.st_size > cluster && sub.st_size % cluster == 0);
        assert_eq!(sub.st_blocks, sub.st_size / 512);
        assert_eq!(f.stat(resolve(&*f, "/Empty").unwrap()).unwrap().st_nlink, 2);

        // Errors carry Linux's errno.
        assert_eq!(f.read_dir(hino).unwrap_err().errno, libc::ENOTDIR);
        assert_eq!(
            f.read_at(resolve(&*f, "/Sub").unwrap(), 0, &mut buf)
                .unwrap_err()
                .errno,
            libc::EISDIR
        );
        assert_eq!(f.read_link(hino).unwrap_err().errno, libc::EINVAL);
        assert_eq!(f.stat(3).unwrap_err().errno, libc::ENOENT);

        // statvfs: clusters and free clusters as mtools counts them.
        let s = f.statvfs().unwrap();
        assert_eq!((s.bsize, s.frsize), (cluster, cluster));
        assert_eq!((s.files, s.ffree, s.favail, s.namemax), (0, 0, 0, 1530));
        let mdir = output(&format!("mdir -i '{}' ::/", img.display()));
        let free_bytes: i64 = mdir
            .lines()
            .find(|l| l.contains("bytes free"))
            .and_then(|l| {
                l.split_whitespace()
                    .take_while(|w| *w != "bytes")
                    .collect::<String>()
                    .parse()
                    .ok()
            })
            .expect("mdir free bytes");
        assert_eq!(s.bfree * cluster, free_bytes, "FAT{}", case.bits);
        assert_eq!(s.bavail, s.bfree);
        let minfo = output(&format!("minfo -i '{}' ::", img.display()));
        assert!(
            s.blocks > 0 && s.blocks * cluster < (case.size_mib << 20) as i64,
            "{}",
            minfo
        );

        // Corrupt copies: errors are fine, panics are not.
        let pristine = std::fs::read(&img).unwrap();
        for seed in 0..24u64 {
            let (from, to) = if seed % 3 == 0 {
                (0, 512)
            } else {
                (0, 256 << 10)
            };
            let dev = corrupt_copy(&pristine, from, to, 64, seed);
            let _ = fs::probe(&*dev);
            if let Ok(f) = fs::open(dev, "vfat") {
                walk_tolerant(&*f);
            }
        }
    }
}

#[test]
fn fat_volume_label_entry_and_no_name() {
    if !have("mkfs.vfat") || !have("mlabel") || !have("blkid") {
        eprintln!("SKIP: dosfstools/mtools not installed");
        return;
    }
    let dir = TempDir::new("fatlabel");
    let img = dir.path("l.img");
    let i = img.display().to_string();
    // No label at all: blkid reports none ("NO NAME" does not count).
    must(&format!(
        "truncate -s 8M '{}' && mkfs.vfat '{}' >/dev/null",
        i, i
    ));
    let p = fs::probe(&*open_image(&img)).unwrap();
    let (_, label, uuid) = blkid(&img);
    assert_eq!(
        (p.label.as_str(), p.uuid.as_str()),
        (label.as_str(), uuid.as_str())
    );
    assert_eq!(p.label, "");
    // The root directory's label entry wins over the boot sector's.
    must(&format!(
        "mkfs.vfat -n BOOTLBL '{}' >/dev/null && mlabel -N 12345678 -i '{}' ::ROOTLBL",
        i, i
    ));
    let p = fs::probe(&*open_image(&img)).unwrap();
    let (_, label, uuid) = blkid(&img);
    assert_eq!(
        (p.label.as_str(), p.uuid.as_str()),
        (label.as_str(), uuid.as_str())
    );
    // The label entry is not listed.
    let f = fs::open(open_image(&img), "vfat").unwrap();
    assert!(f.read_dir(f.root()).unwrap().is_empty());
}

#[test]
fn coreos_fixture_efi_partition() {
    let Some(img) = fixture("coreos") else { return };
    let disk = open_image(&img);
    let parts = gpt_partitions(&*disk);
    let (start, len) = parts[0];
    let part: Device = Arc::new(Slice::new(disk, start, len));
    let p = fs::probe(&*part).unwrap();
    assert_eq!(
        (p.fs_type.as_str(), p.label.as_str(), p.uuid.as_str()),
        ("vfat", "", "85FD-2171")
    );
    if let Some(uuid) = expected("coreos.filesystems-all-long-uuid.out") {
        assert!(uuid
            .lines()
            .any(|l| l.starts_with("/dev/sda1 ") && l.ends_with("85FD-2171")));
    }
    let f = fs::open(part, "vfat").unwrap();
    let (k, used, avail) = df_numbers(&*f);
    if let Some(df) = expected("coreos.df.out") {
        let line = df.lines().find(|l| l.contains("/dev/sda1")).unwrap();
        let cols: Vec<i64> = line
            .split_whitespace()
            .skip(1)
            .take(3)
            .map(|c| c.parse().unwrap())
            .collect();
        assert_eq!(vec![k, used, avail], cols);
    }
    let s = f.statvfs().unwrap();
    assert_eq!((s.files, s.ffree), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// NTFS
// ---------------------------------------------------------------------------------------------

/// What the host's ntfs-3g shows for one path.
#[derive(Debug)]
struct HostEntry {
    stat: StatNs,
    link: Option<String>,
    sha: Option<String>,
    children: Option<Vec<String>>,
}

fn host_stat(m: &std::fs::Metadata) -> StatNs {
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

fn host_tree(mnt: &Path) -> BTreeMap<String, HostEntry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let p = if rel.is_empty() {
            mnt.to_path_buf()
        } else {
            mnt.join(&rel[1..])
        };
        let m = std::fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let link = ft.is_symlink().then(|| {
            let t = std::fs::read_link(&p).unwrap().display().to_string();
            t.replacen(&mnt.display().to_string(), "/sysroot", 1)
        });
        let sha = (ft.is_file() && !ft.is_fifo())
            .then(|| std::fs::read(&p).ok().map(|d| sha256(&d)))
            .flatten();
        let children = ft.is_dir().then(|| {
            // readdir order, as ntfs-3g gives it.
            let names: Vec<String> = output(&format!("ls -f -a '{}'", p.display()))
                .lines()
                .filter(|n| *n != "." && *n != "..")
                .map(|s| s.to_string())
                .collect();
            for n in &names {
                stack.push(format!("{}/{}", rel, n));
            }
            names
        });
        out.insert(
            if rel.is_empty() { "/".into() } else { rel },
            HostEntry {
                stat: host_stat(&m),
                link,
                sha,
                children,
            },
        );
    }
    out
}

fn make_ntfs(dir: &TempDir) -> Option<(PathBuf, BTreeMap<String, HostEntry>, libc::statvfs)> {
    for tool in ["mkntfs", "ntfs-3g", "blkid"] {
        if !have(tool) {
            eprintln!("SKIP: {} not installed", tool);
            return None;
        }
    }
    let img = dir.path("ntfs.img");
    let mnt = dir.path("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let i = img.display().to_string();
    let m = mnt.display().to_string();
    must(&format!(
        "truncate -s 32M '{}' && mkntfs -F -Q -L 'NT Label' '{}' >/dev/null 2>&1",
        i, i
    ));
    if !run(&format!("ntfs-3g '{}' '{}'", i, m)) {
        eprintln!("SKIP: cannot mount with ntfs-3g here (needs root and /dev/fuse)");
        return None;
    }
    let big = random_bytes(3 << 20, 7);
    let mut cmds = vec![
        format!("mkdir -p '{m}/Dir/Sub' '{m}/Many' '{m}/Empty'"),
        format!("printf 'hello, world\\n' > '{m}/Dir/hello.txt'"),
        format!("touch -d '2021-03-04 05:06:07.123456789' '{m}/Dir/hello.txt'"),
        format!("printf '12345678901234567' > '{m}/resident'"),
        format!("truncate -s 10M '{m}/sparse' && printf 'x' | dd of='{m}/sparse' bs=1 seek=5000000 conv=notrunc 2>/dev/null"),
        format!("ln -s hello.txt '{m}/Dir/intx-link'"),
        format!("ln '{m}/Dir/hello.txt' '{m}/hardlink'"),
        format!("mkfifo '{m}/fifo'"),
        format!("mknod '{m}/chardev' c 1 3 && mknod '{m}/blockdev' b 7 0"),
        format!("printf x > '{m}/Héllo wörld ☃ with a long name.txt'"),
    ];
    for n in 0..300 {
        cmds.push(format!(
            "printf '{n}' > '{m}/Many/entry with a rather long name number {n:04}'"
        ));
    }
    for c in &cmds {
        must(c);
    }
    std::fs::write(mnt.join("big.bin"), &big).unwrap();
    // Reparse points, written through ntfs-3g's raw reparse-data attribute.
    if have("setfattr") {
        let reparse = |path: &str, data: Vec<u8>| {
            let hex: String = data.iter().map(|b| format!("{:02x}", b)).collect();
            must(&format!(
                "setfattr -n system.ntfs_reparse_data -v 0x{} '{}/{}'",
                hex, m, path
            ));
        };
        let u16s =
            |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect() };
        let symlink = |subst: &str, flags: u32| -> Vec<u8> {
            let (s, p) = (u16s(subst), u16s(subst));
            let mut body = Vec::new();
            for v in [0u16, s.len() as u16, s.len() as u16, p.len() as u16] {
                body.extend(v.to_le_bytes());
            }
            body.extend(flags.to_le_bytes());
            body.extend(&s);
            body.extend(&p);
            let mut d = 0xa000000cu32.to_le_bytes().to_vec();
            d.extend((body.len() as u16).to_le_bytes());
            d.extend([0, 0]);
            d.extend(body);
            d
        };
        let junction = |subst: &str| -> Vec<u8> {
            let (s, p) = (u16s(subst), u16s(subst));
            let mut body = Vec::new();
            for v in [0u16, s.len() as u16, s.len() as u16 + 2, p.len() as u16] {
                body.extend(v.to_le_bytes());
            }
            body.extend(&s);
            body.extend([0, 0]);
            body.extend(&p);
            body.extend([0, 0]);
            let mut d = 0xa0000003u32.to_le_bytes().to_vec();
            d.extend((body.len() as u16).to_le_bytes());
            d.extend([0, 0]);
            d.extend(body);
            d
        };
        must(&format!(
            "touch '{m}/rel' '{m}/abs' '{m}/absfile' '{m}/other' && mkdir '{m}/junc' '{m}/jmiss'"
        ));
        // The forms ntfs-3g accepts, and those it shows as unsupported.
        let variants: &[(&str, u32)] = &[
            ("C:\\Dir\\hello.txt", 0),
            ("C:\\Dir\\hello.txt", 1),
            ("\\Dir\\hello.txt", 0),
            ("\\Dir\\hello.txt", 1),
            ("C:\\Nowhere", 0),
            ("C:\\Nowhere", 1),
            ("C:\\Dir", 0),
            ("Dir\\hello.txt", 0),
            ("nothere", 1),
            ("..\\Dir\\hello.txt", 1),
            ("dir\\HELLO.txt", 1),
            ("\\Nowhere", 1),
            ("Dir\\Sub", 1),
            ("\\Dir", 1),
            ("c:\\dir", 1),
            (".\\Dir\\hello.txt", 1),
            ("Dir\\\\hello.txt", 1),
            ("Dir\\hello.txt\\", 1),
            ("D:\\x\\y", 1),
        ];
        for (n, (target, flags)) in variants.iter().enumerate() {
            must(&format!("touch '{m}/variant{n:02}'"));
            reparse(&format!("variant{:02}", n), symlink(target, *flags));
        }
        must(&format!("touch '{m}/Dir/up' && mkdir '{m}/Dir/updir'"));
        reparse("Dir/up", symlink("..\\resident", 1));
        reparse("Dir/updir", symlink("..\\Many", 1));
        reparse("rel", symlink("Dir\\hello.txt", 1));
        reparse("abs", symlink("\\??\\C:\\dir\\HELLO.TXT", 0));
        reparse("absfile", symlink("C:\\Dir\\Sub", 0));
        reparse("junc", junction("\\??\\C:\\Dir"));
        reparse("jmiss", junction("\\??\\d:\\Nowhere"));
        let mut other = 0x80000017u32.to_le_bytes().to_vec();
        other.extend([8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
        reparse("other", other);
    } else {
        eprintln!("note: setfattr missing, reparse points not tested");
    }
    must(&format!("umount '{}'", m));
    // The tree as a read-only ntfs-3g mount shows it.
    must(&format!("ntfs-3g -o ro '{}' '{}'", i, m));
    let tree = host_tree(&mnt);
    let mut sv: libc::statvfs = unsafe { std::mem::zeroed() };
    let cpath = std::ffi::CString::new(m.clone()).unwrap();
    assert_eq!(unsafe { libc::statvfs(cpath.as_ptr(), &mut sv) }, 0);
    must(&format!("umount '{}'", m));
    assert_eq!(tree["/big.bin"].sha.as_deref(), Some(sha256(&big).as_str()));
    Some((img, tree, sv))
}

#[test]
fn ntfs_matches_ntfs_3g() {
    let dir = TempDir::new("ntfs");
    let Some((img, tree, sv)) = make_ntfs(&dir) else {
        return;
    };

    let dev = open_image(&img);
    let p = fs::probe(&*dev).unwrap();
    let (ty, label, uuid) = blkid(&img);
    assert_eq!(
        (p.fs_type.as_str(), p.label.as_str(), p.uuid.as_str()),
        (ty.as_str(), label.as_str(), uuid.as_str())
    );
    assert_eq!(p.label, "NT Label");
    assert_eq!(p.uuid.len(), 16);
    assert!(fs::is_supported("ntfs"));

    let f = fs::open(dev, "ntfs").unwrap();
    assert_eq!(f.root(), 5);
    let mut checked = 0;
    for (path, host) in &tree {
        let ino = resolve(&*f, path).unwrap_or_else(|| panic!("lookup {}", path));
        let ours = f.stat(ino).unwrap();
        let mut theirs = StatNs {
            st_dev: 0,
            ..host.stat
        };
        if let Some(link) = &host.link {
            // Absolute targets name the mount point: compare as if mounted on /sysroot.
            theirs.st_size = link.len() as i64;
        }
        if theirs.st_mode & 0o170000 == 0o060000 {
            // Newer kernels report a block device node's st_blksize from the device it names
            // (this host's loop device); the appliance's 6.1 kernel does not.
            theirs.st_blksize = ours.st_blksize;
        }
        assert_eq!(ours, theirs, "stat {}", path);
        if let Some(link) = &host.link {
            assert_eq!(&f.read_link(ino).unwrap(), link, "readlink {}", path);
        }
        if let Some(sha) = &host.sha {
            assert_eq!(
                &sha256(&read_all(&*f, ino).unwrap()),
                sha,
                "content {}",
                path
            );
        }
        if let Some(children) = &host.children {
            let entries = f.read_dir(ino).unwrap();
            let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(
                names,
                children.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "readdir {}",
                path
            );
            for e in &entries {
                let st = f.stat(e.ino).unwrap();
                assert_eq!(
                    e.file_type,
                    FileType::from_mode(st.st_mode),
                    "{}/{}",
                    path,
                    e.name
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 300);

    // Metadata files and DOS names are not listed but can be looked up.
    let root_names: Vec<String> = f.read_dir(5).unwrap().into_iter().map(|e| e.name).collect();
    assert!(!root_names.iter().any(|n| n.starts_with('$')));
    assert_eq!(f.lookup(5, "$Bitmap").unwrap(), Some(6));
    assert_eq!(
        f.lookup(5, "big.BIN").unwrap(),
        None,
        "lookups are case-sensitive"
    );

    // statvfs as ntfs-3g's statfs.
    let s = f.statvfs().unwrap();
    let host = (
        sv.f_bsize as i64,
        sv.f_frsize as i64,
        sv.f_blocks as i64,
        sv.f_bfree as i64,
        sv.f_bavail as i64,
        sv.f_files as i64,
        sv.f_ffree as i64,
        sv.f_favail as i64,
        sv.f_namemax as i64,
    );
    assert_eq!(
        (s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.favail, s.namemax),
        host
    );
    assert_eq!(s.flag, 4097);

    // Errors.
    let hello = resolve(&*f, "/Dir/hello.txt").unwrap();
    assert_eq!(f.read_dir(hello).unwrap_err().errno, libc::ENOTDIR);
    assert_eq!(f.read_link(hello).unwrap_err().errno, libc::EINVAL);
    assert_eq!(
        f.read_at(5, 0, &mut [0u8; 4]).unwrap_err().errno,
        libc::EISDIR
    );
    if let Some(other) = resolve(&*f, "/other") {
        assert_eq!(
            f.read_at(other, 0, &mut [0u8; 4]).unwrap_err().errno,
            libc::ENOTSUP
        );
    }
    assert_eq!(f.stat(1 << 40).unwrap_err().errno, libc::ENOENT);

    // Corrupt copies: errors are fine, panics are not. The MFT of a 32 MiB mkntfs volume
    // starts at cluster 2730 (see mkntfs); hit the boot sector, the MFT and the indexes.
    let pristine = std::fs::read(&img).unwrap();
    let mft = u64::from_le_bytes(pristine[0x30..0x38].try_into().unwrap()) * 4096;
    for seed in 0..40u64 {
        let (from, to, n) = match seed % 4 {
            0 => (0, 512, 8),
            1 => (mft, mft + 100 * 1024, 40),
            2 => (mft, mft + 16 * 1024, 200),
            _ => (0, 32 << 20, 4000),
        };
        let dev = corrupt_copy(&pristine, from, to, n, seed);
        let _ = fs::probe(&*dev);
        if let Ok(f) = fs::open(dev, "ntfs") {
            walk_tolerant(&*f);
        }
    }
}

#[test]
fn windows_fixture_matches_libguestfs() {
    let Some(img) = fixture("windows") else {
        return;
    };
    let disk = open_image(&img);
    let parts = mbr_partitions(&*disk);
    assert_eq!(parts.len(), 2);
    let uuids = expected("windows.filesystems-all-long-uuid.out");
    let df = expected("windows.df.out");
    for (n, (start, len)) in parts.iter().enumerate() {
        let part: Device = Arc::new(Slice::new(disk.clone(), *start, *len));
        let p = fs::probe(&*part).unwrap();
        assert_eq!((p.fs_type.as_str(), p.label.as_str()), ("ntfs", ""));
        let dev_name = format!("/dev/sda{}", n + 1);
        if let Some(u) = &uuids {
            let line = u
                .lines()
                .find(|l| l.starts_with(&format!("{} filesystem", dev_name)))
                .unwrap();
            assert!(line.ends_with(&p.uuid), "{} vs {}", line, p.uuid);
        }
        let f = fs::open(part, "ntfs").unwrap();
        if let Some(df) = &df {
            let line = df.lines().find(|l| l.contains(&dev_name)).unwrap();
            let cols: Vec<i64> = line
                .split_whitespace()
                .skip(1)
                .take(3)
                .map(|c| c.parse().unwrap())
                .collect();
            let (k, used, avail) = df_numbers(&*f);
            assert_eq!(vec![k, used, avail], cols, "{}", dev_name);
        }
        if n == 1 {
            // virt-ls -lR / : type, mode, size and path of everything (sorted by path).
            let mut lines = Vec::new();
            let st = f.stat(f.root()).unwrap();
            lines.push(format!(
                "d {:04o} {:>10} /",
                st.st_mode & 0o7777,
                st.st_size
            ));
            for (path, ino, _) in walk(&*f) {
                let st = f.stat(ino).unwrap();
                let t = match st.st_mode & 0o170000 {
                    0o040000 => 'd',
                    0o120000 => 'l',
                    _ => '-',
                };
                lines.push(format!(
                    "{} {:04o} {:>10} {}",
                    t,
                    st.st_mode & 0o7777,
                    st.st_size,
                    path
                ));
            }
            lines[1..].sort_by(|a, b| a[18..].cmp(&b[18..]));
            if let Some(exp) = expected("windows.ls-lR.out") {
                assert_eq!(lines.join("\n") + "\n", exp);
            }
            let cmd = resolve(&*f, "/Windows/System32/cmd.exe").unwrap();
            assert_eq!(read_all(&*f, cmd).unwrap().len(), 21617);
            let autoexec = resolve(&*f, "/autoexec.bat").unwrap();
            let data = read_all(&*f, autoexec).unwrap();
            if let Some(exp) = expected("windows.cat-autoexec.out") {
                assert_eq!(data, exp.as_bytes());
            }
        }
    }
}
