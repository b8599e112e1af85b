//! libguestfs-make-fixed-appliance DIR: writes a fixed appliance (vmlinux or kernel, initrd,
//! README.fixed) to DIR, for use with `LIBGUESTFS_PATH=DIR`.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match args.as_slice() {
        [d] if !d.starts_with('-') => PathBuf::from(d),
        _ => {
            eprintln!("usage: libguestfs-make-fixed-appliance DIR");
            std::process::exit(1);
        }
    };
    let daemon = guestfs_appliance_daemon();
    let inputs = match guestfs_appliance::Inputs::gather(&daemon) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("libguestfs-make-fixed-appliance: error: {}", e);
            std::process::exit(1);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!(
            "libguestfs-make-fixed-appliance: error: {}: {}",
            dir.display(),
            e
        );
        std::process::exit(1);
    }
    match guestfs_appliance::write_appliance(&inputs, &dir) {
        Ok(a) => {
            a.fixed.then_some(());
        }
        Err(e) => {
            eprintln!("libguestfs-make-fixed-appliance: error: {}", e);
            std::process::exit(1);
        }
    }
}

/// The daemon next to this program, else `LIBGUESTFS_DAEMON`, else `../lib/virt-tools/`.
fn guestfs_appliance_daemon() -> PathBuf {
    guestfs_appliance::find_daemon()
}
