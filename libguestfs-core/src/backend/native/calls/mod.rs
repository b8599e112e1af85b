//! The daemon calls the native backend answers, one file per family; every other call
//! keeps its trait's default (an ENOTSUP error).

mod attributes;
mod btrfs;
mod daemon;
mod devices;
mod encryption;
mod files;
mod filesystems;
mod lvm;
mod md;
mod partitions;

use super::NativeBackend;
use guestfs_protocol::calls as api;

// Families with no call the native backend answers: every method keeps its default.
impl api::Archives for NativeBackend {}
impl api::Augeas for NativeBackend {}
impl api::Commands for NativeBackend {}
impl api::Forensics for NativeBackend {}
impl api::Hivex for NativeBackend {}
impl api::Inspection for NativeBackend {}
impl api::Journal for NativeBackend {}
impl api::Ldm for NativeBackend {}
