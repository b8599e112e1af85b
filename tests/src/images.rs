//! Disk images built from standard tools: a directory tree becomes an ext2/3/4 filesystem with
//! `mkfs.ext4 -d`, filesystems are laid into an MBR or GPT disk made with `sfdisk`, and the
//! disk can be converted to qcow2 with `qemu-img`.

use crate::sh;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file tree to put into a filesystem.
#[derive(Default)]
pub struct Tree {
    entries: Vec<(String, Entry)>,
}

enum Entry {
    Dir(u32),
    File(Vec<u8>, u32),
    Symlink(String),
    Copy(PathBuf),
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }
    pub fn dir(mut self, path: &str, mode: u32) -> Tree {
        self.entries.push((path.to_string(), Entry::Dir(mode)));
        self
    }
    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>, mode: u32) -> Tree {
        self.entries.push((
            path.to_string(),
            Entry::File(content.as_ref().to_vec(), mode),
        ));
        self
    }
    pub fn symlink(mut self, path: &str, target: &str) -> Tree {
        self.entries
            .push((path.to_string(), Entry::Symlink(target.to_string())));
        self
    }
    /// Copies a host file (e.g. a real ELF binary) into the tree.
    pub fn copy(mut self, path: &str, host: &str) -> Tree {
        self.entries
            .push((path.to_string(), Entry::Copy(PathBuf::from(host))));
        self
    }

    /// Writes the tree under `root` with fixed times, so outputs are reproducible.
    pub fn write(&self, root: &Path) {
        self.write_entries(root);
        // Fixed access and modification times (children first, as setting a directory's
        // times must come after its entries are written).
        let mut paths: Vec<PathBuf> = self
            .entries
            .iter()
            .map(|(p, _)| root.join(p.trim_start_matches('/')))
            .collect();
        paths.sort();
        paths.dedup();
        for p in paths
            .iter()
            .rev()
            .chain(std::iter::once(&root.to_path_buf()))
        {
            set_times(p, FIXED_TIME);
            let mut parent = p.parent();
            while let Some(d) = parent {
                if !d.starts_with(root) {
                    break;
                }
                set_times(d, FIXED_TIME);
                parent = d.parent();
            }
        }
    }

    fn write_entries(&self, root: &Path) {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all(root).expect("tree root");
        for (path, entry) in &self.entries {
            let p = root.join(path.trim_start_matches('/'));
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).expect("parent dirs");
            }
            match entry {
                Entry::Dir(mode) => {
                    fs::create_dir_all(&p).expect("dir");
                    fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).expect("chmod");
                }
                Entry::File(content, mode) => {
                    fs::File::create(&p)
                        .and_then(|mut f| f.write_all(content))
                        .expect("file");
                    fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).expect("chmod");
                }
                Entry::Symlink(target) => {
                    let _ = fs::remove_file(&p);
                    std::os::unix::fs::symlink(target, &p).expect("symlink");
                }
                Entry::Copy(host) => {
                    fs::copy(host, &p).expect("copy host file");
                }
            }
        }
    }
}

/// The time every test file is given (2023-11-14 22:13:20 UTC).
pub const FIXED_TIME: i64 = 1_700_000_000;

/// Sets atime and mtime of a path without following a symlink.
fn set_times(path: &Path, t: i64) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return;
    };
    let ts = [libc::timespec {
        tv_sec: t as libc::time_t,
        tv_nsec: 0,
    }; 2];
    // SAFETY: c is a valid NUL-terminated path and ts has the two entries utimensat reads.
    unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
}

/// Options of a filesystem image.
pub struct FsSpec<'a> {
    /// The directory-hash seed, so htree directories come out the same every time.
    pub hash_seed: Option<&'a str>,
    /// `ext2`, `ext3` or `ext4`.
    pub kind: &'a str,
    pub size_mib: u64,
    pub label: Option<&'a str>,
    pub uuid: Option<&'a str>,
    pub block_size: Option<u32>,
    pub extra: &'a [&'a str],
}

