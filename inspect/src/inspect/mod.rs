//! OS inspection, written once against the backend operations (so it runs unchanged on the
//! native and appliance backends), following libguestfs 1.48.
//!
//! `inspect_os` mounts each filesystem read-only in turn, classifies it (Linux root, /usr,
//! Windows, BSD, …), gathers facts about the roots (distro, version, hostname, fstab,
//! architecture, registry), merges split systems (CoreOS, separate /usr), and caches the
//! result in the handle; the `inspect_get_*` getters read that cache. Listing applications
//! and getting the icon read the guest as the caller has mounted it.

pub mod apps;
pub mod arch;
pub mod fstab;
pub mod getters;
pub mod icon;
pub mod io;
pub mod linux;
pub mod osinfo;
pub mod text;
pub mod windows;

use crate::error::{Error, Result};
use io::Io;
use text::Rx;

/// What inspection found about one filesystem (libguestfs's "inspection data").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionData {
    pub os_type: Option<&'static str>,
    pub distro: Option<&'static str>,
    pub package_format: Option<&'static str>,
    pub package_management: Option<&'static str>,
    pub product_name: Option<String>,
    pub product_variant: Option<String>,
    pub version: Option<(i64, i64)>,
    pub arch: Option<String>,
    pub hostname: Option<String>,
    pub build_id: Option<String>,
    /// (mountable, mountpoint) in fstab order.
    pub fstab: Vec<(String, String)>,
    pub windows_systemroot: Option<String>,
    pub windows_software_hive: Option<String>,
    pub windows_system_hive: Option<String>,
    pub windows_current_control_set: Option<String>,
    /// (drive letter, device).
    pub drive_mappings: Vec<(String, String)>,
}

impl InspectionData {
    /// Merges a child's facts into this (the parent's): unset fields are taken from the
    /// child; fstab and drive mappings become the child's followed by the parent's.
    pub fn merge_from(&mut self, child: &InspectionData) {
        fn m<T: Clone>(parent: &mut Option<T>, child: &Option<T>) {
            if parent.is_none() {
                *parent = child.clone();
            }
        }
        m(&mut self.os_type, &child.os_type);
        m(&mut self.distro, &child.distro);
        m(&mut self.package_format, &child.package_format);
        m(&mut self.package_management, &child.package_management);
        m(&mut self.product_name, &child.product_name);
        m(&mut self.product_variant, &child.product_variant);
        m(&mut self.version, &child.version);
        m(&mut self.arch, &child.arch);
        m(&mut self.hostname, &child.hostname);
        m(&mut self.build_id, &child.build_id);
        let mut fstab = child.fstab.clone();
        fstab.append(&mut self.fstab);
        self.fstab = fstab;
        m(&mut self.windows_systemroot, &child.windows_systemroot);
        m(
            &mut self.windows_software_hive,
            &child.windows_software_hive,
        );
        m(&mut self.windows_system_hive, &child.windows_system_hive);
        m(
            &mut self.windows_current_control_set,
            &child.windows_current_control_set,
        );
        let mut dm = child.drive_mappings.clone();
        dm.append(&mut self.drive_mappings);
        self.drive_mappings = dm;
    }
}

/// The role a filesystem plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Root(InspectionData),
    Usr(InspectionData),
    Swap,
    Other,
}

/// One inspected filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsRecord {
    /// The mountable as a string (`/dev/sda1`, `btrfsvol:/dev/sda2/root`).
    pub mountable: String,
    pub vfs_type: String,
    pub role: Role,
}

impl FsRecord {
    fn data(&self) -> Option<&InspectionData> {
        match &self.role {
            Role::Root(d) | Role::Usr(d) => Some(d),
            _ => None,
        }
    }
}

/// What `inspect_os` found, kept on the handle for the `inspect_get_*` calls.
#[derive(Default)]
pub struct InspectionCache {
    pub fses: Vec<FsRecord>,
}

impl InspectionCache {
    /// Every inspected filesystem, after post-processing.
    pub fn filesystems(&self) -> &[FsRecord] {
        &self.fses
    }

