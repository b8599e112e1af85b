//! virt-tar-out: archive a directory of a virtual machine as tar (the guestfish `tar-out`
//! wrapper: `virt-tar-out -a disk.img /dir FILE.tar|-`).

use crate::common::counting::CountingWriter;
use crate::common::output::Record;
use crate::common::{fish, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::Command;
use guestfs::protocol::lossless;
use guestfs::TarOutOpts;
use std::io::Write;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-tar-out",
    description: "archive a directory of a virtual machine as tar",
    copyright: "Copyright (C) 2011 Red Hat Inc.",
    usage: &[
        "{prog} -a disk.img /dir files.tar",
        "{prog} -a disk.img /dir - | gzip > files.tar.gz",
    ],
    tables: fish::TABLES,
    version: LIBGUESTFS_VERSION,
    features: &["gzip", "json-progress-records", "json-archive-records"],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-tar-out.txt"),
    command,
    run,
};

fn command() -> Command {
    fish::command("virt-tar-out").about("archive a directory of a virtual machine as tar")
}

const USAGE: &str = "virt-tar-out: archive a directory of a virtual machine as tar\nUsage:\n  virt-tar-out -a disk.img /dir files.tar\n  virt-tar-out -a disk.img /dir - | gzip > files.tar.gz\nOptional arguments after the file: compress:gzip numericowner:true excludes:'PATTERN …'\n";

/// guestfish's `tar-out` optional arguments (`excludes` is a guestfish string list: blanks
/// separate the patterns, single quotes group); Err names the word that is not one.
fn optional_arguments(words: &[String]) -> Result<TarOutOpts, String> {
    let mut opts = TarOutOpts::default();
    for extra in words {
        match extra.split_once(':') {
            Some(("compress", v)) => opts.compress = Some(v.to_string()),
            Some(("numericowner", v)) => opts.numericowner = Some(v == "true" || v == "1"),
            Some(("excludes", v)) => {
                opts.excludes = Some(crate::guestfish::string_list(v).ok_or_else(|| extra.clone())?)
            }
            _ => return Err(extra.clone()),
        }
    }
    Ok(opts)
}

fn run(ctx: &mut Ctx) -> i32 {
    let usage = "tar-out directory tarfile [compress:..] [numericowner:true|false] [excludes:..]";
    if let Err(code) = fish::check_command(ctx, fish::Access::ReadOnly, USAGE, "tar-out", usage, 2)
    {
        return code;
    }
    let directory = ctx.operands[0].clone();
    let tarfile = ctx.operands[1].clone();
    let opts = match optional_arguments(&ctx.operands[2..]) {
        Ok(opts) => opts,
        Err(extra) => {
            eprintln!("{}: error: {}: unknown optional argument", ctx.prog, extra);
            return 1;
        }
    };
    let mut g = match fish::launch_and_mount(ctx) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let result = if tarfile == "-" {
        let stdout = std::io::stdout();
        let mut out =
            CountingWriter::new(std::io::BufWriter::with_capacity(1 << 20, stdout.lock()));
        let r = g.tar_out_to(&directory, &mut out, opts.clone());
        r.and_then(|_| out.flush().map_err(guestfs::Error::from))
            .map(|_| out.count)
    } else {
        let file = match std::fs::File::create(lossless::os_str_of(&tarfile)) {
            Ok(f) => f,
            Err(e) => {
                // 1.48's library opens the file for the tar_out call itself.
                fish::report_library_error(&format!(
                    "{}: {}",
                    tarfile,
                    crate::common::os_error(&e)
                ));
                return 1;
            }
        };
        let mut out = CountingWriter::new(std::io::BufWriter::with_capacity(1 << 20, file));
        let r = g.tar_out_to(&directory, &mut out, opts.clone());
        r.and_then(|_| out.flush().map_err(guestfs::Error::from))
            .map(|_| out.count)
    };
    match result {
        Ok(size) => {
            ctx.record(
                Record::new("archive")
                    .field("directory", directory)
                    .field("tarfile", tarfile)
                    .field("size", size),
            );
            0
        }
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_are_a_guestfish_string_list() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let opts = optional_arguments(&words(&["excludes:a b/* 'c d,e'"])).unwrap();
        assert_eq!(opts.excludes.unwrap(), ["a", "b/*", "c d,e"]);
        let opts = optional_arguments(&words(&["numericowner:true", "compress:gzip"])).unwrap();
        assert_eq!(opts.numericowner, Some(true));
        assert_eq!(opts.compress.as_deref(), Some("gzip"));
        assert!(optional_arguments(&words(&["nosuch:1"])).is_err());
    }
}
