//! XDR layouts of the libguestfs structs (fields in declaration order, no padding between).

use super::xdr::{Xdr, XdrReader, XdrWriter};
use crate::error::Result;
use crate::types::*;

/// Length of an LVM UUID on the wire (`opaque x[32]`).
const UUID_LEN: usize = 32;

fn put_uuid(w: &mut XdrWriter, s: &str) {
    w.fixed_opaque(s.as_bytes(), UUID_LEN);
}

fn get_uuid(r: &mut XdrReader) -> Result<String> {
    let b = r.fixed_opaque(UUID_LEN)?;
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    Ok(String::from_utf8_lossy(&b[..end]).into_owned())
}

impl Xdr for Stat {
    fn encode(&self, w: &mut XdrWriter) {
        for v in [
            self.st_dev,
            self.st_ino,
            self.st_mode,
            self.st_nlink,
            self.st_uid,
            self.st_gid,
            self.st_rdev,
            self.st_size,
            self.st_blksize,
            self.st_blocks,
            self.st_atime_sec,
            self.st_atime_nsec,
            self.st_mtime_sec,
            self.st_mtime_nsec,
            self.st_ctime_sec,
            self.st_ctime_nsec,
        ] {
            w.i64(v);
        }
        // st_spare1 … st_spare6
        for _ in 0..6 {
            w.i64(0);
        }
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        let mut v = [0i64; 22];
        for x in v.iter_mut() {
            *x = r.i64()?;
        }
        Ok(Stat {
            st_dev: v[0],
            st_ino: v[1],
            st_mode: v[2],
            st_nlink: v[3],
            st_uid: v[4],
            st_gid: v[5],
            st_rdev: v[6],
            st_size: v[7],
            st_blksize: v[8],
            st_blocks: v[9],
            st_atime_sec: v[10],
            st_atime_nsec: v[11],
            st_mtime_sec: v[12],
            st_mtime_nsec: v[13],
            st_ctime_sec: v[14],
            st_ctime_nsec: v[15],
        })
    }
    const MIN_SIZE: usize = 22 * 8;
}

impl Xdr for StatVfs {
    fn encode(&self, w: &mut XdrWriter) {
        for v in [
            self.bsize,
            self.frsize,
            self.blocks,
            self.bfree,
            self.bavail,
            self.files,
            self.ffree,
            self.favail,
            self.fsid,
            self.flag,
            self.namemax,
        ] {
            w.i64(v);
        }
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        Ok(StatVfs {
            bsize: r.i64()?,
            frsize: r.i64()?,
            blocks: r.i64()?,
            bfree: r.i64()?,
            bavail: r.i64()?,
            files: r.i64()?,
            ffree: r.i64()?,
            favail: r.i64()?,
            fsid: r.i64()?,
            flag: r.i64()?,
            namemax: r.i64()?,
        })
    }
    const MIN_SIZE: usize = 11 * 8;
}

impl Xdr for Dirent {
    fn encode(&self, w: &mut XdrWriter) {
        w.i64(self.ino);
        w.i32(self.ftyp as i32);
        w.string(&self.name);
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        let ino = r.i64()?;
        let ftyp = char::from_u32(r.i32()? as u32).unwrap_or('?');
        Ok(Dirent {
            ino,
            ftyp,
            name: r.string()?,
        })
    }
    const MIN_SIZE: usize = 16;
}

impl Xdr for Partition {
    fn encode(&self, w: &mut XdrWriter) {
        w.i32(self.part_num);
        w.i64(self.part_start);
        w.i64(self.part_end);
        w.i64(self.part_size);
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        Ok(Partition {
            part_num: r.i32()?,
            part_start: r.i64()?,
            part_end: r.i64()?,
            part_size: r.i64()?,
        })
    }
    const MIN_SIZE: usize = 28;
}

impl Xdr for LvmPv {
    fn encode(&self, w: &mut XdrWriter) {
        w.string(&self.pv_name);
        put_uuid(w, &self.pv_uuid);
        w.string(&self.pv_fmt);
        w.i64(self.pv_size);
        w.i64(self.dev_size);
        w.i64(self.pv_free);
        w.i64(self.pv_used);
        w.string(&self.pv_attr);
        w.i64(self.pv_pe_count);
        w.i64(self.pv_pe_alloc_count);
        w.string(&self.pv_tags);
        w.i64(self.pe_start);
        w.i64(self.pv_mda_count);
        w.i64(self.pv_mda_free);
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        Ok(LvmPv {
            pv_name: r.string()?,
            pv_uuid: get_uuid(r)?,
            pv_fmt: r.string()?,
            pv_size: r.i64()?,
            dev_size: r.i64()?,
            pv_free: r.i64()?,
            pv_used: r.i64()?,
            pv_attr: r.string()?,
            pv_pe_count: r.i64()?,
            pv_pe_alloc_count: r.i64()?,
            pv_tags: r.string()?,
            pe_start: r.i64()?,
            pv_mda_count: r.i64()?,
            pv_mda_free: r.i64()?,
        })
    }
    const MIN_SIZE: usize = 100;
}

