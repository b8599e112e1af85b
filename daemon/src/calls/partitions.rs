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

/// A partition table as `parted -m … unit b print` describes it, which 1.48's part_list and
/// part_get_parttype read: parted's name for its kind (`loop` for a filesystem on the whole
/// device) and its partitions in bytes.
struct PartedTable {
    label: Option<String>,
    parts: Vec<Partition>,
}

fn parted_table(device: &str) -> Result<PartedTable> {
    let args = ["-m", "-s", "--", device, "unit", "b", "print"];
    let out = match ocaml_command("parted", &args, false) {
        // 1.48 turns "unrecognised disk label" into EINVAL.
        Err(e) if e.message.contains("unrecognised disk label") => {
            return Err(Error::new(
                libc::EINVAL,
                format!(
                    "parted: {}: {}: {}",
                    device,
                    e.message,
                    strerror(libc::EINVAL)
                ),
            ))
        }
        r => r?,
    };
    let lines: Vec<&str> = out.trim().split('\n').collect();
    let (device_line, rows) = match lines.as_slice() {
        ["BYT;", device_line, rows @ ..] => (*device_line, rows),
        [] | [_] => {
            return Err(Error::msg(
                "too few rows of output from 'parted print' command",
            ))
        }
        _ => {
            return Err(Error::msg(
                "did not see 'BYT;' magic value in 'parted print' command",
            ))
        }
    };
    let bytes = |f: &str| f.strip_suffix('B').and_then(|n| n.parse::<i64>().ok());
    let parts = rows
        .iter()
        .map(|row| {
            let parse = || {
                let f: Vec<&str> = row.split(':').collect();
                match f.as_slice() {
                    [num, start, end, size, ..] => Some(Partition {
                        part_num: num.parse().ok()?,
                        part_start: bytes(start)?,
                        part_end: bytes(end)?,
                        part_size: bytes(size)?,
                    }),
                    _ => None,
                }
            };
            parse().ok_or_else(|| {
                Error::msg(format!(
                    "could not parse row from output of 'parted print' command: {}",
                    row
                ))
            })
        })
        .collect::<Result<_>>()?;
    Ok(PartedTable {
        label: device_line.split(':').nth(5).map(str::to_string),
        parts,
    })
}

/// 1.48's `has_bogus_mbr`: the boot sector mkfs.fat (dosfstools 4.2+) writes on a whole
/// device, a bootable FAT partition from sector 0 that parted does not recognise.
fn has_bogus_mbr(device: &str) -> bool {
    use std::os::unix::fs::FileExt;
    let mut sec0 = [0u8; 512];
    let read = std::fs::File::open(device).and_then(|f| f.read_exact_at(&mut sec0, 0));
    let pte = &sec0[0x1be..0x1ce];
    read.is_ok()
        && sec0[0x1fe..0x200] == [0x55, 0xaa]
        && &sec0[3..11] == b"mkfs.fat"
        && pte[0..4] == [0x80, 0x00, 0x01, 0x00]
        && [0x01, 0x04, 0x06, 0x0c, 0x0e].contains(&pte[4])
        && pte[8..12] == [0, 0, 0, 0]
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

/// The value of a field of `sgdisk -i N` (1.48's `sgdisk_info_extract_field`), after the
/// colon and its spaces.
fn sgdisk_info_field(device: &str, partnum: i32, field: &str) -> Result<String> {
    check_partnum(partnum)?;
    let out = match command("sgdisk", &[device, "-i", &partnum.to_string()], true)? {
        Outcome::Success(out) => out,
        Outcome::Failure(err) => return Err(Error::msg(format!("sgdisk: {}", err))),
    };
    for line in out.trim().lines() {
        if let Some(value) = line.strip_prefix(field).and_then(|v| v.strip_prefix(':')) {
            if !value.is_empty() {
                return Ok(value.trim_start().to_string());
            }
        }
    }
    Err(Error::msg(format!(
        "{}: sgdisk output did not contain '{}'",
        device, field
    )))
}

/// The leading characters of `value` that are in `set`.
fn leading(value: &str, set: &str) -> String {
    value.chars().take_while(|c| set.contains(*c)).collect()
}

/// A GUID as sgdisk prints it, cut where it ends.
fn leading_guid(value: &str) -> String {
    leading(value, "-0123456789ABCDEF")
}

/// `sgdisk ARGS…` with its output folded into the error, failing with `PREFIX: OUTPUT`
/// (`PREFIX` defaults to the command line, as 1.48 words most of these).
fn sgdisk(args: &[&str], prefix: Option<&str>) -> Result<String> {
    let line = format!("sgdisk {}", args.join(" "));
    command_ok("sgdisk", args, true, prefix.unwrap_or(&line))
}

/// `parted -m -s -- DEVICE unit b print` (1.48's `print_partition_table`): "unrecognised
/// disk label" is EINVAL.
fn parted_print(device: &str) -> Result<String> {
    let args = ["-m", "-s", "--", device, "unit", "b", "print"];
    match command("parted", &args, false)? {
        Outcome::Success(out) => Ok(out),
        Outcome::Failure(err) => {
            let errno = if err.contains("unrecognised disk label") {
                libc::EINVAL
            } else {
                0
            };
            Err(Error::new(
                errno,
                format!("parted print: {}: {}", device, err),
            ))
        }
    }
}

/// The row of `parted -m print` describing partition `partnum`.
fn parted_row(device: &str, partnum: i32) -> Result<String> {
    let out = parted_print(device)?;
    let mut lines = out.lines();
    match lines.next() {
        Some("BYT;") => {}
        first => {
            return Err(Error::msg(format!(
                "unknown signature, expected \"BYT;\" as first line of the output: {}",
                first.unwrap_or("(signature was null)")
            )))
        }
    }
    if lines.next().is_none() {
        return Err(Error::msg(
            "parted didn't return a line describing the device",
        ));
    }
    for line in lines {
        let num: i32 = line
            .split(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| {
                Error::msg(format!(
                    "could not parse row from output of parted print command: {}",
                    line
                ))
            })?;
        if num == partnum {
            return Ok(line.to_string());
        }
    }
    Err(Error::msg(format!(
        "partition number {} not found",
        partnum
    )))
}

/// Field `n` (from 0) of a `parted -m` row, fields ending in `:` or `;`.
fn table_field(line: &str, n: usize) -> Result<String> {
    line.split([':', ';'])
        .nth(n)
        .filter(|_| line.matches([':', ';']).count() >= n)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::msg(format!(
                "not enough fields in output of parted print command: {}",
                line
            ))
        })
}

