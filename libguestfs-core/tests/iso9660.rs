//! The native ISO 9660 reader against images made by xorriso (Rock Ridge, Joliet, both,
//! plain ISO 9660 at several levels), compared with what the kernel's isofs driver reports:
//! every lstat, the readdir order and inode numbers of every directory, link targets, file
//! contents and statfs. The kernel is asked through libguestfs 1.48's appliance (guestfish),
//! whose kernel is the reference; the test says SKIP when guestfish cannot run. Corrupted
//! images must give errors, never panics or endless loops.

use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use guestfs::fs::iso9660::Iso9660Fs;
use guestfs::fs::{Filesystem, Ino};
use guestfs::protocol::lossless;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const POPULATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/iso-populate.sh");

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("iso-test-{}-{}", std::process::id(), tag));
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

/// An image written by `xorriso -as mkisofs ARGS` from the populated tree; None when
/// xorriso is missing.
fn make_image(dir: &Scratch, name: &str, args: &str) -> Option<PathBuf> {
    let src = dir.0.join("src");
    if !src.exists() {
        std::fs::create_dir_all(&src).unwrap();
        assert!(sh(&format!("bash '{}' '{}'", POPULATE, src.display())));
    }
    let img = dir.0.join(format!("{}.iso", name));
    // "zisofs": xorriso's own commands, compressing every file that gains from it.
    let cmd = if args == "zisofs" {
        format!(
            "xorriso -outdev '{}' -map '{}' / -set_filter_r --zisofs / -- >/dev/null 2>&1",
            img.display(),
            src.display()
        )
    } else {
        format!(
            "xorriso -as mkisofs {} -V TESTLABEL -o '{}' '{}' >/dev/null 2>&1",
            args,
            img.display(),
            src.display()
        )
    };
    if !sh(&cmd) {
        eprintln!("SKIP: xorriso could not make an image");
        return None;
    }
    Some(img)
}

fn open(img: &Path) -> Iso9660Fs {
    let dev: Device = Arc::new(RawImage::open(img).unwrap());
    Iso9660Fs::open(dev).unwrap()
}

fn read_all(fs: &Iso9660Fs, ino: Ino, size: u64) -> Vec<u8> {
    let mut out = vec![0u8; size as usize];
    let mut off = 0;
    while off < out.len() {
        let end = (off + 65536 + 7).min(out.len());
        let n = fs.read_at(ino, off as u64, &mut out[off..end]).unwrap();
        assert!(n > 0);
        off += n;
    }
    assert_eq!(fs.read_at(ino, size, &mut [0u8; 16]).unwrap(), 0);
    out
}

/// The report guestfish prints for each path, made from the native reader: `lstatns`,
/// `readdir` (with the inode numbers readdir gives), `readlink`, `checksum sha256`.
fn native_report(fs: &Iso9660Fs) -> (Vec<String>, Vec<String>, String) {
    let mut paths = Vec::new();
    let mut links = Vec::new();
    let mut out = String::new();
    let root = fs.root();
    let mut stack: Vec<(Ino, Ino, String)> = vec![(root, root, String::new())];
    let mut order = Vec::new();
    while let Some((ino, parent, path)) = stack.pop() {
        order.push((ino, parent, path.clone()));
        let st = fs.stat(ino).unwrap();
        if st.is_dir() {
            let mut kids = fs.read_dir(ino).unwrap();
            for e in &kids {
                assert_eq!(fs.lookup(ino, &e.name).unwrap(), Some(e.ino), "{}", e.name);
            }
            kids.sort_by(|a, b| b.name.cmp(&a.name));
            for e in kids {
                stack.push((e.ino, ino, format!("{}/{}", path, e.name)));
            }
        }
    }
    order.sort_by(|a, b| a.2.cmp(&b.2));
    for (ino, parent, path) in order {
        let st = fs.stat(ino).unwrap();
        let shown = if path.is_empty() {
            "/".to_string()
        } else {
            path.clone()
        };
        if !path.is_empty() {
            paths.push(path[1..].to_string());
        }
        writeln!(out, "==== {}", shown).unwrap();
        writeln!(
            out,
            "ino={} mode={:o} nlink={} uid={} gid={} rdev={} size={} blksize={} blocks={} a={} m={} c={}",
            st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev, st.st_size,
            st.st_blksize, st.st_blocks, st.st_atime_sec, st.st_mtime_sec, st.st_ctime_sec
        )
        .unwrap();
        if st.is_dir() {
            for e in fs.read_dir_with_dots(ino, parent).unwrap() {
                writeln!(out, "  {} {}", fs.dirent_ino(ino, &e), e.name).unwrap();
            }
        } else if st.is_symlink() {
            links.push(path[1..].to_string());
            writeln!(out, "  -> {}", fs.read_link(ino).unwrap()).unwrap();
        } else if st.is_reg() {
            let data = read_all(fs, ino, st.st_size as u64);
            writeln!(out, "  sha256 {:x}", Sha256::digest(&data)).unwrap();
        }
    }
    (paths, links, out)
}

