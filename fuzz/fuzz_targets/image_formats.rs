#![no_main]
//! Detects the input's image format as qemu would, and reads what a VMDK or QED header names
//! (the files the appliance checks before qemu opens them).

use guestfs::block::{external, probe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut head = [0u8; probe::PROBE_LEN];
    let n = data.len().min(head.len());
    head[..n].copy_from_slice(&data[..n]);
    let _ = probe::probe_bytes(&head, b"fuzz.img");
    for format in ["vmdk", "qed"] {
        let _ = external::named_in(format, data);
    }
});
