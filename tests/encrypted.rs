//! Encrypted guests, made by cryptsetup: LUKS1 and LUKS2 with each KDF (pbkdf2, argon2i,
//! argon2id) and libguestfs's two LVM layouts (issue 12 item 3): LUKS inside logical volumes
//! (opened after the partitions and the LVM rescan, as 1.48 does) and LVM inside a LUKS
//! partition. The tools run with `--key` selectors (or `--keys-from-stdin`) on both backends,
//! the native one decrypting in process and the appliance with the kernel's dm-crypt, and
//! print the same; where libguestfs 1.48 is installed they print what it prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use virt_tools_tests::encrypted_lvm::{self, fedora_luks_on_lvm, fedora_lvm_on_luks};
use virt_tools_tests::hostile::{self, expect_code, run_on_backend, Run};
use virt_tools_tests::{tool, TempDir};

/// Both backends: the native one first.
const BACKENDS: [&str; 2] = ["native", "direct"];

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

/// `name ARGS` on both backends: the native run, after checking that the appliance's prints
/// the same and exits alike.
fn on_both(img: &Path, name: &str, args: &[&str]) -> Run {
    let [native, direct] = BACKENDS.map(|b| run_on_backend(img, name, args, b));
    assert_eq!(
        (native.out(), native.code),
        (direct.out(), direct.code),
        "{}: the native and appliance backends differ\nnative stderr:\n{}\nappliance stderr:\n{}",
        native.cmdline,
        native.stderr,
        direct.stderr
    );
    native
}

/// virt-inspector's XML for the phony Fedora guest, the same on both backends and checked
/// against 1.48's.
fn inspect(img: &Path, args: &[&str]) -> String {
    let inspector = [args, &["--no-applications"]].concat();
    let r = on_both(img, "virt-inspector", &inspector);
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
    let r = on_both(&img, "virt-ls", &ls);
    expect_code(&r, 0);
    assert!(r.out().contains(" fedora-release\n"), "{}", r.out());
    same_as_1_48(&r, "virt-ls", &ls);

    // A wrong key for one LV: the tool fails as 1.48 does, naming that LV.
    let mut wrong = args.clone();
    *wrong.last_mut().unwrap() = "/dev/VG/LV3:key:wrong";
    let missing = [&wrong[..], &["/etc/motd"]].concat();
    let r = on_both(&img, "virt-cat", &missing);
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
    let r = on_both(&img, "virt-cat", &cat);
    expect_code(&r, 0);
    assert_eq!(r.out(), "Welcome to Fedora release 14 (Phony)\n");
    same_as_1_48(&r, "virt-cat", &cat);
}

/// The LUKS volumes of the guests below: name, cryptsetup options, and whether it is then
/// converted to LUKS1. The KDF costs are lowered so that a test takes seconds.
const VARIANTS: [(&str, &[&str], bool); 5] = [
    (
        "luks1-pbkdf2",
        &["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"],
        true,
    ),
    (
        "luks2-pbkdf2-sha512",
        &[
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            "--hash",
            "sha512",
        ],
        false,
    ),
    (
        "luks2-argon2i",
        &[
            "--pbkdf",
            "argon2i",
            "--pbkdf-memory",
            "16384",
            "--pbkdf-force-iterations",
            "4",
        ],
        false,
    ),
    (
        "luks2-argon2id",
        &[
            "--pbkdf",
            "argon2id",
            "--pbkdf-memory",
            "16384",
            "--pbkdf-force-iterations",
            "4",
        ],
        false,
    ),
    (
        "luks2-cbc-essiv",
        &[
            "--cipher",
            "aes-cbc-essiv:sha256",
            "--key-size",
            "256",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
        ],
        false,
    ),
];

