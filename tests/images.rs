//! The tools on images this suite builds itself with standard tools (mkfs.ext2/3/4 -d, sfdisk
//! MBR with logical partitions and GPT, qemu-img qcow2 compressed and with a backing file),
//! compared byte for byte with what libguestfs 1.48 printed for the same images
//! (tests/golden, made by tests/golden/regenerate.sh; the images are reproducible).

use std::path::Path;
use virt_tools_tests::{images, parse_known, run_cases, TempDir};

#[test]
fn self_built_images_match_libguestfs_1_48() {
    let tmp = TempDir::new("images");
    images::test_images(tmp.path());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let known = parse_known(include_str!("golden/known-differences.txt"));
    let r = run_cases(&golden, tmp.path(), &known);
    println!(
        "golden: {} identical, {} known differences, {} unexpected",
        r.passed.len(),
        r.known.len(),
        r.failed.len()
    );
    for k in &r.known {
        println!("  known difference: {}", k);
    }
    assert!(!r.passed.is_empty(), "no golden case ran");
    assert!(
        r.failed.is_empty(),
        "cases differing from libguestfs 1.48:\n{}",
        r.failed.join("\n")
    );
}

#[test]
fn images_are_reproducible() {
    let a = TempDir::new("repro-a");
    let b = TempDir::new("repro-b");
    images::test_images(a.path());
    images::test_images(b.path());
    for name in ["demo.img", "demo.qcow2", "parts.img", "gpt.img"] {
        let x = std::fs::read(a.join(name)).unwrap();
        let y = std::fs::read(b.join(name)).unwrap();
        assert!(x == y, "{} differs between two builds", name);
    }
}
