//! inotify on guest paths, as 1.48's daemon offers it: one handle per daemon, non-blocking,
//! read in batches that fit a protocol message.

use crate::daemon::Daemon;
use crate::sys::{cstr, errno};
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, InotifyEvent, Result};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::Mutex;

const MAX_QUEUED_EVENTS: &str = "/proc/sys/fs/inotify/max_queued_events";

/// `struct inotify_event` without its name: wd, mask, cookie, len.
const EVENT_HEADER: usize = 16;

/// The longest name an event may carry (PATH_MAX), as 1.48 checks.
const PATH_MAX: usize = 4096;

/// How much of a reply a batch of events may fill: half of a protocol message.
const BATCH_SPACE: isize = (guestfs_protocol::frame::MESSAGE_MAX / 2) as isize;

/// The open handle, and the bytes read from it that do not yet make a whole event.
struct Inotify {
    file: File,
    pending: Vec<u8>,
}

/// The daemon's one inotify handle (1.48 keeps it in a global too).
static HANDLE: Mutex<Option<Inotify>> = Mutex::new(None);

/// 1.48's NEED_INOTIFY, naming its C function.
fn not_initialised(func: &str) -> Error {
    Error::msg(format!(
        "{}: you must call 'inotify_init' first to initialize inotify",
        func
    ))
}

fn failed(e: i32, what: &str) -> Error {
    Error::new(e, format!("{}: {}", what, strerror(e)))
}

fn with_handle<T>(func: &str, f: impl FnOnce(&mut Inotify) -> Result<T>) -> Result<T> {
    let mut h = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
    match h.as_mut() {
        Some(i) => f(i),
        None => Err(not_initialised(func)),
    }
}

/// The whole events at the start of `buf`, and how many bytes they took.
fn parse_events(buf: &[u8], space: &mut isize) -> Result<(Vec<InotifyEvent>, usize)> {
    let mut out = Vec::new();
    let mut n = 0;
    let word = |at: usize| u32::from_ne_bytes(buf[at..at + 4].try_into().unwrap());
    while n + EVENT_HEADER <= buf.len() {
        let len = word(n + 12) as usize;
        if n + EVENT_HEADER + len > buf.len() {
            break;
        }
        if len > PATH_MAX {
            return Err(Error::msg(format!("event->len = {} > PATH_MAX", len)));
        }
        let raw = &buf[n + EVENT_HEADER..n + EVENT_HEADER + len];
        let name = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
        let event = InotifyEvent {
            in_wd: word(n) as i32 as i64,
            in_mask: word(n + 4),
            in_cookie: word(n + 8),
            in_name: String::from_utf8_lossy(name).into_owned(),
        };
        *space -= 16 + 4 + event.in_name.len() as isize + 4;
        out.push(event);
        n += EVENT_HEADER + len;
    }
    Ok((out, n))
}

impl Inotify {
    /// The events available now (none when the queue is empty), at most about half a
    /// message's worth.
    fn read_batch(&mut self) -> Result<Vec<InotifyEvent>> {
        let mut events = Vec::new();
        let mut space = BATCH_SPACE;
        let mut buf = vec![0u8; 64 * 1024];
        while space > 0 {
            let r = match self.file.read(&mut buf) {
                Ok(0) => return Err(Error::msg("unexpected end of file")),
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(e.raw_os_error().unwrap_or(libc::EIO), "read")),
            };
            self.pending.extend_from_slice(&buf[..r]);
            let (mut batch, used) = parse_events(&self.pending, &mut space)?;
            events.append(&mut batch);
            self.pending.drain(..used);
        }
        Ok(events)
    }
}

