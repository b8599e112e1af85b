//! The protocol server: reads calls from the channel, checks them the way libguestfs's
//! daemon does, runs them, and writes exactly one reply per call (FileOut calls: the reply,
//! then a chunk stream the library may cancel).

use crate::ops;
use crate::Options;
use guestfs::error::{Error, Result};
use guestfs::protocol::{
    self, procs, Chunk, ErrorBody, Frame, Header, Progress, Xdr, XdrReader, XdrWriter,
};
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::time::{Duration, Instant};

pub struct Server {
    chan: File,
    /// The name of the call being served.
    current: &'static str,
    pub opts: Options,
}

/// What a call returns.
pub enum Reply {
    /// An OK reply with this XDR body.
    Body(Vec<u8>),
    /// The handler already replied (FileOut).
    Sent,
}

fn enc<T: Xdr>(v: T) -> Result<Reply> {
    let mut w = XdrWriter::new();
    v.encode(&mut w);
    Ok(Reply::Body(w.buf))
}

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
            let fd = std::os::unix::io::IntoRawFd::into_raw_fd(stream);
            // SAFETY: fd was just released by the stream.
            return Ok(unsafe { File::from_raw_fd(fd) });
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
                if name.trim() == protocol::CHANNEL_NAME {
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
                protocol::CHANNEL_NAME
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
    let mut server = Server {
        chan,
        opts,
        current: "",
    };
    if server
        .chan
        .write_all(&protocol::LAUNCH_FLAG.to_be_bytes())
        .is_err()
    {
        return 1;
    }
    if server.opts.verbose {
        eprintln!("guestfsd: ready ({})", crate::init::uptime());
    }
    loop {
        let frame = match protocol::read_frame(&mut server.chan) {
            Ok(f) => f,
            Err(e) if e.errno == libc::EPIPE => return 0,
            Err(e) => {
                eprintln!("guestfsd: {}", e);
                return 1;
            }
        };
        match frame {
            Frame::Payload(p) => {
                if !server.handle(&p) {
                    return 0;
                }
            }
            // A late cancel from a finished transfer, or words only the library sends.
            Frame::Cancel | Frame::Launch | Frame::Progress(_) => {}
        }
    }
}

/// The name of a call, for the stub errors (`ls0_stub: …`).
fn proc_name(proc_nr: i32) -> &'static str {
    procs::name(proc_nr).unwrap_or("unknown")
}

impl Server {
    /// Handles one message; false when the daemon should exit.
    fn handle(&mut self, payload: &[u8]) -> bool {
        let (hdr, args) = match protocol::split_message(payload) {
            Ok(x) => x,
            Err(e) => {
                // No header means no serial to answer to.
                eprintln!("guestfsd: could not decode message header: {}", e);
                return true;
            }
        };
        let started = Instant::now();
        let result = self.check_and_dispatch(&hdr, args);
        let ok = match result {
            Ok(Reply::Body(body)) => self.send_reply(&hdr, protocol::STATUS_OK, &body),
            Ok(Reply::Sent) => true,
            Err(e) => self.send_error(&hdr, &e),
        };
        if self.opts.verbose {
            eprintln!(
                "guestfsd: proc {} took {:.3} s",
                hdr.proc_nr,
                started.elapsed().as_secs_f64()
            );
        }
        ok && hdr.proc_nr != procs::INTERNAL_EXIT
    }

