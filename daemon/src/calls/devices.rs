//! Block devices: the user's drives, sizes and settings, whole-device reads and writes.

use crate::daemon::Daemon;
use crate::devices::disks;
use crate::sys::{command_ok, errno, io_error};
use guestfs_protocol::calls;
use guestfs_protocol::{Error, Result};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;

const BLKROSET: libc::c_ulong = 0x125d;
const BLKROGET: libc::c_ulong = 0x125e;
const BLKSSZGET: libc::c_ulong = 0x1268;
const BLKBSZGET: libc::c_ulong = 0x8008_1270;
const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;

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

impl calls::Devices for Daemon {
    fn list_devices(&mut self) -> Result<Vec<String>> {
        Ok(disks().iter().map(|d| format!("/dev/{}", d)).collect())
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
