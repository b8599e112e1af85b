//! The calls the library answers itself (libguestfs's library-side actions), by family. The
//! daemon calls are answered by the backends; see [`crate::backend`].

mod files;
mod pending;
