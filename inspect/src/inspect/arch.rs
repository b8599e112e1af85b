//! Architecture of a binary from its ELF or PE header, giving the answers libguestfs derives
//! from `file(1)`'s description (without running `file`).

use super::io::Io;
use crate::error::{Error, Result};

/// ELF identification: `\x7fELF`.
const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
/// `e_ident[EI_CLASS]`.
const EI_CLASS: usize = 4;
/// `e_ident[EI_DATA]`.
const EI_DATA: usize = 5;
const ELFCLASS32: u8 = 1;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;
/// Offsets of `e_type` and `e_machine` (the same for both classes).
const E_TYPE: usize = 16;
const E_MACHINE: usize = 18;
const ET_REL: u16 = 1;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;

/// MS-DOS header: `MZ`, with the offset of the PE header (`e_lfanew`) at 0x3c.
const MZ_MAGIC: &[u8; 2] = b"MZ";
const E_LFANEW: usize = 0x3c;
const PE_SIGNATURE: &[u8; 4] = b"PE\0\0";
/// The optional header's magic follows the 4-byte signature and the 20-byte COFF header.
const PE_OPTIONAL_MAGIC: u64 = 24;
const PE32_MAGIC: u16 = 0x10b;
const PE32PLUS_MAGIC: u16 = 0x20b;

/// What `file(1)` calls an ELF `e_machine` (the field libguestfs reads after the file type).
fn file_machine_name(machine: u16) -> String {
    match machine {
        2 => "SPARC".into(),
        3 => "Intel 80386".into(),
        4 => "Motorola m68k".into(),
        6 => "Intel 80486".into(),
        8 => "MIPS".into(),
        10 => "MIPS (deprecated)".into(),
        15 => "PA-RISC".into(),
        18 => "SPARC32PLUS".into(),
        20 => "PowerPC or cisco 4500".into(),
        21 => "64-bit PowerPC or cisco 7500".into(),
        22 => "IBM S/390".into(),
        40 => "ARM".into(),
        42 => "Renesas SH".into(),
        43 => "SPARC V9".into(),
        50 => "IA-64".into(),
        62 => "x86-64".into(),
        183 => "ARM aarch64".into(),
        243 => "UCB RISC-V".into(),
        258 => "LoongArch".into(),
        0x9026 => "Alpha (unofficial)".into(),
        m => format!("*unknown arch 0x{:x}* version 1 (SYSV)", m),
    }
}

/// libguestfs 1.48's mapping of `file(1)`'s ELF machine text to an architecture name
/// (its daemon's `Filearch.canonical_elf_arch`); a machine it does not know is named by the
/// text itself. ELF has only 32- and 64-bit classes, so S/390 is one or the other.
pub fn canonical_elf_arch(bits: u32, msb: bool, text: &str) -> String {
    let has = |s: &str| text.contains(s);
    let ppc64 = text
        .find("64")
        .is_some_and(|i| text[i..].contains("PowerPC"));
    if has("Intel 80386") || has("Intel 80486") {
        "i386".into()
    } else if has("x86-64") {
        "x86_64".into()
    } else if has("SPARC32") {
        "sparc".into()
    } else if has("SPARC V9") {
        "sparc64".into()
    } else if has("IA-64") {
        "ia64".into()
    } else if ppc64 {
        if msb {
            "ppc64".into()
        } else {
            "ppc64le".into()
        }
    } else if has("PowerPC") {
        "ppc".into()
    } else if has("ARM aarch64") {
        "aarch64".into()
    } else if has("ARM") {
        "arm".into()
    } else if has("UCB RISC-V") {
        format!("riscv{}", bits)
    } else if has("IBM S/390") {
        if bits == 32 {
            "s390".into()
        } else {
            "s390x".into()
        }
    } else {
        text.to_string()
    }
}

