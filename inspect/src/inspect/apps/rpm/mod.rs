//! RPM package databases without librpm: the database is found from the guest's rpm macros
//! (`%_dbpath`, `%_db_backend`), copied to a private temporary directory, and its header blobs
//! are read from sqlite (`rpmdb.sqlite`), Berkeley DB hash (`Packages`) or ndb
//! (`Packages.db`).

pub mod bdb;
pub mod header;
pub mod ndb;

use super::new_app;
use crate::error::{Error, Result};
use crate::guest::GuestExt;
use crate::inspect::io::{Io, SMALL_FILE_MAX};
use crate::types::Application2;
use header::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest database copied out of the guest (rpm's historic limit on `Packages`).
pub const MAX_RPMDB_SIZE: u64 = 500_000_000;

/// The macro files librpm reads, in order (later definitions win).
const MACRO_FILES: [&str; 3] = [
    "/usr/lib/rpm/macros",
    "/usr/lib/rpm/redhat/macros",
    "/etc/rpm/macros",
];
/// Directories of macro files read in name order.
const MACRO_DIRS: [(&str, &str); 2] = [
    ("/usr/lib/rpm/macros.d", "macros."),
    ("/etc/rpm", "macros."),
];
/// Where package databases live when the macros do not say.
const DEFAULT_DBPATHS: [&str; 2] = ["/var/lib/rpm", "/usr/lib/sysimage/rpm"];

/// The database kinds, with their file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Ndb,
    Bdb,
}

impl Backend {
    fn file(self) -> &'static str {
        match self {
            Backend::Sqlite => "rpmdb.sqlite",
            Backend::Ndb => "Packages.db",
            Backend::Bdb => "Packages",
        }
    }
    fn from_name(n: &str) -> Option<Backend> {
        match n {
            "sqlite" => Some(Backend::Sqlite),
            "ndb" => Some(Backend::Ndb),
            "bdb" | "bdb_ro" => Some(Backend::Bdb),
            _ => None,
        }
    }
}

/// `%name value` definitions of an rpm macro file (one line each; continuation lines and
/// parametric macros are not needed for `%_dbpath`).
pub fn parse_macros(text: &str, into: &mut HashMap<String, String>) {
    for line in text.lines() {
        let l = line.trim_start();
        let Some(rest) = l.strip_prefix('%') else {
            continue;
        };
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (name, value) = rest.split_at(name_end);
        if name.is_empty() || !value.starts_with([' ', '\t']) {
            continue;
        }
        into.insert(name.to_string(), value.trim().to_string());
    }
}

/// Expands `%{name}`, `%{?name}` and `%name` with the given definitions and a few of rpm's
/// built-in directories; None if something cannot be expanded.
pub fn expand_macros(s: &str, defs: &HashMap<String, String>, depth: usize) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let builtin = |n: &str| -> Option<&str> {
        Some(match n {
            "_var" | "_localstatedir" => "/var",
            "_usr" | "_prefix" => "/usr",
            "_lib" => "lib",
            "_sysconfdir" => "/etc",
            "_rpmconfigdir" | "_usrlibrpm" => "/usr/lib/rpm",
            _ => return None,
        })
    };
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, consumed, optional) = if let Some(b) = after.strip_prefix('{') {
            let end = b.find('}')?;
            let inner = &b[..end];
            let (opt, n) = match inner.strip_prefix('?') {
                Some(n) => (true, n),
                None => (false, inner),
            };
            (n.to_string(), end + 2, opt)
        } else if let Some(b) = after.strip_prefix('%') {
            let _ = b;
            out.push('%');
            rest = &after[1..];
            continue;
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (after[..end].to_string(), end, false)
        };
        let value = match defs.get(&name) {
            Some(v) => Some(expand_macros(v, defs, depth + 1)?),
            None => builtin(&name).map(|v| v.to_string()),
        };
        match value {
            Some(v) => out.push_str(&v),
            None if optional => {}
            None => return None,
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Some(out)
}

