//! Encrypted guests in libguestfs's two LVM layouts (issue 12 item 3): LUKS inside logical
//! volumes (opened after the partitions and the LVM rescan, as 1.48 does) and LVM inside a
//! LUKS partition. The tools run with `--key` selectors through the appliance (`auto` picks
//! it for encrypted volumes) and print what libguestfs 1.48 prints on the same image, when
//! 1.48 is installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use virt_tools_tests::encrypted_lvm::{self, fedora_luks_on_lvm, fedora_lvm_on_luks};
use virt_tools_tests::hostile::{expect_code, run_on_backend, Run};
use virt_tools_tests::TempDir;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The `--key` options of the luks-on-lvm image: one per LV, each its own passphrase.
const LV_KEYS: [&str; 8] = [
    "--key",
    "/dev/VG/Root:key:FEDORA-Root",
    "--key",
    "/dev/VG/LV1:key:FEDORA-LV1",
    "--key",
    "/dev/VG/LV2:key:FEDORA-LV2",
    "--key",
    "/dev/VG/LV3:key:FEDORA-LV3",
];

/// The image `NAME.img` made by `make` in a new temporary folder, or None (said visibly) where
/// it cannot be made.
fn build(name: &str, make: fn(&Path, &Path) -> PathBuf) -> Option<(TempDir, PathBuf)> {
    if let Some(why) = encrypted_lvm::unavailable() {
        let msg = format!("SKIPPED: encrypted LVM layouts: {}", why);
        println!("{}", msg);
        eprintln!("{}", msg);
        return None;
    }
    let tmp = TempDir::new(name);
    let img = make(tmp.path(), &tmp.join(&format!("{}.img", name)));
    Some((tmp, img))
}

/// libguestfs 1.48's tool `name` on the same arguments (its own appliance, TCG), or None
/// (said visibly) when 1.48 is not installed.
fn reference(name: &str, args: &[&str]) -> Option<(String, String, i32)> {
    let path = Path::new("/usr/bin").join(name);
    let is_148 = Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(" 1.48."));
    if !is_148 {
        let msg = format!(
            "SKIPPED: libguestfs 1.48's {} is not installed; comparison not run",
            name
        );
        println!("{}", msg);
        eprintln!("{}", msg);
        return None;
    }
    let out = Command::new(&path)
        .args(args)
        .env("LIBGUESTFS_BACKEND", "direct")
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .stdin(Stdio::null())
        .output()
        .expect("run libguestfs 1.48");
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

/// Our run prints what 1.48 printed (stdout and exit status).
fn same_as_1_48(ours: &Run, name: &str, args: &[&str]) {
    if let Some((out, err, rc)) = reference(name, args) {
        assert_eq!(rc, 0, "1.48 {} failed: {}", name, err);
        assert_eq!(ours.out(), out, "{} differs from 1.48", ours.cmdline);
    }
}

/// virt-inspector's XML for the phony Fedora guest, checked against 1.48's.
fn inspect(img: &Path, args: &[&str]) -> String {
    let inspector = [args, &["--no-applications"]].concat();
    let r = run_on_backend(img, "virt-inspector", &inspector, "auto");
    expect_code(&r, 0);
    let xml = r.out();
    assert!(
        xml.contains("<hostname>fedora.invalid</hostname>"),
        "{}",
        xml
    );
    same_as_1_48(&r, "virt-inspector", &inspector);
    xml
}

#[test]
fn slow_luks_inside_logical_volumes_is_opened() {
    let Some((_tmp, img)) = build("fedora-luks-on-lvm", fedora_luks_on_lvm) else {
        return;
    };
    let args: Vec<&str> = [&["-a", s(&img)][..], &LV_KEYS].concat();

    let xml = inspect(&img, &args);
    // The root is the opened Root LV, named after its LUKS UUID.
    assert!(xml.contains("<root>/dev/mapper/luks-00000001-"), "{}", xml);
    let ls = [&args[..], &["-l", "/etc"]].concat();
    let r = run_on_backend(&img, "virt-ls", &ls, "auto");
    expect_code(&r, 0);
    assert!(r.out().contains(" fedora-release\n"), "{}", r.out());
    same_as_1_48(&r, "virt-ls", &ls);

    // A wrong key for one LV: the tool fails as 1.48 does, naming that LV.
    let mut wrong = args.clone();
    *wrong.last_mut().unwrap() = "/dev/VG/LV3:key:wrong";
    let missing = [&wrong[..], &["/etc/motd"]].concat();
    let r = run_on_backend(&img, "virt-cat", &missing, "auto");
    expect_code(&r, 1);
    assert!(
        r.stderr.starts_with(
            "virt-cat: could not find key to open LUKS encrypted /dev/VG/LV3.\n\nTry using --key on the command line.\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn slow_lvm_inside_a_luks_partition_is_opened() {
    let Some((_tmp, img)) = build("fedora-lvm-on-luks", fedora_lvm_on_luks) else {
        return;
    };
    let args = ["-a", s(&img), "--key", "/dev/sda2:key:FEDORA"];

    let xml = inspect(&img, &args);
    assert!(xml.contains("<root>/dev/VG/Root</root>"), "{}", xml);

    let cat = [&args[..], &["/etc/motd"]].concat();
    let r = run_on_backend(&img, "virt-cat", &cat, "auto");
    expect_code(&r, 0);
    assert_eq!(r.out(), "Welcome to Fedora release 14 (Phony)\n");
    same_as_1_48(&r, "virt-cat", &cat);
}
