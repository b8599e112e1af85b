//! An LVM2 metadata area: the `mda_header` (checksum, magic " LVM2 x[5A%r0N*>", version, start,
//! size, and the `raw_locn` slots) at the start of the area, then a circular buffer holding the
//! VG's text metadata. Slot 0 locates the committed metadata; text that runs past the end of the
//! area continues just after the header.

use super::label::{calc_crc, DiskLocn, INITIAL_CRC};
use crate::block::BlockDevice;
use crate::bytes::Fixed;
use crate::error::{Error, Result};

/// `MDA_HEADER_SIZE`: the header occupies the area's first 512 bytes.
pub const MDA_HEADER_SIZE: u64 = 512;

/// `FMTT_MAGIC`.
pub const FMTT_MAGIC: &[u8; 16] =
    b"\x20\x4c\x56\x4d\x32\x20\x78\x5b\x35\x41\x25\x72\x30\x4e\x2a\x3e";

/// `FMTT_VERSION`.
pub const FMTT_VERSION: u32 = 1;

/// `RAW_LOCN_IGNORED`: the area is not kept up to date (`pvchange --metadataignore y`).
pub const RAW_LOCN_IGNORED: u32 = 1;

/// The largest metadata text read from one area. LVM's own metadata for thousands of LVs stays
/// well below this; anything larger is treated as corrupt rather than allocated.
pub const MAX_METADATA_SIZE: u64 = 8 << 20;

/// Offset of the first `raw_locn` in the header, and the size of one.
const RAW_LOCNS_OFFSET: usize = 40;
const RAW_LOCN_SIZE: usize = 24;

/// `raw_locn`: where one copy of the text lies, relative to the area start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLocn {
    pub offset: u64,
    pub size: u64,
    pub checksum: u32,
    pub flags: u32,
}

/// `mda_header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdaHeader {
    /// Byte offset of the area on the device (must equal where the header was found).
    pub start: u64,
    /// Size of the whole area, header included.
    pub size: u64,
    /// The slots up to the terminating one (offset 0): committed, then precommitted.
    pub raw_locns: Vec<RawLocn>,
}

/// What a metadata area holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdaText {
    /// No VG metadata (an orphan PV).
    Empty,
    /// Metadata marked ignored.
    Ignored,
    /// The committed metadata text (up to its terminating NUL) and its `raw_locn`.
    Text { text: Vec<u8>, locn: RawLocn },
}

/// Parses and checks an `mda_header` read from byte `start` of the device.
pub fn parse_mda_header(buf: &[u8], start: u64) -> Result<MdaHeader> {
    let bad =
        |what: String| Error::corrupt(format!("LVM metadata area at offset {}: {}", start, what));
    let header = match Fixed::<{ MDA_HEADER_SIZE as usize }>::new(buf) {
        Some(h) if buf.len() == MDA_HEADER_SIZE as usize => h,
        _ => return Err(bad("short header".into())),
    };
    let stored = header.le32::<0>();
    let crc = calc_crc(INITIAL_CRC, buf.get(4..).unwrap_or_default());
    if stored != crc {
        return Err(bad(format!(
            "header checksum mismatch (stored {:#010x}, computed {:#010x})",
            stored, crc
        )));
    }
    if header.array::<4, 16>() != *FMTT_MAGIC {
        return Err(bad("wrong magic number".into()));
    }
    let version = header.le32::<20>();
    if version != FMTT_VERSION {
        return Err(bad(format!("unsupported header version {}", version)));
    }
    let hdr_start = header.le64::<24>();
    if hdr_start != start {
        return Err(bad(format!("header says the area starts at {}", hdr_start)));
    }
    let size = header.le64::<32>();
    if size <= MDA_HEADER_SIZE {
        return Err(bad(format!("area size {} is too small", size)));
    }
    let mut raw_locns = Vec::new();
    // The slots that fit in the header, up to the terminating one.
    let (slots, _) = header.bytes()[RAW_LOCNS_OFFSET..].as_chunks::<RAW_LOCN_SIZE>();
    for slot in slots {
        let slot = Fixed::from(slot);
        let offset = slot.le64::<0>();
        if offset == 0 {
            break;
        }
        raw_locns.push(RawLocn {
            offset,
            size: slot.le64::<8>(),
            checksum: slot.le32::<16>(),
            flags: slot.le32::<20>(),
        });
    }
    // An ignored area records the flag in slot 0 even when it has no offset.
    if raw_locns.is_empty() && header.le32::<{ RAW_LOCNS_OFFSET + 20 }>() & RAW_LOCN_IGNORED != 0 {
        raw_locns.push(RawLocn {
            offset: 0,
            size: 0,
            checksum: 0,
            flags: RAW_LOCN_IGNORED,
        });
    }
    Ok(MdaHeader {
        start,
        size,
        raw_locns,
    })
}

