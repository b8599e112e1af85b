//! Remote control: `guestfish --listen` serves commands on the Unix socket
//! `/tmp/.guestfish-EUID/socket-PID`; `guestfish --remote[=PID] cmd …` sends them. On each
//! connection the client first passes its stdout (SCM_RIGHTS, one data byte), then XDR
//! without record marks: `hello { string vers }`, `call { string cmd; string args<>; bool
//! exit_on_error }`, answered by `reply { int r }` — the protocol of 1.48's guestfish, whose
//! client and server this one talks to both ways.

use super::dispatch::issue_command;
use super::session::{error, perror, stderr_line, CmdResult, Exit, Failed, Fish};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

/// The version both ends must announce, exactly.
const VERSION: &str = crate::common::LIBGUESTFS_VERSION;

/// Limits on what a peer may send (1.48 has none; these keep memory bounded).
const MAX_STRING: u32 = 16 << 20;
const MAX_ARGS: u32 = 1 << 16;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// Creates `/tmp/.guestfish-EUID` (mode 0700) and checks it is ours and private.
fn socket_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let dir = PathBuf::from(format!("/tmp/.guestfish-{}", euid()));
    let describe = |e: std::io::Error| {
        format!(
            "{}: {}",
            dir.display(),
            guestfs::error::strerror(e.raw_os_error().unwrap_or(libc::EIO))
        )
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(describe(e)),
    }
    let m = std::fs::symlink_metadata(&dir).map_err(describe)?;
    if !m.is_dir() || m.mode() & 0o777 != 0o700 || m.uid() != euid() {
        return Err(format!(
            "‘{}’ is not a directory or has insecure owner or permissions",
            dir.display()
        ));
    }
    Ok(dir)
}

fn socket_path(pid: i32) -> Result<PathBuf, String> {
    Ok(socket_dir()?.join(format!("socket-{}", pid)))
}

/// XDR encoding (RFC 4506) of the few types the protocol uses.
mod xdr {
    use std::io::{Read, Write};

    pub fn put_u32(w: &mut impl Write, v: u32) -> std::io::Result<()> {
        w.write_all(&v.to_be_bytes())
    }

    pub fn put_string(w: &mut impl Write, s: &[u8]) -> std::io::Result<()> {
        put_u32(w, s.len() as u32)?;
        w.write_all(s)?;
        w.write_all(&[0u8; 3][..(4 - s.len() % 4) % 4])
    }

    pub fn get_u32(r: &mut impl Read) -> std::io::Result<u32> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    pub fn get_string(r: &mut impl Read, max: u32) -> std::io::Result<Vec<u8>> {
        let len = get_u32(r)?;
        if len > max {
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidData));
        }
        let mut s = vec![0u8; len as usize];
        r.read_exact(&mut s)?;
        let mut pad = [0u8; 3];
        r.read_exact(&mut pad[..(4 - len as usize % 4) % 4])?;
        Ok(s)
    }
}

/// A `call` message.
struct Call {
    cmd: Vec<u8>,
    args: Vec<Vec<u8>>,
    exit_on_error: bool,
}

fn write_call(w: &mut impl Write, call: &Call) -> std::io::Result<()> {
    xdr::put_string(w, &call.cmd)?;
    xdr::put_u32(w, call.args.len() as u32)?;
    for a in &call.args {
        xdr::put_string(w, a)?;
    }
    xdr::put_u32(w, call.exit_on_error as u32)
}

fn read_call(r: &mut impl Read) -> std::io::Result<Call> {
    let cmd = xdr::get_string(r, MAX_STRING)?;
    let n = xdr::get_u32(r)?;
    if n > MAX_ARGS {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidData));
    }
    let mut args = Vec::new();
    for _ in 0..n {
        args.push(xdr::get_string(r, MAX_STRING)?);
    }
    let exit_on_error = match xdr::get_u32(r)? {
        0 => false,
        1 => true,
        _ => return Err(std::io::Error::from(std::io::ErrorKind::InvalidData)),
    };
    Ok(Call {
        cmd,
        args,
        exit_on_error,
    })
}

/// A message of one data byte with room for one descriptor, as both ends of the stdout
/// passing use it. The returned buffers must outlive every use of the header.
fn fd_message(byte: &mut [u8; 1], control: &mut Vec<u8>, iov: &mut libc::iovec) -> libc::msghdr {
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
    control.clear();
    control.resize(space, 0);
    *iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space;
    msg
}

fn cmsg_len() -> usize {
    // SAFETY: CMSG_LEN only computes a size.
    unsafe { libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize }
}

