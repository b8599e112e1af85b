//! The kernel names files of a FUSE mount by node numbers; the guest calls take paths. This
//! table gives each guest path the kernel has looked up a node number, and back. Numbers are
//! the mount's own (the guest's inode numbers repeat across its filesystems); the root is 1.

use std::collections::HashMap;

pub(super) const ROOT: u64 = 1;

pub(super) struct Nodes {
    paths: HashMap<u64, String>,
    numbers: HashMap<String, u64>,
    next: u64,
}

impl Nodes {
    pub(super) fn new() -> Nodes {
        let mut n = Nodes {
            paths: HashMap::new(),
            numbers: HashMap::new(),
            next: ROOT + 1,
        };
        n.paths.insert(ROOT, "/".to_string());
        n.numbers.insert("/".to_string(), ROOT);
        n
    }

    pub(super) fn path(&self, node: u64) -> Option<&str> {
        self.paths.get(&node).map(String::as_str)
    }

    /// The node number of `path`, given one if it has none yet.
    pub(super) fn number(&mut self, path: &str) -> u64 {
        if let Some(&n) = self.numbers.get(path) {
            return n;
        }
        let n = self.next;
        self.next += 1;
        self.paths.insert(n, path.to_string());
        self.numbers.insert(path.to_string(), n);
        n
    }

    /// Forgets `path` (removed in the guest): a new file made there gets a new number.
    pub(super) fn remove(&mut self, path: &str) {
        if let Some(n) = self.numbers.remove(path) {
            self.paths.remove(&n);
        }
    }

    /// After a rename: `from` and everything under it now live under `to`, with the same
    /// numbers; what `to` named before is gone.
    pub(super) fn rename(&mut self, from: &str, to: &str) {
        self.remove(to);
        let under = format!("{}/", from);
        let moved: Vec<(String, u64)> = self
            .numbers
            .iter()
            .filter(|(p, _)| p.as_str() == from || p.starts_with(&under))
            .map(|(p, &n)| (p.clone(), n))
            .collect();
        for (old, n) in moved {
            let new = format!("{}{}", to, &old[from.len()..]);
            self.numbers.remove(&old);
            self.numbers.insert(new.clone(), n);
            self.paths.insert(n, new);
        }
    }
}

/// The guest path of `name` in the directory `dir`.
pub(super) fn child(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{}", name)
    } else {
        format!("{}/{}", dir, name)
    }
}

/// The directory holding `path` ("/" for "/").
pub(super) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_renames() {
        let mut n = Nodes::new();
        let a = n.number("/a");
        let ab = n.number("/a/b");
        let c = n.number("/c");
        assert_eq!(n.number("/a"), a);
        n.rename("/a", "/c");
        assert_eq!(n.path(a), Some("/c"));
        assert_eq!(n.path(ab), Some("/c/b"));
        assert_eq!(n.path(c), None);
        assert_eq!(n.path(ROOT), Some("/"));
        n.remove("/c/b");
        assert_eq!(n.path(ab), None);
        assert_eq!(child("/", "x"), "/x");
        assert_eq!(child("/x", "y"), "/x/y");
        assert_eq!(parent("/x/y"), "/x");
        assert_eq!(parent("/x"), "/");
    }
}
