//! Damaged and hostile disk images, made with the real tools (mkfs.ext4, debugfs, sfdisk,
//! sgdisk, qemu-img) and then broken on purpose, plus a runner that holds every tool run to a
//! time limit and to the rules for bad input: exit status 0 or 1 (never a panic, never a
//! signal), stderr made of `PROG: …` / `libguestfs: …` lines, and the image unchanged.

use crate::images::{make_disk, Part};
use crate::{sh, tool};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one tool run may take on these small images before it counts as a hang.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// More output than this from a few-MiB image means a runaway listing.
pub const MAX_STDOUT: usize = 1 << 20;

/// What one bounded tool run gave.
pub struct Run {
    pub cmdline: String,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `name ARGS…` under the native backend with a time limit. A run still going after
/// [`TIMEOUT`] is killed (with its process group) and fails the test, as does a death by
/// signal.
pub fn run_bounded(name: &str, args: &[&str]) -> Run {
    run_bounded_on_backend(name, args, "native")
}

/// [`run_bounded`] with another backend (`auto` for what needs the appliance).
pub fn run_bounded_on_backend(name: &str, args: &[&str], backend: &str) -> Run {
    use std::os::unix::process::CommandExt;
    // Booting the appliance under TCG takes seconds, more when tests run side by side.
    let timeout = if backend == "native" {
        TIMEOUT
    } else {
        TIMEOUT * 6
    };
    let cmdline = format!("{} {}", name, args.join(" "));
    let mut child = tool(name)
        .args(args)
        .env("LIBGUESTFS_BACKEND", backend)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {}", cmdline, e));
    let mut so = child.stdout.take().expect("stdout pipe");
    let mut se = child.stderr.take().expect("stderr pipe");
    // Read both pipes on threads so a chatty tool cannot block on a full pipe; stdout is read
    // to a bounded size so a runaway listing cannot exhaust the test's memory.
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut so).take(MAX_STDOUT as u64 + 1).read_to_end(&mut buf);
        // Keep draining so the tool is not killed by SIGPIPE.
        let _ = std::io::copy(&mut so, &mut std::io::sink());
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut se).take(MAX_STDOUT as u64).read_to_end(&mut buf);
        let _ = std::io::copy(&mut se, &mut std::io::sink());
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() > timeout => {
                // SAFETY: kill(2) on the process group this test created for the child.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                panic!("{} did not finish within {:?} (hang)", cmdline, timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("wait for {}: {}", cmdline, e),
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    let code = match status.code() {
        Some(c) => c,
        None => {
            use std::os::unix::process::ExitStatusExt;
            panic!(
                "{} was killed by signal {:?}\nstderr:\n{}",
                cmdline,
                status.signal(),
                stderr
            );
        }
    };
    let run = Run {
        cmdline,
        stdout,
        stderr,
        code,
    };
    check_run(name, &run);
    run
}

/// The rules every run obeys: no panic (exit 101 or a "panicked at" message), exit status 0
/// or 1, a failure explains itself on stderr, stderr lines are the tool's or libguestfs's,
/// and stdout is bounded.
pub fn check_run(name: &str, run: &Run) {
    assert!(
        !run.stderr.contains("panicked at") && run.code != 101,
        "{} panicked (exit {}):\n{}",
        run.cmdline,
        run.code,
        run.stderr
    );
    // 1.48's own exceptions: virt-alignment-scan reports misalignment with 2 and 3, and
    // virt-win-reg (Perl) ends with `die`, exit 255.
    let allowed: &[i32] = match name {
        "virt-alignment-scan" => &[0, 1, 2, 3],
        "virt-win-reg" => &[0, 1, 255],
        _ => &[0, 1],
    };
    assert!(
        allowed.contains(&run.code),
        "{}: exit status {} (expected one of {:?})\nstderr:\n{}",
        run.cmdline,
        run.code,
        allowed,
        run.stderr
    );
    if run.code == 1 {
        assert!(
            !run.stderr.trim().is_empty(),
            "{} failed (exit 1) without saying why",
            run.cmdline
        );
    }
    assert!(
        run.stdout.len() <= MAX_STDOUT,
        "{}: runaway output (more than {} bytes)",
        run.cmdline,
        MAX_STDOUT
    );
    let own = format!("{}: ", name);
    let try_help = format!("Try ‘{} --help’", name);
    let mut advice = false;
    for line in run.stderr.lines() {
        // The paragraphs of advice after "no operating system" / "multi-boot" (§1.4) and
        // after a LUKS passphrase that does not fit.
        if advice {
            continue;
        }
        advice = line.starts_with(&own)
            && (line.to_ascii_lowercase().contains("no operating system")
                || line.contains("multi-boot")
                || line.contains("multiboot")
                || line.contains("could not find key to open LUKS"));
        let ok = line.starts_with(&own)
            || line.starts_with("libguestfs: error: ")
            // The guestfish wrappers' errors carry guestfish's input position, as in 1.48.
            || line.starts_with("*stdin*:0: libguestfs: error: ")
            || line.starts_with("libguestfs: warning: ")
            || line.starts_with(&try_help)
            // guestfish copy-out's own usage line (virt-copy-out with fewer than two paths).
            || line.starts_with("use 'copy-out ")
            // mount(8)'s second line, which libguestfs passes on inside the error message.
            || line == "       dmesg(1) may have more information after failed mount system call.";
        assert!(
            ok,
            "{}: stderr line not from the tool or libguestfs: {:?}\nstderr:\n{}",
            run.cmdline, line, run.stderr
        );
    }
}

/// An image file's identity: content hash, size, mode and modification time.
#[derive(Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub sha256: Vec<u8>,
    pub len: u64,
    pub mode: u32,
    pub mtime: (i64, i64),
}

/// The fingerprint of a file (a directory's has no hash).
pub fn fingerprint(path: &Path) -> Fingerprint {
    let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
    let sha256 = if meta.is_file() {
        let mut h = Sha256::new();
        let mut f = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
        std::io::copy(&mut f, &mut h).expect("hash image");
        h.finalize().to_vec()
    } else {
        Vec::new()
    };
    Fingerprint {
        sha256,
        len: meta.len(),
        mode: meta.mode(),
        mtime: (meta.mtime(), meta.mtime_nsec()),
    }
}

/// Runs a tool on `image` (already among `args`) and asserts the image is unchanged after.
pub fn run_on(image: &Path, name: &str, args: &[&str]) -> Run {
    run_on_backend(image, name, args, "native")
}

/// [`run_on`] with another backend.
pub fn run_on_backend(image: &Path, name: &str, args: &[&str], backend: &str) -> Run {
    let before = fingerprint(image);
    let run = run_bounded_on_backend(name, args, backend);
    let after = fingerprint(image);
    assert_eq!(
        before,
        after,
        "{} changed {} (content, size, mode or mtime)",
        run.cmdline,
        image.display()
    );
    run
}

