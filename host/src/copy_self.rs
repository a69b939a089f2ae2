//! `wp-init copy-self` and `wp-init component`: a file written whole, for another
//! container or another runtime.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;

/// The running executable, read through the kernel's handle rather than a path, so the
/// copy is the binary that runs even where its path is not visible.
const SELF_EXE: &str = "/proc/self/exe";

/// Copies the running executable to `output` with mode 0755 (see [`write_whole`]).
pub fn copy_self(output: &Path) -> anyhow::Result<()> {
    let mut exe = File::open(SELF_EXE).with_context(|| format!("cannot open {SELF_EXE}"))?;
    write_whole(output, 0o755, |file| io::copy(&mut exe, file).map(drop))
}

/// Writes the embedded component to `output` with mode 0644 (see [`write_whole`]).
pub fn write_component(output: &Path) -> anyhow::Result<()> {
    write_whole(output, 0o644, |file| {
        file.write_all(wp_init::COMPONENT_WASM)
    })
}

/// Writes `output` with `fill` and `mode`: under a temporary name in the same directory,
/// flushed, then renamed into place, so a reader never sees a partial file, an existing
/// file is replaced whole, and a symlink at `output` is replaced, never written through.
fn write_whole(
    output: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> anyhow::Result<()> {
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".wp-init-output.")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let written = fill(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().set_permissions(Permissions::from_mode(mode)))
        .and_then(|()| tmp.as_file().sync_all());
    written.with_context(|| format!("cannot write {}", tmp.path().display()))?;
    tmp.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot rename the file to {}", output.display()))?;
    // The rename is durable once the directory is flushed.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot flush {}", dir.display()))
}
