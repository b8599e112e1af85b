//! The protocol decoders on arbitrary bytes: frames (length words and flags), message headers,
//! error bodies, chunks, the reply values the library decodes, and every call's arguments as
//! the daemon's generated dispatch decodes and checks them (on an implementation that answers
//! nothing). Must never panic or allocate beyond the message limit.
#![no_main]

use guestfs::protocol::calls::*;
use guestfs::protocol::server::{dispatch, FeatureGroups, FileChannel};
use guestfs::protocol::{self, decode_all, decode_list, Chunk, ErrorBody, Frame, XdrReader};
use guestfs::types::*;
use libfuzzer_sys::fuzz_target;

/// A daemon that implements no call: dispatch decodes and checks, then gets ENOTSUP.
struct Nothing;
impl Unimplemented for Nothing {}
impl ArgChecks for Nothing {}
impl FeatureGroups for Nothing {
    fn require_group(&mut self, _group: &str) -> guestfs::Result<()> {
        Ok(())
    }
}
impl Devices for Nothing {}
impl Partitions for Nothing {}
impl Filesystems for Nothing {}
impl Files for Nothing {}
impl Archives for Nothing {}
impl Attributes for Nothing {}
impl Lvm for Nothing {}
impl Encryption for Nothing {}
impl Md for Nothing {}
impl Btrfs for Nothing {}
impl Ldm for Nothing {}
impl Augeas for Nothing {}
impl Hivex for Nothing {}
impl Journal for Nothing {}
impl Inspection for Nothing {}
impl Commands for Nothing {}
impl Daemon for Nothing {}
impl Forensics for Nothing {}

/// No file data in, none kept out.
struct NoFiles {
    empty: &'static [u8],
    sink: std::io::Sink,
}
impl FileChannel for NoFiles {
    fn receive(&mut self) -> FileIn<'_> {
        FileIn {
            reader: &mut self.empty,
            size_hint: 0,
        }
    }
    fn send(&mut self) -> &mut dyn std::io::Write {
        &mut self.sink
    }
}

fn decode_body(body: &[u8], bitmask: u64) {
    let _ = decode_all::<Vec<String>>(body);
    let _ = decode_all::<Vec<(String, String)>>(body);
    let _ = decode_all::<StatNs>(body);
    let _ = decode_all::<StatVfs>(body);
    let _ = decode_list::<StatNs>(&mut XdrReader::new(body));
    let _ = decode_list::<Dirent>(&mut XdrReader::new(body));
    let _ = decode_list::<Partition>(&mut XdrReader::new(body));
    let _ = decode_list::<LvmPv>(&mut XdrReader::new(body));
    let _ = decode_list::<LvmVg>(&mut XdrReader::new(body));
    let _ = decode_list::<LvmLv>(&mut XdrReader::new(body));
    let _ = decode_list::<Xattr>(&mut XdrReader::new(body));
    let _ = decode_all::<Vec<u8>>(body);
    let _ = decode_all::<String>(body);
    let _ = decode_all::<i64>(body);
    let _ = decode_all::<bool>(body);
    let _ = ErrorBody::decode(&mut XdrReader::new(body));
    let _ = Chunk::decode(body);
    let mut files = NoFiles {
        empty: &[],
        sink: std::io::sink(),
    };
    for proc_nr in guestfs::ACTIONS.iter().filter_map(|a| a.proc_nr) {
        let _ = dispatch(&mut Nothing, proc_nr, bitmask, body, &mut files);
    }
}

fuzz_target!(|data: &[u8]| {
    let bitmask = data
        .get(..8)
        .map(|b| u64::from_be_bytes(b.try_into().unwrap_or_default()))
        .unwrap_or(0);
    let mut input = data;
    for _ in 0..64 {
        match protocol::read_frame(&mut input) {
            Ok(Frame::Payload(p)) => {
                if let Ok((hdr, body)) = protocol::split_message(&p) {
                    decode_body(body, hdr.optargs_bitmask);
                }
                decode_body(&p, bitmask);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    decode_body(data, bitmask);
});