/// Asserts a run's exit status, showing its output when it differs.
pub fn expect_code(run: &Run, code: i32) {
    assert_eq!(
        run.code,
        code,
        "{}: exit status\nstdout:\n{}\nstderr:\n{}",
        run.cmdline,
        run.out(),
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Building and breaking images.
// ---------------------------------------------------------------------------------------------

/// `mkfs.ext4 -d TREE` with 1 KiB blocks and fixed identifiers. `extra` adds mkfs options
/// (`-O ^metadata_csum` for images whose directory blocks are patched afterwards: the kernel
/// would reject a block whose checksum no longer matches before seeing the hostile names).
pub fn mkfs_ext4(tree: &Path, out: &Path, size_mib: u64, extra: &[&str]) -> PathBuf {
    let _ = fs::remove_file(out);
    sh(Command::new("mkfs.ext4")
        .args([
            "-q",
            "-F",
            "-b",
            "1024",
            "-U",
            "0f0e0d0c-0b0a-4908-8706-050403020100",
        ])
        .args(["-E", "hash_seed=0f0e0d0c-0b0a-4908-8706-050403020100"])
        .args(extra)
        .arg("-d")
        .arg(tree)
        .arg(out)
        .arg(format!("{}M", size_mib))
        .env("E2FSPROGS_FAKE_TIME", "1700000000"));
    out.to_path_buf()
}

/// Runs debugfs write requests on an image.
pub fn debugfs_w(img: &Path, requests: &[&str]) {
    let script = img.with_extension("debugfs-script");
    fs::write(&script, requests.join("\n") + "\n").expect("debugfs script");
    let out = sh(Command::new("debugfs")
        .arg("-w")
        .arg("-f")
        .arg(&script)
        .arg(img)
        .env("E2FSPROGS_FAKE_TIME", "1700000000"));
    let _ = fs::remove_file(&script);
    // debugfs reports request errors on stderr but still exits 0.
    let err = String::from_utf8_lossy(&out.stderr);
    let complaints: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("debugfs ") && !l.trim().is_empty())
        .collect();
    assert!(
        complaints.is_empty(),
        "debugfs {:?} on {}: {}",
        requests,
        img.display(),
        err
    );
}

/// The data blocks of a file or directory (`debugfs -R "blocks PATH"`).
pub fn blocks_of(img: &Path, path: &str) -> Vec<u64> {
    let out = sh(Command::new("debugfs")
        .arg("-R")
        .arg(format!("blocks {}", path))
        .arg(img));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// Renames directory entries in place by patching the directory's blocks: each `(old, new)`
/// pair must have the same length, and `new` may hold bytes no tool would write (`/`, NUL,
/// `..`). The filesystem must use 1 KiB blocks.
pub fn patch_names(img: &Path, dir: &str, renames: &[(&[u8], &[u8])]) {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(img)
        .expect("open image for patching");
    let blocks = blocks_of(img, dir);
    assert!(
        !blocks.is_empty(),
        "no blocks for {} in {}",
        dir,
        img.display()
    );
    for (old, new) in renames {
        assert_eq!(old.len(), new.len(), "renames keep the length");
        let mut done = false;
        for b in &blocks {
            let mut buf = vec![0u8; 1024];
            f.read_exact_at(&mut buf, b * 1024).expect("read dir block");
            if let Some(i) = find(&buf, old) {
                buf[i..i + new.len()].copy_from_slice(new);
                f.write_all_at(&buf, b * 1024).expect("write dir block");
                done = true;
                break;
            }
        }
        assert!(
            done,
            "{:?} not found in {} of {}",
            String::from_utf8_lossy(old),
            dir,
            img.display()
        );
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Overwrites bytes of a file at an offset.
pub fn poke(path: &Path, offset: u64, bytes: &[u8]) {
    let f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for poke");
    f.write_all_at(bytes, offset).expect("poke");
}

/// Reads bytes of a file at an offset.
pub fn peek(path: &Path, offset: u64, len: usize) -> Vec<u8> {
    let f = fs::File::open(path).expect("open for peek");
    let mut buf = vec![0u8; len];
    f.read_exact_at(&mut buf, offset).expect("peek");
    buf
}

/// A small ordinary filesystem: `/a`, `/d/f`, `/d/sub/`.
pub fn plain_fs(work: &Path, name: &str) -> PathBuf {
    let tree = work.join(format!("{}.tree", name));
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("d/sub")).expect("tree");
    fs::write(tree.join("a"), "hi\n").expect("tree");
    fs::write(tree.join("d/f"), "in d\n").expect("tree");
    mkfs_ext4(&tree, &work.join(format!("{}.fs", name)), 4, &[])
}

/// An MBR disk whose one partition (`/dev/sda1`, 1 MiB in, `size_mib` long) holds `fs`.
pub fn mbr_disk(fs: &Path, out: &Path, size_mib: u64) -> PathBuf {
    make_disk(
        out,
        "dos",
        &[Part {
            size_mib,
            kind: "83",
            content: Some(fs),
        }],
    )
}

/// The ext4 partition of an [`mbr_disk`] starts here.
pub const PART_OFFSET: u64 = 1024 * 1024;

/// A raw MBR disk holding an ext4 partition, cut off in the middle of the filesystem.
pub fn truncated_raw(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "trunc");
    mbr_disk(&fs, out, 4);
    let f = fs::OpenOptions::new().write(true).open(out).expect("open");
    f.set_len(PART_OFFSET + 512 * 1024).expect("truncate");
    out.to_path_buf()
}

/// A qcow2 image of a 4 MiB ext4 filesystem, cut to `len` bytes.
pub fn truncated_qcow2(work: &Path, out: &Path, len: u64) -> PathBuf {
    let fs = plain_fs(work, "qtrunc");
    crate::images::to_qcow2(&fs, out, false);
    let f = fs::OpenOptions::new().write(true).open(out).expect("open");
    f.set_len(len).expect("truncate");
    out.to_path_buf()
}

/// A qcow2 overlay whose backing file has been deleted.
pub fn qcow2_missing_backing(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "backing");
    let base = out.with_file_name("deleted-base.qcow2");
    crate::images::to_qcow2(&fs, &base, false);
    crate::images::qcow2_overlay("deleted-base.qcow2", "qcow2", out);
    fs::remove_file(&base).expect("delete backing file");
    out.to_path_buf()
}

/// A qcow2 overlay (4 MiB, raw backing format) naming `backing`, whatever it is, as its
/// backing file: made with `qemu-img create -u`, which does not open it.
pub fn qcow2_over(backing: &Path, out: &Path) -> PathBuf {
    sh(Command::new("qemu-img")
        .args(["create", "-q", "-u", "-f", "qcow2", "-F", "raw", "-b"])
        .arg(backing)
        .arg(out)
        .arg("4M"));
    out.to_path_buf()
}

/// A chain of `len` qcow2 images over a small ext4 filesystem: `out` is the top, each image
/// the backing file of the one above it.
pub fn qcow2_long_chain(work: &Path, out: &Path, len: usize) -> PathBuf {
    let fs = plain_fs(work, "chain");
    let mut below = out.with_file_name("chain-0.qcow2");
    crate::images::to_qcow2(&fs, &below, false);
    for i in 1..len {
        let image = if i + 1 == len {
            out.to_path_buf()
        } else {
            out.with_file_name(format!("chain-{}.qcow2", i))
        };
        let name = below.file_name().and_then(|n| n.to_str()).expect("name");
        crate::images::qcow2_overlay(name, "qcow2", &image);
        below = image;
    }
    out.to_path_buf()
}

/// Two qcow2 images each naming the other as backing file.
pub fn qcow2_backing_loop(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "loopback");
    let other = out.with_file_name("loop-b.qcow2");
    crate::images::to_qcow2(&fs, &other, false);
    crate::images::qcow2_overlay("loop-b.qcow2", "qcow2", out);
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .expect("overlay name")
        .to_string();
    // `rebase -u` only rewrites the header: the backing chain now loops.
    sh(Command::new("qemu-img")
        .current_dir(out.parent().expect("dir"))
        .args([
            "rebase",
            "-u",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            &name,
            "loop-b.qcow2",
        ]));
    out.to_path_buf()
}

