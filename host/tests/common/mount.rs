//! Mounts made by tests, undone on every exit path.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mount that is undone (lazily, so a busy one goes too) when dropped.
#[derive(Debug)]
pub struct Mount(PathBuf);

impl Mount {
    /// `mount ARGS AT`; panics with mount's message when that fails (needs root).
    pub fn new(args: &[&str], at: &Path) -> Mount {
        mount(args, at);
        Mount(at.to_owned())
    }

    /// A tmpfs of `size` (as `mount -o size=` takes it) at `at`.
    pub fn tmpfs(size: &str, at: &Path) -> Mount {
        Mount::new(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"], at)
    }

    /// A read-only bind mount of `from` at `at`.
    pub fn read_only_bind(from: &Path, at: &Path) -> Mount {
        Mount::new(
            &["--bind", "-o", "ro", from.to_str().expect("UTF-8 path")],
            at,
        )
    }

    /// Changes the mount's options in place (e.g. `remount,size=64m`).
    pub fn remount(&self, options: &str) {
        mount(&["-o", options], &self.0);
    }
}

fn mount(args: &[&str], at: &Path) {
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
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
