//! ISO 9660 images: the Primary Volume Descriptor read directly, as 1.48 reads it.

use guestfs_protocol::{Error, IsoInfo, Result};
use std::io::{Read, Seek, SeekFrom};

/// Where the Primary Volume Descriptor starts (sector 16 of 2048 bytes).
const PVD_OFFSET: u64 = 32768;
const PVD_SIZE: usize = 2048;

/// ISO "strA"/"strD" fields: trailing spaces dropped.
fn str_field(pvd: &[u8], at: usize, len: usize) -> String {
    let s = &pvd[at..at + len];
    let end = s.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
    String::from_utf8_lossy(&s[..end]).into_owned()
}

/// The little-endian half of ISO's both-endian integers.
fn le16(pvd: &[u8], at: usize) -> u32 {
    u16::from_le_bytes([pvd[at], pvd[at + 1]]) as u32
}

fn le32(pvd: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([pvd[at], pvd[at + 1], pvd[at + 2], pvd[at + 3]])
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// An ISO "dec-datetime" (17 bytes: YYYYMMDDHHMMSScc and a signed offset from GMT in 15
/// minute units) as a Unix time; all zeroes is -1 (not set).
fn datetime(pvd: &[u8], at: usize) -> Result<i64> {
    let s = &pvd[at..at + 17];
    if s[..16].iter().all(|&c| c == b'0') {
        return Ok(-1);
    }
    let num = |from: usize, len: usize| -> Result<i64> {
        std::str::from_utf8(&s[from..from + len])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| Error::msg("int_of_string"))
    };
    // mktime normalises out-of-range fields, which plain arithmetic does too.
    let (year, month) = (num(0, 4)?, num(4, 2)?);
    let days = days_from_civil(
        year + (month - 1).div_euclid(12),
        (month - 1).rem_euclid(12) + 1,
        1,
    ) + num(6, 2)?
        - 1;
    let t = days * 86400 + num(8, 2)? * 3600 + num(10, 2)? * 60 + num(12, 2)?;
    let tz = s[16] as i8 as i64;
    Ok(t - tz * 15 * 60)
}

/// The Primary Volume Descriptor of an open image or device named `name`.
fn read_pvd(f: &mut std::fs::File, name: &str) -> Result<IsoInfo> {
    let mut pvd = vec![0u8; PVD_SIZE];
    let mut got = 0;
    if f.seek(SeekFrom::Start(PVD_OFFSET)).is_ok() {
        while got < PVD_SIZE {
            match f.read(&mut pvd[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // OCaml's Unix.read names no file.
                Err(e) => return Err(crate::sys::io_error(&e, "read: ")),
            }
        }
    }
    if got != PVD_SIZE || pvd[0] != 1 || &pvd[1..6] != b"CD001" {
        return Err(Error::msg(format!("{}: not an ISO file or CD-ROM", name)));
    }
    Ok(IsoInfo {
        iso_system_id: str_field(&pvd, 8, 32),
        iso_volume_id: str_field(&pvd, 40, 32),
        iso_volume_space_size: le32(&pvd, 80),
        iso_volume_set_size: le16(&pvd, 120),
        iso_volume_sequence_number: le16(&pvd, 124),
        iso_logical_block_size: le16(&pvd, 128),
        iso_volume_set_id: str_field(&pvd, 190, 128),
        iso_publisher_id: str_field(&pvd, 318, 128),
        iso_data_preparer_id: str_field(&pvd, 446, 128),
        iso_application_id: str_field(&pvd, 574, 128),
        iso_copyright_file_id: str_field(&pvd, 702, 37),
        iso_abstract_file_id: str_field(&pvd, 739, 37),
        iso_bibliographic_file_id: str_field(&pvd, 776, 37),
        iso_volume_creation_t: datetime(&pvd, 813)?,
        iso_volume_modification_t: datetime(&pvd, 830)?,
        iso_volume_expiration_t: datetime(&pvd, 847)?,
        iso_volume_effective_t: datetime(&pvd, 864)?,
    })
}

/// isoinfo of `path`: a device, or a guest file opened inside the sysroot.
pub fn isoinfo(path: &str, sysroot: Option<&str>) -> Result<IsoInfo> {
    let mut f = {
        let _c = match sysroot {
            Some(s) => Some(crate::sys::Chroot::enter(s)?),
            None => None,
        };
        std::fs::File::open(path)
            .map_err(|e| crate::sys::io_error(&e, &format!("open: {}", path)))?
    };
    read_pvd(&mut f, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_utc_with_offset() {
        let mut pvd = vec![b'0'; 17];
        assert_eq!(datetime(&pvd, 0).unwrap(), -1);
        pvd[..16].copy_from_slice(b"2000010100000000");
        pvd[16] = 0;
        assert_eq!(datetime(&pvd, 0).unwrap(), 946684800);
        // GMT+1 (4 quarter hours): an hour earlier in UTC.
        pvd[16] = 4;
        assert_eq!(datetime(&pvd, 0).unwrap(), 946684800 - 3600);
        pvd[..16].copy_from_slice(b"2024022912345600");
        pvd[16] = 0;
        assert_eq!(datetime(&pvd, 0).unwrap(), 1709210096);
    }
}