/// Disk size of the GPT images.
pub const GPT_DISK_SIZE: u64 = 8 * 1024 * 1024;

/// A GPT disk made with sgdisk: one Linux partition at 1 MiB holding an ext4 filesystem.
pub fn gpt_disk(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "gpt");
    let _ = fs::remove_file(out);
    let f = fs::File::create(out).expect("gpt image");
    f.set_len(GPT_DISK_SIZE).expect("size");
    drop(f);
    sh(Command::new("sgdisk")
        .args([
            "-o",
            "-U",
            "01234567-89AB-CDEF-0123-456789ABCDEF",
            "-n",
            "1:2048:+4M",
            "-t",
            "1:8300",
            "-u",
            "1:01234567-89AB-CDEF-0123-456789000001",
        ])
        .arg(out)
        .stdout(Stdio::null()));
    sh(Command::new("dd")
        .arg(format!("if={}", fs.display()))
        .arg(format!("of={}", out.display()))
        .args(["bs=1M", "seek=1", "conv=notrunc,sparse", "status=none"]));
    out.to_path_buf()
}

/// Flips a byte of a GPT header's own CRC field (offset 16 of the header sector).
pub fn corrupt_gpt_header_crc(img: &Path, header_lba: u64) {
    let off = header_lba * 512 + 16;
    let b = peek(img, off, 1)[0];
    poke(img, off, &[b ^ 0xff]);
}

/// An MBR disk (sfdisk) with an ext4 primary partition, and an extended partition whose
/// first EBR's link entry points back at itself.
pub fn mbr_extended_loop(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "ebr");
    let _ = fs::remove_file(out);
    let f = fs::File::create(out).expect("image");
    f.set_len(16 * 1024 * 1024).expect("size");
    drop(f);
    let mut child = Command::new("sfdisk")
        .arg("-q")
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sfdisk");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin"),
        b"label: dos\nlabel-id: 0x0badf00d\nunit: sectors\nstart=2048, size=8192, type=83\nstart=10240, size=20480, type=5\nstart=12288, size=8192, type=83\n",
    )
    .expect("sfdisk script");
    assert!(child.wait().expect("sfdisk").success(), "sfdisk failed");
    sh(Command::new("dd")
        .arg(format!("if={}", fs.display()))
        .arg(format!("of={}", out.display()))
        .args(["bs=512", "seek=12288", "conv=notrunc", "status=none"]));
    // The EBR at sector 10240: its second entry (the link to the next EBR) becomes an
    // extended entry starting at offset 0 of the extended partition, i.e. at itself.
    let ebr = 10240 * 512;
    let mut link = [0u8; 16];
    link[4] = 0x05;
    link[12..16].copy_from_slice(&20480u32.to_le_bytes());
    poke(out, ebr + 0x1ce, &link);
    assert_eq!(peek(out, ebr + 0x1fe, 2), [0x55, 0xaa], "EBR signature");
    out.to_path_buf()
}

/// An MBR disk whose ext4 superblock (1 KiB at the partition's offset 1024) is zeroed.
pub fn ext4_zeroed_superblock(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "sb0");
    mbr_disk(&fs, out, 4);
    poke(out, PART_OFFSET + 1024, &[0u8; 1024]);
    out.to_path_buf()
}

/// An MBR disk whose ext4 superblock keeps its magic number but has every other byte
/// replaced by deterministic garbage (`seed` picks which).
pub fn ext4_garbled_superblock(work: &Path, out: &Path, seed: u32) -> PathBuf {
    let fs = plain_fs(work, &format!("sbg{}", seed));
    mbr_disk(&fs, out, 4);
    let mut sb = peek(out, PART_OFFSET + 1024, 1024);
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    for (i, b) in sb.iter_mut().enumerate() {
        // 0x38..0x3a is s_magic.
        if (0x38..0x3a).contains(&i) {
            continue;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x >> 8) as u8;
    }
    poke(out, PART_OFFSET + 1024, &sb);
    out.to_path_buf()
}

/// An ext4 filesystem (in an MBR partition) where `/d/sub/loop` is a second hard link to
/// `/d`: the directory tree has a cycle.
pub fn ext4_directory_loop(work: &Path, out: &Path) -> PathBuf {
    let fs = plain_fs(work, "dirloop");
    debugfs_w(&fs, &["link /d /d/sub/loop"]);
    mbr_disk(&fs, out, 4);
    out.to_path_buf()
}

/// A 16 MiB XFS v4 filesystem made by mkfs.xfs from a prototype file (no mount needed): `/a`
/// (3 bytes), `/f` (20,000 bytes, one extent), `/d/f`. Version 4 has no checksums, so bytes
/// poked into it are taken as they are.
pub fn xfs_v4(work: &Path, name: &str) -> PathBuf {
    let data = work.join(format!("{}.data", name));
    fs::write(&data, vec![b'x'; 20000]).expect("data");
    let proto = work.join(format!("{}.proto", name));
    fs::write(
        &proto,
        format!(
            "/dev/null\n0 0\nd--755 0 0\na ---644 0 0 /dev/null\nf ---644 0 0 {0}\nd d--755 0 0\n  f ---644 0 0 {0}\n  $\n$\n",
            data.display()
        ),
    )
    .expect("proto");
    let img = work.join(format!("{}.fs", name));
    let f = fs::File::create(&img).expect("xfs image");
    f.set_len(16 << 20).expect("size xfs image");
    // mkfs.xfs makes filesystems under 300 MiB only in its own test suite's environment.
    sh(Command::new("mkfs.xfs")
        .args(["-q", "-f", "-m", "crc=0", "-p"])
        .arg(&proto)
        .arg(&img)
        .envs([("TEST_DIR", "1"), ("TEST_DEV", "1"), ("QA_CHECK_FS", "1")]));
    img
}

/// What xfs_db prints for `commands` run on the inode at `path` of an XFS image.
fn xfs_db_at(img: &Path, path: &str, commands: &[&str]) -> String {
    let mut c = Command::new("xfs_db");
    c.args(["-x", "-c", &format!("path {}", path)]);
    for cmd in commands {
        c.args(["-c", cmd]);
    }
    String::from_utf8_lossy(&sh(c.arg(img)).stdout).into_owned()
}

/// An MBR disk holding an [`xfs_v4`] filesystem, the disk cut off half-way through it.
pub fn xfs_truncated(work: &Path, out: &Path) -> PathBuf {
    let img = xfs_v4(work, "xfs-trunc");
    mbr_disk(&img, out, 16);
    let f = fs::OpenOptions::new().write(true).open(out).expect("open");
    f.set_len(PART_OFFSET + (8 << 20)).expect("truncate");
    out.to_path_buf()
}

/// An MBR disk holding an [`xfs_v4`] filesystem whose `/f` claims 4,000,000,000 extents.
pub fn xfs_absurd_extent_count(work: &Path, out: &Path) -> PathBuf {
    let img = xfs_v4(work, "xfs-absurd");
    xfs_db_at(&img, "/f", &["write core.nextents 4000000000"]);
    mbr_disk(&img, out, 16)
}

