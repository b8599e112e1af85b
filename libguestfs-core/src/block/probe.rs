//! The image format qemu guesses for a file it is given without one (`qemu-img info`, a
//! `-drive` with no `format=`): every block driver that has a probe scores the first 2 KiB of
//! the file (zero-padded when the file is shorter), the highest score wins, and raw, scoring 1,
//! is what is left. An empty file is raw. libguestfs 1.48 leaves the guess to qemu, so the
//! same rules here name the same format, before qemu is started or without it.

use crate::bytes::Fixed;
use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// How many bytes of the file the probes see (qemu's `BLOCK_PROBE_BUF_SIZE`).
pub const PROBE_LEN: usize = 2048;

/// One block driver's probe: the driver's format name and its score for the bytes and file
/// name.
struct Probe {
    format: &'static str,
    score: fn(&[u8; PROBE_LEN], &[u8]) -> u32,
}

/// The probes, in no particular order: apart from raw's fallback, no two of them claim the
/// same bytes with the same score.
const PROBES: &[Probe] = &[
    Probe {
        format: "qcow2",
        score: |b, _| qcow_version(b).is_some_and(|v| v >= 2) as u32 * 100,
    },
    Probe {
        format: "qcow",
        score: |b, _| (qcow_version(b) == Some(1)) as u32 * 100,
    },
    Probe {
        format: "vmdk",
        score: |b, _| vmdk_score(b),
    },
    Probe {
        format: "vdi",
        score: |b, _| (Fixed::from(b).le32::<64>() == 0xbeda_107f) as u32 * 100,
    },
    Probe {
        format: "vpc",
        score: |b, _| b.starts_with(b"conectix") as u32 * 100,
    },
    Probe {
        format: "vhdx",
        score: |b, _| b.starts_with(b"vhdxfile") as u32 * 100,
    },
    Probe {
        format: "qed",
        score: |b, _| b.starts_with(b"QED\0") as u32 * 100,
    },
    Probe {
        format: "parallels",
        score: |b, _| {
            ((b.starts_with(b"WithoutFreeSpace") || b.starts_with(b"WithouFreSpacExt"))
                && Fixed::from(b).le32::<16>() == 2) as u32
                * 100
        },
    },
    Probe {
        format: "bochs",
        score: |b, _| bochs_score(b),
    },
    Probe {
        format: "cloop",
        score: |b, _| {
            b.starts_with(
                b"#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n",
            ) as u32
                * 2
        },
    },
    Probe {
        // The only probe that looks at the name rather than the bytes.
        format: "dmg",
        score: |_, name| (name.len() > 4 && name.ends_with(b".dmg")) as u32 * 2,
    },
    Probe {
        // LUKS version 1 only: qemu's luks driver does not read LUKS2.
        format: "luks",
        score: |b, _| {
            (b.starts_with(b"LUKS\xba\xbe") && Fixed::from(b).be16::<6>() == 1) as u32 * 100
        },
    },
];

/// The version of a qcow or qcow2 header (they share the magic).
fn qcow_version(b: &[u8; PROBE_LEN]) -> Option<u32> {
    b.starts_with(&super::qcow2::MAGIC)
        .then(|| Fixed::from(b).be32::<4>())
}

