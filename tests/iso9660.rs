//! ISO 9660 images made by xorriso (Rock Ridge with Joliet, Joliet only, plain ISO 9660, an
//! isohybrid image with an MBR and GPT and an El Torito EFI image, a Debian-like install
//! disc): the read tools print the same with the native reader as with the appliance, and
//! `auto` reads them natively.

use std::path::{Path, PathBuf};
use virt_tools_tests::backends::{native_matches_appliance, run_with_backend, same_lines, shell};
use virt_tools_tests::TempDir;

const POPULATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../libguestfs-core/tests/data/iso-populate.sh"
);

/// An image written by `xorriso -as mkisofs ARGS` from the populate script's tree.
fn iso_image(dir: &Path, args: &str) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    assert!(shell(&format!("bash '{}' '{}'", POPULATE, src.display())));
    let img = dir.join("img.iso");
    assert!(shell(&format!(
        "xorriso -as mkisofs {} -V TESTLABEL -o '{}' '{}' >/dev/null 2>&1",
        args,
        img.display(),
        src.display()
    )));
    img
}

/// A Debian-like install disc: `.disk/info` and a kernel, and an EFI boot image (El Torito);
/// `hybrid`: the EFI image appended as a GPT partition (grub-mkrescue's layout), which
/// makes the disc a partitioned disk too.
fn install_image(dir: &Path, hybrid: bool) -> PathBuf {
    let src = dir.join("disc");
    std::fs::create_dir_all(src.join(".disk")).unwrap();
    std::fs::create_dir_all(src.join("boot")).unwrap();
    std::fs::create_dir_all(src.join("install.amd")).unwrap();
    std::fs::write(
        src.join(".disk/info"),
        "Debian GNU/Linux 12.5.0 \"Bookworm\" - Official amd64 NETINST with firmware 20240210-11:27",
    )
    .unwrap();
    std::fs::write(src.join("install.amd/vmlinuz"), vec![0u8; 4096]).unwrap();
    let efi = src.join("boot/efi.img");
    assert!(shell(&format!(
        "truncate -s 2M '{0}' && mkfs.vfat -n EFIBOOT '{0}' >/dev/null",
        efi.display()
    )));
    let img = dir.join("install.iso");
    let boot = if hybrid {
        format!(
            "-append_partition 2 0xef '{}' -appended_part_as_gpt \
             -e --interval:appended_partition_2:all:: -no-emul-boot",
            efi.display()
        )
    } else {
        "-e boot/efi.img -no-emul-boot".to_string()
    };
    assert!(shell(&format!(
        "xorriso -as mkisofs -R -J -V 'Debian 12.5.0 amd64 n' {} -o '{}' '{}' >/dev/null 2>&1",
        boot,
        img.display(),
        src.display()
    )));
    img
}

fn compare_cases(img: &Path, dev: &str, cat: &[&str]) {
    let i = img.to_str().unwrap();
    let m = ["-a", i, "-m", dev];
    let with =
        |extra: &[&str]| -> Vec<String> { m.iter().chain(extra).map(|s| s.to_string()).collect() };
    let mut cases: Vec<(&str, Vec<String>)> = vec![
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
        (
            "virt-filesystems",
            ["-a", i, "--all", "--long", "--csv", "--uuid"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        (
            "virt-filesystems",
            ["-a", i, "--all", "--long"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        ("virt-df", vec!["-a".into(), i.into()]),
        (
            "virt-df",
            vec!["-a".into(), i.into(), "--csv".into(), "-i".into()],
        ),
        (
            "guestfish",
            [
                "--ro",
                "-a",
                i,
                "-m",
                dev,
                "statvfs",
                "/",
                ":",
                "readdir",
                "/",
                ":",
                "list-partitions",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
    ];
    for f in cat {
        cases.push(("virt-cat", with(&[f])));
    }
    native_matches_appliance(&cases, false);
    // auto reads ISO 9660 natively, and says so with -v.
    let (_, err, rc) = run_with_backend("auto", "virt-ls", &["-v", "-a", i, "-m", dev, "/"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(!err.contains("using the appliance"), "{}", err);
}

#[test]
fn slow_iso_rock_ridge_joliet_native_matches_the_appliance() {
    let tmp = TempDir::new("iso-rj");
    let img = iso_image(tmp.path(), "-R -J");
    compare_cases(&img, "/dev/sda", &["/dir/random", "/links/relative"]);
}

#[test]
fn slow_iso_joliet_native_matches_the_appliance() {
    let tmp = TempDir::new("iso-j");
    let img = iso_image(tmp.path(), "-J --norock");
    compare_cases(&img, "/dev/sda", &["/dir/small"]);
}

#[test]
fn slow_iso_plain_native_matches_the_appliance() {
    let tmp = TempDir::new("iso-plain");
    let img = iso_image(tmp.path(), "-iso-level 1 --norock");
    compare_cases(&img, "/dev/sda", &["/dir/small"]);
}

#[test]
fn slow_iso_install_disc_native_matches_the_appliance() {
    install_disc(false);
}

#[test]
fn slow_iso_hybrid_gpt_install_disc_native_matches_the_appliance() {
    install_disc(true);
}

/// 1.48 finds no operating system on install discs (install-media inspection was removed in
/// 1.38): virt-inspector prints an empty list, natively as with the appliance.
fn install_disc(hybrid: bool) {
    let tmp = TempDir::new("iso-install");
    let img = install_image(tmp.path(), hybrid);
    compare_cases(&img, "/dev/sda", &["/.disk/info"]);
    let i = img.to_str().unwrap();
    let native = run_with_backend("native", "virt-inspector", &["-a", i]);
    let direct = run_with_backend("direct", "virt-inspector", &["-a", i]);
    same_lines(&native.0, &direct.0, "virt-inspector");
    assert_eq!(native.2, direct.2, "virt-inspector exit code");
    // What libguestfs 1.48.6's virt-inspector prints for such a disc.
    assert_eq!(native.0, "<?xml version=\"1.0\"?>\n<operatingsystems/>\n");
    assert_eq!(native.2, 0);
}