/// An MBR disk holding an [`xfs_v4`] filesystem where `/f` is mapped by a block-map B-tree
/// whose root (in the inode, level 2) points to a node whose only child is itself.
pub fn xfs_bmbt_self_loop(work: &Path, out: &Path) -> PathBuf {
    let img = xfs_v4(work, "xfs-loop");
    let info = xfs_db_at(&img, "/f", &["print u.bmx", "inode"]);
    // "0:[startoff,startblock,blockcount,extentflag]" and "current inode number is N".
    let block: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("0:["))
        .and_then(|l| l.split(',').nth(1))
        .and_then(|b| b.parse().ok())
        .expect("extent of /f");
    let ino = info
        .lines()
        .find_map(|l| l.strip_prefix("current inode number is "))
        .expect("inode of /f")
        .trim()
        .to_string();
    let number = |cmd: &str| -> u64 {
        let out = sh(Command::new("xfs_db").args(["-r", "-c", cmd]).arg(&img));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split(['(', ')'])
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect(cmd)
    };
    let inode_at = number(&format!("convert ino {} byte", ino));
    let block_at = number(&format!("convert fsb {} byte", block));
    // The inode: data fork format B-tree; the root (after the 100-byte v4 core): level 2, one
    // record, key 0, pointer to the block (the pointers follow the 9 keys a 156-byte fork
    // holds).
    poke(&img, inode_at + 5, &[3]);
    poke(&img, inode_at + 100, &[0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    poke(&img, inode_at + 100 + 4 + 9 * 8, &block.to_be_bytes());
    // The block: a level-1 node, one record, no siblings, its pointer to itself (after the
    // 254 keys a 4 KiB block holds).
    let mut node = b"BMAP\0\x01\0\x01".to_vec();
    node.extend_from_slice(&[0xff; 16]);
    node.extend_from_slice(&[0; 8]);
    poke(&img, block_at, &node);
    poke(&img, block_at + 24 + 254 * 8, &block.to_be_bytes());
    mbr_disk(&img, out, 16)
}

/// A squashfs filesystem made by mksquashfs with uncompressed metadata and data (so that its
/// structures can be found and changed in place) and `args`: `/a` (3 bytes), `/f` and
/// `/d/f` (20,000 bytes each).
pub fn squashfs_plain(work: &Path, name: &str, args: &[&str]) -> PathBuf {
    let tree = work.join(format!("{}.tree", name));
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("d")).expect("tree");
    fs::write(tree.join("a"), "hi\n").expect("tree");
    fs::write(tree.join("f"), vec![b'x'; 20000]).expect("tree");
    fs::write(tree.join("d/f"), vec![b'x'; 20000]).expect("tree");
    let img = work.join(format!("{}.fs", name));
    sh(Command::new("mksquashfs")
        .arg(&tree)
        .arg(&img)
        .args(["-noappend", "-quiet", "-no-progress"])
        .args(["-noI", "-noD", "-noF", "-noX"])
        .args(args)
        .stdout(Stdio::null()));
    img
}

fn le32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64_at(b: &[u8], at: u64) -> u64 {
    let at = at as usize;
    u64::from_le_bytes([
        b[at],
        b[at + 1],
        b[at + 2],
        b[at + 3],
        b[at + 4],
        b[at + 5],
        b[at + 6],
        b[at + 7],
    ])
}

/// Where the basic regular inode of `/f` lies in a [`squashfs_plain`] image: the last
/// 20,000-byte file of the inode table (mksquashfs writes `/d/f` before it).
fn squashfs_inode_of_f(img: &[u8]) -> u64 {
    let (inodes, dirs) = (le64_at(img, 64) as usize, le64_at(img, 72) as usize);
    (inodes + 2..dirs - 32)
        .rev()
        .find(|&p| u16::from_le_bytes([img[p], img[p + 1]]) == 2 && le32_at(img, p + 28) == 20000)
        .expect("the inode of /f") as u64
}

/// An MBR disk holding a [`squashfs_plain`] filesystem, cut off half-way through it.
pub fn squashfs_truncated(work: &Path, out: &Path) -> PathBuf {
    let img = squashfs_plain(work, "sqfs-trunc", &[]);
    let len = fs::metadata(&img).expect("image").len();
    mbr_disk(&img, out, 4);
    let f = fs::OpenOptions::new().write(true).open(out).expect("open");
    f.set_len(PART_OFFSET + len / 2).expect("truncate");
    out.to_path_buf()
}

/// An MBR disk holding a [`squashfs_plain`] filesystem whose `/f` names fragment 1000 of 1.
pub fn squashfs_fragment_out_of_range(work: &Path, out: &Path) -> PathBuf {
    let img = squashfs_plain(work, "sqfs-frag", &[]);
    let at = squashfs_inode_of_f(&fs::read(&img).expect("image"));
    poke(&img, at + 20, &1000u32.to_le_bytes());
    mbr_disk(&img, out, 4)
}

/// An MBR disk holding a [`squashfs_plain`] filesystem (4 KiB blocks) whose `/f` claims
/// 4 GiB: a million data blocks, a list the inode table does not hold.
pub fn squashfs_absurd_block_count(work: &Path, out: &Path) -> PathBuf {
    let img = squashfs_plain(work, "sqfs-absurd", &["-b", "4096", "-no-fragments"]);
    let at = squashfs_inode_of_f(&fs::read(&img).expect("image"));
    poke(&img, at + 28, &u32::MAX.to_le_bytes());
    mbr_disk(&img, out, 4)
}

/// An MBR disk holding a [`squashfs_plain`] filesystem (4 KiB blocks) whose `/f` starts
/// with a "compressed" block that expands to 1 MiB (a zlib stream of zeros).
pub fn squashfs_decompression_bomb(work: &Path, out: &Path) -> PathBuf {
    let img = squashfs_plain(work, "sqfs-bomb", &["-b", "4096", "-no-fragments"]);
    let at = squashfs_inode_of_f(&fs::read(&img).expect("image"));
    let start = u64::from(le32_at(&peek(&img, at + 16, 4), 0));
    let bomb = sh(Command::new("python3").args([
        "-c",
        "import sys, zlib; sys.stdout.buffer.write(zlib.compress(bytes(1 << 20), 9))",
    ]))
    .stdout;
    assert!(bomb.len() <= 4096, "bomb of {} bytes", bomb.len());
    poke(&img, start, &bomb);
    poke(&img, at + 32, &(bomb.len() as u32).to_le_bytes());
    mbr_disk(&img, out, 4)
}

/// An MBR disk holding a [`squashfs_plain`] filesystem whose root lists `d` as the root
/// itself (a directory that contains itself).
pub fn squashfs_directory_loop(work: &Path, out: &Path) -> PathBuf {
    let img = squashfs_plain(work, "sqfs-loop", &[]);
    let data = fs::read(&img).expect("image");
    let root_ref = le64_at(&data, 32);
    let dirs = le64_at(&data, 72) as usize;
    // The root inode's number: its header's last field (the root lies in the table's first
    // block, after that block's 2-byte header).
    let inodes = le64_at(&data, 64) as usize;
    let root_at = inodes + 2 + (root_ref & 0xffff) as usize;
    let root_ino = le32_at(&data, root_at + 12);
    // struct squashfs_dir_entry of `d`: offset u16, inode_number i16 (delta from the run's
    // base), type u16 (1: directory), size u16 (name length - 1), name.
    let e = dirs + find(&data[dirs..], &[1, 0, 0, 0, b'd']).expect("the root's entry of d") - 4;
    // The run's header (count, start block, base inode number) precedes the first entry,
    // `a`; `d` is the second.
    let a = e - 8 - 1;
    let base = le32_at(&data, a - 4);
    poke(&img, e as u64, &((root_ref & 0xffff) as u16).to_le_bytes());
    poke(
        &img,
        e as u64 + 2,
        &((i64::from(root_ino) - i64::from(base)) as i16).to_le_bytes(),
    );
    mbr_disk(&img, out, 4)
}

