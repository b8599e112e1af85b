//! libguestfs-test-tool: checks the appliance works here. Prints the environment, the qemu
//! command line and the whole boot log, runs a small self-test in the appliance, and ends
//! with `===== TEST FINISHED OK =====` (exit 0) or the reason it failed (exit 1).

use crate::common::{args, getopt::GetoptTables, Ctx, ToolSpec, LIBGUESTFS_VERSION};
use clap::{Arg, ArgAction, Command};
use guestfs::{AddDriveOpts, EventKind, Handle};

pub static SPEC: ToolSpec = ToolSpec {
    name: "libguestfs-test-tool",
    description: "test libguestfs",
    copyright: "Copyright (C) 2009-2020 Red Hat Inc.",
    usage: &["{prog} [--options]"],
    tables: GetoptTables {
        short: "t:vV",
        long: &["help", "qemu", "qemudir", "timeout", "verbose", "version"],
    },
    version: LIBGUESTFS_VERSION,
    features: &[],
    perl_style: false,
    man: include_str!("../../man/src/libguestfs-test-tool.txt"),
    command,
    run,
};

fn command() -> Command {
    Command::new("libguestfs-test-tool")
        .about("test libguestfs")
        .arg(args::help())
        .arg(
            Arg::new("timeout")
                .short('t')
                .long("timeout")
                .action(ArgAction::Append)
                .value_name("N")
                .help("Set launch timeout (default: 600 seconds)"),
        )
        .arg(
            Arg::new("qemu")
                .long("qemu")
                .action(ArgAction::Append)
                .value_name("qemu")
                .hide(true),
        )
        .arg(
            Arg::new("qemudir")
                .long("qemudir")
                .action(ArgAction::Append)
                .value_name("dir")
                .hide(true),
        )
        .arg(args::verbose())
        .arg(args::version())
        .args(args::added())
}

/// A recognisable pattern written to the scratch disk and read back through the appliance.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 13) as u8).collect()
}

fn run(ctx: &mut Ctx) -> i32 {
    let timeout = ctx.value("timeout").unwrap_or_else(|| "600".to_string());
    if timeout.parse::<u64>().map(|t| t == 0).unwrap_or(true) {
        return ctx.error(&format!("invalid timeout: {}", timeout));
    }
    std::env::set_var("LIBGUESTFS_LAUNCH_TIMEOUT", &timeout);
    if let Some(q) = ctx.value("qemu") {
        std::env::set_var("LIBGUESTFS_HV", q);
    }
    println!("     ************************************************************");
    println!("     *                    IMPORTANT NOTICE");
    println!("     *");
    println!("     * When reporting bugs, include the COMPLETE, UNEDITED");
    println!("     * output below in your bug report.");
    println!("     *");
    println!("     ************************************************************");
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            k.starts_with("LIBGUESTFS_")
                || k.starts_with("SUPERMIN_")
                || k == "PATH"
                || k == "TMPDIR"
                || k == "LD_LIBRARY_PATH"
        })
        .collect();
    env.sort();
    for (k, v) in &env {
        println!("{}={}", k, v);
    }
    let backend = std::env::var("LIBGUESTFS_BACKEND")
        .ok()
        .filter(|b| b != "auto" && b != "native" && !b.is_empty());
    let backend = backend.unwrap_or_else(|| "direct".to_string());
    let mut g = Handle::new();
    let _ = g.set_verbose(true);
    if let Err(e) = g.set_backend(&backend) {
        return ctx.error(&e.message);
    }
    println!(
        "guestfs_get_backend: {}",
        g.get_backend().unwrap_or_default()
    );
    println!("guestfs_get_verbose: 1");
    match guestfs::backend::appliance::qemu::hypervisor(&g.get_hv().unwrap_or_default()) {
        Ok(q) => {
            println!("qemu: {}", q.display());
            if let Ok(out) = std::process::Command::new(&q).arg("-version").output() {
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
        }
        Err(e) => println!("qemu: {}", e.message),
    }
    match guestfs::backend::appliance::builder::find_kernel() {
        Ok(k) => println!(
            "kernel: {} (version {}, modules {})",
            k.image.display(),
            k.version,
            k.modules.display()
        ),
        Err(e) => println!("kernel: {}", e),
    }
    println!(
        "daemon: {}",
        guestfs::backend::appliance::builder::find_daemon().display()
    );
    println!(
        "appliance cache: {}",
        guestfs::backend::appliance::builder::cache_dir().display()
    );
    println!(
        "kvm: /dev/kvm {}",
        if guestfs::backend::appliance::qemu::kvm_usable() {
            "can be opened"
        } else {
            "cannot be opened"
        }
    );

    // Events go to stdout with the rest, so one redirect captures the whole report.
    // The appliance's console comes with its own line ends.
    let _ = g.set_event_callback(
        Box::new(|e| match e.kind {
            EventKind::Appliance => print!("{}", e.message),
            _ => println!("libguestfs: {}", e.message),
        }),
        guestfs::events::mask(&[EventKind::Library, EventKind::Appliance, EventKind::Warning]),
    );
    let dir = std::env::temp_dir().join(format!("libguestfs-test-tool-{}", std::process::id()));
    let disk = dir.join("test.img");
    let data = pattern(1 << 20);
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&disk, &data)) {
        return ctx.error(&format!("{}: {}", disk.display(), e));
    }
    let result = self_test(&mut g, &disk, &data, &timeout);
    let _ = g.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(()) => {
            println!("===== TEST FINISHED OK =====");
            0
        }
        Err(msg) => {
            println!("===== TEST FAILED =====");
            ctx.error(&msg)
        }
    }
}

fn self_test(
    g: &mut Handle,
    disk: &std::path::Path,
    data: &[u8],
    timeout: &str,
) -> Result<(), String> {
    g.add_drive_opts(
        &disk.to_string_lossy(),
        AddDriveOpts {
            format: Some("raw".into()),
            readonly: Some(true),
            ..Default::default()
        },
    )
    .map_err(|e| e.message)?;
    println!("Launching appliance, timeout set to {} seconds.", timeout);
    let t = std::time::Instant::now();
    g.launch().map_err(|e| e.message)?;
    println!("Guest launched OK ({:.2} s).", t.elapsed().as_secs_f64());
    let devices = g.list_devices().map_err(|e| e.message)?;
    if devices != ["/dev/sda"] {
        return Err(format!(
            "self-test: list_devices returned {:?}, expected [\"/dev/sda\"]",
            devices
        ));
    }
    let size = g.blockdev_getsize64("/dev/sda").map_err(|e| e.message)?;
    if size != data.len() as i64 {
        return Err(format!(
            "self-test: /dev/sda is {} bytes, expected {}",
            size,
            data.len()
        ));
    }
    let offset = 123_456usize;
    let got = g
        .pread_device("/dev/sda", 4096, offset as i64)
        .map_err(|e| e.message)?;
    if got != data[offset..offset + 4096] {
        return Err("self-test: data read through the appliance differs from the disk".into());
    }
    println!("Self-test OK: /dev/sda, {} bytes, contents verified.", size);
    Ok(())
}
