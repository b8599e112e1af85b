//! The VMDK, VDI, VHD and VHDX readers against images made by qemu-img: every byte read
//! natively equals what `qemu-img convert -O raw` reads from the same image, the disk size is
//! the one `qemu-img info` shows, and damaged or hostile images give one clear error.

use guestfs::block::{self, BlockDevice, ImageFormat};
use std::fs;
use std::path::{Path, PathBuf};

mod qemu_images;

use qemu_images::{have_qemu, run, s, TempDir};

/// A raw disk of `size` bytes with data, holes, and zero runs in data, in a pattern that
/// makes every offset's bytes distinct.
fn patterned_raw(path: &Path, size: usize) {
    let mut data = vec![0u8; size];
    let mut x = 0x9e37_79b9_u32;
    for (i, chunk) in data.chunks_mut(64 * 1024).enumerate() {
        // Every third 64 KiB chunk is a hole; the others are pseudo-random bytes.
        if i % 3 == 1 {
            continue;
        }
        for b in chunk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
    }
    fs::write(path, data).unwrap();
}

/// What qemu reads from `img`: `qemu-img convert -O raw`.
fn qemu_reads(img: &Path, format: &str, out: &Path) -> Vec<u8> {
    run(
        "qemu-img",
        &["convert", "-U", "-f", format, "-O", "raw", s(img), s(out)],
    );
    fs::read(out).unwrap()
}

fn virtual_size(img: &Path, format: &str) -> u64 {
    let info = run(
        "qemu-img",
        &["info", "-U", "-f", format, "--output=json", s(img)],
    );
    let v: serde_json::Value = serde_json::from_str(&info).unwrap();
    v["virtual-size"].as_u64().unwrap()
}

fn read_all(dev: &dyn BlockDevice) -> Vec<u8> {
    let mut out = vec![0u8; dev.size() as usize];
    // Odd-sized reads at odd offsets cross every kind of unit boundary.
    let mut at = 0usize;
    let mut step = 1000usize;
    while at < out.len() {
        let n = step.min(out.len() - at);
        dev.read_exact_at(&mut out[at..at + n], at as u64).unwrap();
        at += n;
        step = step * 7 % 300_007 + 1;
    }
    out
}

/// (qemu format, -o options, file name) of every subformat of the four formats qemu-img
/// writes.
const SUBFORMATS: &[(&str, &str, &str)] = &[
    ("vmdk", "subformat=monolithicSparse", "sparse.vmdk"),
    ("vmdk", "subformat=streamOptimized", "stream.vmdk"),
    ("vmdk", "subformat=monolithicFlat", "flat.vmdk"),
    ("vmdk", "subformat=twoGbMaxExtentSparse", "split.vmdk"),
    ("vmdk", "subformat=twoGbMaxExtentFlat", "splitflat.vmdk"),
    (
        "vmdk",
        "subformat=monolithicSparse,zeroed_grain=on",
        "zeroed.vmdk",
    ),
    ("vdi", "static=off", "dynamic.vdi"),
    ("vdi", "static=on", "static.vdi"),
    ("vpc", "subformat=dynamic", "dynamic.vhd"),
    ("vpc", "subformat=fixed", "fixed.vhd"),
    ("vpc", "subformat=dynamic,force_size=on", "forced.vhd"),
    ("vhdx", "subformat=dynamic", "dynamic.vhdx"),
    ("vhdx", "subformat=fixed", "fixed.vhdx"),
    (
        "vhdx",
        "subformat=dynamic,block_size=1M",
        "small-blocks.vhdx",
    ),
];

#[test]
fn every_subformat_reads_the_bytes_qemu_reads() {
    if !have_qemu() {
        return;
    }
    let tmp = TempDir::new("diskfmt", "subformats");
    let raw = tmp.path("disk.raw");
    // Not a whole number of MiB, nor of a VHD geometry: sizes are rounded as qemu rounds them.
    patterned_raw(&raw, 10 * 1024 * 1024 + 3 * 512);
    for (format, options, name) in SUBFORMATS {
        let img = tmp.path(name);
        run(
            "qemu-img",
            &[
                "convert",
                "-f",
                "raw",
                "-O",
                format,
                "-o",
                options,
                s(&raw),
                s(&img),
            ],
        );
        let expected = qemu_reads(&img, format, &tmp.path("back.raw"));
        assert_eq!(
            expected.len() as u64,
            virtual_size(&img, format),
            "{}",
            name
        );
        let explicit = ImageFormat::parse(format).unwrap();
        let (dev, detected) = block::open_image(&img, Some(explicit)).unwrap();
        assert_eq!(detected, explicit);
        assert_eq!(dev.size(), expected.len() as u64, "{}: size", name);
        assert!(read_all(dev.as_ref()) == expected, "{}: bytes differ", name);
        // Detection: qemu takes a fixed VHD (footer only at the end) for raw.
        let (_, probed) = block::open_image(&img, None).unwrap();
        let want = if *name == "fixed.vhd" { "raw" } else { format };
        assert_eq!(probed.name(), want, "{}: detected format", name);
    }
}

