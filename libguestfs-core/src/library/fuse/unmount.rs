//! Taking a FUSE mount down with `fusermount -u`, tried again with growing pauses while the
//! mount is busy (guestunmount, and `umount_local`, which 1.48 makes by running guestunmount).

use std::process::{Command, Stdio};
use std::time::Duration;

/// Why the mount is still there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnmountError {
    /// fusermount found no such mount (its "entry for … not found" message).
    NotMounted(String),
    /// fusermount failed every time; its last message.
    Failed(String),
}

/// `fusermount` where it is installed (libfuse 2's, or fuse3's compatibility link), whose
/// messages 1.48 shows; else fuse3's `fusermount3`.
fn fusermount_program() -> &'static str {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("fusermount").is_file())
    });
    if found {
        "fusermount"
    } else {
        "fusermount3"
    }
}

/// One `fusermount -u MOUNTPOINT`, in the C locale; its messages (trailing newlines removed)
/// when it fails.
fn fusermount(mountpoint: &str) -> Result<(), String> {
    let out = Command::new(fusermount_program())
        .arg("-u")
        .arg(mountpoint)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let mut text = o.stdout;
            text.extend_from_slice(&o.stderr);
            while text.last() == Some(&b'\n') {
                text.pop();
            }
            Err(String::from_utf8_lossy(&text).into_owned())
        }
        Err(e) => Err(format!("exec: {}", e)),
    }
}

/// What an unmount does, for guestunmount's verbose messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmountStep<'a> {
    /// The command about to run.
    Running(&'a str),
    Succeeded,
    /// A try failed with this message.
    Failed(&'a str),
}

/// Unmounts `mountpoint`, trying `retries` more times after a failure, waiting 1, 2, 4 …
/// seconds between tries. `log` is told each step.
pub fn unmount(
    mountpoint: &str,
    retries: u32,
    log: &mut dyn FnMut(UnmountStep),
) -> Result<(), UnmountError> {
    let mut last = String::new();
    for i in 0..=retries {
        if i > 0 {
            std::thread::sleep(Duration::from_secs(1 << (i - 1).min(16)));
        }
        log(UnmountStep::Running(&format!(
            "fusermount -u {}",
            mountpoint
        )));
        match fusermount(mountpoint) {
            Ok(()) => {
                log(UnmountStep::Succeeded);
                return Ok(());
            }
            Err(msg) => {
                log(UnmountStep::Failed(&msg));
                if msg.contains("fusermount: entry for") {
                    return Err(UnmountError::NotMounted(msg));
                }
                last = msg;
            }
        }
    }
    Err(UnmountError::Failed(last))
}
