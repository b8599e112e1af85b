//! Block devices: the user's drives, sizes and settings, whole-device reads and writes.

use crate::daemon::Daemon;
use crate::devices::{disks, is_device_parameter};
use crate::sys::{command_ok, errno, io_error, Chroot};
use guestfs_protocol::calls;
use guestfs_protocol::checksum::Checksummer;
use guestfs_protocol::{
    CompressDeviceOutOpts, CopyDeviceToDeviceOpts, CopyDeviceToFileOpts, CopyFileToDeviceOpts,
    Error, Result,
};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;

const BLKROSET: libc::c_ulong = 0x125d;
const BLKROGET: libc::c_ulong = 0x125e;
const BLKSSZGET: libc::c_ulong = 0x1268;
const BLKBSZGET: libc::c_ulong = 0x8008_1270;
const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;
const BLKDISCARD: libc::c_ulong = 0x1277;
const BLKDISCARDZEROES: libc::c_ulong = 0x127c;

/// glibc's BUFSIZ: 1.48 copies and checks for zeroes in blocks of this size, which decides
/// where a sparse copy leaves holes.
const BUFSIZ: usize = 8192;

/// An ioctl that reads one value of type T from a block device.
fn blockdev_ioctl<T: Default>(device: &str, request: libc::c_ulong) -> Result<T> {
    let f = std::fs::File::open(device).map_err(|e| io_error(&e, device))?;
    let mut v = T::default();
    // SAFETY: each request used here writes exactly one T.
    if unsafe { libc::ioctl(f.as_raw_fd(), request, &mut v as *mut T) } == -1 {
        return Err(Error::path(errno(), device));
    }
    Ok(v)
}

/// Sets or clears a block device's read-only flag (what `blockdev --setro/--setrw` does).
fn set_read_only(device: &str, read_only: bool) -> Result<()> {
    let f = std::fs::File::open(device).map_err(|e| io_error(&e, device))?;
    let flag: libc::c_int = read_only as libc::c_int;
    // SAFETY: BLKROSET reads one int.
    if unsafe { libc::ioctl(f.as_raw_fd(), BLKROSET, &flag as *const libc::c_int) } == -1 {
        return Err(Error::msg(format!(
            "blockdev: {}: {}",
            device,
            guestfs_protocol::error::strerror(errno())
        )));
    }
    Ok(())
}

/// Size of a block device in bytes.
pub fn size64(device: &str) -> Result<i64> {
    blockdev_ioctl::<u64>(device, BLKGETSIZE64).map(|s| s as i64)
}

/// Logical sector size of a block device.
pub fn sector_size(device: &str) -> Result<i32> {
    blockdev_ioctl::<libc::c_int>(device, BLKSSZGET)
}

/// How many bytes of the device buffer are written between zero checks.
const ZERO_BLOCK: usize = 1 << 20;

/// `blockdev SWITCH [VALUE] DEVICE`, failing with `blockdev: ERROR` as 1.48's `call_blockdev`.
fn blockdev(switch: &str, value: Option<i32>, device: &str) -> Result<()> {
    let value = value.map(|v| v.to_string());
    let mut args = vec![switch];
    args.extend(value.as_deref());
    args.push(device);
    command_ok("blockdev", &args, false, "blockdev").map(|_| ())
}

/// Opens a block device with `flags`, failing with `open: DEVICE: …`.
fn open_device(device: &str, write: bool) -> Result<File> {
    std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .open(device)
        .map_err(|e| io_error(&e, &format!("open: {}", device)))
}

/// The offsets, size and sparseness of a `copy_*` call, checked as 1.48 does.
struct CopyRange {
    srcoffset: u64,
    destoffset: u64,
    /// None: to the end of the source.
    size: Option<u64>,
    sparse: bool,
}

impl CopyRange {
    fn new(
        srcoffset: Option<i64>,
        destoffset: Option<i64>,
        size: Option<i64>,
        sparse: Option<bool>,
    ) -> Result<CopyRange> {
        let non_negative = |v: Option<i64>, what: &str| match v {
            Some(v) if v < 0 => Err(Error::msg(format!("{} is negative", what))),
            v => Ok(v.map(|v| v as u64)),
        };
        Ok(CopyRange {
            srcoffset: non_negative(srcoffset, "srcoffset")?.unwrap_or(0),
            destoffset: non_negative(destoffset, "destoffset")?.unwrap_or(0),
            size: non_negative(size, "size")?,
            sparse: sparse == Some(true),
        })
    }
}

