//! Guest file names are bytes: names that are not UTF-8, or hold control characters, quotes,
//! backslashes and newlines, come out of virt-ls, virt-cat, virt-copy-out and virt-tar-out
//! exactly as they are on disk, on the native backend and the appliance, and every
//! `--machine-readable` record about them is strict JSON that carries them without loss.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use virt_tools_tests::{binary, sh, TempDir};

/// The names made in `/` and again in `/dir\xff`.
const NAMES: &[&[u8]] = &[
    b"plain",
    b"bad\xffname",
    b"lat1-caf\xe9",
    b"nl\nname",
    b"tab\tq\"uo\\te",
    b"ctl\x01\x1f\x7f",
    b"c1-\xc2\x85",
    // The private-use characters this project's strings use to carry invalid bytes, really
    // in a name.
    b"esc-\xf4\x8f\xbe\x80",
    b"z-\xc3\xa9",
];
const DIR: &[u8] = b"dir\xff";
const LINK: &[u8] = b"link\xfe";

fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

fn content(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    [prefix, name, b"\n"].concat()
}

/// An ext4 image of the names (made by mkfs.ext4 -d from a host directory).
fn names_image(tmp: &TempDir) -> PathBuf {
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join(os(DIR))).unwrap();
    for n in NAMES {
        std::fs::write(tree.join(os(n)), content(b"top ", n)).unwrap();
        std::fs::write(tree.join(os(DIR)).join(os(n)), content(b"inner ", n)).unwrap();
    }
    std::os::unix::fs::symlink(os(b"bad\xffname"), tree.join(os(LINK))).unwrap();
    let img = tmp.path().join("names.img");
    sh(Command::new("mkfs.ext4")
        .args(["-q", "-d"])
        .arg(&tree)
        .arg(&img)
        .arg("8M"));
    img
}

/// The names of `/`, as the guest has them, in bytewise order.
fn root_names() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = NAMES.iter().map(|n| n.to_vec()).collect();
    v.extend([DIR.to_vec(), LINK.to_vec(), b"lost+found".to_vec()]);
    v.sort();
    v
}

