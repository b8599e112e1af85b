//! Builds the appliance the `direct` backend boots: the host's kernel (unpacked to an ELF
//! `vmlinux` so qemu boots it through its PVH entry, skipping the firmware and the
//! decompressor), and one cpio initramfs holding the root filesystem — the daemon as `/init`,
//! the kernel modules it needs with their dependencies, and the helper programs the daemon runs
//! (lvm, mdadm, mount, blkid, ntfs-3g, mkfs.*) with their shared libraries.
//!
//! The result is cached under `LIBGUESTFS_CACHEDIR` (else `TMPDIR`, else `/var/tmp`) in a
//! directory named by a hash of every input, so it is rebuilt only when an input changes. A
//! build goes to a private temporary directory that is renamed into place: concurrent builders
//! never see a half-written appliance and the last rename wins harmlessly.

pub mod cpio;
mod elf;

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Bump when the layout of the appliance changes, so caches are rebuilt.
const FORMAT_VERSION: &str = "guestfs-rs-appliance-7";

/// A build failure: what went wrong and what to do about it, in one line.
#[derive(Debug, Clone)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for BuildError {}

type Result<T> = std::result::Result<T, BuildError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(BuildError(msg.into()))
}

/// A ready appliance.
#[derive(Debug, Clone)]
pub struct Appliance {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    /// The appliance's disk (`root`, as libguestfs 1.48 names it): an ext2 filesystem with
    /// the programs kept off the boot path, attached read-only after the user's drives.
    pub root: Option<PathBuf>,
    /// The directory holding both.
    pub dir: PathBuf,
    /// True when it was found through `LIBGUESTFS_PATH` (a fixed appliance).
    pub fixed: bool,
}

/// The kernel and its modules.
#[derive(Debug, Clone)]
pub struct Kernel {
    pub image: PathBuf,
    pub version: String,
    pub modules: PathBuf,
}

/// Modules larger than this are carried gzip-compressed.
const COMPRESS_MODULES_OVER: u64 = 256 * 1024;

/// Modules loaded at boot: enough to see the disks and the protocol channel.
/// sd_mod comes before virtio_scsi: the daemon then asks for the drives' SCSI targets one at a
/// time, each after the previous disk has its name, so the kernel names the drives in drive
/// order (sd_mod probes asynchronously: disks found together are named in any order).
/// Loading virtio_console after them waits for the disks' probes (and their partition
/// tables): a module load waits for every asynchronous probe under way.
/// The generic CRC algorithms come first: sd_mod's CRC libraries would otherwise ask the
/// kernel's module helper for them (a program run per algorithm, slow under TCG).
pub const BOOT_MODULES: &[&str] = &[
    "virtio_pci",
    "crct10dif_generic",
    "crc64_rocksoft_generic",
    "sd_mod",
    "virtio_scsi",
    "virtio_console",
];

/// Modules carried in the initramfs (with their dependencies), loaded on demand.
pub const MODULES: &[&str] = &[
    "virtio_pci",
    "crct10dif_generic",
    "crc64_rocksoft_generic",
    "virtio_scsi",
    "virtio_blk",
    "virtio_console",
    "virtio_rng",
    "virtio_net",
    "sd_mod",
    "ext4",
    "xfs",
    "btrfs",
    "vfat",
    "msdos",
    // virt-make-fs and virt-format make minix filesystems (mkfs.minix), and mount them.
    "minix",
    "isofs",
    "squashfs",
    "udf",
    "fuse",
    "dm_mod",
    "dm_crypt",
    "dm_snapshot",
    "dm_mirror",
    "dm_zero",
    "md_mod",
    "raid0",
    "raid1",
    "raid456",
    "raid10",
    "loop",
    "nls_cp437",
    "nls_iso8859_1",
    "nls_utf8",
    "nls_ascii",
    "aesni_intel",
    "aes_generic",
    "xts",
    "cbc",
    "ecb",
    "essiv",
    "sha256_generic",
    "sha512_generic",
    "crc32c_generic",
    "crc32c_intel",
    "algif_skcipher",
    "algif_hash",
    "af_alg",
    "efivarfs",
];

// What the appliance carries besides the daemon and the modules: `contents/*.txt`, compiled
// in by build.rs as `CONTENTS`.
include!(concat!(env!("OUT_DIR"), "/contents.rs"));

/// Every entry of every contents list.
fn content_entries() -> impl Iterator<Item = &'static str> {
    CONTENTS
        .iter()
        .flat_map(|(_, entries)| entries.iter().copied())
}

/// The contents list carried on the boot path (in the initramfs); the others go on the
/// appliance's disk.
const BOOT_LIST: &str = "boot";

/// Where the daemon mounts the appliance's disk. Every file of the disk is a symlink into
/// this directory in the initramfs, so programs, their libraries and their data files are
/// found at their usual paths once the disk is mounted.
const DISK_MOUNTPOINT: &str = "/.appliance";

/// The file of the initramfs telling the daemon where to mount the appliance's disk (the
/// daemon does not link this crate).
const DISK_MOUNTPOINT_FILE: &str = "etc/guestfsd/appliance-disk";

