//! `mount_local`, `mount_local_run` and `umount_local`: the guest's mounted filesystems shown
//! on the host through FUSE (the `fuser` crate, which mounts with mount(2) as root and
//! through `fusermount3` otherwise; no libfuse). `mount_local` mounts; `mount_local_run`
//! serves the kernel's requests with this handle's calls until the mount is taken down.
//!
//! Where 1.48's libfuse 2 checked the mountpoint and printed why a mount failed (`fuse: …`
//! lines on stderr, then the call's error "see error messages above"), the same checks are
//! made here with the same lines.

mod cache;
mod fs;
mod nodes;
mod options;
pub mod unmount;

use crate::error::{Error, Result};
use crate::handle::Handle;
use fs::{GuestFs, Served, Settings};
use guestfs_protocol::calls::{MountLocalOpts, UmountLocalOpts};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A mount made by `mount_local`, waiting for `mount_local_run`.
pub(crate) struct LocalMount {
    session: fuser::Session<GuestFs>,
    served: Arc<Mutex<Served>>,
    mountpoint: String,
}

/// 1.48's default of `cachetimeout`, in seconds.
const DEFAULT_CACHE_TIMEOUT: i32 = 60;

/// How many more times `umount_local(retry: true)` tries (guestunmount's default).
const UMOUNT_RETRIES: u32 = 5;

fn mount_failed(mountpoint: &str) -> Error {
    Error::msg(format!(
        "fuse_mount failed: {}, see error messages above",
        mountpoint
    ))
}

/// libfuse 2's checks before mounting, with its messages: the mountpoint can be reached, is
/// empty (unless `nonempty`), and the FUSE device can be opened.
fn check_mountpoint(mountpoint: &str, nonempty: bool) -> std::result::Result<(), String> {
    let strerror = |e: &std::io::Error| crate::error::strerror(e.raw_os_error().unwrap_or(0));
    let meta = std::fs::metadata(mountpoint).map_err(|e| {
        format!(
            "fuse: failed to access mountpoint {}: {}",
            mountpoint,
            strerror(&e)
        )
    })?;
    let empty = if meta.is_dir() {
        std::fs::read_dir(mountpoint)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    } else {
        meta.len() == 0
    };
    if !nonempty && !empty {
        return Err("fuse: mountpoint is not empty\n\
                    fuse: if you are sure this is safe, use the 'nonempty' mount option"
            .to_string());
    }
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
    {
        return Err(if e.kind() == std::io::ErrorKind::NotFound {
            "fuse: device not found, try 'modprobe fuse' first".to_string()
        } else {
            format!("fuse: failed to open /dev/fuse: {}", strerror(&e))
        });
    }
    Ok(())
}

impl Handle {
    pub(crate) fn impl_mount_local(
        &mut self,
        localmountpoint: &str,
        opts: MountLocalOpts,
    ) -> Result<()> {
        if self.local_mount.is_some() {
            return Err(Error::msg(
                "filesystem is already mounted in another thread",
            ));
        }
        self.events
            .debug(&format!("mount_local: fuse_mount {}", localmountpoint));
        let parsed = options::parse(opts.options.as_deref().unwrap_or(""));
        let nonempty = parsed.as_ref().is_ok_and(|o| o.nonempty);
        if let Err(lines) = check_mountpoint(localmountpoint, nonempty) {
            eprintln!("{}", lines);
            return Err(mount_failed(localmountpoint));
        }
        let options = match parsed {
            Ok(o) => o,
            // libfuse 2 found an unknown option only after mounting, in fuse_new, whose
            // failure 1.48 reported with the errno left from the mount (ENOENT).
            Err(unknown) => {
                eprintln!("fuse: unknown option `{}'", unknown);
                return Err(Error::new(
                    libc::ENOENT,
                    format!(
                        "fuse_new: {}: {}",
                        localmountpoint,
                        crate::error::strerror(libc::ENOENT)
                    ),
                ));
            }
        };
        let timeout = opts.cachetimeout.unwrap_or(DEFAULT_CACHE_TIMEOUT).max(0) as u64;
        let served = Arc::new(Mutex::new(Served::new(Duration::from_secs(timeout))));
        let mut config = fuser::Config::default();
        config.mount_options = options.mount.clone();
        config.acl = options.acl;
        let fs = GuestFs {
            settings: Settings {
                mountpoint: localmountpoint.to_string(),
                readonly: opts.readonly.unwrap_or(false),
                debug_calls: opts.debugcalls.unwrap_or(false),
                options,
            },
            served: served.clone(),
        };
        let session = match fuser::Session::new(fs, localmountpoint, &config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("fuse: {}", e);
                return Err(mount_failed(localmountpoint));
            }
        };
        self.local_mount = Some(Box::new(LocalMount {
            session,
            served,
            mountpoint: localmountpoint.to_string(),
        }));
        self.events.debug("mount_local: leaving fuse_mount_local");
        Ok(())
    }

    pub(crate) fn impl_mount_local_run(&mut self) -> Result<()> {
        let Some(mount) = self.local_mount.take() else {
            return Err(Error::msg("you must call guestfs_mount_local first"));
        };
        self.push_error_handler_quiet();
        let root = self.exists("/");
        self.pop_error_handler();
        if root.is_err() {
            let mp = mount.mountpoint.clone();
            self.local_mount = Some(mount);
            return Err(Error::msg(format!(
                "you must call ‘guestfs_mount’ first to mount a filesystem on '/'.\nNote: ‘{}’ is still mounted.  Use ‘guestunmount {}’ to clean up.",
                mp, mp
            )));
        }
        self.events.debug("mount_local_run: entering fuse_loop");
        let LocalMount {
            session,
            served,
            mountpoint,
        } = *mount;
        // The filesystem serves from its own threads and must own what it uses: the handle
        // moves into it for the time it serves and comes back when the mount is gone.
        let this = std::mem::replace(self, Handle::new_no_environment());
        served
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .handle = Some(this);
        let r = session.run();
        let this = served
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .handle
            .take();
        match this {
            Some(this) => *self = this,
            None => return Err(Error::msg("mount_local_run: the handle was lost")),
        }
        self.events.debug("mount_local_run: leaving fuse_loop");
        r.map_err(|e| Error::from(e).context(&format!("fuse_loop: {}", mountpoint)))
    }

    pub(crate) fn impl_umount_local(&mut self, opts: UmountLocalOpts) -> Result<()> {
        let Some(mount) = &self.local_mount else {
            return Err(Error::msg("no filesystem is mounted"));
        };
        let retries = if opts.retry.unwrap_or(false) {
            UMOUNT_RETRIES
        } else {
            0
        };
        let mountpoint = mount.mountpoint.clone();
        let events = &self.events;
        let mut log = |step: unmount::UnmountStep| {
            if let unmount::UnmountStep::Failed(msg) = step {
                events.debug(msg);
            }
        };
        match unmount::unmount(&mountpoint, retries, &mut log) {
            Ok(()) => {
                self.local_mount = None;
                Ok(())
            }
            Err(unmount::UnmountError::NotMounted(m) | unmount::UnmountError::Failed(m)) => {
                Err(Error::msg(m))
            }
        }
    }
}
