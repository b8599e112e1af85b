//! The file data of FileIn and FileOut calls, as chunks on the protocol channel
//! (wire-protocol §6), and the one reply each call gets.
//!
//! FileIn: the call reads the chunks through [`ChunkReader`]. If the call fails before the
//! library's end-of-file chunk arrived, the daemon sends a CANCEL word and throws the rest of
//! the chunks away before its error reply (1.48's `cancel_receive`); a cancel chunk from the
//! library ends the call with "file upload cancelled".
//!
//! FileOut: the OK reply is sent just before the first chunk or at the call's first `flush`
//! (so a call that fails before either gets an ordinary error reply), data goes out in chunks
//! of up to 8 KiB, and a CANCEL word from the library ends the stream with a cancel chunk.

use guestfs_protocol::server::FileChannel;
use guestfs_protocol::{
    write_chunk, Chunk, ErrorBody, FileIn, Header, XdrWriter, CANCEL_FLAG, MAX_CHUNK_SIZE,
    MESSAGE_MAX, STATUS_ERROR, STATUS_OK,
};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;

/// What became of a call's incoming file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Incoming {
    /// Chunks may still arrive.
    Open,
    /// The end-of-file chunk was read.
    Ended,
    /// The library sent a cancel chunk.
    Cancelled,
    /// The stream broke (end of the channel, a bad chunk): the daemon must stop.
    Broken,
}

/// Reads a FileIn call's chunks as a byte stream.
pub struct ChunkReader<'a> {
    chan: &'a File,
    data: Vec<u8>,
    pos: usize,
    state: Incoming,
    size_hint: u64,
}

/// The next chunk from the channel (stray CANCEL words from the library are skipped).
fn read_chunk(mut chan: &File) -> io::Result<Chunk> {
    loop {
        let mut word = [0u8; 4];
        chan.read_exact(&mut word)?;
        let len = u32::from_be_bytes(word);
        if len == CANCEL_FLAG {
            continue;
        }
        if len > MESSAGE_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("incoming message is too long ({} bytes)", len),
            ));
        }
        let mut payload = vec![0u8; len as usize];
        chan.read_exact(&mut payload)?;
        return Chunk::decode(&payload)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.message));
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.data.len() {
            match self.state {
                Incoming::Ended => return Ok(0),
                Incoming::Cancelled => return Err(cancelled()),
                Incoming::Broken => return Err(io::Error::from(io::ErrorKind::BrokenPipe)),
                Incoming::Open => {}
            }
            match read_chunk(self.chan) {
                Ok(c) if c.cancel != 0 => self.state = Incoming::Cancelled,
                Ok(c) if c.data.is_empty() => self.state = Incoming::Ended,
                Ok(c) => {
                    self.data = c.data;
                    self.pos = 0;
                }
                Err(e) => {
                    eprintln!("guestfsd: receive_file: {}", e);
                    self.state = Incoming::Broken;
                }
            }
        }
        let n = buf.len().min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn cancelled() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "file upload cancelled")
}

impl ChunkReader<'_> {
    /// 1.48's `cancel_receive`: tells the library to stop and discards chunks until its end
    /// or cancel chunk.
    fn cancel(&mut self) {
        if self.state != Incoming::Open {
            return;
        }
        if (&*self.chan).write_all(&CANCEL_FLAG.to_be_bytes()).is_err() {
            self.state = Incoming::Broken;
            return;
        }
        self.drain();
    }

    /// Reads and discards the chunks left.
    fn drain(&mut self) {
        while self.state == Incoming::Open {
            match read_chunk(self.chan) {
                Ok(c) if c.cancel != 0 => self.state = Incoming::Cancelled,
                Ok(c) if c.data.is_empty() => self.state = Incoming::Ended,
                Ok(_) => {}
                Err(_) => self.state = Incoming::Broken,
            }
        }
    }
}

/// Data chunks sent per write to the channel. The chunks stay 1.48's size (its library
/// refuses larger ones); what costs is the number of writes: the appliance's virtio-serial
/// port takes at most 32 KiB per write and waits for qemu to take each piece.
const CHUNKS_PER_WRITE: usize = 16;

/// Writes a FileOut call's data as chunks, after the OK reply.
pub struct ChunkWriter<'a> {
    chan: &'a File,
    call: Header,
    reply_sent: bool,
    buf: Vec<u8>,
    /// The library cancelled (or the channel failed): nothing more is sent.
    stopped: bool,
}

impl ChunkWriter<'_> {
    fn send_ok_reply(&mut self) -> io::Result<()> {
        if !self.reply_sent {
            self.reply_sent = true;
            send_reply(self.chan, &self.call, Ok(&[]))?;
        }
        Ok(())
    }

    /// Whether the library has sent a CANCEL word (checked without waiting).
    fn library_cancelled(&self) -> bool {
        if !crate::sys::readable_now(self.chan.as_raw_fd()) {
            return false;
        }
        let mut word = [0u8; 4];
        match (&*self.chan).read_exact(&mut word) {
            Ok(()) => u32::from_be_bytes(word) == CANCEL_FLAG,
            Err(_) => true,
        }
    }

    /// Sends what is buffered as one data chunk, unless the library cancelled.
    fn send_chunk(&mut self) -> io::Result<()> {
        if self.library_cancelled() {
            self.stopped = true;
            write_chunk(&mut &*self.chan, true, &[])?;
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "file transfer cancelled by the library",
            ));
        }
        let mut batch = Vec::with_capacity(self.buf.len() + 16 * CHUNKS_PER_WRITE);
        for data in self.buf.chunks(MAX_CHUNK_SIZE) {
            write_chunk(&mut batch, false, data)?;
        }
        let r = (&*self.chan).write_all(&batch);
        self.buf.clear();
        if r.is_err() {
            self.stopped = true;
        }
        r
    }
}

