//! Unix-like roots: Linux distributions (release files, os-release, lsb-release, SuSE-release),
//! the BSDs, the Hurd, Minix and CoreOS; hostnames; architecture from well-known binaries;
//! and the package format/management table.

use super::arch::file_architecture;
use super::fstab::{check_fstab, read_augeas_file, sysconfig_hostname};
use super::io::Io;
use super::text::{
    int_of_string, parse_key_value_strings, parse_version_from_major_minor, shell_unquote,
    simple_unquote, Rx,
};
use super::InspectionData;
use crate::error::{Error, Result};

static RE_FEDORA: Rx = Rx::new(r"Fedora release (\d+)");
static RE_RHEL_OLD: Rx = Rx::new(r"Red Hat.*release (\d+).*Update (\d+)");
static RE_RHEL: Rx = Rx::new(r"Red Hat.*release (\d+)\.(\d+)");
static RE_RHEL_NO_MINOR: Rx = Rx::new(r"Red Hat.*release (\d+)");
static RE_CENTOS_OLD: Rx = Rx::new(r"CentOS.*release (\d+).*Update (\d+)");
static RE_CENTOS: Rx = Rx::new(r"CentOS.*release (\d+)\.(\d+)");
static RE_CENTOS_NO_MINOR: Rx = Rx::new(r"CentOS.*release (\d+)");
static RE_ROCKY: Rx = Rx::new(r"Rocky Linux.*release (\d+)\.(\d+)");
static RE_ROCKY_NO_MINOR: Rx = Rx::new(r"Rocky Linux.*release (\d+)");
static RE_SCIENTIFIC_LINUX_OLD: Rx = Rx::new(r"Scientific Linux.*release (\d+).*Update (\d+)");
static RE_SCIENTIFIC_LINUX: Rx = Rx::new(r"Scientific Linux.*release (\d+)\.(\d+)");
static RE_SCIENTIFIC_LINUX_NO_MINOR: Rx = Rx::new(r"Scientific Linux.*release (\d+)");
static RE_ORACLE_LINUX_OLD: Rx = Rx::new(r"Oracle Linux.*release (\d+).*Update (\d+)");
static RE_ORACLE_LINUX: Rx = Rx::new(r"Oracle Linux.*release (\d+)\.(\d+)");
static RE_ORACLE_LINUX_NO_MINOR: Rx = Rx::new(r"Oracle Linux.*release (\d+)");
static RE_NETBSD: Rx = Rx::new(r"^NetBSD (\d+)\.(\d+)");
static RE_OPENSUSE: Rx = Rx::new(r"^(openSUSE|SuSE Linux|SUSE LINUX) ");
static RE_SLES: Rx = Rx::new(r"^SUSE (Linux|LINUX) Enterprise ");
static RE_NLD: Rx = Rx::new(r"^Novell Linux Desktop ");
static RE_SLES_VERSION: Rx = Rx::new(r"^VERSION = (\d+)");
static RE_SLES_PATCHLEVEL: Rx = Rx::new(r"^PATCHLEVEL = (\d+)");
static RE_MINIX: Rx = Rx::new(r"^(\d+)\.(\d+)(\.(\d+))?");
static RE_OPENBSD: Rx = Rx::new(r"^OpenBSD (\d+|\?)\.(\d+|\?)");
static RE_FRUGALWARE: Rx = Rx::new(r"Frugalware (\d+)\.(\d+)");
static RE_PLDLINUX: Rx = Rx::new(r"(\d+)\.(\d+) PLD Linux");
static RE_NEOKYLIN_VERSION: Rx = Rx::new(r"^V(\d+)Update(\d+)$");
static RE_OPENMANDRIVA: Rx = Rx::new(r"OpenMandriva.*release (\d+)\.(\d+)\.?(\d+)? .*");

/// Binaries whose architecture is the guest's, tried in order.
const ARCH_BINARIES: [&str; 5] = ["/bin/bash", "/bin/ls", "/bin/echo", "/bin/rm", "/bin/sh"];

