//! Extended attributes (`struct ext4_xattr_entry`), stored after the inode's extra fields
//! and in one external block (`struct ext4_xattr_header`), with the name-index prefixes the
//! kernel lists and the on-disk POSIX ACL format converted to the one `getxattr` returns.

use crate::bytes::{try_le16, try_le32, try_slice, Fixed};
use crate::error::{Error, Result};

pub const XATTR_MAGIC: u32 = 0xea02_0000;
/// Size of the external block's header; entries follow it.
pub const BLOCK_HEADER_SIZE: usize = 32;
const ENTRY_HEADER_SIZE: usize = 16;
/// `EXT4_XATTR_SIZE_MAX`: the largest value the kernel accepts on disk.
const XATTR_SIZE_MAX_DISK: u32 = 1 << 24;
/// The largest value `getxattr(2)` returns (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: u64 = 65536;

const INDEX_USER: u8 = 1;
const INDEX_POSIX_ACL_ACCESS: u8 = 2;
const INDEX_POSIX_ACL_DEFAULT: u8 = 3;
const INDEX_TRUSTED: u8 = 4;
const INDEX_SECURITY: u8 = 6;
const INDEX_SYSTEM: u8 = 7;
const INDEX_HURD: u8 = 10;

/// Where an attribute's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Bytes `[offset, offset+len)` of the buffer the entry was parsed from.
    Here { offset: usize, len: usize },
    /// The data of an EA inode (ea_inode feature).
    Inode { ino: u64, len: u64 },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub index: u8,
    pub name: Vec<u8>,
    pub value: Value,
}

fn corrupt(msg: &str) -> Error {
    Error::corrupt(format!("ext4: corrupt extended attributes: {}", msg))
}

fn entry_len(name_len: usize) -> usize {
    (name_len + ENTRY_HEADER_SIZE + 3) & !3
}

/// Parses and checks (like `check_xattrs`) the entries of an xattr area of `buf`: entries
/// begin at `first`, value offsets count from `value_base`, the area ends at the end of `buf`.
pub fn parse_entries(
    buf: &[u8],
    first: usize,
    value_base: usize,
    inodes_count: u64,
) -> Result<Vec<Entry>> {
    let end = buf.len();
    // Names: the list ends with a zero word.
    let mut names = Vec::new();
    let mut e = first;
    while let Some(first_word @ 1..) = try_le32(buf, e) {
        let name_len = (first_word & 0xff) as usize;
        let next = e + entry_len(name_len);
        let (Some(header), Some(name)) = (
            Fixed::<ENTRY_HEADER_SIZE>::at(buf, e),
            try_slice(buf, e + ENTRY_HEADER_SIZE, name_len),
        ) else {
            return Err(corrupt("e_name out of bounds"));
        };
        if next >= end {
            return Err(corrupt("e_name out of bounds"));
        }
        if name.contains(&0) {
            return Err(corrupt("bad e_name length"));
        }
        names.push((header, name));
        e = next;
    }
    let names_end = e + 4;
    let mut out = Vec::with_capacity(names.len());
    for (header, name) in names {
        let index = header.u8::<1>();
        let offs = usize::from(header.le16::<2>());
        let inum = header.le32::<4>();
        let size = header.le32::<8>();
        if size > XATTR_SIZE_MAX_DISK {
            return Err(corrupt("e_value size too large"));
        }
        let value = if inum != 0 {
            if inum == 2 || u64::from(inum) > inodes_count {
                return Err(corrupt("invalid ea_ino"));
            }
            Value::Inode {
                ino: u64::from(inum),
                len: u64::from(size),
            }
        } else if size == 0 {
            Value::Here { offset: 0, len: 0 }
        } else {
            let size = size as usize;
            let start = value_base
                .checked_add(offs)
                .filter(|&v| v <= end)
                .ok_or_else(|| corrupt("e_value out of bounds"))?;
            let padded = (size + 3) & !3;
            if start < names_end || size > end - start || padded > end - start {
                return Err(corrupt("overlapping e_value"));
            }
            Value::Here {
                offset: start,
                len: size,
            }
        };
        let name = name.to_vec();
        out.push(Entry { index, name, value });
    }
    Ok(out)
}

/// The `system.data` attribute of an inline-data inode (`ext4_find_inline_data_nolock`):
/// where its value lies in the raw inode. `start` is the first entry after the magic.
pub fn find_inline_data(raw: &[u8], start: usize) -> Result<Option<(usize, usize)>> {
    // Inode numbers do not matter here: system.data never lives in an EA inode.
    for e in parse_entries(raw, start, start, u64::MAX)? {
        if e.index == INDEX_SYSTEM && e.name == b"data" {
            return match e.value {
                Value::Here { offset, len } => Ok(Some((offset, len))),
                Value::Inode { .. } => Err(corrupt("inline data in an EA inode")),
            };
        }
    }
    Ok(None)
}

