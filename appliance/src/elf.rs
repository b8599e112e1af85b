//! Just enough ELF64 to find a program's interpreter and the shared libraries it needs.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

pub struct Dynamic {
    pub interp: Option<String>,
    pub needed: Vec<String>,
    pub runpath: Vec<String>,
}

fn u16at(b: &[u8], o: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?) as u64)
}
fn u32at(b: &[u8], o: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?) as u64)
}
fn u64at(b: &[u8], o: usize) -> Option<u64> {
    u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?).into()
}

fn read_at(f: &File, off: u64, len: u64) -> Option<Vec<u8>> {
    if len > 64 << 20 {
        return None;
    }
    let mut b = vec![0u8; len as usize];
    f.read_exact_at(&mut b, off).ok()?;
    Some(b)
}

fn cstr_at(b: &[u8], o: usize) -> Option<String> {
    let s = b.get(o..)?;
    let end = s.iter().position(|&c| c == 0)?;
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

/// Reads the dynamic linking facts of an ELF64 little-endian file; None if it is not one
/// (a script, a static binary has an empty `needed`).
pub fn read(path: &Path) -> Option<Dynamic> {
    let f = File::open(path).ok()?;
    let eh = read_at(&f, 0, 64)?;
    if &eh[..4] != b"\x7fELF" || eh[4] != 2 || eh[5] != 1 {
        return None;
    }
    let phoff = u64at(&eh, 0x20)?;
    let phentsize = u16at(&eh, 0x36)?;
    let phnum = u16at(&eh, 0x38)?;
    let ph = read_at(&f, phoff, phentsize.checked_mul(phnum)?)?;
    let mut interp = None;
    let mut dynamic = None;
    let mut loads = Vec::new();
    for i in 0..phnum as usize {
        let o = i * phentsize as usize;
        let p_type = u32at(&ph, o)?;
        let p_offset = u64at(&ph, o + 8)?;
        let p_vaddr = u64at(&ph, o + 16)?;
        let p_filesz = u64at(&ph, o + 32)?;
        match p_type {
            1 => loads.push((p_vaddr, p_offset, p_filesz)),
            2 => dynamic = Some((p_offset, p_filesz)),
            3 => interp = cstr_at(&read_at(&f, p_offset, p_filesz)?, 0),
            _ => {}
        }
    }
    let mut out = Dynamic {
        interp,
        needed: Vec::new(),
        runpath: Vec::new(),
    };
    let Some((doff, dsize)) = dynamic else {
        return Some(out);
    };
    let dynb = read_at(&f, doff, dsize)?;
    let mut strtab = None;
    let mut strsz = 0;
    let mut needed_off = Vec::new();
    let mut runpath_off = Vec::new();
    for e in dynb.chunks_exact(16) {
        let tag = u64at(e, 0)?;
        let val = u64at(e, 8)?;
        match tag {
            0 => break,
            1 => needed_off.push(val),
            5 => strtab = Some(val),
            10 => strsz = val,
            15 | 29 => runpath_off.push(val),
            _ => {}
        }
    }
    let strtab = strtab?;
    let (vaddr, off, _) = loads
        .iter()
        .find(|(v, _, sz)| strtab >= *v && strtab < v + sz)?;
    let strs = read_at(&f, strtab - vaddr + off, strsz)?;
    out.needed = needed_off
        .iter()
        .filter_map(|&o| cstr_at(&strs, o as usize))
        .collect();
    out.runpath = runpath_off
        .iter()
        .filter_map(|&o| cstr_at(&strs, o as usize))
        .flat_map(|s| s.split(':').map(str::to_string).collect::<Vec<_>>())
        .collect();
    Some(out)
}
