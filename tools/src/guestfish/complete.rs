//! Tab completion in the interactive shell: command names for the first word (any case),
//! then guest devices, LVs and paths (directories get a `/`), or with `--no-dest-paths`
//! local file names.

use super::help::completion_names;
use guestfs::Handle;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::Context;
use std::cell::RefCell;

/// readline's default word-break characters.
const WORD_BREAKS: &[u8] = b" \t\n\"\\'`@$><=;|&{(";

/// The line editor's helper. It holds the session's handle while a line is being read.
pub struct FishHelper {
    handle: RefCell<Option<Handle>>,
    dest_paths: bool,
    commands: Vec<String>,
    files: FilenameCompleter,
}

impl FishHelper {
    pub fn new(dest_paths: bool) -> FishHelper {
        FishHelper {
            handle: RefCell::new(None),
            dest_paths,
            commands: completion_names(),
            files: FilenameCompleter::new(),
        }
    }

    /// Gives the handle to the completer for the next line.
    pub fn lend(&mut self, g: Handle) {
        *self.handle.get_mut() = Some(g);
    }

    /// Takes the handle back after the line was read.
    pub fn take_back(&mut self) -> Option<Handle> {
        self.handle.get_mut().take()
    }

    /// Guest devices (when the word may be one) and the entries of the directory the word is
    /// in; sorted, with whether each is a directory.
    fn guest_words(&self, text: &str) -> Vec<(String, bool)> {
        let mut cell = self.handle.borrow_mut();
        let Some(g) = cell.as_mut() else {
            return Vec::new();
        };
        let mut words: Vec<(String, bool)> = Vec::new();
        g.push_error_handler_quiet();
        if text.len() < 5 || text.starts_with("/dev/") {
            let lists = [
                g.list_devices(),
                g.list_partitions(),
                g.lvs(),
                g.list_dm_devices(),
                g.list_md_devices(),
            ];
            for l in lists.into_iter().flatten() {
                words.extend(l.into_iter().map(|d| (d, false)));
            }
        }
        if text.is_empty() || text.starts_with('/') {
            let dir = match text.rfind('/') {
                Some(i) if i > 0 => &text[..i],
                _ => "/",
            };
            if let Ok(entries) = g.readdir(dir) {
                for e in entries {
                    if e.name == "." || e.name == ".." {
                        continue;
                    }
                    let path = if dir == "/" {
                        format!("/{}", e.name)
                    } else {
                        format!("{}/{}", dir, e.name)
                    };
                    let is_dir = match e.ftyp {
                        'd' => true,
                        'u' | 'l' | '?' => g
                            .is_dir(
                                &path,
                                guestfs::IsDirOpts {
                                    followsymlinks: Some(true),
                                },
                            )
                            .unwrap_or(false),
                        _ => false,
                    };
                    words.push((path, is_dir));
                }
            }
        }
        g.pop_error_handler();
        words.sort();
        words
    }
}

/// Case-insensitive prefix test.
fn starts_with_ci(word: &str, prefix: &str) -> bool {
    word.len() >= prefix.len()
        && word.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

impl Completer for FishHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line.as_bytes()[..pos]
            .iter()
            .rposition(|c| WORD_BREAKS.contains(c))
            .map_or(0, |i| i + 1);
        let text = &line[start..pos];
        let candidates = if start == 0 {
            self.commands
                .iter()
                .filter(|c| starts_with_ci(c, text))
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: format!("{} ", c),
                })
                .collect()
        } else if self.dest_paths {
            self.guest_words(text)
                .into_iter()
                .filter(|(w, _)| starts_with_ci(w, text))
                .map(|(w, is_dir)| Pair {
                    replacement: format!("{}{}", w, if is_dir { '/' } else { ' ' }),
                    display: w,
                })
                .collect()
        } else {
            return self.files.complete(line, pos, ctx);
        };
        Ok((start, candidates))
    }
}

impl Hinter for FishHelper {
    type Hint = String;
}
impl Highlighter for FishHelper {}
impl Validator for FishHelper {}
impl rustyline::Helper for FishHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::MemHistory;

    fn complete(h: &FishHelper, line: &str) -> (usize, Vec<String>) {
        let history = MemHistory::new();
        let (start, c) = h
            .complete(line, line.len(), &Context::new(&history))
            .unwrap();
        (start, c.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn commands_in_any_case() {
        let h = FishHelper::new(true);
        assert_eq!(complete(&h, "mount-r"), (0, vec!["mount-ro ".to_string()]));
        assert_eq!(complete(&h, "LIST-FILES").1, ["list-filesystems "]);
        let (_, c) = complete(&h, "allo");
        assert_eq!(c, ["alloc ", "allocate "]);
    }

    #[test]
    fn guest_paths_and_devices() {
        let dir = std::env::temp_dir().join(format!("fish-complete-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(src.join("etc/ssh")).unwrap();
        std::fs::write(src.join("etc/hostname"), "h\n").unwrap();
        std::fs::write(src.join("etc/hosts"), "").unwrap();
        let img = dir.join("fs.img");
        let made = std::process::Command::new("mkfs.ext4")
            .args(["-q", "-F", "-d"])
            .arg(&src)
            .arg(&img)
            .arg("8M")
            .status();
        if !made.is_ok_and(|s| s.success()) {
            println!("SKIPPED: mkfs.ext4 is not available");
            return;
        }
        let mut g = Handle::new();
        g.set_backend("native").unwrap();
        g.add_drive(&img.to_string_lossy(), Default::default())
            .unwrap();
        g.launch().unwrap();
        g.mount_ro("/dev/sda", "/").unwrap();
        let mut h = FishHelper::new(true);
        h.lend(g);
        assert_eq!(
            complete(&h, "cat /etc/ho").1,
            ["/etc/hostname ", "/etc/hosts "]
        );
        assert_eq!(
            complete(&h, "ls /etc/s"),
            (3, vec!["/etc/ssh/".to_string()])
        );
        assert_eq!(complete(&h, "ls /E").1, ["/etc/"]);
        assert_eq!(complete(&h, "mount-ro /dev/sd").1, ["/dev/sda "]);
        assert!(h.take_back().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