const PROGRAM_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const LIB_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// Compares version strings naturally (`6.1.0-10` < `6.1.0-9` is false).
fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |s: &str| -> Vec<(u64, String)> {
        let mut v = Vec::new();
        let mut num = String::new();
        let mut txt = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                if !txt.is_empty() {
                    v.push((u64::MAX, std::mem::take(&mut txt)));
                }
                num.push(c);
            } else {
                if !num.is_empty() {
                    v.push((num.parse().unwrap_or(0), String::new()));
                    num.clear();
                }
                txt.push(c);
            }
        }
        if !num.is_empty() {
            v.push((num.parse().unwrap_or(0), String::new()));
        }
        if !txt.is_empty() {
            v.push((u64::MAX, txt));
        }
        v
    };
    split(a).cmp(&split(b))
}

/// The version string in a bzImage header (what `file` shows), if any.
fn bzimage_version(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = vec![0u8; 0x4000];
    let n = f.read(&mut head).ok()?;
    head.truncate(n);
    if head.get(514..518)? != b"HdrS" {
        return None;
    }
    let proto = u16::from_le_bytes([*head.get(518)?, *head.get(519)?]);
    if proto < 0x1ff {
        return None;
    }
    let off = u16::from_le_bytes([*head.get(526)?, *head.get(527)?]) as usize + 0x200;
    let s = head.get(off..)?;
    let end = s.iter().position(|&c| c == 0 || c == b' ')?;
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

/// Chooses the kernel: `SUPERMIN_KERNEL` (+ `SUPERMIN_KERNEL_VERSION`, `SUPERMIN_MODULES`),
/// else the newest `/boot/vmlinuz-*` that has modules in `/lib/modules/VERSION`.
pub fn find_kernel() -> Result<Kernel> {
    if let Ok(k) = std::env::var("SUPERMIN_KERNEL") {
        let image = PathBuf::from(&k);
        if !image.is_file() {
            return err(format!("SUPERMIN_KERNEL={}: kernel not found", k));
        }
        let version = std::env::var("SUPERMIN_KERNEL_VERSION")
            .ok()
            .or_else(|| bzimage_version(&image))
            .or_else(|| {
                image
                    .file_name()?
                    .to_str()?
                    .strip_prefix("vmlinuz-")
                    .map(str::to_string)
            })
            .ok_or_else(|| {
                BuildError(format!(
                    "{}: cannot tell the kernel version: set SUPERMIN_KERNEL_VERSION",
                    k
                ))
            })?;
        let modules = std::env::var("SUPERMIN_MODULES")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(format!("/lib/modules/{}", version)));
        if !modules.join("modules.dep").is_file() {
            return err(format!(
                "{}: no modules.dep: set SUPERMIN_MODULES to the kernel's module directory",
                modules.display()
            ));
        }
        return Ok(Kernel {
            image,
            version,
            modules,
        });
    }
    let mut found = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/boot") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(ver) = name.strip_prefix("vmlinuz-") else {
                continue;
            };
            if ver.contains("xen") || ver.contains("zfcpdump") || ver.contains("+debug") {
                continue;
            }
            let modules = PathBuf::from(format!("/lib/modules/{}", ver));
            if modules.join("modules.dep").is_file() {
                found.push(Kernel {
                    image: e.path(),
                    version: ver.to_string(),
                    modules,
                });
            }
        }
    }
    found.sort_by(|a, b| version_cmp(&a.version, &b.version));
    found.pop().ok_or_else(|| {
        BuildError(
            "no kernel found in /boot with modules in /lib/modules: install linux-image-amd64 (run scripts/install-deps.sh) or set SUPERMIN_KERNEL"
                .into(),
        )
    })
}

/// modules.dep: module name → (path relative to the module dir, dependency paths).
fn read_modules_dep(dir: &Path) -> Result<BTreeMap<String, (String, Vec<String>)>> {
    let text = std::fs::read_to_string(dir.join("modules.dep"))
        .map_err(|e| BuildError(format!("{}/modules.dep: {}", dir.display(), e)))?;
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let Some((path, deps)) = line.split_once(':') else {
            continue;
        };
        map.insert(
            module_name(path),
            (
                path.to_string(),
                deps.split_whitespace().map(str::to_string).collect(),
            ),
        );
    }
    Ok(map)
}

fn module_name(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.split(".ko").next().unwrap_or(base).replace('-', "_")
}

/// The module paths (relative) needed for `MODULES`, dependencies included.
fn module_closure(dep: &BTreeMap<String, (String, Vec<String>)>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for m in MODULES {
        if let Some((path, deps)) = dep.get(*m) {
            out.insert(path.clone());
            out.extend(deps.iter().cloned());
        }
    }
    out
}

