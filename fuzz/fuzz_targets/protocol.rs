//! The protocol decoder on arbitrary bytes: frames (length words and flags), message headers,
//! error bodies, chunks, and every reply type the library decodes. Must never panic or
//! allocate beyond the message limit.
#![no_main]

use guestfs::protocol::{self, decode_all, Chunk, ErrorBody, Frame, XdrReader};
use guestfs::types::*;
use libfuzzer_sys::fuzz_target;

fn decode_body(body: &[u8]) {
    let _ = decode_all::<Vec<String>>(body);
    let _ = decode_all::<Vec<(String, String)>>(body);
    let _ = decode_all::<Stat>(body);
    let _ = decode_all::<StatVfs>(body);
    let _ = decode_all::<Vec<Stat>>(body);
    let _ = decode_all::<Vec<Dirent>>(body);
    let _ = decode_all::<Vec<Partition>>(body);
    let _ = decode_all::<Vec<LvmPv>>(body);
    let _ = decode_all::<Vec<LvmVg>>(body);
    let _ = decode_all::<Vec<LvmLv>>(body);
    let _ = decode_all::<Vec<u8>>(body);
    let _ = decode_all::<String>(body);
    let _ = decode_all::<i64>(body);
    let _ = decode_all::<bool>(body);
    let _ = ErrorBody::decode(&mut XdrReader::new(body));
    let _ = Chunk::decode(body);
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    for _ in 0..64 {
        match protocol::read_frame(&mut input) {
            Ok(Frame::Payload(p)) => {
                if let Ok((_hdr, body)) = protocol::split_message(&p) {
                    decode_body(body);
                }
                decode_body(&p);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    decode_body(data);
});
