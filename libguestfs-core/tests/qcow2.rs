//! The qcow2 reader against images made by qemu-img and qemu-io: every byte is compared with
//! `qemu-img convert -O raw` of the same image.

use guestfs::block::{self, qcow2, BlockDevice, ImageFormat};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

mod qemu_images;

use qemu_images::{have_qemu, run, s, TempDir};

/// A deterministic test pattern: zeros, byte fills, text and pseudo-random blocks, so that
/// images hold unallocated, compressible and incompressible clusters.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for (i, block) in out.chunks_mut(4096).enumerate() {
        match (i as u64 + seed) % 7 {
            0 | 5 => {}
            1 => block.fill(i as u8 | 1),
            2 | 3 => {
                for b in block.iter_mut() {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    *b = (x >> 33) as u8;
                }
            }
            _ => {
                let text = format!("block {} of the test pattern, seed {}. ", i, seed);
                for (b, t) in block.iter_mut().zip(text.bytes().cycle()) {
                    *b = t;
                }
            }
        }
    }
    out
}

/// `qemu-img convert -O raw` of an image, read back.
fn qemu_raw(img: &Path, dir: &TempDir) -> Vec<u8> {
    let out = dir.path(&format!(
        "{}.raw-ref",
        img.file_name().unwrap().to_string_lossy()
    ));
    run("qemu-img", &["convert", "-O", "raw", s(img), s(&out)]);
    let data = fs::read(&out).unwrap();
    fs::remove_file(&out).unwrap();
    data
}

/// Compares every byte of `dev` with `expected`: one whole read, 1 MiB chunks, and
/// unaligned reads that straddle clusters.
fn assert_same(dev: &dyn BlockDevice, expected: &[u8], what: &str) {
    assert_eq!(dev.size(), expected.len() as u64, "{}: size", what);
    let mut whole = vec![0u8; expected.len()];
    dev.read_exact_at(&mut whole, 0).unwrap();
    if whole != expected {
        let at = whole
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap();
        panic!(
            "{}: first difference at byte {} ({:#x} != {:#x})",
            what, at, whole[at], expected[at]
        );
    }
    for (i, chunk) in expected.chunks(1 << 20).enumerate() {
        let mut buf = vec![0u8; chunk.len()];
        dev.read_exact_at(&mut buf, (i << 20) as u64).unwrap();
        assert!(buf == chunk, "{}: chunk {} differs", what, i);
    }
    let mut x = 12345u64;
    for _ in 0..300 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let off = (x >> 20) % expected.len() as u64;
        let len = ((x >> 5) % 300_000).min(expected.len() as u64 - off) as usize;
        let mut buf = vec![0u8; len];
        dev.read_exact_at(&mut buf, off).unwrap();
        assert!(
            buf[..] == expected[off as usize..off as usize + len],
            "{}: read of {} at {} differs",
            what,
            len,
            off
        );
    }
    // Past the end is an error, not a short read.
    let mut b = [0u8; 2];
    assert!(dev
        .read_exact_at(&mut b, expected.len() as u64 - 1)
        .is_err());
}

/// Opens an image the way the native backend does (format detected) and checks it is qcow2.
fn open_detected(img: &Path) -> block::Device {
    let (dev, fmt) = block::open_image(img, None).unwrap();
    assert_eq!(fmt, ImageFormat::Qcow2);
    dev
}

fn check_against_qemu(img: &Path, dir: &TempDir) {
    let expected = qemu_raw(img, dir);
    assert_same(
        open_detected(img).as_ref(),
        &expected,
        &img.display().to_string(),
    );
}

/// Converts a raw pattern with the given qemu-img options and checks the result.
fn convert_and_check(name: &str, extra: &[&str]) {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", name);
    let raw = dir.path("src.raw");
    let data = pattern((5 << 20) + 12288, 7);
    fs::write(&raw, &data).unwrap();
    let img = dir.path("img.qcow2");
    let mut args = vec!["convert", "-O", "qcow2"];
    args.extend_from_slice(extra);
    args.push(s(&raw));
    args.push(s(&img));
    run("qemu-img", &args);
    let expected = qemu_raw(&img, &dir);
    assert_eq!(expected, data, "qemu-img round trip");
    assert_same(open_detected(&img).as_ref(), &expected, name);
}