/// A VMDK: a sparse extent's magic (`KDMV`, or `COWD` for version 3), or a text descriptor
/// whose first line that is neither a comment nor blank is `version=1`, `2` or `3`.
fn vmdk_score(b: &[u8]) -> u32 {
    if b.starts_with(b"KDMV") || b.starts_with(b"COWD") {
        return 100;
    }
    let mut p = 0;
    while p < b.len() {
        match b[p] {
            b'#' => {
                p += b[p..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .unwrap_or(b.len() - p)
                    + 1;
            }
            b' ' => {
                while p < b.len() && b[p] == b' ' {
                    p += 1;
                }
                if p < b.len() && b[p] == b'\r' {
                    p += 1;
                }
                if p == b.len() || b[p] != b'\n' {
                    return 0;
                }
                p += 1;
            }
            _ => {
                let rest = &b[p..];
                let version_line = [b"version=1\n", b"version=2\n", b"version=3\n"]
                    .iter()
                    .any(|v| rest.starts_with(*v))
                    || [b"version=1\r\n", b"version=2\r\n", b"version=3\r\n"]
                        .iter()
                        .any(|v| rest.starts_with(*v));
                return version_line as u32 * 100;
            }
        }
    }
    0
}

/// A growing Bochs image (its header: magic[32], type[16], subtype[16], version), the C
/// strings compared as `strcmp` does.
fn bochs_score(b: &[u8; PROBE_LEN]) -> u32 {
    let cstr = |at: usize, len: usize| {
        let f = &b[at..at + len];
        &f[..f.iter().position(|&c| c == 0).unwrap_or(len)]
    };
    let version = Fixed::from(b).le32::<64>();
    (cstr(0, 32) == b"Bochs Virtual HD Image"
        && cstr(32, 16) == b"Redolog"
        && cstr(48, 16) == b"Growing"
        && (version == 0x0002_0000 || version == 0x0001_0000)) as u32
        * 100
}

/// The format qemu guesses for these first bytes of a file named `name` (a file shorter than
/// [`PROBE_LEN`] is given zero-padded).
pub fn probe_bytes(head: &[u8; PROBE_LEN], name: &[u8]) -> &'static str {
    let mut best = ("raw", 1);
    for p in PROBES {
        let score = (p.score)(head, name);
        if score > best.1 {
            best = (p.format, score);
        }
    }
    best.0
}

/// The format qemu guesses for the file at `path`.
pub fn probe_file(path: &Path) -> Result<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let fail = |e: std::io::Error| Error::from(e).context(&path.display().to_string());
    let mut f = std::fs::File::open(path).map_err(fail)?;
    let mut head = [0u8; PROBE_LEN];
    let mut got = 0;
    while got < PROBE_LEN {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    if got == 0 {
        return Ok("raw");
    }
    Ok(probe_bytes(&head, path.as_os_str().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(prefix: &[u8]) -> [u8; PROBE_LEN] {
        let mut h = [0u8; PROBE_LEN];
        h[..prefix.len()].copy_from_slice(prefix);
        h
    }

    #[test]
    fn vmdk_descriptors_need_a_version_line_first() {
        let ok = head(b"# Disk DescriptorFile\n   \r\nversion=1\nCID=fffffffe\n");
        assert_eq!(probe_bytes(&ok, b"d.vmdk"), "vmdk");
        let crlf = head(b"# Disk DescriptorFile\r\nversion=3\r\n");
        assert_eq!(probe_bytes(&crlf, b"d.vmdk"), "vmdk");
        let late = head(b"# Disk DescriptorFile\nCID=fffffffe\nversion=1\n");
        assert_eq!(probe_bytes(&late, b"d.vmdk"), "raw");
        let indented = head(b"  version=1\n");
        assert_eq!(probe_bytes(&indented, b"d.vmdk"), "raw");
    }

    #[test]
    fn qcow_versions_and_names() {
        assert_eq!(probe_bytes(&head(b"QFI\xfb\0\0\0\x03"), b"x"), "qcow2");
        assert_eq!(probe_bytes(&head(b"QFI\xfb\0\0\0\x01"), b"x"), "qcow");
        assert_eq!(probe_bytes(&head(b"QFI\xfb\0\0\0\0"), b"x"), "raw");
        assert_eq!(probe_bytes(&head(b""), b"x.dmg"), "dmg");
        assert_eq!(probe_bytes(&head(b""), b".dmg"), "raw");
        assert_eq!(probe_bytes(&head(b"LUKS\xba\xbe\0\x01"), b"x"), "luks");
        assert_eq!(probe_bytes(&head(b"LUKS\xba\xbe\0\x02"), b"x"), "raw");
    }
}