impl Default for FsSpec<'_> {
    fn default() -> Self {
        FsSpec {
            hash_seed: None,
            kind: "ext4",
            size_mib: 32,
            label: None,
            uuid: None,
            block_size: None,
            extra: &[],
        }
    }
}

/// Makes an ext2/3/4 filesystem image holding `tree`.
pub fn make_ext(work: &Path, name: &str, spec: &FsSpec, tree: &Tree) -> PathBuf {
    let src = work.join(format!("{}.tree", name));
    tree.write(&src);
    let img = work.join(format!("{}.fs", name));
    let _ = fs::remove_file(&img);
    let mut cmd = Command::new(format!("mkfs.{}", spec.kind));
    cmd.arg("-q").arg("-F").arg("-d").arg(&src);
    if let Some(l) = spec.label {
        cmd.args(["-L", l]);
    }
    if let Some(u) = spec.uuid {
        cmd.args(["-U", u]);
    }
    if let Some(seed) = spec.hash_seed.or(spec.uuid) {
        cmd.args(["-E", &format!("hash_seed={}", seed)]);
    }
    if let Some(b) = spec.block_size {
        cmd.args(["-b", &b.to_string()]);
    }
    cmd.args(spec.extra);
    cmd.arg(&img).arg(format!("{}M", spec.size_mib));
    // Fixed creation time and hash seed make the image reproducible.
    cmd.env("E2FSPROGS_FAKE_TIME", "1700000000");
    sh(&mut cmd);
    fix_ctimes(&img, tree);
    img
}

/// mkfs copies each source file's ctime, which is when the test wrote it: set every inode's
/// ctime to the fixed time so the image is the same on every run.
fn fix_ctimes(img: &Path, tree: &Tree) {
    let mut script =
        String::from("sif / ctime 20231114221320\nsif /lost+found ctime 20231114221320\n");
    let mut paths: Vec<&str> = tree.entries.iter().map(|(p, _)| p.as_str()).collect();
    // Parent directories created implicitly need fixing too.
    let mut parents = Vec::new();
    for p in &paths {
        let mut cur = *p;
        while let Some((parent, _)) = cur.rsplit_once('/') {
            if parent.is_empty() {
                break;
            }
            parents.push(parent);
            cur = parent;
        }
    }
    paths.extend(parents);
    paths.sort();
    paths.dedup();
    for p in paths {
        script.push_str(&format!("sif \"{}\" ctime 20231114221320\n", p));
    }
    let cmdfile = img.with_extension("debugfs");
    std::fs::write(&cmdfile, script).expect("debugfs script");
    sh(Command::new("debugfs")
        .arg("-w")
        .arg("-f")
        .arg(&cmdfile)
        .arg(img)
        .env("E2FSPROGS_FAKE_TIME", "1700000000"));
    let _ = std::fs::remove_file(&cmdfile);
}

/// One partition of a disk image: its table type byte/GUID and optional content.
pub struct Part<'a> {
    pub size_mib: u64,
    /// sfdisk type: `83`, `8e`, `ef` for MBR; a GUID or alias (`linux`, `uefi`) for GPT.
    pub kind: &'a str,
    pub content: Option<&'a Path>,
}

/// Makes a disk image with a partition table (`dos` or `gpt`) and copies each partition's
/// content in. Partitions start at 1 MiB and are aligned to 1 MiB.
pub fn make_disk(path: &Path, label: &str, parts: &[Part]) -> PathBuf {
    make_disk_with_id(
        path,
        label,
        if label == "gpt" {
            "01234567-89AB-CDEF-0123-456789ABCDEF"
        } else {
            "0x12345678"
        },
        parts,
    )
}

