//! How much of libguestfs 1.48's API each part of this project answers, family by family:
//! the daemon calls the native backend and guestfsd implement (the appliance backend forwards
//! every call to guestfsd), and the library-side calls the library implements. Printed by
//! `cargo test --test api_coverage -- --nocapture`; the test fails if an implementation names
//! a call that is not declared in `api/`.

use guestfs::{Action, ACTIONS};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.rs` files below `dir` (none if it does not exist).
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The trait of a family (`filesystems` → `Filesystems`).
fn family_trait(family: &str) -> String {
    family
        .split('_')
        .map(|p| p[..1].to_ascii_uppercase() + &p[1..])
        .collect()
}

/// Whether a line opens an `impl FAMILY for …` block (the trait possibly with a path).
fn opens_family_impl(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("impl ") else {
        return false;
    };
    let Some((tr, _)) = rest.split_once(" for ") else {
        return false;
    };
    let tr = tr.rsplit("::").next().unwrap_or(tr);
    ACTIONS.iter().any(|a| family_trait(a.family) == tr)
}

/// The methods defined inside the `impl FAMILY for …` blocks in `dir`.
fn trait_methods(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for f in sources(dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut in_impl = false;
        for line in text.lines() {
            if opens_family_impl(line) {
                in_impl = true;
            } else if line.starts_with('}') {
                in_impl = false;
            } else if in_impl {
                // Methods of the impl itself, not of items nested in their bodies.
                if let Some(rest) = line.strip_prefix("    fn ") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// The `impl_NAME` functions of the library, outside the list of pending calls.
fn library_impls(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for f in sources(dir) {
        if f.ends_with("library/pending.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for piece in text.split("fn impl_").skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

fn check_declared(what: &str, names: &BTreeSet<String>, is_declared: impl Fn(&str) -> bool) {
    let unknown: Vec<&String> = names.iter().filter(|n| !is_declared(n)).collect();
    assert!(
        unknown.is_empty(),
        "{} implements calls that api/ does not declare: {:?}",
        what,
        unknown
    );
}

#[test]
fn declared_and_implemented_calls() {
    let root = root();
    let daemon_call = |n: &str| ACTIONS.iter().any(|a| a.name == n && a.is_daemon());
    let native = trait_methods(&root.join("libguestfs-core/src/backend/native/calls"));
    let daemon = trait_methods(&root.join("daemon/src/calls"));
    let library = library_impls(&root.join("libguestfs-core/src"));
    check_declared("the native backend", &native, daemon_call);
    check_declared("guestfsd", &daemon, daemon_call);
    check_declared("the library", &library, |n| {
        ACTIONS.iter().any(|a| a.name == n)
    });

    let mut families: Vec<&str> = ACTIONS.iter().map(|a| a.family).collect();
    families.sort();
    families.dedup();
    println!(
        "{:<12} {:>8} {:>7} {:>9} {:>8} {:>8}",
        "family", "daemon", "native", "guestfsd", "library", "answered"
    );
    let count = |f: &dyn Fn(&Action) -> bool| ACTIONS.iter().filter(|a| f(a)).count();
    let mut totals = [0usize; 5];
    for fam in families {
        let in_fam = |a: &Action| a.family == fam;
        let row = [
            count(&|a| in_fam(a) && a.is_daemon()),
            count(&|a| in_fam(a) && a.is_daemon() && native.contains(a.name)),
            count(&|a| in_fam(a) && a.is_daemon() && daemon.contains(a.name)),
            count(&|a| in_fam(a) && !a.is_daemon()),
            count(&|a| in_fam(a) && library.contains(a.name)),
        ];
        for (t, r) in totals.iter_mut().zip(row) {
            *t += r;
        }
        println!(
            "{:<12} {:>8} {:>7} {:>9} {:>8} {:>8}",
            fam, row[0], row[1], row[2], row[3], row[4]
        );
    }
    println!(
        "{:<12} {:>8} {:>7} {:>9} {:>8} {:>8}",
        "all", totals[0], totals[1], totals[2], totals[3], totals[4]
    );
    println!(
        "(daemon: declared daemon calls; native/guestfsd: those each implements; library: \
         declared library-side calls; answered: calls the library answers itself, library-side \
         ones and the daemon calls marked library_answers)"
    );
    assert_eq!(ACTIONS.len(), 635);
}
