//! OS inspection on real images: libguestfs's phony-guest fixtures compared with libguestfs
//! 1.48's virt-inspector output, phony guests built here with mkfs.ext4 -d / sfdisk, and a
//! real Debian installed with debootstrap.

use guestfs::types::Application2;
use guestfs::Handle;
use std::path::{Path, PathBuf};
use std::process::Command;

// --- helpers -------------------------------------------------------------------------------

fn handle(images: &[&Path]) -> Handle {
    let mut g = Handle::new();
    g.set_backend("native").unwrap();
    g.set_error_handler_quiet();
    for i in images {
        g.add_drive_ro(i.to_str().unwrap()).unwrap();
    }
    g.launch().unwrap();
    g
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null 2>&1", tool))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{:?}: {}", cmd, e));
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tmpdir(name: &str) -> PathBuf {
    let base = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let d = base.join(format!("inspect-test-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Mounts a root's filesystems as virt-inspector does (shortest mountpoint first).
fn mount_root(g: &mut Handle, root: &str) {
    let mut mps = g.inspect_get_mountpoints(root).unwrap();
    mps.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    for (mp, dev) in mps {
        let _ = g.mount_ro(&dev, &mp);
    }
}

// --- a tiny reader of virt-inspector's XML -------------------------------------------------

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The text of the first `<tag>…</tag>` in `xml`.
fn elem(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{}>", tag);
    let close = format!("</{}>", tag);
    let a = xml.find(&open)? + open.len();
    let b = xml[a..].find(&close)? + a;
    Some(unescape(&xml[a..b]))
}

/// Every `<tag attr="A">TEXT</tag>` (or self-closed) in `xml`, as (A, TEXT).
fn elems_with_attr(xml: &str, tag: &str, attr: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let open = format!("<{} {}=\"", tag, attr);
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let q = after.find('"').unwrap();
        let a = unescape(&after[..q]);
        let after = &after[q + 1..];
        let text = if after.starts_with("/>") {
            String::new()
        } else {
            let gt = after.find('>').unwrap();
            let body = &after[gt + 1..];
            let close = format!("</{}>", tag);
            match body.find(&close) {
                Some(end) if !body[..end].contains('<') => unescape(&body[..end]),
                _ => String::new(),
            }
        };
        out.push((a, text));
        rest = after;
    }
    out
}

/// The `<application>` blocks as field maps.
fn applications(xml: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<application>") {
        let body = &rest[i + 13..];
        let end = body.find("</application>").unwrap();
        let block = &body[..end];
        let mut fields = Vec::new();
        for f in [
            "name",
            "display_name",
            "epoch",
            "version",
            "release",
            "arch",
            "install_path",
            "publisher",
            "url",
            "source_package",
            "summary",
            "description",
        ] {
            if let Some(v) = elem(block, f) {
                fields.push((f.to_string(), v));
            }
        }
        out.push(fields);
        rest = &body[end..];
    }
    out
}

fn app_fields(a: &Application2) -> Vec<(String, String)> {
    let mut f = Vec::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            f.push((k.to_string(), v.to_string()));
        }
    };
    put("name", &a.app2_name);
    put("display_name", &a.app2_display_name);
    if a.app2_epoch != 0 {
        put("epoch", &a.app2_epoch.to_string());
    }
    put("version", &a.app2_version);
    put("release", &a.app2_release);
    put("arch", &a.app2_arch);
    put("install_path", &a.app2_install_path);
    put("publisher", &a.app2_publisher);
    put("url", &a.app2_url);
    put("source_package", &a.app2_source_package);
    put("summary", &a.app2_summary);
    put("description", &a.app2_description);
    f
}

fn known(s: String) -> Option<String> {
    (s != "unknown").then_some(s)
}

fn quiet<T>(g: &mut Handle, f: impl FnOnce(&mut Handle) -> guestfs::Result<T>) -> Option<T> {
    f(g).ok()
}

/// Compares every getter for the first root with virt-inspector's XML.
fn compare_with_expected(g: &mut Handle, xml: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, got: Option<String>, want: Option<String>| {
        if got != want {
            diffs.push(format!("{}: got {:?}, want {:?}", what, got, want));
        }
    };
    let roots = g.inspect_os().unwrap();
    let os = &xml[xml.find("<operatingsystem>").unwrap()..];
    assert_eq!(roots.len(), 1, "roots: {:?}", roots);
    let root = roots[0].clone();
    check(
        "root",
        g.canonical_device_name(&root).ok(),
        elem(os, "root"),
    );
    check(
        "name",
        known(g.inspect_get_type(&root).unwrap()),
        elem(os, "name"),
    );
    check(
        "arch",
        known(g.inspect_get_arch(&root).unwrap()),
        elem(os, "arch"),
    );
    check(
        "distro",
        known(g.inspect_get_distro(&root).unwrap()),
        elem(os, "distro"),
    );
    check(
        "product_name",
        known(g.inspect_get_product_name(&root).unwrap()),
        elem(os, "product_name"),
    );
    check(
        "product_variant",
        known(g.inspect_get_product_variant(&root).unwrap()),
        elem(os, "product_variant"),
    );
    check(
        "major_version",
        Some(g.inspect_get_major_version(&root).unwrap().to_string()),
        elem(os, "major_version"),
    );
    check(
        "minor_version",
        Some(g.inspect_get_minor_version(&root).unwrap().to_string()),
        elem(os, "minor_version"),
    );
    check(
        "package_format",
        known(g.inspect_get_package_format(&root).unwrap()),
        elem(os, "package_format"),
    );
    check(
        "package_management",
        known(g.inspect_get_package_management(&root).unwrap()),
        elem(os, "package_management"),
    );
    check(
        "windows_systemroot",
        quiet(g, |g| g.inspect_get_windows_systemroot(&root)),
        elem(os, "windows_systemroot"),
    );
    check(
        "windows_current_control_set",
        quiet(g, |g| g.inspect_get_windows_current_control_set(&root)),
        elem(os, "windows_current_control_set"),
    );
    check(
        "hostname",
        known(g.inspect_get_hostname(&root).unwrap()),
        elem(os, "hostname"),
    );
    check(
        "osinfo",
        known(g.inspect_get_osinfo(&root).unwrap()),
        elem(os, "osinfo"),
    );

    let mut mps = g.inspect_get_mountpoints(&root).unwrap();
    mps.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    let got: Vec<(String, String)> = mps
        .iter()
        .map(|(mp, d)| (g.canonical_device_name(d).unwrap(), mp.clone()))
        .collect();
    let want = elems_with_attr(os, "mountpoint", "dev");
    if got != want {
        diffs.push(format!("mountpoints: got {:?}, want {:?}", got, want));
    }

    let mut fss = g.inspect_get_filesystems(&root).unwrap();
    fss.sort();
    let got: Vec<String> = fss
        .iter()
        .map(|d| g.canonical_device_name(d).unwrap())
        .collect();
    let want: Vec<String> = elems_with_attr(os, "filesystem", "dev")
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    if got != want {
        diffs.push(format!("filesystems: got {:?}, want {:?}", got, want));
    }

    let mut dm = g.inspect_get_drive_mappings(&root).unwrap();
    dm.sort_by_key(|(l, _)| l.to_ascii_lowercase());
    let got: Vec<(String, String)> = dm
        .iter()
        .map(|(l, d)| (l.clone(), g.canonical_device_name(d).unwrap()))
        .collect();
    let want = elems_with_attr(os, "drive_mapping", "name");
    if got != want {
        diffs.push(format!("drive_mappings: got {:?}, want {:?}", got, want));
    }

    mount_root(g, &root);
    match g.inspect_list_applications2(&root) {
        Ok(apps) => {
            let got: Vec<_> = apps.iter().map(app_fields).collect();
            let want = applications(os);
            if got != want {
                diffs.push(format!(
                    "applications: got {} entries, want {}",
                    got.len(),
                    want.len()
                ));
                for (i, (a, b)) in got.iter().zip(want.iter()).enumerate() {
                    if a != b {
                        diffs.push(format!(
                            "  application {}: got {:?}\n    want {:?}",
                            i, a, b
                        ));
                    }
                }
            }
        }
        Err(e) => diffs.push(format!("applications: error {}", e)),
    }
    let icon = g
        .inspect_get_icon(
            &root,
            guestfs::InspectGetIconOpts {
                favicon: Some(false),
                highquality: Some(false),
            },
        )
        .unwrap();
    if icon.is_empty() != elem(os, "icon").is_none() {
        diffs.push("icon presence differs".into());
    }
    let _ = g.umount_all();
    diffs
}