/// Reads and checks the header of the metadata area `area` of `dev`.
pub fn read_mda_header(dev: &dyn BlockDevice, area: DiskLocn) -> Result<MdaHeader> {
    let end = area.offset.checked_add(area.size);
    if area.size <= MDA_HEADER_SIZE || end.is_none_or(|e| e > dev.size()) {
        return Err(Error::corrupt(format!(
            "LVM metadata area at offset {} (size {}) does not fit the device",
            area.offset, area.size
        )));
    }
    let mut buf = [0u8; MDA_HEADER_SIZE as usize];
    dev.read_exact_at(&mut buf, area.offset)?;
    let hdr = parse_mda_header(&buf, area.offset)?;
    if hdr.size > area.size {
        return Err(Error::corrupt(format!(
            "LVM metadata area at offset {}: header size {} exceeds the area size {}",
            area.offset, hdr.size, area.size
        )));
    }
    Ok(hdr)
}

/// Reads the committed metadata text of an area whose header is `hdr`.
pub fn read_mda_text(dev: &dyn BlockDevice, hdr: &MdaHeader) -> Result<MdaText> {
    let Some(locn) = hdr.raw_locns.first().copied() else {
        return Ok(MdaText::Empty);
    };
    if locn.flags & RAW_LOCN_IGNORED != 0 {
        return Ok(MdaText::Ignored);
    }
    if locn.offset == 0 || locn.size == 0 {
        return Ok(MdaText::Empty);
    }
    let bad = |what: String| {
        Error::corrupt(format!(
            "LVM metadata area at offset {}: {}",
            hdr.start, what
        ))
    };
    if locn.offset < MDA_HEADER_SIZE || locn.offset >= hdr.size {
        return Err(bad(format!(
            "metadata offset {} is outside the area",
            locn.offset
        )));
    }
    if locn.size > MAX_METADATA_SIZE || locn.size > hdr.size - MDA_HEADER_SIZE {
        return Err(bad(format!("metadata size {} is too large", locn.size)));
    }
    // Text running past the end of the area wraps to just after the header; the wrapped part
    // must not reach back into the part it continues.
    let end = locn.offset + locn.size; // both bounded above: no overflow
    let wrap = end.saturating_sub(hdr.size);
    if wrap > locn.offset - MDA_HEADER_SIZE {
        return Err(bad("metadata too large for the circular buffer".into()));
    }
    let first = locn.size - wrap;
    let mut text = vec![0u8; locn.size as usize];
    let abs = |rel: u64| {
        hdr.start
            .checked_add(rel)
            .ok_or_else(|| bad("offset overflow".into()))
    };
    let (a, b) = text.split_at_mut(first as usize);
    dev.read_exact_at(a, abs(locn.offset)?)?;
    if wrap > 0 {
        dev.read_exact_at(b, abs(MDA_HEADER_SIZE)?)?;
    }
    let crc = calc_crc(INITIAL_CRC, &text);
    if crc != locn.checksum {
        return Err(bad(format!(
            "metadata checksum mismatch (stored {:#010x}, computed {:#010x})",
            locn.checksum, crc
        )));
    }
    if let Some(nul) = text.iter().position(|&c| c == 0) {
        text.truncate(nul);
    }
    Ok(MdaText::Text { text, locn })
}

