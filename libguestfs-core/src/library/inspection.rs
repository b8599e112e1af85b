//! The inspection calls on the handle: `inspect_os` runs [`crate::inspect`] over the backend
//! and caches what it found; the getters read that cache; the applications and icon are read
//! from the mounted guest.

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::inspect::io::Io;
use crate::inspect::{apps, canonical_device_name_with, icon, osinfo};
use crate::inspect::{InspectionCache, InspectionData};
use crate::types::{Application, Application2};
use guestfs_protocol::calls::InspectGetIconOpts;

impl Handle {
    /// `inspect_os`: inspects every filesystem and returns the roots of the operating
    /// systems found (empty if none).
    pub(crate) fn impl_inspect_os(&mut self) -> Result<Vec<String>> {
        let mut cache = InspectionCache::default();
        match self.backend_mut() {
            Some(be) => cache.inspect_os(be)?,
            None => {
                return Err(Error::new(
                    libc::EINVAL,
                    "call launch before using this function",
                ))
            }
        };
        self.inspection = cache;
        Ok(self.inspection.roots())
    }

    /// The roots found by the last `inspect_os` (empty if it was not called).
    pub(crate) fn impl_inspect_get_roots(&mut self) -> Result<Vec<String>> {
        Ok(self.inspection.roots())
    }

    pub(crate) fn impl_inspect_get_type(&mut self, root: &str) -> Result<String> {
        self.inspection.get_type(root)
    }

    pub(crate) fn impl_inspect_get_distro(&mut self, root: &str) -> Result<String> {
        self.inspection.get_distro(root)
    }

    pub(crate) fn impl_inspect_get_product_name(&mut self, root: &str) -> Result<String> {
        self.inspection.get_product_name(root)
    }

    pub(crate) fn impl_inspect_get_product_variant(&mut self, root: &str) -> Result<String> {
        self.inspection.get_product_variant(root)
    }

    pub(crate) fn impl_inspect_get_major_version(&mut self, root: &str) -> Result<i32> {
        self.inspection.get_major_version(root)
    }

    pub(crate) fn impl_inspect_get_minor_version(&mut self, root: &str) -> Result<i32> {
        self.inspection.get_minor_version(root)
    }

    pub(crate) fn impl_inspect_get_arch(&mut self, root: &str) -> Result<String> {
        self.inspection.get_arch(root)
    }

    pub(crate) fn impl_inspect_get_hostname(&mut self, root: &str) -> Result<String> {
        self.inspection.get_hostname(root)
    }

    /// os-release `BUILD_ID` or Windows `CurrentBuildNumber` (an extension: libguestfs 1.48
    /// has no such call, and its virt-inspector prints no `<build_id>`).
    pub fn inspect_get_build_id(&mut self, root: &str) -> Result<String> {
        self.inspection.get_build_id(root)
    }

    pub(crate) fn impl_inspect_get_package_format(&mut self, root: &str) -> Result<String> {
        self.inspection.get_package_format(root)
    }

    pub(crate) fn impl_inspect_get_package_management(&mut self, root: &str) -> Result<String> {
        self.inspection.get_package_management(root)
    }

    pub(crate) fn impl_inspect_get_mountpoints(
        &mut self,
        root: &str,
    ) -> Result<Vec<(String, String)>> {
        self.inspection.get_mountpoints(root)
    }

    pub(crate) fn impl_inspect_get_filesystems(&mut self, root: &str) -> Result<Vec<String>> {
        self.inspection.get_filesystems(root)
    }

    pub(crate) fn impl_inspect_get_drive_mappings(
        &mut self,
        root: &str,
    ) -> Result<Vec<(String, String)>> {
        self.inspection.get_drive_mappings(root)
    }

    pub(crate) fn impl_inspect_get_windows_systemroot(&mut self, root: &str) -> Result<String> {
        self.inspection.get_windows_systemroot(root)
    }

    pub(crate) fn impl_inspect_get_windows_current_control_set(
        &mut self,
        root: &str,
    ) -> Result<String> {
        self.inspection.get_windows_current_control_set(root)
    }

    pub(crate) fn impl_inspect_get_windows_software_hive(&mut self, root: &str) -> Result<String> {
        self.inspection.get_windows_software_hive(root)
    }

    pub(crate) fn impl_inspect_get_windows_system_hive(&mut self, root: &str) -> Result<String> {
        self.inspection.get_windows_system_hive(root)
    }