/// A VMDK over a parent: grains the child has come from it, the rest from the parent.
#[test]
fn vmdk_children_read_through_their_parent() {
    if !have_qemu() {
        return;
    }
    let tmp = TempDir::new("diskfmt", "parent");
    let raw = tmp.path("base.raw");
    patterned_raw(&raw, 4 * 1024 * 1024);
    let base = tmp.path("base.vmdk");
    run(
        "qemu-img",
        &["convert", "-f", "raw", "-O", "vmdk", s(&raw), s(&base)],
    );
    let child = tmp.path("child.vmdk");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "vmdk",
            "-b",
            "base.vmdk",
            "-F",
            "vmdk",
            s(&child),
        ],
    );
    run(
        "qemu-io",
        &["-f", "vmdk", "-c", "write -P 0x5a 1000k 300k", s(&child)],
    );
    let expected = qemu_reads(&child, "vmdk", &tmp.path("back.raw"));
    let (dev, _) = block::open_image(&child, None).unwrap();
    assert!(read_all(dev.as_ref()) == expected);
    assert_eq!(expected[1000 * 1024], 0x5a);
}

fn open_err(img: &Path, format: &str) -> guestfs::error::Error {
    let f = ImageFormat::parse(format).unwrap();
    match block::open_image(img, Some(f)) {
        Ok((dev, _)) => {
            // Opening may succeed where only a read finds the damage; it must then fail
            // cleanly or read zeros, never panic.
            let mut buf = vec![0u8; dev.size().min(1 << 20) as usize];
            match dev.read_exact_at(&mut buf, 0) {
                Ok(()) => panic!("{}: opened and read", img.display()),
                Err(e) => guestfs::error::Error::from(e),
            }
        }
        Err(e) => e,
    }
}

fn assert_one_line(e: &guestfs::error::Error, contains: &str) {
    assert!(!e.message.contains('\n'), "{:?}", e.message);
    assert!(
        e.message.contains(contains),
        "{:?} lacks {:?}",
        e.message,
        contains
    );
}

#[test]
fn vmdk_descriptors_may_only_name_regular_files() {
    let tmp = TempDir::new("diskfmt", "unsafe");
    let fifo = tmp.path("fifo");
    run("mkfifo", &[s(&fifo)]);
    fs::write(tmp.path("ok.bin"), vec![7u8; 4096]).unwrap();
    for (target, why) in [
        ("/dev/zero", "a character device, not a regular file"),
        ("/proc/self/environ", "is a kernel file, not a disk image"),
        ("fifo", "a FIFO, not a regular file"),
        ("missing", "No such file or directory"),
        (".", "a directory, not a regular file"),
    ] {
        let desc = tmp.path("evil.vmdk");
        fs::write(
            &desc,
            format!(
                "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n\
                 createType=\"monolithicFlat\"\nRW 8 FLAT \"ok.bin\" 0\nRW 8 FLAT \"{}\" 0\n",
                target
            ),
        )
        .unwrap();
        let e = open_err(&desc, "vmdk");
        assert_one_line(&e, why);
        assert_one_line(&e, "extent");
    }
}

#[test]
fn looping_vmdk_parents_are_refused() {
    let tmp = TempDir::new("diskfmt", "loop");
    let a = tmp.path("a.vmdk");
    let b = tmp.path("b.vmdk");
    fs::write(tmp.path("data.bin"), vec![1u8; 4096]).unwrap();
    for (me, parent) in [(&a, "b.vmdk"), (&b, "a.vmdk")] {
        fs::write(
            me,
            format!(
                "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\n\
                 createType=\"monolithicFlat\"\nparentFileNameHint=\"{}\"\n\
                 RW 8 FLAT \"data.bin\" 0\n",
                parent
            ),
        )
        .unwrap();
    }
    let e = open_err(&a, "vmdk");
    assert_one_line(&e, "backing chain loops back to this image");
}

