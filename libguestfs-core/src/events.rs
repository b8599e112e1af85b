//! Events a handle emits (libguestfs's `GUESTFS_EVENT_*`, with the same bit values), the
//! callbacks registered for them, and how a message event nobody registered for is printed on
//! stderr the way libguestfs 1.48 prints it.
//!
//! The registry is shared (an `Arc`) between the handle and the backend it launched, so that
//! progress messages and the launch log reach the callbacks while a call is still running.
//! Callbacks always run in the thread that made the call.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

/// The kinds of events. The discriminant is the bit number of libguestfs's event bitmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// The handle is being closed (dropped).
    Close = 0,
    /// The hypervisor died while the handle was in use.
    SubprocessQuit = 1,
    /// The launch finished.
    LaunchDone = 2,
    /// Progress of a long call: the array is `[proc_nr, serial, position, total]`.
    Progress = 3,
    /// Output of the appliance's console (or of a helper program such as qemu-img), with its
    /// own line ends.
    Appliance = 4,
    /// A debug message from the library (only sent in verbose mode).
    Library = 5,
    /// A trace line (only sent in trace mode).
    Trace = 6,
    /// A call starts; the message is its name.
    Enter = 7,
    /// libvirt asks for credentials (never sent: this library has no libvirt backend).
    LibvirtAuth = 8,
    /// A warning.
    Warning = 9,
}

impl EventKind {
    /// Every kind, in bit order.
    pub const ALL: [EventKind; 10] = [
        EventKind::Close,
        EventKind::SubprocessQuit,
        EventKind::LaunchDone,
        EventKind::Progress,
        EventKind::Appliance,
        EventKind::Library,
        EventKind::Trace,
        EventKind::Enter,
        EventKind::LibvirtAuth,
        EventKind::Warning,
    ];

    /// libguestfs's `GUESTFS_EVENT_*` value.
    pub fn bit(self) -> u64 {
        1 << (self as u8)
    }

    /// The name guestfish's `event` command and the language bindings use.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Close => "close",
            EventKind::SubprocessQuit => "subprocess_quit",
            EventKind::LaunchDone => "launch_done",
            EventKind::Progress => "progress",
            EventKind::Appliance => "appliance",
            EventKind::Library => "library",
            EventKind::Trace => "trace",
            EventKind::Enter => "enter",
            EventKind::LibvirtAuth => "libvirt_auth",
            EventKind::Warning => "warning",
        }
    }

    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// `GUESTFS_EVENT_ALL`: every event.
pub const EVENT_ALL: u64 = 0x3ff;

/// The bitmask of some kinds.
pub fn mask(kinds: &[EventKind]) -> u64 {
    kinds.iter().fold(0, |m, k| m | k.bit())
}

/// One event, as a callback receives it.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub kind: EventKind,
    /// The handle `set_event_callback` returned for the callback being called.
    pub event_handle: i32,
    /// The text of message events (empty for the others).
    pub message: &'a str,
    /// The numbers of array events (progress: proc_nr, serial, position, total).
    pub array: &'a [u64],
}

impl Event<'_> {
    /// (position, total) of a progress event.
    pub fn progress(&self) -> Option<(u64, u64)> {
        match (self.kind, self.array) {
            (EventKind::Progress, [_, _, position, total, ..]) => Some((*position, *total)),
            _ => None,
        }
    }
}

/// A function that receives events.
pub type EventCallback = Box<dyn FnMut(&Event) + Send>;

/// libguestfs refuses more registrations than this.
const MAX_CALLBACKS: usize = 1000;

struct Registered {
    /// 0 once deleted: the slot keeps its number so that later handles stay valid.
    mask: u64,
    callback: EventCallback,
}

struct Registry {
    callbacks: Vec<Registered>,
    /// Debug messages are only sent (and printed) in verbose mode.
    verbose: bool,
    /// Printed before trace lines when not empty.
    identifier: String,
}

/// The callbacks of a handle, shared with its backend.
#[derive(Clone)]
pub(crate) struct EventHub(Arc<Mutex<Registry>>);

impl Default for EventHub {
    fn default() -> Self {
        EventHub(Arc::new(Mutex::new(Registry {
            callbacks: Vec::new(),
            verbose: false,
            identifier: String::new(),
        })))
    }
}

