//! Applying a `.reg` file's operations ([`super::regfile`]) to a hive, with the semantics of
//! Win::Hivex::Regedit's `reg_import` (`_merge_node`, `_delete_node`): paths are relative to
//! the hive's root, keys are found case-insensitively, a missing key is created under an
//! existing parent, and a merged key keeps its other values in their order, with the new ones
//! after them.

use super::regfile::RegValue;
use super::{Hive, NodeHandle};
use crate::error::Error;
use std::fmt;

/// Why an operation could not be applied.
#[derive(Debug)]
pub enum MergeError {
    /// The key to create has no parent in the hive (reg_import creates one level only).
    NoParent { path: String, parent: String },
    /// `[-PATH]` named the root of the hive.
    DeleteRoot,
    /// The hive refused the change.
    Hive(Error),
}

/// reg_import's wording.
impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::NoParent { path, parent } => write!(
                f,
                "reg_import: cannot create {} since parent {} does not exist",
                path, parent
            ),
            MergeError::DeleteRoot => {
                write!(f, "reg_import: the root node of a hive cannot be deleted")
            }
            MergeError::Hive(e) => write!(f, "{}", e.message),
        }
    }
}

impl std::error::Error for MergeError {}

impl From<Error> for MergeError {
    fn from(e: Error) -> MergeError {
        MergeError::Hive(e)
    }
}

/// `_node_lookup`: the key at `path` (`\`-separated, a leading `\` optional), as Perl's
/// `split` cuts it (trailing empty names dropped, inner ones kept and never found).
pub fn lookup(hive: &Hive, path: &str) -> Result<Option<NodeHandle>, Error> {
    let mut parts: Vec<&str> = path.split('\\').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.first() == Some(&"") {
        parts.remove(0);
    }
    let mut node = hive.root();
    for part in parts {
        if part.is_empty() {
            return Ok(None);
        }
        match hive.node_get_child(node, part)? {
            Some(child) => node = child,
            None => return Ok(None),
        }
    }
    Ok(Some(node))
}

/// `_merge_node`: `[path]` with its value lines.
pub fn merge_key(
    hive: &mut Hive,
    path: &str,
    set: &[RegValue],
    delete: &[String],
) -> Result<(), MergeError> {
    let node = match lookup(hive, path)? {
        Some(node) => node,
        None => {
            // The last name (the whole path when it ends with `\`), and what is before it.
            let (parent_path, name) = match path.rfind('\\') {
                Some(i) if i + 1 < path.len() => (&path[..=i], &path[i + 1..]),
                Some(_) => (path, path),
                None => ("", path),
            };
            let Some(parent) = lookup(hive, parent_path)? else {
                return Err(MergeError::NoParent {
                    path: path.to_string(),
                    parent: parent_path.to_string(),
                });
            };
            hive.node_add_child(parent, name)?
        }
    };
    let replaced = |key: &str| {
        delete
            .iter()
            .map(String::as_str)
            .chain(set.iter().map(|v| v.name.as_str()))
            .any(|d| d.eq_ignore_ascii_case(key))
    };
    let mut values = Vec::new();
    for v in hive.node_values(node)? {
        let key = hive.value_key(v)?;
        if replaced(&key) {
            continue;
        }
        let (t, data) = hive.value_value(v)?;
        values.push((key, t, data));
    }
    values.extend(
        set.iter()
            .map(|v| (v.name.clone(), v.value_type, v.data.clone())),
    );
    hive.node_set_values(node, &values)?;
    Ok(())
}

/// `_delete_node`: `[-path]`. A key that is not there is no error.
pub fn delete_key(hive: &mut Hive, path: &str) -> Result<(), MergeError> {
    let Some(node) = lookup(hive, path)? else {
        return Ok(());
    };
    if node == hive.root() {
        return Err(MergeError::DeleteRoot);
    }
    hive.node_delete_child(node)?;
    Ok(())
}
