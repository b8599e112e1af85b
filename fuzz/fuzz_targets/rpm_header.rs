//! RPM header blobs, and the Berkeley DB hash and ndb package database readers.
#![no_main]

use guestfs::inspect::apps::rpm::{self, bdb, header, ndb};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = header::Header::parse(data) {
        for tag in [1000, 1001, 1002, 1003, 1004, 1005, 1020, 1022] {
            let _ = h.format(tag);
            let _ = h.get_number(tag);
        }
    }
    let _ = rpm::app_of_header(data);
    if let Some(blobs) = rpm::bdb_blobs(data) {
        for b in blobs {
            let _ = rpm::app_of_header(&b);
        }
    }
    if let Some(db) = bdb::HashDb::open(data) {
        let _ = db.pairs();
    }
    if let Some(p) = ndb::packages(data) {
        for (_, b) in p {
            let _ = rpm::app_of_header(&b);
        }
    }
});
