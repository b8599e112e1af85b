//! The LVM2 physical volume label: a `label_header` ("LABELONE") in one of the first four
//! 512-byte sectors of the device, followed in the same sector by the `pv_header` (PV UUID,
//! device size, the lists of data areas and metadata areas) and, since LVM 2.02.116, the
//! `pv_header_extension`.

use crate::block::BlockDevice;
use crate::bytes::{try_le32, try_le64, Fixed};
use crate::error::{Error, Result};

/// LVM's unit for on-disk offsets in the label and metadata: 512 bytes, whatever the device's
/// logical sector size.
pub const SECTOR_SIZE: u64 = 512;

/// The label is looked for in sectors 0..LABEL_SCAN_SECTORS.
pub const LABEL_SCAN_SECTORS: u64 = 4;

/// `label_header.id`.
pub const LABEL_ID: &[u8; 8] = b"LABELONE";

/// `label_header.type` of the LVM2 text format.
pub const LVM2_LABEL_TYPE: &[u8; 8] = b"LVM2 001";

/// Size of `label_header`.
const LABEL_HEADER_SIZE: usize = 32;

/// Offset of `label_header.offset_xl`: the label CRC covers the sector from here to its end.
const LABEL_CRC_START: usize = 20;

/// Length of a PV or VG UUID without dashes (`ID_LEN`).
pub const ID_LEN: usize = 32;

/// `INITIAL_CRC` of LVM's `calc_crc`.
pub const INITIAL_CRC: u32 = 0xf597_a6cf;

/// `pv_header_extension.flags`: the PV belongs to a VG (set by vgcreate/vgextend).
pub const PV_EXT_USED: u32 = 1;

/// LVM's checksum (`calc_crc`): the reflected CRC-32 of polynomial 0xEDB88320 run from
/// `initial`, without the final inversion of zlib's CRC-32. Chaining calls continues a sum.
pub fn calc_crc(initial: u32, data: &[u8]) -> u32 {
    // crc32fast keeps the zlib convention (invert on entry and on exit); invert around it to get
    // the raw register LVM uses.
    let mut h = crc32fast::Hasher::new_with_initial(!initial);
    h.update(data);
    !h.finalize()
}

/// `disk_locn`: an area of the device, in bytes from its start. A data area's size 0 means
/// "to the end of the device".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLocn {
    pub offset: u64,
    pub size: u64,
}

/// A PV label as found on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvLabel {
    /// The sector (0..4) holding the label.
    pub sector: u64,
    /// `pv_header.pv_uuid`: 32 characters, no dashes.
    pub pv_uuid: String,
    /// `pv_header.device_size_xl`, in bytes.
    pub device_size: u64,
    /// `pv_header.disk_areas_xl`, the first list: data areas (normally one, at pe_start).
    pub data_areas: Vec<DiskLocn>,
    /// The second list: metadata areas (0, 1 or 2).
    pub metadata_areas: Vec<DiskLocn>,
    /// `pv_header_extension.version` (0 when the label predates the extension).
    pub ext_version: u32,
    /// `pv_header_extension.flags` ([`PV_EXT_USED`]).
    pub ext_flags: u32,
}

/// Whether `c` may appear in an LVM UUID.
fn is_uuid_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'!' || c == b'#'
}

/// Checks a 32-character UUID as stored in the label, returning it as a string.
pub fn parse_raw_uuid(raw: &[u8]) -> Option<String> {
    if raw.len() != ID_LEN || !raw.iter().all(|&c| is_uuid_char(c)) {
        return None;
    }
    Some(raw.iter().map(|&c| c as char).collect())
}

/// A UUID as written in the text metadata (with or without dashes) → its 32 characters.
pub fn undash_uuid(text: &str) -> Option<String> {
    let raw: Vec<u8> = text.bytes().filter(|&c| c != b'-').collect();
    parse_raw_uuid(&raw)
}

