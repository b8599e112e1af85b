//! MFT records, checked here before the `ntfs` crate parses them: fix-ups, attributes,
//! attribute lists, `$STANDARD_INFORMATION`.

use super::*;

/// Applies the update sequence fix-ups of a multi-sector record ("FILE" or "INDX").
pub(super) fn fixup(buf: &mut [u8], magic: &[u8; 4]) -> Result<()> {
    let header = match Fixed::<RECORD_HEADER_SIZE>::new(buf) {
        Some(h) if h.array::<0, 4>() == *magic => h,
        _ => {
            return Err(corrupt(format!(
                "bad {} record signature",
                String::from_utf8_lossy(magic)
            )))
        }
    };
    let usa_ofs = usize::from(header.le16::<4>());
    let usa_count = usize::from(header.le16::<6>());
    if usa_count == 0
        || usa_count - 1 != buf.len() / NTFS_BLOCK_SIZE
        || usa_ofs % 2 != 0
        || usa_ofs + usa_count * 2 > buf.len()
    {
        return Err(corrupt("bad update sequence array"));
    }
    let usn = [buf[usa_ofs], buf[usa_ofs + 1]];
    for i in 1..usa_count {
        let end = i * NTFS_BLOCK_SIZE;
        if buf[end - 2..end] != usn {
            return Err(corrupt("update sequence number mismatch (torn write)"));
        }
        let fix = [buf[usa_ofs + 2 * i], buf[usa_ofs + 2 * i + 1]];
        buf[end - 2..end].copy_from_slice(&fix);
    }
    Ok(())
}

/// One attribute of a record, its header fields checked.
#[derive(Debug, Clone)]
pub(super) struct RawAttr {
    pub(super) ty: u32,
    pub(super) name: Vec<u16>,
    pub(super) flags: u16,
    pub(super) instance: u16,
    /// Resident: (value offset in the record, value length).
    pub(super) resident: Option<(usize, usize)>,
    pub(super) lowest_vcn: u64,
    pub(super) allocated_size: u64,
    pub(super) data_size: u64,
    pub(super) initialized_size: u64,
    pub(super) compressed_size: u64,
}

/// Size information of a stream, as ntfs-3g keeps it in its inode.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StreamInfo {
    pub(super) flags: u16,
    pub(super) data_size: u64,
    /// What `st_blocks` counts: the allocated size, or the compressed size of compressed and
    /// sparse streams, or a resident value's length rounded up to 8.
    pub(super) allocated_size: u64,
    pub(super) initialized_size: u64,
}

impl RawAttr {
    pub(super) fn info(&self) -> StreamInfo {
        match self.resident {
            Some((_, len)) => StreamInfo {
                flags: self.flags,
                data_size: len as u64,
                allocated_size: (len as u64 + 7) & !7,
                initialized_size: len as u64,
            },
            None => StreamInfo {
                flags: self.flags,
                data_size: self.data_size,
                allocated_size: if self.flags & (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE) != 0 {
                    self.compressed_size
                } else {
                    self.allocated_size
                },
                initialized_size: self.initialized_size,
            },
        }
    }
}

/// The bytes every multi-sector record ("FILE", "INDX") has; `fixup` checks them.
pub(super) const RECORD_HEADER_SIZE: usize = 48;
/// An attribute's header: the common part, and a non-resident one's, without and with
/// `compressed_size`.
pub(super) const RESIDENT_HEADER_SIZE: usize = 24;
const NON_RESIDENT_HEADER_SIZE: usize = 64;
const COMPRESSED_HEADER_SIZE: usize = 72;

/// A checked, fixed-up MFT record.
#[derive(Debug, Clone)]
pub(super) struct RawRecord {
    pub(super) data: Vec<u8>,
    pub(super) attrs: Vec<RawAttr>,
    /// `flags`: in use, directory.
    flags: u16,
    link_count: u16,
    /// `base_mft_record`, without its sequence number.
    base_record: u64,
}

