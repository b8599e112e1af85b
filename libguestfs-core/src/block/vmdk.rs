//! VMDK images, read-only: a hosted sparse extent on its own (monolithicSparse,
//! streamOptimized), or a text descriptor whose extent lines name FLAT and SPARSE extent files
//! (monolithicFlat, twoGbMaxExtentSparse, twoGbMaxExtentFlat, vmfs), with an optional parent
//! (`parentFileNameHint`) under the sparse extents.
//!
//! The descriptor is read as qemu reads it (block/vmdk.c): only `RW` extent lines count (qemu
//! skips `RDONLY`, `NOACCESS` and `ZERO` lines, so the disk does not include them), a SPARSE
//! extent is as large as its own header says, and a malformed FLAT line is an error. VMDK3
//! (`COWD`, VMFSSPARSE) and seSparse extents are refused with ENOTSUP, so `auto` hands them to
//! the appliance.

mod descriptor;
mod sparse;

use super::external;
use super::qcow2::BackingFile;
use super::{check_range, read_or_zero, unsupported, BlockDevice, Device};
use crate::error::{Error, Result};
use descriptor::{Extent, ExtentKind};
use sparse::SparseExtent;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

/// The magic of a hosted sparse extent.
pub const SPARSE_MAGIC: &[u8; 4] = b"KDMV";
/// The magic of a VMDK3 (VMFS sparse) extent.
const VMDK3_MAGIC: &[u8; 4] = b"COWD";
/// The most of a descriptor qemu reads (1 MiB less its terminating NUL).
const MAX_DESCRIPTOR: u64 = (1 << 20) - 1;
const SECTOR: u64 = 512;

/// What a VMDK image opens besides its own file.
pub trait Files {
    /// An extent file a descriptor names (relative names are relative to the descriptor).
    fn extent(&mut self, name: &Path) -> Result<Device>;
    /// The parent image (`parentFileNameHint`).
    fn parent(&mut self, b: &BackingFile) -> Result<Device>;
}

fn corrupt(name: &str, what: impl std::fmt::Display) -> Error {
    super::corrupt(name, "VMDK", what)
}

/// The start of a file: what qemu reads to tell a descriptor from a sparse extent.
fn head(source: &dyn BlockDevice, name: &str) -> Result<Vec<u8>> {
    if source.size() < 4 {
        return Err(corrupt(name, "file too small to be a VMDK image"));
    }
    let len = source.size().min(MAX_DESCRIPTOR) as usize;
    let mut buf = vec![0u8; len];
    source
        .read_exact_at(&mut buf, 0)
        .map_err(|e| Error::from(e).context(name))?;
    Ok(buf)
}

/// Opens a VMDK image over the bytes of `source`, opening the extents and the parent it names
/// through `files`; `name` identifies it in errors.
pub fn open_source(source: Device, name: &str, files: &mut dyn Files) -> Result<Device> {
    let head = head(source.as_ref(), name)?;
    let (extents, parent) = if head.starts_with(SPARSE_MAGIC) || head.starts_with(VMDK3_MAGIC) {
        let parent = external::named_in("vmdk", &head).backing;
        (vec![open_sparse(source, name, &head)?], parent)
    } else {
        let text = &head[..head.iter().position(|&c| c == 0).unwrap_or(head.len())];
        let extents = descriptor::parse(text, name)?;
        let mut opened = Vec::with_capacity(extents.len());
        for e in extents {
            opened.push(open_extent(&e, name, files)?);
        }
        (opened, descriptor::parent(text))
    };
    let parent = parent.map(|b| files.parent(&b)).transpose()?;
    Ok(Arc::new(Vmdk::new(extents, parent)))
}

/// One opened extent.
enum Opened {
    /// `len` bytes of a file from `start`; bytes past the end of the file read as zeros.
    Flat {
        file: Device,
        start: u64,
        len: u64,
    },
    Sparse(SparseExtent),
}

impl Opened {
    fn size(&self) -> u64 {
        match self {
            Opened::Flat { len, .. } => *len,
            Opened::Sparse(s) => s.size(),
        }
    }
}

fn open_sparse(file: Device, name: &str, head: &[u8]) -> Result<Opened> {
    if head.starts_with(VMDK3_MAGIC) {
        return Err(unsupported(name, "VMDK3 (COWD) sparse extent"));
    }
    if !head.starts_with(SPARSE_MAGIC) {
        return Err(corrupt(name, "sparse extent without the VMDK4 magic"));
    }
    Ok(Opened::Sparse(SparseExtent::open(file, name, head)?))
}

fn open_extent(e: &Extent, name: &str, files: &mut dyn Files) -> Result<Opened> {
    let file_name = Path::new(OsStr::from_bytes(&e.file));
    let extent_name = format!("{}: extent {}", name, file_name.display());
    match e.kind {
        ExtentKind::Flat { offset } => Ok(Opened::Flat {
            file: files.extent(file_name)?,
            start: offset.saturating_mul(SECTOR),
            len: e.sectors.saturating_mul(SECTOR),
        }),
        ExtentKind::Sparse => {
            let file = files.extent(file_name)?;
            let head = head(file.as_ref(), &extent_name)?;
            open_sparse(file, &extent_name, &head)
        }
        ExtentKind::SeSparse => Err(unsupported(&extent_name, "seSparse extent")),
    }
}

/// The disk: its extents one after the other, and the parent below the sparse ones.
struct Vmdk {
    /// Each extent with its first byte on the disk.
    extents: Vec<(u64, Opened)>,
    size: u64,
    parent: Option<Device>,
}

impl Vmdk {
    fn new(opened: Vec<Opened>, parent: Option<Device>) -> Vmdk {
        let mut extents = Vec::with_capacity(opened.len());
        let mut size = 0u64;
        for e in opened {
            let len = e.size();
            extents.push((size, e));
            size = size.saturating_add(len);
        }
        Vmdk {
            extents,
            size,
            parent,
        }
    }
}

impl BlockDevice for Vmdk {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size, offset, buf.len())?;
        let mut done = 0usize;
        // The extent holding `offset`: the last one starting at or before it.
        let mut i = self
            .extents
            .partition_point(|(start, _)| *start <= offset)
            .saturating_sub(1);
        while done < buf.len() {
            let pos = offset + done as u64;
            let Some((start, extent)) = self.extents.get(i) else {
                return Err(io::Error::other("VMDK read beyond its extents"));
            };
            let within = pos - start;
            let n = ((extent.size() - within) as usize).min(buf.len() - done);
            let part = &mut buf[done..done + n];
            match extent {
                Opened::Flat { file, start, .. } => {
                    read_or_zero(file.as_ref(), part, start + within)?
                }
                Opened::Sparse(s) => s.read(part, within, *start, self.parent.as_deref())?,
            }
            done += n;
            i += 1;
        }
        Ok(())
    }
}
