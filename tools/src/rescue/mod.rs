//! virt-rescue: a shell inside the appliance, on the guest's disks. The appliance runs it on
//! its serial console (`guestfs_rescue=1`, see the daemon's `rescue` module); this tool sets
//! the appliance up, mounts what `-i`/`-m` ask for, and relays the console to the user.

mod escape;
mod relay;
mod suggest;

use crate::common::args::{flag, value};
use crate::common::c_numbers::scan_i32;
use crate::common::{args, getopt::GetoptTables, Ctx, MountSpec, ToolSpec};
use crate::common::{tools_config, LIBGUESTFS_VERSION};
use clap::{Arg, Command};
use escape::{Escapes, Sequence};
use guestfs::Handle;
use std::os::fd::BorrowedFd;

pub static SPEC: ToolSpec = ToolSpec {
    name: "virt-rescue",
    description: "Run a rescue shell on a virtual machine",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &[
        "{prog} [--options] -d domname",
        "{prog} [--options] -a disk.img [-a disk.img ...]",
    ],
    tables: GetoptTables {
        short: "a:c:d:e:im:rvVwx",
        long: &[
            "add",
            "append",
            "blocksize",
            "connect",
            "domain",
            "format",
            "help",
            "inspector",
            "long-options",
            "mount",
            "memsize",
            "network",
            "ro",
            "rw",
            "scratch",
            "selinux",
            "short-options",
            "smp",
            "suggest",
            "verbose",
            "version",
        ],
    },
    version: LIBGUESTFS_VERSION,
    features: &[],
    perl_style: false,
    help_text: Some(HELP),
    man: include_str!("../../../man/src/virt-rescue.txt"),
    command,
    run,
};

/// 1.48's hand-written `--help`.
const HELP: &str = "{prog}: Run a rescue shell on a virtual machine
Copyright (C) 2009-2020 Red Hat Inc.
Usage:
  {prog} [--options] -d domname
  {prog} [--options] -a disk.img [-a disk.img ...]
Options:
  -a|--add image       Add image
  --append kernelopts  Append kernel options
  --blocksize[=512|4096]
                       Set sector size of the disk for -a option
  -c|--connect uri     Specify libvirt URI for -d option
  -d|--domain guest    Add disks from libvirt guest
  -e ^x|none           Set or disable escape key (default ^])
  --format[=raw|..]    Force disk format for -a option
  --help               Display brief help
  -i|--inspector       Automatically mount filesystems
  -m|--mount dev[:mnt[:opts[:fstype]] Mount dev on mnt (if omitted, /)
  --memsize MB         Set memory size in megabytes
  --network            Enable network
  -r|--ro              Access read-only
  --scratch[=N]        Add scratch disk(s)
  --selinux            For backwards compat only, does nothing
  --smp N              Enable SMP with N >= 2 virtual CPUs
  -v|--verbose         Verbose messages
  -V|--version         Display version and exit
  -w|--rw              Mount read-write
  -x                   Trace libguestfs API calls
  --machine-readable[=format]
                       Make output machine readable
For more information, see the manpage {prog}(1).
";

/// The size of each `--scratch` disk (1.48's: 10 GiB, sparse).
const SCRATCH_SIZE: i64 = 10 << 30;

fn command() -> Command {
    Command::new("virt-rescue")
        .about(SPEC.description)
        .arg(args::add())
        .arg(value("append", "kernelopts").long("append"))
        .arg(args::blocksize())
        .arg(args::connect())
        .arg(args::domain())
        .arg(value("escape", "^x|none").short('e'))
        .arg(args::format())
        .arg(args::help())
        .arg(flag("inspector").short('i').long("inspector"))
        .arg(args::mount())
        .arg(value("memsize", "MB").long("memsize"))
        .arg(flag("network").long("network"))
        .arg(flag("ro").short('r').long("ro"))
        .arg(flag("rw").short('w').long("rw"))
        .arg(
            value("scratch", "N")
                .long("scratch")
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value(""),
        )
        .arg(flag("selinux").long("selinux"))
        .arg(value("smp", "N").long("smp"))
        .arg(flag("suggest").long("suggest"))
        .args(args::trailing())
        .arg(Arg::new("operands").num_args(0..).value_name("disk"))
        .args(args::added())
}

/// What the options ask of the appliance.
struct Setup {
    escape: u8,
    memsize: Option<i32>,
    smp: Option<i32>,
    /// `--scratch` disks, each with the position of its option among the drive options.
    scratch: Vec<usize>,
    read_only: bool,
}

/// Where an option was given on the command line (flags have a default that is not).
fn given_at(ctx: &Ctx, id: &str) -> Vec<usize> {
    if ctx.matches.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
        return Vec::new();
    }
    ctx.matches
        .indices_of(id)
        .map(|i| i.collect())
        .unwrap_or_default()
}

