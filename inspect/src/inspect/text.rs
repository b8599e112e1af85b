//! Small text helpers shared by the inspection parsers: unquoting, key=value lines, version
//! numbers, and OCaml's integer conversion (whose failures libguestfs does not catch).

use crate::error::{Error, Result};
use regex_lite::Regex;
use std::sync::OnceLock;

/// A lazily compiled regex from a static pattern.
pub struct Rx {
    pattern: &'static str,
    cell: OnceLock<Regex>,
}

impl Rx {
    pub const fn new(pattern: &'static str) -> Rx {
        Rx {
            pattern,
            cell: OnceLock::new(),
        }
    }

    pub fn get(&self) -> &Regex {
        // The patterns are constants of this crate; `every_constant_pattern_compiles` compiles
        // each one, so this cannot fail at run time.
        self.cell
            .get_or_init(|| Regex::new(self.pattern).expect("constant regex"))
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.get().is_match(s)
    }

    /// The capture groups of the first match (index 0 is the whole match); a group that did
    /// not take part is None.
    pub fn captures(&self, s: &str) -> Option<Vec<Option<String>>> {
        let caps = self.get().captures(s)?;
        Some(
            (0..caps.len())
                .map(|i| caps.get(i).map(|m| m.as_str().to_string()))
                .collect(),
        )
    }
}

/// The error OCaml's `int_of_string` raises (not caught by libguestfs's callers).
pub fn int_of_string_failure() -> Error {
    Error::msg("int_of_string")
}

/// OCaml's `int_of_string` on a decimal digit string: a 63-bit int, failing on overflow or
/// on anything but digits (with an optional sign).
pub fn int_of_string(s: &str) -> Result<i64> {
    const MAX: i128 = (1i128 << 62) - 1;
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return Err(int_of_string_failure());
    }
    if digits.starts_with('_') {
        return Err(int_of_string_failure());
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        if b == b'_' {
            continue;
        }
        v = v * 10 + (b - b'0') as i128;
        if v > MAX + 1 {
            return Err(int_of_string_failure());
        }
    }
    if neg {
        v = -v;
    }
    if !(-MAX - 1..=MAX).contains(&v) {
        return Err(int_of_string_failure());
    }
    Ok(v as i64)
}

/// libguestfs's `guestfs_int_parse_unsigned_int`: a whole-string non-negative decimal int
/// (up to INT_MAX), or -1.
pub fn parse_unsigned_int(s: &str) -> i32 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return -1;
    }
    let mut v: i64 = 0;
    for b in t.bytes() {
        v = v * 10 + (b - b'0') as i64;
        if v > i32::MAX as i64 {
            return -1;
        }
    }
    v as i32
}

/// Shell unquoting as libguestfs's `shell_unquote`: `'…'` loses its quotes; `"…"` loses its
/// quotes and the backslash before `$`, `` ` ``, `"`, `\` or newline; anything else is kept.
pub fn shell_unquote(s: &str) -> String {
    let b = s.as_bytes();
    let len = b.len();
    if len >= 2 {
        if b[0] == b'\'' && b[len - 1] == b'\'' {
            return String::from_utf8_lossy(&b[1..len - 1]).into_owned();
        }
        if b[0] == b'"' && b[len - 1] == b'"' {
            let mut out = Vec::with_capacity(len);
            let mut i = 1;
            while i < len - 1 {
                if i < len - 2
                    && b[i] == b'\\'
                    && matches!(b[i + 1], b'$' | b'`' | b'"' | b'\\' | b'\n')
                {
                    i += 1;
                }
                out.push(b[i]);
                i += 1;
            }
            return String::from_utf8_lossy(&out).into_owned();
        }
    }
    s.to_string()
}

/// Strips one pair of matching surrounding `"` or `'` quotes.
pub fn simple_unquote(s: &str) -> String {
    let b = s.as_bytes();
    let n = b.len();
    if n >= 2 && ((b[0] == b'"' && b[n - 1] == b'"') || (b[0] == b'\'' && b[n - 1] == b'\'')) {
        s[1..n - 1].to_string()
    } else {
        s.to_string()
    }
}

/// `key=value` lines: empty lines and lines starting with `#` are dropped; the key is
/// everything before the first `=` (the whole line, with an empty value, if there is none).
pub fn parse_key_value_strings(
    lines: &[String],
    unquote: fn(&str) -> String,
) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), unquote(v)),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

static RE_MAJOR_MINOR: Rx = Rx::new(r"(\d+)\.(\d+)");
static RE_MAJOR_NO_MINOR: Rx = Rx::new(r"(\d+)");

