//! The directory caches of a local mount, as libguestfs 1.48 keeps them: reading a directory
//! also fetches, in three batched calls, the status, extended attributes and link targets of
//! its entries, so that the `getattr`, `getxattr` and `readlink` the kernel sends next for
//! each entry are answered without a call to the guest. Entries expire after the mount's
//! cache timeout; a change to a path through the mount drops that path's entries.

use guestfs_protocol::structs::{StatNs, Xattr};
use std::collections::HashMap;
use std::time::{Duration, Instant};

struct Entry<T> {
    value: T,
    expires: Instant,
}

/// One cache: guest path → value, each with its expiry.
struct Timed<T> {
    entries: HashMap<String, Entry<T>>,
}

impl<T> Timed<T> {
    fn new() -> Timed<T> {
        Timed {
            entries: HashMap::new(),
        }
    }

    fn insert(&mut self, path: String, value: T, expires: Instant) {
        self.entries.insert(path, Entry { value, expires });
    }

    fn get(&self, path: &str, now: Instant) -> Option<&T> {
        self.entries
            .get(path)
            .filter(|e| e.expires >= now)
            .map(|e| &e.value)
    }

    fn remove_expired(&mut self, now: Instant) {
        self.entries.retain(|_, e| e.expires >= now);
    }
}

/// The status (`lstatns`), extended attribute (`lgetxattrs`) and link (`readlink`) caches.
pub(super) struct DirCache {
    timeout: Duration,
    stats: Timed<StatNs>,
    xattrs: Timed<Vec<Xattr>>,
    links: Timed<String>,
}

impl DirCache {
    pub(super) fn new(timeout: Duration) -> DirCache {
        DirCache {
            timeout,
            stats: Timed::new(),
            xattrs: Timed::new(),
            links: Timed::new(),
        }
    }

    pub(super) fn remove_expired(&mut self) {
        let now = Instant::now();
        self.stats.remove_expired(now);
        self.xattrs.remove_expired(now);
        self.links.remove_expired(now);
    }

    /// Drops what is known of `path` (after a change made to it through the mount).
    pub(super) fn invalidate(&mut self, path: &str) {
        self.stats.entries.remove(path);
        self.xattrs.entries.remove(path);
        self.links.entries.remove(path);
    }

    fn expiry(&self) -> Instant {
        Instant::now() + self.timeout
    }

    pub(super) fn insert_stat(&mut self, path: String, st: StatNs) {
        let e = self.expiry();
        self.stats.insert(path, st, e);
    }

    pub(super) fn insert_xattrs(&mut self, path: String, xattrs: Vec<Xattr>) {
        let e = self.expiry();
        self.xattrs.insert(path, xattrs, e);
    }

    pub(super) fn insert_link(&mut self, path: String, target: String) {
        let e = self.expiry();
        self.links.insert(path, target, e);
    }

    pub(super) fn stat(&self, path: &str) -> Option<&StatNs> {
        self.stats.get(path, Instant::now())
    }

    pub(super) fn xattrs(&self, path: &str) -> Option<&Vec<Xattr>> {
        self.xattrs.get(path, Instant::now())
    }

    pub(super) fn link(&self, path: &str) -> Option<&String> {
        self.links.get(path, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_invalidated() {
        let mut c = DirCache::new(Duration::from_secs(60));
        c.insert_link("/a".into(), "b".into());
        c.insert_stat("/a".into(), StatNs::default());
        assert_eq!(c.link("/a").map(String::as_str), Some("b"));
        c.invalidate("/a");
        assert!(c.link("/a").is_none() && c.stat("/a").is_none());

        let mut c = DirCache::new(Duration::ZERO);
        c.insert_link("/a".into(), "b".into());
        std::thread::sleep(Duration::from_millis(2));
        assert!(c.link("/a").is_none());
        c.remove_expired();
        assert!(c.links.entries.is_empty());
    }
}
