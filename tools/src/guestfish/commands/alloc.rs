//! `alloc` and `sparse`: create a raw disk image file and add it to the handle.

use super::super::numbers::xstrtoull;
use super::super::session::{stderr_line, CmdResult, Failed, Fish};
use super::words;
use guestfs::{AddDriveOpts, DiskCreateOpts};

pub fn run_alloc(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [file, size] = &words(args)[..] else {
        stderr_line("use 'alloc file size' to create an image");
        return Err(Failed);
    };
    alloc_disk(fish, file, size, true, false)
}

pub fn run_sparse(fish: &mut Fish, _cmd: &str, args: &[Vec<u8>]) -> CmdResult {
    let [file, size] = &words(args)[..] else {
        stderr_line("use 'sparse file size' to create a sparse image");
        return Err(Failed);
    };
    alloc_disk(fish, file, size, true, true)
}

/// A size with the usual suffixes (`1M`, `10G`), as `alloc` and `-N` read it.
pub fn parse_size(s: &str) -> Result<u64, Failed> {
    xstrtoull(s).map_err(|code| {
        stderr_line(&format!(
            "parse_size: invalid integer parameter (xstrtoull returned {})",
            code
        ));
        Failed
    })
}

/// Creates `filename` as a raw image of `size` bytes (sparse or fully allocated) and, if
/// `add`, adds it as a raw drive (removing the file again if that fails).
pub fn alloc_disk(
    fish: &mut Fish,
    filename: &str,
    size: &str,
    add: bool,
    sparse: bool,
) -> CmdResult {
    let size = parse_size(size)?;
    let opts = DiskCreateOpts {
        preallocation: Some(if sparse { "sparse" } else { "full" }.to_string()),
        ..Default::default()
    };
    // The size is passed as C passes an off_t: sizes of 2^63 and more become negative.
    fish.g
        .disk_create(filename, "raw", size as i64, opts)
        .map_err(|_| Failed)?;
    if add {
        let opts = AddDriveOpts {
            format: Some("raw".to_string()),
            ..Default::default()
        };
        if fish.g.add_drive(filename, opts).is_err() {
            let _ = std::fs::remove_file(filename);
            return Err(Failed);
        }
    }
    Ok(())
}
