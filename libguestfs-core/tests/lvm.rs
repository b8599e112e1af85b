//! The native LVM2 reader against volume groups made by real lvm2 on loop devices (root only;
//! the host has no device-mapper, so LVs are laid out with `lvcreate --activate n` or
//! `vgcfgrestore` from hand-written metadata), against the fixture images of libguestfs 1.48, and
//! against damaged metadata.
//!
//! lvm2's own reports (`pvs/vgs/lvs`) are the oracle for names, sizes, UUIDs and attributes, and
//! its segment report (`lvs --segments -o seg_pe_ranges`) tells where test data goes on the PVs.

use guestfs::block::raw::RawImage;
use guestfs::block::{check_range, BlockDevice, Device, Slice};
use guestfs::lvm::{self, label, mda, Scan};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Scaffolding: temporary directories, loop devices, running lvm.

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "guestfs-lvm-{}-{}-{}",
            tag,
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Whether lvm2 on loop devices can be used (root, lvm and losetup present).
fn lvm_usable() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: lvm2 tests need root (loop devices)");
        return false;
    }
    for tool in ["lvm", "losetup"] {
        if Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("SKIPPED: {} not installed", tool);
            return false;
        }
    }
    true
}

/// An attached loop device, detached on drop.
struct Loop {
    dev: String,
}

