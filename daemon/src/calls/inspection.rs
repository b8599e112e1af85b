//! The `inspect_*` daemon calls: the inspection the library runs
//! ([`guestfs_inspect::inspect`]), run on the daemon itself (its own `mount_ro`, `is_file`,
//! `pread`, … serve it). What `inspect_os` found is kept for the getters, as 1.48's daemon
//! keeps it.

use crate::daemon::Daemon;
use guestfs_inspect::inspect::apps::rpm;
use guestfs_inspect::inspect::io::Io;
use guestfs_inspect::inspect::InspectionCache;
use guestfs_protocol::calls;
use guestfs_protocol::{Application2, Result};
use std::sync::Mutex;

static INSPECTION: Mutex<InspectionCache> = Mutex::new(InspectionCache { fses: Vec::new() });

fn cache<T>(f: impl FnOnce(&InspectionCache) -> Result<T>) -> Result<T> {
    f(&INSPECTION.lock().unwrap_or_else(|e| e.into_inner()))
}

impl calls::Inspection for Daemon {
    fn inspect_os(&mut self) -> Result<Vec<String>> {
        let mut found = InspectionCache::default();
        let roots = found.inspect_os(self)?;
        *INSPECTION.lock().unwrap_or_else(|e| e.into_inner()) = found;
        Ok(roots)
    }

    fn inspect_get_roots(&mut self) -> Result<Vec<String>> {
        cache(|c| Ok(c.roots()))
    }

    fn inspect_get_type(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_type(root))
    }

    fn inspect_get_distro(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_distro(root))
    }

    fn inspect_get_product_name(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_product_name(root))
    }

    fn inspect_get_product_variant(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_product_variant(root))
    }

    fn inspect_get_major_version(&mut self, root: &str) -> Result<i32> {
        cache(|c| c.get_major_version(root))
    }

    fn inspect_get_minor_version(&mut self, root: &str) -> Result<i32> {
        cache(|c| c.get_minor_version(root))
    }

    fn inspect_get_arch(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_arch(root))
    }

    fn inspect_get_hostname(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_hostname(root))
    }

    fn inspect_get_package_format(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_package_format(root))
    }

    fn inspect_get_package_management(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_package_management(root))
    }

    fn inspect_get_mountpoints(&mut self, root: &str) -> Result<Vec<(String, String)>> {
        cache(|c| c.get_mountpoints(root))
    }

    fn inspect_get_filesystems(&mut self, root: &str) -> Result<Vec<String>> {
        cache(|c| c.get_filesystems(root))
    }

    fn inspect_get_drive_mappings(&mut self, root: &str) -> Result<Vec<(String, String)>> {
        cache(|c| c.get_drive_mappings(root))
    }

    fn inspect_get_windows_systemroot(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_windows_systemroot(root))
    }

    fn inspect_get_windows_current_control_set(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_windows_current_control_set(root))
    }

    fn inspect_get_windows_software_hive(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_windows_software_hive(root))
    }

    fn inspect_get_windows_system_hive(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_windows_system_hive(root))
    }

    fn inspect_get_format(&mut self, root: &str) -> Result<String> {
        cache(|c| c.get_format(root))
    }

    fn inspect_is_live(&mut self, root: &str) -> Result<bool> {
        cache(|c| c.is_install_media(root))
    }

    fn inspect_is_netinst(&mut self, root: &str) -> Result<bool> {
        cache(|c| c.is_install_media(root))
    }

    fn inspect_is_multipart(&mut self, root: &str) -> Result<bool> {
        cache(|c| c.is_install_media(root))
    }

    /// The packages of the RPM database of the guest mounted at the sysroot.
    fn internal_list_rpm_applications(&mut self) -> Result<Vec<Application2>> {
        rpm::list_rpm_applications(&mut Io::new(self))
    }
}
