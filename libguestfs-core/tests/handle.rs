//! The handle without a backend, and with the native one: settings with libguestfs 1.48's
//! defaults, checks and messages; `parse_environment`; drives and their options; disk files;
//! events and trace lines; `available`; the bindtests. The messages were taken from 1.48's
//! guestfish; `trace_lines_match_guestfish` compares trace lines with it when it is installed.

use guestfs::events::{mask, EVENT_ALL};
use guestfs::{AddDriveOpts, AddDriveScratchOpts, DiskCreateOpts, Event, EventKind, Handle};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("guestfs-handle-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A quiet handle that ignores the environment.
fn handle() -> Handle {
    let mut g = Handle::new_no_environment();
    g.set_error_handler_quiet();
    g
}

fn message(r: guestfs::Result<impl std::fmt::Debug>) -> String {
    r.unwrap_err().message
}

/// Every event of the handle, as `kind: message` lines (progress as its numbers).
fn record(g: &mut Handle, events: u64) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    g.set_event_callback(
        Box::new(move |e: &Event| {
            let text = match e.progress() {
                Some((p, t)) => format!("{}/{}", p, t),
                None => e.message.to_string(),
            };
            sink.lock()
                .unwrap()
                .push(format!("{}: {}", e.kind.name(), text));
        }),
        events,
    )
    .unwrap();
    lines
}

fn taken(lines: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *lines.lock().unwrap())
}

/// A native handle with an ext4 filesystem (of `contents`) mounted read-only on `/`; None
/// (and a note) without mkfs.ext4.
fn mounted_ext4(dir: &Path, contents: Option<&Path>) -> Option<Handle> {
    let img = dir.join("fs.img");
    let mut mkfs = std::process::Command::new("mkfs.ext4");
    mkfs.args(["-q", "-F"]);
    if let Some(c) = contents {
        mkfs.arg("-d").arg(c);
    }
    if !mkfs.arg(&img).arg("4M").status().is_ok_and(|s| s.success()) {
        eprintln!("mkfs.ext4 is not installed: test skipped");
        return None;
    }
    let mut g = handle();
    g.set_backend("native").unwrap();
    g.add_drive_ro(img.to_str().unwrap()).unwrap();
    g.launch().unwrap();
    g.mount_ro("/dev/sda", "/").unwrap();
    Some(g)
}

#[test]
fn defaults_are_libguestfs_1_48s() {
    let mut g = handle();
    assert_eq!(g.get_memsize().unwrap(), 1280);
    assert_eq!(g.get_smp().unwrap(), 1);
    assert_eq!(g.get_append().unwrap(), None);
    assert!(g.get_autosync().unwrap());
    assert!(g.get_recovery_proc().unwrap());
    assert!(!g.get_trace().unwrap() && !g.get_verbose().unwrap());
    assert!(!g.get_network().unwrap() && !g.get_pgroup().unwrap());
    assert!(!g.get_direct().unwrap() && !g.get_selinux().unwrap());
    assert_eq!(g.get_identifier().unwrap(), "");
    assert_eq!(g.get_tmpdir().unwrap(), "/tmp");
    assert_eq!(g.get_cachedir().unwrap(), "/var/tmp");
    assert!(g.get_hv().unwrap().ends_with("qemu-system-x86_64"));
    assert_eq!(g.get_qemu().unwrap(), g.get_hv().unwrap());
    assert_eq!(g.get_backend_settings().unwrap(), Vec::<String>::new());
    assert_eq!(g.get_state().unwrap(), 0);
    assert!(g.is_config().unwrap() && !g.is_ready().unwrap());
    assert!(!g.is_launching().unwrap() && !g.is_busy().unwrap());
    assert_eq!(g.max_disks().unwrap(), 255);
    let v = g.version().unwrap();
    assert_eq!((v.major, v.minor, v.extra.as_str()), (1, 48, ""));
    // The handle's number stays the same when the handle moves.
    let p = g.c_pointer().unwrap();
    let mut moved = Box::new(g);
    assert_eq!(moved.c_pointer().unwrap(), p);
}