impl Loop {
    fn attach(img: &Path, read_only: bool, window: Option<(u64, u64)>) -> Loop {
        let mut cmd = Command::new("losetup");
        cmd.args(["-f", "--show"]);
        if read_only {
            cmd.arg("-r");
        }
        // A partition as its own loop device (there is no udev to make /dev/loopNpM here).
        if let Some((offset, size)) = window {
            cmd.arg("-o")
                .arg(offset.to_string())
                .arg("--sizelimit")
                .arg(size.to_string());
        }
        let out = cmd.arg(img).output().unwrap();
        assert!(
            out.status.success(),
            "losetup: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Loop {
            dev: String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        }
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

fn sparse_image(path: &Path, size: u64) {
    let f = File::create(path).unwrap();
    f.set_len(size).unwrap();
}

/// Runs `lvm CMD` restricted to `devices`, without device-mapper and without touching
/// /etc/lvm/{backup,archive}; returns stdout.
fn lvm(cmd: &str, devices: &[&str], args: &[&str]) -> String {
    let out = Command::new("lvm")
        .arg(cmd)
        .arg("--devices")
        .arg(devices.join(","))
        .args([
            "--driverloaded",
            "n",
            "--config",
            "backup{backup=0 archive=0}",
        ])
        .args(args)
        .env("LVM_SUPPRESS_FD_WARNINGS", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lvm {} {:?} failed: {}",
        cmd,
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A report as rows of fields (`--noheadings --separator '|' --units b --nosuffix`).
fn report(cmd: &str, devices: &[&str], extra: &[&str], fields: &str) -> Vec<Vec<String>> {
    let mut args = vec![
        "--noheadings",
        "--units",
        "b",
        "--nosuffix",
        "--separator",
        "|",
        "-o",
        fields,
    ];
    args.extend_from_slice(extra);
    lvm(cmd, devices, &args)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().split('|').map(|f| f.trim().to_owned()).collect())
        .collect()
}

fn undash(s: &str) -> String {
    s.replace('-', "")
}

fn open_raw(path: &Path) -> Device {
    Arc::new(RawImage::open(path).unwrap())
}

fn read_all(dev: &dyn BlockDevice) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; dev.size() as usize];
    dev.read_exact_at(&mut buf, 0)?;
    Ok(buf)
}

/// Deterministic test data for an LV.
fn pattern(seed: &str, len: usize) -> Vec<u8> {
    let mut x: u64 = seed.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Where LV bytes live, from lvm's own segment report.

struct SegInfo {
    start_pe: u64,
    size_pe: u64,
    segtype: String,
    stripe_size: u64,
    /// (PV device or LV name, first extent).
    ranges: Vec<(String, u64)>,
}

struct Layout {
    extent: u64,
    /// loop device → (image file, pe_start).
    pvs: HashMap<String, (PathBuf, u64)>,
    segs: HashMap<String, Vec<SegInfo>>,
}

impl Layout {
    fn read(vg: &str, loops: &[(&Loop, &Path)]) -> Layout {
        let devs: Vec<&str> = loops.iter().map(|(l, _)| l.dev.as_str()).collect();
        let extent: u64 = report("vgs", &devs, &[vg], "vg_extent_size")[0][0]
            .parse()
            .unwrap();
        let mut pvs = HashMap::new();
        for row in report("pvs", &devs, &[], "pv_name,pe_start") {
            let file = loops
                .iter()
                .find(|(l, _)| l.dev == row[0])
                .unwrap()
                .1
                .to_owned();
            pvs.insert(row[0].clone(), (file, row[1].parse().unwrap()));
        }
        let mut segs: HashMap<String, Vec<SegInfo>> = HashMap::new();
        let fields = "lv_name,seg_start_pe,seg_size_pe,segtype,stripe_size,seg_pe_ranges";
        for row in report("lvs", &devs, &["-a", "--segments", vg], fields) {
            let name = row[0].trim_matches(|c| c == '[' || c == ']').to_owned();
            let ranges = row[5]
                .split_whitespace()
                .map(|r| {
                    let (target, span) = r.rsplit_once(':').unwrap();
                    (
                        target.to_owned(),
                        span.split('-').next().unwrap().parse().unwrap(),
                    )
                })
                .collect();
            segs.entry(name).or_default().push(SegInfo {
                start_pe: row[1].parse().unwrap(),
                size_pe: row[2].parse().unwrap(),
                segtype: row[3].clone(),
                stripe_size: row[4].parse().unwrap(),
                ranges,
            });
        }
        Layout { extent, pvs, segs }
    }

    /// Where byte `off` of `lv` lives: (file, offset) for each copy, and how many bytes from
    /// there are contiguous.
    fn map(&self, lv: &str, off: u64) -> (Vec<(PathBuf, u64)>, u64) {
        let seg = self.segs[lv]
            .iter()
            .find(|s| {
                s.start_pe * self.extent <= off && off < (s.start_pe + s.size_pe) * self.extent
            })
            .unwrap_or_else(|| panic!("{} has no byte {}", lv, off));
        let inner = off - seg.start_pe * self.extent;
        let seg_len = seg.size_pe * self.extent;
        match seg.segtype.as_str() {
            "linear" | "striped" if seg.ranges.len() == 1 => {
                self.area(&seg.ranges[0], inner, seg_len - inner)
            }
            "striped" => {
                let n = seg.ranges.len() as u64;
                let chunk = seg.stripe_size;
                let (c, within) = (inner / chunk, inner % chunk);
                self.area(
                    &seg.ranges[(c % n) as usize],
                    (c / n) * chunk + within,
                    chunk - within,
                )
            }
            "mirror" | "raid1" => {
                let mut locs = Vec::new();
                let mut max = u64::MAX;
                for r in &seg.ranges {
                    let (l, m) = self.area(r, inner, seg_len - inner);
                    locs.extend(l);
                    max = max.min(m);
                }
                (locs, max)
            }
            other => panic!("cannot place data in a {} segment", other),
        }
    }

    fn area(
        &self,
        (target, start_pe): &(String, u64),
        inner: u64,
        max: u64,
    ) -> (Vec<(PathBuf, u64)>, u64) {
        match self.pvs.get(target) {
            Some((file, pe_start)) => (
                vec![(file.clone(), pe_start + start_pe * self.extent + inner)],
                max,
            ),
            None => {
                let (l, m) = self.map(target, start_pe * self.extent + inner);
                (l, m.min(max))
            }
        }
    }

    fn lv_size(&self, lv: &str) -> u64 {
        self.segs[lv].iter().map(|s| s.size_pe).sum::<u64>() * self.extent
    }

    /// Writes `data` as the contents of `lv` (into every copy of mirrored parts).
    fn write(&self, lv: &str, data: &[u8]) {
        assert_eq!(data.len() as u64, self.lv_size(lv), "{}", lv);
        let mut off = 0u64;
        while off < data.len() as u64 {
            let (locs, max) = self.map(lv, off);
            let n = max.min(data.len() as u64 - off);
            for (file, at) in locs {
                let f = OpenOptions::new().write(true).open(&file).unwrap();
                f.write_all_at(&data[off as usize..(off + n) as usize], at)
                    .unwrap();
            }
            off += n;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing the scan with lvm's reports.

/// Compares pvs_full/vgs_full/lvs_full with lvm's reports. `names` maps lvm's device names
/// (/dev/loopN) to the names the scan was given.
fn compare_reports(scan: &Scan, devs: &[&str], names: &HashMap<String, String>) {
    let pv_fields = "pv_name,pv_uuid,pv_fmt,pv_size,dev_size,pv_free,pv_used,pv_attr,pv_pe_count,pv_pe_alloc_count,pv_tags,pe_start,pv_mda_count,pv_mda_free";
    let mut want: Vec<Vec<String>> = report("pvs", devs, &[], pv_fields);
    for row in &mut want {
        row[0] = names
            .get(&row[0])
            .cloned()
            .unwrap_or_else(|| row[0].clone());
        row[1] = undash(&row[1]);
    }
    want.sort();
    let mut got: Vec<Vec<String>> = scan
        .pvs_full()
        .iter()
        .map(|p| {
            vec![
                p.pv_name.clone(),
                p.pv_uuid.clone(),
                p.pv_fmt.clone(),
                p.pv_size.to_string(),
                p.dev_size.to_string(),
                p.pv_free.to_string(),
                p.pv_used.to_string(),
                p.pv_attr.clone(),
                p.pv_pe_count.to_string(),
                p.pv_pe_alloc_count.to_string(),
                p.pv_tags.clone(),
                p.pe_start.to_string(),
                p.pv_mda_count.to_string(),
                p.pv_mda_free.to_string(),
            ]
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "pvs ({})", pv_fields);

    let vg_fields = "vg_name,vg_uuid,vg_fmt,vg_attr,vg_size,vg_free,vg_sysid,vg_extent_size,vg_extent_count,vg_free_count,max_lv,max_pv,pv_count,lv_count,snap_count,vg_seqno,vg_tags,vg_mda_count,vg_mda_free";
    let mut want = report("vgs", devs, &[], vg_fields);
    for row in &mut want {
        row[1] = undash(&row[1]);
    }
    let got: Vec<Vec<String>> = scan
        .vgs_full()
        .iter()
        .map(|v| {
            vec![
                v.vg_name.clone(),
                v.vg_uuid.clone(),
                v.vg_fmt.clone(),
                v.vg_attr.clone(),
                v.vg_size.to_string(),
                v.vg_free.to_string(),
                v.vg_sysid.clone(),
                v.vg_extent_size.to_string(),
                v.vg_extent_count.to_string(),
                v.vg_free_count.to_string(),
                v.max_lv.to_string(),
                v.max_pv.to_string(),
                v.pv_count.to_string(),
                v.lv_count.to_string(),
                v.snap_count.to_string(),
                v.vg_seqno.to_string(),
                v.vg_tags.clone(),
                v.vg_mda_count.to_string(),
                v.vg_mda_free.to_string(),
            ]
        })
        .collect();
    assert_eq!(got, want, "vgs ({})", vg_fields);

    // Without device-mapper lvm shows the state and open columns (5 and 6) as "XX" or "--";
    // in the appliance they are "a-" for the active volumes, as the scan reports.
    let lv_fields = "lv_name,lv_uuid,lv_attr,lv_major,lv_minor,lv_size,seg_count,origin,lv_tags,mirror_log,modules";
    let mut want = report("lvs", devs, &[], lv_fields);
    for row in &mut want {
        row[1] = undash(&row[1]);
        row[2].replace_range(4..6, "..");
    }
    // Nor can it tell the health of a raid volume ('X', unknown); "-" in the appliance.
    let raid_unknown: Vec<String> = want
        .iter()
        .filter(|r| r[2].as_bytes().get(8) == Some(&b'X'))
        .map(|r| r[0].clone())
        .collect();
    for row in &mut want {
        if raid_unknown.contains(&row[0]) {
            row[2].replace_range(8..9, "-");
        }
    }
    let got: Vec<Vec<String>> = scan
        .lvs_full()
        .iter()
        .map(|l| {
            let mut attr = l.lv_attr.clone();
            assert_eq!(
                &attr[4..6],
                if l.lv_kernel_major == 253 { "a-" } else { "--" },
                "{}",
                l.lv_name
            );
            attr.replace_range(4..6, "..");
            vec![
                l.lv_name.clone(),
                l.lv_uuid.clone(),
                attr,
                l.lv_major.to_string(),
                l.lv_minor.to_string(),
                l.lv_size.to_string(),
                l.seg_count.to_string(),
                l.origin.clone(),
                l.lv_tags.clone(),
                l.mirror_log.clone(),
                l.modules.clone(),
            ]
        })
        .collect();
    assert_eq!(got, want, "lvs ({})", lv_fields);
}

fn lv<'a>(scan: &'a Scan, vg: &str, name: &str) -> &'a lvm::LogicalVolume {
    let vg = scan
        .vgs
        .iter()
        .find(|v| v.name == vg)
        .unwrap_or_else(|| panic!("no VG {}: {:?}", vg, scan.warnings));
    vg.lvs
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no LV {}", name))
}

fn lv_bytes(scan: &Scan, vg: &str, name: &str) -> Vec<u8> {
    let l = lv(scan, vg, name);
    let dev = l
        .device
        .as_ref()
        .unwrap_or_else(|e| panic!("{}: {}", name, e));
    assert_eq!(dev.size(), l.size);
    read_all(dev.as_ref()).unwrap()
}

fn unique_vg(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "gt{}{}x{}",
        tag,
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// An ext4 image of `size` bytes holding a few files.
fn ext4_image(tmp: &TempDir, size: u64) -> Vec<u8> {
    let src = tmp.path("ext4-src");
    fs::create_dir_all(src.join("etc")).unwrap();
    fs::write(src.join("etc/hostname"), "lvm-test\n").unwrap();
    fs::write(src.join("big"), pattern("big", 300_000)).unwrap();
    let img = tmp.path("ext4.img");
    let st = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(&src)
        .arg(&img)
        .arg(format!("{}k", size / 1024))
        .status()
        .unwrap();
    assert!(st.success());
    let data = fs::read(&img).unwrap();
    assert_eq!(data.len() as u64, size);
    data
}

// ---------------------------------------------------------------------------------------------
// Volume groups made by lvcreate.

#[test]
fn linear_volumes_on_one_pv() {
    if !lvm_usable() {
        return;
    }
    let tmp = TempDir::new("linear");
    let img = tmp.path("pv.img");
    sparse_image(&img, 32 << 20);
    let vg = unique_vg("lin");
    let layout;
    let names;
    let scan_before;
    {
        let lp = Loop::attach(&img, false, None);
        let d = [lp.dev.as_str()];
        lvm("pvcreate", &d, &[&lp.dev]);
        lvm(
            "vgcreate",
            &d,
            &["-s", "1m", "--addtag", "vgtag", &vg, &lp.dev],
        );
        lvm(
            "lvcreate",
            &d,
            &["--activate", "n", "--zero", "n", "-L", "4m", "-n", "a", &vg],
        );
        lvm(
            "lvcreate",
            &d,
            &[
                "--activate",
                "n",
                "--zero",
                "n",
                "-L",
                "3m",
                "-n",
                "b",
                "--addtag",
                "t1",
                "--addtag",
                "t2",
                &vg,
            ],
        );
        lvm("lvextend", &d, &["-L", "+2m", &format!("{}/a", vg)]);
        lvm(
            "lvcreate",
            &d,
            &["--activate", "n", "--zero", "n", "-L", "5m", "-n", "c", &vg],
        );
        layout = Layout::read(&vg, &[(&lp, &img)]);
        assert_eq!(layout.segs["a"].len(), 2, "a should have two segments");
        names = HashMap::from([(lp.dev.clone(), "/dev/sda".to_owned())]);
        // Scan while lvm can still report, with the image read through its file.
        let s = lvm::scan(&[("/dev/sda".into(), open_raw(&img))]).unwrap();
        compare_reports(&s, &d, &names);
        scan_before = s;
    }
    assert_eq!(scan_before.vgs.len(), 1);
    let v = &scan_before.vgs[0];
    assert_eq!(
        v.lvs.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(
        v.lvs.iter().map(|l| l.kernel_minor).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)]
    );
    assert_eq!(v.lvs[0].size, 6 << 20);
    assert_eq!(v.pvs.len(), 1);
    assert_eq!(v.pvs[0].device, "/dev/sda");
    assert!(
        scan_before.warnings.is_empty(),
        "{:?}",
        scan_before.warnings
    );

    // Known data in every LV, placed where lvm's segment report says.
    let a = ext4_image(&tmp, 6 << 20);
    layout.write("a", &a);
    let b = pattern("b", 3 << 20);
    layout.write("b", &b);
    let c = pattern("c", 5 << 20);
    layout.write("c", &c);
    let scan = lvm::scan(&[("/dev/sda".into(), open_raw(&img))]).unwrap();
    assert!(
        lv_bytes(&scan, &vg, "a") == a,
        "2-segment LV a differs from the ext4 image"
    );
    assert!(lv_bytes(&scan, &vg, "b") == b);
    assert!(lv_bytes(&scan, &vg, "c") == c);
    // A read across the segment boundary of a (extent 4 of 6).
    let dev = lv(&scan, &vg, "a").device.clone().unwrap();
    let mut buf = vec![0u8; 8192];
    dev.read_exact_at(&mut buf, (4 << 20) - 4096).unwrap();
    assert!(buf[..] == a[(4 << 20) - 4096..(4 << 20) + 4096]);
    assert!(
        dev.read_exact_at(&mut buf, (6 << 20) - 4096).is_err(),
        "read past the end"
    );
}

#[test]
fn striped_and_spanning_volumes_on_two_pvs() {
    if !lvm_usable() {
        return;
    }
    let tmp = TempDir::new("stripe");
    let (img0, img1) = (tmp.path("pv0.img"), tmp.path("pv1.img"));
    sparse_image(&img0, 32 << 20);
    sparse_image(&img1, 32 << 20);
    let vg = unique_vg("str");
    let layout;
    {
        let (l0, l1) = (
            Loop::attach(&img0, false, None),
            Loop::attach(&img1, false, None),
        );
        let d = [l0.dev.as_str(), l1.dev.as_str()];
        lvm("pvcreate", &d, &[&l0.dev, &l1.dev]);
        lvm("vgcreate", &d, &["-s", "1m", &vg, &l0.dev, &l1.dev]);
        let base = ["--activate", "n", "--zero", "n"];
        lvm(
            "lvcreate",
            &d,
            &[
                &base[..],
                &["-i", "2", "-I", "64k", "-L", "8m", "-n", "st", &vg],
            ]
            .concat(),
        );
        lvm(
            "lvcreate",
            &d,
            &[
                &base[..],
                &["-i", "2", "-I", "4k", "-L", "4m", "-n", "st4k", &vg],
            ]
            .concat(),
        );
        lvm(
            "lvcreate",
            &d,
            &[&base[..], &["-L", "40m", "-n", "span", &vg]].concat(),
        );
        layout = Layout::read(&vg, &[(&l0, &img0), (&l1, &img1)]);
        let names = HashMap::from([
            (l0.dev.clone(), "/dev/sda".to_owned()),
            (l1.dev.clone(), "/dev/sdb".to_owned()),
        ]);
        let scan = lvm::scan(&[
            ("/dev/sda".into(), open_raw(&img0)),
            ("/dev/sdb".into(), open_raw(&img1)),
        ])
        .unwrap();
        compare_reports(&scan, &d, &names);
    }
    assert_eq!(layout.segs["span"].len(), 2, "span should cross the PVs");
    assert_eq!(layout.segs["st"][0].ranges.len(), 2);
    let data: Vec<(&str, Vec<u8>)> = ["st", "st4k", "span"]
        .iter()
        .map(|n| (*n, pattern(n, layout.lv_size(n) as usize)))
        .collect();
    for (n, d) in &data {
        layout.write(n, d);
    }
    // The candidates in the other order: PVs are matched by UUID, not position.
    let scan = lvm::scan(&[
        ("/dev/sdb".into(), open_raw(&img1)),
        ("/dev/sda".into(), open_raw(&img0)),
    ])
    .unwrap();
    for (n, d) in &data {
        assert!(lv_bytes(&scan, &vg, n) == *d, "{} differs", n);
    }
    // Unaligned reads through the stripes.
    let dev = lv(&scan, &vg, "st4k").device.clone().unwrap();
    let want = &data[1].1;
    for (off, len) in [
        (1u64, 10000usize),
        (4095, 2),
        (8191, 12289),
        ((4 << 20) - 7, 7),
    ] {
        let mut buf = vec![0u8; len];
        dev.read_exact_at(&mut buf, off).unwrap();
        assert!(
            buf[..] == want[off as usize..off as usize + len],
            "st4k at {}",
            off
        );
    }

    // One PV missing: the VG is partial, LVs touching the missing PV are unsupported.
    let scan = lvm::scan(&[("/dev/sda".into(), open_raw(&img0))]).unwrap();
    let v = &scan.vgs[0];
    assert!(v.partial);
    assert_eq!(v.pvs.len(), 1);
    for n in ["st", "st4k", "span"] {
        let err = lv(&scan, &vg, n)
            .device
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("{} readable", n));
        assert!(err.contains("missing"), "{}: {}", n, err);
    }
    assert_eq!(scan.vgs_full()[0].vg_attr, "wz-pn-");
    let missing = scan
        .pvs_full()
        .into_iter()
        .find(|p| p.pv_name == "[unknown]")
        .unwrap();
    assert_eq!(missing.pv_attr, "a-m");
}

// ---------------------------------------------------------------------------------------------
// Layouts lvcreate cannot make without device-mapper: written with vgcfgrestore.

fn uuid_for(name: &str) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let raw: String = pattern(name, 32)
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect();
    label::dash_uuid(&raw)
}

fn linear_lv(name: &str, pv: &str, pe: u64, count: u64, visible: bool) -> String {
    let vis = if visible { ", \"VISIBLE\"" } else { "" };
    format!(
        "{name} {{\nid = \"{}\"\nstatus = [\"READ\", \"WRITE\"{vis}]\nflags = []\nsegment_count = 1\n\
         segment1 {{\nstart_extent = 0\nextent_count = {count}\ntype = \"striped\"\nstripe_count = 1\n\
         stripes = [\"{pv}\", {pe}]\n}}\n}}\n",
        uuid_for(name)
    )
}

fn special_lv(name: &str, count: u64, body: &str) -> String {
    format!(
        "{name} {{\nid = \"{}\"\nstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\nflags = []\nsegment_count = 1\n\
         segment1 {{\nstart_extent = 0\nextent_count = {count}\n{body}\n}}\n}}\n",
        uuid_for(name)
    )
}

/// Logical volumes for a VG of two PVs (pv0, pv1) with 1 MiB extents: an origin with an old
/// snapshot, raid1, mirror with a log, a thin pool with a thin volume, zero and error.
fn special_lvs() -> String {
    let mut s = String::new();
    // Visible LVs first, as LVM writes them.
    s += &linear_lv("origin", "pv0", 0, 4, true);
    // LVM writes an exception store without VISIBLE: it is listed when its origin is.
    s += &linear_lv("snap", "pv1", 0, 2, false);
    s += &special_lv("r", 4, "type = \"raid1\"\ndevice_count = 2\nregion_size = 1024\nraids = [\"r_rmeta_0\", \"r_rimage_0\", \"r_rmeta_1\", \"r_rimage_1\"]");
    s += &special_lv("m", 3, "type = \"mirror\"\nmirror_count = 2\nmirror_log = \"m_mlog\"\nregion_size = 1024\nmirrors = [\"m_mimage_0\", 0, \"m_mimage_1\", 0]");
    s += &special_lv("pool", 2, "type = \"thin-pool\"\nmetadata = \"pool_tmeta\"\npool = \"pool_tdata\"\ntransaction_id = 1\nchunk_size = 128\ndiscards = \"passdown\"\nzero_new_blocks = 1");
    s += &special_lv(
        "thin1",
        8,
        "type = \"thin\"\nthin_pool = \"pool\"\ntransaction_id = 0\ndevice_id = 1",
    );
    s += &special_lv("z", 3, "type = \"zero\"");
    s += &special_lv("e", 1, "type = \"error\"");
    // Hidden LVs.
    s += &special_lv(
        "snapshot0",
        4,
        "type = \"snapshot\"\nchunk_size = 8\norigin = \"origin\"\ncow_store = \"snap\"",
    );
    s += &linear_lv("r_rmeta_0", "pv0", 4, 1, false);
    s += &linear_lv("r_rimage_0", "pv0", 5, 4, false);
    s += &linear_lv("r_rmeta_1", "pv1", 2, 1, false);
    s += &linear_lv("r_rimage_1", "pv1", 3, 4, false);
    s += &linear_lv("m_mlog", "pv0", 9, 1, false);
    s += &linear_lv("m_mimage_0", "pv0", 10, 3, false);
    s += &linear_lv("m_mimage_1", "pv1", 7, 3, false);
    s += &linear_lv("pool_tmeta", "pv0", 13, 1, false);
    s += &linear_lv("pool_tdata", "pv1", 10, 2, false);
    s += &linear_lv("lvol0_pmspare", "pv0", 14, 1, false);
    s
}

/// Adds `lvs` (a logical_volumes body) to VG `vg` with vgcfgbackup + vgcfgrestore.
fn restore_with_lvs(tmp: &TempDir, d: &[&str], vg: &str, lvs: &str) {
    let file = tmp.path("vg.backup");
    lvm("vgcfgbackup", d, &["-f", file.to_str().unwrap(), vg]);
    let text = fs::read_to_string(&file).unwrap();
    // The VG section is the last top-level section; insert before its closing brace.
    let end = text.trim_end().rfind('}').unwrap();
    let new = format!(
        "{}\nlogical_volumes {{\n{}\n}}\n{}",
        &text[..end],
        lvs,
        &text[end..]
    );
    fs::write(&file, new).unwrap();
    lvm(
        "vgcfgrestore",
        d,
        &["--force", "-f", file.to_str().unwrap(), vg],
    );
}

#[test]
fn raid1_mirror_thin_snapshot_zero_error() {
    if !lvm_usable() {
        return;
    }
    let tmp = TempDir::new("special");
    let (img0, img1) = (tmp.path("pv0.img"), tmp.path("pv1.img"));
    sparse_image(&img0, 24 << 20);
    sparse_image(&img1, 24 << 20);
    let vg = unique_vg("spc");
    let layout;
    {
        let (l0, l1) = (
            Loop::attach(&img0, false, None),
            Loop::attach(&img1, false, None),
        );
        let d = [l0.dev.as_str(), l1.dev.as_str()];
        lvm("pvcreate", &d, &[&l0.dev, &l1.dev]);
        lvm("vgcreate", &d, &["-s", "1m", &vg, &l0.dev, &l1.dev]);
        restore_with_lvs(&tmp, &d, &vg, &special_lvs());
        layout = Layout::read(&vg, &[(&l0, &img0), (&l1, &img1)]);
        let names = HashMap::from([
            (l0.dev.clone(), "/dev/sda".to_owned()),
            (l1.dev.clone(), "/dev/sdb".to_owned()),
        ]);
        let scan = lvm::scan(&[
            ("/dev/sda".into(), open_raw(&img0)),
            ("/dev/sdb".into(), open_raw(&img1)),
        ])
        .unwrap();
        compare_reports(&scan, &d, &names);
    }
    let origin = pattern("origin", 4 << 20);
    layout.write("origin", &origin);
    // Different data on the two legs shows which leg is read.
    let (r0, r1) = (pattern("r0", 4 << 20), pattern("r1", 4 << 20));
    layout.write("r_rimage_0", &r0);
    layout.write("r_rimage_1", &r1);
    let (m0, m1) = (pattern("m0", 3 << 20), pattern("m1", 3 << 20));
    layout.write("m_mimage_0", &m0);
    layout.write("m_mimage_1", &m1);

    let both = [
        ("/dev/sda".to_owned(), open_raw(&img0)),
        ("/dev/sdb".to_owned(), open_raw(&img1)),
    ];
    let scan = lvm::scan(&both).unwrap();
    let v = &scan.vgs[0];
    assert_eq!(
        v.lvs.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["origin", "snap", "r", "m", "pool", "thin1", "z", "e"],
        "visible LVs in metadata order"
    );
    assert!(lv_bytes(&scan, &vg, "origin") == origin);
    assert!(
        lv_bytes(&scan, &vg, "r") == r0,
        "raid1 reads its first image"
    );
    assert!(
        lv_bytes(&scan, &vg, "m") == m0,
        "mirror reads its first leg"
    );
    assert!(lv_bytes(&scan, &vg, "z").iter().all(|&b| b == 0));
    let e = lv(&scan, &vg, "e").device.clone().unwrap();
    assert_eq!(e.size(), 1 << 20);
    assert_eq!(
        e.read_exact_at(&mut [0u8; 512], 0)
            .unwrap_err()
            .raw_os_error(),
        Some(libc::EIO)
    );
    for (n, why) in [
        ("snap", "snapshot"),
        ("pool", "thin pools"),
        ("thin1", "thin volumes"),
    ] {
        let err = lv(&scan, &vg, n)
            .device
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("{} readable", n));
        assert!(err.contains(why), "{}: {}", n, err);
    }
    assert_eq!(lv(&scan, &vg, "thin1").size, 8 << 20);
    // Activation creates the lower devices first (r's 4 sub-LVs before r).
    let minors: HashMap<&str, Option<u32>> = v
        .lvs
        .iter()
        .map(|l| (l.name.as_str(), l.kernel_minor))
        .collect();
    assert_eq!(minors["origin"], Some(0));
    assert_eq!(minors["snap"], Some(1));
    assert_eq!(minors["r"], Some(6));

    // Without pv0 the second leg and image are read; without pv1 the first.
    let scan = lvm::scan(&both[1..]).unwrap();
    assert!(lv_bytes(&scan, &vg, "r") == r1);
    assert!(lv_bytes(&scan, &vg, "m") == m1);
    assert!(lv(&scan, &vg, "origin").device.is_err());
    let scan = lvm::scan(&both[..1]).unwrap();
    assert!(lv_bytes(&scan, &vg, "r") == r0);
    assert!(lv_bytes(&scan, &vg, "m") == m0);
    assert!(lv_bytes(&scan, &vg, "origin") == origin);
    assert!(scan.vgs[0].partial);
}

// ---------------------------------------------------------------------------------------------
// The fixture images made by libguestfs's test scripts.

fn fixtures_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    d.join("debian.img.xz").exists().then_some(d)
}

