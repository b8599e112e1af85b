//! The operations every backend provides, defined once with libguestfs's names.
//!
//! [`guestfs_api!`] takes the list of operations and generates both the [`Backend`] trait that
//! the native and appliance backends implement and the matching [`Handle`](crate::Handle)
//! methods, which check the handle's state, trace the call (`-x`), and report errors the
//! libguestfs way. Tools call only the Handle methods.

pub mod appliance;
pub mod native;

use crate::error::Result;
use crate::types::*;
use std::io::Write;

/// Something a backend wants the handle to pass on as an event after a call.
#[derive(Debug, Clone)]
pub enum BackendEvent {
    /// A log line (the appliance's console, the daemon).
    Log(crate::events::EventKind, String),
    /// Progress of the call (position, total).
    Progress(u64, u64),
}

/// Formats call arguments and results for `libguestfs: trace:` lines.
pub trait TraceArg {
    fn trace(&self) -> String;
}

impl TraceArg for &str {
    fn trace(&self) -> String {
        format!("\"{}\"", self)
    }
}
impl TraceArg for String {
    fn trace(&self) -> String {
        format!("\"{}\"", self)
    }
}
impl TraceArg for bool {
    fn trace(&self) -> String {
        self.to_string()
    }
}
impl TraceArg for i32 {
    fn trace(&self) -> String {
        self.to_string()
    }
}
impl TraceArg for i64 {
    fn trace(&self) -> String {
        self.to_string()
    }
}
impl TraceArg for () {
    fn trace(&self) -> String {
        "0".to_string()
    }
}
impl TraceArg for &[String] {
    fn trace(&self) -> String {
        format!("\"{}\"", self.join(" "))
    }
}
impl TraceArg for Vec<String> {
    fn trace(&self) -> String {
        let quoted: Vec<String> = self.iter().map(|s| format!("\"{}\"", s)).collect();
        format!("[{}]", quoted.join(", "))
    }
}
impl TraceArg for Vec<(String, String)> {
    fn trace(&self) -> String {
        let quoted: Vec<String> = self.iter().map(|(k, v)| format!("{}: {}", k, v)).collect();
        format!("[{}]", quoted.join(", "))
    }
}
impl TraceArg for Vec<(String, Vec<u8>)> {
    fn trace(&self) -> String {
        format!("<xattr list of {} entries>", self.len())
    }
}
impl TraceArg for Vec<u8> {
    fn trace(&self) -> String {
        format!("<buffer of {} bytes>", self.len())
    }
}
impl TraceArg for &mut dyn Write {
    fn trace(&self) -> String {
        "<stream>".to_string()
    }
}
macro_rules! trace_struct {
    ($($t:ty),*) => {$(
        impl TraceArg for $t {
            fn trace(&self) -> String {
                format!("<struct {}>", stringify!($t))
            }
        }
        impl TraceArg for Vec<$t> {
            fn trace(&self) -> String {
                format!("<struct {} list of {} entries>", stringify!($t), self.len())
            }
        }
    )*};
}
trace_struct!(Stat, StatVfs, Dirent, Partition, LvmPv, LvmVg, LvmLv);

/// Starts the backend a `LIBGUESTFS_BACKEND` setting names: `native`; `direct`/`appliance`;
/// `unix:PATH`; or `auto` (also ""): native when it can read everything on the drives,
/// otherwise the appliance. Log messages go to `log`.
pub fn launch_backend(
    setting: &str,
    drives: &[crate::handle::Drive],
    verbose: bool,
    log: &mut Vec<(crate::events::EventKind, String)>,
) -> Result<Box<dyn Backend>> {
    use crate::events::EventKind;
    match setting {
        "native" => {
            native::NativeBackend::launch(drives, &mut |m| log.push((EventKind::Library, m)))
                .map(|b| Box::new(b) as Box<dyn Backend>)
        }
        "direct" | "appliance" => {
            appliance::launch_direct(drives, verbose, &mut |k, m| log.push((k, m)))
                .map(|b| Box::new(b) as Box<dyn Backend>)
        }
        "auto" | "" => {
            match native::NativeBackend::launch(drives, &mut |m| log.push((EventKind::Library, m)))
            {
                Ok(b) => {
                    let why = b.unsupported_content();
                    if why.is_empty() {
                        return Ok(Box::new(b));
                    }
                    log.push((
                        EventKind::Library,
                        format!("auto backend: using the appliance for: {}", why.join(", ")),
                    ));
                }
                Err(e) => log.push((
                    EventKind::Library,
                    format!(
                        "auto backend: native backend failed ({}), using the appliance",
                        e
                    ),
                )),
            }
            appliance::launch_direct(drives, verbose, &mut |k, m| log.push((k, m)))
                .map(|b| Box::new(b) as Box<dyn Backend>)
        }
        s if s.starts_with("unix:") => {
            appliance::connect_unix(&s["unix:".len()..]).map(|b| Box::new(b) as Box<dyn Backend>)
        }
        other => Err(crate::error::Error::new(
            libc::EINVAL,
            format!(
                "invalid backend: {} (use native, auto, direct, appliance or unix:PATH)",
                other
            ),
        )),
    }
}

