//! Events a handle emits: progress, log messages, warnings and call traces.

/// The kinds of events (libguestfs's `GUESTFS_EVENT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Progress of a long operation (`position`/`total`).
    Progress,
    /// A debug message from the appliance's console or the daemon.
    Appliance,
    /// A debug message from the library.
    Library,
    /// A warning.
    Warning,
    /// A `-x` trace line (call and result).
    Trace,
    /// A call starts (the message is its name).
    Enter,
}

/// One event. `message` is empty for progress events.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub message: &'a str,
    pub position: u64,
    pub total: u64,
}

/// A function that receives events.
pub type EventCallback = Box<dyn FnMut(&Event) + Send>;