#[test]
fn v3_default_clusters() {
    convert_and_check("v3", &[]);
}

#[test]
fn v2_compat_0_10() {
    convert_and_check("v2", &["-o", "compat=0.10"]);
}

#[test]
fn compressed() {
    convert_and_check("compressed", &["-c"]);
}

#[test]
fn compressed_v2_small_clusters() {
    convert_and_check(
        "compressed512",
        &["-c", "-o", "compat=0.10,cluster_size=512"],
    );
}

#[test]
fn compressed_2m_clusters() {
    convert_and_check("compressed2m", &["-c", "-o", "cluster_size=2M"]);
}

#[test]
fn cluster_size_512() {
    convert_and_check("c512", &["-o", "cluster_size=512"]);
}

#[test]
fn cluster_size_2m() {
    convert_and_check("c2m", &["-o", "cluster_size=2M"]);
}

#[test]
fn extended_l2() {
    convert_and_check("extl2", &["-o", "extended_l2=on"]);
}

#[test]
fn extended_l2_compressed() {
    convert_and_check("extl2c", &["-c", "-o", "extended_l2=on,cluster_size=128k"]);
}

/// Images written piecewise by qemu-io: data, zero clusters (v3 zero flag, with and without
/// unmapping), partial clusters, and the same on extended L2 entries (subclusters).
#[test]
fn written_with_qemu_io() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "qemuio");
    let cases: &[(&str, &str)] = &[
        ("v3.qcow2", "cluster_size=65536"),
        ("v2.qcow2", "compat=0.10"),
        ("small.qcow2", "cluster_size=512"),
        ("extl2.qcow2", "extended_l2=on"),
        ("extl2-2m.qcow2", "extended_l2=on,cluster_size=2M"),
    ];
    for (name, opts) in cases {
        let img = dir.path(name);
        run(
            "qemu-img",
            &["create", "-q", "-f", "qcow2", "-o", opts, s(&img), "8M"],
        );
        let v2 = opts.contains("compat=0.10");
        let mut cmds = vec![
            "write -P 0x11 0 3M",
            "write -P 0xab 1M 64k",
            "write -P 0xcd 5000 3000",
            "write -P 0xef 6291456 4096",
            "write -P 0x77 7340544 1024",
            "write -z 2M 128k",
        ];
        if !v2 {
            cmds.push("write -z -u 2359296 65536");
            cmds.push("write -z 7M 64k");
        }
        let mut args = Vec::new();
        for c in &cmds {
            args.push("-c");
            args.push(c);
        }
        args.push(s(&img));
        run("qemu-io", &args);
        check_against_qemu(&img, &dir);
    }
}