/// Finds a program in the host's directories.
fn which(name: &str) -> Option<PathBuf> {
    PROGRAM_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// The host path of each file to carry (programs, their libraries, the dynamic loader),
/// mapped to what it is in the appliance: a copy of a host file, or a symlink.
#[derive(Debug, Default)]
struct FileSet {
    /// appliance path (absolute) → host file to copy
    files: BTreeMap<String, PathBuf>,
    /// appliance path → link target
    links: BTreeMap<String, String>,
}

/// The canonical form of a host path's directory (merged /usr: /sbin/x → /usr/sbin/x).
fn canonical_location(p: &Path) -> PathBuf {
    match (
        p.parent().and_then(|d| std::fs::canonicalize(d).ok()),
        p.file_name(),
    ) {
        (Some(d), Some(n)) => d.join(n),
        _ => p.to_path_buf(),
    }
}

fn find_library(name: &str, runpath: &[String], origin: &Path) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    let mut dirs: Vec<PathBuf> = runpath
        .iter()
        .map(|r| PathBuf::from(r.replace("$ORIGIN", &origin.to_string_lossy())))
        .collect();
    dirs.extend(LIB_DIRS.iter().map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.exists())
}

impl FileSet {
    /// Whether the appliance path `at` is carried (as a file or a symlink).
    fn contains(&self, at: &str) -> bool {
        self.files.contains_key(at) || self.links.contains_key(at)
    }

    /// Adds a host file, or a directory with everything below it (a missing path is skipped:
    /// the calls that need it report what is missing).
    fn add_tree(&mut self, host: &Path) {
        let is_dir = std::fs::symlink_metadata(host).is_ok_and(|m| m.is_dir());
        if !is_dir {
            self.add(host, 0);
            return;
        }
        let Ok(dir) = std::fs::read_dir(host) else {
            return;
        };
        let mut children: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            self.add_tree(&child);
        }
    }

    /// Adds a host file (following symlinks, which become appliance symlinks) and, for ELF
    /// files, its interpreter and libraries.
    fn add(&mut self, host: &Path, depth: usize) {
        if depth > 16 {
            return;
        }
        let at = canonical_location(host);
        let key = at.to_string_lossy().into_owned();
        if self.files.contains_key(&key) || self.links.contains_key(&key) {
            return;
        }
        if let Ok(target) = std::fs::read_link(&at) {
            let abs = if target.is_absolute() {
                target
            } else {
                at.parent().unwrap_or(Path::new("/")).join(target)
            };
            let resolved = canonical_location(&abs);
            self.links
                .insert(key, resolved.to_string_lossy().into_owned());
            self.add(&resolved, depth + 1);
            return;
        }
        if !at.is_file() {
            return;
        }
        self.files.insert(key, at.clone());
        if let Some(d) = elf::read(&at) {
            if let Some(i) = &d.interp {
                self.add(Path::new(i), depth + 1);
            }
            let origin = at.parent().unwrap_or(Path::new("/")).to_path_buf();
            for n in &d.needed {
                if let Some(lib) = find_library(n, &d.runpath, &origin) {
                    // Keep the name the loader looks for, pointing at the real file.
                    self.add(&lib, depth + 1);
                }
            }
        }
    }
}

/// Everything an appliance is made of, gathered from the host.
pub struct Inputs {
    pub kernel: Kernel,
    pub daemon: PathBuf,
    module_paths: BTreeSet<String>,
    module_dep: BTreeMap<String, (String, Vec<String>)>,
    /// The boot path: carried in the initramfs.
    files: FileSet,
    /// Everything else: carried on the appliance's disk, mounted on first use.
    extras: FileSet,
}

impl Inputs {
    pub fn gather(daemon: &Path) -> Result<Inputs> {
        if !daemon.is_file() {
            return err(format!(
                "daemon binary {} not found: build it with 'cargo build -p guestfsd' or set LIBGUESTFS_DAEMON",
                daemon.display()
            ));
        }
        let kernel = find_kernel()?;
        let module_dep = read_modules_dep(&kernel.modules)?;
        let module_paths = module_closure(&module_dep);
        let mut files = FileSet::default();
        files.add(daemon, 0);
        let mut extras = FileSet::default();
        for (list, entries) in CONTENTS {
            let set = if *list == BOOT_LIST {
                &mut files
            } else {
                &mut extras
            };
            for entry in entries.iter() {
                if entry.starts_with('/') {
                    set.add_tree(Path::new(entry));
                } else if let Some(path) = which(entry) {
                    set.add(&path, 0);
                }
            }
        }
        // glibc loads libgcc_s at run time (thread cancellation, unwinding).
        if let Some(l) = find_library("libgcc_s.so.1", &[], Path::new("/")) {
            files.add(&l, 0);
        }
        // What the boot path carries is not carried twice.
        extras.files.retain(|k, _| !files.contains(k));
        extras.links.retain(|k, _| !files.contains(k));
        Ok(Inputs {
            kernel,
            daemon: daemon.to_path_buf(),
            module_paths,
            module_dep,
            files,
            extras,
        })
    }

