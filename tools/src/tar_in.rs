//! virt-tar-in: unpack a tarball into a virtual machine disk image (the guestfish `tar-in`
//! wrapper: `virt-tar-in -a disk.img TARBALL|- /DESTDIR [compress:…]`).

use crate::common::output::Record;
use crate::common::{fish, write, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::Command;
use guestfs::protocol::lossless;
use guestfs::TarInOpts;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-tar-in",
    description: "unpack a tarball into a virtual machine disk image",
    copyright: "Copyright (C) 2011 Red Hat Inc.",
    usage: &[
        "{prog} -a disk.img data.tar /destination",
        "zcat data.tar.gz | {prog} -a disk.img - /destination",
    ],
    tables: fish::TABLES,
    version: LIBGUESTFS_VERSION,
    features: &[
        "compress:gzip",
        "compress:bzip2",
        "compress:xz",
        "compress:lzop",
        "compress:compress",
        "json-progress-records",
    ],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/virt-tar-in.txt"),
    command,
    run,
};

fn command() -> Command {
    fish::command("virt-tar-in").about("unpack a tarball into a virtual machine disk image")
}

const USAGE: &str = "virt-tar-in: unpack a tarball into a virtual machine disk image\nUsage:\n  virt-tar-in -a disk.img data.tar /destination\n  zcat data.tar.gz | virt-tar-in -a disk.img - /destination\nOptional arguments after the destination: compress:gzip|bzip2|xz|lzop|compress xattrs:true selinux:true acls:true\n";

/// guestfish's `tar-in` optional arguments; Err names the word that is not one.
fn optional_arguments(words: &[String]) -> Result<TarInOpts, String> {
    let mut opts = TarInOpts::default();
    for word in words {
        let flag = |v: &str| crate::guestfish::parse_bool(v).ok_or_else(|| word.clone());
        match word.split_once(':') {
            Some(("compress", v)) => opts.compress = Some(v.to_string()),
            Some(("xattrs", v)) => opts.xattrs = Some(flag(v)?),
            Some(("selinux", v)) => opts.selinux = Some(flag(v)?),
            Some(("acls", v)) => opts.acls = Some(flag(v)?),
            _ => return Err(word.clone()),
        }
    }
    Ok(opts)
}

fn run(ctx: &mut Ctx) -> i32 {
    let usage = "tar-in (tarfile|-) directory [compress:..] [xattrs:true|false] [selinux:true|false] [acls:true|false]";
    if let Err(code) = fish::check_command(ctx, fish::Access::ReadWrite, USAGE, "tar-in", usage, 2)
    {
        return code;
    }
    let tarfile = ctx.operands[0].clone();
    let directory = ctx.operands[1].clone();
    let opts = match optional_arguments(&ctx.operands[2..]) {
        Ok(opts) => opts,
        Err(extra) => {
            eprintln!("{}: error: {}: unknown optional argument", ctx.prog, extra);
            return 1;
        }
    };
    let mut g = match fish::launch_for_writing(ctx) {
        Ok(g) => g,
        Err(code) => return code,
    };
    // A tarball that cannot be opened, or a destination that is not a directory: tar_in
    // fails with its own message on the read-only mount, where it cannot have written
    // anything.
    let local = (tarfile != "-").then(|| std::fs::File::open(lossless::os_str_of(&tarfile)));
    let is_dir = g.is_dir(&directory, Default::default()).unwrap_or(false);
    let result = match local {
        Some(Ok(_)) | None if is_dir && write::remount_read_write(&mut g).is_err() => return 1,
        Some(Ok(file)) => {
            let size = file.metadata().map_or(0, |m| m.len());
            let mut file = g.progress_reader(file, size);
            g.tar_in_from(&mut file, &directory, opts)
        }
        Some(Err(_)) => g.tar_in(&tarfile, &directory, opts),
        None => {
            let mut stdin = g.progress_reader(std::io::stdin().lock(), 0);
            g.tar_in_from(&mut stdin, &directory, opts)
        }
    };
    if result.is_err() {
        return 1;
    }
    ctx.record(
        Record::new("unpacked")
            .field("tarfile", tarfile)
            .field("directory", directory),
    );
    match write::finish(g) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_arguments_are_guestfish_s() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let opts = optional_arguments(&words(&["compress:xz", "xattrs:yes", "acls:0"])).unwrap();
        assert_eq!(opts.compress.as_deref(), Some("xz"));
        assert_eq!(opts.xattrs, Some(true));
        assert_eq!(opts.acls, Some(false));
        assert_eq!(opts.selinux, None);
        assert_eq!(
            optional_arguments(&words(&["xattrs:maybe"])).unwrap_err(),
            "xattrs:maybe"
        );
        assert!(optional_arguments(&words(&["nosuch:1"])).is_err());
    }
}
