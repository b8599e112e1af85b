//! Bad and hostile input (issues 2 and 5): missing, unreadable, empty and truncated images,
//! broken qcow2 backing chains, GPT with bad CRCs, a looping MBR extended chain, ext4 with a
//! damaged superblock, a directory loop and hostile names, and extraction that tries to escape
//! its destination. Every tool run is bounded in time ([`hostile::TIMEOUT`]), must exit 0 or 1
//! (never a panic or a signal), explains a failure on stderr in `PROG: …` / `libguestfs: …`
//! lines, and leaves the image's bytes and mtime unchanged.

use std::fs;
use std::path::{Path, PathBuf};
use virt_tools_tests::hostile::{self, expect_code, run_on, run_on_backend, Outside, Run};
use virt_tools_tests::{binary, TempDir};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// mount(8)'s failure as libguestfs 1.48 reports it for `-m DEV` of something that is not a
/// filesystem the kernel can mount, then the tool's advice listing the filesystems.
fn wrong_fs_type(tool: &str, dev: &str, fses: &[(&str, &str)]) -> String {
    let mut e = format!(
        "libguestfs: error: mount_options: mount exited with status 32: mount: /sysroot: wrong fs type, bad option, bad superblock on {dev}, missing codepage or helper program, or other error.\n       dmesg(1) may have more information after failed mount system call.\n{tool}: ‘{dev}’ could not be mounted.\n{tool}: Did you mean to mount one of these filesystems?\n"
    );
    for (d, t) in fses {
        e.push_str(&format!("{}: \t{} ({})\n", tool, d, t));
    }
    e
}

/// 1.48's error for `-m` naming a device that does not exist, then the advice.
fn no_such_device(tool: &str, dev: &str, fses: &[(&str, &str)]) -> String {
    let mut e = format!(
        "libguestfs: error: mount_options: mount_options_stub: {dev}: No such file or directory\n{tool}: ‘{dev}’ could not be mounted.\n{tool}: Did you mean to mount one of these filesystems?\n"
    );
    for (d, t) in fses {
        e.push_str(&format!("{}: \t{} ({})\n", tool, d, t));
    }
    e
}

/// The read tools on one image, for cases where only the general rules apply.
fn all_tools(img: &Path, dev: &str) -> Vec<Run> {
    let i = s(img);
    vec![
        run_on(img, "virt-filesystems", &["-a", i, "--all", "--long"]),
        run_on(
            img,
            "virt-filesystems",
            &["-a", i, "--all", "--long", "--csv", "--uuid"],
        ),
        run_on(img, "virt-ls", &["-a", i, "-m", dev, "/"]),
        run_on(img, "virt-ls", &["-a", i, "-m", dev, "-l", "/"]),
        run_on(img, "virt-ls", &["-a", i, "-m", dev, "-R", "/"]),
        run_on(img, "virt-ls", &["-a", i, "-m", dev, "-lR", "/"]),
        run_on(
            img,
            "virt-ls",
            &["-a", i, "-m", dev, "-lR", "--checksum", "--csv", "/"],
        ),
        run_on(img, "virt-cat", &["-a", i, "-m", dev, "/a"]),
        run_on(img, "virt-cat", &["-a", i, "-m", dev, "/d/f"]),
        run_on(img, "virt-df", &["-a", i]),
        run_on(img, "virt-df", &["-a", i, "--csv", "-i"]),
        run_on(img, "virt-alignment-scan", &["-a", i]),
    ]
}

/// True when the binary dispatches `tool` (some tools are wired in later).
fn dispatched(tool: &str) -> bool {
    let out = std::process::Command::new(binary())
        .arg("--list")
        .output()
        .expect("virt-tools --list");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l == tool)
}

#[test]
fn missing_image_is_one_line_and_exit_1() {
    let tmp = TempDir::new("hostile-missing");
    let img = tmp.join("not-there.img");
    let i = s(&img);
    for (tool, args) in [
        ("virt-cat", vec!["-a", i, "/etc/fstab"]),
        ("virt-ls", vec!["-a", i, "-m", "/dev/sda1", "/"]),
        ("virt-filesystems", vec!["-a", i, "--all", "--long"]),
        ("virt-df", vec!["-a", i]),
        ("virt-alignment-scan", vec!["-a", i]),
    ] {
        let r = hostile::run_bounded(tool, &args);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            format!("{}: access: {}: No such file or directory\n", tool, i),
            "{}",
            r.cmdline
        );
        assert!(r.stdout.is_empty(), "{}", r.cmdline);
    }
}

#[test]
fn zero_length_image() {
    let tmp = TempDir::new("hostile-zero");
    let img = tmp.join("zero.img");
    fs::write(&img, b"").unwrap();
    let i = s(&img);
    let r = run_on(&img, "virt-filesystems", &["-a", i, "--all", "--long"]);
    expect_code(&r, 0);
    assert_eq!(
        r.out(),
        "Name      Type        VFS      Label  MBR  Size  Parent\n/dev/sda  filesystem  unknown  -      -    0     -\n/dev/sda  device      -        -      -    0     -\n"
    );
    // libguestfs 1.48: the kernel cannot even read a superblock from an empty device.
    let cant_read = |tool: &str| {
        format!(
            "libguestfs: error: mount_options: mount exited with status 32: mount: /sysroot: can't read superblock on /dev/sda.\n       dmesg(1) may have more information after failed mount system call.\n{tool}: ‘/dev/sda’ could not be mounted.\n{tool}: Did you mean to mount one of these filesystems?\n{tool}: \t/dev/sda (unknown)\n"
        )
    };
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda", "/"]);
    expect_code(&r, 1);
    assert_eq!(r.stderr, cant_read("virt-ls"));
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda", "/etc/fstab"]);
    expect_code(&r, 1);
    assert_eq!(r.stderr, cant_read("virt-cat"));
    let r = run_on(&img, "virt-df", &["-a", i]);
    expect_code(&r, 0);
    assert_eq!(
        r.out(),
        "Filesystem                           1K-blocks       Used  Available  Use%\n"
    );
    let r = run_on(&img, "virt-alignment-scan", &["-a", i]);
    assert!(r.out().is_empty(), "{}", r.out());
}

#[test]
fn directory_given_as_image() {
    let tmp = TempDir::new("hostile-dir");
    let img = tmp.join("a-directory");
    fs::create_dir(&img).unwrap();
    fs::write(img.join("inside"), "x").unwrap();
    let i = s(&img);
    for (tool, args) in [
        ("virt-cat", vec!["-a", i, "-m", "/dev/sda", "/a"]),
        ("virt-ls", vec!["-a", i, "-m", "/dev/sda", "/"]),
        ("virt-filesystems", vec!["-a", i, "--all", "--long"]),
        ("virt-df", vec!["-a", i]),
        ("virt-alignment-scan", vec!["-a", i]),
    ] {
        let r = run_on(&img, tool, &args);
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}: {}", r.cmdline, r.stderr);
        assert!(
            r.stderr.starts_with("libguestfs: error: ") && r.stderr.contains("Is a directory"),
            "{}: {}",
            r.cmdline,
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
    assert_eq!(fs::read(img.join("inside")).unwrap(), b"x");
}

#[test]
fn image_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new("hostile-perm");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let fs_img = hostile::plain_fs(&work, "perm");
    let readable = hostile::mbr_disk(&fs_img, &tmp.join("readable.img"), 4);
    let locked = tmp.join("locked.img");
    fs::copy(&readable, &locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let l = s(&locked);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // As in 1.48, root reads the image anyway: the same answers as for a readable copy.
        for args in [
            vec!["virt-filesystems", "--all", "--long"],
            vec!["virt-cat", "-m", "/dev/sda1", "/a"],
            vec!["virt-ls", "-m", "/dev/sda1", "-lR", "/"],
        ] {
            let (tool, rest) = args.split_first().unwrap();
            let mut a = vec!["-a", l];
            a.extend_from_slice(rest);
            let r_locked = run_on(&locked, tool, &a);
            a[1] = s(&readable);
            let r_open = run_on(&readable, tool, &a);
            expect_code(&r_locked, 0);
            assert_eq!(r_locked.out(), r_open.out(), "{}", r_locked.cmdline);
        }
        assert_eq!(
            fs::metadata(&locked).unwrap().permissions().mode() & 0o777,
            0,
            "mode changed"
        );
    } else {
        for (tool, args) in [
            ("virt-cat", vec!["-a", l, "/a"]),
            ("virt-filesystems", vec!["-a", l]),
        ] {
            let r = run_on(&locked, tool, &args);
            expect_code(&r, 1);
            assert_eq!(
                r.stderr,
                format!("{}: access: {}: Permission denied\n", tool, l)
            );
        }
    }
}

