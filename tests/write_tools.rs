//! The tools that write — virt-copy-in, virt-tar-in, virt-edit — on the demo guest this suite
//! builds: the results read back (virt-ls, virt-cat) and compared with what libguestfs 1.48
//! produced for the same steps (tests/golden/write, made by `tests/golden/regenerate.sh
//! tests/golden/write`), and the bad-input cases: one line, exit 1, the image unchanged.

use std::path::Path;
use std::process::Command;
use virt_tools_tests::{build_daemon, demo_image, parse_known, run_cases, sh, tool, TempDir};

fn sha256(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// Runs `name ARGS` (stdin empty); returns (stdout, stderr, exit code).
fn run(name: &str, args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let mut c = tool(name);
    c.args(args).stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    virt_tools_tests::split(c.output().expect("run tool"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn write_tools_match_libguestfs_1_48() {
    let tmp = TempDir::new("write-golden");
    demo_image(&tmp);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/write");
    // Without root, setpriv cannot drop the capability that lets root read any file.
    let known = if unsafe { libc::geteuid() } == 0 {
        parse_known("")
    } else {
        parse_known("copyin.unreadable needs root (setpriv drops CAP_DAC_OVERRIDE)")
    };
    let r = run_cases(&golden, tmp.path(), &known);
    assert!(!r.passed.is_empty(), "no golden case ran");
    r.check("write tools");
}

/// Every bad-input case: one `tool: …` line (1.48's wording where it has one), exit 1, and
/// the image byte for byte as it was.
#[test]
fn failures_leave_the_image_unchanged() {
    let tmp = TempDir::new("write-bad");
    let img = demo_image(&tmp);
    let before = sha256(&img);
    let host = tmp.join("host.txt");
    std::fs::write(&host, "data\n").unwrap();
    let tar = tmp.join("in.tar");
    sh(Command::new("tar")
        .arg("-C")
        .arg(tmp.path())
        .args(["-cf", s(&tar), "host.txt"]));
    let img = s(&img);
    let missing = tmp.join("nosuch");
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "virt-copy-in",
            vec!["-a", img, s(&host), "/nonexistent"],
            "*stdin*:0: libguestfs: error: target ‘/nonexistent’ is not a directory",
        ),
        (
            "virt-copy-in",
            vec!["-a", img, s(&host), "/etc/hostname"],
            "*stdin*:0: libguestfs: error: target ‘/etc/hostname’ is not a directory",
        ),
        (
            "virt-copy-in",
            vec!["-a", img, s(&host), s(&missing), "/etc"],
            "does not exist (or cannot be read)",
        ),
        (
            "virt-copy-in",
            vec!["-a", img, "/etc"],
            "use 'copy-in <local> [<local>...] <remotedir>' to copy files into the image",
        ),
        (
            "virt-tar-in",
            vec!["-a", img, s(&missing), "/home"],
            "No such file or directory",
        ),
        (
            "virt-tar-in",
            vec!["-a", img, s(&tar), "/nonexistent"],
            "*stdin*:0: libguestfs: error: tar_in: /nonexistent: No such file or directory",
        ),
        (
            "virt-edit",
            vec!["-a", img, "-e", "s/a/b/", "/etc/nosuch"],
            "libguestfs: error: download: /etc/nosuch: No such file or directory",
        ),
        (
            "virt-edit",
            vec!["-a", img, "-e", "s/(?=a)/b/", "/etc/hostname"],
            "virt-edit: error: -e ‘s/(?=a)/b/’: the pattern ‘(?=a)’ is not supported",
        ),
        (
            "virt-edit",
            vec!["-a", img, "-e", "print \"x\"", "/etc/hostname"],
            "virt-edit: error: -e ‘print \"x\"’: ‘print \"x\"’ is not s/// or y///",
        ),
        (
            "virt-edit",
            vec!["-a", img, "-e", "s/a/b/", "-e", "s/c/d/", "/etc/hostname"],
            "virt-edit: -e option given multiple times",
        ),
        (
            "virt-copy-in",
            vec!["--ro", "-a", img, s(&host), "/etc"],
            "virt-copy-in: --ro cannot be used: virt-copy-in writes to the guest",
        ),
    ];
    for (name, args, expected) in cases {
        let (out, err, rc) = run(name, &args, &[]);
        assert_eq!(rc, 1, "{} {:?}: {}{}", name, args, out, err);
        assert_eq!(out, "", "{} {:?}", name, args);
        assert!(err.contains(expected), "{} {:?}: {}", name, args, err);
        // Errors of the library end the line with the message; nothing else is printed.
        assert!(
            err.lines().count() <= 2 && !err.contains("panicked"),
            "{} {:?}: {}",
            name,
            args,
            err
        );
        assert_eq!(
            sha256(Path::new(img)),
            before,
            "{} {:?} changed the image",
            name,
            args
        );
    }
}

/// A host file that cannot be read (the capability to override permissions dropped, as the
/// golden case does it): tar's message, and the image unchanged.
#[test]
fn an_unreadable_host_file_is_refused_before_writing() {
    if !virt_tools_tests::have("setpriv") || unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: needs root and setpriv to make a file root cannot read");
        return;
    }
    let tmp = TempDir::new("write-unreadable");
    let img = demo_image(&tmp);
    let before = sha256(&img);
    let secret = tmp.join("secret.txt");
    std::fs::write(&secret, "s\n").unwrap();
    sh(Command::new("chmod").arg("000").arg(&secret));
    let out = Command::new("setpriv")
        .args(["--bounding-set=-dac_override,-dac_read_search"])
        .arg(virt_tools_tests::tool_dir().join("virt-copy-in"))
        .args(["-a", s(&img), s(&secret), "/etc"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (_, err, rc) = virt_tools_tests::split(out);
    assert_eq!(rc, 1, "{}", err);
    assert!(
        err.starts_with("*stdin*:0: libguestfs: error: tar subprocess failed: tar: secret.txt: Cannot open: Permission denied"),
        "{}",
        err
    );
    assert_eq!(sha256(&img), before);
}

/// Member names with `..` or a leading `/`: tar refuses or strips them, nothing lands
/// outside the destination.
#[test]
fn tar_in_never_writes_outside_the_destination() {
    let tmp = TempDir::new("write-escape");
    let img = demo_image(&tmp);
    let evil = tmp.join("evil.tar");
    sh(Command::new("python3").arg("-c").arg(format!(
        "import tarfile,io;t=tarfile.open('{}','w');[(setattr(i,'size',3),t.addfile(i,io.BytesIO(b'pwn'))) for i in map(tarfile.TarInfo,('../../dotdot.txt','/absolute.txt','../up/x.txt','ok.txt'))];t.close()",
        s(&evil)
    )));
    let (_, err, rc) = run("virt-tar-in", &["-a", s(&img), s(&evil), "/home/user"], &[]);
    assert_eq!(rc, 1, "{}", err);
    assert!(err.contains("Member name contains '..'"), "{}", err);
    let (out, err, rc) = run(
        "virt-ls",
        &["-a", s(&img), "-R", "/"],
        &[("LIBGUESTFS_BACKEND", "native")],
    );
    assert_eq!(rc, 0, "{}", err);
    let mut inside = 0;
    for line in out.lines() {
        let path = line.trim_start_matches('/');
        let name = path.rsplit('/').next().unwrap();
        if ["dotdot.txt", "absolute.txt", "x.txt", "ok.txt"].contains(&name) {
            assert!(path.starts_with("home/user/"), "{} escaped", line);
            inside += 1;
        }
        assert!(!path.starts_with("up"), "{} escaped", line);
    }
    // What tar did unpack (the members it did not refuse) is inside the destination.
    assert!(inside > 0, "{}", out);
}

/// Compressed archives (the compress: argument) and standard input.
#[test]
fn tar_in_compressed_and_from_stdin() {
    let tmp = TempDir::new("write-compress");
    let img = demo_image(&tmp);
    let tree = tmp.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("x.txt"), "xz data\n").unwrap();
    std::fs::write(tree.join("b.txt"), "bzip2 data\n").unwrap();
    let xz = tmp.join("in.tar.xz");
    sh(Command::new("tar")
        .arg("-C")
        .arg(&tree)
        .args(["-cJf", s(&xz), "x.txt"]));
    let bz = tmp.join("in.tar.bz2");
    sh(Command::new("tar")
        .arg("-C")
        .arg(&tree)
        .args(["-cjf", s(&bz), "b.txt"]));
    let (_, err, rc) = run(
        "virt-tar-in",
        &["-a", s(&img), s(&xz), "/root", "compress:xz"],
        &[],
    );
    assert_eq!(rc, 0, "{}", err);
    let out = tool("virt-tar-in")
        .args(["-a", s(&img), "-", "/tmp", "compress:bzip2"])
        .stdin(std::fs::File::open(&bz).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, err, rc) = run(
        "virt-cat",
        &["-a", s(&img), "/root/x.txt", "/tmp/b.txt"],
        &[("LIBGUESTFS_BACKEND", "native")],
    );
    assert_eq!((out.as_str(), rc), ("xz data\nbzip2 data\n", 0), "{}", err);
    let (_, err, rc) = run(
        "virt-tar-in",
        &["-a", s(&img), s(&xz), "/root", "compress:zip"],
        &[],
    );
    assert_eq!(rc, 1);
    assert!(err.contains("unknown compression type: zip"), "{}", err);
}

/// Hard links stay hard links, and the machine-readable records and progress are written.
/// The appliance gets two vCPUs (the daemon and tar unpack in parallel) where the host has two.
#[test]
fn copy_in_keeps_hard_links_and_reports_records() {
    let tmp = TempDir::new("write-links");
    let img = demo_image(&tmp);
    let tree = tmp.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a"), vec![7u8; 3 << 20]).unwrap();
    std::fs::hard_link(tree.join("a"), tree.join("b")).unwrap();
    let (out, err, rc) = run(
        "virt-copy-in",
        &[
            "--machine-readable=stream:stdout",
            "-a",
            s(&img),
            s(&tree),
            "/root",
        ],
        &[("LIBGUESTFS_DEBUG", "1")],
    );
    assert_eq!(rc, 0, "{}", err);
    let host_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let qemu = err
        .lines()
        .find(|l| l.starts_with("libguestfs: qemu command line: "))
        .unwrap_or_else(|| panic!("no qemu command line in the debug output: {}", err));
    assert_eq!(qemu.contains(" -smp 2 "), host_cpus >= 2, "{}", qemu);
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let copied = serde_json::json!({"type": "copied", "path": s(&tree), "remotedir": "/root"});
    assert!(records.contains(&copied), "{}", out);
    // The copy's progress, ending with position == total.
    let last = records
        .iter()
        .rfind(|r| r["type"] == "progress")
        .expect("progress records");
    assert!(last["position"].as_u64().unwrap() > 3 << 20, "{}", out);
    assert_eq!(last["position"], last["total"], "{}", out);
    let (out, err, rc) = run(
        "virt-ls",
        &["-a", s(&img), "-lR", "--extra-stats", "/root/tree"],
        &[("LIBGUESTFS_BACKEND", "native")],
    );
    assert_eq!(rc, 0, "{}", err);
    let inodes: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with("/a") || l.ends_with("/b"))
        // type, mode, size, device, inode, links, …
        .map(|l| l.split_whitespace().nth(4).unwrap())
        .collect();
    assert_eq!(inodes.len(), 2, "{}", out);
    assert_eq!(inodes[0], inodes[1], "not hard links: {}", out);
}

/// A Windows guest: the path is found case-insensitively, with backslashes; the backup is
/// named after the file's real name. (The edit keeps cmd.exe a PE file, which inspection of
/// the guest needs.)
#[test]
fn virt_edit_finds_windows_paths() {
    let tmp = TempDir::new("write-windows");
    build_daemon();
    let software = virt_tools_tests::hostile::hive_sample("windows-software.hive");
    let system = virt_tools_tests::hostile::hive_sample("windows-system.hive");
    let img = virt_tools_tests::hostile::windows_guest(
        tmp.path(),
        &tmp.join("win.img"),
        &software,
        &system,
    );
    let (out, err, rc) = run(
        "virt-edit",
        &[
            "-a",
            s(&img),
            "-b",
            ".orig",
            "-e",
            "s/^MZ/MZ/",
            r"\WINDOWS\system32\CMD.EXE",
        ],
        &[],
    );
    assert_eq!(rc, 0, "{}{}", out, err);
    let (out, err, rc) = run(
        "virt-ls",
        &["-a", s(&img), "/Windows/System32"],
        &[("LIBGUESTFS_BACKEND", "native")],
    );
    assert_eq!(rc, 0, "{}", err);
    assert!(out.lines().any(|l| l == "cmd.exe.orig"), "{}", out);
    assert!(out.lines().any(|l| l == "cmd.exe"), "{}", out);
}
