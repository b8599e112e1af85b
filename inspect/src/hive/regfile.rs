//! regedit's `.reg` text format, read the way Win::Hivex::Regedit's `reg_import` (hivex 1.3,
//! which 1.48's virt-win-reg uses) reads it: the file as bytes, one operation per key section,
//! in file order.
//!
//! `[PATH]` starts a section of values to merge into the key PATH (created if missing), ended
//! by a blank or comment line or the end of the file; `[-PATH]` deletes a key. In a section:
//! `"name"=VALUE`, `@=VALUE` (the default value), `"name"=-` and `@=-` (deletions). VALUE is
//! `"string"`, `str:"string"`, `str(N):"string"`, `dword:XXXXXXXX`, `hex:BYTES` or
//! `hex(N):BYTES`. A line ending with `\` (and spaces) continues on the next. Headers
//! (`REGEDIT…`, `Windows Registry Editor Version…`), blank lines and `;` comments between
//! sections are skipped.
//!
//! The quirks of `reg_import` are kept, since merges must come out as 1.48's: string data is
//! the file's bytes taken one character each (a UTF-8 file gives one UTF-16 unit per byte),
//! hex digits are packed as Perl's `pack "H*"` packs them (any character is a nibble), a
//! section is only ended by a blank line (another `[…]` right after values is an error), and
//! a value type is taken modulo 2³².
//!
//! Parsing is lazy ([`Operations`] is an iterator): an error stops it, after the operations of
//! the lines before it, which is the order 1.48 meets them in.

use std::fmt;

/// A value to set: its name ("" for the default value), `REG_*` type and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegValue {
    pub name: String,
    pub value_type: u32,
    pub data: Vec<u8>,
}

/// One change to the registry, as a `.reg` section asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `[-PATH]`: delete the key and everything below it (a missing key is no error).
    DeleteKey { path: String },
    /// `[PATH]` and its lines: create the key if needed, delete the values named in `delete`
    /// and those that `set` replaces (names compared case-insensitively), then add `set`.
    MergeKey {
        path: String,
        set: Vec<RegValue>,
        delete: Vec<String>,
    },
}

/// The encodings string data can be written in (`--encoding`): the ones Perl's Encode knows by
/// the names people give (case and `-`/`_` do not matter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf16Le,
    Utf16Be,
    /// Big-endian with a byte-order mark, as Encode's `UTF-16`.
    Utf16,
    Utf32Le,
    Utf32Be,
    Utf8,
    Latin1,
    Ascii,
}

impl Encoding {
    /// The encoding named `name`, or None when Encode would not know it.
    pub fn from_name(name: &str) -> Option<Encoding> {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "utf16le" | "ucs2le" => Encoding::Utf16Le,
            "utf16be" | "ucs2be" | "ucs2" | "iso10646" => Encoding::Utf16Be,
            "utf16" => Encoding::Utf16,
            "utf32le" | "ucs4le" => Encoding::Utf32Le,
            "utf32be" | "ucs4be" => Encoding::Utf32Be,
            "utf8" | "utf8strict" => Encoding::Utf8,
            "latin1" | "iso88591" | "l1" => Encoding::Latin1,
            "ascii" | "usascii" | "ansix3.41968" | "iso646us" => Encoding::Ascii,
            _ => return None,
        })
    }

    /// `chars` (each below 256, as the file's bytes are) encoded; characters the encoding
    /// cannot hold become `?`, as Encode substitutes them.
    fn encode(self, chars: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chars.len() * 2);
        if self == Encoding::Utf16 {
            out.extend_from_slice(&[0xfe, 0xff]);
        }
        for &c in chars {
            match self {
                Encoding::Utf16Le => out.extend_from_slice(&[c, 0]),
                Encoding::Utf16Be | Encoding::Utf16 => out.extend_from_slice(&[0, c]),
                Encoding::Utf32Le => out.extend_from_slice(&[c, 0, 0, 0]),
                Encoding::Utf32Be => out.extend_from_slice(&[0, 0, 0, c]),
                Encoding::Utf8 => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(char::from(c).encode_utf8(&mut buf).as_bytes());
                }
                Encoding::Latin1 => out.push(c),
                Encoding::Ascii => out.push(if c < 0x80 { c } else { b'?' }),
            }
        }
        out
    }
}

