//! Disk image formats (issue 12 item 13, issue 13 item 2). Images made by `qemu-img convert`
//! in every format and subformat it writes are given the format qemu-img itself names (the
//! probe rules of qemu's block drivers); the native backend reads raw, qcow2, VMDK, VDI, VHD
//! and VHDX; the appliance reads the others, `auto` sends them there, and `native` refuses
//! them in one line. `--format=` takes any format qemu knows, as 1.48 does.

use guestfs::block::probe::probe_file;
use std::path::{Path, PathBuf};
use std::process::Command;
use virt_tools_tests::hostile::{self, expect_code, run_on_backend};
use virt_tools_tests::{sh, TempDir};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The format `qemu-img info` names for an image (its `file format:` line).
fn qemu_img_format(img: &Path) -> String {
    let out = sh(Command::new("qemu-img").args(["info", "-U"]).arg(img));
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("file format: "))
        .expect("file format in qemu-img info")
        .to_string()
}

/// `raw` converted with `qemu-img convert -O FORMAT [-o OPTIONS]` into `out`.
fn convert(raw: &Path, format: &str, options: Option<&str>, out: &Path) -> PathBuf {
    let mut cmd = Command::new("qemu-img");
    cmd.args(["convert", "-q", "-f", "raw", "-O", format]);
    if let Some(o) = options {
        cmd.args(["-o", o]);
    }
    sh(cmd.arg(raw).arg(out));
    out.to_path_buf()
}

/// Every format and subformat qemu-img writes: (format, -o options, file name).
const CONVERSIONS: &[(&str, Option<&str>, &str)] = &[
    ("raw", None, "guest.raw"),
    ("qcow2", None, "guest.qcow2"),
    ("qcow", None, "guest.qcow"),
    ("qed", None, "guest.qed"),
    ("vmdk", None, "sparse.vmdk"),
    ("vmdk", Some("subformat=streamOptimized"), "stream.vmdk"),
    ("vmdk", Some("subformat=monolithicFlat"), "flat.vmdk"),
    ("vmdk", Some("subformat=twoGbMaxExtentSparse"), "split.vmdk"),
    ("vdi", None, "dynamic.vdi"),
    ("vdi", Some("static=on"), "static.vdi"),
    ("vpc", None, "dynamic.vhd"),
    ("vpc", Some("subformat=fixed"), "fixed.vhd"),
    ("vhdx", None, "dynamic.vhdx"),
    ("vhdx", Some("subformat=fixed"), "fixed.vhdx"),
    ("parallels", None, "guest.hdd"),
];

#[test]
fn formats_are_detected_as_qemu_img_detects_them() {
    let tmp = TempDir::new("formats-probe");
    let raw = hostile::linux_guest(tmp.path(), &tmp.join("guest.img"), &[]);
    for (format, options, name) in CONVERSIONS {
        let img = convert(&raw, format, *options, &tmp.join(name));
        let expected = qemu_img_format(&img);
        assert_eq!(
            probe_file(&img).unwrap(),
            expected,
            "{} ({:?})",
            name,
            options
        );
    }
    // A fixed VHD has its footer only at the end: qemu takes it for raw.
    assert_eq!(probe_file(&tmp.join("fixed.vhd")).unwrap(), "raw");
    // An empty file is raw.
    let empty = tmp.join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(probe_file(&empty).unwrap(), qemu_img_format(&empty));
}

