//! Directory entries: short names (code page 437, case flags), VFAT long names and times.

use super::*;

/// One parsed short directory entry with its display name.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The name readdir shows (long name, else short name).
    pub(super) name: String,
    /// The short name as Linux displays it (also matched by lookups).
    pub(super) short_name: String,
    /// Byte offset of the short entry on the device.
    pub(super) pos: u64,
    pub(super) raw: [u8; 32],
}

impl Entry {
    pub(super) fn ino(&self) -> Ino {
        self.pos / DIR_ENTRY_SIZE
    }
}

pub(super) fn entry_attr(raw: &[u8; 32]) -> u8 {
    raw[11]
}

pub(super) fn entry_start(raw: &[u8; 32], fat_type: FatType) -> u32 {
    let f = Fixed::from(raw);
    let lo = u32::from(f.le16::<26>());
    let hi = if fat_type == FatType::Fat32 {
        u32::from(f.le16::<20>())
    } else {
        0
    };
    (hi << 16) | lo
}

/// A file's size (`DIR_FileSize`).
pub(super) fn entry_size(raw: &[u8; 32]) -> u64 {
    u64::from(Fixed::from(raw).le32::<28>())
}

pub(super) fn entry_is_dir(raw: &[u8; 32]) -> bool {
    entry_attr(raw) & ATTR_DIR != 0
}

/// The directory entry checksum of a short name, stored in its long-name slots.
pub(super) fn short_name_checksum(name: &[u8]) -> u8 {
    name.iter().take(11).fold(0u8, |sum, &c| {
        ((sum & 1) << 7).wrapping_add(sum >> 1).wrapping_add(c)
    })
}

/// Code page 437, bytes 0x80..=0xff, as Unicode.
pub(super) const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', 'É', 'æ', 'Æ',
    'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', 'á', 'í', 'ó', 'ú', 'ñ', 'Ñ',
    'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕',
    '╣', '║', '╗', '╝', '╜', '╛', '┐', '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦',
    '╠', '═', '╬', '╧', '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐',
    '▀', 'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', '≡', '±',
    '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// A short-name byte as Unicode, lower-cased when the entry's `lcase` flag asks for it
/// (cp437's lower-case table maps only Latin letters).
pub(super) fn cp437_char(b: u8, lower: bool) -> char {
    let c = if b < 0x80 {
        char::from(b)
    } else {
        CP437_HIGH[usize::from(b - 0x80)]
    };
    if lower {
        if c.is_ascii_uppercase() {
            return c.to_ascii_lowercase();
        }
        if matches!(c, 'Ç' | 'Ä' | 'Å' | 'É' | 'Æ' | 'Ö' | 'Ü' | 'Ñ') {
            return c.to_lowercase().next().unwrap_or(c);
        }
    }
    c
}

/// Linux's `fat_parse_short` with `shortname=mixed`: base name and extension without their
/// padding, joined by a dot when there is an extension.
pub(super) fn parse_short_name(raw: &[u8; 32]) -> String {
    let mut work = [0u8; 11];
    work.copy_from_slice(&raw[0..11]);
    if work[0] == 0x05 {
        work[0] = 0xe5;
    }
    let lcase = raw[12];
    let mut out = String::new();
    let mut kept = 0;
    for &c in work[0..8].iter().take_while(|&&c| c != 0) {
        out.push(cp437_char(c, lcase & CASE_LOWER_BASE != 0));
        if c != b' ' {
            kept = out.len();
        }
    }
    out.truncate(kept);
    let base_len = out.len();
    out.push('.');
    kept = base_len;
    for &c in work[8..11].iter().take_while(|&&c| c != 0) {
        out.push(cp437_char(c, lcase & CASE_LOWER_EXT != 0));
        if c != b' ' {
            kept = out.len();
        }
    }
    out.truncate(kept);
    out
}

/// UTF-16 code units of a long name (up to its NUL) as UTF-8; unpaired surrogates are dropped,
/// as the kernel's `utf16s_to_utf8s` does.
pub(super) fn utf16_name(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    char::decode_utf16(units[..end].iter().copied())
        .filter_map(|r| r.ok())
        .collect()
}

/// Whether a name can appear in a path (hostile images may hold anything).
pub(super) fn usable_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// Linux's `fat_time_fat2unix` with no time-zone offset: FAT date and time fields to seconds
/// since the epoch, with the kernel's arithmetic (no range checks on the fields).
pub(super) fn fat_time_to_unix(time: u16, date: u16) -> i64 {
    const DAYS_IN_YEAR: [i64; 16] = [
        0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 0, 0, 0,
    ];
    const DAYS_DELTA: i64 = 365 * 10 + 2;
    const YEAR_2100: i64 = 120;
    let year = i64::from(date >> 9);
    let month = i64::from((date >> 5) & 0xf).max(1);
    let day = i64::from(date & 0x1f).max(1) - 1;
    let mut leap_day = (year + 3) / 4;
    if year > YEAR_2100 {
        leap_day -= 1;
    }
    let is_leap = (year + 1980) & 3 == 0;
    if is_leap && month > 2 {
        leap_day += 1;
    }
    let mut second = i64::from(time & 0x1f) << 1;
    second += i64::from((time >> 5) & 0x3f) * 60;
    second += i64::from(time >> 11) * 3600;
    second += (year * 365 + leap_day + DAYS_IN_YEAR[month as usize] + day + DAYS_DELTA) * 86400;
    second
}