impl Daemon {
    pub(super) fn inotify_init(&mut self, maxevents: i32) -> Result<()> {
        if maxevents < 0 {
            return Err(Error::msg("max_events < 0"));
        }
        if maxevents > 0 {
            std::fs::write(MAX_QUEUED_EVENTS, format!("{}\n", maxevents))
                .map_err(|e| failed(e.raw_os_error().unwrap_or(libc::EIO), MAX_QUEUED_EVENTS))?;
        }
        let mut h = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
        // The previous handle, if any, is closed by being replaced.
        *h = None;
        // SAFETY: no pointers; the descriptor returned is owned by the File.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd == -1 {
            return Err(failed(errno(), "inotify_init1"));
        }
        *h = Some(Inotify {
            // SAFETY: fd was just created and is owned by nothing else.
            file: unsafe { File::from_raw_fd(fd) },
            pending: Vec::new(),
        });
        Ok(())
    }

    pub(super) fn inotify_close(&mut self) -> Result<()> {
        let mut h = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
        match h.take() {
            Some(_) => Ok(()),
            None => Err(not_initialised("do_inotify_close")),
        }
    }

    /// Watches the sysroot path (not resolved in the guest, as in 1.48).
    pub(super) fn inotify_add_watch(&mut self, path: &str, mask: i32) -> Result<i64> {
        let full = cstr(&self.sysroot_path(path))?;
        with_handle("do_inotify_add_watch", |i| {
            // SAFETY: a valid descriptor and C string.
            let r =
                unsafe { libc::inotify_add_watch(i.file.as_raw_fd(), full.as_ptr(), mask as u32) };
            if r == -1 {
                return Err(failed(errno(), path));
            }
            Ok(r as i64)
        })
    }

    pub(super) fn inotify_rm_watch(&mut self, wd: i32) -> Result<()> {
        with_handle("do_inotify_rm_watch", |i| {
            // SAFETY: a valid descriptor.
            if unsafe { libc::inotify_rm_watch(i.file.as_raw_fd(), wd) } == -1 {
                return Err(failed(errno(), &wd.to_string()));
            }
            Ok(())
        })
    }

    pub(super) fn inotify_read(&mut self) -> Result<Vec<InotifyEvent>> {
        with_handle("do_inotify_read", Inotify::read_batch)
    }

    /// Every name in the queued events, read until the queue is empty, as the lines of
    /// `sort -u` (bytewise in the appliance's C locale).
    pub(super) fn inotify_files(&mut self) -> Result<Vec<String>> {
        with_handle("do_inotify_files", |i| {
            let mut text = String::new();
            loop {
                let batch = i.read_batch()?;
                if batch.is_empty() {
                    break;
                }
                for e in batch.iter().filter(|e| !e.in_name.is_empty()) {
                    text.push_str(&e.in_name);
                    text.push('\n');
                }
            }
            let lines: BTreeSet<&str> = text.lines().collect();
            Ok(lines.into_iter().map(str::to_string).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(wd: i32, mask: u32, name: &[u8], len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&len.to_ne_bytes());
        let mut n = name.to_vec();
        n.resize(len as usize, 0);
        v.extend_from_slice(&n);
        v
    }

    #[test]
    fn whole_events_are_taken_and_a_partial_one_is_left() {
        let mut buf = event(1, 256, b"a", 16);
        buf.extend(event(1, 8, b"", 0));
        let partial = event(2, 4, b"long-name", 16);
        buf.extend_from_slice(&partial[..20]);
        let mut space = BATCH_SPACE;
        let (events, used) = parse_events(&buf, &mut space).unwrap();
        assert_eq!(used, 32 + 16);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].in_name, "a");
        assert_eq!(events[1].in_name, "");
        assert_eq!(events[1].in_mask, 8);
        assert!(space < BATCH_SPACE);
    }

    #[test]
    fn an_overlong_name_is_refused() {
        let buf = event(1, 1, b"x", (PATH_MAX + 8) as u32);
        let err = parse_events(&buf, &mut BATCH_SPACE.clone()).unwrap_err();
        assert_eq!(
            err.message,
            format!("event->len = {} > PATH_MAX", PATH_MAX + 8)
        );
    }
}
