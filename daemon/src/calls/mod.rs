//! The daemon calls, one file per family of `guestfs_protocol::calls`. A family this daemon
//! does not implement has an empty impl: its calls fail through [`Unimplemented`] naming the
//! call.
//!
//! [`Unimplemented`]: guestfs_protocol::Unimplemented

mod attributes;
mod bootloaders;
pub mod daemon;
pub mod devices;
mod encryption;
pub mod ext;
mod files;
pub mod filesystems;
mod free_space;
mod iso;
mod labels_uuids;
mod lvm;
mod md;
mod ntfs;
pub mod partitions;
mod swap;
pub mod xfs;

use crate::daemon::Daemon;
use guestfs_protocol::calls;

// Families with nothing implemented yet.
impl calls::Archives for Daemon {}
impl calls::Augeas for Daemon {}
impl calls::Btrfs for Daemon {}
impl calls::Commands for Daemon {}
impl calls::Forensics for Daemon {}
impl calls::Hivex for Daemon {}
impl calls::Inspection for Daemon {}
impl calls::Journal for Daemon {}
impl calls::Ldm for Daemon {}
