//! The daemon calls, one file per family of `guestfs_protocol::calls`. A family this daemon
//! does not implement has an empty impl: its calls fail through [`Unimplemented`] naming the
//! call.
//!
//! [`Unimplemented`]: guestfs_protocol::Unimplemented

mod archives;
mod attributes;
mod attributes_acl;
mod attributes_e2;
mod attributes_selinux;
mod augeas;
mod btrfs;
mod commands;
mod bootloaders;
pub mod daemon;
pub mod debug;
pub mod devices;
mod encryption;
pub mod ext;
mod files;
mod files_inotify;
pub mod files_write;
mod files_read;
pub mod filesystems;
mod ldm;
mod free_space;
mod iso;
mod labels_uuids;
mod lvm;
mod md;
mod ntfs;
pub mod partitions;
mod pipes;
mod swap;
pub mod xfs;

use crate::daemon::Daemon;
use guestfs_protocol::calls;

// Families with nothing implemented yet.
impl calls::Forensics for Daemon {}
impl calls::Hivex for Daemon {}
impl calls::Inspection for Daemon {}
impl calls::Journal for Daemon {}