#[test]
fn truncated_raw_disk() {
    let tmp = TempDir::new("hostile-trunc");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let img = hostile::truncated_raw(&work, &tmp.join("trunc.img"));
    let runs = all_tools(&img, "/dev/sda1");
    let listing = &runs[0];
    expect_code(listing, 0);
    assert!(listing.out().contains("/dev/sda1"), "{}", listing.out());
    // The partition runs past the end of the disk and the filesystem past the partition: the
    // kernel refuses to mount it.
    let r = run_on(&img, "virt-cat", &["-a", s(&img), "-m", "/dev/sda1", "/a"]);
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        wrong_fs_type("virt-cat", "/dev/sda1", &[("/dev/sda1", "ext4")])
    );
    let df = run_on(&img, "virt-df", &["-a", s(&img)]);
    expect_code(&df, 0);
}

#[test]
fn truncated_qcow2() {
    let tmp = TempDir::new("hostile-qtrunc");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    // Cut inside the header cluster, and after the metadata clusters but before the data:
    // qemu reads what is missing as zeros, so libguestfs 1.48 sees a blank 4 MiB disk.
    for len in [1000u64, 200_000] {
        let img = hostile::truncated_qcow2(&work, &tmp.join(&format!("t{}.qcow2", len)), len);
        let r = run_on(
            &img,
            "virt-filesystems",
            &["-a", s(&img), "--all", "--long"],
        );
        expect_code(&r, 0);
        assert_eq!(
            r.out(),
            "Name      Type        VFS      Label  MBR  Size     Parent\n/dev/sda  filesystem  unknown  -      -    4194304  -\n/dev/sda  device      -        -      -    4194304  -\n",
            "{}",
            r.cmdline
        );
        all_tools(&img, "/dev/sda");
    }
    // Cut in the middle of the data: the filesystem is found but cannot be mounted whole.
    let img = hostile::truncated_qcow2(&work, &tmp.join("mid.qcow2"), 400_000);
    all_tools(&img, "/dev/sda");
}

#[test]
fn qcow2_whose_backing_file_is_missing() {
    let tmp = TempDir::new("hostile-backing");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let img = hostile::qcow2_missing_backing(&work, &tmp.join("overlay.qcow2"));
    for r in all_tools(&img, "/dev/sda") {
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}: {}", r.cmdline, r.stderr);
        assert!(
            r.stderr.starts_with("libguestfs: error: ")
                && r.stderr.contains("deleted-base.qcow2")
                && r.stderr.ends_with(": No such file or directory\n"),
            "{}: {}",
            r.cmdline,
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{}", r.cmdline);
    }
}

#[test]
fn qcow2_backing_chain_that_loops() {
    let tmp = TempDir::new("hostile-qloop");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let img = hostile::qcow2_backing_loop(&work, &tmp.join("loop-a.qcow2"));
    let other = tmp.join("loop-b.qcow2");
    let other_before = hostile::fingerprint(&other);
    for r in all_tools(&img, "/dev/sda") {
        expect_code(&r, 1);
        assert!(
            r.stderr.starts_with("libguestfs: error: "),
            "{}: {}",
            r.cmdline,
            r.stderr
        );
    }
    assert_eq!(
        hostile::fingerprint(&other),
        other_before,
        "backing file changed"
    );
}

/// Backing files that are not disk images: devices, a FIFO, a socket, a directory and kernel
/// files. Both backends refuse them in one line before opening anything (the appliance
/// before qemu, which would follow them itself), and nothing blocks on the FIFO.
#[test]
fn qcow2_backing_files_must_be_regular_files() {
    let tmp = TempDir::new("hostile-backing-kind");
    let work = tmp.path();
    let fifo = work.join("fifo");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let socket = work.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let dir = work.join("a-directory");
    fs::create_dir(&dir).unwrap();
    let proc_link = work.join("environ-link");
    std::os::unix::fs::symlink("/proc/self/environ", &proc_link).unwrap();
    let cases: [(&Path, &str); 7] = [
        (
            Path::new("/dev/null"),
            "a character device, not a regular file",
        ),
        (
            Path::new("/dev/zero"),
            "a character device, not a regular file",
        ),
        (&fifo, "a FIFO, not a regular file"),
        (&socket, "a socket, not a regular file"),
        (&dir, "a directory, not a regular file"),
        (
            Path::new("/proc/self/environ"),
            "is a kernel file, not a disk image",
        ),
        (&proc_link, "is a kernel file, not a disk image"),
    ];
    for (i, (backing, why)) in cases.iter().enumerate() {
        let img = hostile::qcow2_over(backing, &work.join(format!("over-{}.qcow2", i)));
        let start = format!(
            "libguestfs: error: {}: backing file {} (",
            img.display(),
            backing.display()
        );
        refused_by_both_backends(&img, &["-m", "/dev/sda", "/"], &start, why);
    }
}

