//! virt-format: disks the tests build (an ext4 filesystem in an MBR partition to erase),
//! formatted and read back with this project's virt-filesystems and virt-ls, compared with
//! what libguestfs 1.48 produced for the same steps (tests/golden/write/format, made by
//! `tests/golden/regenerate.sh tests/golden/write/format`); its command line and usage errors.

use std::path::Path;
use virt_tools_tests::{build_daemon, parse_known, run, run_cases, TempDir};

#[test]
fn format_matches_libguestfs_1_48() {
    build_daemon();
    let tmp = TempDir::new("format-golden");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/write/format");
    let known = parse_known(
        "format.minix-none virt-filesystems' native backend does not recognise minix (it says unknown)",
    );
    let r = run_cases(&golden, tmp.path(), &known);
    assert!(!r.passed.is_empty(), "no golden case ran");
    r.check("virt-format");
}

const WARNING: &str = "IMPORTANT NOTE: This program ERASES ALL DATA on disks.\n";

#[test]
fn command_line_is_1_48s() {
    let (out, err, rc) = run("virt-format", &["--help"]);
    assert_eq!((err.as_str(), rc), ("", 0));
    assert!(
        out.starts_with(&format!(
            "virt-format: erase and make a blank disk\nCopyright (C) 2012 Red Hat Inc.\n\n{}\nUsage:\n",
            WARNING
        )),
        "{}",
        out
    );
    assert!(out.ends_with(&format!(
        "  --wipe               Write zeroes over whole disk\n  -x                   Trace libguestfs API calls\n  --machine-readable[=format]\n                       Make output machine readable\nFor more information, see the manpage virt-format(1).\n\n{}\n",
        WARNING
    )));
    assert_eq!(
        run("virt-format", &["--long-options"]).0,
        "--add\n--blocksize\n--filesystem\n--format\n--help\n--label\n--lvm\n--partition\n--verbose\n--version\n--wipe\n"
    );
    assert_eq!(
        run("virt-format", &["--short-options"]).0,
        "-a\n-v\n-V\n-x\n"
    );
    assert_eq!(run("virt-format", &["-V"]).0, "virt-format 1.48.2\n");
    // Every usage error ends with the warning, as 1.48's do.
    let try_help = format!(
        "Try ‘virt-format --help’ for more information.\n{}",
        WARNING
    );
    assert_eq!(
        run("virt-format", &["--bogus"]),
        (
            String::new(),
            format!("virt-format: unrecognized option '--bogus'\n{}", try_help),
            1
        )
    );
    assert_eq!(
        run("virt-format", &["--filesystem"]).1,
        format!(
            "virt-format: option '--filesystem' requires an argument\n{}",
            try_help
        )
    );
    // Option errors come before the image is opened: no drive is needed to see them.
    for (args, err) in [
        (
            &["--lvm=a/b", "--lvm=c/d"][..],
            "virt-format: --lvm option cannot be given multiple times\n",
        ),
        (
            &["--lvm=none", "--lvm=c"][..],
            "virt-format: cannot parse --lvm option (c)\n",
        ),
        (
            &["--filesystem=-x"][..],
            "virt-format: no filesystem was specified\n",
        ),
    ] {
        assert_eq!(
            run("virt-format", args),
            (String::new(), err.to_string(), 1),
            "{:?}",
            args
        );
    }
    assert_eq!(
        run("virt-format", &["--machine-readable"]).0,
        "virt-format\njson-format-records\n"
    );
}

/// The machine-readable record of each disk formatted; `--lvm=none` makes no volume, and a
/// later --filesystem replaces an earlier one (`none` too).
#[test]
fn records_and_none() {
    build_daemon();
    let tmp = TempDir::new("format-records");
    let a = tmp.join("a.img");
    let b = tmp.join("b.img");
    for d in [&a, &b] {
        std::fs::File::create(d).unwrap().set_len(16 << 20).unwrap();
    }
    let json = tmp.join("records.json");
    let (_, err, rc) = run(
        "virt-format",
        &[
            "-a",
            a.to_str().unwrap(),
            "-a",
            b.to_str().unwrap(),
            "--lvm=none",
            "--filesystem=ext4",
            "--filesystem=none",
            "--filesystem=ext2",
            &format!("--machine-readable=file:{}", json.display()),
        ],
    );
    assert_eq!(rc, 0, "{}", err);
    let records = std::fs::read_to_string(&json).unwrap();
    let formatted: Vec<String> = records
        .lines()
        .filter(|l| l.contains("\"formatted\""))
        .map(str::to_string)
        .collect();
    assert_eq!(formatted.len(), 2, "{}", records);
    assert!(
        formatted[0].contains("\"device\": \"/dev/sda\"")
            && formatted[0].contains("\"filesystem\": \"ext2\""),
        "{}",
        records
    );
    assert!(
        formatted[1].contains("\"device\": \"/dev/sdb\""),
        "{}",
        records
    );
    let (out, err, rc) = run(
        "virt-filesystems",
        &[
            "-a",
            a.to_str().unwrap(),
            "-a",
            b.to_str().unwrap(),
            "--all",
            "--long",
            "--no-title",
        ],
    );
    assert_eq!(rc, 0, "{}", err);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("/dev/sda1  filesystem  ext2 ")),
        "{}",
        out
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("/dev/sdb1  partition ") && l.contains(" 83 ")),
        "{}",
        out
    );
    assert!(!out.contains(" lv "), "{}", out);
}