    /// A hash of every input: paths, sizes and modification times.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        let mut stamp = |p: &Path| {
            h.update(p.to_string_lossy().as_bytes());
            if let Ok(md) = std::fs::metadata(p) {
                h.update(md.len().to_le_bytes());
                h.update(md.mtime().to_le_bytes());
                h.update(md.mtime_nsec().to_le_bytes());
                h.update(md.ino().to_le_bytes());
            }
            h.update([0u8]);
        };
        stamp(Path::new(FORMAT_VERSION));
        // The lists compiled into the builder are inputs too.
        for name in BOOT_MODULES
            .iter()
            .chain(MODULES)
            .copied()
            .chain(content_entries())
        {
            stamp(Path::new(name));
        }
        stamp(&self.kernel.image);
        stamp(&self.kernel.modules.join("modules.dep"));
        stamp(&self.daemon);
        for m in &self.module_paths {
            stamp(&self.kernel.modules.join(m));
        }
        for set in [&self.files, &self.extras] {
            for f in set.files.values() {
                stamp(f);
            }
            for (k, v) in &set.links {
                stamp(Path::new(k));
                stamp(Path::new(v));
            }
        }
        let mut s = String::from(FORMAT_VERSION);
        s.push_str(&self.kernel.version);
        h.update(s.as_bytes());
        h.finalize()
            .iter()
            .take(12)
            .map(|b| format!("{:02x}", b))
            .collect()
    }
}

/// Unpacks the ELF kernel from an XZ-compressed bzImage: the payload starts at the XZ magic.
/// Returns None when the kernel is not of that kind (it is then booted as it is).
fn extract_vmlinux(bzimage: &Path, out: &Path) -> Option<()> {
    let data = std::fs::read(bzimage).ok()?;
    let magic = [0xfd, b'7', b'z', b'X', b'Z', 0x00];
    let start = data.windows(6).position(|w| w == magic)?;
    let mut child = Command::new("xz")
        .args(["-dc", "--single-stream"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(out).ok()?)
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let payload = data[start..].to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&payload);
    });
    let status = child.wait().ok()?;
    let _ = writer.join();
    let mut head = [0u8; 4];
    std::fs::File::open(out).ok()?.read_exact(&mut head).ok()?;
    (status.success() && &head == b"\x7fELF").then_some(())
}

/// Writes the appliance (kernel + initrd) into `dir`, which must exist.
pub fn write_appliance(inputs: &Inputs, dir: &Path) -> Result<Appliance> {
    let io = |what: &Path, e: std::io::Error| BuildError(format!("{}: {}", what.display(), e));
    let vmlinux = dir.join("vmlinux");
    let kernel = if extract_vmlinux(&inputs.kernel.image, &vmlinux).is_some() {
        vmlinux
    } else {
        let _ = std::fs::remove_file(&vmlinux);
        let k = dir.join("kernel");
        std::fs::copy(&inputs.kernel.image, &k).map_err(|e| io(&inputs.kernel.image, e))?;
        k
    };
    let initrd = dir.join("initrd");
    let f = std::fs::File::create(&initrd).map_err(|e| io(&initrd, e))?;
    let mut w = cpio::CpioWriter::new(BufWriter::with_capacity(1 << 20, f));
    write_initramfs(inputs, &mut w).map_err(|e| io(&initrd, e))?;
    w.finish().map_err(|e| io(&initrd, e))?;
    let root = dir.join("root");
    write_disk(&inputs.extras, &root, &inputs.hash())?;
    Ok(Appliance {
        kernel,
        initrd,
        root: Some(root),
        dir: dir.to_path_buf(),
        fixed: false,
    })
}

/// Writes the appliance's disk: an ext2 filesystem (the appliance kernel mounts it with the
/// ext4 driver it carries anyway) holding `set` at its appliance paths, made by `mke2fs -d`
/// from a staging tree. Its UUID comes from the inputs' hash, so a rebuild of the same
/// inputs gives the same disk.
fn write_disk(set: &FileSet, out: &Path, hash: &str) -> Result<()> {
    let io = |what: &Path, e: std::io::Error| BuildError(format!("{}: {}", what.display(), e));
    let staging = out.with_extension("d");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    let mut bytes: u64 = 0;
    for (at, host) in &set.files {
        let dest = staging.join(at.trim_start_matches('/'));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        bytes += std::fs::copy(host, &dest).map_err(|e| io(host, e))?;
    }
    for (at, target) in &set.links {
        let dest = staging.join(at.trim_start_matches('/'));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::os::unix::fs::symlink(target, &dest).map_err(|e| io(&dest, e))?;
    }
    // Room for the metadata of many small files (lenses, terminfo, …) besides the data.
    let entries = (set.files.len() + set.links.len()) as u64;
    let size_kib = bytes / 1024 * 5 / 4 + entries * 8 + 8192;
    let hex: String = hash
        .chars()
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    let uuid = uuid_text(&hex);
    let _ = std::fs::remove_file(out);
    let made = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-m", "0", "-L", "guestfs-root"])
        .args(["-U", &uuid, "-d"])
        .arg(&staging)
        .arg(out)
        .arg(format!("{}k", size_kib))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| BuildError(format!("mke2fs: {} (install e2fsprogs)", e)))?;
    let _ = std::fs::remove_dir_all(&staging);
    if !made.status.success() {
        return err(format!(
            "mke2fs {}: {}",
            out.display(),
            String::from_utf8_lossy(&made.stderr).trim_end()
        ));
    }
    Ok(())
}

