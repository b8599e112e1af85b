//! The commands guestfish has besides the API's: their names, aliases, one-line summaries,
//! help texts (same format as the API descriptions: paragraphs, `code`, indented lines shown
//! as they are), and the functions that run them.

pub mod alloc;
pub mod copy;
pub mod events;
pub mod external;
pub mod glob;
pub mod misc;

use super::session::{CmdResult, Fish};

/// A guestfish command.
pub struct FishCommand {
    /// The name with underscores (`copy_in`); `copy-in` works too.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub summary: &'static str,
    pub help: &'static str,
    /// Runs the command: `cmd` is the name as typed, `args` the argument words.
    pub run: fn(&mut Fish, &str, &[Vec<u8>]) -> CmdResult,
}

/// Every guestfish command, in name order.
pub static COMMANDS: &[FishCommand] = &[
    FishCommand {
        name: "alloc",
        aliases: &["allocate"],
        summary: "create a fully allocated raw disk image and add it",
        help: " alloc filename size

Creates the local file `filename` holding `size` zero bytes, fully allocated, and adds it to
the handle as a raw drive, so it must come before `run`. `size` takes the usual suffixes
(`512M`, `10G`).

`sparse` does the same with a sparse file; `disk-create` makes other formats; the `-N`
option makes disks with partitions, filesystems or logical volumes ready to use.",
        run: alloc::run_alloc,
    },
    FishCommand {
        name: "copy_in",
        aliases: &[],
        summary: "copy local files or directories into the guest",
        help: " copy-in local [local ...] /remotedir

Copies each local file or directory, recursively, into the guest directory `/remotedir`,
which must already exist. The last argument is always the guest directory. No wildcards are
expanded here; let the shell expand them on the command line.",
        run: copy::run_copy_in,
    },
    FishCommand {
        name: "copy_out",
        aliases: &[],
        summary: "copy guest files or directories to a local directory",
        help: " copy-out remote [remote ...] localdir

Copies each guest file or directory, recursively, into the local directory `localdir`,
which must already exist (`.` is the current directory). Files are downloaded, directories
come out through a tar stream.

For wildcards in guest paths use `glob`:

 glob copy-out /home/* .",
        run: copy::run_copy_out,
    },
    FishCommand {
        name: "delete_event",
        aliases: &[],
        summary: "remove the event handlers registered under a name",
        help: " delete-event name

Removes every event handler that `event` registered under `name`. See also `list-events`.",
        run: events::run_delete_event,
    },
    FishCommand {
        name: "display",
        aliases: &[],
        summary: "show a picture from the guest with a local viewer",
        help: " display filename

Downloads the guest file `filename` to a temporary file and opens it with the program named
by `$GUESTFISH_DISPLAY_IMAGE`, by default `display` (ImageMagick). For example:

 export GUESTFISH_DISPLAY_IMAGE=eog",
        run: external::run_display,
    },
    FishCommand {
        name: "echo",
        aliases: &[],
        summary: "print the arguments",
        help: " echo [params ...]

Prints its arguments, separated by single spaces, and a newline.",
        run: misc::run_echo,
    },
    FishCommand {
        name: "edit",
        aliases: &["vi", "emacs"],
        summary: "edit a guest file with a local editor",
        help: " edit filename

Downloads the guest file `filename`, opens the copy in a local editor, and if the copy was
changed uploads it back, keeping the original's owner, permissions and other attributes.

The editor is `$EDITOR` (by default `vi`); the names `vi` and `emacs` choose that editor
whatever `$EDITOR` says.",
        run: external::run_edit,
    },
    FishCommand {
        name: "event",
        aliases: &[],
        summary: "run a shell command when events happen",
        help: " event name eventset \"shell script ...\"

Registers a shell command to run each time one of the events in `eventset` happens. `name`
is any label (even empty), used by `delete-event` and shown by `list-events`.

`eventset` is a comma-separated list of event names, or `*` for all of them: `close`,
`subprocess_quit`, `launch_done`, `progress`, `appliance`, `library`, `trace`, `enter`,
`libvirt_auth`, `warning`.

The command runs with `$SHELL -c` (`/bin/sh -c` when `SHELL` is not set). `$EVENT` holds the
event's name; `$1` is the event's message, if any, and the following arguments its numbers
(for progress events: procedure, serial, position, total). guestfish waits for it to finish.

 event \"\" close \"echo closed\"
 event log appliance,library,trace \"echo $@\"
 event \"\" progress \"echo progress: $3/$4\"",
        run: events::run_event,
    },
    FishCommand {
        name: "glob",
        aliases: &[],
        summary: "run a command once per match of its wildcard arguments",
        help: " glob command args...

Expands the wildcards in the arguments that are guest paths (starting with `/`) or device
names (starting with `/dev/`), then runs `command` for every combination of the matches.
An argument that matches nothing is passed as it is.",
        run: glob::run_glob,
    },
    FishCommand {
        name: "hexedit",
        aliases: &[],
        summary: "edit part of a guest file or device with a hex editor",
        help: " hexedit <filename|device>
 hexedit <filename|device> <max>
 hexedit <filename|device> <start> <max>

Downloads the whole file or device, or `max` bytes of it from offset `start`, opens the copy
in a hex editor, and writes it back at the same offset if it changed. Without `max` the file
or device must not be larger than 16 MB. `start` and `max` take the usual suffixes (`1M`,
`0x400`). For example, the first megabyte of the first disk:

 hexedit /dev/sda 1M

The editor is `$HEXEDITOR`, by default `hexedit`. See also `hexdump`.",
        run: external::run_hexedit,
    },
    FishCommand {
        name: "lcd",
        aliases: &[],
        summary: "change guestfish's own working directory",
        help: " lcd directory

Changes the local current directory of guestfish, which local file names are relative to.
A `!cd` command would only change the directory of a short-lived shell.",
        run: misc::run_lcd,
    },
    FishCommand {
        name: "list_events",
        aliases: &[],
        summary: "list the event handlers",
        help: " list-events

Lists the handlers registered with `event`: name, handle number, events and command.",
        run: events::run_list_events,
    },
    FishCommand {
        name: "man",
        aliases: &["manual"],
        summary: "read the guestfish manual page",
        help: " man

Shows the guestfish(1) manual page.",
        run: external::run_man,
    },
    FishCommand {
        name: "more",
        aliases: &["less"],
        summary: "view a guest file with a pager",
        help: " more filename
 less filename

Downloads the guest file `filename` and shows it with `$PAGER` (by default `more`); the name
`less` always uses `less`.",
        run: external::run_more,
    },
    FishCommand {
        name: "reopen",
        aliases: &[],
        summary: "close the handle and open a new one",
        help: " reopen

Shuts the appliance down, closes the handle and opens a fresh one, keeping the verbose,
trace, autosync, path and process group settings. Drives and other settings are not kept.
Mostly useful for tests.",
        run: misc::run_reopen,
    },
    FishCommand {
        name: "setenv",
        aliases: &[],
        summary: "set an environment variable of guestfish",
        help: " setenv VAR value

Sets the environment variable `VAR` to `value` in guestfish, so that the programs it runs
see it. To print a variable use the shell:

 !echo $VAR",
        run: misc::run_setenv,
    },
    FishCommand {
        name: "sparse",
        aliases: &[],
        summary: "create a sparse raw disk image and add it",
        help: " sparse filename size

Like `alloc`, but the file is sparse: its blocks are only allocated as they are written,
which is quick and saves space, but writes can fail later if the host filesystem fills up.
`size` takes the usual suffixes (`512M`, `10G`).

See also `disk-create` and `add-drive-scratch`.",
        run: alloc::run_sparse,
    },
    FishCommand {
        name: "supported",
        aliases: &[],
        summary: "list the optional features and whether the appliance has them",
        help: " supported

Prints each optional group of commands the daemon knows, with `yes` when this appliance
supports it and `no` otherwise. Needs `run` first. See also `available`.",
        run: misc::run_supported,
    },
    FishCommand {
        name: "time",
        aliases: &[],
        summary: "run a command and print how long it took",
        help: " time command args...

Runs the command, then prints the wall-clock time it took.",
        run: misc::run_time,
    },
    FishCommand {
        name: "unsetenv",
        aliases: &[],
        summary: "remove an environment variable of guestfish",
        help: " unsetenv VAR

Removes `VAR` from guestfish's environment.",
        run: misc::run_unsetenv,
    },
];

/// The argument words as text.
pub fn words(args: &[Vec<u8>]) -> Vec<String> {
    args.iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorted_and_unique() {
        let names: Vec<&str> = super::COMMANDS.iter().map(|c| c.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        for c in super::COMMANDS {
            assert!(guestfs::action(c.name).is_none_or(|a| !a.in_guestfish()));
        }
    }
}
