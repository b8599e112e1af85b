//! libvirt guests (`-d`, `-c`, old-style guest operands, the every-guest mode of virt-df and
//! virt-alignment-scan, guestfish's `add-domain`), through libvirt itself:
//! - libvirt's test driver with tests/golden/libvirt/guests.xml, whose guests' disks are the
//!   images this suite builds, compared byte for byte with what libguestfs 1.48 printed for
//!   the same guests (tests/golden/libvirt, made by `tests/golden/regenerate.sh libvirt`);
//! - a real libvirtd, started here in session mode as an unprivileged user with its own
//!   folders and socket, with a defined (shut off) domain.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use virt_tools_tests::{have, images, parse_known, run, run_cases, split, tool, TempDir};

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/libvirt")
}

/// The test images with guests.xml next to them, as the golden cases expect.
fn guests(tmp: &TempDir) -> String {
    images::test_images(tmp.path());
    std::fs::copy(golden().join("guests.xml"), tmp.join("guests.xml")).unwrap();
    format!("test://{}", tmp.join("guests.xml").display())
}

/// Runs a tool in `dir` (guests.xml names its disks relative to it).
fn run_in(dir: &TempDir, name: &str, args: &[&str]) -> (String, String, i32) {
    split(
        tool(name)
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap(),
    )
}

#[test]
fn test_driver_guests_match_libguestfs_1_48() {
    let tmp = TempDir::new("libvirt-golden");
    guests(&tmp);
    let known = parse_known(include_str!("golden/libvirt/known-differences.txt"));
    let r = run_cases(&golden(), tmp.path(), &known);
    r.check("libvirt golden");
    assert!(
        r.passed.len() > 40,
        "too few golden cases ran: {:?}",
        r.passed
    );
}

/// `-d` names a guest whose disks come in the XML's order with their formats: the qcow2
/// disk is read as qcow2 (as raw it would show no filesystem), and two disks are sda, sdb.
#[test]
fn domain_disks_come_in_order_with_their_formats() {
    let tmp = TempDir::new("libvirt-order");
    let uri = guests(&tmp);
    let (out, err, rc) = run_in(
        &tmp,
        "virt-filesystems",
        &["-c", &uri, "-d", "demo-qcow2", "--filesystems"],
    );
    assert_eq!((out.as_str(), rc), ("/dev/sda1\n/dev/sda2\n", 0), "{}", err);
    let (out, err, rc) = run_in(
        &tmp,
        "virt-filesystems",
        &["-c", &uri, "-d", "two-disks", "--parts"],
    );
    assert_eq!(rc, 0, "{}", err);
    let parts: Vec<&str> = out.lines().collect();
    assert_eq!(
        parts,
        [
            "/dev/sda1",
            "/dev/sda2",
            "/dev/sda3",
            "/dev/sda5",
            "/dev/sda6",
            "/dev/sdb1",
            "/dev/sdb2"
        ]
    );
}

/// When libvirt cannot be reached, `-d` fails with 1.48's message and `-a` still works.
#[test]
fn unreachable_libvirt_fails_d_only() {
    let tmp = TempDir::new("libvirt-unreachable");
    guests(&tmp);
    let uri = "qemu+unix:///system?socket=/nonexistent/libvirt-sock";
    let (out, err, rc) = run("virt-cat", &["-c", uri, "-d", "demo", "/etc/hostname"]);
    assert_eq!((out.as_str(), rc), ("", 1));
    assert!(
        err.ends_with(
            "libguestfs: error: could not connect to libvirt (code 38, domain 7): Failed to connect socket to '/nonexistent/libvirt-sock': No such file or directory\n"
        ),
        "{}",
        err
    );
    a_still_works(tool("virt-cat").env("LIBVIRT_DEFAULT_URI", uri), &tmp);
}