/// Damaged images made from real ones: each opens with one clear error, or reads (zeros
/// where qemu reads zeros), and never panics or allocates what the file does not hold.
#[test]
fn damaged_images_fail_cleanly() {
    if !have_qemu() {
        return;
    }
    let tmp = TempDir::new("diskfmt", "damaged");
    let raw = tmp.path("disk.raw");
    patterned_raw(&raw, 4 * 1024 * 1024);
    let make = |format: &str, options: &str, name: &str| -> (PathBuf, Vec<u8>) {
        let img = tmp.path(name);
        run(
            "qemu-img",
            &[
                "convert",
                "-f",
                "raw",
                "-O",
                format,
                "-o",
                options,
                s(&raw),
                s(&img),
            ],
        );
        let bytes = fs::read(&img).unwrap();
        (img, bytes)
    };
    let write = |img: &Path, bytes: &[u8]| fs::write(img, bytes).unwrap();

    // VHD: a BAT entry pointing far past the end of the file.
    let (img, mut b) = make("vpc", "subformat=dynamic", "bat.vhd");
    let bat = u64::from_be_bytes(b[512 + 16..512 + 24].try_into().unwrap()) as usize;
    b[bat..bat + 4].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
    write(&img, &b);
    assert_one_line(&open_err(&img, "vpc"), "beyond the end of the file");
    // VHD: an absurd number of BAT entries.
    let (img, mut b) = make("vpc", "subformat=dynamic", "entries.vhd");
    b[512 + 28..512 + 32].copy_from_slice(&0x1fff_ffffu32.to_be_bytes());
    write(&img, &b);
    assert_one_line(&open_err(&img, "vpc"), "corrupt VHD image");
    // VHD: a truncated dynamic image.
    let (img, b) = make("vpc", "subformat=dynamic", "short.vhd");
    write(&img, &b[..b.len() / 2]);
    assert_one_line(&open_err(&img, "vpc"), "truncated");

    // VDI: a block map that does not fit in the file.
    let (img, mut b) = make("vdi", "static=off", "map.vdi");
    b[340..344].copy_from_slice(&0x7fff_fe00u32.to_le_bytes());
    write(&img, &b);
    assert_one_line(&open_err(&img, "vdi"), "beyond the end of the file");
    // VDI: truncated: the blocks past the end read as zeros, as qemu reads them.
    let (img, b) = make("vdi", "static=on", "short.vdi");
    write(&img, &b[..b.len() / 2]);
    let (dev, _) = block::open_image(&img, Some(ImageFormat::Vdi)).unwrap();
    let all = read_all(dev.as_ref());
    assert!(all[all.len() - 1024 * 1024..].iter().all(|&c| c == 0));

    // VHDX: a BAT entry past the end of the file.
    let (img, mut b) = make("vhdx", "subformat=fixed", "bat.vhdx");
    let bat = find_bat(&b);
    b[bat..bat + 8].copy_from_slice(&((1u64 << 45) | 6).to_le_bytes());
    write(&img, &b);
    assert_one_line(&open_err(&img, "vhdx"), "BAT entry 0");
    // VHDX: a truncated image.
    let (img, b) = make("vhdx", "subformat=dynamic", "short.vhdx");
    write(&img, &b[..300 * 1024]);
    assert_one_line(&open_err(&img, "vhdx"), "corrupt VHDX image");

    // VMDK: a grain table entry pointing past the end of the file reads zeros (as qemu).
    let (img, mut b) = make("vmdk", "subformat=monolithicSparse", "gte.vmdk");
    let gd = u64::from_le_bytes(b[56..64].try_into().unwrap()) as usize * 512;
    let gt = u32::from_le_bytes(b[gd..gd + 4].try_into().unwrap()) as usize * 512;
    b[gt..gt + 4].copy_from_slice(&0x0fff_ffffu32.to_le_bytes());
    write(&img, &b);
    let (dev, _) = block::open_image(&img, None).unwrap();
    let mut grain = vec![1u8; 65536];
    dev.read_exact_at(&mut grain, 0).unwrap();
    assert!(grain.iter().all(|&c| c == 0));
    // VMDK: a compressed grain whose marker claims an absurd size.
    let (img, mut b) = make("vmdk", "subformat=streamOptimized", "marker.vmdk");
    let gd = u64::from_le_bytes(b[56..64].try_into().unwrap()) as usize * 512;
    let gt = u32::from_le_bytes(b[gd..gd + 4].try_into().unwrap()) as usize * 512;
    let grain_at = u32::from_le_bytes(b[gt..gt + 4].try_into().unwrap()) as usize * 512;
    b[grain_at + 8..grain_at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    write(&img, &b);
    assert_one_line(&open_err(&img, "vmdk"), "invalid size");
    // VMDK: a grain directory claiming more entries than any disk has.
    let (img, mut b) = make("vmdk", "subformat=monolithicSparse", "capacity.vmdk");
    b[12..20].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    write(&img, &b);
    assert_one_line(&open_err(&img, "vmdk"), "corrupt VMDK image");
    // Every format, cut short at every power of two: never a panic.
    for (format, options, name) in SUBFORMATS {
        let (img, b) = make(format, options, name);
        let mut len = 1;
        while len < b.len() {
            write(&img, &b[..len]);
            if let Ok((dev, _)) = block::open_image(&img, ImageFormat::parse(format).ok()) {
                read_all_tolerant(dev.as_ref());
            }
            len *= 2;
        }
    }
}

fn read_all_tolerant(dev: &dyn BlockDevice) {
    let mut buf = vec![0u8; 256 * 1024];
    let mut at = 0;
    while at < dev.size() {
        let n = (buf.len() as u64).min(dev.size() - at) as usize;
        let _ = dev.read_exact_at(&mut buf[..n], at);
        at += n as u64;
    }
}

/// The file offset of a VHDX image's BAT, from its region table.
fn find_bat(b: &[u8]) -> usize {
    let t = &b[192 * 1024..];
    let count = u32::from_le_bytes(t[8..12].try_into().unwrap()) as usize;
    for i in 0..count {
        let e = &t[16 + i * 32..48 + i * 32];
        if e[..4] == 0x2dc2_7766u32.to_le_bytes() {
            return u64::from_le_bytes(e[16..24].try_into().unwrap()) as usize;
        }
    }
    panic!("no BAT region");
}