fn tool(backend: &str, name: &str, img: &Path, args: &[&OsStr]) -> Output {
    let out = Command::new(binary())
        .arg(name)
        .arg("-a")
        .arg(img)
        .args(["-m", "/dev/sda"])
        .args(args)
        .env("LIBGUESTFS_BACKEND", backend)
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {:?} on {}: {}",
        name,
        args,
        backend,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn lines(stdout: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = stdout.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// The names every tool shows, checked on one backend.
fn names_are_bytes(backend: &str) {
    let tmp = TempDir::new(&format!("names-{}", backend));
    let img = names_image(&tmp);

    // virt-ls: the names themselves (one, `nl\nname`, spans two lines as in 1.48).
    let out = tool(backend, "virt-ls", &img, &[os(b"/")]);
    assert_eq!(
        out.stdout,
        [root_names().join(&b'\n'), b"\n".to_vec()].concat()
    );
    let dir = [b"/", DIR].concat();
    let out = tool(backend, "virt-ls", &img, &[os(&dir)]);
    let mut inner: Vec<Vec<u8>> = NAMES.iter().map(|n| n.to_vec()).collect();
    inner.sort();
    assert_eq!(out.stdout, [inner.join(&b'\n'), b"\n".to_vec()].concat());

    // virt-ls -R: full paths below a non-UTF-8 directory.
    let out = tool(backend, "virt-ls", &img, &[os(b"-R"), os(&dir)]);
    let expected: Vec<u8> = inner
        .iter()
        .flat_map(|n| [b"/", &n[..], b"\n"].concat())
        .collect();
    assert_eq!(out.stdout, expected);

    // virt-ls -lR: the symlink's target too.
    let out = tool(backend, "virt-ls", &img, &[os(b"-lR"), os(b"/")]);
    let listing = lines(&out.stdout);
    assert!(
        listing
            .iter()
            .any(|l| l.ends_with(b" /link\xfe -> bad\xffname")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // virt-cat takes the path as bytes.
    let path = [b"/", DIR, b"/", b"bad\xffname"].concat();
    let out = tool(
        backend,
        "virt-cat",
        &img,
        &[os(&path), os(b"/esc-\xf4\x8f\xbe\x80")],
    );
    assert_eq!(
        out.stdout,
        [
            content(b"inner ", b"bad\xffname"),
            content(b"top ", b"esc-\xf4\x8f\xbe\x80")
        ]
        .concat()
    );

    // virt-copy-out creates the host files under the guest's names.
    let local = tmp.path().join("out");
    std::fs::create_dir(&local).unwrap();
    tool(
        backend,
        "virt-copy-out",
        &img,
        &[os(&dir), os(b"/bad\xffname"), local.as_os_str()],
    );
    let mut copied: Vec<Vec<u8>> = std::fs::read_dir(local.join(os(DIR)))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_vec())
        .collect();
    copied.sort();
    assert_eq!(copied, inner);
    for n in NAMES {
        let got = std::fs::read(local.join(os(DIR)).join(os(n))).unwrap();
        assert_eq!(got, content(b"inner ", n));
    }
    assert_eq!(
        std::fs::read(local.join(os(b"bad\xffname"))).unwrap(),
        content(b"top ", b"bad\xffname")
    );

    // virt-tar-out archives the names' bytes.
    let tarfile = tmp.path().join("out.tar");
    tool(
        backend,
        "virt-tar-out",
        &img,
        &[os(b"/"), tarfile.as_os_str()],
    );
    let mut archive = tar::Archive::new(std::fs::File::open(&tarfile).unwrap());
    let mut members = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let name = entry.path_bytes().into_owned();
        if let Some(target) = entry.link_name_bytes() {
            assert_eq!(&name[..], b"./link\xfe");
            assert_eq!(&target[..], b"bad\xffname");
        }
        members.push(name);
    }
    for n in NAMES {
        assert!(members.contains(&[b"./", *n].concat()), "{:?}", members);
        assert!(
            members.contains(&[b"./", DIR, b"/", n].concat()),
            "{:?}",
            members
        );
    }
}

#[test]
fn names_are_bytes_on_the_native_backend() {
    names_are_bytes("native");
}

/// guestfish takes and prints names (and file contents through `cat`) as bytes, as 1.48's.
#[test]
fn guestfish_names_are_bytes() {
    let tmp = TempDir::new("names-fish");
    let img = names_image(&tmp);
    let out = Command::new(binary())
        .args(["guestfish", "--ro", "-a"])
        .arg(&img)
        .args(["-m", "/dev/sda", "cat"])
        .arg(os(b"/dir\xff/bad\xffname"))
        .args([":", "readlink"])
        .arg(os(b"/link\xfe"))
        .args([":", "ls"])
        .arg(os(b"/dir\xff"))
        .args([":", "cat"])
        .arg(os(b"/no\xffsuch"))
        .env("LIBGUESTFS_BACKEND", "native")
        .output()
        .unwrap();
    let mut inner: Vec<Vec<u8>> = NAMES.iter().map(|n| n.to_vec()).collect();
    inner.sort();
    let expected = [
        content(b"inner ", b"bad\xffname"),
        b"\nbad\xffname\n".to_vec(),
        inner.join(&b'\n'),
        b"\n".to_vec(),
    ]
    .concat();
    assert_eq!(
        out.stdout,
        expected,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stderr.windows(11).any(|w| w == b"/no\xffsuch: N"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn names_are_bytes_on_the_appliance() {
    names_are_bytes("direct");
}

/// The bytes a record's string member carries: `KEY_bytes` when present, else `KEY`'s UTF-8.
fn member_bytes(record: &serde_json::Value, key: &str) -> Vec<u8> {
    match record.get(format!("{}_bytes", key)) {
        Some(list) => {
            let text = record[key].as_str().unwrap();
            let bytes: Vec<u8> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
                .collect();
            // The text member shows the same name, each invalid byte as U+FFFD.
            assert_eq!(text, String::from_utf8_lossy(&bytes), "{}", record);
            assert!(std::str::from_utf8(&bytes).is_err(), "{}", record);
            bytes
        }
        None => record[key].as_str().unwrap().as_bytes().to_vec(),
    }
}

/// Every line of the output parsed with serde_json, which refuses anything that is not JSON
/// (a raw control character in a string included).
fn records(stdout: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(stdout).expect("records are UTF-8");
    text.lines()
        .map(|l| {
            assert!(
                !l.chars().any(char::is_control),
                "unescaped control: {:?}",
                l
            );
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {:?}", e, l))
        })
        .collect()
}

#[test]
fn machine_readable_records_are_strict_json_for_any_name() {
    let tmp = TempDir::new("names-json");
    let img = names_image(&tmp);
    let mr = os(b"--machine-readable");

    let out = tool("native", "virt-ls", &img, &[mr, os(b"/")]);
    let recs = records(&out.stdout);
    let names: Vec<Vec<u8>> = recs.iter().map(|r| member_bytes(r, "name")).collect();
    assert_eq!(names, root_names());
    for r in &recs {
        assert_eq!(r["type"], "name");
        assert_eq!(r["directory"], "/");
        // Keys in order: the same rule for every record.
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{:?}", keys);
    }

    let out = tool("native", "virt-ls", &img, &[mr, os(b"-R"), os(b"/")]);
    let paths: Vec<Vec<u8>> = records(&out.stdout)
        .iter()
        .map(|r| member_bytes(r, "path"))
        .collect();
    // `find /` names have no leading slash (1.48's daemon cuts `/sysroot/` off).
    for n in NAMES {
        assert!(paths.contains(&[DIR, b"/", n].concat()), "{:?}", paths);
    }

    let out = tool("native", "virt-ls", &img, &[mr, os(b"-l"), os(b"/")]);
    let recs = records(&out.stdout);
    let text = member_bytes(&recs[0], "text");
    assert!(
        text.windows(13).any(|w| w == b" nl\nname\n-rw-"),
        "{:?}",
        text
    );

    let out = tool("native", "virt-ls", &img, &[mr, os(b"-lR"), os(b"/")]);
    let recs = records(&out.stdout);
    let link = recs
        .iter()
        .find(|r| member_bytes(r, "path") == b"/link\xfe")
        .expect("the symlink's record");
    assert_eq!(member_bytes(link, "link"), b"bad\xffname");
    assert_eq!(link["kind"], "l");

    let dir = [b"/", DIR].concat();
    let records_fd = tmp.path().join("cat.json");
    let spec = OsString::from(format!("--machine-readable=file:{}", records_fd.display()));
    let path = [&dir[..], b"/ctl\x01\x1f\x7f"].concat();
    let out = tool("native", "virt-cat", &img, &[&spec, os(&path)]);
    assert_eq!(out.stdout, content(b"inner ", b"ctl\x01\x1f\x7f"));
    let recs = records(&std::fs::read(&records_fd).unwrap());
    assert_eq!(recs.len(), 1);
    assert_eq!(member_bytes(&recs[0], "path"), path);
    assert_eq!(recs[0]["type"], "file");

    // An error about a non-UTF-8 name is a message record with its bytes.
    let out = Command::new(binary())
        .args(["virt-cat", "--machine-readable", "-a"])
        .arg(&img)
        .args(["-m", "/dev/sda"])
        .arg(os(b"/no\xffsuch"))
        .env("LIBGUESTFS_BACKEND", "native")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
    let error = recs
        .iter()
        .find(|r| r["type"] == "error")
        .expect("error record");
    let message = member_bytes(error, "message");
    assert!(
        message.windows(10).any(|w| w == b"/no\xffsuch: "),
        "{}",
        error
    );
    let keys: Vec<&String> = error.as_object().unwrap().keys().collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{:?}", keys);

    // virt-tar-out writes a record for its archive.
    let tarfile = tmp.path().join("t.tar");
    let out = tool(
        "native",
        "virt-tar-out",
        &img,
        &[mr, os(&dir), tarfile.as_os_str()],
    );
    let recs = records(&out.stdout);
    let archive = recs.iter().find(|r| r["type"] == "archive").unwrap();
    assert_eq!(member_bytes(archive, "directory"), dir);
    assert_eq!(
        archive["size"].as_u64(),
        Some(std::fs::metadata(&tarfile).unwrap().len())
    );
}

/// The same listings as libguestfs 1.48, byte for byte.
#[test]
fn listings_match_libguestfs_1_48() {
    if !virt_tools_tests::have("virt-ls") || !virt_tools_tests::have("guestfish") {
        println!("SKIPPED: libguestfs 1.48's virt-ls is not installed");
        eprintln!("SKIPPED: libguestfs 1.48's virt-ls is not installed");
        return;
    }
    let tmp = TempDir::new("names-148");
    let img = names_image(&tmp);
    for args in [
        &[os(b"/")][..],
        &[os(b"-R"), os(b"/")][..],
        &[os(b"-lR"), os(b"--csv"), os(b"/")][..],
    ] {
        let theirs = Command::new("virt-ls")
            .arg("-a")
            .arg(&img)
            .args(["-m", "/dev/sda"])
            .args(args)
            .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
            .env("TZ", "UTC")
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        assert!(theirs.status.success());
        for backend in ["native", "direct"] {
            let ours = tool(backend, "virt-ls", &img, args);
            assert_eq!(
                ours.stdout,
                theirs.stdout,
                "virt-ls {:?} on {}:\n{}\n1.48:\n{}",
                args,
                backend,
                String::from_utf8_lossy(&ours.stdout),
                String::from_utf8_lossy(&theirs.stdout)
            );
        }
    }
}
