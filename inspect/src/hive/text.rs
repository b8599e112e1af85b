//! Registry text: compressed (Latin-1) and UTF-16LE names and string data, and Windows-style
//! case-insensitive name comparison.

use crate::error::{Error, Result};

/// Latin-1 bytes (the "compressed name" form) as UTF-8. Names are C strings in hivex, so the
/// name ends at the first NUL.
pub fn latin1_to_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect()
}

/// The length in bytes of the UTF-16LE string up to (not including) the first NUL code unit,
/// looking only at whole code units; a trailing odd byte is not counted. This is how hivex
/// trims values that Windows stored with junk after the string.
pub fn utf16le_len_to_nul(bytes: &[u8]) -> usize {
    bytes
        .chunks_exact(2)
        .take_while(|c| c[0] != 0 || c[1] != 0)
        .count()
        * 2
}

/// UTF-16LE as UTF-8. Like hivex (iconv), an odd length or an unpaired surrogate is an error.
pub fn utf16le_to_string(bytes: &[u8]) -> Result<String> {
    if bytes.len() & 1 != 0 {
        return Err(Error::new(
            libc::EINVAL,
            format!("UTF-16LE string has an odd length ({} bytes)", bytes.len()),
        ));
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| {
            r.map_err(|e| {
                Error::new(
                    libc::EILSEQ,
                    format!(
                        "invalid UTF-16LE string (unpaired surrogate 0x{:04x})",
                        e.unpaired_surrogate()
                    ),
                )
            })
        })
        .collect()
}

/// A UTF-16LE name as a C string: ends at the first NUL.
pub fn utf16le_name_to_string(bytes: &[u8]) -> Result<String> {
    let mut s = utf16le_to_string(bytes)?;
    if let Some(nul) = s.find('\0') {
        s.truncate(nul);
    }
    Ok(s)
}

/// Windows compares key and value names by upper-casing each UTF-16 character with a one-to-one
/// table; characters whose upper case is several characters (ß) stay as they are.
fn upcase(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Case-insensitive name equality, as Windows (and, for ASCII, hivex) does it.
pub fn names_equal(a: &str, b: &str) -> bool {
    if a.len() == b.len() && a.eq_ignore_ascii_case(b) {
        return true;
    }
    a.chars().map(upcase).eq(b.chars().map(upcase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_names() {
        assert_eq!(latin1_to_string(b"ControlSet001"), "ControlSet001");
        assert_eq!(latin1_to_string(&[0xdc, b'n', 0xef]), "Ünï");
        assert_eq!(latin1_to_string(b"ab\0cd"), "ab");
    }

    #[test]
    fn utf16_decoding() {
        let enc = |s: &str| {
            s.encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect::<Vec<u8>>()
        };
        assert_eq!(utf16le_to_string(&enc("日本語")).unwrap(), "日本語");
        assert_eq!(utf16le_to_string(&enc("😀")).unwrap(), "😀");
        assert_eq!(
            utf16le_to_string(&[0x00, 0xd8]).unwrap_err().errno,
            libc::EILSEQ
        );
        assert_eq!(utf16le_to_string(b"a").unwrap_err().errno, libc::EINVAL);
        assert_eq!(utf16le_name_to_string(&enc("ab\0c")).unwrap(), "ab");
    }

    #[test]
    fn nul_search_is_on_code_units() {
        // "A" then U+0100 (bytes 00 01): the 00 byte of U+0100 is not a NUL code unit.
        assert_eq!(
            utf16le_len_to_nul(&[0x41, 0x00, 0x00, 0x01, 0x00, 0x00, 0x42]),
            4
        );
        assert_eq!(utf16le_len_to_nul(&[0x41, 0x00, 0x42]), 2);
        assert_eq!(utf16le_len_to_nul(&[]), 0);
    }

    #[test]
    fn case_insensitive_names() {
        assert!(names_equal("CurrentVersion", "currentversion"));
        assert!(names_equal("ÜNÏCÖDÉ", "ünïcödé"));
        assert!(!names_equal("Straße", "STRASSE"));
        assert!(!names_equal("abc", "abd"));
        assert!(!names_equal("abc", "abcd"));
        assert!(names_equal("", ""));
    }
}
