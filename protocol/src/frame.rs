//! The framing of the libguestfs wire protocol between the library and the daemon.
//!
//! A byte stream carries units that each start with a 4-byte big-endian word: one of three
//! flags ([`LAUNCH_FLAG`], [`CANCEL_FLAG`], [`PROGRESS_FLAG`] + 24 bytes) or the length of an
//! XDR payload of at most [`MESSAGE_MAX`] bytes: a message (40-byte [`Header`] + arguments,
//! return value or [`ErrorBody`]) or a file [`Chunk`].

use crate::error::{Error, Result};
use crate::xdr::{Xdr, XdrReader, XdrWriter};
use std::io::{self, Read, Write};

pub const PROGRAM: u32 = 0x2000_F5F5;
pub const PROTOCOL_VERSION: u32 = 4;
pub const LAUNCH_FLAG: u32 = 0xf5f5_5ff5;
pub const CANCEL_FLAG: u32 = 0xffff_eeee;
pub const PROGRESS_FLAG: u32 = 0xffff_5555;
/// The largest payload after the length word.
pub const MESSAGE_MAX: u32 = 4 * 1024 * 1024;
/// The largest data part of a chunk.
pub const MAX_CHUNK_SIZE: usize = 8192;
/// The longest error message.
pub const ERROR_LEN: usize = 65536;
/// The longest symbolic errno.
pub const ERRNO_LEN: usize = 32;
/// The size of a progress message after its flag word.
pub const PROGRESS_SIZE: usize = 24;
/// The size of the message header.
pub const HEADER_SIZE: usize = 40;
/// The name of the virtio-serial port the daemon talks on.
pub const CHANNEL_NAME: &str = "org.libguestfs.channel.0";

pub const DIRECTION_CALL: u32 = 0;
pub const DIRECTION_REPLY: u32 = 1;
pub const STATUS_OK: u32 = 0;
pub const STATUS_ERROR: u32 = 1;

/// The header of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub prog: u32,
    pub vers: u32,
    pub proc_nr: i32,
    pub direction: u32,
    pub serial: u32,
    pub progress_hint: u64,
    pub optargs_bitmask: u64,
    pub status: u32,
}

impl Header {
    pub fn call(proc_nr: i32, serial: u32, optargs_bitmask: u64, progress_hint: u64) -> Header {
        Header {
            prog: PROGRAM,
            vers: PROTOCOL_VERSION,
            proc_nr,
            direction: DIRECTION_CALL,
            serial,
            progress_hint,
            optargs_bitmask,
            status: STATUS_OK,
        }
    }

    pub fn reply_to(call: &Header, status: u32) -> Header {
        Header {
            direction: DIRECTION_REPLY,
            status,
            progress_hint: 0,
            optargs_bitmask: 0,
            ..*call
        }
    }

    pub fn encode(&self, w: &mut XdrWriter) {
        w.u32(self.prog);
        w.u32(self.vers);
        w.i32(self.proc_nr);
        w.u32(self.direction);
        w.u32(self.serial);
        w.u64(self.progress_hint);
        w.u64(self.optargs_bitmask);
        w.u32(self.status);
    }

    pub fn decode(r: &mut XdrReader) -> Result<Header> {
        Ok(Header {
            prog: r.u32()?,
            vers: r.u32()?,
            proc_nr: r.i32()?,
            direction: r.u32()?,
            serial: r.u32()?,
            progress_hint: r.u64()?,
            optargs_bitmask: r.u64()?,
            status: r.u32()?,
        })
    }
}

/// The body of an error reply: a symbolic errno (`ENOENT`, or "") and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub errno_string: String,
    pub message: String,
}

