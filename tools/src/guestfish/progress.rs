//! guestfish's progress bar, drawn as 1.48 draws it from progress events: on the terminal
//! (`/dev/tty`), one line redrawn in place — spinner, percentage, bar, time left — or, with no
//! usable terminal description (`TERM` unset) or a very narrow terminal, `POSITION/TOTAL`
//! lines on stdout.

use super::session::Fish;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Columns that are not the bar: spinner, percentage, brackets, time.
const COLS_OVERHEAD: usize = 15;

/// Running mean and standard deviation of the total-time estimates.
struct Rmsd {
    mean: f64,
    samples: f64,
    q: f64,
}

impl Rmsd {
    fn new() -> Rmsd {
        Rmsd {
            mean: 0.0,
            samples: 1.0,
            q: 0.0,
        }
    }
    fn add(&mut self, x: f64) {
        let next = self.mean + (x - self.mean) / self.samples;
        self.q += (x - self.mean) * (x - next);
        self.mean = next;
        self.samples += 1.0;
    }
    fn sd(&self) -> f64 {
        (self.q / (self.samples - 1.0)).sqrt()
    }
}

struct Bar {
    start: Instant,
    count: usize,
    rmsd: Rmsd,
    utf8: bool,
    terminfo: bool,
    tty: Option<std::fs::File>,
}

/// The progress bar of a session (shared with the handle's progress callback).
#[derive(Clone)]
pub struct ProgressBars(Arc<Mutex<Bar>>);

fn utf8_locale() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("utf-8") || s.contains("utf8")
        })
}

/// The terminal's width: its window size, else `$COLUMNS`, else 80.
fn columns(tty: Option<&std::fs::File>) -> usize {
    if let Some(t) = tty {
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        // SAFETY: TIOCGWINSZ fills a winsize for an open descriptor.
        let r = unsafe {
            libc::ioctl(
                std::os::unix::io::AsRawFd::as_raw_fd(t),
                libc::TIOCGWINSZ,
                &mut ws,
            )
        };
        if r == 0 && ws.ws_col > 0 {
            return ws.ws_col as usize;
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}

impl ProgressBars {
    pub fn new() -> ProgressBars {
        let term = std::env::var("TERM").unwrap_or_default();
        ProgressBars(Arc::new(Mutex::new(Bar {
            start: Instant::now(),
            count: 0,
            rmsd: Rmsd::new(),
            utf8: utf8_locale(),
            terminfo: !term.is_empty(),
            tty: std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/tty")
                .ok(),
        })))
    }

    /// Registers the bar's callback on the session's handle.
    pub fn attach(&self, fish: &mut Fish) {
        let bars = self.clone();
        fish.events
            .register_progress(&mut fish.g, move |position, total| {
                bars.set(position, total)
            });
    }

    /// Called before each command.
    pub fn reset(&self) {
        if let Ok(mut b) = self.0.lock() {
            b.start = Instant::now();
            b.count = 0;
            b.rmsd = Rmsd::new();
        }
    }

    fn set(&self, position: u64, total: u64) {
        let Ok(mut b) = self.0.lock() else {
            return;
        };
        let cols = columns(b.tty.as_ref());
        if !b.terminfo || cols < 32 {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "{}/{}", position, total);
            let _ = out.flush();
            return;
        }
        let line = b.render(position, total, cols);
        match b.tty.as_mut() {
            Some(t) => {
                let _ = t.write_all(line.as_bytes());
                let _ = t.flush();
            }
            None => {
                let mut out = std::io::stdout();
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
            }
        }
    }
}

impl Bar {
    /// Remaining seconds, or a negative number when the estimate is not trustworthy (too
    /// early, or far from the running mean).
    fn remaining(&mut self, ratio: f64) -> f64 {
        if ratio <= 0.0 {
            return -1.0;
        }
        let passed = self.start.elapsed().as_secs_f64();
        let total = passed / ratio;
        self.rmsd.add(total);
        if (total - self.rmsd.mean).abs() >= 2.0 * self.rmsd.sd() || passed < 3.0 {
            return -1.0;
        }
        total - passed
    }

    fn render(&mut self, position: u64, total: u64, cols: usize) -> String {
        let mut s = String::new();
        if self.count > 0 {
            // Back to the line drawn before.
            s.push_str("\x1b[A");
        }
        self.count += 1;
        let pulse = position == 0 && total == 1;
        let ratio = (position as f64 / total as f64).clamp(0.0, 1.0);
        let spinner = if self.utf8 {
            ["\u{25d0}", "\u{25d3}", "\u{25d1}", "\u{25d2}"][self.count % 4]
        } else {
            ["/", "-", "\\", "|"][self.count % 4]
        };
        if pulse {
            s.push_str(&format!("{} --- ", spinner));
        } else if ratio < 1.0 {
            s.push_str(&format!("{}{:3}% ", spinner, (100.0 * ratio) as i32));
        } else {
            s.push_str(" 100% ");
        }
        let (open, dot, dash, close) = if self.utf8 {
            ("\u{27e6}", "\u{2592}", "\u{2550}", "\u{27e7}")
        } else {
            ("[", "#", "-", "]")
        };
        s.push_str(open);
        let width = cols - COLS_OVERHEAD;
        if pulse {
            for i in 0..width {
                let cc = (self.count as i64 * 3 - i as i64) % width as i64;
                s.push_str(if (0..=3).contains(&cc) { dot } else { dash });
            }
        } else {
            let dots = (ratio * width as f64) as usize;
            s.push_str(&dot.repeat(dots));
            s.push_str(&dash.repeat(width - dots));
        }
        s.push_str(close);
        s.push(' ');
        let estimate = self.remaining(ratio);
        if estimate >= 100.0 * 3600.0 {
            s.push_str(&format!(">{}h", (estimate / 3600.0).floor() as i64));
        } else if estimate >= 100.0 * 60.0 {
            let h = estimate / 3600.0;
            s.push_str(&format!(
                "{:02}h{:02}",
                h.floor() as i64,
                (h.fract() * 60.0).floor() as i64
            ));
        } else if estimate >= 0.0 {
            let m = estimate / 60.0;
            s.push_str(&format!(
                "{:02}:{:02}",
                m.floor() as i64,
                (m.fract() * 60.0).floor() as i64
            ));
        } else {
            s.push_str("--:--");
        }
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar() -> Bar {
        Bar {
            start: Instant::now(),
            count: 0,
            rmsd: Rmsd::new(),
            utf8: false,
            terminfo: true,
            tty: None,
        }
    }

    #[test]
    fn drawn_like_1_48() {
        let mut b = bar();
        let line = b.render(50, 100, 40);
        assert_eq!(
            line,
            format!("- 50% [{}{}] --:--\n", "#".repeat(12), "-".repeat(13))
        );
        let line = b.render(100, 100, 40);
        assert_eq!(line, format!("\x1b[A 100% [{}] --:--\n", "#".repeat(25)));
        let pulse = b.render(0, 1, 40);
        assert!(pulse.starts_with("\x1b[A| --- ["));
    }
}