/// One row of the release-file test table.
#[derive(Clone, Copy)]
enum Parser {
    OsRelease,
    LsbRelease,
    Generic(&'static str, Option<&'static Rx>),
    SuseRelease,
    /// Sets the distro and succeeds without reading anything.
    Set(&'static str),
    /// `/etc/br-version`: cirros if the CirrOS logo is there, else buildroot.
    BrVersion,
}

use Parser::*;

/// libguestfs 1.48's release-file tests for Linux roots, in order.
const LINUX_ROOT_TESTS: &[(&str, Parser)] = &[
    ("/etc/os-release", OsRelease),
    ("/etc/lsb-release", LsbRelease),
    (
        "/etc/openmandriva-release",
        Generic("openmandriva", Some(&RE_OPENMANDRIVA)),
    ),
    (
        "/etc/oracle-release",
        Generic("oraclelinux", Some(&RE_ORACLE_LINUX_OLD)),
    ),
    (
        "/etc/oracle-release",
        Generic("oraclelinux", Some(&RE_ORACLE_LINUX)),
    ),
    (
        "/etc/oracle-release",
        Generic("oraclelinux", Some(&RE_ORACLE_LINUX_NO_MINOR)),
    ),
    (
        "/etc/centos-release",
        Generic("centos", Some(&RE_CENTOS_OLD)),
    ),
    ("/etc/centos-release", Generic("centos", Some(&RE_CENTOS))),
    (
        "/etc/centos-release",
        Generic("centos", Some(&RE_CENTOS_NO_MINOR)),
    ),
    ("/etc/rocky-release", Generic("rocky", Some(&RE_ROCKY))),
    (
        "/etc/rocky-release",
        Generic("rocky", Some(&RE_ROCKY_NO_MINOR)),
    ),
    ("/etc/altlinux-release", Generic("altlinux", None)),
    ("/etc/redhat-release", Generic("fedora", Some(&RE_FEDORA))),
    ("/etc/redhat-release", Generic("rhel", Some(&RE_RHEL_OLD))),
    ("/etc/redhat-release", Generic("rhel", Some(&RE_RHEL))),
    (
        "/etc/redhat-release",
        Generic("rhel", Some(&RE_RHEL_NO_MINOR)),
    ),
    (
        "/etc/redhat-release",
        Generic("centos", Some(&RE_CENTOS_OLD)),
    ),
    ("/etc/redhat-release", Generic("centos", Some(&RE_CENTOS))),
    (
        "/etc/redhat-release",
        Generic("centos", Some(&RE_CENTOS_NO_MINOR)),
    ),
    ("/etc/redhat-release", Generic("rocky", Some(&RE_ROCKY))),
    (
        "/etc/redhat-release",
        Generic("rocky", Some(&RE_ROCKY_NO_MINOR)),
    ),
    (
        "/etc/redhat-release",
        Generic("scientificlinux", Some(&RE_SCIENTIFIC_LINUX_OLD)),
    ),
    (
        "/etc/redhat-release",
        Generic("scientificlinux", Some(&RE_SCIENTIFIC_LINUX)),
    ),
    (
        "/etc/redhat-release",
        Generic("scientificlinux", Some(&RE_SCIENTIFIC_LINUX_NO_MINOR)),
    ),
    ("/etc/redhat-release", Generic("redhat-based", None)),
    ("/etc/redhat-release", Set("redhat-based")),
    ("/etc/debian_version", Generic("debian", None)),
    ("/etc/pardus-release", Generic("pardus", None)),
    ("/etc/arch-release", Set("archlinux")),
    ("/etc/gentoo-release", Generic("gentoo", None)),
    ("/etc/meego-release", Generic("meego", None)),
    ("/etc/slackware-version", Generic("slackware", None)),
    ("/etc/ttylinux-target", Generic("ttylinux", None)),
    ("/etc/SuSE-release", SuseRelease),
    ("/etc/SuSE-release", Set("suse-based")),
    ("/etc/cirros/version", Generic("cirros", None)),
    ("/etc/br-version", BrVersion),
    ("/etc/alpine-release", Generic("alpinelinux", None)),
    (
        "/etc/frugalware-release",
        Generic("frugalware", Some(&RE_FRUGALWARE)),
    ),
    ("/etc/pld-release", Generic("pldlinux", Some(&RE_PLDLINUX))),
];

/// The Hurd's shorter table.
const HURD_ROOT_TESTS: &[(&str, Parser)] = &[
    ("/etc/os-release", OsRelease),
    ("/etc/debian_version", Generic("debian", None)),
];

/// os-release `ID` → distro (exact, case-sensitive), as in libguestfs 1.48.
pub fn distro_of_os_release_id(id: &str) -> Option<&'static str> {
    Some(match id {
        "alpine" => "alpinelinux",
        "altlinux" => "altlinux",
        "arch" => "archlinux",
        "centos" => "centos",
        "coreos" => "coreos",
        "debian" => "debian",
        "fedora" => "fedora",
        "frugalware" => "frugalware",
        "gentoo" => "gentoo",
        "kali" => "kalilinux",
        "kylin" => "kylin",
        "mageia" => "mageia",
        "neokylin" => "neokylin",
        "openmandriva" => "openmandriva",
        "opensuse" => "opensuse",
        s if s.starts_with("opensuse-") => "opensuse",
        "pardus" => "pardus",
        "pld" => "pldlinux",
        "rhel" => "rhel",
        "rocky" => "rocky",
        "sles" | "sled" => "sles",
        "ubuntu" => "ubuntu",
        "void" => "voidlinux",
        _ => return None,
    })
}