/// The same report from libguestfs 1.48's appliance, or None (after saying SKIP) when it
/// cannot run.
fn kernel_report(dir: &Scratch, img: &Path, paths: &[String], links: &[String]) -> Option<String> {
    let script = dir.0.join("script.gf");
    let mut gf = String::from("find0 / find0.out\nstatvfs /\n");
    let quote = |p: &str| format!("\"{}\"", p.replace('\\', "\\\\").replace('"', "\\\""));
    for p in std::iter::once("").chain(paths.iter().map(|s| s.as_str())) {
        let q = quote(&format!("/{}", p));
        writeln!(
            gf,
            "echo \"==== /{}\"\nlstatns {}",
            p.replace('"', "\\\""),
            q
        )
        .unwrap();
        if links.iter().any(|l| l == p) {
            writeln!(gf, "readlink {}", q).unwrap();
            continue;
        }
        writeln!(gf, "-readdir {}", q).unwrap();
        if !p.starts_with("devs/") {
            writeln!(gf, "-checksum sha256 {}", q).unwrap();
        }
    }
    std::fs::write(&script, gf).unwrap();
    let out = Command::new("guestfish")
        .current_dir(&dir.0)
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .args(["--ro", "-a"])
        .arg(img)
        .args(["-m", "/dev/sda", "-f"])
        .arg(&script)
        .output();
    match out {
        Ok(o) if o.status.success() || !o.stdout.is_empty() => {
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
        _ => {
            eprintln!("SKIP: libguestfs 1.48's guestfish is not available to compare with");
            None
        }
    }
}

/// guestfish's output turned into the native report's form.
fn normalize_kernel(text: &str) -> String {
    let mut out = String::new();
    let mut cur: Option<String> = None;
    let mut st = std::collections::HashMap::new();
    let mut entries: Vec<String> = Vec::new();
    let mut ino = String::new();
    let flush = |out: &mut String, st: &std::collections::HashMap<String, String>| {
        if st.is_empty() {
            return;
        }
        let g = |k: &str| st.get(k).cloned().unwrap_or_default();
        let mode: i64 = g("st_mode").parse().unwrap_or(0);
        writeln!(
            out,
            "ino={} mode={:o} nlink={} uid={} gid={} rdev={} size={} blksize={} blocks={} a={} m={} c={}",
            g("st_ino"), mode, g("st_nlink"), g("st_uid"), g("st_gid"), g("st_rdev"), g("st_size"),
            g("st_blksize"), g("st_blocks"), g("st_atime_sec"), g("st_mtime_sec"), g("st_ctime_sec")
        )
        .unwrap();
    };
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("==== ") {
            flush(&mut out, &st);
            st.clear();
            for e in entries.drain(..) {
                out.push_str(&e);
            }
            writeln!(out, "==== {}", p).unwrap();
            cur = Some(p.to_string());
        } else if cur.is_none() {
            continue;
        } else if let Some((k, v)) = line.split_once(": ").filter(|(k, _)| k.starts_with("st_")) {
            st.insert(k.to_string(), v.to_string());
        } else if let Some(v) = line.trim().strip_prefix("ino: ") {
            ino = v.to_string();
        } else if let Some(v) = line.trim().strip_prefix("name: ") {
            entries.push(format!("  {} {}\n", ino, v));
        } else if line.len() == 64 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            flush(&mut out, &st);
            st.clear();
            writeln!(out, "  sha256 {}", line).unwrap();
        } else if !line.starts_with(['[', '}', ' ']) && !line.contains("error") && !line.is_empty()
        {
            flush(&mut out, &st);
            st.clear();
            writeln!(out, "  -> {}", line).unwrap();
        }
    }
    flush(&mut out, &st);
    for e in entries.drain(..) {
        out.push_str(&e);
    }
    out
}

