//! Temporary files the way `mkstemp(DIR/PREFIXXXXXXX)` makes them: a new file with a random
//! six-character suffix, created exclusively with mode 0600.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Creates `DIR/PREFIXxxxxxx` and returns it open for writing.
pub fn create(dir: &str, prefix: &str) -> std::io::Result<(File, PathBuf)> {
    let mut random = [0u8; 6 * 16];
    File::open("/dev/urandom")?.read_exact(&mut random)?;
    for attempt in random.chunks(6) {
        let suffix: String = attempt
            .iter()
            .map(|b| LETTERS[*b as usize % LETTERS.len()] as char)
            .collect();
        let path = PathBuf::from(format!("{}/{}{}", dir, prefix, suffix));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::from_raw_os_error(libc::EEXIST))
}

/// A temporary file removed when dropped.
pub struct TempPath(pub PathBuf);

impl TempPath {
    pub fn as_str(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_new_files() {
        let dir = std::env::temp_dir();
        let (_, a) = super::create(&dir.to_string_lossy(), "guestfish").unwrap();
        let (_, b) = super::create(&dir.to_string_lossy(), "guestfish").unwrap();
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("guestfish") && name.len() == "guestfish".len() + 6);
        let _ = std::fs::remove_file(a);
        let _ = std::fs::remove_file(b);
    }
}
