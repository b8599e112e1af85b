//! The daemon calls, one file per family of `guestfs_protocol::calls`. A family this daemon
//! does not implement has an empty impl: its calls fail through [`Unimplemented`] naming the
//! call.
//!
//! [`Unimplemented`]: guestfs_protocol::Unimplemented

mod attributes;
mod augeas;
mod btrfs;
mod commands;
pub mod daemon;
pub mod debug;
pub mod devices;
mod encryption;
mod files;
pub mod filesystems;
mod lvm;
mod md;
pub mod partitions;

use crate::daemon::Daemon;
use guestfs_protocol::calls;

// Families with nothing implemented yet.
impl calls::Archives for Daemon {}
impl calls::Forensics for Daemon {}
impl calls::Hivex for Daemon {}
impl calls::Inspection for Daemon {}
impl calls::Journal for Daemon {}
impl calls::Ldm for Daemon {}
