//! Guest icons (`inspect_get_icon`): the PNG files libguestfs knows for each distro.
//!
//! Not done (they need external converters libguestfs runs): CirrOS (`pbmtext | pnmtopng` of
//! an ASCII logo) and Windows XP/7 (`wrestool`/`bmptopnm`/`pnmtopng` on explorer.exe); for
//! these no icon is returned.

use super::apps::read_db_file;
use super::io::Io;
use super::InspectionData;
use crate::error::{Error, Result};
use crate::guest::GuestExt;

/// The PNG signature and the IHDR chunk header `file(1)` requires right after it.
const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const PNG_IHDR: &[u8; 8] = b"\x00\x00\x00\x0dIHDR";

/// The width and height `file(1)` reports for a PNG header (first 24 bytes).
pub fn png_geometry(head: &[u8]) -> Option<(u32, u32)> {
    if head.get(..8)? != PNG_SIGNATURE || head.get(8..16)? != PNG_IHDR {
        return None;
    }
    let w = u32::from_be_bytes(head.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(head.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// libguestfs's `get_png`: a regular file (following symlinks) that is a PNG of 16..1024
/// pixels a side and at most `max_size` bytes (4·W·H when 0). `Ok(None)` is "not found";
/// size refusals are also returned in `reported` (libguestfs prints them).
fn get_png(
    io: &mut Io,
    path: &str,
    max_size: u64,
    reported: &mut Vec<Error>,
) -> Result<Option<Vec<u8>>> {
    if !io.be.is_file_follow(path, true)? {
        return Ok(None);
    }
    let Ok(real) = io.be.realpath(path) else {
        return Ok(None);
    };
    let Ok(head) = io.be.pread(&real, 24, 0) else {
        return Ok(None);
    };
    let Some((w, h)) = png_geometry(&head) else {
        return Ok(None);
    };
    if !(16..=1024).contains(&w) || !(16..=1024).contains(&h) {
        return Ok(None);
    }
    let max = if max_size == 0 {
        4 * w as u64 * h as u64
    } else {
        max_size
    };
    match read_db_file(io, &real, max) {
        Ok(data) => Ok(Some(data)),
        Err(e) => {
            reported.push(e);
            Ok(None)
        }
    }
}

fn first_png(
    io: &mut Io,
    paths: &[&str],
    max: u64,
    reported: &mut Vec<Error>,
) -> Result<Option<Vec<u8>>> {
    for p in paths {
        if let Some(d) = get_png(io, p, max, reported)? {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// Windows 8's Windows Live tile: no PNG or geometry check, at most 8192 bytes.
fn icon_windows_8(io: &mut Io, reported: &mut Vec<Error>) -> Result<Option<Vec<u8>>> {
    let Some(p) =
        io.case_sensitive_path_silently("/ProgramData/Microsoft/Windows Live/WLive48x48.png")
    else {
        return Ok(None);
    };
    if !io.be.is_file_follow(&p, true)? {
        return Ok(None);
    }
    match read_db_file(io, &p, 8192) {
        Ok(d) => Ok(Some(d)),
        Err(e) => {
            reported.push(e);
            Ok(None)
        }
    }
}

/// The icon of a root (an empty buffer when there is none).
pub fn get_icon(
    io: &mut Io,
    data: &InspectionData,
    favicon: bool,
    highquality: bool,
    reported: &mut Vec<Error>,
) -> Result<Vec<u8>> {
    let favicon = favicon && !highquality;
    let os_type = data.os_type.unwrap_or("unknown");
    let distro = data.distro.unwrap_or("unknown");
    if favicon {
        let mut path = "/etc/favicon.png".to_string();
        if os_type == "windows" {
            if let Some(p) = io.case_sensitive_path_silently(&path) {
                path = p;
            }
        }
        if let Some(d) = get_png(io, &path, 0, reported)? {
            return Ok(d);
        }
    }
    let major = data.version.map(|v| v.0).unwrap_or(0);
    let found = match os_type {
        "linux" | "hurd" => match distro {
            "fedora" => get_png(
                io,
                "/usr/share/icons/hicolor/96x96/apps/fedora-logo-icon.png",
                0,
                reported,
            )?,
            "rhel" | "redhat-based" | "centos" | "rocky" | "scientificlinux" | "oraclelinux" => {
                let p = if major < 7 {
                    "/usr/share/pixmaps/redhat/shadowman-transparent.png"
                } else {
                    "/usr/share/icons/hicolor/96x96/apps/system-logo-icon.png"
                };
                get_png(io, p, 102400, reported)?
            }
            "debian" => get_png(io, "/usr/share/pixmaps/debian-logo.png", 2048, reported)?,
            "ubuntu" if !highquality => first_png(
                io,
                &[
                    "/usr/share/icons/gnome/24x24/places/ubuntu-logo.png",
                    "/usr/share/help/C/ubuntu-help/figures/ubuntu-logo.png",
                ],
                2048,
                reported,
            )?,
            "mageia" => get_png(io, "/usr/share/icons/mageia.png", 10240, reported)?,
            "opensuse" | "sles" | "suse-based" => first_png(
                io,
                &[
                    "/usr/share/icons/hicolor/48x48/apps/distributor.png",
                    "/usr/share/icons/hicolor/24x24/apps/distributor.png",
                ],
                10240,
                reported,
            )?,
            "voidlinux" => get_png(io, "/usr/share/void-artwork/void-logo.png", 20480, reported)?,
            "altlinux" => get_png(
                io,
                "/usr/share/icons/hicolor/48x48/apps/altlinux.png",
                20480,
                reported,
            )?,
            "gentoo" => get_png(
                io,
                "/usr/share/icons/gentoo/48x48/gentoo.png",
                10240,
                reported,
            )?,
            "openmandriva" => first_png(
                io,
                &[
                    "/usr/share/icons/large/mandriva.png",
                    "/usr/share/icons/mandriva.png",
                ],
                10240,
                reported,
            )?,
            _ => None,
        },
        "windows" if !highquality && data.windows_systemroot.is_some() => match data.version {
            Some((6, 2)) => icon_windows_8(io, reported)?,
            _ => None,
        },
        _ => None,
    };
    Ok(found.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_header() {
        let mut h = PNG_SIGNATURE.to_vec();
        h.extend_from_slice(PNG_IHDR);
        h.extend_from_slice(&48u32.to_be_bytes());
        h.extend_from_slice(&32u32.to_be_bytes());
        assert_eq!(png_geometry(&h), Some((48, 32)));
        assert_eq!(png_geometry(&h[..20]), None);
        h[12] = b'X';
        assert_eq!(png_geometry(&h), None);
    }
}
