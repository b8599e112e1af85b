//! The structs the libguestfs API returns, with libguestfs's field names and meanings.

/// `guestfs_statns`: the result of `statns`/`lstatns`, with nanosecond times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: i64,
    pub st_ino: i64,
    pub st_mode: i64,
    pub st_nlink: i64,
    pub st_uid: i64,
    pub st_gid: i64,
    pub st_rdev: i64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atime_sec: i64,
    pub st_atime_nsec: i64,
    pub st_mtime_sec: i64,
    pub st_mtime_nsec: i64,
    pub st_ctime_sec: i64,
    pub st_ctime_nsec: i64,
}

/// File type bits of `st_mode`.
pub const S_IFMT: i64 = 0o170000;
pub const S_IFSOCK: i64 = 0o140000;
pub const S_IFLNK: i64 = 0o120000;
pub const S_IFREG: i64 = 0o100000;
pub const S_IFBLK: i64 = 0o060000;
pub const S_IFDIR: i64 = 0o040000;
pub const S_IFCHR: i64 = 0o020000;
pub const S_IFIFO: i64 = 0o010000;

impl Stat {
    pub fn file_type(&self) -> i64 {
        self.st_mode & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.file_type() == S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == S_IFLNK
    }
}

/// Encodes a device number the way Linux (glibc `makedev`) does.
pub fn makedev(major: u64, minor: u64) -> i64 {
    (((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)) as i64
}

/// Splits a device number into (major, minor), the inverse of [`makedev`].
pub fn major_minor(dev: i64) -> (u64, u64) {
    let dev = dev as u64;
    let major = ((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffffff00) | (dev & 0xff);
    (major, minor)
}

/// `guestfs_statvfs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatVfs {
    pub bsize: i64,
    pub frsize: i64,
    pub blocks: i64,
    pub bfree: i64,
    pub bavail: i64,
    pub files: i64,
    pub ffree: i64,
    pub favail: i64,
    pub fsid: i64,
    pub flag: i64,
    pub namemax: i64,
}

/// `guestfs_dirent`: one entry of `readdir`. `ftyp` is libguestfs's type letter:
/// `b` block, `c` char, `d` directory, `f` FIFO, `l` symlink, `r` regular, `s` socket,
/// `u` unknown, `?` could not be determined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirent {
    pub ino: i64,
    pub ftyp: char,
    pub name: String,
}

/// `guestfs_partition`: one entry of `part_list` (byte offsets, end inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub part_num: i32,
    pub part_start: i64,
    pub part_end: i64,
    pub part_size: i64,
}

/// `guestfs_lvm_pv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LvmPv {
    pub pv_name: String,
    pub pv_uuid: String,
    pub pv_fmt: String,
    pub pv_size: i64,
    pub dev_size: i64,
    pub pv_free: i64,
    pub pv_used: i64,
    pub pv_attr: String,
    pub pv_pe_count: i64,
    pub pv_pe_alloc_count: i64,
    pub pv_tags: String,
    pub pe_start: i64,
    pub pv_mda_count: i64,
    pub pv_mda_free: i64,
}

/// `guestfs_lvm_vg`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LvmVg {
    pub vg_name: String,
    pub vg_uuid: String,
    pub vg_fmt: String,
    pub vg_attr: String,
    pub vg_size: i64,
    pub vg_free: i64,
    pub vg_sysid: String,
    pub vg_extent_size: i64,
    pub vg_extent_count: i64,
    pub vg_free_count: i64,
    pub max_lv: i64,
    pub max_pv: i64,
    pub pv_count: i64,
    pub lv_count: i64,
    pub snap_count: i64,
    pub vg_seqno: i64,
    pub vg_tags: String,
    pub vg_mda_count: i64,
    pub vg_mda_free: i64,
}

/// `guestfs_lvm_lv`. `snap_percent`/`copy_percent` are -1 when not applicable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LvmLv {
    pub lv_name: String,
    pub lv_uuid: String,
    pub lv_attr: String,
    pub lv_major: i64,
    pub lv_minor: i64,
    pub lv_kernel_major: i64,
    pub lv_kernel_minor: i64,
    pub lv_size: i64,
    pub seg_count: i64,
    pub origin: String,
    pub snap_percent: f32,
    pub copy_percent: f32,
    pub move_pv: String,
    pub lv_tags: String,
    pub mirror_log: String,
    pub modules: String,
}

/// `guestfs_application2`: one installed application found by inspection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Application2 {
    pub app2_name: String,
    pub app2_display_name: String,
    pub app2_epoch: i32,
    pub app2_version: String,
    pub app2_release: String,
    pub app2_arch: String,
    pub app2_install_path: String,
    pub app2_trans_path: String,
    pub app2_publisher: String,
    pub app2_url: String,
    pub app2_source_package: String,
    pub app2_summary: String,
    pub app2_description: String,
    /// The application's class (`antivirus` or empty). libguestfs 1.48 has no such field
    /// (its XML does not print one); kept for JSON output.
    pub app2_class: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makedev_round_trips_like_glibc() {
        assert_eq!(makedev(8, 1), 0x801);
        assert_eq!(makedev(253, 0), 0xfd00);
        assert_eq!(major_minor(makedev(259, 300)), (259, 300));
    }
}