/// The Debian guest whose root is in a LUKS volume on /dev/sda1 (passphrase `secret`), or
/// None (said visibly) without cryptsetup.
fn luks_guest(name: &str, opts: &[&str], luks1: bool) -> Option<(TempDir, PathBuf)> {
    if !virt_tools_tests::have("cryptsetup") {
        let msg = "SKIPPED: LUKS guests: cryptsetup is not installed";
        println!("{}", msg);
        eprintln!("{}", msg);
        return None;
    }
    let tmp = TempDir::new(name);
    let img =
        hostile::luks_guest_with(tmp.path(), &tmp.join(&format!("{}.img", name)), opts, luks1);
    Some((tmp, img))
}

const KEY: [&str; 2] = ["--key", "/dev/sda1:key:secret"];

#[test]
fn slow_luks1_and_luks2_guests_read_the_same_on_both_backends() {
    for (name, opts, luks1) in VARIANTS {
        let Some((_tmp, img)) = luks_guest(name, opts, luks1) else {
            return;
        };
        let args = [&["-a", s(&img)][..], &KEY].concat();
        let inspector = [&args[..], &["--no-applications"]].concat();
        let r = on_both(&img, "virt-inspector", &inspector);
        expect_code(&r, 0);
        assert!(
            r.out().contains("<root>/dev/mapper/luks-"),
            "{}: {}",
            name,
            r.out()
        );
        assert!(
            r.out()
                .contains("<hostname>vaulted.example.invalid</hostname>"),
            "{}",
            name
        );
        let r = on_both(&img, "virt-ls", &[&args[..], &["-lR", "/etc"]].concat());
        expect_code(&r, 0);
        assert!(
            r.out().contains(" /etc/hostname\n"),
            "{}: {}",
            name,
            r.out()
        );
        let r = on_both(&img, "virt-cat", &[&args[..], &["/etc/hostname"]].concat());
        expect_code(&r, 0);
        assert_eq!(r.out(), "vaulted.example.invalid\n", "{}", name);
    }
}

#[test]
fn slow_a_wrong_luks_key_fails_as_in_1_48() {
    let Some((_tmp, img)) = luks_guest("luks-wrong-key", VARIANTS[3].1, false) else {
        return;
    };
    let args = [
        "-a",
        s(&img),
        "--key",
        "/dev/sda1:key:wrong",
        "/etc/hostname",
    ];
    let [native, direct] = BACKENDS.map(|b| run_on_backend(&img, "virt-cat", &args, b));
    for r in [&native, &direct] {
        expect_code(r, 1);
        assert!(r.stdout.is_empty());
    }
    assert!(
        native.stderr.starts_with(
            "virt-cat: could not find key to open LUKS encrypted /dev/sda1.\n\nTry using --key on the command line.\n\nOriginal error: cryptsetup_open: cryptsetup exited with status 2: No key available with this passphrase."
        ),
        "{}",
        native.stderr
    );
    assert_eq!(native.stderr, direct.stderr);
    if let Some((out, err, rc)) = reference("virt-cat", &args) {
        // 1.48 names itself by its path.
        let err = err.strip_prefix("/usr/bin/").unwrap_or(&err);
        assert_eq!((out.as_str(), err, rc), ("", native.stderr.as_str(), 1));
    }
}

/// Runs `cmd` with `input` on its standard input: (stdout, stderr, exit status).
fn run_fed(mut cmd: Command, input: &str) -> (String, String, i32) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the tool");
    child
        .stdin
        .take()
        .expect("stdin pipe")
        .write_all(input.as_bytes())
        .expect("write the keys");
    virt_tools_tests::split(child.wait_with_output().expect("tool output"))
}

/// `name ARGS` on `backend` with `input` on its standard input.
fn run_with_stdin(name: &str, args: &[&str], backend: &str, input: &str) -> (String, String, i32) {
    let mut cmd = tool(name);
    cmd.args(args).env("LIBGUESTFS_BACKEND", backend);
    run_fed(cmd, input)
}

