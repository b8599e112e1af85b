//! Partition tables: reading them (sfdisk's dump) and changing them with parted, sfdisk and
//! sgdisk as 1.48's daemon does, with its argument checks and error wording.

use crate::daemon::Daemon;
use crate::devices::{disks, kernel_partitions};
use crate::sys::{command, command_ok, ocaml_command, run, Outcome};
use guestfs_protocol::calls;
use guestfs_protocol::error::strerror;
use guestfs_protocol::{Error, Partition, Result};

/// One partition of an `sfdisk --dump`.
pub struct TablePart {
    pub num: i32,
    pub start: i64,
    pub size: i64,
    pub ptype: String,
}

/// A partition table as `sfdisk --dump` describes it.
pub struct Table {
    pub label: String,
    pub sector_size: i64,
    pub parts: Vec<TablePart>,
}

/// The number at the end of a partition's device name.
fn trailing_number(dev: &str) -> i32 {
    dev.trim()
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub fn sfdisk_dump(kernel_disk: &str) -> Option<Table> {
    let out = run("sfdisk", &["--dump", kernel_disk]).ok()?;
    if out.status != 0 {
        return None;
    }
    let mut t = Table {
        label: String::new(),
        sector_size: 512,
        parts: Vec::new(),
    };
    for line in out.stdout.lines() {
        if let Some(v) = line.strip_prefix("label: ") {
            t.label = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("sector-size: ") {
            t.sector_size = v.trim().parse().unwrap_or(512);
        } else if let Some((dev, rest)) = line.split_once(" : ") {
            let mut p = TablePart {
                num: trailing_number(dev),
                start: 0,
                size: 0,
                ptype: String::new(),
            };
            for field in rest.split(',') {
                if let Some((k, v)) = field.split_once('=') {
                    let v = v.trim();
                    match k.trim() {
                        "start" => p.start = v.parse().unwrap_or(0),
                        "size" => p.size = v.parse().unwrap_or(0),
                        "type" => p.ptype = v.to_string(),
                        _ => {}
                    }
                }
            }
            t.parts.push(p);
        }
    }
    (!t.label.is_empty()).then_some(t)
}

fn table_of(device: &str) -> Result<Table> {
    sfdisk_dump(device).ok_or_else(|| parted_print_error(device))
}

/// Why there is no partition table, in 1.48's words: it runs `parted -m print`, whose
/// "unrecognised disk label" becomes EINVAL.
fn parted_print_error(device: &str) -> Error {
    let args = ["-m", "-s", "--", device, "unit", "b", "print"];
    match ocaml_command("parted", &args, false) {
        Err(e) if e.message.contains("unrecognised disk label") => Error::new(
            libc::EINVAL,
            format!(
                "parted: {}: {}: {}",
                device,
                e.message,
                strerror(libc::EINVAL)
            ),
        ),
        Err(e) => e,
        Ok(_) => Error::msg(format!("{}: cannot parse the output of parted", device)),
    }
}

/// The whole disk (kernel name) and number of a partition, from sysfs.
fn partition_info(partition: &str) -> Result<(String, i32)> {
    let name = partition.strip_prefix("/dev/").unwrap_or(partition);
    let sys = format!("/sys/class/block/{}", name);
    let not_partition = || Error::msg("device name is not a partition");
    let num: i32 = std::fs::read_to_string(format!("{}/partition", sys))
        .map_err(|_| not_partition())?
        .trim()
        .parse()
        .map_err(|_| not_partition())?;
    let real = std::fs::canonicalize(&sys).map_err(|_| not_partition())?;
    let disk = real
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(not_partition)?;
    Ok((format!("/dev/{}", disk), num))
}

/// A GUID field of `sgdisk -i N` (1.48's `sgdisk_info_extract_field`).
fn sgdisk_info_field(device: &str, partnum: i32, field: &str) -> Result<String> {
    check_partnum(partnum)?;
    let out = match command("sgdisk", &[device, "-i", &partnum.to_string()], true)? {
        Outcome::Success(out) => out,
        Outcome::Failure(err) => return Err(Error::msg(format!("sgdisk: {}", err))),
    };
    for line in out.trim().lines() {
        if let Some(value) = line.strip_prefix(field).and_then(|v| v.strip_prefix(':')) {
            return Ok(value
                .trim_start()
                .chars()
                .take_while(|c| *c == '-' || c.is_ascii_digit() || ('A'..='F').contains(c))
                .collect());
        }
    }
    Err(Error::msg(format!(
        "{}: sgdisk output did not contain '{}'",
        device, field
    )))
}

/// 1.48's accepted partition table types, with its aliases.
fn check_parttype(parttype: &str) -> Result<&str> {
    match parttype {
        "aix" | "amiga" | "bsd" | "dasd" | "dvh" | "gpt" | "mac" | "msdos" | "pc98" | "sun" => {
            Ok(parttype)
        }
        "rdb" => Ok("amiga"),
        "efi" => Ok("gpt"),
        "mbr" => Ok("msdos"),
        _ => Err(Error::msg(
            "unknown partition type: common choices are \"gpt\" and \"msdos\"",
        )),
    }
}

fn check_partnum(partnum: i32) -> Result<()> {
    if partnum <= 0 {
        return Err(Error::msg("partition number must be >= 1"));
    }
    Ok(())
}

/// `parted -s -- DEVICE ARGS…`, failing with `parted: DEVICE: OUTPUT`.
fn parted(device: &str, args: &[&str]) -> Result<()> {
    let mut all = vec!["-s", "--", device];
    all.extend_from_slice(args);
    command_ok("parted", &all, true, &format!("parted: {}", device)).map(|_| ())
}

impl calls::Partitions for Daemon {
    fn list_partitions(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for d in disks() {
            for p in kernel_partitions(d) {
                out.push(format!("/dev/{}", p));
            }
        }
        Ok(out)
    }

    fn part_list(&mut self, device: &str) -> Result<Vec<Partition>> {
        let t = table_of(device)?;
        Ok(t.parts
            .iter()
            .map(|p| {
                let start = p.start.saturating_mul(t.sector_size);
                let size = p.size.saturating_mul(t.sector_size);
                Partition {
                    part_num: p.num,
                    part_start: start,
                    part_end: start + size - 1,
                    part_size: size,
                }
            })
            .collect())
    }

    fn part_get_parttype(&mut self, device: &str) -> Result<String> {
        let t = table_of(device)?;
        Ok(match t.label.as_str() {
            "dos" => "msdos".to_string(),
            other => other.to_string(),
        })
    }

    fn part_get_mbr_id(&mut self, device: &str, partnum: i32) -> Result<i32> {
        check_partnum(partnum)?;
        let out = ocaml_command(
            "sfdisk",
            &["--part-type", device, &partnum.to_string()],
            false,
        )?;
        // Printed in hex; like 1.48's `sscanf " %x"`, a GPT type GUID reads up to its dash.
        let hex: String = out
            .trim_start()
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        u32::from_str_radix(&hex, 16)
            .map(|v| v as i32)
            .map_err(|_| Error::msg(format!("scanf failed: {}", out.trim_end())))
    }

    fn part_get_gpt_type(&mut self, device: &str, partnum: i32) -> Result<String> {
        sgdisk_info_field(device, partnum, "Partition GUID code")
    }

    fn part_get_gpt_guid(&mut self, device: &str, partnum: i32) -> Result<String> {
        sgdisk_info_field(device, partnum, "Partition unique GUID")
    }

    fn part_to_dev(&mut self, partition: &str) -> Result<String> {
        partition_info(partition).map(|(d, _)| d)
    }

    fn part_to_partnum(&mut self, partition: &str) -> Result<i32> {
        partition_info(partition).map(|(_, n)| n)
    }

    fn part_init(&mut self, device: &str, parttype: &str) -> Result<()> {
        let parttype = check_parttype(parttype)?;
        parted(device, &["mklabel", parttype])
    }

    fn part_add(
        &mut self,
        device: &str,
        prlogex: &str,
        startsect: i64,
        endsect: i64,
    ) -> Result<()> {
        let prlogex = match prlogex {
            "primary" | "logical" | "extended" => prlogex,
            "p" => "primary",
            "l" => "logical",
            "e" => "extended",
            _ => return Err(Error::msg(format!("unknown partition type: {}: this should be \"primary\", \"logical\" or \"extended\"", prlogex))),
        };
        if startsect < 0 {
            return Err(Error::msg("startsect cannot be negative"));
        }
        let (start, end) = (format!("{}s", startsect), format!("{}s", endsect));
        parted(device, &["mkpart", prlogex, &start, &end])
    }

    fn part_disk(&mut self, device: &str, parttype: &str) -> Result<()> {
        let parttype = check_parttype(parttype)?;
        // Partitions aligned to 128 sectors, the last 128 sectors left free (1.48's layout).
        let name = if parttype == "gpt" { "p1" } else { "primary" };
        parted(
            device,
            &["mklabel", parttype, "mkpart", name, "128s", "-128s"],
        )
    }

    fn part_del(&mut self, device: &str, partnum: i32) -> Result<()> {
        check_partnum(partnum)?;
        parted(device, &["rm", &partnum.to_string()])
    }

    fn part_set_name(&mut self, device: &str, partnum: i32, name: &str) -> Result<()> {
        check_partnum(partnum)?;
        parted(device, &["name", &partnum.to_string(), name])
    }

    fn part_set_bootable(&mut self, device: &str, partnum: i32, bootable: bool) -> Result<()> {
        check_partnum(partnum)?;
        let on = if bootable { "on" } else { "off" };
        parted(device, &["set", &partnum.to_string(), "boot", on])
    }

    fn part_set_mbr_id(&mut self, device: &str, partnum: i32, idbyte: i32) -> Result<()> {
        check_partnum(partnum)?;
        let id = format!("{:x}", idbyte as u32);
        let args = ["--part-type", device, &partnum.to_string(), &id];
        command_ok("sfdisk", &args, false, "sfdisk --part-type").map(|_| ())
    }

    fn part_set_gpt_type(&mut self, device: &str, partnum: i32, guid: &str) -> Result<()> {
        check_partnum(partnum)?;
        let typecode = format!("{}:{}", partnum, guid);
        let prefix = format!("sgdisk {} -t {}", device, typecode);
        command_ok("sgdisk", &[device, "-t", &typecode], true, &prefix).map(|_| ())
    }
}
