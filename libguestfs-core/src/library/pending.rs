//! Library-side calls not written yet: each fails with ENOTSUP naming the call. This file
//! shrinks as the calls are implemented; the count of calls still here is printed by
//! `virt-tools --api-coverage`.

use crate::error::{Error, Result};
use crate::handle::Handle;
#[allow(unused_imports)]
use guestfs_protocol::calls::*;
#[allow(unused_imports)]
use guestfs_protocol::structs::*;

/// The error of a call listed here.
fn pending(call: &str) -> Error {
    Error::new(
        libc::ENOTSUP,
        format!("{}: this call is not implemented yet by this library", call),
    )
}

#[allow(clippy::too_many_arguments)]
impl Handle {
    pub(crate) fn impl_add_cdrom(&mut self, _filename: &str) -> Result<()> {
        Err(pending("add_cdrom"))
    }

    pub(crate) fn impl_add_domain(&mut self, _dom: &str, _opts: AddDomainOpts) -> Result<i32> {
        Err(pending("add_domain"))
    }

    pub(crate) fn impl_add_drive_ro_with_if(
        &mut self,
        _filename: &str,
        _iface: &str,
    ) -> Result<()> {
        Err(pending("add_drive_ro_with_if"))
    }

    pub(crate) fn impl_add_drive_scratch(
        &mut self,
        _size: i64,
        _opts: AddDriveScratchOpts,
    ) -> Result<()> {
        Err(pending("add_drive_scratch"))
    }

    pub(crate) fn impl_add_drive_with_if(&mut self, _filename: &str, _iface: &str) -> Result<()> {
        Err(pending("add_drive_with_if"))
    }

    pub(crate) fn impl_add_libvirt_dom(
        &mut self,
        _dom: usize,
        _opts: AddLibvirtDomOpts,
    ) -> Result<i32> {
        Err(pending("add_libvirt_dom"))
    }

    pub(crate) fn impl_available(&mut self, _groups: &[String]) -> Result<()> {
        Err(pending("available"))
    }

    pub(crate) fn impl_c_pointer(&mut self) -> Result<i64> {
        Err(pending("c_pointer"))
    }

    pub(crate) fn impl_clear_backend_setting(&mut self, _name: &str) -> Result<i32> {
        Err(pending("clear_backend_setting"))
    }

    pub(crate) fn impl_config(&mut self, _hvparam: &str, _hvvalue: Option<&str>) -> Result<()> {
        Err(pending("config"))
    }

    pub(crate) fn impl_copy_in(&mut self, _localpath: &str, _remotedir: &str) -> Result<()> {
        Err(pending("copy_in"))
    }

    pub(crate) fn impl_debug_drives(&mut self) -> Result<Vec<String>> {
        Err(pending("debug_drives"))
    }

    pub(crate) fn impl_device_index(&mut self, _device: &str) -> Result<i32> {
        Err(pending("device_index"))
    }

    pub(crate) fn impl_disk_create(
        &mut self,
        _filename: &str,
        _format: &str,
        _size: i64,
        _opts: DiskCreateOpts,
    ) -> Result<()> {
        Err(pending("disk_create"))
    }

    pub(crate) fn impl_disk_format(&mut self, _filename: &str) -> Result<String> {
        Err(pending("disk_format"))
    }

    pub(crate) fn impl_disk_has_backing_file(&mut self, _filename: &str) -> Result<bool> {
        Err(pending("disk_has_backing_file"))
    }

    pub(crate) fn impl_disk_virtual_size(&mut self, _filename: &str) -> Result<i64> {
        Err(pending("disk_virtual_size"))
    }

    pub(crate) fn impl_feature_available(&mut self, _groups: &[String]) -> Result<bool> {
        Err(pending("feature_available"))
    }

    pub(crate) fn impl_filesystem_walk(&mut self, _device: &str) -> Result<Vec<TskDirent>> {
        Err(pending("filesystem_walk"))
    }

    pub(crate) fn impl_find_inode(&mut self, _device: &str, _inode: i64) -> Result<Vec<TskDirent>> {
        Err(pending("find_inode"))
    }

    pub(crate) fn impl_get_append(&mut self) -> Result<Option<String>> {
        Err(pending("get_append"))
    }

    pub(crate) fn impl_get_attach_method(&mut self) -> Result<String> {
        Err(pending("get_attach_method"))
    }

    pub(crate) fn impl_get_autosync(&mut self) -> Result<bool> {
        Err(pending("get_autosync"))
    }

    pub(crate) fn impl_get_backend_setting(&mut self, _name: &str) -> Result<String> {
        Err(pending("get_backend_setting"))
    }

