//! The tools on images this suite builds itself with standard tools (mkfs.ext2/3/4 -d, sfdisk
//! MBR with logical partitions and GPT, qemu-img qcow2 compressed and with a backing file),
//! compared byte for byte with what libguestfs 1.48 printed for the same images
//! (tests/golden, made by tests/golden/regenerate.sh; the images are reproducible).

use std::path::Path;
use virt_tools_tests::{images, parse_known, run_cases, TempDir};

#[test]
fn self_built_images_match_libguestfs_1_48() {
    let tmp = TempDir::new("images");
    images::test_images(tmp.path());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let known = parse_known(include_str!("golden/known-differences.txt"));
    let r = run_cases(&golden, tmp.path(), &known);
    println!(
        "golden: {} identical, {} known differences, {} unexpected",
        r.passed.len(),
        r.known.len(),
        r.failed.len()
    );
    for k in &r.known {
        println!("  known difference: {}", k);
    }
    assert!(!r.passed.is_empty(), "no golden case ran");
    assert!(
        r.failed.is_empty(),
        "cases differing from libguestfs 1.48:\n{}",
        r.failed.join("\n")
    );
}

#[test]
fn images_are_reproducible() {
    let a = TempDir::new("repro-a");
    let b = TempDir::new("repro-b");
    images::test_images(a.path());
    images::test_images(b.path());
    for name in ["demo.img", "demo.qcow2", "parts.img", "gpt.img"] {
        let x = std::fs::read(a.join(name)).unwrap();
        let y = std::fs::read(b.join(name)).unwrap();
        assert!(x == y, "{} differs between two builds", name);
    }
}

/// Runs a shell script that builds a test image; it must succeed.
fn run_shell(script: &str) {
    let st = std::process::Command::new("sh")
        .args(["-c", script])
        .status()
        .unwrap();
    assert!(st.success(), "{}", script);
}

/// `virt-ls -l` right-aligns numeric owners as the appliance's `ls -la` does (the expected
/// columns are what libguestfs 1.48's virt-ls printed for this tree).
#[test]
fn long_listing_right_aligns_numeric_owners() {
    let tmp = TempDir::new("ls-owners");
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("d")).unwrap();
    std::fs::write(tree.join("a"), "hi\n").unwrap();
    let img = tmp.path().join("owners.img");
    // Owners set with debugfs, so the test needs no privilege to chown.
    let sh = format!(
        "touch -d '2026-01-01 10:00' {t}/a {t}/d && truncate -s 20M {i} && \
         mkfs.ext4 -q -E root_owner=0:0 -d {t} {i} && \
         debugfs -w -f - {i} >/dev/null 2>&1 <<EOF
sif /a uid 0
sif /a gid 42
sif /d uid 1000
sif /d gid 1000
EOF",
        t = tree.display(),
        i = img.display()
    );
    run_shell(&sh);
    let out = std::process::Command::new(virt_tools_tests::binary())
        .args(["virt-ls", "-l", "-a"])
        .arg(&img)
        .args(["-m", "/dev/sda", "/"])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("    0   42     3 Jan  1  2026 a\n"),
        "{}",
        text
    );
    assert!(
        text.contains(" 1000 1000  1024 Jan  1  2026 d\n"),
        "{}",
        text
    );
}

/// A passphrase piped with `--keys-from-stdin` is read without a prompt: 1.48 writes the
/// prompt only to a terminal, so nothing lands in the tool's standard output.
#[test]
fn slow_piped_passphrase_writes_no_prompt() {
    let tmp = TempDir::new("luks-prompt");
    let img = tmp.path().join("luks.img");
    let sh = format!(
        "truncate -s 32M {i} && printf secret | cryptsetup luksFormat --batch-mode --type luks2 \
         --pbkdf pbkdf2 --pbkdf-force-iterations 1000 {i} -",
        i = img.display()
    );
    run_shell(&sh);
    let mut child = std::process::Command::new(virt_tools_tests::binary())
        .args(["virt-cat", "--keys-from-stdin", "-a"])
        .arg(&img)
        .arg("/etc/hostname")
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"secret\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "", "stderr: {}", stderr);
    assert!(!stderr.contains("Enter key"), "{}", stderr);
    assert_eq!(out.status.code(), Some(1), "{}", stderr);
}

/// libguestfs-test-tool's check is 1.48's: the handle's settings on stdout, then a boot on a
/// 100 MiB scratch disk that is partitioned, formatted ext2, mounted and written to, with the
/// library's debug messages (the daemon's calls among them) on stderr.
#[test]
fn slow_test_tool_partitions_formats_mounts_and_writes() {
    let out = virt_tools_tests::tool("libguestfs-test-tool")
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .env_remove("LIBGUESTFS_BACKEND")
        .output()
        .unwrap();
    let (stdout, stderr, rc) = virt_tools_tests::split(out);
    assert_eq!(rc, 0, "{}\n{}", stdout, stderr);
    for line in [
        "guestfs_get_backend: direct",
        "guestfs_get_backend_settings: [force_tcg]",
        "guestfs_get_program: libguestfs-test-tool",
        "guestfs_get_verbose: 1",
        "Launching appliance, timeout set to 600 seconds.",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{} missing:\n{}",
            line,
            stdout
        );
    }
    assert!(
        stdout.ends_with("Guest launched OK.\n===== TEST FINISHED OK =====\n"),
        "{}",
        stdout
    );
    let calls: Vec<&str> = ["part_disk", "mkfs", "mount", "touch"]
        .into_iter()
        .filter(|c| !stderr.contains(&format!("<= {} (", c)))
        .collect();
    assert!(calls.is_empty(), "calls not made: {:?}\n{}", calls, stderr);
}

