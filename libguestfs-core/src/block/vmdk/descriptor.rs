//! The text descriptor of a VMDK image: its create type, its extent lines and its parent,
//! read the way qemu reads them (an extent line is `sscanf`'d as
//! `ACCESS SECTORS TYPE "FILE" [OFFSET]`).

use super::{corrupt, unsupported};
use crate::block::external;
use crate::block::qcow2::BackingFile;
use crate::error::Result;

/// The create types qemu opens as a descriptor.
const CREATE_TYPES: &[&[u8]] = &[
    b"monolithicFlat",
    b"vmfs",
    b"vmfsSparse",
    b"seSparse",
    b"twoGbMaxExtentSparse",
    b"twoGbMaxExtentFlat",
];

/// One extent line that qemu opens.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Extent {
    pub sectors: u64,
    pub kind: ExtentKind,
    /// The file name, as written.
    pub file: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum ExtentKind {
    /// FLAT or VMFS: the bytes of the file from this sector.
    Flat {
        offset: u64,
    },
    /// SPARSE or VMFSSPARSE: a sparse extent file.
    Sparse,
    SeSparse,
}

/// What `sscanf("%10s %ld %10s \"%511[^\n\r\"]\" %ld")` makes of a line: the conversions that
/// matched, in order.
#[derive(Default)]
struct Scanned<'a> {
    access: Option<&'a [u8]>,
    sectors: Option<i64>,
    kind: Option<&'a [u8]>,
    file: Option<&'a [u8]>,
    offset: Option<i64>,
}

impl Scanned<'_> {
    fn matches(&self) -> usize {
        [
            self.access.is_some(),
            self.sectors.is_some(),
            self.kind.is_some(),
            self.file.is_some(),
            self.offset.is_some(),
        ]
        .iter()
        .take_while(|&&m| m)
        .count()
    }
}

fn skip_space(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &s[n..]
}

/// `%10s`: up to 10 non-space bytes, after skipping space.
fn word(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = skip_space(s);
    let n = s
        .iter()
        .take(10)
        .take_while(|c| !c.is_ascii_whitespace())
        .count();
    (n > 0).then(|| s.split_at(n))
}

/// `%ld`: an optionally signed decimal, after skipping space.
fn number(s: &[u8]) -> Option<(i64, &[u8])> {
    let s = skip_space(s);
    let sign = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let digits = s[sign..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let text = std::str::from_utf8(&s[..sign + digits]).ok()?;
    // Out of range saturates, as strtol does.
    let v = text
        .parse::<i64>()
        .unwrap_or(if s[0] == b'-' { i64::MIN } else { i64::MAX });
    Some((v, &s[sign + digits..]))
}

fn scan(line: &[u8]) -> Scanned<'_> {
    let mut out = Scanned::default();
    let Some((access, rest)) = word(line) else {
        return out;
    };
    out.access = Some(access);
    let Some((sectors, rest)) = number(rest) else {
        return out;
    };
    out.sectors = Some(sectors);
    let Some((kind, rest)) = word(rest) else {
        return out;
    };
    out.kind = Some(kind);
    let Some(rest) = skip_space(rest).strip_prefix(b"\"") else {
        return out;
    };
    let n = rest
        .iter()
        .take(511)
        .take_while(|&&c| c != b'\n' && c != b'\r' && c != b'"')
        .count();
    if n == 0 {
        return out;
    }
    out.file = Some(&rest[..n]);
    let Some(rest) = rest[n..].strip_prefix(b"\"") else {
        return out;
    };
    out.offset = number(rest).map(|(v, _)| v);
    out
}

/// The value of `key="VALUE"` found anywhere in the descriptor (qemu's `strstr`).
fn quoted_value<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = text.windows(key.len()).position(|w| w == key)?;
    let value = text.get(at + key.len() + 2..)?;
    let end = value.iter().position(|&c| c == b'"')?;
    Some(&value[..end])
}

