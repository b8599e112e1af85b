//! Forensics with The Sleuth Kit's programs, as 1.48's daemon runs them: `download_inode`
//! streams `icat -r DEVICE INODE`, `download_blocks` streams `blkls` over a range of data
//! units (group `sleuthkit`). Their output goes to the caller as it comes, never held whole.
//! Filesystem walks (group `libtsk`) use The Sleuth Kit's library ([`tsk`]), as 1.48's do.
//! YARA rules (group `libyara`) are compiled and matched by Debian's libyara ([`yara`]).

pub mod tsk;
pub mod yara;

use super::pipes::{program, stream_out};
use crate::daemon::Daemon;
use crate::devices::split_btrfsvol;
use crate::sys::{perror, Chroot};
use guestfs_protocol::calls;
use guestfs_protocol::{DownloadBlocksOpts, Error, FileIn, Result};
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::sync::Mutex;

/// The rules `yara_load` loaded.
static RULES: Mutex<Option<yara::Rules>> = Mutex::new(None);

fn no_rules() -> Error {
    Error::msg("no yara rules loaded")
}

/// An XDR string: its length, its bytes, zeros to a multiple of 4.
fn xdr_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
    out.resize(out.len() + (4 - s.len() % 4) % 4, 0);
}

/// A walk entry as an XDR `tsk_dirent` (1.48's `send_dirent_info`): without metadata, the
/// size is -1 and the times and link count are 0.
fn xdr_tsk_dirent(d: &tsk::Dirent) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + d.name.len());
    let hyper = |out: &mut Vec<u8>, v: i64| out.extend_from_slice(&v.to_be_bytes());
    out.extend_from_slice(&d.inode.to_be_bytes());
    // An XDR char is a 4-byte int.
    out.extend_from_slice(&u32::from(d.kind).to_be_bytes());
    hyper(&mut out, d.meta.as_ref().map_or(-1, |m| m.size));
    xdr_string(&mut out, &d.name);
    out.extend_from_slice(&d.flags.to_be_bytes());
    let (times, nlink, link) = match &d.meta {
        Some(m) => (
            [m.atime, m.mtime, m.ctime, m.crtime],
            m.nlink,
            m.link.as_slice(),
        ),
        None => ([(0, 0); 4], 0, &[][..]),
    };
    for (sec, nsec) in times {
        hyper(&mut out, sec);
        hyper(&mut out, nsec);
    }
    hyper(&mut out, nlink);
    xdr_string(&mut out, link);
    // tsk_spare1.
    hyper(&mut out, 0);
    out
}

/// Walks `device`'s filesystem writing each entry (all, or those of `inode`) to `out`.
fn write_walk(device: &str, inode: Option<u64>, out: &mut dyn Write) -> Result<()> {
    tsk::walk(&device_of(device), inode, &mut |d| {
        out.write_all(&xdr_tsk_dirent(d))
            .map_err(|e| Error::new(e.raw_os_error().unwrap_or(libc::EIO), e.to_string()))
    })
}

/// The device of a mountable (a btrfs subvolume's device).
fn device_of(mountable: &str) -> String {
    match mountable.strip_prefix("btrfsvol:") {
        Some(rest) => split_btrfsvol(rest, false)
            .map(|(device, _)| device)
            .unwrap_or_else(|| rest.to_string()),
        None => mountable.to_string(),
    }
}

impl calls::Forensics for Daemon {
    fn download_inode(&mut self, device: &str, inode: i64, out: &mut dyn Write) -> Result<()> {
        if inode < 0 {
            return Err(Error::msg("inode must be >= 0"));
        }
        let device = device_of(device);
        let mut icat = program("icat");
        icat.args(["-r", &device, &inode.to_string()]);
        stream_out(icat, out, &device)
    }

    fn download_blocks(
        &mut self,
        device: &str,
        start: i64,
        stop: i64,
        out: &mut dyn Write,
        opts: &DownloadBlocksOpts,
    ) -> Result<()> {
        if start < 0 {
            return Err(Error::msg("starting address must be greater than zero"));
        }
        if stop <= start {
            return Err(Error::msg(
                "stopping address must greater than starting address",
            ));
        }
        let device = device_of(device);
        let mut blkls = program("blkls");
        blkls.arg(&device);
        // 1.48 passes -e (every block) unless the optional argument was given at all.
        if opts.unallocated.is_none() {
            blkls.arg("-e");
        }
        blkls.arg(format!("{}-{}", start, stop));
        stream_out(blkls, out, &device)
    }

    fn internal_filesystem_walk(&mut self, device: &str, out: &mut dyn Write) -> Result<()> {
        write_walk(device, None, out)
    }

    /// A negative inode matches no entry (1.48 compares it as unsigned).
    fn internal_find_inode(&mut self, device: &str, inode: i64, out: &mut dyn Write) -> Result<()> {
        write_walk(device, Some(inode as u64), out)
    }

    fn yara_load(&mut self, filename: &mut FileIn<'_>) -> Result<()> {
        let dir = std::env::temp_dir();
        let path = dir.join(format!("yara{}", std::process::id()));
        let copied = std::fs::File::create(&path)
            .and_then(|mut f| std::io::copy(filename, &mut f))
            .map_err(|e| {
                Error::new(
                    e.raw_os_error().unwrap_or(libc::EIO),
                    format!("{}: {}", path.display(), e),
                )
            });
        let loaded = copied.and_then(|_| yara::load(&path.to_string_lossy()));
        let _ = std::fs::remove_file(&path);
        let rules = loaded?;
        *RULES.lock().unwrap_or_else(|e| e.into_inner()) = Some(rules);
        Ok(())
    }

    fn yara_destroy(&mut self) -> Result<()> {
        match RULES.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(_) => Ok(()),
            None => Err(no_rules()),
        }
    }

    /// Each matching rule as an XDR `yara_detection` (the path as given, the rule's name).
    fn internal_yara_scan(&mut self, path: &str, out: &mut dyn Write) -> Result<()> {
        let rules = RULES.lock().unwrap_or_else(|e| e.into_inner());
        let rules = rules.as_ref().ok_or_else(no_rules)?;
        let file = {
            let _root = Chroot::enter(&self.sysroot)?;
            std::fs::File::open(path).map_err(|_| perror(path))?
        };
        let mut buf = Vec::new();
        for rule in rules.scan(file.as_raw_fd())? {
            xdr_string(&mut buf, path.as_bytes());
            xdr_string(&mut buf, rule.as_bytes());
        }
        out.write_all(&buf)
            .map_err(|e| Error::new(e.raw_os_error().unwrap_or(libc::EIO), e.to_string()))
    }
}
