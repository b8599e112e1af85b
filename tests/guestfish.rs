//! guestfish against libguestfs 1.48's guestfish: every case of tests/golden/guestfish/cases.txt
//! (options, line syntax, argument and output rules, guestfish-only commands, errors and exit
//! codes, reads through `-i`/`-m`) is run with our binary on the test images and compared byte
//! for byte with what 1.48 printed (regenerate.sh). Cases listed in known-differences.txt (with
//! the reason) are reported but not failed.
//!
//! Also: remote control between our server and client (and with 1.48's, when installed), and
//! the interactive shell through a pseudo-terminal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use virt_tools_tests::{binary, parse_known, TempDir};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/guestfish")
}

/// The test images, built once and kept (they are reproducible): a fresh build is moved into
/// place only if no other test process got there first.
fn images() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("virt-tools-guestfish-images");
        if !dir.join("gpt.img").exists() {
            let build = std::env::temp_dir().join(format!(
                "virt-tools-guestfish-images.{}",
                std::process::id()
            ));
            virt_tools_tests::images::test_images(&build);
            if std::fs::rename(&build, &dir).is_err() {
                let _ = std::fs::remove_dir_all(&build);
            }
        }
        dir
    })
    .clone()
}

/// The binary under test as `guestfish`, in a case directory's `bin`.
fn guestfish_in(dir: &Path) -> PathBuf {
    dir.join("bin/guestfish")
}

/// The images made by libguestfs's own scripts (../shared/fixtures), unpacked once, when
/// they are there.
fn fixtures() -> Option<PathBuf> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let shared = virt_tools_tests::shared_fixtures()?;
        let dir = std::env::temp_dir().join("virt-tools-guestfish-fixtures");
        let ok = Command::new(shared.join("unpack.sh"))
            .arg(&dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(dir)
    })
    .clone()
}

/// Links every `*.img` of `from` into `dir`.
fn link_images(from: &Path, dir: &Path) {
    for e in std::fs::read_dir(from).expect("images").flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "img") {
            let _ = std::os::unix::fs::symlink(&p, dir.join(e.file_name()));
        }
    }
}

/// A case's working directory: links to the images (and the fixtures, for `fixture-*`
/// cases), the scripts, an empty HOME.
fn case_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(dir.join("home")).expect("case dir");
    std::fs::create_dir_all(dir.join("bin")).expect("bin dir");
    std::os::unix::fs::symlink(binary(), guestfish_in(&dir)).expect("symlink");
    link_images(&images(), &dir);
    if name.starts_with("fixture-") {
        if let Some(f) = fixtures() {
            link_images(&f, &dir);
        }
    }
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).expect("scripts dir");
    for e in std::fs::read_dir(golden_dir().join("scripts"))
        .expect("scripts")
        .flatten()
    {
        std::fs::copy(e.path(), scripts.join(e.file_name())).expect("copy script");
    }
    dir
}

/// The environment every case runs in (the same as regenerate.sh's).
fn fish_env(c: &mut Command, dir: &Path) {
    c.current_dir(dir)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", dir.join("bin").display()),
        )
        .env("HOME", dir.join("home"))
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .env("TZ", "UTC")
        .env_remove("TERM")
        .env_remove("GUESTFISH_PID")
        .env_remove("LIBGUESTFS_BACKEND")
        .env_remove("LIBGUESTFS_DEBUG")
        .env_remove("LIBGUESTFS_TRACE");
}

struct Case {
    name: String,
    cmd: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(golden_dir().join("cases.txt")).expect("cases.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, c)| Case {
            name: n.to_string(),
            cmd: c.to_string(),
        })
        .collect()
}

/// Where our output first differs from the golden one.
fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let o = String::from_utf8_lossy(ours);
    let t = String::from_utf8_lossy(theirs);
    for (i, (a, b)) in o.lines().zip(t.lines()).enumerate() {
        if a != b {
            return format!("line {}: ours {:?}, 1.48 {:?}", i + 1, a, b);
        }
    }
    format!("{} lines vs {} lines", o.lines().count(), t.lines().count())
}

