//! virt-log: display log files in a virtual machine.

use crate::common::output::Record;
use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, GUESTFS_TOOLS_VERSION};
use clap::{Arg, Command};
use guestfs::Handle;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-log",
    description: "display log files in a virtual machine",
    copyright: "Copyright (C) 2010-2020 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname",
        "{prog} [--options] -a disk.img [-a disk.img ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:vVx",
        long: &[
            "add",
            "blocksize",
            "connect",
            "domain",
            "echo-keys",
            "format",
            "help",
            "key",
            "keys-from-stdin",
            "long-options",
            "short-options",
            "verbose",
            "version",
        ],
    },
    version: GUESTFS_TOOLS_VERSION,
    features: &["journal", "json-log-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-log.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("virt-log")
        .about(SPEC.description)
        .args(args::leading())
        .args(args::format_help_keys())
        .args(args::trailing())
        .arg(Arg::new("extra-args").num_args(0..))
        .args(args::added())
}

const JOURNAL_DIR: &str = "/var/log/journal";

fn run(ctx: &mut Ctx) -> i32 {
    if let Some(extra) = ctx.operands.first().cloned() {
        return ctx.extra_argument(&extra, "--format");
    }
    if let Err(code) = ctx.require_drives() {
        return code;
    }
    let mut g = match ctx.launch(true) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let root = match ctx.inspect_and_mount(&mut g, true) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = (|| -> Result<(), i32> {
        let os_type = g.inspect_get_type(&root).map_err(|_| 1)?;
        if os_type == "windows" {
            if g.inspect_get_major_version(&root).map_err(|_| 1)? >= 6 {
                return windows_evtx(ctx, &mut g);
            }
            eprintln!(
                "{}: Windows Event Log for pre-Vista guests is not supported.",
                ctx.prog
            );
            return Err(1);
        }
        g.push_error_handler_quiet();
        let journal_files = g.ls(JOURNAL_DIR).unwrap_or_default();
        g.pop_error_handler();
        if os_type == "linux" && !journal_files.is_empty() {
            return journal(ctx, &mut g);
        }
        for log in ["/var/log/syslog", "/var/log/messages"] {
            if g.is_file(
                log,
                guestfs::IsFileOpts {
                    followsymlinks: Some(true),
                },
            )
            .unwrap_or(false)
            {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                g.download_to(log, &mut out).map_err(|_| 1)?;
                let _ = out.flush();
                ctx.record(Record::new("logfile").field("path", log));
                return Ok(());
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// The systemd journal, one line per entry like `journalctl`'s short format.
fn journal(ctx: &Ctx, g: &mut Handle) -> Result<(), i32> {
    g.journal_open(JOURNAL_DIR).map_err(|_| 1)?;
    let mut out = ctx.human_out();
    loop {
        match g.journal_next() {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(1),
        }
        let fields: Vec<(String, Vec<u8>)> = g
            .journal_get()
            .map_err(|_| 1)?
            .into_iter()
            .map(|x| (x.attrname, x.attrval))
            .collect();
        let usec = g.journal_get_realtime_usec().map_err(|_| 1)?;
        // Bytes, not text: journal messages need not be UTF-8 and are printed as they are.
        if let Some(line) = crate::common::journal_line::format_short_bytes(&fields, usec) {
            let _ = out.write_all(&line);
            let _ = out.write_all(b"\n");
        }
        if ctx.machine_readable() {
            let mut r = Record::new("journal").field("realtime_usec", usec);
            for (k, v) in &fields {
                r = r.field(k, String::from_utf8_lossy(v).into_owned());
            }
            ctx.record(r);
        }
    }
    let _ = out.flush();
    let _ = g.journal_close();
    Ok(())
}

/// Windows Vista and later: the System event log, converted by `evtxdump.py` as 1.48 does.
fn windows_evtx(ctx: &Ctx, g: &mut Handle) -> Result<(), i32> {
    let have_tool = std::process::Command::new("sh")
        .arg("-c")
        .arg("command -v evtxdump.py >/dev/null")
        .status()
        .is_ok_and(|s| s.success());
    if !have_tool {
        eprintln!(
            "{}: you need to install ‘evtxdump.py’ (from the python-evtx package)\nin order to parse Windows Event Logs.  If you cannot install this, then\nuse virt-copy-out(1) to copy the contents of /Windows/System32/winevt/Logs\nfrom this guest, and examine in a binary file viewer.",
            ctx.prog
        );
        return Err(1);
    }
    let path = "/Windows/System32/winevt/Logs/System.evtx";
    let real = g.case_sensitive_path(path).map_err(|_| 1)?;
    if !g
        .is_file(
            &real,
            guestfs::IsFileOpts {
                followsymlinks: Some(true),
            },
        )
        .unwrap_or(false)
    {
        eprintln!("{}: Windows Event Log file ({}) not found", ctx.prog, path);
        return Err(1);
    }
    let tmp = std::env::temp_dir().join(format!("virt-log-{}.evtx", std::process::id()));
    let result = (|| -> Result<(), i32> {
        let mut f = std::fs::File::create(&tmp).map_err(|e| {
            ctx.error(&format!(
                "{}: {}",
                tmp.display(),
                crate::common::os_error(&e)
            ))
        })?;
        g.download_to(&real, &mut f).map_err(|_| 1)?;
        let status = std::process::Command::new("evtxdump.py")
            .arg(&tmp)
            .status()
            .map_err(|_| 1)?;
        if status.success() {
            Ok(())
        } else {
            Err(1)
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}