fn no_append(append: Option<bool>) -> Result<()> {
    if append == Some(true) {
        return Err(Error::msg("the append flag cannot be set for this call"));
    }
    Ok(())
}

/// Where a copy writes: a device, or a guest file (created, appended to or truncated).
enum CopyDest<'a> {
    Device(&'a str),
    GuestFile { path: &'a str, append: bool },
}

/// Whether every byte is zero.
fn is_zero(buf: &[u8]) -> bool {
    buf.iter().all(|&b| b == 0)
}

/// A compressor 1.48's `compress_out` family accepts: the program and its arguments.
fn compressor(ctype: &str, level: Option<i32>) -> Result<(&'static str, Vec<String>)> {
    let (program, levels): (&'static str, Option<std::ops::RangeInclusive<i32>>) = match ctype {
        "compress" => ("compress", None),
        "gzip" => ("gzip", Some(1..=9)),
        "bzip2" => ("bzip2", Some(1..=9)),
        "xz" => ("xz", Some(0..=9)),
        "lzop" => ("lzop", Some(1..=9)),
        _ => return Err(Error::msg("unknown compression type")),
    };
    if !super::daemon::have_program(program) {
        return Err(Error::new(
            libc::ENOTSUP,
            format!(
                "compression type {} is not supported, because external program '{}' is not available in the appliance",
                program, program
            ),
        ));
    }
    let mut args = vec!["-c".to_string()];
    match (level, levels) {
        (None, _) => {}
        (Some(_), None) => {
            return Err(Error::msg(format!(
                "{}: cannot use optional level parameter with this compression type",
                program
            )))
        }
        (Some(l), Some(range)) if range.contains(&l) => args.push(format!("-{}", l)),
        (Some(_), Some(_)) => {
            return Err(Error::msg(format!(
                "{}: incorrect value for level parameter",
                program
            )))
        }
    }
    Ok((program, args))
}

impl Daemon {
    /// 1.48's `copy`: SIZE bytes (or to the end) from SRC at SRCOFFSET to DEST at DESTOFFSET,
    /// seeking over zero blocks when sparse.
    fn copy(
        &mut self,
        src: &str,
        src_is_file: bool,
        dest: CopyDest,
        range: CopyRange,
    ) -> Result<()> {
        let mut input = if src_is_file {
            let _c = Chroot::enter(&self.sysroot)?;
            File::open(src)
        } else {
            File::open(src)
        }
        .map_err(|e| io_error(&e, src))?;
        if range.srcoffset > 0 {
            input
                .seek(SeekFrom::Start(range.srcoffset))
                .map_err(|e| io_error(&e, &format!("lseek: {}", src)))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).custom_flags(libc::O_CLOEXEC);
        let (dest, output) = match dest {
            CopyDest::Device(d) => (d, opts.open(d)),
            CopyDest::GuestFile { path, append } => {
                opts.create(true)
                    .mode(0o666)
                    .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC);
                if append {
                    opts.append(true);
                } else {
                    opts.truncate(true);
                }
                let _c = Chroot::enter(&self.sysroot)?;
                (path, opts.open(path))
            }
        };
        let mut output = output.map_err(|e| io_error(&e, dest))?;
        if range.destoffset > 0 {
            output
                .seek(SeekFrom::Start(range.destoffset))
                .map_err(|e| io_error(&e, &format!("lseek: {}", dest)))?;
        }
        let mut buf = vec![0u8; 64 * BUFSIZ];
        let mut done = 0u64;
        loop {
            let want = match range.size {
                Some(size) if done >= size => break,
                Some(size) => (size - done).min(buf.len() as u64) as usize,
                None => buf.len(),
            };
            let n = match input.read(&mut buf[..want]) {
                Ok(0) if range.size.is_none() => break,
                Ok(0) => return Err(Error::msg(format!("{}: input too short", src))),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&e, &format!("read: {}", src))),
            };
            for block in buf[..n].chunks(BUFSIZ) {
                if range.sparse && is_zero(block) {
                    output
                        .seek(SeekFrom::Current(block.len() as i64))
                        .map_err(|e| {
                            io_error(&e, &format!("{}: seek (because of sparse flag)", dest))
                        })?;
                } else {
                    output
                        .write_all(block)
                        .map_err(|e| io_error(&e, &format!("{}: write", dest)))?;
                }
            }
            done += n as u64;
            if let Some(size) = range.size {
                self.progress.notify(done, size);
            }
        }
        Ok(())
    }

    /// The appliance path `dd` is given: a device as it is, a guest path under the sysroot.
    fn dd_operand(&self, arg: &str) -> String {
        if is_device_parameter(arg) {
            arg.to_string()
        } else {
            self.sysroot_path(arg)
        }
    }
}