/// `sfdisk [-N N] [-C C] [-H H] [-S S] [FLAG] DEVICE` with `lines` on its input, as 1.48's
/// (deprecated) sfdisk calls run it; the partition table is read again afterwards.
fn sfdisk_input(
    device: &str,
    partnum: i32,
    geometry: [i32; 3],
    flag: Option<&str>,
    lines: &[String],
) -> Result<()> {
    let mut args: Vec<String> = Vec::new();
    if partnum > 0 {
        args.extend(["-N".to_string(), partnum.to_string()]);
    }
    for (opt, v) in ["-C", "-H", "-S"].iter().zip(geometry) {
        if v != 0 {
            args.extend([opt.to_string(), v.to_string()]);
        }
    }
    args.extend(flag.map(str::to_string));
    args.push(device.to_string());
    let cmdline = format!("sfdisk {}", args.join(" "));
    let failed = || Error::msg(format!("{}: external command failed", cmdline));
    let mut child = crate::sys::program("sfdisk")
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| crate::sys::io_error(&e, &format!("failed to open pipe: {}", cmdline)))?;
    let mut input = child.stdin.take().expect("piped stdin");
    // sfdisk may exit before reading everything; its exit status tells.
    for line in lines {
        if std::io::Write::write_all(&mut input, format!("{}\n", line).as_bytes()).is_err() {
            break;
        }
    }
    drop(input);
    let ok = child.wait().map(|s| s.success()).unwrap_or(false);
    if !ok {
        return Err(failed());
    }
    // sfdisk's own re-read can fail with EBUSY on fast machines (1.48 does this too).
    let _ = run("blockdev", &["--rereadpt", device]);
    Ok(())
}

