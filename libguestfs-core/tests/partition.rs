//! MBR and GPT readers against tables made by sfdisk and sgdisk, checked against
//! `sfdisk --json`, against the kernel's own view through loop devices where the host kernel
//! scans partitions, and against the shared fixtures' expected partition sizes.

use guestfs::block::raw::RawImage;
use guestfs::block::BlockDevice;
use guestfs::partition::{self, gpt, mbr, PartitionEntry, PartitionTable, TableType};
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A scratch directory removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let dir = base.join(format!("guestfs-partition-{}-{}", name, std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
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

fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null", tool))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIP: {} is not installed", tool);
    }
    ok
}

fn sparse_file(path: &Path, size: u64) {
    let f = fs::File::create(path).unwrap();
    f.set_len(size).unwrap();
}

fn run(cmd: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {}", cmd, e));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} {:?} failed: {}{}",
        cmd,
        args,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn open(path: &Path) -> RawImage {
    RawImage::open(path).unwrap()
}

/// A loop device over an image, detached on drop.
struct Loop(String);

impl Loop {
    /// `losetup -f --show [-P] --sector-size N img`; None (with a message) if that fails.
    fn attach(img: &Path, sector_size: u64, scan: bool) -> Option<Loop> {
        let ss = sector_size.to_string();
        let mut args = vec!["-f", "--show", "--sector-size", ss.as_str()];
        if scan {
            args.push("-P");
        }
        let img = img.to_str().unwrap();
        args.push(img);
        match Command::new("losetup").args(&args).output() {
            Ok(out) if out.status.success() => Some(Loop(
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            )),
            Ok(out) => {
                eprintln!(
                    "SKIP kernel comparison: losetup failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIP kernel comparison: losetup: {}", e);
                None
            }
        }
    }

    fn name(&self) -> &str {
        self.0.trim_start_matches("/dev/")
    }

    /// The partitions the kernel made: (number, start bytes, size bytes), by number.
    fn kernel_partitions(&self) -> Vec<(u32, u64, u64)> {
        let dir = PathBuf::from("/sys/block").join(self.name());
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.starts_with(self.name()) {
                continue;
            }
            let read = |f: &str| -> u64 {
                fs::read_to_string(entry.path().join(f))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            };
            out.push((
                read("partition") as u32,
                read("start") * 512,
                read("size") * 512,
            ));
        }
        out.sort();
        out
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.0]).status();
    }
}

/// Whether this host's kernel scans loop devices for partitions at all (some minimal
/// kernels are built without any partition table support).
fn kernel_scans_partitions() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        if !have("losetup") || !have("sfdisk") {
            return false;
        }
        let dir = TempDir::new("probe");
        let img = dir.path("probe.img");
        sparse_file(&img, 8 << 20);
        run(
            "sfdisk",
            &["-q", img.to_str().unwrap()],
            Some("label: dos\nstart=2048, size=2048, type=83\n"),
        );
        let Some(lo) = Loop::attach(&img, 512, true) else {
            return false;
        };
        let scans = !lo.kernel_partitions().is_empty();
        if !scans {
            eprintln!("SKIP kernel comparison: this host's kernel does not scan partition tables");
        }
        scans
    })
}