/// virt-ls (or virt-cat, with a file) on `img` fails on both backends with one error line
/// that starts with `start` and contains `why`.
fn refused_by_both_backends(img: &Path, args: &[&str], start: &str, why: &str) {
    let tool = if args.last() == Some(&"/") {
        "virt-ls"
    } else {
        "virt-cat"
    };
    for backend in ["native", "direct"] {
        let r = run_on_backend(img, tool, &[&["-a", s(img)], args].concat(), backend);
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}: {}", r.cmdline, r.stderr);
        assert!(
            r.stderr.starts_with(start) && r.stderr.contains(why),
            "{} ({}): {}",
            r.cmdline,
            backend,
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
}

/// qemu opens a qcow2 image's external data file by the name in its header: the appliance
/// checks it as it checks backing files (the native backend does not read data files).
#[test]
fn qcow2_external_data_file_must_be_a_regular_file() {
    let tmp = TempDir::new("hostile-data-file");
    let img = tmp.join("data.qcow2");
    virt_tools_tests::sh(
        std::process::Command::new("qemu-img")
            .current_dir(tmp.path())
            .args(["create", "-q", "-f", "qcow2", "-o", "data_file=data.raw"])
            .args(["data.qcow2", "4M"]),
    );
    fs::remove_file(tmp.join("data.raw")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", tmp.join("data.raw")).unwrap();
    let r = run_on_backend(
        &img,
        "virt-ls",
        &["-a", s(&img), "-m", "/dev/sda", "/"],
        "direct",
    );
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        format!(
            "libguestfs: error: {i}: data file data.raw ({d}): a character device, not a regular file\n",
            i = img.display(),
            d = tmp.join("data.raw").display()
        )
    );
}

/// qemu opens the extents of a VMDK descriptor and the backing file of a QED image by the
/// names they hold: the appliance checks them as it checks qcow2 backing files, and a sound
/// image made by qemu-img passes.
#[test]
fn vmdk_extents_and_qed_backing_files_must_be_regular_files() {
    let tmp = TempDir::new("hostile-vmdk-qed");
    let qemu_img = |args: &[&str]| {
        virt_tools_tests::sh(
            std::process::Command::new("qemu-img")
                .current_dir(tmp.path())
                .args(args),
        )
    };
    let vmdk = tmp.join("disk.vmdk");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "vmdk",
        "-o",
        "subformat=monolithicFlat",
        "disk.vmdk",
        "4M",
    ]);
    // The native backend reads the extents itself, after the same check.
    for backend in ["direct", "native"] {
        let sound = run_on_backend(&vmdk, "virt-filesystems", &["-a", s(&vmdk)], backend);
        expect_code(&sound, 0);
    }
    let flat = tmp.join("disk-flat.vmdk");
    fs::remove_file(&flat).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &flat).unwrap();
    for backend in ["direct", "native"] {
        let r = run_on_backend(&vmdk, "virt-filesystems", &["-a", s(&vmdk)], backend);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            format!(
                "libguestfs: error: {}: extent disk-flat.vmdk ({}): a character device, not a regular file\n",
                vmdk.display(),
                flat.display()
            ),
            "{}",
            backend
        );
    }

    let fifo = tmp.join("fifo");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    qemu_img(&["create", "-q", "-f", "raw", "base.raw", "4M"]);
    qemu_img(&[
        "create", "-q", "-f", "qed", "-b", "base.raw", "-F", "raw", "over.qed",
    ]);
    fs::remove_file(tmp.join("base.raw")).unwrap();
    std::os::unix::fs::symlink(&fifo, tmp.join("base.raw")).unwrap();
    let qed = tmp.join("over.qed");
    let r = run_on_backend(&qed, "virt-filesystems", &["-a", s(&qed)], "direct");
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        format!(
            "libguestfs: error: {}: backing file base.raw ({}): a FIFO, not a regular file\n",
            qed.display(),
            tmp.join("base.raw").display()
        )
    );
}

/// Damaged VHD, VDI, VHDX and VMDK images: the native backend refuses each in one line and
/// exits 1 (the tables are checked against the file before anything is allocated from them).
#[test]
fn damaged_virtual_disk_images_are_one_line() {
    let tmp = TempDir::new("hostile-diskfmt");
    let create = |format: &str, options: &str, name: &str| -> (PathBuf, Vec<u8>) {
        let img = tmp.join(name);
        virt_tools_tests::sh(
            std::process::Command::new("qemu-img")
                .args(["create", "-q", "-f", format, "-o", options])
                .arg(&img)
                .arg("64M"),
        );
        let bytes = fs::read(&img).unwrap();
        (img, bytes)
    };
    let mut damaged = Vec::new();
    // A VHD whose BAT has far more entries than the file holds.
    let (img, mut b) = create("vpc", "subformat=dynamic", "entries.vhd");
    b[512 + 28..512 + 32].copy_from_slice(&0x1fff_ffffu32.to_be_bytes());
    fs::write(&img, &b).unwrap();
    damaged.push((img, "corrupt VHD image"));
    // A VDI whose block map lies past the end of the file.
    let (img, mut b) = create("vdi", "static=off", "map.vdi");
    b[340..344].copy_from_slice(&0x7fff_fe00u32.to_le_bytes());
    fs::write(&img, &b).unwrap();
    damaged.push((img, "corrupt VDI image"));
    // A VHDX cut short inside its headers.
    let (img, b) = create("vhdx", "subformat=dynamic", "short.vhdx");
    fs::write(&img, &b[..100_000]).unwrap();
    damaged.push((img, "corrupt VHDX image"));
    // A sparse VMDK claiming a grain directory larger than any disk's.
    let (img, mut b) = create("vmdk", "subformat=monolithicSparse", "capacity.vmdk");
    b[12..20].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    fs::write(&img, &b).unwrap();
    damaged.push((img, "corrupt VMDK image"));
    for (img, why) in &damaged {
        let r = run_on_backend(img, "virt-filesystems", &["-a", s(img)], "native");
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}: {}", r.cmdline, r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("libguestfs: error: {}: ", img.display()))
                && r.stderr.contains(why),
            "{}: {}",
            r.cmdline,
            r.stderr
        );
    }
}

/// A backing chain longer than 32 images is refused by both backends; 32 are read.
#[test]
fn qcow2_backing_chains_are_bounded() {
    let tmp = TempDir::new("hostile-chain");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let longest = hostile::qcow2_long_chain(&work, &tmp.join("top-32.qcow2"), 32);
    let r = run_on(
        &longest,
        "virt-cat",
        &["-a", s(&longest), "-m", "/dev/sda", "/a"],
    );
    expect_code(&r, 0);
    assert_eq!(r.out(), "hi\n");
    let too_long = hostile::qcow2_long_chain(&work, &tmp.join("top-33.qcow2"), 33);
    refused_by_both_backends(
        &too_long,
        &["-m", "/dev/sda", "/a"],
        "libguestfs: error: ",
        ": backing chain longer than 32 images\n",
    );
}

#[test]
fn gpt_with_bad_header_crcs() {
    let tmp = TempDir::new("hostile-gpt");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let good = hostile::gpt_disk(&work, &tmp.join("good.img"));
    // The intact disk first, so the damaged ones below can only pass for the right reason.
    let r = run_on(
        &good,
        "virt-filesystems",
        &["-a", s(&good), "--all", "--long"],
    );
    expect_code(&r, 0);
    assert!(
        r.out()
            .lines()
            .any(|l| l.starts_with("/dev/sda1  filesystem  ext4 ")),
        "{}",
        r.out()
    );

    let last_lba = hostile::GPT_DISK_SIZE / 512 - 1;
    let primary = tmp.join("bad-primary.img");
    fs::copy(&good, &primary).unwrap();
    hostile::corrupt_gpt_header_crc(&primary, 1);
    let both = tmp.join("bad-both.img");
    fs::copy(&primary, &both).unwrap();
    hostile::corrupt_gpt_header_crc(&both, last_lba);
    // The kernel trusts only a valid primary header (the backup is read only with the `gpt`
    // boot option, which libguestfs does not give): libguestfs 1.48 sees no partitions.
    for img in [&primary, &both] {
        let i = s(img);
        let r = run_on(img, "virt-filesystems", &["-a", i, "--all", "--long"]);
        expect_code(&r, 0);
        assert_eq!(
            r.out(),
            "Name      Type        VFS      Label  MBR  Size     Parent\n/dev/sda  filesystem  unknown  -      -    8388608  -\n/dev/sda  device      -        -      -    8388608  -\n",
            "{}",
            r.cmdline
        );
        let r = run_on(img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "/"]);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            no_such_device("virt-ls", "/dev/sda1", &[("/dev/sda", "unknown")])
        );
        all_tools(img, "/dev/sda1");
    }
}