/// virt-cat (`cmd`) reads the guests' demo image given with `-a`.
fn a_still_works(cmd: &mut Command, tmp: &TempDir) {
    let image = tmp.join("demo.img");
    let (out, err, rc) = split(
        cmd.args(["-a", image.to_str().unwrap(), "/etc/hostname"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (out.as_str(), err.as_str(), rc),
        ("demo.example.invalid\n", "", 0)
    );
}

/// Only the helper program links libvirt: the tools start without mapping its libraries.
#[test]
fn tools_load_libvirt_only_through_their_helper() {
    let needed = |program: &Path| {
        let out = Command::new("readelf")
            .arg("-d")
            .arg(program)
            .output()
            .unwrap();
        assert!(out.status.success(), "readelf -d {}", program.display());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("(NEEDED)"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let tools = virt_tools_tests::binary();
    let links_libvirt = |program: &Path| needed(program).iter().any(|l| l.contains("libvirt"));
    assert!(!links_libvirt(&tools), "{:?}", needed(&tools));
    assert!(links_libvirt(&tools.with_file_name("virt-tools-libvirt")));
}

/// Without libvirt (its helper cannot load it), -d says so in one line and -a still works.
#[test]
fn without_libvirt_d_says_so_and_a_works() {
    let tmp = TempDir::new("libvirt-absent");
    guests(&tmp);
    let bin = tmp.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::copy(virt_tools_tests::binary(), bin.join("virt-tools")).unwrap();
    std::os::unix::fs::symlink("virt-tools", bin.join("virt-cat")).unwrap();
    // What the dynamic loader says when libvirt0 is not installed.
    let helper = bin.join("virt-tools-libvirt");
    std::fs::write(
        &helper,
        "#!/bin/sh\necho \"$0: error while loading shared libraries: libvirt.so.0: cannot open shared object file: No such file or directory\" >&2\nexit 127\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let virt_cat = || {
        let mut c = Command::new(bin.join("virt-cat"));
        c.env("LC_ALL", "C");
        c
    };
    let (out, err, rc) = split(
        virt_cat()
            .args(["-d", "demo", "/etc/hostname"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (out.as_str(), err.as_str(), rc),
        (
            "",
            "libguestfs: error: add-domain API not available since libvirt cannot be used: libvirt.so.0: cannot open shared object file: No such file or directory\n",
            1
        )
    );
    a_still_works(&mut virt_cat(), &tmp);
    std::fs::remove_file(&helper).unwrap();
    let (_, err, rc) = split(
        virt_cat()
            .args(["-d", "demo", "/etc/hostname"])
            .output()
            .unwrap(),
    );
    assert_eq!(rc, 1);
    assert!(
        err.starts_with(
            "libguestfs: error: add-domain API not available since libvirt cannot be used: "
        ) && err.ends_with(": No such file or directory\n")
            && err.lines().count() == 1,
        "{}",
        err
    );
}

/// A libvirtd of our own: session mode under an unprivileged user, in a temporary folder,
/// killed (by its process id) when dropped.
struct Libvirtd {
    child: Child,
    socket: PathBuf,
}

impl Drop for Libvirtd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why a real libvirtd cannot run here, if it cannot.
fn libvirtd_missing() -> Option<&'static str> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (the daemon is started as user nobody)");
    }
    if !Path::new("/usr/sbin/libvirtd").exists() {
        return Some("/usr/sbin/libvirtd is not installed (libvirt-daemon)");
    }
    if !have("setpriv") || !have("virsh") {
        return Some("setpriv or virsh is missing");
    }
    None
}

fn start_libvirtd(dir: &Path) -> Libvirtd {
    const NOBODY: u32 = 65534;
    for sub in ["home", "run", "config", "cache", "data"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).unwrap();
        std::os::unix::fs::chown(&p, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(["/usr/sbin/libvirtd", "--timeout", "300"])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOME", dir.join("home"))
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start libvirtd");
    let socket = dir.join("run/libvirt/libvirt-sock");
    let daemon = Libvirtd { child, socket };
    let start = Instant::now();
    while !daemon.socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "libvirtd made no socket"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    daemon
}

#[test]
fn real_libvirtd_domain() {
    if let Some(why) = libvirtd_missing() {
        println!("SKIPPED: real libvirtd case: {}", why);
        return;
    }
    let tmp = TempDir::new("libvirtd");
    images::test_images(tmp.path());
    // libvirtd's and qemu's sockets live below this folder: keep its path short.
    let daemon_dir = TempDir::short("vtl");
    let daemon = start_libvirtd(daemon_dir.path());
    let uri = format!("qemu+unix:///session?socket={}", daemon.socket.display());
    let xml = tmp.join("domain.xml");
    std::fs::write(
        &xml,
        format!(
            "<domain type='qemu'>\n  <name>virt-tools-test</name>\n  <memory>131072</memory>\n  \
             <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n    \
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk>\n    \
             <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{}'/><target dev='vdb' bus='virtio'/><readonly/></disk>\n  \
             </devices>\n</domain>\n",
            tmp.join("demo.qcow2").display(),
            tmp.join("gpt.img").display()
        ),
    )
    .unwrap();
    let define = Command::new("virsh")
        .args(["-c", &uri, "define"])
        .arg(&xml)
        .output()
        .unwrap();
    assert!(
        define.status.success(),
        "virsh define: {}",
        String::from_utf8_lossy(&define.stderr)
    );

    let (out, err, rc) = run(
        "virt-cat",
        &["-c", &uri, "-d", "virt-tools-test", "/etc/hostname"],
    );
    assert_eq!(
        (out.as_str(), err.as_str(), rc),
        ("demo.example.invalid\n", "", 0)
    );

    let df = ["-c", uri.as_str()];
    let (out, err, rc) = run("virt-df", &df);
    let expected = "Filesystem                           1K-blocks       Used  Available  Use%\n\
                    virt-tools-test:/dev/sda1                14073         16      12911    1%\n\
                    virt-tools-test:/dev/sda2                40939         40      37459    1%\n\
                    virt-tools-test:/dev/sdb1                21623       2952      16952   14%\n";
    assert_eq!((out.as_str(), err.as_str(), rc), (expected, "", 0));
    match reference_output("virt-df", &df) {
        Some(reference) => assert_eq!(out, reference, "virt-df differs from libguestfs 1.48"),
        None => println!("SKIPPED: comparison with libguestfs 1.48 (virt-df not installed)"),
    }

    // The domain is shut off: guestfish may add it read/write.
    let (out, err, rc) = run(
        "guestfish",
        &[
            "-c",
            &uri,
            "-d",
            "virt-tools-test",
            "run",
            ":",
            "list-devices",
        ],
    );
    assert_eq!(
        (out.as_str(), err.as_str(), rc),
        ("/dev/sda\n/dev/sdb\n", "", 0)
    );
}

/// What libguestfs 1.48's tool prints, when it is installed.
fn reference_output(tool: &str, args: &[&str]) -> Option<String> {
    let path = Path::new("/usr/bin").join(tool);
    if !path.exists() || !Path::new("/usr/bin/guestfish").exists() {
        return None;
    }
    let out = Command::new(path)
        .args(args)
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
