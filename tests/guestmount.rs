//! guestmount and guestunmount: a read-only mount served by the native backend (no qemu),
//! read with ordinary file system calls; a read-write mount served by the appliance, changed
//! with ordinary calls and read back with virt-ls and virt-cat after the unmount; and 1.48's
//! outputs for the same steps and bad inputs (tests/golden/guestmount, made by
//! `tests/golden/regenerate.sh tests/golden/guestmount`). After each, no FUSE mount and no
//! qemu process of the test is left.
//!
//! FUSE needs /dev/fuse and fusermount3 (scripts/install-deps.sh installs fuse3): without
//! them the tests say so and do nothing.

use std::ffi::CString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use virt_tools_tests::{build_daemon, images, parse_known, run, run_cases, sh, TempDir};

/// Why FUSE cannot be used here, if it cannot.
fn fuse_unavailable() -> Option<&'static str> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse is absent");
    }
    if !virt_tools_tests::have("fusermount3") {
        return Some("fusermount3 is absent (Debian's fuse3)");
    }
    None
}

macro_rules! require_fuse {
    () => {
        if let Some(why) = fuse_unavailable() {
            println!("SKIPPED: {}", why);
            return;
        }
    };
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mounted(mountpoint: &Path) -> bool {
    let canonical = std::fs::canonicalize(mountpoint).unwrap_or(mountpoint.to_path_buf());
    std::fs::read_to_string("/proc/mounts")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(1) == Some(s(&canonical)))
}

/// The pids of the processes whose command line names `needle`.
fn processes_naming(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{} {}", name, cmdline));
        }
    }
    found
}

/// The qemu processes whose command line names `path` (an image, or a folder of images).
fn qemu_processes(path: &Path) -> Vec<String> {
    processes_naming(s(path))
        .into_iter()
        .filter(|p| p.contains("qemu"))
        .collect()
}

/// The child processes of the process in `pid_file`.
fn children(pid_file: &Path) -> Vec<String> {
    let pid = std::fs::read_to_string(pid_file).unwrap();
    let tasks = Path::new("/proc").join(pid.trim()).join("task");
    let mut out = Vec::new();
    for t in std::fs::read_dir(tasks).unwrap().flatten() {
        let list = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        out.extend(list.split_whitespace().map(str::to_string));
    }
    out
}

/// Unmounts with guestunmount and waits for the serving process (its pid file) to end.
fn unmount(mountpoint: &Path, pid_file: &Path) {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (_, err, rc) = run("guestunmount", &[s(mountpoint)]);
    assert_eq!(rc, 0, "guestunmount: {}", err);
    let start = Instant::now();
    // SAFETY: kill with signal 0 only checks that the process exists.
    while unsafe { libc::kill(pid, 0) } == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "guestmount did not end"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!pid_file.exists(), "the pid file is removed at the end");
    assert!(!mounted(mountpoint));
}

