//! Procedure numbers of the daemon calls (libguestfs's numbering; stable across versions).

/// Defines each call's number as a constant and lists every call once in [`CALLS`], so the
/// daemon cannot know a number without its name and optional-argument count.
macro_rules! calls {
    ($($konst:ident = $nr:literal, $name:literal, $optargs:literal;)*) => {
        $(pub const $konst: i32 = $nr;)*
        /// Every call: number, name, how many optional arguments it takes.
        pub const CALLS: &[(i32, &str, u32)] = &[$(($nr, $name, $optargs)),*];
    };
}

calls! {
    MOUNT = 1, "mount", 0;
    LIST_DEVICES = 7, "list_devices", 0;
    LIST_PARTITIONS = 8, "list_partitions", 0;
    PVS = 9, "pvs", 0;
    VGS = 10, "vgs", 0;
    LVS = 11, "lvs", 0;
    PVS_FULL = 12, "pvs_full", 0;
    VGS_FULL = 13, "vgs_full", 0;
    LVS_FULL = 14, "lvs_full", 0;
    EXISTS = 36, "exists", 0;
    IS_FILE = 37, "is_file", 1;
    IS_DIR = 38, "is_dir", 1;
    UMOUNT = 45, "umount", 2;
    MOUNTS = 46, "mounts", 0;
    UMOUNT_ALL = 47, "umount_all", 0;
    STATVFS = 54, "statvfs", 0;
    BLOCKDEV_GETSS = 59, "blockdev_getss", 0;
    BLOCKDEV_GETSIZE64 = 63, "blockdev_getsize64", 0;
    UPLOAD = 66, "upload", 0;
    DOWNLOAD = 67, "download", 0;
    CHECKSUM = 68, "checksum", 0;
    MOUNT_RO = 73, "mount_ro", 0;
    MOUNT_OPTIONS = 74, "mount_options", 0;
    MOUNT_VFS = 75, "mount_vfs", 0;
    PING_DAEMON = 92, "ping_daemon", 0;
    READDIR = 138, "readdir", 0;
    MOUNTPOINTS = 147, "mountpoints", 0;
    REALPATH = 163, "realpath", 0;
    READLINK = 168, "readlink", 0;
    FIND0 = 196, "find0", 0;
    CASE_SENSITIVE_PATH = 197, "case_sensitive_path", 0;
    VFS_TYPE = 198, "vfs_type", 0;
    INTERNAL_READLINKLIST = 206, "internal_readlinklist", 0;
    PART_LIST = 213, "part_list", 0;
    PART_GET_PARTTYPE = 214, "part_get_parttype", 0;
    PVUUID = 222, "pvuuid", 0;
    VGUUID = 223, "vguuid", 0;
    LVUUID = 224, "lvuuid", 0;
    VGPVUUIDS = 225, "vgpvuuids", 0;
    VGLVUUIDS = 226, "vglvuuids", 0;
    PART_GET_MBR_ID = 235, "part_get_mbr_id", 0;
    VFS_LABEL = 253, "vfs_label", 0;
    VFS_UUID = 254, "vfs_uuid", 0;
    IS_SYMLINK = 270, "is_symlink", 0;
    PART_TO_DEV = 272, "part_to_dev", 0;
    DOWNLOAD_OFFSET = 274, "download_offset", 0;
    INTERNAL_AUTOSYNC = 282, "internal_autosync", 0;
    PART_TO_PARTNUM = 293, "part_to_partnum", 0;
    LIST_MD_DEVICES = 300, "list_md_devices", 0;
    LS0 = 347, "ls0", 0;
    PART_GET_GPT_TYPE = 393, "part_get_gpt_type", 0;
    INTERNAL_EXIT = 414, "internal_exit", 0;
    STATNS = 421, "statns", 0;
    LSTATNS = 422, "lstatns", 0;
    INTERNAL_LSTATNSLIST = 423, "internal_lstatnslist", 0;
    INTERNAL_FEATURE_AVAILABLE = 458, "internal_feature_available", 0;
    LIST_FILESYSTEMS = 476, "list_filesystems", 0;
    PREAD = 207, "pread", 0;
    FINDFS_UUID = 265, "findfs_uuid", 0;
    FINDFS_LABEL = 266, "findfs_label", 0;
    PREAD_DEVICE = 276, "pread_device", 0;
    PART_GET_GPT_GUID = 447, "part_get_gpt_guid", 0;
    LGETXATTRS = 142, "lgetxattrs", 0;
    LUKS_OPEN = 257, "luks_open", 0;
    VG_ACTIVATE_ALL = 244, "vg_activate_all", 0;
}

/// The name of a call (`ls0`), for errors worded like libguestfs's stubs.
pub fn name(proc_nr: i32) -> Option<&'static str> {
    CALLS.iter().find(|c| c.0 == proc_nr).map(|c| c.1)
}

/// How many optional arguments a call takes; None for a number this side does not know.
pub fn optargs(proc_nr: i32) -> Option<u32> {
    CALLS.iter().find(|c| c.0 == proc_nr).map(|c| c.2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_and_names_are_unique() {
        let mut numbers: Vec<i32> = super::CALLS.iter().map(|c| c.0).collect();
        let mut names: Vec<&str> = super::CALLS.iter().map(|c| c.1).collect();
        numbers.sort();
        numbers.dedup();
        names.sort();
        names.dedup();
        assert_eq!(numbers.len(), super::CALLS.len());
        assert_eq!(names.len(), super::CALLS.len());
        assert_eq!(super::name(super::LUKS_OPEN), Some("luks_open"));
        assert_eq!(super::optargs(super::UMOUNT), Some(2));
        assert_eq!(super::optargs(999_999), None);
    }
}
