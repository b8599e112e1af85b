//! The native readers' tool tests: a tool run on the native backend must print what it prints
//! on the appliance, byte for byte, with the same exit code.

use crate::{split, tool};
use std::process::Command;

/// Runs a shell script; true when it succeeded.
pub fn shell(script: &str) -> bool {
    Command::new("sh")
        .args(["-c", script])
        .status()
        .is_ok_and(|s| s.success())
}

/// A tool run with `LIBGUESTFS_BACKEND=backend` (the appliance under TCG): stdout, stderr
/// and the exit code.
pub fn run_with_backend(backend: &str, name: &str, args: &[&str]) -> (String, String, i32) {
    split(
        tool(name)
            .env("LIBGUESTFS_BACKEND", backend)
            .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    )
}

/// Fails on the first line where the native output differs from the appliance's (the
/// listings are too long to print whole), then on the last newline.
pub fn same_lines(native: &str, direct: &str, what: &str) {
    let (n, d): (Vec<_>, Vec<_>) = (native.lines().collect(), direct.lines().collect());
    for i in 0..n.len().max(d.len()) {
        assert_eq!(
            n.get(i),
            d.get(i),
            "{}: line {} (native, then appliance)",
            what,
            i + 1
        );
    }
    assert_eq!(
        native.ends_with('\n'),
        direct.ends_with('\n'),
        "{}: last newline",
        what
    );
}

/// Runs every (tool, arguments) case on both backends and compares stdout, stderr and the
/// exit code; with `must_succeed`, the exit code must also be 0.
pub fn native_matches_appliance(cases: &[(&str, Vec<String>)], must_succeed: bool) {
    native_matches_one_of_boots(cases, must_succeed, 1)
}

/// As [`native_matches_appliance`], for what the appliance does not give the same on every
/// boot: the appliance runs up to `boots` times, and one of its runs must match.
pub fn native_matches_one_of_boots(
    cases: &[(&str, Vec<String>)],
    must_succeed: bool,
    boots: usize,
) {
    for (name, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let native = run_with_backend("native", name, &args);
        let mut direct = run_with_backend("direct", name, &args);
        for _ in 1..boots {
            if direct == native {
                break;
            }
            direct = run_with_backend("direct", name, &args);
        }
        same_lines(
            &native.0,
            &direct.0,
            &format!("stdout of {} {:?}", name, args),
        );
        same_lines(
            &native.1,
            &direct.1,
            &format!("stderr of {} {:?}", name, args),
        );
        assert_eq!(native.2, direct.2, "exit code of {} {:?}", name, args);
        if must_succeed {
            assert_eq!(native.2, 0, "{} {:?}: {}", name, args, native.1);
        }
    }
}