impl ErrorBody {
    pub fn from_error(e: &Error) -> ErrorBody {
        let mut message = e.message.clone();
        if message.len() > ERROR_LEN {
            let mut cut = ERROR_LEN;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        ErrorBody {
            errno_string: crate::error::errno_name(e.errno).to_string(),
            message,
        }
    }

    pub fn to_error(&self) -> Error {
        Error::new(
            crate::error::errno_from_name(&self.errno_string),
            self.message.clone(),
        )
    }

    pub fn encode(&self, w: &mut XdrWriter) {
        w.string(&self.errno_string);
        w.string(&self.message);
    }

    pub fn decode(r: &mut XdrReader) -> Result<ErrorBody> {
        Ok(ErrorBody {
            errno_string: r.string_max(ERRNO_LEN)?,
            message: r.string_max(ERROR_LEN)?,
        })
    }
}

/// A progress message: how far call `proc_nr`/`serial` has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub proc_nr: i32,
    pub serial: u32,
    pub position: u64,
    pub total: u64,
}

impl Progress {
    pub fn encode(&self) -> [u8; 4 + PROGRESS_SIZE] {
        let mut w = XdrWriter::new();
        w.u32(PROGRESS_FLAG);
        w.i32(self.proc_nr);
        w.u32(self.serial);
        w.u64(self.position);
        w.u64(self.total);
        let mut out = [0u8; 4 + PROGRESS_SIZE];
        out.copy_from_slice(&w.buf);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Progress> {
        let mut r = XdrReader::new(bytes);
        Ok(Progress {
            proc_nr: r.i32()?,
            serial: r.u32()?,
            position: r.u64()?,
            total: r.u64()?,
        })
    }
}

/// A piece of a FileIn/FileOut stream. An empty chunk with `cancel == 0` ends the stream; a
/// chunk with `cancel == 1` aborts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub cancel: i32,
    pub data: Vec<u8>,
}

impl Chunk {
    pub fn decode(payload: &[u8]) -> Result<Chunk> {
        let mut r = XdrReader::new(payload);
        let cancel = r.i32()?;
        if cancel != 0 && cancel != 1 {
            return Err(Error::new(
                libc::EIO,
                "protocol error: chunk with invalid cancel field",
            ));
        }
        let data = r.opaque_max(MAX_CHUNK_SIZE)?.to_vec();
        Ok(Chunk { cancel, data })
    }
}

/// Writes one chunk (data ≤ [`MAX_CHUNK_SIZE`]) with its length word.
pub fn write_chunk(out: &mut dyn Write, cancel: bool, data: &[u8]) -> io::Result<()> {
    let mut w = XdrWriter::new();
    w.u32(0);
    w.i32(cancel as i32);
    w.opaque(data);
    let len = (w.buf.len() - 4) as u32;
    w.buf[..4].copy_from_slice(&len.to_be_bytes());
    out.write_all(&w.buf)
}

/// Writes a message (header + body) with its length word.
pub fn write_message(out: &mut dyn Write, header: &Header, body: &[u8]) -> Result<()> {
    let msg = frame_message(header, body)?;
    out.write_all(&msg).map_err(Error::from)
}

/// Builds the bytes of a message (length word + header + body), refusing one over the limit.
pub fn frame_message(header: &Header, body: &[u8]) -> Result<Vec<u8>> {
    let len = HEADER_SIZE + body.len();
    if len > MESSAGE_MAX as usize {
        return Err(Error::new(
            libc::E2BIG,
            format!(
                "message length ({}) > maximum possible size ({})",
                len, MESSAGE_MAX
            ),
        ));
    }
    let mut w = XdrWriter::new();
    w.u32(len as u32);
    header.encode(&mut w);
    w.buf.extend_from_slice(body);
    Ok(w.buf)
}

/// One unit read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Launch,
    Cancel,
    Progress(Progress),
    /// A message or chunk payload (without its length word).
    Payload(Vec<u8>),
}

/// Reads one unit. A length word over [`MESSAGE_MAX`] that is not a flag is an error
/// (`EPROTO`): the stream cannot be resynchronised after it.
pub fn read_frame(input: &mut dyn Read) -> Result<Frame> {
    let mut word = [0u8; 4];
    read_exact_or_eof(input, &mut word)?;
    decode_frame_body(u32::from_be_bytes(word), input)
}

