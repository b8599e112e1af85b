//! The order in which the kernel's readdir hands out a directory's names (`ext4_readdir`).
//!
//! On a filesystem with dir_index, a directory that is indexed (EXT4_INDEX_FL), one block
//! long, or inline is read in hash order (`ext4_dx_readdir`): names are collected into a
//! tree keyed by (hash, minor hash) one index leaf at a time (`ext4_htree_fill_tree`) and
//! handed out in key order. Other directories, and indexed ones whose index the kernel finds
//! unusable (`ERR_BAD_DX_DIR`), are read linearly in on-disk order. Programs that do not sort
//! (GNU tar, libguestfs's `readdir`) show this order.

use super::dir;
use super::hash::{dirhash, HashVersion};
use super::inode::{Inode, EXT4_INDEX_FL};
use super::superblock::{COMPAT_DIR_INDEX, INCOMPAT_LARGEDIR};
use super::ExtFs;
use crate::bytes::{try_slice, Fixed};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// One directory entry as readdir hands it out.
pub struct Listed {
    pub inode: u32,
    pub name: Vec<u8>,
    pub file_type: u8,
}

/// The names of one fill, keyed like the kernel's rbtree. Names with an equal key form a
/// chain: `ext4_htree_store_dirent` links each newcomer right after the chain's head, so a
/// chain reads as the first arrival, then the others latest first.
#[derive(Default)]
struct HashTree(BTreeMap<(u32, u32), Vec<Listed>>);

impl HashTree {
    fn insert(&mut self, key: (u32, u32), entry: Listed) {
        self.0.entry(key).or_default().push(entry);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn hand_out(self, out: &mut Vec<Listed>) {
        for (_, mut chain) in self.0 {
            let later = chain.split_off(1);
            out.extend(chain);
            out.extend(later.into_iter().rev());
        }
    }
}

/// What one fill of the tree found.
enum Fill {
    /// The names from `start` on in the leaf (and its continuation leaves) the index leads
    /// to, and the hash where the next leaf starts (`!0` at the end).
    Names(HashTree, u32),
    /// `ERR_BAD_DX_DIR`: the index cannot be used.
    BadIndex,
}

/// `ext4_read_dirblock`'s two kinds of block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Index,
    Leaf,
}

/// One level of a walk down the index (`struct dx_frame`): the block, where its entries
/// start, how many there are, and the one followed.
struct Frame {
    block: Vec<u8>,
    entries: usize,
    count: usize,
    at: usize,
}

impl Frame {
    /// Index entry `i`: (hash, block). A count read from a node as it stands (see
    /// `next_leaf`) can reach past the block, where the kernel would read beyond its buffer.
    fn entry(&self, i: usize) -> Result<Fixed<'_, 8>> {
        i.checked_mul(8)
            .and_then(|off| Fixed::at(&self.block, self.entries + off))
            .ok_or_else(|| {
                Error::new(
                    libc::EUCLEAN,
                    format!("ext4: htree index entry {} lies past its block", i),
                )
            })
    }

    fn hash(&self, i: usize) -> Result<u32> {
        Ok(self.entry(i)?.le32::<0>())
    }

    /// `dx_get_block`: the high four bits are reserved.
    fn child(&self, i: usize) -> Result<u64> {
        Ok(u64::from(self.entry(i)?.le32::<4>() & 0x0fff_ffff))
    }

    /// (limit, count) at the start of the entries, or None when they lie past the block.
    fn limit_and_count(&self) -> Option<(usize, usize)> {
        let c = Fixed::<4>::at(&self.block, self.entries)?;
        Some((usize::from(c.le16::<0>()), usize::from(c.le16::<2>())))
    }
}

// Byte offsets in the index root (`struct dx_root`): the info after the `.` and `..` records.
const ROOT_HASH_VERSION: usize = 28;
const ROOT_INFO_LENGTH: usize = 29;
const ROOT_INDIRECT_LEVELS: usize = 30;
const ROOT_UNUSED_FLAGS: usize = 31;
const ROOT_INFO: usize = 24;
/// The end of `struct dx_root_info`'s fixed bytes (after `unused_flags`).
const ROOT_INFO_END: usize = 32;
/// A node's entries follow its one empty directory record.
const NODE_ENTRIES: usize = 8;
/// `EXT4_FT_DIR`, the type of the `.` and `..` records made up for inline directories.
const DIR_FILE_TYPE: u8 = 2;
/// `struct dx_tail`, the checksum record ending index blocks with metadata_csum.
const DX_TAIL_SIZE: usize = 8;
/// The space the `.` and `..` records of the root take (`ext4_dir_rec_len(1)` and `(2)`).
const ROOT_DOT_RECORDS: usize = 24;