#[test]
fn mbr_extended_partition_chain_that_loops() {
    let tmp = TempDir::new("hostile-ebr");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let img = hostile::mbr_extended_loop(&work, &tmp.join("ebr-loop.img"));
    let i = s(&img);
    let r = run_on(&img, "virt-filesystems", &["-a", i, "--partitions"]);
    expect_code(&r, 0);
    let parts: Vec<String> = r.out().lines().map(str::to_string).collect();
    assert!(parts.contains(&"/dev/sda1".to_string()), "{:?}", parts);
    assert!(parts.contains(&"/dev/sda5".to_string()), "{:?}", parts);
    // The kernel stops at its per-disk partition limit (minor numbers up to 255).
    assert!(parts.len() <= 256, "{} partitions", parts.len());
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda5", "/a"]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "hi\n");
    for r in all_tools(&img, "/dev/sda5") {
        expect_code(&r, 0);
    }
}

#[test]
fn ext4_with_zeroed_superblock() {
    let tmp = TempDir::new("hostile-sb0");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let img = hostile::ext4_zeroed_superblock(&work, &tmp.join("sb0.img"));
    let i = s(&img);
    let r = run_on(&img, "virt-filesystems", &["-a", i]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "", "no filesystem is left to list");
    let r = run_on(
        &img,
        "virt-filesystems",
        &["-a", i, "--all", "--long", "--csv"],
    );
    expect_code(&r, 0);
    assert!(
        r.out().contains("/dev/sda1,filesystem,unknown,"),
        "{}",
        r.out()
    );
    for tool in ["virt-ls", "virt-cat"] {
        let r = run_on(&img, tool, &["-a", i, "-m", "/dev/sda1", "/a"]);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            wrong_fs_type(tool, "/dev/sda1", &[("/dev/sda1", "unknown")])
        );
    }
    all_tools(&img, "/dev/sda1");
}

#[test]
fn ext4_with_garbled_superblock() {
    let tmp = TempDir::new("hostile-sbg");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    for seed in 1..=6 {
        let img =
            hostile::ext4_garbled_superblock(&work, &tmp.join(&format!("g{}.img", seed)), seed);
        all_tools(&img, "/dev/sda1");
    }
}

#[test]
fn ext4_directory_loop() {
    let tmp = TempDir::new("hostile-dirloop");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let img = hostile::ext4_directory_loop(&work, &tmp.join("dirloop.img"));
    let i = s(&img);
    // The kernel refuses to look a directory up below itself ("would have caused loop"):
    // libguestfs 1.48 reports ELOOP for the looping entry.
    let r = run_on(
        &img,
        "virt-cat",
        &["-a", i, "-m", "/dev/sda1", "/d/sub/loop/f"],
    );
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        "libguestfs: error: download: /d/sub/loop/f: Too many levels of symbolic links\n"
    );
    let r = run_on(
        &img,
        "virt-ls",
        &["-a", i, "-m", "/dev/sda1", "/d/sub/loop"],
    );
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        "libguestfs: error: ls0: opendir: /d/sub/loop: Too many levels of symbolic links\n"
    );
    // Listing the entry itself is fine: it is the lookup below it that loops.
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "/d/sub"]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "loop\n");
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-lR", "/d"]);
    expect_code(&r, 0);
    let paths: Vec<String> = r
        .out()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3).map(str::to_string))
        .collect();
    assert_eq!(paths, ["/d", "/d/f", "/d/sub"], "{}", r.out());
    for r in all_tools(&img, "/dev/sda1") {
        assert!(
            r.stdout.len() < 4096,
            "{}: {} bytes",
            r.cmdline,
            r.stdout.len()
        );
    }
}

/// A sandbox: `outside/` (where the hostile links point, with `secret`) next to `dest/`.
struct Sandbox {
    _tmp: TempDir,
    root: PathBuf,
    outside: PathBuf,
    dest: PathBuf,
    work: PathBuf,
}

impl Sandbox {
    fn new(tag: &str) -> Sandbox {
        let tmp = TempDir::new(tag);
        let root = tmp.join("sandbox");
        let outside = root.join("outside");
        let dest = root.join("dest");
        let work = tmp.join("work");
        for d in [&outside, &dest, &work] {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(outside.join("secret"), "HOST SECRET\n").unwrap();
        Sandbox {
            root,
            outside,
            dest,
            work,
            _tmp: tmp,
        }
    }
    fn outside(&self) -> Outside<'_> {
        Outside { dir: &self.outside }
    }
    /// Everything in the sandbox but the destination's content.
    fn snapshot(&self) -> Vec<String> {
        hostile::snapshot(&self.root, &self.dest)
    }
    /// Every path under the whole sandbox (for "no file named pwned anywhere").
    fn all_paths(&self) -> Vec<String> {
        hostile::snapshot(&self.root, Path::new("/nonexistent"))
    }
}

fn hostile_names_image(sb: &Sandbox) -> PathBuf {
    hostile::hostile_names(&sb.work, &sb.work.join("hostile.img"), &sb.outside())
}

#[test]
fn hostile_names_do_not_reach_the_host() {
    let sb = Sandbox::new("hostile-names");
    let img = hostile_names_image(&sb);
    let i = s(&img);
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/hello"]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "hello from the guest\n");
    // Symlinks resolve inside the guest, where their targets do not exist.
    for link in ["/abs", "/absdir/secret", "/up/secret", "/dir/climb/abs"] {
        let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", link]);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            format!(
                "libguestfs: error: download: {}: No such file or directory\n",
                link
            )
        );
        assert!(!r.out().contains("HOST SECRET"));
    }
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-lR", "/"]);
    expect_code(&r, 0);
    let out = r.out();
    assert!(
        out.contains(&format!(" /abs -> {}/secret\n", s(&sb.outside))),
        "{}",
        out
    );
    assert!(out.contains(" /new\nline\n"), "{}", out);
    assert!(out.contains(&format!(" /{}\n", "L".repeat(255))), "{}", out);
    assert!(!out.contains("HOST SECRET"));
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "/"]);
    expect_code(&r, 0);
    assert!(
        !r.out().lines().any(|l| l == "." || l == ".."),
        "{}",
        r.out()
    );
    for r in all_tools(&img, "/dev/sda1") {
        assert!(!r.out().contains("HOST SECRET"), "{}", r.cmdline);
    }
}

#[test]
fn names_with_a_slash_make_the_directory_unreadable() {
    let sb = Sandbox::new("hostile-slash");
    let img = hostile::slash_names(&sb.work, &sb.work.join("slash.img"), &sb.outside());
    let i = s(&img);
    // The kernel's readdir refuses a name containing `/` (EIO) after 1.48's ls0 has
    // replied: the transfer is cancelled, which is all 1.48's library reports.
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "/bad"]);
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        "libguestfs: error: file receive cancelled by daemon\n"
    );
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "/"]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "bad\nevil\ngood\nlost+found\n");
    let r = run_on(
        &img,
        "virt-cat",
        &["-a", i, "-m", "/dev/sda1", "/good/file"],
    );
    expect_code(&r, 0);
    assert_eq!(r.out(), "fine\n");
    // The name `evil/pwned` must not be taken as the path through the `evil` symlink.
    let r = run_on(
        &img,
        "virt-cat",
        &["-a", i, "-m", "/dev/sda1", "/evil/secret"],
    );
    expect_code(&r, 1);
    all_tools(&img, "/dev/sda1");
}