    pub fn roots(&self) -> Vec<String> {
        self.fses
            .iter()
            .filter(|f| matches!(f.role, Role::Root(_)))
            .map(|f| f.mountable.clone())
            .collect()
    }

    /// The data of a root, or libguestfs's errors.
    pub fn root(&self, root: &str) -> Result<&InspectionData> {
        if self.fses.is_empty() {
            return Err(Error::new(
                libc::EINVAL,
                "no inspection data: call guestfs_inspect_os first",
            ));
        }
        self.fses
            .iter()
            .find_map(|f| match &f.role {
                Role::Root(d) if f.mountable == root => Some(d),
                _ => None,
            })
            .ok_or_else(|| {
                Error::new(
                    libc::EINVAL,
                    format!(
                        "{}: root device not found: only call this function with a root device previously returned by guestfs_inspect_os",
                        root
                    ),
                )
            })
    }
}

// --- classification ------------------------------------------------------------------------

/// Classifies the filesystem mounted at `/` (the decision list of libguestfs's
/// `check_filesystem`), then derives the package format and management.
fn check_filesystem(io: &mut Io, mountable: &str) -> Result<Role> {
    #[derive(PartialEq)]
    enum R {
        Root,
        Usr,
        Other,
    }
    let mut role = R::Other;
    let mut data = InspectionData::default();
    let dir = |io: &mut Io, p: &str| io.is_dir(p, false);
    let file = |io: &mut Io, p: &str| io.is_file(p, false);

    if file(io, "/grub/menu.lst") || file(io, "/grub/grub.conf") || file(io, "/grub2/grub.cfg") {
        // GRUB /boot.
    } else if dir(io, "/etc")
        && dir(io, "/bin")
        && file(io, "/etc/freebsd-update.conf")
        && file(io, "/etc/fstab")
    {
        role = R::Root;
        linux::check_freebsd_root(io, mountable, &mut data)?;
    } else if dir(io, "/etc")
        && dir(io, "/bin")
        && file(io, "/netbsd")
        && file(io, "/etc/fstab")
        && file(io, "/etc/release")
    {
        role = R::Root;
        linux::check_netbsd_root(io, mountable, &mut data)?;
    } else if dir(io, "/etc")
        && dir(io, "/bin")
        && file(io, "/bsd")
        && file(io, "/etc/fstab")
        && file(io, "/etc/motd")
    {
        role = R::Root;
        linux::check_openbsd_root(io, mountable, &mut data)?;
    } else if file(io, "/hurd/console") && file(io, "/hurd/hello") && file(io, "/hurd/null") {
        role = R::Root;
        linux::check_hurd_root(io, mountable, &mut data)?;
    } else if dir(io, "/etc")
        && dir(io, "/bin")
        && file(io, "/service/vm")
        && file(io, "/etc/fstab")
        && file(io, "/etc/version")
    {
        role = R::Root;
        linux::check_minix_root(io, &mut data)?;
    } else if dir(io, "/etc")
        && (dir(io, "/bin") || io.is_symlink_to("/bin", "usr/bin"))
        && (file(io, "/etc/fstab") || file(io, "/etc/hosts"))
    {
        role = R::Root;
        linux::check_linux_root(io, mountable, &mut data)?;
    } else if dir(io, "/etc")
        && dir(io, "/root")
        && dir(io, "/home")
        && dir(io, "/usr")
        && file(io, "/etc/coreos/update.conf")
    {
        role = R::Root;
        linux::check_coreos_root(io, mountable, &mut data)?;
    } else if dir(io, "/etc")
        && dir(io, "/bin")
        && dir(io, "/share")
        && !dir(io, "/local")
        && !file(io, "/etc/fstab")
    {
        // Linux /usr/local.
    } else if dir(io, "/bin")
        && dir(io, "/local")
        && dir(io, "/share")
        && dir(io, "/src")
        && !file(io, "/etc/fstab")
    {
        role = R::Usr;
        linux::check_linux_usr(io, &mut data)?;
    } else if dir(io, "/bin") && dir(io, "/share") && dir(io, "/local") && dir(io, "/share/coreos")
    {
        role = R::Usr;
        linux::check_coreos_usr(io, mountable, &mut data)?;
    } else if dir(io, "/log") && dir(io, "/run") && dir(io, "/spool") {
        // Linux /var.
    } else if let Some(sr) = windows::get_windows_systemroot(io)? {
        role = R::Root;
        windows::check_windows_root(io, &sr, &mut data)?;
    } else if io.is_dir_nocase("/System Volume Information") && io.is_dir_nocase("/Program Files") {
        // Windows volume with installed applications.
    } else if io.is_dir_nocase("/System Volume Information") {
        // Windows data volume.
    } else if io.is_dir_nocase("/FDOS") && io.is_file_nocase("/FDOS/FREEDOS.BSS") {
        role = R::Root;
        data.os_type = Some("dos");
        data.distro = Some("freedos");
        data.arch = Some("i386".into());
    } else if io.is_dir_nocase("/DOS") && io.is_file_nocase("/DOS/COMMAND.COM") {
        role = R::Root;
        data.os_type = Some("dos");
        data.distro = Some("msdos");
        data.arch = Some("i386".into());
    }

    data.package_format = linux::package_format(data.distro);
    data.package_management = linux::package_management(data.distro, data.version, &mut || {
        io.is_file("/usr/bin/dnf", true)
    });
    Ok(match role {
        R::Root => Role::Root(data),
        R::Usr => Role::Usr(data),
        R::Other => Role::Other,
    })
}