/// Unpacks NAME.img.xz (sparse) into `tmp`.
fn unpack_fixture(dir: &Path, name: &str, tmp: &TempDir) -> PathBuf {
    let out = tmp.path(&format!("{}.img", name));
    let st = Command::new("sh")
        .arg("-c")
        .arg("xz -dc \"$1\" | cp --sparse=always /dev/stdin \"$2\"")
        .arg("sh")
        .arg(dir.join(format!("{}.img.xz", name)))
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// Start and size in bytes of MBR partition `n` (1-4).
fn mbr_partition(disk: &dyn BlockDevice, n: usize) -> (u64, u64) {
    let mut mbr = [0u8; 512];
    disk.read_exact_at(&mut mbr, 0).unwrap();
    assert_eq!(&mbr[510..], &[0x55, 0xaa]);
    let e = &mbr[0x1be + 16 * (n - 1)..0x1be + 16 * n];
    let lba = u32::from_le_bytes(e[8..12].try_into().unwrap()) as u64;
    let sectors = u32::from_le_bytes(e[12..16].try_into().unwrap()) as u64;
    (lba * 512, sectors * 512)
}

/// The lv/vg/pv rows (name, size, uuid) of virt-filesystems --all --long --uuid.
fn expected_rows(dir: &Path, name: &str) -> Vec<(String, String, u64, String)> {
    let text = fs::read_to_string(
        dir.join("expected")
            .join(format!("{}.filesystems-all-long-uuid.out", name)),
    )
    .unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            matches!(f[1], "lv" | "vg" | "pv").then(|| {
                (
                    f[0].to_owned(),
                    f[1].to_owned(),
                    f[5].parse().unwrap(),
                    f[7].to_owned(),
                )
            })
        })
        .collect()
}

