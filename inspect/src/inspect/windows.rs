//! Windows roots: finding `%SystemRoot%`, and the facts libguestfs reads from the SOFTWARE
//! and SYSTEM registry hives (product, version, hostname, drive letters).

use super::arch::file_architecture;
use super::io::Io;
use super::text::{int_of_string, parse_version_from_major_minor, Rx};
use super::InspectionData;
use crate::error::{Error, Result};
use crate::hive::{Hive, NodeHandle, OpenOptions, ValueHandle, REG_BINARY};

/// Where Windows is looked for, in order (resolved case-insensitively).
const SYSTEMROOT_PATHS: [&str; 5] = ["/windows", "/winnt", "/win32", "/win", "/reactos"];

/// The largest hive inspection reads (libguestfs's historic `MAX_REGISTRY_SIZE`).
pub const MAX_REGISTRY_SIZE: u64 = 100_000_000;

static RE_BOOT_INI_OS: Rx =
    Rx::new(r"^(multi|scsi)\((\d+)\)disk\((\d+)\)rdisk\((\d+)\)partition\((\d+)\)([^=]+)=");

/// How an uncaught hivex exception reaches the caller of `inspect_os` (the daemon's generic
/// wording for OCaml exceptions it does not know).
pub fn hivex_error(_e: Error) -> Error {
    Error::msg("internal error: inspect_os: unhandled exception thrown: Hivex.Error")
}

fn hx<T>(r: Result<T>) -> Result<T> {
    r.map_err(hivex_error)
}

fn is_systemroot(io: &mut Io, sr: &str) -> bool {
    io.is_dir_nocase(&format!("{}/system32", sr))
        && io.is_dir_nocase(&format!("{}/system32/config", sr))
        && io.is_file_nocase(&format!("{}/system32/cmd.exe", sr))
}

/// The systemroot paths named in boot.ini's `[operating systems]` section.
pub fn boot_ini_paths(lines: &[String]) -> Result<Vec<String>> {
    let Some(start) = lines
        .iter()
        .position(|l| l.starts_with("[operating systems]"))
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in &lines[start + 1..] {
        if !(line.starts_with("multi(") || line.starts_with("scsi(")) {
            break;
        }
        if let Some(c) = RE_BOOT_INI_OS.captures(line) {
            // The numbers are converted (and may overflow) although they are not used.
            for g in c.iter().take(6).skip(2) {
                int_of_string(g.as_deref().unwrap_or(""))?;
            }
            out.push(c[6].as_deref().unwrap_or("").replace('\\', "/"));
        }
    }
    Ok(out)
}