/// Checks our table against the kernel's partitions for the same image and sector size.
fn compare_with_kernel(img: &Path, sector_size: u64, ours: Option<&PartitionTable>) {
    if !kernel_scans_partitions() {
        return;
    }
    let Some(lo) = Loop::attach(img, sector_size, true) else {
        return;
    };
    let kernel = lo.kernel_partitions();
    let ours: Vec<(u32, u64, u64)> = ours
        .map(|t| {
            t.partitions
                .iter()
                .map(|p| (p.number, p.start, p.device_size))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        ours,
        kernel,
        "{}: our partitions differ from the kernel's",
        img.display()
    );
}

fn sfdisk_json(target: &str) -> Value {
    let out = run("sfdisk", &["--json", target], None);
    serde_json::from_str(&out).unwrap()
}

/// Partition number from sfdisk's node name (`img5`, `/dev/loop4p5`).
fn node_number(node: &str) -> u32 {
    let digits: String = node
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap()
}

/// sfdisk's `attrs` string as attribute bits.
fn sfdisk_attrs(s: &str) -> u64 {
    let mut bits = 0u64;
    for tok in s.split_whitespace() {
        match tok {
            "RequiredPartition" => bits |= 1,
            "NoBlockIOProtocol" => bits |= 2,
            "LegacyBIOSBootable" => bits |= 4,
            t if t.starts_with("GUID:") => {
                for n in t["GUID:".len()..].split(',') {
                    bits |= 1 << n.parse::<u32>().unwrap();
                }
            }
            t => panic!("unknown sfdisk attribute {}", t),
        }
    }
    bits
}

/// Compares our table with `sfdisk --json` of the same disk.
fn compare_with_sfdisk(table: &PartitionTable, json: &Value) {
    let pt = &json["partitiontable"];
    let ss = pt["sectorsize"].as_u64().unwrap();
    let theirs = pt["partitions"].as_array().unwrap();
    assert_eq!(table.partitions.len(), theirs.len(), "partition count");
    for p in theirs {
        let n = node_number(p["node"].as_str().unwrap());
        let ours: &PartitionEntry = table
            .partitions
            .iter()
            .find(|e| e.number == n)
            .unwrap_or_else(|| panic!("no partition {}", n));
        assert_eq!(
            ours.start,
            p["start"].as_u64().unwrap() * ss,
            "start of {}",
            n
        );
        assert_eq!(ours.size, p["size"].as_u64().unwrap() * ss, "size of {}", n);
        match pt["label"].as_str().unwrap() {
            "dos" => {
                assert_eq!(table.table_type, TableType::Msdos);
                let ty = u8::from_str_radix(p["type"].as_str().unwrap(), 16).unwrap();
                assert_eq!(ours.mbr_id, Some(ty), "type of {}", n);
                assert_eq!(ours.is_extended, matches!(ty, 0x05 | 0x0f | 0x85));
                assert_eq!(
                    ours.bootable,
                    p["bootable"].as_bool().unwrap_or(false),
                    "boot flag of {}",
                    n
                );
                if ours.is_extended {
                    assert_eq!(ours.device_size, ss.max(1024));
                } else {
                    assert_eq!(ours.device_size, ours.size);
                }
            }
            "gpt" => {
                assert_eq!(table.table_type, TableType::Gpt);
                assert_eq!(
                    ours.gpt_type.as_deref(),
                    p["type"].as_str(),
                    "type of {}",
                    n
                );
                assert_eq!(
                    ours.gpt_guid.as_deref(),
                    p["uuid"].as_str(),
                    "uuid of {}",
                    n
                );
                assert_eq!(
                    ours.gpt_name.as_deref().unwrap_or(""),
                    p["name"].as_str().unwrap_or(""),
                    "name of {}",
                    n
                );
                assert_eq!(
                    ours.gpt_attributes,
                    Some(sfdisk_attrs(p["attrs"].as_str().unwrap_or(""))),
                    "attrs of {}",
                    n
                );
                assert_eq!(ours.device_size, ours.size);
            }
            other => panic!("label {}", other),
        }
    }
    if pt["label"] == "gpt" {
        assert_eq!(table.disk_guid.as_deref(), pt["id"].as_str());
    }
}

const MBR_SCRIPT: &str = "label: dos
start=2048, size=8192, type=83, bootable
start=10240, size=4096, type=82
start=14336, size=2048, type=7
start=16384, size=100000, type=f
start=18432, size=8192, type=83
size=4096, type=8e
size=2048, type=7, bootable
type=83
";

#[test]
fn mbr_with_extended_and_logicals_matches_sfdisk() {
    if !have("sfdisk") {
        return;
    }
    let dir = TempDir::new("mbr");
    let img = dir.path("mbr.img");
    sparse_file(&img, 64 << 20);
    run("sfdisk", &["-q", img.to_str().unwrap()], Some(MBR_SCRIPT));
    let dev = open(&img);
    let table = mbr::read(&dev, 512).unwrap().expect("msdos table");
    assert_eq!(
        table
            .partitions
            .iter()
            .map(|p| p.number)
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6, 7, 8]
    );
    compare_with_sfdisk(&table, &sfdisk_json(img.to_str().unwrap()));
    // GPT does not claim it, and the combined reader returns the same.
    assert_eq!(gpt::read(&dev, 512).unwrap(), None);
    assert_eq!(partition::read(&dev, 512).unwrap().as_ref(), Some(&table));
    compare_with_kernel(&img, 512, Some(&table));
}

