//! Every daemon and library call this project implements, through guestfish, in the initial
//! states libguestfs's own per-call tests use (an empty disk, one partition, a fresh ext2
//! filesystem, a filesystem on LVM, a scratch filesystem, an ISO image). Each script of
//! `tests/calls/` runs in one guestfish session (one appliance launch serves all its
//! calls) after `prelude.fish`; its standard output, standard error and exit status must be
//! what libguestfs 1.48's guestfish printed for the same script (`tests/calls/expected/`,
//! captured by `tests/calls/regenerate.sh`).

use virt_tools_tests::call_scripts::{check_all, compare, run_script};
use virt_tools_tests::{tool, TempDir};

/// Runs every script (two appliances at a time: the machines this runs on have two cores)
/// and reports every one that differs from 1.48. `CALLS=NAME,…` runs only those.
#[test]
fn every_call_script_matches_1_48() {
    let failures = check_all(2, |name| {
        let work = TempDir::new(&format!("calls-{}", name));
        let mut guestfish = tool("guestfish");
        guestfish.env("LIBGUESTFS_BACKEND", "direct");
        compare(name, run_script(guestfish, name, &work))
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