/// The native backend reads VMDK, VDI, VHD and VHDX itself: in every subformat qemu-img
/// writes, the whole disk is the bytes qemu reads (`qemu-img convert -O raw`), and
/// the read tools print what they print on the raw image, under `auto` as under `native`.
#[test]
fn virtual_disk_formats_are_read_natively() {
    let tmp = TempDir::new("formats-native");
    let raw = hostile::linux_guest(tmp.path(), &tmp.join("guest.img"), &[]);
    let on_raw = |tool: &str, args: &[&str]| {
        let mut all = vec!["-a", s(&raw)];
        all.extend_from_slice(args);
        let r = run_on_backend(&raw, tool, &all, "native");
        expect_code(&r, 0);
        r.out()
    };
    let listing = on_raw("virt-ls", &["-lR", "/"]);
    let hostname = on_raw("virt-cat", &["/etc/hostname"]);
    assert_eq!(hostname, "hostile.example.invalid\n");
    for (format, options, name) in [
        ("vmdk", None, "sparse.vmdk"),
        ("vmdk", Some("subformat=streamOptimized"), "stream.vmdk"),
        ("vmdk", Some("subformat=monolithicFlat"), "flat.vmdk"),
        ("vmdk", Some("subformat=twoGbMaxExtentSparse"), "split.vmdk"),
        (
            "vmdk",
            Some("subformat=twoGbMaxExtentFlat"),
            "splitflat.vmdk",
        ),
        ("vdi", None, "dynamic.vdi"),
        ("vdi", Some("static=on"), "static.vdi"),
        ("vpc", None, "dynamic.vhd"),
        ("vpc", Some("subformat=fixed"), "fixed.vhd"),
        ("vhdx", None, "dynamic.vhdx"),
        ("vhdx", Some("subformat=fixed"), "fixed.vhdx"),
    ] {
        let img = convert(&raw, format, options, &tmp.join(name));
        // What qemu reads, and what the native backend reads: the whole disk.
        let back = tmp.join("back.raw");
        sh(Command::new("qemu-img")
            .args(["convert", "-U", "-f", format, "-O", "raw"])
            .arg(&img)
            .arg(&back));
        let format_opt = format!("--format={}", format);
        let native = tmp.join("native.raw");
        let r = run_on_backend(
            &img,
            "guestfish",
            &[
                &format_opt,
                "--ro",
                "-a",
                s(&img),
                "run",
                ":",
                "download",
                "/dev/sda",
                s(&native),
            ],
            "native",
        );
        expect_code(&r, 0);
        assert!(
            std::fs::read(&native).unwrap() == std::fs::read(&back).unwrap(),
            "{}: the disk differs from what qemu reads",
            r.cmdline
        );

        for backend in ["native", "auto"] {
            let r = run_on_backend(&img, "virt-ls", &["-a", s(&img), "-lR", "/"], backend);
            expect_code(&r, 0);
            assert!(r.out() == listing, "{}: listing differs", r.cmdline);
        }
        let r = run_on_backend(
            &img,
            "virt-cat",
            &[&format_opt, "-a", s(&img), "/etc/hostname"],
            "native",
        );
        expect_code(&r, 0);
        assert_eq!(r.out(), hostname, "{}", r.cmdline);
    }
}

/// The appliance reads what the native backend does not (QED here): `auto` sends the image
/// there by itself, `--format=` names it to qemu, and `native` refuses it in one line naming
/// the format.
#[test]
fn slow_other_formats_are_read_through_qemu() {
    let tmp = TempDir::new("formats-read");
    let raw = hostile::linux_guest(tmp.path(), &tmp.join("guest.img"), &[]);
    let expected = "hostile.example.invalid\n";
    let img = convert(&raw, "qed", None, &tmp.join("guest.qed"));
    let r = run_on_backend(&img, "virt-cat", &["-a", s(&img), "/etc/hostname"], "auto");
    expect_code(&r, 0);
    assert_eq!(r.out(), expected, "{}", r.cmdline);

    let r = run_on_backend(&img, "virt-ls", &["-a", s(&img), "/etc"], "auto");
    expect_code(&r, 0);
    assert!(r.out().contains("hostname\n"), "{}: {}", r.cmdline, r.out());

    let r = run_on_backend(
        &img,
        "virt-cat",
        &["-a", s(&img), "/etc/hostname"],
        "native",
    );
    expect_code(&r, 1);
    assert_eq!(
        r.stderr,
        format!(
            "libguestfs: error: {}: disk image format ‘qed’ is not supported by the native backend, which reads raw, qcow2, vmdk, vdi, vpc and vhdx (LIBGUESTFS_BACKEND=direct reads it through qemu)\n",
            img.display(),
        ),
        "{}",
        r.cmdline
    );
    // --format names it: the appliance is given it, the native backend refuses it.
    let args = ["--format=qed", "-a", s(&img), "/etc/hostname"];
    let r = run_on_backend(&img, "virt-cat", &args, "direct");
    expect_code(&r, 0);
    assert_eq!(r.out(), expected);
    let r = run_on_backend(&img, "virt-cat", &args, "native");
    expect_code(&r, 1);
    assert!(
        r.stderr
            .contains("disk image format ‘qed’ is not supported by the native backend"),
        "{}",
        r.stderr
    );
}
