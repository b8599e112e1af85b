//! The calls the library answers itself (libguestfs's library-side actions, and the daemon
//! calls marked `library_answers`), by family, as `impl_*` functions the generated `Handle`
//! methods call. The daemon calls are answered by the backends; see [`crate::backend`].

pub mod available;
mod bindtests;
mod command;
pub(crate) mod copy;
mod copy_out;
pub(crate) mod disk;
pub mod drives;
mod files;
mod forensics;
pub mod fuse;
pub(crate) mod handle;
mod hivex;
mod inspection;
mod journal;
pub(crate) mod launch;
mod ll;
mod mountable;
mod tar_out;
