//! Conveniences over the daemon calls for library code that runs on a backend directly
//! (inspection, journals, hives, tar-out): shared with the daemon, see
//! [`guestfs_inspect::guest`].

pub use guestfs_inspect::guest::{split_names, GuestExt as BackendExt};