#[test]
fn mbr_on_4096_byte_sectors_matches_sfdisk() {
    if !have("sfdisk") || !have("losetup") {
        return;
    }
    let dir = TempDir::new("mbr4k");
    let img = dir.path("mbr4k.img");
    sparse_file(&img, 256 << 20);
    // sfdisk takes the sector size from the device, so partition through a 4K loop device.
    let json = {
        let Some(lo) = Loop::attach(&img, 4096, false) else {
            return;
        };
        run("sfdisk", &["-q", &lo.0], Some("label: dos\nstart=256, size=1024, type=83\nstart=2048, size=20000, type=5\nstart=2304, size=1024, type=83\nsize=512, type=82\n"));
        sfdisk_json(&lo.0)
    };
    let dev = open(&img);
    let table = mbr::read(&dev, 4096).unwrap().expect("msdos table");
    assert_eq!(table.partitions.len(), 4);
    compare_with_sfdisk(&table, &json);
    let ext = table.partitions.iter().find(|p| p.is_extended).unwrap();
    assert_eq!((ext.number, ext.device_size), (2, 4096));
    compare_with_kernel(&img, 4096, Some(&table));
}

fn sgdisk_many(img: &Path) {
    let mut args: Vec<String> = Vec::new();
    let names = [
        "EFI System",
        "boot",
        "données",
        "日本語",
        "swap",
        "a-very-long-name-of-36-characters-xx",
    ];
    for i in 1..=30u32 {
        args.push(format!("-n{}:0:+{}K", i, 512 + 64 * i));
        args.push(format!(
            "-c{}:{}",
            i,
            names[i as usize % names.len()].replace("xx", &format!("{:02}", i))
        ));
    }
    args.extend(
        [
            "-t1:ef00",
            "-t2:8e00",
            "-t5:8200",
            "-t7:0700",
            "-A1:set:0",
            "-A2:set:2",
            "-A3:set:60",
            "-A3:set:63",
        ]
        .map(String::from),
    );
    args.push(img.to_str().unwrap().to_string());
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run("sgdisk", &args, None);
}

#[test]
fn gpt_with_names_and_many_partitions_matches_sfdisk() {
    if !have("sgdisk") || !have("sfdisk") {
        return;
    }
    let dir = TempDir::new("gpt");
    let img = dir.path("gpt.img");
    sparse_file(&img, 64 << 20);
    sgdisk_many(&img);
    let dev = open(&img);
    let table = gpt::read(&dev, 512).unwrap().expect("gpt");
    assert_eq!(table.partitions.len(), 30);
    assert_eq!(table.partitions[2].gpt_name.as_deref(), Some("日本語"));
    assert_eq!(table.partitions[0].gpt_attributes, Some(1));
    assert_eq!(
        table.partitions[2].gpt_attributes,
        Some((1 << 60) | (1 << 63))
    );
    compare_with_sfdisk(&table, &sfdisk_json(img.to_str().unwrap()));
    // The protective MBR is not an msdos table, and the combined reader prefers GPT.
    assert_eq!(mbr::read(&dev, 512).unwrap(), None);
    assert_eq!(partition::read(&dev, 512).unwrap().as_ref(), Some(&table));
    // The table does not parse as 4K-sector GPT.
    assert_eq!(gpt::read(&dev, 4096).unwrap(), None);
    compare_with_kernel(&img, 512, Some(&table));
}

