//! libguestfs in Rust: a [`Handle`] to look inside and change virtual machine disk images.
//!
//! Add drives, `launch`, then call any of libguestfs 1.48's actions with its name
//! (`list_filesystems`, `mount_ro`, `ls`, `download`, `mkfs`, …): every one is a `Handle`
//! method generated from the declaration in `api/`. The native backend reads images
//! in-process; the appliance backend runs a small Linux VM and talks to a daemon inside it.

pub mod backend;
// The on-disk format modules parse what hostile images hold: no `unsafe` there, ever.
#[forbid(unsafe_code)]
pub mod block;
#[forbid(unsafe_code)]
pub mod bytes;
#[allow(non_snake_case)]
pub mod calls;
pub use guestfs_protocol::checksum;
pub mod drive;
pub mod events;
#[forbid(unsafe_code)]
pub mod fs;
pub mod guid;
pub mod handle;
pub mod library;
pub mod libvirt;
#[forbid(unsafe_code)]
pub mod lvm;
#[forbid(unsafe_code)]
pub mod partition;
pub(crate) mod settings;
pub mod time;

pub use calls::{RetValue, Value};
pub use events::{Event, EventKind};
pub use guestfs_inspect::{hive, inspect, journal};
pub use guestfs_protocol as protocol;
pub use guestfs_protocol::calls::*;
pub use guestfs_protocol::device_name;
pub use guestfs_protocol::error;
pub use guestfs_protocol::meta::{action, Action};
pub use guestfs_protocol::structs as types;
pub use guestfs_protocol::structs::*;
pub use guestfs_protocol::{Error, Result, ACTIONS};
pub use handle::{Handle, State, UserCancel};
