//! Disk image files on the host: `disk_create` (raw written here, qcow2 through qemu-img, with
//! libguestfs 1.48's checks and messages), `disk_format`, `disk_virtual_size` and
//! `disk_has_backing_file` (qemu-img info under resource limits, as 1.48 runs it), and the
//! throw-away qcow2 overlays that keep read-only drives unchanged.

use super::command::Limits;
use crate::backend::appliance::qemu::qemu_escape;
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::inspect::text::Rx;
use guestfs_protocol::calls::DiskCreateOpts;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// qemu-img info reads untrusted images: 1 GiB of address space and 10 s of CPU at most.
const QEMU_IMG_INFO_LIMITS: Limits = Limits {
    address_space: 1 << 30,
    cpu_seconds: 10,
};

/// The line of `qemu-img --help` that shows `info` taking `-U`.
static INFO_TAKES_U: Rx = Rx::new(r"\binfo\b.*-U\b");

/// qemu-img is given `./NAME` for a relative name, so that `file:x` is not a protocol.
fn qemu_img_path(filename: &str) -> String {
    if filename.starts_with('/') {
        filename.to_string()
    } else {
        format!("./{}", filename)
    }
}

fn valid_backing_format(f: &str) -> bool {
    !f.is_empty() && f.len() <= 16 && f.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// What `qemu-img info --output json` reports.
struct ImageInfo(serde_json::Value);

impl Handle {
    pub(crate) fn impl_disk_create(
        &mut self,
        filename: &str,
        format: &str,
        size: i64,
        opts: DiskCreateOpts,
    ) -> Result<()> {
        if opts.backingfile.is_some() {
            if size != -1 {
                return Err(Error::msg(
                    "if using a backing file, size must be passed as -1",
                ));
            }
        } else if size <= 0 {
            return Err(Error::msg(format!("invalid size: {}", size)));
        }
        match format {
            "raw" => {
                if opts.backingfile.is_some() {
                    return Err(Error::msg(
                        "backingfile cannot be used for raw format disks",
                    ));
                }
                create_raw(filename, size, &opts)
            }
            "qcow2" => self.create_qcow2(filename, size, opts),
            other => Err(Error::msg(format!("unsupported format ‘{}’", other))),
        }
    }

    fn create_qcow2(&mut self, filename: &str, size: i64, opts: DiskCreateOpts) -> Result<()> {
        let backingformat = match (&opts.backingformat, &opts.backingfile) {
            (Some(f), _) if !valid_backing_format(f) => {
                return Err(Error::msg(format!(
                    "invalid value for backingformat parameter ‘{}’",
                    f
                )))
            }
            (Some(f), _) => Some(f.clone()),
            // qemu-img (since 6.1) needs the backing format: ask qemu-img what it is.
            (None, Some(backing)) => Some(self.disk_format(backing)?),
            (None, None) => None,
        };
        let preallocation = match opts.preallocation.as_deref() {
            None => None,
            Some("off") | Some("sparse") => Some("off"),
            Some("metadata") => Some("metadata"),
            Some("full") => Some("falloc"),
            // libguestfs 1.48 prints its unset local variable here, as "(null)".
            Some(_) => {
                return Err(Error::msg(
                    "invalid value for preallocation parameter ‘(null)’",
                ))
            }
        };
        if let Some(c) = opts.compat.as_deref() {
            if c != "0.10" && c != "1.1" {
                return Err(Error::msg(format!(
                    "invalid value for compat parameter ‘{}’",
                    c
                )));
            }
        }
        if let Some(cs) = opts.clustersize {
            if !(512..=2_097_152).contains(&cs) || !(cs as u32).is_power_of_two() {
                return Err(Error::msg(format!(
                    "invalid value for clustersize parameter ‘{}’",
                    cs
                )));
            }
        }
        let mut options = Vec::new();
        if let Some(b) = &opts.backingfile {
            options.push(format!("backing_file={}", qemu_escape(b)));
        }
        if let Some(f) = &backingformat {
            options.push(format!("backing_fmt={}", f));
        }
        if let Some(p) = preallocation {
            options.push(format!("preallocation={}", p));
        }
        if let Some(c) = &opts.compat {
            options.push(format!("compat={}", c));
        }
        if let Some(cs) = opts.clustersize {
            options.push(format!("cluster_size={}", cs));
        }
        let mut argv: Vec<String> = ["qemu-img", "create", "-f", "qcow2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if !options.is_empty() {
            argv.push("-o".to_string());
            argv.push(options.join(","));
        }
        argv.push(qemu_img_path(filename));
        if size >= 0 {
            argv.push(size.to_string());
        }
        let done = self.run_command(&argv, false, None)?;
        if !done.status.success() {
            return Err(self.command_failed(done.status, "qemu-img", filename));
        }
        Ok(())
    }

    /// Whether `qemu-img info` takes `-U` (no image locking), asked once per handle.
    fn qemu_img_supports_u(&mut self) -> Result<bool> {
        if let Some(known) = self.qemu_img_u {
            return Ok(known);
        }
        let argv = vec!["qemu-img".to_string(), "--help".to_string()];
        let done = self.run_command(&argv, true, None)?;
        let help = String::from_utf8_lossy(&done.stdout);
        // The `info` line of the help text lists `-U` when it is there.
        let supported = INFO_TAKES_U.is_match(&help);
        self.qemu_img_u = Some(supported);
        Ok(supported)
    }

    fn image_info(&mut self, filename: &str) -> Result<ImageInfo> {
        let mut argv = vec!["qemu-img".to_string(), "info".to_string()];
        if self.qemu_img_supports_u()? {
            argv.push("-U".to_string());
        }
        argv.extend(["--output".to_string(), "json".to_string()]);
        argv.push(qemu_img_path(filename));
        let done = self.run_command(&argv, true, Some(QEMU_IMG_INFO_LIMITS))?;
        if !done.status.success() {
            return Err(self.command_failed(done.status, "qemu-img info", filename));
        }
        if done.stdout.is_empty() {
            return Err(Error::msg(
                "qemu-img info command produced no output, but didn't return an error status code",
            ));
        }
        let text = String::from_utf8_lossy(&done.stdout);
        self.events.debug(&format!(
            "parse_json: qemu-img info JSON output:\n{}\n",
            text
        ));
        serde_json::from_str(&text)
            .map(ImageInfo)
            .map_err(|e| Error::msg(format!("qemu-img info: JSON parse error: {}", e)))
    }

    pub(crate) fn impl_disk_format(&mut self, filename: &str) -> Result<String> {
        let info = self.image_info(filename)?;
        match info.0.get("format").and_then(|v| v.as_str()) {
            Some(f) => Ok(f.to_string()),
            None => Err(Error::msg(
                "qemu-img info: JSON output did not contain ‘format’ key",
            )),
        }
    }

    pub(crate) fn impl_disk_virtual_size(&mut self, filename: &str) -> Result<i64> {
        let info = self.image_info(filename)?;
        match info.0.get("virtual-size").and_then(|v| v.as_i64()) {
            Some(n) => Ok(n),
            None => Err(Error::msg(
                "qemu-img info: JSON output did not contain ‘virtual-size’ key",
            )),
        }
    }

    /// A `backing-filename` key that is not null means a backing file.
    pub(crate) fn impl_disk_has_backing_file(&mut self, filename: &str) -> Result<bool> {
        let info = self.image_info(filename)?;
        if !info.0.is_object() {
            return Err(Error::msg("qemu-img info: JSON output was not an object"));
        }
        Ok(info.0.get("backing-filename").is_some_and(|v| !v.is_null()))
    }
}

/// A raw disk: sparse (`off`, `sparse`) or allocated (`full`). A block device is not
/// recreated, only discarded; a character device is refused.
fn create_raw(filename: &str, size: i64, opts: &DiskCreateOpts) -> Result<()> {
    if opts.backingformat.is_some() {
        return Err(Error::msg(
            "backingformat parameter cannot be used with raw format",
        ));
    }
    let allocated = match opts.preallocation.as_deref() {
        None | Some("off") | Some("sparse") => false,
        Some("full") => true,
        Some(other) => {
            return Err(Error::msg(format!(
                "invalid value for preallocation parameter ‘{}’",
                other
            )))
        }
    };
    if opts.compat.is_some() {
        return Err(Error::msg(
            "compat parameter cannot be used with raw format",
        ));
    }
    if opts.clustersize.is_some() {
        return Err(Error::msg(
            "clustersize parameter cannot be used with raw format",
        ));
    }
    if let Ok(md) = std::fs::metadata(filename) {
        let t = md.file_type();
        if t.is_char_device() {
            return Err(Error::msg(format!(
                "refusing to overwrite char device ‘{}’",
                filename
            )));
        }
        if t.is_block_device() {
            return discard_block_device(filename);
        }
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOCTTY)
        .open(filename)
        .map_err(|e| Error::from(e).context(&format!("cannot create raw file: {}", filename)))?;
    let sized = if allocated {
        // SAFETY: posix_fallocate on a descriptor we own.
        let err = unsafe {
            use std::os::fd::AsRawFd;
            libc::posix_fallocate(file.as_raw_fd(), 0, size)
        };
        if err == 0 {
            Ok(())
        } else {
            Err(Error::from(std::io::Error::from_raw_os_error(err))
                .context(&format!("{}: fallocate", filename)))
        }
    } else {
        file.set_len(size as u64)
            .map_err(|e| Error::from(e).context(&format!("{}: truncate", filename)))
    };
    if let Err(e) = sized {
        drop(file);
        let _ = std::fs::remove_file(filename);
        return Err(e);
    }
    Ok(())
}

/// "Creating" a raw disk on a block device: its blocks are discarded when the device can.
fn discard_block_device(filename: &str) -> Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(filename)
        .map_err(|e| Error::from(e).context(&format!("cannot open block device: {}", filename)))?;
    const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;
    const BLKDISCARD: libc::c_ulong = 0x1277;
    let mut size: u64 = 0;
    // SAFETY: the ioctls take a pointer to a u64 and to two u64s respectively.
    unsafe {
        if libc::ioctl(f.as_raw_fd(), BLKGETSIZE64, &mut size) == 0 {
            let range = [0u64, size];
            libc::ioctl(f.as_raw_fd(), BLKDISCARD, &range);
        }
    }
    Ok(())
}

