//! Byte strings carried in Rust `String`s without loss.
//!
//! libguestfs's strings are C strings: file names, link targets and listings are whatever
//! bytes the guest's filesystem holds, and need not be UTF-8. The API's `String`s carry them
//! with this scheme (the idea of Python's PEP 383, with a private-use range because Rust
//! strings cannot hold lone surrogates):
//!
//! - a byte that is not part of valid UTF-8 (always 0x80–0xFF) is the character
//!   U+10FF00 + byte (U+10FF80–U+10FFFF);
//! - a character of that range that really is in the bytes (UTF-8 `F4 8F BE xx`/`F4 8F BF xx`)
//!   is carried as its four bytes, each escaped the same way;
//! - every other character is itself.
//!
//! So [`bytes_of`] of [`string_of`] gives back exactly the bytes, and UTF-8 without that
//! range (every name in practice) is carried unchanged and without copying. The XDR strings
//! of the wire protocol, the native filesystems' names and the tools' printing go through
//! these two functions; everything between compares and joins the `String`s as usual.

use std::borrow::Cow;

/// The first character of the escape range: U+10FF00 + byte for bytes 0x80–0xFF.
const ESCAPE_BASE: u32 = 0x10FF00;
const FIRST_ESCAPE: u32 = ESCAPE_BASE + 0x80;

fn escape(byte: u8) -> char {
    char::from_u32(ESCAPE_BASE + byte as u32).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn is_escape(c: char) -> bool {
    c as u32 >= FIRST_ESCAPE
}

/// The `String` that carries `bytes`.
pub fn string_of(bytes: &[u8]) -> Cow<'_, str> {
    // Every character of the escape range starts with the byte F4; without it, valid UTF-8
    // is carried as it is.
    if !bytes.contains(&0xF4) {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return Cow::Borrowed(s);
        }
    }
    let mut s = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if is_escape(c) {
                let mut utf8 = [0u8; 4];
                c.encode_utf8(&mut utf8)
                    .bytes()
                    .for_each(|b| s.push(escape(b)));
            } else {
                s.push(c);
            }
        }
        chunk.invalid().iter().for_each(|&b| s.push(escape(b)));
    }
    Cow::Owned(s)
}

/// The `String` that carries `bytes`, owned.
pub fn string_from(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) if !s.as_bytes().contains(&0xF4) => s,
        Ok(s) => string_of(s.as_bytes()).into_owned(),
        Err(e) => string_of(e.as_bytes()).into_owned(),
    }
}

/// The bytes a `String` carries.
pub fn bytes_of(s: &str) -> Cow<'_, [u8]> {
    if !s.as_bytes().contains(&0xF4) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if is_escape(c) {
            out.push((c as u32 - ESCAPE_BASE) as u8);
        } else {
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
    Cow::Owned(out)
}

/// Writes the line `text` to stderr as the bytes it carries (a message may quote a guest
/// name that is not UTF-8; libguestfs prints its bytes).
pub fn eprintln_bytes(text: &str) {
    let _ = write_line(&mut std::io::stderr().lock(), text);
}

/// Writes `text` as the bytes it carries, then a newline.
pub fn write_line(out: &mut dyn std::io::Write, text: &str) -> std::io::Result<()> {
    out.write_all(&bytes_of(text))?;
    out.write_all(b"\n")
}

/// Orders two `String`s as the bytes they carry (C's `strcmp`, as libguestfs sorts names).
pub fn cmp(a: &str, b: &str) -> std::cmp::Ordering {
    bytes_of(a).cmp(&bytes_of(b))
}

/// The host path a guest-side `String` names (its bytes, as an `OsStr`).
pub fn os_str_of(s: &str) -> Cow<'_, std::ffi::OsStr> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    match bytes_of(s) {
        Cow::Borrowed(b) => Cow::Borrowed(std::ffi::OsStr::from_bytes(b)),
        Cow::Owned(b) => Cow::Owned(std::ffi::OsString::from_vec(b)),
    }
}

/// The `String` that carries a host name (an `OsStr`'s bytes).
pub fn string_of_os(s: &std::ffi::OsStr) -> Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    string_of(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) {
        let s = string_of(bytes);
        assert_eq!(&*bytes_of(&s), bytes, "{:?}", s);
        assert_eq!(string_from(bytes.to_vec()), s);
    }

    #[test]
    fn utf8_is_carried_unchanged_and_borrowed() {
        for s in ["", "/etc/fstab", "caf\u{e9} \u{1F600}", "a\nb\"\\\u{7f}"] {
            assert!(matches!(string_of(s.as_bytes()), Cow::Borrowed(b) if b == s));
            assert!(matches!(bytes_of(s), Cow::Borrowed(b) if b == s.as_bytes()));
        }
    }

    #[test]
    fn any_bytes_round_trip() {
        round_trip(b"/bad\xffname");
        round_trip(b"\x80\x81\xc3");
        round_trip(b"\xc3\xa9\xe9");
        // The escape range itself, really in the name, and a truncated piece of it.
        round_trip("x\u{10FF80}y\u{10FFFF}".as_bytes());
        round_trip(b"\xf4\x8f\xbe");
        round_trip(b"\xf4\x90\x80\x80");
        let all: Vec<u8> = (0..=255).collect();
        round_trip(&all);
    }

    #[test]
    fn order_is_the_bytes_order() {
        let a = string_of(b"\x80");
        let b = "\u{e9}";
        assert!(a.as_bytes() > b.as_bytes());
        assert_eq!(cmp(&a, b), std::cmp::Ordering::Less);
    }

    #[test]
    fn invalid_bytes_are_distinct_characters() {
        assert_eq!(string_of(b"a\xffb"), "a\u{10FFFF}b");
        assert_ne!(string_of(b"\xfe"), string_of(b"\xff"));
        // Not U+FFFD: a real U+FFFD in a name stays distinct from an invalid byte.
        assert_ne!(string_of(b"\xff"), "\u{FFFD}");
    }
}
