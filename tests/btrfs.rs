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

/// An image laid out like Fedora's: one btrfs with subvolumes "root" and "home" (and a
/// snapshot of root, with a subvolume nested in root that the snapshot shows as a
/// placeholder, its fstab and os-release removed so that it is no second root), root's
/// /etc/fstab naming them with `subvol=` and compression options.
/// Made through the kernel (None where loop mounts are not possible).
fn fedora_like_image(dir: &Path) -> Option<PathBuf> {
    let img = dir.join("fedora.img");
    assert!(shell(&format!(
        "truncate -s 300M '{0}' && mkfs.btrfs -q -f -L fedora '{0}'",
        img.display()
    )));
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let m = mnt.display();
    if !shell(&format!(
        "mount -o loop,compress=zstd:1 '{}' '{}' 2>/dev/null",
        img.display(),
        m
    )) {
        return None;
    }
    let ok = shell(&format!(
        r#"cd '{m}' && set -e; exec >/dev/null
        uuid=$(blkid -s UUID -o value '{img}')
        btrfs -q subvolume create root; btrfs -q subvolume create home
        mkdir -p root/etc root/usr/bin root/var/lib root/boot root/home home/user
        ln -s usr/bin root/bin
        printf 'UUID=%s / btrfs subvol=root,compress=zstd:1 0 0
UUID=%s /home btrfs subvol=home,compress=zstd:1 0 0
' $uuid $uuid > root/etc/fstab
        printf 'NAME="Fedora Linux"
VERSION="38 (Thirty Eight)"
ID=fedora
VERSION_ID=38
PRETTY_NAME="Fedora Linux 38 (Thirty Eight)"
' > root/etc/os-release
        echo fedora.example > root/etc/hostname
        yes 'compressible text' | head -c 300000 > root/etc/big
        btrfs -q subvolume create root/var/lib/machines
        echo hello > home/user/notes
        btrfs -q subvolume snapshot root root-snap
        rm root-snap/etc/fstab root-snap/etc/os-release
        "#,
        m = m,
        img = img.display()
    ));
    assert!(shell(&format!("umount '{}'", m)));
    assert!(ok, "making the Fedora-like image");
    Some(img)
}

/// Subvolumes: listed, mounted by `btrfsvol:` and by inspection from fstab's `subvol=`,
/// read with their own inode numbers and devices, the same natively as on the appliance;
/// `auto` reads them natively.
#[test]
fn slow_btrfs_subvolumes_native_matches_the_appliance() {
    let tmp = TempDir::new("btrfs-subvol");
    let Some(img) = fedora_like_image(tmp.path()) else {
        eprintln!("SKIP: cannot loop-mount a btrfs image here (needs root and loop devices)");
        return;
    };
    let i = img.to_str().unwrap();
    let s = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "virt-filesystems",
            s(&["-a", i, "--all", "--long", "--csv", "--uuid"]),
        ),
        ("virt-filesystems", s(&["-a", i])),
        (
            "guestfish",
            s(&["--ro", "-a", i, "run", ":", "list-filesystems"]),
        ),
        (
            "virt-inspector",
            s(&["--no-applications", "--no-icon", "-a", i]),
        ),
        ("virt-cat", s(&["-a", i, "/etc/fstab"])),
        ("virt-cat", s(&["-a", i, "/home/user/notes"])),
        ("virt-ls", s(&["-a", i, "-lR", "/"])),
        (
            "virt-ls",
            s(&[
                "-a",
                i,
                "--csv",
                "-lR",
                "--extra-stats",
                "--times",
                "--checksum",
                "/",
            ]),
        ),
        ("virt-df", s(&["-a", i])),
        (
            "guestfish",
            s(&[
                "--ro",
                "-a",
                i,
                "run",
                ":",
                "btrfs-subvolume-list",
                "/dev/sda",
                ":",
                "btrfs-subvolume-get-default",
                "/dev/sda",
                ":",
                "mount-options",
                "ro,subvolid=258",
                "/dev/sda",
                "/",
                ":",
                "ls",
                "/",
                ":",
                "mountable-device",
                "btrfsvol:/dev/sda/root",
                ":",
                "mountable-subvolume",
                "btrfsvol:/dev/sda/root",
                ":",
                "umount-all",
                ":",
                "mount-ro",
                "btrfsvol:/dev/sda/root",
                "/",
                ":",
                "mount-ro",
                "btrfsvol:/dev/sda/home",
                "/home",
                ":",
                "statns",
                "/home/user/notes",
                ":",
                "statns",
                "/var/lib/machines",
                ":",
                "statns",
                "/etc/hostname",
                ":",
                "statvfs",
                "/var/lib/machines",
                ":",
                "statvfs",
                "/home/user",
                ":",
                "btrfs-subvolume-list",
                "/",
                ":",
                "vfs-type",
                "btrfsvol:/dev/sda/home",
                ":",
                "vfs-label",
                "btrfsvol:/dev/sda/home",
            ]),
        ),
        // What Fedora's fstab says, harmless on a read-only mount.
        (
            "guestfish",
            s(&[
                "--ro",
                "-a",
                i,
                "run",
                ":",
                "mount-options",
                "ro,subvol=root,compress=zstd:1,space_cache=v2,ssd,noatime",
                "/dev/sda",
                "/",
                ":",
                "cat",
                "/etc/hostname",
                ":",
                "mount-options",
                "ro,subvol=/home,discard=async,autodefrag",
                "/dev/sda",
                "/home",
                ":",
                "ls",
                "/home/user",
            ]),
        ),
        (
            "guestfish",
            s(&[
                "--ro",
                "-a",
                i,
                "run",
                ":",
                "mount",
                "btrfsvol:/dev/sda/nope",
                "/",
            ]),
        ),
    ];
    native_matches_appliance(&cases[..cases.len() - 1], true);
    native_matches_appliance(&cases[cases.len() - 1..], false);
    let (_, err, rc) = run_with_backend("auto", "virt-ls", &["-v", "-a", i, "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(!err.contains("using the appliance"), "{}", err);
}
