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
    // Without a controlling terminal guestfish reads passphrases from the script (the line
    // after the command), as 1.48's does when regenerate.sh captured it.
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent's.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut guestfish, || {
            libc::setsid();
            Ok(())
        });
    }
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

/// The first line where `got` differs from `want`, with its number.
fn first_difference(want: &str, got: &str) -> String {
    let (mut w, mut g) = (want.split_inclusive('\n'), got.split_inclusive('\n'));
    for n in 1.. {
        match (w.next(), g.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    "line {}\n  1.48: {:?}\n  ours: {:?}",
                    n,
                    a.unwrap_or("(end)"),
                    b.unwrap_or("(end)")
                )
            }
        }
    }
    String::from("(same lines)")
}

/// Every script of `tests/calls/` but the prelude, by name.
fn scripts() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(calls_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".fish").map(str::to_string)
        })
        .filter(|n| n != "prelude")
        .collect();
    names.sort();
    names
}

/// How `name` differs from what 1.48 printed, if it does.
fn check(name: &str) -> Option<String> {
    let work = TempDir::new(&format!("calls-{}", name));
    let mut guestfish = tool("guestfish");
    guestfish.env("LIBGUESTFS_BACKEND", "direct");
    let (out, err, rc) = run_script(guestfish, name, &work);
    let mut diffs = Vec::new();
    for (what, got, want) in [
        ("standard error", err, expected(name, "err")),
        ("standard output", out, expected(name, "out")),
        ("exit status", format!("{}\n", rc), expected(name, "rc")),
    ] {
        if got != want {
            diffs.push(format!(
                "{}: {} differs: {}",
                name,
                what,
                first_difference(&want, &got)
            ));
        }
    }
    (!diffs.is_empty()).then(|| diffs.join("\n"))
}

/// Runs every script (two appliances at a time: the machines this runs on have two cores)
/// and reports every one that differs from 1.48. `CALLS=NAME,…` runs only those.
#[test]
fn every_call_script_matches_1_48() {
    let only: Option<Vec<String>> = std::env::var("CALLS")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let names: Vec<String> = scripts()
        .into_iter()
        .filter(|n| only.as_ref().is_none_or(|o| o.contains(n)))
        .collect();
    let queue = std::sync::Mutex::new(names.clone());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some(name) = queue.lock().unwrap().pop() else {
                    break;
                };
                let outcome = check(&name);
                eprintln!(
                    "calls/{}.fish: {}",
                    name,
                    if outcome.is_some() {
                        "DIFFERS"
                    } else {
                        "same as 1.48"
                    }
                );
                if let Some(d) = outcome {
                    failures.lock().unwrap().push(d);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