/// A Debian-like guest whose /boot (sda2, in fstab) is an ext4 made by mkfs.ext4 -d and then
/// damaged by `damage` (a shell command given the image as $IMG and the partition's byte
/// offset as $OFF).
fn guest_with_damaged_boot(dir: &Path, name: &str, damage: &str) -> std::path::PathBuf {
    let img = dir.join(name);
    let sh = format!(
        r#"set -e
d={dir}/{name}.tree; rm -rf $d; mkdir -p $d/root/etc $d/root/boot $d/root/bin $d/boot/dir $d/boot/grub
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' > $d/root/etc/os-release
echo 12.0 > $d/root/etc/debian_version
printf '/dev/sda1 / ext4 defaults 0 1\n/dev/sda2 /boot ext4 defaults 0 2\n' > $d/root/etc/fstab
echo hi > $d/boot/grub/grub.cfg
for i in $(seq 1 50); do echo $i > $d/boot/dir/file$i; done
IMG={img}; OFF=$((43008*512))
truncate -s 64M $IMG
printf 'label: dos\nstart=2048, size=40960, type=83\nstart=43008, type=83\n' | sfdisk -q $IMG
mkfs.ext4 -q -F -d $d/root -E offset=$((2048*512)) $IMG 20M
mkfs.ext4 -q -F -O metadata_csum -d $d/boot -E offset=$OFF $IMG 44032K
{damage}
rm -rf $d"#,
        dir = dir.display(),
        name = name,
        img = img.display(),
        damage = damage
    );
    run_shell(&sh);
    img
}

/// When a guest filesystem cannot be mounted, or a directory cannot be read, virt-ls,
/// virt-copy-out and virt-tar-out report it alike and as 1.48 does, on both backends: an
/// unmountable /boot is reported and skipped (exit 0); a directory block failing its checksum
/// cancels the transfer, with guestfish's `*stdin*:0:` position for the two guestfish
/// wrappers: exit 1, except virt-copy-out, whose directory copy ignores the outcome of the
/// tar-out it streams in 1.48 (exit 0, the directory left out).
#[test]
fn slow_damaged_filesystems_are_reported_alike() {
    let tmp = TempDir::new("damage");
    // The superblock of /boot zeroed: the mount fails.
    let unmountable = guest_with_damaged_boot(
        tmp.path(),
        "unmountable.img",
        "dd if=/dev/zero of=$IMG bs=1024 seek=$((OFF/1024+1)) count=1 conv=notrunc status=none",
    );
    // Bytes in the middle of /boot/dir's only block: its checksum no longer matches.
    let bad_dir = guest_with_damaged_boot(
        tmp.path(),
        "baddir.img",
        "dd if=$IMG of=$IMG.p2 bs=512 skip=43008 status=none
         blk=$(debugfs -R 'bmap /dir 0' $IMG.p2 2>/dev/null)
         bs=$(dumpe2fs -h $IMG.p2 2>/dev/null | sed -n 's/^Block size: *//p'); rm $IMG.p2
         printf 'garbage!' | dd of=$IMG bs=1 seek=$((OFF + blk*bs + 100)) conv=notrunc status=none",
    );
    let out = tmp.path().join("out");
    let cancelled = "libguestfs: error: file receive cancelled by daemon\n";
    for backend in ["native", "direct"] {
        let run = |tool: &str, img: &Path, args: &[&str]| {
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out).unwrap();
            let o = virt_tools_tests::tool(tool)
                .env("LIBGUESTFS_BACKEND", backend)
                .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
                .arg("-a")
                .arg(img)
                .args(args)
                .current_dir(&out)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            virt_tools_tests::split(o)
        };
        for (tool, args) in [
            ("virt-ls", &["-R", "/boot"][..]),
            ("virt-copy-out", &["/boot", "."][..]),
            ("virt-tar-out", &["/boot", "boot.tar"][..]),
        ] {
            let (_, err, rc) = run(tool, &unmountable, args);
            assert_eq!(rc, 0, "{} {}: {}", backend, tool, err);
            assert!(
                err.starts_with("libguestfs: error: mount_ro: ")
                    && err.ends_with(&format!(
                        "{}: some filesystems could not be mounted (ignored)\n",
                        tool
                    )),
                "{} {}: {}",
                backend,
                tool,
                err
            );
            let (_, err, rc) = run(tool, &bad_dir, args);
            let expected = if tool == "virt-ls" {
                cancelled.to_string()
            } else {
                format!("*stdin*:0: {}", cancelled)
            };
            let expected_rc = if tool == "virt-copy-out" { 0 } else { 1 };
            assert_eq!(
                (err.as_str(), rc),
                (expected.as_str(), expected_rc),
                "{} {}",
                backend,
                tool
            );
        }
    }
}