    fn check_and_dispatch(&mut self, hdr: &Header, args: &[u8]) -> Result<Reply> {
        if hdr.prog != protocol::PROGRAM {
            return Err(Error::msg(format!("wrong program ({:#x})", hdr.prog)));
        }
        if hdr.vers != protocol::PROTOCOL_VERSION {
            return Err(Error::msg(format!("wrong protocol version ({})", hdr.vers)));
        }
        if hdr.direction != protocol::DIRECTION_CALL {
            return Err(Error::msg(format!(
                "unexpected message direction ({})",
                hdr.direction
            )));
        }
        if hdr.status != protocol::STATUS_OK {
            return Err(Error::msg(format!(
                "unexpected message status ({})",
                hdr.status
            )));
        }
        let Some(n) = procs::optargs(hdr.proc_nr) else {
            return Err(Error::msg(format!(
                "dispatch_incoming_message: unknown procedure number {}, set LIBGUESTFS_PATH to point to the matching libguestfs appliance directory",
                hdr.proc_nr
            )));
        };
        if n == 0 && hdr.optargs_bitmask != 0 {
            return Err(Error::msg("header optargs_bitmask field must be passed as 0 for calls that don't take optional arguments"));
        }
        if n > 0 && (hdr.optargs_bitmask >> n) != 0 {
            return Err(Error::msg("unknown option in optional arguments bitmask (this can happen if a program is compiled against a newer version of libguestfs, then dynamically linked to an older version)"));
        }
        self.current = proc_name(hdr.proc_nr);
        if hdr.proc_nr == procs::UPLOAD {
            return self.upload(hdr, args);
        }
        self.current = proc_name(hdr.proc_nr);
        let mut r = XdrReader::new(args);
        let reply = self.dispatch(hdr, &mut r);
        if let Err(e) = &reply {
            if e.message == DECODE_FAILED {
                return Err(Error::msg("daemon failed to decode procedure arguments"));
            }
        }
        reply
    }

    fn sysroot(&self) -> &str {
        &self.opts.sysroot
    }