fn systemroot_from_boot_ini(io: &mut Io) -> Result<Option<String>> {
    let Some(path) = io.case_sensitive_path_silently("/boot.ini") else {
        return Ok(None);
    };
    let Some(lines) = io.read_small_file_lines(&path) else {
        return Ok(None);
    };
    for p in boot_ini_paths(&lines)? {
        if is_systemroot(io, &p) {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The case-correct systemroot (`/Windows`), or the boot.ini path as written.
pub fn get_windows_systemroot(io: &mut Io) -> Result<Option<String>> {
    for p in SYSTEMROOT_PATHS {
        if let Some(path) = io.case_sensitive_path_silently(p) {
            if is_systemroot(io, &path) {
                return Ok(Some(path));
            }
        }
    }
    systemroot_from_boot_ini(io)
}

fn case_sensitive_path(io: &mut Io, path: &str) -> Result<String> {
    io.be.case_sensitive_path(path)
}

/// A Windows root.
pub fn check_windows_root(io: &mut Io, systemroot: &str, data: &mut InspectionData) -> Result<()> {
    data.os_type = Some("windows");
    data.distro = Some("windows");
    data.windows_systemroot = Some(systemroot.to_string());
    let cmd_exe = case_sensitive_path(io, &format!("{}/system32/cmd.exe", systemroot))?;
    data.arch = Some(file_architecture(io, &cmd_exe)?);
    check_windows_registry(io, systemroot, data)
}

/// Reads a hive file from the guest (bounded) and opens it tolerating damage, as
/// libguestfs does with hivex's "unsafe" flag.
pub fn open_hive(io: &mut Io, path: &str) -> Result<Hive> {
    let size = io.filesize(path)?;
    if size < 0 || size as u64 > MAX_REGISTRY_SIZE {
        return Err(Error::new(
            libc::EFBIG,
            format!("size of {} is unreasonably large ({} bytes)", path, size),
        ));
    }
    let data = io.read_upto(path, size as u64, MAX_REGISTRY_SIZE)?;
    Hive::from_bytes_opts(data, OpenOptions { tolerant: true })
}

/// Follows a key path from `node`; None if a key is missing (hivex's Not_found).
pub fn get_node(h: &Hive, node: NodeHandle, path: &[&str]) -> Result<Option<NodeHandle>> {
    let mut n = node;
    for name in path {
        match h.node_get_child(n, name)? {
            Some(c) => n = c,
            None => return Ok(None),
        }
    }
    Ok(Some(n))
}

/// The first value of a key with exactly this name (case-sensitive, as libguestfs compares).
fn assoc(values: &[(String, ValueHandle)], name: &str) -> Option<ValueHandle> {
    values.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn keyed_values(h: &Hive, node: NodeHandle) -> Result<Vec<(String, ValueHandle)>> {
    h.node_values(node)?
        .into_iter()
        .map(|v| Ok((h.value_key(v)?, v)))
        .collect()
}

fn check_windows_registry(io: &mut Io, systemroot: &str, data: &mut InspectionData) -> Result<()> {
    let system32 = case_sensitive_path(io, &format!("{}/system32", systemroot))?;
    let software = case_sensitive_path(io, &format!("{}/config/software", system32))?;
    let software = io.is_file(&software, false).then_some(software);
    data.windows_software_hive = software.clone();
    let system = case_sensitive_path(io, &format!("{}/config/system", system32))?;
    let system = io.is_file(&system, false).then_some(system);
    data.windows_system_hive = system.clone();
    if let (Some(software), Some(system)) = (software, system) {
        let h = hx(open_hive(io, &software))?;
        check_software(&h, data)?;
        let h = hx(open_hive(io, &system))?;
        check_system(io, &h, data)?;
    }
    Ok(())
}

/// Product name, version and variant from HKLM\SOFTWARE. Value type errors are errors, as
/// in libguestfs; a missing `CurrentVersion` (with no major/minor DWORDs) skips the rest.
pub fn check_software(h: &Hive, data: &mut InspectionData) -> Result<()> {
    let root = h.root();
    let Some(node) = hx(get_node(
        h,
        root,
        &["Microsoft", "Windows NT", "CurrentVersion"],
    ))?
    else {
        return Ok(());
    };
    let values = hx(keyed_values(h, node))?;
    if let Some(v) = assoc(&values, "ProductName") {
        data.product_name = Some(hx(h.value_string(v))?);
    }
    match (
        assoc(&values, "CurrentMajorVersionNumber"),
        assoc(&values, "CurrentMinorVersionNumber"),
    ) {
        (Some(major), Some(minor)) => {
            let major = hx(h.value_dword(major))? as i64;
            let minor = hx(h.value_dword(minor))? as i64;
            data.version = Some((major, minor));
        }
        _ => {
            let Some(v) = assoc(&values, "CurrentVersion") else {
                return Ok(());
            };
            let s = hx(h.value_string(v))?;
            parse_version_from_major_minor(&s, &mut data.version)?;
        }
    }
    if let Some(v) = assoc(&values, "InstallationType") {
        data.product_variant = Some(hx(h.value_string(v))?);
    }
    // Not read by libguestfs 1.48 (it has no build_id); read leniently for the API extension.
    if let Some(v) = assoc(&values, "CurrentBuildNumber") {
        if let Ok(s) = h.value_string(v) {
            data.build_id = Some(s);
        }
    }
    Ok(())
}

fn check_system(io: &mut Io, h: &Hive, data: &mut InspectionData) -> Result<()> {
    data.drive_mappings = get_drive_mappings(io, h).map_err(hivex_error)?;
    let ccs = current_control_set(h).map_err(hivex_error)?;
    data.windows_current_control_set = ccs.clone();
    if let Some(ccs) = ccs {
        data.hostname = hostname(h, &ccs).map_err(hivex_error)?;
    }
    Ok(())
}

/// `ControlSet%03d` from `Select\Current`. A missing `Current` value is an error, as the
/// invalid value handle is in hivex.
pub fn current_control_set(h: &Hive) -> Result<Option<String>> {
    let Some(node) = get_node(h, h.root(), &["Select"])? else {
        return Ok(None);
    };
    let v = h
        .node_get_value(node, "Current")?
        .ok_or_else(|| Error::new(libc::EINVAL, "value_dword: invalid value handle"))?;
    Ok(Some(format!("ControlSet{:03}", h.value_dword(v)?)))
}

/// The `Hostname` value of `<ccs>\Services\Tcpip\Parameters`.
pub fn hostname(h: &Hive, ccs: &str) -> Result<Option<String>> {
    let Some(node) = get_node(h, h.root(), &[ccs, "Services", "Tcpip", "Parameters"])? else {
        return Ok(None);
    };
    let values = keyed_values(h, node)?;
    match assoc(&values, "Hostname") {
        Some(v) => Ok(Some(h.value_string(v)?)),
        None => Ok(None),
    }
}

/// A `MountedDevices` value name `\DosDevices\X:` gives drive letter X.
pub fn drive_letter_of(key: &str) -> Option<String> {
    let b = key.as_bytes();
    if b.len() >= 14
        && b[..12].eq_ignore_ascii_case(b"\\dosdevices\\")
        && b[12].is_ascii_alphabetic()
        && b[13] == b':'
    {
        Some((b[12] as char).to_string())
    } else {
        None
    }
}

/// The GUID in a GPT `DMIO:ID:` blob, lowercase, as libguestfs formats it.
pub fn guid_of_gpt_blob(blob: &[u8]) -> Option<String> {
    let g = blob.get(8..24)?;
    let data1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let data2 = u16::from_le_bytes([g[4], g[5]]);
    let data3 = u16::from_le_bytes([g[6], g[7]]);
    let data4 = u64::from_be_bytes([g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]]);
    Some(format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        data1,
        data2,
        data3,
        data4 >> 48,
        data4 & 0xffff_ffff_ffff
    ))
}

fn map_mbr(io: &mut Io, devices: &[String], blob: &[u8]) -> Option<String> {
    let diskid = blob.get(0..4)?;
    let offset = i64::from_le_bytes(blob.get(4..12)?.try_into().ok()?);
    let device = devices.iter().find(|dev| {
        io.be.part_get_parttype(dev).is_ok_and(|t| t == "msdos")
            && io
                .be
                .pread_device(dev, 4, 0x1b8)
                .is_ok_and(|id| id == diskid)
    })?;
    let parts = io.be.part_list(device).ok()?;
    let p = parts.iter().find(|p| p.part_start == offset)?;
    Some(format!("{}{}", device, p.part_num))
}

fn map_gpt(io: &mut Io, partitions: &[String], blob: &[u8]) -> Option<String> {
    let guid = guid_of_gpt_blob(blob)?;
    partitions
        .iter()
        .find(|part| {
            let (Ok(num), Ok(dev)) = (io.be.part_to_partnum(part), io.be.part_to_dev(part)) else {
                return false;
            };
            io.be.part_get_parttype(&dev).is_ok_and(|t| t == "gpt")
                && io
                    .be
                    .part_get_gpt_guid(&dev, num)
                    .is_ok_and(|g| g.to_ascii_lowercase() == guid)
        })
        .cloned()
}

/// Drive letters from `HKLM\SYSTEM\MountedDevices`, in stored order.
fn get_drive_mappings(io: &mut Io, h: &Hive) -> Result<Vec<(String, String)>> {
    let Some(node) = get_node(h, h.root(), &["MountedDevices"])? else {
        return Ok(Vec::new());
    };
    let mut devices: Option<Vec<String>> = None;
    let mut partitions: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for v in h.node_values(node)? {
        let key = h.value_key(v)?;
        let Some(letter) = drive_letter_of(&key) else {
            continue;
        };
        let (t, blob) = h.value_value(v)?;
        if t != REG_BINARY {
            continue;
        }
        let device = if blob.len() >= 24 && blob.starts_with(b"DMIO:ID:") {
            let parts =
                partitions.get_or_insert_with(|| io.be.list_partitions().unwrap_or_default());
            let parts = parts.clone();
            map_gpt(io, &parts, &blob)
        } else if blob.len() == 12 {
            let devs = devices.get_or_insert_with(|| io.be.list_devices().unwrap_or_default());
            let devs = devs.clone();
            map_mbr(io, &devs, &blob)
        } else {
            None
        };
        if let Some(d) = device {
            out.push((letter, d));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_letters() {
        assert_eq!(drive_letter_of("\\DosDevices\\C:").as_deref(), Some("C"));
        assert_eq!(drive_letter_of("\\dosdevices\\d:").as_deref(), Some("d"));
        assert_eq!(drive_letter_of("\\??\\Volume{x}"), None);
        assert_eq!(drive_letter_of("\\DosDevices\\1:"), None);
    }

    #[test]
    fn gpt_blob() {
        let mut b = b"DMIO:ID:".to_vec();
        b.extend_from_slice(&[
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ]);
        assert_eq!(
            guid_of_gpt_blob(&b).as_deref(),
            Some("00112233-4455-6677-8899-aabbccddeeff")
        );
        assert_eq!(guid_of_gpt_blob(b"DMIO:ID:"), None);
    }

    #[test]
    fn boot_ini() {
        let lines: Vec<String> = "[boot loader]\ntimeout=30\n[operating systems]\nmulti(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"Microsoft Windows XP\" /fastdetect\nscsi(0)disk(0)rdisk(0)partition(2)\\WINNT=\"x\"\nC:\\=\"Recovery\"\nmulti(0)disk(0)rdisk(0)partition(1)\\OTHER=\"y\""
            .split('\n')
            .map(|s| s.to_string())
            .collect();
        assert_eq!(boot_ini_paths(&lines).unwrap(), vec!["/WINDOWS", "/WINNT"]);
        let bad: Vec<String> = vec![
            "[operating systems]".into(),
            "multi(99999999999999999999)disk(0)rdisk(0)partition(1)\\W=x".into(),
        ];
        assert!(boot_ini_paths(&bad).is_err());
    }
}