/// Classifies an ELF header (at least 20 bytes). None if it is not an ELF executable, shared
/// object or relocatable file.
pub fn classify_elf(head: &[u8]) -> Option<String> {
    if head.get(..4)? != ELF_MAGIC {
        return None;
    }
    let bits = match *head.get(EI_CLASS)? {
        ELFCLASS32 => 32,
        ELFCLASS64 => 64,
        _ => return None,
    };
    let msb = match *head.get(EI_DATA)? {
        ELFDATA2LSB => false,
        ELFDATA2MSB => true,
        _ => return None,
    };
    let u16_at = |off: usize| -> Option<u16> {
        let b: [u8; 2] = head.get(off..off + 2)?.try_into().ok()?;
        Some(if msb {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let e_type = u16_at(E_TYPE)?;
    if !matches!(e_type, ET_REL | ET_EXEC | ET_DYN) {
        return None;
    }
    let machine = u16_at(E_MACHINE)?;
    Some(canonical_elf_arch(bits, msb, &file_machine_name(machine)))
}

/// Classifies a PE file from its optional header magic: PE32 → i386, PE32+ → x86_64 (whatever
/// the machine field says, as libguestfs does).
pub fn classify_pe_magic(magic: u16) -> Option<String> {
    match magic {
        PE32_MAGIC => Some("i386".into()),
        PE32PLUS_MAGIC => Some("x86_64".into()),
        _ => None,
    }
}

/// Classifies a whole file held in memory (used by tests and fuzzing).
pub fn classify_bytes(data: &[u8]) -> Option<String> {
    if let Some(a) = classify_elf(data) {
        return Some(a);
    }
    if data.get(..2)? != MZ_MAGIC {
        return None;
    }
    let lfanew = u32::from_le_bytes(data.get(E_LFANEW..E_LFANEW + 4)?.try_into().ok()?) as usize;
    if data.get(lfanew..lfanew.checked_add(4)?)? != PE_SIGNATURE {
        return None;
    }
    let m = lfanew.checked_add(PE_OPTIONAL_MAGIC as usize)?;
    let magic = u16::from_le_bytes(data.get(m..m + 2)?.try_into().ok()?);
    classify_pe_magic(magic)
}

fn unknown(path: &str) -> Error {
    Error::new(libc::EINVAL, format!("unknown architecture: {}", path))
}

/// `file_architecture` of a guest file: reads only the headers it needs.
pub fn file_architecture(io: &mut Io, path: &str) -> Result<String> {
    let size = io.filesize(path)?;
    let head = io.be.pread(path, 64, 0)?;
    if let Some(a) = classify_elf(&head) {
        return Ok(a);
    }
    if head.get(..2) != Some(&MZ_MAGIC[..]) {
        return Err(unknown(path));
    }
    let lfanew = match head.get(E_LFANEW..E_LFANEW + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
        None => return Err(unknown(path)),
    };
    if lfanew.saturating_add(PE_OPTIONAL_MAGIC as i64 + 2) > size {
        return Err(unknown(path));
    }
    let pe = io.be.pread(path, PE_OPTIONAL_MAGIC as i32 + 2, lfanew)?;
    if pe.get(..4) != Some(&PE_SIGNATURE[..]) {
        return Err(unknown(path));
    }
    let magic = match pe.get(PE_OPTIONAL_MAGIC as usize..PE_OPTIONAL_MAGIC as usize + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => return Err(unknown(path)),
    };
    classify_pe_magic(magic).ok_or_else(|| unknown(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(class: u8, data: u8, e_type: u16, machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(ELF_MAGIC);
        h[4] = class;
        h[5] = data;
        let (t, m) = if data == ELFDATA2MSB {
            (e_type.to_be_bytes(), machine.to_be_bytes())
        } else {
            (e_type.to_le_bytes(), machine.to_le_bytes())
        };
        h[16..18].copy_from_slice(&t);
        h[18..20].copy_from_slice(&m);
        h
    }

    #[test]
    fn elf_machines() {
        let c = |cl, d, m| classify_elf(&elf(cl, d, ET_DYN, m));
        assert_eq!(c(2, 1, 62).as_deref(), Some("x86_64"));
        assert_eq!(c(1, 1, 3).as_deref(), Some("i386"));
        assert_eq!(c(1, 1, 6).as_deref(), Some("i386"));
        assert_eq!(c(2, 1, 183).as_deref(), Some("aarch64"));
        assert_eq!(c(1, 1, 40).as_deref(), Some("arm"));
        assert_eq!(c(2, 2, 21).as_deref(), Some("ppc64"));
        assert_eq!(c(2, 1, 21).as_deref(), Some("ppc64le"));
        assert_eq!(c(1, 2, 20).as_deref(), Some("ppc"));
        assert_eq!(c(2, 1, 243).as_deref(), Some("riscv64"));
        assert_eq!(c(1, 1, 243).as_deref(), Some("riscv32"));
        assert_eq!(c(2, 2, 22).as_deref(), Some("s390x"));
        assert_eq!(c(1, 2, 22).as_deref(), Some("s390"));
        assert_eq!(c(2, 2, 43).as_deref(), Some("sparc64"));
        assert_eq!(c(1, 2, 18).as_deref(), Some("sparc"));
        assert_eq!(c(2, 1, 50).as_deref(), Some("ia64"));
        // 1.48 has no name of its own for LoongArch: it reports file(1)'s text.
        assert_eq!(c(2, 1, 258).as_deref(), Some("LoongArch"));
        assert_eq!(c(1, 2, 8).as_deref(), Some("MIPS"));
        // Core files and bad classes are not classified.
        assert_eq!(classify_elf(&elf(2, 1, 4, 62)), None);
        assert_eq!(classify_elf(&elf(3, 1, 2, 62)), None);
        assert_eq!(classify_elf(&elf(2, 1, 2, 62)[..10]), None);
        assert_eq!(classify_elf(b"\x7fELF"), None);
    }

    #[test]
    fn pe_files() {
        let mut pe = vec![0u8; 0x100];
        pe[..2].copy_from_slice(MZ_MAGIC);
        pe[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        pe[0x80..0x84].copy_from_slice(PE_SIGNATURE);
        pe[0x98..0x9a].copy_from_slice(&PE32_MAGIC.to_le_bytes());
        assert_eq!(classify_bytes(&pe).as_deref(), Some("i386"));
        pe[0x98..0x9a].copy_from_slice(&PE32PLUS_MAGIC.to_le_bytes());
        assert_eq!(classify_bytes(&pe).as_deref(), Some("x86_64"));
        pe[0x3c..0x40].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert_eq!(classify_bytes(&pe), None);
        assert_eq!(classify_bytes(b"MZ"), None);
        assert_eq!(classify_bytes(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn host_binary() {
        if let Ok(data) = std::fs::read("/bin/ls") {
            let a = classify_bytes(&data);
            assert!(a.is_some());
            if cfg!(target_arch = "x86_64") {
                assert_eq!(a.as_deref(), Some("x86_64"));
            }
        }
    }
}