#[test]
fn goldens_match_guestfish_1_48() {
    let known: BTreeMap<String, String> = parse_known(
        &std::fs::read_to_string(golden_dir().join("known-differences.txt")).unwrap_or_default(),
    );
    let work = TempDir::new("guestfish-goldens");
    let (mut same, mut allowed, mut failed, mut resolved) = (0, Vec::new(), Vec::new(), Vec::new());
    let mut skipped = Vec::new();
    for case in cases() {
        if case.name.starts_with("fixture-") && fixtures().is_none() {
            skipped.push(case.name.clone());
            continue;
        }
        let expected = |ext: &str| {
            std::fs::read(golden_dir().join(format!("{}.{}", case.name, ext))).unwrap_or_default()
        };
        let exp_rc: i32 = String::from_utf8_lossy(&expected("rc"))
            .trim()
            .parse()
            .unwrap_or(-1);
        let dir = case_dir(work.path(), &case.name);
        let mut c = Command::new("sh");
        c.arg("-c").arg(&case.cmd).stdin(Stdio::null());
        fish_env(&mut c, &dir);
        let out = c.output().expect("run case");
        let rc = out.status.code().unwrap_or(-1);
        let mut diffs = Vec::new();
        if out.stdout != expected("out") {
            diffs.push(format!(
                "stdout {}",
                first_difference(&out.stdout, &expected("out"))
            ));
        }
        if out.stderr != expected("err") {
            diffs.push(format!(
                "stderr {}",
                first_difference(&out.stderr, &expected("err"))
            ));
        }
        if rc != exp_rc {
            diffs.push(format!("exit {} instead of {}", rc, exp_rc));
        }
        match (diffs.is_empty(), known.get(&case.name)) {
            (true, None) => same += 1,
            (true, Some(_)) => {
                same += 1;
                resolved.push(case.name.clone());
            }
            (false, Some(why)) => {
                allowed.push(format!("{}: {} ({})", case.name, diffs.join("; "), why))
            }
            (false, None) => failed.push(format!("{}: {}", case.name, diffs.join("; "))),
        }
    }
    println!(
        "guestfish goldens: {} identical, {} known differences, {} unexpected",
        same,
        allowed.len(),
        failed.len()
    );
    for a in &allowed {
        println!("  known difference: {}", a);
    }
    for r in &resolved {
        println!(
            "  now identical, remove it from known-differences.txt: {}",
            r
        );
    }
    assert!(
        failed.is_empty(),
        "cases differing from guestfish 1.48:\n{}",
        failed.join("\n")
    );
}

/// Runs our guestfish with `args` and `stdin`, in a fresh case directory.
fn fish(dir: &Path, args: &[&str], stdin: &str) -> (String, String, i32) {
    use std::io::Write;
    let mut c = Command::new(guestfish_in(dir));
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    fish_env(&mut c, dir);
    let mut child = c.spawn().expect("run guestfish");
    let input = stdin.to_string();
    let mut pipe = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("guestfish output");
    let _ = writer.join();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn help_for_every_command() {
    let work = TempDir::new("guestfish-help");
    let dir = case_dir(work.path(), "help");
    let (list, _, rc) = fish(&dir, &["-h"], "");
    assert_eq!(rc, 0);
    let names: Vec<String> = list
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("    "))
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect();
    // 584 API commands, 21 guestfish commands, help and quit, and the aliases.
    let api = guestfs::ACTIONS.iter().filter(|a| a.in_guestfish()).count();
    assert_eq!(api, 584);
    assert!(names.len() > api + 21, "{} names", names.len());
    let mut script = String::new();
    for n in &names {
        script.push_str(&format!("help {}\n", n));
    }
    let (out, err, rc) = fish(&dir, &[], &script);
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(err, "");
    let pages = out.matches("NAME\n    ").count() + out.matches(" - quit guestfish\n").count();
    assert_eq!(pages + 1, names.len(), "every listed name has a page");
    for a in guestfs::ACTIONS.iter().filter(|a| a.in_guestfish()) {
        let (page, _, rc) = fish(&dir, &["-h", a.name], "");
        assert_eq!(rc, 0);
        assert!(
            page.starts_with(&format!("NAME\n    {} - ", a.name.replace('_', "-"))),
            "{}",
            page
        );
        // Lines fit 1.48's 76 columns, except the synopsis, which is never wrapped.
        for l in page.lines().filter(|l| !l.starts_with("     ")) {
            assert!(l.chars().count() <= 76, "{}: {:?}", a.name, l);
        }
    }
}

/// A `--listen` server, stopped when the test ends (whether it passed or not).
struct Server(i32);

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signals the server this test started (if it is still there).
        unsafe { libc::kill(self.0, libc::SIGTERM) };
        // A server killed by a signal leaves its socket behind.
        let _ = std::fs::remove_file(format!(
            "/tmp/.guestfish-{}/socket-{}",
            unsafe { libc::geteuid() },
            self.0
        ));
    }
}