    pub(crate) fn impl_inspect_get_format(&mut self, root: &str) -> Result<String> {
        self.inspection.get_format(root)
    }

    pub(crate) fn impl_inspect_is_live(&mut self, root: &str) -> Result<bool> {
        self.inspection.is_install_media(root)
    }

    pub(crate) fn impl_inspect_is_netinst(&mut self, root: &str) -> Result<bool> {
        self.inspection.is_install_media(root)
    }

    pub(crate) fn impl_inspect_is_multipart(&mut self, root: &str) -> Result<bool> {
        self.inspection.is_install_media(root)
    }

    /// The libosinfo short ID (`fedora14`, `win7`, …) or `unknown`.
    pub(crate) fn impl_inspect_get_osinfo(&mut self, root: &str) -> Result<String> {
        self.inspection
            .root(root)
            .map_err(|e| e.context("inspect_get_type"))
            .map(|d| {
                let (major, minor) = d.version.unwrap_or((0, 0));
                osinfo::osinfo(&osinfo::OsinfoInput {
                    os_type: d.os_type.unwrap_or("unknown"),
                    distro: d.distro.unwrap_or("unknown"),
                    major: major as i32,
                    minor: minor as i32,
                    product_name: d.product_name.as_deref().unwrap_or("unknown"),
                    product_variant: d.product_variant.as_deref().unwrap_or("unknown"),
                })
            })
    }

    /// The cached data of a root for a library-side call (errors worded as the getter's).
    fn root_data_for_library(&self, root: &str) -> Result<InspectionData> {
        self.inspection
            .root(root)
            .cloned()
            .map_err(|e| e.context("inspect_get_type"))
    }

    /// The installed applications of a root, sorted by name. The guest must be mounted (at
    /// the mountpoints `inspect_get_mountpoints` gives).
    pub(crate) fn impl_inspect_list_applications2(
        &mut self,
        root: &str,
    ) -> Result<Vec<Application2>> {
        let mut reported = Vec::new();
        let result = self
            .root_data_for_library(root)
            .and_then(|data| match self.backend_mut() {
                Some(be) => apps::list_applications(&mut Io::new(be), &data, &mut reported),
                None => Err(Error::new(
                    libc::EINVAL,
                    "call launch before using this function",
                )),
            });
        for e in reported {
            self.report_error("", e);
        }
        result
    }

    /// The deprecated form of [`Handle::inspect_list_applications2`].
    pub(crate) fn impl_inspect_list_applications(
        &mut self,
        root: &str,
    ) -> Result<Vec<Application>> {
        let apps = self.impl_inspect_list_applications2(root)?;
        Ok(apps
            .into_iter()
            .map(|a| Application {
                app_name: a.app2_name,
                app_display_name: a.app2_display_name,
                app_epoch: a.app2_epoch,
                app_version: a.app2_version,
                app_release: a.app2_release,
                app_install_path: a.app2_install_path,
                app_trans_path: a.app2_trans_path,
                app_publisher: a.app2_publisher,
                app_url: a.app2_url,
                app_source_package: a.app2_source_package,
                app_summary: a.app2_summary,
                app_description: a.app2_description,
            })
            .collect())
    }

    /// The guest's icon as PNG bytes, or an empty buffer. `highquality` disables `favicon`.
    pub(crate) fn impl_inspect_get_icon(
        &mut self,
        root: &str,
        opts: InspectGetIconOpts,
    ) -> Result<Vec<u8>> {
        let favicon = opts.favicon.unwrap_or(true);
        let highquality = opts.highquality.unwrap_or(false);
        let mut reported = Vec::new();
        let result = self
            .root_data_for_library(root)
            .and_then(|data| match self.backend_mut() {
                Some(be) => {
                    icon::get_icon(&mut Io::new(be), &data, favicon, highquality, &mut reported)
                }
                None => Err(Error::new(
                    libc::EINVAL,
                    "call launch before using this function",
                )),
            });
        for e in reported {
            self.report_error("", e);
        }
        result
    }

    /// The canonical form of a device name, as virt-inspector prints it.
    pub(crate) fn impl_canonical_device_name(&mut self, device: &str) -> Result<String> {
        let mut lvs = || match self.backend_mut() {
            Some(be) => be.lvs().unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(canonical_device_name_with(device, &mut lvs))
    }
}