/// Declares the backend operations once; see the module documentation.
macro_rules! guestfs_api {
    ($( $(#[$doc:meta])* fn $name:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        /// The operations of a launched backend. Paths are guest paths (absolute); devices
        /// and mountables are libguestfs names (`/dev/sda1`, `/dev/VG/LV`).
        pub trait Backend: Send {
            /// The backend's name as `get_backend` reports it (`native`, `direct`, …).
            fn name(&self) -> &str;
            /// Stops the backend (the appliance is shut down); the handle returns to CONFIG.
            fn shutdown(&mut self) -> Result<()>;
            /// Events produced since the last call (console lines, progress).
            fn take_events(&mut self) -> Vec<BackendEvent> {
                Vec::new()
            }
            /// False once the backend has died (e.g. qemu exited): the handle then returns
            /// to CONFIG.
            fn is_alive(&mut self) -> bool {
                true
            }
            $( $(#[$doc])* fn $name(&mut self, $( $arg: $ty ),*) -> Result<$ret>; )*
        }

        impl crate::handle::Handle {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, $( $arg: $ty ),*) -> Result<$ret> {
                    self.enter_call(stringify!($name), &[$( &$arg as &dyn TraceArg ),*])?;
                    let result = match self.backend_mut() {
                        Some(backend) => backend.$name($( $arg ),*),
                        None => unreachable!("enter_call checked the handle is ready"),
                    };
                    self.after_backend_call();
                    self.leave_call(stringify!($name), result)
                }
            )*
        }
    };
}

guestfs_api! {
    /// The whole block devices, `/dev/sda`, `/dev/sdb`, … in the order the drives were added.
    fn list_devices() -> Vec<String>;
    /// Every partition of every device, naturally sorted.
    fn list_partitions() -> Vec<String>;
    /// Every filesystem with its type, in libguestfs's order (devices, partitions, md, LVs).
    fn list_filesystems() -> Vec<(String, String)>;
    /// Software RAID devices (`/dev/md0`, …).
    fn list_md_devices() -> Vec<String>;
    /// blkid's TYPE of a mountable (`ext4`, `LVM2_member`, …); "" when unknown.
    fn vfs_type(mountable: &str) -> String;
    /// The filesystem label, "" when none.
    fn vfs_label(mountable: &str) -> String;
    /// The filesystem UUID, "" when none.
    fn vfs_uuid(mountable: &str) -> String;
    /// The size of a block device in bytes.
    fn blockdev_getsize64(device: &str) -> i64;
    /// The sector size of a block device.
    fn blockdev_getss(device: &str) -> i32;
    /// The partitions of a device, with byte offsets.
    fn part_list(device: &str) -> Vec<Partition>;
    /// `msdos`, `gpt`, … for a partitioned device.
    fn part_get_parttype(device: &str) -> String;
    /// The MBR type byte of partition `partnum`.
    fn part_get_mbr_id(device: &str, partnum: i32) -> i32;
    /// The GPT type GUID of partition `partnum`.
    fn part_get_gpt_type(device: &str, partnum: i32) -> String;
    /// The GPT unique partition GUID of partition `partnum`.
    fn part_get_gpt_guid(device: &str, partnum: i32) -> String;
    /// The whole device a partition belongs to (`/dev/sda1` → `/dev/sda`).
    fn part_to_dev(partition: &str) -> String;
    /// The partition number (`/dev/sda1` → 1).
    fn part_to_partnum(partition: &str) -> i32;
    /// Mounts a filesystem at a guest path (read-write where the backend can write).
    fn mount(mountable: &str, mountpoint: &str) -> ();
    /// Mounts a filesystem read-only at a guest path.
    fn mount_ro(mountable: &str, mountpoint: &str) -> ();
    /// Mounts with explicit mount options.
    fn mount_options(options: &str, mountable: &str, mountpoint: &str) -> ();
    /// Mounts with explicit options and filesystem type.
    fn mount_vfs(options: &str, vfstype: &str, mountable: &str, mountpoint: &str) -> ();
    /// Unmounts the filesystem mounted at a path (or the device's mount).
    fn umount(pathordevice: &str) -> ();
    /// Unmounts everything.
    fn umount_all() -> ();
    /// The mounted devices, in mount order.
    fn mounts() -> Vec<String>;
    /// (device, mountpoint) pairs, in mount order.
    fn mountpoints() -> Vec<(String, String)>;
    /// The names in a directory, sorted, without `.` and `..`.
    fn ls(directory: &str) -> Vec<String>;
    /// The entries of a directory, with `.` and `..`, in on-disk order.
    fn readdir(dir: &str) -> Vec<Dirent>;
    /// stat(2), following a final symlink.
    fn statns(path: &str) -> Stat;
    /// lstat(2).
    fn lstatns(path: &str) -> Stat;
    /// lstat of several names in one directory.
    fn lstatnslist(path: &str, names: &[String]) -> Vec<Stat>;
    /// The target of a symlink.
    fn readlink(path: &str) -> String;
    /// The extended attributes of a file (not following a final symlink), sorted by name.
    fn lgetxattrs(path: &str) -> Vec<(String, Vec<u8>)>;
    /// The targets of several symlinks in one directory ("" for a name that fails).
    fn readlinklist(path: &str, names: &[String]) -> Vec<String>;
    /// The whole content of a file.
    fn read_file(path: &str) -> Vec<u8>;
    /// Streams a file (or a block device) to `out`.
    fn download(remotefilename: &str, out: &mut dyn Write) -> ();
    /// Streams `size` bytes at `offset` of a file to `out`.
    fn download_offset(remotefilename: &str, offset: i64, size: i64, out: &mut dyn Write) -> ();
    /// Up to `count` bytes of a file at `offset` (fewer at the end of the file).
    fn pread(path: &str, count: i32, offset: i64) -> Vec<u8>;
    /// Up to `count` bytes of a block device at `offset`.
    fn pread_device(device: &str, count: i32, offset: i64) -> Vec<u8>;
    /// The device holding the filesystem with this UUID (`findfs UUID=`).
    fn findfs_uuid(uuid: &str) -> String;
    /// The device holding the filesystem with this label (`findfs LABEL=`).
    fn findfs_label(label: &str) -> String;
    /// Every path below a directory, relative to it, sorted (libguestfs `find`).
    fn find(directory: &str) -> Vec<String>;
    fn is_file(path: &str, followsymlinks: bool) -> bool;
    fn is_dir(path: &str, followsymlinks: bool) -> bool;
    fn is_symlink(path: &str) -> bool;
    fn exists(path: &str) -> bool;
    /// statvfs(2) on the filesystem holding `path`.
    fn statvfs(path: &str) -> StatVfs;
    /// The canonical path with symlinks resolved.
    fn realpath(path: &str) -> String;
    /// The path with each element's case corrected to what is on disk (Windows guests).
    fn case_sensitive_path(path: &str) -> String;
    /// A checksum of a file's content: crc, md5, sha1, sha224, sha256, sha384, sha512.
    fn checksum(csumtype: &str, path: &str) -> String;
    /// Opens a LUKS (or BitLocker) device with a passphrase as `/dev/mapper/MAPNAME`.
    fn cryptsetup_open(device: &str, key: &str, mapname: &str) -> ();
    /// Rescans (and with `activate`, activates) LVM volume groups, e.g. after opening LUKS.
    fn lvm_scan(activate: bool) -> ();
    /// Physical volumes, as devices.
    fn pvs() -> Vec<String>;
    /// Volume group names.
    fn vgs() -> Vec<String>;
    /// Logical volumes as `/dev/VG/LV`.
    fn lvs() -> Vec<String>;
    fn pvs_full() -> Vec<LvmPv>;
    fn vgs_full() -> Vec<LvmVg>;
    fn lvs_full() -> Vec<LvmLv>;
    /// The UUID of an LV, PV, VG.
    fn lvuuid(device: &str) -> String;
    fn pvuuid(device: &str) -> String;
    fn vguuid(vgname: &str) -> String;
    /// UUIDs of the LVs / PVs of a VG.
    fn vglvuuids(vgname: &str) -> Vec<String>;
    fn vgpvuuids(vgname: &str) -> Vec<String>;
}
