//! The library side of the protocol: one call at a time over a byte stream to the daemon.

use crate::error::{Error, Result};
use crate::protocol::client::Request;
use crate::protocol::{self, Chunk, ErrorBody, Frame, Header, XdrReader};
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Something that can tell whether the other end is still alive while a read waits.
pub trait Liveness: Send {
    /// None while alive; otherwise why it died.
    fn died(&mut self) -> Option<String>;
}

/// Receives progress messages as `[proc_nr, serial, position, total]`.
pub type ProgressSink = Box<dyn FnMut(&[u64; 4]) + Send>;
/// How often a read that waits for the daemon checks that qemu is still there (a look at
/// /proc, cheap next to a call's round trip under TCG).
const LIVENESS_PERIOD: Duration = Duration::from_millis(200);

/// A connection to a daemon.
pub struct Conn {
    stream: UnixStream,
    serial: u32,
    /// Progress messages received (position, total), drained by the backend.
    pub progress: Vec<(u64, u64)>,
    /// Where progress messages go as they arrive (`[proc_nr, serial, position, total]`);
    /// without one they are kept in `progress`.
    pub on_progress: Option<ProgressSink>,
    /// Set when the connection is unusable (end of stream, protocol desync).
    pub dead: Option<String>,
    pub watch: Option<Box<dyn Liveness>>,
}

/// Reads from the stream in slices of [`LIVENESS_PERIOD`], so a dead peer is noticed well
/// within a second even when the socket stays open.
struct WatchedReader<'a> {
    stream: &'a mut UnixStream,
    watch: &'a mut Option<Box<dyn Liveness>>,
}

