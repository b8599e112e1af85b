//! Boots the appliance on a small scratch disk, checks the daemon answers, shuts down, and
//! prints the time taken: the `launch-to-ready` figure of benches/appliance-launch.sh.
//!
//! Usage: launch [BACKEND]   (default: direct)

fn main() {
    let backend = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "direct".to_string());
    let dir = std::env::temp_dir().join(format!("guestfs-launch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let disk = dir.join("scratch.img");
    std::fs::write(&disk, vec![0u8; 4096]).expect("scratch disk");
    let t = std::time::Instant::now();
    let mut g = guestfs::Handle::new();
    let ok = g.set_backend(&backend).is_ok()
        && g.add_drive_opts(
            disk.to_str().unwrap_or(""),
            guestfs::AddDriveOpts {
                format: Some("raw".into()),
                ..Default::default()
            },
        )
        .is_ok()
        && g.launch().is_ok();
    let ready = t.elapsed();
    let devices = if ok {
        g.list_devices().unwrap_or_default()
    } else {
        Vec::new()
    };
    let _ = g.shutdown();
    let total = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    if !ok || devices != ["/dev/sda"] {
        eprintln!("launch: failed");
        std::process::exit(1);
    }
    println!(
        "launch-to-ready {:.3} s, with shutdown {:.3} s",
        ready.as_secs_f64(),
        total.as_secs_f64()
    );
}
