//! The backends: the daemon calls of the API (declared once in `api/`, as one trait per family
//! in [`guestfs_protocol::calls`]) served in-process by the native backend or by the daemon in
//! the appliance. Tools call only the [`Handle`](crate::Handle) methods.

pub mod appliance;
pub mod ext;
pub mod native;

use crate::drive::Drive;
use crate::error::{Error, Result};
use crate::events::EventHub;

/// Something a backend wants the handle to pass on as an event after a call.
#[derive(Debug, Clone)]
pub enum BackendEvent {
    /// A log line (the appliance's console, the daemon).
    Log(crate::events::EventKind, String),
    /// Progress of the call (position, total).
    Progress(u64, u64),
}

/// What a backend setting leads to.
pub(crate) enum Chosen {
    /// A backend already running (native, or a daemon reached through `unix:`).
    Running(Box<dyn Backend>),
    /// The appliance, which the handle launches with the drives' overlays.
    Appliance,
}

/// Starts the backend a setting names: `native`; `direct`; `unix:PATH`; or `auto`: native
/// when it can read everything on the drives, otherwise the appliance. Debug messages go to
/// the handle's events.
pub(crate) fn launch_backend(setting: &str, drives: &[Drive], events: &EventHub) -> Result<Chosen> {
    let mut log = |m: String| events.debug(&m);
    match setting {
        "native" => {
            native::NativeBackend::launch(drives, &mut log).map(|b| Chosen::Running(Box::new(b)))
        }
        "direct" => Ok(Chosen::Appliance),
        "auto" => {
            match native::NativeBackend::launch(drives, &mut log) {
                Ok(b) => {
                    let why = b.unsupported_content();
                    if why.is_empty() {
                        return Ok(Chosen::Running(Box::new(b)));
                    }
                    log(format!(
                        "auto backend: using the appliance for: {}",
                        why.join(", ")
                    ));
                }
                Err(e) => log(format!(
                    "auto backend: native backend failed ({}), using the appliance",
                    e
                )),
            }
            Ok(Chosen::Appliance)
        }
        s if s.starts_with("unix:") => appliance::connect_unix(&s["unix:".len()..], events)
            .map(|b| Chosen::Running(Box::new(b))),
        other => Err(Error::msg(format!("invalid backend: {}", other))),
    }
}

/// A launched backend: every daemon call (the family traits of [`guestfs_protocol::calls`],
/// each method defaulting to an ENOTSUP error), the argument checks, and its life cycle.
pub trait Backend: guestfs_inspect::Guest + Send {
    /// The backend's name (`native`, `direct`, `unix`).
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
    /// The hypervisor's process id, for backends that run one.
    fn pid(&self) -> Option<u32> {
        None
    }
    /// The appliance's console, handed to the caller (virt-rescue).
    fn console_socket(&mut self) -> Result<i32> {
        Err(Error::new(
            libc::ENOTSUP,
            "connection class does not support getting the console socket",
        ))
    }
}