/// Writes a fixed appliance into `dir` (created if missing): what libguestfs 1.48 expects of
/// one (`kernel`, `initrd`, `root`, `README.fixed`) and what this library boots from
/// `LIBGUESTFS_PATH` (the same kernel as `vmlinux` when it is an ELF image, for the firmware
/// that jumps straight to it).
///
/// `root` is the appliance's disk (the programs off the boot path): 1.48 attaches it as the
/// last disk and names its UUID on the kernel command line (`root=UUID=…`), as this library
/// does; the appliance runs from its initramfs, mounts that disk on first use and hides it.
pub fn write_fixed(inputs: &Inputs, dir: &Path) -> Result<Appliance> {
    let io = |what: &Path, e: std::io::Error| BuildError(format!("{}: {}", what.display(), e));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let a = write_appliance(inputs, dir)?;
    let kernel = dir.join("kernel");
    if a.kernel != kernel {
        let _ = std::fs::remove_file(&kernel);
        std::fs::hard_link(&a.kernel, &kernel)
            .or_else(|_| std::fs::copy(&a.kernel, &kernel).map(|_| ()))
            .map_err(|e| io(&kernel, e))?;
    }
    let readme = dir.join("README.fixed");
    std::fs::write(
        &readme,
        format!(
            "A fixed appliance of virt-tools (libguestfs in Rust), kernel {}.\n\n\
             Point LIBGUESTFS_PATH at this directory to use it, with this project's library\n\
             or with libguestfs 1.48 (its direct backend boots kernel + initrd and attaches\n\
             root; the daemon inside speaks the libguestfs 1.48 protocol).\n\n\
             Files: kernel (and vmlinux, the same), initrd, root, README.fixed.\n",
            inputs.kernel.version
        ),
    )
    .map_err(|e| io(&readme, e))?;
    Ok(Appliance {
        fixed: true,
        dir: dir.to_path_buf(),
        ..a
    })
}

/// The UUID of the appliance's disk (an ext2 filesystem), as the kernel command line names
/// it (`root=UUID=…`) for the daemon to tell that disk from the user's.
pub fn disk_uuid(root: &Path) -> Option<String> {
    use std::os::unix::fs::FileExt;
    let mut sb = [0u8; 0x80];
    std::fs::File::open(root)
        .ok()?
        .read_exact_at(&mut sb, 0x400)
        .ok()?;
    if sb[0x38..0x3a] != [0x53, 0xef] {
        return None;
    }
    let h: String = sb[0x68..0x78]
        .iter()
        .map(|b| format!("{:02x}", b))
        .collect();
    Some(uuid_text(&h))
}