/// Opens an image read-only with the library and mounts `/dev/sda1` on `/`.
fn library_handle(img: &Path) -> guestfs::Handle {
    let mut g = guestfs::Handle::new();
    g.set_backend("native").unwrap();
    g.add_drive_opts(
        s(img),
        guestfs::AddDriveOpts {
            readonly: Some(true),
            format: Some("raw".into()),
            ..Default::default()
        },
    )
    .unwrap();
    g.launch().unwrap();
    g.mount_ro("/dev/sda1", "/").unwrap();
    g
}

/// A tar member: raw name, type, raw link name.
type Member = (Vec<u8>, tar::EntryType, Option<Vec<u8>>);

/// The member names of a tar archive (raw bytes, before any path interpretation).
fn tar_members(archive: &[u8]) -> Vec<Member> {
    let mut a = tar::Archive::new(archive);
    let mut out = Vec::new();
    for e in a.entries().expect("tar entries") {
        let e = e.expect("tar entry");
        let name = e.path_bytes().into_owned();
        let link = e.link_name_bytes().map(|l| l.into_owned());
        out.push((name, e.header().entry_type(), link));
    }
    out
}

/// Asserts no member of an archive could land outside the directory it is unpacked in.
fn assert_members_stay_inside(members: &[Member]) {
    assert!(!members.is_empty(), "empty archive");
    for (name, kind, link) in members {
        let shown = String::from_utf8_lossy(name);
        assert!(
            name.starts_with(b"./"),
            "member {:?} is not relative to ./",
            shown
        );
        assert!(!name.contains(&0), "member {:?} has a NUL", shown);
        assert!(
            !name.split(|b| *b == b'/').any(|c| c == b".."),
            "member {:?} climbs with ..",
            shown
        );
        if *kind == tar::EntryType::Link {
            let l = link.as_deref().unwrap_or_default();
            assert!(
                l.starts_with(b"./") && !l.split(|b| *b == b'/').any(|c| c == b".."),
                "hard link {:?} -> {:?} leaves the archive",
                shown,
                String::from_utf8_lossy(l)
            );
        }
    }
}

#[test]
fn tar_out_member_names_never_leave_the_archive_root() {
    let sb = Sandbox::new("hostile-tar");
    let img = hostile_names_image(&sb);
    let before = hostile::fingerprint(&img);
    let mut g = library_handle(&img);
    let mut archive = Vec::new();
    g.tar_out_to("/", &mut archive, Default::default()).unwrap();
    drop(g);
    assert_eq!(hostile::fingerprint(&img), before);
    let members = tar_members(&archive);
    assert_members_stay_inside(&members);
    let names: Vec<String> = members
        .iter()
        .map(|(n, _, _)| String::from_utf8_lossy(n).into_owned())
        .collect();
    for expected in [
        "./hello",
        "./new\nline",
        "./abs",
        "./hard1",
        "./mem",
        "./fifo",
        "./dir/inner",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{} missing from {:?}",
            expected,
            names
        );
    }
    // Symlinks are archived as links with the guest's target, never followed.
    let abs = members.iter().find(|(n, _, _)| n == b"./abs").unwrap();
    assert_eq!(abs.1, tar::EntryType::Symlink);
    assert_eq!(
        abs.2.as_deref(),
        Some(format!("{}/secret", s(&sb.outside)).as_bytes())
    );
    // The NUL name and the renamed `..`/`.` entries are not archived as members.
    assert!(!names.iter().any(|n| n.starts_with("./nul")), "{:?}", names);
}

#[test]
fn copy_out_never_writes_outside_the_destination() {
    let sb = Sandbox::new("hostile-copy");
    let img = hostile_names_image(&sb);
    let before_img = hostile::fingerprint(&img);
    let before = sb.snapshot();
    let mut g = library_handle(&img);
    g.set_error_handler_quiet();
    let first = g.copy_out("/", &sb.dest.to_string_lossy());
    // Again into the same destination: now it holds the guest's symlinks to the outside,
    // which a second extraction must replace or refuse, never write through.
    let second = g.copy_out("/", &sb.dest.to_string_lossy());
    drop(g);
    assert_eq!(hostile::fingerprint(&img), before_img);
    assert_eq!(
        sb.snapshot(),
        before,
        "copy-out changed something outside the destination"
    );
    assert_eq!(
        fs::read_to_string(sb.outside.join("secret")).unwrap(),
        "HOST SECRET\n"
    );
    assert!(first.is_ok(), "{:?}", first);
    assert!(second.is_ok(), "{:?}", second);
    // What was copied is the guest's own content, links kept as links.
    let d = &sb.dest;
    assert_eq!(
        fs::read_to_string(d.join("hello")).unwrap(),
        "hello from the guest\n"
    );
    assert_eq!(
        fs::read_to_string(d.join("new\nline")).unwrap(),
        "newline\n"
    );
    assert_eq!(
        fs::read_link(d.join("abs")).unwrap(),
        sb.outside.join("secret")
    );
    assert!(fs::symlink_metadata(d.join("up"))
        .unwrap()
        .file_type()
        .is_symlink());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        fs::metadata(d.join("hard1")).unwrap().ino(),
        fs::metadata(d.join("hard2")).unwrap().ino(),
        "hard links stay linked"
    );
    assert!(
        !sb.all_paths()
            .iter()
            .any(|p| p.contains("pwned") && !p.starts_with("dest/")),
        "{:?}",
        sb.all_paths()
    );
}

#[test]
fn copy_out_into_a_destination_with_planted_symlinks() {
    let sb = Sandbox::new("hostile-plant");
    let img = hostile_names_image(&sb);
    // Left by an earlier extraction of another image: names the guest also has, as
    // symlinks pointing out of the destination.
    for name in ["hello", "dir", "hard1", "new\nline"] {
        std::os::unix::fs::symlink(&sb.outside, sb.dest.join(name)).unwrap();
    }
    std::os::unix::fs::symlink(sb.outside.join("secret"), sb.dest.join("mem")).unwrap();
    let before = sb.snapshot();
    let mut g = library_handle(&img);
    g.set_error_handler_quiet();
    let _ = g.copy_out("/", &sb.dest.to_string_lossy());
    let _ = g.copy_out("/dir", &sb.dest.to_string_lossy());
    let _ = g.copy_out("/hello", &sb.dest.to_string_lossy());
    drop(g);
    assert_eq!(
        sb.snapshot(),
        before,
        "copy-out wrote through a planted symlink"
    );
    assert_eq!(
        fs::read_to_string(sb.outside.join("secret")).unwrap(),
        "HOST SECRET\n"
    );
}

#[test]
fn copy_out_of_a_directory_with_slash_names() {
    let sb = Sandbox::new("hostile-slashcopy");
    let img = hostile::slash_names(&sb.work, &sb.work.join("slash.img"), &sb.outside());
    let before = sb.snapshot();
    let mut g = library_handle(&img);
    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let m = messages.clone();
    g.set_error_handler(Box::new(move |msg: &str| {
        m.lock().unwrap().push(msg.to_string())
    }));
    let whole = g.copy_out("/", &sb.dest.to_string_lossy());
    let bad = g.copy_out("/bad", &sb.dest.to_string_lossy());
    let good = g.copy_out("/good", &sb.dest.to_string_lossy());
    let mut archive = Vec::new();
    let tar = g.tar_out_to("/bad", &mut archive, Default::default());
    drop(g);
    assert_eq!(sb.snapshot(), before);
    // As in 1.48, copy-out of a directory reports what it could not read but succeeds (it
    // ignores the result of the tar-out it streams); tar-out itself fails.
    assert!(
        whole.is_ok() && bad.is_ok() && tar.is_err(),
        "/bad cannot be read: {:?} {:?} {:?}",
        whole,
        bad,
        tar
    );
    // Each failure is said once: the listing of /bad was cancelled part-way.
    assert_eq!(
        *messages.lock().unwrap(),
        ["file receive cancelled by daemon"; 3]
    );
    assert!(good.is_ok(), "{:?}", good);
    assert_eq!(
        fs::read_to_string(sb.dest.join("good/file")).unwrap(),
        "fine\n"
    );
    let all = sb.all_paths();
    assert!(
        !all.iter()
            .any(|p| p.contains("pwned") || p.contains("escape")),
        "{:?}",
        all
    );
}

