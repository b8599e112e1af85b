//! The LUKS reader against volumes made by cryptsetup: `cryptsetup reencrypt --encrypt`
//! encrypts a known plaintext offline (no device-mapper), so every byte the reader decrypts
//! is checked against what cryptsetup encrypted. LUKS1 volumes come from
//! `cryptsetup convert --type luks1`. Hostile headers are cryptsetup's with their JSON
//! rewritten (and the checksum recomputed).

use guestfs::block::luks::{self, LuksError, Volume};
use guestfs::block::raw::RawImage;
use guestfs::block::Device;
use sha2::Digest;
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const PASSPHRASE: &str = "secret";
/// The plaintext's size; the image is 12 MiB, with room for the header.
const PLAIN_LEN: usize = 4 << 20;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("guestfs-luks-{}-{}", name, std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn have_cryptsetup() -> bool {
    let ok = Command::new("cryptsetup")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("SKIPPED: cryptsetup is not installed");
        eprintln!("SKIPPED: cryptsetup is not installed");
    }
    ok
}

fn cryptsetup(args: &[&str]) {
    let out = Command::new("cryptsetup").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cryptsetup {:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deterministic bytes that no two sectors share.
fn plaintext() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..PLAIN_LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The plaintext encrypted by cryptsetup into a LUKS2 volume with the options `opts`.
fn encrypted(dir: &TempDir, name: &str, opts: &[&str]) -> PathBuf {
    let img = dir.path(&format!("{}.img", name));
    fs::write(&img, plaintext()).unwrap();
    fs::File::options()
        .write(true)
        .open(&img)
        .unwrap()
        .set_len(12 << 20)
        .unwrap();
    let key = dir.path("key");
    fs::write(&key, PASSPHRASE).unwrap();
    let mut args = vec!["reencrypt", "--encrypt", "--type", "luks2"];
    args.extend(["--reduce-device-size", "8M", "-q", "--key-file"]);
    args.push(key.to_str().unwrap());
    args.extend(opts);
    args.push(img.to_str().unwrap());
    cryptsetup(&args);
    img
}

fn open_raw(img: &Path) -> Device {
    Arc::new(RawImage::open(img).unwrap())
}

/// Why `img` does not open with the passphrase.
fn open_error(img: &Path) -> LuksError {
    match luks::open(open_raw(img), PASSPHRASE.as_bytes()) {
        Ok(_) => panic!("{} opened", img.display()),
        Err(e) => e,
    }
}

/// Opens `img` with the passphrase and checks the decrypted bytes, read whole and at odd
/// offsets that straddle sectors.
fn check_decrypts(img: &Path, version: u16) {
    let dev = open_raw(img);
    let volume = Volume::read(dev.as_ref()).unwrap();
    assert_eq!(volume.version, version);
    let plain = luks::open(dev.clone(), PASSPHRASE.as_bytes()).unwrap();
    let expect = plaintext();
    let mut got = vec![0u8; PLAIN_LEN];
    plain.read_exact_at(&mut got, 0).unwrap();
    assert!(got == expect, "{}: decrypted data differs", img.display());
    for (off, len) in [
        (1usize, 10usize),
        (511, 2),
        (4095, 4098),
        (1_000_003, 70_000),
    ] {
        let mut part = vec![0u8; len];
        plain.read_exact_at(&mut part, off as u64).unwrap();
        assert_eq!(part, expect[off..off + len], "{} at {}", img.display(), off);
    }
    // Reading past the end is an error, never a short read.
    let mut past = [0u8; 2];
    assert!(plain.read_exact_at(&mut past, plain.size() - 1).is_err());
    let Err(e) = luks::open(dev, b"wrong") else {
        panic!("{} opened with a wrong passphrase", img.display());
    };
    assert!(matches!(e, LuksError::WrongPassphrase), "{}", e);
    assert_eq!(e.to_string(), "No key available with this passphrase.");
}

const ARGON2_SMALL: [&str; 6] = [
    "--pbkdf-memory",
    "8192",
    "--pbkdf-force-iterations",
    "4",
    "--pbkdf-parallel",
    "2",
];

#[test]
fn luks2_volumes_made_by_cryptsetup_decrypt() {
    if !have_cryptsetup() {
        return;
    }
    let dir = TempDir::new("luks2");
    let pbkdf2 = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("pbkdf2-sha256", pbkdf2.to_vec()),
        (
            "argon2i",
            [&["--pbkdf", "argon2i"][..], &ARGON2_SMALL].concat(),
        ),
        (
            "argon2id",
            [&["--pbkdf", "argon2id"][..], &ARGON2_SMALL].concat(),
        ),
        (
            "sector-4096",
            [&["--sector-size", "4096"][..], &pbkdf2].concat(),
        ),
        (
            "xts-128-sha512",
            [&["--key-size", "256", "--hash", "sha512"][..], &pbkdf2].concat(),
        ),
        (
            "cbc-essiv-sha1",
            [
                &["--cipher", "aes-cbc-essiv:sha256", "--key-size", "256"][..],
                &["--hash", "sha1"],
                &pbkdf2,
            ]
            .concat(),
        ),
        (
            "cbc-plain64",
            [
                &["--cipher", "aes-cbc-plain64", "--key-size", "128"][..],
                &pbkdf2,
            ]
            .concat(),
        ),
    ];
    for (name, opts) in cases {
        let img = encrypted(&dir, name, &opts);
        check_decrypts(&img, 2);
    }
}

#[test]
fn luks1_volumes_made_by_cryptsetup_decrypt() {
    if !have_cryptsetup() {
        return;
    }
    let dir = TempDir::new("luks1");
    for (name, extra) in [
        ("xts-sha256", &[][..]),
        (
            "cbc-essiv-sha1",
            &[
                "--cipher",
                "aes-cbc-essiv:sha256",
                "--key-size",
                "256",
                "--hash",
                "sha1",
            ][..],
        ),
    ] {
        let opts = [
            &["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"][..],
            extra,
        ]
        .concat();
        let img = encrypted(&dir, name, &opts);
        cryptsetup(&["convert", "--type", "luks1", "-q", img.to_str().unwrap()]);
        check_decrypts(&img, 1);
    }
}

/// A second passphrase in another keyslot opens the volume too; the first still does.
#[test]
fn every_keyslot_is_tried() {
    if !have_cryptsetup() {
        return;
    }
    let dir = TempDir::new("keyslots");
    let img = encrypted(
        &dir,
        "two",
        &["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"],
    );
    let key = dir.path("key");
    let other = dir.path("other");
    fs::write(&other, "another passphrase").unwrap();
    cryptsetup(&[
        "luksAddKey",
        "-q",
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
        "--key-file",
        key.to_str().unwrap(),
        img.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    let dev = open_raw(&img);
    assert_eq!(Volume::read(dev.as_ref()).unwrap().keyslots.len(), 2);
    let plain = luks::open(dev.clone(), b"another passphrase").unwrap();
    let mut head = [0u8; 64];
    plain.read_exact_at(&mut head, 0).unwrap();
    assert_eq!(head[..], plaintext()[..64]);
    assert!(luks::open(dev, PASSPHRASE.as_bytes()).is_ok());
}

/// Rewrites the LUKS2 JSON of `img` with `edit`, recomputes the primary header's checksum
/// and destroys the secondary copy (so that only the edited metadata is left).
fn rewrite_json(img: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let f = fs::File::options()
        .read(true)
        .write(true)
        .open(img)
        .unwrap();
    let mut bin = vec![0u8; 4096];
    f.read_exact_at(&mut bin, 0).unwrap();
    let hdr_size = u64::from_be_bytes(bin[8..16].try_into().unwrap()) as usize;
    let mut all = vec![0u8; hdr_size];
    f.read_exact_at(&mut all, 0).unwrap();
    let end = all[4096..].iter().position(|&c| c == 0).unwrap() + 4096;
    let mut json: serde_json::Value = serde_json::from_slice(&all[4096..end]).unwrap();
    edit(&mut json);
    let text = json.to_string();
    all[4096..].fill(0);
    all[4096..4096 + text.len()].copy_from_slice(text.as_bytes());
    all[448..512].fill(0);
    let csum = sha2::Sha256::digest(&all);
    all[448..480].copy_from_slice(&csum);
    f.write_all_at(&all, 0).unwrap();
    f.write_all_at(&[0u8; 8], hdr_size as u64).unwrap();
}

/// The JSON's text written raw (not valid JSON), with a valid checksum.
fn write_raw_json(img: &Path, text: &[u8]) {
    let f = fs::File::options()
        .read(true)
        .write(true)
        .open(img)
        .unwrap();
    let mut all = vec![0u8; 16384];
    f.read_exact_at(&mut all, 0).unwrap();
    all[4096..].fill(0);
    all[4096..4096 + text.len()].copy_from_slice(text);
    all[448..512].fill(0);
    let csum = sha2::Sha256::digest(&all);
    all[448..480].copy_from_slice(&csum);
    f.write_all_at(&all, 0).unwrap();
    f.write_all_at(&[0u8; 8], 16384).unwrap();
}

#[test]
fn hostile_luks2_headers_give_one_clear_error() {
    if !have_cryptsetup() {
        return;
    }
    let dir = TempDir::new("hostile");
    let base = encrypted(
        &dir,
        "base",
        &[
            "--pbkdf",
            "argon2id",
            "--pbkdf-memory",
            "8192",
            "--pbkdf-force-iterations",
            "4",
            "--pbkdf-parallel",
            "1",
        ],
    );
    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "area-past-end",
            |j| j["keyslots"]["0"]["area"]["offset"] = "999999999999".into(),
            "keyslot 0: its area",
        ),
        (
            "area-too-small",
            |j| j["keyslots"]["0"]["area"]["size"] = "4096".into(),
            "keyslot 0: its area",
        ),
        (
            "huge-memory",
            |j| j["keyslots"]["0"]["kdf"]["memory"] = 4_294_967_295u32.into(),
            "Argon2 memory cost 4294967295 KiB",
        ),
        (
            "huge-time",
            |j| j["keyslots"]["0"]["kdf"]["time"] = 4_000_000_000u32.into(),
            "Argon2 time cost",
        ),
        (
            "huge-key",
            |j| j["keyslots"]["0"]["key_size"] = 1_000_000u32.into(),
            "keyslot 0: key size in bytes of 1000000",
        ),
        (
            "absurd-stripes",
            |j| j["keyslots"]["0"]["af"]["stripes"] = 4_000_000_000u32.into(),
            "anti-forensic stripe count",
        ),
        (
            "segment-past-end",
            |j| j["segments"]["0"]["size"] = "99999999999999".into(),
            "extends past the end of the device",
        ),
        (
            "segment-not-a-number",
            |j| j["segments"]["0"]["offset"] = "-1".into(),
            "segment 0: ‘-1’ is not a number",
        ),
        (
            "digest-iterations",
            |j| j["digests"]["0"]["iterations"] = 4_000_000_000u32.into(),
            "PBKDF2 iteration count",
        ),
        (
            "no-segments",
            |j| j["segments"] = serde_json::json!({}),
            "0 data segments",
        ),
        (
            "serpent",
            |j| j["segments"]["0"]["encryption"] = "serpent-xts-plain64".into(),
            "cipher ‘serpent-xts-plain64’",
        ),
        (
            "reencryption",
            |j| {
                j["config"]["requirements"] =
                    serde_json::json!({"mandatory": ["online-reencrypt-v2"]})
            },
            "requirements online-reencrypt-v2",
        ),
    ];
    for (name, edit, expect) in cases {
        let img = dir.path(&format!("{}.img", name));
        fs::copy(&base, &img).unwrap();
        rewrite_json(&img, edit);
        let e = open_error(&img);
        let msg = e.to_string();
        assert!(msg.contains(expect), "{}: {}", name, msg);
        assert!(!msg.contains('\n'), "{}: {}", name, msg);
    }
    // Not JSON at all.
    let img = dir.path("bad-json.img");
    fs::copy(&base, &img).unwrap();
    write_raw_json(&img, b"{\"keyslots\": [1, 2");
    let e = open_error(&img);
    assert!(matches!(e, LuksError::Corrupt(_)), "{}", e);
    assert!(
        e.to_string()
            .starts_with("invalid LUKS header: LUKS2 metadata: "),
        "{}",
        e
    );
    // A damaged primary header: the secondary copy is used.
    let img = dir.path("damaged-primary.img");
    fs::copy(&base, &img).unwrap();
    let f = fs::File::options().write(true).open(&img).unwrap();
    f.write_all_at(b"garbage", 5000).unwrap();
    assert!(luks::open(open_raw(&img), PASSPHRASE.as_bytes()).is_ok());
    // Both copies damaged: a checksum error.
    rewrite_json(&img, |_| ());
    f.write_all_at(b"garbage", 5000).unwrap();
    let e = open_error(&img);
    assert!(e.to_string().contains("checksum mismatch"), "{}", e);
    // Truncated: only the binary header.
    let img = dir.path("truncated.img");
    fs::write(&img, &fs::read(&base).unwrap()[..4096]).unwrap();
    let e = open_error(&img);
    assert!(matches!(e, LuksError::Corrupt(_)), "{}", e);
}

#[test]
fn hostile_luks1_headers_give_one_clear_error() {
    if !have_cryptsetup() {
        return;
    }
    let dir = TempDir::new("hostile1");
    let base = encrypted(
        &dir,
        "base",
        &["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"],
    );
    cryptsetup(&["convert", "--type", "luks1", "-q", base.to_str().unwrap()]);
    // (field offset, value, expected message)
    let cases: [(u64, u32, &str); 5] = [
        (108, 1 << 20, "key size in bytes of 1048576"),
        (208 + 44, 4_000_000_000, "anti-forensic stripe count"),
        (208 + 40, 0x7fff_ffff, "keyslot 0: its key material"),
        (208 + 4, u32::MAX, "PBKDF2 iteration count"),
        (104, 0x7fff_ffff, "past the end of the device"),
    ];
    for (at, value, expect) in cases {
        let img = dir.path("patched.img");
        fs::copy(&base, &img).unwrap();
        let f = fs::File::options().write(true).open(&img).unwrap();
        f.write_all_at(&value.to_be_bytes(), at).unwrap();
        let e = open_error(&img);
        assert!(e.to_string().contains(expect), "{}: {}", at, e);
    }
}