/// 32 hex digits in the 8-4-4-4-12 form.
fn uuid_text(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The appliance in `dir`, if its kernel and initramfs are there.
fn appliance_in(dir: &Path, fixed: bool) -> Option<Appliance> {
    let initrd = dir.join("initrd");
    if !initrd.is_file() {
        return None;
    }
    let kernel = ["vmlinux", "kernel"]
        .iter()
        .map(|k| dir.join(k))
        .find(|k| k.is_file())?;
    let root = Some(dir.join("root")).filter(|r| r.is_file());
    Some(Appliance {
        kernel,
        initrd,
        root,
        dir: dir.to_path_buf(),
        fixed,
    })
}

fn write_initramfs<W: Write>(inputs: &Inputs, w: &mut cpio::CpioWriter<W>) -> std::io::Result<()> {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    let add_parents = |p: &str, dirs: &mut BTreeSet<String>| {
        let mut cur = String::new();
        let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !cur.is_empty() {
                cur.push('/');
            }
            cur.push_str(part);
            dirs.insert(cur.clone());
        }
    };
    // Top-level symlinks of a merged-/usr host (/bin → usr/bin, …).
    let mut top_links = Vec::new();
    for top in ["bin", "sbin", "lib", "lib64", "lib32", "libx32"] {
        if let Ok(t) = std::fs::read_link(format!("/{}", top)) {
            top_links.push((top.to_string(), t.to_string_lossy().into_owned()));
        }
    }
    let top_link_names: BTreeSet<String> = top_links.iter().map(|(n, _)| n.clone()).collect();
    let daemon_at = canonical_location(&inputs.daemon)
        .to_string_lossy()
        .into_owned();
    let sbin = canonical_location(Path::new("/sbin/modprobe"))
        .to_string_lossy()
        .into_owned();
    let mod_root = canonical_location(&inputs.kernel.modules.join("modules.dep"));
    let mod_root = mod_root
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::new();
    // The daemon is /usr/sbin/guestfsd in the appliance, wherever it was built.
    entries.push((
        "usr/sbin/guestfsd".to_string(),
        stripped(&inputs.daemon)?,
        0o755,
    ));
    for (at, host) in &inputs.files.files {
        if *at == daemon_at {
            continue;
        }
        let mode = std::fs::metadata(host)
            .map(|m| m.mode() & 0o7777)
            .unwrap_or(0o644);
        entries.push((
            at.trim_start_matches('/').to_string(),
            std::fs::read(host)?,
            mode,
        ));
    }
    // Modules, and the lines of modules.dep and modules.alias that concern them.
    let mut dep_text = String::new();
    let carried: BTreeSet<String> = inputs.module_paths.iter().map(|p| module_name(p)).collect();
    // Big modules are stored gzip-compressed (the daemon inflates them when it loads one):
    // the kernel unpacks a smaller initramfs at every boot, and most are never loaded.
    let boot: BTreeSet<String> = {
        let mut b = BTreeSet::new();
        for m in BOOT_MODULES {
            if let Some((path, deps)) = inputs.module_dep.get(*m) {
                b.insert(path.clone());
                b.extend(deps.iter().cloned());
            }
        }
        b
    };
    let carried_name = |path: &str| -> String {
        // Boot modules are loaded at every boot: inflating them would cost more than it saves.
        if boot.contains(path) {
            return path.to_string();
        }
        let big = std::fs::metadata(inputs.kernel.modules.join(path))
            .map(|m| m.len() > COMPRESS_MODULES_OVER)
            .unwrap_or(false);
        if big && path.ends_with(".ko") {
            format!("{}.gz", path)
        } else {
            path.to_string()
        }
    };
    for (path, deps) in inputs.module_dep.values() {
        if inputs.module_paths.contains(path) {
            let deps: Vec<String> = deps.iter().map(|d| carried_name(d)).collect();
            let name = carried_name(path);
            dep_text.push_str(&format!("{}: {}\n", name, deps.join(" ")));
            let mut data = strip_module_signature(std::fs::read(inputs.kernel.modules.join(path))?);
            if name.ends_with(".gz") {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(&data)?;
                data = gz.finish()?;
            }
            entries.push((
                format!("{}/{}", mod_root.trim_start_matches('/'), name),
                data,
                0o644,
            ));
        }
    }
    entries.push((
        format!("{}/modules.dep", mod_root.trim_start_matches('/')),
        dep_text.into_bytes(),
        0o644,
    ));
    let mut alias_text = String::new();
    if let Ok(text) = std::fs::read_to_string(inputs.kernel.modules.join("modules.alias")) {
        for line in text.lines() {
            let mut it = line.split_whitespace();
            if let (Some("alias"), Some(pat), Some(m)) = (it.next(), it.next(), it.next()) {
                let keep = [
                    "fs-",
                    "crypto-",
                    "nls",
                    "char-major-",
                    "block-major-",
                    "devname:",
                    "md-",
                    "dm-",
                ]
                .iter()
                .any(|p| pat.starts_with(p));
                if keep && carried.contains(&module_name(m)) {
                    alias_text.push_str(line);
                    alias_text.push('\n');
                }
            }
        }
    }
    entries.push((
        format!("{}/modules.alias", mod_root.trim_start_matches('/')),
        alias_text.into_bytes(),
        0o644,
    ));
    entries.push((
        "etc/guestfsd/boot-modules".to_string(),
        (BOOT_MODULES.join("\n") + "\n").into_bytes(),
        0o644,
    ));
    // No /etc/passwd or /etc/group: 1.48's appliance has none (they belong to no Debian
    // package), so user and group ids stay numeric wherever programs or libraries print them
    // (ACL text, tar headers, `ls -l`) and names are refused when parsed.
    entries.push((
        DISK_MOUNTPOINT_FILE.to_string(),
        format!("{}\n", DISK_MOUNTPOINT).into_bytes(),
        0o644,
    ));

    let mut links: Vec<(String, String)> = inputs
        .files
        .links
        .iter()
        .map(|(a, t)| (a.trim_start_matches('/').to_string(), t.clone()))
        .collect();
    // What the appliance's disk carries, at its usual path once the disk is mounted.
    for at in inputs.extras.files.keys().chain(inputs.extras.links.keys()) {
        links.push((
            at.trim_start_matches('/').to_string(),
            format!("{}{}", DISK_MOUNTPOINT, at),
        ));
    }
    links.push(("init".to_string(), "/usr/sbin/guestfsd".to_string()));
    links.push((
        sbin.trim_start_matches('/').to_string(),
        "/usr/sbin/guestfsd".to_string(),
    ));

    for (p, _, _) in &entries {
        add_parents(p, &mut dirs);
    }
    for (p, _) in &links {
        add_parents(p, &mut dirs);
    }
    for d in [
        "dev",
        "proc",
        "sys",
        "tmp",
        "run",
        "sysroot",
        "root",
        "etc",
        "var",
        "var/tmp",
        "usr/sbin",
        DISK_MOUNTPOINT.trim_start_matches('/'),
    ] {
        dirs.insert(d.to_string());
    }
    for d in &dirs {
        if top_link_names.contains(d) {
            continue;
        }
        let perm = if d == "tmp" || d == "var/tmp" {
            0o1777
        } else {
            0o755
        };
        w.dir(d, perm)?;
    }
    for (n, t) in &top_links {
        w.symlink(n, t)?;
    }
    w.char_device("dev/console", 0o600, 5, 1)?;
    w.char_device("dev/null", 0o666, 1, 3)?;
    for (p, data, mode) in &entries {
        w.file(p, *mode, data)?;
    }
    let file_names: BTreeSet<&String> = entries.iter().map(|(p, _, _)| p).collect();
    for (p, t) in &links {
        if !file_names.contains(p) {
            w.symlink(p, t)?;
        }
    }
    Ok(())
}

/// The bytes of a program without its debugging information (a debug build of the daemon is
/// mostly DWARF; a smaller initramfs unpacks faster), or as it is when `strip` is missing.
fn stripped(path: &Path) -> std::io::Result<Vec<u8>> {
    let tmp = std::env::temp_dir().join(format!(
        "guestfsd-strip-{}-{}",
        std::process::id(),
        random_suffix()
    ));
    let ok = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&tmp)
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let data = if ok {
        std::fs::read(&tmp)
    } else {
        std::fs::read(path)
    };
    let _ = std::fs::remove_file(&tmp);
    data
}

