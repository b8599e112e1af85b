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
    let (_, err, rc) = run("virt-cat", &["-c", "test:///default", "-d", "guest", "/x"]);
    assert_eq!(
        (err.as_str(), rc),
        (
            "libguestfs: error: no libvirt domain called ‘guest’: Domain not found\n",
            1
        )
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
    // As in 1.48, these have no --machine-readable.
    let without = [
        "guestfish",
        "libguestfs-make-fixed-appliance",
        "libguestfs-test-tool",
    ];
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

/// libguestfs-test-tool's options are exactly 1.48's: `-?` and any unknown option print its
/// usage and exit 0 (its getopt string has `?`), there is no `-v`, and its errors are 1.48's.
#[test]
fn test_tool_options_are_1_48s() {
    const USAGE: &str = "libguestfs-test-tool: interactive test tool\nCopyright (C) 2009-2020 Red Hat Inc.\nUsage:\n  libguestfs-test-tool [--options]\nOptions:\n  --help         Display usage\n  --qemudir dir  Specify QEMU source directory\n  --qemu qemu    Specify QEMU binary\n  --timeout n\n  -t n           Set launch timeout (default: 600 seconds)\n  --version\n  -V             Display libguestfs version and exit\n";
    let tool = "libguestfs-test-tool";
    for help in ["--help", "-?"] {
        assert_eq!(run(tool, &[help]), (USAGE.into(), String::new(), 0));
    }
    assert_eq!(
        run(tool, &["-v"]),
        (
            USAGE.into(),
            "libguestfs-test-tool: invalid option -- 'v'\n".into(),
            0
        )
    );
    assert_eq!(
        run(tool, &["--verbose"]).1,
        "libguestfs-test-tool: unrecognized option '--verbose'\n"
    );
    assert_eq!(
        run(tool, &["-V"]),
        ("libguestfs-test-tool 1.48.6\n".into(), String::new(), 0)
    );
    assert_eq!(run(tool, &["--short-options"]).0, "-t\n-V\n-?\n");
    assert_eq!(
        run(tool, &["--long-options"]).0,
        "--help\n--qemu\n--qemudir\n--timeout\n--version\n"
    );
    for (args, err) in [
        (
            &["-t", "x"][..],
            "libguestfs-test-tool: invalid timeout: x\n",
        ),
        (
            &["--timeout=-1"][..],
            "libguestfs-test-tool: invalid timeout: -1\n",
        ),
        (
            &["foo"][..],
            "libguestfs-test-tool: extra arguments on the command line\n",
        ),
    ] {
        assert_eq!(
            run(tool, args),
            (String::new(), err.into(), 1),
            "{:?}",
            args
        );
    }
}

#[test]
fn virt_tools_itself_reports_its_version_and_lists_tools_in_name_order() {
    for flag in ["--version", "-V"] {
        let out = std::process::Command::new(binary())
            .arg(flag)
            .output()
            .unwrap();
        assert_eq!(
            (
                String::from_utf8_lossy(&out.stdout).as_ref(),
                out.status.code()
            ),
            (
                concat!(
                    "virt-tools ",
                    env!("CARGO_PKG_VERSION"),
                    " (reproduces libguestfs 1.48.6, guestfs-tools 1.48.2)\n"
                ),
                Some(0)
            )
        );
    }
    let out = std::process::Command::new(binary())
        .arg("--list")
        .output()
        .unwrap();
    let list: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let mut sorted = list.clone();
    sorted.sort();
    assert_eq!(list, sorted);
    assert_eq!(list.len(), 23, "{:?}", list);
    // Each tool's -V names the release of its 1.48 original, and its page says so.
    let man = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../man");
    for (tool, package, version) in [
        ("guestfish", "libguestfs", "1.48.6"),
        ("virt-tar-out", "libguestfs", "1.48.6"),
        ("virt-cat", "guestfs-tools", "1.48.2"),
        ("virt-inspector", "guestfs-tools", "1.48.2"),
    ] {
        let (out, _, rc) = run(tool, &["-V"]);
        assert_eq!((out, rc), (format!("{} {}\n", tool, version), 0));
        let page = std::fs::read_to_string(man.join(format!("{}.1", tool))).unwrap();
        let escaped = |s: &str| s.replace('-', "\\-");
        assert!(
            page.contains(&format!(
                ".SH VERSION\n{} \\-V prints {}: this {} reproduces the {} of {} {}.",
                escaped(tool),
                version,
                escaped(tool),
                escaped(tool),
                escaped(package),
                version
            )),
            "{}",
            tool
        );
        assert!(
            page.contains("virt\\-tools(1)"),
            "{} cites virt-tools(1)",
            tool
        );
    }
    let index = std::fs::read_to_string(man.join("virt-tools.1")).unwrap();
    for tool in &list {
        assert!(
            index.contains(&format!(".TP\n\\fB{}\\fR(1)\n", tool.replace('-', "\\-"))),
            "virt-tools(1) lists {}",
            tool
        );
    }
}

/// virt-win-reg parses like Perl's Getopt::Long, as 1.48's does: `-name` for `--name`, any
/// case, unique beginnings (so `-V` and `-v` print the version, `-h` the help).
#[test]
fn virt_win_reg_takes_getopt_long_names() {
    const VERSION: &str = "virt-win-reg 1.48.2\nlibguestfs 1.48.6\n";
    for flag in ["--version", "-V", "-v", "-ver", "--vers", "--VERSION"] {
        assert_eq!(
            run("virt-win-reg", &[flag]),
            (VERSION.into(), String::new(), 0),
            "{}",
            flag
        );
    }
    let (help, _, rc) = run("virt-win-reg", &["--help"]);
    assert_eq!(rc, 1);
    for flag in ["-h", "--he", "-HELP", "-?"] {
        assert_eq!(
            run("virt-win-reg", &[flag]),
            (help.clone(), String::new(), 1)
        );
    }
    // No option starts with x.
    let (_, err, rc) = run("virt-win-reg", &["-x"]);
    assert!(err.starts_with("Unknown option: x\n"), "{}", err);
    assert_eq!(rc, 2);
}

/// The guestfish wrappers' --help lists only options that do something there, each with a
/// description; --rw says why it cannot be used instead of blaming a --ro the user never gave.
#[test]
fn guestfish_wrappers_show_only_working_options() {
    for tool in ["virt-tar-out", "virt-copy-out"] {
        let (out, _, rc) = run(tool, &["--help"]);
        assert_eq!(rc, 0);
        let options = out
            .split_once("Options:\n")
            .unwrap()
            .1
            .split_once("For more information")
            .unwrap()
            .0;
        for hidden in [
            "--rw",
            "--ro",
            "--csh",
            "--listen",
            "--live",
            "--selinux",
            "--no-sync",
        ] {
            assert!(
                !options.contains(hidden),
                "{} --help shows {}",
                tool,
                hidden
            );
        }
        // An option whose description does not fit is followed by a line holding it.
        let lines: Vec<&str> = options.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("  -") {
                let described = line.len() > 23 && !line[23..].trim().is_empty()
                    || lines.get(i + 1).is_some_and(|n| n.starts_with("      "));
                assert!(described, "{}: no description: {:?}", tool, line);
            }
        }
        let (_, err, rc) = run(tool, &["--rw", "-a", "/dev/null", "/", "x"]);
        assert_eq!(
            (err, rc),
            (
                format!(
                    "{}: --rw cannot be used: {} opens the guest read-only\n",
                    tool, tool
                ),
                1
            )
        );
    }
}