impl RawRecord {
    /// Fixes up and checks a record so that every attribute header lies inside it.
    pub(super) fn parse(mut data: Vec<u8>) -> Result<RawRecord> {
        fixup(&mut data, b"FILE")?;
        let len = data.len();
        let header = Fixed::<RECORD_HEADER_SIZE>::new(&data)
            .ok_or_else(|| corrupt("bad FILE record signature"))?;
        let bytes_in_use = header.le32::<24>() as usize;
        let bytes_allocated = header.le32::<28>() as usize;
        let flags = header.le16::<22>();
        let link_count = header.le16::<18>();
        let base_record = header.le64::<32>() & 0x0000_ffff_ffff_ffff;
        if bytes_allocated > len || bytes_in_use > bytes_allocated {
            return Err(corrupt("MFT record sizes are inconsistent"));
        }
        let mut attrs = Vec::new();
        let mut off = usize::from(header.le16::<20>());
        loop {
            let ty = match try_le32(&data, off) {
                Some(ty) if off + 4 <= bytes_in_use => ty,
                _ => return Err(corrupt("MFT record attributes run past the record")),
            };
            if ty == AT_END {
                break;
            }
            if attrs.len() >= MAX_ATTRIBUTES {
                return Err(corrupt("too many attributes"));
            }
            let bad_length = || corrupt("bad attribute length");
            let alen = try_le32(&data, off + 4).ok_or_else(bad_length)? as usize;
            let non_resident = try_u8(&data, off + 8).ok_or_else(bad_length)? != 0;
            let min = if non_resident {
                NON_RESIDENT_HEADER_SIZE
            } else {
                RESIDENT_HEADER_SIZE
            };
            if alen < min || alen & 7 != 0 || off + alen > bytes_in_use {
                return Err(bad_length());
            }
            let a = try_slice(&data, off, alen).ok_or_else(bad_length)?;
            let common = Fixed::<RESIDENT_HEADER_SIZE>::new(a).ok_or_else(bad_length)?;
            let name_len = usize::from(common.u8::<9>());
            let name_off = usize::from(common.le16::<10>());
            let name = match name_len {
                0 => Vec::new(),
                _ => utf16le_units(
                    try_slice(a, name_off, 2 * name_len)
                        .ok_or_else(|| corrupt("attribute name outside the attribute"))?,
                ),
            };
            let flags = common.le16::<12>();
            let mut attr = RawAttr {
                ty,
                name,
                flags,
                instance: common.le16::<14>(),
                resident: None,
                lowest_vcn: 0,
                allocated_size: 0,
                data_size: 0,
                initialized_size: 0,
                compressed_size: 0,
            };
            if non_resident {
                let h = Fixed::<NON_RESIDENT_HEADER_SIZE>::new(a).ok_or_else(bad_length)?;
                let runs_off = usize::from(h.le16::<32>());
                if runs_off < NON_RESIDENT_HEADER_SIZE || runs_off > alen {
                    return Err(corrupt("bad mapping pairs offset"));
                }
                attr.lowest_vcn = h.le64::<16>();
                attr.allocated_size = h.le64::<40>();
                attr.data_size = h.le64::<48>();
                attr.initialized_size = h.le64::<56>();
                let compressed = Fixed::<COMPRESSED_HEADER_SIZE>::new(a)
                    .filter(|_| flags & (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE) != 0);
                attr.compressed_size = compressed.map_or(attr.allocated_size, |h| h.le64::<64>());
                if attr.data_size > i64::MAX as u64
                    || attr.initialized_size > attr.data_size.max(attr.allocated_size)
                {
                    return Err(corrupt("bad non-resident attribute sizes"));
                }
            } else {
                let vlen = common.le32::<16>() as usize;
                let voff = usize::from(common.le16::<20>());
                if voff > alen || vlen > alen - voff {
                    return Err(corrupt("resident value outside the attribute"));
                }
                attr.resident = Some((off + voff, vlen));
            }
            attrs.push(attr);
            off += alen;
        }
        Ok(RawRecord {
            data,
            attrs,
            flags,
            link_count,
            base_record,
        })
    }

    pub(super) fn flags(&self) -> u16 {
        self.flags
    }

    pub(super) fn link_count(&self) -> u16 {
        self.link_count
    }

    pub(super) fn base_record(&self) -> u64 {
        self.base_record
    }

    pub(super) fn find(&self, ty: u32, name: &[u16]) -> Option<&RawAttr> {
        self.attrs.iter().find(|a| a.ty == ty && a.name == name)
    }

