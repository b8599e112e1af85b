//! virt-rescue on the demo guest this suite builds: `--suggest` and the option errors compared
//! with what libguestfs 1.48 printed (tests/golden/rescue), a session driven through a pipe
//! (commands run, a file written through /sysroot, read back), one on a pseudo-terminal (the
//! escape key's help and quit), `--ro`, and `--scratch`.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use virt_tools_tests::{build_daemon, demo_image, parse_known, run_cases, tool, TempDir};

fn sha256(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

#[test]
fn suggest_and_option_errors_match_libguestfs_1_48() {
    let tmp = TempDir::new("rescue-golden");
    demo_image(&tmp);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/rescue");
    let r = run_cases(&golden, tmp.path(), &parse_known(""));
    assert!(r.passed.len() >= 10, "too few golden cases ran");
    r.check("virt-rescue");
}

/// Runs virt-rescue ARGS with `input` piped in; returns (output with CRs removed, exit code).
fn piped(args: &[&str], input: &str) -> (String, i32) {
    let mut child = tool("virt-rescue")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run virt-rescue");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "")
        + &String::from_utf8_lossy(&out.stderr);
    (text, out.status.code().unwrap_or(-1))
}

fn no_qemu_left_on(image: &Path) {
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    let image = image.to_str().unwrap();
    assert!(
        !ps.lines().any(|l| l.contains("qemu") && l.contains(image)),
        "a qemu is left on {}:\n{}",
        image,
        ps
    );
}

#[test]
fn piped_commands_run_in_the_guest_and_write_it() {
    let tmp = TempDir::new("rescue-piped");
    let img = demo_image(&tmp);
    let image = img.to_str().unwrap();
    let (out, rc) = piped(
        &["-a", image, "-i"],
        "echo marker-$((6*7))\necho rescued > /sysroot/rescued.txt\nfor i in 1 2\ndo echo loop$i; done\n",
    );
    assert_eq!(rc, 0, "{}", out);
    assert!(out.contains("Welcome to virt-rescue"), "{}", out);
    assert!(out.contains("\nmarker-42\n"), "{}", out);
    assert!(out.contains("loop1\nloop2\n"), "{}", out);
    assert!(out.contains("virt-rescue: Syncing the disk now"), "{}", out);
    no_qemu_left_on(&img);
    let cat = tool("virt-cat")
        .args(["-a", image, "/rescued.txt"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&cat.stdout), "rescued\n");
}

#[test]
fn read_only_sessions_leave_the_image_unchanged() {
    let tmp = TempDir::new("rescue-ro");
    let img = demo_image(&tmp);
    let before = sha256(&img);
    let (out, rc) = piped(
        &["--ro", "-a", img.to_str().unwrap(), "-i"],
        "touch /sysroot/new || echo touch-failed\n",
    );
    assert_eq!(rc, 0, "{}", out);
    assert!(out.contains("Read-only file system"), "{}", out);
    assert!(out.contains("\ntouch-failed\n"), "{}", out);
    assert_eq!(sha256(&img), before, "--ro changed the image");
}

#[test]
fn scratch_disks_come_in_command_line_order() {
    build_daemon();
    let tmp = TempDir::new("rescue-scratch");
    let small = tmp.join("small.img");
    std::fs::File::create(&small)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    // sda: a scratch disk, sdb: the image, sdc: a scratch disk (10 GiB = 20971520 sectors).
    let (out, rc) = piped(
        &["--scratch", "-a", small.to_str().unwrap(), "--scratch=1"],
        "echo sizes $(cat /sys/block/sda/size /sys/block/sdb/size /sys/block/sdc/size)\n",
    );
    assert_eq!(rc, 0, "{}", out);
    assert!(out.contains("\nsizes 20971520 65536 20971520\n"), "{}", out);
}

/// A pseudo-terminal pair: the master for the test, the slave for virt-rescue.
fn pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: valid out pointers; no name, termios or window size.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty");
    // SAFETY: fresh descriptors that we own.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Reads the terminal until `want` appears (or fails after `limit`); returns all read.
fn read_until(master: &mut std::fs::File, seen: &mut String, want: &str, limit: Duration) {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while !seen.contains(want) {
        assert!(
            start.elapsed() < limit,
            "no {:?} within {:?}; the terminal showed:\n{}",
            want,
            limit,
            seen
        );
        let mut p = libc::pollfd {
            fd: master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, 500) } <= 0 {
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) | Err(_) => {
                assert!(seen.contains(want), "terminal closed; it showed:\n{}", seen);
                return;
            }
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
}

#[test]
fn on_a_terminal_the_escape_key_gives_help_and_quits() {
    let tmp = TempDir::new("rescue-pty");
    let img = demo_image(&tmp);
    let (master, slave) = pty();
    let mut cmd = tool("virt-rescue");
    cmd.args(["--ro", "-a", img.to_str().unwrap()])
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().expect("run virt-rescue");
    let mut master = std::fs::File::from(master);
    let mut seen = String::new();
    let limit = Duration::from_secs(240);
    read_until(
        &mut master,
        &mut seen,
        "The virt-rescue escape key is ‘^]’.  Type ‘^] h’ for help.\r\n",
        limit,
    );
    read_until(&mut master, &mut seen, "><rescue> ", limit);
    master.write_all(b"\x1dh").unwrap();
    read_until(
        &mut master,
        &mut seen,
        "^]h\r\nvirt-rescue escape sequences:\r\n ^] ? - print this message\r\n",
        limit,
    );
    master.write_all(b"echo pty-$((2+3))\r").unwrap();
    read_until(&mut master, &mut seen, "pty-5\r\n", limit);
    master.write_all(b"\x1dq").unwrap();
    read_until(&mut master, &mut seen, "^]q\r\n", limit);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < limit, "virt-rescue did not quit on ^] q");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit {:?}; terminal:\n{}", status, seen);
    no_qemu_left_on(&img);
}
