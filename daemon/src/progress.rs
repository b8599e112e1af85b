//! Progress messages, rate-limited as libguestfs 1.48's daemon does: none during the first two
//! seconds of a call, then at most one every third of a second, and the final one
//! (position == total) always once any was sent.

use guestfs_protocol::Progress;
use std::fs::File;
use std::io::Write;
use std::time::{Duration, Instant};

const INITIAL_DELAY: Duration = Duration::from_secs(2);
const PERIOD: Duration = Duration::from_micros(333_333);

/// Sends the progress messages of the call being served.
pub struct Notifier {
    /// The protocol channel (a duplicate of the server's descriptor).
    chan: Option<File>,
    proc_nr: i32,
    serial: u32,
    /// When the call started, then when the last message was sent.
    last: Instant,
    sent: usize,
}

impl Notifier {
    pub fn new(chan: Option<File>) -> Notifier {
        Notifier {
            chan,
            proc_nr: 0,
            serial: 0,
            last: Instant::now(),
            sent: 0,
        }
    }

    /// A new call starts: its messages carry its procedure number and serial.
    pub fn begin(&mut self, proc_nr: i32, serial: u32) {
        self.proc_nr = proc_nr;
        self.serial = serial;
        self.last = Instant::now();
        self.sent = 0;
    }

    /// `position` of `total` bytes (or units) done.
    pub fn notify(&mut self, position: u64, total: u64) {
        let now = Instant::now();
        let final_one = self.sent > 0 && position == total;
        let wait = if self.sent == 0 {
            INITIAL_DELAY
        } else {
            PERIOD
        };
        if !final_one && now.duration_since(self.last) < wait {
            return;
        }
        self.last = now;
        self.notify_now(position, total);
    }

    /// A message sent at once, whatever the rate limit (1.48's
    /// `notify_progress_no_ratelimit`).
    pub fn notify_now(&mut self, position: u64, total: u64) {
        self.sent += 1;
        let msg = Progress {
            proc_nr: self.proc_nr,
            serial: self.serial,
            position,
            total,
        };
        if let Some(c) = self.chan.as_mut() {
            let _ = c.write_all(&msg.encode());
        }
    }
}
