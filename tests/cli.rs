//! Command-line behaviour of the tools: help, version, option errors with 1.48's wording and
//! exit codes, and the multi-call dispatch. No disk content is needed.

use virt_tools_tests::{binary, run, TempDir};

const TRY_CAT: &str = "Try ‘virt-cat --help’ for more information.\n";

#[test]
fn dispatches_on_argv0_and_first_argument() {
    let (out, _, rc) = run("virt-cat", &["--version"]);
    assert_eq!((out.as_str(), rc), ("virt-cat 1.48.2\n", 0));
    let out = std::process::Command::new(binary())
        .args(["virt-ls", "--version"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "virt-ls 1.48.2\n");
    let out = std::process::Command::new(binary())
        .arg("--list")
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    for t in ["virt-cat", "virt-ls", "virt-filesystems"] {
        assert!(
            list.lines().any(|l| l == t),
            "{} missing from --list:\n{}",
            t,
            list
        );
    }
}

#[test]
fn help_is_1_48s_text() {
    let (out, err, rc) = run("virt-cat", &["--help"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(out.starts_with(
        "virt-cat: display files in a virtual machine\nCopyright (C) 2010 Red Hat Inc.\nUsage:\n"
    ));
    assert!(out.contains("  --blocksize[=512|4096]\n                       Set sector size of the disk for -a option\n"));
    assert!(out.contains("  -m|--mount dev[:mnt[:opts[:fstype]]]\n                       Mount dev on mnt (if omitted, /)\n"));
    assert!(out.ends_with("  -x                   Trace libguestfs API calls\n  --machine-readable[=format]\n                       Make output machine readable\nFor more information, see the manpage virt-cat(1).\n"));
    let (out, _, _) = run("virt-filesystems", &["--help"]);
    assert!(out.contains("  --parts|--partitions Display partitions\n"));
    assert!(out.contains(
        "  --lvs|--logvols|--logical-volumes\n                       Display LVM logical volumes\n"
    ));
}

#[test]
fn option_listings_for_bash_completion() {
    let (out, _, rc) = run("virt-cat", &["--short-options"]);
    assert_eq!((out.as_str(), rc), ("-a\n-c\n-d\n-m\n-v\n-V\n-x\n", 0));
    let (out, _, _) = run("virt-cat", &["--long-options"]);
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>().join(" "),
        "--add --blocksize --connect --domain --echo-keys --format --help --key --keys-from-stdin --mount --verbose --version"
    );
    let (out, _, _) = run("virt-ls", &["--long-options"]);
    assert!(out.starts_with("--add\n--blocksize\n--checksum\n--checksums\n--csv\n"));
}

#[test]
fn getopt_errors() {
    assert_eq!(
        run("virt-cat", &["--bogus"]),
        (
            String::new(),
            format!("virt-cat: unrecognized option '--bogus'\n{}", TRY_CAT),
            1
        )
    );
    assert_eq!(
        run("virt-cat", &["-a"]),
        (
            String::new(),
            format!("virt-cat: option requires an argument -- 'a'\n{}", TRY_CAT),
            1
        )
    );
    assert_eq!(
        run("virt-cat", &["-z"]).1,
        format!("virt-cat: invalid option -- 'z'\n{}", TRY_CAT)
    );
    let (_, err, rc) = run("virt-ls", &["--h"]);
    assert_eq!(rc, 1);
    assert!(
        err.starts_with(
            "virt-ls: option '--h' is ambiguous; possibilities: '--help' '--human-readable'\n"
        ),
        "{}",
        err
    );
    // Unambiguous prefixes work; glibc picks the first of equivalent long-only options.
    assert_eq!(run("virt-cat", &["--vers"]).0, "virt-cat 1.48.2\n");
}

#[test]
fn drive_errors() {
    let (_, err, rc) = run("virt-cat", &["/etc/fstab"]);
    assert_eq!(rc, 1);
    assert_eq!(
        err,
        format!(
            "virt-cat: error: you must specify at least one -a or -d option.\n{}",
            TRY_CAT
        )
    );
    let (_, err, rc) = run("virt-cat", &["-a", "/nonexistent/disk.img", "/etc/fstab"]);
    assert_eq!(
        (err.as_str(), rc),
        (
            "virt-cat: access: /nonexistent/disk.img: No such file or directory\n",
            1
        )
    );
    let tmp = TempDir::new("cli");
    let img = tmp.join("empty.img");
    std::fs::write(&img, b"").unwrap();
    let img = img.to_str().unwrap();
    let (_, err, rc) = run("virt-cat", &["-a", img, "--format=raw"]);
    assert_eq!(
        (err.as_str(), rc),
        (
            "virt-cat: --format parameter must appear before -a parameter\n",
            1
        )
    );
    let (_, err, rc) = run("virt-cat", &["--blocksize=x", "-a", img, "/x"]);
    assert_eq!(
        (err.as_str(), rc),
        ("virt-cat: --blocksize option is not numeric\n", 1)
    );
    let (_, err, rc) = run("virt-cat", &["-a", img]);
    assert_eq!((err.as_str(), rc), (TRY_CAT, 1));
    let (_, err, rc) = run("virt-cat", &["--key", "nonsense", "-a", img, "/x"]);
    assert_eq!(
        (err.as_str(), rc),
        ("virt-cat: invalid selector for --key: nonsense\n", 1)
    );
    let (_, err, rc) = run("virt-cat", &["-d", "guest", "/x"]);
    assert_eq!(rc, 1);
    assert!(
        err.starts_with("virt-cat: error: libvirt guests (-d, -c) are not supported"),
        "{}",
        err
    );
}

#[test]
fn virt_ls_flag_combinations() {
    let (_, err, rc) = run("virt-ls", &["--csv", "-a", "/dev/null", "/"]);
    assert_eq!(rc, 1);
    assert_eq!(err, "virt-ls: used a flag which can only be combined with -lR mode\nFor more information, read the virt-ls(1) man page.\n");
    let (_, err, rc) = run("virt-ls", &["-lRh", "--csv", "-a", "/dev/null", "/"]);
    assert_eq!(
        (err.as_str(), rc),
        (
            "virt-ls: you cannot use -h and --csv options together.\n",
            1
        )
    );
}

#[test]
fn virt_filesystems_operands_and_flags() {
    let (_, err, rc) = run("virt-filesystems", &["-a", "/dev/null", "extra"]);
    assert_eq!(rc, 1);
    assert_eq!(
        err,
        "virt-filesystems: error: extra argument ‘extra’ on command line.\nMake sure to specify the argument for --format like '--format=extra'.\nTry ‘virt-filesystems --help’ for more information.\n"
    );
    let (_, err, rc) = run("virt-filesystems", &["-a", "/dev/null", "-h", "--csv"]);
    assert_eq!(
        (err.as_str(), rc),
        (
            "virt-filesystems: you cannot use -h and --csv options together.\n",
            1
        )
    );
}

#[test]
fn machine_readable_capabilities_and_bad_destinations() {
    let (out, _, rc) = run("virt-ls", &["--machine-readable"]);
    assert_eq!(
        (out.as_str(), rc),
        ("virt-ls\njson-entry-records\nchecksum\n", 0)
    );
    // Every tool that takes --machine-readable names itself once and shows it in --help.
    let multi = |args: &[&str]| {
        let out = std::process::Command::new(binary())
            .args(args)
            .output()
            .unwrap();
        virt_tools_tests::split(out)
    };
    let (list, _, _) = multi(&["--list"]);
    let without = ["guestfish", "libguestfs-make-fixed-appliance"];
    for tool in list.lines().filter(|t| !without.contains(t)) {
        let (out, err, rc) = multi(&[tool, "--machine-readable"]);
        assert_eq!(rc, 0, "{}: {}", tool, err);
        assert_eq!(
            out.lines().filter(|l| *l == tool).count(),
            1,
            "{}: {}",
            tool,
            out
        );
        assert_eq!(out.lines().next(), Some(tool));
        let (help, _, _) = multi(&[tool, "--help"]);
        assert!(help.contains("--machine-readable"), "{}: {}", tool, help);
    }
    for (dest, msg) in [
        (
            "fd:x",
            "virt-ls: error: invalid output fd for --machine-readable: fd:x\n",
        ),
        (
            "stream:foo",
            "virt-ls: error: invalid output stream for --machine-readable: stream:foo\n",
        ),
        (
            "file:",
            "virt-ls: error: invalid format string for --machine-readable: file:\n",
        ),
        (
            "bogus:1",
            "virt-ls: error: invalid output for --machine-readable: bogus:1\n",
        ),
    ] {
        let (_, err, rc) = run("virt-ls", &[&format!("--machine-readable={}", dest)]);
        assert_eq!((err.as_str(), rc), (msg, 1), "{}", dest);
    }
    let (_, err, rc) = run(
        "virt-ls",
        &[
            "--machine-readable=file:/nonexistent/dir/out.json",
            "-a",
            "/dev/null",
            "/",
        ],
    );
    assert_eq!(rc, 1);
    assert!(
        err.starts_with("virt-ls: error: --machine-readable: /nonexistent/dir/out.json: "),
        "{}",
        err
    );
}

#[test]
fn zero_length_image_is_a_clear_error() {
    let tmp = TempDir::new("cli0");
    let img = tmp.join("zero.img");
    std::fs::write(&img, b"").unwrap();
    let (out, err, rc) = run(
        "virt-filesystems",
        &["-a", img.to_str().unwrap(), "--all", "--long"],
    );
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(
        out,
        "Name      Type        VFS      Label  MBR  Size  Parent\n/dev/sda  filesystem  unknown  -      -    0     -\n/dev/sda  device      -        -      -    0     -\n"
    );
}

#[test]
fn man_pages_are_up_to_date() {
    let tmp = TempDir::new("man");
    let st = std::process::Command::new(binary())
        .arg("--generate-man")
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(st.success());
    let man = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../man");
    for entry in std::fs::read_dir(tmp.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let committed = std::fs::read_to_string(man.join(&name)).unwrap_or_default();
        let generated = std::fs::read_to_string(entry.path()).unwrap();
        assert_eq!(
            committed,
            generated,
            "man/{} is stale: run `virt-tools --generate-man man`",
            name.to_string_lossy()
        );
    }
}
