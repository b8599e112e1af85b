//! The libguestfs handle: the CONFIG → LAUNCHING → READY state machine, what every generated
//! call goes through (config-state check, ENTER event, trace lines, error reporting), events,
//! and closing (the CLOSE event, the backend stopped, temporary files removed).

use crate::backend::Backend;
use crate::calls::TraceLine;
use crate::error::{Error, Result};
use crate::events::{EventCallback, EventHub, EventKind};
use crate::settings::{Settings, TempDir};
use guestfs_protocol::meta::{Action, RetType};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use crate::drive::Drive;

/// The states of the libguestfs state machine (with libguestfs's numbers, which `get_state`
/// returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Config = 0,
    Launching = 1,
    Ready = 2,
}

/// What the library does with an error after it is returned.
enum ErrorHandler {
    /// Print `libguestfs: error: …` on stderr (libguestfs's default).
    Print,
    /// Say nothing; the caller reports it.
    Quiet,
    /// Pass the full message to a function.
    Custom(Box<dyn FnMut(&str) + Send>),
}

/// Cancels the file transfer running on a handle from another thread or an event callback
/// (libguestfs's `guestfs_user_cancel`, which is safe to call from a signal handler).
#[derive(Clone)]
pub struct UserCancel(Arc<AtomicBool>);

impl UserCancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A libguestfs handle.
pub struct Handle {
    pub(crate) state: State,
    pub(crate) drives: Vec<Drive>,
    pub(crate) backend: Option<Box<dyn Backend>>,
    pub(crate) settings: Settings,
    pub(crate) events: EventHub,
    /// The private temporary directory (made on first use).
    pub(crate) tmp: TempDir,
    /// `internal_feature_available` answers of this launch.
    pub(crate) features: Vec<(String, i32)>,
    /// Where the bindtests print (`internal_test_set_output`); None: standard output.
    pub(crate) test_output: Option<std::fs::File>,
    /// Whether `qemu-img info` takes `-U` (asked once).
    pub(crate) qemu_img_u: Option<bool>,
    /// Set by `user_cancel`; cleared when a transfer starts.
    pub(crate) cancel: Arc<AtomicBool>,
    error_handler: ErrorHandler,
    /// Handlers saved by `push_error_handler_quiet`.
    saved_error_handlers: Vec<ErrorHandler>,
    last_error: Option<Error>,
    pub(crate) inspection: crate::inspect::InspectionCache,
    pub(crate) hive: Option<crate::hive::calls::OpenHive>,
    /// The journal opened by `journal_open` (see library/journal.rs).
    pub(crate) journal: Option<crate::journal::Journal>,
    /// The FUSE mount made by `mount_local`, until `mount_local_run` serves it.
    pub(crate) local_mount: Option<Box<crate::library::fuse::LocalMount>>,
}

impl Default for Handle {
    fn default() -> Self {
        Handle::new()
    }
}

impl Handle {
    /// A new handle in CONFIG state, configured from the `LIBGUESTFS_*` environment variables
    /// (`parse_environment`; a bad value is reported and otherwise ignored, as libguestfs's
    /// `guestfs_create` does).
    pub fn new() -> Handle {
        let mut g = Handle::new_no_environment();
        let _ = g.parse_environment();
        g.debug_created();
        g
    }

    /// A new handle that ignores the environment (`GUESTFS_CREATE_NO_ENVIRONMENT`).
    pub fn new_no_environment() -> Handle {
        Handle {
            state: State::Config,
            drives: Vec::new(),
            backend: None,
            settings: Settings::default(),
            events: EventHub::default(),
            tmp: TempDir::default(),
            features: Vec::new(),
            test_output: None,
            qemu_img_u: None,
            cancel: Arc::new(AtomicBool::new(false)),
            error_handler: ErrorHandler::Print,
            saved_error_handlers: Vec::new(),
            last_error: None,
            inspection: Default::default(),
            hive: None,
            local_mount: None,
            journal: None,
        }
    }

