//! The appliance backend against the native backend: the same assertions on images built here
//! with mkfs.ext4 -d, sfdisk and qemu-img. Tests that boot the appliance are named `slow_*`
//! (select them with `cargo test -p guestfs --test appliance slow_`); they need qemu and a
//! kernel (scripts/install-deps.sh) and build the daemon with cargo first.

use guestfs::{AddDriveOpts as DriveOptions, Handle};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn tmpdir(name: &str) -> PathBuf {
    let base = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let d = base.join(format!(
        "guestfs-appliance-test-{}-{}",
        name,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sh(cmd: &str) {
    let st = Command::new("sh").arg("-c").arg(cmd).status().unwrap();
    assert!(st.success(), "command failed: {}", cmd);
}

/// target/debug or target/release: where this test binary's profile puts binaries.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf()
}

/// Builds guestfsd next to the test binary's directory (target/debug), once.
fn build_daemon() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "guestfsd", "--manifest-path"])
            .arg(&manifest);
        if profile_dir().ends_with("release") {
            cmd.arg("--release");
        }
        let st = cmd.status().unwrap();
        assert!(st.success(), "building guestfsd failed");
    });
}

/// A disk with an MBR table: p1 ext4 (label "root", files), p2 vfat.
fn make_disk(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("etc/sub")).unwrap();
    std::fs::write(src.join("etc/hostname"), "testhost\n").unwrap();
    std::fs::write(src.join("etc/sub/data.bin"), vec![7u8; 20000]).unwrap();
    std::fs::write(src.join("Hello.TXT"), "hi\n").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", src.join("link")).unwrap();
    std::os::unix::fs::symlink("etc/sub", src.join("rel")).unwrap();
    let img = dir.join("disk.img");
    let p1 = dir.join("p1.img");
    sh(&format!(
        "truncate -s 24M {img} && printf 'label: dos\\nstart=2048, size=20480, type=83\\nstart=22528, type=c\\n' | sfdisk -q {img} >/dev/null \
         && truncate -s 10M {p1} && mkfs.ext4 -q -F -L root -U 01234567-89ab-cdef-0123-456789abcdef -E root_owner=0:0 -d {src} {p1} \
         && dd if={p1} of={img} bs=512 seek=2048 conv=notrunc status=none \
         && truncate -s 0 {p1} && truncate -s 13631488 {p1} && mkfs.vfat -n DATA {p1} >/dev/null \
         && dd if={p1} of={img} bs=512 seek=22528 conv=notrunc status=none",
        img = img.display(),
        p1 = p1.display(),
        src = src.display()
    ));
    img
}

fn launch(backend: &str, img: &Path, format: Option<&str>) -> Handle {
    launch_all(backend, &[img], format)
}

