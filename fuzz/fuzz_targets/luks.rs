//! LUKS1 and LUKS2 headers over in-memory bytes: the binary headers (LUKS1, and LUKS2 with its
//! checksums), the LUKS2 JSON metadata directly (a first byte of 0xff; mutations of a whole
//! header would rarely keep its checksum), then the keyslot areas, anti-forensic merge,
//! digest check and decrypted reads. The KDF is replaced by a fixed key (its cost is the
//! header's, bounded by the parser, and not the point here).
#![no_main]

#[path = "../common/memory.rs"]
mod memory;

use guestfs::block::luks::Volume;
use guestfs::block::Device;
use libfuzzer_sys::fuzz_target;
use memory::Mem;
use std::sync::Arc;

/// Digests this costly are not computed here.
const MAX_DIGEST_ITERATIONS: u32 = 2_000;

fuzz_target!(|data: &[u8]| {
    let dev: Device = Arc::new(Mem(data.to_vec()));
    let volume = match data.split_first() {
        Some((0xff, json)) => Volume::from_luks2_json(json, String::new(), 1 << 20),
        _ => Volume::read(dev.as_ref()),
    };
    let Ok(volume) = volume else {
        return;
    };
    if volume
        .digests
        .iter()
        .any(|d| d.iterations > MAX_DIGEST_ITERATIONS)
    {
        return;
    }
    let key = volume
        .unlock_with(dev.as_ref(), &mut |_, out| {
            out.fill(0x5a);
            Ok(())
        })
        .unwrap_or_else(|_| vec![0u8; 64]);
    let Ok(plain) = volume.open_payload(dev, &key) else {
        return;
    };
    let size = plain.size();
    for (off, len) in [(0, 512), (size / 2 + 3, 700), (size.saturating_sub(100), 100)] {
        let mut buf = vec![0u8; len];
        let _ = plain.read_exact_at(&mut buf, off);
    }
});