/// The guest's `%_dbpath` and `%_db_backend`, from its macro files.
fn guest_db_config(io: &mut Io) -> (Option<String>, Option<Backend>) {
    let mut defs = HashMap::new();
    let mut files: Vec<String> = vec![MACRO_FILES[0].to_string()];
    for (dir, prefix) in MACRO_DIRS {
        if let Ok(mut names) = io.be.ls_names(dir) {
            names.retain(|n| n.starts_with(prefix));
            names.sort();
            files.extend(names.into_iter().map(|n| format!("{}/{}", dir, n)));
        }
    }
    files.push(MACRO_FILES[1].to_string());
    files.push(MACRO_FILES[2].to_string());
    for f in files {
        if let Ok(Some(data)) = io.read_if_small(&f, SMALL_FILE_MAX) {
            parse_macros(&String::from_utf8_lossy(&data), &mut defs);
        }
    }
    let dbpath = defs
        .get("_dbpath")
        .and_then(|v| expand_macros(v, &defs, 0))
        .filter(|p| p.starts_with('/'));
    let backend = defs
        .get("_db_backend")
        .and_then(|v| expand_macros(v, &defs, 0))
        .and_then(|b| Backend::from_name(b.trim()));
    (dbpath, backend)
}

/// A private temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let p = base.join(format!(
                "guestfs-{}-{}-{}-{}",
                tag,
                std::process::id(),
                n,
                nanos
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::from(e).context("mkdtemp")),
            }
        }
        Err(Error::new(
            libc::EEXIST,
            "mkdtemp: could not create a temporary directory",
        ))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A writer that fails once more than `left` bytes have been written.
struct Limited<W: Write> {
    inner: W,
    left: u64,
}

impl<W: Write> Write for Limited<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(std::io::Error::other("file grew while downloading"));
        }
        self.left -= buf.len() as u64;
        self.inner.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Copies a guest file into a local file, refusing files over `limit` bytes.
pub fn download_limited(io: &mut Io, path: &str, local: &Path, limit: u64) -> Result<()> {
    let size = io.filesize(path)?;
    if size < 0 || size as u64 > limit {
        return Err(Error::new(
            libc::EFBIG,
            format!("size of {} is unreasonably large ({} bytes)", path, size),
        ));
    }
    let f = std::fs::File::create(local)
        .map_err(|e| Error::from(e).context(&local.display().to_string()))?;
    let mut w = Limited {
        inner: std::io::BufWriter::new(f),
        left: limit,
    };
    io.be.download(path, &mut w)?;
    w.flush()?;
    Ok(())
}

/// Opens a copy of a guest's sqlite database for reading only, treating its schema as hostile:
/// the file is never written (no journal, no checkpoint, no `-shm` unless a write-ahead log must
/// be read), and nothing the guest's schema defines runs — no triggers, no views, no functions
/// marked unsafe, and `query_only` so no statement can change anything.
pub fn open_guest_sqlite(path: &Path) -> Result<rusqlite::Connection> {
    use rusqlite::config::DbConfig;
    use rusqlite::{Connection, OpenFlags};
    let corrupt = |e: rusqlite::Error| Error::corrupt(format!("sqlite: {}", e));
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    // `immutable` makes sqlite ignore a write-ahead log; committed transactions may still be
    // there, so a database that has one is opened read-only instead (sqlite then keeps its
    // `-shm` index next to the copy, in the caller's private folder).
    let immutable = if Path::new(&wal).exists() {
        ""
    } else {
        "?immutable=1"
    };
    let uri = format!("file:{}{}", uri_path(path), immutable);
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(corrupt)?;
    for (setting, on) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
        (DbConfig::SQLITE_DBCONFIG_WRITABLE_SCHEMA, false),
    ] {
        conn.set_db_config(setting, on).map_err(corrupt)?;
    }
    conn.pragma_update(None, "query_only", true)
        .map_err(corrupt)?;
    Ok(conn)
}

/// A file name as the path part of an sqlite URI: `?`, `#` and `%` (and every byte that is
/// not printable ASCII) percent-encoded, so no part of the name is read as a query parameter.
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'%') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// The header blobs of an sqlite rpmdb, in `hnum` order.
pub fn sqlite_blobs(path: &Path) -> Result<Vec<Vec<u8>>> {
    let conn = open_guest_sqlite(path)?;
    let corrupt = |e: rusqlite::Error| Error::corrupt(format!("sqlite: {}", e));
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(corrupt)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .map_err(corrupt)?;
    let mut out = Vec::new();
    // Rows that are not blobs are skipped, as librpm skips headers it cannot load.
    for b in rows.flatten() {
        out.push(b);
    }
    Ok(out)
}

