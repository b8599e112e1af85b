//! The backends: the daemon calls of the API (declared once in `api/`, as one trait per family
//! in [`guestfs_protocol::calls`]) served in-process by the native backend or by the daemon in
//! the appliance. Tools call only the [`Handle`](crate::Handle) methods.

pub mod appliance;
pub mod ext;
pub mod native;

use crate::error::Result;
use guestfs_protocol::calls::{ArgChecks, DaemonCalls};

/// Something a backend wants the handle to pass on as an event after a call.
#[derive(Debug, Clone)]
pub enum BackendEvent {
    /// A log line (the appliance's console, the daemon).
    Log(crate::events::EventKind, String),
    /// Progress of the call (position, total).
    Progress(u64, u64),
}

/// Starts the backend a `LIBGUESTFS_BACKEND` setting names: `native`; `direct`/`appliance`;
/// `unix:PATH`; or `auto` (also ""): native when it can read everything on the drives,
/// otherwise the appliance. Log messages go to `log`.
pub fn launch_backend(
    setting: &str,
    drives: &[crate::handle::Drive],
    verbose: bool,
    log: &mut Vec<(crate::events::EventKind, String)>,
) -> Result<Box<dyn Backend>> {
    use crate::events::EventKind;
    match setting {
        "native" => {
            native::NativeBackend::launch(drives, &mut |m| log.push((EventKind::Library, m)))
                .map(|b| Box::new(b) as Box<dyn Backend>)
        }
        "direct" | "appliance" => {
            appliance::launch_direct(drives, verbose, &mut |k, m| log.push((k, m)))
                .map(|b| Box::new(b) as Box<dyn Backend>)
        }
        "auto" | "" => {
            match native::NativeBackend::launch(drives, &mut |m| log.push((EventKind::Library, m)))
            {
                Ok(b) => {
                    let why = b.unsupported_content();
                    if why.is_empty() {
                        return Ok(Box::new(b));
                    }
                    log.push((
                        EventKind::Library,
                        format!("auto backend: using the appliance for: {}", why.join(", ")),
                    ));
                }
                Err(e) => log.push((
                    EventKind::Library,
                    format!(
                        "auto backend: native backend failed ({}), using the appliance",
                        e
                    ),
                )),
            }
            appliance::launch_direct(drives, verbose, &mut |k, m| log.push((k, m)))
                .map(|b| Box::new(b) as Box<dyn Backend>)
        }
        s if s.starts_with("unix:") => {
            appliance::connect_unix(&s["unix:".len()..]).map(|b| Box::new(b) as Box<dyn Backend>)
        }
        other => Err(crate::error::Error::new(
            libc::EINVAL,
            format!(
                "invalid backend: {} (use native, auto, direct, appliance or unix:PATH)",
                other
            ),
        )),
    }
}

/// A launched backend: every daemon call (the family traits of [`guestfs_protocol::calls`],
/// each method defaulting to an ENOTSUP error), the argument checks, and its life cycle.
pub trait Backend: DaemonCalls + ArgChecks + Send {
    /// The backend's name as `get_backend` reports it (`native`, `direct`, …).
    fn name(&self) -> &str;
    /// Stops the backend (the appliance is shut down); the handle returns to CONFIG.
    fn shutdown(&mut self) -> Result<()>;
    /// Events produced since the last call (console lines, progress).
    fn take_events(&mut self) -> Vec<BackendEvent> {
        Vec::new()
    }
    /// False once the backend has died (e.g. qemu exited): the handle then returns to CONFIG.
    fn is_alive(&mut self) -> bool {
        true
    }
}