/// Mounts and classifies one filesystem; None if it cannot be mounted.
fn check_for_filesystem_on(
    io: &mut Io,
    mountable: &str,
    vfs_type: &str,
) -> Result<Option<FsRecord>> {
    let role = if vfs_type == "swap" {
        Role::Swap
    } else {
        let mounted = if vfs_type == "ufs" {
            io.be
                .mount_options("ro,ufstype=ufs2", mountable, "/")
                .is_ok()
                || io
                    .be
                    .mount_options("ro,ufstype=44bsd", mountable, "/")
                    .is_ok()
        } else {
            io.be.mount_ro(mountable, "/").is_ok()
        };
        if !mounted {
            return Ok(None);
        }
        let role = check_filesystem(io, mountable);
        let _ = io.be.umount_all();
        role?
    };
    Ok(Some(FsRecord {
        mountable: mountable.to_string(),
        vfs_type: vfs_type.to_string(),
        role,
    }))
}

// --- post-processing -----------------------------------------------------------------------

fn is_coreos(d: &InspectionData) -> bool {
    d.distro == Some("coreos")
}

/// CoreOS: merge the newest `/usr` into the single root; the `/usr` records are dropped and
/// the others come out in reverse order (as libguestfs's list splitting leaves them).
fn collect_coreos(fses: Vec<FsRecord>) -> Result<Vec<FsRecord>> {
    let mut roots = Vec::new();
    let mut usrs = Vec::new();
    let mut others = Vec::new();
    for f in fses.iter().cloned() {
        match &f.role {
            Role::Root(d) if is_coreos(d) => roots.insert(0, f),
            Role::Usr(d) if is_coreos(d) => usrs.insert(0, f),
            _ => others.insert(0, f),
        }
    }
    if roots.is_empty() {
        return Ok(fses);
    }
    if roots.len() > 1 {
        return Err(Error::msg("multiple CoreOS root filesystems found"));
    }
    if usrs.is_empty() {
        return Ok(fses);
    }
    let version = |f: &FsRecord| match &f.role {
        Role::Usr(d) => d.version.unwrap_or((0, 0)),
        _ => (0, 0),
    };
    usrs.sort_by_key(|f| std::cmp::Reverse(version(f)));
    let mut root = roots.remove(0);
    if let (Role::Root(parent), Some(child)) = (&mut root.role, usrs[0].data()) {
        parent.merge_from(child);
    }
    let mut out = vec![root];
    out.extend(others);
    Ok(out)
}

static RE_PRIMARY_PARTITION: Rx = Rx::new(r"^/dev/(?:h|s|v)d.[1234]$");

