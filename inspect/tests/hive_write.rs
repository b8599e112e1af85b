//! The hive writer against hivex itself: the same changes made by hivex (through its Perl
//! binding, Debian's libwin-hivex-perl) and by [`guestfs_inspect::hive::write`] on the same
//! hive must give the same file, byte for byte, and the same handles. Skips, saying so, when
//! hivex's Perl binding is not installed.

use guestfs_inspect::hive::{Hive, NodeHandle, REG_BINARY, REG_DWORD, REG_SZ};
use std::path::Path;
use std::process::Command;

/// The smallest hive hivex accepts: a base block, one hive bin holding the root key `ROOT`
/// (with its security descriptor) and free space.
const MINIMAL_HIVE_PERL: &str = r#"$h="regf".pack("VVx8VVVVVVV",1,1,1,3,0,1,0x20,0x1000,1); $h.="\0"x(0x1fc-length $h); $c=0; $c^=$_ for unpack("V127",$h); $h.=pack("V",$c); $h.="\0"x(0x1000-length $h); $b="hbin".pack("VV",0,0x1000)."\0"x20; $b.=pack("l",-0x58)."nk".pack("vx8VVVVVVVVVVVVVVVvv",0x2c,0,0,0,0,0xffffffff,0xffffffff,0,0xffffffff,0x78,0xffffffff,0,0,0,0,0,4,0)."ROOT"."\0"x4; $b.=pack("l",-0x30)."sk".pack("vVVVV",0,0x78,0x78,1,20).pack("CCvVVVV",1,0,0x8000,0,0,0,0)."\0"x4; $b.=pack("l",0x1000-length $b); $b.="\0"x(0x1000-length $b); print $h.$b"#;

/// The changes, in hivex's Perl: each line prints what the call returned.
const CHANGES_PERL: &str = r#"
use Win::Hivex;
my $h = Win::Hivex->open($ARGV[0], write => 1);
my $r = $h->root();
for my $n ("Bravo", "alpha", "Charlie", "delta-with-a-longer-name", "foxtrot", "Golf") {
  printf "add %x\n", $h->node_add_child($r, $n);
}
my $a = $h->node_get_child($r, "alpha");
printf "add %x\n", $h->node_add_child($a, "inner");
$h->node_set_value($r, {key => "k", t => 1, value => "abcdefgh"});
$h->node_set_value($r, {key => "x", t => 4, value => "abcd"});
$h->node_set_value($r, {key => "K", t => 3, value => "12345678901"});
$h->node_set_value($r, {key => "", t => 3, value => "default"});
$h->node_set_value($a, {key => "big", t => 3, value => "z" x 5000});
$h->node_delete_child($h->node_get_child($r, "Bravo"));
$h->node_delete_child($a);
printf "add %x\n", $h->node_add_child($r, "echo");
$h->commit(undef);
"#;

fn have_hivex_perl() -> bool {
    Command::new("perl")
        .args(["-MWin::Hivex", "-e", "1"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn minimal_hive(dir: &Path) -> Vec<u8> {
    let out = Command::new("perl")
        .args(["-e", MINIMAL_HIVE_PERL])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn changes_give_the_hive_hivex_writes() {
    if !have_hivex_perl() {
        let msg = "SKIPPED: hivex's Perl binding (libwin-hivex-perl) is not installed";
        println!("{}", msg);
        eprintln!("{}", msg);
        return;
    }
    let dir = std::env::temp_dir().join(format!("hive-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let minimal = minimal_hive(&dir);
    std::fs::write(dir.join("h.hive"), &minimal).unwrap();
    let out = Command::new("perl")
        .args(["-e", CHANGES_PERL, "h.hive"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = std::fs::read(dir.join("h.hive")).unwrap();
    let their_log = String::from_utf8_lossy(&out.stdout).into_owned();
    std::fs::remove_dir_all(&dir).unwrap();

    let mut log = String::new();
    let mut h = Hive::from_bytes(minimal).unwrap();
    h.set_writable();
    let r = h.root();
    for n in [
        "Bravo",
        "alpha",
        "Charlie",
        "delta-with-a-longer-name",
        "foxtrot",
        "Golf",
    ] {
        log += &format!("add {:x}\n", h.node_add_child(r, n).unwrap().0);
    }
    let a = h.node_get_child(r, "alpha").unwrap().unwrap();
    log += &format!("add {:x}\n", h.node_add_child(a, "inner").unwrap().0);
    h.node_set_value(r, "k", REG_SZ, b"abcdefgh").unwrap();
    h.node_set_value(r, "x", REG_DWORD, b"abcd").unwrap();
    h.node_set_value(r, "K", REG_BINARY, b"12345678901")
        .unwrap();
    h.node_set_value(r, "", REG_BINARY, b"default").unwrap();
    h.node_set_value(a, "big", REG_BINARY, &[b'z'; 5000])
        .unwrap();
    let b = h.node_get_child(r, "Bravo").unwrap().unwrap();
    h.node_delete_child(b).unwrap();
    h.node_delete_child(a).unwrap();
    log += &format!("add {:x}\n", h.node_add_child(r, "echo").unwrap().0);
    let ours = h.commit().unwrap().to_vec();

    assert_eq!(log, their_log);
    assert_eq!(ours.len(), theirs.len());
    if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
        panic!(
            "first difference at 0x{:x}: ours {:02x?}, hivex {:02x?}",
            i,
            &ours[i & !15..(i & !15) + 32],
            &theirs[i & !15..(i & !15) + 32]
        );
    }
    // And the result reads back.
    let back = Hive::from_bytes(ours).unwrap();
    let names: Vec<String> = back
        .node_children(back.root())
        .unwrap()
        .into_iter()
        .map(|c: NodeHandle| back.node_name(c).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Charlie",
            "delta-with-a-longer-name",
            "echo",
            "foxtrot",
            "Golf"
        ]
    );
}

#[test]
fn a_read_only_hive_refuses_changes() {
    let dir = std::env::temp_dir();
    if Command::new("perl").arg("-v").output().is_err() {
        println!("SKIPPED: perl is not installed");
        return;
    }
    let mut h = Hive::from_bytes(minimal_hive(&dir)).unwrap();
    let r = h.root();
    assert_eq!(h.node_add_child(r, "a").unwrap_err().errno, libc::EROFS);
    assert_eq!(h.commit().unwrap_err().errno, libc::EROFS);
    h.set_writable();
    assert_eq!(h.node_add_child(r, "").unwrap_err().errno, libc::EINVAL);
    h.node_add_child(r, "a").unwrap();
    assert_eq!(h.node_add_child(r, "A").unwrap_err().errno, libc::EEXIST);
    assert_eq!(h.node_delete_child(r).unwrap_err().errno, libc::EINVAL);
}