#[test]
fn virt_copy_out_and_virt_tar_out_on_hostile_images() {
    for t in ["virt-copy-out", "virt-tar-out"] {
        if !dispatched(t) {
            eprintln!(
                "{} is not in this build yet: skipped (the library test covers it)",
                t
            );
            return;
        }
    }
    let sb = Sandbox::new("hostile-tools");
    let img = hostile_names_image(&sb);
    let i = s(&img);
    let before = sb.snapshot();
    let r = run_on(
        &img,
        "virt-copy-out",
        &["-a", i, "-m", "/dev/sda1", "/", s(&sb.dest)],
    );
    expect_code(&r, 0);
    assert_eq!(
        fs::read_to_string(sb.dest.join("hello")).unwrap(),
        "hello from the guest\n"
    );
    let tarfile = sb.work.join("out.tar");
    let r = run_on(
        &img,
        "virt-tar-out",
        &["-a", i, "-m", "/dev/sda1", "/", s(&tarfile)],
    );
    expect_code(&r, 0);
    assert_members_stay_inside(&tar_members(&fs::read(&tarfile).unwrap()));
    let slash = hostile::slash_names(&sb.work, &sb.work.join("slash.img"), &sb.outside());
    let r = run_on(
        &slash,
        "virt-copy-out",
        &["-a", s(&slash), "-m", "/dev/sda1", "/", s(&sb.dest)],
    );
    // 1.48 reports the unreadable directory and goes on (exit 0), as the test above shows.
    expect_code(&r, 0);
    assert_eq!(
        r.stderr,
        "*stdin*:0: libguestfs: error: file receive cancelled by daemon\n"
    );
    let r = run_on(
        &slash,
        "virt-tar-out",
        &["-a", s(&slash), "-m", "/dev/sda1", "/bad", s(&tarfile)],
    );
    expect_code(&r, 1);
    assert_eq!(sb.snapshot(), before);
}

/// A Linux guest whose journal file is `content`.
fn guest_with_journal(work: &Path, name: &str, content: Vec<u8>) -> PathBuf {
    hostile::linux_guest(work, &work.join(name), &[("system.journal", content)])
}