/// Where the hostile images' symlinks point on the host: a directory outside any
/// destination the tests extract into.
pub struct Outside<'a> {
    pub dir: &'a Path,
}

/// A filesystem (in an MBR partition) whose names and links try to reach outside whatever
/// directory it is extracted into:
/// - `/abs` → OUTSIDE/secret (an absolute host path), `/absdir` → OUTSIDE,
///   `/up` → `../../…/OUTSIDE` (relative, climbing far), `/dir/climb` → `../../../..`;
/// - two entries named `evil` in `/`: a symlink → OUTSIDE and a directory holding `pwned`
///   (a "later file through the symlink");
/// - entries renamed in place to `..` (pointing to a file), `.`, and a name with a NUL;
/// - `new\nline`, a 255-byte name, a hard link pair, a character and a block device, a FIFO,
///   and `/dir/big` (300 kB).
pub fn hostile_names(work: &Path, out: &Path, outside: &Outside) -> PathBuf {
    let tree = work.join("hostile.tree");
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("dir")).expect("tree");
    fs::create_dir_all(tree.join("evjl")).expect("tree");
    let o = outside.dir.to_str().expect("utf-8 path");
    let w = |p: &str, c: &str| fs::write(tree.join(p), c).expect("tree file");
    w("hello", "hello from the guest\n");
    w("new\nline", "newline\n");
    w("nulXname", "nul\n");
    w("zz", "dotdot\n");
    w("y", "dot\n");
    w("evjl/pwned", "PWNED\n");
    w("dir/inner", "inner\n");
    // More than a pipe holds, so an extraction that stops early also stops the archive.
    fs::write(
        tree.join("dir/big"),
        (0..300_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .expect("tree file");
    w(&"L".repeat(255), "long\n");
    w("hard1", "hard\n");
    fs::hard_link(tree.join("hard1"), tree.join("hard2")).expect("hard link");
    let ln = |target: &str, p: &str| {
        std::os::unix::fs::symlink(target, tree.join(p)).expect("symlink");
    };
    ln(&format!("{}/secret", o), "abs");
    ln(o, "absdir");
    ln(o, "evil");
    ln(
        &format!("{}{}", "../".repeat(30), o.trim_start_matches('/')),
        "up",
    );
    ln("../../../..", "dir/climb");
    let fs_img = mkfs_ext4(
        &tree,
        &work.join("hostile.fs"),
        4,
        &["-O", "^metadata_csum,^dir_index"],
    );
    debugfs_w(
        &fs_img,
        // debugfs's mknod takes a bare name in the current directory (a leading `/` would
        // become part of the name).
        &[
            "mknod mem c 1 1",
            "sif mem mode 020644",
            "mknod sda b 8 0",
            "sif sda mode 060640",
            "mknod fifo p",
            "sif fifo mode 010644",
        ],
    );
    patch_names(
        &fs_img,
        "/",
        &[
            (b"evjl", b"evil"),
            (b"nulXname", b"nul\0name"),
            (b"zz", b".."),
        ],
    );
    // "y" is one byte long: patch it on its own so it cannot match inside another name.
    patch_single_byte_name(&fs_img, "/", b'y', b'.');
    mbr_disk(&fs_img, out, 4);
    out.to_path_buf()
}

/// Renames the one-byte entry `old` to `new` (finds the entry by its name length field).
fn patch_single_byte_name(img: &Path, dir: &str, old: u8, new: u8) {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(img)
        .expect("open image");
    for b in blocks_of(img, dir) {
        let mut buf = vec![0u8; 1024];
        f.read_exact_at(&mut buf, b * 1024).expect("read");
        // ext4_dir_entry_2: inode (4), rec_len (2), name_len (1), file_type (1), name.
        let mut pos = 0usize;
        while pos + 8 < buf.len() {
            let rec_len = u16::from_le_bytes([buf[pos + 4], buf[pos + 5]]) as usize;
            let name_len = buf[pos + 6] as usize;
            if name_len == 1 && buf[pos + 8] == old {
                buf[pos + 8] = new;
                f.write_all_at(&buf, b * 1024).expect("write");
                return;
            }
            if rec_len < 8 {
                break;
            }
            pos += rec_len;
        }
    }
    panic!("one-byte entry {:?} not found in {}", old as char, dir);
}

/// A filesystem (in an MBR partition) with a directory `/bad` whose entries have names the
/// kernel refuses to pass on (`evil/pwned`, `../../escape`: a `/` inside a name), next to a
/// symlink `/evil` → OUTSIDE.
pub fn slash_names(work: &Path, out: &Path, outside: &Outside) -> PathBuf {
    let tree = work.join("slash.tree");
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("bad")).expect("tree");
    fs::create_dir_all(tree.join("good")).expect("tree");
    fs::write(tree.join("bad/evilXpwned"), "PWNED\n").expect("tree");
    fs::write(tree.join("bad/AAAAAAAAAAAA"), "ESCAPED\n").expect("tree");
    fs::write(tree.join("good/file"), "fine\n").expect("tree");
    std::os::unix::fs::symlink(outside.dir, tree.join("evil")).expect("symlink");
    let fs_img = mkfs_ext4(
        &tree,
        &work.join("slash.fs"),
        4,
        &["-O", "^metadata_csum,^dir_index"],
    );
    patch_names(
        &fs_img,
        "/bad",
        &[
            (b"evilXpwned", b"evil/pwned"),
            (b"AAAAAAAAAAAA", b"../../escape"),
        ],
    );
    mbr_disk(&fs_img, out, 4);
    out.to_path_buf()
}

/// A listing of a host directory tree (relative path, kind, size, link target, mtime) that
/// does not descend into `skip`, to prove nothing changed around an extraction.
pub fn snapshot(root: &Path, skip: &Path) -> Vec<String> {
    let mut out = Vec::new();
    snapshot_into(root, root, skip, &mut out);
    out.sort();
    out
}