/// The size a qcow2 overlay of an image must have: the image's virtual size, for the formats
/// read here (raw: the file or device size; qcow2: its header). None for other formats.
pub(crate) fn local_virtual_size(file: &Path, format: &str) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).ok()?;
    match format {
        "raw" => f.seek(SeekFrom::End(0)).ok(),
        "qcow2" => {
            // The header up to the virtual size.
            let mut header = [0u8; 32];
            f.read_exact(&mut header).ok()?;
            let fields = crate::bytes::Fixed::from(&header);
            if fields.array::<0, 4>() != *b"QFI\xfb" {
                return None;
            }
            Some(fields.be64::<24>())
        }
        _ => None,
    }
}

/// Writes an empty qcow2 (version 3, 64 KiB clusters) of `size` bytes over the backing file
/// `backing` (an absolute name) of format `backing_format`: what `qemu-img create -f qcow2 -b
/// BACKING -F FORMAT` makes, in microseconds instead of a process start.
pub(crate) fn write_overlay(
    path: &Path,
    backing: &str,
    backing_format: &str,
    size: u64,
) -> Result<()> {
    const CLUSTER_BITS: u32 = 16;
    const CLUSTER: u64 = 1 << CLUSTER_BITS;
    const HEADER_LENGTH: usize = 104;
    const BACKING_FORMAT_EXTENSION: u32 = 0xE279_2ACA;
    if backing.len() > 1023 || backing_format.len() > 16 {
        return Err(Error::new(
            libc::ENAMETOOLONG,
            format!("{}: backing file name too long for an overlay", backing),
        ));
    }
    // The virtual size is whole sectors, as qemu-img rounds it.
    let size = size.div_ceil(512) * 512;
    // One L2 table (of CLUSTER/8 entries) maps CLUSTER/8 clusters.
    let l1_size = size.div_ceil(CLUSTER * (CLUSTER / 8));
    let l1_clusters = (l1_size * 8).div_ceil(CLUSTER).max(1);
    let refcount_table = CLUSTER;
    let refcount_block = 2 * CLUSTER;
    let l1_table = 3 * CLUSTER;
    let used_clusters = 3 + l1_clusters;
    if used_clusters > CLUSTER / 2 {
        return Err(Error::new(libc::EFBIG, "overlay too large"));
    }

    let mut header = Vec::with_capacity(CLUSTER as usize);
    // Writers (appending big-endian fields), not readers.
    let put_be32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_be_bytes());
    let put_be64 = |v: &mut Vec<u8>, x: u64| v.extend_from_slice(&x.to_be_bytes());
    let mut extensions = Vec::new();
    put_be32(&mut extensions, BACKING_FORMAT_EXTENSION);
    put_be32(&mut extensions, backing_format.len() as u32);
    extensions.extend_from_slice(backing_format.as_bytes());
    extensions.resize(extensions.len().next_multiple_of(8), 0);
    put_be32(&mut extensions, 0); // end of the extensions
    put_be32(&mut extensions, 0);
    let backing_offset = (HEADER_LENGTH + extensions.len()) as u64;

    header.extend_from_slice(b"QFI\xfb");
    put_be32(&mut header, 3); // version
    put_be64(&mut header, backing_offset);
    put_be32(&mut header, backing.len() as u32);
    put_be32(&mut header, CLUSTER_BITS);
    put_be64(&mut header, size);
    put_be32(&mut header, 0); // no encryption
    put_be32(&mut header, l1_size as u32);
    put_be64(&mut header, l1_table);
    put_be64(&mut header, refcount_table);
    put_be32(&mut header, 1); // refcount table clusters
    put_be32(&mut header, 0); // snapshots
    put_be64(&mut header, 0);
    put_be64(&mut header, 0); // incompatible features
    put_be64(&mut header, 0); // compatible features
    put_be64(&mut header, 0); // autoclear features
    put_be32(&mut header, 4); // 16-bit refcounts
    put_be32(&mut header, HEADER_LENGTH as u32);
    debug_assert_eq!(header.len(), HEADER_LENGTH);
    header.extend_from_slice(&extensions);
    header.extend_from_slice(backing.as_bytes());
    header.resize(CLUSTER as usize, 0);

    let mut table = Vec::with_capacity(CLUSTER as usize);
    put_be64(&mut table, refcount_block);
    table.resize(CLUSTER as usize, 0);

    let mut refcounts = Vec::with_capacity(CLUSTER as usize);
    for _ in 0..used_clusters {
        refcounts.extend_from_slice(&1u16.to_be_bytes());
    }
    refcounts.resize(CLUSTER as usize, 0);

    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(&header)?;
        f.write_all(&table)?;
        f.write_all(&refcounts)?;
        // The L1 table: all zero (nothing allocated), left sparse.
        f.set_len(l1_table + (l1_size * 8).max(8))?;
        Ok(())
    };
    write().map_err(|e| Error::from(e).context(&path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("guestfs-disk-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn qemu_img() -> bool {
        let ok = std::process::Command::new("qemu-img")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("qemu-img is not installed: the overlay is not checked by qemu (skipped)");
        }
        ok
    }

    #[test]
    fn overlay_is_a_valid_qcow2_over_its_backing_file() {
        let d = tmp("overlay");
        let base = d.join("base.img");
        std::fs::write(&base, vec![0x5a; 1000]).unwrap();
        let base = base.display().to_string();
        assert_eq!(local_virtual_size(Path::new(&base), "raw"), Some(1000));
        let ov = d.join("overlay1.qcow2");
        write_overlay(&ov, &base, "raw", 1000).unwrap();
        // Its own header reads back.
        assert_eq!(local_virtual_size(&ov, "qcow2"), Some(1024));
        if !qemu_img() {
            return;
        }
        let check = std::process::Command::new("qemu-img")
            .args(["check", "-f", "qcow2"])
            .arg(&ov)
            .output()
            .unwrap();
        assert!(check.status.success(), "{:?}", check);
        let info = std::process::Command::new("qemu-img")
            .args(["info", "--output", "json"])
            .arg(&ov)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        assert_eq!(v["virtual-size"], 1024);
        assert_eq!(v["backing-filename"], base.as_str());
        assert_eq!(v["backing-filename-format"], "raw");
        // Reading through it gives the backing file's bytes.
        let out = d.join("out.raw");
        let conv = std::process::Command::new("qemu-img")
            .args(["convert", "-f", "qcow2", "-O", "raw"])
            .arg(&ov)
            .arg(&out)
            .status()
            .unwrap();
        assert!(conv.success());
        let data = std::fs::read(&out).unwrap();
        assert_eq!(&data[..1000], &[0x5a; 1000][..]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn large_overlays_have_enough_l1_entries() {
        let d = tmp("large");
        let ov = d.join("big.qcow2");
        // 3 TiB: 6144 L2 tables, one cluster of L1.
        write_overlay(&ov, "/nonexistent/base", "raw", 3 << 40).unwrap();
        assert_eq!(local_virtual_size(&ov, "qcow2"), Some(3 << 40));
        if qemu_img() {
            let info = std::process::Command::new("qemu-img")
                .args(["info", "--output", "json", "-U", "--backing-chain"])
                .arg(&ov)
                .output()
                .unwrap();
            // The backing file is missing, but the header itself parses.
            let text = String::from_utf8_lossy(&info.stderr);
            assert!(!text.contains("L1"), "{}", text);
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn raw_creation_checks() {
        let d = tmp("raw");
        let f = d.join("x.img").display().to_string();
        let opts = |p: &str| DiskCreateOpts {
            preallocation: Some(p.to_string()),
            ..Default::default()
        };
        assert_eq!(
            create_raw(&f, 10, &opts("metadata")).unwrap_err().message,
            "invalid value for preallocation parameter ‘metadata’"
        );
        create_raw(&f, 8192, &opts("full")).unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().len(), 8192);
        create_raw(&f, 100, &Default::default()).unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().len(), 100);
        assert_eq!(
            create_raw("/dev/null", 100, &Default::default())
                .unwrap_err()
                .message,
            "refusing to overwrite char device ‘/dev/null’"
        );
        let e = create_raw("/nonexistent/x.img", 100, &Default::default()).unwrap_err();
        assert_eq!(
            e.message,
            "cannot create raw file: /nonexistent/x.img: No such file or directory"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