impl Read for WatchedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Ok(n) => return Ok(n),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if let Some(w) = self.watch.as_mut() {
                        if let Some(why) = w.died() {
                            return Err(io::Error::new(io::ErrorKind::BrokenPipe, why));
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Conn {
    pub fn new(stream: UnixStream, watch: Option<Box<dyn Liveness>>) -> Conn {
        let _ = stream.set_read_timeout(Some(LIVENESS_PERIOD));
        Conn {
            stream,
            // libguestfs's first serial number.
            serial: 0x0012_3400,
            progress: Vec::new(),
            on_progress: None,
            dead: None,
            watch,
        }
    }

    fn note_progress(&mut self, p: &protocol::Progress) {
        match self.on_progress.as_mut() {
            Some(sink) => sink(&[p.proc_nr as u64, p.serial as u64, p.position, p.total]),
            None => self.progress.push((p.position, p.total)),
        }
    }

    fn lost(&mut self, e: Error) -> Error {
        let msg = if matches!(e.errno, libc::EPIPE | libc::ECONNRESET | libc::ENOTCONN | 0) {
            "the appliance closed the connection: qemu or the daemon died (run 'libguestfs-test-tool' to diagnose)"
                .to_string()
        } else {
            e.message.clone()
        };
        self.dead = Some(msg.clone());
        Error::new(libc::EPIPE, msg)
    }

    fn read_frame(&mut self) -> Result<Frame> {
        let mut r = WatchedReader {
            stream: &mut self.stream,
            watch: &mut self.watch,
        };
        match protocol::read_frame(&mut r) {
            Ok(f) => Ok(f),
            Err(e) => Err(self.lost(e)),
        }
    }

    /// Waits for the daemon's launch flag.
    pub fn wait_launch_flag(&mut self) -> Result<()> {
        loop {
            match self.read_frame()? {
                Frame::Launch => return Ok(()),
                Frame::Progress(_) | Frame::Cancel => {}
                Frame::Payload(_) => {
                    return Err(self.lost(Error::new(
                        libc::EPROTO,
                        "protocol error: message before the launch flag",
                    )))
                }
            }
        }
    }

    fn send(
        &mut self,
        proc_nr: i32,
        optargs: u64,
        progress_hint: u64,
        args: &[u8],
    ) -> Result<Header> {
        if let Some(why) = &self.dead {
            return Err(Error::new(libc::EPIPE, why.clone()));
        }
        let hdr = Header::call(proc_nr, self.serial, optargs, progress_hint);
        self.serial = self.serial.wrapping_add(1);
        let msg = protocol::frame_message(&hdr, args)?;
        if let Err(e) = self.stream.write_all(&msg) {
            return Err(self.lost(Error::from(e)));
        }
        Ok(hdr)
    }

    /// Reads the reply to `call`: Ok(body) or the daemon's error.
    fn reply(&mut self, call: &Header) -> Result<Vec<u8>> {
        loop {
            match self.read_frame()? {
                Frame::Progress(p) => {
                    if p.proc_nr == call.proc_nr && p.serial == call.serial {
                        self.note_progress(&p);
                    }
                }
                // A late cancel from an earlier transfer.
                Frame::Cancel => {}
                Frame::Launch => {
                    return Err(self.lost(Error::new(
                        libc::EPROTO,
                        "protocol error: unexpected launch flag",
                    )))
                }
                Frame::Payload(p) => {
                    let (h, body) = protocol::split_message(&p).map_err(|e| self.lost(e))?;
                    if h.prog != protocol::PROGRAM
                        || h.vers != protocol::PROTOCOL_VERSION
                        || h.direction != protocol::DIRECTION_REPLY
                        || h.proc_nr != call.proc_nr
                        || h.serial != call.serial
                    {
                        return Err(self.lost(Error::new(
                            libc::EPROTO,
                            "protocol error: lost protocol synchronization",
                        )));
                    }
                    if h.status == protocol::STATUS_ERROR {
                        let eb = ErrorBody::decode(&mut XdrReader::new(body))
                            .map_err(|e| self.lost(e))?;
                        return Err(eb.to_error());
                    }
                    return Ok(body.to_vec());
                }
            }
        }
    }

    /// Sends a request (with its FileIn data, if any) and returns the reply body, after
    /// receiving its FileOut data into the request's writer.
    pub fn request(&mut self, req: Request<'_, '_>) -> Result<Vec<u8>> {
        let progress_hint = req.file_in.as_ref().map(|f| f.size_hint).unwrap_or(0);
        let hdr = self.send(req.proc_nr, req.optargs_bitmask, progress_hint, &req.body)?;
        if let Some(input) = req.file_in {
            if let Some(local) = self.send_file(input)? {
                // The daemon answers the cancelled upload with an error, which is discarded.
                let _ = self.reply(&hdr);
                return Err(local);
            }
        }
        let body = self.reply(&hdr)?;
        if let Some(out) = req.file_out {
            self.receive_file(&hdr, out)?;
        }
        Ok(body)
    }

    /// A FileOut call's chunk stream after its reply, written to `out`. A write error on our
    /// side cancels the transfer (the daemon then ends the stream with a cancel chunk).
    fn receive_file(&mut self, hdr: &Header, out: &mut dyn Write) -> Result<()> {
        let mut write_error: Option<Error> = None;
        loop {
            match self.read_frame()? {
                Frame::Progress(p) => {
                    if p.serial == hdr.serial {
                        self.note_progress(&p);
                    }
                }
                Frame::Cancel | Frame::Launch => {
                    return Err(self.lost(Error::new(
                        libc::EPROTO,
                        "protocol error: unexpected flag in a file transfer",
                    )))
                }
                Frame::Payload(p) => {
                    let chunk = Chunk::decode(&p).map_err(|e| self.lost(e))?;
                    if chunk.cancel != 0 {
                        return Err(write_error.unwrap_or_else(Error::receive_cancelled));
                    }
                    if chunk.data.is_empty() {
                        return match write_error {
                            Some(e) => Err(e),
                            None => Ok(()),
                        };
                    }
                    if write_error.is_none() {
                        if let Err(e) = out.write_all(&chunk.data) {
                            write_error = Some(Error::from(e));
                            if let Err(e) =
                                self.stream.write_all(&protocol::CANCEL_FLAG.to_be_bytes())
                            {
                                return Err(self.lost(Error::from(e)));
                            }
                        }
                    }
                }
            }
        }
    }

    /// A FileIn call's data after its request, as chunks. A CANCEL word from the daemon (it
    /// gave up) makes us end the stream with a cancel chunk; the reply then has its error.
    /// Returns the local read error that cancelled the upload, if one did.
    fn send_file(&mut self, input: &mut dyn Read) -> Result<Option<Error>> {
        let mut buf = vec![0u8; protocol::MAX_CHUNK_SIZE];
        let mut local_error = None;
        loop {
            if self.daemon_cancelled()? {
                protocol::write_chunk(&mut self.stream, true, &[])
                    .map_err(|e| self.lost(Error::from(e)))?;
                break;
            }
            let n = match input.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    local_error = Some(Error::from(e));
                    protocol::write_chunk(&mut self.stream, true, &[])
                        .map_err(|e| self.lost(Error::from(e)))?;
                    break;
                }
            };
            protocol::write_chunk(&mut self.stream, false, &buf[..n])
                .map_err(|e| self.lost(Error::from(e)))?;
            if n == 0 {
                break;
            }
        }
        Ok(local_error)
    }

    /// Checks, without waiting, for a CANCEL word (or progress) from the daemon.
    fn daemon_cancelled(&mut self) -> Result<bool> {
        use std::os::unix::io::AsRawFd;
        let mut pfd = libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, 0) };
        if r <= 0 || pfd.revents & libc::POLLIN == 0 {
            return Ok(false);
        }
        match self.read_frame()? {
            Frame::Cancel => Ok(true),
            Frame::Progress(p) => {
                self.note_progress(&p);
                Ok(false)
            }
            _ => Err(self.lost(Error::new(
                libc::EPROTO,
                "protocol error: lost protocol synchronization",
            ))),
        }
    }
}