/// Why a `.reg` file cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A line that is not what the place in the file allows.
    Unexpected { line: usize, text: Vec<u8> },
    /// A value line whose name or value is malformed.
    Malformed { line: usize, text: Vec<u8> },
    /// `--encoding` named no encoding Encode knows (met at the first string value, written
    /// with `syntax`).
    UnknownEncoding { name: String, syntax: StringSyntax },
}

/// The ways a string value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringSyntax {
    /// `str:"…"`
    Str,
    /// `str(N):"…"`
    StrTyped,
    /// `"…"`
    Quoted,
}

impl ParseError {
    /// The line number the error is on, when it is about a line.
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::Unexpected { line, .. } | ParseError::Malformed { line, .. } => Some(*line),
            ParseError::UnknownEncoding { .. } => None,
        }
    }
}

/// reg_import's wording (its text spans two lines: the line follows "near").
impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unexpected { line, text } => write!(
                f,
                "reg_import: parse error: unexpected text found at line {} near\n{}",
                line,
                String::from_utf8_lossy(text)
            ),
            ParseError::Malformed { line, text } => write!(
                f,
                "reg_import: parse error: at line {} near\n{}",
                line,
                String::from_utf8_lossy(text)
            ),
            ParseError::UnknownEncoding { name, .. } => write!(f, "Unknown encoding '{}'", name),
        }
    }
}

impl std::error::Error for ParseError {}

/// The string data encoding: a known one, or the name that was given when Encode would fail.
#[derive(Clone, Debug)]
pub enum StringEncoding {
    Known(Encoding),
    Unknown(String),
}

impl StringEncoding {
    /// `--encoding NAME`, or the default (UTF-16LE) without one.
    pub fn named(name: Option<&str>) -> StringEncoding {
        match name {
            None | Some("") => StringEncoding::Known(Encoding::Utf16Le),
            Some(n) => Encoding::from_name(n)
                .map(StringEncoding::Known)
                .unwrap_or_else(|| StringEncoding::Unknown(n.to_string())),
        }
    }
}

/// The operations of a `.reg` file, in order; after an error, nothing more.
pub struct Operations<'a> {
    input: &'a [u8],
    pos: usize,
    lineno: usize,
    encoding: StringEncoding,
    /// The section being read: its path, values to set and to delete.
    section: Option<(String, Vec<RegValue>, Vec<String>)>,
    /// Whether a string value has been encoded yet.
    encoded_string: std::cell::Cell<bool>,
    done: bool,
}

/// Reads `input` (a whole `.reg` file) with string data in `encoding`.
pub fn operations(input: &[u8], encoding: StringEncoding) -> Operations<'_> {
    Operations {
        input,
        pos: 0,
        lineno: 0,
        encoding,
        section: None,
        encoded_string: std::cell::Cell::new(false),
        done: false,
    }
}

/// Perl's `$` (end, or before a final newline) made plain: the line without its final newline.
fn body(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim_end_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().rev().take_while(|&&c| is_space(c)).count();
    &s[..s.len() - n]
}

