//! libguestfs 1.48's own test scripts (guestfs-tools' cat/, df/, align/, inspector/, diff/
//! and libguestfs's fish/ and test-tool/ scripts that use only what this project has), run
//! against our binary by tests/upstream/run.sh. The scripts come from the upstream git
//! mirrors at run time (they are not part of this repository) and the phony guests from
//! ../shared/fixtures; without either the test says SKIPPED. The slow test-virt-tail.sh and
//! the two encrypted inspector scripts (whose phony guests ../shared/fixtures does not hold;
//! the ones tests/src/encrypted_lvm.rs makes have no rpm database, so their XML differs) are
//! skipped here, each saying so; `tests/upstream/run.sh` runs everything.

use std::path::Path;
use std::process::Command;
use virt_tools_tests::{binary, shared_fixtures, TempDir};

fn skipped(why: &str) {
    let msg = format!("SKIPPED: upstream test scripts: {}", why);
    println!("{}", msg);
    eprintln!("{}", msg);
}

#[test]
fn upstream_scripts_pass() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mirror = repo.parent().unwrap().join(".mirror");
    if !mirror.join("libguestfs+guestfs-tools/repo").exists() {
        skipped(&format!(
            "the upstream mirror {} is absent",
            mirror.display()
        ));
        return;
    }
    let Some(fixtures) = shared_fixtures() else {
        skipped("../shared/fixtures (the phony guests) is absent");
        return;
    };
    let tmp = TempDir::new("upstream");
    let guests = tmp.join("phony-guests");
    let st = Command::new(fixtures.join("unpack.sh"))
        .arg(&guests)
        .output()
        .expect("unpack fixtures");
    assert!(st.status.success(), "unpack.sh failed");
    let out = Command::new(repo.join("tests/upstream/run.sh"))
        .env("VIRT_TOOLS", binary())
        .env("UPSTREAM_MIRROR", &mirror)
        .env("PHONY_GUESTS", &guests)
        .env("UPSTREAM_WORK", tmp.join("work"))
        .env("UPSTREAM_QUICK", "1")
        .output()
        .expect("run tests/upstream/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{}", stdout);
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    if !failed.is_empty() {
        for log in stdout.split("(log: ").skip(1) {
            let path = log.split(')').next().unwrap_or_default();
            if let Ok(text) = std::fs::read_to_string(path) {
                eprintln!("==== {}\n{}", path, text);
            }
        }
    }
    assert!(
        out.status.success() && failed.is_empty(),
        "upstream scripts failed: {:?}",
        failed
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("PASS")),
        "no upstream script ran"
    );
}
