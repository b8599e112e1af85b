//! Wire compatibility with libguestfs 1.48: the same guestfish script (every daemon call this
//! project implements, `wire_compat/calls.fish`) on the same blank disks through several
//! runners, whose outputs must be identical:
//!
//! (a) libguestfs 1.48's guestfish with 1.48's own appliance — the reference;
//! (b) libguestfs 1.48's guestfish with this project's fixed appliance (`LIBGUESTFS_PATH`),
//!     so 1.48's library drives this project's daemon over the wire;
//! (c) this project's guestfish with its own appliance.
//!
//! Every per-call script of `tests/calls/` is also run with (b), and must print what 1.48
//! printed with its own appliance (`tests/calls/expected/`).
//!
//! Runs when libguestfs 1.48 is installed; says visibly that it was skipped otherwise. Slow
//! (1.48 boots under TCG): named `slow_*`.
//!
//! Only what is truly non-deterministic is normalised ([`normalise`]): UUIDs and GUIDs made
//! at random by mkfs, parted, sgdisk and LVM, file times, inode numbers (ext4 places top-level
//! directories at random), device numbers (the appliance kernels may number disks
//! differently), the fsid statvfs derives from the filesystem UUID, and the disk letters in
//! error messages (1.48's appliance names disks in probe order, see [`disk_names_in_errors`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use virt_tools_tests::call_scripts::{self, check_all, compare};
use virt_tools_tests::{binary, build_daemon, tool_dir, TempDir};

const SCRIPT: &str = include_str!("wire_compat/calls.fish");

