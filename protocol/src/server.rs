//! The daemon side of the wire: decoding each call's arguments, the checks libguestfs's
//! generated stubs make, running the call and encoding its result.

use crate::calls::*;
use crate::error::{Error, Result};
use crate::proc_nr;
use crate::xdr::{encode_list, Xdr, XdrReader, XdrWriter};
use std::io::Write;

/// Where FileIn data comes from and FileOut data goes during a call.
pub trait FileChannel {
    /// The incoming file of a FileIn call.
    fn receive(&mut self) -> FileIn<'_>;
    /// The outgoing file of a FileOut call.
    fn send(&mut self) -> &mut dyn Write;
}

/// The error for bits set in the optargs bitmask beyond the call's optional arguments.
pub fn check_bitmask(bitmask: u64, optargs: usize) -> Result<()> {
    if optargs == 0 {
        if bitmask != 0 {
            return Err(Error::msg("header optargs_bitmask field must be passed as 0 for calls that don't take optional arguments"));
        }
    } else if optargs < 64 && bitmask >> optargs != 0 {
        return Err(Error::msg("unknown option in optional arguments bitmask (this can happen if a program is compiled against a newer version of libguestfs, then run against an older version of the daemon)"));
    }
    Ok(())
}

fn bad_arguments() -> Error {
    Error::msg("daemon failed to decode procedure arguments")
}

/// The error for a procedure number no call has.
pub fn unknown_procedure(proc_nr: i32) -> Error {
    Error::msg(format!(
        "dispatch_incoming_message: unknown procedure number {}, set LIBGUESTFS_PATH to point to the matching libguestfs appliance directory",
        proc_nr
    ))
}

/// The daemon's answer for an optional feature group it lacks.
pub fn unavailable_feature(group: &str) -> Error {
    Error::new(
        libc::ENOTSUP,
        format!(
            "feature '{}' is not available in this\nbuild of libguestfs.  Read 'AVAILABILITY' in the guestfs(3) man page for\nhow to check for the availability of features.",
            group
        ),
    )
}

/// The optional feature groups an implementation has.
pub trait FeatureGroups {
    /// Ok when `group` is available, else [`unavailable_feature`].
    fn require_group(&mut self, group: &str) -> Result<()>;
}

include!(concat!(env!("OUT_DIR"), "/server.rs"));