/// The header blobs of a Berkeley DB `Packages` file, in cursor order, without rpm's
/// instance-0 record.
pub fn bdb_blobs<S: bdb::PageSource + ?Sized>(src: &S) -> Option<Vec<Vec<u8>>> {
    let db = bdb::HashDb::open(src)?;
    let swapped = db.swapped();
    Some(
        db.pairs()
            .into_iter()
            .filter(|(k, _)| {
                let Ok(b) = <[u8; 4]>::try_from(k.as_slice()) else {
                    return false;
                };
                let n = if swapped {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                };
                n != 0
            })
            .map(|(_, d)| d)
            .collect(),
    )
}

/// The application record of one header (as libguestfs's daemon fills it), or None for a
/// header that does not parse.
pub fn app_of_header(blob: &[u8]) -> Option<Application2> {
    let h = Header::parse(blob)?;
    let mut a = new_app();
    a.app2_name = h.format(RPMTAG_NAME);
    a.app2_version = h.format(RPMTAG_VERSION);
    a.app2_release = h.format(RPMTAG_RELEASE);
    a.app2_epoch = h.get_number(RPMTAG_EPOCH).unwrap_or(0) as i32;
    a.app2_arch = h.format(RPMTAG_ARCH);
    a.app2_url = h.format(RPMTAG_URL);
    a.app2_summary = h.format(RPMTAG_SUMMARY);
    a.app2_description = h.format(RPMTAG_DESCRIPTION);
    Some(a)
}

fn iterator_error() -> Error {
    Error::msg("internal_list_rpm_applications: rpmtsInitIterator")
}

