//! Running `virt-tools-libvirt` (libvirt-helper/ in the workspace) for one answer.

use serde_json::Value;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

const PROGRAM: &str = "virt-tools-libvirt";
/// Where the program is when it is neither next to the executable nor installed beside it.
const PROGRAM_ENV: &str = "VIRT_TOOLS_LIBVIRT";

/// The answer to `question`, or the message of its error. The program gets this process's
/// standard output and error as descriptors 3 and 4 (for libvirt's authentication prompts)
/// and answers on a pipe; what it says on the stderr pipe comes from before libvirt was
/// loaded: the dynamic loader's complaint that libvirt is missing.
pub(super) fn ask(question: &[&str]) -> Result<Value, String> {
    let program = guestfs_appliance::find_program(PROGRAM, PROGRAM_ENV);
    let out = duplicate_above_10(1)?;
    let err = duplicate_above_10(2)?;
    let (out_fd, err_fd) = (out.as_raw_fd(), err.as_raw_fd());
    let mut command = Command::new(&program);
    command
        .args(question)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: dup2 is async-signal-safe; the descriptors stay open in this process until
    // spawn returns. dup2's copies lose close-on-exec, so the program inherits them.
    unsafe {
        command.pre_exec(move || {
            if libc::dup2(out_fd, 3) == -1 || libc::dup2(err_fd, 4) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| not_available(&format!("{}: {}", program.display(), io_message(&e))))?;
    drop((out, err));
    let mut answer = Vec::new();
    let mut early = Vec::new();
    // The stderr pipe only carries what is written before the program's main runs (little),
    // so reading the answer to its end first cannot block the program.
    let read = child
        .stdout
        .take()
        .map(|mut s| s.read_to_end(&mut answer))
        .transpose()
        .and_then(|_| {
            child
                .stderr
                .take()
                .map(|mut s| s.read_to_end(&mut early))
                .transpose()
        });
    let status = child.wait();
    if let (Err(e), _) | (_, Err(e)) = (read.as_ref(), status.as_ref()) {
        return Err(format!("{}: {}", PROGRAM, io_message(e)));
    }
    match serde_json::from_slice::<Value>(&answer) {
        Ok(mut v) => match (v.get_mut("ok").map(Value::take), v["error"].as_str()) {
            (Some(ok), _) => Ok(ok),
            (None, Some(message)) => Err(message.to_string()),
            (None, None) => Err(malformed(&v)),
        },
        Err(_) => {
            let said = String::from_utf8_lossy(&early);
            let first = said.lines().next().unwrap_or_default();
            let reason = first
                .split_once("error while loading shared libraries: ")
                .map_or(first, |(_, why)| why);
            Err(not_available(if reason.is_empty() {
                "virt-tools-libvirt gave no answer"
            } else {
                reason
            }))
        }
    }
}

/// libguestfs 1.48's message when it was built without libvirt, with the reason here.
fn not_available(reason: &str) -> String {
    format!(
        "add-domain API not available since libvirt cannot be used: {}",
        reason
    )
}

pub(super) fn malformed(answer: &Value) -> String {
    format!("{}: unexpected answer: {}", PROGRAM, answer)
}

fn duplicate_above_10(fd: i32) -> Result<OwnedFd, String> {
    // SAFETY: fcntl duplicates a descriptor of this process; the copy is owned by the result.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
    if copy == -1 {
        return Err(format!(
            "{}: {}",
            PROGRAM,
            io_message(&std::io::Error::last_os_error())
        ));
    }
    // SAFETY: `copy` is a new descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// An I/O error in libc's words, without Rust's "(os error N)".
fn io_message(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => crate::error::strerror(errno),
        None => e.to_string(),
    }
}