/// BSD: an MBR primary partition shadowing the real BSD root is dropped.
fn check_for_duplicated_bsd_root(mut fses: Vec<FsRecord>) -> Vec<FsRecord> {
    let bsd_type = |f: &FsRecord| match &f.role {
        Role::Root(d) => d
            .os_type
            .filter(|t| matches!(*t, "freebsd" | "netbsd" | "openbsd")),
        _ => None,
    };
    let Some(primary) = fses.iter().position(|f| {
        bsd_type(f).is_some()
            && !f.mountable.starts_with("btrfsvol:")
            && RE_PRIMARY_PARTITION.is_match(&f.mountable)
    }) else {
        return fses;
    };
    let t = bsd_type(&fses[primary]);
    let shadow = fses
        .iter()
        .enumerate()
        .any(|(i, f)| i != primary && matches!(&f.role, Role::Root(d) if d.os_type == t));
    if shadow {
        fses.remove(primary);
    }
    fses
}

/// Linux with a separate /usr: the first /usr record named in a root's fstab is merged in.
fn collect_linux_usr(mut fses: Vec<FsRecord>) -> Vec<FsRecord> {
    for i in 0..fses.len() {
        let child = match &fses[i].role {
            Role::Root(d) if !is_coreos(d) => fses.iter().find_map(|u| match &u.role {
                Role::Usr(ud) if d.fstab.iter().any(|(m, _)| *m == u.mountable) => Some(ud.clone()),
                _ => None,
            }),
            _ => None,
        };
        if let (Some(child), Role::Root(parent)) = (child, &mut fses[i].role) {
            parent.merge_from(&child);
        }
    }
    fses
}

/// The whole of `inspect_os` over a backend.
pub fn inspect_filesystems(io: &mut Io) -> Result<Vec<FsRecord>> {
    let _ = io.be.umount_all();
    let candidates = io.be.list_filesystems()?;
    let mut fses = Vec::new();
    for (mountable, vfs_type) in candidates {
        if let Some(f) = check_for_filesystem_on(io, &mountable, &vfs_type)? {
            fses.push(f);
        }
    }
    let fses = collect_coreos(fses)?;
    let fses = check_for_duplicated_bsd_root(fses);
    Ok(collect_linux_usr(fses))
}