#[test]
fn keys_from_stdin_open_luks_natively() {
    let Some((_tmp, img)) = luks_guest("luks-stdin", VARIANTS[3].1, false) else {
        return;
    };
    let args = ["-a", s(&img), "--keys-from-stdin", "/etc/hostname"];
    let (out, err, rc) = run_with_stdin("virt-cat", &args, "native", "secret\n");
    assert_eq!(
        (out.as_str(), rc),
        ("vaulted.example.invalid\n", 0),
        "{}",
        err
    );
    let (out, err, rc) = run_with_stdin("virt-cat", &args, "native", "wrong\n");
    assert_eq!((out.as_str(), rc), ("", 1));
    assert!(
        err.starts_with("virt-cat: could not find key to open LUKS encrypted /dev/sda1."),
        "{}",
        err
    );
}

/// `virt-cat -v` on `auto`, which must print the guest's hostname: its debug output. The
/// debug lines are not the bad-input checker's business, so the tool runs directly.
fn cat_verbose(img: &Path) -> String {
    let args = [
        "-v",
        "-a",
        s(img),
        "--key",
        "all:key:secret",
        "/etc/hostname",
    ];
    let (out, err, rc) = run_with_stdin("virt-cat", &args, "auto", "");
    assert_eq!(
        (out.as_str(), rc),
        ("vaulted.example.invalid\n", 0),
        "{}",
        err
    );
    err
}

/// `auto` reads LUKS guests natively (the volume holds ext4); a cipher the native backend
/// lacks sends the guest to the appliance from the start, saying why with `-v`, and the
/// native backend then refuses that volume.
#[test]
fn slow_auto_reads_luks_natively_unless_the_cipher_is_unknown() {
    let Some((_tmp, img)) = luks_guest("luks-auto", VARIANTS[0].1, false) else {
        return;
    };
    let err = cat_verbose(&img);
    assert!(
        err.contains("launched backend native") && !err.contains("appliance"),
        "{}",
        err
    );

    let essiv = [
        "--cipher",
        "aes-xts-essiv:sha256",
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
    ];
    let Some((_tmp, img)) = luks_guest("luks-auto-xts-essiv", &essiv, false) else {
        return;
    };
    let err = cat_verbose(&img);
    assert!(
        err.contains("auto backend: using the appliance for: /dev/sda1: LUKS volume with cipher ")
            && err.contains("aes-xts-essiv:sha256"),
        "{}",
        err
    );
    let args = ["-a", s(&img), "--key", "all:key:secret", "/etc/hostname"];
    let r = run_on_backend(&img, "virt-cat", &args, "native");
    expect_code(&r, 1);
}

/// A LUKS volume holding what the native backend does not read (F2FS): `auto` starts
/// native, opens the volume, hands the drives over to the appliance, which opens it again,
/// and prints what the appliance alone prints.
#[test]
fn slow_auto_hands_over_to_the_appliance_after_opening() {
    if !virt_tools_tests::have("cryptsetup") || !virt_tools_tests::have("mkfs.f2fs") {
        let msg = "SKIPPED: LUKS hand-over: cryptsetup or mkfs.f2fs is not installed";
        println!("{}", msg);
        eprintln!("{}", msg);
        return;
    }
    let tmp = TempDir::new("luks-f2fs");
    let fs = tmp.join("stash.fs");
    // mkfs.f2fs wants 64 MiB at least.
    std::fs::File::create(&fs)
        .and_then(|f| f.set_len(64 << 20))
        .unwrap();
    let st = Command::new("mkfs.f2fs")
        .args(["-q", "-l", "STASH"])
        .arg(&fs)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "mkfs.f2fs failed");
    let img = hostile::luks_disk_of(
        tmp.path(),
        &fs,
        &tmp.join("luks-f2fs.img"),
        VARIANTS[0].1,
        false,
    );
    let args = [
        "--keys-from-stdin",
        "-a",
        s(&img),
        "run",
        ":",
        "cryptsetup-open",
        "/dev/sda1",
        "stash",
        ":",
        "list-filesystems",
        ":",
        "vfs-label",
        "/dev/mapper/stash",
        ":",
        "vfs-uuid",
        "/dev/mapper/stash",
    ];
    let (auto_out, auto_err, auto_rc) = run_with_stdin(
        "guestfish",
        &[&["-v"][..], &args].concat(),
        "auto",
        "secret\n",
    );
    let direct = run_with_stdin("guestfish", &args, "direct", "secret\n");
    assert_eq!((auto_out.as_str(), auto_rc), (direct.0.as_str(), direct.2));
    assert!(
        auto_out.contains("/dev/mapper/stash: f2fs\nSTASH\n"),
        "{}",
        auto_out
    );
    assert!(
        auto_err.contains("launched backend native")
            && auto_err.contains(
                "auto backend: handing over to the appliance for: /dev/mapper/stash: f2fs"
            )
            && auto_err.contains("launched backend direct"),
        "{}",
        auto_err
    );
}

