//! Benchmark (not a test: it asserts nothing about time): the cost of one small daemon call
//! through this library and its appliance. `benches/small-calls.sh` runs it with
//! `--ignored --nocapture` beside libguestfs 1.48's guestfish doing the same calls.
//!
//! Environment: CALL_BENCH_IMAGE (an image whose /dev/sda1 holds a filesystem),
//! CALL_BENCH_CALLS (how many `exists` calls, default 1000).

use guestfs::{AddDriveOpts, Handle};
use std::time::Instant;

#[test]
#[ignore]
fn bench_exists_calls() {
    let Ok(image) = std::env::var("CALL_BENCH_IMAGE") else {
        println!("CALL_BENCH_IMAGE not set: nothing measured");
        return;
    };
    let calls: u32 = std::env::var("CALL_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let mut g = Handle::new();
    g.set_backend("direct").unwrap();
    g.add_drive_opts(
        &image,
        AddDriveOpts {
            format: Some("raw".into()),
            readonly: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    g.launch().unwrap();
    g.mount_ro("/dev/sda1", "/").unwrap();
    let t = Instant::now();
    for _ in 0..calls {
        g.exists("/etc").unwrap();
    }
    let total = t.elapsed().as_secs_f64();
    g.shutdown().unwrap();
    println!(
        "this library + appliance: {} exists calls in {:.3} s: {:.1} µs per call",
        calls,
        total,
        total * 1e6 / calls as f64
    );
}
