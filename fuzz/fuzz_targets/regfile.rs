//! Fuzzes the `.reg` parser and the merge of its operations into a hive: the first byte picks
//! the string encoding, the rest is the file. Operations are applied to a copy of a real hive
//! (their paths taken relative to its root), so key creation, value replacement and deletion
//! run on whatever the parser accepts.
#![no_main]

use guestfs::hive::merge::{delete_key, merge_key};
use guestfs::hive::regfile::{operations, Encoding, Operation, StringEncoding};
use guestfs::hive::Hive;
use libfuzzer_sys::fuzz_target;

/// Bounds the work per input: a file of many sections would make one run slow.
const MAX_OPERATIONS: usize = 200;

const HIVE: &[u8] = include_bytes!("../../libguestfs-core/tests/data/hive/windows-system.hive");

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let encoding = match pick % 4 {
        0 => StringEncoding::Known(Encoding::Utf16Le),
        1 => StringEncoding::Known(Encoding::Ascii),
        2 => StringEncoding::Known(Encoding::Utf8),
        _ => StringEncoding::Unknown("nosuch".to_string()),
    };
    let Ok(mut hive) = Hive::from_bytes(HIVE.to_vec()) else {
        return;
    };
    hive.set_writable();
    for op in operations(text, encoding).take(MAX_OPERATIONS) {
        let Ok(op) = op else {
            return;
        };
        let _ = match &op {
            Operation::DeleteKey { path } => delete_key(&mut hive, path),
            Operation::MergeKey { path, set, delete } => merge_key(&mut hive, path, set, delete),
        };
    }
    let _ = hive.commit();
});
