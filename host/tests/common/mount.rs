//! A mount made for one test and undone when dropped, on every exit path (panics included).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mount that is undone (lazily, so a busy mount cannot stay) when dropped.
pub struct Mount(PathBuf);

impl Mount {
    /// Runs `mount ARGS AT`; needs root with mount rights (CI has them), else the test fails.
    pub fn new(args: &[&str], at: &Path) -> Mount {
        let out = Command::new("mount")
            .args(args)
            .arg(at)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test needs root with mount rights: mount {args:?} {}: {}",
            at.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Mount(at.to_owned())
    }

    /// A read-only bind mount of `from` at `at`.
    pub fn read_only_bind(from: &Path, at: &Path) -> Mount {
        Mount::new(
            &["--bind", "-o", "ro", from.to_str().expect("UTF-8 path")],
            at,
        )
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