/// Finds and reads the guest's package database. The list is in the daemon's order: reverse
/// database order, then stably sorted by name.
pub fn list_rpm_applications(io: &mut Io) -> Result<Vec<Application2>> {
    let (dbpath, configured) = guest_db_config(io);
    let mut dirs: Vec<String> = Vec::new();
    for d in dbpath
        .into_iter()
        .chain(DEFAULT_DBPATHS.iter().map(|s| s.to_string()))
    {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    let mut order = vec![Backend::Sqlite, Backend::Ndb, Backend::Bdb];
    if let Some(b) = configured {
        order.retain(|&x| x != b);
        order.insert(0, b);
    }
    let mut found = None;
    'search: for d in &dirs {
        for &b in &order {
            let f = format!("{}/{}", d, b.file());
            if io.is_file(&f, true) {
                found = Some((f, b));
                break 'search;
            }
        }
    }
    let Some((path, backend)) = found else {
        return Err(iterator_error());
    };
    let tmp = TempDir::new("rpmdb")?;
    let local = tmp.path().join(backend.file());
    download_limited(io, &path, &local, MAX_RPMDB_SIZE).map_err(|_| iterator_error())?;
    let blobs = match backend {
        Backend::Sqlite => {
            // Committed transactions may still be in the write-ahead log.
            let wal = format!("{}-wal", path);
            if io.is_file(&wal, true) {
                let local_wal = tmp.path().join(format!("{}-wal", backend.file()));
                let _ = download_limited(io, &wal, &local_wal, MAX_RPMDB_SIZE);
            }
            sqlite_blobs(&local).map_err(|_| iterator_error())?
        }
        Backend::Ndb => {
            let f = std::fs::File::open(&local)?;
            ndb::packages(&f)
                .ok_or_else(iterator_error)?
                .into_iter()
                .map(|(_, b)| b)
                .collect()
        }
        Backend::Bdb => {
            let f = std::fs::File::open(&local)?;
            bdb_blobs(&f).ok_or_else(iterator_error)?
        }
    };
    let mut apps: Vec<Application2> = blobs.iter().filter_map(|b| app_of_header(b)).collect();
    apps.reverse();
    apps.sort_by(|a, b| a.app2_name.as_bytes().cmp(b.app2_name.as_bytes()));
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in a folder with its contents, to show a read left it untouched.
    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn packages_db(dir: &Path, schema: &str) -> PathBuf {
        let db = dir.join("rpmdb.sqlite");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(schema).unwrap();
        db
    }

    #[test]
    fn guest_sqlite_is_read_without_writing_or_running_its_schema() {
        let tmp = TempDir::new("sqlite-test").unwrap();
        // A rollback journal left beside the database: a normal reader would treat it as hot and
        // roll it back into the file.
        let db = packages_db(
            tmp.path(),
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);
             INSERT INTO Packages VALUES (2, x'0202'), (1, x'0101');",
        );
        std::fs::write(tmp.path().join("rpmdb.sqlite-journal"), [0xd9u8; 4096]).unwrap();
        let before = snapshot(tmp.path());
        assert_eq!(sqlite_blobs(&db).unwrap(), vec![vec![1u8, 1], vec![2u8, 2]]);
        assert_eq!(snapshot(tmp.path()), before, "the database folder changed");
        let conn = open_guest_sqlite(&db).unwrap();
        assert!(conn
            .execute("INSERT INTO Packages VALUES (3, x'03')", [])
            .is_err());
        drop(conn);
        assert_eq!(snapshot(tmp.path()), before);
    }

    #[test]
    fn guest_sqlite_views_and_triggers_are_not_run() {
        let tmp = TempDir::new("sqlite-test").unwrap();
        // `Packages` as a view: reading it would run SQL the guest wrote.
        let db = packages_db(
            tmp.path(),
            "CREATE TABLE Real (hnum INTEGER, blob BLOB);
             INSERT INTO Real VALUES (1, x'01');
             CREATE VIEW Packages AS SELECT hnum, blob FROM Real;",
        );
        assert!(sqlite_blobs(&db).is_err());
        // With the same file opened normally, the view does answer: the refusal is ours.
        let plain = rusqlite::Connection::open(&db).unwrap();
        let n: i64 = plain
            .query_row("SELECT count(*) FROM Packages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        drop(plain);
        let conn = open_guest_sqlite(&db).unwrap();
        assert!(conn
            .execute_batch("CREATE TEMP TRIGGER t AFTER INSERT ON Real BEGIN SELECT 1; END;")
            .is_err());
    }

    #[test]
    fn guest_sqlite_committed_write_ahead_log_is_read() {
        let tmp = TempDir::new("sqlite-test").unwrap();
        let db = tmp.path().join("rpmdb.sqlite");
        let w = rusqlite::Connection::open(&db).unwrap();
        w.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
        w.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);
             INSERT INTO Packages VALUES (1, x'01');",
        )
        .unwrap();
        drop(w);
        assert!(tmp.path().join("rpmdb.sqlite-wal").exists());
        let main_file = std::fs::read(&db).unwrap();
        let wal = std::fs::read(tmp.path().join("rpmdb.sqlite-wal")).unwrap();
        assert_eq!(sqlite_blobs(&db).unwrap(), vec![vec![1u8]]);
        assert_eq!(
            std::fs::read(&db).unwrap(),
            main_file,
            "checkpointed into the file"
        );
        assert_eq!(
            std::fs::read(tmp.path().join("rpmdb.sqlite-wal")).unwrap(),
            wal
        );
    }

    #[test]
    fn sqlite_uri_path_quotes_what_would_start_a_query() {
        assert_eq!(
            uri_path(Path::new("/tmp/a?immutable=0#x%y z")),
            "/tmp/a%3Fimmutable=0%23x%25y%20z"
        );
    }

    #[test]
    fn macros() {
        let mut d = HashMap::new();
        parse_macros(
            "# c\n%_dbpath\t\t%{_var}/lib/rpm\n%_db_backend sqlite\n%__x(a) y\n",
            &mut d,
        );
        assert_eq!(
            expand_macros(&d["_dbpath"], &d, 0).as_deref(),
            Some("/var/lib/rpm")
        );
        assert_eq!(d["_db_backend"], "sqlite");
        parse_macros("%_dbpath %{_usr}/lib/sysimage/rpm\n", &mut d);
        assert_eq!(
            expand_macros(&d["_dbpath"], &d, 0).as_deref(),
            Some("/usr/lib/sysimage/rpm")
        );
        assert_eq!(expand_macros("%{undefined}/x", &d, 0), None);
        assert_eq!(
            expand_macros("%{?undefined}/x", &d, 0).as_deref(),
            Some("/x")
        );
        let mut loopy = HashMap::new();
        loopy.insert("a".to_string(), "%{a}".to_string());
        assert_eq!(expand_macros("%{a}", &loopy, 0), None);
    }

    #[test]
    fn header_to_app() {
        let blob = build_header(&[
            string_entry(RPMTAG_NAME, "gpg-pubkey"),
            string_entry(RPMTAG_VERSION, "eb10b464"),
            string_entry(RPMTAG_RELEASE, "6202d9c6"),
            string_entry(RPMTAG_SUMMARY, "key"),
            string_entry(RPMTAG_DESCRIPTION, "d"),
        ]);
        let a = app_of_header(&blob).unwrap();
        assert_eq!(a.app2_arch, "(none)");
        assert_eq!(a.app2_url, "(none)");
        assert_eq!(a.app2_epoch, 0);
        assert!(app_of_header(b"junk").is_none());
    }
}
