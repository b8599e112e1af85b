//! The error type every call returns: a message and an errno, as libguestfs reports them.

use std::fmt;
use std::io;

/// An error from a libguestfs call.
///
/// `message` is the text after `CALL: ` in libguestfs's `libguestfs: error: CALL: MESSAGE`;
/// the handle adds the call name. `errno` is the POSIX errno the failure maps to (0 if none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub errno: i32,
    /// Set once the handle has reported it (printed or passed to the error handler), so calls
    /// built on other calls do not report the same failure twice.
    pub reported: bool,
    /// The library's own failure during a daemon call (a transfer the daemon cancelled),
    /// which libguestfs reports without the call's name in front.
    pub unprefixed: bool,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(errno: i32, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            errno,
            reported: false,
            unprefixed: false,
        }
    }

    /// An error the library reports without the call's name (see `unprefixed`).
    pub fn unprefixed(errno: i32, message: impl Into<String>) -> Error {
        Error {
            unprefixed: true,
            ..Error::new(errno, message)
        }
    }

    /// A FileOut transfer the daemon cancelled part-way (1.48's library reports only this;
    /// the daemon's reason goes to its log).
    pub fn receive_cancelled() -> Error {
        Error::unprefixed(libc::EIO, "file receive cancelled by daemon")
    }

    /// An error with no particular errno.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::new(0, message)
    }

    /// `PATH: strerror(errno)`, the daemon's usual wording for a failed system call.
    pub fn path(errno: i32, path: &str) -> Error {
        Error::new(errno, format!("{}: {}", path, strerror(errno)))
    }

    /// Corrupt or unsupported on-disk data.
    pub fn corrupt(message: impl Into<String>) -> Error {
        Error::new(libc::EIO, message)
    }

    /// Prefixes the message with `what: `, keeping the errno.
    pub fn context(self, what: &str) -> Error {
        Error {
            message: format!("{}: {}", what, self.message),
            errno: self.errno,
            reported: self.reported,
            unprefixed: self.unprefixed,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        let errno = match e.raw_os_error() {
            Some(n) => n,
            None => match e.kind() {
                io::ErrorKind::NotFound => libc::ENOENT,
                io::ErrorKind::PermissionDenied => libc::EACCES,
                io::ErrorKind::InvalidInput => libc::EINVAL,
                io::ErrorKind::UnexpectedEof => libc::EIO,
                io::ErrorKind::Unsupported => libc::ENOTSUP,
                _ => libc::EIO,
            },
        };
        match e.raw_os_error() {
            Some(n) => Error::new(errno, strerror(n)),
            None => Error::new(errno, e.to_string()),
        }
    }
}

/// The C library's text for an errno (`No such file or directory`), as libguestfs prints it.
pub fn strerror(errno: i32) -> String {
    // SAFETY: strerror_r with a local buffer is thread-safe; the buffer is NUL-terminated.
    let mut buf = [0 as libc::c_char; 256];
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {}", errno);
    }
    let cstr = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    cstr.to_string_lossy().into_owned()
}

/// The symbolic name of an errno (`ENOENT`), as the wire protocol carries it.
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::EBADF => "EBADF",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::EFBIG => "EFBIG",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::ELOOP => "ELOOP",
        libc::ENODATA => "ENODATA",
        libc::ENOTSUP => "ENOTSUP",
        libc::EINTR => "EINTR",
        libc::ESRCH => "ESRCH",
        libc::ESHUTDOWN => "ESHUTDOWN",
        libc::EOVERFLOW => "EOVERFLOW",
        _ => "",
    }
}

/// The errno for a symbolic name received over the wire; 0 when unknown.
pub fn errno_from_name(name: &str) -> i32 {
    const ALL: &[i32] = &[
        libc::EPERM,
        libc::ENOENT,
        libc::EIO,
        libc::ENXIO,
        libc::EBADF,
        libc::ENOMEM,
        libc::EACCES,
        libc::EBUSY,
        libc::EEXIST,
        libc::ENODEV,
        libc::ENOTDIR,
        libc::EISDIR,
        libc::EINVAL,
        libc::EFBIG,
        libc::ENOSPC,
        libc::EROFS,
        libc::ERANGE,
        libc::ENAMETOOLONG,
        libc::ENOTEMPTY,
        libc::ELOOP,
        libc::ENODATA,
        libc::ENOTSUP,
        libc::EINTR,
        libc::ESRCH,
        libc::ESHUTDOWN,
        libc::EOVERFLOW,
    ];
    ALL.iter()
        .copied()
        .find(|&e| errno_name(e) == name)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_matches_libc_wording() {
        assert_eq!(strerror(libc::ENOENT), "No such file or directory");
        assert_eq!(
            Error::path(libc::ENOENT, "/x").message,
            "/x: No such file or directory"
        );
    }

    #[test]
    fn errno_names_round_trip() {
        assert_eq!(errno_from_name("ENOENT"), libc::ENOENT);
        assert_eq!(errno_from_name(errno_name(libc::ENOTDIR)), libc::ENOTDIR);
        assert_eq!(errno_from_name("EWHATEVER"), 0);
    }
}
