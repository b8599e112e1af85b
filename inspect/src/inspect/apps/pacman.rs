//! pacman's local database: one `desc` file per package under `/var/lib/pacman/local`.

use super::new_app;
use crate::inspect::text::parse_unsigned_int;
use crate::types::Application2;

/// The largest `desc` file read; bigger ones are skipped.
pub const DESC_MAX: u64 = 8192;

/// Removes the line ending as libguestfs's `chomp` does.
pub fn chomp(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let Some((&last, rest)) = l.split_last() {
        if last == b'\n' || last == b'\r' {
            l = rest;
        } else {
            break;
        }
    }
    l
}

/// Splits into lines as `getline` returns them (each with its `\n`, if any).
pub fn getlines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i + 1)
            .unwrap_or(data.len());
        out.push(&data[pos..end]);
        pos = end;
    }
    out
}

#[derive(Clone, Copy)]
enum Key {
    Name,
    Version,
    Desc,
    Url,
    Arch,
}

/// Parses one `desc` file; None if a mandatory field is missing or the version is malformed.
pub fn parse_desc(data: &[u8]) -> Option<Application2> {
    let mut name = None;
    let mut version = None;
    let mut desc = None;
    let mut url = None;
    let mut arch = None;
    let mut key: Option<Key> = None;
    for raw in getlines(data) {
        let line = chomp(raw);
        if line.is_empty() {
            key = None;
            continue;
        }
        let text = String::from_utf8_lossy(line).into_owned();
        if let Some(k) = key.take() {
            match k {
                Key::Name => name = Some(text),
                Key::Version => version = Some(text),
                Key::Desc => desc = Some(text),
                Key::Url => url = Some(text),
                Key::Arch => arch = Some(text),
            }
            continue;
        }
        key = match line {
            b"%NAME%" => Some(Key::Name),
            b"%VERSION%" => Some(Key::Version),
            b"%DESC%" => Some(Key::Desc),
            b"%URL%" => Some(Key::Url),
            b"%ARCH%" => Some(Key::Arch),
            _ => None,
        };
    }
    let (name, version, arch) = (name?, version?, arch?);
    let (epoch, ver) = match version.split_once(':') {
        Some((e, rest)) => (parse_unsigned_int(e), rest),
        None => (0, version.as_str()),
    };
    let (ver, rel) = ver.split_once('-')?;
    if ver.is_empty() || rel.is_empty() {
        return None;
    }
    let mut a = new_app();
    a.app2_name = name;
    a.app2_epoch = epoch;
    a.app2_version = ver.to_string();
    a.app2_release = rel.to_string();
    a.app2_arch = arch;
    a.app2_url = url.unwrap_or_default();
    a.app2_description = desc.unwrap_or_default();
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desc_file() {
        let a = parse_desc(b"%NAME%\ntest-package\n\n%VERSION%\n1:0.1-1\n\n%DESC%\nTest package for libguestfs\nsecond line\n\n%URL%\nhttp://libguestfs.org/\n\n%ARCH%\nx86_64\n\n%BUILDDATE%\n1\n").unwrap();
        assert_eq!(a.app2_name, "test-package");
        assert_eq!(a.app2_epoch, 1);
        assert_eq!(a.app2_version, "0.1");
        assert_eq!(a.app2_release, "1");
        assert_eq!(a.app2_arch, "x86_64");
        assert_eq!(a.app2_url, "http://libguestfs.org/");
        assert_eq!(a.app2_description, "Test package for libguestfs");
        assert_eq!(a.app2_summary, "");
    }

    #[test]
    fn bad_desc() {
        assert!(parse_desc(b"%NAME%\nx\n%VERSION%\n1.0\n%ARCH%\nany\n").is_none());
        assert!(parse_desc(b"%NAME%\nx\n%VERSION%\n1.0-\n%ARCH%\nany\n").is_none());
        assert!(parse_desc(b"%NAME%\nx\n%VERSION%\n1.0-1\n").is_none());
        assert!(parse_desc(b"%NAME%\n\nx\n%VERSION%\n1-1\n%ARCH%\nany\n").is_none());
        let a = parse_desc(b"%NAME%\nx\n%VERSION%\nq:1-1\n%ARCH%\nany").unwrap();
        assert_eq!(a.app2_epoch, -1);
    }
}
