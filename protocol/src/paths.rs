//! Path rules of libguestfs's daemon that every backend follows.

use crate::error::{strerror, Error, Result};

/// `case_sensitive_path`: the path with each element spelt as it is on disk, found by a
/// case-insensitive match (the first one in directory order). Only the last element may be
/// missing (it is kept as given, so the path can be created); empty elements are skipped.
///
/// `list(dir)` lists the names in directory `dir` (a path built from the elements found so
/// far, `/` first) in directory order, or fails with the errno of entering it.
pub fn case_sensitive_path(
    path: &str,
    mut list: impl FnMut(&str) -> std::result::Result<Vec<String>, i32>,
) -> Result<String> {
    let elems: Vec<&str> = path.split('/').skip(1).filter(|e| !e.is_empty()).collect();
    let mut found: Vec<String> = Vec::new();
    let mut dir = String::from("/");
    for (i, elem) in elems.iter().enumerate() {
        let last = i + 1 == elems.len();
        if last && (*elem == "." || *elem == "..") {
            return Err(Error::msg("path contains \".\" or \"..\" elements"));
        }
        let names = list(&dir).map_err(|errno| {
            let previous = found.last().map(String::as_str).unwrap_or("/");
            Error::new(errno, format!("chdir: {}: {}", previous, strerror(errno)))
        })?;
        let lower = elem.to_lowercase();
        match names.into_iter().find(|n| n.to_lowercase() == lower) {
            Some(name) => found.push(name),
            None if last => found.push(elem.to_string()),
            None => return Err(Error::msg(format!("{}: not found", elem))),
        }
        dir = format!("/{}", found.join("/"));
    }
    Ok(format!("/{}", found.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(dir: &str) -> std::result::Result<Vec<String>, i32> {
        match dir {
            "/" => Ok(vec!["Case".into()]),
            "/Case" => Ok(vec!["file2".into(), "File".into()]),
            "/Case/File" | "/Case/file2" => Err(libc::ENOTDIR),
            _ => Err(libc::ENOENT),
        }
    }

    #[test]
    fn like_libguestfs() {
        let c = |p: &str| case_sensitive_path(p, tree);
        assert_eq!(c("/case//FILE").unwrap(), "/Case/File");
        assert_eq!(c("/").unwrap(), "/");
        assert_eq!(c("//").unwrap(), "/");
        assert_eq!(c("/case/").unwrap(), "/Case");
        assert_eq!(c("/CASE/new").unwrap(), "/Case/new");
        assert_eq!(c("/case/x/y").unwrap_err().message, "x: not found");
        assert_eq!(
            c("/Case/File/sub").unwrap_err().message,
            "chdir: File: Not a directory"
        );
        assert_eq!(c("/case/./file").unwrap_err().message, ".: not found");
        assert_eq!(
            c("/case/..").unwrap_err().message,
            "path contains \".\" or \"..\" elements"
        );
    }
}
