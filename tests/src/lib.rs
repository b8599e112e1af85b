//! Helpers for the integration tests: build disk images with the standard tools (mkfs.ext4,
//! sfdisk, qemu-img, …) and run the real `virt-tools` binary under each tool's name.

pub mod backends;
pub mod call_scripts;
pub mod encrypted_lvm;
pub mod hostile;
pub mod images;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A folder with a short name right in /tmp, for daemons whose socket paths must stay
    /// under the 108 bytes of a Unix socket address whatever TMPDIR is.
    pub fn short(tag: &str) -> TempDir {
        let path = PathBuf::from(format!("/tmp/{}{}", tag, std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
    pub fn new(tag: &str) -> TempDir {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let unique = format!(
            "virt-tools-{}-{}-{}",
            tag,
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let path = base.join(unique);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `virt-tools` binary under test: `$VIRT_TOOLS_BIN`, else the one cargo built next to
/// this test executable (`target/<profile>/virt-tools`).
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("VIRT_TOOLS_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test> or target/<profile>/<bin>
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join("virt-tools");
    assert!(
        bin.exists(),
        "{} not found: build it first (cargo build -p virt-tools, same profile as the tests)",
        bin.display()
    );
    bin
}

/// The demo guest (the image the write tools' golden cases ran on), built in `tmp` with the
/// daemon its appliance needs.
pub fn demo_image(tmp: &TempDir) -> PathBuf {
    build_daemon();
    let work = tmp.join("work");
    std::fs::create_dir_all(&work).unwrap();
    images::demo_guest(&work, &tmp.join("demo.img"))
}

/// Builds the appliance daemon next to the virt-tools binary (same profile), for the tests
/// that boot the appliance or install the daemon, and returns its path.
pub fn build_daemon() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "guestfsd", "--manifest-path"])
        .arg(&manifest);
    let bin = binary();
    if bin.parent().is_some_and(|d| d.ends_with("release")) {
        cmd.arg("--release");
    }
    assert!(cmd.status().unwrap().success(), "building guestfsd failed");
    bin.with_file_name("guestfsd")
}

/// A directory of argv[0] symlinks (`virt-cat` → virt-tools, …), made once per process.
pub fn tool_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("virt-tools-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tool dir");
        let bin = binary();
        // Every tool the binary has (its --list), so the list is declared once.
        let list = Command::new(&bin)
            .arg("--list")
            .output()
            .expect("virt-tools --list");
        for name in String::from_utf8_lossy(&list.stdout).lines() {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&bin, &link).expect("symlink");
        }
        dir
    })
    .clone()
}

/// A command running `tool` (by its argv[0] name) in the C locale and UTC.
pub fn tool(name: &str) -> Command {
    let mut c = Command::new(tool_dir().join(name));
    c.env("LC_ALL", "C")
        .env("LANG", "C")
        .env("TZ", "UTC")
        .env_remove("LIBGUESTFS_DEBUG")
        .env_remove("LIBGUESTFS_TRACE");
    c
}

/// Runs a tool and returns (stdout, stderr, exit code).
pub fn run(name: &str, args: &[&str]) -> (String, String, i32) {
    let out = tool(name).args(args).output().expect("run tool");
    split(out)
}

pub fn split(out: Output) -> (String, String, i32) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Runs a host command, panicking with its output if it fails.
pub fn sh(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {}", cmd, e));
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// True if a host program is on PATH (tests that need it say so when it is missing).
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null", program))
        .status()
        .is_ok_and(|s| s.success())
}

/// The shared fixtures folder (`../shared/fixtures` from the project root), when present.
pub fn shared_fixtures() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .to_path_buf();
    let p = root.parent()?.join("shared/fixtures");
    p.join("expected").is_dir().then_some(p)
}

/// A case file set (`NAME.cmd`, `.out`, `.err`, `.rc`, as libguestfs 1.48 produced them) run
/// with our binary: returns (identical, known differences, unexpected differences).
pub struct CaseResults {
    pub passed: Vec<String>,
    pub known: Vec<String>,
    pub failed: Vec<String>,
}

impl CaseResults {
    /// Prints the counts and the known differences under `title`, then fails on any
    /// unexpected difference.
    pub fn check(&self, title: &str) {
        println!(
            "{}: {} identical, {} known differences, {} unexpected",
            title,
            self.passed.len(),
            self.known.len(),
            self.failed.len()
        );
        for k in &self.known {
            println!("  known difference: {}", k);
        }
        assert!(
            self.failed.is_empty(),
            "cases differing from libguestfs 1.48:\n{}",
            self.failed.join("\n")
        );
    }
}

/// Runs every `*.cmd` in `expected` with the tools on PATH, in `images`, and compares stdout,
/// exit status and (for failures) stderr byte for byte. `known` maps case names to the reason
/// they are allowed to differ.
pub fn run_cases(
    expected: &Path,
    images: &Path,
    known: &std::collections::BTreeMap<String, String>,
) -> CaseResults {
    let path = format!(
        "{}:{}",
        tool_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cases: Vec<PathBuf> = std::fs::read_dir(expected)
        .expect("expected dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cmd"))
        .collect();
    cases.sort();
    let mut r = CaseResults {
        passed: Vec::new(),
        known: Vec::new(),
        failed: Vec::new(),
    };
    for cmd_file in cases {
        let case = cmd_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let base = cmd_file.with_extension("");
        let read =
            |ext: &str| std::fs::read(format!("{}.{}", base.display(), ext)).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&read("cmd")).into_owned();
        let exp_rc: i32 = String::from_utf8_lossy(&read("rc"))
            .trim()
            .parse()
            .unwrap_or(0);
        let out = Command::new("bash")
            .arg("-c")
            .arg(&cmd)
            .current_dir(images)
            .env("PATH", &path)
            .env("TZ", "UTC")
            .env("LANG", "C")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run case");
        let rc = out.status.code().unwrap_or(-1);
        let same =
            rc == exp_rc && out.stdout == read("out") && (exp_rc == 0 || out.stderr == read("err"));
        match (same, known.get(&case)) {
            (true, _) => r.passed.push(case),
            (false, Some(why)) => r.known.push(format!("{} ({})", case, why)),
            (false, None) => r.failed.push(format!(
                "{}: exit {} (expected {}); stderr: {}",
                case,
                rc,
                exp_rc,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            )),
        }
    }
    r
}

/// Parses a known-differences list: `CASE reason…` lines, `#` comments.
pub fn parse_known(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(char::is_whitespace)
                .map(|(c, why)| (c.to_string(), why.trim().to_string()))
        })
        .collect()
}