fn snapshot_into(root: &Path, dir: &Path, skip: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
        let Ok(m) = fs::symlink_metadata(&p) else {
            continue;
        };
        let link = fs::read_link(&p)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        if p == skip {
            // The destination itself changes (its entries); only its kind must stay.
            out.push(format!("{} mode={:o}", rel, m.mode()));
            continue;
        }
        out.push(format!(
            "{} mode={:o} size={} mtime={}.{} link={}",
            rel,
            m.mode(),
            m.len(),
            m.mtime(),
            m.mtime_nsec(),
            link
        ));
        if m.is_dir() {
            snapshot_into(root, &p, skip, out);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Guests with an operating system, for the tools that inspect (virt-log, virt-win-reg,
// virt-diff, virt-inspector).
// ---------------------------------------------------------------------------------------------

/// The files inspection needs to see a Debian 12 root: `/bin/ls`, `/etc/os-release`,
/// `/etc/debian_version`, the hostname and an fstab.
fn debian_root(hostname: &str, fstab: &str) -> crate::images::Tree {
    use crate::images::{tiny_elf, Tree};
    Tree::new()
        .dir("/bin", 0o755)
        .file("/bin/ls", tiny_elf(), 0o755)
        .dir("/etc", 0o755)
        .file("/etc/hostname", format!("{}\n", hostname), 0o644)
        .file("/etc/debian_version", "12.5\n", 0o644)
        .file(
            "/etc/os-release",
            "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
            0o644,
        )
        .file("/etc/fstab", fstab, 0o644)
}

/// A small Debian-like guest on an MBR disk (root on `/dev/sda1`); `journal` files are put in
/// `/var/log/journal/<machine-id>/` with the given contents, next to a plain `/var/log/syslog`.
pub fn linux_guest(work: &Path, out: &Path, journal: &[(&str, Vec<u8>)]) -> PathBuf {
    use crate::images::{make_ext, FsSpec};
    let name = out
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("linux")
        .to_string();
    let mut tree = debian_root("hostile.example.invalid", "/dev/sda1 / ext4 defaults 0 1\n")
        .file(
            "/etc/machine-id",
            "0123456789abcdef0123456789abcdef\n",
            0o444,
        )
        .dir("/var/log", 0o755)
        .file(
            "/var/log/syslog",
            "Nov 14 22:13:20 hostile kernel: hello\n",
            0o640,
        );
    if !journal.is_empty() {
        tree = tree.dir("/var/log/journal/0123456789abcdef0123456789abcdef", 0o755);
    }
    for (file, content) in journal {
        tree = tree.file(
            &format!("/var/log/journal/0123456789abcdef0123456789abcdef/{}", file),
            content,
            0o640,
        );
    }
    let fs = make_ext(
        work,
        &name,
        &FsSpec {
            size_mib: 8,
            ..Default::default()
        },
        &tree,
    );
    mbr_disk(&fs, out, 8)
}

/// A Debian-like guest whose root filesystem (label `VAULT`, mounted by label) is inside a
/// LUKS2 container (passphrase `secret`) on `/dev/sda1`. The container is made offline by
/// `cryptsetup reencrypt --encrypt`, which needs no device-mapper on the host.
pub fn luks_guest(work: &Path, out: &Path) -> PathBuf {
    let pbkdf2 = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"];
    luks_guest_with(work, out, &pbkdf2, false)
}

/// [`luks_guest`] with the cryptsetup options `luks_opts` (KDF, cipher, sector size), and
/// converted to LUKS1 by `cryptsetup convert` when `luks1` (its options must then be LUKS1's:
/// pbkdf2, 512-byte sectors).
pub fn luks_guest_with(work: &Path, out: &Path, luks_opts: &[&str], luks1: bool) -> PathBuf {
    use crate::images::{make_ext, FsSpec};
    let tree = debian_root(
        "vaulted.example.invalid",
        "LABEL=VAULT / ext4 defaults 0 1\n",
    );
    let spec = FsSpec {
        size_mib: 8,
        label: Some("VAULT"),
        ..Default::default()
    };
    let fs = make_ext(work, "vault", &spec, &tree);
    luks_disk_of(work, &fs, out, luks_opts, luks1)
}

/// A disk whose one partition is the filesystem image `fs` (whole MiB) encrypted in place by
/// cryptsetup with the passphrase `secret`.
pub fn luks_disk_of(
    work: &Path,
    fs: &Path,
    out: &Path,
    luks_opts: &[&str],
    luks1: bool,
) -> PathBuf {
    let key = work.join("luks-passphrase");
    fs::write(&key, "secret").unwrap();
    // Room for the LUKS2 header, which goes in front of the (shifted) filesystem.
    let f = fs::OpenOptions::new().write(true).open(fs).unwrap();
    let size_mib = (f.metadata().unwrap().len() >> 20) + 16;
    f.set_len(size_mib << 20).unwrap();
    let st = Command::new("cryptsetup")
        .args([
            "reencrypt",
            "--encrypt",
            "--type",
            "luks2",
            "--reduce-device-size",
            "16M",
        ])
        .args(luks_opts)
        .args(["-q", "--key-file"])
        .arg(&key)
        .arg(fs)
        .status()
        .expect("cryptsetup (scripts/install-deps.sh installs it)");
    assert!(st.success(), "cryptsetup reencrypt --encrypt failed");
    if luks1 {
        let st = Command::new("cryptsetup")
            .args(["convert", "--type", "luks1", "-q"])
            .arg(fs)
            .status()
            .expect("cryptsetup");
        assert!(st.success(), "cryptsetup convert --type luks1 failed");
    }
    mbr_disk(fs, out, size_mib)
}

/// A journal file made by systemd (from the core crate's test data), uncompressed with xz.
pub fn journal_sample() -> Option<Vec<u8>> {
    let packed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libguestfs-core/tests/data/journal/writer-none-regular.journal.xz");
    let out = Command::new("xz").arg("-dc").arg(&packed).output().ok()?;
    (out.status.success() && out.stdout.starts_with(b"LPKSHHRH")).then_some(out.stdout)
}

/// A registry hive from the core crate's test data (made by hivex).
pub fn hive_sample(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libguestfs-core/tests/data/hive")
        .join(name);
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {}", p.display(), e))
}

/// A phony Windows guest (the layout libguestfs's own test images use: a `/Windows` tree on
/// an ext4 partition, `/dev/sda1`) with the given SOFTWARE and SYSTEM hive files.
pub fn windows_guest(work: &Path, out: &Path, software: &[u8], system: &[u8]) -> PathBuf {
    use crate::images::{make_ext, FsSpec, Tree};
    let name = out
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("windows")
        .to_string();
    let mut pe = vec![0u8; 0x200];
    pe[0..2].copy_from_slice(b"MZ");
    pe[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    pe[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes());
    pe[0x94..0x96].copy_from_slice(&0xe0u16.to_le_bytes());
    pe[0x98..0x9a].copy_from_slice(&0x10bu16.to_le_bytes());
    let tree = Tree::new()
        .dir("/Windows/System32/Config", 0o755)
        .dir("/Windows/System32/Drivers", 0o755)
        .file("/Windows/System32/cmd.exe", pe, 0o644)
        .file("/Windows/System32/Config/SOFTWARE", software, 0o644)
        .file("/Windows/System32/Config/SYSTEM", system, 0o644)
        .dir("/Program Files", 0o755);
    let fs = make_ext(
        work,
        &name,
        &FsSpec {
            size_mib: 8,
            ..Default::default()
        },
        &tree,
    );
    mbr_disk(&fs, out, 8)
}

/// A btrfs filesystem (SINGLE profiles, 16 KiB nodes; mkfs.btrfs grows the 32 MiB file to
/// about 53 MiB) made by `mkfs.btrfs --rootdir`
/// (no mount needed): `/a`, `/f` (20,000 bytes), `/d/f`, and `/many` with 600 entries so
/// that the filesystem tree has two levels.
pub fn btrfs_single(work: &Path, name: &str) -> PathBuf {
    let tree = work.join(format!("{}.tree", name));
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("d")).expect("tree");
    fs::create_dir_all(tree.join("many")).expect("tree");
    fs::write(tree.join("a"), "hi\n").expect("tree");
    fs::write(tree.join("f"), vec![b'x'; 20000]).expect("tree");
    fs::write(tree.join("d/f"), vec![b'y'; 20000]).expect("tree");
    for i in 0..600 {
        fs::write(tree.join(format!("many/entry-with-a-long-name-{}", i)), "").expect("tree");
    }
    let img = work.join(format!("{}.fs", name));
    let f = fs::File::create(&img).expect("btrfs image");
    f.set_len(32 << 20).expect("size btrfs image");
    sh(Command::new("mkfs.btrfs")
        .args([
            "-q",
            "-f",
            "-m",
            "single",
            "-d",
            "single",
            "-n",
            "16384",
            "--rootdir",
        ])
        .arg(&tree)
        .arg(&img));
    img
}

const BTRFS_NODESIZE: usize = 16384;

/// The filesystem tree's root node of a btrfs image: its logical address and level, and
/// its children's addresses (what `btrfs inspect-internal dump-tree` prints).
fn btrfs_fs_root(img: &Path) -> (u64, u32, Vec<u64>) {
    let out = sh(Command::new("btrfs")
        .args(["inspect-internal", "dump-tree", "-t", "fs"])
        .arg(img));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let head: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("node ") || l.starts_with("leaf "))
        .expect("root node")
        .split_whitespace()
        .collect();
    let children = text
        .lines()
        .filter_map(|l| l.split(" block ").nth(1))
        .filter_map(|b| b.split_whitespace().next()?.parse().ok())
        .collect();
    (
        head[1].parse().expect("address"),
        head[3].parse().expect("level"),
        children,
    )
}

/// The device offset of a btrfs logical address (`btrfs-map-logical`, first mirror).
fn btrfs_physical(img: &Path, logical: u64) -> u64 {
    let out = sh(Command::new("btrfs-map-logical")
        .args(["-l", &logical.to_string()])
        .arg(img));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split(" physical ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("physical address")
}

/// CRC-32C (with the usual inversions), as btrfs checksums tree blocks.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Applies `change` to the tree block at `logical`, then gives it a correct checksum
/// (unless `recrc` is false), so that only the change is wrong.
fn btrfs_edit_block(img: &Path, logical: u64, recrc: bool, change: impl FnOnce(&mut Vec<u8>)) {
    let at = btrfs_physical(img, logical);
    let mut block = peek(img, at, BTRFS_NODESIZE);
    change(&mut block);
    if recrc {
        let crc = crc32c(&block[32..]);
        block[..4].copy_from_slice(&crc.to_le_bytes());
    }
    poke(img, at, &block);
}

/// An MBR disk holding a [`btrfs_single`] filesystem, the disk cut off half-way through it.
pub fn btrfs_truncated(work: &Path, out: &Path) -> PathBuf {
    let img = btrfs_single(work, "btrfs-trunc");
    mbr_disk(&img, out, 64);
    let f = fs::OpenOptions::new().write(true).open(out).expect("open");
    f.set_len(PART_OFFSET + (24 << 20)).expect("truncate");
    out.to_path_buf()
}

/// An MBR disk holding a [`btrfs_single`] filesystem whose tree root's last child pointer
/// names the root itself (a node one level down that is its own ancestor).
pub fn btrfs_btree_self_loop(work: &Path, out: &Path) -> PathBuf {
    let img = btrfs_single(work, "btrfs-loop");
    let (root, level, children) = btrfs_fs_root(&img);
    assert!(level >= 1 && !children.is_empty(), "a two-level tree");
    // Key pointers follow the 101-byte header: a 17-byte key, the address, a generation.
    let last = 101 + (children.len() - 1) * 33 + 17;
    btrfs_edit_block(&img, root, true, |b| {
        b[last..last + 8].copy_from_slice(&root.to_le_bytes())
    });
    mbr_disk(&img, out, 64)
}

/// An MBR disk holding a [`btrfs_single`] filesystem where the first item of the tree's
/// last leaf claims 4 GiB of data.
pub fn btrfs_absurd_item_size(work: &Path, out: &Path) -> PathBuf {
    let img = btrfs_single(work, "btrfs-absurd");
    let (_, _, children) = btrfs_fs_root(&img);
    let leaf = *children.last().expect("a leaf");
    // Items follow the 101-byte header: a 17-byte key, the data offset, the data size.
    btrfs_edit_block(&img, leaf, true, |b| {
        b[101 + 21..101 + 25].copy_from_slice(&u32::MAX.to_le_bytes())
    });
    mbr_disk(&img, out, 64)
}

/// An MBR disk holding a [`btrfs_single`] filesystem where a byte of the tree's last leaf
/// changed and its checksum did not.
pub fn btrfs_wrong_checksum(work: &Path, out: &Path) -> PathBuf {
    let img = btrfs_single(work, "btrfs-csum");
    let (_, _, children) = btrfs_fs_root(&img);
    let leaf = *children.last().expect("a leaf");
    btrfs_edit_block(&img, leaf, false, |b| b[BTRFS_NODESIZE - 1] ^= 0x55);
    mbr_disk(&img, out, 64)
}

/// A btrfs like [`btrfs_single`] whose directory `d` is a subvolume (id 256), made by
/// `mkfs.btrfs --rootdir --subvol d`.
fn btrfs_with_subvolume(work: &Path, name: &str) -> PathBuf {
    let tree = work.join(format!("{}.tree", name));
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("d")).expect("tree");
    fs::write(tree.join("a"), "hi\n").expect("tree");
    fs::write(tree.join("d/f"), vec![b'y'; 20000]).expect("tree");
    let img = work.join(format!("{}.fs", name));
    let f = fs::File::create(&img).expect("btrfs image");
    f.set_len(32 << 20).expect("size btrfs image");
    sh(Command::new("mkfs.btrfs")
        .args(["-q", "-f", "-m", "single", "-d", "single", "-n", "16384"])
        .args(["--subvol", "d", "--rootdir"])
        .arg(&tree)
        .arg(&img));
    img
}

/// The leaf of tree `tree` (`root`, `fs`) holding the item with key `key` (as dump-tree
/// prints it, `(256 ROOT_BACKREF 5)`): its address and the item's index.
fn btrfs_item(img: &Path, tree: &str, key: &str) -> (u64, usize) {
    let out = sh(Command::new("btrfs")
        .args(["inspect-internal", "dump-tree", "-t", tree])
        .arg(img));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut leaf = 0;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"leaf") {
            leaf = words[1].parse().expect("leaf address");
        }
        if words.first() == Some(&"item") && line.contains(&format!("key {}", key)) {
            return (leaf, words[1].parse().expect("item index"));
        }
    }
    panic!("no item {} in the {} tree", key, tree);
}

