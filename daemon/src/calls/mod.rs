//! The daemon calls, one file per family of `guestfs_protocol::calls`. A family this daemon
//! does not implement has an empty impl: its calls fail through [`Unimplemented`] naming the
//! call.
//!
//! [`Unimplemented`]: guestfs_protocol::Unimplemented

mod attributes;
pub mod daemon;
pub mod devices;
mod encryption;
mod files;
pub mod filesystems;
pub mod forensics;
mod hivex;
mod inspection;
mod journal;
mod lvm;
mod md;
pub mod partitions;

use crate::daemon::Daemon;
use guestfs_protocol::calls;

// Families with nothing implemented yet.
impl calls::Archives for Daemon {}
impl calls::Augeas for Daemon {}
impl calls::Btrfs for Daemon {}
impl calls::Commands for Daemon {}
impl calls::Ldm for Daemon {}