#[test]
fn gpt_entries_beyond_unused_slots_keep_their_index_numbers() {
    if !have("sgdisk") {
        return;
    }
    let dir = TempDir::new("gptgaps");
    let img = dir.path("gaps.img");
    sparse_file(&img, 32 << 20);
    run(
        "sgdisk",
        &[
            "-n3:2048:+1M",
            "-n7:0:+1M",
            "-n128:0:+1M",
            img.to_str().unwrap(),
        ],
        None,
    );
    let table = gpt::read(&open(&img), 512).unwrap().expect("gpt");
    assert_eq!(
        table
            .partitions
            .iter()
            .map(|p| p.number)
            .collect::<Vec<_>>(),
        vec![3, 7, 128]
    );
    assert_eq!(table.partitions[0].start, 2048 * 512);
    compare_with_kernel(&img, 512, Some(&table));
}

/// Overwrites `len` bytes at `offset` of a file with 0x5a.
fn scribble(path: &Path, offset: u64, len: usize) {
    use std::os::unix::fs::FileExt;
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(&vec![0x5a; len], offset).unwrap();
}

#[test]
fn gpt_with_a_bad_primary_header_is_read_from_the_backup_only_on_request() {
    if !have("sgdisk") || !have("sfdisk") {
        return;
    }
    let dir = TempDir::new("gptbad");
    let img = dir.path("bad.img");
    sparse_file(&img, 64 << 20);
    sgdisk_many(&img);
    let good = gpt::read(&open(&img), 512).unwrap().expect("gpt");
    let sfdisk_before = sfdisk_json(img.to_str().unwrap());

    // Spoil the disk GUID in the primary header: its CRC no longer matches.
    scribble(&img, 512 + 56, 4);
    let dev = open(&img);
    // The kernel trusts only the primary header: no partitions at all.
    assert_eq!(gpt::read(&dev, 512).unwrap(), None);
    assert_eq!(partition::read(&dev, 512).unwrap(), None);
    compare_with_kernel(&img, 512, None);
    // parted and sgdisk fall back to the backup, which holds the same table.
    let backup = gpt::read_with_backup(&dev, 512)
        .unwrap()
        .expect("backup gpt");
    assert_eq!(backup, good);
    compare_with_sfdisk(&backup, &sfdisk_before);

    // A good primary header with a spoiled entry array is just as bad.
    let img2 = dir.path("badarray.img");
    sparse_file(&img2, 64 << 20);
    sgdisk_many(&img2);
    scribble(&img2, 1024 + 128 + 60, 2);
    let dev2 = open(&img2);
    assert_eq!(gpt::read(&dev2, 512).unwrap(), None);
    let backup2 = gpt::read_with_backup(&dev2, 512)
        .unwrap()
        .expect("backup gpt");
    assert_eq!(backup2.partitions.len(), 30);

    // Both headers spoiled: nothing.
    scribble(&img, (64 << 20) - 512 + 56, 4);
    let dev = open(&img);
    assert_eq!(gpt::read(&dev, 512).unwrap(), None);
    assert_eq!(gpt::read_with_backup(&dev, 512).unwrap(), None);
    assert_eq!(partition::read(&dev, 512).unwrap(), None);
    compare_with_kernel(&img, 512, None);
}

#[test]
fn gpt_on_4096_byte_sectors_matches_sfdisk() {
    if !have("sgdisk") || !have("sfdisk") || !have("losetup") {
        return;
    }
    let dir = TempDir::new("gpt4k");
    let img = dir.path("gpt4k.img");
    sparse_file(&img, 64 << 20);
    let json = {
        let Some(lo) = Loop::attach(&img, 4096, false) else {
            return;
        };
        run(
            "sgdisk",
            &[
                "-n1:0:+1M",
                "-c1:EFI é",
                "-t1:ef00",
                "-A1:set:0",
                "-A1:set:63",
                "-n2:0:+2M",
                "-c2:two",
                "-n5:0:+3M",
                "-t5:8e00",
                &lo.0,
            ],
            None,
        );
        sfdisk_json(&lo.0)
    };
    let dev = open(&img);
    let table = gpt::read(&dev, 4096).unwrap().expect("gpt");
    assert_eq!(
        table
            .partitions
            .iter()
            .map(|p| p.number)
            .collect::<Vec<_>>(),
        vec![1, 2, 5]
    );
    compare_with_sfdisk(&table, &json);
    // Read with the wrong sector size it is not a GPT (the header is not at byte 512).
    assert_eq!(gpt::read(&dev, 512).unwrap(), None);
    compare_with_kernel(&img, 4096, Some(&table));

    // The backup header at the last 4K LBA works too.
    scribble(&img, 4096 + 56, 4);
    let dev = open(&img);
    assert_eq!(gpt::read(&dev, 4096).unwrap(), None);
    assert_eq!(
        gpt::read_with_backup(&dev, 4096).unwrap().as_ref(),
        Some(&table)
    );
}

