//! Installing virt-tools: `packaging/install.sh` (the binary, a symlink per tool, guestfsd, the
//! man pages, the bash completion), the completion itself answering from each tool's
//! `--long-options`/`--short-options`, and the Debian package of `packaging/build-deb.sh`
//! unpacked into a fresh root and run from there, on the native backend and the appliance.

use std::path::{Path, PathBuf};
use std::process::Command;
use virt_tools_tests::images::{make_disk, make_ext, FsSpec, Part, Tree};
use virt_tools_tests::{binary, build_daemon, sh, split, TempDir};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The tools the binary lists, in its order.
fn tools() -> Vec<String> {
    let out = sh(Command::new(binary()).arg("--list"));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `packaging/install.sh PREFIX` with the binaries under test.
fn install(prefix: &Path) {
    build_daemon();
    sh(Command::new(repo().join("packaging/install.sh"))
        .arg(prefix)
        .env("VIRT_TOOLS_BUILD_DIR", binary().parent().unwrap()));
}

/// A disk with one ext4 partition holding a few files.
fn small_guest(dir: &Path) -> PathBuf {
    let tree = Tree::new()
        .dir("/etc", 0o755)
        .file("/etc/hostname", "packaged\n", 0o644)
        .file("/hello.txt", "hello\n", 0o644);
    let fs = make_ext(dir, "root", &FsSpec::default(), &tree);
    make_disk(
        &dir.join("guest.img"),
        "dos",
        &[Part {
            size_mib: 32,
            kind: "83",
            content: Some(&fs),
        }],
    )
}

fn link_target(path: &Path) -> String {
    std::fs::read_link(path)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e))
        .display()
        .to_string()
}

#[test]
fn install_fails_loudly_without_the_daemon() {
    let tree = TempDir::new("install-nodaemon");
    let build = tree.join("build");
    std::fs::create_dir_all(&build).unwrap();
    std::os::unix::fs::symlink(binary(), build.join("virt-tools")).unwrap();
    std::os::unix::fs::symlink(
        binary().with_file_name("virt-tools-libvirt"),
        build.join("virt-tools-libvirt"),
    )
    .unwrap();
    let prefix = tree.join("prefix");
    let (_, err, rc) = split(
        Command::new(repo().join("packaging/install.sh"))
            .arg(&prefix)
            .env("VIRT_TOOLS_BUILD_DIR", &build)
            .output()
            .unwrap(),
    );
    assert_eq!(rc, 1, "{}", err);
    assert!(
        err.contains(&format!("{} not found", build.join("guestfsd").display())),
        "{}",
        err
    );
    assert!(!prefix.exists(), "nothing is installed without the daemon");
}

#[test]
fn install_puts_every_tool_its_page_and_completion_in_place() {
    let tmp = TempDir::new("install");
    let prefix = tmp.join("usr");
    install(&prefix);
    let daemon = std::fs::read(prefix.join("lib/virt-tools/guestfsd")).unwrap();
    assert!(daemon == std::fs::read(build_daemon()).unwrap());
    let libvirt_helper = std::fs::read(prefix.join("lib/virt-tools/virt-tools-libvirt")).unwrap();
    assert!(
        libvirt_helper == std::fs::read(binary().with_file_name("virt-tools-libvirt")).unwrap()
    );
    let man = prefix.join("share/man/man1");
    let completions = prefix.join("share/bash-completion/completions");
    assert!(man.join("virt-tools.1").is_file());
    assert_eq!(
        std::fs::read(completions.join("virt-tools")).unwrap(),
        std::fs::read(repo().join("packaging/bash-completion")).unwrap()
    );
    for tool in tools() {
        assert_eq!(link_target(&prefix.join("bin").join(&tool)), "virt-tools");
        assert_eq!(link_target(&completions.join(&tool)), "virt-tools");
        assert!(man.join(format!("{}.1", tool)).is_file(), "{} page", tool);
    }
    let (out, err, rc) = split(
        Command::new(prefix.join("bin/virt-cat"))
            .arg("--version")
            .output()
            .unwrap(),
    );
    assert_eq!((out.as_str(), rc), ("virt-cat 1.48.2\n", 0), "{}", err);
}

/// The completions bash offers for a command line whose last word is being typed, with
/// bash-completion loading the installed file by the command's name.
fn complete(prefix: &Path, words: &[&str]) -> Vec<String> {
    let script = r#"
        . /usr/share/bash-completion/bash_completion
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        __load_completion "$1" || { echo "no completion loaded for $1" >&2; exit 1; }
        spec=$(complete -p "$1")
        case "$spec" in
            *" -F _virt_tools "*) ;;
            *) echo "unexpected completion for $1: $spec" >&2; exit 1 ;;
        esac
        _virt_tools "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = sh(Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("bash")
        .args(words)
        .env(
            "BASH_COMPLETION_USER_DIR",
            prefix.join("share/bash-completion"),
        )
        .env(
            "PATH",
            format!(
                "{}:{}",
                prefix.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        ));
    let mut words: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    words.sort();
    words
}

/// A tool's own answer to `--long-options` (or `--short-options`), sorted.
fn listing(prefix: &Path, tool: &str, option: &str) -> Vec<String> {
    let out = sh(Command::new(prefix.join("bin").join(tool)).arg(option));
    let mut words: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    words.sort();
    words
}

