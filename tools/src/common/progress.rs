//! Progress of long copies: a bar on stderr when it is a terminal and the copy has taken more
//! than a second, and `progress` records in machine-readable mode.

use crate::common::output::{MachineOutput, Record};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Turns the handle's progress events into a bar and/or JSON records.
pub struct ProgressDisplay {
    start: Instant,
    bar: Option<ProgressBar>,
    terminal: bool,
    machine: Option<Arc<Mutex<MachineOutput>>>,
}

impl ProgressDisplay {
    pub fn new(machine: Option<Arc<Mutex<MachineOutput>>>) -> ProgressDisplay {
        ProgressDisplay {
            start: Instant::now(),
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            machine,
        }
    }

    /// One progress event: `total` 0 means unknown.
    pub fn update(&mut self, position: u64, total: u64) {
        if let Some(m) = &self.machine {
            if let Ok(mut m) = m.lock() {
                let _ = m.write(
                    Record::new("progress")
                        .field("position", position)
                        .field("total", total),
                );
            }
        }
        if !self.terminal || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = if total > 0 {
                ProgressBar::new(total)
            } else {
                ProgressBar::new_spinner()
            };
            let template = if total > 0 {
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}"
            } else {
                "{spinner} {bytes} copied, {bytes_per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(position);
        if total > 0 && position >= total {
            bar.finish_and_clear();
        }
    }
}

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
