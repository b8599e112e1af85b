//! dpkg's `/var/lib/dpkg/status`, read as libguestfs 1.48 reads it.

use super::new_app;
use crate::inspect::text::parse_unsigned_int;
use crate::types::Application2;

/// libguestfs reads lines with `fgets` into a 1024-byte buffer: longer lines come in pieces
/// of 1023 bytes, and each piece is a line of its own.
const FGETS_MAX: usize = 1023;

/// Splits into `fgets` pieces, each without its trailing `\n`.
pub fn fgets_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let rest = &data[pos..];
        let limit = rest.len().min(FGETS_MAX);
        let piece_len = match rest[..limit].iter().position(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => limit,
        };
        let piece = &rest[..piece_len];
        out.push(piece.strip_suffix(b"\n").unwrap_or(piece));
        pos += piece_len;
    }
    out
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn find(b: &[u8], c: u8) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

/// Parses dpkg status content into the installed packages, in file order.
pub fn parse_dpkg_status(data: &[u8]) -> Vec<Application2> {
    let mut apps = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut release: Option<String> = None;
    let mut arch: Option<String> = None;
    let mut url: Option<String> = None;
    let mut source: Option<String> = None;
    let mut summary: Option<String> = None;
    let mut description: Option<String> = None;
    let mut epoch: i32 = 0;
    let mut installed = false;
    let mut in_description = false;

    for line in fgets_lines(data) {
        if let Some(r) = line.strip_prefix(b"Package: ") {
            name = Some(s(r));
            in_description = false;
        } else if let Some(r) = line.strip_prefix(b"Status: ") {
            installed = r.windows(9).any(|w| w == b"installed");
            in_description = false;
        } else if let Some(r) = line.strip_prefix(b"Version: ") {
            let rest = match find(r, b':') {
                Some(i) => {
                    epoch = parse_unsigned_int(&s(&r[..i]));
                    &r[i + 1..]
                }
                None => {
                    epoch = 0;
                    r
                }
            };
            match find(rest, b'-') {
                Some(i) => {
                    version = Some(s(&rest[..i]));
                    release = Some(s(&rest[i + 1..]));
                }
                None => {
                    version = Some(s(rest));
                    release = None;
                }
            }
            in_description = false;
        } else if let Some(r) = line.strip_prefix(b"Architecture: ") {
            arch = Some(s(r));
            in_description = false;
        } else if let Some(r) = line.strip_prefix(b"Homepage: ") {
            url = Some(s(r));
            in_description = false;
        } else if let Some(r) = line.strip_prefix(b"Source: ") {
            let end = find(r, b' ').unwrap_or(r.len());
            source = Some(s(&r[..end]));
            in_description = false;
        } else if let Some(r) = line.strip_prefix(b"Description: ") {
            summary = Some(s(r));
            in_description = true;
        } else if line.first() == Some(&b' ') {
            if in_description {
                let text = s(&line[1..]);
                description = Some(match description.take() {
                    Some(d) => format!("{}\n{}", d, text),
                    None => text,
                });
            }
        } else if line.is_empty() {
            if installed && epoch >= 0 {
                if let (Some(n), Some(v)) = (&name, &version) {
                    let mut a = new_app();
                    a.app2_name = n.clone();
                    a.app2_epoch = epoch;
                    a.app2_version = v.clone();
                    a.app2_release = release.clone().unwrap_or_default();
                    a.app2_arch = arch.clone().unwrap_or_default();
                    a.app2_url = url.clone().unwrap_or_default();
                    a.app2_source_package = source.clone().unwrap_or_default();
                    a.app2_summary = summary.clone().unwrap_or_default();
                    a.app2_description = description.clone().unwrap_or_default();
                    apps.push(a);
                }
            }
            name = None;
            version = None;
            release = None;
            arch = None;
            url = None;
            source = None;
            summary = None;
            description = None;
            epoch = 0;
            installed = false;
            in_description = false;
        } else {
            in_description = false;
        }
    }
    apps
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] = b"Package: test1\nStatus: install ok installed\nPriority: extra\nVersion: 1.2.3-1\nArchitecture: amd64\nHomepage: http://libguestfs.org/\nSource: test (1.0)\nDescription: this is a test package\n This is a test package.\n .\n Don't confuse it with a real package.\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: epoch\nStatus: install ok installed\nVersion: 2:3.4-5-6\nDescription: x\nMaintainer: m\n ignored\n\nPackage: bad-epoch\nStatus: install ok installed\nVersion: x:1\n\nPackage: last\nStatus: install ok installed\nVersion: 1\n";

    #[test]
    fn status_file() {
        let apps = parse_dpkg_status(STATUS);
        assert_eq!(apps.len(), 2);
        let a = &apps[0];
        assert_eq!(a.app2_name, "test1");
        assert_eq!(a.app2_version, "1.2.3");
        assert_eq!(a.app2_release, "1");
        assert_eq!(a.app2_arch, "amd64");
        assert_eq!(a.app2_source_package, "test");
        assert_eq!(a.app2_summary, "this is a test package");
        assert_eq!(
            a.app2_description,
            "This is a test package.\n.\nDon't confuse it with a real package."
        );
        let b = &apps[1];
        assert_eq!(
            (
                b.app2_epoch,
                b.app2_version.as_str(),
                b.app2_release.as_str()
            ),
            (2, "3.4", "5-6")
        );
        assert_eq!(b.app2_description, "");
    }

    #[test]
    fn long_lines_split() {
        let mut data = b"Package: p\nStatus: installed\nVersion: 1\nDescription: ".to_vec();
        data.extend(std::iter::repeat_n(b'x', 1023 - 13));
        data.extend(b"\n\n");
        // The Description line is exactly 1023 bytes: its newline is read as an empty line,
        // which ends the record.
        let apps = parse_dpkg_status(&data);
        assert_eq!(apps.len(), 1);
        assert_eq!(fgets_lines(b"a\nb").len(), 2);
    }
}
