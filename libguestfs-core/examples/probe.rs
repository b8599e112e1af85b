fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut g = guestfs::Handle::new();
    g.set_backend(&args[1]).unwrap();
    g.add_drive_ro(&args[2]).unwrap();
    let t = std::time::Instant::now();
    g.launch().unwrap();
    eprintln!("launch {:.3}s", t.elapsed().as_secs_f64());
    println!("{:?}", g.list_devices());
    println!("{:?}", g.list_filesystems());
    println!("{:?}", g.blockdev_getsize64("/dev/sda"));
    eprintln!("total {:.3}s", t.elapsed().as_secs_f64());
}