/// Starts a `--listen` server (`prog`). Its stderr goes to /dev/null: the server keeps it
/// open, as it keeps running.
fn listen(prog: &Path, dir: &Path, extra: &[&str]) -> Server {
    let mut c = Command::new(prog);
    c.arg("--listen")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    fish_env(&mut c, dir);
    let out = c.output().expect("guestfish --listen");
    assert_eq!(out.status.code(), Some(0));
    let out = String::from_utf8_lossy(&out.stdout).into_owned();
    let pid = if extra.contains(&"--csh") {
        out.strip_prefix("setenv GUESTFISH_PID ")
            .and_then(|r| r.strip_suffix('\n'))
    } else {
        out.strip_prefix("GUESTFISH_PID=")
            .and_then(|r| r.strip_suffix("; export GUESTFISH_PID\n"))
    };
    Server(
        pid.and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("--listen printed {:?}", out)),
    )
}

#[test]
fn remote_control_between_our_server_and_client() {
    let work = TempDir::new("guestfish-remote");
    let dir = case_dir(work.path(), "remote");
    let ours = guestfish_in(&dir);
    let server = listen(&ours, &dir, &["--csh"]);
    let pid = server.0;
    let socket = format!(
        "/tmp/.guestfish-{}/socket-{}",
        unsafe { libc::geteuid() },
        pid
    );
    assert!(Path::new(&socket).exists(), "{}", socket);
    let pid_s = pid.to_string();
    let remote = |args: &[&str], stdin: &str| {
        let mut a = vec!["--remote"];
        a.extend_from_slice(args);
        let mut c = Command::new(guestfish_in(&dir));
        c.args(&a)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        fish_env(&mut c, &dir);
        c.env("GUESTFISH_PID", &pid_s);
        let mut child = c.spawn().expect("remote");
        {
            use std::io::Write;
            let mut i = child.stdin.take().expect("stdin");
            let _ = i.write_all(stdin.as_bytes());
        }
        let o = child.wait_with_output().expect("remote output");
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            o.status.code().unwrap_or(-1),
        )
    };
    // Output comes back through the passed stdout, also into a pipe.
    assert_eq!(
        remote(&["echo", "hello", "remote"], ""),
        ("hello remote\n".into(), String::new(), 0)
    );
    let (out, _, rc) = remote(&["echo", "x", ":", "echo", "y"], "");
    assert_eq!((out.as_str(), rc), ("x\ny\n", 0));
    // A script from stdin is forwarded command by command.
    let (out, _, rc) = remote(&[], "echo one\necho two | tr a-z A-Z\n");
    assert_eq!((out.as_str(), rc), ("one\nTWO\n", 0));
    // A failing command: the client exits 1 and, sent with exit-on-error, the server exits.
    let (_, _, rc) = remote(&["--", "-nosuch"], "");
    assert_eq!(rc, 0);
    let (_, _, rc) = remote(&["nosuch"], "");
    assert_eq!(rc, 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (_, err, rc) = remote(&["echo", "gone"], "");
    assert_eq!(rc, 1);
    assert!(
        err.contains("looks like the server is not running"),
        "{}",
        err
    );
    let socket = format!(
        "/tmp/.guestfish-{}/socket-{}",
        unsafe { libc::geteuid() },
        pid
    );
    assert!(!Path::new(&socket).exists());

    // A server started with drives has them launched and mounted before it answers.
    let mounted = listen(&ours, &dir, &["--ro", "-a", "demo.img", "-i"]);
    let mut c = Command::new(&ours);
    c.args(["--remote", "cat", "/etc/hostname", ":", "nosuch"])
        .stdin(Stdio::null());
    fish_env(&mut c, &dir);
    c.env("GUESTFISH_PID", mounted.0.to_string());
    let o = c.output().expect("remote cat");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "demo.example.invalid\n\n"
    );
    assert_eq!(o.status.code(), Some(1));
    drop(mounted);

    // A server whose startup fails exits with its status and prints nothing on stdout.
    let mut c = Command::new(&ours);
    c.args(["--listen", "-a", "nosuch.img"])
        .stdin(Stdio::null());
    fish_env(&mut c, &dir);
    let o = c.output().expect("listen");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(o.stdout, b"");
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "guestfish: access: nosuch.img: No such file or directory\n"
    );

    // `quit` ends a server too, and its socket goes.
    let quitting = listen(&ours, &dir, &[]);
    let mut c = Command::new(&ours);
    c.args(["--remote", "quit"]).stdin(Stdio::null());
    fish_env(&mut c, &dir);
    c.env("GUESTFISH_PID", quitting.0.to_string());
    assert_eq!(c.output().expect("quit").status.code(), Some(0));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let socket = format!(
        "/tmp/.guestfish-{}/socket-{}",
        unsafe { libc::geteuid() },
        quitting.0
    );
    assert!(!Path::new(&socket).exists(), "{}", socket);
}

