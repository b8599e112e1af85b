//! Fuzzes the systemd journal reader: arbitrary bytes as a journal file (read every entry,
//! with and without a data threshold, moving the cursor both ways), and arbitrary bytes as a
//! compressed DATA payload for each compression.
#![no_main]

use guestfs::journal::compress::{decompress, Compression};
use guestfs::journal::Journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let _ = decompress(Compression::Xz, rest, 1 << 20);
        }
        1 => {
            let _ = decompress(Compression::Lz4, rest, 1 << 20);
        }
        2 => {
            let _ = decompress(Compression::Zstd, rest, 1 << 20);
        }
        _ => {
            let mut j = Journal::open(vec![("fuzz.journal".to_string(), rest.to_vec())]);
            j.set_data_threshold(if mode % 2 == 0 { 0 } else { 4096 });
            let mut n = 0;
            while j.next_entry() {
                let _ = j.entry();
                let _ = j.realtime_usec();
                n += 1;
            }
            let _ = j.skip(-(n as i64) / 2);
            let _ = j.entry();
        }
    }
});
