//! The protocol server: reads calls from the channel one at a time, serves each through the
//! generated dispatch (which decodes the arguments and makes the stub checks), and sends
//! exactly one reply per call, with the file streams of FileIn and FileOut calls.

use crate::daemon::Daemon;
use crate::progress::Notifier;
use crate::transfer::{send_reply, Transfer};
use crate::Options;
use guestfs_protocol::meta::{ArgType, StrKind};
use guestfs_protocol::{
    daemon_action, proc_nr, split_message, Error, CANCEL_FLAG, DIRECTION_CALL, LAUNCH_FLAG,
    MESSAGE_MAX, PROGRAM, PROTOCOL_VERSION, STATUS_OK,
};
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::io::FromRawFd;
use std::time::{Duration, Instant};

/// Opens the channel: a path, `fd:N`, a socket to listen on, or the virtio-serial port.
fn open_channel(opts: &Options) -> std::result::Result<File, String> {
    if let Some(ch) = &opts.channel {
        if let Some(n) = ch.strip_prefix("fd:") {
            let fd: i32 = n.parse().map_err(|_| format!("invalid channel {}", ch))?;
            // SAFETY: the caller handed us this descriptor; we own it from now on.
            return Ok(unsafe { File::from_raw_fd(fd) });
        }
        if opts.listen {
            let _ = std::fs::remove_file(ch);
            let listener = std::os::unix::net::UnixListener::bind(ch)
                .map_err(|e| format!("bind: {}: {}", ch, e))?;
            let (stream, _) = listener.accept().map_err(|e| format!("accept: {}", e))?;
            drop(listener);
            let _ = std::fs::remove_file(ch);
            return Ok(File::from(std::os::fd::OwnedFd::from(stream)));
        }
        return std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(ch)
            .map_err(|e| format!("{}: {}", ch, e));
    }
    // The virtio-serial port named org.libguestfs.channel.0, found without udev.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(rd) = std::fs::read_dir("/sys/class/virtio-ports") {
            for e in rd.flatten() {
                let name = std::fs::read_to_string(e.path().join("name")).unwrap_or_default();
                if name.trim() == guestfs_protocol::CHANNEL_NAME {
                    let dev = format!("/dev/{}", e.file_name().to_string_lossy());
                    if let Ok(f) = std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(&dev)
                    {
                        return Ok(f);
                    }
                }
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "virtio-serial port {} not found",
                guestfs_protocol::CHANNEL_NAME
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Serves one connection; returns the exit status.
pub fn run(opts: Options) -> i32 {
    // SAFETY: plain libc calls without pointers (SIGPIPE → EPIPE errors instead of death).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::umask(0o022);
    }
    let _ = std::env::set_current_dir("/");
    let chan = match open_channel(&opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("guestfsd: {}", e);
            return 1;
        }
    };
    if (&chan).write_all(&LAUNCH_FLAG.to_be_bytes()).is_err() {
        return 1;
    }
    if opts.verbose {
        eprintln!("guestfsd: ready ({})", crate::init::uptime());
    }
    let mut daemon = Daemon::new(opts.sysroot.clone(), Notifier::new(chan.try_clone().ok()));
    daemon.network = opts.network;
    loop {
        let mut word = [0u8; 4];
        if (&chan).read_exact(&mut word).is_err() {
            // The library closed the channel.
            return 0;
        }
        let len = u32::from_be_bytes(word);
        // A cancel that arrives after its transfer ended.
        if len == CANCEL_FLAG {
            continue;
        }
        if len > MESSAGE_MAX {
            eprintln!("guestfsd: incoming message is too long ({} bytes)", len);
            return 1;
        }
        let mut payload = vec![0u8; len as usize];
        if (&chan).read_exact(&mut payload).is_err() {
            return 1;
        }
        match serve(&chan, &mut daemon, &payload, opts.verbose) {
            Served::Continue => {}
            Served::Exit => return 0,
            Served::Broken => return 1,
        }
    }
}

enum Served {
    Continue,
    /// `internal_exit`.
    Exit,
    /// The channel is unusable.
    Broken,
}

/// Whether a call has an argument of this kind (FileIn or FileOut).
fn has_file_arg(proc: i32, kind: StrKind) -> bool {
    daemon_action(proc).is_some_and(|a| a.args.iter().any(|x| x.ty == ArgType::Str(kind)))
}

/// Serves one message.
fn serve(chan: &File, daemon: &mut Daemon, payload: &[u8], verbose: bool) -> Served {
    let Ok((hdr, body)) = split_message(payload) else {
        eprintln!("guestfsd: could not decode message header");
        return Served::Broken;
    };
    let refusal = if hdr.prog != PROGRAM {
        Some(format!("wrong program ({})", hdr.prog))
    } else if hdr.vers != PROTOCOL_VERSION {
        Some(format!("wrong protocol version ({})", hdr.vers))
    } else if hdr.direction != DIRECTION_CALL {
        Some(format!("unexpected message direction ({})", hdr.direction))
    } else if hdr.status != STATUS_OK {
        Some(format!("unexpected message status ({})", hdr.status))
    } else {
        None
    };
    if let Some(msg) = refusal {
        return match send_reply(chan, &hdr, Err(Error::msg(msg))) {
            Ok(()) => Served::Continue,
            Err(_) => Served::Broken,
        };
    }
    let started = Instant::now();
    let name = daemon_action(hdr.proc_nr).map_or("UNKNOWN PROCEDURE", |a| a.name);
    if verbose {
        eprintln!(
            "guestfsd: <= {} (0x{:x}) request length {} bytes",
            name,
            hdr.proc_nr,
            payload.len()
        );
    }
    daemon.progress.begin(hdr.proc_nr, hdr.serial);
    let file_in = has_file_arg(hdr.proc_nr, StrKind::FileIn);
    let file_out = has_file_arg(hdr.proc_nr, StrKind::FileOut);
    let mut transfer = Transfer::new(chan, &hdr);
    let result = guestfs_protocol::server::dispatch(
        daemon,
        hdr.proc_nr,
        hdr.optargs_bitmask,
        body,
        &mut transfer,
    )
    .map_err(|mut e| {
        e.message = crate::devices::from_kernel_in_text(&e.message);
        e
    });
    let ok = transfer.finish(result, file_in, file_out);
    if verbose {
        let t = started.elapsed();
        eprintln!(
            "guestfsd: => {} (0x{:x}) took {}.{:02} secs",
            name,
            hdr.proc_nr,
            t.as_secs(),
            t.subsec_millis() / 10
        );
    }
    if !ok {
        Served::Broken
    } else if hdr.proc_nr == proc_nr::INTERNAL_EXIT {
        Served::Exit
    } else {
        Served::Continue
    }
}