/// One way of running guestfish: the program and the environment it needs.
struct Runner {
    name: &'static str,
    guestfish: PathBuf,
    env: Vec<(&'static str, String)>,
}

/// libguestfs 1.48's guestfish, if it is installed.
fn guestfish_1_48() -> Option<PathBuf> {
    let out = Command::new("guestfish").arg("--version").output().ok()?;
    let v = String::from_utf8_lossy(&out.stdout);
    v.starts_with("guestfish 1.48.")
        .then(|| PathBuf::from("guestfish"))
}

fn runners(lg148: &Path, fixed: &Path) -> Vec<Runner> {
    vec![
        Runner {
            name: "(a) 1.48 guestfish, 1.48 appliance",
            guestfish: lg148.to_path_buf(),
            env: vec![],
        },
        Runner {
            name: "(b) 1.48 guestfish, this project's fixed appliance",
            guestfish: lg148.to_path_buf(),
            env: vec![("LIBGUESTFS_PATH", fixed.display().to_string())],
        },
        Runner {
            name: "(c) this project's guestfish and appliance",
            guestfish: tool_dir().join("guestfish"),
            env: vec![],
        },
    ]
}

/// The test's input files in `dir`: two blank disks, a LUKS volume and a file to upload.
fn prepare(dir: &Path) {
    for (name, size) in [
        ("sda.img", 256u64 << 20),
        ("sdb.img", 64 << 20),
        ("sdc.img", 32 << 20),
    ] {
        let f = std::fs::File::create(dir.join(name)).unwrap();
        f.set_len(size).unwrap();
    }
    std::fs::write(dir.join("luks.key"), "secret").unwrap();
    // The passphrases the script's cryptsetup and luks calls read, in order.
    std::fs::write(
        dir.join("passphrases"),
        "secret\nsecret\nwrong\nsecret\nsecret\nsecret\n",
    )
    .unwrap();
    let st = Command::new("cryptsetup")
        .args(["luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2"])
        .args([
            "--pbkdf-force-iterations",
            "1000",
            "--key-file",
            "luks.key",
            "sdc.img",
        ])
        .current_dir(dir)
        .status()
        .expect("cryptsetup (install cryptsetup-bin)");
    assert!(st.success(), "cryptsetup luksFormat failed");
    let data: Vec<u8> = (0..20000u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(dir.join("upload.bin"), data).unwrap();
}

/// (stdout, stderr, exit status) of the script through one runner, in a fresh directory.
fn run(r: &Runner) -> (String, String, i32) {
    let dir = TempDir::new("wire-compat");
    prepare(dir.path());
    std::fs::write(dir.join("calls.fish"), SCRIPT).unwrap();
    let args = [
        "--format=raw",
        "-a",
        "sda.img",
        "-a",
        "sdb.img",
        "-a",
        "sdc.img",
        "--keys-from-stdin",
    ];
    run_script(r, dir.path(), &args, "calls.fish")
}

/// (stdout, stderr, exit status), normalised, of `guestfish ARGS < SCRIPT` through one
/// runner in `dir`.
fn run_script(r: &Runner, dir: &Path, args: &[&str], script: &str) -> (String, String, i32) {
    let mut cmd = Command::new(&r.guestfish);
    cmd.current_dir(dir)
        .args(args)
        .stdin(std::fs::File::open(dir.join(script)).unwrap())
        .env("LIBGUESTFS_BACKEND", "direct")
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .env("LC_ALL", "C")
        .env_remove("LIBGUESTFS_PATH");
    for (k, v) in &r.env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        normalise(&String::from_utf8_lossy(&out.stdout)),
        normalise(&String::from_utf8_lossy(&out.stderr)),
        out.status.code().unwrap_or(-1),
    )
}

/// Replaces what differs from run to run (see the module comment) by placeholders.
fn normalise(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let key = trimmed.split(':').next().unwrap_or("");
            let random_field = [
                "st_dev",
                "st_ino",
                "st_atime_sec",
                "st_atime_nsec",
                "st_mtime_sec",
                "st_mtime_nsec",
                "st_ctime_sec",
                "st_ctime_nsec",
                "fsid",
                "ino",
                "pv_uuid",
                "vg_uuid",
                "lv_uuid",
                // LVM reports the PV by the kernel's name, which 1.48's appliance gives in
                // disk probe order (it varies from run to run there).
                "pv_name",
            ]
            .contains(&key)
                && trimmed.contains(": ");
            if random_field {
                let indent = &line[..line.len() - trimmed.len()];
                return format!("{}{}: <varies>", indent, key);
            }
            if line.contains("libguestfs: error:") {
                return replace_ids(&disk_names_in_errors(line));
            }
            replace_ids(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// 1.48's appliance names its disks in the order the kernel happens to probe them, and passes
/// those names on in programs' error messages: from run to run the same error may say
/// `/dev/sdb1` or `/dev/sdc1`. In error lines the disk letters are not compared.
fn disk_names_in_errors(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("/dev/sd") {
        out.push_str(&rest[..at + 7]);
        rest = &rest[at + 7..];
        let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        if letters > 0 {
            out.push('?');
        }
        rest = &rest[letters..];
    }
    out.push_str(rest);
    out
}

/// UUIDs (8-4-4-4-12 hex), LVM's 6-4-4-4-4-4-6 ids and their 32-character dashless form.
fn replace_ids(line: &str) -> String {
    let mut out = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let groups: Vec<usize> = word.split('-').map(str::len).collect();
        let alnum = word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let hex = word.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let is_uuid = hex && groups == [8, 4, 4, 4, 12];
        let is_lvm = alnum && groups == [6, 4, 4, 4, 4, 4, 6];
        let is_dashless = alnum && groups == [32] && word.chars().any(|c| c.is_ascii_digit());
        if is_uuid || is_lvm || is_dashless {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
    }
    out
}

/// The first lines where two outputs differ, for the failure message.
fn first_differences(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = Vec::new();
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i).copied(), lb.get(i).copied());
        if x != y {
            out.push(format!("line {}:\n  - {:?}\n  + {:?}", i + 1, x, y));
            if out.len() == 15 {
                break;
            }
        }
    }
    out.join("\n")
}

/// libguestfs 1.48's guestfish, or None after saying visibly that the test is skipped.
fn guestfish_1_48_or_skip() -> Option<PathBuf> {
    let found = guestfish_1_48();
    if found.is_none() {
        let msg = "SKIPPED: libguestfs 1.48's guestfish is not installed; the wire-compatibility comparison was not run";
        println!("{}", msg);
        eprintln!("{}", msg);
    }
    found
}

