//! What the libguestfs library and the daemon (guestfsd) share about the contents of guests:
//! OS inspection ([`inspect`]), Windows registry hives ([`hive`], read and write) and systemd
//! journals ([`journal`]).
//!
//! In libguestfs 1.48 these are daemon calls; this project's library answers them itself
//! too. Both run this one implementation: inspection reads the guest through the daemon calls
//! of [`guestfs_protocol::calls`] ([`Guest`]), so the library runs it over its backend and the
//! daemon over itself.

// These parse what hostile guests hold: no `unsafe` there, ever.
#![forbid(unsafe_code)]

pub mod guest;
pub mod hive;
pub mod inspect;
pub mod journal;

pub use guest::{Guest, GuestExt};
pub use guestfs_protocol::error;
pub use guestfs_protocol::structs as types;
