//! virt-make-fs: the filesystems it makes from directories and tarballs the tests build, read
//! back with this project's virt-filesystems, virt-ls and virt-cat and compared with what
//! libguestfs 1.48 produced for the same steps (tests/golden/write/make-fs, made by
//! `tests/golden/regenerate.sh tests/golden/write/make-fs`); its command line; the bad-input
//! cases (one line, exit 1, no output file left).

use std::path::Path;
use std::process::Command;
use virt_tools_tests::{build_daemon, parse_known, run, run_cases, sh, TempDir};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn make_fs_matches_libguestfs_1_48() {
    build_daemon();
    let tmp = TempDir::new("make-fs-golden");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/write/make-fs");
    // 1.48's daemon names the whole disk in mkfs's message as its appliance's kernel named
    // it (/dev/sdb there: its own disk came first); this daemon names it as the user does.
    let mut known = String::from(
        "makefs.unknown-type 1.48 names the disk /dev/sdb (its appliance kernel's name for it)\n\
         makefs.xfs-too-small 1.48 names the disk /dev/sdb (its appliance kernel's name for it)\n\
         makefs.bz2-qcow2-minix virt-filesystems' native backend does not recognise minix\n",
    );
    // A directory's files keep their owners only when tar runs as root.
    if unsafe { libc::geteuid() } != 0 {
        known.push_str("makefs.dir-gpt-ext2 needs root (the files of a directory are owned by whoever runs it)\n");
    }
    let known = parse_known(&known);
    let r = run_cases(&golden, tmp.path(), &known);
    assert!(!r.passed.is_empty(), "no golden case ran");
    r.check("virt-make-fs");
}

const HELP: &str = "virt-make-fs: make a filesystem from a tar archive or files
Copyright (C) 2010-2020 Red Hat Inc.
Usage:
  virt-make-fs [--options] input.tar output.img
  virt-make-fs [--options] input.tar.gz output.img
  virt-make-fs [--options] directory output.img
Options:
  --blocksize=512|4096     Set sector size of the output disk
  --floppy                 Make a virtual floppy disk
  -F|--format=raw|qcow2|.. Set output format
  --help                   Display brief help
  --label=label            Filesystem label
  --partition=mbr|gpt|..   Set partition type
  -s|--size=size|+size     Set size of output disk
  -t|--type=ext4|..        Set filesystem type
  -v|--verbose             Verbose messages
  -V|--version             Display version and exit
  -x                       Trace libguestfs API calls
  --machine-readable[=format]
                           Make output machine readable
For more information, see the manpage virt-make-fs(1).
";

#[test]
fn command_line_is_1_48s() {
    assert_eq!(
        run("virt-make-fs", &["--help"]),
        (HELP.to_string(), String::new(), 0)
    );
    assert_eq!(
        run("virt-make-fs", &["--long-options"]).0,
        "--blocksize\n--debug\n--floppy\n--format\n--help\n--label\n--partition\n--size\n--type\n--verbose\n--version\n"
    );
    assert_eq!(
        run("virt-make-fs", &["--short-options"]).0,
        "-F\n-s\n-t\n-V\n-v\n-x\n"
    );
    assert_eq!(run("virt-make-fs", &["-V"]).0, "virt-make-fs 1.48.2\n");
    assert_eq!(
        run("virt-make-fs", &["--bogus"]),
        (
            String::new(),
            "virt-make-fs: unrecognized option '--bogus'\nTry ‘virt-make-fs --help’ for more information.\n".to_string(),
            1
        )
    );
    // --format and --blocksize are the output's: no -a has to follow them.
    let tmp = TempDir::new("make-fs-cli");
    let (_, err, rc) = run(
        "virt-make-fs",
        &[
            "--format=qcow2",
            "--blocksize=4096",
            s(&tmp.join("nosuch")),
            "o",
        ],
    );
    assert_eq!(
        (err, rc),
        (
            format!("{}: No such file or directory\n", s(&tmp.join("nosuch"))),
            1
        )
    );
    assert_eq!(
        run("virt-make-fs", &["--machine-readable"]).0,
        "virt-make-fs\njson-progress-records\njson-make-fs-records\n"
    );
}