impl calls::Devices for Daemon {
    fn list_devices(&mut self) -> Result<Vec<String>> {
        Ok(disks().iter().map(|d| format!("/dev/{}", d)).collect())
    }

    fn nr_devices(&mut self) -> Result<i32> {
        Ok(disks().len() as i32)
    }

    fn list_disk_labels(&mut self) -> Result<Vec<(String, String)>> {
        Ok(crate::devices::disk_labels())
    }

    fn is_whole_device(&mut self, device: &str) -> Result<bool> {
        // A whole disk has a `device` link in its /sys/block directory.
        let name = device.strip_prefix("/dev/").unwrap_or(device);
        let path = format!("/sys/block/{}/device", name);
        match std::fs::metadata(&path) {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => Ok(false),
            Err(e) => Err(io_error(&e, &format!("stat: {}", path))),
        }
    }

    fn blkid(&mut self, device: &str) -> Result<Vec<(String, String)>> {
        let args = ["-c", "/dev/null", "-p", "-i", "-o", "export", device];
        let out = command_ok("blkid", &args, false, "")?;
        Ok(out
            .lines()
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    fn blkdiscard(&mut self, device: &str) -> Result<()> {
        let size = size64(device)? as u64;
        let f = open_device(device, true)?;
        let range: [u64; 2] = [0, size];
        // SAFETY: BLKDISCARD reads two u64 (start, length).
        if unsafe { libc::ioctl(f.as_raw_fd(), BLKDISCARD, range.as_ptr()) } == -1 {
            return Err(Error::path(
                errno(),
                &format!("ioctl: {}: BLKDISCARD", device),
            ));
        }
        Ok(())
    }

    fn blkdiscardzeroes(&mut self, device: &str) -> Result<bool> {
        let f = open_device(device, false)?;
        let mut zeroes: libc::c_uint = 0;
        // SAFETY: BLKDISCARDZEROES writes one unsigned int.
        if unsafe { libc::ioctl(f.as_raw_fd(), BLKDISCARDZEROES, &mut zeroes) } == -1 {
            return Err(Error::path(
                errno(),
                &format!("ioctl: {}: BLKDISCARDZEROES", device),
            ));
        }
        Ok(zeroes != 0)
    }

    fn blockdev_flushbufs(&mut self, device: &str) -> Result<()> {
        blockdev("--flushbufs", None, device)
    }

    fn blockdev_rereadpt(&mut self, device: &str) -> Result<()> {
        blockdev("--rereadpt", None, device)
    }

    fn blockdev_setra(&mut self, device: &str, sectors: i32) -> Result<()> {
        if sectors < 0 {
            return Err(Error::msg("readahead sectors must be >= 0"));
        }
        blockdev("--setra", Some(sectors), device)
    }

    /// A no-op, as in 1.48 (RHBZ#1002825: setting it had no lasting effect).
    fn blockdev_setbsz(&mut self, _device: &str, _blocksize: i32) -> Result<()> {
        Ok(())
    }

    fn checksum_device(&mut self, csumtype: &str, device: &str) -> Result<String> {
        let mut sum = Checksummer::new(csumtype)?;
        let mut f = File::open(device).map_err(|e| io_error(&e, device))?;
        let mut buf = vec![0u8; ZERO_BLOCK];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => sum.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e, device)),
            }
        }
        Ok(sum.finish())
    }

    fn compress_device_out(
        &mut self,
        ctype: &str,
        device: &str,
        zdevice: &mut dyn Write,
        opts: &CompressDeviceOutOpts,
    ) -> Result<()> {
        let (program, args) = compressor(ctype, opts.level)?;
        let input = File::open(device).map_err(|e| io_error(&e, device))?;
        let mut cmd = super::pipes::program(program);
        cmd.args(&args).stdin(input);
        super::pipes::stream_out(cmd, zdevice, device)
    }

    fn copy_device_to_device(
        &mut self,
        src: &str,
        dest: &str,
        opts: &CopyDeviceToDeviceOpts,
    ) -> Result<()> {
        no_append(opts.append)?;
        let range = CopyRange::new(opts.srcoffset, opts.destoffset, opts.size, opts.sparse)?;
        self.copy(src, false, CopyDest::Device(dest), range)
    }

    fn copy_device_to_file(
        &mut self,
        src: &str,
        dest: &str,
        opts: &CopyDeviceToFileOpts,
    ) -> Result<()> {
        let range = CopyRange::new(opts.srcoffset, opts.destoffset, opts.size, opts.sparse)?;
        let append = opts.append == Some(true);
        self.copy(
            src,
            false,
            CopyDest::GuestFile { path: dest, append },
            range,
        )
    }

    fn copy_file_to_device(
        &mut self,
        src: &str,
        dest: &str,
        opts: &CopyFileToDeviceOpts,
    ) -> Result<()> {
        no_append(opts.append)?;
        let range = CopyRange::new(opts.srcoffset, opts.destoffset, opts.size, opts.sparse)?;
        self.copy(src, true, CopyDest::Device(dest), range)
    }

    fn dd(&mut self, src: &str, dest: &str) -> Result<()> {
        let input = format!("if={}", self.dd_operand(src));
        let output = format!("of={}", self.dd_operand(dest));
        let prefix = format!("{}: {}", src, dest);
        command_ok("dd", &["bs=1024K", &input, &output], false, &prefix).map(|_| ())
    }

    fn is_zero_device(&mut self, device: &str) -> Result<bool> {
        let mut f = open_device(device, false)?;
        let mut buf = vec![0u8; ZERO_BLOCK];
        loop {
            match f.read(&mut buf) {
                Ok(0) => return Ok(true),
                Ok(n) if !is_zero(&buf[..n]) => return Ok(false),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e, &format!("read: {}", device))),
            }
        }
    }

    fn pwrite_device(&mut self, device: &str, content: &[u8], offset: i64) -> Result<i32> {
        if offset < 0 {
            return Err(Error::msg("offset is negative"));
        }
        let f = open_device(device, true)?;
        let n = f
            .write_at(content, offset as u64)
            .map_err(|e| io_error(&e, &format!("pwrite: {}", device)))?;
        Ok(n as i32)
    }

    fn scrub_device(&mut self, device: &str) -> Result<()> {
        command_ok("scrub", &[device], false, device).map(|_| ())
    }

    fn blockdev_getsize64(&mut self, device: &str) -> Result<i64> {
        size64(device)
    }

    fn blockdev_getsz(&mut self, device: &str) -> Result<i64> {
        size64(device).map(|s| s / 512)
    }

    fn blockdev_getss(&mut self, device: &str) -> Result<i32> {
        sector_size(device)
    }

    fn blockdev_getbsz(&mut self, device: &str) -> Result<i32> {
        blockdev_ioctl::<libc::c_int>(device, BLKBSZGET)
    }

    fn blockdev_setro(&mut self, device: &str) -> Result<()> {
        set_read_only(device, true)
    }

    fn blockdev_setrw(&mut self, device: &str) -> Result<()> {
        set_read_only(device, false)
    }

    fn blockdev_getro(&mut self, device: &str) -> Result<bool> {
        blockdev_ioctl::<libc::c_int>(device, BLKROGET).map(|ro| ro != 0)
    }

    fn pread_device(&mut self, device: &str, count: i32, offset: i64) -> Result<Vec<u8>> {
        let (count, offset) = guestfs_protocol::pread_args(count, offset)?;
        let f = std::fs::File::open(device).map_err(|e| io_error(&e, device))?;
        super::files::read_at_most(&f, count as usize, offset, device)
    }

    fn wipefs(&mut self, device: &str) -> Result<()> {
        command_ok("wipefs", &["-a", "--force", device], false, "").map(|_| ())
    }

    fn zero_device(&mut self, device: &str) -> Result<()> {
        let size = size64(device)? as u64;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(device)
            .map_err(|e| io_error(&e, device))?;
        let zeroes = vec![0u8; ZERO_BLOCK];
        let mut buf = vec![0u8; ZERO_BLOCK];
        let mut pos = 0u64;
        while pos < size {
            let n = (size - pos).min(ZERO_BLOCK as u64) as usize;
            // Blocks that are already zero are not written (thin disks stay thin).
            f.read_exact_at(&mut buf[..n], pos)
                .map_err(|e| io_error(&e, &format!("pread: {} at offset {}", device, pos)))?;
            if buf[..n].iter().any(|&b| b != 0) {
                f.write_all_at(&zeroes[..n], pos).map_err(|e| {
                    io_error(
                        &e,
                        &format!("pwrite: {} (with {} bytes left to write)", device, size),
                    )
                })?;
            }
            pos += n as u64;
            self.progress.notify(pos, size);
        }
        f.sync_all()
            .map_err(|e| io_error(&e, &format!("close: {}", device)))
    }
}