/// Everything the read tools ask, as one comparable text.
fn survey(g: &mut Handle) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!("devices {:?}", g.list_devices().unwrap()));
    out.push(format!("partitions {:?}", g.list_partitions().unwrap()));
    out.push(format!("filesystems {:?}", g.list_filesystems().unwrap()));
    out.push(format!(
        "size {}",
        g.blockdev_getsize64("/dev/sda").unwrap()
    ));
    out.push(format!("ss {}", g.blockdev_getss("/dev/sda").unwrap()));
    out.push(format!(
        "parttype {}",
        g.part_get_parttype("/dev/sda").unwrap()
    ));
    out.push(format!("part_list {:?}", g.part_list("/dev/sda").unwrap()));
    out.push(format!(
        "mbr_id {}",
        g.part_get_mbr_id("/dev/sda", 2).unwrap()
    ));
    out.push(format!(
        "part_to_dev {}",
        g.part_to_dev("/dev/sda1").unwrap()
    ));
    out.push(format!(
        "part_to_partnum {}",
        g.part_to_partnum("/dev/sda2").unwrap()
    ));
    for dev in ["/dev/sda1", "/dev/sda2"] {
        out.push(format!(
            "{} type={} label={} uuid={}",
            dev,
            g.vfs_type(dev).unwrap(),
            g.vfs_label(dev).unwrap(),
            g.vfs_uuid(dev).unwrap()
        ));
    }
    out.push(format!(
        "ls-before-mount {:?}",
        g.ls("/").map_err(|e| e.message)
    ));
    g.mount_ro("/dev/sda1", "/").unwrap();
    out.push(format!("mounts {:?}", g.mounts().unwrap()));
    out.push(format!("mountpoints {:?}", g.mountpoints().unwrap()));
    out.push(format!("ls {:?}", g.ls("/").unwrap()));
    out.push(format!("ls /etc {:?}", g.ls("/etc").unwrap()));
    out.push(format!(
        "ls missing {:?}",
        g.ls("/nonexistent").map_err(|e| (e.errno, e.message))
    ));
    let mut rd: Vec<String> = g
        .readdir("/etc")
        .unwrap()
        .into_iter()
        .map(|d| format!("{}:{}:{}", d.name, d.ftyp, d.ino))
        .collect();
    rd.sort();
    out.push(format!("readdir {:?}", rd));
    out.push(format!("find {:?}", g.find("/etc").unwrap()));
    for p in ["/etc/hostname", "/etc/sub", "/link", "/etc/sub/data.bin"] {
        let s = g.lstatns(p).unwrap();
        out.push(format!(
            "lstat {} dev={} ino={} mode={:o} nlink={} uid={} gid={} size={} blksize={} blocks={} mtime={}.{}",
            p,
            s.st_dev,
            s.st_ino,
            s.st_mode,
            s.st_nlink,
            s.st_uid,
            s.st_gid,
            s.st_size,
            s.st_blksize,
            s.st_blocks,
            s.st_mtime_sec,
            s.st_mtime_nsec
        ));
    }
    out.push(format!(
        "stat link size {}",
        g.statns("/link").unwrap().st_size
    ));
    out.push(format!(
        "stat missing {:?}",
        g.statns("/nope").map_err(|e| (e.errno, e.message))
    ));
    let names = vec![
        "hostname".to_string(),
        "nope".to_string(),
        "sub".to_string(),
    ];
    out.push(format!(
        "lstatnslist {:?}",
        g.lstatnslist("/etc", &names)
            .unwrap()
            .iter()
            .map(|s| s.st_ino)
            .collect::<Vec<_>>()
    ));
    out.push(format!("readlink {}", g.readlink("/link").unwrap()));
    out.push(format!(
        "readlinklist {:?}",
        g.readlinklist("/", &["link".into(), "rel".into(), "etc".into()])
            .unwrap()
    ));
    out.push(format!("realpath {}", g.realpath("/rel/data.bin").unwrap()));
    out.push(format!(
        "read_file {:?}",
        String::from_utf8_lossy(&g.read_file("/etc/hostname").unwrap())
    ));
    let mut buf = Vec::new();
    g.download_to("/etc/sub/data.bin", &mut buf).unwrap();
    out.push(format!(
        "download {} {}",
        buf.len(),
        buf.iter().all(|&b| b == 7)
    ));
    let mut part = Vec::new();
    g.download_offset_to("/etc/hostname", &mut part, 2, 3)
        .unwrap();
    out.push(format!(
        "download_offset {:?}",
        String::from_utf8_lossy(&part)
    ));
    out.push(format!(
        "download dir {:?}",
        g.download_to("/etc", &mut Vec::new()).is_err()
    ));
    out.push(format!(
        "checksum {}",
        g.checksum("md5", "/etc/hostname").unwrap()
    ));
    out.push(format!(
        "checksum sha256 {}",
        g.checksum("sha256", "/etc/sub/data.bin").unwrap()
    ));
    out.push(format!(
        "is_file {} {} {} is_dir {} {} is_symlink {} exists {} {}",
        g.is_file(
            "/etc/hostname",
            guestfs::IsFileOpts {
                followsymlinks: Some(false)
            }
        )
        .unwrap(),
        g.is_file(
            "/link",
            guestfs::IsFileOpts {
                followsymlinks: Some(false)
            }
        )
        .unwrap(),
        g.is_file(
            "/link",
            guestfs::IsFileOpts {
                followsymlinks: Some(true)
            }
        )
        .unwrap(),
        g.is_dir(
            "/etc",
            guestfs::IsDirOpts {
                followsymlinks: Some(false)
            }
        )
        .unwrap(),
        g.is_dir(
            "/rel",
            guestfs::IsDirOpts {
                followsymlinks: Some(true)
            }
        )
        .unwrap(),
        g.is_symlink("/link").unwrap(),
        g.exists("/etc").unwrap(),
        g.exists("/nope").unwrap()
    ));
    let vfs = g.statvfs("/").unwrap();
    out.push(format!(
        "statvfs bsize={} blocks={} bfree={} files={} ffree={} namemax={}",
        vfs.bsize, vfs.blocks, vfs.bfree, vfs.files, vfs.ffree, vfs.namemax
    ));
    out.push(format!(
        "case_sensitive_path {}",
        g.case_sensitive_path("/hello.txt").unwrap()
    ));
    out.push(format!(
        "mount vfat {:?}",
        g.mount_ro("/dev/sda2", "/etc/sub").map_err(|e| e.message)
    ));
    out.push(format!(
        "ls vfat {:?}",
        g.ls("/etc/sub").map_err(|e| e.message)
    ));
    out.push(format!(
        "mountpoints 2 {:?}",
        g.mountpoints().map_err(|e| e.message)
    ));
    out.push(format!("umount_all {:?}", g.umount_all().is_ok()));
    out.push(format!("mounts after {:?}", g.mounts().unwrap()));
    out.push(format!(
        "mount bad {:?}",
        g.mount_ro("/dev/sda", "/").is_err()
    ));
    out
}

#[test]
fn slow_appliance_survey() {
    build_daemon();
    let dir = tmpdir("survey");
    let img = make_disk(&dir);
    let before = std::fs::read(&img).unwrap();
    let mut direct = launch("direct", &img, None);
    assert_eq!(direct.get_backend().unwrap(), "direct");
    let b = survey(&mut direct);
    direct.shutdown().unwrap();
    assert_eq!(
        std::fs::read(&img).unwrap(),
        before,
        "the image was modified"
    );
    let _ = std::fs::remove_dir_all(&dir);
    for l in &b {
        println!("{}", l);
    }
    // Known values, so the comparison with native cannot pass on two equally wrong answers.
    for want in [
        "devices [\"/dev/sda\"]",
        "partitions [\"/dev/sda1\", \"/dev/sda2\"]",
        "filesystems [(\"/dev/sda1\", \"ext4\"), (\"/dev/sda2\", \"vfat\")]",
        "size 25165824",
        "ss 512",
        "parttype msdos",
        "mbr_id 12",
        "part_to_dev /dev/sda",
        "part_to_partnum 2",
        "/dev/sda1 type=ext4 label=root uuid=01234567-89ab-cdef-0123-456789abcdef",
        "ls-before-mount Err(\"ls0: ls0_stub: you must call 'mount' first to mount the root filesystem\")",
        "mounts [\"/dev/sda1\"]",
        "mountpoints [(\"/dev/sda1\", \"/\")]",
        "ls [\"Hello.TXT\", \"etc\", \"link\", \"lost+found\", \"rel\"]",
        "ls /etc [\"hostname\", \"sub\"]",
        "ls missing Err((2, \"ls0: opendir: /nonexistent: No such file or directory\"))",
        // libguestfs 1.48 keeps a leading slash when the directory has no trailing one.
        "find [\"/hostname\", \"/sub\", \"/sub/data.bin\"]",
        "stat link size 9",
        "stat missing Err((2, \"statns: /nope: No such file or directory\"))",
        "readlink /etc/hostname",
        "readlinklist [\"/etc/hostname\", \"etc/sub\", \"\"]",
        "realpath /etc/sub/data.bin",
        "read_file \"testhost\\n\"",
        "download 20000 true",
        "download_offset \"sth\"",
        "download dir true",
        "checksum 6839235fbbe237ae56cf094b357b8e00",
        "is_file true false true is_dir true true is_symlink true exists true false",
        "case_sensitive_path /Hello.TXT",
        "mount vfat Ok(())",
        "ls vfat Ok([])",
        "mountpoints 2 Ok([(\"/dev/sda1\", \"/\"), (\"/dev/sda2\", \"/etc/sub\")])",
        "umount_all true",
        "mounts after []",
        "mount bad true",
    ] {
        assert!(b.iter().any(|l| l == want), "missing {:?} in:\n{}", want, b.join("\n"));
    }
}