/// Errors found before the output is created leave a file of that name alone (1.48 removes
/// it: a deliberate difference); errors after it was created remove it.
#[test]
fn a_failure_leaves_no_output_and_spares_an_existing_file() {
    let tmp = TempDir::new("make-fs-bad");
    let dir = tmp.join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("f"), "x\n").unwrap();
    let existing = tmp.join("existing.img");
    std::fs::write(&existing, "mine\n").unwrap();
    for args in [
        vec![s(&tmp.join("nosuch")), s(&existing)],
        vec!["--size=12Q", s(&dir), s(&existing)],
        vec!["--blocksize=x", s(&dir), s(&existing)],
    ] {
        let (_, err, rc) = run("virt-make-fs", &args);
        assert_eq!(rc, 1, "{:?}: {}", args, err);
        assert_eq!(err.lines().count(), 1, "{:?}: {}", args, err);
        assert_eq!(std::fs::read(&existing).unwrap(), b"mine\n", "{:?}", args);
    }
    build_daemon();
    let out = tmp.join("new.img");
    let (_, err, rc) = run("virt-make-fs", &["-t", "nosuchfs", s(&dir), s(&out)]);
    assert_eq!(rc, 1, "{}", err);
    assert!(
        err.starts_with(
            "virt-make-fs: 'mkfs' (create filesystem) operation failed: mkfs: nosuchfs: "
        ),
        "{}",
        err
    );
    assert!(
        err.ends_with("\nIs 'nosuchfs' a correct filesystem type?\n"),
        "{}",
        err
    );
    assert!(
        !out.exists(),
        "a failed virt-make-fs left {}",
        out.display()
    );
}

/// The default size of a directory's filesystem is 1.48's estimate from what `du
/// --apparent-size` counts; --floppy sets the size, partition and type at its place among
/// the options (a later -t wins, an earlier --size does not); the machine-readable record.
#[test]
fn directory_estimate_option_order_and_records() {
    build_daemon();
    let tmp = TempDir::new("make-fs-dir");
    let dir = tmp.join("in");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/data"), vec![7u8; 300_000]).unwrap();
    std::fs::write(dir.join("small"), "small\n").unwrap();
    let du = sh(Command::new("du")
        .args(["--apparent-size", "-b", "-s"])
        .arg(&dir));
    let du: u64 = String::from_utf8_lossy(&du.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let img = tmp.join("o.img");
    let (_, err, rc) = run("virt-make-fs", &["--type=ext3", s(&dir), s(&img)]);
    assert_eq!(rc, 0, "{}", err);
    // (contents + 256 KiB + 4 MiB of journal) × 1.1
    let expected = ((du + (256 << 10) + (4 << 20)) as f64 * 1.10) as u64;
    assert_eq!(std::fs::metadata(&img).unwrap().len(), expected);
    let (out, err, rc) = run("virt-cat", &["-a", s(&img), "-m", "/dev/sda", "/small"]);
    assert_eq!((out.as_str(), rc), ("small\n", 0), "{}", err);

    let floppy = tmp.join("floppy.img");
    let json = tmp.join("records.json");
    let (_, err, rc) = run(
        "virt-make-fs",
        &[
            "--size=abc",
            "--floppy",
            "-t",
            "ext2",
            &format!("--machine-readable=file:{}", s(&json)),
            s(&dir),
            s(&floppy),
        ],
    );
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(std::fs::metadata(&floppy).unwrap().len(), 1440 * 1024);
    let (out, err, rc) = run("virt-filesystems", &["-a", s(&floppy), "--all", "--long"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(
        out.contains("/dev/sda1  filesystem  ext2  -      -    ")
            && out.contains("/dev/sda1  partition   -     -      83   "),
        "{}",
        out
    );
    let records = std::fs::read_to_string(&json).unwrap();
    let made: Vec<serde_json::Value> = records
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["type"] == "made")
        .collect();
    assert_eq!(made.len(), 1, "{}", records);
    assert_eq!(made[0]["filesystem"], "ext2");
    assert_eq!(made[0]["partition"], "mbr");
    assert_eq!(made[0]["size"], 1440 * 1024);
    assert!(
        records
            .lines()
            .any(|l| l.contains("\"type\": \"progress\"")),
        "{}",
        records
    );
}