/// raw base <- qcow2 <- qcow2, relative backing names across directories, each layer larger
/// than the one below (zeros past the end of a backing file), and zero writes that hide
/// backing data.
#[test]
fn backing_chain() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "chain");
    fs::create_dir_all(dir.path("images")).unwrap();
    fs::create_dir_all(dir.path("top")).unwrap();
    let base = dir.path("images/base.raw");
    fs::write(&base, pattern(3 << 20, 3)).unwrap();
    let mid = dir.path("images/mid.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "base.raw",
            "-F",
            "raw",
            s(&mid),
            "4M",
        ],
    );
    run(
        "qemu-io",
        &[
            "-c",
            "write -P 0x5a 512k 100k",
            "-c",
            "write -z 1M 64k",
            "-c",
            "write -P 0x6b 3584k 64k",
            s(&mid),
        ],
    );
    let top = dir.path("top/top.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            "cluster_size=4096",
            "-b",
            "../images/mid.qcow2",
            "-F",
            "qcow2",
            s(&top),
            "6M",
        ],
    );
    run(
        "qemu-io",
        &[
            "-c",
            "write -P 0x99 600k 8k",
            "-c",
            "write -z 2M 4k",
            "-c",
            "write -P 0x42 5M 4k",
            s(&top),
        ],
    );
    check_against_qemu(&mid, &dir);
    check_against_qemu(&top, &dir);

    // Subclusters over a backing file: partial writes leave the rest of each cluster to the
    // backing file; zeroed subclusters hide it.
    let sub = dir.path("top/sub.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            "extended_l2=on",
            "-b",
            "../images/mid.qcow2",
            "-F",
            "qcow2",
            s(&sub),
            "5M",
        ],
    );
    run(
        "qemu-io",
        &[
            "-c",
            "write -P 0x99 600k 8k",
            "-c",
            "write -z 66k 4k",
            "-c",
            "write -z 610k 4k",
            "-c",
            "write -P 0x12 2100k 3k",
            "-c",
            "write -z -u 2200k 2k",
            s(&sub),
        ],
    );
    check_against_qemu(&sub, &dir);

    // Reached through a relative path from another working directory, as given.
    let expected = qemu_raw(&top, &dir);
    let dev = qcow2::open(&top).unwrap();
    assert_same(dev.as_ref(), &expected, "top via qcow2::open");

    // Concurrent readers share the caches safely.
    let expected = Arc::new(expected);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let dev = dev.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                for i in 0..200u64 {
                    let off = (i * 7919 + t * 104729) * 97 % (expected.len() as u64 - 70000);
                    let mut buf = vec![0u8; 70000];
                    dev.read_exact_at(&mut buf, off).unwrap();
                    assert!(buf[..] == expected[off as usize..off as usize + 70000]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Replaces the backing format extension's type with one qemu ignores, so the backing
/// format has to be detected.
fn drop_backing_format_extension(img: &Path) {
    let mut data = fs::read(img).unwrap();
    let first = &mut data[..65536];
    let pos = first
        .windows(4)
        .position(|w| w == [0xe2, 0x79, 0x2a, 0xca])
        .expect("backing format extension");
    first[pos..pos + 4].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    fs::write(img, data).unwrap();
}

#[test]
fn backing_format_detected_without_extension() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "detect");
    let base = dir.path("base.raw");
    fs::write(&base, pattern(1 << 20, 5)).unwrap();
    let mid = dir.path("mid.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "base.raw",
            "-F",
            "raw",
            s(&mid),
            "2M",
        ],
    );
    run("qemu-io", &["-c", "write -P 0x31 0 4k", s(&mid)]);
    let top = dir.path("top.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "mid.qcow2",
            "-F",
            "qcow2",
            s(&top),
            "2M",
        ],
    );
    run("qemu-io", &["-c", "write -P 0x32 8k 4k", s(&top)]);
    drop_backing_format_extension(&mid);
    drop_backing_format_extension(&top);
    let dev = qcow2::open(&top).unwrap();
    let expected = qemu_raw(&top, &dir);
    assert_same(dev.as_ref(), &expected, "detected chain");
}

#[test]
fn missing_backing_file_names_both_files() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "missing");
    let base = dir.path("base.raw");
    fs::write(&base, vec![1u8; 65536]).unwrap();
    let top = dir.path("top.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "base.raw",
            "-F",
            "raw",
            s(&top),
            "1M",
        ],
    );
    fs::remove_file(&base).unwrap();
    let e = match qcow2::open(&top) {
        Ok(_) => panic!("opened an image whose backing file is missing"),
        Err(e) => e,
    };
    assert_eq!(e.errno, libc::ENOENT, "{}", e);
    assert!(
        e.message.contains(s(&top)) && e.message.contains("base.raw"),
        "{}",
        e
    );
    assert!(e.message.contains(s(&base)), "{}", e);
}

#[test]
fn backing_chain_loop_is_refused() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "loop");
    let a = dir.path("a.qcow2");
    let b = dir.path("b.qcow2");
    run("qemu-img", &["create", "-q", "-f", "qcow2", s(&a), "1M"]);
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "a.qcow2",
            "-F",
            "qcow2",
            s(&b),
            "1M",
        ],
    );
    // Point a back at b without qemu-img opening the chain.
    run(
        "qemu-img",
        &["rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", s(&a)],
    );
    let e = qcow2::open(&b).err().expect("loop refused");
    assert_eq!(e.errno, libc::ELOOP, "{}", e);
}

