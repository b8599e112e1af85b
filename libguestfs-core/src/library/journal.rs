//! libguestfs's `journal_*` calls on the [`Handle`]: the journal is read by
//! [`crate::journal::calls`] (shared with the daemon). Like libguestfs (where the journal
//! lives in the daemon), one journal is open per handle; `shutdown` closes it.

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::journal::calls;
use guestfs_protocol::structs::Xattr;

impl Handle {
    /// `journal_open`: opens the systemd journal in a guest directory (usually
    /// `/var/log/journal`), closing any journal already open. Reads its `*.journal` files and
    /// those of its machine-ID subdirectories; unreadable files are skipped, as sd-journal
    /// does (see the debug messages).
    pub(crate) fn impl_journal_open(&mut self, directory: &str) -> Result<()> {
        self.journal = None;
        let (journal, messages) = match self.backend_mut() {
            Some(backend) => calls::open(backend, directory)?,
            None => return Err(Error::new(libc::EINVAL, "the handle is not launched")),
        };
        // The last message (the number of entries) is said once the journal is open.
        let (last, warnings) = messages
            .split_last()
            .map_or((None, &[][..]), |(l, w)| (Some(l), w));
        for w in warnings {
            self.log_debug(w);
        }
        self.journal = Some(journal);
        if let Some(last) = last {
            self.log_debug(last);
        }
        Ok(())
    }

    pub(crate) fn impl_journal_close(&mut self) -> Result<()> {
        calls::close(&mut self.journal)
    }

    pub(crate) fn impl_journal_next(&mut self) -> Result<bool> {
        calls::next(&mut self.journal)
    }

    pub(crate) fn impl_journal_skip(&mut self, skip: i64) -> Result<i64> {
        calls::skip(&mut self.journal, skip)
    }

    /// In 1.48 the library reads the entry with the daemon call `internal_journal_get`,
    /// whose name its errors carry.
    pub(crate) fn impl_journal_get(&mut self) -> Result<Vec<Xattr>> {
        calls::get(&mut self.journal).map_err(|e| self.report_error("internal_journal_get", e))
    }

    pub(crate) fn impl_journal_get_data_threshold(&mut self) -> Result<i64> {
        calls::get_data_threshold(&mut self.journal)
    }

    pub(crate) fn impl_journal_set_data_threshold(&mut self, threshold: i64) -> Result<()> {
        calls::set_data_threshold(&mut self.journal, threshold)
    }

    pub(crate) fn impl_journal_get_realtime_usec(&mut self) -> Result<i64> {
        calls::get_realtime_usec(&mut self.journal)
    }
}
