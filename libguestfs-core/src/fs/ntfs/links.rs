//! Symbolic links, junctions and Interix special files, as ntfs-3g shows them.

use super::*;

/// Where libguestfs mounts a guest's root filesystem in the appliance; ntfs-3g writes it into
/// the targets of absolute links and junctions.
pub(super) const APPLIANCE_MOUNT_POINT: &str = "/sysroot";
/// ntfs-3g's directory for targets on other volumes.
pub(super) const MAPPING_DIR: &str = ".NTFS-3G/";

pub(super) const BACKSLASH: u16 = b'\\' as u16;
pub(super) const SLASH: u16 = b'/' as u16;
pub(super) const COLON: u16 = b':' as u16;

/// ntfs-3g's target for a link to another volume: `/sysroot/.NTFS-3G/X:/path`, with the
/// drive letter in upper case and slashes for backslashes.
pub(super) fn mapped_target(path: &[u16]) -> String {
    let mut t: Vec<char> = char::decode_utf16(path.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if t.get(1) == Some(&':') && t[0].is_ascii_lowercase() {
        t[0] = t[0].to_ascii_uppercase();
    }
    format!(
        "{}/{}{}",
        APPLIANCE_MOUNT_POINT,
        MAPPING_DIR,
        t.into_iter().collect::<String>()
    )
}

/// ntfs-3g's link target for reparse points it cannot interpret.
pub(super) fn bad_reparse_target(tag: u32) -> String {
    format!("unsupported reparse tag 0x{:08x}", tag)
}

impl NtfsFs {
    /// depends on things this reader does not model.
    pub(super) fn reparse_target(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        parent: Option<Ino>,
    ) -> Result<String> {
        let data = self
            .read_small(cur, inode, AT_REPARSE_POINT, "", MAX_REPARSE_DATA)?
            .ok_or_else(|| corrupt("reparse point without $REPARSE_POINT"))?;
        let Some(reparse) = Fixed::<8>::new(&data) else {
            return Ok(bad_reparse_target(0));
        };
        let tag = reparse.le32::<0>();
        let data_len = usize::from(reparse.le16::<4>());
        let header = if tag & IO_REPARSE_TAG_IS_MICROSOFT != 0 {
            8
        } else {
            24
        };
        if data_len + header != data.len() {
            return Ok(bad_reparse_target(tag));
        }
        let body = &data[8..];
        let is_dir = inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0;
        let target = match tag {
            IO_REPARSE_TAG_MOUNT_POINT | IO_REPARSE_TAG_SYMLINK => {
                match substitute_name(body, tag == IO_REPARSE_TAG_SYMLINK) {
                    None => None,
                    Some((mut units, _)) if tag == IO_REPARSE_TAG_MOUNT_POINT => {
                        self.full_link(&mut units, is_dir)
                    }
                    // Absolute and relative forms are honoured only with the "relative"
                    // flag, the \??\ form only without it, as ntfs-3g does.
                    Some((mut units, relative_flag)) => {
                        match (units.first().copied(), units.get(1).copied()) {
                            (Some(BACKSLASH), Some(c))
                                if c == u16::from(b'?') || c == BACKSLASH =>
                            {
                                if relative_flag {
                                    None
                                } else {
                                    self.full_link(&mut units, is_dir)
                                }
                            }
                            (Some(BACKSLASH), _) | (_, Some(COLON)) if relative_flag => {
                                self.abs_link(&mut units, is_dir)
                            }
                            (Some(BACKSLASH), _) | (_, Some(COLON)) => None,
                            _ if relative_flag => {
                                parent.and_then(|p| self.rel_link(p, &mut units, is_dir))
                            }
                            _ => None,
                        }
                    }
                }
            }
            IO_REPARSE_TAG_LX_SYMLINK => {
                if try_le32(body, 0) == Some(2) {
                    let link = &body[4..];
                    let end = link.iter().position(|&b| b == 0).unwrap_or(link.len());
                    Some(String::from_utf8_lossy(&link[..end]).into_owned())
                } else {
                    None
                }
            }
            _ => None,
        };
        Ok(target.unwrap_or_else(|| bad_reparse_target(tag)))
    }

    /// ntfs-3g's `ntfs_fix_file_name`: looks a path component up ignoring case; on success
    /// the component takes the case of the name on disk.
    pub(super) fn fix_file_name(&self, dir: Ino, comp: &mut [u16]) -> Option<Ino> {
        let name = String::from_utf16(comp).ok()?;
        let (found, ino) = self.lookup_ignore_case(dir, &name)?;
        let units: Vec<u16> = found.encode_utf16().collect();
        if units.len() == comp.len() {
            comp.copy_from_slice(&units);
        }
        Some(ino)
    }

    /// Whether a file is a directory record and whether it is a reparse point.
    pub(super) fn kind(&self, cur: &mut DevCursor<'_>, ino: Ino) -> Option<(bool, bool)> {
        let inode = self.inode(cur, ino).ok()?;
        let si = self.standard_information(&inode).ok()?;
        Some((
            inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0,
            si.file_attributes & FILE_ATTR_REPARSE_POINT != 0,
        ))
    }

    /// ntfs-3g's `search_absolute`: follows `path` (components separated by `\`) from the
    /// root, fixing the case of what it finds and turning the separators it passes into `/`
    /// (in place, as ntfs-3g does even when the search fails); the path as a string if it
    /// resolves to an object of the link's kind or reaches another reparse point.
    pub(super) fn search_absolute(&self, path: &mut [u16], is_dir: bool) -> Option<String> {
        let mut cur = self.cursor();
        let count = path.len();
        let mut dir = FILE_ROOT;
        let mut start = 0usize;
        let mut depth = 0;
        loop {
            depth += 1;
            if depth > 256 {
                return None;
            }
            let mut len = 0;
            while start + len < count && path[start + len] != BACKSLASH {
                len += 1;
            }
            let ino = self.fix_file_name(dir, &mut path[start..start + len])?;
            let (node_is_dir, reparse) = self.kind(&mut cur, ino)?;
            start += len;
            if start < count {
                path[start] = SLASH;
                start += 1;
            }
            if !(node_is_dir && !reparse && start < count) {
                if node_is_dir == is_dir || reparse {
                    return String::from_utf16(path).ok();
                }
                return None;
            }
            dir = ino;
        }
    }

    /// `ntfs_get_fulllink`: `\??\X:\path` (a junction, or a full symbolic link) or
    /// `\??\Volume{…}\`.
    pub(super) fn full_link(&self, j: &mut [u16], is_dir: bool) -> Option<String> {
        let head: Vec<u16> = "\\??\\".encode_utf16().collect();
        let vol_head: Vec<u16> = "\\??\\Volume{".encode_utf16().collect();
        let count = j.len();
        let dir_junction =
            count >= 7 && j[..4] == head[..] && j[4] != 0 && j[5] == COLON && j[6] == BACKSLASH;
        let vol_junction = count >= 12 && j[..11] == vol_head[..] && j[count - 1] == BACKSLASH;
        if dir_junction && count > 7 && j[7] != 0 {
            if let Some(found) = self.search_absolute(&mut j[7..], is_dir) {
                return Some(format!("{}/{}", APPLIANCE_MOUNT_POINT, found));
            }
        }
        if dir_junction || vol_junction {
            let end = if vol_junction { count - 1 } else { count };
            return Some(mapped_target(&j[4..end]));
        }
        None
    }

    /// `ntfs_get_abslink`: `X:\path` or `\path`.
    pub(super) fn abs_link(&self, j: &mut [u16], is_dir: bool) -> Option<String> {
        let count = j.len();
        let full_path = count >= 3 && j[0] != 0 && j[1] == COLON && j[2] == BACKSLASH;
        let abs_path = !full_path && j.first() == Some(&BACKSLASH);
        let found = if full_path && count > 3 && j[3] != 0 {
            self.search_absolute(&mut j[3..], is_dir)
        } else if abs_path {
            self.search_absolute(&mut j[1..], is_dir)
        } else {
            None
        };
        match found {
            Some(found) => Some(format!("{}/{}", APPLIANCE_MOUNT_POINT, found)),
            None if full_path => Some(mapped_target(j)),
            None => None,
        }
    }

    /// ntfs-3g's `search_relative`: follows a relative target from the link's directory,
    /// fixing case as it goes; the target if it resolves to an object of the link's kind (or
    /// reaches another reparse point).
    pub(super) fn rel_link(&self, parent: Ino, path: &mut [u16], is_dir: bool) -> Option<String> {
        let mut cur = self.cursor();
        let count = path.len();
        let dot = u16::from(b'.');
        let mut dir = parent;
        let mut last: Option<Ino> = None;
        let mut pos = 0usize;
        let mut steps = 0;
        while pos + 1 < count {
            steps += 1;
            if steps > 256 {
                return None;
            }
            if path[pos] == dot && path[pos + 1] == BACKSLASH {
                path[pos + 1] = SLASH;
                pos += 2;
            } else if pos + 2 < count
                && path[pos] == dot
                && path[pos + 1] == dot
                && path[pos + 2] == BACKSLASH
            {
                path[pos + 2] = SLASH;
                pos += 3;
                dir = self.parent_of(&mut cur, dir)?;
                last = Some(dir);
            } else {
                let mut len = 0;
                while pos + len < count && path[pos + len] != BACKSLASH {
                    len += 1;
                }
                if len == 0 {
                    return None;
                }
                let ino = self.fix_file_name(dir, &mut path[pos..pos + len])?;
                let (_, reparse) = self.kind(&mut cur, ino)?;
                last = Some(ino);
                if pos + len < count {
                    path[pos + len] = SLASH;
                    pos += len + 1;
                } else {
                    pos += len;
                }
                if reparse {
                    // Not followed further; the rest is kept as written.
                    return String::from_utf16(path).ok();
                }
                dir = ino;
            }
        }
        let (target_is_dir, _) = self.kind(&mut cur, last?)?;
        if target_is_dir != is_dir {
            return None;
        }
        String::from_utf16(path).ok()
    }

    /// The directory holding a directory (from its `$FILE_NAME`); none above the root.
    pub(super) fn parent_of(&self, cur: &mut DevCursor<'_>, dir: Ino) -> Option<Ino> {
        if dir == FILE_ROOT {
            return None;
        }
        let inode = self.inode(cur, dir).ok()?;
        Self::parent_from_file_name(&inode)
    }

    /// An Interix special file's type, device number and (for links) target.
    pub(super) fn interix(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        info: &StreamInfo,
    ) -> Result<Option<(i64, i64, Option<String>)>> {
        if info.data_size <= 8
            || info.data_size > 8 + 2 * PATH_MAX
            || info.flags & (ATTR_COMPRESSION_MASK | ATTR_IS_ENCRYPTED) != 0
        {
            return Ok(None);
        }
        let mut data = vec![0u8; info.data_size as usize];
        self.read_stream(cur, inode, AT_DATA, "", info, 0, &mut data)?;
        let magic = &data[0..8];
        let device = Fixed::<24>::new(&data).filter(|_| data.len() == 24);
        if let Some(numbers) =
            device.filter(|_| magic == INTX_BLOCK_DEVICE || magic == INTX_CHARACTER_DEVICE)
        {
            let rdev = makedev(numbers.le64::<8>(), numbers.le64::<16>());
            let ty = if magic == INTX_BLOCK_DEVICE {
                S_IFBLK
            } else {
                S_IFCHR
            };
            return Ok(Some((ty, rdev, None)));
        }
        if magic == INTX_SYMBOLIC_LINK {
            let units = utf16le_units(&data[8..]);
            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            let target = String::from_utf16(&units[..end])
                .map_err(|_| Error::new(libc::EILSEQ, "ntfs: invalid link target"))?;
            return Ok(Some((S_IFLNK, 0, Some(target))));
        }
        Ok(None)
    }

    /// The parent directory a file's first `$FILE_NAME` names.
    pub(super) fn parent_from_file_name(inode: &Inode<'_>) -> Option<Ino> {
        let fname = inode.base.attrs.iter().find(|a| a.ty == 0x30)?;
        let v = inode.base.resident_value(fname)?;
        Some(try_le64(v, 0)? & 0x0000_ffff_ffff_ffff)
    }
}

/// The substitute name of a mount point's or a symlink's reparse data (`body`, after the
/// 8-byte reparse header), and a symlink's "relative" flag. None when a name lies outside the
/// data or has an odd length.
fn substitute_name(body: &[u8], is_symlink: bool) -> Option<(Vec<u16>, bool)> {
    let names = Fixed::<8>::new(body)?;
    let path_start = if is_symlink { 12 } else { 8 };
    let subst_off = usize::from(names.le16::<0>());
    let subst_len = usize::from(names.le16::<2>());
    let print_off = usize::from(names.le16::<4>());
    let print_len = usize::from(names.le16::<6>());
    let fits = |off: usize, len: usize| path_start + off + len <= body.len();
    if body.len() < path_start
        || !fits(subst_off, subst_len)
        || !fits(print_off, print_len)
        || subst_len % 2 != 0
    {
        return None;
    }
    let relative = is_symlink && Fixed::<12>::new(body)?.le32::<8>() & 1 != 0;
    let name = try_slice(body, path_start + subst_off, subst_len)?;
    Some((utf16le_units(name), relative))
}
