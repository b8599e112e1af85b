//! The inspection text parsers: os-release, lsb-release, SuSE-release, generic release files,
//! fstab and mdadm.conf (Augeas lens emulation), sysconfig/network, rc.conf, boot.ini, dpkg
//! status, pacman desc, apk installed, and the ELF/PE/PNG header checks.
#![no_main]

use guestfs::inspect::{apps, arch, fstab, icon, io, linux, windows, InspectionData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = io::split_lines(data);
    let mut d = InspectionData::default();
    let _ = linux::parse_os_release_lines(&lines, &mut d);
    let _ = linux::parse_lsb_release_lines(&lines, &mut d);
    let _ = linux::parse_suse_release_lines(&lines, &mut d);
    if let Some(first) = lines.first() {
        let _ = linux::parse_generic_line(first, "debian", None, &mut d);
    }
    let _ = linux::hostname_from_rc_conf(&lines);
    let _ = windows::boot_ini_paths(&lines);
    if let Ok(entries) = fstab::parse_fstab(data) {
        for e in entries {
            let _ = fstab::parse_md_uuid(&e.spec);
        }
    }
    let _ = fstab::parse_mdadm_conf(data);
    let _ = fstab::sysconfig_hostname(data);
    let _ = apps::deb::parse_dpkg_status(data);
    let _ = apps::pacman::parse_desc(data);
    let _ = apps::apk::parse_apk_installed(data);
    let _ = arch::classify_bytes(data);
    let _ = icon::png_geometry(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let ctx = fstab::DeviceContext {
            devices: vec!["/dev/sda".into(), "/dev/sdb".into()],
            lvs: vec!["/dev/VG/LV".into()],
            md_map: Default::default(),
        };
        for os in ["linux", "freebsd", "netbsd", "openbsd", "hurd"] {
            let _ = fstab::resolve_fstab_device(&ctx, s, os);
        }
    }
});
