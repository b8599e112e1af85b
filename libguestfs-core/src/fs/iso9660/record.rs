//! Directory records (ECMA-119 9.1) and the names the kernel gives them without Rock Ridge.

use crate::bytes::Fixed;

/// `sizeof(struct iso_directory_record)`: the fixed part before the name.
pub const FIXED_LEN: usize = 33;

pub const FLAG_DIRECTORY: u8 = 0x02;
pub const FLAG_ASSOCIATED: u8 = 0x04;

/// Not the final record of a multi-extent file.
pub const FLAG_MULTI_EXTENT: u8 = 0x80;

/// One directory record, copied out of its sector(s).
#[derive(Debug, Clone)]
pub struct Record {
    /// The fixed part.
    fixed: [u8; FIXED_LEN],
    /// The whole record, fixed part included.
    raw: Vec<u8>,
}

impl Record {
    /// The record in `raw`, or None when `raw` is shorter than the fixed part.
    pub fn new(raw: Vec<u8>) -> Option<Record> {
        let fixed = *Fixed::<FIXED_LEN>::new(&raw)?.bytes();
        Some(Record { fixed, raw })
    }

    fn fields(&self) -> Fixed<'_, FIXED_LEN> {
        Fixed::from(&self.fixed)
    }

    pub fn len(&self) -> usize {
        usize::from(self.fields().u8::<0>())
    }

    pub fn ext_attr_len(&self) -> u64 {
        u64::from(self.fields().u8::<1>())
    }

    pub fn extent(&self) -> u64 {
        u64::from(self.fields().le32::<2>())
    }

    /// Where the data begins: the extent after its extended attribute record.
    pub fn data_start(&self) -> u64 {
        self.extent() + self.ext_attr_len()
    }

    /// The little-endian half of the size (the kernel ignores the big-endian one).
    pub fn size(&self) -> u64 {
        u64::from(self.fields().le32::<10>())
    }

    pub fn date(&self) -> [u8; 7] {
        self.fields().array::<18, 7>()
    }

    pub fn flags(&self) -> u8 {
        self.fields().u8::<25>()
    }

    pub fn is_dir(&self) -> bool {
        self.flags() & FLAG_DIRECTORY != 0
    }

    pub fn interleaved(&self) -> bool {
        self.fields().u8::<27>() != 0
    }

    pub fn name_len(&self) -> usize {
        usize::from(self.fields().u8::<32>())
    }

    /// The identifier as recorded (within the record; the caller checked it fits).
    pub fn name(&self) -> &[u8] {
        let end = (FIXED_LEN + self.name_len()).min(self.raw.len());
        self.raw.get(FIXED_LEN..end).unwrap_or(&[])
    }

    pub fn is_dot(&self) -> bool {
        self.name() == [0]
    }

    pub fn is_dotdot(&self) -> bool {
        self.name() == [1]
    }

    /// The system use area: after the name, padded to an even length.
    pub fn system_use(&self) -> &[u8] {
        let mut start = FIXED_LEN + self.name_len();
        if start & 1 != 0 {
            start += 1;
        }
        let end = self.len().min(self.raw.len());
        self.raw.get(start..end).unwrap_or(&[])
    }
}

/// `isofs_name_translate` (the default `map=normal`): lower case, a trailing `;1` or `.;1`
/// dropped, other `;` and `/` turned into `.`, stopping at a NUL.
pub fn translate_name(name: &[u8]) -> Vec<u8> {
    let len = name.len();
    let mut out = Vec::with_capacity(len);
    for (i, &c) in name.iter().enumerate() {
        if c == 0 {
            break;
        }
        let mut c = c.to_ascii_lowercase();
        let next = |k: usize| name.get(i + k).copied();
        if c == b'.' && i + 3 == len && next(1) == Some(b';') && next(2) == Some(b'1') {
            break;
        }
        if c == b';' && i + 2 == len && next(1) == Some(b'1') {
            break;
        }
        if c == b';' || c == b'/' {
            c = b'.';
        }
        out.push(c);
    }
    out
}

/// `get_joliet_filename` with the kernel's default UTF-8 output: UCS-2/UTF-16 big-endian
/// up to a NUL, unpaired surrogates dropped, a trailing `;1` and trailing dots removed. The
/// kernel keeps the length in a byte, so names longer than 255 bytes wrap around as there.
pub fn joliet_name(name: &[u8]) -> Vec<u8> {
    let units: Vec<u16> = name
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let mut out = Vec::with_capacity(units.len() * 3);
    let mut i = 0;
    while i < units.len() {
        let u = u32::from(units[i]);
        i += 1;
        if u == 0 {
            break;
        }
        let mut cp = u;
        if (0xd800..0xe000).contains(&u) {
            if u >= 0xdc00 {
                continue;
            }
            let Some(&v) = units.get(i) else { break };
            let v = u32::from(v);
            if !(0xdc00..0xe000).contains(&v) {
                continue;
            }
            cp = 0x10000 + ((u & 0x3ff) << 10) + (v & 0x3ff);
            i += 1;
        }
        if let Some(ch) = char::from_u32(cp) {
            let mut b = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
        }
    }
    let mut len = usize::from(out.len() as u8);
    if len > 2 && out[len - 2] == b';' && out[len - 1] == b'1' {
        len -= 2;
    }
    while len >= 2 && out[len - 1] == b'.' {
        len -= 1;
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_map_like_the_kernel() {
        assert_eq!(translate_name(b"README.TXT;1"), b"readme.txt");
        assert_eq!(translate_name(b"NOEXT.;1"), b"noext");
        assert_eq!(translate_name(b"A;B;2"), b"a.b.2");
        assert_eq!(translate_name(b"DIR"), b"dir");
    }

    #[test]
    fn joliet_names_decode_like_the_kernel() {
        let enc = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect() };
        assert_eq!(joliet_name(&enc("Café.txt;1")), "Café.txt".as_bytes());
        assert_eq!(joliet_name(&enc("trailing..")), b"trailing");
        assert_eq!(joliet_name(&enc("😀")), "😀".as_bytes());
        assert_eq!(joliet_name(&[0xdc, 0x00, 0, b'a']), b"a");
    }
}