#[test]
fn fixture_images() {
    let Some(dir) = fixtures_dir() else {
        eprintln!("SKIPPED: ../shared/fixtures not found");
        return;
    };
    let tmp = TempDir::new("fixtures");
    for (name, vg_name, lv_order) in [
        ("debian", "debian", &["root", "usr", "var", "home"][..]),
        ("fedora", "VG", &["Root", "LV1", "LV2", "LV3"][..]),
        ("blank-bootrootlv", "VG", &["LV"][..]),
    ] {
        let img = unpack_fixture(&dir, name, &tmp);
        let disk = open_raw(&img);
        let (p2_start, p2_size) = mbr_partition(disk.as_ref(), 2);
        let part: Device = Arc::new(Slice::new(disk.clone(), p2_start, p2_size));
        let scan = lvm::scan(&[("/dev/sda2".into(), part)]).unwrap();
        assert!(scan.warnings.is_empty(), "{}: {:?}", name, scan.warnings);
        assert_eq!(scan.vgs.len(), 1);
        let v = &scan.vgs[0];
        assert_eq!(v.name, vg_name);
        assert_eq!(
            v.lvs.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            lv_order,
            "{}",
            name
        );
        // dm minors in metadata order: the first LV is 253:0.
        for (i, l) in v.lvs.iter().enumerate() {
            assert_eq!(l.kernel_minor, Some(i as u32));
        }

        // What libguestfs 1.48's virt-filesystems printed.
        for (row_name, kind, size, uuid) in expected_rows(&dir, name) {
            match kind.as_str() {
                "lv" => {
                    let l = v
                        .lvs
                        .iter()
                        .find(|l| format!("/dev/{}/{}", vg_name, l.name) == row_name)
                        .unwrap();
                    assert_eq!((l.size, &l.uuid), (size, &uuid), "{} {}", name, row_name);
                    let full = scan
                        .lvs_full()
                        .into_iter()
                        .find(|f| f.lv_name == l.name)
                        .unwrap();
                    assert_eq!((full.lv_size as u64, full.lv_uuid), (size, undash(&uuid)));
                    assert_eq!(full.lv_attr, "-wi-a-----");
                    assert_eq!(
                        (full.lv_kernel_major, full.lv_kernel_minor),
                        (253, l.kernel_minor.unwrap() as i64)
                    );
                    // Each LV holds an ext2 filesystem: check its superblock magic.
                    let dev = l.device.as_ref().unwrap();
                    let mut sb = [0u8; 2];
                    dev.read_exact_at(&mut sb, 1024 + 56).unwrap();
                    assert_eq!(sb, [0x53, 0xef], "{} {}", name, row_name);
                }
                "vg" => {
                    let full = &scan.vgs_full()[0];
                    assert_eq!(
                        (full.vg_size as u64, full.vg_uuid.as_str()),
                        (size, uuid.as_str()),
                        "{}",
                        name
                    );
                    assert_eq!(undash(&v.uuid), uuid);
                }
                _ => {
                    let full = &scan.pvs_full()[0];
                    assert_eq!(full.pv_name, row_name);
                    assert_eq!(
                        (full.pv_size as u64, full.pv_uuid.as_str()),
                        (size, uuid.as_str()),
                        "{}",
                        name
                    );
                }
            }
        }

        // lvm2 itself on the same partition (a read-only loop device).
        if lvm_usable() {
            let lp = Loop::attach(&img, true, Some((p2_start, p2_size)));
            let p = lp.dev.clone();
            let names = HashMap::from([(p.clone(), "/dev/sda2".to_owned())]);
            let disk = open_raw(&img);
            let part: Device = Arc::new(Slice::new(disk, p2_start, p2_size));
            let scan = lvm::scan(&[("/dev/sda2".into(), part)]).unwrap();
            compare_reports(&scan, &[&p], &names);
        }
        fs::remove_file(&img).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Damaged and unusual metadata.

/// A device in memory.
struct Mem(Vec<u8>);

impl BlockDevice for Mem {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(self.size(), offset, buf.len())?;
        buf.copy_from_slice(&self.0[offset as usize..offset as usize + buf.len()]);
        Ok(())
    }
}

fn scan_mem(bytes: Vec<u8>) -> Scan {
    lvm::scan(&[("/dev/sda".into(), Arc::new(Mem(bytes)) as Device)]).unwrap()
}

/// Replaces the committed metadata of the (first) metadata area of a PV image with `text`,
/// written `at` bytes into the area (wrapping past its end as LVM does), with correct checksums.
fn rewrite_metadata(img: &mut [u8], text: &str, at: Option<u64>) {
    let dev = Mem(img.to_vec());
    let l = label::read_label(&dev).unwrap().unwrap();
    let area = l.metadata_areas[0];
    let hdr = mda::read_mda_header(&dev, area).unwrap();
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    let offset = at.unwrap_or(hdr.raw_locns[0].offset);
    let size = bytes.len() as u64;
    let first = size.min(hdr.size - offset);
    let base = area.offset as usize;
    img[base + offset as usize..base + (offset + first) as usize]
        .copy_from_slice(&bytes[..first as usize]);
    if first < size {
        img[base + 512..base + 512 + (size - first) as usize]
            .copy_from_slice(&bytes[first as usize..]);
    }
    let h = &mut img[base..base + 512];
    h[40..48].copy_from_slice(&offset.to_le_bytes());
    h[48..56].copy_from_slice(&size.to_le_bytes());
    h[56..60].copy_from_slice(&label::calc_crc(label::INITIAL_CRC, &bytes).to_le_bytes());
    let crc = label::calc_crc(label::INITIAL_CRC, &h[4..]);
    h[0..4].copy_from_slice(&crc.to_le_bytes());
}

fn current_metadata(img: &[u8]) -> String {
    let dev = Mem(img.to_vec());
    let l = label::read_label(&dev).unwrap().unwrap();
    let hdr = mda::read_mda_header(&dev, l.metadata_areas[0]).unwrap();
    match mda::read_mda_text(&dev, &hdr).unwrap() {
        mda::MdaText::Text { text, .. } => String::from_utf8(text).unwrap(),
        other => panic!("{:?}", other),
    }
}

/// A small PV image (8 MiB, 1 MiB extents) with VG `vg` and LVs `a` (2 MiB) and `b` (3 MiB)
/// holding patterns; built with lvm2 when possible, otherwise None.
fn small_pv(tmp: &TempDir, vg: &str) -> Option<Vec<u8>> {
    if !lvm_usable() {
        return None;
    }
    let img = tmp.path("small.img");
    sparse_image(&img, 8 << 20);
    let layout;
    {
        let lp = Loop::attach(&img, false, None);
        let d = [lp.dev.as_str()];
        lvm("pvcreate", &d, &[&lp.dev]);
        lvm("vgcreate", &d, &["-s", "1m", vg, &lp.dev]);
        lvm(
            "lvcreate",
            &d,
            &["--activate", "n", "--zero", "n", "-L", "2m", "-n", "a", vg],
        );
        lvm(
            "lvcreate",
            &d,
            &["--activate", "n", "--zero", "n", "-L", "3m", "-n", "b", vg],
        );
        layout = Layout::read(vg, &[(&lp, &img)]);
    }
    layout.write("a", &pattern("a", 2 << 20));
    layout.write("b", &pattern("b", 3 << 20));
    Some(fs::read(&img).unwrap())
}

#[test]
fn damaged_and_unusual_metadata() {
    let tmp = TempDir::new("damaged");
    let vg = unique_vg("dmg");
    let Some(base) = small_pv(&tmp, &vg) else {
        return;
    };
    let good = scan_mem(base.clone());
    assert!(lv_bytes(&good, &vg, "b") == pattern("b", 3 << 20));
    let text = current_metadata(&base);

    // Bad label checksum: not a PV any more.
    let mut img = base.clone();
    img[512 + 100] ^= 0x40;
    let s = scan_mem(img);
    assert!(s.vgs.is_empty() && s.pvs_full().is_empty());
    assert!(
        s.warnings.iter().any(|w| w.contains("checksum")),
        "{:?}",
        s.warnings
    );

    // Bad metadata area header checksum.
    let mut img = base.clone();
    img[4096 + 30] ^= 1;
    let s = scan_mem(img);
    assert!(s.vgs.is_empty());
    assert_eq!(s.pvs_full().len(), 1, "still a PV (orphan)");
    assert_eq!(
        s.pvs_full()[0].pv_attr,
        "u--",
        "PV marked used by a VG that cannot be read"
    );

    // Metadata that does not parse, with correct checksums.
    let mut img = base.clone();
    rewrite_metadata(&mut img, &format!("{} {{ id = = }}", vg), None);
    let s = scan_mem(img);
    assert!(s.vgs.is_empty());
    assert!(
        s.warnings.iter().any(|w| w.contains("LVM metadata")),
        "{:?}",
        s.warnings
    );

    // An extent beyond the PV's extents, and beyond the device.
    let mut img = base.clone();
    let bad = text.replacen("\"pv0\", 0", "\"pv0\", 4000", 1);
    assert_ne!(bad, text);
    rewrite_metadata(&mut img, &bad, None);
    let s = scan_mem(img);
    let err = lv(&s, &vg, "a").device.as_ref().err().unwrap();
    assert!(err.contains("beyond"), "{}", err);
    assert!(lv(&s, &vg, "b").device.is_ok());

    let mut img = base.clone();
    let bad = text
        .replacen("pe_count = 7", "pe_count = 70000", 1)
        .replacen("\"pv0\", 0", "\"pv0\", 60000", 1);
    rewrite_metadata(&mut img, &bad, None);
    let err = lv(&scan_mem(img), &vg, "a")
        .device
        .as_ref()
        .err()
        .unwrap()
        .clone();
    assert!(err.contains("end of the device"), "{}", err);

    // A truncated image: the LVs past its end cannot be read, the others can.
    let s = scan_mem(base[..(3 << 20) + 512].to_vec());
    assert!(lv(&s, &vg, "a").device.is_ok());
    assert!(lv(&s, &vg, "b").device.is_err());

    // Metadata wrapping round the end of the circular buffer is read whole.
    let mut img = base.clone();
    let mda_size = label::read_label(&Mem(img.clone()))
        .unwrap()
        .unwrap()
        .metadata_areas[0]
        .size;
    let wrapped = text.replacen("seqno = ", "seqno = 1", 1);
    rewrite_metadata(&mut img, &wrapped, Some(mda_size - 1000));
    let s = scan_mem(img.clone());
    assert!(lv_bytes(&s, &vg, "b") == pattern("b", 3 << 20));
    assert!(s.vgs[0].seqno >= 10);
    // lvm2 agrees that it is valid.
    let f = tmp.path("wrapped.img");
    fs::write(&f, &img).unwrap();
    {
        let lp = Loop::attach(&f, true, None);
        let rows = report("vgs", &[&lp.dev], &[], "vg_name,vg_seqno");
        assert_eq!(rows, vec![vec![vg.clone(), s.vgs[0].seqno.to_string()]]);
    }

    // Deterministic random damage inside the metadata text: never a panic.
    let mut x = 0x9e3779b97f4a7c15u64;
    for _ in 0..300 {
        let mut t = text.clone().into_bytes();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % t.len();
            t[i] = (x >> 32) as u8 & 0x7f;
        }
        let mut img = base[..1 << 20].to_vec();
        img.resize(8 << 20, 0);
        rewrite_metadata(&mut img, &String::from_utf8_lossy(&t), None);
        let s = scan_mem(img);
        for v in &s.vgs {
            for l in &v.lvs {
                if let Ok(d) = &l.device {
                    let _ = d.read_exact_at(&mut [0u8; 4096], 0);
                }
            }
        }
    }
}