/// The full name `listxattr(2)` shows for an entry, or None for entries the kernel hides
/// (`system.data`, Lustre, richacl, encryption context).
pub fn full_name(index: u8, name: &[u8]) -> Option<Vec<u8>> {
    let prefix: &[u8] = match index {
        INDEX_USER => b"user.",
        INDEX_POSIX_ACL_ACCESS => b"system.posix_acl_access",
        INDEX_POSIX_ACL_DEFAULT => b"system.posix_acl_default",
        INDEX_TRUSTED => b"trusted.",
        INDEX_SECURITY => b"security.",
        INDEX_HURD => b"gnu.",
        _ => return None,
    };
    let mut full = prefix.to_vec();
    if index != INDEX_POSIX_ACL_ACCESS && index != INDEX_POSIX_ACL_DEFAULT {
        full.extend_from_slice(name);
    }
    Some(full)
}

/// Whether an entry's value is a POSIX ACL in ext4's compact on-disk format.
pub fn is_acl(index: u8) -> bool {
    index == INDEX_POSIX_ACL_ACCESS || index == INDEX_POSIX_ACL_DEFAULT
}

const ACL_USER_OBJ: u16 = 0x01;
const ACL_USER: u16 = 0x02;
const ACL_GROUP_OBJ: u16 = 0x04;
const ACL_GROUP: u16 = 0x08;
const ACL_MASK: u16 = 0x10;
const ACL_OTHER: u16 = 0x20;

/// Converts ext4's on-disk ACL (`ext4_acl_from_disk`) to the `posix_acl_xattr` bytes
/// `getxattr` returns. None for an empty ACL (which `getxattr` does not return).
pub fn acl_to_xattr(disk: &[u8]) -> Result<Option<Vec<u8>>> {
    let invalid = || Error::new(libc::EINVAL, "ext4: invalid POSIX ACL");
    if try_le32(disk, 0) != Some(1) {
        return Err(invalid());
    }
    let size = disk.len() - 4;
    // ext4_acl_count: up to four short (4-byte) entries, the rest 8-byte ones.
    let count = if size < 16 {
        if !size.is_multiple_of(4) {
            return Err(invalid());
        }
        size / 4
    } else {
        if !(size - 16).is_multiple_of(8) {
            return Err(invalid());
        }
        (size - 16) / 8 + 4
    };
    if count == 0 {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(4 + count * 8);
    out.extend_from_slice(&2u32.to_le_bytes());
    let mut off = 4;
    for _ in 0..count {
        let (Some(tag), Some(perm)) = (try_le16(disk, off), try_le16(disk, off + 2)) else {
            return Err(invalid());
        };
        let id = match tag {
            ACL_USER_OBJ | ACL_GROUP_OBJ | ACL_MASK | ACL_OTHER => {
                off += 4;
                u32::MAX
            }
            ACL_USER | ACL_GROUP => {
                let id = try_le32(disk, off + 4).ok_or_else(invalid)?;
                off += 8;
                id
            }
            _ => return Err(invalid()),
        };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&perm.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_conversion() {
        let mut disk = 1u32.to_le_bytes().to_vec();
        disk.extend_from_slice(&ACL_USER_OBJ.to_le_bytes());
        disk.extend_from_slice(&6u16.to_le_bytes());
        disk.extend_from_slice(&ACL_USER.to_le_bytes());
        disk.extend_from_slice(&4u16.to_le_bytes());
        disk.extend_from_slice(&1000u32.to_le_bytes());
        for (tag, perm) in [(ACL_GROUP_OBJ, 4u16), (ACL_MASK, 4), (ACL_OTHER, 4)] {
            disk.extend_from_slice(&tag.to_le_bytes());
            disk.extend_from_slice(&perm.to_le_bytes());
        }
        let x = acl_to_xattr(&disk).unwrap().unwrap();
        assert_eq!(x.len(), 4 + 5 * 8);
        assert_eq!(&x[12..20], &[2, 0, 4, 0, 0xe8, 3, 0, 0]);
        assert_eq!(&x[4..12], &[1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(acl_to_xattr(&[2, 0, 0, 0]).is_err());
        assert_eq!(acl_to_xattr(&[1, 0, 0, 0]).unwrap(), None);
    }

    #[test]
    fn entries_out_of_bounds_are_errors() {
        let mut b = vec![0u8; 64];
        b[0] = 4; // name_len
        b[1] = 1;
        b[2..4].copy_from_slice(&60u16.to_le_bytes()); // value at 60
        b[8..12].copy_from_slice(&8u32.to_le_bytes()); // 8 bytes: past the end
        b[16..20].copy_from_slice(b"name");
        assert!(parse_entries(&b, 0, 0, 100).is_err());
        b[8..12].copy_from_slice(&4u32.to_le_bytes());
        let e = parse_entries(&b, 0, 0, 100).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].value, Value::Here { offset: 60, len: 4 });
    }
}