/// `canonical_device_name`: `/dev/vdX`/`/dev/hdX`/`/dev/xvdX` → `/dev/sdX`, and
/// device-mapper names of LVs → `/dev/VG/LV`.
pub fn canonical_device_name_with(device: &str, lvs: &mut dyn FnMut() -> Vec<String>) -> String {
    if let Some(rest) = device.strip_prefix("/dev/") {
        if !rest.contains('/') && !rest.starts_with('m') {
            if let Some(d) = rest.find('d') {
                if d > 0 && d <= 2 {
                    return format!("/dev/sd{}", &rest[d + 1..]);
                }
            }
        }
    }
    if device.starts_with("/dev/mapper/") {
        if let Some(lv) = fstab::lv_canonical(&lvs(), device) {
            return lv;
        }
    }
    device.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(m: &str, d: InspectionData) -> FsRecord {
        FsRecord {
            mountable: m.into(),
            vfs_type: "ext4".into(),
            role: Role::Root(d),
        }
    }
    fn usr(m: &str, d: InspectionData) -> FsRecord {
        FsRecord {
            mountable: m.into(),
            vfs_type: "ext4".into(),
            role: Role::Usr(d),
        }
    }
    fn other(m: &str) -> FsRecord {
        FsRecord {
            mountable: m.into(),
            vfs_type: "vfat".into(),
            role: Role::Other,
        }
    }

    #[test]
    fn canonical_names() {
        let mut lvs = || vec!["/dev/VG/Root".to_string()];
        let c = |d: &str, l: &mut dyn FnMut() -> Vec<String>| canonical_device_name_with(d, l);
        assert_eq!(c("/dev/vda1", &mut lvs), "/dev/sda1");
        assert_eq!(c("/dev/hdb", &mut lvs), "/dev/sdb");
        assert_eq!(c("/dev/xvdc3", &mut lvs), "/dev/sdc3");
        assert_eq!(c("/dev/sda2", &mut lvs), "/dev/sda2");
        assert_eq!(c("/dev/md0", &mut lvs), "/dev/md0");
        assert_eq!(c("/dev/dm-0", &mut lvs), "/dev/dm-0");
        assert_eq!(c("/dev/nvme0n1p1", &mut lvs), "/dev/nvme0n1p1");
        assert_eq!(c("/dev/sr0", &mut lvs), "/dev/sr0");
        assert_eq!(c("/dev/VG/Root", &mut lvs), "/dev/VG/Root");
        assert_eq!(c("/dev/mapper/VG-Root", &mut lvs), "/dev/VG/Root");
        assert_eq!(
            c("/dev/mapper/cryptswap1", &mut lvs),
            "/dev/mapper/cryptswap1"
        );
        assert_eq!(
            c("btrfsvol:/dev/sda2/root", &mut lvs),
            "btrfsvol:/dev/sda2/root"
        );
    }

    #[test]
    fn coreos_merge() {
        let r = InspectionData {
            os_type: Some("linux"),
            distro: Some("coreos"),
            hostname: Some("coreos.invalid".into()),
            fstab: vec![("/dev/sda5".into(), "/".into())],
            ..Default::default()
        };
        let u = |v| InspectionData {
            os_type: Some("linux"),
            distro: Some("coreos"),
            product_name: Some(format!("CoreOS {}", v)),
            version: Some((v, 0)),
            fstab: vec![(format!("/dev/sda{}", v), "/usr".into())],
            ..Default::default()
        };
        let fses = vec![
            other("/dev/sda1"),
            usr("/dev/sda3", u(3)),
            usr("/dev/sda4", u(4)),
            other("/dev/sda6"),
            root("/dev/sda5", r.clone()),
        ];
        let out = collect_coreos(fses).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].mountable, "/dev/sda5");
        assert_eq!(out[1].mountable, "/dev/sda6");
        assert_eq!(out[2].mountable, "/dev/sda1");
        let d = out[0].data().unwrap();
        assert_eq!(d.product_name.as_deref(), Some("CoreOS 4"));
        assert_eq!(
            d.fstab,
            vec![
                ("/dev/sda4".to_string(), "/usr".to_string()),
                ("/dev/sda5".to_string(), "/".to_string())
            ]
        );
        assert_eq!(d.hostname.as_deref(), Some("coreos.invalid"));
        // Two CoreOS roots are an error.
        assert!(collect_coreos(vec![root("/dev/sda1", r.clone()), root("/dev/sda2", r)]).is_err());
    }

    #[test]
    fn bsd_shadow_and_usr_merge() {
        let bsd = InspectionData {
            os_type: Some("freebsd"),
            ..Default::default()
        };
        let out = check_for_duplicated_bsd_root(vec![
            root("/dev/sda1", bsd.clone()),
            root("/dev/sda5", bsd.clone()),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mountable, "/dev/sda5");
        let out = check_for_duplicated_bsd_root(vec![root("/dev/sda1", bsd)]);
        assert_eq!(out.len(), 1);

        let r = InspectionData {
            os_type: Some("linux"),
            fstab: vec![
                ("/dev/sda2".into(), "/".into()),
                ("/dev/sda3".into(), "/usr".into()),
            ],
            ..Default::default()
        };
        let u = InspectionData {
            os_type: Some("linux"),
            distro: Some("fedora"),
            arch: Some("x86_64".into()),
            version: Some((36, 0)),
            ..Default::default()
        };
        let out = collect_linux_usr(vec![root("/dev/sda2", r), usr("/dev/sda3", u)]);
        let d = out[0].data().unwrap();
        assert_eq!(d.distro, Some("fedora"));
        assert_eq!(d.arch.as_deref(), Some("x86_64"));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn cache_errors() {
        let mut c = InspectionCache::default();
        assert_eq!(
            c.root("/dev/sda1").unwrap_err().message,
            "no inspection data: call guestfs_inspect_os first"
        );
        c.fses.push(root("/dev/sda1", InspectionData::default()));
        c.fses.push(other("/dev/sda2"));
        assert!(c.root("/dev/sda1").is_ok());
        assert!(c
            .root("/dev/sda2")
            .unwrap_err()
            .message
            .starts_with("/dev/sda2: root device not found"));
        assert_eq!(c.roots(), vec!["/dev/sda1"]);
    }
}