/// Like [`make_disk`] with a fixed disk identifier (MBR signature or GPT disk GUID) so the
/// image is the same every time; GPT partitions get fixed GUIDs derived from it.
pub fn make_disk_with_id(path: &Path, label: &str, label_id: &str, parts: &[Part]) -> PathBuf {
    let total: u64 = 1 + parts.iter().map(|p| p.size_mib).sum::<u64>() + 1;
    let f = fs::File::create(path).expect("disk image");
    f.set_len(total * 1024 * 1024).expect("size disk image");
    drop(f);
    let mut script = format!("label: {}\nlabel-id: {}\nunit: sectors\n", label, label_id);
    let mut start = 2048u64;
    for (i, p) in parts.iter().enumerate() {
        let sectors = p.size_mib * 2048;
        let uuid = if label == "gpt" {
            format!(", uuid=01234567-89AB-CDEF-0123-4567890000{:02X}", i + 1)
        } else {
            String::new()
        };
        script.push_str(&format!(
            "start={}, size={}, type={}{}\n",
            start, sectors, p.kind, uuid
        ));
        start += sectors;
    }
    let mut child = Command::new("sfdisk")
        .arg("-q")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run sfdisk");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("sfdisk script");
    assert!(child.wait().expect("sfdisk").success(), "sfdisk failed");
    let mut start = 1u64;
    for p in parts {
        if let Some(content) = p.content {
            sh(Command::new("dd")
                .arg(format!("if={}", content.display()))
                .arg(format!("of={}", path.display()))
                .args([
                    "bs=1M",
                    &format!("seek={}", start),
                    "conv=notrunc,sparse",
                    "status=none",
                ]));
        }
        start += p.size_mib;
    }
    path.to_path_buf()
}

/// Converts a raw image to qcow2 (`compressed` uses `qemu-img convert -c`).
pub fn to_qcow2(raw: &Path, out: &Path, compressed: bool) -> PathBuf {
    let mut cmd = Command::new("qemu-img");
    cmd.args(["convert", "-q", "-f", "raw", "-O", "qcow2"]);
    if compressed {
        cmd.arg("-c");
    }
    cmd.arg(raw).arg(out);
    sh(&mut cmd);
    out.to_path_buf()
}

/// A qcow2 overlay whose backing file is `backing` (named relative to the overlay).
pub fn qcow2_overlay(backing_name: &str, backing_fmt: &str, out: &Path) -> PathBuf {
    sh(Command::new("qemu-img")
        .current_dir(out.parent().expect("overlay dir"))
        .args([
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            backing_fmt,
            "-b",
            backing_name,
        ])
        .arg(out));
    out.to_path_buf()
}

/// A minimal x86-64 ELF executable header: enough for inspection to tell the architecture,
/// and the same on every machine (unlike a copy of the host's /bin/ls).
pub fn tiny_elf() -> Vec<u8> {
    let mut e = vec![0u8; 128];
    e[..4].copy_from_slice(b"\x7fELF");
    e[4] = 2; // ELFCLASS64
    e[5] = 1; // little-endian
    e[6] = 1; // EV_CURRENT
    e[16] = 2; // ET_EXEC
    e[18] = 62; // EM_X86_64
    e[20] = 1; // e_version
    e[52] = 64; // e_ehsize
    e
}

