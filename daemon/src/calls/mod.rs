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
pub mod daemon;
pub mod debug;
pub mod devices;
mod encryption;
mod files;
mod files_inotify;
pub mod files_write;
mod files_read;
pub mod filesystems;
mod ldm;
mod lvm;
mod md;
pub mod partitions;
mod pipes;

use crate::daemon::Daemon;
use guestfs_protocol::calls;

// Families with nothing implemented yet.
impl calls::Forensics for Daemon {}
impl calls::Hivex for Daemon {}
impl calls::Inspection for Daemon {}
impl calls::Journal for Daemon {}
