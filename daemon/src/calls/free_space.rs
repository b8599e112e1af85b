//! Free space: zeroing it (zerofree, a file of zeroes), scrubbing it, discarding it (fstrim).

use crate::sys::{command_ok, Outcome};
use guestfs_protocol::{Error, FstrimOpts, Result};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

pub fn zerofree(device: &str) -> Result<()> {
    command_ok("zerofree", &[device], false, device).map(|_| ())
}

pub fn scrub_freespace(dir: &str, appliance_dir: &str) -> Result<()> {
    command_ok("scrub", &["-X", appliance_dir], false, dir).map(|_| ())
}

/// fstrim of the filesystem at `path` (the guest's), at `target` in the appliance. A
/// filesystem that cannot discard is ENOTSUP.
pub fn fstrim(target: &str, o: &FstrimOpts) -> Result<()> {
    // Flush first so that the discards reach the disk (as 1.48 does, after qemu-devel advice).
    // SAFETY: sync has no arguments.
    unsafe { libc::sync() };
    let mut a: Vec<String> = Vec::new();
    if let Some(v) = o.offset {
        if v < 0 {
            return Err(Error::msg("offset < 0"));
        }
        a.extend(["-o".into(), v.to_string()]);
    }
    if let Some(v) = o.length {
        if v <= 0 {
            return Err(Error::msg("length <= 0"));
        }
        a.extend(["-l".into(), v.to_string()]);
    }
    if let Some(v) = o.minimumfreeextent {
        if v <= 0 {
            return Err(Error::msg("minimumfreeextent <= 0"));
        }
        a.extend(["-m".into(), v.to_string()]);
    }
    a.push(target.into());
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    match crate::sys::command("fstrim", &args, false)? {
        Outcome::Success(_) => Ok(()),
        Outcome::Failure(err) if err.contains("discard operation is not supported") => {
            Err(Error::new(libc::ENOTSUP, err))
        }
        Outcome::Failure(err) => Err(Error::msg(err)),
    }
}

/// Fills the free space of the filesystem holding `dir` with a file of zeroes, then deletes
/// it. `dir` is the appliance path of the guest directory.
pub fn zero_free_space(dir: &str, progress: &mut crate::progress::Notifier) -> Result<()> {
    let name = format!("{}/{}", dir, random_8_3_name());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(&name)
        .map_err(|e| crate::sys::io_error(&e, &format!("open: {}", name)))?;
    let initial = free_blocks(&f).unwrap_or(0);
    let zeroes = vec![0u8; 64 * 1024];
    let mut written: u64 = 0;
    loop {
        match f.write(&zeroes) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                drop(f);
                let _ = std::fs::remove_file(&name);
                return Err(crate::sys::io_error(&e, &format!("write: {}", name)));
            }
        }
        written += 1;
        if written & 15 == 0 && initial > 0 {
            if let Some(free) = free_blocks(&f) {
                progress.notify(initial.saturating_sub(free), initial);
            }
        }
    }
    // Closing a file on a full filesystem may well fail; that is expected.
    drop(f);
    // SAFETY: sync has no arguments.
    unsafe { libc::sync() };
    progress.notify(initial, initial);
    std::fs::remove_file(&name).map_err(|e| crate::sys::io_error(&e, &format!("unlink: {}", name)))
}

fn free_blocks(f: &std::fs::File) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: st is written by the call; the descriptor is open.
    let mut st: libc::statvfs64 = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstatvfs64(f.as_raw_fd(), &mut st) } == 0).then_some(st.f_bfree)
}

/// `XXXXXXXX.XXX` of random letters and digits: cannot collide with a file in practice and
/// fits FAT's 8.3 names.
fn random_8_3_name() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 11];
    if let Ok(mut r) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut r, &mut bytes);
    }
    let c: Vec<char> = bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect();
    format!(
        "{}.{}",
        c[..8].iter().collect::<String>(),
        c[8..].iter().collect::<String>()
    )
}
