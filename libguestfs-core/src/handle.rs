//! The libguestfs handle: drives are added in CONFIG state, `launch` starts a backend
//! (LAUNCHING → READY), and every operation runs against that backend.

use crate::backend::Backend;
use crate::block::ImageFormat;
use crate::calls::TraceLine;
use crate::error::{Error, Result};
use crate::events::{Event, EventCallback, EventKind};
use guestfs_protocol::calls::AddDriveOpts;
use guestfs_protocol::meta::{Action, RetType};
use std::path::PathBuf;

/// The states of the libguestfs state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Config,
    Launching,
    Ready,
}

/// A drive added to the handle.
#[derive(Debug, Clone)]
pub struct Drive {
    pub path: PathBuf,
    pub format: Option<ImageFormat>,
    pub readonly: bool,
    pub label: Option<String>,
    pub blocksize: u32,
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

/// A libguestfs handle.
pub struct Handle {
    state: State,
    drives: Vec<Drive>,
    backend_setting: String,
    backend: Option<Box<dyn Backend>>,
    verbose: bool,
    trace: bool,
    callbacks: Vec<(Vec<EventKind>, EventCallback)>,
    error_handler: ErrorHandler,
    /// Handlers saved by `push_error_handler_quiet`.
    saved_error_handlers: Vec<ErrorHandler>,
    last_error: Option<Error>,
    pub(crate) inspection: crate::inspect::InspectionCache,
    pub(crate) hive: Option<crate::hive::Hive>,
    /// The journal opened by `journal_open` (see library/journal.rs).
    pub(crate) journal: Option<crate::journal::Journal>,
}

impl Default for Handle {
    fn default() -> Self {
        Handle::new()
    }
}

fn env_flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1"))
}