/// The free space LVM 2.03 reports for an area (`pv_mda_free`, `vg_mda_free`), in bytes: half
/// of the circular buffer less the current metadata, in whole sectors, less one sector.
pub fn mda_free_bytes(area_size: u64, metadata_size: u64) -> u64 {
    let half = area_size.saturating_sub(MDA_HEADER_SIZE) / 2;
    (half.saturating_sub(metadata_size) / 512).saturating_sub(1) * 512
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Mem;

    fn header(start: u64, size: u64, locn: RawLocn) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[4..20].copy_from_slice(FMTT_MAGIC);
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[24..32].copy_from_slice(&start.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h[40..48].copy_from_slice(&locn.offset.to_le_bytes());
        h[48..56].copy_from_slice(&locn.size.to_le_bytes());
        h[56..60].copy_from_slice(&locn.checksum.to_le_bytes());
        h[60..64].copy_from_slice(&locn.flags.to_le_bytes());
        let crc = calc_crc(INITIAL_CRC, &h[4..]);
        h[0..4].copy_from_slice(&crc.to_le_bytes());
        h
    }

    #[test]
    fn reads_wrapped_text() {
        // Area of 2048 bytes at offset 1024; text of 1000 bytes starting at area offset 1536:
        // 512 bytes at the end, 488 after the header.
        let text: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let crc = calc_crc(INITIAL_CRC, &text);
        let locn = RawLocn {
            offset: 1536,
            size: 1000,
            checksum: crc,
            flags: 0,
        };
        let mut disk = vec![0u8; 4096];
        disk[1024..1536].copy_from_slice(&header(1024, 2048, locn));
        disk[1024 + 1536..1024 + 2048].copy_from_slice(&text[..512]);
        disk[1024 + 512..1024 + 512 + 488].copy_from_slice(&text[512..]);
        let dev = Mem(disk);
        let hdr = read_mda_header(
            &dev,
            DiskLocn {
                offset: 1024,
                size: 2048,
            },
        )
        .unwrap();
        match read_mda_text(&dev, &hdr).unwrap() {
            MdaText::Text { text: t, .. } => assert_eq!(t, text),
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn rejects_bad_areas() {
        let locn = RawLocn {
            offset: 512,
            size: 10,
            checksum: 0,
            flags: 0,
        };
        let mut disk = vec![0u8; 4096];
        disk[..512].copy_from_slice(&header(0, 2048, locn));
        let dev = Mem(disk.clone());
        let hdr = read_mda_header(
            &dev,
            DiskLocn {
                offset: 0,
                size: 2048,
            },
        )
        .unwrap();
        assert!(read_mda_text(&dev, &hdr).is_err(), "text checksum");
        assert!(
            read_mda_header(
                &dev,
                DiskLocn {
                    offset: 0,
                    size: 1 << 40
                }
            )
            .is_err(),
            "area past the end"
        );
        disk[7] ^= 1;
        assert!(
            read_mda_header(
                &Mem(disk),
                DiskLocn {
                    offset: 0,
                    size: 2048
                }
            )
            .is_err(),
            "header checksum"
        );
        // Wrap that would overlap its own start.
        let locn = RawLocn {
            offset: 600,
            size: 1800,
            checksum: 0,
            flags: 0,
        };
        let mut disk = vec![0u8; 4096];
        disk[..512].copy_from_slice(&header(0, 2048, locn));
        let dev = Mem(disk);
        let hdr = read_mda_header(
            &dev,
            DiskLocn {
                offset: 0,
                size: 2048,
            },
        )
        .unwrap();
        assert!(read_mda_text(&dev, &hdr).is_err());
    }

    #[test]
    fn free_space_matches_lvm() {
        // Figures from lvm 2.03.16 `pvs -o pv_mda_free`.
        assert_eq!(mda_free_bytes(1044480, 5340), 516096);
        assert_eq!(mda_free_bytes(1044480, 781), 520192);
        assert_eq!(mda_free_bytes(1044480, 1370), 519680);
        assert_eq!(mda_free_bytes(1044480, 3859), 517120);
        assert_eq!(mda_free_bytes(1044480, 0), 521216);
        assert_eq!(mda_free_bytes(3141632, 0), 1569792);
        assert_eq!(mda_free_bytes(1024, 5000), 0);
    }
}
