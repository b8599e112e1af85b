//! The libguestfs API's shared definitions, used by the library (`guestfs`), the daemon
//! (`guestfsd`) and the tools:
//!
//! - the wire protocol: XDR ([`xdr`]), framing, header, errors, chunks and progress
//!   ([`frame`]);
//! - every action ([`ACTIONS`], [`Action`]) and struct, generated from the one declaration in
//!   `api/`, with the backend traits by family ([`calls`]), the client stubs ([`client`]) and
//!   the daemon's dispatch ([`server`]);
//! - libguestfs's device names ([`device_name`]);
//! - the error type every call returns ([`Error`]).

#[allow(non_snake_case)]
pub mod calls;
pub mod checksum;
#[allow(non_snake_case)]
pub mod client;
pub mod device_name;
pub mod error;
pub mod frame;
pub mod lossless;
pub mod meta;
pub mod paths;
#[allow(non_snake_case)]
pub mod server;
pub mod structs;
pub mod xdr;

mod actions {
    use crate::meta::*;
    use crate::structs::*;
    include!(concat!(env!("OUT_DIR"), "/actions.rs"));
}

pub use actions::{daemon_action, proc_nr, ACTIONS, FAMILIES, MAX_PROC_NR};
pub use calls::*;
pub use error::{Error, Result};
pub use frame::*;
pub use meta::*;
pub use structs::*;
pub use xdr::{decode_list, encode_list, Xdr, XdrReader, XdrWriter};