/// The native backend must answer exactly as the appliance does (the appliance's kernel is
/// the reference).
#[test]
fn slow_native_matches_appliance() {
    build_daemon();
    let dir = tmpdir("compare");
    let img = make_disk(&dir);
    let mut native = launch("native", &img, Some("raw"));
    let mut direct = launch("direct", &img, None);
    let a = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| survey(&mut native)));
    let b = survey(&mut direct);
    let _ = std::fs::remove_dir_all(&dir);
    let a = a.unwrap_or_else(|_| vec!["native backend panicked".to_string()]);
    let diffs: Vec<String> = a
        .iter()
        .zip(b.iter())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("native: {}\ndirect: {}", x, y))
        .collect();
    assert!(
        diffs.is_empty() && a.len() == b.len(),
        "backends differ:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn slow_qcow2_and_errors() {
    build_daemon();
    let dir = tmpdir("qcow2");
    let img = make_disk(&dir);
    let q = dir.join("disk.qcow2");
    sh(&format!(
        "qemu-img convert -q -f raw -O qcow2 {} {}",
        img.display(),
        q.display()
    ));
    let mut g = launch("direct", &q, None);
    assert_eq!(g.list_filesystems().unwrap().len(), 2);
    g.mount_ro("/dev/sda1", "/").unwrap();
    assert_eq!(g.read_file("/etc/hostname").unwrap(), b"testhost\n");
    // Errors carry the daemon's wording and errno.
    let e = g.statns("/missing").unwrap_err();
    assert_eq!(e.errno, libc::ENOENT);
    assert_eq!(e.message, "statns: /missing: No such file or directory");
    let e = g.vfs_type("/dev/sdz").unwrap_err();
    assert_eq!(e.errno, libc::ENOENT);
    g.shutdown().unwrap();
    assert_eq!(g.state(), guestfs::State::Config);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slow_qemu_death_returns_to_config() {
    build_daemon();
    let dir = tmpdir("death");
    let img = make_disk(&dir);
    let mut g = launch("direct", &img, Some("raw"));
    let quit = std::sync::Arc::new(std::sync::Mutex::new(0));
    let q = quit.clone();
    g.set_event_callback(
        Box::new(move |_| *q.lock().unwrap() += 1),
        guestfs::EventKind::SubprocessQuit.bit(),
    )
    .unwrap();
    let pid = g.get_pid().unwrap();
    sh(&format!("kill -9 {}", pid));
    let t = std::time::Instant::now();
    let e = g.list_devices().unwrap_err();
    println!(
        "qemu killed: the call failed after {:.3} s",
        t.elapsed().as_secs_f64()
    );
    assert!(t.elapsed().as_secs() < 5);
    assert!(
        e.message.contains("died") || e.message.contains("closed"),
        "{}",
        e.message
    );
    assert_eq!(g.state(), guestfs::State::Config);
    // The death was an event, and the drives went with the appliance, as in libguestfs.
    assert_eq!(*quit.lock().unwrap(), 1);
    assert!(g.debug_drives().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `launch` example (built by `cargo test`), run with extra environment.
fn run_launch_example(env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("examples/launch");
    let mut cmd = Command::new(example);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn missing_qemu_is_one_clear_error() {
    build_daemon();
    let dir = tmpdir("noqemu");
    let out = run_launch_example(&[("LIBGUESTFS_HV", dir.join("no-such-qemu").as_os_str())]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("LIBGUESTFS_HV") && err.contains("no-such-qemu"),
        "{}",
        err
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unwritable_cache_is_one_clear_error() {
    build_daemon();
    // A directory nothing can be created in, even by root.
    let out = run_launch_example(&[("LIBGUESTFS_CACHEDIR", std::ffi::OsStr::new("/proc"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("LIBGUESTFS_CACHEDIR"), "{}", err);
}

/// Two programs building the appliance into the same empty cache at once both succeed, and
/// the cache ends up with one appliance and no leftovers.
#[test]
fn slow_concurrent_builds_share_the_cache() {
    build_daemon();
    let dir = tmpdir("cache");
    let cache = dir.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let c1 = cache.clone();
    let t =
        std::thread::spawn(move || run_launch_example(&[("LIBGUESTFS_CACHEDIR", c1.as_os_str())]));
    let b = run_launch_example(&[("LIBGUESTFS_CACHEDIR", cache.as_os_str())]);
    let a = t.join().unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let uid = unsafe { libc::geteuid() };
    let entries: Vec<String> = std::fs::read_dir(cache.join(format!(".guestfs-rs-{}", uid)))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.starts_with("appliance-"))
            .count(),
        1,
        "{:?}",
        entries
    );
    assert!(
        !entries.iter().any(|e| e.starts_with("tmp-")),
        "{:?}",
        entries
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run by `slow_qemu_dies_with_the_program` in a child process: launches and waits forever.
#[test]
#[ignore]
fn helper_launch_and_wait() {
    let Ok(img) = std::env::var("GUESTFS_TEST_HELPER_IMAGE") else {
        return;
    };
    let mut g = launch("direct", Path::new(&img), Some("raw"));
    println!("READY {}", g.get_pid().unwrap());
    std::thread::sleep(std::time::Duration::from_secs(600));
}

#[test]
fn slow_qemu_dies_with_the_program() {
    use std::io::BufRead;
    build_daemon();
    let dir = tmpdir("sigkill");
    let img = dir.join("x.img");
    std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "helper_launch_and_wait",
            "--ignored",
            "--nocapture",
        ])
        .env("GUESTFS_TEST_HELPER_IMAGE", &img)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let qemu: i32 = std::io::BufReader::new(out)
        .lines()
        .map_while(|l| l.ok())
        .find_map(|l| l.strip_prefix("READY ").and_then(|p| p.trim().parse().ok()))
        .expect("the helper did not launch");
    // SAFETY: signal 0 only checks that the process exists.
    let qemu_alive = || unsafe { libc::kill(qemu, 0) } == 0;
    assert!(qemu_alive());
    child.kill().unwrap();
    child.wait().unwrap();
    let t = std::time::Instant::now();
    while qemu_alive() && t.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!qemu_alive(), "qemu outlived the program");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `unix:PATH`: the library talks to a daemon that is already running (here on the host, in
/// standalone mode, serving the host's own root read-only calls).
#[test]
fn unix_backend_talks_to_a_listening_daemon() {
    build_daemon();
    let dir = tmpdir("unix");
    let sock = dir.join("guestfsd.sock");
    let daemon = profile_dir().join("guestfsd");
    let mut child = Command::new(&daemon)
        .args(["--listen", "-r", "--channel"])
        .arg(&sock)
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while !sock.exists() && t.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut g = Handle::new();
    g.set_backend(&format!("unix:{}", sock.display())).unwrap();
    g.launch().unwrap();
    assert!(g
        .is_dir(
            "/etc",
            guestfs::IsDirOpts {
                followsymlinks: Some(false)
            }
        )
        .unwrap());
    assert!(g.ls("/").unwrap().contains(&"etc".to_string()));
    let e = g.statns("/no/such/file").unwrap_err();
    assert_eq!(e.errno, libc::ENOENT);
    assert_eq!(
        e.message,
        "statns: /no/such/file: No such file or directory"
    );
    // A relative path is refused by the daemon's stub checks.
    let e = g.statns("etc").unwrap_err();
    assert_eq!(
        e.message,
        "statns: statns_stub: path must start with a / character"
    );
    g.shutdown().unwrap();
    let st = child.wait().unwrap();
    assert!(st.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_is_not_a_disk_image() {
    build_daemon();
    let dir = tmpdir("notimage");
    let mut g = Handle::new();
    g.set_error_handler_quiet();
    g.set_backend("direct").unwrap();
    if g.add_drive_ro(dir.to_str().unwrap()).is_ok() {
        let e = g.launch().unwrap_err();
        assert!(e.message.contains("not a disk image"), "{}", e.message);
    }
    assert_eq!(g.state(), guestfs::State::Config);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shared fixtures (images made by libguestfs's own scripts), unpacked sparse.
fn fixture(name: &str) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(format!("{}.img.xz", name));
    if !src.is_file() {
        eprintln!("fixture {} not found, skipping", name);
        return None;
    }
    let dir = tmpdir(&format!("fixture-{}", name));
    let out = dir.join(format!("{}.img", name));
    sh(&format!(
        "xz -dc {} | cp --sparse=always /dev/stdin {}",
        src.display(),
        out.display()
    ));
    Some(out)
}

/// LVM (activated on demand in the appliance) on libguestfs's phony Debian guest; the
/// figures are those libguestfs 1.48 printed for it (fixtures/expected/debian.*).
#[test]
fn slow_fixture_debian_lvm() {
    let Some(img) = fixture("debian") else { return };
    build_daemon();
    let mut g = launch("direct", &img, Some("raw"));
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    assert_eq!(
        g.list_filesystems().unwrap(),
        vec![
            ("/dev/sda1".to_string(), "ext2".to_string()),
            ("/dev/debian/home".into(), "ext2".into()),
            ("/dev/debian/root".into(), "ext2".into()),
            ("/dev/debian/usr".into(), "ext2".into()),
            ("/dev/debian/var".into(), "ext2".into()),
        ]
    );
    assert_eq!(
        g.lvs().unwrap(),
        s(&[
            "/dev/debian/home",
            "/dev/debian/root",
            "/dev/debian/usr",
            "/dev/debian/var"
        ])
    );
    assert_eq!(g.vgs().unwrap(), s(&["debian"]));
    assert_eq!(g.pvs().unwrap(), s(&["/dev/sda2"]));
    // lvs_full is in LVM's own (metadata) order, as libguestfs returns it.
    let mut lvs: Vec<(String, i64)> = g
        .lvs_full()
        .unwrap()
        .iter()
        .map(|l| (l.lv_name.clone(), l.lv_size))
        .collect();
    lvs.sort();
    assert_eq!(
        lvs,
        vec![
            ("home".to_string(), 33554432),
            ("root".into(), 67108864),
            ("usr".into(), 33554432),
            ("var".into(), 33554432)
        ]
    );
    assert_eq!(g.vgs_full().unwrap()[0].vg_size, 264241152);
    assert_eq!(g.pvs_full().unwrap()[0].pv_size, 264241152);
    assert_eq!(g.vfs_label("/dev/sda1").unwrap(), "BOOT");
    assert_eq!(g.blockdev_getsize64("/dev/debian/root").unwrap(), 67108864);
    // LVM's form with its dashes, as libguestfs 1.48 returns it (6-4-4-4-4-4-6).
    let vg_uuid = g.vguuid("debian").unwrap();
    assert_eq!(vg_uuid.len(), 38);
    assert_eq!(g.vglvuuids("debian").unwrap().len(), 4);
    assert_eq!(
        g.vgpvuuids("debian").unwrap(),
        vec![g.pvuuid("/dev/sda2").unwrap()]
    );
    g.mount_ro("/dev/debian/root", "/").unwrap();
    let fstab = g.read_file("/etc/fstab").unwrap();
    let want = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/expected/debian.cat-fstab.out"),
    );
    if let Ok(want) = want {
        assert_eq!(
            String::from_utf8_lossy(&fstab),
            String::from_utf8_lossy(&want)
        );
    }
    let v = g.statvfs("/").unwrap();
    // df: 61412 1K-blocks, 68 used.
    assert_eq!(v.blocks * v.frsize / 1024, 61412);
    assert_eq!((v.blocks - v.bfree) * v.frsize / 1024, 68);
    g.shutdown().unwrap();
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
}

/// NTFS through ntfs-3g (FUSE) in the appliance, on the phony Windows guest.
#[test]
fn slow_fixture_windows_ntfs() {
    let Some(img) = fixture("windows") else {
        return;
    };
    build_daemon();
    let mut g = launch("direct", &img, Some("raw"));
    assert_eq!(
        g.list_filesystems().unwrap(),
        vec![
            ("/dev/sda1".to_string(), "ntfs".to_string()),
            ("/dev/sda2".into(), "ntfs".into())
        ]
    );
    g.mount_ro("/dev/sda2", "/").unwrap();
    assert_eq!(g.mounts().unwrap(), vec!["/dev/sda2".to_string()]);
    assert!(g
        .is_dir(
            "/Windows/System32",
            guestfs::IsDirOpts {
                followsymlinks: Some(false)
            }
        )
        .unwrap());
    assert_eq!(
        g.case_sensitive_path("/windows/system32").unwrap(),
        "/Windows/System32"
    );
    assert_eq!(g.read_file("/autoexec.bat").unwrap(), b"");
    g.umount_all().unwrap();
    g.shutdown().unwrap();
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
}

/// Two drives (sda, sdb): xfs and btrfs made with their own mkfs, read through the appliance
/// kernel's drivers (modules loaded on demand).
#[test]
fn slow_xfs_and_btrfs_on_two_drives() {
    build_daemon();
    let dir = tmpdir("xfsbtrfs");
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/f.txt"), "btrfs data\n").unwrap();
    let xfs = dir.join("xfs.img");
    let btrfs = dir.join("btrfs.img");
    let have = |p: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {}", p))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !have("mkfs.xfs") || !have("mkfs.btrfs") {
        eprintln!("mkfs.xfs or mkfs.btrfs missing, skipping");
        return;
    }
    sh(&format!(
        "truncate -s 300M {x} && mkfs.xfs -q -f -L XFSVOL {x}",
        x = xfs.display()
    ));
    sh(&format!(
        "truncate -s 128M {b} && mkfs.btrfs -q -f -L BTR -r {s} {b} >/dev/null",
        b = btrfs.display(),
        s = src.display()
    ));
    let mut g = Handle::new();
    g.set_backend("direct").unwrap();
    for p in [&xfs, &btrfs] {
        g.add_drive_opts(
            p.to_str().unwrap(),
            DriveOptions {
                readonly: Some(true),
                format: Some("raw".into()),
                ..Default::default()
            },
        )
        .unwrap();
    }
    g.launch().unwrap();
    assert_eq!(
        g.list_devices().unwrap(),
        vec!["/dev/sda".to_string(), "/dev/sdb".to_string()]
    );
    assert_eq!(
        g.list_filesystems().unwrap(),
        vec![
            ("/dev/sda".to_string(), "xfs".to_string()),
            ("/dev/sdb".into(), "btrfs".into())
        ]
    );
    assert_eq!(g.vfs_label("/dev/sdb").unwrap(), "BTR");
    assert_eq!(g.findfs_label("XFSVOL").unwrap(), "/dev/sda");
    g.mount_ro("/dev/sdb", "/").unwrap();
    assert_eq!(g.read_file("/d/f.txt").unwrap(), b"btrfs data\n");
    assert_eq!(g.pread("/d/f.txt", 4, 6).unwrap(), b"data");
    g.umount_all().unwrap();
    g.mount_ro("/dev/sda", "/").unwrap();
    assert_eq!(g.ls("/").unwrap(), Vec::<String>::new());
    assert_eq!(g.statvfs("/").unwrap().bsize, 4096);
    g.shutdown().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Adds each image read-only (in `format`, else detected) and launches.
fn launch_all(backend: &str, imgs: &[&Path], format: Option<&str>) -> Handle {
    let mut g = Handle::new();
    g.set_backend(backend).unwrap();
    for img in imgs {
        let opts = DriveOptions {
            readonly: Some(true),
            format: format.map(str::to_string),
            ..Default::default()
        };
        g.add_drive_opts(img.to_str().unwrap(), opts).unwrap();
    }
    g.launch()
        .unwrap_or_else(|e| panic!("launch {}: {}", backend, e));
    g
}

#[test]
fn slow_filesystem_order_across_drives_matches_native() {
    build_daemon();
    let dir = tmpdir("order");
    // sda: partitioned (ext4 + vfat); sdb: a filesystem on the whole device. libguestfs lists
    // whole devices before partitions, whatever the drive order.
    let sda = make_disk(&dir);
    let sdb = dir.join("whole.img");
    sh(&format!(
        "truncate -s 16M {0} && mkfs.ext4 -q -L whole {0}",
        sdb.display()
    ));
    let mut native = launch_all("native", &[&sda, &sdb], Some("raw"));
    let mut direct = launch_all("direct", &[&sda, &sdb], Some("raw"));
    let expected = native.list_filesystems().unwrap();
    assert_eq!(expected[0], ("/dev/sdb".to_string(), "ext4".to_string()));
    assert_eq!(direct.list_filesystems().unwrap(), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A phony Debian root in an ext4 filesystem encrypted with LUKS2 (passphrase "secret"),
/// made offline by `cryptsetup reencrypt --encrypt` (no device-mapper needed on the host).
fn make_luks_disk(dir: &Path) -> PathBuf {
    let src = dir.join("luks-src");
    std::fs::create_dir_all(src.join("etc")).unwrap();
    std::fs::create_dir_all(src.join("bin")).unwrap();
    std::fs::write(
        src.join("etc/os-release"),
        "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(src.join("etc/debian_version"), "12.5\n").unwrap();
    std::fs::write(
        src.join("etc/fstab"),
        "LABEL=LUKSROOT / ext4 defaults 0 1\n",
    )
    .unwrap();
    std::fs::write(src.join("etc/hostname"), "vaulted\n").unwrap();
    std::fs::write(src.join("bin/ls"), "").unwrap();
    let img = dir.join("luks.img");
    let key = dir.join("key");
    std::fs::write(&key, "secret").unwrap();
    sh(&format!(
        "truncate -s 64M {img} && mkfs.ext4 -q -L LUKSROOT -d {src} {img} 48M && \
         cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 16M --pbkdf pbkdf2 \
         --pbkdf-force-iterations 1000 -q --key-file {key} {img}",
        img = img.display(),
        src = src.display(),
        key = key.display()
    ));
    img
}

#[test]
fn slow_luks_volume_opens_and_inspects() {
    build_daemon();
    let dir = tmpdir("luks");
    let img = make_luks_disk(&dir);
    let mut g = launch("direct", &img, Some("raw"));
    assert_eq!(g.vfs_type("/dev/sda").unwrap(), "crypto_LUKS");
    // Encrypted devices are containers, not filesystems.
    assert_eq!(g.list_filesystems().unwrap(), Vec::new());
    let uuid = g.vfs_uuid("/dev/sda").unwrap();
    let mapname = format!("luks-{}", uuid);
    let e = g
        .cryptsetup_open("/dev/sda", "wrong", &mapname, Default::default())
        .unwrap_err();
    assert!(e.message.contains("No key available"), "{}", e.message);
    g.cryptsetup_open("/dev/sda", "secret", &mapname, Default::default())
        .unwrap();
    let opened = format!("/dev/mapper/{}", mapname);
    assert_eq!(
        g.list_filesystems().unwrap(),
        vec![(opened.clone(), "ext4".to_string())]
    );
    // The fstab's LABEL= resolves to the opened volume, which is not mistaken for an LV.
    assert_eq!(g.inspect_os().unwrap(), vec![opened.clone()]);
    assert_eq!(g.inspect_get_hostname(&opened).unwrap(), "vaulted");
    g.mount_ro(&opened, "/").unwrap();
    assert_eq!(g.read_file("/etc/hostname").unwrap(), b"vaulted\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slow_btrfs_subvolumes_are_listed_and_mountable() {
    build_daemon();
    let dir = tmpdir("btrfs-subvolumes");
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("root/etc")).unwrap();
    std::fs::create_dir_all(src.join("root/nested")).unwrap();
    std::fs::create_dir_all(src.join("home/user")).unwrap();
    std::fs::write(src.join("root/etc/hostname"), "subvolumed\n").unwrap();
    let img = dir.join("btrfs.img");
    // mkfs.btrfs --subvol needs btrfs-progs 6.7+ (scripts/install-deps.sh).
    sh(&format!(
        "truncate -s 256M {img} && mkfs.btrfs -q -L BT -r {src} --subvol root --subvol home \
         --subvol root/nested {img}",
        img = img.display(),
        src = src.display()
    ));
    let mut g = launch("direct", &img, Some("raw"));
    // libguestfs 1.48's list: the whole device (the default subvolume), then the others.
    let expected: Vec<(String, String)> = [
        "/dev/sda",
        "btrfsvol:/dev/sda/root",
        "btrfsvol:/dev/sda/root/nested",
        "btrfsvol:/dev/sda/home",
    ]
    .iter()
    .map(|m| (m.to_string(), "btrfs".to_string()))
    .collect();
    assert_eq!(g.list_filesystems().unwrap(), expected);
    assert_eq!(g.vfs_label("btrfsvol:/dev/sda/home").unwrap(), "BT");
    g.mount_ro("btrfsvol:/dev/sda/root", "/").unwrap();
    assert_eq!(g.read_file("/etc/hostname").unwrap(), b"subvolumed\n");
    assert!(g
        .is_dir(
            "/nested",
            guestfs::IsDirOpts {
                followsymlinks: Some(false)
            }
        )
        .unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fixed appliance (what `libguestfs-make-fixed-appliance` writes) holds what libguestfs
/// 1.48 looks for, and this library boots it from `LIBGUESTFS_PATH` without building one.
#[test]
fn slow_fixed_appliance_from_libguestfs_path() {
    use guestfs::backend::appliance::builder;
    build_daemon();
    let dir = tmpdir("fixed");
    let fixed = dir.join("appliance");
    let inputs = builder::Inputs::gather(&builder::find_daemon()).unwrap();
    builder::write_fixed(&inputs, &fixed).unwrap();
    for f in ["kernel", "initrd", "root", "README.fixed"] {
        assert!(fixed.join(f).is_file(), "{} missing", f);
    }
    // `root` is an ext2 filesystem: 1.48 reads its UUID for `root=UUID=`.
    let root = std::fs::read(fixed.join("root")).unwrap();
    assert_eq!(&root[0x438..0x43a], &[0x53, 0xef]);
    let cache = dir.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let out = run_launch_example(&[
        ("LIBGUESTFS_PATH", fixed.as_os_str()),
        ("LIBGUESTFS_CACHEDIR", cache.as_os_str()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let built: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
        .filter(|e| e.file_name().to_string_lossy().starts_with("appliance-"))
        .collect();
    assert!(built.is_empty(), "an appliance was built: {:?}", built);
    let _ = std::fs::remove_dir_all(&dir);
}

/// qemu killed while a long call runs: the call fails at once and the handle is back in
/// CONFIG (the library polls qemu's liveness while it waits for a reply).
#[test]
fn slow_qemu_death_mid_call_fails_the_call() {
    build_daemon();
    let dir = tmpdir("midcall");
    // A large sparse disk: zero_device reads all of it (a long call under TCG).
    let img = dir.join("big.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(8 << 30)
        .unwrap();
    let mut g = launch("direct", &img, Some("raw"));
    let pid = g.get_pid().unwrap();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        sh(&format!("kill -9 {}", pid));
        std::time::Instant::now()
    });
    let e = g.zero_device("/dev/sda").unwrap_err();
    let failed = std::time::Instant::now();
    let killed = killer.join().unwrap();
    println!(
        "qemu killed mid-call: the call failed {:.3} s later: {}",
        failed.duration_since(killed).as_secs_f64(),
        e.message
    );
    assert!(
        e.message.contains("died") || e.message.contains("closed"),
        "{}",
        e.message
    );
    assert_eq!(g.state(), guestfs::State::Config);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A read-only drive is used through a throw-away overlay: the guest can write (here: a new
/// file on a filesystem mounted read-write), and the image is not changed by a byte.
#[test]
fn slow_readonly_drive_writes_go_to_an_overlay() {
    build_daemon();
    let dir = tmpdir("overlay");
    let img = make_disk(&dir);
    let before = std::fs::read(&img).unwrap();
    let mtime = std::fs::metadata(&img).unwrap().modified().unwrap();
    let mut g = launch("direct", &img, Some("raw"));
    g.mount("/dev/sda1", "/").unwrap();
    g.write("/new-file", b"written through the overlay")
        .unwrap();
    assert_eq!(g.cat("/new-file").unwrap(), "written through the overlay");
    g.shutdown().unwrap();
    assert!(
        std::fs::read(&img).unwrap() == before,
        "the image was modified"
    );
    assert_eq!(std::fs::metadata(&img).unwrap().modified().unwrap(), mtime);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Scratch drives and `/dev/null` are empty disks the appliance sees at their sizes, and
/// the scratch disk takes writes.
#[test]
fn slow_scratch_and_null_drives() {
    build_daemon();
    let mut g = Handle::new();
    g.set_backend("direct").unwrap();
    g.add_drive_scratch(8 << 20, Default::default()).unwrap();
    g.add_drive("/dev/null", Default::default()).unwrap();
    g.launch().unwrap();
    assert_eq!(g.list_devices().unwrap(), ["/dev/sda", "/dev/sdb"]);
    assert_eq!(g.blockdev_getsize64("/dev/sda").unwrap(), 8 << 20);
    assert_eq!(g.blockdev_getsize64("/dev/sdb").unwrap(), 4096);
    g.upload_from(&mut &b"scratch"[..], "/dev/sda").unwrap();
    let mut back = Vec::new();
    g.download_offset_to("/dev/sda", &mut back, 0, 7).unwrap();
    assert_eq!(back, b"scratch");
    g.shutdown().unwrap();
}

/// Events from the appliance: the launch's debug messages, the console, LAUNCH_DONE,
/// progress while a large file downloads, and a download cancelled with `user_cancel`.
#[test]
fn slow_appliance_events_progress_and_cancel() {
    use guestfs::events::mask;
    use guestfs::EventKind;
    use std::sync::{Arc, Mutex};
    build_daemon();
    let dir = tmpdir("events");
    let img = dir.join("big.img");
    sh(&format!(
        "dd if=/dev/urandom of={} bs=1M count=64 status=none",
        img.display()
    ));
    let seen: Arc<Mutex<Vec<(EventKind, String)>>> = Arc::default();
    let sink = seen.clone();
    let mut g = Handle::new();
    g.set_backend("direct").unwrap();
    g.set_verbose(true).unwrap();
    g.set_event_callback(
        Box::new(move |e: &guestfs::Event| {
            let text = match e.progress() {
                Some((p, t)) => format!("{}/{}", p, t),
                None => e.message.to_string(),
            };
            sink.lock().unwrap().push((e.kind, text));
        }),
        mask(&[
            EventKind::Appliance,
            EventKind::Library,
            EventKind::LaunchDone,
            EventKind::Progress,
        ]),
    )
    .unwrap();
    g.add_drive_opts(
        img.to_str().unwrap(),
        DriveOptions {
            readonly: Some(true),
            format: Some("raw".into()),
            ..Default::default()
        },
    )
    .unwrap();
    g.launch().unwrap();
    {
        let s = seen.lock().unwrap();
        let has =
            |k: EventKind, text: &str| s.iter().any(|(kind, m)| *kind == k && m.contains(text));
        assert!(has(EventKind::Library, "launch: program="), "{:?}", s);
        assert!(has(EventKind::Library, "qemu command line:"), "{:?}", s);
        assert!(has(EventKind::Library, "file.backing.file.locking=off"));
        assert!(s.iter().any(|(k, _)| *k == EventKind::Appliance));
        assert!(s.iter().any(|(k, _)| *k == EventKind::LaunchDone));
    }
    seen.lock().unwrap().clear();
    // A reader taking at least 3.2 s (50 ms per MiB): the daemon, held back by the channel,
    // is still sending after its first 2 s, when 1.48's rate limit lets progress through.
    struct SlowReader(usize);
    impl std::io::Write for SlowReader {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let before = self.0 >> 20;
            self.0 += buf.len();
            if self.0 >> 20 != before {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    g.download_to("/dev/sda", &mut SlowReader(0)).unwrap();
    let progress: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k == EventKind::Progress)
        .map(|(_, m)| m.clone())
        .collect();
    assert!(
        progress
            .last()
            .is_some_and(|p| p == &format!("{0}/{0}", 64 << 20)),
        "{:?}",
        progress
    );

    // Cancelled from the writer after the first megabyte.
    struct CancelAfter(guestfs::handle::UserCancel, usize);
    impl std::io::Write for CancelAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.1 += buf.len();
            if self.1 > 1 << 20 {
                self.0.cancel();
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    g.set_error_handler_quiet();
    let mut w = CancelAfter(g.user_cancel_handle(), 0);
    let e = g.download_to("/dev/sda", &mut w).unwrap_err();
    assert_eq!(
        (e.errno, e.message.as_str()),
        (libc::EINTR, "operation cancelled by user")
    );
    assert!(w.1 < 64 << 20);
    // The connection is still in step.
    assert_eq!(g.list_devices().unwrap(), ["/dev/sda"]);
    // The console is handed over as a descriptor (virt-rescue's).
    let fd = g.internal_get_console_socket().unwrap();
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    assert!(fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1);
    g.shutdown().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// 255 drives (the appliance's limit) launch; one more is refused before qemu starts.
#[test]
fn slow_the_most_drives() {
    build_daemon();
    let mut g = Handle::new();
    g.set_backend("direct").unwrap();
    for _ in 0..255 {
        g.add_drive_scratch(1 << 20, Default::default()).unwrap();
    }
    g.launch().unwrap();
    let devices = g.list_devices().unwrap();
    assert_eq!(devices.len(), 255);
    assert_eq!(devices[254], "/dev/sdiu");
    g.shutdown().unwrap();
    g.set_error_handler_quiet();
    for _ in 0..256 {
        g.add_drive_scratch(1 << 20, Default::default()).unwrap();
    }
    assert_eq!(
        g.launch().unwrap_err().message,
        "too many drives have been added, the current backend only supports 255 drives"
    );
}

/// A drive's label names it under /dev/disk/guestfs.
#[test]
fn slow_labels_name_disks() {
    build_daemon();
    let mut g = Handle::new();
    g.set_backend("direct").unwrap();
    g.add_drive_scratch(1 << 20, Default::default()).unwrap();
    g.add_drive_scratch(
        1 << 20,
        guestfs::AddDriveScratchOpts {
            label: Some("data".into()),
            ..Default::default()
        },
    )
    .unwrap();
    g.launch().unwrap();
    assert_eq!(
        g.list_disk_labels().unwrap(),
        [("data".to_string(), "/dev/sdb".to_string())]
    );
    assert_eq!(
        g.blockdev_getsize64("/dev/disk/guestfs/data").unwrap(),
        1 << 20
    );
}

/// The appliance's kernel names the drives in the order they were added (its SCSI disk driver
/// probes asynchronously, so this is the daemon's doing): device numbers seen in `stat` and
/// names in programs' messages are then the user's.
#[test]
fn slow_kernel_names_drives_in_drive_order() {
    build_daemon();
    let dir = tmpdir("names");
    let imgs: Vec<PathBuf> = (0..4).map(|i| dir.join(format!("d{}.img", i))).collect();
    for img in &imgs {
        let f = std::fs::File::create(img).unwrap();
        f.set_len(16 << 20).unwrap();
    }
    let refs: Vec<&Path> = imgs.iter().map(PathBuf::as_path).collect();
    let mut g = launch_all("direct", &refs, Some("raw"));
    let script = "for t in 0 1 2 3; do cat /sys/bus/scsi/devices/0:0:$t:0/block/*/dev; done";
    let out = g.debug("sh", &[script.to_string()]).unwrap();
    assert_eq!(out.trim_end(), "8:0\n8:16\n8:32\n8:48");
    let _ = std::fs::remove_dir_all(&dir);
}