    fn dispatch(&mut self, hdr: &Header, r: &mut XdrReader) -> Result<Reply> {
        use procs::*;
        let sr = self.opts.sysroot.clone();
        let sr = sr.as_str();
        match hdr.proc_nr {
            PING_DAEMON | INTERNAL_EXIT => Ok(Reply::Body(Vec::new())),
            INTERNAL_AUTOSYNC => {
                ops::umount_all(sr)?;
                // SAFETY: sync has no arguments.
                unsafe { libc::sync() };
                Ok(Reply::Body(Vec::new()))
            }
            INTERNAL_FEATURE_AVAILABLE => {
                let group = string(r)?;
                enc(ops::feature_available(&group))
            }
            LIST_DEVICES => enc(ops::list_devices()),
            LIST_PARTITIONS => enc(ops::list_partitions()),
            LIST_MD_DEVICES => enc(ops::list_md_devices()),
            LIST_FILESYSTEMS => enc(ops::list_filesystems()?),
            VFS_TYPE => enc(ops::blkid_tag(&string(r)?, "TYPE")?),
            VFS_LABEL => enc(ops::blkid_tag(&string(r)?, "LABEL")?),
            VFS_UUID => enc(ops::blkid_tag(&string(r)?, "UUID")?),
            BLOCKDEV_GETSIZE64 => {
                let d = self.device(r)?;
                enc(crate::sys::blockdev_size64(&d)?)
            }
            BLOCKDEV_GETSS => {
                let d = self.device(r)?;
                enc(crate::sys::blockdev_ss(&d)?)
            }
            PART_LIST => enc(ops::part_list(&string(r)?)?),
            PART_GET_PARTTYPE => enc(ops::part_get_parttype(&string(r)?)?),
            PART_GET_MBR_ID => {
                let d = string(r)?;
                let n = int(r)?;
                enc(ops::part_get_mbr_id(&d, n)?)
            }
            PART_GET_GPT_TYPE => {
                let d = string(r)?;
                let n = int(r)?;
                enc(ops::part_get_gpt_type(&d, n)?)
            }
            PART_GET_GPT_GUID => {
                let d = string(r)?;
                let n = int(r)?;
                enc(ops::part_get_gpt_guid(&d, n)?)
            }
            FINDFS_UUID => enc(ops::findfs("UUID", &string(r)?)?),
            FINDFS_LABEL => enc(ops::findfs("LABEL", &string(r)?)?),
            PREAD_DEVICE => {
                let d = self.device(r)?;
                let count = int(r)?;
                let offset = r.i64().map_err(|_| decode_failed())?;
                enc(ops::pread(&format!("\0dev:{}", d), sr, count, offset)?)
            }
            PART_TO_DEV => enc(ops::part_to_dev(&string(r)?)?),
            PART_TO_PARTNUM => enc(ops::part_to_partnum(&string(r)?)?),
            MOUNT => {
                let (dev, mp) = (string(r)?, string(r)?);
                ops::mount("mount", sr, "", None, &dev, &mp).and_then(|_| enc(()))
            }
            MOUNT_RO => {
                let (dev, mp) = (string(r)?, string(r)?);
                ops::mount("mount_ro", sr, "ro", None, &dev, &mp).and_then(|_| enc(()))
            }
            MOUNT_OPTIONS => {
                let (o, dev, mp) = (string(r)?, string(r)?, string(r)?);
                ops::mount("mount_options", sr, &o, None, &dev, &mp).and_then(|_| enc(()))
            }
            MOUNT_VFS => {
                let (o, t, dev, mp) = (string(r)?, string(r)?, string(r)?, string(r)?);
                ops::mount("mount_vfs", sr, &o, Some(&t), &dev, &mp).and_then(|_| enc(()))
            }
            UMOUNT => {
                let p = string(r)?;
                let force = r.bool().map_err(|_| decode_failed())? && hdr.optargs_bitmask & 1 != 0;
                let lazy = r.bool().map_err(|_| decode_failed())? && hdr.optargs_bitmask & 2 != 0;
                ops::umount(sr, &p, force, lazy).and_then(|_| enc(()))
            }
            UMOUNT_ALL => ops::umount_all(sr).and_then(|_| enc(())),
            MOUNTS => enc(ops::mounts(sr)
                .into_iter()
                .map(|(d, _)| d)
                .collect::<Vec<String>>()),
            MOUNTPOINTS => enc(ops::mounts(sr)),
            LUKS_OPEN => {
                let d = self.device(r)?;
                let (key, mapname) = (string(r)?, string(r)?);
                crate::lvm::luks_open(&d, &key, &mapname).and_then(|_| enc(()))
            }
            VG_ACTIVATE_ALL => {
                let activate = r.bool().map_err(|_| decode_failed())?;
                crate::lvm::rescan(activate).and_then(|_| enc(()))
            }
            PVS => enc(crate::lvm::pvs()?),
            VGS => enc(crate::lvm::vgs()?),
            LVS => enc(crate::lvm::lvs()?),
            PVS_FULL => enc(crate::lvm::pvs_full()?),
            VGS_FULL => enc(crate::lvm::vgs_full()?),
            LVS_FULL => enc(crate::lvm::lvs_full()?),
            PVUUID => {
                let d = self.device(r)?;
                enc(crate::lvm::one_uuid("pvs", "pv_uuid", &d)?)
            }
            LVUUID => {
                let d = self.device(r)?;
                enc(crate::lvm::one_uuid("lvs", "lv_uuid", &d)?)
            }
            VGUUID => enc(crate::lvm::one_uuid("vgs", "vg_uuid", &string(r)?)?),
            VGLVUUIDS => enc(crate::lvm::uuid_list("lvs", "lv_uuid", &string(r)?)?),
            VGPVUUIDS => enc(crate::lvm::uuid_list("vgs", "pv_uuid", &string(r)?)?),
            // Calls on guest paths.
            _ => self.dispatch_paths(hdr, r),
        }
    }