#[test]
fn newest_metadata_copy_wins() {
    if !lvm_usable() {
        return;
    }
    let tmp = TempDir::new("seqno");
    let vg = unique_vg("seq");
    let (f0, f1) = (tmp.path("pv0.img"), tmp.path("pv1.img"));
    sparse_image(&f0, 8 << 20);
    sparse_image(&f1, 8 << 20);
    {
        let (l0, l1) = (
            Loop::attach(&f0, false, None),
            Loop::attach(&f1, false, None),
        );
        let d = [l0.dev.as_str(), l1.dev.as_str()];
        lvm("pvcreate", &d, &[&l0.dev, &l1.dev]);
        lvm("vgcreate", &d, &["-s", "1m", &vg, &l0.dev, &l1.dev]);
        lvm(
            "lvcreate",
            &d,
            &["--activate", "n", "--zero", "n", "-L", "2m", "-n", "a", &vg],
        );
    }
    let (img0, img1) = (fs::read(&f0).unwrap(), fs::read(&f1).unwrap());
    let text = current_metadata(&img0);
    assert_eq!(text, current_metadata(&img1));
    let seqno: u64 = text
        .split("seqno = ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let with = |seq: u64, tag: &str| {
        text.replacen(
            &format!("seqno = {}", seqno),
            &format!("seqno = {}", seq),
            1,
        )
        .replacen(
            "flags = []",
            &format!("flags = []\ntags = [\"{}\"]", tag),
            1,
        )
    };
    let scan2 = |a: &[u8], b: &[u8]| {
        lvm::scan(&[
            ("/dev/sda".into(), Arc::new(Mem(a.to_vec())) as Device),
            ("/dev/sdb".into(), Arc::new(Mem(b.to_vec())) as Device),
        ])
        .unwrap()
    };

    // The copy on the second PV is newer: it wins.
    let mut newer = img1.clone();
    rewrite_metadata(&mut newer, &with(seqno + 5, "higher"), None);
    let s = scan2(&img0, &newer);
    assert_eq!(s.vgs_full()[0].vg_tags, "higher");
    assert_eq!(s.vgs_full()[0].vg_seqno as u64, seqno + 5);
    assert_eq!(s.vgs[0].pvs.len(), 2);

    // The copy on the second PV is older: the first PV's copy wins.
    let mut older = img1.clone();
    rewrite_metadata(&mut older, &with(seqno - 1, "lower"), None);
    let s = scan2(&img0, &older);
    assert_eq!(s.vgs_full()[0].vg_tags, "");
    assert_eq!(s.vgs_full()[0].vg_seqno as u64, seqno);

    // The same PV twice (a cloned disk): the second is ignored.
    let s = scan2(&img0, &img0);
    assert!(
        s.warnings.iter().any(|w| w.contains("duplicate")),
        "{:?}",
        s.warnings
    );
    assert_eq!(s.vgs[0].pvs.len(), 1);
    assert!(s.vgs[0].partial);
}