/// Sends our stdout descriptor over the socket (with the one data byte Linux needs).
fn send_stdout(sock: &UnixStream) -> std::io::Result<()> {
    let (mut byte, mut control) = ([0u8; 1], Vec::new());
    let mut iov = libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    };
    let msg = fd_message(&mut byte, &mut control, &mut iov);
    // SAFETY: the control buffer has room for one header and one descriptor; the pointers
    // stay valid during sendmsg.
    let r = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_len = cmsg_len();
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), 1);
        libc::sendmsg(sock.as_raw_fd(), &msg, 0)
    };
    if r != 1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Receives the client's stdout descriptor; the error is the message 1.48 gives.
fn receive_stdout(sock: &UnixStream) -> Result<OwnedFd, String> {
    let (mut byte, mut control) = ([0u8; 1], Vec::new());
    let mut iov = libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    };
    let mut msg = fd_message(&mut byte, &mut control, &mut iov);
    // SAFETY: recvmsg fills the buffers described by `msg`, which outlive the call.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(format!(
            "recvmsg stdout fd: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: CMSG_FIRSTHDR reads within the control buffer recvmsg filled.
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    if cmsg.is_null() {
        return Err("didn't receive a stdout file descriptor".to_string());
    }
    // SAFETY: cmsg points to a header inside `control`.
    let (len, level, ty) = unsafe { ((*cmsg).cmsg_len, (*cmsg).cmsg_level, (*cmsg).cmsg_type) };
    if len != cmsg_len() {
        return Err("cmsg_len != CMSG_LEN (sizeof (int))".to_string());
    }
    if level != libc::SOL_SOCKET {
        return Err("cmsg_level != SOL_SOCKET".to_string());
    }
    if ty != libc::SCM_RIGHTS {
        return Err("cmsg_type != SCM_RIGHTS".to_string());
    }
    // SAFETY: the kernel put one descriptor, now owned by this process, in the data.
    let fd = unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>()) };
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Makes `fd` our stdout.
fn set_stdout(fd: RawFd) {
    let _ = std::io::stdout().flush();
    // SAFETY: dup2 onto descriptor 1 of a descriptor we hold open.
    unsafe { libc::dup2(fd, 1) };
}

/// Client: sends one command to the server with PID `pid`; its result is the server's.
pub fn send_command(pid: i32, cmd: &str, args: &[Vec<u8>], exit_on_error: bool) -> CmdResult {
    // SAFETY: kill with signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == -1 {
        error("remote: looks like the server is not running");
        return Err(Failed);
    }
    let path = match socket_path(pid) {
        Ok(p) => p,
        Err(m) => {
            // 1.48 exits when the socket directory is unusable.
            error(&m);
            std::process::exit(1);
        }
    };
    let sock = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e) => {
            perror(&path.to_string_lossy(), &e);
            error("remote: looks like the server is not running");
            return Err(Failed);
        }
    };
    let _ = std::io::stdout().flush();
    if let Err(e) = send_stdout(&sock) {
        error(&format!(
            "sendmsg stdout fd: {}",
            guestfs::error::strerror(e.raw_os_error().unwrap_or(libc::EIO))
        ));
        std::process::exit(1);
    }
    let mut w = BufWriter::new(&sock);
    let call = Call {
        cmd: cmd.as_bytes().to_vec(),
        args: args.to_vec(),
        exit_on_error,
    };
    let sent = xdr::put_string(&mut w, VERSION.as_bytes())
        .and_then(|()| write_call(&mut w, &call))
        .and_then(|()| w.flush());
    if sent.is_err() {
        error("protocol error: could not send initial greeting to server");
        return Err(Failed);
    }
    drop(w);
    match xdr::get_u32(&mut &sock) {
        Ok(0) => Ok(()),
        Ok(_) => Err(Failed),
        Err(_) => {
            error("protocol error: could not decode reply from server");
            Err(Failed)
        }
    }
}

/// Server side, part one (before anything else is set up): forks. The parent waits until the
/// child is ready to serve, prints how to reach it and exits; the child returns a
/// [`Listener`] to finish with once its drives are launched and mounted.
pub fn fork_server(csh: bool) -> Result<Listener, Exit> {
    if let Err(m) = socket_dir() {
        error(&m);
        return Err(1);
    }
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two new descriptors, owned below.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        error(&format!("pipe: {}", std::io::Error::last_os_error()));
        return Err(1);
    }
    // SAFETY: the descriptors were just created.
    let (ready_r, ready_w) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let _ = std::io::stdout().flush();
    // SAFETY: guestfish forks before it starts any thread (nothing is launched yet), so the
    // child is a complete copy of the process.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        error(&format!("fork: {}", std::io::Error::last_os_error()));
        return Err(1);
    }
    if pid > 0 {
        drop(ready_w);
        let mut word = [0u8; 1];
        let ready = std::fs::File::from(ready_r).read(&mut word).unwrap_or(0) == 1;
        if !ready {
            let mut status = 0;
            // SAFETY: waits for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                1
            };
            return Err(code);
        }
        let line = if csh {
            format!("setenv GUESTFISH_PID {}\n", pid)
        } else {
            format!("GUESTFISH_PID={}; export GUESTFISH_PID\n", pid)
        };
        let _ = super::session::write_stdout(line.as_bytes());
        return Err(0);
    }
    drop(ready_r);
    Ok(Listener { ready: ready_w })
}

