//! `wp-init copy-self`: the running executable, copied to a file for another container.

use std::fs::{File, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;

/// The running executable, read through the kernel's handle rather than a path, so the
/// copy is the binary that runs even where its path is not visible.
const SELF_EXE: &str = "/proc/self/exe";

/// Copies the running executable to `output` with mode 0755: written under a temporary
/// name in the same directory, flushed, then renamed into place, so a reader never sees a
/// partial binary and an existing file is replaced whole.
pub fn copy_self(output: &Path) -> anyhow::Result<()> {
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut exe = File::open(SELF_EXE).with_context(|| format!("cannot open {SELF_EXE}"))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".wp-init-copy-self.")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let written = io::copy(&mut exe, tmp.as_file_mut())
        .and_then(|_| tmp.as_file().set_permissions(Permissions::from_mode(0o755)))
        .and_then(|()| tmp.as_file().sync_all());
    written.with_context(|| format!("cannot write {}", tmp.path().display()))?;
    tmp.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot rename the copy to {}", output.display()))?;
    // The rename is durable once the directory is flushed.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot flush {}", dir.display()))
}
