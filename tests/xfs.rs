//! XFS images made by mkfs.xfs and filled through the kernel's driver (the populate script of
//! libguestfs-core's XFS tests, on a loop mount; where loop mounts are not possible, a tree
//! from a mkfs.xfs prototype file): the read tools print the same with the native reader as
//! with the appliance, and `auto` reads them natively.

use std::path::{Path, PathBuf};
use virt_tools_tests::backends::{native_matches_appliance, run_with_backend, shell};
use virt_tools_tests::TempDir;

const POPULATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../libguestfs-core/tests/data/xfs-populate.sh"
);

/// A whole-disk XFS image (`/dev/sda`) with the populate script's tree, or a smaller tree
/// from a prototype file where loop mounts are not possible.
fn xfs_image(dir: &Path, mkfs_args: &str) -> PathBuf {
    let img = dir.join("xfs.img");
    assert!(shell(&format!(
        "truncate -s 320M '{0}' && mkfs.xfs -q -f {1} '{0}'",
        img.display(),
        mkfs_args
    )));
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let m = mnt.display();
    if shell(&format!(
        "mount -o loop '{}' '{}' 2>/dev/null",
        img.display(),
        m
    )) {
        let ok = shell(&format!("BIGTIME=1 bash '{}' '{}'", POPULATE, m));
        assert!(shell(&format!("umount '{}'", m)));
        assert!(ok, "populate script");
        return img;
    }
    eprintln!("NOTE: no loop mounts here: comparing on a prototype-file tree instead");
    let data = dir.join("data");
    std::fs::write(&data, "some data\n").unwrap();
    // The names the compared commands read, and a node-format directory.
    let mut proto = format!(
        "/dev/null\n0 0\nd--755 0 0\nf ---644 0 0 {0}\nnull c--666 0 0 1 3\n\
         files d--755 0 0\n sparse ---644 0 0 {0}\n prealloc ---600 0 0 {0}\n $\n\
         attrs d--755 0 0\n acl ---644 0 0 {0}\n remote ---644 0 0 {0}\n $\n\
         links d--755 0 0\n long l--777 0 0 {1}\n $\nd d--755 0 0\n",
        data.display(),
        "t".repeat(900)
    );
    for i in 0..3000 {
        proto.push_str(&format!(
            "  a-long-name-to-fill-blocks-{} ---644 0 0 {}\n",
            i,
            data.display()
        ));
    }
    proto.push_str("  $\n$\n");
    std::fs::write(dir.join("proto"), proto).unwrap();
    assert!(shell(&format!(
        "mkfs.xfs -q -f {} -p '{}' '{}'",
        mkfs_args,
        dir.join("proto").display(),
        img.display()
    )));
    img
}

fn compare(mkfs_args: &str) {
    let tmp = TempDir::new("xfs-backends");
    let img = xfs_image(tmp.path(), mkfs_args);
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
        ("virt-cat", with(&["/files/prealloc"])),
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
                "/attrs/acl".into(),
                ":".into(),
                "lgetxattrs".into(),
                "/attrs/remote".into(),
                ":".into(),
                "readlink".into(),
                "/links/long".into(),
            ],
        ),
    ];
    native_matches_appliance(&cases, true);
    // auto reads XFS natively, and says so with -v.
    let (_, err, rc) = run_with_backend("auto", "virt-ls", &["-v", "-a", i, "-m", "/dev/sda", "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(!err.contains("using the appliance"), "{}", err);
}

#[test]
fn slow_xfs_v5_native_matches_the_appliance() {
    compare("");
}

#[test]
fn slow_xfs_v4_native_matches_the_appliance() {
    compare("-m crc=0");
}
