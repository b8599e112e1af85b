//! The daemon on the wire, without an appliance: guestfsd runs on the host in standalone mode
//! (`--listen -r`, guest paths are host paths) and is driven with raw protocol messages, to
//! check the rules of wire-protocol-1.48.md that a library client never exercises on purpose:
//! refused headers, bad bitmasks, undecodable arguments, and both directions of file transfer
//! cancellation — after each of which the daemon must still be in step (a ping answers).

use guestfs_protocol::{
    proc_nr, read_frame, split_message, write_chunk, Chunk, ErrorBody, Frame, Header, XdrReader,
    XdrWriter, CANCEL_FLAG, STATUS_ERROR, STATUS_OK,
};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command};

struct Daemon {
    child: Child,
    stream: UnixStream,
    dir: PathBuf,
    serial: u32,
}

impl Daemon {
    fn start(tag: &str) -> Daemon {
        let dir =
            std::env::temp_dir().join(format!("guestfsd-proto-{}-{}", tag, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("sock");
        let child = Command::new(env!("CARGO_BIN_EXE_guestfsd"))
            .args(["--listen", "-r", "--channel"])
            .arg(&sock)
            .spawn()
            .unwrap();
        let t = std::time::Instant::now();
        let stream = loop {
            if let Ok(s) = UnixStream::connect(&sock) {
                break s;
            }
            assert!(t.elapsed().as_secs() < 20, "the daemon did not listen");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let mut d = Daemon {
            child,
            stream,
            dir,
            serial: 0x123400,
        };
        assert_eq!(d.frame(), Frame::Launch);
        d
    }

    fn frame(&mut self) -> Frame {
        read_frame(&mut self.stream).unwrap()
    }

    /// Sends a call; returns its header.
    fn call(&mut self, proc: i32, bitmask: u64, body: &[u8]) -> Header {
        let h = Header::call(proc, self.serial, bitmask, 0);
        self.serial += 1;
        let msg = guestfs_protocol::frame_message(&h, body).unwrap();
        self.stream.write_all(&msg).unwrap();
        h
    }

    /// The reply to `call`: Ok(body) or Err(message).
    fn reply(&mut self, call: &Header) -> Result<Vec<u8>, String> {
        loop {
            match self.frame() {
                Frame::Payload(p) => {
                    let (h, body) = split_message(&p).unwrap();
                    assert_eq!((h.proc_nr, h.serial), (call.proc_nr, call.serial));
                    return match h.status {
                        STATUS_OK => Ok(body.to_vec()),
                        STATUS_ERROR => Err(ErrorBody::decode(&mut XdrReader::new(body))
                            .unwrap()
                            .to_error()
                            .message),
                        s => panic!("status {}", s),
                    };
                }
                Frame::Progress(_) => {}
                other => panic!("unexpected {:?}", other),
            }
        }
    }

    fn chunk(&mut self) -> Chunk {
        match self.frame() {
            Frame::Payload(p) => Chunk::decode(&p).unwrap(),
            other => panic!("expected a chunk, got {:?}", other),
        }
    }

    /// The daemon is still in step.
    fn ping(&mut self) {
        let h = self.call(proc_nr::PING_DAEMON, 0, &[]);
        assert_eq!(self.reply(&h), Ok(Vec::new()));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn string_body(s: &str) -> Vec<u8> {
    let mut w = XdrWriter::new();
    w.string(s);
    w.buf
}

#[test]
fn refused_calls_keep_the_daemon_in_step() {
    let mut d = Daemon::start("refused");
    let h = d.call(9999, 0, &[]);
    assert_eq!(d.reply(&h), Err("dispatch_incoming_message: unknown procedure number 9999, set LIBGUESTFS_PATH to point to the matching libguestfs appliance directory".to_string()));
    let h = d.call(proc_nr::PING_DAEMON, 1, &[]);
    assert_eq!(d.reply(&h), Err("header optargs_bitmask field must be passed as 0 for calls that don't take optional arguments".to_string()));
    // is_dir has one optional argument: bit 1 is unknown.
    let mut body = string_body("/");
    body.extend_from_slice(&[0, 0, 0, 0]);
    let h = d.call(proc_nr::IS_DIR, 2, &body);
    assert!(d
        .reply(&h)
        .unwrap_err()
        .starts_with("unknown option in optional arguments bitmask"));
    // A string whose length runs past the body.
    let h = d.call(proc_nr::STATNS, 0, &[0, 0, 0, 9, b'/']);
    assert_eq!(
        d.reply(&h),
        Err("daemon failed to decode procedure arguments".to_string())
    );
    let h = d.call(proc_nr::STATNS, 0, &string_body("relative"));
    assert_eq!(
        d.reply(&h),
        Err("statns_stub: path must start with a / character".to_string())
    );
    d.ping();
}

#[test]
fn an_upload_that_fails_before_reading_is_cancelled_by_the_daemon() {
    let mut d = Daemon::start("upload-fail");
    let target = d.dir.join("no-such-dir/file");
    let h = d.call(proc_nr::UPLOAD, 0, &string_body(target.to_str().unwrap()));
    // 1.48's cancel_receive: the daemon says CANCEL, then waits for the library's cancel chunk.
    assert_eq!(d.frame(), Frame::Cancel);
    write_chunk(&mut d.stream, true, &[]).unwrap();
    assert_eq!(
        d.reply(&h),
        Err(format!("{}: No such file or directory", target.display()))
    );
    d.ping();
}

#[test]
fn an_upload_the_library_cancels_ends_with_its_error() {
    let mut d = Daemon::start("upload-cancel");
    let target = d.dir.join("file");
    let h = d.call(proc_nr::UPLOAD, 0, &string_body(target.to_str().unwrap()));
    write_chunk(&mut d.stream, false, b"some data").unwrap();
    // A stray CANCEL word while receiving is ignored.
    d.stream.write_all(&CANCEL_FLAG.to_be_bytes()).unwrap();
    write_chunk(&mut d.stream, true, &[]).unwrap();
    assert_eq!(d.reply(&h), Err("file upload cancelled".to_string()));
    d.ping();
    // A complete upload lands.
    let h = d.call(proc_nr::UPLOAD, 0, &string_body(target.to_str().unwrap()));
    write_chunk(&mut d.stream, false, b"hello ").unwrap();
    write_chunk(&mut d.stream, false, b"world").unwrap();
    write_chunk(&mut d.stream, false, &[]).unwrap();
    assert_eq!(d.reply(&h), Ok(Vec::new()));
    assert_eq!(std::fs::read(&target).unwrap(), b"hello world");
}

#[test]
fn downloads_reply_first_and_stop_when_the_library_cancels() {
    let mut d = Daemon::start("download");
    // An error before any byte is an ordinary error reply, without chunks.
    let dir = d.dir.to_str().unwrap().to_string();
    let h = d.call(proc_nr::DOWNLOAD, 0, &string_body(&dir));
    assert_eq!(d.reply(&h), Err(format!("{}: is a directory", dir)));
    d.ping();
    // The reply, then the data in chunks, then the end.
    let file = d.dir.join("data");
    let data: Vec<u8> = (0..20000u32).map(|i| i as u8).collect();
    std::fs::write(&file, &data).unwrap();
    let h = d.call(proc_nr::DOWNLOAD, 0, &string_body(file.to_str().unwrap()));
    assert_eq!(d.reply(&h), Ok(Vec::new()));
    let mut got = Vec::new();
    loop {
        let c = d.chunk();
        assert_eq!(c.cancel, 0);
        if c.data.is_empty() {
            break;
        }
        got.extend(c.data);
    }
    assert_eq!(got, data);
    // Cancelled by the library: the stream ends with a cancel chunk.
    std::fs::write(&file, vec![7u8; 4 << 20]).unwrap();
    let h = d.call(proc_nr::DOWNLOAD, 0, &string_body(file.to_str().unwrap()));
    assert_eq!(d.reply(&h), Ok(Vec::new()));
    d.stream.write_all(&CANCEL_FLAG.to_be_bytes()).unwrap();
    let mut chunks = 0;
    loop {
        let c = d.chunk();
        chunks += 1;
        if c.cancel != 0 {
            break;
        }
        assert!(
            !c.data.is_empty(),
            "the stream ended normally despite the cancel"
        );
    }
    assert!(chunks < 512, "{} chunks after the cancel", chunks);
    d.ping();
}