/// The options 1.48 checks as it reads them, in its order and wording.
fn read_options(ctx: &mut Ctx) -> Result<Setup, i32> {
    let escape = match ctx.value("escape") {
        None => escape::DEFAULT,
        Some(e) => {
            escape::parse(&e).ok_or_else(|| ctx.fail(&format!("unrecognized escape key: {}", e)))?
        }
    };
    let smp = match ctx.value("smp") {
        None => None,
        Some(s) => match scan_i32(&s) {
            None => return Err(ctx.fail(&format!("could not parse --smp parameter ‘{}’", s))),
            Some(n) if n < 1 => {
                return Err(ctx.fail(&format!("--smp parameter ‘{}’ should be >= 1", s)))
            }
            Some(n) => Some(n),
        },
    };
    let mut scratch = Vec::new();
    for (v, at) in ctx.values("scratch").iter().zip(given_at(ctx, "scratch")) {
        let n = if v.is_empty() {
            1
        } else {
            match scan_i32(v) {
                None => {
                    return Err(ctx.fail(&format!("could not parse --scratch parameter ‘{}’", v)))
                }
                Some(n) if n < 1 => {
                    return Err(ctx.fail(&format!("--scratch parameter ‘{}’ should be >= 1", v)))
                }
                Some(n) => n,
            }
        };
        scratch.extend(std::iter::repeat_n(at, n as usize));
    }
    // `-m NUMBER` is `--memsize` (virt-rescue ≤ 1.36); the last of either wins.
    let mut memsizes: Vec<(usize, String)> = ctx
        .values("memsize")
        .into_iter()
        .zip(given_at(ctx, "memsize"))
        .map(|(v, at)| (at, v))
        .collect();
    let mut mounts = Vec::new();
    for (v, at) in ctx.values("mount").into_iter().zip(given_at(ctx, "mount")) {
        match scan_i32(&v) {
            Some(_) => memsizes.push((at, v)),
            None => mounts.push(MountSpec::parse(&v)),
        }
    }
    memsizes.sort();
    let mut memsize = None;
    for (_, v) in memsizes {
        memsize = Some(
            scan_i32(&v)
                .ok_or_else(|| ctx.fail(&format!("could not parse memory size ‘{}’", v)))?,
        );
    }
    let config_read_only = tools_config::read_only(false).map_err(|m| ctx.fail(&m))?;
    let mut read_only = config_read_only;
    let mut switches: Vec<(usize, bool)> = given_at(ctx, "ro")
        .into_iter()
        .map(|at| (at, true))
        .chain(given_at(ctx, "rw").into_iter().map(|at| (at, false)))
        .collect();
    switches.sort();
    for (_, ro) in switches {
        if !ro && read_only && !config_read_only {
            return Err(ctx.fail("cannot mix --ro and --rw options"));
        }
        read_only = ro;
    }
    ctx.mounts = mounts;
    Ok(Setup {
        escape,
        memsize: memsize.filter(|&m| m > 0),
        smp,
        scratch,
        read_only,
    })
}

fn run(ctx: &mut Ctx) -> i32 {
    let setup = match read_options(ctx) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // The old-style command line (no -a, -d or --scratch): every operand is a guest.
    if setup.scratch.is_empty() {
        let n = ctx.operands.len();
        crate::common::old_style_drives(ctx, n);
    }
    if ctx.flag("suggest") {
        return suggest::run(ctx);
    }
    if let Some(extra) = ctx.operands.first() {
        return ctx.extra_argument(extra, "--format or --scratch");
    }
    if ctx.drives.is_empty() && setup.scratch.is_empty() {
        return ctx.require_drives().err().unwrap_or(1);
    }
    let mut g = match launch(ctx, &setup) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let inspector = ctx.flag("inspector");
    if inspector {
        if let Err(code) = ctx.inspect_and_mount(&mut g, setup.read_only) {
            return code;
        }
    }
    if let Err(code) = ctx.mount_specs(&mut g, setup.read_only) {
        return code;
    }
    if inspector {
        bind_kernel_filesystems(&mut g);
    }
    let sock = match g.internal_get_console_socket() {
        Ok(fd) => fd,
        Err(_) => return 1,
    };
    let terminal = match relay::RawTerminal::enter() {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("tcgetattr: stdin: {}", crate::common::os_error(&e));
            return 1;
        }
    };
    if terminal.is_some() && setup.escape > 0 {
        print_now(escape::banner(setup.escape).as_bytes());
    }
    let mut escapes = Escapes::new(setup.escape);
    let mut commands = Session {
        g: &mut g,
        escape: setup.escape,
        inspector,
    };
    // SAFETY: the descriptor is the handle's console socket, open while the handle lives.
    let console = unsafe { BorrowedFd::borrow_raw(sock) };
    let relayed = relay::run(console, &mut escapes, terminal.as_ref(), &mut commands);
    drop(terminal);
    if let Err(e) = relayed {
        eprintln!("{}: {}", ctx.prog, crate::common::os_error(&e));
    }
    shut_down(&mut g)
}