    fn dispatch_paths(&mut self, hdr: &Header, r: &mut XdrReader) -> Result<Reply> {
        use procs::*;
        let sr = self.sysroot().to_string();
        let sr = sr.as_str();
        match hdr.proc_nr {
            STATNS => enc(ops::stat(sr, &self.path(r)?, true)?),
            LSTATNS => enc(ops::stat(sr, &self.path(r)?, false)?),
            INTERNAL_LSTATNSLIST => {
                let dir = self.path(r)?;
                let names = names(r)?;
                enc(ops::lstatnslist(sr, &dir, &names))
            }
            READLINK => enc(ops::readlink(sr, &self.path(r)?)?),
            LGETXATTRS => enc(ops::lgetxattrs(sr, &self.path(r)?)?),
            INTERNAL_READLINKLIST => {
                let dir = self.path(r)?;
                let names = names(r)?;
                enc(ops::readlinklist(sr, &dir, &names))
            }
            REALPATH => enc(ops::realpath(sr, &self.path(r)?)?),
            CASE_SENSITIVE_PATH => enc(ops::case_sensitive_path(sr, &self.path(r)?)?),
            EXISTS => enc(ops::exists(sr, &self.path(r)?)),
            IS_FILE | IS_DIR => {
                let p = self.path(r)?;
                let follow = r.bool().map_err(|_| decode_failed())? && hdr.optargs_bitmask & 1 != 0;
                let want = if hdr.proc_nr == IS_FILE {
                    libc::S_IFREG
                } else {
                    libc::S_IFDIR
                };
                enc(ops::is_type(sr, &p, follow, want)?)
            }
            IS_SYMLINK => enc(ops::is_type(sr, &self.path(r)?, false, libc::S_IFLNK)?),
            STATVFS => enc(ops::statvfs(sr, &self.path(r)?)?),
            PREAD => {
                let p = self.path(r)?;
                let count = int(r)?;
                let offset = r.i64().map_err(|_| decode_failed())?;
                enc(ops::pread(&p, sr, count, offset)?)
            }
            READDIR => enc(ops::readdir(sr, &self.path(r)?)?),
            CHECKSUM => {
                let t = string(r)?;
                let p = self.dev_or_path(r)?;
                enc(ops::checksum(sr, &t, &p)?)
            }
            LS0 => {
                let dir = self.path(r)?;
                let data = ops::ls0(sr, &dir)?;
                self.send_file_out(hdr, &mut &data[..], data.len() as u64)
            }
            FIND0 => {
                let dir = self.path(r)?;
                let data = ops::find0(sr, &dir)?;
                self.send_file_out(hdr, &mut &data[..], data.len() as u64)
            }
            DOWNLOAD => {
                let p = self.dev_or_path(r)?;
                let (mut f, size) = ops::open_for_download(sr, &p)?;
                self.send_file_out(hdr, &mut f, size)
            }
            DOWNLOAD_OFFSET => {
                let p = self.dev_or_path(r)?;
                let offset = r.i64().map_err(|_| decode_failed())?;
                let size = r.i64().map_err(|_| decode_failed())?;
                if offset < 0 {
                    return Err(Error::new(libc::EINVAL, "offset < 0"));
                }
                if size < 0 {
                    return Err(Error::new(libc::EINVAL, "size < 0"));
                }
                let (mut f, _) = ops::open_for_download(sr, &p)?;
                std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset as u64))
                    .map_err(|e| Error::from(e).context(&p))?;
                let mut limited = Read::take(f, size as u64);
                self.send_file_out(hdr, &mut limited, size as u64)
            }
            _ => Err(Error::msg(format!(
                "unimplemented procedure {}",
                hdr.proc_nr
            ))),
        }
    }

    /// A Pathname argument: absolute, and the root filesystem must be mounted.
    fn path(&self, r: &mut XdrReader) -> Result<String> {
        let p = string(r)?;
        if !p.starts_with('/') {
            return Err(Error::new(
                libc::EINVAL,
                format!("{}_stub: path must start with a / character", self.current),
            ));
        }
        if !self.sysroot().is_empty() && !ops::root_mounted(self.sysroot()) {
            return Err(Error::msg(format!(
                "{}_stub: you must call 'mount' first to mount the root filesystem",
                self.current
            )));
        }
        Ok(p)
    }

    /// A Device argument, translated to the kernel's name.
    fn device(&self, r: &mut XdrReader) -> Result<String> {
        let d = string(r)?;
        crate::devices::to_kernel(&d)
            .map_err(|e| Error::new(e.errno, format!("{}_stub: {}", self.current, e.message)))
    }

    /// A Dev_or_Path argument: a device (translated) or a guest path.
    fn dev_or_path(&self, r: &mut XdrReader) -> Result<String> {
        let p = string(r)?;
        if p.starts_with("/dev/") {
            let d = crate::devices::to_kernel(&p).map_err(|e| {
                Error::new(e.errno, format!("{}_stub: {}", self.current, e.message))
            })?;
            return Ok(format!("\0dev:{}", d));
        }
        let mut tmp = XdrWriter::new();
        tmp.string(&p);
        let bytes = tmp.into_bytes();
        self.path(&mut XdrReader::new(&bytes))
    }

    fn send_reply(&mut self, call: &Header, status: u32, body: &[u8]) -> bool {
        let hdr = Header::reply_to(call, status);
        match protocol::frame_message(&hdr, body) {
            Ok(msg) => self.chan.write_all(&msg).is_ok(),
            Err(_) => self.send_error(
                call,
                &Error::msg("failed to encode reply body\n(maybe the reply exceeds the maximum message size in the protocol?)"),
            ),
        }
    }

    fn send_error(&mut self, call: &Header, e: &Error) -> bool {
        let mut w = XdrWriter::new();
        ErrorBody::from_error(e).encode(&mut w);
        let hdr = Header::reply_to(call, protocol::STATUS_ERROR);
        match protocol::frame_message(&hdr, &w.buf) {
            Ok(msg) => self.chan.write_all(&msg).is_ok(),
            Err(_) => false,
        }
    }

    /// Replies OK, then streams `src` as chunks with progress messages. The library may send
    /// a CANCEL word at any time: the stream then ends with a cancel chunk.
    fn send_file_out(&mut self, hdr: &Header, src: &mut dyn Read, total: u64) -> Result<Reply> {
        if !self.send_reply(hdr, protocol::STATUS_OK, &[]) {
            return Ok(Reply::Sent);
        }
        let mut buf = vec![0u8; protocol::MAX_CHUNK_SIZE];
        let mut progress = ProgressSender::new(hdr, total);
        let mut sent = 0u64;
        loop {
            if crate::sys::readable_now(self.chan.as_raw_fd()) {
                let mut word = [0u8; 4];
                if self.chan.read_exact(&mut word).is_err() {
                    return Ok(Reply::Sent);
                }
                if u32::from_be_bytes(word) == protocol::CANCEL_FLAG {
                    let _ = protocol::write_chunk(&mut self.chan, true, &[]);
                    return Ok(Reply::Sent);
                }
            }
            let n = match read_full(src, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("guestfsd: read error during FileOut: {}", e);
                    let _ = protocol::write_chunk(&mut self.chan, true, &[]);
                    return Ok(Reply::Sent);
                }
            };
            if n == 0 {
                break;
            }
            if protocol::write_chunk(&mut self.chan, false, &buf[..n]).is_err() {
                return Ok(Reply::Sent);
            }
            sent += n as u64;
            progress.update(&mut self.chan, sent);
        }
        progress.finish(&mut self.chan);
        let _ = protocol::write_chunk(&mut self.chan, false, &[]);
        Ok(Reply::Sent)
    }

    /// `upload` (FileIn): receives a chunk stream into a file or device. On an early error the
    /// daemon sends CANCEL and drains the stream before its error reply.
    fn upload(&mut self, hdr: &Header, args: &[u8]) -> Result<Reply> {
        let mut r = XdrReader::new(args);
        let target = self.dev_or_path(&mut r);
        let sr = self.sysroot().to_string();
        let file = target.and_then(|t| ops::open_for_upload(&sr, &t));
        let mut file = match file {
            Ok(f) => f,
            Err(e) => {
                let _ = self.chan.write_all(&protocol::CANCEL_FLAG.to_be_bytes());
                self.drain_chunks();
                return Err(e);
            }
        };
        let mut progress = ProgressSender::new(hdr, hdr.progress_hint);
        let mut received = 0u64;
        let mut write_err: Option<Error> = None;
        loop {
            let chunk = match protocol::read_frame(&mut self.chan) {
                Ok(Frame::Payload(p)) => Chunk::decode(&p)?,
                Ok(Frame::Cancel) => continue,
                Ok(_) => return Err(Error::msg("protocol error: unexpected word during upload")),
                Err(e) => return Err(e),
            };
            if chunk.cancel != 0 {
                return Err(Error::new(libc::EINTR, "file upload cancelled"));
            }
            if chunk.data.is_empty() {
                break;
            }
            if write_err.is_none() {
                if let Err(e) = file.write_all(&chunk.data) {
                    write_err = Some(Error::from(e));
                    let _ = self.chan.write_all(&protocol::CANCEL_FLAG.to_be_bytes());
                }
            }
            received += chunk.data.len() as u64;
            progress.update(&mut self.chan, received);
        }
        if let Some(e) = write_err {
            return Err(e);
        }
        file.sync_all().ok();
        progress.finish(&mut self.chan);
        enc(())
    }

    fn drain_chunks(&mut self) {
        loop {
            match protocol::read_frame(&mut self.chan) {
                Ok(Frame::Payload(p)) => match Chunk::decode(&p) {
                    Ok(c) if c.cancel != 0 || c.data.is_empty() => return,
                    Ok(_) => {}
                    Err(_) => return,
                },
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }
}

/// Sends progress messages the way libguestfs's daemon rate-limits them: the first after
/// 2 s, then at most three a second, and a final one at 100 % if any was sent.
struct ProgressSender {
    proc_nr: i32,
    serial: u32,
    total: u64,
    start: Instant,
    last: Option<Instant>,
}

impl ProgressSender {
    fn new(hdr: &Header, total: u64) -> ProgressSender {
        ProgressSender {
            proc_nr: hdr.proc_nr,
            serial: hdr.serial,
            total,
            start: Instant::now(),
            last: None,
        }
    }
    fn send(&self, out: &mut File, position: u64) {
        let p = Progress {
            proc_nr: self.proc_nr,
            serial: self.serial,
            position,
            total: self.total,
        };
        let _ = out.write_all(&p.encode());
    }
    fn update(&mut self, out: &mut File, position: u64) {
        if self.total == 0 {
            return;
        }
        let now = Instant::now();
        let due = match self.last {
            None => now.duration_since(self.start) >= Duration::from_secs(2),
            Some(t) => now.duration_since(t) >= Duration::from_micros(333_333),
        };
        if due {
            self.send(out, position.min(self.total));
            self.last = Some(now);
        }
    }
    fn finish(&mut self, out: &mut File) {
        if self.last.is_some() {
            self.send(out, self.total);
        }
    }
}

fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

const DECODE_FAILED: &str = "\0decode";

fn decode_failed() -> Error {
    Error::msg(DECODE_FAILED)
}

fn string(r: &mut XdrReader) -> Result<String> {
    r.string().map_err(|_| decode_failed())
}

fn int(r: &mut XdrReader) -> Result<i32> {
    r.i32().map_err(|_| decode_failed())
}

/// A list of file names: none may contain `/`.
fn names(r: &mut XdrReader) -> Result<Vec<String>> {
    let v = r.string_list().map_err(|_| decode_failed())?;
    for n in &v {
        if n.contains('/') {
            return Err(Error::msg(format!("{}: name contains a / character", n)));
        }
    }
    Ok(v)
}
