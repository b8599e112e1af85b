//! `available` and `feature_available`: which optional groups of calls work with the launched
//! backend, asked once per group and launch (`internal_feature_available`), as libguestfs 1.48
//! caches them. Groups whose calls this library answers itself on every backend (hivex,
//! journal) are available whatever the daemon says.

use crate::error::{Error, Result};
use crate::handle::Handle;

/// `internal_feature_available`'s answers.
const AVAILABLE: i32 = 0;
const NOT_AVAILABLE: i32 = 1;
const UNKNOWN_GROUP: i32 = 2;

/// The groups this library implements itself on every backend (hive and journal readers).
const LIBRARY_GROUPS: [&str; 2] = ["hivex", "journal"];

fn answered_by_library(group: &str) -> bool {
    LIBRARY_GROUPS.contains(&group)
}

impl Handle {
    /// The availability code of one group, from the cache or the backend.
    fn feature_code(&mut self, group: &str) -> Result<i32> {
        if let Some((_, code)) = self.features.iter().find(|(g, _)| g == group) {
            return Ok(*code);
        }
        let mut code = self.internal_feature_available(group)?;
        // A daemon without these groups still has them through this library.
        if code == NOT_AVAILABLE && answered_by_library(group) {
            code = AVAILABLE;
        }
        self.features.push((group.to_string(), code));
        Ok(code)
    }

    /// Fails on the first group that is unknown or not available.
    pub(crate) fn impl_available(&mut self, groups: &[String]) -> Result<()> {
        for group in groups {
            match self.feature_code(group)? {
                UNKNOWN_GROUP => return Err(Error::msg(format!("{}: unknown group", group))),
                NOT_AVAILABLE => return Err(Error::msg(format!("{}: group not available", group))),
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether every group is available; an unknown group is an error.
    pub(crate) fn impl_feature_available(&mut self, groups: &[String]) -> Result<bool> {
        for group in groups {
            match self.feature_code(group)? {
                UNKNOWN_GROUP => return Err(Error::msg(format!("{}: unknown group", group))),
                NOT_AVAILABLE => return Ok(false),
                _ => {}
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guestfs_protocol::meta::Visibility;
    use guestfs_protocol::ACTIONS;

    #[test]
    fn the_groups_of_1_48() {
        let g = guestfs_protocol::meta::feature_groups();
        assert_eq!(g.len(), 36);
        assert_eq!(g.first(), Some(&"acl"));
        assert_eq!(g.last(), Some(&"zerofree"));
        // Every public daemon call of the library's groups is answered by the library.
        for group in LIBRARY_GROUPS {
            assert!(g.contains(&group));
            for a in ACTIONS.iter().filter(|a| a.group == Some(group)) {
                assert!(
                    a.proc_nr.is_none()
                        || a.library_answers
                        || a.visibility == Visibility::Internal,
                    "{}",
                    a.name
                );
            }
        }
    }
}
