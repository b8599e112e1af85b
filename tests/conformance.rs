//! Conformance with libguestfs 1.48: every case in ../shared/fixtures/expected (images made by
//! libguestfs's own test scripts, with 1.48's stdout, stderr and exit code) is run with our
//! binary and compared byte for byte. Cases listed in `conformance-known-differences.txt`
//! (with the reason) are reported but not failed; every other case must match.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use virt_tools_tests::{shared_fixtures, tool_dir};

fn known_differences() -> BTreeMap<String, String> {
    let text = include_str!("conformance-known-differences.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(char::is_whitespace)
                .map(|(c, why)| (c.to_string(), why.trim().to_string()))
        })
        .collect()
}

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
    let known = known_differences();
    let bin_dir = tool_dir();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    let mut expected_failures = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(fixtures.join("expected"))
        .expect("expected dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cmd"))
        .collect();
    cases.sort();
    for cmd_file in cases {
        let case = cmd_file.file_stem().unwrap().to_string_lossy().into_owned();
        let base = cmd_file.with_extension("");
        let read =
            |ext: &str| std::fs::read(format!("{}.{}", base.display(), ext)).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&read("cmd")).into_owned();
        let exp_rc: i32 = String::from_utf8_lossy(&read("rc"))
            .trim()
            .parse()
            .unwrap_or(0);
        let out = Command::new("bash")
            .arg("-c")
            .arg(&cmd)
            .current_dir(&images)
            .env("PATH", &path)
            .env("TZ", "UTC")
            .env("LANG", "C")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run case");
        let rc = out.status.code().unwrap_or(-1);
        let same =
            rc == exp_rc && out.stdout == read("out") && (exp_rc == 0 || out.stderr == read("err"));
        match (same, known.get(&case)) {
            (true, _) => passed.push(case),
            (false, Some(why)) => expected_failures.push(format!("{} ({})", case, why)),
            (false, None) => failed.push(format!(
                "{}: exit {} (expected {}); stderr: {}",
                case,
                rc,
                exp_rc,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            )),
        }
    }
    println!(
        "conformance: {} identical, {} known differences, {} unexpected",
        passed.len(),
        expected_failures.len(),
        failed.len()
    );
    for k in &expected_failures {
        println!("  known difference: {}", k);
    }
    let _ = Path::new("");
    assert!(
        failed.is_empty(),
        "cases differing from libguestfs 1.48:\n{}",
        failed.join("\n")
    );
}
