//! The files an image makes qemu open besides itself: a qcow2 image's backing file and
//! external data file, a VMDK descriptor's extents and parent, a QED image's backing file.
//! qemu opens whatever they name (a device, a FIFO, `/proc/self/…`), so a hostile image
//! could make it read a host file into the guest's view; each is checked first, as the native
//! reader checks backing files ([`qcow2::safe_file`]), and chains are bounded as there.

use super::qcow2::{self, BackingFile, Header, MAX_CHAIN_LENGTH};
use super::raw::RawImage;
use crate::bytes::Fixed;
use crate::error::Result;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The longest VMDK descriptor read: qemu refuses descriptors over 1 MiB too.
const MAX_DESCRIPTOR: u64 = 1 << 20;

/// What one image names.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Named {
    /// Files qemu opens as parts of the image itself (data files, extents), with what they are.
    pub parts: Vec<(&'static str, PathBuf)>,
    /// The image it is layered over, and that image's format when it names it.
    pub backing: Option<BackingFile>,
}

/// What the first bytes of a VMDK or QED image name (nothing for other formats; qcow2
/// headers are read by [`qcow2::Header`]). `head` holds the first MiB at most.
pub fn named_in(format: &str, head: &[u8]) -> Named {
    match format {
        "vmdk" => vmdk_named(head),
        "qed" => qed_named(head),
        _ => Named::default(),
    }
}

/// Checks every file the image at `path`, in `format` (qemu's name), makes qemu open, and
/// the images below it, before qemu is given it.
pub fn check_named_files(path: &Path, format: &str) -> Result<()> {
    let mut chain: Vec<PathBuf> = Vec::new();
    let mut current = path.to_path_buf();
    let mut format = format.to_string();
    loop {
        let name = current.display().to_string();
        let id = std::fs::canonicalize(&current).unwrap_or_else(|_| current.clone());
        if chain.len() >= MAX_CHAIN_LENGTH {
            return Err(qcow2::chain_too_long(&name));
        }
        if chain.contains(&id) {
            return Err(qcow2::chain_loops(&name));
        }
        chain.push(id);
        let named = match format.as_str() {
            "qcow2" => qcow2_named(&current, &name)?,
            "vmdk" | "qed" => named_in(&format, &read_head(&current, MAX_DESCRIPTOR)?),
            _ => return Ok(()),
        };
        for (what, part) in &named.parts {
            qcow2::safe_file(&current, &name, what, part)?;
        }
        let Some(b) = named.backing else {
            return Ok(());
        };
        let (next, next_format) = qcow2::backing_target(&current, &name, &b)?;
        current = next;
        format = next_format;
    }
}

fn read_head(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut head)?;
    Ok(head)
}

fn qcow2_named(path: &Path, name: &str) -> Result<Named> {
    let header = Header::parse(&RawImage::open(path)?, name)?;
    Ok(Named {
        parts: header
            .data_file
            .iter()
            .map(|f| ("data file", PathBuf::from(OsStr::from_bytes(f))))
            .collect(),
        backing: header.backing_file.as_ref().map(|raw| BackingFile {
            name: PathBuf::from(OsStr::from_bytes(raw)),
            format: header.backing_format.clone(),
        }),
    })
}

/// A VMDK: a text descriptor names its extents and its parent (`parentFileNameHint`); a
/// sparse extent (`KDMV`) carries an embedded descriptor whose parent qemu follows (its
/// extent is the file itself).
fn vmdk_named(head: &[u8]) -> Named {
    if head.starts_with(b"KDMV") {
        // The sparse header's descriptor offset and size, in sectors (a file cut short
        // within the header has none).
        let descriptor = Fixed::<44>::new(head).and_then(|header| {
            let (offset, size) = (header.le64::<28>(), header.le64::<36>());
            let start = usize::try_from(offset.saturating_mul(512)).ok()?;
            let end = usize::try_from(offset.saturating_add(size).saturating_mul(512))
                .unwrap_or(usize::MAX)
                .min(head.len());
            head.get(start..end)
        });
        return Named {
            parts: Vec::new(),
            backing: parent_hint(descriptor.unwrap_or_default()),
        };
    }
    if head.starts_with(b"COWD") {
        return Named::default();
    }
    Named {
        parts: head
            .split(|&c| c == b'\n')
            .filter_map(extent_file)
            .map(|f| ("extent", f))
            .collect(),
        backing: parent_hint(head),
    }
}