/// libguestfs's generic version parse: the first `N.M`, else the first `N` (minor 0), else
/// the version is left as it was. Digit strings that overflow an OCaml int are an error.
pub fn parse_version_from_major_minor(s: &str, version: &mut Option<(i64, i64)>) -> Result<()> {
    if let Some(c) = RE_MAJOR_MINOR.captures(s) {
        let major = int_of_string(c[1].as_deref().unwrap_or(""))?;
        let minor = int_of_string(c[2].as_deref().unwrap_or(""))?;
        *version = Some((major, minor));
    } else if let Some(c) = RE_MAJOR_NO_MINOR.captures(s) {
        let major = int_of_string(c[1].as_deref().unwrap_or(""))?;
        *version = Some((major, 0));
    }
    Ok(())
}

/// Canonicalises a Unix path: empty components dropped, a leading `/` kept
/// (`///usr//local//` → `/usr/local`; `none` stays `none`).
pub fn unix_canonical_path(path: &str) -> String {
    let abs = path.starts_with('/');
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let joined = parts.join("/");
    if abs {
        format!("/{}", joined)
    } else {
        joined
    }
}

/// Bijective base-26 drive index: `a` = 0 … `z` = 25, `aa` = 26; -1 for anything else.
pub fn drive_index(name: &str) -> i64 {
    let mut r: i64 = 0;
    for b in name.bytes() {
        if b.is_ascii_lowercase() {
            r = r.saturating_mul(26).saturating_add((b - b'a' + 1) as i64);
        } else {
            return -1;
        }
    }
    r - 1
}

/// The letters for a drive index (0 → `a`, 26 → `aa`).
pub fn drive_name(mut index: u64) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `Rx::new(r"…")` in the crate's sources is a valid regex (what makes the
    /// `expect` in [`Rx::get`] infallible).
    #[test]
    fn every_constant_pattern_compiles() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let opener = concat!("Rx::new", "(r\"");
        let mut checked = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (at, _) in text.match_indices(opener) {
                let rest = &text[at + opener.len()..];
                let pattern = &rest[..rest.find("\")").unwrap()];
                assert!(
                    Regex::new(pattern).is_ok(),
                    "{}: bad pattern {}",
                    f.display(),
                    pattern
                );
                checked += 1;
            }
        }
        assert!(checked >= 40, "only {} patterns found", checked);
    }

    #[test]
    fn unquoting() {
        assert_eq!(shell_unquote("'a b'"), "a b");
        assert_eq!(shell_unquote(r#""a \"b\" \$x \\ \q""#), r#"a "b" $x \ \q"#);
        assert_eq!(shell_unquote(r#""a\""#), r#"a\"#);
        assert_eq!(shell_unquote("\"x"), "\"x");
        assert_eq!(shell_unquote("plain"), "plain");
        assert_eq!(shell_unquote("\""), "\"");
        assert_eq!(simple_unquote("\"Ubuntu 10.10\""), "Ubuntu 10.10");
        assert_eq!(simple_unquote("'x\""), "'x\"");
    }

    #[test]
    fn key_values() {
        let lines: Vec<String> = ["# c", "", "A=1", "B", "C=x=y", "A=\"2\""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let kv = parse_key_value_strings(&lines, shell_unquote);
        assert_eq!(
            kv,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "".into()),
                ("C".into(), "x=y".into()),
                ("A".into(), "2".into())
            ]
        );
    }

    #[test]
    fn versions() {
        let p = |s: &str| {
            let mut v = None;
            parse_version_from_major_minor(s, &mut v).map(|_| v)
        };
        assert_eq!(p("Fedora release 14 (Phony)").unwrap(), Some((14, 0)));
        assert_eq!(p("5.0.1").unwrap(), Some((5, 0)));
        assert_eq!(p("10.10").unwrap(), Some((10, 10)));
        assert_eq!(p("22.04").unwrap(), Some((22, 4)));
        assert_eq!(p("899.13.0").unwrap(), Some((899, 13)));
        assert_eq!(p("rolling").unwrap(), None);
        assert!(p("99999999999999999999").is_err());
        assert_eq!(
            p("4611686018427387903").unwrap(),
            Some((4611686018427387903, 0))
        );
        assert!(p("4611686018427387904").is_err());
    }

    #[test]
    fn ints() {
        assert_eq!(parse_unsigned_int("12"), 12);
        assert_eq!(parse_unsigned_int("1a"), -1);
        assert_eq!(parse_unsigned_int(""), -1);
        assert_eq!(parse_unsigned_int("-1"), -1);
        assert_eq!(parse_unsigned_int("2147483648"), -1);
        assert_eq!(int_of_string("007").unwrap(), 7);
    }

    #[test]
    fn paths_and_drives() {
        assert_eq!(unix_canonical_path("///usr//local//"), "/usr/local");
        assert_eq!(unix_canonical_path("none"), "none");
        assert_eq!(unix_canonical_path("/"), "/");
        assert_eq!(drive_index("a"), 0);
        assert_eq!(drive_index("z"), 25);
        assert_eq!(drive_index("aa"), 26);
        assert_eq!(drive_index("A"), -1);
        assert_eq!(drive_name(0), "a");
        assert_eq!(drive_name(26), "aa");
    }
}