/// 32 UUID characters → LVM's printed form `xxxxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxxxx`.
pub fn dash_uuid(raw: &str) -> String {
    const GROUPS: [usize; 7] = [6, 4, 4, 4, 4, 4, 6];
    let mut out = String::with_capacity(raw.len() + GROUPS.len());
    let mut chars = raw.chars();
    for (i, &n) in GROUPS.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        out.extend(chars.by_ref().take(n));
    }
    out.extend(chars);
    out
}

/// Parses one `disk_locn` list starting at `*pos`, up to its terminating entry (offset 0).
/// Returns None when the list runs off the sector.
fn parse_locn_list(sector: &[u8], pos: &mut usize) -> Option<Vec<DiskLocn>> {
    let mut list = Vec::new();
    loop {
        let offset = try_le64(sector, *pos)?;
        let size = try_le64(sector, pos.checked_add(8)?)?;
        *pos = pos.checked_add(16)?;
        if offset == 0 {
            return Some(list);
        }
        list.push(DiskLocn { offset, size });
    }
}

/// Parses the label in `sector` (512 bytes), which was read from sector number `sector_no`.
/// Ok(None): no "LABELONE" there. Err: a label that LVM would reject (wrong CRC, wrong sector
/// number, unknown type, malformed PV header).
pub fn parse_label_sector(sector: &[u8], sector_no: u64) -> Result<Option<PvLabel>> {
    let header = match Fixed::<LABEL_HEADER_SIZE>::new(sector) {
        Some(h) if sector.len() == SECTOR_SIZE as usize => h,
        _ => return Err(Error::corrupt("LVM label: short sector")),
    };
    if header.array::<0, 8>() != *LABEL_ID {
        return Ok(None);
    }
    let bad = |what: &str| Error::corrupt(format!("LVM label at sector {}: {}", sector_no, what));
    let sector_xl = header.le64::<8>();
    let crc_xl = header.le32::<16>();
    let offset_xl = header.le32::<20>();
    if sector_xl != sector_no {
        return Err(bad(&format!("label claims to be at sector {}", sector_xl)));
    }
    let crc = calc_crc(
        INITIAL_CRC,
        sector.get(LABEL_CRC_START..).unwrap_or_default(),
    );
    if crc != crc_xl {
        return Err(bad(&format!(
            "checksum mismatch (stored {:#010x}, computed {:#010x})",
            crc_xl, crc
        )));
    }
    if header.array::<24, 8>() != *LVM2_LABEL_TYPE {
        return Err(bad("not an LVM2 text-format label"));
    }
    let mut pos = offset_xl as usize;
    if pos < LABEL_HEADER_SIZE {
        return Err(bad("PV header overlaps the label header"));
    }
    let uuid_raw = sector
        .get(pos..pos.saturating_add(ID_LEN))
        .ok_or_else(|| bad("PV header outside the sector"))?;
    let pv_uuid = parse_raw_uuid(uuid_raw).ok_or_else(|| bad("invalid PV UUID"))?;
    pos += ID_LEN;
    let device_size = try_le64(sector, pos).ok_or_else(|| bad("PV header outside the sector"))?;
    pos += 8;
    let data_areas = parse_locn_list(sector, &mut pos)
        .ok_or_else(|| bad("data area list runs off the sector"))?;
    let metadata_areas = parse_locn_list(sector, &mut pos)
        .ok_or_else(|| bad("metadata area list runs off the sector"))?;
    // The extension is optional: old labels end with the metadata list.
    let (ext_version, ext_flags) = match (
        try_le32(sector, pos),
        try_le32(sector, pos.saturating_add(4)),
    ) {
        (Some(v), Some(f)) if v != 0 => (v, f),
        _ => (0, 0),
    };
    Ok(Some(PvLabel {
        sector: sector_no,
        pv_uuid,
        device_size,
        data_areas,
        metadata_areas,
        ext_version,
        ext_flags,
    }))
}