/// A truncated image: qemu reads the missing bytes as zeros, and so do we.
#[test]
fn truncated_image_reads_like_qemu() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "trunc");
    for (name, opts) in [
        ("plain.qcow2", "cluster_size=65536"),
        ("compressed.qcow2", ""),
    ] {
        let raw = dir.path("src.raw");
        fs::write(&raw, pattern(4 << 20, 11)).unwrap();
        let img = dir.path(name);
        let mut args = vec!["convert", "-O", "qcow2"];
        if opts.is_empty() {
            args.push("-c");
        } else {
            args.extend(["-o", opts]);
        }
        args.extend([s(&raw), s(&img)]);
        run("qemu-img", &args);
        let len = fs::metadata(&img).unwrap().len();
        // Cut the file in the middle of its data clusters, off any cluster boundary.
        let f = fs::OpenOptions::new().write(true).open(&img).unwrap();
        f.set_len(len * 2 / 3 + 1234).unwrap();
        drop(f);
        let dev = qcow2::open(&img).unwrap();
        if name == "plain.qcow2" {
            let expected = qemu_raw(&img, &dir);
            assert_same(dev.as_ref(), &expected, name);
            continue;
        }
        // A compressed cluster cut short does not decompress: qemu-img fails to convert the
        // image, and our reads of those clusters fail too. `--salvage` reads them as zeros;
        // every other cluster must match it.
        let out = Command::new("qemu-img")
            .args(["convert", "-O", "raw", s(&img), s(&dir.path("c.raw"))])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "qemu-img read a cut compressed cluster"
        );
        let salvaged = dir.path("salvaged.raw");
        run(
            "qemu-img",
            &[
                "convert",
                "-q",
                "--salvage",
                "-O",
                "raw",
                s(&img),
                s(&salvaged),
            ],
        );
        let expected = fs::read(&salvaged).unwrap();
        let (mut ok, mut failed) = (0, 0);
        for (i, chunk) in expected.chunks(65536).enumerate() {
            let mut buf = vec![0u8; chunk.len()];
            match dev.read_exact_at(&mut buf, (i * 65536) as u64) {
                Ok(()) => {
                    assert!(buf == chunk, "{}: cluster {} differs", name, i);
                    ok += 1;
                }
                Err(e) => {
                    assert!(e.to_string().contains(s(&img)), "{}", e);
                    assert!(
                        chunk.iter().all(|&b| b == 0),
                        "{}: qemu read cluster {}",
                        name,
                        i
                    );
                    failed += 1;
                }
            }
        }
        assert!(
            ok > 0 && failed > 0,
            "{} clusters read, {} failed",
            ok,
            failed
        );
    }
}

fn refused(img: &Path, what: &str) {
    let e = qcow2::open(img)
        .err()
        .unwrap_or_else(|| panic!("{} was not refused", what));
    assert_eq!(e.errno, libc::ENOTSUP, "{}: {}", what, e);
    assert!(
        e.message.contains(s(img)),
        "{}: message does not name the image: {}",
        what,
        e
    );
    eprintln!("{}: {}", what, e);
}

#[test]
fn unsupported_features_are_refused() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "refuse");
    let luks = dir.path("luks.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "--object",
            "secret,id=sec0,data=abc",
            "-o",
            "encrypt.format=luks,encrypt.key-secret=sec0",
            s(&luks),
            "1M",
        ],
    );
    refused(&luks, "LUKS encryption");

    let zstd = dir.path("zstd.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            "compression_type=zstd",
            s(&zstd),
            "1M",
        ],
    );
    refused(&zstd, "zstd");

    let ext = dir.path("ext.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            &format!("data_file={}", s(&dir.path("ext.raw"))),
            s(&ext),
            "1M",
        ],
    );
    refused(&ext, "external data file");

    let v1 = dir.path("v1.qcow");
    run("qemu-img", &["create", "-q", "-f", "qcow", s(&v1), "1M"]);
    refused(&v1, "qcow v1");

    // An incompatible feature bit nobody knows (bit 40).
    let unknown = dir.path("unknown.qcow2");
    run(
        "qemu-img",
        &["create", "-q", "-f", "qcow2", s(&unknown), "1M"],
    );
    let mut data = fs::read(&unknown).unwrap();
    data[72 + 2] |= 1;
    fs::write(&unknown, &data).unwrap();
    refused(&unknown, "unknown incompatible feature");
    let e = qcow2::open(&unknown).err().unwrap();
    assert!(e.message.contains("bit 40"), "{}", e);
}

