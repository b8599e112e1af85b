//! Helpers for the integration tests: build disk images with the standard tools (mkfs.ext4,
//! sfdisk, qemu-img, …) and run the real `virt-tools` binary under each tool's name.

pub mod images;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
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

/// A directory of argv[0] symlinks (`virt-cat` → virt-tools, …), made once per process.
pub fn tool_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("virt-tools-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tool dir");
        let bin = binary();
        for name in [
            "virt-cat",
            "virt-ls",
            "virt-filesystems",
            "virt-df",
            "virt-inspector",
            "virt-log",
            "virt-tail",
            "virt-tar-out",
            "virt-copy-out",
            "virt-win-reg",
            "virt-diff",
            "virt-alignment-scan",
        ] {
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
