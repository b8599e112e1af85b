//! Inode attributes and volume statistics as ntfs-3g reports them.

use super::*;

impl NtfsFs {
    pub(super) fn blksize(&self) -> i64 {
        // ntfs-3g mounts with blksize = cluster size; the kernel cannot go past a page.
        self.cluster_size.min(4096) as i64
    }

    pub(super) fn stat_inode(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
    ) -> Result<(StatNs, Option<String>)> {
        let si = self.standard_information(inode)?;
        let data = inode.stream(AT_DATA, &[]).unwrap_or_default();
        let is_dir = inode.base.flags() & MFT_RECORD_IS_DIRECTORY != 0;
        let reparse = si.file_attributes & FILE_ATTR_REPARSE_POINT != 0;
        let mut st = StatNs {
            st_ino: inode.number as i64,
            st_blksize: self.blksize(),
            ..StatNs::default()
        };
        let mut link = None;
        if is_dir || reparse {
            if reparse {
                let target = self.reparse_target(cur, inode, Self::parent_from_file_name(inode))?;
                st.st_mode = S_IFLNK | 0o777;
                st.st_size = target.len() as i64;
                st.st_blocks = (data.allocated_size.saturating_add(511) >> 9) as i64;
                st.st_nlink = i64::from(inode.base.link_count());
                link = Some(target);
            } else {
                let i30: Vec<u16> = "$I30".encode_utf16().collect();
                let index = inode.stream(AT_INDEX_ALLOCATION, &i30).unwrap_or_default();
                st.st_mode = S_IFDIR | 0o777;
                st.st_size = index.data_size as i64;
                st.st_blocks = (index.allocated_size >> 9) as i64;
                st.st_nlink = 1;
            }
        } else {
            let mut mode = S_IFREG;
            st.st_size = data.data_size as i64;
            st.st_blocks = (data.allocated_size.saturating_add(511) >> 9) as i64;
            st.st_nlink = i64::from(inode.base.link_count());
            if si.file_attributes & FILE_ATTR_SYSTEM != 0 && inode.attr(AT_DATA, &[]).is_some() {
                if si.file_attributes & FILE_ATTR_HIDDEN == 0 {
                    if data.data_size == 0 {
                        mode = S_IFIFO;
                    } else if data.data_size == 1 {
                        mode = S_IFSOCK;
                    }
                }
                if let Some((ty, rdev, target)) = self.interix(cur, inode, &data)? {
                    mode = ty;
                    st.st_rdev = rdev;
                    if let Some(t) = target {
                        st.st_size = t.len() as i64;
                        link = Some(t);
                    }
                }
            }
            st.st_mode = mode | 0o777;
        }
        let (asec, ansec) = ntfs_time(si.last_access);
        let (msec, mnsec) = ntfs_time(si.last_data_change);
        let (csec, cnsec) = ntfs_time(si.last_mft_change);
        st.st_atime_sec = asec;
        st.st_atime_nsec = ansec;
        st.st_mtime_sec = msec;
        st.st_mtime_nsec = mnsec;
        st.st_ctime_sec = csec;
        st.st_ctime_nsec = cnsec;
        Ok((st, link))
    }

    /// Counts zero bits of an attribute value, reading it in pieces.
    pub(super) fn count_zero_bits(
        &self,
        cur: &mut DevCursor<'_>,
        inode: &Inode<'_>,
        ty: u32,
        info: &StreamInfo,
    ) -> Result<u64> {
        let mut zeros = 0u64;
        let mut off = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        while off < info.data_size {
            let n = (info.data_size - off).min(buf.len() as u64) as usize;
            let got = self.read_stream(cur, inode, ty, "", info, off, &mut buf[..n])?;
            if got == 0 {
                break;
            }
            zeros += buf[..got]
                .iter()
                .map(|b| u64::from(b.count_zeros()))
                .sum::<u64>();
            off += got as u64;
        }
        Ok(zeros)
    }
}