fn check_against_kernel(name: &str, args: &str) {
    let dir = Scratch::new(name);
    let Some(img) = make_image(&dir, name, args) else {
        return;
    };
    let fs = open(&img);
    let (paths, links, native) = native_report(&fs);
    let Some(kernel) = kernel_report(&dir, &img, &paths, &links) else {
        return;
    };
    let kernel_paths: Vec<String> = std::fs::read(dir.0.join("find0.out"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| lossless::string_from(p.to_vec()))
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    let mut ksorted = kernel_paths.clone();
    ksorted.sort();
    assert_eq!(sorted, ksorted, "{}: the trees differ", name);
    let raw_kernel = kernel.clone();
    let kernel = normalize_kernel(&kernel);
    if native != kernel {
        for (a, b) in native.lines().zip(kernel.lines()) {
            if a != b {
                panic!(
                    "{}: native and kernel differ:\n native: {}\n kernel: {}",
                    name, a, b
                );
            }
        }
        assert_eq!(native.lines().count(), kernel.lines().count(), "{}", name);
    }
    // statvfs (printed first): everything but f_fsid, which the mount table fills in.
    let v = fs.statvfs().unwrap();
    let native_vfs = format!(
        "bsize: {}\nfrsize: {}\nblocks: {}\nbfree: {}\nbavail: {}\nfiles: {}\nffree: {}\n\
         favail: {}\nflag: {}\nnamemax: {}\n",
        v.bsize,
        v.frsize,
        v.blocks,
        v.bfree,
        v.bavail,
        v.files,
        v.ffree,
        v.favail,
        v.flag,
        v.namemax
    );
    let kernel_vfs: String = raw_kernel
        .lines()
        .take_while(|l| !l.starts_with("===="))
        .filter(|l| !l.starts_with("fsid:"))
        .map(|l| format!("{}\n", l))
        .collect();
    assert_eq!(native_vfs, kernel_vfs, "{}: statvfs", name);
    assert!(fs.fsid_is_device());
}

#[test]
fn rock_ridge_matches_the_kernel() {
    check_against_kernel("r", "-R");
}

#[test]
fn rock_ridge_and_joliet_matches_the_kernel() {
    check_against_kernel("rj", "-R -J");
}

#[test]
fn joliet_matches_the_kernel() {
    check_against_kernel("j", "-J --norock");
}

#[test]
fn joliet_long_names_match_the_kernel() {
    check_against_kernel("jl", "-J -joliet-long --norock");
}

#[test]
fn plain_iso9660_matches_the_kernel() {
    check_against_kernel("plain", "--norock");
}

#[test]
fn plain_level1_matches_the_kernel() {
    check_against_kernel("l1", "-iso-level 1 --norock");
}

#[test]
fn level3_rational_rock_ridge_matches_the_kernel() {
    check_against_kernel("l3r", "-iso-level 3 -r");
}

#[test]
fn plain_level3_matches_the_kernel() {
    check_against_kernel("l3", "-iso-level 3 --norock");
}

#[test]
fn zisofs_compressed_files_match_the_kernel() {
    check_against_kernel("zisofs", "zisofs");
}

fn open_bytes(data: Vec<u8>) -> guestfs::Result<Iso9660Fs> {
    let dir = Scratch::new(&format!("bytes-{}", data.len()));
    let p = dir.0.join("img");
    std::fs::write(&p, &data).unwrap();
    let dev: Device = Arc::new(RawImage::open(&p).unwrap());
    Iso9660Fs::open(dev)
}

/// Walks everything with bounded effort; errors are fine, panics are not.
fn exercise(fs: &Iso9660Fs) -> usize {
    let mut n = 0;
    let mut stack = vec![(fs.root(), 0)];
    let mut buf = vec![0u8; 8192];
    while let Some((ino, depth)) = stack.pop() {
        let Ok(entries) = fs.read_dir(ino) else {
            continue;
        };
        for e in entries {
            n += 1;
            if n > 5000 {
                return n;
            }
            let _ = fs.lookup(ino, &e.name);
            let _ = fs.dirent_ino(ino, &e);
            let Ok(st) = fs.stat(e.ino) else { continue };
            if st.is_dir() && depth < 20 {
                stack.push((e.ino, depth + 1));
            } else if st.is_symlink() {
                let _ = fs.read_link(e.ino);
            } else {
                let _ = fs.read_at(e.ino, 0, &mut buf);
            }
        }
    }
    n
}

#[test]
fn random_damage_gives_errors_not_panics() {
    let dir = Scratch::new("damage");
    let Some(img) = make_image(&dir, "rj", "-R -J") else {
        return;
    };
    let clean = std::fs::read(&img).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..300 {
        let mut data = clean.clone();
        for _ in 0..(1 + round % 16) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Damage the descriptors and the directory area (the first 64 KiB).
            let at = 16 * 2048 + (seed as usize % (48 * 1024));
            data[at] = (seed >> 32) as u8;
        }
        if let Ok(fs) = open_bytes(data) {
            exercise(&fs);
        }
    }
}

#[test]
fn truncated_image_is_an_error() {
    let dir = Scratch::new("trunc");
    let Some(img) = make_image(&dir, "r", "-R") else {
        return;
    };
    let clean = std::fs::read(&img).unwrap();
    for len in [0usize, 100, 16 * 2048, 17 * 2048 + 5, 20 * 2048, 40 * 2048] {
        if let Ok(fs) = open_bytes(clean[..len.min(clean.len())].to_vec()) {
            exercise(&fs);
        }
    }
}
