//! The structs calls return (generated from `api/structs.toml`) with their XDR layouts, and
//! helpers for reading them.

use crate::error::{Error, Result};
use crate::meta::{Field, FieldKind, StructFields, StructInfo};
use crate::xdr::{Xdr, XdrReader, XdrWriter};

/// Length of an LVM UUID on the wire (`opaque x[32]`).
const UUID_LEN: usize = 32;

fn uuid_field(r: &mut XdrReader) -> Result<String> {
    let b = r.fixed_opaque(UUID_LEN)?;
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    Ok(String::from_utf8_lossy(&b[..end]).into_owned())
}

/// rpcgen's `char`: a 4-byte int carrying one byte.
fn char_field(r: &mut XdrReader) -> Result<char> {
    let v = r.i32()?;
    u8::try_from(v as u32 & 0xff)
        .map(char::from)
        .map_err(|_| Error::new(libc::EIO, "XDR decoding failed: bad char"))
}

/// A percentage; negative means absent.
fn percent_field(r: &mut XdrReader) -> Result<Option<f32>> {
    let v = r.f32()?;
    Ok(if v >= 0.0 { Some(v) } else { None })
}

include!(concat!(env!("OUT_DIR"), "/structs.rs"));

/// File type bits of `st_mode`.
pub const S_IFMT: i64 = 0o170000;
pub const S_IFSOCK: i64 = 0o140000;
pub const S_IFLNK: i64 = 0o120000;
pub const S_IFREG: i64 = 0o100000;
pub const S_IFBLK: i64 = 0o060000;
pub const S_IFDIR: i64 = 0o040000;
pub const S_IFCHR: i64 = 0o020000;
pub const S_IFIFO: i64 = 0o010000;

impl StatNs {
    pub fn file_type(&self) -> i64 {
        self.st_mode & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.file_type() == S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == S_IFLNK
    }
}

/// Encodes a device number the way Linux (glibc `makedev`) does.
pub fn makedev(major: u64, minor: u64) -> i64 {
    (((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)) as i64
}

/// Splits a device number into (major, minor), the inverse of [`makedev`].
pub fn major_minor(dev: i64) -> (u64, u64) {
    let dev = dev as u64;
    let major = ((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffffff00) | (dev & 0xff);
    (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makedev_round_trips_like_glibc() {
        assert_eq!(makedev(8, 1), 0x801);
        assert_eq!(makedev(253, 0), 0xfd00);
        assert_eq!(major_minor(makedev(259, 300)), (259, 300));
    }

    #[test]
    fn lvm_uuids_travel_as_32_bytes() {
        let pv = LvmPv {
            pv_name: "/dev/sda1".into(),
            pv_uuid: "0123456789abcdef0123456789abcdef".into(),
            ..Default::default()
        };
        let mut w = XdrWriter::new();
        pv.encode(&mut w);
        // name: 4 + 12; uuid: 32 with no length word.
        assert_eq!(&w.buf[16..48], pv.pv_uuid.as_bytes());
        let back = LvmPv::decode(&mut XdrReader::new(&w.buf)).unwrap();
        assert_eq!(back, pv);
    }
}