// --- (c) the libguestfs fixtures -------------------------------------------------------------

/// `../shared/fixtures` beside the repository.
fn shared_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn fixtures() -> Option<PathBuf> {
    let shared = shared_fixtures();
    if !shared.join("unpack.sh").exists() {
        eprintln!("SKIP: ../shared/fixtures is absent; fixture comparisons not run");
        return None;
    }
    let dir = PathBuf::from("/tmp/fixtures");
    if !dir.join("windows.img").exists() {
        run(Command::new(shared.join("unpack.sh")).arg(&dir));
    }
    Some(dir)
}

fn fixture_case(name: &str) {
    let Some(dir) = fixtures() else {
        return;
    };
    let expected = std::fs::read_to_string(
        shared_fixtures()
            .join("expected")
            .join(format!("{}.inspector.out", name)),
    )
    .unwrap();
    let img = dir.join(format!("{}.img", name));
    let mut g = handle(&[&img]);
    if expected.contains("<root>/dev/")
        && !expected.contains("<root>/dev/sd")
        && g.lvs().unwrap().is_empty()
    {
        eprintln!(
            "SKIP: {}: the native backend does not see this image's LVM volumes yet",
            name
        );
        return;
    }
    let diffs = compare_with_expected(&mut g, &expected);
    assert!(
        diffs.is_empty(),
        "{}: differences from libguestfs 1.48:\n{}",
        name,
        diffs.join("\n")
    );
}

#[test]
fn fixture_archlinux() {
    fixture_case("archlinux");
}

#[test]
fn fixture_coreos() {
    fixture_case("coreos");
}

#[test]
fn fixture_debian() {
    fixture_case("debian");
}

#[test]
fn fixture_fedora() {
    fixture_case("fedora");
}

#[test]
fn fixture_ubuntu() {
    fixture_case("ubuntu");
}

#[test]
fn fixture_windows() {
    if !guestfs::fs::is_supported("ntfs") {
        eprintln!("SKIP: the native backend cannot read NTFS yet; windows fixture not compared");
        return;
    }
    fixture_case("windows");
}

#[test]
fn fixture_blank_disks_have_no_os() {
    let Some(dir) = fixtures() else {
        return;
    };
    for name in [
        "blank-disk",
        "blank-part",
        "blank-fs",
        "blank-bootroot",
        "blank-bootrootlv",
    ] {
        let mut g = handle(&[&dir.join(format!("{}.img", name))]);
        assert_eq!(g.inspect_os().unwrap(), Vec::<String>::new(), "{}", name);
        let err = g.inspect_get_type("/dev/sda1").unwrap_err().message;
        // With no mountable filesystem there is no inspection data at all; otherwise the
        // filesystems are known but none is a root.
        let mountable =
            name == "blank-fs" || name == "blank-bootroot" || name == "blank-bootrootlv";
        if !mountable {
            assert_eq!(
                err,
                "inspect_get_type: no inspection data: call guestfs_inspect_os first"
            );
        } else {
            assert!(err.contains("root device not found"), "{}: {}", name, err);
        }
    }
}

// --- (b) phony guests built here -------------------------------------------------------------

/// A guest directory tree under construction.
struct Tree(PathBuf);

impl Tree {
    fn new(base: &Path, name: &str) -> Tree {
        let p = base.join(name);
        std::fs::create_dir_all(&p).unwrap();
        Tree(p)
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel.trim_start_matches('/'))
    }
    fn dir(&self, rel: &str) -> &Self {
        std::fs::create_dir_all(self.path(rel)).unwrap();
        self
    }
    fn file(&self, rel: &str, content: &[u8]) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }
    fn symlink(&self, rel: &str, target: &str) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }
    fn copy(&self, rel: &str, from: &Path) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::copy(from, p).unwrap();
        self
    }
}

/// One filesystem of a test disk: a tree made into ext4 by `mkfs.ext4 -d`.
struct Fs<'a> {
    tree: &'a Tree,
    size_mb: u64,
    label: &'a str,
    uuid: &'a str,
}

fn mkfs_ext4(img: &Path, offset: u64, fs: &Fs) {
    let mut cmd = Command::new("mkfs.ext4");
    cmd.args(["-q", "-F", "-t", "ext4"]);
    if offset > 0 {
        cmd.arg("-E").arg(format!("offset={}", offset));
    }
    if !fs.label.is_empty() {
        cmd.args(["-L", fs.label]);
    }
    if !fs.uuid.is_empty() {
        cmd.args(["-U", fs.uuid]);
    }
    cmd.arg("-d")
        .arg(&fs.tree.0)
        .arg(img)
        .arg(format!("{}M", fs.size_mb));
    run(&mut cmd);
}

/// A partitioned disk: `sfdisk` with `header` lines (label, label-id), one partition per
/// filesystem (1 MiB aligned, `extra` appended to each partition line), then each ext4.
fn partitioned_disk(img: &Path, header: &str, fss: &[Fs], extra: &[&str]) {
    let total: u64 = fss.iter().map(|f| f.size_mb).sum::<u64>() + 4;
    let _ = std::fs::remove_file(img);
    run(Command::new("truncate")
        .arg("-s")
        .arg(format!("{}M", total))
        .arg(img));
    let mut script = format!("{}\n", header);
    let mut start = 2048u64;
    let mut starts = Vec::new();
    for (i, f) in fss.iter().enumerate() {
        let sectors = f.size_mb * 2048;
        script.push_str(&format!(
            "start={}, size={}{}\n",
            start,
            sectors,
            extra.get(i).map(|e| format!(", {}", e)).unwrap_or_default()
        ));
        starts.push(start);
        start += sectors;
    }
    let mut child = Command::new("sfdisk")
        .arg("-q")
        .arg(img)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sfdisk: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (f, s) in fss.iter().zip(starts) {
        mkfs_ext4(img, s * 512, f);
    }
}

fn tools_for_images() -> bool {
    if have("mkfs.ext4") && have("sfdisk") && have("truncate") {
        return true;
    }
    eprintln!("SKIP: mkfs.ext4/sfdisk not available; phony guest images not built");
    false
}

const DPKG_STATUS: &[u8] = b"Package: base-files\nStatus: install ok installed\nPriority: required\nVersion: 12.4+deb12u5\nArchitecture: amd64\nDescription: Debian base system miscellaneous files\n This package contains the basic filesystem hierarchy.\n\nPackage: removed\nStatus: deinstall ok config-files\nVersion: 1.0-1\n\nPackage: libc6\nStatus: install ok installed\nSource: glibc (2.36-9)\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nHomepage: https://www.gnu.org/software/libc/libc.html\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n\nPackage: adduser\nStatus: install ok installed\nVersion: 1:3.134\nArchitecture: all\nDescription: add and remove users\n\n";

fn linux_common(t: &Tree) {
    t.dir("/etc").dir("/usr/bin").dir("/var/tmp");
    t.copy("/bin/ls", Path::new("/bin/ls"));
}

