//! `event`, `delete-event`, `list-events`: shell commands run when the handle emits events.
//!
//! The handle's event API is used through [`adapter`] only.

use super::super::session::{stderr_line, CmdResult, Failed, Fish};
use super::words;
use guestfs::events::{EventKind, EVENT_ALL};

/// An event set: `*`, or names separated by commas. As in 1.48 a name matches any event it
/// is a prefix of (the first in bit order), so `l` means `launch_done`. The error names the
/// rest of the set from the unknown name on.
pub fn parse_event_set(arg: &str) -> Result<u64, String> {
    if arg == "*" {
        return Ok(EVENT_ALL);
    }
    let mut mask = 0;
    let mut rest = arg;
    while !rest.is_empty() {
        let n = rest.find(',').unwrap_or(rest.len());
        let token = &rest[..n];
        match EventKind::ALL.iter().find(|k| k.name().starts_with(token)) {
            Some(k) => mask |= k.bit(),
            None => return Err(format!("unknown event name: {}", rest)),
        }
        rest = &rest[n..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Ok(mask)
}

/// The names of the events in a set, sorted by name and separated by commas
/// (`guestfs_event_to_string`).
pub fn event_to_string(mask: u64) -> String {
    let mut names: Vec<&str> = EventKind::ALL
        .iter()
        .filter(|k| mask & k.bit() != 0)
        .map(|k| k.name())
        .collect();
    names.sort();
    names.join(",")
}

/// One registered handler.
struct Entry {
    name: String,
    command: String,
    mask: u64,
    handle: i32,
}

/// The handlers of the session.
#[derive(Default)]
pub struct EventHandlers {
    entries: Vec<Entry>,
    adapter: adapter::Registrations,
}

impl EventHandlers {
    /// Registers guestfish's own progress-bar callback (it takes a callback handle too).
    pub fn register_progress(
        &mut self,
        g: &mut guestfs::Handle,
        callback: impl FnMut(u64, u64) + Send + 'static,
    ) {
        self.adapter.register_progress(g, callback);
    }

    /// Forgets every handler (a new handle starts without them).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.adapter = Default::default();
    }
}

/// What a handler receives: the event, its message (message events), its numbers.
fn run_handler(shell_command: &str, event: u64, message: Option<&str>, array: &[u64]) {
    let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".to_string());
    let mut c = std::process::Command::new(&shell);
    c.arg("-c").arg(shell_command).arg("");
    if let Some(m) = message {
        c.arg(m);
    }
    c.args(array.iter().map(|n| n.to_string()));
    c.env("EVENT", event_to_string(event));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    match c.status() {
        Ok(_) => {}
        Err(e) => super::super::session::perror(&shell, &e),
    }
}

pub fn run_event(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [name, set, command] = &words(args)[..] else {
        stderr_line("use 'event <name> <eventset> <script>' to register an event handler");
        return Err(Failed);
    };
    let mask = parse_event_set(set).map_err(|e| {
        stderr_line(&e);
        Failed
    })?;
    let script = command.clone();
    let handle = fish
        .events
        .adapter
        .register(&mut fish.g, mask, move |event, message, array| {
            run_handler(&script, event, message, array)
        });
    fish.events.entries.push(Entry {
        name: name.clone(),
        command: command.clone(),
        mask,
        handle,
    });
    Ok(())
}

pub fn run_delete_event(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [name] = &words(args)[..] else {
        stderr_line("use 'delete-event <name>' to delete an event handler");
        return Err(Failed);
    };
    let (gone, kept): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut fish.events.entries)
        .into_iter()
        .partition(|e| e.name == *name);
    fish.events.entries = kept;
    if gone.is_empty() {
        stderr_line(&format!("delete-event: {}: no such event handler", name));
        return Err(Failed);
    }
    for e in gone {
        fish.events.adapter.delete(&mut fish.g, e.handle);
    }
    Ok(())
}

pub fn run_list_events(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    if !args.is_empty() {
        stderr_line("use ‘list-events’ to list event handlers");
        return Err(Failed);
    }
    // 1.48 keeps the handlers in a gnulib hash table and lists its buckets in order.
    let mut names: Vec<&str> = Vec::new();
    for e in &fish.events.entries {
        if !names.contains(&e.name.as_str()) {
            names.push(&e.name);
        }
    }
    let names = hash_table_order(&names);
    let mut text = String::new();
    for name in names {
        let group: Vec<&Entry> = fish
            .events
            .entries
            .iter()
            .filter(|e| e.name == name)
            .collect();
        let ordered = group.iter().take(1).chain(group.iter().skip(1).rev());
        for e in ordered {
            let set = if e.mask == EVENT_ALL {
                "*".to_string()
            } else {
                event_to_string(e.mask)
            };
            text.push_str(&format!(
                "\"{}\" ({}): {}: {}\n",
                e.name, e.handle, set, e.command
            ));
        }
    }
    fish.out(text.as_bytes());
    Ok(())
}