/// The hand-made PVs the lvm_label fuzz target starts from (fuzz/seeds/gen.py) are read as
/// intended: each extent i of the PV holds bytes i+1.
#[test]
fn fuzz_seed_pvs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/lvm_label");
    let Ok(one) = fs::read(dir.join("one-pv")) else {
        eprintln!("SKIPPED: fuzz seeds not found");
        return;
    };
    let s = scan_mem(one[1..].to_vec());
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let ext = |i: u8| vec![i + 1; 1024];
    assert_eq!(lv_bytes(&s, "fuzzvg", "lin"), [ext(0), ext(5)].concat());
    // stripe_size 1 sector: the two stripes (extents 1 and 2) alternate every 512 bytes.
    let st = lv_bytes(&s, "fuzzvg", "st");
    assert_eq!(&st[..512], &ext(1)[..512]);
    assert_eq!(&st[512..1024], &ext(2)[..512]);
    assert_eq!(lv_bytes(&s, "fuzzvg", "mir"), ext(3));
    assert_eq!(lv_bytes(&s, "fuzzvg", "z"), vec![0; 2048]);

    let two = fs::read(dir.join("two-pvs")).unwrap();
    let (a, b) = two[1..].split_at((two.len() - 1) / 2);
    let s = lvm::scan(&[
        ("/dev/sda".into(), Arc::new(Mem(a.to_vec())) as Device),
        ("/dev/sdb".into(), Arc::new(Mem(b.to_vec())) as Device),
    ])
    .unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        lv_bytes(&s, "fuzzvg", "span"),
        [ext(0), ext(1), ext(0), ext(1)].concat()
    );
}