/// `/^\s*(;.*)?$/`: blank or a comment.
fn is_blank_or_comment(line: &[u8]) -> bool {
    let rest = &line[line.iter().take_while(|&&c| is_space(c)).count()..];
    rest.is_empty() || rest[0] == b';'
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `/^\[(.*)\]\s*$/` (and with `-` for deletion): the text between the brackets.
fn bracketed(line: &[u8]) -> Option<&[u8]> {
    let inner = trim_end_spaces(line)
        .strip_prefix(b"[")?
        .strip_suffix(b"]")?;
    Some(inner)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// reg_import's `_parse_quoted_string`: `"…"` with `\` escaping the next character. Returns
/// the string and what follows the closing quote (None when an escape ran past the end).
fn quoted(s: &[u8]) -> Option<(Vec<u8>, Option<&[u8]>)> {
    if s.first() != Some(&b'"') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'"' => break,
            b'\\' => {
                i += 1;
                if let Some(&c) = s.get(i) {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    if i == s.len() {
        return None;
    }
    Some((out, s.get(i + 1..)))
}

/// Perl's `pack "H*"` of the digits left after removing commas and white space: two
/// characters a byte, letters counting as `(c + 9) & 15`, others as `c & 15`, a last odd
/// digit as the high nibble.
fn hex_bytes(s: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = s
        .iter()
        .copied()
        .filter(|&c| c != b',' && !is_space(c))
        .map(|c| {
            if c.is_ascii_alphabetic() {
                c.wrapping_add(9) & 0x0f
            } else {
                c & 0x0f
            }
        })
        .collect();
    digits
        .chunks(2)
        .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
        .collect()
}

/// `[[:xdigit:]]+` read as Perl's `hex`, kept to the 32 bits of a value type.
fn hex_number(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some(s.iter().fold(0u32, |n, &c| {
        (n << 4) | (char::from(c).to_digit(16).unwrap_or(0))
    }))
}

/// `TYPE(N):rest` → (N, rest).
fn typed<'a>(v: &'a [u8], prefix: &[u8]) -> Option<(u32, &'a [u8])> {
    let rest = v.strip_prefix(prefix)?.strip_prefix(b"(")?;
    let close = rest.iter().position(|&c| c == b')')?;
    let n = hex_number(&rest[..close])?;
    Some((n, rest[close + 1..].strip_prefix(b":")?))
}

impl Operations<'_> {
    /// How many physical lines have been read so far (Perl's `$.`).
    pub fn lines_read(&self) -> usize {
        let read = &self.input[..self.pos];
        read.iter().filter(|&&c| c == b'\n').count()
            + usize::from(read.last().is_some_and(|&c| c != b'\n'))
    }

    /// Whether a string value has been encoded so far (the first one loads the encoder).
    pub fn encoded_string(&self) -> bool {
        self.encoded_string.get()
    }

    /// The next line with reg_import's joining of `\` continuations, and its number (that of
    /// the last physical line joined, except when the file ended while joining).
    fn next_line(&mut self) -> Option<Vec<u8>> {
        let mut line = self.read_physical()?;
        loop {
            self.lineno += 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let kept = trim_end_spaces(&line).len();
            if kept == 0 || line[kept - 1] != b'\\' {
                return Some(line);
            }
            line.truncate(kept - 1);
            if let Some(next) = self.read_physical() {
                line.extend_from_slice(&next);
            }
            if self.pos >= self.input.len() {
                // Perl joins no further at the end of the file: the line is taken as it is.
                return Some(line);
            }
        }
    }

    fn read_physical(&mut self) -> Option<Vec<u8>> {
        if self.pos >= self.input.len() {
            return None;
        }
        let rest = &self.input[self.pos..];
        let len = rest
            .iter()
            .position(|&c| c == b'\n')
            .map_or(rest.len(), |n| n + 1);
        self.pos += len;
        Some(rest[..len].to_vec())
    }

    /// `_parse_value`: VALUE of a `name=VALUE` line.
    fn value(&self, name: Vec<u8>, v: &[u8]) -> Result<Option<RegValue>, ParseError> {
        let v = body(v);
        let name = text(&name);
        let made = |value_type: u32, data: Vec<u8>| {
            Ok(Some(RegValue {
                name: name.clone(),
                value_type,
                data,
            }))
        };
        if let Some(d) = v.strip_prefix(b"dword:") {
            if d.len() == 8 {
                if let Some(n) = hex_number(d) {
                    return made(crate::hive::REG_DWORD, n.to_le_bytes().to_vec());
                }
            }
        }
        if let Some(d) = v.strip_prefix(b"hex:") {
            return made(crate::hive::REG_BINARY, hex_bytes(d));
        }
        if let Some((t, d)) = typed(v, b"hex") {
            return made(t, hex_bytes(d));
        }
        let string =
            |syntax: StringSyntax, t: u32, s: &[u8]| -> Result<Option<RegValue>, ParseError> {
                if !(s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"') {
                    return Ok(None);
                }
                let Some((mut chars, _)) = quoted(s) else {
                    return Ok(None);
                };
                chars.push(0);
                self.encoded_string.set(true);
                match &self.encoding {
                    StringEncoding::Known(e) => made(t, e.encode(&chars)),
                    StringEncoding::Unknown(n) => Err(ParseError::UnknownEncoding {
                        name: n.clone(),
                        syntax,
                    }),
                }
            };
        if let Some(s) = v.strip_prefix(b"str:") {
            return string(StringSyntax::Str, crate::hive::REG_SZ, s);
        }
        if let Some((t, s)) = typed(v, b"str") {
            return string(StringSyntax::StrTyped, t, s);
        }
        if v.first() == Some(&b'"') {
            return string(StringSyntax::Quoted, crate::hive::REG_SZ, v);
        }
        Ok(None)
    }

    /// One line of a section: Ok(true) when it ended the section.
    fn section_line(&mut self, line: &[u8]) -> Result<bool, ParseError> {
        let lineno = self.lineno;
        let malformed = || ParseError::Malformed {
            line: lineno,
            text: line.to_vec(),
        };
        let b = body(line);
        let Some((_, _, delete)) = self.section.as_mut() else {
            return Ok(true);
        };
        if b.first() == Some(&b'"') && trim_end_spaces(b).ends_with(b"=-") {
            // `/^(".*)=-\s*$/`: delete a value.
            let (name, _) = quoted(line).ok_or_else(malformed)?;
            delete.push(text(&name));
            return Ok(false);
        }
        if trim_end_spaces(b) == b"@=-" {
            delete.push(String::new());
            return Ok(false);
        }
        let value = if b.first() == Some(&b'"') && contains(&b[1..], b"\"=") {
            let (name, rest) = quoted(line).ok_or_else(malformed)?;
            match rest.and_then(|r| r.strip_prefix(b"=")) {
                Some(v) => self.value(name, v)?,
                None => None,
            }
        } else if let Some(v) = b.strip_prefix(b"@=") {
            self.value(Vec::new(), v)?
        } else if is_blank_or_comment(b) {
            return Ok(true);
        } else {
            return Err(ParseError::Unexpected {
                line: lineno,
                text: line.to_vec(),
            });
        };
        let value = value.ok_or_else(malformed)?;
        if let Some((_, set, _)) = self.section.as_mut() {
            set.push(value);
        }
        Ok(false)
    }

    fn end_section(&mut self) -> Option<Operation> {
        self.section
            .take()
            .map(|(path, set, delete)| Operation::MergeKey { path, set, delete })
    }
}

impl Iterator for Operations<'_> {
    type Item = Result<Operation, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        while let Some(line) = self.next_line() {
            let b = body(&line);
            if self.section.is_some() {
                match self.section_line(&line) {
                    Ok(false) => continue,
                    Ok(true) => return self.end_section().map(Ok),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            if is_blank_or_comment(b)
                || contains(b, b"Windows Registry Editor Version")
                || b.starts_with(b"REGEDIT")
            {
                continue;
            }
            match bracketed(b) {
                Some(inner) if inner.first() == Some(&b'-') => {
                    return Some(Ok(Operation::DeleteKey {
                        path: text(&inner[1..]),
                    }));
                }
                Some(inner) => {
                    self.section = Some((text(inner), Vec::new(), Vec::new()));
                }
                None => {
                    self.done = true;
                    return Some(Err(ParseError::Unexpected {
                        line: self.lineno,
                        text: line,
                    }));
                }
            }
        }
        self.done = true;
        self.end_section().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Operation>, ParseError> {
        operations(s.as_bytes(), StringEncoding::named(None)).collect()
    }

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(|u| u.to_le_bytes())
            .collect()
    }

    fn merge(path: &str, set: Vec<RegValue>, delete: Vec<&str>) -> Operation {
        Operation::MergeKey {
            path: path.into(),
            set,
            delete: delete.into_iter().map(String::from).collect(),
        }
    }

    fn val(name: &str, value_type: u32, data: Vec<u8>) -> RegValue {
        RegValue {
            name: name.into(),
            value_type,
            data,
        }
    }

    #[test]
    fn every_value_form() {
        let ops = parse(
            "Windows Registry Editor Version 5.00\r\n\r\n; c\r\n[HKLM\\SOFTWARE\\T]\r\n\
             \"S\"=\"a \\\"q\\\" \\\\ b\"\r\n@=\"d\"\r\n\"D\"=dword:0000002a\r\n\
             \"B\"=hex:01,02,\\\r\n  03\r\n\"E\"=hex(2):41,00,00,00\r\n\"X\"=str(2):\"x\"\r\n\
             \"W\"=str:\"w\"\r\n\"Q\"=hex(b):01,00,00,00,00,00,00,00\r\n\"gone\"=-\r\n@=-\r\n",
        )
        .unwrap();
        assert_eq!(
            ops,
            vec![merge(
                "HKLM\\SOFTWARE\\T",
                vec![
                    val("S", 1, utf16z("a \"q\" \\ b")),
                    val("", 1, utf16z("d")),
                    val("D", 4, vec![42, 0, 0, 0]),
                    val("B", 3, vec![1, 2, 3]),
                    val("E", 2, vec![0x41, 0, 0, 0]),
                    val("X", 2, utf16z("x")),
                    val("W", 1, utf16z("w")),
                    val("Q", 11, vec![1, 0, 0, 0, 0, 0, 0, 0]),
                ],
                vec!["gone", ""],
            )]
        );
    }

    #[test]
    fn sections_deletions_and_headers() {
        let ops = parse("REGEDIT4\n[-HKLM\\SOFTWARE\\A]\n[HKLM\\SOFTWARE\\B]\n\"a\"=\"b\"\n\n[HKLM\\SOFTWARE\\C]\n").unwrap();
        assert_eq!(
            ops,
            vec![
                Operation::DeleteKey {
                    path: "HKLM\\SOFTWARE\\A".into()
                },
                merge("HKLM\\SOFTWARE\\B", vec![val("a", 1, utf16z("b"))], vec![]),
                merge("HKLM\\SOFTWARE\\C", vec![], vec![]),
            ]
        );
    }

    #[test]
    fn errors_name_the_line_after_the_operations_before_it() {
        let mut ops = operations(
            b"[K1]\n\"a\"=\"b\"\n\n[K2]\n\"a\"=dword:123\n",
            StringEncoding::named(None),
        );
        assert!(matches!(ops.next(), Some(Ok(Operation::MergeKey { .. }))));
        let e = ops.next().unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            "reg_import: parse error: at line 5 near\n\"a\"=dword:123"
        );
        assert_eq!(ops.next(), None);
        // A section is only ended by a blank line.
        let e = parse("[K1]\n\"a\"=\"b\"\n[K2]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "reg_import: parse error: unexpected text found at line 3 near\n[K2]"
        );
        let e = parse("\n\ngarbage\n").unwrap_err();
        assert_eq!(e.line(), Some(3));
        // Continuation lines count.
        let e = parse("[K]\n\"a\"=hex:01,\\\n02\n\"b\"=\"x\n").unwrap_err();
        assert_eq!(e.line(), Some(4));
        assert!(matches!(
            parse("[K]\n\"a\"=\"b\"\n\"c\"=bogus\n"),
            Err(ParseError::Malformed { line: 3, .. })
        ));
        // Not a value line at all: `"name"` must be followed by `=`.
        assert!(matches!(
            parse("[K]\n\"a=\"b\"\n"),
            Err(ParseError::Unexpected { line: 2, .. })
        ));
    }

    #[test]
    fn encodings() {
        let ops: Vec<_> = operations(
            "[K]\n\"a\"=\"x\u{e9}\"\n".as_bytes(),
            StringEncoding::named(Some("ASCII")),
        )
        .collect::<Result<_, _>>()
        .unwrap();
        // The file's bytes one character each: é (two UTF-8 bytes) is two characters.
        assert_eq!(
            ops,
            vec![merge("K", vec![val("a", 1, b"x??\0".to_vec())], vec![])]
        );
        let e = operations(b"[K]\n\"a\"=\"x\"\n", StringEncoding::named(Some("nosuch")))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert_eq!(e.to_string(), "Unknown encoding 'nosuch'");
        assert_eq!(Encoding::from_name("utf16le"), Some(Encoding::Utf16Le));
        assert_eq!(Encoding::from_name("ISO_8859-1"), Some(Encoding::Latin1));
    }

    #[test]
    fn hex_digits_pack_like_perl() {
        assert_eq!(hex_bytes(b"0a, 0B,\tc"), vec![0x0a, 0x0b, 0xc0]);
        assert_eq!(hex_bytes(b"zz"), vec![0x33]);
    }
}