/// Removes the signature appended to a kernel module. The appliance kernel has no keys to
/// check it with (their loading is skipped at boot), and hashing every module under TCG only
/// to find that out costs time; an unsigned module loads the same (the kernel notes a taint).
fn strip_module_signature(mut data: Vec<u8>) -> Vec<u8> {
    const MAGIC: &[u8] = b"~Module signature appended~\n";
    // struct module_signature: 12 bytes, the last 4 the signature length (big-endian).
    if !data.ends_with(MAGIC) || data.len() < MAGIC.len() + 12 {
        return data;
    }
    let info_end = data.len() - MAGIC.len();
    let info = &data[info_end - 12..info_end];
    let sig_len = u32::from_be_bytes([info[8], info[9], info[10], info[11]]) as usize;
    match (info_end - 12).checked_sub(sig_len) {
        Some(end) => {
            data.truncate(end);
            data
        }
        None => data,
    }
}

/// The cache directory: `$LIBGUESTFS_CACHEDIR`, else `$TMPDIR`, else `/var/tmp`, plus
/// `.guestfs-rs-UID`.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("LIBGUESTFS_CACHEDIR")
        .or_else(|| std::env::var_os("TMPDIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp"));
    cache_dir_in(&base)
}

/// The cache directory under `base` (a handle's `get_cachedir`): `.guestfs-rs-UID`.
pub fn cache_dir_in(base: &Path) -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    base.join(format!(".guestfs-rs-{}", unsafe { libc::geteuid() }))
}

/// A fixed appliance in a `LIBGUESTFS_PATH` directory (`README.fixed`, `initrd`, and
/// `vmlinux` or `kernel`).
pub fn find_fixed() -> Option<Appliance> {
    find_fixed_in(&std::env::var("LIBGUESTFS_PATH").ok()?)
}

/// A fixed appliance in one of the directories of a colon-separated search path (a handle's
/// `get_path`). An empty path has none.
pub fn find_fixed_in(path: &str) -> Option<Appliance> {
    if path.is_empty() {
        return None;
    }
    for d in path.split(':') {
        let dir = PathBuf::from(if d.is_empty() { "." } else { d });
        if !dir.join("README.fixed").is_file() {
            continue;
        }
        if let Some(a) = appliance_in(&dir, true) {
            return Some(a);
        }
    }
    None
}

fn random_suffix() -> String {
    let mut b = [0u8; 6];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut b);
    }
    b.iter().map(|x| format!("{:02x}", x)).collect()
}

/// The appliance to boot: a fixed one from `LIBGUESTFS_PATH`, or the cached build for these
/// inputs (built now if missing). `log` receives progress messages.
pub fn get(daemon: &Path, log: &mut dyn FnMut(String)) -> Result<Appliance> {
    let path = std::env::var("LIBGUESTFS_PATH").unwrap_or_default();
    get_in(daemon, &path, &cache_dir(), log)
}

/// [`get`] with the search path for a fixed appliance and the cache directory given (a
/// handle's settings) instead of taken from the environment.
pub fn get_in(
    daemon: &Path,
    search_path: &str,
    cache: &Path,
    log: &mut dyn FnMut(String),
) -> Result<Appliance> {
    if let Some(a) = find_fixed_in(search_path) {
        log(format!("using the fixed appliance in {}", a.dir.display()));
        return Ok(a);
    }
    let inputs = Inputs::gather(daemon)?;
    let cache = cache.to_path_buf();
    if let Err(e) = std::fs::create_dir_all(&cache) {
        return err(format!(
            "cannot create the appliance cache directory {}: {} (set LIBGUESTFS_CACHEDIR to a writable directory)",
            cache.display(),
            e
        ));
    }
    let hash = inputs.hash();
    let dir = cache.join(format!("appliance-{}", hash));
    if dir.join("root").is_file() {
        if let Some(a) = appliance_in(&dir, false) {
            touch(&dir);
            return Ok(a);
        }
    }
    log(format!(
        "building the appliance in {} (kernel {})",
        dir.display(),
        inputs.kernel.version
    ));
    clean_stale(&cache);
    let tmp = cache.join(format!("tmp-{}-{}", std::process::id(), random_suffix()));
    if let Err(e) = std::fs::create_dir(&tmp) {
        return err(format!(
            "cannot write to the appliance cache directory {}: {} (set LIBGUESTFS_CACHEDIR to a writable directory)",
            cache.display(),
            e
        ));
    }
    let built = write_appliance(&inputs, &tmp);
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => {}
        Err(_) if dir.join("root").is_file() => {
            // Another process built the same appliance first: use theirs.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return err(format!(
                "cannot install the appliance in {}: {}",
                dir.display(),
                e
            ));
        }
    }
    if let Some(a) = appliance_in(&dir, false) {
        return Ok(a);
    }
    err(format!(
        "appliance in {} is incomplete: remove it and try again",
        dir.display()
    ))
}