impl ExtFs {
    /// The entries of a directory, `.` and `..` included, in the order readdir gives them.
    pub(super) fn readdir_order(&self, dir: &Inode) -> Result<Vec<Listed>> {
        super::refuse_encrypted_dir(dir)?;
        if self.is_dx_dir(dir) {
            if let Some(listed) = self.dx_readdir(dir)? {
                return Ok(listed);
            }
        }
        let mut out = Vec::new();
        if dir.inline.is_some() {
            // An inline directory stores no `.`; ext4_read_inline_dir makes it up first.
            out.push(Listed {
                inode: dir.ino as u32,
                name: b".".to_vec(),
                file_type: DIR_FILE_TYPE,
            });
        }
        self.scan_dir(dir, |inode, name, file_type| {
            out.push(Listed {
                inode,
                name: name.to_vec(),
                file_type,
            });
            true
        })?;
        Ok(out)
    }

    /// `is_dx_dir`: whether readdir goes by hash.
    fn is_dx_dir(&self, dir: &Inode) -> bool {
        self.sb.has_compat(COMPAT_DIR_INDEX)
            && (dir.has_flag(EXT4_INDEX_FL)
                || dir.size >> self.geo.block_bits == 1
                || dir.inline.is_some())
    }

    /// `ext4_dx_readdir` read to the end: fill after fill, each from the hash where the last
    /// stopped. None when the kernel would fall back to reading linearly.
    fn dx_readdir(&self, dir: &Inode) -> Result<Option<Vec<Listed>>> {
        let mut out = Vec::new();
        let mut start = (0u32, 0u32);
        loop {
            let (tree, next_hash) = match self.fill(dir, start)? {
                Fill::Names(tree, next) => (tree, next),
                // Only the first fill can fall back to the start of the directory; later the
                // position is a hash beyond i_size, so the linear read finds nothing more.
                Fill::BadIndex if out.is_empty() => return Ok(None),
                Fill::BadIndex => break,
            };
            if tree.is_empty() {
                break;
            }
            tree.hand_out(&mut out);
            if next_hash == !0 {
                break;
            }
            // A sound index only ever leads forward; one that leads back would have the
            // kernel hand out the same names again without end.
            if next_hash <= start.0 {
                return Err(Error::new(
                    libc::EUCLEAN,
                    format!("ext4: directory inode #{}: htree index loops", dir.ino),
                ));
            }
            start = (next_hash, 0);
        }
        Ok(Some(out))
    }

    /// `ext4_htree_fill_tree`: the names from `start` on, from the leaf the index leads to for
    /// that hash and the leaves continuing it; an unindexed directory gives all its names.
    fn fill(&self, dir: &Inode, start: (u32, u32)) -> Result<Fill> {
        let mut tree = HashTree::default();
        if !dir.has_flag(EXT4_INDEX_FL) {
            // Checked when the filesystem was opened, as the kernel checks it at mount.
            let version = self.sb.default_hash().ok_or_else(|| {
                Error::new(libc::EINVAL, "ext4: invalid default hash in the superblock")
            })?;
            if dir.inline.is_some() {
                self.inline_to_tree(dir, version, start, &mut tree);
            } else {
                self.leaf_to_tree(dir, 0, version, start, &mut tree)?;
            }
            return Ok(Fill::Names(tree, !0));
        }
        let root = self.read_dirblock(dir, 0, BlockKind::Index)?;
        let Some(info) = Fixed::<ROOT_INFO_END>::new(&root) else {
            return Ok(Fill::BadIndex);
        };
        let code = info.u8::<ROOT_HASH_VERSION>();
        // The root's version: legacy, half-MD4 or TEA (SipHash is only valid with hashes
        // stored in the entries, which only encrypted casefolded directories have).
        let Some(mut version) = HashVersion::from_code(u32::from(code)).filter(|_| code < 3) else {
            return Ok(Fill::BadIndex);
        };
        if self.sb.hash_unsigned() {
            version = version.unsigned();
        }
        let Some(mut frames) = self.dx_probe(dir, root, start.0)? else {
            return Ok(Fill::BadIndex);
        };
        // `.` and `..` stand in the root's first two records, with fake hashes 0 and 2.
        let root = &frames[0].block;
        let dot = record_at(dir, root, 0)?;
        let mut found = 0;
        if start.0 < 2 || start == (2, 0) {
            let dot_len = dir::rec_len_from_disk(dot.rec_len, root.len());
            tree.insert((2, 0), record_at(dir, root, dot_len)?.listed);
            found += 1;
        }
        if start == (0, 0) {
            tree.insert((0, 0), dot.listed);
            found += 1;
        }
        loop {
            let leaf = match frames.last() {
                Some(f) => f.child(f.at)?,
                None => 0,
            };
            found += self.leaf_to_tree(dir, leaf, version, start, &mut tree)?;
            let (more, next_hash) = self.next_leaf(dir, &mut frames)?;
            // Stop at the end, or once names are found and the next leaf is not a
            // continuation of this one (the low bit of its hash).
            if !more || (found > 0 && next_hash & 1 == 0) {
                return Ok(Fill::Names(tree, if more { next_hash } else { !0 }));
            }
        }
    }

