//! btrfs images made by mkfs.btrfs and filled through the kernel's driver (the populate script
//! of libguestfs-core's btrfs tests, on a loop mount, compressed with zstd; where loop mounts
//! are not possible, a tree from `mkfs.btrfs --rootdir`): the read tools print the same with
//! the native reader as with the appliance, and `auto` reads them natively. Images with
//! subvolumes go to the appliance, saying why.

use std::path::{Path, PathBuf};
use virt_tools_tests::backends::{native_matches_appliance, run_with_backend, shell};
use virt_tools_tests::TempDir;

const POPULATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../libguestfs-core/tests/data/btrfs-populate.sh"
);

/// A whole-disk btrfs image (`/dev/sda`) with the populate script's tree, or a smaller tree
/// from `mkfs.btrfs --rootdir` where loop mounts are not possible.
fn btrfs_image(dir: &Path, mkfs_args: &str, options: &str) -> PathBuf {
    let img = dir.join("btrfs.img");
    assert!(shell(&format!(
        "truncate -s 300M '{0}' && mkfs.btrfs -q -f {1} '{0}'",
        img.display(),
        mkfs_args
    )));
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let m = mnt.display();
    if shell(&format!(
        "mount -o loop,{} '{}' '{}' 2>/dev/null",
        options,
        img.display(),
        m
    )) {
        let ok = shell(&format!("bash '{}' '{}'", POPULATE, m));
        assert!(shell(&format!("umount '{}'", m)));
        assert!(ok, "populate script");
        return img;
    }
    eprintln!("NOTE: no loop mounts here: comparing on a mkfs.btrfs --rootdir tree instead");
    let root = dir.join("root");
    for d in ["files", "attrs", "links", "big"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("files/text"), "some text\n".repeat(50000)).unwrap();
    std::fs::write(root.join("files/prealloc"), "x").unwrap();
    std::fs::write(root.join("files/sparse"), "y").unwrap();
    std::fs::write(root.join("attrs/acl"), "").unwrap();
    std::fs::write(root.join("attrs/big"), "").unwrap();
    std::os::unix::fs::symlink("t".repeat(900), root.join("links/long")).unwrap();
    for i in 0..2500 {
        std::fs::write(root.join(format!("big/entry-{}", i)), "").unwrap();
    }
    assert!(shell(&format!(
        "mkfs.btrfs -q -f {} --rootdir '{}' '{}' >/dev/null",
        mkfs_args,
        root.display(),
        img.display()
    )));
    img
}

fn compare(mkfs_args: &str, options: &str) {
    let tmp = TempDir::new("btrfs-backends");
    let img = btrfs_image(tmp.path(), mkfs_args, options);
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
                "/attrs/acl".into(),
                ":".into(),
                "lgetxattrs".into(),
                "/attrs/big".into(),
                ":".into(),
                "readlink".into(),
                "/links/long".into(),
            ],
        ),
    ];
    native_matches_appliance(&cases, true);
    // auto reads btrfs natively, and says so with -v.
    let (_, err, rc) = run_with_backend("auto", "virt-ls", &["-v", "-a", i, "-m", "/dev/sda", "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(!err.contains("using the appliance"), "{}", err);
}

#[test]
fn slow_btrfs_zstd_native_matches_the_appliance() {
    compare("", "compress=zstd");
}

#[test]
fn slow_btrfs_lzo_dup_data_native_matches_the_appliance() {
    compare("-d dup -m single", "compress-force=lzo");
}

/// A filesystem with a subvolume: libguestfs lists it as `btrfsvol:/dev/sda/NAME`, which the
/// native backend does not, so `auto` uses the appliance and says why.
#[test]
fn slow_btrfs_subvolumes_go_to_the_appliance() {
    let tmp = TempDir::new("btrfs-subvol");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("sv")).unwrap();
    std::fs::write(root.join("sv/f"), "in a subvolume\n").unwrap();
    let img = tmp.path().join("sv.img");
    assert!(shell(&format!(
        "truncate -s 200M '{0}' && mkfs.btrfs -q -f --rootdir '{1}' --subvol sv '{0}' >/dev/null",
        img.display(),
        root.display()
    )));
    let i = img.to_str().unwrap();
    let (out, err, rc) = run_with_backend("auto", "virt-filesystems", &["-v", "-a", i]);
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(out, "/dev/sda\nbtrfsvol:/dev/sda/sv\n");
    assert!(
        err.contains("subvolume 256 (subvolumes and snapshots are not read natively)"),
        "{}",
        err
    );
}