/// Where item `index`'s key starts in a leaf (items follow the 101-byte header, 25 bytes each).
fn btrfs_item_key_at(index: usize) -> usize {
    101 + index * 25
}

/// An MBR disk holding a btrfs whose subvolume 256 names itself as its parent (its
/// `ROOT_BACKREF` key says parent 256): listing the subvolumes would loop.
pub fn btrfs_subvolume_own_parent(work: &Path, out: &Path) -> PathBuf {
    let img = btrfs_with_subvolume(work, "btrfs-own-parent");
    let (leaf, index) = btrfs_item(&img, "root", "(256 ROOT_BACKREF 5)");
    let at = btrfs_item_key_at(index) + 9;
    btrfs_edit_block(&img, leaf, true, |b| {
        b[at..at + 8].copy_from_slice(&256u64.to_le_bytes())
    });
    mbr_disk(&img, out, 64)
}

/// An MBR disk holding a btrfs whose top-level directory entry `d` (both its `DIR_ITEM` and
/// `DIR_INDEX`) names subvolume 999, which does not exist.
pub fn btrfs_entry_to_missing_subvolume(work: &Path, out: &Path) -> PathBuf {
    let img = btrfs_with_subvolume(work, "btrfs-missing-subvol");
    let dump = sh(Command::new("btrfs")
        .args(["inspect-internal", "dump-tree", "-t", "fs"])
        .arg(&img));
    let text = String::from_utf8_lossy(&dump.stdout).into_owned();
    // The items of directory 256 that name `d`: their key lines precede the entry's location.
    let keys: Vec<String> = text
        .lines()
        .filter(|l| l.contains("key (256 DIR_ITEM") || l.contains("key (256 DIR_INDEX"))
        .filter_map(|l| {
            let k = l.split("key ").nth(1)?;
            Some(k[..k.find(')')? + 1].to_string())
        })
        .collect();
    for key in keys {
        let (leaf, index) = btrfs_item(&img, "fs", &key);
        btrfs_edit_block(&img, leaf, true, |b| {
            let item = btrfs_item_key_at(index);
            let data_off = u32::from_le_bytes(b[item + 17..item + 21].try_into().unwrap()) as usize;
            // The entry's location key starts the item data (after the 101-byte header).
            let loc = 101 + data_off;
            if b[loc + 8] == 132 {
                b[loc..loc + 8].copy_from_slice(&999u64.to_le_bytes());
            }
        });
    }
    mbr_disk(&img, out, 64)
}

