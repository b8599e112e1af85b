//! The libguestfs handle: drives are added in CONFIG state, `launch` starts a backend
//! (LAUNCHING → READY), and every operation runs against that backend.

use crate::backend::{Backend, TraceArg};
use crate::block::ImageFormat;
use crate::error::{Error, Result};
use crate::events::{Event, EventCallback, EventKind};
use std::path::PathBuf;

/// The states of the libguestfs state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Config,
    Launching,
    Ready,
}

/// Options of `add_drive_opts`.
#[derive(Debug, Clone, Default)]
pub struct DriveOptions {
    /// `raw` or `qcow2`; None means detect.
    pub format: Option<String>,
    /// Open the drive read-only (always true for the native backend).
    pub readonly: bool,
    /// A label, so the drive can be named `/dev/disk/guestfs/LABEL`.
    pub label: Option<String>,
    /// The sector size (512 or 4096); None means 512.
    pub blocksize: Option<u32>,
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
    /// The journal opened by `journal_open` (see journal_api.rs).
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

    pub fn set_verbose(&mut self, verbose: bool) {
        self.verbose = verbose;
    }
    pub fn get_verbose(&self) -> bool {
        self.verbose
    }
    pub fn set_trace(&mut self, trace: bool) {
        self.trace = trace;
    }
    pub fn get_trace(&self) -> bool {
        self.trace
    }

    /// Chooses the backend for the next launch: `auto`, `native`, `direct`/`appliance`, or
    /// `unix:PATH`.
    pub fn set_backend(&mut self, backend: &str) -> Result<()> {
        self.backend_setting = backend.to_string();
        Ok(())
    }

    /// The configured backend, or once launched the backend actually in use.
    pub fn get_backend(&self) -> String {
        match &self.backend {
            Some(b) => b.name().to_string(),
            None => self.backend_setting.clone(),
        }
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
    pub fn debug(&mut self, message: &str) {
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

    fn check_state(&mut self, call: &str, wanted: State) -> Result<()> {
        if self.state == wanted {
            return Ok(());
        }
        let msg = match wanted {
            State::Config => "this function can only be called in the config state",
            State::Ready => "call launch before using this function\n(in guestfish, don't forget to use the 'run' command)",
            State::Launching => "this function can only be called in the launching state",
        };
        Err(self.report_error(call, Error::new(libc::EINVAL, msg)))
    }

    /// `add_drive_opts`: adds a disk image (CONFIG state only).
    pub fn add_drive_opts(&mut self, path: &str, opts: DriveOptions) -> Result<()> {
        self.check_state("add_drive_opts", State::Config)?;
        self.trace_line(&format!("add_drive_opts \"{}\"", path));
        let format = match opts.format.as_deref() {
            None | Some("") => None,
            Some(f) => match ImageFormat::parse(f) {
                Ok(f) => Some(f),
                Err(e) => return Err(self.report_error("add_drive_opts", e)),
            },
        };
        let blocksize = opts.blocksize.unwrap_or(512);
        if blocksize != 512 && blocksize != 4096 {
            let e = Error::new(
                libc::EINVAL,
                format!("invalid blocksize {}: must be 512 or 4096", blocksize),
            );
            return Err(self.report_error("add_drive_opts", e));
        }
        if let Err(e) = std::fs::File::open(path) {
            return Err(self.report_error("add_drive_opts", Error::from(e).context(path)));
        }
        self.drives.push(Drive {
            path: PathBuf::from(path),
            format,
            readonly: opts.readonly,
            label: opts.label,
            blocksize,
        });
        Ok(())
    }

    /// `add_drive_ro`: adds a disk image read-only with detected format.
    pub fn add_drive_ro(&mut self, path: &str) -> Result<()> {
        self.add_drive_opts(
            path,
            DriveOptions {
                readonly: true,
                ..Default::default()
            },
        )
    }

    /// Starts the backend: CONFIG → LAUNCHING → READY. On failure the handle stays in CONFIG.
    pub fn launch(&mut self) -> Result<()> {
        self.check_state("launch", State::Config)?;
        self.trace_line("launch");
        self.state = State::Launching;
        let setting = self.backend_setting.clone();
        let drives = self.drives.clone();
        let mut log = Vec::new();
        let result = crate::backend::launch_backend(&setting, &drives, self.verbose, &mut log);
        for (kind, m) in log {
            if kind == EventKind::Library {
                self.debug(&m);
            } else {
                self.emit(kind, &m);
            }
        }
        match result {
            Ok(backend) => {
                self.debug(&format!("launched backend {}", backend.name()));
                self.backend = Some(backend);
                self.state = State::Ready;
                self.after_backend_call();
                self.trace_line("launch = 0");
                Ok(())
            }
            Err(e) => {
                self.state = State::Config;
                Err(self.report_error("launch", e))
            }
        }
    }

    /// Stops the backend; the handle returns to CONFIG (drives stay added).
    pub fn shutdown(&mut self) -> Result<()> {
        self.trace_line("shutdown");
        self.inspection = Default::default();
        self.hive = None;
        self.journal = None;
        if let Some(mut b) = self.backend.take() {
            self.state = State::Config;
            if let Err(e) = b.shutdown() {
                return Err(self.report_error("shutdown", e));
            }
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

    fn trace_line(&mut self, line: &str) {
        if self.trace
            || self
                .callbacks
                .iter()
                .any(|(k, _)| k.contains(&EventKind::Trace))
        {
            self.emit(EventKind::Trace, line);
        }
    }

    /// Reports the error of a call built on other calls, unless one of those already did.
    pub(crate) fn finish_library_call<T>(&mut self, call: &str, result: Result<T>) -> Result<T> {
        match result {
            Err(e) if !e.reported => Err(self.report_error(call, e)),
            other => other,
        }
    }

    /// Checks the handle is READY and traces the call; used by the generated operations.
    pub(crate) fn enter_call(&mut self, name: &str, args: &[&dyn TraceArg]) -> Result<()> {
        if self.trace
            || self
                .callbacks
                .iter()
                .any(|(k, _)| k.contains(&EventKind::Trace))
        {
            let mut line = name.to_string();
            for a in args {
                line.push(' ');
                line.push_str(&a.trace());
            }
            self.emit(EventKind::Trace, &line);
        }
        self.check_state(name, State::Ready)
    }

    /// Traces the result and reports an error; used by the generated operations.
    pub(crate) fn leave_call<T: TraceArg>(&mut self, name: &str, result: Result<T>) -> Result<T> {
        match result {
            Ok(v) => {
                if self.trace {
                    let line = format!("{} = {}", name, v.trace());
                    self.emit(EventKind::Trace, &line);
                }
                Ok(v)
            }
            Err(e) => {
                if self.trace {
                    let line = format!("{} = -1 (error)", name);
                    self.emit(EventKind::Trace, &line);
                }
                Err(self.report_error(wire_name(name), e))
            }
        }
    }
}

/// The name libguestfs's error messages use for an operation: library-side calls report the
/// daemon call they are built on.
fn wire_name(name: &str) -> &str {
    match name {
        "ls" => "ls0",
        "find" => "find0",
        "lstatnslist" => "lstatnslist",
        "read_file" => "read_file",
        other => other,
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(mut b) = self.backend.take() {
            let _ = b.shutdown();
        }
    }
}