/// Looks for a PV label in the first four sectors of `dev`. Ok(None) when there is none.
pub fn read_label(dev: &dyn BlockDevice) -> Result<Option<PvLabel>> {
    let n = LABEL_SCAN_SECTORS.min(dev.size() / SECTOR_SIZE);
    let mut buf = [0u8; SECTOR_SIZE as usize];
    let mut first_error = None;
    for s in 0..n {
        dev.read_exact_at(&mut buf, s * SECTOR_SIZE)?;
        match parse_label_sector(&buf, s) {
            Ok(Some(label)) => return Ok(Some(label)),
            Ok(None) => {}
            // LVM ignores a bad label and keeps looking in the following sectors.
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label sector as pvcreate writes it (sector 1, header at offset 32).
    pub(crate) fn sample_label() -> Vec<u8> {
        let mut s = vec![0u8; 512];
        s[..8].copy_from_slice(LABEL_ID);
        s[8..16].copy_from_slice(&1u64.to_le_bytes());
        s[20..24].copy_from_slice(&32u32.to_le_bytes());
        s[24..32].copy_from_slice(LVM2_LABEL_TYPE);
        s[32..64].copy_from_slice(b"maafrCQV7IunY1YDknNvgry7SfWqI76X");
        s[64..72].copy_from_slice(&268403200u64.to_le_bytes());
        s[72..80].copy_from_slice(&(1u64 << 20).to_le_bytes()); // data area at 1 MiB
        s[104..112].copy_from_slice(&4096u64.to_le_bytes()); // mda at 4 KiB
        s[112..120].copy_from_slice(&1044480u64.to_le_bytes());
        s[136..140].copy_from_slice(&2u32.to_le_bytes());
        s[140..144].copy_from_slice(&PV_EXT_USED.to_le_bytes());
        let crc = calc_crc(INITIAL_CRC, &s[20..]);
        s[16..20].copy_from_slice(&crc.to_le_bytes());
        s
    }

    #[test]
    fn crc_matches_lvm() {
        // calc_crc of nothing is the initial value; a known vector from a real label follows.
        assert_eq!(calc_crc(INITIAL_CRC, &[]), INITIAL_CRC);
        let data = b"123456789";
        // Chaining is the same as one pass.
        assert_eq!(
            calc_crc(calc_crc(INITIAL_CRC, &data[..4]), &data[4..]),
            calc_crc(INITIAL_CRC, data)
        );
        // zlib's CRC-32 is the same register with inversions on both ends.
        assert_eq!(!calc_crc(!0, data), 0xcbf43926);
    }

    #[test]
    fn parses_a_label() {
        let s = sample_label();
        let l = parse_label_sector(&s, 1).unwrap().unwrap();
        assert_eq!(l.pv_uuid, "maafrCQV7IunY1YDknNvgry7SfWqI76X");
        assert_eq!(l.device_size, 268403200);
        assert_eq!(
            l.data_areas,
            vec![DiskLocn {
                offset: 1 << 20,
                size: 0
            }]
        );
        assert_eq!(
            l.metadata_areas,
            vec![DiskLocn {
                offset: 4096,
                size: 1044480
            }]
        );
        assert_eq!((l.ext_version, l.ext_flags), (2, 1));
        assert_eq!(
            dash_uuid(&l.pv_uuid),
            "maafrC-QV7I-unY1-YDkn-Nvgr-y7Sf-WqI76X"
        );
        assert_eq!(
            undash_uuid("maafrC-QV7I-unY1-YDkn-Nvgr-y7Sf-WqI76X").unwrap(),
            l.pv_uuid
        );
    }

    #[test]
    fn rejects_bad_labels() {
        let mut s = sample_label();
        assert!(parse_label_sector(&s, 2).is_err(), "wrong sector number");
        s[40] ^= 1;
        assert!(parse_label_sector(&s, 1).is_err(), "bad crc");
        let mut s = sample_label();
        s[20..24].copy_from_slice(&500u32.to_le_bytes());
        let crc = calc_crc(INITIAL_CRC, &s[20..]);
        s[16..20].copy_from_slice(&crc.to_le_bytes());
        assert!(
            parse_label_sector(&s, 1).is_err(),
            "header outside the sector"
        );
        assert_eq!(parse_label_sector(&[0u8; 512], 0).unwrap(), None);
    }
}