#[test]
fn setters_check_like_libguestfs() {
    let mut g = handle();
    assert_eq!(
        message(g.set_memsize(10)),
        "too small value for memsize (must be at least 256)"
    );
    g.set_memsize(500).unwrap();
    assert_eq!(g.get_memsize().unwrap(), 500);
    assert_eq!(message(g.set_smp(0)), "invalid smp parameter: 0");
    assert_eq!(
        message(g.set_smp(300)),
        "unsupported number of smp vcpus: 300"
    );
    assert_eq!(
        message(g.set_identifier("a b")),
        "identifier must contain only alphanumeric characters, underscore or minus sign"
    );
    g.set_identifier("g-1_x").unwrap();
    assert_eq!(
        message(g.set_backend("libvirt")),
        "invalid backend: libvirt"
    );
    assert_eq!(message(g.set_backend("")), "invalid backend: ");
    g.set_attach_method("appliance").unwrap();
    assert_eq!(g.get_backend().unwrap(), "direct");
    assert_eq!(g.get_attach_method().unwrap(), "appliance");
    g.set_backend("unix:/x").unwrap();
    assert_eq!(
        message(g.max_disks()),
        "the current backend does not allow max disks to be queried"
    );
    g.set_qemu(Some("/x/qemu")).unwrap();
    assert_eq!(g.get_hv().unwrap(), "/x/qemu");
    g.set_qemu(None).unwrap();
    assert!(g.get_hv().unwrap().ends_with("qemu-system-x86_64"));
    g.set_path(Some("/a:/b")).unwrap();
    assert_eq!(g.get_path().unwrap(), "/a:/b");
    assert_eq!(
        message(g.config("-kernel", Some("x"))),
        "parameter ‘-kernel’ isn't allowed"
    );
    assert_eq!(
        message(g.set_tmpdir(Some("/nonexistent"))),
        "converting path to absolute path: set_tmpdir: /nonexistent: realpath: No such file or directory"
    );
    assert_eq!(
        message(g.set_cachedir(Some("/etc/passwd"))),
        "setting temporary directory: set_cachedir: ‘/etc/passwd’ is not a directory"
    );
    let d = tmpdir("settings");
    g.set_tmpdir(Some(d.to_str().unwrap())).unwrap();
    assert_eq!(g.get_tmpdir().unwrap(), d.to_str().unwrap());
    assert_eq!(
        message(g.get_pid()),
        "get-pid can only be called after launch"
    );
    assert_eq!(message(g.wait_ready()), "qemu has not been launched yet");
    assert_eq!(
        message(g.internal_get_console_socket()),
        "no console socket, the handle must be launched"
    );
    let libvirt = "libvirt authentication APIs not available since this version of libguestfs was compiled without libvirt";
    assert_eq!(message(g.get_libvirt_requested_credentials()), libvirt);
    assert_eq!(
        message(g.set_libvirt_requested_credential(0, b"x")),
        libvirt
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn backend_settings() {
    let mut g = handle();
    g.set_backend_settings(&["force_tcg".into(), "a=1".into(), "a=2".into()])
        .unwrap();
    assert_eq!(g.get_backend_setting("force_tcg").unwrap(), "1");
    assert_eq!(g.get_backend_setting("a").unwrap(), "1");
    let e = g.get_backend_setting("nosuch").unwrap_err();
    assert_eq!(
        (e.errno, e.message.as_str()),
        (libc::ESRCH, "setting not found")
    );
    assert_eq!(g.clear_backend_setting("a").unwrap(), 2);
    assert_eq!(g.clear_backend_setting("a").unwrap(), 0);
    g.set_backend_setting("gdb", "0").unwrap();
    g.set_backend_setting("gdb", "1").unwrap();
    assert_eq!(g.get_backend_settings().unwrap(), ["force_tcg", "gdb=1"]);
}

#[test]
fn environment_is_read_like_libguestfs() {
    let env = |vars: &[&str]| vars.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut g = handle();
    g.parse_environment_list(&env(&[
        "LIBGUESTFS_MEMSIZE=512M",
        "LIBGUESTFS_BACKEND=native",
        "LIBGUESTFS_BACKEND_SETTINGS=force_tcg:x=y",
        "LIBGUESTFS_APPEND=a b",
        "LIBGUESTFS_HV=/usr/bin/true",
        "LIBGUESTFS_DEBUG=1",
        "TMPDIR=/",
    ]))
    .unwrap();
    assert_eq!(g.get_memsize().unwrap(), 512);
    assert_eq!(g.get_backend().unwrap(), "native");
    assert_eq!(g.get_backend_settings().unwrap(), ["force_tcg", "x=y"]);
    assert_eq!(g.get_append().unwrap().as_deref(), Some("a b"));
    assert_eq!(g.get_hv().unwrap(), "/usr/bin/true");
    assert!(g.get_verbose().unwrap());
    assert_eq!(g.get_tmpdir().unwrap(), "/");
    assert_eq!(g.get_cachedir().unwrap(), "/");

    let mut g = handle();
    assert_eq!(
        message(g.parse_environment_list(&env(&["LIBGUESTFS_MEMSIZE=lots"]))),
        "non-numeric value for LIBGUESTFS_MEMSIZE"
    );
    assert_eq!(
        message(g.parse_environment_list(&env(&["LIBGUESTFS_TRACE=maybe"]))),
        "LIBGUESTFS_TRACE=maybe: non-boolean value"
    );
    // The first bad variable stops the rest.
    let mut g = handle();
    assert!(g
        .parse_environment_list(&env(&["TMPDIR=/etc/passwd", "LIBGUESTFS_PATH=/p"]))
        .is_err());
    assert_ne!(g.get_path().unwrap(), "/p");
}

#[test]
fn drive_options_and_messages() {
    let d = tmpdir("drives");
    let img = d.join("a.img");
    std::fs::write(&img, vec![0u8; 65536]).unwrap();
    let img = img.to_str().unwrap();
    let mut g = handle();
    g.set_tmpdir(Some(d.to_str().unwrap())).unwrap();
    assert_eq!(
        message(g.add_drive("/nonexistent.img", Default::default())),
        "/nonexistent.img: No such file or directory"
    );
    let opts = |f: fn(&mut AddDriveOpts)| {
        let mut o = AddDriveOpts::default();
        f(&mut o);
        o
    };
    assert_eq!(
        message(g.add_drive("/dev/null", opts(|o| o.format = Some("qcow2".into())))),
        "for device ‘/dev/null’, format must be ‘raw’"
    );
    assert_eq!(
        message(g.add_drive(img, opts(|o| o.server = Some(vec!["h".into()])))),
        "you cannot specify a server with file-backed disks"
    );
    assert_eq!(
        message(g.add_drive(
            "x",
            opts(|o| {
                o.protocol = Some("nbd".into());
                o.server = Some(vec!["h:0".into()]);
            })
        )),
        "invalid port number ‘0’"
    );
    g.add_drive(
        img,
        opts(|o| {
            o.readonly = Some(true);
            o.format = Some("raw".into());
            o.label = Some("data".into());
            o.blocksize = Some(4096);
        }),
    )
    .unwrap();
    g.add_drive("/dev/null", Default::default()).unwrap();
    g.add_drive(
        "disk",
        opts(|o| {
            o.protocol = Some("nbd".into());
            o.server = Some(vec!["tcp:example.com".into()]);
            o.cachemode = Some("unsafe".into());
            o.discard = Some("besteffort".into());
            o.copyonread = Some(true);
        }),
    )
    .unwrap();
    g.add_drive_scratch(1 << 20, AddDriveScratchOpts::default())
        .unwrap();
    g.add_cdrom(img).unwrap();
    let drives = g.debug_drives().unwrap();
    assert_eq!(drives.len(), 5);
    assert_eq!(
        drives[0],
        format!(
            "{} readonly format=raw protocol=file label=data blocksize=4096",
            img
        )
    );
    // The null disk and the scratch disk are files in the handle's temporary directory.
    let tmp = d.to_str().unwrap();
    assert!(
        drives[1].starts_with(&format!("{}/libguestfs", tmp)),
        "{}",
        drives[1]
    );
    assert!(
        drives[1].ends_with("/devnull1.img format=raw protocol=file"),
        "{}",
        drives[1]
    );
    assert_eq!(
        drives[2],
        "disk protocol=nbd cache=unsafe discard=besteffort copyonread"
    );
    assert!(
        drives[3].ends_with("/scratch2.img format=raw protocol=file cache=unsafe"),
        "{}",
        drives[3]
    );
    let scratch = drives[3].split(' ').next().unwrap().to_string();
    assert_eq!(std::fs::metadata(&scratch).unwrap().len(), 1 << 20);
    assert_eq!(drives[4], format!("{} readonly protocol=file", img));
    assert_eq!(
        message(g.remove_drive("data")),
        "hotplugging support was removed in libguestfs 1.48"
    );
    assert_eq!(g.device_index("/dev/sdc").unwrap(), 2);
    assert_eq!(
        message(g.device_index("/dev/sdb1")),
        "/dev/sdb1: device not found"
    );
    // The temporary directory goes with the handle.
    drop(g);
    assert!(!Path::new(&scratch).exists());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn launch_needs_drives_and_a_config_state() {
    let mut g = handle();
    g.set_backend("native").unwrap();
    assert_eq!(
        message(g.launch()),
        "you must call guestfs_add_drive before guestfs_launch"
    );
    assert_eq!(
        message(g.list_devices()),
        "list_devices: call launch before using this function\n(in guestfish, don't forget to use the 'run' command)"
    );
    g.add_drive_ro("/dev/null").unwrap();
    g.launch().unwrap();
    assert!(g.is_ready().unwrap());
    assert_eq!(
        message(g.set_memsize(512)),
        "set_memsize: this function can only be called in the config state"
    );
    assert_eq!(
        message(g.launch()),
        "launch: this function can only be called in the config state"
    );
    assert_eq!(
        message(g.add_drive_ro("/dev/null")),
        "add_drive_ro: this function can only be called in the config state"
    );
    assert_eq!(
        message(g.add_drive("/dev/null", Default::default())),
        "hotplugging support was removed in libguestfs 1.48"
    );
    assert_eq!(
        message(g.get_pid()),
        "the current backend does not support ‘get-pid’"
    );
    g.wait_ready().unwrap();
    // Shutting down forgets the drives, as libguestfs does.
    g.shutdown().unwrap();
    assert!(g.is_config().unwrap());
    assert!(g.debug_drives().unwrap().is_empty());
}

#[test]
fn disk_create_checks() {
    let d = tmpdir("disks");
    let f = d.join("x.img");
    let f = f.to_str().unwrap();
    let mut g = handle();
    let opts = |f: fn(&mut DiskCreateOpts)| {
        let mut o = DiskCreateOpts::default();
        f(&mut o);
        o
    };
    assert_eq!(
        message(g.disk_create(f, "raw", 0, Default::default())),
        "invalid size: 0"
    );
    assert_eq!(
        message(g.disk_create(f, "vmdk", 1024, Default::default())),
        "unsupported format ‘vmdk’"
    );
    assert_eq!(
        message(g.disk_create(f, "raw", 1024, opts(|o| o.backingfile = Some("/b".into())))),
        "if using a backing file, size must be passed as -1"
    );
    assert_eq!(
        message(g.disk_create(f, "raw", -1, opts(|o| o.backingfile = Some("/b".into())))),
        "backingfile cannot be used for raw format disks"
    );
    assert_eq!(
        message(g.disk_create(f, "raw", 1024, opts(|o| o.compat = Some("1.1".into())))),
        "compat parameter cannot be used with raw format"
    );
    assert_eq!(
        message(g.disk_create(
            f,
            "qcow2",
            1024,
            opts(|o| o.preallocation = Some("x".into()))
        )),
        "invalid value for preallocation parameter ‘(null)’"
    );
    assert_eq!(
        message(g.disk_create(f, "qcow2", 1024, opts(|o| o.clustersize = Some(100)))),
        "invalid value for clustersize parameter ‘100’"
    );
    assert_eq!(
        message(g.disk_create(f, "qcow2", 1024, opts(|o| o.compat = Some("2".into())))),
        "invalid value for compat parameter ‘2’"
    );
    assert_eq!(
        message(g.disk_create("/nonexistent/x.img", "raw", 1024, Default::default())),
        "cannot create raw file: /nonexistent/x.img: No such file or directory"
    );
    g.disk_create(f, "raw", 1 << 20, Default::default())
        .unwrap();
    assert_eq!(std::fs::metadata(f).unwrap().len(), 1 << 20);
    if !qemu_img() {
        return;
    }
    assert_eq!(g.disk_format(f).unwrap(), "raw");
    assert_eq!(g.disk_virtual_size(f).unwrap(), 1 << 20);
    assert!(!g.disk_has_backing_file(f).unwrap());
    let q = d.join("over.qcow2");
    let q = q.to_str().unwrap();
    g.disk_create(
        q,
        "qcow2",
        -1,
        DiskCreateOpts {
            backingfile: Some(f.to_string()),
            clustersize: Some(4096),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(g.disk_format(q).unwrap(), "qcow2");
    assert_eq!(g.disk_virtual_size(q).unwrap(), 1 << 20);
    assert!(g.disk_has_backing_file(q).unwrap());
    let e = g.disk_format("/nonexistent.img").unwrap_err();
    assert!(
        e.message.starts_with(
            "qemu-img info: /nonexistent.img: qemu-img info exited with error status 1.\nTo see full error messages you may need to enable debugging.\nDo:\n  export LIBGUESTFS_DEBUG=1 LIBGUESTFS_TRACE=1\n"
        ),
        "{}",
        e.message
    );
    let _ = std::fs::remove_dir_all(&d);
}

fn qemu_img() -> bool {
    let ok = std::process::Command::new("qemu-img")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("qemu-img is not installed: its part of the test is skipped");
    }
    ok
}

#[test]
fn events_enter_trace_and_close() {
    let mut g = handle();
    let lines = record(&mut g, EVENT_ALL);
    g.set_memsize(512).unwrap();
    // Tracing is off: only the ENTER event.
    assert_eq!(taken(&lines), ["enter: set_memsize"]);
    g.set_trace(true).unwrap();
    g.set_identifier("g1").unwrap();
    g.set_backend_settings(&["a".into(), "b c".into()]).unwrap();
    g.get_backend_settings().unwrap();
    let _ = g.set_smp(0);
    g.set_append(None).unwrap();
    g.get_append().unwrap();
    g.version().unwrap();
    let _ = g.get_backend_setting("x");
    assert_eq!(
        taken(&lines),
        [
            "enter: set_trace",
            "enter: set_identifier",
            "trace: set_identifier \"g1\"",
            "trace: set_identifier = 0",
            "enter: set_backend_settings",
            "trace: set_backend_settings \"a b c\"",
            "trace: set_backend_settings = 0",
            "enter: get_backend_settings",
            "trace: get_backend_settings",
            "trace: get_backend_settings = [\"a\", \"b c\"]",
            "enter: set_smp",
            "trace: set_smp 0",
            "trace: set_smp = -1 (error)",
            "enter: set_append",
            "trace: set_append null",
            "trace: set_append = 0",
            "enter: get_append",
            "trace: get_append",
            "trace: get_append = \"NULL\"",
            "enter: version",
            "trace: version",
            "trace: version = <struct guestfs_version = major: 1, minor: 48, release: 0, extra: , >",
            "enter: get_backend_setting",
            "trace: get_backend_setting \"x\"",
            "trace: get_backend_setting = NULL (error)",
        ]
    );
    // Debug messages only in verbose mode.
    g.set_verbose(true).unwrap();
    let _ = taken(&lines);
    drop(g);
    let closing = taken(&lines);
    assert_eq!(closing[0], "trace: close");
    assert!(
        closing[1].starts_with("library: closing guestfs handle 0x"),
        "{:?}",
        closing
    );
    assert!(closing[1].ends_with(" (state 0)"));
    assert_eq!(closing[2], "close: ");
}

#[test]
fn event_callbacks_can_be_deleted_and_are_limited() {
    let mut g = handle();
    let first = record(&mut g, EventKind::Enter.bit());
    let second = Arc::new(Mutex::new(0));
    let s = second.clone();
    let h = g
        .set_event_callback(
            Box::new(move |_| *s.lock().unwrap() += 1),
            EventKind::Enter.bit(),
        )
        .unwrap();
    assert_eq!(h, 1);
    g.get_memsize().unwrap();
    g.delete_event_callback(h);
    g.delete_event_callback(12345);
    g.get_memsize().unwrap();
    assert_eq!(taken(&first).len(), 2);
    assert_eq!(*second.lock().unwrap(), 1);
    // The deleted last slot was freed: 999 more make the 1000 libguestfs allows.
    for _ in 0..999 {
        g.set_event_callback(Box::new(|_| {}), EventKind::Close.bit())
            .unwrap();
    }
    assert_eq!(
        message(g.set_event_callback(Box::new(|_| {}), EventKind::Close.bit())),
        "too many event callbacks registered"
    );
}

#[test]
fn native_launch_events_and_availability() {
    let mut g = handle();
    g.set_backend("native").unwrap();
    g.add_drive_ro("/dev/null").unwrap();
    let lines = record(&mut g, mask(&[EventKind::LaunchDone, EventKind::Library]));
    g.launch().unwrap();
    // Not verbose: no debug messages, but the launch is done.
    assert_eq!(taken(&lines), ["launch_done: "]);
    g.available(&["lvm2".into(), "linuxxattrs".into(), "hivex".into()])
        .unwrap();
    assert_eq!(
        message(g.available(&["zerofree".into()])),
        "zerofree: group not available"
    );
    assert_eq!(
        message(g.available(&["nosuch".into()])),
        "nosuch: unknown group"
    );
    assert!(!g.feature_available(&["lvm2".into(), "xfs".into()]).unwrap());
    assert!(g.feature_available(&["journal".into()]).unwrap());
    let all = g.available_all_groups().unwrap();
    assert_eq!(all.len(), 36);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(g.mountable_device("/dev/sda").unwrap(), "/dev/sda");
    assert_eq!(
        message(g.mountable_subvolume("/dev/sda")),
        "not a btrfs subvolume identifier"
    );
}

/// Each group the native backend says it has has a call it answers, and each other group
/// has none: checked by calling every call of every group on a mounted filesystem, with
/// arguments that pass the argument checks.
#[test]
fn native_groups_are_truthful() {
    use guestfs::calls::Value;
    use guestfs::protocol::meta::{ArgType, StrKind};
    let d = tmpdir("groups");
    let Some(mut g) = mounted_ext4(&d, None) else {
        return;
    };
    let not_here = "is not available in the native backend";
    let value = |kind: StrKind| match kind {
        StrKind::Pathname => "/",
        StrKind::Device | StrKind::Mountable | StrKind::DevOrPath | StrKind::MountableOrPath => {
            "/dev/sda"
        }
        StrKind::Guid => "01234567-89AB-CDEF-0123-456789ABCDEF",
        StrKind::FileIn | StrKind::FileOut => "/dev/null",
        _ => "x",
    };
    for group in g.available_all_groups().unwrap() {
        let claimed = g.feature_available(std::slice::from_ref(&group)).unwrap();
        let mut answered = false;
        for a in guestfs::ACTIONS
            .iter()
            .filter(|a| a.group == Some(group.as_str()))
        {
            if a.args.iter().any(|x| x.ty == ArgType::Pointer) {
                continue;
            }
            let args: Vec<Value> = a
                .args
                .iter()
                .map(|x| match x.ty {
                    ArgType::Str(k) => Value::Str(value(k).into()),
                    ArgType::OptString => Value::OptStr(None),
                    ArgType::StringList(k) => Value::List(vec![value(k).into()]),
                    ArgType::Bool => Value::Bool(false),
                    ArgType::Int | ArgType::Int64 => Value::Int(0),
                    ArgType::BufferIn => Value::Buffer(vec![]),
                    ArgType::Pointer => unreachable!(),
                })
                .collect();
            match g.call_dynamic(a, &args, &[]) {
                Err(e) if e.message.contains(not_here) => {}
                _ => answered = true,
            }
        }
        assert_eq!(claimed, answered, "group {}", group);
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bindtests_print_their_arguments() {
    let d = tmpdir("bindtests");
    let out = d.join("out.txt");
    let mut g = handle();
    g.internal_test_set_output(out.to_str().unwrap()).unwrap();
    g.internal_test(
        "abc",
        None,
        &["1".into(), "2".into()],
        true,
        -3,
        1 << 40,
        "/in",
        "/out",
        b"\x00\xff",
        guestfs::InternalTestOpts {
            oint: Some(7),
            ostringlist: Some(vec!["x".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    g.internal_test_only_optargs(Default::default()).unwrap();
    g.internal_test_close_output().unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "abc\nnull\n[\"1\", \"2\"]\ntrue\n-3\n1099511627776\n/in\n/out\n<00><ff>\nobool: unset\noint: 7\noint64: unset\nostring: unset\nostringlist: [\"x\"]\ntest: unset\n"
    );
    assert_eq!(g.internal_test_rint("42").unwrap(), 42);
    assert_eq!(
        message(g.internal_test_rint("x")),
        "internal_test_rint: expecting int argument"
    );
    assert_eq!(g.internal_test_rint64("0x10").unwrap(), 16);
    assert!(g.internal_test_rbool("true").unwrap());
    assert_eq!(g.internal_test_rstringlist("3").unwrap(), ["0", "1", "2"]);
    assert_eq!(
        g.internal_test_rhashtable("2").unwrap(),
        [("0".to_string(), "0".to_string()), ("1".into(), "1".into())]
    );
    let pvs = g.internal_test_rstructlist("2").unwrap();
    assert_eq!((pvs[1].pv_name.as_str(), pvs[1].pv_size), ("pv1", 1));
    assert_eq!(g.internal_test_rbufferout("ab").unwrap(), b"ab");
    assert_eq!(message(g.internal_test_rstructerr()), "error");
    let _ = std::fs::remove_dir_all(&d);
}

/// Before anything is mounted: a mountpoint that does not exist fails as libfuse 2 made 1.48
/// fail, and there is nothing to run or unmount.
#[test]
fn mount_local_refuses_a_missing_mountpoint() {
    let mut g = handle();
    let e = g
        .mount_local("/nonexistent-mountpoint", Default::default())
        .unwrap_err();
    assert_eq!(
        e.message,
        "fuse_mount failed: /nonexistent-mountpoint, see error messages above"
    );
    assert_eq!(
        g.umount_local(Default::default()).unwrap_err().message,
        "no filesystem is mounted"
    );
}

/// The trace lines of calls that need no appliance, against libguestfs 1.48's guestfish.
#[test]
fn trace_lines_match_guestfish() {
    let script = "set-memsize 500\nset-verbose false\nset-append \"x y\"\nget-append\nset-backend-settings \"a b\"\nget-backend-settings\nis-config\nversion\nmax-disks\ndevice-index /dev/sdc\nget-backend-setting nosuch\n";
    let Some(theirs) = guestfish_trace(script) else {
        return;
    };
    let mut g = handle();
    let lines = record(&mut g, EventKind::Trace.bit());
    g.set_trace(true).unwrap();
    g.set_memsize(500).unwrap();
    g.set_verbose(false).unwrap();
    g.set_append(Some("x y")).unwrap();
    g.get_append().unwrap();
    g.set_backend_settings(&["a".into(), "b".into()]).unwrap();
    g.get_backend_settings().unwrap();
    g.is_config().unwrap();
    g.version().unwrap();
    g.max_disks().unwrap();
    g.device_index("/dev/sdc").unwrap();
    let _ = g.get_backend_setting("nosuch");
    let ours: Vec<String> = taken(&lines)
        .into_iter()
        .map(|l| l.trim_start_matches("trace: ").to_string())
        .collect();
    // The version numbers are the only difference: 1.48.6 there, this workspace's here.
    let theirs: Vec<String> = theirs
        .into_iter()
        .map(|l| l.replace("release: 6,", "release: 0,"))
        .collect();
    assert_eq!(ours, theirs);
}

/// Trace lines of optional arguments (in their declared order), Int64 and BufferIn
/// arguments, against 1.48's guestfish.
#[test]
fn trace_lines_of_optargs_int64_and_buffers_match_guestfish() {
    let d = tmpdir("trace-optargs");
    let img = d.join("a.img");
    std::fs::write(&img, vec![0u8; 65536]).unwrap();
    let created = d.join("b.img");
    let (img, created) = (img.to_str().unwrap(), created.to_str().unwrap());
    let script = format!(
        "add-drive {} format:raw label:abc cachemode:unsafe blocksize:4096 copyonread:true\ndisk-create {} raw 65536 preallocation:sparse\nset-libvirt-requested-credential 0 \"a\\tc\"\n",
        img, created
    );
    let Some(theirs) = guestfish_trace(&script) else {
        return;
    };
    let mut g = handle();
    let lines = record(&mut g, EventKind::Trace.bit());
    g.set_trace(true).unwrap();
    g.add_drive(
        img,
        AddDriveOpts {
            blocksize: Some(4096),
            copyonread: Some(true),
            cachemode: Some("unsafe".into()),
            label: Some("abc".into()),
            format: Some("raw".into()),
            ..Default::default()
        },
    )
    .unwrap();
    g.disk_create(
        created,
        "raw",
        65536,
        DiskCreateOpts {
            preallocation: Some("sparse".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let _ = g.set_libvirt_requested_credential(0, b"a\tc");
    let ours: Vec<String> = taken(&lines)
        .into_iter()
        .map(|l| l.trim_start_matches("trace: ").to_string())
        .collect();
    assert_eq!(ours, theirs);
    let _ = std::fs::remove_dir_all(&d);
}

/// The `trace:` lines guestfish -x prints for a script, or None when 1.48 is not installed.
fn guestfish_trace(script: &str) -> Option<Vec<String>> {
    use std::io::Write;
    let child = std::process::Command::new("guestfish")
        .arg("-x")
        .env("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("libguestfs 1.48's guestfish is not installed: comparison skipped");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    Some(
        text.lines()
            .filter_map(|l| l.strip_prefix("libguestfs: trace: "))
            .filter(|l| *l != "close" && !l.starts_with("shutdown"))
            .map(str::to_string)
            .collect(),
    )
}

/// `copy_in` and `copy_out` check their arguments as libguestfs 1.48 does (on the native
/// backend, which cannot write: `copy_in` then fails in `tar_in`).
#[test]
fn copy_in_and_copy_out_arguments() {
    let d = tmpdir("copy");
    let src = d.join("src");
    std::fs::create_dir_all(src.join("dir")).unwrap();
    std::fs::write(src.join("file"), b"data").unwrap();
    std::os::unix::fs::symlink("file", src.join("link")).unwrap();
    let Some(mut g) = mounted_ext4(&d, Some(&src)) else {
        return;
    };
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let out_s = out.to_str().unwrap();
    assert_eq!(
        message(g.copy_in("/nonexistent", "/")),
        "source ‘/nonexistent’ does not exist (or cannot be read)"
    );
    let file = src.join("file");
    assert_eq!(
        message(g.copy_in(file.to_str().unwrap(), "/file")),
        "target ‘/file’ is not a directory"
    );
    assert!(message(g.copy_in(file.to_str().unwrap(), "/dir")).starts_with("tar_in: "));
    assert_eq!(
        message(g.copy_out("/file", "/etc/passwd")),
        "target ‘/etc/passwd’ is not a directory"
    );
    // A symlink is neither a file nor a directory here: libguestfs does not follow it.
    assert_eq!(
        message(g.copy_out("/link", out_s)),
        "‘/link’ is not a file or directory"
    );
    g.copy_out("/file", out_s).unwrap();
    assert_eq!(std::fs::read(out.join("file")).unwrap(), b"data");
    g.copy_out("/dir", out_s).unwrap();
    assert!(out.join("dir").is_dir());
    let _ = std::fs::remove_dir_all(&d);
}