/// gnulib's `hash_pjw` of a name for a table of `buckets` buckets (C's `char` is signed).
fn hash_pjw(name: &str, buckets: u64) -> u64 {
    let h = name.bytes().fold(0u64, |h, c| {
        (c as i8 as i64 as u64).wrapping_add(h.rotate_left(9))
    });
    h % buckets
}

/// The order gnulib's hash table (64 entries requested: 83 buckets) lists names inserted in
/// `inserted` order: by bucket, and within a bucket the first one, then the others newest
/// first. (The table grows past 66 used buckets; guestfish sessions never have that many
/// handler names.)
fn hash_table_order<'a>(inserted: &[&'a str]) -> Vec<&'a str> {
    let mut keyed: Vec<(u64, usize, &str)> = Vec::new();
    for (i, name) in inserted.iter().enumerate() {
        let bucket = hash_pjw(name, 83);
        let earlier = keyed.iter().filter(|(b, _, _)| *b == bucket).count();
        // Rank in the bucket: the head stays first, later ones go right after it.
        let rank = if earlier == 0 { 0 } else { usize::MAX - i };
        keyed.push((bucket, rank, name));
    }
    keyed.sort_by_key(|(b, rank, _)| (*b, *rank));
    keyed.into_iter().map(|(_, _, n)| n).collect()
}

/// The handle's event API as guestfish uses it: register a callback for a set of events
/// (a bitmask) and get its handle number; delete it by number. The handle numbers its
/// callbacks as 1.48 does (one per registration from 0, the last one reused once deleted).
pub mod adapter {
    use guestfs::{Event, EventKind, Handle};

    /// The callbacks guestfish registered (the handle keeps them; nothing to hold here).
    #[derive(Default)]
    pub struct Registrations;

    /// Whether an event of this kind carries a message (the others carry numbers or nothing).
    fn has_message(kind: EventKind) -> bool {
        matches!(
            kind,
            EventKind::Appliance
                | EventKind::Library
                | EventKind::Trace
                | EventKind::Enter
                | EventKind::Warning
                | EventKind::LibvirtAuth
        )
    }

    impl Registrations {
        pub fn register(
            &mut self,
            g: &mut Handle,
            mask: u64,
            mut callback: impl FnMut(u64, Option<&str>, &[u64]) + Send + 'static,
        ) -> i32 {
            g.set_event_callback(
                Box::new(move |ev: &Event| {
                    let message = has_message(ev.kind).then_some(ev.message);
                    callback(ev.kind.bit(), message, ev.array)
                }),
                mask,
            )
            .unwrap_or(-1)
        }

        pub fn register_progress(
            &mut self,
            g: &mut Handle,
            mut callback: impl FnMut(u64, u64) + Send + 'static,
        ) {
            let _ = g.set_event_callback(
                Box::new(move |ev: &Event| {
                    if let Some((position, total)) = ev.progress() {
                        callback(position, total)
                    }
                }),
                EventKind::Progress.bit(),
            );
        }

        pub fn delete(&mut self, g: &mut Handle, handle: i32) {
            g.delete_event_callback(handle);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_sets_like_1_48() {
        assert_eq!(parse_event_set("*"), Ok(EVENT_ALL));
        assert_eq!(parse_event_set("close,trace"), Ok(0x41));
        assert_eq!(parse_event_set("l"), Ok(0x4));
        assert_eq!(parse_event_set("close,,trace"), Ok(0x41));
        assert_eq!(parse_event_set(""), Ok(0));
        assert_eq!(
            parse_event_set("close,bogus,trace"),
            Err("unknown event name: bogus,trace".to_string())
        );
        assert_eq!(
            parse_event_set("closex"),
            Err("unknown event name: closex".to_string())
        );
    }

    #[test]
    fn listed_in_hash_table_order() {
        // Observed with 1.48: "first", "third", "second".
        assert_eq!(
            hash_table_order(&["first", "second", "third"]),
            ["first", "third", "second"]
        );
        assert_eq!(hash_table_order(&["ld", "cl", "en"]), ["cl", "en", "ld"]);
    }

    #[test]
    fn names_sorted() {
        assert_eq!(event_to_string(0x41), "close,trace");
        assert_eq!(
            event_to_string(EVENT_ALL),
            "appliance,close,enter,launch_done,library,libvirt_auth,progress,subprocess_quit,trace,warning"
        );
        assert_eq!(event_to_string(0x8), "progress");
    }
}