/// `sfdisk FLAG DEVICE`, failing with `DEVICE: ERROR`.
fn sfdisk_flag(device: &str, flag: &str) -> Result<String> {
    command_ok("sfdisk", &[flag, device], false, device)
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
        parted_table(device).map(|t| t.parts)
    }

    fn part_get_parttype(&mut self, device: &str) -> Result<String> {
        match parted_table(device)?.label.as_deref() {
            Some("loop") if has_bogus_mbr(device) => Ok("msdos".to_string()),
            Some("loop") => Err(Error::msg(format!("{}: not a partitioned device", device))),
            Some(label) => Ok(label.to_string()),
            None => Err(Error::msg(format!(
                "{}: cannot parse the output of parted",
                device
            ))),
        }
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
        sgdisk_info_field(device, partnum, "Partition GUID code").map(|v| leading_guid(&v))
    }

    fn part_get_gpt_guid(&mut self, device: &str, partnum: i32) -> Result<String> {
        sgdisk_info_field(device, partnum, "Partition unique GUID").map(|v| leading_guid(&v))
    }

    fn part_get_gpt_attributes(&mut self, device: &str, partnum: i32) -> Result<i64> {
        let value = sgdisk_info_field(device, partnum, "Attribute flags")?;
        let hex = leading(&value, "0123456789ABCDEF");
        // 1.48 parses 64 bits (OCaml's Int64.of_string "0x…"), but its daemon hands an
        // OCaml call's int64 result back through a C `int`: only the low 32 bits, sign
        // extended, reach the caller.
        u64::from_str_radix(&hex, 16)
            .map(|v| v as i32 as i64)
            .map_err(|_| Error::msg("Int64.of_string"))
    }

    fn part_set_gpt_attributes(
        &mut self,
        device: &str,
        partnum: i32,
        attributes: i64,
    ) -> Result<()> {
        check_partnum(partnum)?;
        let arg = format!("{}:=:{:X}", partnum, attributes);
        sgdisk(&[device, "-A", &arg], Some("sgdisk")).map(|_| ())
    }

    fn part_set_gpt_guid(&mut self, device: &str, partnum: i32, guid: &str) -> Result<()> {
        check_partnum(partnum)?;
        let arg = format!("{}:{}", partnum, guid);
        sgdisk(&[device, "-u", &arg], None).map(|_| ())
    }

    fn part_get_disk_guid(&mut self, device: &str) -> Result<String> {
        let out = sgdisk(&[device, "-p"], None)?;
        out.lines()
            .find_map(|l| l.strip_prefix("Disk identifier (GUID):"))
            .map(|v| leading_guid(v.trim_start_matches([' ', '\t'])))
            .ok_or_else(|| {
                Error::msg(
                    "sgdisk output did not contain disk GUID. See LIBGUESTFS_DEBUG output for more details",
                )
            })
    }

    fn part_set_disk_guid(&mut self, device: &str, guid: &str) -> Result<()> {
        sgdisk(&[device, "-U", guid], None).map(|_| ())
    }

    fn part_set_disk_guid_random(&mut self, device: &str) -> Result<()> {
        sgdisk(&[device, "-U", "R"], None).map(|_| ())
    }

    fn part_expand_gpt(&mut self, device: &str) -> Result<()> {
        sgdisk(&["-e", device], None).map(|_| ())
    }

    fn part_get_bootable(&mut self, device: &str, partnum: i32) -> Result<bool> {
        check_partnum(partnum)?;
        let row = parted_row(device, partnum)?;
        Ok(table_field(&row, 6)?.contains("boot"))
    }

    fn part_get_name(&mut self, device: &str, partnum: i32) -> Result<String> {
        if self.part_get_parttype(device)? != "gpt" {
            return Err(Error::msg(
                "part-get-name can only be used on GUID Partition Tables",
            ));
        }
        let row = parted_row(device, partnum)?;
        table_field(&row, 5)
            .map_err(|_| Error::msg(format!("cannot get the name field from '{}'", row)))
    }

    fn part_get_mbr_part_type(&mut self, device: &str, partnum: i32) -> Result<String> {
        let parttype = self.part_get_parttype(device)?;
        let mbr_id = self.part_get_mbr_id(device, partnum)?;
        Ok(match (parttype.as_str(), partnum, mbr_id) {
            ("msdos", 1..=4, 0x05 | 0x0f) => "extended",
            ("msdos", 1..=4, _) => "primary",
            ("msdos", _, _) => "logical",
            _ => "primary",
        }
        .to_string())
    }

    fn part_resize(&mut self, device: &str, partnum: i32, endsect: i64) -> Result<()> {
        check_partnum(partnum)?;
        let end = format!("{}s", endsect);
        let args = ["-s", "--", device, "resizepart", &partnum.to_string(), &end];
        match command("parted", &args, true)? {
            Outcome::Success(_) => Ok(()),
            // 1.48's wording ends in a colon.
            Outcome::Failure(err) => Err(Error::msg(format!("parted: {}: {}:", device, err))),
        }
    }

    fn sfdisk(
        &mut self,
        device: &str,
        cyls: i32,
        heads: i32,
        sectors: i32,
        lines: &[String],
    ) -> Result<()> {
        sfdisk_input(device, 0, [cyls, heads, sectors], None, lines)
    }

    fn sfdisk_N(
        &mut self,
        device: &str,
        partnum: i32,
        cyls: i32,
        heads: i32,
        sectors: i32,
        line: &str,
    ) -> Result<()> {
        let lines = [line.to_string()];
        sfdisk_input(device, partnum, [cyls, heads, sectors], None, &lines)
    }

    fn sfdiskM(&mut self, device: &str, lines: &[String]) -> Result<()> {
        sfdisk_input(device, 0, [0; 3], Some("-uM"), lines)
    }

    fn sfdisk_l(&mut self, device: &str) -> Result<String> {
        sfdisk_flag(device, "-l")
    }

    fn sfdisk_kernel_geometry(&mut self, device: &str) -> Result<String> {
        sfdisk_flag(device, "-g")
    }

    fn sfdisk_disk_geometry(&mut self, device: &str) -> Result<String> {
        sfdisk_flag(device, "-G")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parted_fields_end_in_colon_or_semicolon() {
        let row = "1:1048576B:2097151B:1048576B:ext2:boot part:boot, esp;";
        assert_eq!(table_field(row, 5).unwrap(), "boot part");
        assert_eq!(table_field(row, 6).unwrap(), "boot, esp");
        assert!(table_field("1:2B;", 6).is_err());
    }
}
