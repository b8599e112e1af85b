//! The `journal_*` calls: the journal reader the library uses
//! ([`guestfs_inspect::journal::calls`]), run on the daemon itself. One journal is open at a
//! time, as in 1.48's daemon.

use crate::daemon::Daemon;
use guestfs_inspect::journal::calls;
use guestfs_inspect::journal::Journal;
use guestfs_protocol::calls as families;
use guestfs_protocol::{Error, Result};
use std::io::Write;
use std::sync::Mutex;

static JOURNAL: Mutex<Option<Journal>> = Mutex::new(None);

fn with_journal<T>(f: impl FnOnce(&mut Option<Journal>) -> Result<T>) -> Result<T> {
    f(&mut JOURNAL.lock().unwrap_or_else(|e| e.into_inner()))
}

impl families::Journal for Daemon {
    fn journal_open(&mut self, directory: &str) -> Result<()> {
        with_journal(|j| {
            *j = None;
            Ok(())
        })?;
        let (journal, messages) = calls::open(self, directory)?;
        for m in messages {
            eprintln!("{}", m);
        }
        with_journal(|j| {
            *j = Some(journal);
            Ok(())
        })
    }

    fn journal_close(&mut self) -> Result<()> {
        with_journal(calls::close)
    }

    fn journal_next(&mut self) -> Result<bool> {
        with_journal(calls::next)
    }

    fn journal_skip(&mut self, skip: i64) -> Result<i64> {
        with_journal(|j| calls::skip(j, skip))
    }

    fn journal_get_data_threshold(&mut self) -> Result<i64> {
        with_journal(calls::get_data_threshold)
    }

    fn journal_set_data_threshold(&mut self, threshold: i64) -> Result<()> {
        with_journal(|j| calls::set_data_threshold(j, threshold))
    }

    fn journal_get_realtime_usec(&mut self) -> Result<i64> {
        with_journal(calls::get_realtime_usec)
    }

    /// The current entry's fields as 1.48's library decodes them: each an 8-byte big-endian
    /// length, then `NAME=value`.
    fn internal_journal_get(&mut self, out: &mut dyn Write) -> Result<()> {
        let fields = with_journal(calls::get)?;
        let mut buf = Vec::new();
        for f in fields {
            let len = f.attrname.len() + 1 + f.attrval.len();
            buf.extend_from_slice(&(len as u64).to_be_bytes());
            buf.extend_from_slice(f.attrname.as_bytes());
            buf.push(b'=');
            buf.extend_from_slice(&f.attrval);
        }
        out.write_all(&buf)
            .map_err(|e| Error::new(e.raw_os_error().unwrap_or(libc::EIO), e.to_string()))
    }
}