    pub(super) fn resident_value(&self, attr: &RawAttr) -> Option<&[u8]> {
        let (off, len) = attr.resident?;
        self.data.get(off..off + len)
    }
}

/// One entry of an `$ATTRIBUTE_LIST`.
#[derive(Debug, Clone)]
pub(super) struct ListEntry {
    pub(super) ty: u32,
    pub(super) name: Vec<u16>,
    pub(super) lowest_vcn: u64,
    pub(super) record: u64,
    pub(super) instance: u16,
}

/// The fixed part of an `$ATTRIBUTE_LIST` entry, before its name.
const LIST_ENTRY_HEADER_SIZE: usize = 26;

/// Parses an attribute list, checking what the crate's parser relies on.
pub(super) fn parse_attribute_list(b: &[u8]) -> Result<Vec<ListEntry>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < b.len() {
        let Some(e) = Fixed::<LIST_ENTRY_HEADER_SIZE>::at(b, off) else {
            return Err(corrupt("truncated attribute list entry"));
        };
        let len = usize::from(e.le16::<4>());
        let name_len = usize::from(e.u8::<6>());
        let name_off = usize::from(e.u8::<7>());
        if len < LIST_ENTRY_HEADER_SIZE
            || off + len > b.len()
            || (name_len > 0 && name_off + 2 * name_len > len)
        {
            return Err(corrupt("bad attribute list entry"));
        }
        let name = match name_len {
            0 => Vec::new(),
            _ => utf16le_units(
                try_slice(b, off + name_off, 2 * name_len)
                    .ok_or_else(|| corrupt("bad attribute list entry"))?,
            ),
        };
        out.push(ListEntry {
            ty: e.le32::<0>(),
            name,
            lowest_vcn: e.le64::<8>(),
            record: e.le64::<16>() & 0x0000_ffff_ffff_ffff,
            instance: e.le16::<24>(),
        });
        off += len;
    }
    Ok(out)
}

/// An attribute list's entries and the extension records they name (by record number).
pub(super) type AttributeList = (Vec<ListEntry>, Vec<(u64, RawRecord)>);

/// A file: the crate's handle on its base record plus the checked raw records.
pub(super) struct Inode<'n> {
    pub(super) number: u64,
    pub(super) file: NtfsFile<'n>,
    pub(super) base: RawRecord,
    /// With an attribute list: its entries and the extension records it names.
    pub(super) list: Option<AttributeList>,
}

impl Inode<'_> {
    /// The first extent of an attribute (the one holding its sizes), wherever it lives.
    pub(super) fn attr(&self, ty: u32, name: &[u16]) -> Option<(&RawRecord, &RawAttr)> {
        match &self.list {
            None => self.base.find(ty, name).map(|a| (&self.base, a)),
            Some((entries, records)) => {
                let entry = entries
                    .iter()
                    .find(|e| e.ty == ty && e.name == name && e.lowest_vcn == 0)?;
                let record = if entry.record == self.number {
                    &self.base
                } else {
                    &records.iter().find(|(n, _)| *n == entry.record)?.1
                };
                let attr = record
                    .attrs
                    .iter()
                    .find(|a| a.ty == ty && a.name == name && a.instance == entry.instance)?;
                Some((record, attr))
            }
        }
    }

    pub(super) fn stream(&self, ty: u32, name: &[u16]) -> Option<StreamInfo> {
        self.attr(ty, name).map(|(_, a)| a.info())
    }
}

/// `$STANDARD_INFORMATION`: times and file attributes.
pub(super) struct StandardInformation {
    pub(super) last_data_change: u64,
    pub(super) last_mft_change: u64,
    pub(super) last_access: u64,
    pub(super) file_attributes: u32,
}

/// ntfs-3g's `ntfs2timespec`: NTFS time to (seconds, nanoseconds), nanoseconds forced to 0
/// where the conversion gives nonsense.
pub(super) fn ntfs_time(t: u64) -> (i64, i64) {
    let cputime = (t as i64).wrapping_sub(NTFS_TIME_OFFSET);
    let sec = cputime / 10_000_000;
    let nsec = (cputime - sec * 10_000_000) * 100;
    if !(0..=999_999_999).contains(&nsec) {
        (sec, 0)
    } else {
        (sec, nsec)
    }
}