/// The extents qemu opens, in order. `name` identifies the image in errors.
pub(super) fn parse(text: &[u8], name: &str) -> Result<Vec<Extent>> {
    let Some(create_type) = quoted_value(text, b"createType") else {
        return Err(corrupt(name, "invalid descriptor (no createType)"));
    };
    if create_type.len() >= 128 || !CREATE_TYPES.contains(&create_type) {
        return Err(unsupported(
            name,
            format_args!("VMDK image type '{}'", String::from_utf8_lossy(create_type)),
        ));
    }
    let mut extents = Vec::new();
    for line in text.split(|&c| c == b'\n') {
        let s = scan(line);
        let matches = s.matches();
        let (Some(access), Some(sectors), Some(kind), Some(file)) =
            (s.access, s.sectors, s.kind, s.file)
        else {
            continue;
        };
        if access != b"RW" {
            continue;
        }
        let invalid = || {
            corrupt(
                name,
                format_args!(
                    "invalid extent line: {}",
                    String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line))
                ),
            )
        };
        let kind = match kind {
            b"FLAT" => match s.offset {
                Some(o) if matches == 5 && o >= 0 => ExtentKind::Flat { offset: o as u64 },
                _ => return Err(invalid()),
            },
            b"VMFS" if matches == 4 => ExtentKind::Flat { offset: 0 },
            b"VMFS" => return Err(invalid()),
            _ if matches != 4 => return Err(invalid()),
            b"SPARSE" | b"VMFSSPARSE" => ExtentKind::Sparse,
            b"SESPARSE" => ExtentKind::SeSparse,
            _ => continue,
        };
        if sectors <= 0 {
            continue;
        }
        extents.push(Extent {
            sectors: sectors as u64,
            kind,
            file: file.to_vec(),
        });
    }
    Ok(extents)
}

/// The parent the descriptor names.
pub(super) fn parent(text: &[u8]) -> Option<BackingFile> {
    external::named_in("vmdk", text).backing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_lines_are_read_as_qemu_reads_them() {
        let text = b"# Disk DescriptorFile\nversion=1\ncreateType=\"twoGbMaxExtentFlat\"\n\
            RW 2048 FLAT \"a-f001.vmdk\" 0\r\n\
            RDONLY 2048 FLAT \"skipped.vmdk\" 0\n\
            RW 2048 ZERO\n\
            RW 0 FLAT \"empty.vmdk\" 0\n\
            RW 100 SPARSE \"s.vmdk\"\n\
            RW 10 VMFS \"v.vmdk\"\n\
            RW 10 WEIRD \"w.vmdk\"\n";
        let extents = parse(text, "d").unwrap();
        assert_eq!(
            extents,
            [
                Extent {
                    sectors: 2048,
                    kind: ExtentKind::Flat { offset: 0 },
                    file: b"a-f001.vmdk".to_vec()
                },
                Extent {
                    sectors: 100,
                    kind: ExtentKind::Sparse,
                    file: b"s.vmdk".to_vec()
                },
                Extent {
                    sectors: 10,
                    kind: ExtentKind::Flat { offset: 0 },
                    file: b"v.vmdk".to_vec()
                },
            ]
        );
    }

    #[test]
    fn malformed_lines_and_types_are_refused() {
        let flat_without_offset = b"createType=\"monolithicFlat\"\nRW 2048 FLAT \"a.vmdk\"\n";
        let e = parse(flat_without_offset, "d").unwrap_err();
        assert_eq!(
            e.message,
            "d: corrupt VMDK image: invalid extent line: RW 2048 FLAT \"a.vmdk\""
        );
        let sparse_with_offset = b"createType=\"monolithicFlat\"\nRW 2048 SPARSE \"a.vmdk\" 7\n";
        assert!(parse(sparse_with_offset, "d").is_err());
        let e = parse(b"createType=\"streamOptimized\"\n", "d").unwrap_err();
        assert_eq!(e.errno, libc::ENOTSUP);
        assert!(parse(b"version=1\n", "d").is_err());
    }
}