#[test]
fn damaged_headers_are_errors_not_panics() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "damaged");
    let img = dir.path("img.qcow2");
    run("qemu-img", &["create", "-q", "-f", "qcow2", s(&img), "64M"]);
    let good = fs::read(&img).unwrap();
    // (offset, bytes) patches: cluster_bits 8 and 22, huge L1 size, unaligned L1 offset,
    // L1 too small for the size, a backing name offset past the cluster, a short file.
    let patches: &[(usize, &[u8])] = &[
        (20, &[0, 0, 0, 8]),
        (20, &[0, 0, 0, 22]),
        (36, &[0x10, 0, 0, 0]),
        (40, &[0, 0, 0, 0, 0, 3, 0, 1]),
        (36, &[0, 0, 0, 0]),
        (8, &[0, 0, 0, 0, 0, 2, 0, 0]),
        (24, &[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (offset, bytes) in patches {
        let mut data = good.clone();
        data[*offset..*offset + bytes.len()].copy_from_slice(bytes);
        fs::write(&img, &data).unwrap();
        let e = qcow2::open(&img)
            .err()
            .unwrap_or_else(|| panic!("patch at {} accepted", offset));
        assert_eq!(e.errno, libc::EIO, "patch at {}: {}", offset, e);
    }
    fs::write(&img, &good[..50]).unwrap();
    assert_eq!(qcow2::open(&img).err().unwrap().errno, libc::EIO);
}

/// Counts the reads that reach the image file.
struct Counting {
    inner: block::Device,
    reads: std::sync::atomic::AtomicUsize,
}

impl BlockDevice for Counting {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.read_exact_at(buf, offset)
    }
}

/// A read spanning many contiguous clusters costs one read of the data (plus the L2 table),
/// not one per cluster; a second read finds the L2 table in the cache.
#[test]
fn reads_spanning_clusters_are_coalesced() {
    if !have_qemu() {
        return;
    }
    let dir = TempDir::new("qcow2", "coalesce");
    let raw = dir.path("src.raw");
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8 | 1).collect();
    fs::write(&raw, &data).unwrap();
    let img = dir.path("img.qcow2");
    run(
        "qemu-img",
        &[
            "convert",
            "-O",
            "qcow2",
            "-o",
            "cluster_size=4096",
            s(&raw),
            s(&img),
        ],
    );
    let counting = Arc::new(Counting {
        inner: Arc::new(block::raw::RawImage::open(&img).unwrap()),
        reads: Default::default(),
    });
    let image = qcow2::open_source(counting.clone(), "img.qcow2", &mut |_| {
        panic!("no backing file")
    })
    .unwrap();
    let before = counting.reads.load(std::sync::atomic::Ordering::Relaxed);
    let mut buf = vec![0u8; 2 << 20];
    image.read_exact_at(&mut buf, 12345).unwrap();
    assert!(buf[..] == data[12345..12345 + (2 << 20)]);
    let first = counting.reads.load(std::sync::atomic::Ordering::Relaxed) - before;
    // 4 KiB clusters: one L2 table maps 2 MiB, so the range touches two tables.
    assert!(first <= 4, "{} reads for 512 clusters", first);
    image.read_exact_at(&mut buf, 12345).unwrap();
    let second = counting.reads.load(std::sync::atomic::Ordering::Relaxed) - before - first;
    assert!(second <= 2, "{} reads with the L2 tables cached", second);
}
