//! The calls the library answers itself (libguestfs's library-side actions), by family. The
//! daemon calls are answered by the backends; see [`crate::backend`].

mod copy_out;
mod files;
mod hivex;
mod inspection;
mod journal;
mod ll;
mod pending;
mod tar_out;