#[test]
fn whole_disk_filesystems_are_not_partition_tables() {
    let dir = TempDir::new("fsdisk");
    if have("mkfs.vfat") {
        let img = dir.path("fat.img");
        sparse_file(&img, 16 << 20);
        run("mkfs.vfat", &["-F", "32", img.to_str().unwrap()], None);
        assert_eq!(partition::read(&open(&img), 512).unwrap(), None);
        compare_with_kernel(&img, 512, None);
    }
    if have("mkntfs") {
        let img = dir.path("ntfs.img");
        sparse_file(&img, 16 << 20);
        run("mkntfs", &["-q", "-F", "-f", img.to_str().unwrap()], None);
        assert_eq!(partition::read(&open(&img), 512).unwrap(), None);
        compare_with_kernel(&img, 512, None);
    }
    // A blank disk and an empty msdos label.
    let img = dir.path("blank.img");
    sparse_file(&img, 4 << 20);
    assert_eq!(partition::read(&open(&img), 512).unwrap(), None);
    if have("sfdisk") {
        run(
            "sfdisk",
            &["-q", img.to_str().unwrap()],
            Some("label: dos\n"),
        );
        let t = partition::read(&open(&img), 512)
            .unwrap()
            .expect("empty msdos label");
        assert_eq!(t.table_type, TableType::Msdos);
        assert!(t.partitions.is_empty());
    }
}

/// The shared fixtures: partition sizes from libguestfs 1.48's `virt-filesystems --all --long`.
#[test]
fn fixtures_match_libguestfs_partition_sizes() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    if !shared.join("unpack.sh").exists() {
        eprintln!("SKIP: shared fixtures not found");
        return;
    }
    let dest = std::env::var("GUESTFS_FIXTURES").unwrap_or_else(|_| "/tmp/fixtures".to_string());
    run(
        "sh",
        &[shared.join("unpack.sh").to_str().unwrap(), &dest],
        None,
    );
    let mut checked = 0;
    for entry in fs::read_dir(shared.join("expected")).unwrap() {
        let path = entry.unwrap().path();
        let fname = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(image) = fname.strip_suffix(".filesystems-all-long-csv.out") else {
            continue;
        };
        let img = Path::new(&dest).join(format!("{}.img", image));
        let dev = open(&img);
        let table = partition::read(&dev, 512).unwrap();
        let mut expected: Vec<(u32, u64)> = Vec::new();
        for line in fs::read_to_string(&path).unwrap().lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols.get(1) == Some(&"device") {
                assert_eq!(
                    cols[5].parse::<u64>().unwrap(),
                    dev.size(),
                    "{}: device size",
                    image
                );
            }
            if cols.get(1) != Some(&"partition") {
                continue;
            }
            let number: u32 = cols[0].trim_start_matches("/dev/sda").parse().unwrap();
            expected.push((number, cols[5].parse().unwrap()));
            if let Ok(id) = u8::from_str_radix(cols[4], 16) {
                let t = table.as_ref().unwrap();
                assert_eq!(
                    t.partitions
                        .iter()
                        .find(|p| p.number == number)
                        .unwrap()
                        .mbr_id,
                    Some(id)
                );
            }
        }
        expected.sort();
        let ours: Vec<(u32, u64)> = table
            .as_ref()
            .map(|t| {
                t.partitions
                    .iter()
                    .map(|p| (p.number, p.device_size))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(ours, expected, "{}: partitions", image);
        let want_type = if image == "coreos" {
            Some(TableType::Gpt)
        } else if expected.is_empty() {
            None
        } else {
            Some(TableType::Msdos)
        };
        assert_eq!(
            table.map(|t| t.table_type),
            want_type,
            "{}: table type",
            image
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {} fixtures checked", checked);
}
