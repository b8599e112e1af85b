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
                Ok(mut b) => {
                    let why = b.unsupported_content();
                    if why.is_empty() {
                        b.hand_over_when_unsupported();
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

/// What the appliance must repeat when the native backend, chosen by `auto`, hands the
/// drives over to it: an encrypted volume it opened turned out to hold what it cannot read.
#[derive(Debug, Clone)]
pub struct HandOver {
    /// What the native backend cannot read, for the debug message.
    pub reasons: Vec<String>,
    /// The volumes opened so far, in order, to open again in the appliance.
    pub opened: Vec<OpenedVolume>,
}

/// One `cryptsetup_open` (or `luks_open`) the native backend made.
#[derive(Debug, Clone)]
pub struct OpenedVolume {
    pub device: String,
    pub key: String,
    pub mapname: String,
    pub crypttype: Option<String>,
    pub readonly: bool,
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
    /// Once an encrypted volume is opened: whether the native backend, chosen by `auto`, must
    /// hand over to the appliance because of what the volume holds. None for every other
    /// backend, and once filesystems are mounted (mounts are not replayed).
    fn hand_over(&self) -> Option<HandOver> {
        None
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