impl Handle {
    /// A new handle in CONFIG state, configured from `LIBGUESTFS_DEBUG`, `LIBGUESTFS_TRACE`
    /// and `LIBGUESTFS_BACKEND` (or its old name `LIBGUESTFS_ATTACH_METHOD`).
    pub fn new() -> Handle {
        let backend_setting = std::env::var("LIBGUESTFS_BACKEND")
            .or_else(|_| std::env::var("LIBGUESTFS_ATTACH_METHOD"))
            .unwrap_or_else(|_| "auto".to_string());
        Handle {
            state: State::Config,
            drives: Vec::new(),
            backend_setting,
            backend: None,
            verbose: env_flag("LIBGUESTFS_DEBUG"),
            trace: env_flag("LIBGUESTFS_TRACE"),
            callbacks: Vec::new(),
            error_handler: ErrorHandler::Print,
            saved_error_handlers: Vec::new(),
            last_error: None,
            inspection: Default::default(),
            hive: None,
            journal: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub(crate) fn impl_set_verbose(&mut self, verbose: bool) -> Result<()> {
        self.verbose = verbose;
        Ok(())
    }
    pub(crate) fn impl_get_verbose(&mut self) -> Result<bool> {
        Ok(self.verbose)
    }
    pub(crate) fn impl_set_trace(&mut self, trace: bool) -> Result<()> {
        self.trace = trace;
        Ok(())
    }
    pub(crate) fn impl_get_trace(&mut self) -> Result<bool> {
        Ok(self.trace)
    }

    /// Chooses the backend for the next launch: `auto`, `native`, `direct`/`appliance`, or
    /// `unix:PATH`.
    pub(crate) fn impl_set_backend(&mut self, backend: &str) -> Result<()> {
        self.backend_setting = backend.to_string();
        Ok(())
    }

    /// The configured backend, or once launched the backend actually in use.
    pub(crate) fn impl_get_backend(&mut self) -> Result<String> {
        Ok(match &self.backend {
            Some(b) => b.name().to_string(),
            None => self.backend_setting.clone(),
        })
    }

    /// Whether debug messages are wanted, without a call (for library code).
    pub fn is_verbose(&self) -> bool {
        self.verbose
    }

    /// The drives added so far.
    pub fn drives(&self) -> &[Drive] {
        &self.drives
    }

    /// Registers a callback for some kinds of events. Events of a kind no callback takes are
    /// printed on stderr the way libguestfs does (debug and trace only when enabled).
    pub fn set_event_callback(&mut self, kinds: &[EventKind], callback: EventCallback) {
        self.callbacks.push((kinds.to_vec(), callback));
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

    /// Sends an event to the callbacks registered for its kind, or prints it by default.
    pub fn emit(&mut self, kind: EventKind, message: &str) {
        self.emit_event(&Event {
            kind,
            message,
            position: 0,
            total: 0,
        });
    }

    /// Sends a progress event.
    pub fn emit_progress(&mut self, position: u64, total: u64) {
        self.emit_event(&Event {
            kind: EventKind::Progress,
            message: "",
            position,
            total,
        });
    }

    fn emit_event(&mut self, event: &Event) {
        let mut handled = false;
        for (kinds, cb) in self.callbacks.iter_mut() {
            if kinds.contains(&event.kind) {
                cb(event);
                handled = true;
            }
        }
        if handled {
            return;
        }
        match event.kind {
            EventKind::Library | EventKind::Appliance if self.verbose => {
                eprintln!("libguestfs: {}", event.message)
            }
            EventKind::Trace if self.trace => eprintln!("libguestfs: trace: {}", event.message),
            EventKind::Warning => eprintln!("libguestfs: warning: {}", event.message),
            _ => {}
        }
    }

    /// A debug message (shown with `-v` / `LIBGUESTFS_DEBUG=1`).
    pub fn log_debug(&mut self, message: &str) {
        if self.verbose
            || self
                .callbacks
                .iter()
                .any(|(k, _)| k.contains(&EventKind::Library))
        {
            self.emit(EventKind::Library, message);
        }
    }

    /// Records and reports an error of call `call`, and returns it.
    pub fn report_error(&mut self, call: &str, err: Error) -> Error {
        let full = if call.is_empty() {
            err.message.clone()
        } else {
            format!("{}: {}", call, err.message)
        };
        match &mut self.error_handler {
            ErrorHandler::Print => eprintln!("libguestfs: error: {}", full),
            ErrorHandler::Quiet => {}
            ErrorHandler::Custom(f) => f(&full),
        }
        let mut err = Error::new(err.errno, full);
        err.reported = true;
        self.last_error = Some(err.clone());
        err
    }

    /// `add_drive`: adds a disk image (CONFIG state only).
    pub(crate) fn impl_add_drive(&mut self, path: &str, opts: AddDriveOpts) -> Result<()> {
        if self.state != State::Config {
            return Err(Error::new(
                libc::EINVAL,
                "add_drive: this function can only be called in the config state",
            ));
        }
        let format = match opts.format.as_deref() {
            None | Some("") => None,
            Some(f) => Some(ImageFormat::parse(f)?),
        };
        let blocksize = opts.blocksize.unwrap_or(512);
        if blocksize != 512 && blocksize != 4096 {
            return Err(Error::new(
                libc::EINVAL,
                format!("invalid blocksize {}: must be 512 or 4096", blocksize),
            ));
        }
        if let Err(e) = std::fs::File::open(path) {
            return Err(Error::from(e).context(path));
        }
        self.drives.push(Drive {
            path: PathBuf::from(path),
            format,
            readonly: opts.readonly.unwrap_or(false),
            label: opts.label,
            blocksize: blocksize as u32,
        });
        Ok(())
    }

    /// `add_drive_ro`: adds a disk image read-only with detected format.
    pub(crate) fn impl_add_drive_ro(&mut self, path: &str) -> Result<()> {
        self.add_drive(
            path,
            AddDriveOpts {
                readonly: Some(true),
                ..Default::default()
            },
        )
    }

    /// Starts the backend: CONFIG → LAUNCHING → READY. On failure the handle stays in CONFIG.
    pub(crate) fn impl_launch(&mut self) -> Result<()> {
        if self.state != State::Config {
            return Err(Error::new(
                libc::EINVAL,
                "the libguestfs handle has already been launched",
            ));
        }
        self.state = State::Launching;
        let setting = self.backend_setting.clone();
        let drives = self.drives.clone();
        let mut log = Vec::new();
        let result = crate::backend::launch_backend(&setting, &drives, self.verbose, &mut log);
        for (kind, m) in log {
            if kind == EventKind::Library {
                self.log_debug(&m);
            } else {
                self.emit(kind, &m);
            }
        }
        match result {
            Ok(backend) => {
                self.log_debug(&format!("launched backend {}", backend.name()));
                self.backend = Some(backend);
                self.state = State::Ready;
                self.after_backend_call();
                Ok(())
            }
            Err(e) => {
                self.state = State::Config;
                Err(e)
            }
        }
    }

    /// Stops the backend; the handle returns to CONFIG (drives stay added).
    pub(crate) fn impl_shutdown(&mut self) -> Result<()> {
        self.inspection = Default::default();
        self.hive = None;
        self.journal = None;
        if let Some(mut b) = self.backend.take() {
            self.state = State::Config;
            b.shutdown()?;
        }
        self.state = State::Config;
        Ok(())
    }

    /// Passes on the events of the last backend call; a backend that died (qemu exited) is
    /// dropped and the handle returns to CONFIG.
    pub(crate) fn after_backend_call(&mut self) {
        let Some(b) = self.backend.as_mut() else {
            return;
        };
        let events = b.take_events();
        let alive = b.is_alive();
        for e in events {
            match e {
                crate::backend::BackendEvent::Log(kind, m) => self.emit(kind, &m),
                crate::backend::BackendEvent::Progress(p, t) => self.emit_progress(p, t),
            }
        }
        if !alive {
            if let Some(mut b) = self.backend.take() {
                let _ = b.shutdown();
            }
            self.inspection = Default::default();
            self.hive = None;
            self.state = State::Config;
        }
    }

    /// The running backend (READY state), for library code built on the operations.
    pub(crate) fn backend_mut(&mut self) -> Option<&mut (dyn Backend + 'static)> {
        self.backend.as_deref_mut()
    }

    /// True when trace lines are wanted (`set_trace`, or a trace event callback).
    pub(crate) fn tracing(&self) -> bool {
        self.trace
            || self
                .callbacks
                .iter()
                .any(|(k, _)| k.contains(&EventKind::Trace))
    }

    pub(crate) fn send_trace(&mut self, line: TraceLine) {
        self.emit(EventKind::Trace, &line.0);
    }

    /// The start of every generated call: the config-state check of config-only calls, then
    /// the ENTER event.
    pub(crate) fn enter_call(&mut self, action: &Action) -> Result<()> {
        if action.config_only && self.state != State::Config {
            let e = Error::new(
                libc::EINVAL,
                "this function can only be called in the config state",
            );
            return Err(self.report_error(action.name, e));
        }
        self.emit(EventKind::Enter, action.name);
        Ok(())
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

    /// A daemon call needs a launched handle.
    pub(crate) fn require_ready(&mut self, _action: &Action) -> Result<()> {
        if self.state == State::Ready && self.backend.is_some() {
            return Ok(());
        }
        Err(Error::new(
            libc::EINVAL,
            "call launch before using this function\n(in guestfish, don't forget to use the 'run' command)",
        ))
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
        result
    }

    /// A failure on the local side of a file transfer: reported as libguestfs words it, without
    /// the call's name.
    pub(crate) fn fail_local<T>(&mut self, action: &Action, e: Error) -> Result<T> {
        self.trace_error(action);
        Err(self.report_error("", e))
    }

    fn trace_error(&mut self, action: &Action) {
        if !self.tracing() {
            return;
        }
        let code = match action.ret {
            RetType::Err | RetType::Int | RetType::Int64 | RetType::Bool => "-1",
            RetType::ConstOptString => return,
            _ => "NULL",
        };
        self.emit(
            EventKind::Trace,
            &format!("{} = {} (error)", action.name, code),
        );
    }

    /// The end of every generated call: the result traced, an error reported (daemon calls
    /// prefix their name, as libguestfs's stubs do; library calls word their own errors).
    pub(crate) fn leave_call<T>(
        &mut self,
        action: &Action,
        result: Result<T>,
        trace: impl FnOnce(&mut TraceLine, &T),
    ) -> Result<T> {
        match result {
            Ok(v) => {
                if self.tracing() {
                    let mut t = TraceLine::result(action.name);
                    trace(&mut t, &v);
                    self.send_trace(t);
                }
                Ok(v)
            }
            Err(e) => {
                self.trace_error(action);
                if e.reported {
                    return Err(e);
                }
                let prefix = if action.is_daemon() { action.name } else { "" };
                Err(self.report_error(prefix, e))
            }
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(mut b) = self.backend.take() {
            let _ = b.shutdown();
        }
    }
}
