//! Filesystems: identifying what is on a device (the `blkid` part) and reading it.
//!
//! Each format module knows one on-disk format and offers two things: a `probe` that says
//! whether a device holds that format (with its label and UUID), and, for the formats the
//! native backend can read, an `open` that returns a [`Filesystem`]. The mount table in the
//! native backend joins filesystems into one tree and resolves paths; a filesystem only
//! answers questions about inode numbers.

pub mod btrfs;
pub mod crc32c;
pub mod ext;
pub mod fat;
pub mod iso9660;
pub mod ntfs;
pub mod signatures;
pub mod squashfs;
pub mod xfs;

use crate::block::{BlockDevice, Device};
use crate::error::{Error, Result};
use crate::types::{StatNs, StatVfs};
use std::sync::Arc;

/// `statfs` flags of a read-only mount with the kernel's default `relatime`.
pub const ST_RDONLY: i64 = 1;
pub const ST_RELATIME: i64 = 4096;

/// A filesystem's own name for a file (the inode number, or an equivalent the format defines).
pub type Ino = u64;

/// The type of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

impl FileType {
    /// From the `S_IFMT` bits of a mode.
    pub fn from_mode(mode: i64) -> FileType {
        use crate::types::*;
        match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => FileType::Unknown,
        }
    }

    /// From the file type byte ext2/3/4 and XFS store in directory entries (Linux's
    /// `FT_*` values, `XFS_DIR3_FT_*` alike).
    pub fn from_dirent_type(byte: u8) -> FileType {
        match byte {
            1 => FileType::Regular,
            2 => FileType::Directory,
            3 => FileType::CharDevice,
            4 => FileType::BlockDevice,
            5 => FileType::Fifo,
            6 => FileType::Socket,
            7 => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }

    /// libguestfs's `dirent.ftyp` letter.
    pub fn ftyp(self) -> char {
        match self {
            FileType::Regular => 'r',
            FileType::Directory => 'd',
            FileType::Symlink => 'l',
            FileType::CharDevice => 'c',
            FileType::BlockDevice => 'b',
            FileType::Fifo => 'f',
            FileType::Socket => 's',
            FileType::Unknown => 'u',
        }
    }
}

/// The file type bits of a POSIX mode word, which ext and XFS inodes store alike.
pub trait UnixMode {
    /// The mode word (`S_IFMT` bits and permissions).
    fn mode(&self) -> u16;

    /// The `S_IFMT` bits.
    fn file_type(&self) -> i64 {
        i64::from(self.mode()) & crate::types::S_IFMT
    }
    fn is_dir(&self) -> bool {
        self.file_type() == crate::types::S_IFDIR
    }
    fn is_reg(&self) -> bool {
        self.file_type() == crate::types::S_IFREG
    }
    fn is_symlink(&self) -> bool {
        self.file_type() == crate::types::S_IFLNK
    }

    /// Whether the file's data may be read, as `read(2)` decides: EISDIR for a directory,
    /// EINVAL for anything else that is not a regular file.
    fn check_readable(&self) -> Result<()> {
        let errno = if self.is_dir() {
            libc::EISDIR
        } else if !self.is_reg() {
            libc::EINVAL
        } else {
            return Ok(());
        };
        Err(Error::new(errno, crate::error::strerror(errno)))
    }
}

/// A listing without `.` and `..`, for readers whose readdir yields them in place.
pub fn without_dots(mut entries: Vec<DirEntry>) -> Vec<DirEntry> {
    entries.retain(|e| e.name != "." && e.name != "..");
    entries
}

/// One entry of a directory, never `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub ino: Ino,
    pub file_type: FileType,
}

/// A mounted, read-only filesystem.
///
/// Errors carry the errno the Linux kernel would give (`ENOENT`, `ENOTDIR`, `EIO` for
/// corruption, `EINVAL` for readlink on a non-symlink). Implementations must bound every
/// allocation and loop by what the device can hold, never by a size read from disk alone.
pub trait Filesystem: Send + Sync {
    /// The blkid TYPE this filesystem was opened as (`ext4`, `vfat`, `ntfs`, …).
    fn fs_type(&self) -> &str;

    /// The root directory.
    fn root(&self) -> Ino;

    /// The inode's attributes as `stat` gives them. `st_dev` is left 0: the mount table
    /// fills it in from the device the filesystem lives on.
    fn stat(&self, ino: Ino) -> Result<StatNs>;

    /// The entries of a directory (without `.` and `..`), in the order the Linux kernel's
    /// readdir gives them (hash order for indexed ext4 directories, else on-disk order).
    fn read_dir(&self, dir: Ino) -> Result<Vec<DirEntry>>;

    /// The entries of a directory with `.` and `..` where the kernel's readdir puts them
    /// (`parent` is the inode `..` names when the filesystem does not say). Most filesystems
    /// list them first; hashed ext4 directories list them in hash order.
    fn read_dir_with_dots(&self, dir: Ino, parent: Ino) -> Result<Vec<DirEntry>> {
        let dot = |name: &str, ino| DirEntry {
            name: name.to_string(),
            ino,
            file_type: FileType::Directory,
        };
        let mut out = vec![dot(".", dir), dot("..", parent)];
        out.extend(self.read_dir(dir)?);
        Ok(out)
    }