impl Xdr for LvmVg {
    fn encode(&self, w: &mut XdrWriter) {
        w.string(&self.vg_name);
        put_uuid(w, &self.vg_uuid);
        w.string(&self.vg_fmt);
        w.string(&self.vg_attr);
        w.i64(self.vg_size);
        w.i64(self.vg_free);
        w.string(&self.vg_sysid);
        w.i64(self.vg_extent_size);
        w.i64(self.vg_extent_count);
        w.i64(self.vg_free_count);
        w.i64(self.max_lv);
        w.i64(self.max_pv);
        w.i64(self.pv_count);
        w.i64(self.lv_count);
        w.i64(self.snap_count);
        w.i64(self.vg_seqno);
        w.string(&self.vg_tags);
        w.i64(self.vg_mda_count);
        w.i64(self.vg_mda_free);
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        Ok(LvmVg {
            vg_name: r.string()?,
            vg_uuid: get_uuid(r)?,
            vg_fmt: r.string()?,
            vg_attr: r.string()?,
            vg_size: r.i64()?,
            vg_free: r.i64()?,
            vg_sysid: r.string()?,
            vg_extent_size: r.i64()?,
            vg_extent_count: r.i64()?,
            vg_free_count: r.i64()?,
            max_lv: r.i64()?,
            max_pv: r.i64()?,
            pv_count: r.i64()?,
            lv_count: r.i64()?,
            snap_count: r.i64()?,
            vg_seqno: r.i64()?,
            vg_tags: r.string()?,
            vg_mda_count: r.i64()?,
            vg_mda_free: r.i64()?,
        })
    }
    const MIN_SIZE: usize = 140;
}

impl Xdr for LvmLv {
    fn encode(&self, w: &mut XdrWriter) {
        w.string(&self.lv_name);
        put_uuid(w, &self.lv_uuid);
        w.string(&self.lv_attr);
        w.i64(self.lv_major);
        w.i64(self.lv_minor);
        w.i64(self.lv_kernel_major);
        w.i64(self.lv_kernel_minor);
        w.i64(self.lv_size);
        w.i64(self.seg_count);
        w.string(&self.origin);
        w.f32(self.snap_percent);
        w.f32(self.copy_percent);
        w.string(&self.move_pv);
        w.string(&self.lv_tags);
        w.string(&self.mirror_log);
        w.string(&self.modules);
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        Ok(LvmLv {
            lv_name: r.string()?,
            lv_uuid: get_uuid(r)?,
            lv_attr: r.string()?,
            lv_major: r.i64()?,
            lv_minor: r.i64()?,
            lv_kernel_major: r.i64()?,
            lv_kernel_minor: r.i64()?,
            lv_size: r.i64()?,
            seg_count: r.i64()?,
            origin: r.string()?,
            snap_percent: r.f32()?,
            copy_percent: r.f32()?,
            move_pv: r.string()?,
            lv_tags: r.string()?,
            mirror_log: r.string()?,
            modules: r.string()?,
        })
    }
    const MIN_SIZE: usize = 120;
}

/// `guestfs_xattr` list: (attrname, attrval) structs.
impl Xdr for Vec<(String, Vec<u8>)> {
    fn encode(&self, w: &mut XdrWriter) {
        w.u32(self.len() as u32);
        for (k, v) in self {
            w.string(k);
            w.opaque(v);
        }
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        let n = r.count(8)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let k = r.string()?;
            let v = r.opaque()?.to_vec();
            out.push((k, v));
        }
        Ok(out)
    }
}

macro_rules! xdr_struct_list {
    ($($t:ty),*) => {$(
        impl Xdr for Vec<$t> {
            fn encode(&self, w: &mut XdrWriter) {
                super::xdr::encode_list(w, self)
            }
            fn decode(r: &mut XdrReader) -> Result<Self> {
                super::xdr::decode_list(r)
            }
        }
    )*};
}
xdr_struct_list!(Stat, Dirent, Partition, LvmPv, LvmVg, LvmLv);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::decode_all;

    #[test]
    fn statns_is_22_hypers() {
        let st = Stat {
            st_ino: 12,
            st_mode: 0o100644,
            st_size: 5,
            ..Default::default()
        };
        let mut w = XdrWriter::new();
        st.encode(&mut w);
        assert_eq!(w.buf.len(), 176);
        assert_eq!(decode_all::<Stat>(&w.buf).unwrap(), st);
    }

    #[test]
    fn lvm_lv_round_trips() {
        let lv = LvmLv {
            lv_name: "root".into(),
            lv_uuid: "abcdefghijklmnopqrstuvwxyz012345".into(),
            snap_percent: -1.0,
            copy_percent: -1.0,
            lv_size: 1 << 30,
            ..Default::default()
        };
        let mut w = XdrWriter::new();
        vec![lv.clone()].encode(&mut w);
        assert_eq!(decode_all::<Vec<LvmLv>>(&w.buf).unwrap(), vec![lv]);
    }
}
