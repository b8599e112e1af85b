//! The library side of the wire: every daemon call encoded as a remote procedure call over a
//! [`Transport`] (the appliance's channel, a Unix socket).

use crate::calls::*;
use crate::error::Result;
use crate::proc_nr;
use crate::xdr::{decode_list, Xdr, XdrReader, XdrWriter};
use std::io::Write;

/// One call to send: the header fields, the encoded arguments, and the file streams.
pub struct Request<'a, 'b> {
    pub name: &'static str,
    pub proc_nr: i32,
    pub optargs_bitmask: u64,
    pub body: Vec<u8>,
    pub file_in: Option<&'a mut FileIn<'b>>,
    pub file_out: Option<&'a mut dyn Write>,
}

/// Sends a request and returns the reply body (an error reply becomes the error).
pub trait Transport {
    fn call(&mut self, request: Request<'_, '_>) -> Result<Vec<u8>>;
}

/// A daemon reached through a transport: implements every backend trait by sending the call.
pub struct RemoteDaemon<T> {
    pub transport: T,
}

impl<T> Unimplemented for RemoteDaemon<T> {}

/// The checks are the daemon's: nothing is checked on this side.
impl<T> ArgChecks for RemoteDaemon<T> {
    fn pathname(&mut self, _call: &str, _path: &str) -> Result<()> {
        Ok(())
    }
    fn filenames(&mut self, _call: &str, _names: &[String]) -> Result<()> {
        Ok(())
    }
}

include!(concat!(env!("OUT_DIR"), "/client.rs"));
