//! squashfs images made by mksquashfs from the populate script's tree (libguestfs-core's
//! squashfs tests): the read tools print the same with the native reader as with the
//! appliance (the kernel's squashfs driver), `auto` reads them natively, and images the
//! reader refuses (lzo) go to the appliance, saying why with -v.

use std::path::{Path, PathBuf};
use std::process::Command;
use virt_tools_tests::{split, tool, TempDir};

const POPULATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../libguestfs-core/tests/data/squashfs-populate.sh"
);

fn sh(script: &str) -> bool {
    Command::new("sh")
        .args(["-c", script])
        .status()
        .is_ok_and(|s| s.success())
}

/// A whole-disk squashfs image (`/dev/sda`) of the populate script's tree; None (after
/// saying why) without mksquashfs.
fn squashfs_image(dir: &Path, args: &str) -> Option<PathBuf> {
    if !sh("mksquashfs -version >/dev/null 2>&1") {
        eprintln!("SKIP: mksquashfs is not installed");
        return None;
    }
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    assert!(sh(&format!("bash '{}' '{}'", POPULATE, src.display())));
    let img = dir.join("squashfs.img");
    assert!(sh(&format!(
        "mksquashfs '{}' '{}' -noappend -quiet -no-progress {} >/dev/null",
        src.display(),
        img.display(),
        args
    )));
    Some(img)
}

fn run(backend: &str, name: &str, args: &[&str]) -> (String, String, i32) {
    split(
        tool(name)
            .env("LIBGUESTFS_BACKEND", backend)
            .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    )
}

/// Fails on the first line where the native output differs from the appliance's (the
/// listings are too long to print whole).
fn same_lines(native: &str, direct: &str, what: &str) {
    let (n, d): (Vec<_>, Vec<_>) = (native.lines().collect(), direct.lines().collect());
    for i in 0..n.len().max(d.len()) {
        assert_eq!(
            n.get(i),
            d.get(i),
            "{}: line {} (native, then appliance)",
            what,
            i + 1
        );
    }
    assert_eq!(
        native.ends_with('\n'),
        direct.ends_with('\n'),
        "{}: last newline",
        what
    );
}

fn compare(args: &str) {
    let tmp = TempDir::new("squashfs-backends");
    let Some(img) = squashfs_image(tmp.path(), args) else {
        return;
    };
    let i = img.to_str().unwrap();
    let m = ["-a", i, "-m", "/dev/sda"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        m.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("virt-ls", with(&["-lR", "/"])),
        (
            "virt-ls",
            with(&[
                "--csv",
                "-lR",
                "--extra-stats",
                "--times",
                "--uids",
                "--checksum",
                "/",
            ]),
        ),
        ("virt-cat", with(&["/files/sparse"])),
        ("virt-cat", with(&["/files/text"])),
        (
            "virt-filesystems",
            vec![
                "-a".into(),
                i.into(),
                "--all".into(),
                "--long".into(),
                "--csv".into(),
                "--uuid".into(),
            ],
        ),
        ("virt-df", vec!["-a".into(), i.into()]),
        (
            "virt-df",
            vec!["-a".into(), i.into(), "--csv".into(), "-i".into()],
        ),
        (
            "guestfish",
            vec![
                "--ro".into(),
                "-a".into(),
                i.into(),
                "-m".into(),
                "/dev/sda".into(),
                "statvfs".into(),
                "/".into(),
                ":".into(),
                "lgetxattrs".into(),
                "/attrs/one".into(),
                ":".into(),
                "lgetxattrs".into(),
                "/attrs/shared2".into(),
                ":".into(),
                "readlink".into(),
                "/links/long".into(),
                ":".into(),
                "readdir".into(),
                "/devs".into(),
            ],
        ),
    ];
    for (name, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let native = run("native", name, &args);
        let direct = run("direct", name, &args);
        same_lines(
            &native.0,
            &direct.0,
            &format!("stdout of {} {:?}", name, args),
        );
        same_lines(
            &native.1,
            &direct.1,
            &format!("stderr of {} {:?}", name, args),
        );
        assert_eq!(native.2, direct.2, "exit code of {} {:?}", name, args);
        assert_eq!(native.2, 0, "{} {:?}: {}", name, args, native.1);
    }
    // auto reads squashfs natively, and says so with -v.
    let (_, err, rc) = run("auto", "virt-ls", &["-v", "-a", i, "-m", "/dev/sda", "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(!err.contains("using the appliance"), "{}", err);
}

#[test]
fn slow_squashfs_gzip_native_matches_the_appliance() {
    compare("");
}

#[test]
fn slow_squashfs_xz_bcj_small_blocks_native_matches_the_appliance() {
    compare("-comp xz -Xbcj x86 -b 16384 -always-use-fragments");
}

#[test]
fn slow_squashfs_lzo_goes_to_the_appliance_saying_why() {
    let tmp = TempDir::new("squashfs-lzo");
    let Some(img) = squashfs_image(tmp.path(), "-comp lzo") else {
        return;
    };
    let i = img.to_str().unwrap();
    let (out, err, rc) = run("auto", "virt-ls", &["-v", "-a", i, "-m", "/dev/sda", "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(
        err.contains("using the appliance") && err.contains("lzo compression"),
        "{}",
        err
    );
    assert!(out.lines().any(|l| l == "files"), "{}", out);
}
