//! qcow2 images (versions 2 and 3), read-only.
//!
//! Supported: standard, zero and deflate-compressed clusters, extended L2 entries
//! (subclusters), cluster sizes 512 B – 2 MiB, and backing chains of raw and qcow2 images.
//! Refused with ENOTSUP: qcow version 1, encryption, external data files, zstd compression
//! and unknown incompatible features.
//!
//! The reader works over any [`Device`] holding the image bytes ([`open_source`]), so it can
//! be fed from memory; [`open`] adds the file system: it opens the image file and resolves
//! the backing chain the way qemu does.

mod header;
mod image;

pub use header::{FeatureName, Header};
pub use image::Qcow2Image;

use super::{probe, Device, ImageFormat};
use crate::error::{strerror, Error, Result};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The first four bytes of every qcow2 image.
pub const MAGIC: [u8; 4] = *b"QFI\xfb";

/// The longest backing chain [`open`] follows, counting the image itself.
pub const MAX_CHAIN_LENGTH: usize = 32;

/// A backing file as an image names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackingFile {
    /// The name exactly as stored in the image (relative names are relative to the
    /// directory of the image that names them).
    pub name: PathBuf,
    /// The format from the backing format header extension (qemu's name); None means
    /// "detect".
    pub format: Option<String>,
}

/// Opens a qcow2 image over the bytes of `source`. When the header names a backing file,
/// `backing` is called once to open it; its device supplies unallocated clusters. `name`
/// identifies the image in error messages.
pub fn open_source(
    source: Device,
    name: &str,
    backing: &mut dyn FnMut(&BackingFile) -> Result<Device>,
) -> Result<Qcow2Image> {
    let header = Header::read(source.as_ref(), name)?;
    let backing_dev = match &header.backing_file {
        Some(raw) => Some(backing(&BackingFile {
            name: PathBuf::from(OsStr::from_bytes(raw)),
            format: header.backing_format.clone(),
        })?),
        None => None,
    };
    Qcow2Image::new(source, header, name, backing_dev)
}

/// Opens the qcow2 image file at `path` read-only, with its backing chain.
pub fn open(path: &Path) -> Result<Device> {
    super::chain::open(path, ImageFormat::Qcow2)
}

/// Where qemu looks for a backing file: absolute names as they are, relative names in the
/// directory of the image that names them. Protocol names (`nbd:…`, `json:{…}`) are refused,
/// except `file:`.
fn resolve_backing(overlay: &Path, overlay_name: &str, name: &Path) -> Result<PathBuf> {
    let bytes = name.as_os_str().as_bytes();
    let mut name = name;
    if let Some(colon) = bytes
        .iter()
        .position(|&c| c == b':' || c == b'/')
        .filter(|&i| bytes[i] == b':')
    {
        let protocol = String::from_utf8_lossy(&bytes[..colon]).into_owned();
        if protocol != "file" {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "{}: backing file {} uses protocol '{}' (not supported by the native backend)",
                    overlay_name,
                    name.display(),
                    protocol
                ),
            ));
        }
        name = Path::new(OsStr::from_bytes(&bytes[colon + 1..]));
    }
    if name.is_absolute() {
        return Ok(name.to_path_buf());
    }
    Ok(match overlay.parent() {
        Some(dir) => dir.join(name),
        None => name.to_path_buf(),
    })
}

/// Where the file `name` that the image at `overlay` names as its `what` (backing file, data
/// file) is, once it is known to be safe to open: a regular file, not in /proc or /sys (qemu
/// would open a device, a FIFO or a kernel file as readily as an image).
pub(super) fn safe_file(
    overlay: &Path,
    overlay_name: &str,
    what: &str,
    name: &Path,
) -> Result<PathBuf> {
    use std::os::unix::fs::FileTypeExt;
    let path = resolve_backing(overlay, overlay_name, name)?;
    let fail = |why: &str, errno: i32| file_error(overlay_name, what, name, &path, why, errno);
    let errno_of = |e: &std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    let real =
        std::fs::canonicalize(&path).map_err(|e| fail(&strerror(errno_of(&e)), errno_of(&e)))?;
    if real.starts_with("/proc") || real.starts_with("/sys") {
        return Err(fail(
            &format!("{} is a kernel file, not a disk image", real.display()),
            libc::EPERM,
        ));
    }
    let kind = std::fs::metadata(&real)
        .map_err(|e| fail(&strerror(errno_of(&e)), errno_of(&e)))?
        .file_type();
    let not_regular = [
        (kind.is_dir(), "a directory", libc::EISDIR),
        (kind.is_block_device(), "a block device", libc::EPERM),
        (kind.is_char_device(), "a character device", libc::EPERM),
        (kind.is_fifo(), "a FIFO", libc::EPERM),
        (kind.is_socket(), "a socket", libc::EPERM),
    ];
    if let Some((_, kind_name, errno)) = not_regular.iter().find(|k| k.0) {
        return Err(fail(&format!("{}, not a regular file", kind_name), *errno));
    }
    Ok(path)
}