/// The demo guest: a small Debian-like system on an MBR disk with a separate /boot.
/// Returns the raw image path.
pub fn demo_guest(work: &Path, out: &Path) -> PathBuf {
    let boot = Tree::new()
        .dir("/grub", 0o755)
        .file("/grub/grub.cfg", "set default=0\nset timeout=5\n", 0o644)
        .file("/vmlinuz-6.1.0-demo", vec![0u8; 4096], 0o644);
    let dpkg_status = "Package: hello\nStatus: install ok installed\nPriority: optional\nSection: devel\nMaintainer: Demo <demo@example.invalid>\nArchitecture: amd64\nVersion: 2.10-3\nDescription: example package based on GNU hello\n The GNU hello program produces a familiar, friendly greeting.\nHomepage: https://www.gnu.org/software/hello/\n\nPackage: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library - runtime\n zlib is a library implementing the deflate compression method.\n\n";
    let root = Tree::new()
        .dir("/bin", 0o755)
        .file("/bin/ls", tiny_elf(), 0o755)
        .dir("/boot", 0o755)
        .dir("/etc", 0o755)
        .file("/etc/hostname", "demo.example.invalid\n", 0o644)
        .file("/etc/debian_version", "12.5\n", 0o644)
        .file(
            "/etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
            0o644,
        )
        .file(
            "/etc/fstab",
            "# /etc/fstab: static file system information.\nUUID=5e3b7a5c-0b8f-4bd5-9a51-2c1b1d1e0a02 / ext4 errors=remount-ro 0 1\nLABEL=BOOT /boot ext4 defaults 0 2\n",
            0o644,
        )
        .file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:User:/home/user:/bin/bash\n", 0o644)
        .file("/etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640)
        .symlink("/etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
        .dir("/home/user", 0o755)
        .file("/home/user/hello.txt", "hello world\n", 0o644)
        .dir("/root", 0o700)
        .dir("/tmp", 0o1777)
        .dir("/usr/share/zoneinfo/Etc", 0o755)
        .file("/usr/share/zoneinfo/Etc/UTC", "TZif2 demo\n", 0o644)
        .dir("/var/lib/dpkg", 0o755)
        .file("/var/lib/dpkg/status", dpkg_status, 0o644)
        .dir("/var/log", 0o755)
        .file(
            "/var/log/syslog",
            "Nov 14 22:13:20 demo kernel: [    0.000000] Linux version 6.1.0-demo\nNov 14 22:13:25 demo sshd[321]: Server listening on 0.0.0.0 port 22.\n",
            0o640,
        );
    let boot_fs = make_ext(
        work,
        "boot",
        &FsSpec {
            kind: "ext4",
            size_mib: 16,
            label: Some("BOOT"),
            uuid: Some("5e3b7a5c-0b8f-4bd5-9a51-2c1b1d1e0a01"),
            ..Default::default()
        },
        &boot,
    );
    let root_fs = make_ext(
        work,
        "root",
        &FsSpec {
            kind: "ext4",
            size_mib: 48,
            label: None,
            uuid: Some("5e3b7a5c-0b8f-4bd5-9a51-2c1b1d1e0a02"),
            ..Default::default()
        },
        &root,
    );
    make_disk(
        out,
        "dos",
        &[
            Part {
                size_mib: 16,
                kind: "83",
                content: Some(&boot_fs),
            },
            Part {
                size_mib: 48,
                kind: "83",
                content: Some(&root_fs),
            },
        ],
    )
}

/// Runs sfdisk with a script on an image file.
fn sfdisk(path: &Path, script: &str) {
    let mut child = Command::new("sfdisk")
        .arg("-q")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run sfdisk");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("sfdisk script");
    assert!(child.wait().expect("sfdisk").success(), "sfdisk failed");
}

/// Copies a filesystem image into a disk image at a byte offset.
fn place(disk: &Path, content: &Path, offset_mib: u64) {
    sh(Command::new("dd")
        .arg(format!("if={}", content.display()))
        .arg(format!("of={}", disk.display()))
        .args([
            "bs=1M",
            &format!("seek={}", offset_mib),
            "conv=notrunc,sparse",
            "status=none",
        ]));
}

/// A small tree with the things listings must get right.
fn varied_tree(n_files: usize) -> Tree {
    let mut t = Tree::new()
        .dir("/etc", 0o755)
        .file("/etc/hostname", "testhost\n", 0o644)
        .file("/etc/secret", "s3cret\n", 0o600)
        .file("/etc/setuid-tool", "#!/bin/sh\n", 0o4755)
        .symlink("/etc/fast-link", "hostname")
        .symlink("/etc/slow-link", &"/very/long/target/".repeat(6))
        .dir("/data", 0o1777)
        .file(
            "/data/with space.txt",
            "a file whose name has a space\n",
            0o644,
        )
        .file("/data/comma,name", "x", 0o644)
        .file(
            "/data/big.bin",
            (0..3_000_000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect::<Vec<u8>>(),
            0o644,
        )
        .dir("/many", 0o755);
    for i in 0..n_files {
        t = t.file(&format!("/many/file-{:04}", i), format!("{}\n", i), 0o644);
    }
    t
}

/// The images the integration tests and their golden outputs (made by libguestfs 1.48, see
/// tests/golden/regenerate.sh) use. Every image is built reproducibly: fixed UUIDs, hash
/// seeds, disk identifiers and file times.
pub fn test_images(dir: &Path) {
    std::fs::create_dir_all(dir).expect("image dir");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).expect("work dir");

    // The demo guest as raw, compressed qcow2, and a qcow2 overlay on the raw image.
    let demo = demo_guest(&work, &dir.join("demo.img"));
    to_qcow2(&demo, &dir.join("demo.qcow2"), true);
    qcow2_overlay("demo.img", "raw", &dir.join("demo-overlay.qcow2"));

    // A Windows guest (virt-win-reg --merge, tests/golden/winreg).
    crate::hostile::windows_guest(
        &work,
        &dir.join("win.img"),
        &crate::hostile::hive_sample("windows-software.hive"),
        &crate::hostile::hive_sample("windows-system.hive"),
    );

    // MBR with primaries, an extended partition and logical partitions; several ext flavours.
    let ext2 = make_ext(
        &work,
        "ext2",
        &FsSpec {
            kind: "ext2",
            size_mib: 8,
            label: Some("EXT2"),
            uuid: Some("11111111-2222-3333-4444-000000000002"),
            block_size: Some(1024),
            ..Default::default()
        },
        &varied_tree(20),
    );
    let ext3 = make_ext(
        &work,
        "ext3",
        &FsSpec {
            kind: "ext3",
            size_mib: 16,
            label: Some("EXT3"),
            uuid: Some("11111111-2222-3333-4444-000000000003"),
            block_size: Some(2048),
            ..Default::default()
        },
        &varied_tree(50),
    );
    let ext4 = make_ext(
        &work,
        "ext4",
        &FsSpec {
            kind: "ext4",
            size_mib: 24,
            label: Some("LOGICAL"),
            uuid: Some("11111111-2222-3333-4444-000000000004"),
            ..Default::default()
        },
        &varied_tree(2000),
    );
    let parts = dir.join("parts.img");
    let f = std::fs::File::create(&parts).expect("parts.img");
    f.set_len(64 * 1024 * 1024).expect("size");
    drop(f);
    sfdisk(
        &parts,
        "label: dos\nlabel-id: 0x0badcafe\nunit: sectors\nstart=2048, size=16384, type=83\nstart=18432, size=32768, type=83, bootable\nstart=51200, size=75776, type=5\nstart=53248, size=49152, type=83\nstart=104448, size=16384, type=82\n",
    );
    place(&parts, &ext2, 1);
    place(&parts, &ext3, 9);
    place(&parts, &ext4, 26);

    // GPT: an ext4 filesystem with 64-bit and inline data, and an empty partition.
    let gpt_fs = make_ext(
        &work,
        "gpt-ext4",
        &FsSpec {
            kind: "ext4",
            size_mib: 24,
            label: Some("GPTROOT"),
            uuid: Some("11111111-2222-3333-4444-000000000005"),
            extra: &["-O", "64bit,inline_data"],
            ..Default::default()
        },
        &varied_tree(300),
    );
    make_disk_with_id(
        &dir.join("gpt.img"),
        "gpt",
        "01234567-89AB-CDEF-0123-456789ABCDEF",
        &[
            Part {
                size_mib: 24,
                kind: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
                content: Some(&gpt_fs),
            },
            Part {
                size_mib: 4,
                kind: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
                content: None,
            },
        ],
    );
    let _ = std::fs::remove_dir_all(&work);
}