/// A tree with what a mount must show: files, a directory, a symbolic link, a hard link,
/// modes, an extended attribute.
fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("etc/sub")).unwrap();
    std::fs::write(root.join("etc/hello.txt"), "hello\n").unwrap();
    std::fs::write(root.join("etc/sub/big"), vec![7u8; 3 * 1024 * 1024 + 5]).unwrap();
    std::os::unix::fs::symlink("hello.txt", root.join("etc/link")).unwrap();
    std::fs::hard_link(root.join("etc/hello.txt"), root.join("etc/hard")).unwrap();
    std::fs::set_permissions(
        root.join("etc/hello.txt"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    sh(Command::new("setfattr")
        .args(["-n", "user.colour", "-v", "blue"])
        .arg(root.join("etc/hello.txt")));
}

/// An image of [`tree`] mounted on a new folder by guestmount with `extra` options: the
/// folder, the image, the mountpoint, the pid file and guestmount's (stdout, stderr, status).
struct Mounted {
    _tmp: TempDir,
    img: PathBuf,
    mp: PathBuf,
    pid_file: PathBuf,
    result: (String, String, i32),
}

fn mount_tree(tag: &str, extra: &[&str]) -> Mounted {
    let tmp = TempDir::new(tag);
    let root = tmp.join("tree");
    tree(&root);
    let img = virt_tools_tests::hostile::mkfs_ext4(&root, &tmp.join("disk.img"), 32, &[]);
    let mp = tmp.join("mnt");
    std::fs::create_dir(&mp).unwrap();
    let pid_file = tmp.join("pid");
    let mut args = vec!["-a", s(&img), "-m", "/dev/sda", "--pid-file", s(&pid_file)];
    args.extend_from_slice(extra);
    args.push(s(&mp));
    let result = run("guestmount", &args);
    Mounted {
        img: img.clone(),
        mp: mp.clone(),
        pid_file: pid_file.clone(),
        result,
        _tmp: tmp,
    }
}

fn getxattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let p = CString::new(s(path)).unwrap();
    let n = CString::new(name).unwrap();
    let mut buf = vec![0u8; 256];
    // SAFETY: valid C strings and a buffer of the length given.
    let len =
        unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (len >= 0).then(|| {
        buf.truncate(len as usize);
        buf
    })
}

#[test]
fn read_only_mount_is_served_natively() {
    require_fuse!();
    let Mounted {
        _tmp: tmp,
        mp,
        pid_file,
        result: (out, err, rc),
        ..
    } = mount_tree("guestmount-ro", &["--ro"]);
    let root = tmp.join("tree");
    assert_eq!((out.as_str(), err.as_str(), rc), ("", "", 0));
    assert!(mounted(&mp), "guestmount returns once the mount is ready");
    assert!(
        children(&pid_file).is_empty(),
        "the native backend serves it, no qemu"
    );

    // find
    let found = sh(Command::new("find").arg(".").current_dir(&mp));
    let mut names: Vec<String> = String::from_utf8_lossy(&found.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".",
            "./etc",
            "./etc/hard",
            "./etc/hello.txt",
            "./etc/link",
            "./etc/sub",
            "./etc/sub/big",
            "./lost+found"
        ]
    );
    // cat, stat, readlink, xattrs
    assert_eq!(std::fs::read(mp.join("etc/hello.txt")).unwrap(), b"hello\n");
    let big = std::fs::read(mp.join("etc/sub/big")).unwrap();
    assert_eq!(big, vec![7u8; 3 * 1024 * 1024 + 5]);
    let meta = std::fs::symlink_metadata(mp.join("etc/hello.txt")).unwrap();
    assert_eq!(
        (meta.mode() & 0o7777, meta.nlink(), meta.len()),
        (0o640, 2, 6)
    );
    let orig = std::fs::symlink_metadata(root.join("etc/hello.txt")).unwrap();
    assert_eq!(meta.mtime(), orig.mtime());
    assert_eq!(
        std::fs::read_link(mp.join("etc/link")).unwrap(),
        PathBuf::from("hello.txt")
    );
    assert_eq!(
        getxattr(&mp.join("etc/hello.txt"), "user.colour"),
        Some(b"blue".to_vec())
    );
    assert_eq!(getxattr(&mp.join("etc/hello.txt"), "user.none"), None);
    // Every change fails with EROFS, the image untouched.
    let e = std::fs::write(mp.join("etc/new"), "x").unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EROFS));
    let e = std::fs::create_dir(mp.join("d")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EROFS));
    let e = std::fs::remove_file(mp.join("etc/link")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EROFS));
    let e = std::fs::read(mp.join("etc/nosuch")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT));

    unmount(&mp, &pid_file);
    assert!(qemu_processes(tmp.path()).is_empty());
}

