//! Fuzzes the registry hive reader: parse, then walk the whole tree with bounded effort, reading
//! every value as bytes, string, strings, dword and qword, and following parents and lookups.
#![no_main]

use guestfs::hive::{Hive, OpenOptions};
use libfuzzer_sys::fuzz_target;

/// Bounds on the work done per input, so a hostile hive cannot make one run take minutes.
const MAX_KEYS: usize = 2_000;
const MAX_VALUES_PER_KEY: usize = 500;
const MAX_VALUE_BYTES: usize = 64 << 20;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses strict or tolerant ("unsafe") mode (bit 0) and whether to fix the
    // header checksum so that header fields get explored too (bit 1); the hive is the rest, so
    // seeds are real hives with one byte in front.
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let opts = OpenOptions {
        tolerant: mode & 1 == 1,
    };
    let mut bytes = bytes.to_vec();
    if mode & 2 == 2 && bytes.len() >= 0x200 {
        let sum = guestfs::hive::header_checksum(&bytes);
        bytes[0x1fc..0x200].copy_from_slice(&sum.to_le_bytes());
    }
    let Ok(h) = Hive::from_bytes_opts(bytes, opts) else {
        return;
    };
    let _ = h.header();
    let root = h.root();
    let mut value_bytes = 0usize;
    let _ = h.walk(root, MAX_KEYS, &mut |_, node| {
        let name = h.node_name(node).unwrap_or_default();
        let _ = h.node_timestamp(node);
        let _ = h.node_nr_children(node);
        let _ = h.node_nr_values(node);
        if let Ok(parent) = h.node_parent(node) {
            let _ = h.node_name(parent);
            let _ = h.node_get_child(parent, &name);
        }
        let _ = h.node_path(node);
        let _ = h.node_get_child(node, "Microsoft");
        let _ = h.node_get_value(node, "");
        for v in h.node_values(node)?.into_iter().take(MAX_VALUES_PER_KEY) {
            if value_bytes > MAX_VALUE_BYTES {
                break;
            }
            let key = h.value_key(v).unwrap_or_default();
            let _ = h.value_type(v);
            if let Ok((_, bytes)) = h.value_value(v) {
                value_bytes += bytes.len();
                // The declared length is only a bound, never what was allocated.
                assert!(bytes.len() <= guestfs::hive::MAX_VALUE_LEN);
            }
            let _ = h.value_string(v);
            let _ = h.value_multiple_strings(v);
            let _ = h.value_dword(v);
            let _ = h.value_qword(v);
            let _ = h.node_get_value(node, &key);
        }
        Ok(())
    });
});
