//! virt-tail: follow (tail) files in a virtual machine.

use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::Handle;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-tail",
    description: "follow (tail) files in a virtual machine",
    copyright: "Copyright (C) 2016 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname file [file ...]",
        "{prog} [--options] -a disk.img [-a disk.img ...] file [file ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:fm:vVx",
        long: &[
            "add",
            "blocksize",
            "connect",
            "domain",
            "echo-keys",
            "follow",
            "format",
            "help",
            "key",
            "keys-from-stdin",
            "long-options",
            "mount",
            "short-options",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["json-tail-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-tail.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-tail")
        .about(SPEC.description)
        .args(args::leading())
        .arg(
            Arg::new("follow")
                .short('f')
                .long("follow")
                .action(ArgAction::SetTrue)
                .help("Ignored for compatibility with tail"),
        )
        .args(args::format_help_keys())
        .arg(args::mount())
        .args(args::trailing())
        .arg(args::inspector())
        .arg(Arg::new("files").num_args(0..))
        .args(args::added())
}

/// Seconds between polls of the image, as 1.48 waits in practice.
const POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Growth above which only the last lines are shown.
const MAX_GROWTH: i64 = 10000;
/// How many lines a `tail` shows.
const TAIL_LINES: usize = 10;

static QUIT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    QUIT.store(true, Ordering::SeqCst);
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    mtime: i64,
    size: i64,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn run(ctx: &mut Ctx) -> i32 {
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    if ctx.operands.is_empty() {
        eprintln!("{}: error: missing filenames on command line.\nPlease specify at least one file to follow.", ctx.prog);
        return ctx.try_help();
    }
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGQUIT, on_signal as *const () as libc::sighandler_t);
    }
    let files = ctx.operands.clone();
    let mut seen = vec![Seen::default(); files.len()];
    let mut last_shown: Option<usize> = None;
    let mut first_round = true;
    let mut out = std::io::stdout();
    while !QUIT.load(Ordering::SeqCst) {
        let mut g = match ctx.launch(true) {
            Ok(g) => g,
            Err(code) => return code,
        };
        let windows = match ctx.mount_guest(&mut g, true) {
            Ok(w) => w,
            Err(code) => return code,
        };
        let mut found = 0;
        for (i, file) in files.iter().enumerate() {
            let path = match &windows {
                Some(w) => match w.rewrite_path(ctx, &mut g, file, true) {
                    Ok(p) => p,
                    Err(code) => return code,
                },
                None => file.clone(),
            };
            g.push_error_handler_quiet();
            let st = g.statns(&path);
            g.pop_error_handler();
            let current = match st {
                Ok(st) => {
                    found += 1;
                    Seen {
                        mtime: st.st_mtime_sec,
                        size: st.st_size,
                    }
                }
                Err(e) if e.errno == libc::ENOENT => Seen {
                    mtime: now(),
                    size: 0,
                },
                Err(e) => {
                    eprintln!("{}: {}: {}", ctx.prog, file, e.message);
                    return 1;
                }
            };
            let prev = seen[i];
            if current == prev {
                continue;
            }
            if last_shown != Some(i) {
                let _ = write!(out, "\n\n--- {} ---\n\n", file);
                last_shown = Some(i);
            }
            let text = if current.size > prev.size && current.size - prev.size <= MAX_GROWTH {
                g.pread(&path, (current.size - prev.size) as i32, prev.size)
                    .unwrap_or_default()
            } else {
                tail_lines(&mut g, &path, current.size)
            };
            let _ = out.write_all(&text);
            let _ = out.flush();
            ctx.record(
                Record::new("tail")
                    .field("path", file.as_str())
                    .field("size", current.size)
                    .field("bytes", text.len() as u64),
            );
            seen[i] = current;
        }
        if found == 0 {
            if first_round {
                return ctx.error("none of the files were found in the disk image");
            }
            println!("{}: all files deleted, exiting", ctx.prog);
            return 0;
        }
        first_round = false;
        drop(g);
        let mut waited = Duration::ZERO;
        while waited < POLL_INTERVAL && !QUIT.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
            waited += Duration::from_millis(200);
        }
    }
    0
}

/// The last ten lines of a file, each ending in a newline.
fn tail_lines(g: &mut Handle, path: &str, size: i64) -> Vec<u8> {
    const CHUNK: i64 = 64 * 1024;
    let mut data: Vec<u8> = Vec::new();
    let mut start = size;
    // Read backwards until the buffer holds more than ten line ends (or the whole file).
    while start > 0 && data.iter().filter(|&&b| b == b'\n').count() <= TAIL_LINES {
        let from = (start - CHUNK).max(0);
        let chunk = g
            .pread(path, (start - from) as i32, from)
            .unwrap_or_default();
        if chunk.is_empty() {
            break;
        }
        let mut joined = chunk;
        joined.extend_from_slice(&data);
        data = joined;
        start = from;
    }
    let body = data.strip_suffix(b"\n").unwrap_or(&data);
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let keep = &lines[lines.len().saturating_sub(TAIL_LINES)..];
    let mut out = Vec::new();
    if body.is_empty() {
        return out;
    }
    for l in keep {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}
