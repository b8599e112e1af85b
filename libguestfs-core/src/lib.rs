//! libguestfs in Rust: a [`Handle`] to look inside virtual machine disk images.
//!
//! Add drives, `launch`, then call operations with libguestfs's names (`list_filesystems`,
//! `mount_ro`, `ls`, `download`, …). The native backend reads images in-process; the
//! appliance backend runs a small Linux VM and talks to a daemon inside it.

pub mod backend;
pub mod block;
pub mod bytes;
pub mod checksum;
pub mod copy_out;
pub mod error;
pub mod events;
pub mod fs;
pub mod handle;
pub mod hive;
pub mod hivex_api;
pub mod inspect;
pub mod journal;
pub mod journal_api;
pub mod ll;
pub mod lvm;
pub mod output;
pub mod partition;
pub mod protocol;
pub mod tar_out;
pub mod time;
pub mod types;

pub use error::{Error, Result};
pub use events::{Event, EventKind};
pub use handle::{DriveOptions, Handle, State};