#[test]
fn read_write_mount_changes_the_image() {
    require_fuse!();
    build_daemon();
    // The folder is bound so that it lives to the end of the test.
    let Mounted {
        _tmp: _folder,
        img,
        mp,
        pid_file,
        result: (_, err, rc),
        ..
    } = mount_tree("guestmount-rw", &[]);
    assert_eq!(rc, 0, "{}", err);
    assert!(
        !children(&pid_file).is_empty(),
        "writes go to the appliance"
    );

    std::fs::write(mp.join("etc/new.txt"), "new\n").unwrap();
    std::fs::create_dir(mp.join("etc/dir")).unwrap();
    std::fs::rename(mp.join("etc/hello.txt"), mp.join("etc/dir/moved.txt")).unwrap();
    std::fs::remove_file(mp.join("etc/link")).unwrap();
    std::fs::set_permissions(
        mp.join("etc/new.txt"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::os::unix::fs::symlink("new.txt", mp.join("etc/sym")).unwrap();
    let e = std::fs::remove_dir(mp.join("etc/dir")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOTEMPTY), "the guest's errno");
    assert_eq!(
        std::fs::read(mp.join("etc/dir/moved.txt")).unwrap(),
        b"hello\n"
    );
    unmount(&mp, &pid_file);
    assert!(qemu_processes(&img).is_empty(), "no qemu is left");

    let (out, err, rc) = run("virt-ls", &["-a", s(&img), "-m", "/dev/sda", "-l", "/etc"]);
    assert_eq!(rc, 0, "{}", err);
    let entries: Vec<(String, String)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[f.len() - 1].to_string())
        })
        .collect();
    let has = |mode: &str, name: &str| entries.contains(&(mode.to_string(), name.to_string()));
    assert!(has("-rw-------", "new.txt"), "{}", out);
    assert!(has("drwxr-xr-x", "dir"), "{}", out);
    assert!(
        !out.contains("hello.txt") && !out.contains(" link"),
        "{}",
        out
    );
    assert!(out.contains("sym -> new.txt"), "{}", out);
    let (out, _, rc) = run(
        "virt-cat",
        &[
            "-a",
            s(&img),
            "-m",
            "/dev/sda",
            "/etc/new.txt",
            "/etc/dir/moved.txt",
        ],
    );
    assert_eq!((out.as_str(), rc), ("new\nhello\n", 0));
}

/// The mount ends by itself when unmounted with fusermount, and guestunmount then finds
/// nothing to unmount (exit 2, quietly with -q).
#[test]
fn guestunmount_reports_what_is_not_mounted() {
    require_fuse!();
    let tmp = TempDir::new("guestunmount");
    let dir = tmp.join("empty");
    std::fs::create_dir(&dir).unwrap();
    assert_eq!(
        run("guestunmount", &["-q", s(&dir)]),
        (String::new(), String::new(), 2)
    );
    let (_, err, rc) = run("guestunmount", &["--no-retry", s(&dir)]);
    assert_eq!(rc, 2);
    assert!(
        err.starts_with(&format!(
            "guestunmount: failed to unmount {}: fusermount",
            s(&dir)
        )),
        "{}",
        err
    );
}

#[test]
fn guestmount_matches_libguestfs_1_48() {
    require_fuse!();
    build_daemon();
    let tmp = TempDir::new("guestmount-golden");
    let work = tmp.join("work");
    std::fs::create_dir_all(&work).unwrap();
    images::demo_guest(&work, &tmp.join("demo.img"));
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/guestmount");
    let known = parse_known("gu.help --help shows this project's --machine-readable too");
    let r = run_cases(&golden, tmp.path(), &known);
    assert!(!r.passed.is_empty(), "no golden case ran");
    r.check("guestmount");
    // The failed mounts left nothing behind.
    for d in ["g1/m", "g2/m", "g3", "g4"] {
        assert!(!mounted(&tmp.join(d)), "{} is still mounted", d);
    }
    assert!(qemu_processes(tmp.path()).is_empty());
}
