//! `virt-tools-libvirt`: the libvirt side of `add_domain`, `add_libvirt_dom` and the every-guest
//! mode of virt-df and virt-alignment-scan. It is a separate program because linking libvirt
//! makes the dynamic loader map some fifty libraries into every process at start, a few
//! milliseconds each tool would pay on every run for an option most runs do not use. The
//! library (`libguestfs-core/src/libvirt/client.rs`) runs it once per question.
//!
//! Protocol: `virt-tools-libvirt COMMAND [ARGS…]` writes one JSON object on standard output,
//! `{"ok": ANSWER}` or `{"error": MESSAGE}` with libguestfs 1.48's wording. The caller may pass
//! its own standard output and error as file descriptors 3 and 4: they become this program's
//! standard output and error once libvirt is loaded (so libvirt's authentication prompts reach
//! the user), while what the dynamic loader says before (libvirt missing) stays on the pipes
//! the caller reads.
//!
//! Commands (URI: `-` for libvirt's default connection):
//! - `list URI`: every domain, running and defined, sorted by name: `[{"name", "uuid"}]`;
//! - `domain URI ro|rw uuid|name NAME`: `{"xml", "running"}` of the domain called NAME (or
//!   whose UUID is NAME, tried first, with `uuid`);
//! - `volume URI ro|rw POOL VOLUME`: the file of a storage pool volume, or null when the
//!   volume is not a file;
//! - `secret URI uuid UUID` | `secret URI usage TYPE USAGE`: a secret's value, hex-encoded
//!   (secrets need a read-write connection).

mod answers;

use std::io::Write;
use std::os::fd::FromRawFd;

fn main() {
    let answer_fd = take_caller_streams();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let response = match answers::answer(&args) {
        Ok(value) => serde_json::json!({ "ok": value }),
        Err(message) => serde_json::json!({ "error": message }),
    };
    // SAFETY: `answer_fd` is this process's own duplicate of the answer pipe, owned here.
    let mut out = unsafe { std::fs::File::from_raw_fd(answer_fd) };
    let written = writeln!(out, "{}", response);
    std::process::exit(if written.is_ok() { 0 } else { 1 });
}

/// Moves the answer pipe (standard output) aside and, when the caller passed its own
/// standard output and error as descriptors 3 and 4, makes them this program's again.
/// Returns the answer pipe's descriptor.
fn take_caller_streams() -> i32 {
    // SAFETY: plain descriptor calls on this process's own descriptors. The answer pipe's
    // copy goes above 10 so that it is never mistaken for a passed descriptor.
    unsafe {
        let passed: Vec<(i32, i32)> = [(3, 1), (4, 2)]
            .into_iter()
            .filter(|&(fd, _)| libc::fcntl(fd, libc::F_GETFD) != -1)
            .collect();
        let answer = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 10);
        for (fd, standard) in passed {
            libc::dup2(fd, standard);
            libc::close(fd);
        }
        if answer == -1 {
            1
        } else {
            answer
        }
    }
}
