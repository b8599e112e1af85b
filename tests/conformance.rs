//! Conformance with libguestfs 1.48: every case in ../shared/fixtures/expected (images made by
//! libguestfs's own test scripts, with 1.48's stdout, stderr and exit code) is run with our
//! binary and compared byte for byte. Cases listed in `conformance-known-differences.txt`
//! (with the reason) are reported but not failed; every other case must match.

use std::process::Command;
use virt_tools_tests::{parse_known, run_cases, shared_fixtures};

#[test]
fn fixtures_match_libguestfs_1_48() {
    let Some(fixtures) = shared_fixtures() else {
        println!(
            "SKIPPED: ../shared/fixtures/expected is absent; the conformance cases were not run"
        );
        eprintln!(
            "SKIPPED: ../shared/fixtures/expected is absent; the conformance cases were not run"
        );
        return;
    };
    let images = std::env::temp_dir().join("virt-tools-conformance-images");
    let st = Command::new(fixtures.join("unpack.sh"))
        .arg(&images)
        .output()
        .expect("unpack fixtures");
    assert!(
        st.status.success(),
        "unpack.sh failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let known = parse_known(include_str!("conformance-known-differences.txt"));
    let r = run_cases(&fixtures.join("expected"), &images, &known);
    println!(
        "conformance: {} identical, {} known differences, {} unexpected",
        r.passed.len(),
        r.known.len(),
        r.failed.len()
    );
    for k in &r.known {
        println!("  known difference: {}", k);
    }
    assert!(
        r.failed.is_empty(),
        "cases differing from libguestfs 1.48:\n{}",
        r.failed.join("\n")
    );
}