#[test]
fn bash_completion_answers_from_each_tools_options() {
    if !Path::new("/usr/share/bash-completion/bash_completion").is_file() {
        eprintln!(
            "SKIPPED: bash-completion is not installed (scripts/install-deps.sh installs it)"
        );
        return;
    }
    let tmp = TempDir::new("completion");
    let prefix = tmp.join("usr");
    install(&prefix);
    for tool in tools() {
        // 1.48's libguestfs-make-fixed-appliance has no --long-options either: file names only.
        if tool == "libguestfs-make-fixed-appliance" {
            continue;
        }
        let long = listing(&prefix, &tool, "--long-options");
        assert!(!long.is_empty(), "{} lists no long options", tool);
        assert_eq!(complete(&prefix, &[&tool, "--"]), long, "{} --", tool);
        let mut all = listing(&prefix, &tool, "--short-options");
        all.extend(long);
        all.sort();
        assert_eq!(complete(&prefix, &[&tool, "-"]), all, "{} -", tool);
    }
    assert_eq!(
        complete(&prefix, &["virt-ls", "-a", "disk.img", "--rec"]),
        ["--recursive"]
    );
    // guestfish's other words are its commands.
    let commands = complete(&prefix, &["guestfish", "--ro", "mkfs"]);
    assert!(commands.iter().any(|c| c == "mkfs"), "{:?}", commands);
    assert!(
        commands.iter().all(|c| c.starts_with("mkfs")),
        "{:?}",
        commands
    );
    // `virt-tools TOOL …`: the tool's name, then that tool's options.
    assert_eq!(
        complete(&prefix, &["virt-tools", "virt-c"]),
        ["virt-cat", "virt-copy-in", "virt-copy-out"]
    );
    assert_eq!(
        complete(&prefix, &["virt-tools", "virt-ls", "--rec"]),
        ["--recursive"]
    );
    // -d offers every guest to the tools that read, only the shut-off ones to those that
    // write (a stand-in virsh names its one guest after the filter it was given).
    let virsh = prefix.join("bin/virsh");
    std::fs::write(&virsh, "#!/bin/sh\necho \"guest$3\"\n").unwrap();
    sh(Command::new("chmod").arg("755").arg(&virsh));
    assert_eq!(complete(&prefix, &["virt-cat", "-d", ""]), ["guest--all"]);
    for tool in ["virt-copy-in", "virt-tar-in", "virt-edit"] {
        assert_eq!(complete(&prefix, &[tool, "-d", ""]), ["guest--inactive"]);
    }
}

#[test]
fn debian_package_installs_into_a_fresh_root_and_runs() {
    let tmp = TempDir::new("deb");
    build_daemon();
    let out = sh(Command::new(repo().join("packaging/build-deb.sh"))
        .arg(tmp.path())
        .env("VIRT_TOOLS_BUILD_DIR", binary().parent().unwrap()));
    let deb = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim_end());
    assert_eq!(deb.parent(), Some(tmp.path()));

    let field = |name: &str| {
        let out = sh(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name));
        String::from_utf8(out.stdout)
            .unwrap()
            .trim_end()
            .to_string()
    };
    assert_eq!(field("Package"), "virt-tools");
    let version = String::from_utf8(sh(Command::new(binary()).arg("--version")).stdout).unwrap();
    assert_eq!(
        Some(field("Version").as_str()),
        version.split_whitespace().nth(1)
    );
    let depends: Vec<String> = field("Depends")
        .split(", ")
        .map(|d| d.split(' ').next().unwrap().to_string())
        .collect();
    for needed in [
        "qemu-system-x86",
        "qemu-utils",
        "linux-image-amd64",
        "libc6",
        "libacl1",
        "e2fsprogs",
        "lvm2",
    ] {
        assert!(
            depends.iter().any(|d| d == needed),
            "{}: {:?}",
            needed,
            depends
        );
    }

    let root = tmp.join("root");
    sh(Command::new("dpkg").arg("-x").arg(&deb).arg(&root));
    let usr = root.join("usr");
    assert!(usr.join("lib/virt-tools/guestfsd").is_file());
    assert!(usr.join("lib/virt-tools/virt-tools-libvirt").is_file());
    assert!(usr.join("share/man/man1/virt-tools.1.gz").is_file());
    assert!(usr.join("share/doc/virt-tools/copyright").is_file());
    for tool in tools() {
        assert_eq!(link_target(&usr.join("bin").join(&tool)), "virt-tools");
        assert_eq!(
            link_target(&usr.join("share/bash-completion/completions").join(&tool)),
            "virt-tools"
        );
        assert!(usr.join(format!("share/man/man1/{}.1.gz", tool)).is_file());
    }

    let run = |program: &str, args: &[&Path], backend: &str| {
        split(
            Command::new(usr.join("bin").join(program))
                .args(args)
                .env("LIBGUESTFS_BACKEND", backend)
                .env("LIBGUESTFS_CACHEDIR", tmp.path())
                .env_remove("LIBGUESTFS_DAEMON")
                .env("LC_ALL", "C")
                .output()
                .unwrap(),
        )
    };
    let (out, err, rc) = run("virt-tools", &[Path::new("--version")], "auto");
    assert_eq!((out.as_str(), rc), (version.as_str(), 0), "{}", err);

    let image = small_guest(tmp.path());
    let args = [
        Path::new("-a"),
        &image,
        Path::new("-m"),
        Path::new("/dev/sda1"),
        Path::new("/"),
    ];
    let (out, err, rc) = run("virt-ls", &args, "native");
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(out, "etc\nhello.txt\nlost+found\n");
    // The appliance boots the packaged daemon, found from the packaged binary's place.
    let (appliance_out, err, rc) = run("virt-ls", &args, "direct");
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(appliance_out, out);
}