/// Appliances of other inputs kept in the cache besides the one in use (each is tens of MB;
/// a few cover switching between installed versions).
const KEPT_OLD_APPLIANCES: usize = 3;
/// An appliance unused for this long is removed whatever the count.
const APPLIANCE_MAX_IDLE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Marks an appliance as used now (its folder's modification time), so the cache cleaning
/// keeps the ones in use.
fn touch(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

/// Removes build directories left by killed builders (older than an hour), appliances unused
/// for a week, and all but the most recently used few of the others.
fn clean_stale(cache: &Path) {
    let Ok(rd) = std::fs::read_dir(cache) else {
        return;
    };
    let now = std::time::SystemTime::now();
    let mut appliances = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(modified) = e.metadata().ok().and_then(|m| m.modified().ok()) else {
            continue;
        };
        let age = now.duration_since(modified).unwrap_or_default();
        if name.starts_with("tmp-") && age.as_secs() > 3600 {
            let _ = std::fs::remove_dir_all(e.path());
        } else if name.starts_with("appliance-") {
            if age > APPLIANCE_MAX_IDLE {
                let _ = std::fs::remove_dir_all(e.path());
            } else {
                appliances.push((modified, e.path()));
            }
        }
    }
    appliances.sort_by_key(|a| std::cmp::Reverse(a.0));
    for (_, dir) in appliances.into_iter().skip(KEPT_OLD_APPLIANCES) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The host's loops_per_jiffy, so the guest kernel skips its delay-loop calibration under
/// TCG: BogoMIPS × 500000 / HZ (HZ from the kernel's config, 250 by default).
pub fn host_lpj(kernel_version: Option<&str>) -> Option<u64> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let bogomips: f64 = cpuinfo
        .lines()
        .find(|l| l.starts_with("bogomips"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    let hz = kernel_version
        .and_then(|v| std::fs::read_to_string(format!("/boot/config-{}", v)).ok())
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("CONFIG_HZ=")
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .unwrap_or(250.0);
    Some((bogomips * 500000.0 / hz) as u64)
}

/// Kernel module name → module file, for tests and diagnostics.
pub fn carried_modules(inputs: &Inputs) -> HashMap<String, String> {
    inputs
        .module_paths
        .iter()
        .map(|p| (module_name(p), p.clone()))
        .collect()
}

/// Where the daemon binary is (`$LIBGUESTFS_DAEMON` overrides the installed layout).
pub fn find_daemon() -> PathBuf {
    find_program("guestfsd", "LIBGUESTFS_DAEMON")
}

/// Where one of the project's own programs is: `NAME` next to the running executable (where
/// `cargo build` puts it; for test binaries in `target/*/deps/`, one level up), else the path
/// in the environment variable `ENV`, else `../lib/virt-tools/NAME` relative to the
/// executable's directory (the installed layout, see packaging/install.sh).
pub fn find_program(name: &str, env: &str) -> PathBuf {
    let exe_dir = std::fs::read_link("/proc/self/exe")
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    if let Some(dir) = &exe_dir {
        let here = dir.join(name);
        if here.is_file() {
            return here;
        }
        if dir
            .file_name()
            .is_some_and(|n| n == "deps" || n == "examples")
        {
            if let Some(up) = dir.parent().map(|p| p.join(name)) {
                if up.is_file() {
                    return up;
                }
            }
        }
    }
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    match exe_dir {
        Some(dir) => dir.join("../lib/virt-tools").join(name),
        None => Path::new("/usr/lib/virt-tools").join(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keeps_the_most_recently_used_appliances() {
        let cache =
            std::env::temp_dir().join(format!("appliance-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&cache);
        let hour = std::time::Duration::from_secs(3600);
        let now = std::time::SystemTime::now();
        // appliance-0 was used last, appliance-5 first; appliance-old is idle past the limit.
        for (name, age) in (0..6u32)
            .map(|i| (format!("appliance-{}", i), hour * i))
            .chain([("appliance-old".to_string(), APPLIANCE_MAX_IDLE + hour)])
            .chain([("tmp-dead".to_string(), hour * 2)])
        {
            let d = cache.join(&name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::File::open(&d)
                .unwrap()
                .set_modified(now - age)
                .unwrap();
        }
        touch(&cache.join("appliance-5"));
        clean_stale(&cache);
        let mut left: Vec<String> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        std::fs::remove_dir_all(&cache).unwrap();
        assert_eq!(left, ["appliance-0", "appliance-1", "appliance-5"]);
    }

    #[test]
    fn module_signatures_are_stripped() {
        let mut m = b"ELFDATA".to_vec();
        m.extend_from_slice(b"SIG!");
        m.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
        m.extend_from_slice(b"~Module signature appended~\n");
        assert_eq!(strip_module_signature(m), b"ELFDATA");
        assert_eq!(strip_module_signature(b"plain".to_vec()), b"plain");
    }

    #[test]
    fn versions_sort_naturally() {
        assert_eq!(
            version_cmp("6.1.0-10-amd64", "6.1.0-9-amd64"),
            std::cmp::Ordering::Greater
        );
        assert_eq!(module_name("kernel/drivers/md/dm-mod.ko"), "dm_mod");
    }
}