    pub(crate) fn impl_get_backend_settings(&mut self) -> Result<Vec<String>> {
        Err(pending("get_backend_settings"))
    }

    pub(crate) fn impl_get_cachedir(&mut self) -> Result<String> {
        Err(pending("get_cachedir"))
    }

    pub(crate) fn impl_get_direct(&mut self) -> Result<bool> {
        Err(pending("get_direct"))
    }

    pub(crate) fn impl_get_hv(&mut self) -> Result<String> {
        Err(pending("get_hv"))
    }

    pub(crate) fn impl_get_identifier(&mut self) -> Result<String> {
        Err(pending("get_identifier"))
    }

    pub(crate) fn impl_get_libvirt_requested_credential_challenge(
        &mut self,
        _index: i32,
    ) -> Result<String> {
        Err(pending("get_libvirt_requested_credential_challenge"))
    }

    pub(crate) fn impl_get_libvirt_requested_credential_defresult(
        &mut self,
        _index: i32,
    ) -> Result<String> {
        Err(pending("get_libvirt_requested_credential_defresult"))
    }

    pub(crate) fn impl_get_libvirt_requested_credential_prompt(
        &mut self,
        _index: i32,
    ) -> Result<String> {
        Err(pending("get_libvirt_requested_credential_prompt"))
    }

    pub(crate) fn impl_get_libvirt_requested_credentials(&mut self) -> Result<Vec<String>> {
        Err(pending("get_libvirt_requested_credentials"))
    }

    pub(crate) fn impl_get_memsize(&mut self) -> Result<i32> {
        Err(pending("get_memsize"))
    }

    pub(crate) fn impl_get_network(&mut self) -> Result<bool> {
        Err(pending("get_network"))
    }

    pub(crate) fn impl_get_path(&mut self) -> Result<String> {
        Err(pending("get_path"))
    }

    pub(crate) fn impl_get_pgroup(&mut self) -> Result<bool> {
        Err(pending("get_pgroup"))
    }

    pub(crate) fn impl_get_pid(&mut self) -> Result<i32> {
        Err(pending("get_pid"))
    }

    pub(crate) fn impl_get_program(&mut self) -> Result<String> {
        Err(pending("get_program"))
    }

    pub(crate) fn impl_get_qemu(&mut self) -> Result<String> {
        Err(pending("get_qemu"))
    }

    pub(crate) fn impl_get_recovery_proc(&mut self) -> Result<bool> {
        Err(pending("get_recovery_proc"))
    }

    pub(crate) fn impl_get_selinux(&mut self) -> Result<bool> {
        Err(pending("get_selinux"))
    }

    pub(crate) fn impl_get_smp(&mut self) -> Result<i32> {
        Err(pending("get_smp"))
    }

    pub(crate) fn impl_get_sockdir(&mut self) -> Result<String> {
        Err(pending("get_sockdir"))
    }

    pub(crate) fn impl_get_state(&mut self) -> Result<i32> {
        Err(pending("get_state"))
    }

    pub(crate) fn impl_get_tmpdir(&mut self) -> Result<String> {
        Err(pending("get_tmpdir"))
    }

    pub(crate) fn impl_internal_get_console_socket(&mut self) -> Result<i32> {
        Err(pending("internal_get_console_socket"))
    }

    pub(crate) fn impl_internal_test(
        &mut self,
        _str: &str,
        _optstr: Option<&str>,
        _strlist: &[String],
        _b: bool,
        _integer: i32,
        _integer64: i64,
        _filein: &str,
        _fileout: &str,
        _bufferin: &[u8],
        _opts: InternalTestOpts,
    ) -> Result<()> {
        Err(pending("internal_test"))
    }

    pub(crate) fn impl_internal_test_63_optargs(
        &mut self,
        _opts: InternalTest63OptargsOpts,
    ) -> Result<()> {
        Err(pending("internal_test_63_optargs"))
    }

    pub(crate) fn impl_internal_test_close_output(&mut self) -> Result<()> {
        Err(pending("internal_test_close_output"))
    }

    pub(crate) fn impl_internal_test_only_optargs(
        &mut self,
        _opts: InternalTestOnlyOptargsOpts,
    ) -> Result<()> {
        Err(pending("internal_test_only_optargs"))
    }

    pub(crate) fn impl_internal_test_rbool(&mut self, _val: &str) -> Result<bool> {
        Err(pending("internal_test_rbool"))
    }

    pub(crate) fn impl_internal_test_rboolerr(&mut self) -> Result<bool> {
        Err(pending("internal_test_rboolerr"))
    }

