//! What virt-make-fs is given, found out as 1.48 finds it: a directory, whose size is what
//! `du --apparent-size -b -s` counts, or a file that `file -bsLz` calls a tar archive, plain
//! (its size is the file's) or compressed by compress, gzip, bzip2 or xz (its size is what the
//! decompressor writes); and the tar stream of it that tar_in unpacks. 1.48 runs these
//! programs, and so does this module: their answers, and their messages when they fail, are
//! part of what the tool prints.

use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

/// What the input is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Directory,
    Tar,
    /// A tar archive compressed with what the program of this name undoes.
    CompressedTar(&'static Decompressor),
}

/// A decompressor 1.48 runs: the words of `file`'s description that call for it, and its
/// command line (the input file follows).
#[derive(Debug, PartialEq, Eq)]
pub struct Decompressor {
    pub description: &'static str,
    pub program: &'static str,
    pub args: &'static [&'static str],
}

/// In 1.48's order of testing `file`'s description.
static DECOMPRESSORS: &[Decompressor] = &[
    Decompressor {
        description: "compress'd",
        program: "uncompress",
        args: &["-c"],
    },
    Decompressor {
        description: "gzip compressed",
        program: "gzip",
        args: &["-cd"],
    },
    Decompressor {
        description: "bzip2 compressed",
        program: "bzip2",
        args: &["-cd"],
    },
    Decompressor {
        description: "xz compressed",
        program: "xz",
        args: &["-cd"],
    },
];

/// The input, identified and measured.
#[derive(Debug)]
pub struct Input {
    pub kind: Kind,
    /// `directory`, or `file`'s description of the file (1.48's "input format").
    pub description: String,
    /// The bytes of what goes into the filesystem, before 1.48's allowances for overhead.
    pub size: u64,
}

/// Why the input cannot be used, worded as 1.48 words it.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// A system call failed: C's `perror(what)` (no program name).
    Os { what: String, errno: i32 },
    /// A program could not be started: the child's `perror("execvp")`, then 1.48's message
    /// that the command failed.
    NotStarted { program: String, errno: i32 },
    /// A message of the tool's own (after `PROG: `).
    Tool(String),
}

impl Error {
    /// The lines 1.48 prints, without their newlines.
    pub fn lines(&self, prog: &str) -> Vec<String> {
        match self {
            Error::Os { what, errno } => {
                vec![format!("{}: {}", what, guestfs::error::strerror(*errno))]
            }
            Error::NotStarted { program, errno } => vec![
                format!("execvp: {}", guestfs::error::strerror(*errno)),
                format!("{}: {} command failed", prog, program),
            ],
            Error::Tool(msg) => vec![format!("{}: {}", prog, msg)],
        }
    }
}

fn os_error(what: &str, e: &std::io::Error) -> Error {
    Error::Os {
        what: what.to_string(),
        errno: e.raw_os_error().unwrap_or(libc::EIO),
    }
}

fn command_failed(program: &str) -> Error {
    Error::Tool(format!("{} command failed", program))
}

/// Runs `program args… input` and returns its standard output; its standard error is the
/// tool's.
fn output_of(program: &str, args: &[&str], input: &Path) -> Result<Vec<u8>, Error> {
    let out = Command::new(program)
        .args(args)
        .arg(input)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| not_started(program, &e))?;
    if !out.status.success() {
        return Err(command_failed(program));
    }
    Ok(out.stdout)
}

fn not_started(program: &str, e: &std::io::Error) -> Error {
    Error::NotStarted {
        program: program.to_string(),
        errno: e.raw_os_error().unwrap_or(libc::ENOENT),
    }
}

/// The first line of a program's output as C's `fgets` into 256 bytes reads it (with its
/// newline, if it fits).
fn first_line(output: &[u8]) -> Option<String> {
    if output.is_empty() {
        return None;
    }
    let end = output
        .iter()
        .position(|&c| c == b'\n')
        .map_or(output.len(), |i| i + 1)
        .min(255);
    Some(String::from_utf8_lossy(&output[..end]).into_owned())
}