#[test]
fn remote_control_with_libguestfs_1_48() {
    if !Path::new("/usr/bin/guestfish").exists() {
        println!("SKIPPED: libguestfs 1.48's guestfish is not installed");
        eprintln!("SKIPPED: libguestfs 1.48's guestfish is not installed");
        return;
    }
    let work = TempDir::new("guestfish-remote-148");
    let dir = case_dir(work.path(), "remote148");
    let run = |prog: &Path, args: &[&str], pid: Option<&str>| {
        let mut c = Command::new(prog);
        c.args(args).stdin(Stdio::null());
        fish_env(&mut c, &dir);
        if let Some(p) = pid {
            c.env("GUESTFISH_PID", p);
        }
        let o = c.output().expect("run");
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            o.status.code().unwrap_or(-1),
        )
    };
    let ours = guestfish_in(&dir);
    let theirs = PathBuf::from("/usr/bin/guestfish");
    for (server, client) in [(&theirs, &ours), (&ours, &theirs)] {
        let running = listen(server, &dir, &[]);
        let pid = running.0.to_string();
        let (out, rc) = run(
            client,
            &["--remote", "echo", "across", "versions"],
            Some(&pid),
        );
        assert_eq!(
            (out.as_str(), rc),
            ("across versions\n", 0),
            "{:?} → {:?}",
            client,
            server
        );
        let (_, rc) = run(client, &["--remote", "quit"], Some(&pid));
        assert_eq!(rc, 0);
    }
}

/// Runs our guestfish on a pseudo-terminal (util-linux `script`), typing `input`.
fn on_terminal(dir: &Path, args: &str, env: &[(&str, &str)], input: &str) -> String {
    use std::io::Write;
    let fish = guestfish_in(dir);
    let mut c = Command::new("script");
    c.args(["-qec", &format!("{} {}", fish.display(), args), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    fish_env(&mut c, dir);
    c.env("TERM", "dumb");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("script(1)");
    let mut stdin = child.stdin.take().expect("stdin");
    for line in input.split_inclusive('\n') {
        let _ = stdin.write_all(line.as_bytes());
        let _ = stdin.flush();
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    drop(stdin);
    let out = child.wait_with_output().expect("script output");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn interactive_shell() {
    if Command::new("script").arg("--version").output().is_err() {
        println!("SKIPPED: script(1) is not installed");
        return;
    }
    let work = TempDir::new("guestfish-tty");
    let dir = case_dir(work.path(), "tty");
    // guestfish puts the appliance in its own process group when interactive, as 1.48.
    let probe = on_terminal(&dir, "", &[], "quit\n");
    if probe.contains("set_pgroup: this call is not implemented yet by this library") {
        println!("SKIPPED: the library does not implement set_pgroup yet");
        eprintln!("SKIPPED: the library does not implement set_pgroup yet");
        return;
    }
    let _ = std::fs::remove_file(dir.join("home/.guestfish"));
    let out = on_terminal(
        &dir,
        "",
        &[("GUESTFISH_INIT", "init\\x21\\n")],
        "echo hello\nnosuch\nmount /dev/sda1 /\necho after errors\nquit\n",
    );
    assert!(
        out.contains("init!\n\nWelcome to guestfish, the guest filesystem shell for\n"),
        "{}",
        out
    );
    assert!(out.contains("><fs> "), "{}", out);
    assert!(out.contains("hello\n"));
    assert!(out.contains("nosuch: unknown command"));
    // Interactively the errors have no input position, and the shell goes on.
    assert!(out.contains("libguestfs: error: mount: call launch before using this function"));
    assert!(!out.contains("*stdin*"));
    assert!(out.contains("after errors\n"));
    let history = std::fs::read_to_string(dir.join("home/.guestfish")).expect("history");
    assert_eq!(
        history,
        "echo hello\nnosuch\nmount /dev/sda1 /\necho after errors\nquit\n"
    );

    // After the banner, -i says what it mounted (as 1.48 printed it for this image).
    let out = on_terminal(&dir, "--ro -a demo.img -i", &[], "quit\n");
    assert!(
        out.contains(
            "\nOperating system: 12.5\n/dev/sda2 mounted on /\n/dev/sda1 mounted on /boot\n\n><fs> "
        ),
        "{}",
        out
    );

    let out = on_terminal(
        &dir,
        "",
        &[
            ("GUESTFISH_PS1", "\\[\\e[1m\\]fish\\\\> "),
            ("GUESTFISH_OUTPUT", "<out>"),
        ],
        "echo x\n",
    );
    assert!(out.contains("\x1b[1mfish\\> "), "{:?}", out);
    assert!(out.contains("<out>x\n"), "{:?}", out);
    // The history grows.
    let history = std::fs::read_to_string(dir.join("home/.guestfish")).expect("history");
    assert!(history.ends_with("quit\nquit\necho x\n"), "{:?}", history);
}