impl EventHub {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A callback that panicked leaves the registry as consistent as before the call.
        match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn register(&self, mask: u64, callback: EventCallback) -> Option<i32> {
        let mut r = self.lock();
        if r.callbacks.len() >= MAX_CALLBACKS {
            return None;
        }
        r.callbacks.push(Registered { mask, callback });
        Some(r.callbacks.len() as i32 - 1)
    }

    /// Unknown handles are ignored, as libguestfs does.
    pub(crate) fn delete(&self, event_handle: i32) {
        let mut r = self.lock();
        let Ok(i) = usize::try_from(event_handle) else {
            return;
        };
        if i >= r.callbacks.len() {
            return;
        }
        r.callbacks[i].mask = 0;
        // Deleting the last one frees its slot, so register/delete cycles never hit the limit.
        if i + 1 == r.callbacks.len() {
            r.callbacks.pop();
        }
    }

    /// A number that stays the same for the life of the registry (the handle's `c_pointer`).
    pub(crate) fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    pub(crate) fn set_verbose(&self, verbose: bool) {
        self.lock().verbose = verbose;
    }

    pub(crate) fn verbose(&self) -> bool {
        self.lock().verbose
    }

    pub(crate) fn set_identifier(&self, identifier: &str) {
        self.lock().identifier = identifier.to_string();
    }

    /// Calls every callback registered for the event; returns how many there were.
    fn dispatch(r: &mut Registry, kind: EventKind, message: &str, array: &[u64]) -> usize {
        let mut count = 0;
        for (i, c) in r.callbacks.iter_mut().enumerate() {
            if c.mask & kind.bit() != 0 {
                (c.callback)(&Event {
                    kind,
                    event_handle: i as i32,
                    message,
                    array,
                });
                count += 1;
            }
        }
        count
    }

    /// An event with no payload (close, subprocess_quit, launch_done): dropped when nobody
    /// registered for it.
    pub(crate) fn void(&self, kind: EventKind) {
        Self::dispatch(&mut self.lock(), kind, "", &[]);
    }

    /// An event with numbers (progress).
    pub(crate) fn array(&self, kind: EventKind, array: &[u64]) {
        Self::dispatch(&mut self.lock(), kind, "", array);
    }

    /// A message event. Without a callback for it, appliance and library messages are printed
    /// in verbose mode, warnings and trace lines always.
    pub(crate) fn message(&self, kind: EventKind, message: &str) {
        let mut r = self.lock();
        if Self::dispatch(&mut r, kind, message, &[]) > 0 {
            return;
        }
        let printed = match kind {
            EventKind::Appliance | EventKind::Library => r.verbose,
            EventKind::Warning | EventKind::Trace => true,
            _ => false,
        };
        if printed {
            let line = default_line(kind, &r.identifier, message);
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&line);
            let _ = err.flush();
        }
    }

    /// A library debug message: sent only in verbose mode, as libguestfs's `debug` does.
    pub(crate) fn debug(&self, message: &str) {
        if self.verbose() {
            self.message(EventKind::Library, message);
        }
    }
}

/// How libguestfs prints a message event nobody registered for: appliance output as it came,
/// the others as one `libguestfs: ` line (`warning: `, `trace: [ID: ]`) with non-printable
/// characters escaped.
fn default_line(kind: EventKind, identifier: &str, message: &str) -> Vec<u8> {
    let from_appliance = kind == EventKind::Appliance;
    let mut out = Vec::with_capacity(message.len() + 32);
    if !from_appliance {
        out.extend_from_slice(b"libguestfs: ");
    }
    match kind {
        EventKind::Warning => out.extend_from_slice(b"warning: "),
        EventKind::Trace => {
            out.extend_from_slice(b"trace: ");
            if !identifier.is_empty() {
                out.extend_from_slice(identifier.as_bytes());
                out.extend_from_slice(b": ");
            }
        }
        _ => {}
    }
    for &c in message.as_bytes() {
        let plain = (0x20..0x7f).contains(&c) || (from_appliance && (c == b'\n' || c == b'\r'));
        // Like libguestfs (c_isprint), bytes of non-ASCII characters are escaped too.
        if plain {
            out.push(c);
            continue;
        }
        match c {
            0 => out.extend_from_slice(b"\\0"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x0b => out.extend_from_slice(b"\\v"),
            other => out.extend_from_slice(format!("\\x{:x}", other).as_bytes()),
        }
    }
    if !from_appliance {
        out.push(b'\n');
    }
    out
}

/// A reader that sends progress events of the bytes read through it (total 0 when unknown),
/// at most every third of a second and once at the end, as the daemon paces its own: for
/// the streams the library or a tool feeds to a call (`copy_in`'s tar, a tarball).
pub struct ProgressReader<R> {
    inner: R,
    events: EventHub,
    position: u64,
    total: u64,
    last: std::time::Instant,
    finished: bool,
}

impl<R: std::io::Read> std::io::Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.finished {
            return Ok(n);
        }
        self.position += n as u64;
        self.finished = n == 0 || (self.total > 0 && self.position >= self.total);
        if self.finished || self.last.elapsed() >= std::time::Duration::from_millis(333) {
            self.last = std::time::Instant::now();
            // At the end an unknown total becomes what was read, so a bar completes.
            let total = if self.finished && self.total == 0 {
                self.position
            } else {
                self.total
            };
            self.events
                .array(EventKind::Progress, &[0, 0, self.position, total]);
        }
        Ok(n)
    }
}