/// lsb-release `DISTRIB_ID` → distro.
pub fn distro_of_lsb_release_distrib_id(id: &str) -> Option<&'static str> {
    Some(match id {
        "CoreOS" => "coreos",
        "LinuxMint" => "linuxmint",
        "Mageia" => "mageia",
        "Ubuntu" => "ubuntu",
        _ => return None,
    })
}

fn parse_os_release_version_id(value: &str, data: &mut InspectionData) -> Result<()> {
    if let Some(c) = RE_NEOKYLIN_VERSION.captures(value) {
        let major = int_of_string(c[1].as_deref().unwrap_or(""))?;
        let minor = int_of_string(c[2].as_deref().unwrap_or(""))?;
        data.version = Some((major, minor));
        Ok(())
    } else {
        parse_version_from_major_minor(value, &mut data.version)
    }
}

/// The os-release parser on file content (lines). Mutates `data` as it goes.
pub fn parse_os_release_lines(lines: &[String], data: &mut InspectionData) -> Result<bool> {
    for (key, value) in parse_key_value_strings(lines, shell_unquote) {
        match key.as_str() {
            "ID" => {
                if let Some(d) = distro_of_os_release_id(&value) {
                    data.distro = Some(d);
                }
            }
            "PRETTY_NAME" => data.product_name = Some(value),
            "VERSION_ID" => parse_os_release_version_id(&value, data)?,
            "BUILD_ID" => data.build_id = Some(value),
            _ => {}
        }
    }
    if data.distro.is_none() || data.product_name.is_none() {
        return Ok(false);
    }
    // Debian's and CentOS's os-release have only the major version: use their release files.
    if matches!(data.distro, Some("debian" | "centos" | "rocky"))
        && matches!(data.version, Some((_, 0)))
    {
        return Ok(false);
    }
    if data.version.is_none() && matches!(data.distro, Some("archlinux" | "gentoo" | "voidlinux")) {
        data.version = Some((0, 0));
        return Ok(true);
    }
    Ok(data.version.is_some())
}

/// The lsb-release parser on file content.
pub fn parse_lsb_release_lines(lines: &[String], data: &mut InspectionData) -> Result<bool> {
    let mut ok = false;
    for (key, value) in parse_key_value_strings(lines, simple_unquote) {
        match key.as_str() {
            "DISTRIB_ID" => {
                if let Some(d) = distro_of_lsb_release_distrib_id(&value) {
                    ok = true;
                    data.distro = Some(d);
                }
            }
            "DISTRIB_RELEASE" => parse_version_from_major_minor(&value, &mut data.version)?,
            "DISTRIB_DESCRIPTION" => {
                ok = true;
                data.product_name = Some(value);
            }
            _ => {}
        }
    }
    Ok(ok)
}