/// Builds the fixed appliance from this project's daemon in a new directory.
fn fixed_appliance() -> TempDir {
    build_daemon();
    let fixed = TempDir::new("wire-compat-appliance");
    let made = Command::new(binary())
        .arg("libguestfs-make-fixed-appliance")
        .arg(fixed.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "libguestfs-make-fixed-appliance failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    fixed
}

/// Fails unless every run printed what the first (the reference) printed.
fn assert_same_as_reference(runs: &[(&str, (String, String, i32))]) {
    let (ref_name, reference) = &runs[0];
    println!(
        "{}: exit {}\n{}\n{}",
        ref_name, reference.2, reference.0, reference.1
    );
    assert_eq!(reference.2, 0, "the reference run failed:\n{}", reference.1);
    let mut failures = Vec::new();
    for (name, got) in &runs[1..] {
        for (stream, ours, theirs) in [
            ("stdout", &got.0, &reference.0),
            ("stderr", &got.1, &reference.1),
        ] {
            if ours != theirs {
                failures.push(format!(
                    "{}: {} differs from {}:\n{}",
                    name,
                    stream,
                    ref_name,
                    first_differences(theirs, ours)
                ));
            }
        }
        if got.2 != reference.2 {
            failures.push(format!(
                "{}: exit {} (reference {})",
                name, got.2, reference.2
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
#[test]
fn normalising_keeps_what_is_deterministic() {
    assert_eq!(
        normalise("uuid 01234567-89ab-cdef-0123-456789abcdef here\n  st_ino: 12\nsize: 3"),
        "uuid <id> here\n  st_ino: <varies>\nsize: 3"
    );
    assert_eq!(
        replace_ids("abcdef-ABCD-1234-abcd-EFGH-ijkl-mnopqr"),
        "<id>"
    );
    assert_eq!(replace_ids("/dev/sda1: ext4"), "/dev/sda1: ext4");
    assert_eq!(
        normalise("libguestfs: error: mount: /dev/sdc1 on / failed\n/dev/sdb1: ext2"),
        "libguestfs: error: mount: /dev/sd?1 on / failed\n/dev/sdb1: ext2"
    );
}

#[test]
fn slow_guestfish_1_48_gets_the_same_answers_from_this_daemon() {
    let Some(lg148) = guestfish_1_48_or_skip() else {
        return;
    };
    let fixed = fixed_appliance();
    let runs: Vec<(&str, (String, String, i32))> = runners(&lg148, fixed.path())
        .iter()
        .map(|r| (r.name, run(r)))
        .collect();
    assert_same_as_reference(&runs);
}

const INSPECT_GUEST: &str = include_str!("wire_compat/inspect-guest.fish");
const INSPECT: &str = include_str!("wire_compat/inspect.fish");

/// `guestfish -i` (1.48's inspection, over the wire) on a small Linux guest: 1.48's
/// guestfish must get from this project's daemon what it gets from its own.
#[test]
fn slow_guestfish_1_48_inspects_with_this_daemon() {
    let Some(lg148) = guestfish_1_48_or_skip() else {
        return;
    };
    let fixed = fixed_appliance();
    let dir = TempDir::new("wire-compat-inspect");
    std::fs::File::create(dir.join("guest.img"))
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    std::fs::write(dir.join("inspect-guest.fish"), INSPECT_GUEST).unwrap();
    std::fs::write(dir.join("inspect.fish"), INSPECT).unwrap();
    let builder = Runner {
        name: "1.48 guestfish building the guest",
        guestfish: lg148.clone(),
        env: vec![],
    };
    let built = run_script(
        &builder,
        dir.path(),
        &["--format=raw", "-a", "guest.img"],
        "inspect-guest.fish",
    );
    assert_eq!(built.2, 0, "building the guest failed:\n{}", built.1);
    let args = ["--ro", "--format=raw", "-a", "guest.img", "-i"];
    let runs: Vec<(&str, (String, String, i32))> = runners(&lg148, fixed.path())
        .iter()
        .map(|r| (r.name, run_script(r, dir.path(), &args, "inspect.fish")))
        .collect();
    assert_same_as_reference(&runs);
}

/// 1.48's guestfish with this project's daemon runs every script of `tests/calls/` and prints
/// exactly what it printed with its own daemon (`tests/calls/expected/`).
#[test]
fn slow_guestfish_1_48_runs_every_call_script_on_this_daemon() {
    let Some(lg148) = guestfish_1_48_or_skip() else {
        return;
    };
    let fixed = fixed_appliance();
    let failures = check_all(2, |name| {
        let work = TempDir::new(&format!("wire-calls-{}", name));
        let mut guestfish = Command::new(&lg148);
        guestfish
            .env("LIBGUESTFS_BACKEND", "direct")
            .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
            .env("LIBGUESTFS_PATH", fixed.path());
        compare(name, call_scripts::run_script(guestfish, name, &work))
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