    /// `dx_probe`: the walk from the root down to the leaf holding `hash`, or None when the
    /// index is unusable.
    fn dx_probe(&self, dir: &Inode, root: Vec<u8>, hash: u32) -> Result<Option<Vec<Frame>>> {
        let bs = root.len();
        let csum_tail = if self.sb.csum_seed.is_some() {
            DX_TAIL_SIZE
        } else {
            0
        };
        let Some(info) = Fixed::<ROOT_INFO_END>::new(&root) else {
            return Ok(None);
        };
        if info.u8::<ROOT_UNUSED_FLAGS>() & 1 != 0 {
            return Ok(None);
        }
        let indirect = usize::from(info.u8::<ROOT_INDIRECT_LEVELS>());
        let max_levels = if self.sb.has_incompat(INCOMPAT_LARGEDIR) {
            3
        } else {
            2
        };
        if indirect >= max_levels {
            return Ok(None);
        }
        let info_length = usize::from(info.u8::<ROOT_INFO_LENGTH>());
        let root_limit = (bs - ROOT_DOT_RECORDS - info_length - csum_tail) / 8;
        let node_limit = (bs - NODE_ENTRIES - csum_tail) / 8;
        let mut frame = Frame {
            block: root,
            entries: ROOT_INFO + info_length,
            count: 0,
            at: 0,
        };
        if frame.limit_and_count().map(|(limit, _)| limit) != Some(root_limit) {
            return Ok(None);
        }
        let mut frames: Vec<Frame> = Vec::with_capacity(indirect + 1);
        let mut visited = vec![0u64];
        loop {
            let Some((limit, count)) = frame.limit_and_count() else {
                return Ok(None);
            };
            if count == 0 || count > limit {
                return Ok(None);
            }
            // The last entry whose hash is not above `hash` (entry 0 covers everything below
            // entry 1).
            let (mut lo, mut hi) = (1usize, count);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if frame.hash(mid)? > hash {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            frame.count = count;
            frame.at = lo - 1;
            let child = frame.child(frame.at)?;
            frames.push(frame);
            if visited.contains(&child) {
                return Ok(None);
            }
            if frames.len() > indirect {
                return Ok(Some(frames));
            }
            visited.push(child);
            frame = Frame {
                block: self.read_dirblock(dir, child, BlockKind::Index)?,
                entries: NODE_ENTRIES,
                count: 0,
                at: 0,
            };
            if frame.limit_and_count().map(|(limit, _)| limit) != Some(node_limit) {
                return Ok(None);
            }
        }
    }

    /// `ext4_htree_next_block`: moves the walk to the next leaf, reading the index nodes on
    /// the way. Returns whether there is one, and the hash it starts at.
    fn next_leaf(&self, dir: &Inode, frames: &mut [Frame]) -> Result<(bool, u32)> {
        let mut level = frames.len() - 1;
        let mut climbed = 0;
        loop {
            let f = &mut frames[level];
            f.at += 1;
            if f.at < f.count {
                break;
            }
            if level == 0 {
                return Ok((false, !0));
            }
            climbed += 1;
            level -= 1;
        }
        let start_hash = frames[level].hash(frames[level].at)?;
        for _ in 0..climbed {
            let child = frames[level].child(frames[level].at)?;
            let block = self.read_dirblock(dir, child, BlockKind::Index)?;
            level += 1;
            let mut frame = Frame {
                block,
                entries: NODE_ENTRIES,
                count: 0,
                at: 0,
            };
            // Unlike dx_probe, the kernel takes a node's count here as it stands.
            frame.count = frame.limit_and_count().map_or(0, |(_, count)| count);
            frames[level] = frame;
        }
        Ok((true, start_hash))
    }

    /// `htree_dirblock_to_tree`: adds the names of leaf `lblk` whose hash is from `start` on,
    /// and says how many.
    fn leaf_to_tree(
        &self,
        dir: &Inode,
        lblk: u64,
        version: HashVersion,
        start: (u32, u32),
        tree: &mut HashTree,
    ) -> Result<usize> {
        let block = self.read_dirblock(dir, lblk, BlockKind::Leaf)?;
        let mut added = 0;
        let seed = &self.sb.s_hash_seed;
        dir::for_each_entry(&block, block.len(), self.geo.inodes_count, |e| {
            let key = dirhash(version, seed, e.name);
            if key >= start {
                tree.insert(key, listed(&e));
                added += 1;
            }
            true
        });
        Ok(added)
    }

    /// `ext4_inlinedir_to_tree`: an inline directory's names, `.` and `..` made up from the
    /// inode and the parent number the inline area starts with.
    fn inline_to_tree(
        &self,
        dir: &Inode,
        version: HashVersion,
        start: (u32, u32),
        tree: &mut HashTree,
    ) {
        let data = Self::inline_bytes(dir, Self::inline_size(dir));
        let seed = &self.sb.s_hash_seed;
        let fakes = [
            (dir.ino as u32, b".".to_vec()),
            (dir.inline_dir_parent(), b"..".to_vec()),
        ];
        for (inode, name) in fakes {
            let key = dirhash(version, seed, &name);
            if key >= start && inode != 0 {
                tree.insert(
                    key,
                    Listed {
                        inode,
                        name,
                        file_type: DIR_FILE_TYPE,
                    },
                );
            }
        }
        dir::for_each_entry(
            data.get(4..).unwrap_or(&[]),
            self.geo.block_size as usize,
            self.geo.inodes_count,
            |e| {
                let key = dirhash(version, seed, e.name);
                if key >= start {
                    tree.insert(key, listed(&e));
                }
                true
            },
        );
    }

    /// `ext4_read_dirblock`: logical block `lblk` of a directory, which must lie inside it and
    /// be mapped; leaves are checked against their checksum, and an index block must look
    /// like one.
    fn read_dirblock(&self, dir: &Inode, lblk: u64, kind: BlockKind) -> Result<Vec<u8>> {
        let bs = self.geo.block_size;
        let corrupt = |what: &str| {
            Error::new(
                libc::EUCLEAN,
                format!(
                    "ext4: directory inode #{}: block {}: {}",
                    dir.ino, lblk, what
                ),
            )
        };
        if lblk >= dir.size >> self.geo.block_bits {
            return Err(corrupt("past i_size"));
        }
        let Some(pblk) = self
            .map_blocks(dir, lblk, lblk + 1)?
            .first()
            .and_then(|r| r.pblk)
        else {
            return Err(corrupt("hole in an htree directory"));
        };
        let mut block = vec![0u8; bs as usize];
        self.read_phys(pblk * bs, &mut block)?;
        // What the kernel takes for an index block: the root, or one whose first record spans
        // it. Index blocks carry no leaf checksum.
        let is_index_block = dir.has_flag(EXT4_INDEX_FL) && dir::is_htree_index(&block, lblk);
        if kind == BlockKind::Index && !is_index_block {
            return Err(corrupt("leaf block found instead of index block"));
        }
        if !is_index_block {
            self.verify_dir_block(dir, &block, lblk)?;
        }
        Ok(block)
    }
}

/// A record of the index root, as the kernel takes `.` and `..` from it, with its `rec_len`.
struct RootRecord {
    listed: Listed,
    rec_len: u16,
}

/// The record at `off` of an htree root (`..` lies where `.`'s record length says).
fn record_at(dir: &Inode, block: &[u8], off: usize) -> Result<RootRecord> {
    let record = Fixed::<8>::at(block, off).and_then(|h| {
        let name = try_slice(block, off + 8, usize::from(h.u8::<6>()))?;
        Some(RootRecord {
            listed: Listed {
                inode: h.le32::<0>(),
                name: name.to_vec(),
                file_type: h.u8::<7>(),
            },
            rec_len: h.le16::<4>(),
        })
    });
    record.ok_or_else(|| {
        Error::new(
            libc::EUCLEAN,
            format!(
                "ext4: directory inode #{}: htree root record at {} lies past the block",
                dir.ino, off
            ),
        )
    })
}

fn listed(e: &dir::RawEntry) -> Listed {
    Listed {
        inode: e.inode,
        name: e.name.to_vec(),
        file_type: e.file_type,
    }
}