/// The SuSE-release parser on file content.
pub fn parse_suse_release_lines(lines: &[String], data: &mut InspectionData) -> Result<bool> {
    let Some(product_name) = lines.first() else {
        return Ok(false);
    };
    data.product_name = Some(product_name.clone());
    if RE_SLES.is_match(product_name) || RE_NLD.is_match(product_name) {
        let major = match lines.get(1).and_then(|l| RE_SLES_VERSION.captures(l)) {
            Some(c) => Some(int_of_string(c[1].as_deref().unwrap_or(""))?),
            None => None,
        };
        let minor = match lines.get(2).and_then(|l| RE_SLES_PATCHLEVEL.captures(l)) {
            Some(c) => Some(int_of_string(c[1].as_deref().unwrap_or(""))?),
            None => None,
        };
        data.distro = Some("sles");
        data.version = major.map(|m| (m, minor.unwrap_or(0)));
    } else if RE_OPENSUSE.is_match(product_name) {
        if let Some(l) = lines.get(1) {
            parse_version_from_major_minor(l, &mut data.version)?;
        }
        data.distro = Some("opensuse");
    }
    Ok(true)
}

/// The generic release-file parser on the file's first line.
pub fn parse_generic_line(
    line: &str,
    distro: &'static str,
    rex: Option<&Rx>,
    data: &mut InspectionData,
) -> Result<bool> {
    if line.is_empty() {
        return Ok(false);
    }
    data.product_name = Some(line.to_string());
    data.distro = Some(distro);
    match rex {
        Some(rex) => {
            let Some(c) = rex.captures(line) else {
                return Ok(false);
            };
            // Conversion failures of the groups are ignored here.
            let num = |i: usize| {
                c.get(i)
                    .and_then(|g| g.as_deref())
                    .and_then(|s| int_of_string(s).ok())
            };
            match (num(1), num(2)) {
                (Some(major), Some(minor)) => data.version = Some((major, minor)),
                (Some(major), None) => data.version = Some((major, 0)),
                _ => {}
            }
            Ok(true)
        }
        None => {
            parse_version_from_major_minor(line, &mut data.version)?;
            Ok(true)
        }
    }
}

fn parse_generic(
    io: &mut Io,
    path: &str,
    distro: &'static str,
    rex: Option<&Rx>,
    data: &mut InspectionData,
) -> Result<bool> {
    let line = io.read_first_line(path).unwrap_or_default();
    parse_generic_line(&line, distro, rex, data)
}

fn run_parser(io: &mut Io, path: &str, parser: Parser, data: &mut InspectionData) -> Result<bool> {
    match parser {
        OsRelease => match io.read_small_file_lines(path) {
            Some(lines) => parse_os_release_lines(&lines, data),
            None => Ok(false),
        },
        LsbRelease => match io.read_small_file_lines(path) {
            Some(lines) => parse_lsb_release_lines(&lines, data),
            None => Ok(false),
        },
        SuseRelease => match io.read_small_file_lines(path) {
            Some(lines) => parse_suse_release_lines(&lines, data),
            None => Ok(false),
        },
        Generic(distro, rex) => parse_generic(io, path, distro, rex, data),
        Set(distro) => {
            data.distro = Some(distro);
            Ok(true)
        }
        BrVersion => {
            let distro = if io.is_file("/usr/share/cirros/logo", true) {
                "cirros"
            } else {
                "buildroot"
            };
            parse_generic(io, path, distro, None, data)
        }
    }
}

fn run_tests(io: &mut Io, tests: &[(&str, Parser)], data: &mut InspectionData) -> Result<()> {
    for &(path, parser) in tests {
        if io.is_file(path, true) && run_parser(io, path, parser, data)? {
            break;
        }
    }
    Ok(())
}

/// The architecture of the first well-known binary that can be classified.
pub fn check_architecture(io: &mut Io) -> Option<String> {
    for bin in ARCH_BINARIES {
        if io.is_file(bin, true) {
            let arch = io
                .be
                .realpath(bin)
                .and_then(|real| file_architecture(io, &real));
            if let Ok(a) = arch {
                return Some(a);
            }
        }
    }
    None
}

