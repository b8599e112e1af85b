//! NTFS through ntfs-3g and ntfsprogs: probing, resizing, fixing, labels, cloning and
//! reading files by inode.

use super::ext::leading_number;
use super::pipes::{program, stream_out};
use crate::sys::{command_ok, command_r};
use guestfs_protocol::{
    Error, FileIn, NtfscloneOutOpts, NtfsfixOpts, NtfsresizeOpts, Result, MAX_CHUNK_SIZE,
};
use std::io::{Read, Write};
use std::process::Stdio;

/// `ntfs-3g.probe`: 0 when the volume can be mounted (read-write with `rw`), else its status.
pub fn ntfs_3g_probe(rw: bool, device: &str) -> Result<i32> {
    let flag = if rw { "-w" } else { "-r" };
    let done = command_r("ntfs-3g.probe", &[flag, device], false)?;
    done.status
        .ok_or_else(|| Error::msg(format!("{}: {}", device, done.stderr)))
}

pub fn ntfsresize(device: &str, o: &NtfsresizeOpts) -> Result<()> {
    let mut a = vec!["-P".to_string()];
    if let Some(size) = o.size {
        if size <= 0 {
            return Err(Error::msg("size is zero or negative"));
        }
        a.extend(["--size".into(), size.to_string()]);
    }
    if o.force == Some(true) {
        a.push("--force".into());
    }
    a.push(device.into());
    let args: Vec<&str> = a.iter().map(String::as_str).collect();
    command_ok("ntfsresize", &args, true, device).map(|_| ())
}

pub fn ntfsfix(device: &str, o: &NtfsfixOpts) -> Result<()> {
    let mut args = Vec::new();
    if o.clearbadsectors == Some(true) {
        args.push("-b");
    }
    args.push(device);
    command_ok("ntfsfix", &args, false, device).map(|_| ())
}

pub fn set_label(device: &str, label: &str) -> Result<()> {
    command_ok("ntfslabel", &[device, label], false, "").map(|_| ())
}

/// The smallest size ntfsresize would shrink to; a full volume (which ntfsresize refuses)
/// is its current size rounded up to whole clusters.
pub fn minimum_size(device: &str) -> Result<i64> {
    // The volume may be marked for checking: force.
    let done = command_r("ntfsresize", &["--info", "-ff", device], false)?;
    if done.status != Some(0) {
        let mut full = false;
        let mut cluster: i64 = 0;
        let mut volume: i64 = 0;
        for line in done.stdout.lines() {
            if line.contains("Volume is full") {
                full = true;
            } else if let Some(rest) = line.strip_prefix("Cluster size") {
                cluster = rest
                    .trim_start_matches(' ')
                    .strip_prefix(':')
                    .and_then(leading_number)
                    .ok_or_else(|| Error::msg("cannot parse cluster size"))?;
            } else if let Some(rest) = line.strip_prefix("Current volume size:") {
                volume =
                    leading_number(rest).ok_or_else(|| Error::msg("cannot parse volume size"))?;
            }
        }
        if full {
            if cluster == 0 {
                return Err(Error::msg("bad cluster size"));
            }
            return Ok((volume + cluster - 1) / cluster * cluster);
        }
        return Err(Error::msg(done.stderr));
    }
    const PATTERN: &str = "You might resize at ";
    match done.stdout.lines().find_map(|l| l.strip_prefix(PATTERN)) {
        Some(rest) => leading_number(rest).ok_or_else(|| Error::msg("cannot parse minimum size")),
        None => Err(Error::msg(format!(
            "minimum size not found. Check output format:\n{}",
            done.stdout
        ))),
    }
}

pub fn ntfscat_i(device: &str, inode: i64, out: &mut dyn Write) -> Result<()> {
    if inode < 0 {
        return Err(Error::msg("inode must be >= 0"));
    }
    let mut ntfscat = program("ntfscat");
    ntfscat.args(["-i", &inode.to_string(), device]);
    stream_out(ntfscat, out, device)
}

pub fn ntfsclone_out(device: &str, o: &NtfscloneOutOpts, out: &mut dyn Write) -> Result<()> {
    let mut args = vec!["-o", "-", "--save-image"];
    let flags = [
        (o.metadataonly, "--metadata"),
        (o.rescue, "--rescue"),
        (o.ignorefscheck, "--ignore-fs-check"),
        (o.preservetimestamps, "--preserve-timestamps"),
        (o.force, "--force"),
    ];
    for (set, flag) in flags {
        if set == Some(true) {
            args.push(flag);
        }
    }
    args.push(device);
    let mut ntfsclone = program("ntfsclone");
    ntfsclone.args(&args);
    stream_out(ntfsclone, out, device)
}

/// Restores an ntfsclone image from the incoming file onto `device`.
pub fn ntfsclone_in(file: &mut FileIn, device: &str) -> Result<()> {
    let mut child = program("ntfsclone")
        .args(["-O", device, "--restore-image", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| crate::sys::io_error(&e, "ntfsclone"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Collect ntfsclone's errors while it runs so that it never blocks on a full pipe.
    let mut stderr = child.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let error_text = |errors: std::thread::JoinHandle<Vec<u8>>| {
        let bytes = errors.join().unwrap_or_default();
        let s = String::from_utf8_lossy(&bytes).into_owned();
        match s.strip_suffix('\n') {
            Some(t) => t.to_string(),
            None if s.is_empty() => "(no error)".to_string(),
            None => s,
        }
    };
    let mut buf = vec![0u8; MAX_CHUNK_SIZE];
    let mut write_failed = false;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            // The library cancelled: the server answers for it.
            Err(e) => {
                drop(stdin);
                let _ = child.wait();
                let _ = errors.join();
                return Err(Error::from(e));
            }
        };
        if !write_failed && stdin.write_all(&buf[..n]).is_err() {
            // Keep receiving so that the protocol stays in step; report at the end.
            write_failed = true;
        }
    }
    drop(stdin);
    let status = child
        .wait()
        .map_err(|e| crate::sys::io_error(&e, "pclose"))?;
    if write_failed {
        return Err(Error::msg(format!(
            "write error on device: {}: {}",
            device,
            error_text(errors)
        )));
    }
    if !status.success() {
        return Err(Error::msg(format!(
            "ntfsclone subcommand failed on device: {}: {}",
            device,
            error_text(errors)
        )));
    }
    Ok(())
}