#[test]
fn virt_log_with_truncated_or_corrupt_journal() {
    let Some(journal) = hostile::journal_sample() else {
        eprintln!("xz is not available: skipped");
        return;
    };
    let tmp = TempDir::new("hostile-journal");
    let work = tmp.path();
    // The intact journal first, so the damaged ones below are read through the same path.
    let ok = guest_with_journal(work, "ok.img", journal.clone());
    let r = run_on(&ok, "virt-log", &["-a", s(&ok)]);
    expect_code(&r, 0);
    assert!(
        r.out()
            .lines()
            .next()
            .unwrap_or("")
            .ends_with(" writer[1007] emerg: entry 0 of file 7"),
        "{}",
        r.out()
    );
    let mut garbage = journal[..4096].to_vec();
    garbage.extend((0..60_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    let mut bad_header = journal.clone();
    // header_size, arena_size and the hash table offsets: pointing anywhere.
    bad_header[88..136].copy_from_slice(&[0xff; 48]);
    let mut bad_objects = journal.clone();
    let half = bad_objects.len() / 2;
    for b in &mut bad_objects[half..half + 4096] {
        *b ^= 0x5a;
    }
    for (name, content) in [
        // Cut in half, as after a crash: its header's arena runs past the end of the file.
        ("trunc.img", journal[..journal.len() / 2].to_vec()),
        ("header-only.img", journal[..240].to_vec()),
        ("garbage.img", garbage),
        ("bad-header.img", bad_header),
        ("bad-objects.img", bad_objects),
        ("empty.img", Vec::new()),
    ] {
        let img = guest_with_journal(work, name, content);
        // libsystemd (1.48's reader) skips a journal file it cannot open and reads what it
        // can of one that opens: either way the tool ends normally or says why.
        let r = run_on(&img, "virt-log", &["-a", s(&img)]);
        if name != "bad-objects.img" {
            expect_code(&r, 0);
            assert_eq!(r.out(), "", "{}", r.cmdline);
        }
        run_on(&img, "virt-inspector", &["-a", s(&img)]);
        let r = run_on(&img, "virt-cat", &["-a", s(&img), "/etc/hostname"]);
        expect_code(&r, 0);
        assert_eq!(r.out(), "hostile.example.invalid\n");
    }
}

#[test]
fn virt_win_reg_with_hives_that_are_not_hives() {
    let tmp = TempDir::new("hostile-hive");
    let work = tmp.path();
    let software = hostile::hive_sample("windows-software.hive");
    let system = hostile::hive_sample("windows-system.hive");
    let ok = hostile::windows_guest(work, &work.join("ok.img"), &software, &system);
    let r = run_on(
        &ok,
        "virt-win-reg",
        &[s(&ok), "HKLM\\SYSTEM\\Select", "Current"],
    );
    expect_code(&r, 0);
    assert_eq!(r.out(), "1\n");
    let mut scrambled = software.clone();
    for b in &mut scrambled[4096..] {
        *b = b.rotate_left(3) ^ 0xa5;
    }
    let mut bad_root = software.clone();
    // The base block's root cell offset, pointing past the end.
    bad_root[36..40].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    for (name, sw, sy) in [
        (
            "text.img",
            b"this is not a registry hive\n".to_vec(),
            system.clone(),
        ),
        (
            "trunc.img",
            software[..5000].to_vec(),
            system[..100].to_vec(),
        ),
        ("scrambled.img", scrambled, system.clone()),
        ("bad-root.img", bad_root, system.clone()),
        ("empty.img", Vec::new(), Vec::new()),
    ] {
        let img = hostile::windows_guest(work, &work.join(name), &sw, &sy);
        let i = s(&img);
        for args in [
            vec![i, "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"],
            vec![
                i,
                "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
                "ProductName",
            ],
            vec![i, "HKLM\\SYSTEM\\Select"],
        ] {
            let r = run_on(&img, "virt-win-reg", &args);
            assert!(
                !r.stdout.is_empty() || !r.stderr.is_empty(),
                "{}: nothing said",
                r.cmdline
            );
        }
        run_on(&img, "virt-inspector", &["-a", i]);
        run_on(
            &img,
            "virt-ls",
            &["-a", i, "-m", "/dev/sda1", "-lR", "/Windows"],
        );
    }
}

#[test]
fn virt_diff_with_an_image_that_cannot_be_opened() {
    let tmp = TempDir::new("hostile-diff");
    let work = tmp.path();
    let good = hostile::linux_guest(work, &work.join("good.img"), &[]);
    let broken = hostile::qcow2_missing_backing(work, &work.join("broken.qcow2"));
    let zero = work.join("zero.img");
    fs::write(&zero, b"").unwrap();
    let dir = work.join("a-directory");
    fs::create_dir(&dir).unwrap();
    for (a, b) in [(&good, &broken), (&broken, &good), (&good, &dir)] {
        let r = run_on(b, "virt-diff", &["-a", s(a), "-A", s(b)]);
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}: {}", r.cmdline, r.stderr);
        assert!(r.stderr.starts_with("libguestfs: error: "), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let r = run_on(&zero, "virt-diff", &["-a", s(&good), "-A", s(&zero)]);
    expect_code(&r, 1);
    assert!(
        r.stderr
            .starts_with("virt-diff: no operating system was found on this disk\n"),
        "{}",
        r.stderr
    );
    // The same image twice is fine.
    let r = run_on(&good, "virt-diff", &["-a", s(&good), "-A", s(&good)]);
    expect_code(&r, 0);
}

#[test]
fn luks_guest_opens_with_the_right_passphrase_only() {
    let tmp = TempDir::new("hostile-luks");
    let work = tmp.path();
    let img = hostile::luks_guest(work, &work.join("luks.img"));
    // Encrypted volumes are opened by the appliance, which `auto` chooses for them.
    let good = ["-a", s(&img), "--key", "/dev/sda1:key:secret"];
    let r = run_on_backend(
        &img,
        "virt-cat",
        &[&good[..], &["/etc/hostname"]].concat(),
        "auto",
    );
    expect_code(&r, 0);
    assert_eq!(r.out(), "vaulted.example.invalid\n");
    // A wrong passphrase: 1.48's message, exit 1.
    let r = run_on_backend(
        &img,
        "virt-cat",
        &[
            "-a",
            s(&img),
            "--key",
            "/dev/sda1:key:wrong",
            "/etc/hostname",
        ],
        "auto",
    );
    expect_code(&r, 1);
    assert!(
        r.stderr.starts_with(
            "virt-cat: could not find key to open LUKS encrypted /dev/sda1.\n\nTry using --key on the command line.\n"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    // The opened volume is named after its LUKS UUID, and it is the root.
    let r = run_on_backend(
        &img,
        "virt-inspector",
        &[
            "-a",
            s(&img),
            "--key",
            "all:key:secret",
            "--no-applications",
        ],
        "auto",
    );
    expect_code(&r, 0);
    let xml = r.out();
    assert!(xml.contains("<root>/dev/mapper/luks-"), "{}", xml);
    assert!(
        xml.contains("<hostname>vaulted.example.invalid</hostname>"),
        "{}",
        xml
    );
}

/// libguestfs 1.48's copy-out streams a directory with tar-out and ignores tar-out's result:
/// an entry the guest cannot read is left out, `file receive cancelled by daemon` is printed
/// and the exit status is 0 (the files it could read are copied). A file named directly fails
/// with 1. The same on both backends.
#[test]
fn virt_copy_out_of_a_directory_with_an_unreadable_file_exits_0_as_1_48() {
    let sb = Sandbox::new("copy-out-unreadable");
    let tree = sb.work.join("tree");
    fs::create_dir_all(tree.join("d")).unwrap();
    fs::write(tree.join("d/bad"), vec![b'x'; 5000]).unwrap();
    fs::write(tree.join("d/good"), "fine\n").unwrap();
    let fs_img = hostile::mkfs_ext4(&tree, &sb.work.join("fs.img"), 4, &[]);
    // The extent header of d/bad no longer holds its magic: reading the file fails.
    hostile::debugfs_w(&fs_img, &["sif /d/bad block[0] 99999999"]);
    let img = hostile::mbr_disk(&fs_img, &sb.work.join("disk.img"), 8);
    for backend in ["native", "direct"] {
        let dest = sb.dest.join(backend);
        fs::create_dir_all(&dest).unwrap();
        let args = ["-a", s(&img), "-m", "/dev/sda1", "/d", s(&dest)];
        let r = run_on_backend(&img, "virt-copy-out", &args, backend);
        expect_code(&r, 0);
        assert_eq!(
            (r.out(), r.stderr.as_str()),
            (
                String::new(),
                "*stdin*:0: libguestfs: error: file receive cancelled by daemon\n"
            ),
            "{}",
            backend
        );
        assert_eq!(fs::read_to_string(dest.join("d/good")).unwrap(), "fine\n");
        assert!(!dest.join("d/bad").exists(), "{}", backend);
        let args = ["-a", s(&img), "-m", "/dev/sda1", "/d/bad", s(&dest)];
        expect_code(&run_on_backend(&img, "virt-copy-out", &args, backend), 1);
    }
}

/// virt-copy-out's argument errors as 1.48's guestfish copy-out gives them, once the guest is
/// mounted: the command's own usage line, and the library's check of the local directory.
#[test]
fn virt_copy_out_argument_errors_as_1_48() {
    let sb = Sandbox::new("copy-out-arguments");
    let fs_img = hostile::plain_fs(&sb.work, "plain");
    let img = hostile::mbr_disk(&fs_img, &sb.work.join("disk.img"), 8);
    let i = s(&img);
    let usage = "use 'copy-out <remote> [<remote>...] <localdir>' to copy files out of the image\n";
    let missing = sb.work.join("missing");
    let target = format!(
        "*stdin*:0: libguestfs: error: target ‘{}’ is not a directory\n",
        missing.display()
    );
    for (args, stderr) in [
        (vec!["-a", i, "-m", "/dev/sda1"], usage.to_string()),
        (
            vec!["-a", i, "-m", "/dev/sda1", s(&sb.dest)],
            usage.to_string(),
        ),
        (vec!["-a", i, "-m", "/dev/sda1", "/a", s(&missing)], target),
    ] {
        let r = run_on(&img, "virt-copy-out", &args);
        expect_code(&r, 1);
        assert_eq!(
            (r.out(), r.stderr.as_str()),
            (String::new(), stderr.as_str())
        );
    }
}

/// XFS (issue 13): a filesystem cut off in the middle is refused like a bad superblock; a file
/// claiming 4,000,000,000 extents and a block-map B-tree node that is its own child fail the
/// read of that file with one error line; the rest of the filesystem still reads.
#[test]
fn xfs_truncated_absurd_extents_and_btree_loop() {
    let tmp = TempDir::new("hostile-xfs");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();

    let img = hostile::xfs_truncated(&work, &tmp.join("trunc.img"));
    let i = s(&img);
    for tool in ["virt-ls", "virt-cat"] {
        let r = run_on(&img, tool, &["-a", i, "-m", "/dev/sda1", "/a"]);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            wrong_fs_type(tool, "/dev/sda1", &[("/dev/sda1", "xfs")])
        );
    }
    all_tools(&img, "/dev/sda1");

    for (name, why) in [
        ("absurd", "more extents than its data fork holds"),
        ("loop", "reached twice (a loop)"),
    ] {
        let out = tmp.join(&format!("{}.img", name));
        let img = if name == "absurd" {
            hostile::xfs_absurd_extent_count(&work, &out)
        } else {
            hostile::xfs_bmbt_self_loop(&work, &out)
        };
        let i = s(&img);
        let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/f"]);
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(why), "{}", r.stderr);
        let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/d/f"]);
        expect_code(&r, 0);
        assert_eq!(r.stdout.len(), 20000);
        let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-R", "/"]);
        assert_eq!(r.out(), "a\nd\nd/f\nf\n", "{}", r.stderr);
        all_tools(&img, "/dev/sda1");
    }
}

/// btrfs (issue 13): a filesystem cut off in the middle is refused like a bad superblock; a
/// tree node whose child is itself, a leaf item claiming 4 GiB and a leaf whose checksum is
/// wrong fail what lies behind them with one error line, never a panic or a hang.
#[test]
fn btrfs_truncated_btree_loop_absurd_item_and_bad_checksum() {
    let tmp = TempDir::new("hostile-btrfs");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();

    let img = hostile::btrfs_truncated(&work, &tmp.join("trunc.img"));
    let i = s(&img);
    for tool in ["virt-ls", "virt-cat"] {
        let r = run_on(&img, tool, &["-a", i, "-m", "/dev/sda1", "/a"]);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            wrong_fs_type(tool, "/dev/sda1", &[("/dev/sda1", "btrfs")])
        );
    }
    all_tools(&img, "/dev/sda1");

    // virt-ls -R receives the listing as a file: the daemon's error cancels the transfer,
    // which is all libguestfs says (the reasons are checked in libguestfs-core's tests).
    for name in ["loop", "absurd", "csum"] {
        let out = tmp.join(&format!("{}.img", name));
        let img = match name {
            "loop" => hostile::btrfs_btree_self_loop(&work, &out),
            "absurd" => hostile::btrfs_absurd_item_size(&work, &out),
            _ => hostile::btrfs_wrong_checksum(&work, &out),
        };
        let i = s(&img);
        let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-R", "/"]);
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}: {}", name, r.stderr);
        all_tools(&img, "/dev/sda1");
    }
}

/// btrfs subvolumes (issue 13): a subvolume that is its own parent fails the subvolume
/// listing (and so `list_filesystems`, as in 1.48) with one line; a directory entry naming a
/// subvolume that does not exist is the kernel's empty placeholder directory; an absurd
/// `subvolid=` is a failed mount, one line, exit 1.
#[test]
fn btrfs_subvolume_loop_missing_subvolume_and_absurd_subvolid() {
    let tmp = TempDir::new("hostile-btrfs-subvol");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();

    let img = hostile::btrfs_subvolume_own_parent(&work, &tmp.join("loop.img"));
    let i = s(&img);
    let r = run_on(&img, "virt-filesystems", &["-a", i]);
    expect_code(&r, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("form a loop"), "{}", r.stderr);
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-R", "/"]);
    assert_eq!(r.out(), "a\nd\nd/f\n", "{}", r.stderr);
    all_tools(&img, "/dev/sda1");

    let img = hostile::btrfs_entry_to_missing_subvolume(&work, &tmp.join("missing.img"));
    let i = s(&img);
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-R", "/"]);
    assert_eq!(r.out(), "a\nd\n", "{}", r.stderr);
    let r = run_on(
        &img,
        "guestfish",
        &["--ro", "-a", i, "-m", "/dev/sda1", "stat", "/d"],
    );
    expect_code(&r, 0);
    assert!(r.out().contains("ino: 2\n"), "{}", r.out());
    all_tools(&img, "/dev/sda1");

    for id in ["18446744073709551615", "999", "-1"] {
        let opt = format!("subvolid={}", id);
        let r = run_on(
            &img,
            "guestfish",
            &[
                "--ro",
                "-a",
                i,
                "run",
                ":",
                "mount-options",
                &opt,
                "/dev/sda1",
                "/",
            ],
        );
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    }
}

/// squashfs (issue 13): a filesystem cut off in the middle is refused like a bad superblock; a
/// file naming a fragment that does not exist, one claiming a million blocks and one whose
/// block expands past the block size (a decompression bomb) fail with one error line; a
/// directory that contains itself is a loop; the rest of the filesystem still reads.
#[test]
fn squashfs_truncated_fragment_absurd_blocks_bomb_and_loop() {
    let tmp = TempDir::new("hostile-squashfs");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();

    let img = hostile::squashfs_truncated(&work, &tmp.join("trunc.img"));
    let i = s(&img);
    for tool in ["virt-ls", "virt-cat"] {
        let r = run_on(&img, tool, &["-a", i, "-m", "/dev/sda1", "/a"]);
        expect_code(&r, 1);
        assert_eq!(
            r.stderr,
            wrong_fs_type(tool, "/dev/sda1", &[("/dev/sda1", "squashfs")])
        );
    }
    all_tools(&img, "/dev/sda1");

    for (name, why) in [
        ("frag", "fragment index 1000 out of range"),
        ("absurd", "larger than the block size"),
        ("bomb", "expands past 4096 bytes"),
    ] {
        let out = tmp.join(&format!("{}.img", name));
        let img = match name {
            "frag" => hostile::squashfs_fragment_out_of_range(&work, &out),
            "absurd" => hostile::squashfs_absurd_block_count(&work, &out),
            _ => hostile::squashfs_decompression_bomb(&work, &out),
        };
        let i = s(&img);
        let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/f"]);
        expect_code(&r, 1);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(why), "{}", r.stderr);
        let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/d/f"]);
        expect_code(&r, 0);
        assert_eq!(r.stdout.len(), 20000);
        let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "-R", "/"]);
        assert_eq!(r.out(), "a\nd\nd/f\nf\n", "{}", r.stderr);
        all_tools(&img, "/dev/sda1");
    }

    let img = hostile::squashfs_directory_loop(&work, &tmp.join("loop.img"));
    let i = s(&img);
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda1", "/"]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "a\nd\nf\n");
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/d/a"]);
    expect_code(&r, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda1", "/a"]);
    expect_code(&r, 0);
    assert_eq!(r.out(), "hi\n");
    for r in all_tools(&img, "/dev/sda1") {
        assert!(r.code == 0 || r.code == 1, "{}", r.cmdline);
    }
}

