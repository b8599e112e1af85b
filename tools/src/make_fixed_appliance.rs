//! libguestfs-make-fixed-appliance: writes a fixed appliance (`kernel`, `initrd`, `root`,
//! `README.fixed`) that `LIBGUESTFS_PATH` points libguestfs at — this project's library or
//! libguestfs 1.48 itself, whose direct backend then boots this project's daemon. With `--xz`
//! the four files go into `appliance-VERSION.tar.xz` in the current directory instead.

use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::backend::appliance::builder;
use std::path::Path;

pub static SPEC: ToolSpec = ToolSpec {
    name: "libguestfs-make-fixed-appliance",
    description: "make libguestfs fixed appliance",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &["{prog} [--options] OUTPUTDIR", "{prog} [--options] --xz"],
    tables: GetoptTables {
        short: "V",
        long: &["help", "version", "xz"],
    },
    version: LIBGUESTFS_VERSION,
    features: &[],
    perl_style: false,
    help_text: None,
    man: include_str!("../../man/src/libguestfs-make-fixed-appliance.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("libguestfs-make-fixed-appliance")
        .about("make libguestfs fixed appliance")
        // Its own id, so that this tool prints 1.48's usage text itself.
        .arg(
            Arg::new("usage")
                .long("help")
                .action(ArgAction::SetTrue)
                .help("Display brief help"),
        )
        .arg(args::version())
        .arg(
            Arg::new("xz")
                .long("xz")
                .action(ArgAction::SetTrue)
                .help("Write appliance-VERSION.tar.xz in the current directory"),
        )
        .arg(Arg::new("outputdir").action(ArgAction::Append).hide(true))
}

/// 1.48's usage text (on stdout, as its script prints it).
fn usage(prog: &str) -> String {
    format!(
        "Usage:\n  {p} [--options] OUTPUTDIR\n  {p} [--options] --xz\n\nRead {p}(1) man page for more information.\n",
        p = prog
    )
}

fn run(ctx: &mut Ctx) -> i32 {
    if ctx.flag("usage") {
        print!("{}", usage(&ctx.prog));
        return 0;
    }
    let dirs = ctx.values("outputdir");
    let xz = ctx.flag("xz");
    let problem = match (xz, dirs.len()) {
        (true, 0) | (false, 1) => None,
        (true, _) => Some("extra parameters on the command line"),
        (false, _) => Some("missing output directory"),
    };
    if let Some(p) = problem {
        print!("error: {}: {}\n\n{}", ctx.prog, p, usage(&ctx.prog));
        return 1;
    }
    let inputs = match builder::Inputs::gather(&builder::find_daemon()) {
        Ok(i) => i,
        Err(e) => return ctx.error(&e.0),
    };
    if !xz {
        return match builder::write_fixed(&inputs, Path::new(&dirs[0])) {
            Ok(_) => 0,
            Err(e) => ctx.error(&e.0),
        };
    }
    let tmp = std::env::temp_dir().join(format!("make-fixed-appliance-{}", std::process::id()));
    let result = builder::write_fixed(&inputs, &tmp.join("appliance"))
        .map_err(|e| e.0)
        .and_then(|_| tar_xz(&tmp, &format!("appliance-{}.tar.xz", LIBGUESTFS_VERSION)));
    let _ = std::fs::remove_dir_all(&tmp);
    match result {
        Ok(()) => 0,
        Err(e) => ctx.error(&e),
    }
}

/// `tar -C DIR -S -cf - appliance | xz --best > OUT` (the `vmlinux` alias is left out: the
/// tarball holds exactly the four files of a fixed appliance).
fn tar_xz(dir: &Path, out: &str) -> Result<(), String> {
    let _ = std::fs::remove_file(dir.join("appliance/vmlinux"));
    let script = "tar -C \"$1\" -S -cf - appliance | xz --best > \"$2\"";
    let st = std::process::Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(dir)
        .arg(out)
        .status()
        .map_err(|e| format!("sh: {}", e))?;
    if st.success() {
        Ok(())
    } else {
        let _ = std::fs::remove_file(out);
        Err(format!("{}: tar or xz failed ({})", out, st))
    }
}
