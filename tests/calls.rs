//! Every daemon and library call this project implements, through guestfish, in the initial
//! states libguestfs's own per-call tests use (an empty disk, one partition, a fresh ext2
//! filesystem, a filesystem on LVM, a scratch filesystem, an ISO image). Each script of
//! `tests/calls/` runs in one guestfish session (one appliance launch serves all its
//! calls) after `prelude.fish`; its standard output, standard error and exit status must be
//! what libguestfs 1.48's guestfish printed for the same script (`tests/calls/expected/`,
//! captured by `tests/calls/regenerate.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use virt_tools_tests::{sh, split, tool, TempDir};

fn calls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("calls")
}

/// The script as guestfish reads it: the prelude (with the test ISO's path), then the calls.
fn full_script(name: &str, iso: &Path) -> String {
    let prelude = std::fs::read_to_string(calls_dir().join("prelude.fish")).unwrap();
    let body = std::fs::read_to_string(calls_dir().join(format!("{}.fish", name))).unwrap();
    prelude.replace("@ISO@", &iso.display().to_string()) + &body
}

fn expected(name: &str, ext: &str) -> String {
    std::fs::read_to_string(
        calls_dir()
            .join("expected")
            .join(format!("{}.{}", name, ext)),
    )
    .unwrap_or_else(|e| panic!("expected/{}.{}: {}", name, ext, e))
}

/// Runs one script with `guestfish` (ours, or another given as a command) in `work`.
fn run_script(mut guestfish: Command, name: &str, work: &TempDir) -> (String, String, i32) {
    let iso = work.join("test.iso");
    if !iso.exists() {
        sh(Command::new(calls_dir().join("make-iso.sh")).arg(&iso));
    }
    let script = full_script(name, &iso);
    let mut child = guestfish
        .current_dir(work.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run guestfish");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(script.as_bytes()).unwrap();
    }
    split(child.wait_with_output().unwrap())
}

fn check(name: &str) {
    let work = TempDir::new(&format!("calls-{}", name));
    let mut guestfish = tool("guestfish");
    guestfish.env("LIBGUESTFS_BACKEND", "direct");
    let (out, err, rc) = run_script(guestfish, name, &work);
    assert_eq!(err, expected(name, "err"), "{}: standard error", name);
    assert_eq!(out, expected(name, "out"), "{}: standard output", name);
    assert_eq!(
        rc.to_string(),
        expected(name, "rc").trim(),
        "{}: exit status",
        name
    );
}

#[test]
fn daemon_and_mounts() {
    check("daemon");
}

#[test]
fn devices_and_partitions() {
    check("devices");
}

#[test]
fn files_and_directories() {
    check("files");
}

#[test]
fn lvm() {
    check("lvm");
}