/// The handle with the drives and scratch disks in command-line order, launched with the
/// rescue shell.
fn launch(ctx: &Ctx, setup: &Setup) -> Result<Handle, i32> {
    let mut g = ctx.handle();
    crate::common::choose_backend(&mut g, false);
    if let Some(m) = setup.memsize {
        g.set_memsize(m).map_err(|_| 1)?;
    }
    if ctx.flag("network") {
        g.set_network(true).map_err(|_| 1)?;
    }
    if let Some(n) = setup.smp {
        g.set_smp(n).map_err(|_| 1)?;
    }
    let mut append = "guestfs_rescue=1".to_string();
    // Input that is not a terminal gets a shell for a dumb terminal (no bracketed-paste or
    // other escape sequences in its output): the last TERM= of the command line is the one
    // the appliance gives the shell.
    // SAFETY: isatty only inspects descriptor 0.
    if unsafe { libc::isatty(0) } != 1 {
        append.push_str(" TERM=dumb");
    }
    if let Some(a) = ctx.value("append") {
        append.push(' ');
        append.push_str(&a);
    }
    g.set_append(Some(&append)).map_err(|_| 1)?;
    // The appliance's console during launch and shutdown (the session relays it between).
    let _ = g.set_event_callback(
        Box::new(|ev: &guestfs::Event| print_now(ev.message.as_bytes())),
        guestfs::EventKind::Appliance.bit(),
    );
    let drive_positions: Vec<usize> = {
        let mut p: Vec<usize> = ["add", "domain"]
            .iter()
            .flat_map(|id| given_at(ctx, id))
            .collect();
        p.sort();
        p
    };
    let mut scratch = setup.scratch.iter().peekable();
    for (i, d) in ctx.drives.iter().enumerate() {
        let at = drive_positions.get(i).copied().unwrap_or(usize::MAX);
        while scratch.next_if(|&&s| s < at).is_some() {
            g.add_drive_scratch(SCRATCH_SIZE, Default::default())
                .map_err(|_| 1)?;
        }
        ctx.add_drive(&mut g, d, setup.read_only)?;
    }
    for _ in scratch {
        g.add_drive_scratch(SCRATCH_SIZE, Default::default())
            .map_err(|_| 1)?;
    }
    g.launch().map_err(|_| 1)?;
    Ok(g)
}

/// With `-i`, a Linux guest gets the appliance's /dev, /proc and /sys under /sysroot, so that
/// `chroot /sysroot` works.
fn bind_kernel_filesystems(g: &mut Handle) {
    g.push_error_handler_quiet();
    let windows = g
        .inspect_get_roots()
        .ok()
        .and_then(|r| r.first().cloned())
        .is_some_and(|root| g.inspect_get_type(&root).is_ok_and(|t| t == "windows"));
    if !windows {
        for fs in ["/dev", "/proc", "/sys"] {
            let args = [
                "--rbind".to_string(),
                fs.to_string(),
                format!("/sysroot{}", fs),
            ];
            let _ = g.debug("sh", &[&["mount".to_string()][..], &args[..]].concat());
        }
    }
    g.pop_error_handler();
}

/// Ends the appliance. It has usually ended already, with the shell: that is not an error.
fn shut_down(g: &mut Handle) -> i32 {
    g.push_error_handler_quiet();
    let r = g.shutdown();
    g.pop_error_handler();
    match r {
        Err(e) if e.errno != libc::EPIPE => {
            eprintln!("libguestfs: error: {}", e.message);
            1
        }
        _ => 0,
    }
}

fn print_now(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

/// The escape sequences' effects on the appliance.
struct Session<'a> {
    g: &'a mut Handle,
    escape: u8,
    inspector: bool,
}

impl relay::Commands for Session<'_> {
    fn run(&mut self, s: Sequence) -> Vec<u8> {
        use escape::Command;
        let mut out = format!("{}{}\r\n", escape::name(self.escape), char::from(s.letter));
        match s.command {
            Command::Help => out.push_str(&escape::help(self.escape, self.inspector)),
            Command::Inspection => {
                if self.inspector {
                    out.push_str(&self.inspection());
                }
            }
            Command::Sync => {
                out.push_str("attempting to sync filesystems ...\r\n");
                let _ = self.g.sync();
            }
            Command::Unmount => {
                out.push_str("unmounting filesystems ...\r\n");
                let _ = self.g.umount_all();
            }
            Command::Quit | Command::Suspend => {}
        }
        out.into_bytes()
    }
}

impl Session<'_> {
    fn inspection(&mut self) -> String {
        let g = &mut *self.g;
        let Ok(roots) = g.inspect_get_roots() else {
            return String::new();
        };
        let mut out = String::from("\r\n");
        for root in roots {
            out.push_str(&format!("root device: {}\r\n", root));
            let fields: [(&str, guestfs::error::Result<String>); 3] = [
                ("product name", g.inspect_get_product_name(&root)),
                ("type", g.inspect_get_type(&root)),
                ("distro", g.inspect_get_distro(&root)),
            ];
            for (label, value) in fields {
                if let Ok(v) = value {
                    out.push_str(&format!("  {}: {}\r\n", label, v));
                }
            }
        }
        out
    }
}
