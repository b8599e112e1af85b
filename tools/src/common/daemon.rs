//! Going to the background once a service is ready, as guestmount does: the process forks
//! before it starts anything; the child does the work and, once ready, leaves the terminal
//! session and its standard streams and says so through a pipe; the parent waits for that
//! word (or for the child to end) and then exits, so that the caller finds the service ready
//! when the command returns, and sees the child's messages and exit status if it failed.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

/// Which side of the fork this is.
pub enum Forked {
    /// The parent: the child's pid, and how the child ended when it did before being ready.
    Parent {
        child: libc::pid_t,
        failed: Option<i32>,
    },
    /// The child, which calls [`Ready::detach`] once its service is ready.
    Child(Ready),
}

/// The child's end of the readiness pipe.
pub struct Ready {
    pipe: std::fs::File,
}

impl Ready {
    /// Leaves the session, the working directory and the standard streams (as the old
    /// `fuse_daemonize` did), then tells the parent the service is ready.
    pub fn detach(mut self) {
        // SAFETY: setsid, chdir, open, dup2 and close act on this process's own state only.
        unsafe {
            libc::setsid();
            libc::chdir(c"/".as_ptr());
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            if fd >= 0 {
                for std_fd in 0..3 {
                    libc::dup2(fd, std_fd);
                }
                if fd > 2 {
                    libc::close(fd);
                }
            }
        }
        let _ = self.pipe.write_all(&[0]);
    }
}

/// Forks. Must be called while the process has one thread.
pub fn fork() -> std::io::Result<Forked> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two-element array; the flag keeps the ends out of programs the
    // child starts (qemu), so the parent sees the end of the pipe when the child ends.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just made by pipe2 and are owned here alone.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the caller forks while single-threaded; each side keeps running ordinary code.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => {
            drop(read_end);
            Ok(Forked::Child(Ready {
                pipe: std::fs::File::from(write_end),
            }))
        }
        child => {
            drop(write_end);
            let mut word = [0u8; 1];
            let ready = matches!(std::fs::File::from(read_end).read(&mut word), Ok(1));
            let failed = if ready {
                None
            } else {
                let mut status = 0;
                // SAFETY: waits for the child just forked.
                unsafe { libc::waitpid(child, &mut status, 0) };
                Some(if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    1
                })
            };
            Ok(Forked::Parent { child, failed })
        }
    }
}
