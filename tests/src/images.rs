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

/// Options of a filesystem image.
pub struct FsSpec<'a> {
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
    if let Some(b) = spec.block_size {
        cmd.args(["-b", &b.to_string()]);
    }
    cmd.args(spec.extra);
    cmd.arg(&img).arg(format!("{}M", spec.size_mib));
    // Fixed creation time and hash seed make the image reproducible.
    cmd.env("E2FSPROGS_FAKE_TIME", "1700000000");
    sh(&mut cmd);
    img
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
    let total: u64 = 1 + parts.iter().map(|p| p.size_mib).sum::<u64>() + 1;
    let f = fs::File::create(path).expect("disk image");
    f.set_len(total * 1024 * 1024).expect("size disk image");
    drop(f);
    let mut script = format!("label: {}\nunit: sectors\n", label);
    let mut start = 2048u64;
    for p in parts {
        let sectors = p.size_mib * 2048;
        script.push_str(&format!(
            "start={}, size={}, type={}\n",
            start, sectors, p.kind
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
        .copy("/bin/ls", "/bin/ls")
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
