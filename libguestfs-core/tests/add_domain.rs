//! `add_domain` and `add_libvirt_dom` with libvirt's test driver: the domain's disks in XML
//! order with their formats and block sizes, the optional arguments' semantics and
//! libguestfs 1.48's messages, and all-or-nothing adding.

use guestfs::{AddDomainOpts, AddLibvirtDomOpts, Handle};
use std::path::{Path, PathBuf};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A test-driver node with the guests these tests use, over small empty disk files.
fn guests(tag: &str) -> (Dir, String) {
    let dir = std::env::temp_dir().join(format!("add-domain-{}-{}", tag, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["a.img", "b.qcow2", "c.img"] {
        std::fs::write(dir.join(f), vec![0u8; 1 << 20]).unwrap();
    }
    let disk = |file: &str, extra: &str, target: &str| {
        format!(
            "<disk type='file' device='disk'>{}<source file='{}'/><target dev='{}'/></disk>",
            extra,
            dir.join(file).display(),
            target
        )
    };
    let domain = |name: &str, uuid: &str, shutoff: bool, disks: &[String]| {
        format!(
            "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\
             <name>{}</name><uuid>{}</uuid><memory>1024</memory><os><type>hvm</type></os>\
             <devices>{}</devices>{}</domain>",
            name,
            uuid,
            disks.concat(),
            if shutoff {
                "<test:runstate>5</test:runstate>"
            } else {
                ""
            }
        )
    };
    let xml = format!(
        "<node>{}{}{}{}</node>",
        domain(
            "three",
            "00000000-0000-4000-8000-0000000000a1",
            true,
            &[
                disk("a.img", "<driver name='qemu' type='raw'/>", "vda"),
                disk("b.qcow2", "<driver name='qemu' type='qcow2'/>", "vdb"),
                disk(
                    "c.img",
                    "<readonly/><blockio logical_block_size='4096'/>",
                    "vdc"
                ),
            ]
        ),
        domain(
            "running",
            "00000000-0000-4000-8000-0000000000a2",
            false,
            &[disk("a.img", "", "vda")]
        ),
        domain(
            "second-missing",
            "00000000-0000-4000-8000-0000000000a3",
            true,
            &[disk("a.img", "", "vda"), disk("missing.img", "", "vdb")]
        ),
        domain(
            "readonly-only",
            "00000000-0000-4000-8000-0000000000a4",
            true,
            &[disk("c.img", "<readonly/>", "vda")]
        ),
    );
    let path = dir.join("guests.xml");
    std::fs::write(&path, xml).unwrap();
    (Dir(dir), format!("test://{}", path.display()))
}

fn quiet() -> Handle {
    let mut g = Handle::new();
    g.set_error_handler_quiet();
    g
}

fn opts(uri: &str) -> AddDomainOpts {
    AddDomainOpts {
        libvirturi: Some(uri.to_string()),
        ..Default::default()
    }
}

fn drives(g: &mut Handle, dir: &Path) -> Vec<String> {
    g.debug_drives()
        .unwrap()
        .into_iter()
        .map(|d| d.replace(&format!("{}/", dir.display()), ""))
        .collect()
}

#[test]
fn disks_are_added_in_order_with_format_readonly_and_blocksize() {
    let (dir, uri) = guests("order");
    let mut g = quiet();
    assert_eq!(g.add_domain("three", opts(&uri)).unwrap(), 3);
    let d = drives(&mut g, &dir.0);
    assert_eq!(d.len(), 3, "{:?}", d);
    assert!(d[0].starts_with("a.img format=raw "), "{}", d[0]);
    assert!(!d[0].contains("readonly"), "{}", d[0]);
    assert!(d[1].starts_with("b.qcow2 format=qcow2 "), "{}", d[1]);
    // readonlydisk defaults to "write": a <readonly/> disk is added read/write.
    assert!(!d[2].contains("readonly"), "{}", d[2]);
    assert!(d[2].contains("blocksize=4096"), "{}", d[2]);
}

#[test]
fn readonlydisk_choices() {
    let (dir, uri) = guests("rodisk");
    let with = |ro: Option<bool>, rodisk: &str| AddDomainOpts {
        readonly: ro,
        readonlydisk: Some(rodisk.to_string()),
        ..opts(&uri)
    };
    let mut g = quiet();
    assert_eq!(g.add_domain("three", with(None, "read")).unwrap(), 3);
    assert!(drives(&mut g, &dir.0)[2].contains("readonly"));

    let mut g = quiet();
    let e = g.add_domain("three", with(None, "error")).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "{}/c.img: disk is marked <readonly/> in libvirt XML, and readonlydisk was set to \"error\"",
            dir.0.display()
        )
    );
    // All or nothing: the two disks before it are gone again.
    assert!(drives(&mut g, &dir.0).is_empty());

    let mut g = quiet();
    assert_eq!(g.add_domain("three", with(Some(true), "error")).unwrap(), 3);
    assert!(drives(&mut g, &dir.0)
        .iter()
        .all(|d| d.contains("readonly")));

    // "ignore" skips the disk but still counts it, as 1.48 does.
    let mut g = quiet();
    assert_eq!(g.add_domain("three", with(None, "ignore")).unwrap(), 3);
    assert_eq!(drives(&mut g, &dir.0).len(), 2);
    let mut g = quiet();
    assert_eq!(
        g.add_domain("readonly-only", with(None, "ignore")).unwrap(),
        1
    );
    assert!(drives(&mut g, &dir.0).is_empty());

    let mut g = quiet();
    assert_eq!(
        g.add_domain("three", with(None, "sometimes"))
            .unwrap_err()
            .message,
        "unknown readonlydisk parameter"
    );
}