/// The first non-empty line not starting with `#` of a small file.
fn check_hostname_from_file(io: &mut Io, path: &str) -> Option<String> {
    io.read_small_file_lines(path)?
        .into_iter()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Linux (and Hurd, CoreOS) hostname: `/etc/HOSTNAME`, `/etc/hostname`, then `HOSTNAME` in
/// `/etc/sysconfig/network`.
pub fn check_hostname_linux(io: &mut Io) -> Option<String> {
    for f in ["/etc/HOSTNAME", "/etc/hostname"] {
        if let Some(h) = check_hostname_from_file(io, f) {
            return Some(h);
        }
    }
    if io.is_file("/etc/sysconfig/network", false) {
        let content = read_augeas_file(io, "/etc/sysconfig/network")?;
        return sysconfig_hostname(&content);
    }
    None
}

/// The BSD hostname from `/etc/rc.conf` lines.
pub fn hostname_from_rc_conf(lines: &[String]) -> Result<Option<String>> {
    for line in lines {
        if line.starts_with("hostname=\"") || line.starts_with("hostname='") {
            // libguestfs takes chars 10 .. len-1 without checking the closing quote; a line of
            // exactly `hostname="` makes OCaml's String.sub fail.
            if line.len() < 11 {
                return Err(Error::msg("invalid argument: String.sub / Bytes.sub"));
            }
            return Ok(Some(
                String::from_utf8_lossy(&line.as_bytes()[10..line.len() - 1]).into_owned(),
            ));
        }
        if let Some(rest) = line.strip_prefix("hostname=") {
            return Ok(Some(rest.to_string()));
        }
    }
    Ok(None)
}

fn check_hostname_freebsd(io: &mut Io) -> Result<Option<String>> {
    match io.read_small_file_lines("/etc/rc.conf") {
        Some(lines) => hostname_from_rc_conf(&lines),
        None => Ok(None),
    }
}

/// A Linux root.
pub fn check_linux_root(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("linux");
    run_tests(io, LINUX_ROOT_TESTS, data)?;
    data.arch = check_architecture(io);
    data.fstab = check_fstab(io, mountable, "linux", true)?;
    data.hostname = check_hostname_linux(io);
    Ok(())
}

/// A separate Linux `/usr`.
pub fn check_linux_usr(io: &mut Io, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("linux");
    if io.is_file("/lib/os-release", true) {
        if let Some(lines) = io.read_small_file_lines("/lib/os-release") {
            parse_os_release_lines(&lines, data)?;
        }
    }
    if let Some(a) = check_architecture(io) {
        data.arch = Some(a);
    }
    Ok(())
}

/// A CoreOS root (no fstab: the filesystem is `/`).
pub fn check_coreos_root(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("linux");
    data.distro = Some("coreos");
    data.hostname = check_hostname_linux(io);
    data.fstab = vec![(mountable.to_string(), "/".to_string())];
    Ok(())
}

/// A CoreOS `/usr`.
pub fn check_coreos_usr(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("linux");
    data.distro = Some("coreos");
    if io.is_file("/lib/os-release", true) {
        if let Some(lines) = io.read_small_file_lines("/lib/os-release") {
            parse_os_release_lines(&lines, data)?;
        }
    } else if io.is_file("/share/coreos/lsb-release", true) {
        if let Some(lines) = io.read_small_file_lines("/share/coreos/lsb-release") {
            parse_lsb_release_lines(&lines, data)?;
        }
    }
    data.arch = check_architecture(io);
    data.fstab = vec![(mountable.to_string(), "/usr".to_string())];
    Ok(())
}

/// A FreeBSD root.
pub fn check_freebsd_root(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("freebsd");
    data.distro = Some("freebsd");
    if io.is_file("/etc/motd", true) {
        parse_generic(io, "/etc/motd", "freebsd", None, data)?;
    }
    data.arch = check_architecture(io);
    data.fstab = check_fstab(io, mountable, "freebsd", false)?;
    data.hostname = check_hostname_freebsd(io)?;
    Ok(())
}

/// A NetBSD root.
pub fn check_netbsd_root(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("netbsd");
    data.distro = Some("netbsd");
    if io.is_file("/etc/release", true) {
        parse_generic(io, "/etc/release", "netbsd", Some(&RE_NETBSD), data)?;
    }
    data.arch = check_architecture(io);
    data.fstab = check_fstab(io, mountable, "netbsd", false)?;
    data.hostname = check_hostname_freebsd(io)?;
    Ok(())
}

/// An OpenBSD root. libguestfs records it as FreeBSD (type and distro), so its fstab is
/// read with FreeBSD's rules too.
pub fn check_openbsd_root(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("freebsd");
    data.distro = Some("freebsd");
    if io.is_file("/etc/motd", true) {
        parse_generic(io, "/etc/motd", "freebsd", Some(&RE_OPENBSD), data)?;
    }
    data.arch = check_architecture(io);
    data.fstab = check_fstab(io, mountable, "freebsd", false)?;
    data.hostname = check_hostname_freebsd(io)?;
    Ok(())
}

/// A GNU/Hurd root.
pub fn check_hurd_root(io: &mut Io, mountable: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("hurd");
    run_tests(io, HURD_ROOT_TESTS, data)?;
    data.arch = check_architecture(io);
    data.fstab = check_fstab(io, mountable, "hurd", false)?;
    data.hostname = check_hostname_linux(io);
    Ok(())
}

/// A Minix root.
pub fn check_minix_root(io: &mut Io, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("minix");
    if io.is_file("/etc/version", true) {
        let line = io.read_first_line("/etc/version").unwrap_or_default();
        if let Some(c) = RE_MINIX.captures(&line) {
            let major = int_of_string(c[1].as_deref().unwrap_or(""))?;
            let minor = int_of_string(c[2].as_deref().unwrap_or(""))?;
            data.version = Some((major, minor));
        }
        data.product_name = Some(line);
    }
    data.arch = check_architecture(io);
    data.hostname = check_hostname_from_file(io, "/etc/hostname.file");
    Ok(())
}

/// Package format from the distro.
pub fn package_format(distro: Option<&str>) -> Option<&'static str> {
    Some(match distro? {
        "alpinelinux" => "apk",
        "altlinux" | "centos" | "fedora" | "kylin" | "mageia" | "mandriva" | "meego"
        | "neokylin" | "openmandriva" | "opensuse" | "oraclelinux" | "redhat-based" | "rhel"
        | "rocky" | "scientificlinux" | "sles" | "suse-based" => "rpm",
        "debian" | "kalilinux" | "linuxmint" | "ubuntu" => "deb",
        "archlinux" => "pacman",
        "gentoo" => "ebuild",
        "pardus" => "pisi",
        "voidlinux" => "xbps",
        _ => return None,
    })
}