/// The encryption calls one by one through guestfish: opening (wrong key, twice, a second
/// name), the mapper device's content and sector size, `list-dm-devices`, `luks-uuid`, and
/// closing (busy, not a mapper, unknown). Both backends print the same, as 1.48 does.
#[test]
fn slow_encryption_calls_match_on_both_backends() {
    let Some((_tmp, img)) = luks_guest("luks-calls", VARIANTS[4].1, false) else {
        return;
    };
    let script = "run : -cryptsetup-open /dev/sda1 lk : cryptsetup-open /dev/sda1 lk : \
        list-dm-devices : list-filesystems : vfs-type /dev/mapper/lk : \
        blockdev-getss /dev/mapper/lk : blockdev-getsize64 /dev/mapper/lk : \
        luks-uuid /dev/sda1 : -luks-uuid /dev/mapper/lk : \
        -cryptsetup-open /dev/sda1 lk : -cryptsetup-open /dev/sda1 lk2 : \
        -cryptsetup-open /dev/sda9 lk3 : mount-ro /dev/mapper/lk / : cat /etc/hostname : \
        -cryptsetup-close /dev/mapper/lk : umount-all : -cryptsetup-close /dev/sda1 : \
        -cryptsetup-close /dev/mapper/nonexistent : cryptsetup-close /dev/mapper/lk : \
        list-dm-devices : luks-open-ro /dev/sda1 old : list-dm-devices : luks-close /dev/mapper/old";
    let args: Vec<&str> = ["--keys-from-stdin", "--ro", "-a", s(&img), "--"]
        .into_iter()
        .chain(script.split(' ').filter(|w| !w.is_empty()))
        .collect();
    // One key per opening, in order.
    let keys = "wrong\nsecret\nsecret\nsecret\nsecret\nsecret\n";
    let native = run_with_stdin("guestfish", &args, "native", keys);
    let direct = run_with_stdin("guestfish", &args, "direct", keys);
    assert_eq!(native.0, direct.0, "stdout differs");
    assert_eq!(native.1, direct.1, "stderr differs");
    assert_eq!(native.2, direct.2);
    assert!(
        native
            .0
            .starts_with("/dev/mapper/lk\n/dev/mapper/lk: ext4\next4\n512\n"),
        "{}",
        native.0
    );
    assert!(
        native.1.contains("cryptsetup_open: cryptsetup exited with status 2: No key available with this passphrase.\n"),
        "{}",
        native.1
    );
    if Path::new("/usr/bin/guestfish").exists() {
        let mut cmd = Command::new("/usr/bin/guestfish");
        cmd.args(&args)
            .env("LIBGUESTFS_BACKEND", "direct")
            .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg");
        let (out, err, rc) = run_fed(cmd, keys);
        assert_eq!(
            (native.0.as_str(), native.1.as_str(), native.2),
            (out.as_str(), err.as_str(), rc)
        );
    } else {
        let msg = "SKIPPED: libguestfs 1.48's guestfish is not installed; comparison not run";
        println!("{}", msg);
        eprintln!("{}", msg);
    }
}
