//! virt-win-reg --merge on the Windows guest this suite builds (win.img of make-test-images):
//! the merged registry read back with this project's virt-win-reg and with hivex's own readers
//! (hivexregedit, hivexsh), the hive file's checksum, and the errors, all compared with what
//! libguestfs 1.48 produced for the same steps (tests/golden/winreg, made by
//! `tests/golden/regenerate.sh tests/golden/winreg`); and every bad input leaves the image as
//! it was.

use std::path::{Path, PathBuf};
use virt_tools_tests::{build_daemon, hostile, parse_known, run_cases, tool, TempDir};

/// The Windows guest of the golden cases, as `win.img` in the folder they run in.
fn windows_guest(tmp: &TempDir) -> PathBuf {
    build_daemon();
    let work = tmp.join("work");
    std::fs::create_dir_all(&work).unwrap();
    hostile::windows_guest(
        &work,
        &tmp.join("win.img"),
        &hostile::hive_sample("windows-software.hive"),
        &hostile::hive_sample("windows-system.hive"),
    )
}

fn sha256(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// hivex's readers, which the golden cases use to read the merged hives back.
fn hivex_tools_present() -> bool {
    ["hivexregedit", "hivexsh"].iter().all(|t| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {} >/dev/null", t)])
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[test]
fn merges_match_libguestfs_1_48() {
    assert!(
        hivex_tools_present(),
        "hivexregedit and hivexsh are needed (Debian: libwin-hivex-perl libhivex-bin; scripts/install-deps.sh installs them)"
    );
    let tmp = TempDir::new("winreg-golden");
    windows_guest(&tmp);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/winreg");
    let known = parse_known(
        &std::fs::read_to_string(golden.join("known-differences.txt")).unwrap_or_default(),
    );
    let r = run_cases(&golden, tmp.path(), &known);
    assert!(!r.passed.is_empty(), "no golden case ran");
    r.check("virt-win-reg --merge");
    // The known differences are a stack trace after the message: the message line and the
    // exit status must still be 1.48's.
    for case in known.keys() {
        let read =
            |ext: &str| std::fs::read_to_string(golden.join(format!("{}.{}", case, ext))).unwrap();
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(read("cmd"))
            .current_dir(tmp.path())
            .env("PATH", path_with_tools())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let (_, err, rc) = virt_tools_tests::split(out);
        assert_eq!(rc.to_string(), read("rc").trim(), "{}: {}", case, err);
        assert_eq!(err.lines().next(), read("err").lines().next(), "{}", case);
    }
}

/// PATH with this project's tools first, as the golden cases run.
fn path_with_tools() -> String {
    format!(
        "{}:{}",
        virt_tools_tests::tool_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Every bad input fails before anything is written: the image byte for byte as it was.
#[test]
fn bad_merges_leave_the_image_unchanged() {
    let tmp = TempDir::new("winreg-bad");
    let img = windows_guest(&tmp);
    let before = sha256(&img);
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "syntax",
            &[],
            "[HKLM\\SOFTWARE\\A]\n\"a\"=\"b\"\n\n[HKLM\\SOFTWARE\\B]\n\"bad line\n",
        ),
        (
            "unmapped",
            &[],
            "[HKLM\\SOFTWARE\\A]\n\"a\"=\"b\"\n\n[HKEY_CURRENT_USER\\X]\n",
        ),
        (
            "no-parent",
            &[],
            "[HKLM\\SOFTWARE\\A]\n\"a\"=\"b\"\n\n[HKLM\\SOFTWARE\\No\\Such]\n",
        ),
        (
            "encoding",
            &["--encoding=nosuch"],
            "[HKLM\\SYSTEM\\A]\n\"a\"=\"b\"\n",
        ),
    ];
    for (name, opts, text) in cases {
        let reg = tmp.join(&format!("{}.reg", name));
        std::fs::write(&reg, text).unwrap();
        // A good file first: its changes must not be written either.
        let good = tmp.join("good.reg");
        std::fs::write(&good, "[HKLM\\SYSTEM\\Good]\n\"g\"=dword:00000001\n").unwrap();
        let out = tool("virt-win-reg")
            .arg("--merge")
            .args(*opts)
            .arg(&img)
            .arg(&good)
            .arg(&reg)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let (_, err, rc) = virt_tools_tests::split(out);
        assert_ne!(rc, 0, "{}: {}", name, err);
        assert!(!err.is_empty(), "{}: no message", name);
        assert_eq!(sha256(&img), before, "{}: the image changed", name);
    }
}
