//! Merging `.reg` operations into a guest's hives as 1.48's virt-win-reg does: each hive a
//! path needs is downloaded once, changed in memory, and only when every operation of every
//! file has been applied are the changed hives written back (so a bad file, a path that maps
//! to no hive or a key that cannot be made leaves the guest as it was).

use super::registry_path::{hive_file, map_path_to_hive, HivePath, LocateError};
use guestfs::hive::merge::{delete_key, lookup, merge_key, MergeError};
use guestfs::hive::regfile::Operation;
use guestfs::hive::Hive;
use guestfs::Handle;

/// Why an operation could not be applied, for the tool to word.
#[derive(Debug)]
pub enum ApplyError {
    /// The path is in no hive virt-win-reg knows.
    Unsupported(String),
    /// The hive's file could not be found.
    Locate(LocateError),
    /// The hive's file (its guest path) could not be read or is no hive.
    Download { file: String, message: String },
    /// reg_import refused the operation.
    Merge(MergeError),
}

/// What applying an operation did before it succeeded or failed.
#[derive(Debug, Default)]
pub struct Attempt {
    /// Its hive was downloaded for it.
    pub downloaded: bool,
    /// Its key was not in the hive.
    pub key_missing: bool,
}

/// A downloaded hive and the guest file it goes back to.
struct OpenedHive {
    short_name: String,
    file: String,
    hive: Hive,
}

/// The hives of one merge.
pub struct Merge {
    systemroot: String,
    hives: Vec<OpenedHive>,
}

impl Merge {
    pub fn new(systemroot: &str) -> Merge {
        Merge {
            systemroot: systemroot.to_string(),
            hives: Vec::new(),
        }
    }

    /// Applies one operation, downloading its hive the first time it is needed. `seen` tells
    /// what the attempt did (1.48's exit status depends on it).
    pub fn apply(
        &mut self,
        g: &mut Handle,
        op: &Operation,
        seen: &mut Attempt,
    ) -> Result<(), ApplyError> {
        let full = match op {
            Operation::DeleteKey { path } | Operation::MergeKey { path, .. } => path,
        };
        let target = map_path_to_hive(full).ok_or_else(|| ApplyError::Unsupported(full.clone()))?;
        seen.downloaded = !self.hives.iter().any(|h| h.short_name == target.short_name);
        let hive = self.hive(g, &target)?;
        seen.key_missing = matches!(lookup(hive, &target.path), Ok(None));
        match op {
            Operation::DeleteKey { .. } => delete_key(hive, &target.path),
            Operation::MergeKey { set, delete, .. } => merge_key(hive, &target.path, set, delete),
        }
        .map_err(ApplyError::Merge)
    }

    fn hive(&mut self, g: &mut Handle, target: &HivePath) -> Result<&mut Hive, ApplyError> {
        if let Some(i) = self
            .hives
            .iter()
            .position(|h| h.short_name == target.short_name)
        {
            return Ok(&mut self.hives[i].hive);
        }
        let file = hive_file(g, &target.location, &self.systemroot).map_err(ApplyError::Locate)?;
        let file = g.case_sensitive_path(&file).unwrap_or(file);
        let mut data = Vec::new();
        g.push_error_handler_quiet();
        let downloaded = g.download_to(&file, &mut data);
        g.pop_error_handler();
        downloaded.map_err(|e| ApplyError::Download {
            file: file.clone(),
            message: format!("download: {}", e.message),
        })?;
        let mut hive = Hive::from_bytes(data).map_err(|e| ApplyError::Download {
            file: file.clone(),
            message: e.message,
        })?;
        hive.set_writable();
        self.hives.push(OpenedHive {
            short_name: target.short_name.clone(),
            file,
            hive,
        });
        let last = self.hives.len() - 1;
        Ok(&mut self.hives[last].hive)
    }

    /// Writes every hive back to its file; on failure, the file and the error.
    pub fn upload(mut self, g: &mut Handle) -> Result<(), (String, String)> {
        for h in &mut self.hives {
            let bytes = h.hive.commit().map_err(|e| (h.file.clone(), e.message))?;
            let mut reader = bytes;
            g.upload_from(&mut reader, &h.file)
                .map_err(|e| (h.file.clone(), format!("upload: {}", e.message)))?;
        }
        Ok(())
    }
}