/// ISO 9660 (issue 13): a Rock Ridge continuation area that chains to itself hides the file as
/// the kernel does (32 areas at most); a record of length 0 ends its sector; a file whose
/// extent lies beyond the image fails its read with one line; a child link (CL) to the root
/// makes a directory that holds itself, which the tree walk visits once.
#[test]
fn iso9660_ce_loop_zero_record_extent_beyond_and_cl_loop() {
    let tmp = TempDir::new("hostile-iso");
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();

    let img = hostile::iso_ce_loop(&work, &tmp.join("ce.iso"));
    let i = s(&img);
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda", "-R", "/"]);
    assert_eq!(r.out(), "a\nd\nd/f\n", "{}", r.stderr);
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda", "/d/f"]);
    expect_code(&r, 0);
    assert_eq!(r.stdout.len(), 20000);

    let img = hostile::iso_zero_length_record(&work, &tmp.join("zero.iso"));
    let i = s(&img);
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda", "-R", "/"]);
    expect_code(&r, 0);
    // The root's records after `a` are in the same sector: gone, as with the kernel.
    assert_eq!(r.out(), "", "{}", r.stderr);

    let img = hostile::iso_extent_beyond(&work, &tmp.join("beyond.iso"));
    let i = s(&img);
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda", "/f"]);
    expect_code(&r, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = run_on(&img, "virt-cat", &["-a", i, "-m", "/dev/sda", "/d/f"]);
    expect_code(&r, 0);
    assert_eq!(r.stdout.len(), 20000);

    let img = hostile::iso_relocation_loop(&work, &tmp.join("cl.iso"));
    let i = s(&img);
    let r = run_on(&img, "virt-ls", &["-a", i, "-m", "/dev/sda", "-R", "/"]);
    expect_code(&r, 0);
    assert!(r.out().starts_with("a\nd\nd/f\nf\n"), "{}", r.out());
    all_tools(&img, "/dev/sda");
}
