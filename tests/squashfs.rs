//! squashfs images made by mksquashfs from the populate script's tree (libguestfs-core's
//! squashfs tests): the read tools print the same with the native reader as with the
//! appliance (the kernel's squashfs driver), `auto` reads them natively, and images the
//! reader refuses (lzo) go to the appliance, saying why with -v.

use std::path::{Path, PathBuf};
use virt_tools_tests::backends::{native_matches_appliance, run_with_backend, shell};
use virt_tools_tests::TempDir;

const POPULATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../libguestfs-core/tests/data/squashfs-populate.sh"
);

/// A whole-disk squashfs image (`/dev/sda`) of the populate script's tree; None (after
/// saying why) without mksquashfs.
fn squashfs_image(dir: &Path, args: &str) -> Option<PathBuf> {
    if !shell("mksquashfs -version >/dev/null 2>&1") {
        eprintln!("SKIP: mksquashfs is not installed");
        return None;
    }
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    assert!(shell(&format!("bash '{}' '{}'", POPULATE, src.display())));
    let img = dir.join("squashfs.img");
    assert!(shell(&format!(
        "mksquashfs '{}' '{}' -noappend -quiet -no-progress {} >/dev/null",
        src.display(),
        img.display(),
        args
    )));
    Some(img)
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
    native_matches_appliance(&cases, true);
    // auto reads squashfs natively, and says so with -v.
    let (_, err, rc) = run_with_backend("auto", "virt-ls", &["-v", "-a", i, "-m", "/dev/sda", "/"]);
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
    let (out, err, rc) =
        run_with_backend("auto", "virt-ls", &["-v", "-a", i, "-m", "/dev/sda", "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(
        err.contains("using the appliance") && err.contains("lzo compression"),
        "{}",
        err
    );
    assert!(out.lines().any(|l| l == "files"), "{}", out);
}