/// The rest of a unit whose first word was already read.
pub fn decode_frame_body(word: u32, input: &mut dyn Read) -> Result<Frame> {
    match word {
        LAUNCH_FLAG => Ok(Frame::Launch),
        CANCEL_FLAG => Ok(Frame::Cancel),
        PROGRESS_FLAG => {
            let mut buf = [0u8; PROGRESS_SIZE];
            read_exact_or_eof(input, &mut buf)?;
            Ok(Frame::Progress(Progress::decode(&buf)?))
        }
        len if len > MESSAGE_MAX => Err(Error::new(
            libc::EPROTO,
            format!(
                "message length ({}) > maximum possible size ({})",
                len, MESSAGE_MAX
            ),
        )),
        len => {
            let mut buf = vec![0u8; len as usize];
            read_exact_or_eof(input, &mut buf)?;
            Ok(Frame::Payload(buf))
        }
    }
}

/// read_exact, with end of stream reported as `EPIPE` "unexpected end of file".
fn read_exact_or_eof(input: &mut dyn Read, buf: &mut [u8]) -> Result<()> {
    input.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::new(
                libc::EPIPE,
                "unexpected end of file when reading from daemon",
            )
        } else {
            Error::from(e)
        }
    })
}

/// Decodes a whole message payload into its header and the rest.
pub fn split_message(payload: &[u8]) -> Result<(Header, &[u8])> {
    let mut r = XdrReader::new(payload);
    let h = Header::decode(&mut r)?;
    Ok((h, r.rest()))
}

/// Decodes a complete value, requiring that nothing is left over.
pub fn decode_all<T: Xdr>(bytes: &[u8]) -> Result<T> {
    let mut r = XdrReader::new(bytes);
    let v = T::decode(&mut r)?;
    if r.remaining() != 0 {
        return Err(Error::new(libc::EIO, "XDR decoding failed: trailing bytes"));
    }
    Ok(v)
}

/// The largest `pread` libguestfs allows: replies must fit in a protocol message.
pub const PREAD_MAX: i64 = 2 * 1024 * 1024;

/// Checks `pread`'s count and offset as libguestfs's daemon does (both backends use it).
pub fn pread_args(count: i32, offset: i64) -> Result<(u64, u64)> {
    if count < 0 {
        return Err(Error::new(libc::EINVAL, "count is negative"));
    }
    if offset < 0 {
        return Err(Error::new(libc::EINVAL, "offset is negative"));
    }
    if count as i64 > PREAD_MAX {
        return Err(Error::new(
            libc::EINVAL,
            format!(
                "count is too large for the protocol, use smaller reads (max {})",
                PREAD_MAX
            ),
        ));
    }
    Ok((count as u64, offset as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_call_matches_the_documented_bytes() {
        let mut body = XdrWriter::new();
        body.string("/dev/sda1");
        body.string("/");
        let msg = frame_message(
            &Header::call(crate::proc_nr::MOUNT, 0x1000, 0, 0),
            &body.buf,
        )
        .unwrap();
        let hex: String = msg.iter().map(|b| format!("{:02x}", b)).collect();
        assert_eq!(
            hex,
            "000000402000f5f5000000040000000100000000000010000000000000000000000000000000000000000000\
             000000092f6465762f7364613100000000000001 2f000000"
                .replace(' ', "")
        );
    }

    #[test]
    fn oversized_length_words_are_refused() {
        let bytes = (MESSAGE_MAX + 1).to_be_bytes();
        assert_eq!(read_frame(&mut &bytes[..]).unwrap_err().errno, libc::EPROTO);
        let flag = CANCEL_FLAG.to_be_bytes();
        assert_eq!(read_frame(&mut &flag[..]).unwrap(), Frame::Cancel);
    }

    #[test]
    fn chunks_round_trip() {
        let mut out = Vec::new();
        write_chunk(&mut out, false, b"hello").unwrap();
        let f = read_frame(&mut &out[..]).unwrap();
        match f {
            Frame::Payload(p) => assert_eq!(
                Chunk::decode(&p).unwrap(),
                Chunk {
                    cancel: 0,
                    data: b"hello".to_vec()
                }
            ),
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn progress_round_trips() {
        let p = Progress {
            proc_nr: 67,
            serial: 0x1000,
            position: 0x2000,
            total: 0x4e20,
        };
        let bytes = p.encode();
        assert_eq!(read_frame(&mut &bytes[..]).unwrap(), Frame::Progress(p));
    }
}
