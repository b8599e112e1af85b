//! guestfsd: the daemon inside the appliance.
//!
//! Started by the kernel as `/init` (PID 1) it sets up the appliance (see [`init`]) and runs
//! the protocol server in a child; started as `modprobe` (the kernel's module helper) it loads
//! a module; otherwise it serves one connection: `--channel PATH|fd:N` (default: the
//! virtio-serial port), `--listen` (PATH is a Unix socket to create and accept one client on).

mod appliance_disk;
mod augeas_lib;
mod calls;
mod daemon;
mod devices;
mod dynlib;
mod init;
mod lvm;
mod mkfs;
mod modules;
mod network;
mod progress;
mod rescue;
mod server;
mod sys;
mod transfer;

use std::path::Path;

/// Options of a server run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub channel: Option<String>,
    pub listen: bool,
    pub verbose: bool,
    /// The appliance has a network (`--network`): commands in the guest get its resolv.conf.
    pub network: bool,
    /// Where guest filesystems are mounted.
    pub sysroot: String,
}

fn usage() -> ! {
    eprintln!("usage: guestfsd [--verbose] [--listen] [--channel PATH|fd:N] [--sysroot DIR]");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().map(String::as_str).unwrap_or("guestfsd");
    let base = Path::new(argv0)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    if base == "modprobe" {
        std::process::exit(modules::modprobe_main(&args[1..]));
    }
    // SAFETY: getpid has no preconditions.
    if unsafe { libc::getpid() } == 1 {
        init::pid1();
    }
    let mut opts = Options {
        sysroot: "/sysroot".to_string(),
        ..Default::default()
    };
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-v" | "--verbose" => opts.verbose = true,
            "-l" | "--listen" => opts.listen = true,
            "-c" | "--channel" => {
                opts.channel = Some(it.next().cloned().unwrap_or_else(|| usage()))
            }
            "--sysroot" => opts.sysroot = it.next().cloned().unwrap_or_else(|| usage()),
            "-r" => opts.sysroot = String::new(),
            "-n" | "--network" => opts.network = true,
            "-t" | "--test" => {}
            "-h" | "--help" => usage(),
            other => {
                eprintln!("guestfsd: unknown option {}", other);
                usage()
            }
        }
    }
    std::process::exit(server::run(opts));
}
