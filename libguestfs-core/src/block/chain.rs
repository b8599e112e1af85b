//! Opening an image file with everything it names: a qcow2 or VMDK image's backing file (and
//! its backing file, and so on), a VMDK descriptor's extent files. Every named file passes
//! [`qcow2::safe_file`] first (a regular file, not in /proc or /sys), and chains are bounded
//! and may not loop, as qemu would otherwise follow them anywhere.

use super::qcow2::{self, BackingFile, MAX_CHAIN_LENGTH};
use super::raw::RawImage;
use super::{vdi, vhdx, vmdk, vpc, Device, ImageFormat};
use crate::error::Result;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Opens the image file at `path` read-only in `format`, with the files it names.
pub fn open(path: &Path, format: ImageFormat) -> Result<Device> {
    open_link(path, format, &mut Vec::new())
}

/// Opens one image of a chain; `chain` holds the images that lead to it.
fn open_link(path: &Path, format: ImageFormat, chain: &mut Vec<PathBuf>) -> Result<Device> {
    let name = path.display().to_string();
    if chain.len() >= MAX_CHAIN_LENGTH {
        return Err(qcow2::chain_too_long(&name));
    }
    let id = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if chain.contains(&id) {
        return Err(qcow2::chain_loops(&name));
    }
    let file = Arc::new(RawImage::open(path)?);
    if format == ImageFormat::Raw {
        return Ok(file);
    }
    chain.push(id);
    let image = open_format(path, &name, format, file, chain);
    chain.pop();
    image
}

fn open_format(
    path: &Path,
    name: &str,
    format: ImageFormat,
    file: Device,
    chain: &mut Vec<PathBuf>,
) -> Result<Device> {
    Ok(match format {
        ImageFormat::Raw => file,
        ImageFormat::Qcow2 => Arc::new(qcow2::open_source(file, name, &mut |b| {
            open_backing(path, name, b, chain)
        })?),
        ImageFormat::Vmdk => vmdk::open_source(
            file,
            name,
            &mut Files {
                image: path,
                name,
                chain,
            },
        )?,
        ImageFormat::Vdi => Arc::new(vdi::open_source(file, name)?),
        ImageFormat::Vpc => Arc::new(vpc::open_source(file, name)?),
        ImageFormat::Vhdx => Arc::new(vhdx::open_source(file, name)?),
    })
}

/// Opens the backing file `b` named by the image at `overlay`.
fn open_backing(
    overlay: &Path,
    overlay_name: &str,
    b: &BackingFile,
    chain: &mut Vec<PathBuf>,
) -> Result<Device> {
    let (path, format) = qcow2::backing_target(overlay, overlay_name, b)?;
    let format = match format.as_str() {
        // qemu's protocol driver for plain files, named as a format.
        "file" => ImageFormat::Raw,
        f => ImageFormat::parse(f).map_err(|e| {
            e.context(&format!(
                "{}: backing file {}",
                overlay_name,
                b.name.display()
            ))
        })?,
    };
    match format {
        ImageFormat::Raw => {
            Ok(Arc::new(RawImage::open(&path).map_err(|e| {
                qcow2::backing_io_error(overlay_name, b, &path, &e)
            })?))
        }
        f => open_link(&path, f, chain),
    }
}

/// The files a VMDK image names, opened from the file system.
struct Files<'a> {
    image: &'a Path,
    name: &'a str,
    chain: &'a mut Vec<PathBuf>,
}

impl vmdk::Files for Files<'_> {
    fn extent(&mut self, file: &Path) -> Result<Device> {
        let path = qcow2::safe_file(self.image, self.name, "extent", file)?;
        Ok(Arc::new(RawImage::open(&path)?))
    }

    fn parent(&mut self, b: &BackingFile) -> Result<Device> {
        open_backing(self.image, self.name, b, self.chain)
    }
}