/// The file of an extent line, `ACCESS SECTORS TYPE "FILE" [OFFSET]` (qemu's
/// vmdk_parse_extents); ZERO extents have none.
fn extent_file(line: &[u8]) -> Option<PathBuf> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut words = line
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|w| !w.is_empty());
    let access = words.next()?;
    if ![&b"RW"[..], b"RDONLY", b"NOACCESS"].contains(&access) {
        return None;
    }
    words.next()?.iter().all(u8::is_ascii_digit).then_some(())?;
    if words.next()? == b"ZERO" {
        return None;
    }
    let open = line.iter().position(|&c| c == b'"')?;
    let len = line[open + 1..].iter().position(|&c| c == b'"')?;
    Some(PathBuf::from(OsStr::from_bytes(
        &line[open + 1..open + 1 + len],
    )))
}

/// `parentFileNameHint="FILE"`: the parent of a delta link, in a format qemu probes.
fn parent_hint(descriptor: &[u8]) -> Option<BackingFile> {
    descriptor.split(|&c| c == b'\n').find_map(|line| {
        let value = line.trim_ascii().strip_prefix(b"parentFileNameHint")?;
        let value = value.trim_ascii_start().strip_prefix(b"=")?.trim_ascii();
        let value = value.strip_prefix(b"\"")?;
        let end = value.iter().position(|&c| c == b'"')?;
        Some(BackingFile {
            name: PathBuf::from(OsStr::from_bytes(&value[..end])),
            format: None,
        })
    })
}

/// A QED image's backing file (header feature bit 0), and whether its format is raw (bit 2,
/// "no probe").
fn qed_named(head: &[u8]) -> Named {
    const BACKING_FILE: u64 = 1;
    const BACKING_FORMAT_NO_PROBE: u64 = 4;
    let Some(header) = Fixed::<64>::new(head).filter(|_| head.starts_with(b"QED\0")) else {
        return Named::default();
    };
    let features = header.le64::<16>();
    if features & BACKING_FILE == 0 {
        return Named::default();
    }
    let (offset, size) = (header.le32::<56>() as usize, header.le32::<60>() as usize);
    let Some(name) = head.get(offset..offset.saturating_add(size)) else {
        return Named::default();
    };
    Named {
        parts: Vec::new(),
        backing: Some(BackingFile {
            name: PathBuf::from(OsStr::from_bytes(name)),
            format: (features & BACKING_FORMAT_NO_PROBE != 0).then(|| "raw".to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmdk_descriptors_name_their_extents_and_parent() {
        let descriptor = b"# Disk DescriptorFile\nversion=1\nCID=fffffffe\n\
            parentCID=ffffffff\nparentFileNameHint=\"base.vmdk\"\ncreateType=\"twoGbMaxExtentFlat\"\n\
            RW 2048 FLAT \"disk-f001.vmdk\" 0\r\nRDONLY 2048 SPARSE \"/dev/sda\"\n\
            RW 2048 ZERO\nRW x FLAT \"not-an-extent\"\n";
        let named = vmdk_named(descriptor);
        assert_eq!(
            named.parts,
            [
                ("extent", PathBuf::from("disk-f001.vmdk")),
                ("extent", PathBuf::from("/dev/sda"))
            ]
        );
        assert_eq!(named.backing.unwrap().name, PathBuf::from("base.vmdk"));
    }

    #[test]
    fn sparse_vmdks_name_only_a_parent_and_hostile_offsets_are_ignored() {
        let mut head = vec![0u8; 1024];
        head[..4].copy_from_slice(b"KDMV");
        head[28..36].copy_from_slice(&1u64.to_le_bytes());
        head[36..44].copy_from_slice(&1u64.to_le_bytes());
        let text = b"parentFileNameHint=\"/proc/self/fd/0\"\n";
        head[512..512 + text.len()].copy_from_slice(text);
        assert_eq!(
            vmdk_named(&head).backing.unwrap().name,
            PathBuf::from("/proc/self/fd/0")
        );
        head[28..36].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(vmdk_named(&head), Named::default());
    }

    #[test]
    fn qed_backing_files_and_their_format() {
        let mut head = vec![0u8; 200];
        head[..4].copy_from_slice(b"QED\0");
        head[16..24].copy_from_slice(&5u64.to_le_bytes());
        head[56..60].copy_from_slice(&100u32.to_le_bytes());
        head[60..64].copy_from_slice(&8u32.to_le_bytes());
        head[100..108].copy_from_slice(b"base.raw");
        let b = qed_named(&head).backing.unwrap();
        assert_eq!(
            (b.name, b.format),
            (PathBuf::from("base.raw"), Some("raw".into()))
        );
        head[60..64].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(qed_named(&head), Named::default());
    }
}