    pub(crate) fn impl_internal_test_rbufferout(&mut self, _val: &str) -> Result<Vec<u8>> {
        Err(pending("internal_test_rbufferout"))
    }

    pub(crate) fn impl_internal_test_rbufferouterr(&mut self) -> Result<Vec<u8>> {
        Err(pending("internal_test_rbufferouterr"))
    }

    pub(crate) fn impl_internal_test_rconstoptstring(
        &mut self,
        _val: &str,
    ) -> Result<Option<String>> {
        Err(pending("internal_test_rconstoptstring"))
    }

    pub(crate) fn impl_internal_test_rconstoptstringerr(&mut self) -> Result<Option<String>> {
        Err(pending("internal_test_rconstoptstringerr"))
    }

    pub(crate) fn impl_internal_test_rconststring(&mut self, _val: &str) -> Result<String> {
        Err(pending("internal_test_rconststring"))
    }

    pub(crate) fn impl_internal_test_rconststringerr(&mut self) -> Result<String> {
        Err(pending("internal_test_rconststringerr"))
    }

    pub(crate) fn impl_internal_test_rhashtable(
        &mut self,
        _val: &str,
    ) -> Result<Vec<(String, String)>> {
        Err(pending("internal_test_rhashtable"))
    }

    pub(crate) fn impl_internal_test_rhashtableerr(&mut self) -> Result<Vec<(String, String)>> {
        Err(pending("internal_test_rhashtableerr"))
    }

    pub(crate) fn impl_internal_test_rint(&mut self, _val: &str) -> Result<i32> {
        Err(pending("internal_test_rint"))
    }

    pub(crate) fn impl_internal_test_rint64(&mut self, _val: &str) -> Result<i64> {
        Err(pending("internal_test_rint64"))
    }

    pub(crate) fn impl_internal_test_rint64err(&mut self) -> Result<i64> {
        Err(pending("internal_test_rint64err"))
    }

    pub(crate) fn impl_internal_test_rinterr(&mut self) -> Result<i32> {
        Err(pending("internal_test_rinterr"))
    }

    pub(crate) fn impl_internal_test_rstring(&mut self, _val: &str) -> Result<String> {
        Err(pending("internal_test_rstring"))
    }

    pub(crate) fn impl_internal_test_rstringerr(&mut self) -> Result<String> {
        Err(pending("internal_test_rstringerr"))
    }

    pub(crate) fn impl_internal_test_rstringlist(&mut self, _val: &str) -> Result<Vec<String>> {
        Err(pending("internal_test_rstringlist"))
    }

    pub(crate) fn impl_internal_test_rstringlisterr(&mut self) -> Result<Vec<String>> {
        Err(pending("internal_test_rstringlisterr"))
    }

    pub(crate) fn impl_internal_test_rstruct(&mut self, _val: &str) -> Result<LvmPv> {
        Err(pending("internal_test_rstruct"))
    }

    pub(crate) fn impl_internal_test_rstructerr(&mut self) -> Result<LvmPv> {
        Err(pending("internal_test_rstructerr"))
    }

    pub(crate) fn impl_internal_test_rstructlist(&mut self, _val: &str) -> Result<Vec<LvmPv>> {
        Err(pending("internal_test_rstructlist"))
    }

    pub(crate) fn impl_internal_test_rstructlisterr(&mut self) -> Result<Vec<LvmPv>> {
        Err(pending("internal_test_rstructlisterr"))
    }

    pub(crate) fn impl_internal_test_set_output(&mut self, _filename: &str) -> Result<()> {
        Err(pending("internal_test_set_output"))
    }

    pub(crate) fn impl_is_busy(&mut self) -> Result<bool> {
        Err(pending("is_busy"))
    }

    pub(crate) fn impl_is_config(&mut self) -> Result<bool> {
        Err(pending("is_config"))
    }

    pub(crate) fn impl_is_launching(&mut self) -> Result<bool> {
        Err(pending("is_launching"))
    }

    pub(crate) fn impl_is_ready(&mut self) -> Result<bool> {
        Err(pending("is_ready"))
    }

    pub(crate) fn impl_kill_subprocess(&mut self) -> Result<()> {
        Err(pending("kill_subprocess"))
    }

    pub(crate) fn impl_max_disks(&mut self) -> Result<i32> {
        Err(pending("max_disks"))
    }

    pub(crate) fn impl_mount_local(
        &mut self,
        _localmountpoint: &str,
        _opts: MountLocalOpts,
    ) -> Result<()> {
        Err(pending("mount_local"))
    }

    pub(crate) fn impl_mount_local_run(&mut self) -> Result<()> {
        Err(pending("mount_local_run"))
    }