impl Write for ChunkWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.stopped {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.send_ok_reply()?;
        let n = data
            .len()
            .min(MAX_CHUNK_SIZE * CHUNKS_PER_WRITE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == MAX_CHUNK_SIZE * CHUNKS_PER_WRITE {
            self.send_chunk()?;
        }
        Ok(n)
    }

    /// Before any data: sends the call's OK reply now, committing the call to the stream (a
    /// failure after this cancels the transfer, as 1.48 does for calls that reply before
    /// running their program).
    fn flush(&mut self) -> io::Result<()> {
        if self.stopped {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        self.send_ok_reply()
    }
}

/// The file streams of one call.
pub struct Transfer<'a> {
    reader: ChunkReader<'a>,
    writer: ChunkWriter<'a>,
}

impl<'a> Transfer<'a> {
    pub fn new(chan: &'a File, call: &Header) -> Transfer<'a> {
        Transfer {
            reader: ChunkReader {
                chan,
                data: Vec::new(),
                pos: 0,
                state: Incoming::Open,
                size_hint: call.progress_hint,
            },
            writer: ChunkWriter {
                chan,
                call: *call,
                reply_sent: false,
                buf: Vec::new(),
                stopped: false,
            },
        }
    }

    /// Sends the call's reply (and ends its streams) for the call's `result`. `file_in` and
    /// `file_out` say which streams the call has. Returns false when the channel is unusable.
    pub fn finish(
        mut self,
        result: guestfs_protocol::Result<Vec<u8>>,
        file_in: bool,
        file_out: bool,
    ) -> bool {
        let mut result = result;
        if file_in {
            match self.reader.state {
                // The library cancelled while the call was reading.
                Incoming::Cancelled => {
                    result = Err(guestfs_protocol::Error::msg("file upload cancelled"))
                }
                // The call failed first: the daemon cancels, and its error stands.
                Incoming::Open if result.is_err() => self.reader.cancel(),
                Incoming::Open => self.reader.drain(),
                _ => {}
            }
            if self.reader.state == Incoming::Broken {
                return false;
            }
        }
        let w = &mut self.writer;
        if file_out && w.reply_sent {
            // The reply went out with the first chunk: only the stream's end is left to send.
            if w.stopped {
                return true;
            }
            let cancel = match &result {
                // A cancel from the library during the last chunk has ended the stream.
                Ok(_) if !w.buf.is_empty() && w.send_chunk().is_err() => return true,
                Ok(_) => false,
                Err(e) => {
                    eprintln!("guestfsd: {}", e.message);
                    true
                }
            };
            return write_chunk(&mut &*w.chan, cancel, &[]).is_ok();
        }
        if file_out {
            if let Ok(body) = &result {
                w.reply_sent = true;
                return send_reply(w.chan, &w.call, Ok(body)).is_ok()
                    && write_chunk(&mut &*w.chan, false, &[]).is_ok();
            }
        }
        send_reply(w.chan, &w.call, result.as_deref().map_err(Clone::clone)).is_ok()
    }
}

impl FileChannel for Transfer<'_> {
    fn receive(&mut self) -> FileIn<'_> {
        let size_hint = self.reader.size_hint;
        FileIn {
            reader: &mut self.reader,
            size_hint,
        }
    }

    fn send(&mut self) -> &mut dyn Write {
        &mut self.writer
    }
}

/// 1.48's error for a reply that does not fit in a message.
pub const REPLY_TOO_LARGE: &str = "guestfsd: failed to encode reply body\n(maybe the reply exceeds the maximum message size in the protocol?)";

/// Sends the reply to `call`: OK with `body`, or the error. A body too large for a message
/// becomes 1.48's error about it.
pub fn send_reply(
    chan: &File,
    call: &Header,
    result: std::result::Result<&[u8], guestfs_protocol::Error>,
) -> io::Result<()> {
    let msg = match result {
        Ok(body) => guestfs_protocol::frame_message(&Header::reply_to(call, STATUS_OK), body)
            .map_err(|_| guestfs_protocol::Error::msg(REPLY_TOO_LARGE)),
        Err(e) => Err(e),
    };
    let msg = match msg {
        Ok(m) => m,
        Err(e) => {
            let mut w = XdrWriter::new();
            ErrorBody::from_error(&e).encode(&mut w);
            guestfs_protocol::frame_message(&Header::reply_to(call, STATUS_ERROR), &w.buf)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.message))?
        }
    };
    (&*chan).write_all(&msg)
}
