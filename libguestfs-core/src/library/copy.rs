//! `copy_in`: a local file or directory tree copied into a guest directory as libguestfs 1.48
//! does it, as a tar stream (`tar -cf -` of the local tree) sent to `tar_in`. `copy_out` is in
//! [`crate::copy_out`].

use crate::error::{Error, Result};
use crate::handle::Handle;
use guestfs_protocol::calls::TarInOpts;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

/// Splits a path as libguestfs's `split_path`: one trailing `/` is dropped (not from `/`
/// itself), then the directory (None for a bare name) and the last component.
pub(crate) fn split_path(path: &str) -> Result<(Option<String>, String)> {
    if path.is_empty() {
        return Err(Error::msg(
            "error: argument is zero length or longer than maximum permitted",
        ));
    }
    let p = if path.len() >= 2 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    Ok(match p.rfind('/') {
        Some(0) => (Some("/".to_string()), p[1..].to_string()),
        Some(i) => (Some(p[..i].to_string()), p[i + 1..].to_string()),
        None => (None, p.to_string()),
    })
}

impl Handle {
    /// Copies `localpath` (a file, or a directory recursively) into the guest directory
    /// `remotedir`, keeping names, modes, times, links and (when root) owners, as tar does.
    pub(crate) fn impl_copy_in(&mut self, localpath: &str, remotedir: &str) -> Result<()> {
        if std::fs::metadata(localpath).is_err() {
            return Err(Error::msg(format!(
                "source ‘{}’ does not exist (or cannot be read)",
                localpath
            )));
        }
        if !self.is_dir(remotedir, Default::default())? {
            return Err(Error::msg(format!(
                "target ‘{}’ is not a directory",
                remotedir
            )));
        }
        let (dirname, basename) = split_path(localpath)?;
        let mut argv = vec!["tar".to_string()];
        if let Some(d) = dirname {
            argv.extend(["-C".to_string(), d]);
        }
        argv.extend(["-cf".to_string(), "-".to_string(), basename]);
        for line in super::command::debug_lines(&argv) {
            self.events.debug(&line);
        }
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::from(e).context("tar subprocess failed: tar"))?;
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let errors = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut stderr).take(1 << 20).read_to_end(&mut buf);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            buf
        });
        let stream = child.stdout.take().expect("stdout is piped");
        let mut stream = self.progress_reader(stream, 0);
        // tar_in's error is reported below, unless tar's own explains it.
        self.push_error_handler_quiet();
        let sent = self.tar_in_from(&mut stream, remotedir, TarInOpts::default());
        self.pop_error_handler();
        // Closing our end stops a tar that is still writing (the upload failed).
        drop(stream);
        let status = child
            .wait()
            .map_err(|e| Error::from(e).context("waitpid"))?;
        let errors = errors.join().unwrap_or_default();
        // A tar that failed is the cause, as libguestfs 1.48 reports it (a file it could not
        // read leaves tar_in an archive it may not be able to unpack), unless it failed only
        // because tar_in had failed first and the pipe was closed; unlike 1.48, a failed
        // tar_in is not hidden by a tar that exited well.
        let stopped_by_closed_pipe = status.signal() == Some(libc::SIGPIPE)
            || String::from_utf8_lossy(&errors).contains("Broken pipe");
        let failed_after_tar_in = sent.is_err() && stopped_by_closed_pipe;
        if !(status.success() || failed_after_tar_in) {
            let text = String::from_utf8_lossy(&errors);
            return Err(Error::msg(format!(
                "tar subprocess failed: {}",
                text.trim_end_matches('\n')
            )));
        }
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use crate::handle::State;
    use guestfs_protocol::calls::{self as api, ArgChecks, IsDirOpts, Unimplemented};
    use std::sync::{Arc, Mutex};

    /// A backend with one directory, `/dir`, that keeps what `tar_in` receives.
    struct TarSink(Arc<Mutex<Vec<u8>>>);

    impl Unimplemented for TarSink {}
    impl ArgChecks for TarSink {}
    impl api::Devices for TarSink {}
    impl api::Partitions for TarSink {}
    impl api::Filesystems for TarSink {}
    impl api::Attributes for TarSink {}
    impl api::Lvm for TarSink {}
    impl api::Encryption for TarSink {}
    impl api::Md for TarSink {}
    impl api::Btrfs for TarSink {}
    impl api::Ldm for TarSink {}
    impl api::Augeas for TarSink {}
    impl api::Hivex for TarSink {}
    impl api::Journal for TarSink {}
    impl api::Inspection for TarSink {}
    impl api::Commands for TarSink {}
    impl api::Daemon for TarSink {}
    impl api::Forensics for TarSink {}
    impl api::Files for TarSink {
        fn is_dir(&mut self, path: &str, _opts: &IsDirOpts) -> Result<bool> {
            Ok(path == "/dir")
        }
    }
    impl api::Archives for TarSink {
        fn tar_in(
            &mut self,
            tarfile: &mut guestfs_protocol::FileIn<'_>,
            directory: &str,
            _opts: &TarInOpts,
        ) -> Result<()> {
            assert_eq!(directory, "/dir");
            let mut data = Vec::new();
            tarfile.read_to_end(&mut data)?;
            self.0.lock().unwrap().extend(data);
            Ok(())
        }
    }
    impl Backend for TarSink {
        fn name(&self) -> &str {
            "tar-sink"
        }
        fn shutdown(&mut self) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn copy_in_sends_a_tar_of_the_local_tree() {
        let d = std::env::temp_dir().join(format!("guestfs-copy-in-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("tree/sub")).unwrap();
        std::fs::write(d.join("tree/sub/f"), b"contents").unwrap();
        std::os::unix::fs::symlink("sub/f", d.join("tree/link")).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut g = Handle::new_no_environment();
        g.set_error_handler_quiet();
        g.backend = Some(Box::new(TarSink(received.clone())));
        g.state = State::Ready;
        let tree = d.join("tree").display().to_string();
        g.copy_in(&tree, "/dir").unwrap();
        assert_eq!(
            g.copy_in(&tree, "/file").unwrap_err().message,
            "target ‘/file’ is not a directory"
        );
        let data = received.lock().unwrap().clone();
        let mut archive = tar::Archive::new(&data[..]);
        let mut names: Vec<(String, Option<String>)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.path().unwrap().display().to_string();
                let link = e.link_name().unwrap().map(|l| l.display().to_string());
                (name, link)
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ("tree/".to_string(), None),
                ("tree/link".to_string(), Some("sub/f".to_string())),
                ("tree/sub/".to_string(), None),
                ("tree/sub/f".to_string(), None),
            ]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn split_like_libguestfs() {
        let s = |p: &str| split_path(p).unwrap();
        assert_eq!(s("/"), (Some("/".into()), "".into()));
        assert_eq!(s("/foo"), (Some("/".into()), "foo".into()));
        assert_eq!(s("/a/b/"), (Some("/a".into()), "b".into()));
        assert_eq!(s("a/b"), (Some("a".into()), "b".into()));
        assert_eq!(s("b"), (None, "b".into()));
        assert_eq!(s("/a//"), (Some("/a".into()), "".into()));
        assert!(split_path("").is_err());
    }
}