    pub(crate) fn impl_mountable_device(&mut self, _mountable: &str) -> Result<String> {
        Err(pending("mountable_device"))
    }

    pub(crate) fn impl_mountable_subvolume(&mut self, _mountable: &str) -> Result<String> {
        Err(pending("mountable_subvolume"))
    }

    pub(crate) fn impl_parse_environment(&mut self) -> Result<()> {
        Err(pending("parse_environment"))
    }

    pub(crate) fn impl_parse_environment_list(&mut self, _environment: &[String]) -> Result<()> {
        Err(pending("parse_environment_list"))
    }

    pub(crate) fn impl_remove_drive(&mut self, _label: &str) -> Result<()> {
        Err(pending("remove_drive"))
    }

    pub(crate) fn impl_set_append(&mut self, _append: Option<&str>) -> Result<()> {
        Err(pending("set_append"))
    }

    pub(crate) fn impl_set_attach_method(&mut self, _backend: &str) -> Result<()> {
        Err(pending("set_attach_method"))
    }

    pub(crate) fn impl_set_autosync(&mut self, _autosync: bool) -> Result<()> {
        Err(pending("set_autosync"))
    }

    pub(crate) fn impl_set_backend_setting(&mut self, _name: &str, _val: &str) -> Result<()> {
        Err(pending("set_backend_setting"))
    }

    pub(crate) fn impl_set_backend_settings(&mut self, _settings: &[String]) -> Result<()> {
        Err(pending("set_backend_settings"))
    }

    pub(crate) fn impl_set_cachedir(&mut self, _cachedir: Option<&str>) -> Result<()> {
        Err(pending("set_cachedir"))
    }

    pub(crate) fn impl_set_direct(&mut self, _direct: bool) -> Result<()> {
        Err(pending("set_direct"))
    }

    pub(crate) fn impl_set_hv(&mut self, _hv: &str) -> Result<()> {
        Err(pending("set_hv"))
    }

    pub(crate) fn impl_set_identifier(&mut self, _identifier: &str) -> Result<()> {
        Err(pending("set_identifier"))
    }

    pub(crate) fn impl_set_libvirt_requested_credential(
        &mut self,
        _index: i32,
        _cred: &[u8],
    ) -> Result<()> {
        Err(pending("set_libvirt_requested_credential"))
    }

    pub(crate) fn impl_set_libvirt_supported_credentials(
        &mut self,
        _creds: &[String],
    ) -> Result<()> {
        Err(pending("set_libvirt_supported_credentials"))
    }

    pub(crate) fn impl_set_memsize(&mut self, _memsize: i32) -> Result<()> {
        Err(pending("set_memsize"))
    }

    pub(crate) fn impl_set_network(&mut self, _network: bool) -> Result<()> {
        Err(pending("set_network"))
    }

    pub(crate) fn impl_set_path(&mut self, _searchpath: Option<&str>) -> Result<()> {
        Err(pending("set_path"))
    }

    pub(crate) fn impl_set_pgroup(&mut self, _pgroup: bool) -> Result<()> {
        Err(pending("set_pgroup"))
    }

    pub(crate) fn impl_set_program(&mut self, _program: &str) -> Result<()> {
        Err(pending("set_program"))
    }

    pub(crate) fn impl_set_qemu(&mut self, _hv: Option<&str>) -> Result<()> {
        Err(pending("set_qemu"))
    }

    pub(crate) fn impl_set_recovery_proc(&mut self, _recoveryproc: bool) -> Result<()> {
        Err(pending("set_recovery_proc"))
    }

    pub(crate) fn impl_set_selinux(&mut self, _selinux: bool) -> Result<()> {
        Err(pending("set_selinux"))
    }

    pub(crate) fn impl_set_smp(&mut self, _smp: i32) -> Result<()> {
        Err(pending("set_smp"))
    }

    pub(crate) fn impl_set_tmpdir(&mut self, _tmpdir: Option<&str>) -> Result<()> {
        Err(pending("set_tmpdir"))
    }

    pub(crate) fn impl_umount_local(&mut self, _opts: UmountLocalOpts) -> Result<()> {
        Err(pending("umount_local"))
    }

    pub(crate) fn impl_user_cancel(&mut self) -> Result<()> {
        Err(pending("user_cancel"))
    }

    pub(crate) fn impl_version(&mut self) -> Result<Version> {
        Err(pending("version"))
    }

    pub(crate) fn impl_wait_ready(&mut self) -> Result<()> {
        Err(pending("wait_ready"))
    }

    pub(crate) fn impl_yara_scan(&mut self, _path: &str) -> Result<Vec<YaraDetection>> {
        Err(pending("yara_scan"))
    }
}