#[test]
fn phony_debian_whole_disk() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("debian");
    let t = Tree::new(&d, "root");
    linux_common(&t);
    t.file("/etc/os-release", b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n")
        .file("/etc/debian_version", b"12.5\n")
        .file("/etc/hostname", b"phony-debian\n")
        .file("/etc/fstab", b"# /etc/fstab\nUUID=9b6e2c7a-1111-4222-8333-444455556666 / ext4 errors=remount-ro 0 1\n/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n")
        .file("/var/lib/dpkg/status", DPKG_STATUS);
    let img = d.join("disk.img");
    mkfs_ext4(
        &img,
        0,
        &Fs {
            tree: &t,
            size_mb: 16,
            label: "",
            uuid: "9b6e2c7a-1111-4222-8333-444455556666",
        },
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda"]);
    let r = "/dev/sda";
    assert_eq!(g.inspect_get_type(r).unwrap(), "linux");
    assert_eq!(g.inspect_get_distro(r).unwrap(), "debian");
    // os-release gives only the major version, so debian_version wins (and names the product).
    assert_eq!(g.inspect_get_product_name(r).unwrap(), "12.5");
    assert_eq!(
        (
            g.inspect_get_major_version(r).unwrap(),
            g.inspect_get_minor_version(r).unwrap()
        ),
        (12, 5)
    );
    assert_eq!(g.inspect_get_osinfo(r).unwrap(), "debian12");
    assert_eq!(g.inspect_get_hostname(r).unwrap(), "phony-debian");
    assert_eq!(g.inspect_get_package_format(r).unwrap(), "deb");
    assert_eq!(g.inspect_get_package_management(r).unwrap(), "apt");
    if cfg!(target_arch = "x86_64") {
        assert_eq!(g.inspect_get_arch(r).unwrap(), "x86_64");
    }
    assert_eq!(
        g.inspect_get_mountpoints(r).unwrap(),
        vec![("/".to_string(), "/dev/sda".to_string())]
    );
    assert_eq!(g.inspect_get_filesystems(r).unwrap(), vec!["/dev/sda"]);
    assert_eq!(g.inspect_get_format(r).unwrap(), "installed");
    assert!(!g.inspect_is_live(r).unwrap());
    assert_eq!(
        g.inspect_get_windows_systemroot(r).unwrap_err().message,
        "inspect_get_windows_systemroot: not a Windows guest, or systemroot could not be determined"
    );
    assert_eq!(
        g.inspect_get_type("/dev/sdb").unwrap_err().message,
        "inspect_get_type: /dev/sdb: root device not found: only call this function with a root device previously returned by guestfs_inspect_os"
    );
    mount_root(&mut g, r);
    let apps = g.inspect_list_applications2(r).unwrap();
    let names: Vec<_> = apps.iter().map(|a| a.app2_name.as_str()).collect();
    assert_eq!(names, vec!["adduser", "base-files", "libc6"]);
    assert_eq!(apps[0].app2_epoch, 1);
    assert_eq!(apps[0].app2_version, "3.134");
    assert_eq!(apps[1].app2_version, "12.4+deb12u5");
    assert_eq!(
        apps[1].app2_description,
        "This package contains the basic filesystem hierarchy."
    );
    assert_eq!(apps[2].app2_source_package, "glibc");
    assert_eq!(apps[2].app2_release, "9+deb12u4");
    assert!(g
        .inspect_get_icon(
            r,
            guestfs::InspectGetIconOpts {
                favicon: Some(true),
                highquality: Some(false)
            }
        )
        .unwrap()
        .is_empty());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn phony_separate_usr_and_labels() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("usr");
    let root = Tree::new(&d, "root");
    root.dir("/etc")
        .dir("/usr")
        .dir("/var")
        .dir("/boot")
        .symlink("/bin", "usr/bin")
        .symlink("/lib", "usr/lib");
    root.symlink("/etc/os-release", "../usr/lib/os-release")
        .file("/etc/hosts", b"127.0.0.1 localhost\n")
        .file("/etc/HOSTNAME", b"\n# no\nusr-split.example\n")
        .file("/etc/fstab", b"LABEL=ROOT / ext4 defaults 1 1\nLABEL=USR /usr ext4 defaults 1 2\nLABEL=MISSING /srv ext4 defaults 0 0\nUUID=\"0c2b1a4e-5f6d-4e7f-8a9b-0c1d2e3f4a5b\" /boot ext4 defaults 1 2\n/dev/vdb1 /data ext4 defaults 0 0\n/dev/sdb /whole ext4 defaults 0 0\ntmpfs /tmp tmpfs defaults 0 0\n");
    let usr = Tree::new(&d, "usr");
    usr.dir("/local").dir("/share").dir("/src").dir("/bin");
    usr.copy("/bin/ls", Path::new("/bin/ls"))
        .file("/lib/os-release", b"NAME=Fedora\nID=fedora\nVERSION_ID=38\nPRETTY_NAME=\"Fedora Linux 38 (Thirty Eight)\"\n")
        .file("/bin/dnf", b"#!/bin/sh\n");
    let boot = Tree::new(&d, "boot");
    boot.file("/grub2/grub.cfg", b"");
    let img = d.join("disk.img");
    partitioned_disk(
        &img,
        "label: dos",
        &[
            Fs {
                tree: &boot,
                size_mb: 8,
                label: "BOOT",
                uuid: "0c2b1a4e-5f6d-4e7f-8a9b-0c1d2e3f4a5b",
            },
            Fs {
                tree: &root,
                size_mb: 8,
                label: "ROOT",
                uuid: "",
            },
            Fs {
                tree: &usr,
                size_mb: 8,
                label: "USR",
                uuid: "",
            },
        ],
        &[],
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda2"]);
    let r = "/dev/sda2";
    assert_eq!(g.inspect_get_distro(r).unwrap(), "fedora");
    assert_eq!(
        g.inspect_get_product_name(r).unwrap(),
        "Fedora Linux 38 (Thirty Eight)"
    );
    assert_eq!(g.inspect_get_major_version(r).unwrap(), 38);
    // Package management comes from the /usr filesystem's own classification, where dnf is
    // at /bin/dnf, not /usr/bin/dnf: so "yum", as libguestfs says.
    assert_eq!(g.inspect_get_package_management(r).unwrap(), "yum");
    assert_eq!(g.inspect_get_hostname(r).unwrap(), "usr-split.example");
    if cfg!(target_arch = "x86_64") {
        assert_eq!(g.inspect_get_arch(r).unwrap(), "x86_64");
    }
    assert_eq!(
        g.inspect_get_mountpoints(r).unwrap(),
        // Last fstab line first, as libguestfs 1.48 lists them.
        vec![
            ("/whole".to_string(), "/dev/sdb".to_string()),
            ("/data".to_string(), "/dev/vdb1".to_string()),
            ("/boot".to_string(), "/dev/sda1".to_string()),
            ("/usr".to_string(), "/dev/sda3".to_string()),
            ("/".to_string(), "/dev/sda2".to_string()),
        ]
    );
    assert_eq!(g.inspect_get_osinfo(r).unwrap(), "fedora38");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn phony_arch_pacman_and_alpine_apk() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("arch");
    let arch = Tree::new(&d, "arch");
    arch.dir("/etc")
        .symlink("/bin", "usr/bin")
        .copy("/usr/bin/ls", Path::new("/bin/ls"));
    arch.file("/etc/os-release", b"NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n")
        .file("/etc/arch-release", b"")
        .file("/etc/fstab", b"# <file system> <dir> <type> <options> <dump> <pass>\n")
        .file("/etc/hostname", b"archy\n")
        .file("/var/lib/pacman/local/ALPM_DB_VERSION", b"9\n")
        .file("/var/lib/pacman/local/bash-5.2.026-2/desc", b"%NAME%\nbash\n\n%VERSION%\n5.2.026-2\n\n%BASE%\nbash\n\n%DESC%\nThe GNU Bourne Again shell\n\n%URL%\nhttps://www.gnu.org/software/bash/bash.html\n\n%ARCH%\nx86_64\n\n")
        .file("/var/lib/pacman/local/zlib-1:1.3.1-1/desc", b"%NAME%\nzlib\n\n%VERSION%\n1:1.3.1-1\n\n%DESC%\nCompression library\n\n%ARCH%\nx86_64\n\n")
        .file("/var/lib/pacman/local/broken-1/desc", b"%NAME%\nbroken\n");
    arch.file("/var/lib/pacman/local/huge-1-1/desc", &vec![b'x'; 9000]);
    let alpine = Tree::new(&d, "alpine");
    alpine
        .dir("/etc")
        .dir("/bin")
        .copy("/bin/busybox", Path::new("/bin/ls"));
    alpine.file("/etc/alpine-release", b"3.18.4\n")
        .file("/etc/os-release", b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n")
        .file("/etc/hostname", b"alp\n")
        .file("/etc/fstab", b"/dev/sdb1 / ext4 rw,relatime 0 1\n")
        .file("/lib/apk/db/installed", b"C:Q1x=\nP:musl\nV:1.2.4-r2\nA:x86_64\nT:the musl c library (libc) implementation\nU:https://musl.libc.org/\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nT:Size optimized toolbox\nU:https://busybox.net/\n\n");
    let a = d.join("arch.img");
    let b = d.join("alpine.img");
    partitioned_disk(
        &a,
        "label: gpt",
        &[Fs {
            tree: &arch,
            size_mb: 8,
            label: "",
            uuid: "",
        }],
        &[],
    );
    partitioned_disk(
        &b,
        "label: dos",
        &[Fs {
            tree: &alpine,
            size_mb: 8,
            label: "",
            uuid: "",
        }],
        &[],
    );
    let mut g = handle(&[&a, &b]);
    let roots = g.inspect_os().unwrap();
    assert_eq!(roots, vec!["/dev/sda1", "/dev/sdb1"]);
    assert_eq!(g.inspect_get_distro("/dev/sda1").unwrap(), "archlinux");
    assert_eq!(
        g.inspect_get_product_name("/dev/sda1").unwrap(),
        "Arch Linux"
    );
    assert_eq!(g.inspect_get_osinfo("/dev/sda1").unwrap(), "archlinux");
    assert_eq!(g.inspect_get_build_id("/dev/sda1").unwrap(), "rolling");
    if cfg!(target_arch = "x86_64") {
        assert_eq!(g.inspect_get_arch("/dev/sda1").unwrap(), "x86_64");
    }
    // An fstab with only comments gives no entries: just the root.
    assert_eq!(
        g.inspect_get_mountpoints("/dev/sda1").unwrap(),
        vec![("/".to_string(), "/dev/sda1".to_string())]
    );
    assert_eq!(g.inspect_get_distro("/dev/sdb1").unwrap(), "alpinelinux");
    assert_eq!(
        g.inspect_get_osinfo("/dev/sdb1").unwrap(),
        "alpinelinux3.18"
    );
    assert_eq!(g.inspect_get_package_format("/dev/sdb1").unwrap(), "apk");
    assert_eq!(
        g.inspect_get_mountpoints("/dev/sdb1").unwrap(),
        vec![("/".to_string(), "/dev/sdb1".to_string())]
    );

    g.mount_ro("/dev/sda1", "/").unwrap();
    let apps = g.inspect_list_applications2("/dev/sda1").unwrap();
    let summary: Vec<_> = apps
        .iter()
        .map(|a| {
            (
                a.app2_name.as_str(),
                a.app2_epoch,
                a.app2_version.as_str(),
                a.app2_release.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![("bash", 0, "5.2.026", "2"), ("zlib", 1, "1.3.1", "1")]
    );
    assert_eq!(apps[0].app2_description, "The GNU Bourne Again shell");
    g.umount_all().unwrap();
    g.mount_ro("/dev/sdb1", "/").unwrap();
    let apps = g.inspect_list_applications2("/dev/sdb1").unwrap();
    let summary: Vec<_> = apps
        .iter()
        .map(|a| {
            (
                a.app2_name.as_str(),
                a.app2_version.as_str(),
                a.app2_release.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![("busybox", "1.36.1", "5"), ("musl", "1.2.4", "2")]
    );
    g.umount_all().unwrap();
    // Without the database mounted, listing fails the way libguestfs does.
    g.mount_ro("/dev/sda1", "/").unwrap();
    let e = g.inspect_list_applications2("/dev/sdb1").unwrap_err();
    assert_eq!(
        e.message,
        "filesize: /lib/apk/db/installed: No such file or directory"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn phony_bsd_and_bad_fstab() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("bsd");
    let bsd = Tree::new(&d, "bsd");
    bsd.dir("/etc").dir("/bin").file("/etc/freebsd-update.conf", b"")
        .file("/etc/fstab", b"# Device Mountpoint FStype Options Dump Pass#\n/dev/ada0p2 / ufs rw 1 1\n/dev/ada0p3 none swap sw 0 0\n/dev/ada0s1d /var ufs rw 2 2\n")
        .file("/etc/motd", b"FreeBSD 13.2-RELEASE releng/13.2-n254617-525ecfdad597 GENERIC\n\nWelcome!\n")
        .file("/etc/rc.conf", b"# rc.conf\n  hostname=\"indented\"\nhostname=\"freebsd.example\"\nsshd_enable=YES\n");
    let img = d.join("bsd.img");
    partitioned_disk(
        &img,
        "label: gpt",
        &[Fs {
            tree: &bsd,
            size_mb: 8,
            label: "",
            uuid: "",
        }],
        &[],
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda1"]);
    let r = "/dev/sda1";
    assert_eq!(g.inspect_get_type(r).unwrap(), "freebsd");
    assert_eq!(g.inspect_get_distro(r).unwrap(), "freebsd");
    assert_eq!(
        g.inspect_get_product_name(r).unwrap(),
        "FreeBSD 13.2-RELEASE releng/13.2-n254617-525ecfdad597 GENERIC"
    );
    assert_eq!(
        (
            g.inspect_get_major_version(r).unwrap(),
            g.inspect_get_minor_version(r).unwrap()
        ),
        (13, 2)
    );
    assert_eq!(g.inspect_get_osinfo(r).unwrap(), "freebsd13.2");
    assert_eq!(g.inspect_get_hostname(r).unwrap(), "freebsd.example");
    assert_eq!(
        g.inspect_get_mountpoints(r).unwrap(),
        vec![
            ("/var".to_string(), "/dev/sda7".to_string()),
            ("/".to_string(), "/dev/sda1".to_string())
        ]
    );
    assert_eq!(
        g.inspect_get_filesystems(r).unwrap(),
        vec!["/dev/sda7", "/dev/sda3", "/dev/sda1"]
    );

    // An fstab Augeas cannot parse aborts inspection with Augeas's position.
    let bad = Tree::new(&d, "bad");
    bad.dir("/etc").dir("/bin").file("/etc/hosts", b"").file(
        "/etc/fstab",
        b"# ok\n/dev/sda1 / ext4 defaults 0 1\n/dev/sda2 /home\n",
    );
    let img2 = d.join("bad.img");
    mkfs_ext4(
        &img2,
        0,
        &Fs {
            tree: &bad,
            size_mb: 8,
            label: "",
            uuid: "",
        },
    );
    let mut g = handle(&[&img2]);
    let e = g.inspect_os().unwrap_err();
    // libguestfs 1.48 misses the details of Augeas's error (so "<missing>").
    assert_eq!(
        e.message,
        "inspect_os: /etc/fstab:<missing>:<missing>: augeas parse failure: <missing>"
    );
    assert_eq!(g.inspect_get_roots().unwrap(), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&d);
}

// --- Windows (on ext4 stand-ins, so the native backend needs no NTFS) ------------------------

/// A minimal PE32 (i386) executable header.
fn pe32(magic: u16) -> Vec<u8> {
    let mut pe = vec![0u8; 0x200];
    pe[0..2].copy_from_slice(b"MZ");
    pe[0x18..0x1a].copy_from_slice(&0x40u16.to_le_bytes());
    pe[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    pe[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes());
    pe[0x94..0x96].copy_from_slice(&0xe0u16.to_le_bytes());
    pe[0x98..0x9a].copy_from_slice(&magic.to_le_bytes());
    pe
}

fn hive_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/hive")
        .join(name)
}

fn windows_tree(base: &Path, name: &str, software: &Path, system: &Path, pe_magic: u16) -> Tree {
    let t = Tree::new(base, name);
    t.file("/Windows/System32/cmd.exe", &pe32(pe_magic))
        .dir("/Windows/System32/Drivers")
        .copy("/Windows/System32/Config/SOFTWARE", software)
        .copy("/Windows/System32/Config/SYSTEM", system)
        .dir("/Program Files");
    t
}

#[test]
fn phony_windows_mbr() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("win");
    let data = Tree::new(&d, "data");
    data.dir("/System Volume Information").dir("/Program Files");
    let win = windows_tree(
        &d,
        "win",
        &hive_data("windows-software.hive"),
        &hive_data("windows-system.hive"),
        0x10b,
    );
    let img = d.join("win.img");
    // The phony SYSTEM hive maps C: to disk signature "1234" and byte offset 0x10000000.
    let _ = std::fs::remove_file(&img);
    run(Command::new("truncate").arg("-s").arg("300M").arg(&img));
    let mut child = Command::new("sfdisk")
        .arg("-q")
        .arg(&img)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"label: dos\nlabel-id: 0x34333231\nstart=2048, size=16384, type=7\nstart=524288, size=40960, type=7\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    mkfs_ext4(
        &img,
        2048 * 512,
        &Fs {
            tree: &data,
            size_mb: 8,
            label: "",
            uuid: "",
        },
    );
    mkfs_ext4(
        &img,
        0x10000000,
        &Fs {
            tree: &win,
            size_mb: 20,
            label: "",
            uuid: "",
        },
    );

    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda2"]);
    let r = "/dev/sda2";
    assert_eq!(g.inspect_get_type(r).unwrap(), "windows");
    assert_eq!(g.inspect_get_distro(r).unwrap(), "windows");
    assert_eq!(g.inspect_get_arch(r).unwrap(), "i386");
    assert_eq!(
        g.inspect_get_product_name(r).unwrap(),
        "Microsoft Windows 7 Phony Edition"
    );
    assert_eq!(g.inspect_get_product_variant(r).unwrap(), "Client");
    assert_eq!(
        (
            g.inspect_get_major_version(r).unwrap(),
            g.inspect_get_minor_version(r).unwrap()
        ),
        (6, 1)
    );
    assert_eq!(g.inspect_get_windows_systemroot(r).unwrap(), "/Windows");
    assert_eq!(
        g.inspect_get_windows_current_control_set(r).unwrap(),
        "ControlSet001"
    );
    assert_eq!(
        g.inspect_get_windows_software_hive(r).unwrap(),
        "/Windows/System32/Config/SOFTWARE"
    );
    assert_eq!(
        g.inspect_get_windows_system_hive(r).unwrap(),
        "/Windows/System32/Config/SYSTEM"
    );
    assert_eq!(g.inspect_get_hostname(r).unwrap(), "windows.invalid");
    assert_eq!(g.inspect_get_osinfo(r).unwrap(), "win7");
    assert_eq!(g.inspect_get_build_id(r).unwrap(), "unknown");
    assert_eq!(
        g.inspect_get_drive_mappings(r).unwrap(),
        vec![("C".to_string(), "/dev/sda2".to_string())]
    );
    assert_eq!(
        g.inspect_get_mountpoints(r).unwrap(),
        vec![("/".to_string(), "/dev/sda2".to_string())]
    );
    assert_eq!(g.inspect_get_filesystems(r).unwrap(), vec!["/dev/sda2"]);
    assert_eq!(g.inspect_get_package_format(r).unwrap(), "unknown");
    mount_root(&mut g, r);
    let apps = g.inspect_list_applications2(r).unwrap();
    let got: Vec<_> = apps.iter().map(app_fields).collect();
    let expected =
        std::fs::read_to_string(shared_fixtures().join("expected/windows.inspector.out")).ok();
    if let Some(xml) = expected {
        assert_eq!(got, applications(&xml));
    }
    assert_eq!(apps.len(), 4);
    assert_eq!(
        apps[2].app2_install_path,
        "C:\\Program Files\\Red Hat\\test3"
    );
    assert!(g
        .inspect_get_icon(
            r,
            guestfs::InspectGetIconOpts {
                favicon: Some(true),
                highquality: Some(false)
            }
        )
        .unwrap()
        .is_empty());
    let _ = std::fs::remove_dir_all(&d);
}

/// Edits a hive with hivex's Perl binding: `values` are (key path, value name, type, bytes).
fn edit_hive(path: &Path, values: &[(&str, &str, u32, Vec<u8>)]) -> bool {
    let mut script =
        String::from("use Win::Hivex; my $h = Win::Hivex->open($ARGV[0], write => 1);\n");
    for (key, name, t, data) in values {
        let hex: String = data.iter().map(|b| format!("{:02x}", b)).collect();
        script.push_str("{ my $n = $h->root();\n");
        for part in key.split('\\').filter(|p| !p.is_empty()) {
            script.push_str(&format!(
                "  my $c = $h->node_get_child($n, '{p}'); $c = $h->node_add_child($n, '{p}') unless $c; $n = $c;\n",
                p = part
            ));
        }
        script.push_str(&format!(
            "  $h->node_set_value($n, {{ key => '{}', t => {}, value => pack('H*', '{}') }}); }}\n",
            name.replace('\\', "\\\\"),
            t,
            hex
        ));
    }
    script.push_str("$h->commit(undef);\n");
    Command::new("perl")
        .arg("-e")
        .arg(&script)
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain([0])
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

#[test]
fn phony_windows_gpt_server() {
    if !tools_for_images() {
        return;
    }
    if Command::new("perl")
        .args(["-MWin::Hivex", "-e", "1"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        eprintln!("SKIP: Perl Win::Hivex (libwin-hivex-perl) is not installed; GPT Windows guest not built");
        return;
    }
    let d = tmpdir("wingpt");
    let software = d.join("SOFTWARE");
    let system = d.join("SYSTEM");
    std::fs::copy(hive_data("windows-software.hive"), &software).unwrap();
    std::fs::copy(hive_data("windows-system.hive"), &system).unwrap();
    let cv = "Microsoft\\Windows NT\\CurrentVersion";
    assert!(edit_hive(
        &software,
        &[
            (cv, "ProductName", 1, utf16z("Windows Server 2019 Standard")),
            (cv, "InstallationType", 1, utf16z("Server")),
            (
                cv,
                "CurrentMajorVersionNumber",
                4,
                10u32.to_le_bytes().to_vec()
            ),
            (
                cv,
                "CurrentMinorVersionNumber",
                4,
                0u32.to_le_bytes().to_vec()
            ),
            (cv, "CurrentBuildNumber", 1, utf16z("17763")),
            (
                "Microsoft\\Windows\\CurrentVersion\\Uninstall\\AVG",
                "DisplayName",
                1,
                utf16z("AVG AntiVirus FREE")
            ),
        ]
    ));
    // E: is the GPT partition 01234567-89ab-cdef-0123-456789abcdef.
    let mut blob = b"DMIO:ID:".to_vec();
    blob.extend_from_slice(&[
        0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ]);
    assert!(edit_hive(
        &system,
        &[
            ("MountedDevices", "\\DosDevices\\E:", 3, blob),
            ("MountedDevices", "\\DosDevices\\F:", 3, vec![1, 2, 3]),
            ("Select", "Current", 4, 2u32.to_le_bytes().to_vec()),
            (
                "ControlSet002\\Services\\Tcpip\\Parameters",
                "Hostname",
                1,
                utf16z("server2019")
            ),
        ]
    ));
    let win = windows_tree(&d, "win", &software, &system, 0x20b);
    let img = d.join("win.img");
    partitioned_disk(
        &img,
        "label: gpt",
        &[Fs {
            tree: &win,
            size_mb: 20,
            label: "",
            uuid: "",
        }],
        &["uuid=01234567-89AB-CDEF-0123-456789ABCDEF"],
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda1"]);
    let r = "/dev/sda1";
    assert_eq!(g.inspect_get_arch(r).unwrap(), "x86_64");
    assert_eq!(
        g.inspect_get_product_name(r).unwrap(),
        "Windows Server 2019 Standard"
    );
    assert_eq!(g.inspect_get_product_variant(r).unwrap(), "Server");
    assert_eq!(
        (
            g.inspect_get_major_version(r).unwrap(),
            g.inspect_get_minor_version(r).unwrap()
        ),
        (10, 0)
    );
    assert_eq!(g.inspect_get_build_id(r).unwrap(), "17763");
    assert_eq!(g.inspect_get_osinfo(r).unwrap(), "win2k19");
    assert_eq!(
        g.inspect_get_windows_current_control_set(r).unwrap(),
        "ControlSet002"
    );
    assert_eq!(g.inspect_get_hostname(r).unwrap(), "server2019");
    let dm = g.inspect_get_drive_mappings(r).unwrap();
    assert!(
        dm.contains(&("E".to_string(), "/dev/sda1".to_string())),
        "{:?}",
        dm
    );
    assert!(!dm.iter().any(|(l, _)| l == "F"));
    mount_root(&mut g, r);
    let apps = g.inspect_list_applications2(r).unwrap();
    assert_eq!(apps[0].app2_name, "AVG");
    let _ = std::fs::remove_dir_all(&d);
}

// --- RPM databases ---------------------------------------------------------------------------

/// Builds tiny packages with rpmbuild and records them in a fresh sqlite rpmdb (`rpm -i
/// --justdb`). Returns the database directory, or None when rpm is not installed.
fn build_rpmdb(d: &Path) -> Option<PathBuf> {
    if !have("rpmbuild") || !have("rpm") {
        eprintln!(
            "SKIP: rpm/rpmbuild not installed (apt-get install rpm); RPM database tests not run"
        );
        return None;
    }
    let top = d.join("rpmbuild");
    std::fs::create_dir_all(top.join("SPECS")).unwrap();
    let specs = [
        (
            "phony-tool",
            "1.2",
            "3.fc38",
            "Epoch: 4\nURL: https://example.org/phony\n",
            "A phony tool",
        ),
        ("no-url", "0.1", "1", "", "Nothing to see"),
        ("dup", "1.0", "1", "", "First dup"),
        ("dup", "2.0", "1", "", "Second dup"),
        ("alpha", "9", "9", "URL: http://alpha.example/\n", "Alpha"),
    ];
    let db = d.join("db");
    std::fs::create_dir_all(&db).unwrap();
    run(Command::new("rpm").arg("--dbpath").arg(&db).arg("--initdb"));
    for (i, (name, ver, rel, extra, summary)) in specs.iter().enumerate() {
        let spec = format!(
            "Name: {}\nVersion: {}\nRelease: {}\n{}Summary: {}\nLicense: MIT\nBuildArch: noarch\n%description\n{} description.\nSecond line.\n%files\n",
            name, ver, rel, extra, summary, summary
        );
        let sp = top.join(format!("SPECS/{}.spec", i));
        std::fs::write(&sp, spec).unwrap();
        run(Command::new("rpmbuild")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("--quiet")
            .arg("-bb")
            .arg(&sp));
        let rpm = top.join(format!("RPMS/noarch/{}-{}-{}.noarch.rpm", name, ver, rel));
        run(Command::new("rpm")
            .arg("--dbpath")
            .arg(&db)
            .args([
                "-i",
                "--justdb",
                "--nodeps",
                "--nosignature",
                "--ignorearch",
                "--replacepkgs",
                "--oldpackage",
            ])
            .arg(&rpm));
    }
    Some(db)
}

fn rpm_guest(d: &Path, name: &str, dbdir: &str, macros: &str) -> Tree {
    let t = Tree::new(d, name);
    linux_common(&t);
    t.file("/etc/redhat-release", b"Fedora release 39 (Thirty Nine)\n")
        .file("/etc/fstab", b"/dev/sda / ext4 defaults 1 1\n")
        .file("/usr/lib/rpm/macros", macros.as_bytes())
        .dir(dbdir);
    t
}

fn rpm_summary(apps: &[Application2]) -> Vec<String> {
    apps.iter()
        .map(|a| {
            format!(
                "{}:{}:{}-{}.{} {}",
                a.app2_name, a.app2_epoch, a.app2_version, a.app2_release, a.app2_arch, a.app2_url
            )
        })
        .collect()
}

#[test]
fn phony_fedora_rpm_databases() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("rpm");
    let Some(db) = build_rpmdb(&d) else {
        return;
    };
    let expected = vec![
        "alpha:0:9-9.noarch http://alpha.example/".to_string(),
        "dup:0:2.0-1.noarch (none)".to_string(),
        "dup:0:1.0-1.noarch (none)".to_string(),
        "no-url:0:0.1-1.noarch (none)".to_string(),
        "phony-tool:4:1.2-3.fc38.noarch https://example.org/phony".to_string(),
    ];

    // 1. sqlite in /usr/lib/sysimage/rpm, found through %_dbpath.
    let t = rpm_guest(
        &d,
        "sqlite",
        "/usr/lib/sysimage/rpm",
        "%_dbpath\t\t%{_usr}/lib/sysimage/rpm\n%_db_backend sqlite\n",
    );
    t.copy(
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        &db.join("rpmdb.sqlite"),
    );
    if db.join("rpmdb.sqlite-wal").exists() {
        t.copy(
            "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
            &db.join("rpmdb.sqlite-wal"),
        );
    }
    let img = d.join("sqlite.img");
    mkfs_ext4(
        &img,
        0,
        &Fs {
            tree: &t,
            size_mb: 16,
            label: "",
            uuid: "",
        },
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda"]);
    assert_eq!(g.inspect_get_package_format("/dev/sda").unwrap(), "rpm");
    mount_root(&mut g, "/dev/sda");
    let apps = g.inspect_list_applications2("/dev/sda").unwrap();
    assert_eq!(rpm_summary(&apps), expected);
    let tool = apps.iter().find(|a| a.app2_name == "phony-tool").unwrap();
    assert_eq!(tool.app2_summary, "A phony tool");
    assert_eq!(
        tool.app2_description,
        "A phony tool description.\nSecond line."
    );
    drop(g);

    // 2. Berkeley DB hash `Packages` (made with db_load from the same headers) in /var/lib/rpm.
    if have("db5.3_load") || have("db_load") {
        let conn = rusqlite::Connection::open(db.join("rpmdb.sqlite")).unwrap();
        let mut stmt = conn
            .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
            .unwrap();
        let rows: Vec<(i64, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let hex = |b: &[u8]| b.iter().map(|x| format!("{:02x}", x)).collect::<String>();
        let mut dump =
            String::from("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n");
        // rpm's record 0 holds the last instance number; it is not a package.
        dump.push_str(&format!(
            " {}\n {}\n",
            hex(&0u32.to_le_bytes()),
            hex(&(rows.len() as u32).to_le_bytes())
        ));
        for (n, blob) in &rows {
            dump.push_str(&format!(
                " {}\n {}\n",
                hex(&(*n as u32).to_le_bytes()),
                hex(blob)
            ));
        }
        dump.push_str("DATA=END\n");
        let dumpf = d.join("packages.dump");
        std::fs::write(&dumpf, dump).unwrap();
        let t = rpm_guest(&d, "bdb", "/var/lib/rpm", "%_dbpath /var/lib/rpm\n");
        let load = if have("db5.3_load") {
            "db5.3_load"
        } else {
            "db_load"
        };
        run(Command::new(load)
            .arg("-f")
            .arg(&dumpf)
            .arg(t.path("/var/lib/rpm/Packages")));
        let img = d.join("bdb.img");
        mkfs_ext4(
            &img,
            0,
            &Fs {
                tree: &t,
                size_mb: 16,
                label: "",
                uuid: "",
            },
        );
        let mut g = handle(&[&img]);
        assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda"]);
        mount_root(&mut g, "/dev/sda");
        let apps = g.inspect_list_applications2("/dev/sda").unwrap();
        let mut got = rpm_summary(&apps);
        let mut want = expected.clone();
        // The two "dup" packages come in hash-bucket order here: compare as sets.
        got.sort();
        want.sort();
        assert_eq!(got, want);
    } else {
        eprintln!("SKIP: db5.3_load not installed; Berkeley DB rpmdb test not run");
    }

    // 3. No database at all: librpm's iterator fails.
    let t = rpm_guest(&d, "nodb", "/var/lib/rpm", "");
    let img = d.join("nodb.img");
    mkfs_ext4(
        &img,
        0,
        &Fs {
            tree: &t,
            size_mb: 8,
            label: "",
            uuid: "",
        },
    );
    let mut g = handle(&[&img]);
    g.inspect_os().unwrap();
    mount_root(&mut g, "/dev/sda");
    assert_eq!(
        g.inspect_list_applications2("/dev/sda")
            .unwrap_err()
            .message,
        "internal_list_rpm_applications: rpmtsInitIterator"
    );
    let _ = std::fs::remove_dir_all(&d);
}

// --- a real installed system ---------------------------------------------------------------

/// A Debian 12 minbase tree made by debootstrap, cached under /var/tmp across test runs.
fn debootstrap_tree() -> Option<PathBuf> {
    let cache = PathBuf::from("/var/tmp/inspect-debootstrap");
    let tree = cache.join("bookworm");
    if tree.join("var/lib/dpkg/status").exists() {
        return Some(tree);
    }
    if !have("debootstrap") {
        eprintln!("SKIP: debootstrap not installed; real Debian test not run");
        return None;
    }
    std::fs::create_dir_all(&cache).ok()?;
    let tmp = cache.join("bookworm.tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    let ok = Command::new("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&tmp)
        .arg("http://deb.debian.org/debian")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok || std::fs::rename(&tmp, &tree).is_err() {
        eprintln!(
            "SKIP: debootstrap could not run (no network or not root?); real Debian test not run"
        );
        return None;
    }
    Some(tree)
}

#[test]
fn real_debian_debootstrap() {
    if !tools_for_images() {
        return;
    }
    let Some(tree) = debootstrap_tree() else {
        return;
    };
    let d = tmpdir("debootstrap");
    let img = d.join("debian.img");
    let du = Command::new("du")
        .args(["-sm"])
        .arg(&tree)
        .output()
        .unwrap();
    let mb: u64 = String::from_utf8_lossy(&du.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut cmd = Command::new("mkfs.ext4");
    cmd.args(["-q", "-F", "-L", "debroot", "-d"])
        .arg(&tree)
        .arg(&img)
        .arg(format!("{}M", mb * 13 / 10 + 64));
    run(&mut cmd);

    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda"]);
    let r = "/dev/sda";
    let debian_version = std::fs::read_to_string(tree.join("etc/debian_version")).unwrap();
    let debian_version = debian_version.lines().next().unwrap().to_string();
    assert_eq!(g.inspect_get_type(r).unwrap(), "linux");
    assert_eq!(g.inspect_get_distro(r).unwrap(), "debian");
    assert_eq!(g.inspect_get_product_name(r).unwrap(), debian_version);
    assert_eq!(g.inspect_get_major_version(r).unwrap(), 12);
    assert_eq!(g.inspect_get_osinfo(r).unwrap(), "debian12");
    assert_eq!(g.inspect_get_package_format(r).unwrap(), "deb");
    assert_eq!(g.inspect_get_package_management(r).unwrap(), "apt");
    if cfg!(target_arch = "x86_64") {
        // /bin is a symlink to usr/bin on bookworm: the arch comes through it.
        assert_eq!(g.inspect_get_arch(r).unwrap(), "x86_64");
    }
    let hostname = std::fs::read_to_string(tree.join("etc/hostname")).unwrap_or_default();
    let want_host = hostname
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|s| s.to_string());
    assert_eq!(
        g.inspect_get_hostname(r).unwrap(),
        want_host.unwrap_or_else(|| "unknown".into())
    );
    mount_root(&mut g, r);
    let apps = g.inspect_list_applications2(r).unwrap();
    // Compare with dpkg's own view of the database.
    if have("dpkg-query") {
        let out = Command::new("dpkg-query")
            .arg(format!(
                "--admindir={}",
                tree.join("var/lib/dpkg").display()
            ))
            .args([
                "-W",
                "-f",
                "${db:Status-Abbrev}|${Package}|${Version}|${Architecture}\\n",
            ])
            .output()
            .unwrap();
        let mut want: Vec<(String, String, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("ii"))
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                (f[1].to_string(), f[2].to_string(), f[3].to_string())
            })
            .collect();
        want.sort();
        let mut got: Vec<(String, String, String)> = apps
            .iter()
            .map(|a| {
                let mut v = String::new();
                if a.app2_epoch != 0 {
                    v.push_str(&format!("{}:", a.app2_epoch));
                }
                v.push_str(&a.app2_version);
                if !a.app2_release.is_empty() {
                    v.push('-');
                    v.push_str(&a.app2_release);
                }
                (a.app2_name.clone(), v, a.app2_arch.clone())
            })
            .collect();
        got.sort();
        assert_eq!(got, want);
    }
    assert!(apps.len() > 50, "only {} packages", apps.len());
    let dpkg = apps.iter().find(|a| a.app2_name == "dpkg").unwrap();
    assert!(!dpkg.app2_summary.is_empty());
    assert!(!dpkg.app2_description.is_empty());
    drop(g);
    let _ = std::fs::remove_dir_all(&d);
}

// --- other systems: DOS, Minix, Hurd, NetBSD, OpenBSD; BSD shadow roots; icons --------------

fn sfdisk_script(img: &Path, size_mb: u64, script: &str) {
    let _ = std::fs::remove_file(img);
    run(Command::new("truncate")
        .arg("-s")
        .arg(format!("{}M", size_mb))
        .arg(img));
    let mut child = Command::new("sfdisk")
        .arg("-q")
        .arg(img)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn phony_other_systems() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("others");
    let freedos = Tree::new(&d, "freedos");
    freedos
        .file("/FDOS/FREEDOS.BSS", b"")
        .file("/KERNEL.SYS", b"");
    let msdos = Tree::new(&d, "msdos");
    msdos
        .file("/dos/command.com", b"")
        .file("/autoexec.bat", b"");
    let minix = Tree::new(&d, "minix");
    minix
        .dir("/bin")
        .file("/service/vm", b"")
        .file("/etc/fstab", b"garbage that is never parsed\n")
        .file("/etc/version", b"3.3.0\n")
        .file("/etc/hostname.file", b"\nminixbox\n");
    let hurd = Tree::new(&d, "hurd");
    hurd.dir("/etc").dir("/bin").file("/hurd/console", b"").file("/hurd/hello", b"").file("/hurd/null", b"")
        .file("/etc/os-release", b"PRETTY_NAME=\"Debian GNU/Hurd 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
        .file("/etc/debian_version", b"12.0\n")
        .file("/etc/fstab", b"/dev/hd0s5 / ext2 defaults 0 1\n/dev/hd1s1 /home ext2 defaults 0 2\n")
        .file("/etc/hostname", b"hurdbox\n")
        .file("/var/lib/dpkg/status", b"Package: hurd\nStatus: install ok installed\nVersion: 1:0.9.git20230216-3\nArchitecture: hurd-i386\n\n");
    let netbsd = Tree::new(&d, "netbsd");
    netbsd
        .dir("/etc")
        .dir("/bin")
        .file("/netbsd", b"")
        .file(
            "/etc/release",
            b"NetBSD 9.3 (GENERIC) #0: Thu Aug  4 15:30:37 UTC 2022\n",
        )
        .file(
            "/etc/fstab",
            b"/dev/wd0a / ffs rw 1 1\n/dev/ld0e /usr ffs rw 1 2\n/dev/sd1f /var ffs rw 1 2\n",
        )
        .file("/etc/rc.conf", b"hostname=nbsd.example\n");
    let openbsd = Tree::new(&d, "openbsd");
    openbsd
        .dir("/etc")
        .dir("/bin")
        .file("/bsd", b"")
        .file(
            "/etc/motd",
            b"OpenBSD 7.3 (GENERIC) #1072: Sat Mar 25 10:29:05 MDT 2023\n",
        )
        .file(
            "/etc/fstab",
            b"0123456789abcdef.a / ffs rw 1 1\n0123456789abcdef.d /tmp ffs rw,nodev,nosuid 1 2\n",
        )
        .file("/etc/rc.conf", b"hostname='obsd.example'\n");
    let img = d.join("others.img");
    let fss = [&freedos, &msdos, &minix, &hurd, &netbsd, &openbsd];
    partitioned_disk(
        &img,
        "label: gpt",
        &fss.iter()
            .map(|t| Fs {
                tree: t,
                size_mb: 4,
                label: "",
                uuid: "",
            })
            .collect::<Vec<_>>(),
        &[],
    );
    let mut g = handle(&[&img]);
    let roots = g.inspect_os().unwrap();
    assert_eq!(
        roots,
        vec![
            "/dev/sda1",
            "/dev/sda2",
            "/dev/sda3",
            "/dev/sda4",
            "/dev/sda5",
            "/dev/sda6"
        ]
    );
    let facts = |g: &mut Handle, r: &str| {
        (
            g.inspect_get_type(r).unwrap(),
            g.inspect_get_distro(r).unwrap(),
            g.inspect_get_arch(r).unwrap(),
            g.inspect_get_product_name(r).unwrap(),
            format!(
                "{}.{}",
                g.inspect_get_major_version(r).unwrap(),
                g.inspect_get_minor_version(r).unwrap()
            ),
            g.inspect_get_hostname(r).unwrap(),
            g.inspect_get_osinfo(r).unwrap(),
        )
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        facts(&mut g, "/dev/sda1"),
        (
            s("dos"),
            s("freedos"),
            s("i386"),
            s("unknown"),
            s("0.0"),
            s("unknown"),
            s("unknown")
        )
    );
    assert_eq!(
        facts(&mut g, "/dev/sda2"),
        (
            s("dos"),
            s("msdos"),
            s("i386"),
            s("unknown"),
            s("0.0"),
            s("unknown"),
            s("msdos6.22")
        )
    );
    assert_eq!(
        facts(&mut g, "/dev/sda3"),
        (
            s("minix"),
            s("unknown"),
            s("unknown"),
            s("3.3.0"),
            s("3.3"),
            s("minixbox"),
            s("unknown")
        )
    );
    assert_eq!(
        g.inspect_get_mountpoints("/dev/sda3").unwrap(),
        vec![(s("/"), s("/dev/sda3"))]
    );
    // The Hurd: os-release gives only the major, so debian_version is used.
    assert_eq!(
        facts(&mut g, "/dev/sda4"),
        (
            s("hurd"),
            s("debian"),
            s("unknown"),
            s("12.0"),
            s("12.0"),
            s("hurdbox"),
            s("unknown")
        )
    );
    assert_eq!(
        g.inspect_get_mountpoints("/dev/sda4").unwrap(),
        vec![(s("/home"), s("/dev/hd1s1")), (s("/"), s("/dev/sda5"))]
    );
    assert_eq!(
        facts(&mut g, "/dev/sda5"),
        (
            s("netbsd"),
            s("netbsd"),
            s("unknown"),
            s("NetBSD 9.3 (GENERIC) #0: Thu Aug  4 15:30:37 UTC 2022"),
            s("9.3"),
            s("nbsd.example"),
            s("netbsd9.3")
        )
    );
    assert_eq!(
        g.inspect_get_mountpoints("/dev/sda5").unwrap(),
        vec![
            (s("/var"), s("/dev/sdb8")),
            (s("/usr"), s("/dev/sda7")),
            (s("/"), s("/dev/sda5"))
        ]
    );
    // OpenBSD is recorded as FreeBSD by libguestfs.
    assert_eq!(
        facts(&mut g, "/dev/sda6"),
        (
            s("freebsd"),
            s("freebsd"),
            s("unknown"),
            s("OpenBSD 7.3 (GENERIC) #1072: Sat Mar 25 10:29:05 MDT 2023"),
            s("7.3"),
            s("obsd.example"),
            s("freebsd7.3")
        )
    );
    assert_eq!(
        g.inspect_get_mountpoints("/dev/sda6").unwrap(),
        vec![(s("/tmp"), s("/dev/sd0d")), (s("/"), s("/dev/sda6"))]
    );
    // (Its fstab maps / to /dev/sda5 — the guest's disk numbering — so mount it by hand.)
    g.mount_ro("/dev/sda4", "/").unwrap();
    let apps = g.inspect_list_applications2("/dev/sda4").unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        (apps[0].app2_epoch, apps[0].app2_version.as_str()),
        (1, "0.9.git20230216")
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn phony_bsd_shadow_root() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("shadow");
    let bsd = Tree::new(&d, "bsd");
    bsd.dir("/etc")
        .dir("/bin")
        .file("/etc/freebsd-update.conf", b"")
        .file("/etc/fstab", b"/dev/ada0s1a / ufs rw 1 1\n")
        .file("/etc/motd", b"FreeBSD 10.1-RELEASE\n");
    let img = d.join("shadow.img");
    // sda1 (primary) and sda5 (logical) hold the same system: sda1 is the MBR slice shadowing it.
    sfdisk_script(&img, 40, "label: dos\nstart=2048, size=16384, type=a5\nstart=18432, size=40960, type=5\nstart=20480, size=16384, type=83\n");
    mkfs_ext4(
        &img,
        2048 * 512,
        &Fs {
            tree: &bsd,
            size_mb: 8,
            label: "",
            uuid: "",
        },
    );
    mkfs_ext4(
        &img,
        20480 * 512,
        &Fs {
            tree: &bsd,
            size_mb: 8,
            label: "",
            uuid: "",
        },
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap(), vec!["/dev/sda5"]);
    assert_eq!(g.inspect_get_osinfo("/dev/sda5").unwrap(), "freebsd10.1");
    let _ = std::fs::remove_dir_all(&d);
}

/// A PNG with the given geometry, padded to `len` bytes.
fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    p.extend_from_slice(&w.to_be_bytes());
    p.extend_from_slice(&h.to_be_bytes());
    p.extend_from_slice(&[8, 6, 0, 0, 0]);
    p.resize(len, 0);
    p
}

#[test]
fn phony_icons() {
    if !tools_for_images() {
        return;
    }
    let d = tmpdir("icons");
    let deb = Tree::new(&d, "deb");
    linux_common(&deb);
    deb.file("/etc/debian_version", b"11.9\n")
        .file("/etc/hosts", b"")
        .file("/usr/share/pixmaps/debian-logo.png", &png(48, 48, 1500));
    let fav = Tree::new(&d, "fav");
    linux_common(&fav);
    fav.file("/etc/debian_version", b"11.9\n")
        .file("/etc/hosts", b"")
        .file("/etc/favicon.png", &png(16, 16, 64))
        .file("/usr/share/pixmaps/debian-logo.png", &png(48, 48, 3000));
    let fed = Tree::new(&d, "fed");
    linux_common(&fed);
    fed.file("/etc/redhat-release", b"Fedora release 20 (Heisenbug)\n")
        .file("/etc/hosts", b"")
        .symlink(
            "/usr/share/icons/hicolor/96x96/apps/fedora-logo-icon.png",
            "../../../../pixmaps/logo.png",
        )
        .file("/usr/share/pixmaps/logo.png", &png(96, 96, 4000))
        .file("/etc/favicon.png", &png(2000, 16, 64));
    let img = d.join("icons.img");
    partitioned_disk(
        &img,
        "label: gpt",
        &[&deb, &fav, &fed]
            .iter()
            .map(|t| Fs {
                tree: t,
                size_mb: 4,
                label: "",
                uuid: "",
            })
            .collect::<Vec<_>>(),
        &[],
    );
    let mut g = handle(&[&img]);
    assert_eq!(g.inspect_os().unwrap().len(), 3);
    let icon = |g: &mut Handle, r: &str, fav: bool, hq: bool| {
        g.mount_ro(r, "/").unwrap();
        let i = g
            .inspect_get_icon(
                r,
                guestfs::InspectGetIconOpts {
                    favicon: Some(fav),
                    highquality: Some(hq),
                },
            )
            .unwrap();
        g.umount_all().unwrap();
        i
    };
    assert_eq!(icon(&mut g, "/dev/sda1", true, false), png(48, 48, 1500));
    // The favicon first; then the distro logo, which is over Debian's 2048-byte limit.
    assert_eq!(icon(&mut g, "/dev/sda2", true, false), png(16, 16, 64));
    assert_eq!(icon(&mut g, "/dev/sda2", false, false), Vec::<u8>::new());
    assert_eq!(icon(&mut g, "/dev/sda2", true, true), Vec::<u8>::new());
    // Fedora's logo through a symlink; the favicon is too wide to count.
    assert_eq!(icon(&mut g, "/dev/sda3", true, false), png(96, 96, 4000));
    let _ = std::fs::remove_dir_all(&d);
}
