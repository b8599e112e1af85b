//! What the image format tests share: a scratch directory, and running qemu-img and qemu-io
//! (the tests say SKIP when they are not installed).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory removed at the end of the test.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `$TMPDIR/guestfs-PREFIX-NAME-PID`.
    pub fn new(prefix: &str, name: &str) -> TempDir {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let dir = base.join(format!(
            "guestfs-{}-{}-{}",
            prefix,
            name,
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Whether qemu-img and qemu-io are installed; says SKIP when not.
pub fn have_qemu() -> bool {
    for tool in ["qemu-img", "qemu-io"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("SKIP: {} is not installed", tool);
            return false;
        }
    }
    true
}

/// Runs `cmd ARGS`, which must succeed; its standard output.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {}", cmd, e));
    assert!(
        out.status.success(),
        "{} {:?} failed: {}{}",
        cmd,
        args,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