/// A small ISO 9660 image with Rock Ridge made by xorriso: `/a` (3 bytes), `/f` (20,000
/// bytes), `/d/f` (20,000 bytes).
pub fn iso_rr(work: &Path, name: &str) -> PathBuf {
    let src = work.join(format!("{}.src", name));
    fs::create_dir_all(src.join("d")).expect("iso tree");
    fs::write(src.join("a"), b"abc").expect("a");
    fs::write(src.join("f"), vec![b'x'; 20000]).expect("f");
    fs::write(src.join("d/f"), vec![b'y'; 20000]).expect("d/f");
    let img = work.join(format!("{}.iso", name));
    sh(Command::new("xorriso")
        .args(["-as", "mkisofs", "-R", "-o"])
        .arg(&img)
        .arg(&src)
        .stdout(Stdio::null())
        .stderr(Stdio::null()));
    img
}

/// Where the directory record of the Rock Ridge name `name` lies in the root directory of
/// an ISO image: (byte offset, record length, system use area offset within the record).
pub fn iso_root_record(img: &Path, name: &str) -> (u64, usize, usize) {
    let data = fs::read(img).expect("read iso");
    let pvd = &data[16 * 2048..17 * 2048];
    let root = u32::from_le_bytes(pvd[158..162].try_into().expect("extent")) as usize * 2048;
    let size = u32::from_le_bytes(pvd[166..170].try_into().expect("size")) as usize;
    let mut nm = b"NM".to_vec();
    nm.extend_from_slice(&[5 + name.len() as u8, 1, 0]);
    nm.extend_from_slice(name.as_bytes());
    let mut pos = root;
    while pos < root + size {
        let len = usize::from(data[pos]);
        if len == 0 {
            pos = (pos / 2048 + 1) * 2048;
            continue;
        }
        let rec = &data[pos..pos + len];
        if rec.windows(nm.len()).any(|w| w == nm.as_slice()) {
            let mut su = 33 + usize::from(rec[32]);
            su += su & 1;
            return (pos as u64, len, su);
        }
        pos += len;
    }
    panic!("no record named {} in {}", name, img.display());
}

/// [`iso_rr`] where `/f`'s Rock Ridge entries end in a continuation area (CE) that is the
/// record's own system use area: a loop the kernel ends after 32 areas.
pub fn iso_ce_loop(work: &Path, out: &Path) -> PathBuf {
    let img = iso_rr(work, "iso-ce-loop");
    let (at, len, su) = iso_root_record(&img, "f");
    let area = at + su as u64;
    let data = fs::read(&img).expect("read");
    // The first entry (PX, 44 bytes with RRIP 1.12) becomes CE (28) and a filler entry.
    assert_eq!(&data[area as usize..area as usize + 2], b"PX");
    let px_len = usize::from(data[area as usize + 2]);
    let mut ce = b"CE\x1c\x01".to_vec();
    let both = |v: u32| [v.to_le_bytes(), v.to_be_bytes()].concat();
    ce.extend_from_slice(&both((area / 2048) as u32));
    ce.extend_from_slice(&both((area % 2048) as u32));
    ce.extend_from_slice(&both((len - su) as u32));
    ce.extend_from_slice(&[b'Z', b'Z', (px_len - 28) as u8, 1]);
    ce.resize(px_len, 0);
    poke(&img, area, &ce);
    fs::copy(&img, out).expect("copy");
    out.to_path_buf()
}

/// [`iso_rr`] with `/a`'s record length set to 0: readers skip to the next sector, as if
/// the directory's entries after it in that sector were not there.
pub fn iso_zero_length_record(work: &Path, out: &Path) -> PathBuf {
    let img = iso_rr(work, "iso-zero");
    let (at, _, _) = iso_root_record(&img, "a");
    poke(&img, at, &[0]);
    fs::copy(&img, out).expect("copy");
    out.to_path_buf()
}

/// [`iso_rr`] where `/f`'s extent lies far beyond the image and its size is 4 GiB - 1.
pub fn iso_extent_beyond(work: &Path, out: &Path) -> PathBuf {
    let img = iso_rr(work, "iso-beyond");
    let (at, _, _) = iso_root_record(&img, "f");
    let both = |v: u32| [v.to_le_bytes(), v.to_be_bytes()].concat();
    poke(&img, at + 2, &both(0x7fff_0000));
    poke(&img, at + 10, &both(u32::MAX));
    fs::copy(&img, out).expect("copy");
    out.to_path_buf()
}

/// [`iso_rr`] where `/f` is a Rock Ridge child link (CL) to the root directory: a directory
/// that holds itself, which tree walkers must visit once.
pub fn iso_relocation_loop(work: &Path, out: &Path) -> PathBuf {
    let img = iso_rr(work, "iso-cl");
    let (at, _, su) = iso_root_record(&img, "f");
    let area = at + su as u64;
    let data = fs::read(&img).expect("read");
    assert_eq!(&data[area as usize..area as usize + 2], b"PX");
    let px_len = usize::from(data[area as usize + 2]);
    let pvd = &data[16 * 2048..17 * 2048];
    let root = u32::from_le_bytes(pvd[158..162].try_into().expect("extent"));
    let mut cl = b"CL\x0c\x01".to_vec();
    cl.extend_from_slice(&[root.to_le_bytes(), root.to_be_bytes()].concat());
    cl.extend_from_slice(&[b'Z', b'Z', (px_len - 12) as u8, 1]);
    cl.resize(px_len, 0);
    poke(&img, area, &cl);
    fs::copy(&img, out).expect("copy");
    out.to_path_buf()
}