/// Where the backing file `b` named by the image at `overlay` is ([`safe_file`]), and its
/// format (qemu's name: as the image names it, else qemu's guess).
pub(super) fn backing_target(
    overlay: &Path,
    overlay_name: &str,
    b: &BackingFile,
) -> Result<(PathBuf, String)> {
    let path = safe_file(overlay, overlay_name, "backing file", &b.name)?;
    let format = match &b.format {
        Some(f) => f.clone(),
        None => probe::probe_file(&path)
            .map_err(|e| backing_io_error(overlay_name, b, &path, &e))?
            .to_string(),
    };
    Ok((path, format))
}

/// A backing file that passed [`safe_file`] but could not be read.
pub(super) fn backing_io_error(
    overlay_name: &str,
    b: &BackingFile,
    path: &Path,
    e: &Error,
) -> Error {
    let errno = errno_or_eio(e);
    file_error(
        overlay_name,
        "backing file",
        &b.name,
        path,
        &strerror(errno),
        errno,
    )
}

/// `OVERLAY: WHAT NAME (PATH): WHY`.
fn file_error(
    overlay_name: &str,
    what: &str,
    name: &Path,
    path: &Path,
    why: &str,
    errno: i32,
) -> Error {
    Error::new(
        errno,
        format!(
            "{}: {} {} ({}): {}",
            overlay_name,
            what,
            name.display(),
            path.display(),
            why
        ),
    )
}

fn errno_or_eio(e: &Error) -> i32 {
    if e.errno != 0 {
        e.errno
    } else {
        libc::EIO
    }
}

pub(super) fn chain_too_long(name: &str) -> Error {
    Error::new(
        libc::ELOOP,
        format!(
            "{}: backing chain longer than {} images",
            name, MAX_CHAIN_LENGTH
        ),
    )
}

pub(super) fn chain_loops(name: &str) -> Error {
    Error::new(
        libc::ELOOP,
        format!("{}: backing chain loops back to this image", name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backing_names_resolve_like_qemu() {
        let o = Path::new("/images/vm/overlay.qcow2");
        assert_eq!(
            resolve_backing(o, "o", Path::new("base.img")).unwrap(),
            Path::new("/images/vm/base.img")
        );
        assert_eq!(
            resolve_backing(o, "o", Path::new("../b/base.img")).unwrap(),
            Path::new("/images/vm/../b/base.img")
        );
        assert_eq!(
            resolve_backing(o, "o", Path::new("/abs/base.img")).unwrap(),
            Path::new("/abs/base.img")
        );
        assert_eq!(
            resolve_backing(o, "o", Path::new("file:base.img")).unwrap(),
            Path::new("/images/vm/base.img")
        );
        assert_eq!(
            resolve_backing(Path::new("overlay.qcow2"), "o", Path::new("b")).unwrap(),
            Path::new("b")
        );
        assert_eq!(
            resolve_backing(o, "o", Path::new("dir/a:b")).unwrap(),
            Path::new("/images/vm/dir/a:b")
        );
        let e = resolve_backing(o, "o", Path::new("nbd:localhost:10809")).unwrap_err();
        assert_eq!(e.errno, libc::ENOTSUP);
        assert_eq!(
            resolve_backing(o, "o", Path::new("json:{}"))
                .unwrap_err()
                .errno,
            libc::ENOTSUP
        );
    }
}