#[test]
fn lookups_and_refusals_say_what_1_48_says() {
    let (dir, uri) = guests("lookup");
    let mut g = quiet();
    assert_eq!(
        g.add_domain("nosuch", opts(&uri)).unwrap_err().message,
        "no libvirt domain called ‘nosuch’: Domain not found"
    );
    // A UUID is a name unless allowuuid.
    let uuid = "00000000-0000-4000-8000-0000000000a1";
    assert_eq!(
        g.add_domain(uuid, opts(&uri)).unwrap_err().message,
        format!("no libvirt domain called ‘{}’: Domain not found", uuid)
    );
    let by_uuid = AddDomainOpts {
        allowuuid: Some(true),
        ..opts(&uri)
    };
    assert_eq!(g.add_domain(uuid, by_uuid).unwrap(), 3);

    let mut g = quiet();
    assert_eq!(
        g.add_domain("running", opts(&uri)).unwrap_err().message,
        "error: domain is a live virtual machine.\nWriting to the disks of a running virtual machine can cause disk corruption.\nUse read-only access.  In most libguestfs tools use --ro."
    );
    let ro = AddDomainOpts {
        readonly: Some(true),
        ..opts(&uri)
    };
    assert_eq!(g.add_domain("running", ro).unwrap(), 1);

    let live = AddDomainOpts {
        live: Some(true),
        ..opts(&uri)
    };
    assert_eq!(
        g.add_domain("three", live).unwrap_err().message,
        "libguestfs live support was removed in libguestfs 1.48"
    );

    let mut g = quiet();
    let e = g.add_domain("second-missing", opts(&uri)).unwrap_err();
    assert_eq!(
        e.message,
        format!("{}/missing.img: No such file or directory", dir.0.display())
    );
    assert!(drives(&mut g, &dir.0).is_empty());

    assert_eq!(
        g.add_domain(
            "test",
            AddDomainOpts {
                readonly: Some(true),
                ..opts("test:///default")
            }
        )
        .unwrap_err()
        .message,
        "/guest/diskimage1: No such file or directory"
    );
    let e = g
        .add_domain("three", opts("test:///nonexistent/guests.xml"))
        .unwrap_err();
    assert!(
        e.message.starts_with("could not connect to libvirt (code "),
        "{}",
        e.message
    );
}

#[test]
fn every_guest_is_listed_by_name() {
    let (_dir, uri) = guests("list");
    let guests = guestfs::libvirt::all_guests(Some(&uri)).unwrap();
    let names: Vec<&str> = guests.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["readonly-only", "running", "second-missing", "three"]
    );
    assert_eq!(
        guests[3].uuid.as_deref(),
        Some("00000000-0000-4000-8000-0000000000a1")
    );
}

/// A caller of add_libvirt_dom has libvirt loaded and holds the domain, as here.
#[test]
fn add_libvirt_dom_takes_a_domain_pointer() {
    let (dir, uri) = guests("pointer");
    let conn = virt::connect::Connect::open_read_only(Some(&uri)).unwrap();
    let three = conn.lookup_domain_by_name("three").unwrap();
    let mut g = quiet();
    let n = g
        .add_libvirt_dom(
            // SAFETY (add_libvirt_dom): `three` lives until the call returns.
            unsafe { three.as_ptr() as usize },
            AddLibvirtDomOpts {
                readonly: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(n, 3);
    assert!(drives(&mut g, &dir.0)
        .iter()
        .all(|d| d.contains("readonly")));
    assert_eq!(
        g.add_libvirt_dom(0, Default::default())
            .unwrap_err()
            .message,
        "add_libvirt_dom: dom: the domain pointer is NULL"
    );
}

/// libvirt's test driver gives a domain defined without a UUID a new random one on every
/// connection: a caller's domain pointer must still lead to the domain's disks (by name).
#[test]
fn add_libvirt_dom_finds_a_domain_defined_without_a_uuid() {
    let dir = std::env::temp_dir().join(format!("add-domain-nouuid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = Dir(dir);
    std::fs::write(dir.0.join("a.img"), vec![0u8; 1 << 20]).unwrap();
    let xml = format!(
        "<node><domain type='test'><name>no-uuid</name><memory>1024</memory>\
         <os><type>hvm</type></os><devices><disk type='file' device='disk'>\
         <source file='{}'/><target dev='vda'/></disk></devices></domain></node>",
        dir.0.join("a.img").display()
    );
    let path = dir.0.join("guests.xml");
    std::fs::write(&path, xml).unwrap();
    let uri = format!("test://{}", path.display());
    let conn = virt::connect::Connect::open_read_only(Some(&uri)).unwrap();
    let domain = conn.lookup_domain_by_name("no-uuid").unwrap();
    let mut g = quiet();
    let n = g
        .add_libvirt_dom(
            // SAFETY (add_libvirt_dom): `domain` lives until the call returns.
            unsafe { domain.as_ptr() as usize },
            AddLibvirtDomOpts {
                readonly: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(drives(&mut g, &dir.0).len(), 1);
}
