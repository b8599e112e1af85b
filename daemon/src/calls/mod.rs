//! The daemon calls, one file per family of `guestfs_protocol::calls`, and a file per topic
//! where a family is large (`ext.rs`, `xfs.rs`, … for filesystems). A call not written here
//! fails through [`Unimplemented`] naming the call.
//!
//! [`Unimplemented`]: guestfs_protocol::Unimplemented

mod archives;
mod attributes;
mod attributes_acl;
mod attributes_e2;
mod attributes_selinux;
mod augeas;
mod bootloaders;
mod btrfs;
mod commands;
pub mod daemon;
pub mod debug;
pub mod devices;
mod encryption;
pub mod ext;
mod files;
mod files_inotify;
mod files_read;
pub mod files_write;
pub mod filesystems;
pub mod forensics;
mod free_space;
mod hivex;
mod inspection;
mod iso;
mod journal;
mod labels_uuids;
mod ldm;
mod lvm;
mod md;
mod ntfs;
pub mod partitions;
mod pipes;
mod swap;
pub mod xfs;
