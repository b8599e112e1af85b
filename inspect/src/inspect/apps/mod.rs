//! Installed applications (`inspect_list_applications2`), read from the mounted guest.

pub mod apk;
pub mod deb;
pub mod pacman;
pub mod rpm;
pub mod windows;

use super::io::Io;
use super::InspectionData;
use crate::error::{Error, Result};
use crate::types::Application2;

/// The largest dpkg status or apk database read (libguestfs's `MAX_PKG_DB_SIZE`).
pub const MAX_PKG_DB_SIZE: u64 = 50_000_000;

/// An empty application record.
pub fn new_app() -> Application2 {
    Application2::default()
}

/// libguestfs's `download_to_tmp` checks: the size (from `filesize`, whose error is the
/// daemon's `filesize: PATH: strerror`) and the limit, then the whole file.
pub fn read_db_file(io: &mut Io, path: &str, limit: u64) -> Result<Vec<u8>> {
    let size = io
        .filesize(path)
        .map_err(|e| Error::new(e.errno, format!("filesize: {}", e.message)))?;
    if size < 0 || size as u64 > limit {
        return Err(Error::new(
            libc::EFBIG,
            format!("size of {} is unreasonably large ({} bytes)", path, size),
        ));
    }
    io.read_upto(path, size as u64, limit)
        .map_err(|e| Error::new(e.errno, format!("download: {}", e.message)))
}

/// pacman: every package directory's `desc`. Unreadable or oversized `desc` files are skipped
/// (libguestfs reports them as errors but goes on); they are returned in `reported`.
fn list_pacman(io: &mut Io, reported: &mut Vec<Error>) -> Result<Vec<Application2>> {
    let entries = io
        .be
        .readdir("/var/lib/pacman/local")
        .map_err(|e| Error::new(e.errno, format!("readdir: {}", e.message)))?;
    let mut apps = Vec::new();
    for e in entries {
        if e.name == "." || e.name == ".." {
            continue;
        }
        let path = format!("/var/lib/pacman/local/{}/desc", e.name);
        match read_db_file(io, &path, pacman::DESC_MAX) {
            Ok(data) => apps.extend(pacman::parse_desc(&data)),
            Err(err) => reported.push(err),
        }
    }
    Ok(apps)
}

/// Windows: the software hive's Uninstall keys.
fn list_windows(io: &mut Io, data: &InspectionData) -> Result<Vec<Application2>> {
    let hive_path = data.windows_software_hive.clone().ok_or_else(|| {
        Error::msg(
            "inspect_get_windows_software_hive: not a Windows guest, or software hive not found",
        )
    })?;
    let bytes = read_db_file(io, &hive_path, super::windows::MAX_REGISTRY_SIZE)?;
    let h = crate::hive::Hive::from_bytes_opts(bytes, crate::hive::OpenOptions { tolerant: true })
        .map_err(|e| Error::new(e.errno, format!("hivex_open: {}", e.message)))?;
    Ok(windows::list_windows_applications(&h))
}

/// The applications of a root, sorted by name (bytewise, stable).
pub fn list_applications(
    io: &mut Io,
    data: &InspectionData,
    reported: &mut Vec<Error>,
) -> Result<Vec<Application2>> {
    let mut apps = match data.os_type {
        Some("linux") | Some("hurd") => match data.package_format {
            Some("rpm") => rpm::list_rpm_applications(io)?,
            Some("deb") => {
                deb::parse_dpkg_status(&read_db_file(io, "/var/lib/dpkg/status", MAX_PKG_DB_SIZE)?)
            }
            Some("pacman") => list_pacman(io, reported)?,
            Some("apk") => apk::parse_apk_installed(&read_db_file(
                io,
                "/lib/apk/db/installed",
                MAX_PKG_DB_SIZE,
            )?),
            _ => Vec::new(),
        },
        Some("windows") => list_windows(io, data)?,
        _ => Vec::new(),
    };
    apps.sort_by(|a, b| a.app2_name.as_bytes().cmp(b.app2_name.as_bytes()));
    Ok(apps)
}