/// `sscanf(line, "%" SCNu64)`: the decimal number at the start of the line.
fn leading_number(line: &str) -> Option<u64> {
    let digits: String = line
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Finds out what `input` is and how big its contents are.
pub fn identify(input: &Path) -> Result<Input, Error> {
    let meta = std::fs::metadata(input).map_err(|e| os_error(&input.to_string_lossy(), &e))?;
    if meta.is_dir() {
        let out = output_of("du", &["--apparent-size", "-b", "-s"], input)?;
        let line = first_line(&out).ok_or_else(|| Error::Os {
            what: "fgets".into(),
            errno: 0,
        })?;
        let size = leading_number(&line).ok_or_else(|| {
            Error::Tool(format!("cannot parse the output of ‘du’ command: {}", line))
        })?;
        return Ok(Input {
            kind: Kind::Directory,
            description: "directory".into(),
            size,
        });
    }
    let out = output_of("file", &["-bsLz"], input)?;
    let mut description = first_line(&out).ok_or_else(|| Error::Os {
        what: "fgets".into(),
        errno: 0,
    })?;
    if description.ends_with('\n') {
        description.pop();
    }
    if !description.contains("tar archive") {
        return Err(Error::Tool(format!(
            "{}: input is not a directory, tar archive or compressed tar archive",
            input.to_string_lossy()
        )));
    }
    if !description.contains("compress") {
        // A plain tar file: its size (tar's 512-byte blocks make this a rough estimate).
        return Ok(Input {
            kind: Kind::Tar,
            description,
            size: meta.len(),
        });
    }
    let decompressor = DECOMPRESSORS
        .iter()
        .find(|d| description.contains(d.description))
        .ok_or_else(|| {
            Error::Tool(format!(
                "{}: unknown compressed input format ({})",
                input.to_string_lossy(),
                description
            ))
        })?;
    let size = uncompressed_size(decompressor, input)?;
    Ok(Input {
        kind: Kind::CompressedTar(decompressor),
        description,
        size,
    })
}

/// The bytes the decompressor writes, counted as they go by.
fn uncompressed_size(d: &Decompressor, input: &Path) -> Result<u64, Error> {
    let mut child = spawn(d.program, d.args, input)?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let counted = std::io::copy(&mut stdout, &mut std::io::sink());
    let status = child.wait().map_err(|e| os_error("waitpid", &e))?;
    let size = counted.map_err(|e| os_error("read", &e))?;
    if !status.success() {
        return Err(command_failed(d.program));
    }
    Ok(size)
}

fn spawn(program: &str, args: &[&str], input: &Path) -> Result<Child, Error> {
    Command::new(program)
        .args(args)
        .arg(input)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| not_started(program, &e))
}

/// The tar stream of the input: the file itself, or the output of the program that makes it
/// (`tar -C DIR -cf - .`, or the decompressor), which [`Stream::finish`] waits for.
pub enum Stream {
    File(std::fs::File),
    Program(Child, ChildStdout),
}

impl Stream {
    pub fn open(input: &Path, kind: &Kind) -> Result<Stream, Error> {
        let mut child = match kind {
            Kind::Tar => {
                return std::fs::File::open(input)
                    .map(Stream::File)
                    .map_err(|e| os_error(&input.to_string_lossy(), &e))
            }
            Kind::Directory => Command::new("tar")
                .arg("-C")
                .arg(input)
                .args(["-cf", "-", "."])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| not_started("tar", &e))?,
            Kind::CompressedTar(d) => spawn(d.program, d.args, input)?,
        };
        let stdout = child.stdout.take().expect("stdout is piped");
        Ok(Stream::Program(child, stdout))
    }

    /// Its size when known in advance (a plain tar file), for the progress bar.
    pub fn len(&self) -> u64 {
        match self {
            Stream::File(f) => f.metadata().map_or(0, |m| m.len()),
            Stream::Program(..) => 0,
        }
    }

    /// Waits for the program that made the stream: Err when it failed (1.48: "subprocess
    /// failed").
    pub fn finish(self) -> Result<(), Error> {
        match self {
            Stream::File(_) => Ok(()),
            Stream::Program(mut child, stdout) => {
                drop(stdout);
                let status = child.wait().map_err(|e| os_error("waitpid", &e))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(Error::Tool("subprocess failed".into()))
                }
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::File(f) => f.read(buf),
            Stream::Program(_, out) => out.read(buf),
        }
    }
}
