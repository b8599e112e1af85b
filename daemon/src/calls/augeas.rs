//! Augeas: configuration files of the guest edited through the real Augeas library and its
//! lenses (see [`crate::augeas_lib`]), one handle per daemon, with 1.48's error wording
//! (`CALL: ARGS: Augeas's message: minor message: details`).

use crate::augeas_lib::{self, Augeas, Failure};
use crate::daemon::Daemon;
use guestfs_protocol::calls::{self, AugTransformOpts};
use guestfs_protocol::{Error, IntBool, Result};

/// 1.48's error for a failed Augeas call: `CONTEXT: ` then the handle's error.
fn augeas_error(aug: &Augeas, failure: Failure, context: &str) -> Error {
    if let Failure::Invalid(text) = failure {
        return Error::msg(format!("{}: {}", context, text));
    }
    let e = aug.error();
    if e.code == augeas_lib::ENOMEM {
        return Error::msg(format!("{}: augeas out of memory", context));
    }
    let mut text = format!("{}: {}", context, e.message);
    for part in [e.minor, e.details].into_iter().flatten() {
        text.push_str(": ");
        text.push_str(&part);
    }
    Error::msg(text)
}

impl Daemon {
    /// The handle, or 1.48's error naming its C function (`do_aug_get`) when there is none.
    fn aug(&mut self, function: &str) -> Result<&mut Augeas> {
        self.augeas.as_mut().ok_or_else(|| {
            Error::msg(format!(
                "do_{}: you must call 'aug-init' first to initialize Augeas",
                function
            ))
        })
    }

    /// Runs `f` on the handle; a failure becomes 1.48's error with `context` (built only then).
    fn with_aug<T>(
        &mut self,
        function: &str,
        f: impl FnOnce(&mut Augeas) -> std::result::Result<T, Failure>,
        context: impl FnOnce() -> String,
    ) -> Result<T> {
        let aug = self.aug(function)?;
        f(aug).map_err(|failure| augeas_error(aug, failure, &context()))
    }
}

/// `(null)` for a missing optional string, as glibc's printf writes it.
fn or_null(s: Option<&str>) -> &str {
    s.unwrap_or("(null)")
}

impl calls::Augeas for Daemon {
    fn aug_init(&mut self, root: &str, flags: i32) -> Result<()> {
        self.augeas = None;
        let at = self.sysroot_path(root);
        let aug = Augeas::init(&at, flags as u32 | augeas_lib::NO_ERR_CLOSE).map_err(Error::msg)?;
        if aug.error().code != 0 {
            return Err(augeas_error(
                &aug,
                Failure::Augeas,
                &format!("aug_init: {} (flags {})", root, flags),
            ));
        }
        self.augeas = Some(aug);
        Ok(())
    }

    fn aug_close(&mut self) -> Result<()> {
        self.aug("aug_close")?;
        self.augeas = None;
        Ok(())
    }

    fn aug_defvar(&mut self, name: &str, expr: Option<&str>) -> Result<i32> {
        self.with_aug(
            "aug_defvar",
            |a| a.defvar(name, expr),
            || format!("aug_defvar: {}: {}", name, or_null(expr)),
        )
    }

    fn aug_defnode(&mut self, name: &str, expr: &str, val: &str) -> Result<IntBool> {
        let (i, created) = self.with_aug(
            "aug_defnode",
            |a| a.defnode(name, expr, val),
            || format!("aug_defnode: {}: {}: {}", name, expr, val),
        )?;
        Ok(IntBool {
            i,
            b: i32::from(created),
        })
    }

    fn aug_get(&mut self, augpath: &str) -> Result<String> {
        let (n, value) = self.with_aug(
            "aug_get",
            |a| match a.get(augpath)? {
                // Several matches: Augeas has set its error.
                (n, _) if n > 1 => Err(Failure::Augeas),
                r => Ok(r),
            },
            || format!("aug_get: {}", augpath),
        )?;
        if n == 0 {
            return Err(Error::msg("no matching node"));
        }
        value.ok_or_else(|| Error::msg("Augeas returned NULL match"))
    }

    fn aug_set(&mut self, augpath: &str, val: &str) -> Result<()> {
        self.with_aug(
            "aug_set",
            |a| a.set(augpath, Some(val)),
            || format!("aug_set: {}: {}", augpath, val),
        )
    }

    fn aug_clear(&mut self, augpath: &str) -> Result<()> {
        self.with_aug(
            "aug_clear",
            |a| a.set(augpath, None),
            || format!("aug_clear: {}", augpath),
        )
    }

    fn aug_insert(&mut self, augpath: &str, label: &str, before: bool) -> Result<()> {
        self.with_aug(
            "aug_insert",
            |a| a.insert(augpath, label, before),
            || {
                format!(
                    "aug_insert: {}: {} [before={}]",
                    augpath,
                    label,
                    i32::from(before)
                )
            },
        )
    }

    fn aug_rm(&mut self, augpath: &str) -> Result<i32> {
        self.with_aug(
            "aug_rm",
            |a| a.rm(augpath),
            || format!("aug_rm: {}", augpath),
        )
    }

    fn aug_mv(&mut self, src: &str, dest: &str) -> Result<()> {
        self.with_aug(
            "aug_mv",
            |a| a.mv(src, dest),
            || format!("aug_mv: {}: {}", src, dest),
        )
    }

    fn aug_match(&mut self, augpath: &str) -> Result<Vec<String>> {
        self.with_aug(
            "aug_match",
            |a| a.matches(augpath),
            || format!("aug_match: {}", augpath),
        )
    }

    fn aug_save(&mut self) -> Result<()> {
        self.with_aug("aug_save", |a| a.save(), || "aug_save".to_string())
    }

    fn aug_load(&mut self) -> Result<()> {
        self.with_aug("aug_load", |a| a.load(), || "aug_load".to_string())
    }

    /// aug_match of `PATH/*`, sorted (1.48's `do_aug_ls`).
    fn aug_ls(&mut self, augpath: &str) -> Result<Vec<String>> {
        self.aug("aug_ls")?;
        if augpath.len() > 1 && augpath.ends_with(['/', ']', '*']) {
            return Err(Error::msg(
                "don't use aug-ls with a path that ends with / ] *",
            ));
        }
        let pattern = if augpath == "/" {
            "/*".to_string()
        } else {
            format!("{}/*", augpath)
        };
        let mut v = self.aug_match(&pattern)?;
        v.sort();
        Ok(v)
    }

    fn aug_setm(&mut self, base: &str, sub: Option<&str>, val: &str) -> Result<i32> {
        self.with_aug(
            "aug_setm",
            |a| a.setm(base, sub, val),
            || format!("aug_setm: {}: {}: {}", base, or_null(sub), val),
        )
    }

    fn aug_label(&mut self, augpath: &str) -> Result<String> {
        let (n, label) = self.with_aug(
            "aug_label",
            |a| a.label(augpath),
            || format!("aug_label: {}", augpath),
        )?;
        if n == 0 {
            return Err(Error::msg("no matching nodes found"));
        }
        label.ok_or_else(|| {
            Error::msg(format!(
                "internal error: expected label != NULL (r = {})",
                n
            ))
        })
    }

    fn aug_transform(&mut self, lens: &str, file: &str, opts: &AugTransformOpts) -> Result<()> {
        let excl = opts.remove.unwrap_or(false);
        self.with_aug(
            "aug_transform",
            |a| a.transform(lens, file, excl),
            || {
                format!(
                    "aug_transform: {}: {}: {}",
                    lens,
                    file,
                    if excl { "excl" } else { "incl" }
                )
            },
        )
    }
}