    fn debug_created(&self) {
        self.events.debug(&format!(
            "create: flags = 0, handle = {:#x}, program = {}",
            self.events.address(),
            self.settings.program
        ));
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Whether debug messages are wanted, without a call (for library code).
    pub fn is_verbose(&self) -> bool {
        self.events.verbose()
    }

    /// The drives added so far.
    pub fn drives(&self) -> &[Drive] {
        &self.drives
    }

    /// The backend actually running (`native` or `direct` when the setting is `auto`), once
    /// launched.
    pub fn backend_in_use(&self) -> Option<&str> {
        self.backend.as_deref().map(|b| b.name())
    }

    /// Registers a callback for the events in `events` (a bitmask of
    /// [`EventKind::bit`]s, `EVENT_ALL` for all) and returns its event handle. While a callback
    /// takes them, message events are no longer printed on stderr.
    pub fn set_event_callback(&mut self, callback: EventCallback, events: u64) -> Result<i32> {
        match self.events.register(events, callback) {
            Some(h) => Ok(h),
            None => Err(self.report_error("", Error::msg("too many event callbacks registered"))),
        }
    }

    /// Removes a callback; an unknown handle is ignored.
    pub fn delete_event_callback(&mut self, event_handle: i32) {
        self.events.delete(event_handle);
    }

    /// A handle to cancel this handle's file transfers from another thread or a callback.
    pub fn user_cancel_handle(&self) -> UserCancel {
        UserCancel(self.cancel.clone())
    }

    /// Errors are printed as `libguestfs: error: …` (the default).
    pub fn set_error_handler_print(&mut self) {
        self.error_handler = ErrorHandler::Print;
    }
    /// Errors are only returned, not printed.
    pub fn set_error_handler_quiet(&mut self) {
        self.error_handler = ErrorHandler::Quiet;
    }
    /// Errors are passed to `f` (with the call name prefix) instead of being printed.
    pub fn set_error_handler(&mut self, f: Box<dyn FnMut(&str) + Send>) {
        self.error_handler = ErrorHandler::Custom(f);
    }

    /// Silences errors until `pop_error_handler` (libguestfs's `guestfs_push_error_handler`
    /// with no handler), for calls whose failure the caller expects and handles.
    pub fn push_error_handler_quiet(&mut self) {
        let previous = std::mem::replace(&mut self.error_handler, ErrorHandler::Quiet);
        self.saved_error_handlers.push(previous);
    }

    /// Restores the handler saved by `push_error_handler_quiet`.
    pub fn pop_error_handler(&mut self) {
        if let Some(h) = self.saved_error_handlers.pop() {
            self.error_handler = h;
        }
    }

    /// The last error returned by a call on this handle.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }

    /// Sends a message event to the callbacks registered for its kind, or prints it by
    /// default.
    pub fn emit(&mut self, kind: EventKind, message: &str) {
        self.events.message(kind, message);
    }

    /// Sends a progress event of work done in the library itself.
    pub fn emit_progress(&mut self, position: u64, total: u64) {
        self.events
            .array(EventKind::Progress, &[0, 0, position, total]);
    }

    /// A debug message (sent only in verbose mode: `-v`, `LIBGUESTFS_DEBUG=1`).
    pub fn log_debug(&mut self, message: &str) {
        self.events.debug(message);
    }

    /// A warning.
    pub fn warning(&mut self, message: &str) {
        self.events.message(EventKind::Warning, message);
    }

    /// Records and reports an error of call `call`, and returns it.
    pub fn report_error(&mut self, call: &str, err: Error) -> Error {
        let full = if call.is_empty() {
            err.message.clone()
        } else {
            format!("{}: {}", call, err.message)
        };
        match &mut self.error_handler {
            ErrorHandler::Print => {
                guestfs_protocol::lossless::eprintln_bytes(&format!("libguestfs: error: {}", full))
            }
            ErrorHandler::Quiet => {}
            ErrorHandler::Custom(f) => f(&full),
        }
        let mut err = Error::new(err.errno, full);
        err.reported = true;
        self.last_error = Some(err.clone());
        err
    }

    /// A new file name in the handle's temporary directory, made (with a traced
    /// `get_tmpdir`, as libguestfs does) the first time.
    pub(crate) fn temp_file(&mut self, name: &str, ext: Option<&str>) -> Result<PathBuf> {
        let base = self.temp_base()?;
        self.tmp.file(&base, name, ext)
    }

    /// The handle's temporary directory, made now if needed.
    pub(crate) fn temp_dir(&mut self) -> Result<PathBuf> {
        let base = self.temp_base()?;
        self.tmp.get(&base)
    }

    fn temp_base(&mut self) -> Result<PathBuf> {
        if self.tmp.exists() {
            return Ok(self.settings.tmpdir());
        }
        self.get_tmpdir().map(PathBuf::from)
    }

    /// Passes on the events of the last backend call; a backend that died (qemu exited) is
    /// dropped and the handle returns to CONFIG, with no drives, as libguestfs does.
    pub(crate) fn after_backend_call(&mut self) {
        let Some(b) = self.backend.as_mut() else {
            return;
        };
        let events = b.take_events();
        let alive = b.is_alive();
        for e in events {
            match e {
                crate::backend::BackendEvent::Log(kind, m) => self.events.message(kind, &m),
                crate::backend::BackendEvent::Progress(p, t) => self.emit_progress(p, t),
            }
        }
        if !alive {
            self.events.debug("child_cleanup: child process died");
            if let Some(mut b) = self.backend.take() {
                let _ = b.shutdown();
            }
            self.forget_launch();
            self.events.void(EventKind::SubprocessQuit);
        }
    }

    /// What a launch leaves behind, dropped when the backend stops: drives, availability
    /// answers, open hives and journals, inspection results.
    pub(crate) fn forget_launch(&mut self) {
        self.drives.clear();
        self.features.clear();
        self.inspection = Default::default();
        self.hive = None;
        self.journal = None;
        self.state = State::Config;
    }

    /// The running backend (READY state), for library code built on the operations.
    pub(crate) fn backend_mut(&mut self) -> Option<&mut (dyn Backend + 'static)> {
        self.backend.as_deref_mut()
    }

    /// True when trace lines are wanted (`set_trace`, `LIBGUESTFS_TRACE=1`).
    pub(crate) fn tracing(&self) -> bool {
        self.settings.trace
    }

    pub(crate) fn send_trace(&mut self, line: TraceLine) {
        self.events.message(EventKind::Trace, &line.0);
    }

    /// The start of every generated call: the config-state check of config-only calls, then
    /// the ENTER event. Returns whether the call is traced: decided here, at its start, as
    /// libguestfs does (so `set_trace` itself is traced as it was off before).
    pub(crate) fn enter_call(&mut self, action: &Action) -> Result<bool> {
        if action.config_only && self.state != State::Config {
            let e = Error::new(
                libc::EINVAL,
                "this function can only be called in the config state",
            );
            return Err(self.report_error(action.name, e));
        }
        let traced = self.tracing();
        self.events.message(EventKind::Enter, action.name);
        Ok(traced)
    }

    /// A `GUID` argument must look like one (checked before the call, as libguestfs does).
    pub(crate) fn check_guid(&mut self, call: &str, arg: &str, guid: &str) -> Result<()> {
        if crate::guid::is_valid(guid) {
            return Ok(());
        }
        let e = Error::new(
            libc::EINVAL,
            format!("{}: parameter is not a valid GUID", arg),
        );
        Err(self.report_error(call, e))
    }

    /// A `StringList(Filename)` argument must hold names without `/`.
    pub(crate) fn check_filenames(
        &mut self,
        call: &str,
        arg: &str,
        names: &[String],
    ) -> Result<()> {
        match names.iter().find(|n| n.contains('/')) {
            None => Ok(()),
            Some(n) => {
                let e = Error::new(libc::EINVAL, format!("{}: '{}' is not a file name", arg, n));
                Err(self.report_error(call, e))
            }
        }
    }

    /// A daemon call needs a launched handle. The error is reported at once (before the
    /// call's trace line, as libguestfs's stubs do).
    pub(crate) fn require_ready(&mut self, action: &Action) -> Result<()> {
        if self.state == State::Ready && self.backend.is_some() {
            return Ok(());
        }
        let e = Error::new(
            libc::EINVAL,
            "call launch before using this function\n(in guestfish, don't forget to use the 'run' command)",
        );
        Err(self.report_error(action.name, e))
    }

    /// Runs a daemon call on the backend, then passes its events on.
    pub(crate) fn with_backend<T>(
        &mut self,
        action: &Action,
        f: impl FnOnce(&mut dyn Backend) -> Result<T>,
    ) -> Result<T> {
        self.require_ready(action)?;
        let Some(backend) = self.backend.as_deref_mut() else {
            unreachable!("require_ready checked the backend");
        };
        let result = f(backend);
        self.after_backend_call();
        if result.is_ok() && crate::library::launch::OPENING_CALLS.contains(&action.name) {
            self.hand_over_if_needed()?;
        }
        result
    }

    /// The start of a file transfer: a cancellation asked for before it is forgotten, as
    /// libguestfs forgets it. Returns the flag the transfer watches.
    pub(crate) fn begin_transfer(&mut self) -> Arc<AtomicBool> {
        self.cancel.store(false, Ordering::SeqCst);
        self.cancel.clone()
    }

    /// A failure on the local side of a file transfer: reported as libguestfs words it, without
    /// the call's name.
    pub(crate) fn fail_local<T>(&mut self, action: &Action, traced: bool, e: Error) -> Result<T> {
        let e = self.report_error("", e);
        self.trace_error(action, traced);
        Err(e)
    }

    /// The trace line of a failed call (`= -1 (error)`, `= NULL (error)`); a call returning
    /// an optional constant string cannot fail in libguestfs and traces `"NULL"`.
    fn trace_error(&mut self, action: &Action, traced: bool) {
        if !traced {
            return;
        }
        let line = match action.ret {
            RetType::Err | RetType::Int | RetType::Int64 | RetType::Bool => {
                format!("{} = -1 (error)", action.name)
            }
            RetType::ConstOptString => format!("{} = \"NULL\"", action.name),
            _ => format!("{} = NULL (error)", action.name),
        };
        self.events.message(EventKind::Trace, &line);
    }

    /// The end of every generated call: the result traced, an error reported (daemon calls
    /// prefix their name, as libguestfs's stubs do; library calls word their own errors) in
    /// libguestfs's order.
    pub(crate) fn leave_call<T>(
        &mut self,
        action: &Action,
        traced: bool,
        result: Result<T>,
        trace: impl FnOnce(&mut TraceLine, &T),
    ) -> Result<T> {
        match result {
            Ok(v) => {
                if traced {
                    let mut t = TraceLine::result(action.name);
                    trace(&mut t, &v);
                    self.send_trace(t);
                }
                Ok(v)
            }
            // libguestfs traces a daemon's error reply before reporting it, and reports
            // every other error (the library's own, a nested call's) before the trace.
            Err(e) if e.reported || e.unprefixed || !action.is_daemon() => {
                let e = if e.reported {
                    e
                } else {
                    self.report_error("", e)
                };
                self.trace_error(action, traced);
                Err(e)
            }
            Err(e) => {
                self.trace_error(action, traced);
                Err(self.report_error(action.name, e))
            }
        }
    }
}

impl Drop for Handle {
    /// Closing: the `close` trace line, the backend shut down (with autosync), the CLOSE
    /// event, then the temporary files removed.
    fn drop(&mut self) {
        if self.tracing() {
            self.events.message(EventKind::Trace, "close");
        }
        self.events.debug(&format!(
            "closing guestfs handle {:#x} (state {})",
            self.events.address(),
            self.state as i32
        ));
        if self.state != State::Config {
            let _ = self.stop_backend();
        }
        self.events.void(EventKind::Close);
        self.test_output = None;
        self.tmp.remove();
    }
}
