//! The per-call guestfish scripts of `tests/calls/` and what libguestfs 1.48 printed for each
//! (`tests/calls/expected/`): run by `tests/calls.rs` with this project's guestfish and
//! appliance, and by `tests/wire_compat.rs` with 1.48's guestfish driving this project's
//! appliance.

use crate::{sh, split, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn calls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("calls")
}

/// Every script but the prelude, by name; `CALLS=NAME,…` in the environment keeps only those.
pub fn scripts() -> Vec<String> {
    let only: Option<Vec<String>> = std::env::var("CALLS")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let mut names: Vec<String> = std::fs::read_dir(calls_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".fish").map(str::to_string)
        })
        .filter(|n| n != "prelude")
        .filter(|n| only.as_ref().is_none_or(|o| o.contains(n)))
        .collect();
    names.sort();
    names
}

/// The script as guestfish reads it: the prelude (with the test ISO's path), then the calls.
fn full_script(name: &str, iso: &Path) -> String {
    let prelude = std::fs::read_to_string(calls_dir().join("prelude.fish")).unwrap();
    let body = std::fs::read_to_string(calls_dir().join(format!("{}.fish", name))).unwrap();
    prelude.replace("@ISO@", &iso.display().to_string()) + &body
}

/// What 1.48 printed: `ext` is `out`, `err` or `rc`.
pub fn expected(name: &str, ext: &str) -> String {
    std::fs::read_to_string(
        calls_dir()
            .join("expected")
            .join(format!("{}.{}", name, ext)),
    )
    .unwrap_or_else(|e| panic!("expected/{}.{}: {}", name, ext, e))
}

/// Runs one script with `guestfish` (already given its environment) in `work`.
pub fn run_script(mut guestfish: Command, name: &str, work: &TempDir) -> (String, String, i32) {
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
                    "line {}\n  1.48: {:?}\n  got:  {:?}",
                    n,
                    a.unwrap_or("(end)"),
                    b.unwrap_or("(end)")
                )
            }
        }
    }
    String::from("(same lines)")
}

/// How one run of `name` differs from what 1.48 printed, if it does.
pub fn compare(name: &str, (out, err, rc): (String, String, i32)) -> Option<String> {
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

/// Runs `check` on every script, `parallel` at a time, and returns every difference found.
pub fn check_all(parallel: usize, check: impl Fn(&str) -> Option<String> + Sync) -> Vec<String> {
    let queue = std::sync::Mutex::new(scripts());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..parallel {
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
    failures.into_inner().unwrap()
}