/// Package management from the distro and major version (Fedora looks at `/usr/bin/dnf`).
pub fn package_management(
    distro: Option<&str>,
    version: Option<(i64, i64)>,
    has_dnf: &mut dyn FnMut() -> bool,
) -> Option<&'static str> {
    let major = version.map(|v| v.0);
    Some(match distro? {
        "alpinelinux" => "apk",
        "altlinux" | "debian" | "kalilinux" | "linuxmint" | "ubuntu" => "apt",
        "archlinux" => "pacman",
        "centos" | "kylin" | "oraclelinux" | "redhat-based" | "rhel" | "rocky"
        | "scientificlinux" => match major {
            Some(m) if m >= 8 => "dnf",
            Some(m) if m >= 5 => "yum",
            Some(m) if m >= 2 => "up2date",
            _ => return None,
        },
        "fedora" => match major {
            Some(m) if m >= 22 && has_dnf() => "dnf",
            Some(m) if m >= 1 => "yum",
            _ => return None,
        },
        "gentoo" => "portage",
        "mageia" | "mandriva" => "urpmi",
        "meego" => "yum",
        "neokylin" | "openmandriva" => "dnf",
        "opensuse" | "sles" | "suse-based" => "zypper",
        "pardus" => "pisi",
        "voidlinux" => "xbps",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.split('\n').map(|l| l.to_string()).collect()
    }

    #[test]
    fn all_regexes_compile() {
        for (_, p) in LINUX_ROOT_TESTS {
            if let Generic(_, Some(rx)) = p {
                rx.get();
            }
        }
        for rx in [
            &RE_NETBSD,
            &RE_OPENSUSE,
            &RE_SLES,
            &RE_NLD,
            &RE_SLES_VERSION,
            &RE_SLES_PATCHLEVEL,
            &RE_MINIX,
            &RE_OPENBSD,
            &RE_NEOKYLIN_VERSION,
        ] {
            rx.get();
        }
    }

    #[test]
    fn os_release() {
        let mut d = InspectionData::default();
        let ok = parse_os_release_lines(
            &lines("NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.4 (Plow)\"\n"),
            &mut d,
        )
        .unwrap();
        assert!(ok);
        assert_eq!(d.distro, Some("rhel"));
        assert_eq!(d.version, Some((9, 4)));
        assert_eq!(
            d.product_name.as_deref(),
            Some("Red Hat Enterprise Linux 9.4 (Plow)")
        );

        // Debian's major-only VERSION_ID falls through, leaving the fields set.
        let mut d = InspectionData::default();
        let ok = parse_os_release_lines(
            &lines(
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n",
            ),
            &mut d,
        )
        .unwrap();
        assert!(!ok);
        assert_eq!(d.distro, Some("debian"));
        assert_eq!(d.version, Some((12, 0)));

        // Rolling releases.
        let mut d = InspectionData::default();
        assert!(parse_os_release_lines(
            &lines("ID=arch\nPRETTY_NAME=\"Arch Linux\"\nBUILD_ID=rolling"),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, Some((0, 0)));
        assert_eq!(d.build_id.as_deref(), Some("rolling"));

        // Unknown ID.
        let mut d = InspectionData::default();
        assert!(!parse_os_release_lines(
            &lines("ID=almalinux\nPRETTY_NAME=x\nVERSION_ID=9.1"),
            &mut d
        )
        .unwrap());
        assert_eq!(d.distro, None);
        assert_eq!(d.version, Some((9, 1)));

        // NeoKylin's version format; opensuse-*.
        let mut d = InspectionData::default();
        assert!(parse_os_release_lines(
            &lines("ID=neokylin\nPRETTY_NAME=n\nVERSION_ID=V7Update6"),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, Some((7, 6)));
        let mut d = InspectionData::default();
        assert!(parse_os_release_lines(
            &lines("ID=\"opensuse-leap\"\nPRETTY_NAME=o\nVERSION_ID=\"15.5\""),
            &mut d
        )
        .unwrap());
        assert_eq!(d.distro, Some("opensuse"));

        // CoreOS /usr.
        let mut d = InspectionData::default();
        assert!(parse_os_release_lines(&lines("ID=coreos\nVERSION_ID=899.13.0\nBUILD_ID=2016-03-23-0120\nPRETTY_NAME=\"CoreOS 899.13.0\""), &mut d).unwrap());
        assert_eq!(d.version, Some((899, 13)));

        // Overflow aborts.
        let mut d = InspectionData::default();
        assert!(
            parse_os_release_lines(&lines("VERSION_ID=123456789012345678901234"), &mut d).is_err()
        );
    }

    #[test]
    fn lsb_release() {
        let mut d = InspectionData::default();
        assert!(parse_lsb_release_lines(&lines("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=10.10\nDISTRIB_CODENAME=maverick\nDISTRIB_DESCRIPTION=\"Ubuntu 10.10 (Phony Pharaoh)\"\n"), &mut d).unwrap());
        assert_eq!(d.distro, Some("ubuntu"));
        assert_eq!(d.version, Some((10, 10)));
        assert_eq!(
            d.product_name.as_deref(),
            Some("Ubuntu 10.10 (Phony Pharaoh)")
        );
        let mut d = InspectionData::default();
        assert!(!parse_lsb_release_lines(&lines("LSB_VERSION=1.3"), &mut d).unwrap());
        let mut d = InspectionData::default();
        assert!(
            parse_lsb_release_lines(&lines("DISTRIB_ID=Foo\nDISTRIB_DESCRIPTION="), &mut d)
                .unwrap()
        );
        assert_eq!(d.distro, None);
        assert_eq!(d.product_name.as_deref(), Some(""));
    }

    #[test]
    fn suse_release() {
        let mut d = InspectionData::default();
        assert!(parse_suse_release_lines(
            &lines("SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 2\n"),
            &mut d
        )
        .unwrap());
        assert_eq!(d.distro, Some("sles"));
        assert_eq!(d.version, Some((11, 2)));
        let mut d = InspectionData::default();
        assert!(parse_suse_release_lines(
            &lines("openSUSE 11.1 (x86_64)\nVERSION = 11.1\n"),
            &mut d
        )
        .unwrap());
        assert_eq!(d.distro, Some("opensuse"));
        assert_eq!(d.version, Some((11, 1)));
        let mut d = InspectionData::default();
        assert!(parse_suse_release_lines(&lines(""), &mut d).unwrap());
        assert_eq!(d.product_name.as_deref(), Some(""));
        assert_eq!(d.distro, None);
    }

    #[test]
    fn generic() {
        let mut d = InspectionData::default();
        assert!(parse_generic_line(
            "Fedora release 14 (Phony)",
            "fedora",
            Some(&RE_FEDORA),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, Some((14, 0)));
        let mut d = InspectionData::default();
        assert!(!parse_generic_line("Fedora release 14", "rhel", Some(&RE_RHEL), &mut d).unwrap());
        assert_eq!(d.distro, Some("rhel"));
        let mut d = InspectionData::default();
        assert!(parse_generic_line(
            "CentOS release 4.8 (Final) Update 3",
            "centos",
            Some(&RE_CENTOS_OLD),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, Some((4, 3)));
        let mut d = InspectionData::default();
        assert!(parse_generic_line(
            "OpenMandriva Lx release 4.2 (Argon) for x86_64",
            "openmandriva",
            Some(&RE_OPENMANDRIVA),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, Some((4, 2)));
        let mut d = InspectionData::default();
        assert!(parse_generic_line("5.0.1", "debian", None, &mut d).unwrap());
        assert_eq!(d.version, Some((5, 0)));
        assert!(!parse_generic_line("", "debian", None, &mut d).unwrap());
        let mut d = InspectionData::default();
        assert!(parse_generic_line(
            "OpenBSD ?.? (UNKNOWN)",
            "freebsd",
            Some(&RE_OPENBSD),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, None);
        assert!(parse_generic_line(
            "OpenBSD 6.8 (GENERIC) #1",
            "freebsd",
            Some(&RE_OPENBSD),
            &mut d
        )
        .unwrap());
        assert_eq!(d.version, Some((6, 8)));
    }

    #[test]
    fn rc_conf() {
        let l = |s: &str| hostname_from_rc_conf(&lines(s));
        assert_eq!(
            l("a=b\nhostname=\"bsd.example\"\n").unwrap().as_deref(),
            Some("bsd.example")
        );
        assert_eq!(l("hostname='x'").unwrap().as_deref(), Some("x"));
        assert_eq!(l("hostname=plain").unwrap().as_deref(), Some("plain"));
        assert_eq!(l(" hostname=x").unwrap(), None);
        assert!(l("hostname=\"").is_err());
    }

    #[test]
    fn package_tables() {
        let mut no = || false;
        let mut yes = || true;
        assert_eq!(
            package_management(Some("fedora"), Some((14, 0)), &mut no),
            Some("yum")
        );
        assert_eq!(
            package_management(Some("fedora"), Some((36, 0)), &mut yes),
            Some("dnf")
        );
        assert_eq!(
            package_management(Some("fedora"), Some((36, 0)), &mut no),
            Some("yum")
        );
        assert_eq!(package_management(Some("fedora"), None, &mut no), None);
        assert_eq!(
            package_management(Some("rhel"), Some((9, 4)), &mut no),
            Some("dnf")
        );
        assert_eq!(
            package_management(Some("centos"), Some((4, 0)), &mut no),
            Some("up2date")
        );
        assert_eq!(
            package_management(Some("centos"), Some((1, 0)), &mut no),
            None
        );
        assert_eq!(package_format(Some("debian")), Some("deb"));
        assert_eq!(package_format(Some("coreos")), None);
        assert_eq!(package_format(None), None);
    }
}