/// The server child, until it starts serving.
pub struct Listener {
    ready: OwnedFd,
}

impl Listener {
    /// Binds the socket, tells the parent, and serves until `quit` or a failing command sent
    /// with exit-on-error.
    pub fn serve(self, fish: &mut Fish) -> Result<(), Exit> {
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        let path = socket_path(pid).map_err(|m| {
            error(&m);
            1
        })?;
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).map_err(|e| {
            error(&format!(
                "bind: {}: {}",
                path.display(),
                guestfs::error::strerror(e.raw_os_error().unwrap_or(libc::EIO))
            ));
            1
        })?;
        let _ = std::fs::File::from(self.ready).write_all(b"1");
        let result = serve_loop(fish, &listener, &path, pid);
        let _ = std::fs::remove_file(&path);
        result
    }
}

fn serve_loop(
    fish: &mut Fish,
    listener: &UnixListener,
    path: &PathBuf,
    pid: i32,
) -> Result<(), Exit> {
    while !fish.quit {
        // While idle stdout is /dev/null, so that `eval "$(guestfish --listen)"` ends.
        if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
            set_stdout(null.as_raw_fd());
        }
        let conn = match listener.accept() {
            Ok((c, _)) => c,
            Err(e) => {
                perror("accept", &e);
                continue;
            }
        };
        match receive_stdout(&conn) {
            Ok(fd) => set_stdout(fd.as_raw_fd()),
            Err(m) => {
                error(&m);
                return Err(1);
            }
        }
        let mut reader = BufReader::new(&conn);
        match xdr::get_string(&mut reader, MAX_STRING) {
            Err(_) => {
                stderr_line("guestfish: protocol error: could not read ‘hello’ message");
                continue;
            }
            Ok(v) if v != VERSION.as_bytes() => {
                stderr_line(&format!(
                    "guestfish: protocol error: version mismatch, server version ‘{}’ does not match client version ‘{}’.  The two versions must match exactly.",
                    VERSION,
                    String::from_utf8_lossy(&v)
                ));
                continue;
            }
            Ok(_) => {}
        }
        while let Ok(call) = read_call(&mut reader) {
            let cmd = String::from_utf8_lossy(&call.cmd).into_owned();
            if fish.settings.verbose > 0 {
                let mut line = format!("guestfish({}): {}", pid, cmd);
                for a in &call.args {
                    line.push(' ');
                    line.push_str(&String::from_utf8_lossy(a));
                }
                stderr_line(&line);
            }
            let r = issue_command(fish, &cmd, &call.args, None, false);
            if fish.quit {
                // Closing the handle right away shuts the appliance down.
                fish.g = guestfs::Handle::new();
            }
            let code: i32 = if r.is_ok() { 0 } else { -1 };
            let _ = xdr::put_u32(&mut &conn, code as u32);
            if call.exit_on_error && r.is_err() {
                let _ = std::fs::remove_file(path);
                return Err(1);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdr_messages() {
        let mut buf = Vec::new();
        xdr::put_string(&mut buf, b"1.48.6").unwrap();
        assert_eq!(buf, b"\0\0\0\x061.48.6\0\0");
        let call = Call {
            cmd: b"echo".to_vec(),
            args: vec![b"a".to_vec(), b"".to_vec()],
            exit_on_error: true,
        };
        let mut buf = Vec::new();
        write_call(&mut buf, &call).unwrap();
        assert_eq!(
            buf,
            b"\0\0\0\x04echo\0\0\0\x02\0\0\0\x01a\0\0\0\0\0\0\0\0\0\0\x01"
        );
        let back = read_call(&mut &buf[..]).unwrap();
        assert_eq!(back.cmd, b"echo");
        assert_eq!(back.args, [b"a".to_vec(), Vec::new()]);
        assert!(back.exit_on_error);
        let mut huge = Vec::new();
        xdr::put_u32(&mut huge, u32::MAX).unwrap();
        assert!(xdr::get_string(&mut &huge[..], MAX_STRING).is_err());
    }

    #[test]
    fn stdout_passes_over_a_socket() {
        let (a, b) = UnixStream::pair().unwrap();
        send_stdout(&a).unwrap();
        let fd = receive_stdout(&b).unwrap();
        assert!(fd.as_raw_fd() > 2);
    }
}
