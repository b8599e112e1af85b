//! qcow2 header parsing and reads over in-memory bytes. A backing file, when the header
//! names one, is a small all-zero device.
#![no_main]

#[path = "../common/memory.rs"]
mod memory;

use guestfs::block::qcow2::{self, BackingFile};
use guestfs::block::{BlockDevice, Device, Zero};
use libfuzzer_sys::fuzz_target;
use memory::Mem;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let source: Device = Arc::new(Mem(data.to_vec()));
    let mut backing =
        |_: &BackingFile| -> guestfs::error::Result<Device> { Ok(Arc::new(Zero(3 << 20))) };
    let Ok(image) = qcow2::open_source(source, "fuzz.qcow2", &mut backing) else {
        return;
    };
    let size = image.size();
    if size == 0 {
        return;
    }
    // Reads at the start, across the middle and at the end, plus one chosen by the input.
    let pick = data
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .unwrap_or(0);
    let len = size.min(300_000);
    let mut buf = vec![0u8; len as usize];
    for offset in [
        0,
        size / 2 - (size / 2).min(len / 2),
        size - len,
        pick % (size - len + 1),
    ] {
        let _ = image.read_exact_at(&mut buf, offset);
        let _ = image.read_exact_at(&mut buf[..len.min(777) as usize], offset);
    }
});