    /// The inode number readdir reports for an entry of `dir` (isofs numbers files there by
    /// their place in the directory, `stat` by their place on the device).
    fn dirent_ino(&self, _dir: Ino, entry: &DirEntry) -> Ino {
        entry.ino
    }

    /// Looks `name` up in directory `dir` (exact, byte-for-byte match).
    fn lookup(&self, dir: Ino, name: &str) -> Result<Option<Ino>> {
        Ok(self
            .read_dir(dir)?
            .into_iter()
            .find(|e| e.name == name)
            .map(|e| e.ino))
    }

    /// The target of a symbolic link.
    fn read_link(&self, ino: Ino) -> Result<String>;

    /// Reads file data at `offset`; returns the number of bytes read, 0 at or past the end.
    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// What `statfs(2)` on this filesystem reports under Linux.
    fn statvfs(&self) -> Result<StatVfs>;

    /// What `statfs(2)` reports for a path at inode `ino` (btrfs mixes the subvolume's id
    /// into `f_fsid`); the same for every inode elsewhere.
    fn statvfs_at(&self, _ino: Ino) -> Result<StatVfs> {
        self.statvfs()
    }

    /// Whether the kernel reports the device number as `f_fsid` (XFS does), which the mount
    /// table then fills in, rather than a value of the filesystem's own.
    fn fsid_is_device(&self) -> bool {
        false
    }

    /// How many anonymous device numbers (major 0) the kernel takes when it mounts this
    /// filesystem, 0 for none: `st_dev` is then the last of them rather than the device's
    /// number (btrfs takes one for the superblock, then one per subvolume: see
    /// [`Self::parts_at_mount`]).
    fn anonymous_devices(&self) -> u32 {
        0
    }

    /// The parts with their own anonymous device that the kernel opens when mounting, in
    /// order (btrfs: the top-level subvolume, then those on the way to the one shown).
    fn parts_at_mount(&self) -> Vec<u64> {
        Vec::new()
    }

    /// Which part (see [`Self::parts_at_mount`]) an inode is in: its `st_dev` is the part's
    /// device, taken when a lookup first reaches the part; `Some(0)` is the superblock's own
    /// device, None (every filesystem without parts) the mount's.
    fn device_part(&self, _ino: Ino) -> Option<u64> {
        None
    }

    /// Extended attributes (name, value) in the order the kernel's listxattr gives them
    /// (sorted by name for ext, XFS and btrfs; on-disk order for squashfs). Formats without
    /// them return none.
    fn xattrs(&self, _ino: Ino) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(Vec::new())
    }
}

/// What probing a device found: blkid's TYPE, LABEL and UUID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    pub fs_type: String,
    pub label: String,
    pub uuid: String,
}

/// Identifies the content of a device, trying each known signature in blkid's order.
/// Returns `None` when nothing is recognised (libguestfs then says `unknown`).
pub fn probe(dev: &dyn BlockDevice) -> Option<Probe> {
    signatures::probe_before_filesystems(dev)
        .or_else(|| ext::probe(dev))
        .or_else(|| signatures::probe_other(dev))
}

/// Whether [`open`] can read filesystems of this blkid type.
pub fn is_supported(fs_type: &str) -> bool {
    matches!(
        fs_type,
        "btrfs" | "ext2" | "ext3" | "ext4" | "iso9660" | "ntfs" | "squashfs" | "vfat" | "xfs"
    )
}

/// Why a filesystem of a supported type on `dev` is still not read natively (a log that
/// needs replaying, a feature the reader does not implement), or None.
pub fn refusal(dev: &Device, fs_type: &str) -> Option<String> {
    match fs_type {
        "btrfs" => btrfs::refusal(dev),
        "iso9660" => iso9660::refusal(dev),
        "xfs" => xfs::refusal(dev),
        "squashfs" => squashfs::refusal(dev),
        _ => None,
    }
}

/// Opens a filesystem of a type [`probe`] reported.
pub fn open(dev: Device, fs_type: &str) -> Result<Arc<dyn Filesystem>> {
    Ok(match fs_type {
        "btrfs" => Arc::new(btrfs::BtrfsFs::open(dev)?),
        "ext2" | "ext3" | "ext4" => Arc::new(ext::ExtFs::open(dev)?),
        "ntfs" => Arc::new(ntfs::NtfsFs::open(dev)?),
        "iso9660" => Arc::new(iso9660::Iso9660Fs::open(dev)?),
        "vfat" => Arc::new(fat::FatFs::open(dev)?),
        "xfs" => Arc::new(xfs::XfsFs::open(dev)?),
        "squashfs" => Arc::new(squashfs::SquashFs::open(dev)?),
        other => {
            return Err(Error::new(
                libc::ENOTSUP,
                format!(
                    "filesystem type '{}' is not supported by the native backend",
                    other
                ),
            ))
        }
    })
}