impl crate::handle::Handle {
    /// `inner` wrapped to report its progress through this handle's progress events.
    pub fn progress_reader<R: std::io::Read>(&self, inner: R, total: u64) -> ProgressReader<R> {
        ProgressReader {
            inner,
            events: self.events.clone(),
            position: 0,
            total,
            last: std::time::Instant::now(),
            finished: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_libguestfs_values() {
        let bits: Vec<u64> = EventKind::ALL.iter().map(|k| k.bit()).collect();
        assert_eq!(
            bits,
            [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200]
        );
        assert_eq!(mask(&EventKind::ALL), EVENT_ALL);
        assert_eq!(
            EventKind::from_name("subprocess_quit"),
            Some(EventKind::SubprocessQuit)
        );
        assert_eq!(EventKind::from_name("nope"), None);
    }

    #[test]
    fn default_lines_escape_like_libguestfs() {
        assert_eq!(
            default_line(EventKind::Trace, "", "ls \"/\""),
            b"libguestfs: trace: ls \"/\"\n"
        );
        assert_eq!(
            default_line(EventKind::Trace, "g1", "a\tb\x01"),
            b"libguestfs: trace: g1: a\\tb\\x1\n"
        );
        assert_eq!(
            default_line(EventKind::Warning, "g1", "w"),
            b"libguestfs: warning: w\n"
        );
        assert_eq!(
            default_line(EventKind::Appliance, "", "a\r\nb\x00"),
            b"a\r\nb\\0"
        );
        assert_eq!(
            default_line(EventKind::Library, "", "x\ny"),
            b"libguestfs: x\\ny\n"
        );
        assert_eq!(
            default_line(EventKind::Trace, "", "caf\u{e9}"),
            b"libguestfs: trace: caf\\xc3\\xa9\n"
        );
    }

    #[test]
    fn callbacks_get_their_events_and_deleted_slots_stay_numbered() {
        let hub = EventHub::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s1 = seen.clone();
        let h0 = hub
            .register(
                EventKind::Warning.bit(),
                Box::new(move |e| {
                    s1.lock()
                        .unwrap()
                        .push((e.event_handle, e.message.to_string()))
                }),
            )
            .unwrap();
        let s2 = seen.clone();
        let h1 = hub
            .register(
                EventKind::Progress.bit() | EventKind::Warning.bit(),
                Box::new(move |e| {
                    s2.lock()
                        .unwrap()
                        .push((e.event_handle, format!("{:?}", e.progress())))
                }),
            )
            .unwrap();
        assert_eq!((h0, h1), (0, 1));
        hub.message(EventKind::Warning, "w");
        hub.array(EventKind::Progress, &[1, 2, 3, 4]);
        hub.delete(h0);
        hub.message(EventKind::Warning, "x");
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                (0, "w".to_string()),
                (1, "None".to_string()),
                (1, "Some((3, 4))".to_string()),
                (1, "None".to_string()),
            ]
        );
        // Deleting the last slot frees it.
        hub.delete(h1);
        assert_eq!(
            hub.register(EventKind::Close.bit(), Box::new(|_| {})),
            Some(1)
        );
    }

    #[test]
    fn registrations_are_limited() {
        let hub = EventHub::default();
        for _ in 0..MAX_CALLBACKS {
            assert!(hub
                .register(EventKind::Close.bit(), Box::new(|_| {}))
                .is_some());
        }
        assert!(hub
            .register(EventKind::Close.bit(), Box::new(|_| {}))
            .is_none());
    }
}
