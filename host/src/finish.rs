//! The last step of an install: rename the staged files into place.
//!
//! The component leaves `wp-includes/version.php` and `index.php` (they make TARGET look
//! installed) and a written `wp-config.php` under temporary names, so the host can set
//! modes and owners first. Only then are they renamed into place, in order, each through
//! a descriptor of its directory walked from TARGET without following symlinks. A run
//! that dies before this leaves no install (or config) behind: the next run does the work
//! again and removes the temporaries.

use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps};

use crate::{Error, PathError};
use wp_init_core::report::{Created, EntryKind};

/// A file to rename into place (paths relative to TARGET, in the same directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Staged {
    pub temporary: String,
    pub path: String,
}

/// Renames each staged file over its final path, in order. When the file's directory was
/// created by this run, its modification time is set back to SOURCE's (the rename
/// changed it).
///
/// First everything written so far is flushed to disk (`syncfs` on TARGET's file
/// system), and each rename is made durable (`fsync` of its directory): after a power
/// loss, TARGET looks installed only if the whole copy reached the disk.
pub(crate) fn commit(
    source: &Path,
    target: &Path,
    staged: &[Staged],
    created: &[Created],
) -> Result<(), Error> {
    if staged.is_empty() {
        return Ok(());
    }
    let flush = |e: rustix::io::Errno| {
        Error::Finish(PathError {
            path: target.display().to_string(),
            cause: format!("flushing the copy to disk: {e}"),
        })
    };
    rustix::fs::syncfs(open_dir(target, "").map_err(flush)?).map_err(flush)?;
    for s in staged {
        let fail = |cause: String| {
            Error::Finish(PathError {
                path: join(target, &s.path),
                cause,
            })
        };
        let (dir, tmp) = split_parent(&s.temporary);
        let (final_dir, name) = split_parent(&s.path);
        if dir != final_dir {
            return Err(fail(format!(
                "staged as {} in another directory",
                s.temporary
            )));
        }
        let dir_fd = open_dir(target, dir)
            .map_err(|e| fail(format!("opening {}: {e}", join(target, dir))))?;
        rustix::fs::renameat(&dir_fd, tmp, &dir_fd, name)
            .map_err(|e| fail(format!("renaming {tmp} into place: {e}")))?;
        rustix::fs::fsync(&dir_fd)
            .map_err(|e| fail(format!("flushing the rename to disk: {e}")))?;
        let ours = created
            .iter()
            .any(|c| c.kind == EntryKind::Directory && c.path == dir);
        if ours && !dir.is_empty() {
            let st = rustix::fs::statat(
                open_dir(source, "").map_err(|e| fail(e.to_string()))?,
                dir,
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| fail(format!("reading the time of {}: {e}", join(source, dir))))?;
            let mtime = Timespec {
                tv_sec: st.st_mtime,
                tv_nsec: st.st_mtime_nsec as _,
            };
            let atime = Timespec {
                tv_sec: st.st_atime,
                tv_nsec: st.st_atime_nsec as _,
            };
            rustix::fs::futimens(
                &dir_fd,
                &Timestamps {
                    last_access: atime,
                    last_modification: mtime,
                },
            )
            .map_err(|e| fail(format!("restoring the time of {}: {e}", join(target, dir))))?;
        }
    }
    Ok(())
}

/// Opens `rel` below `root` as a directory, one component at a time, never following a
/// symlink.
fn open_dir(root: &Path, rel: &str) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut fd = rustix::fs::open(root, flags, Mode::empty())?;
    for comp in rel.split('/').filter(|c| !c.is_empty()) {
        if comp == ".." || comp == "." {
            return Err(rustix::io::Errno::INVAL);
        }
        fd = rustix::fs::openat(&fd, comp, flags, Mode::empty())?;
    }
    Ok(fd)
}

/// (`parent`, `name`) of a relative path; the parent is `""` at the root.
fn split_parent(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

fn join(root: &Path, rel: &str) -> String {
    root.join(rel).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_in_place_and_refuses_symlinked_dirs() {
        let t = tempfile::tempdir().unwrap();
        let (src, dst) = (t.path().join("src"), t.path().join("dst"));
        std::fs::create_dir_all(src.join("wp-includes")).unwrap();
        std::fs::create_dir_all(dst.join("wp-includes")).unwrap();
        std::fs::write(dst.join("wp-includes/.wp-init-tmp.1.version.php"), b"v").unwrap();
        let staged = [Staged {
            temporary: "wp-includes/.wp-init-tmp.1.version.php".into(),
            path: "wp-includes/version.php".into(),
        }];
        commit(&src, &dst, &staged, &[]).unwrap();
        assert_eq!(
            std::fs::read(dst.join("wp-includes/version.php")).unwrap(),
            b"v"
        );

        // The directory swapped for a symlink to elsewhere: refused, elsewhere untouched.
        let elsewhere = t.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join(".wp-init-tmp.1.version.php"), b"x").unwrap();
        std::fs::remove_dir_all(dst.join("wp-includes")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dst.join("wp-includes")).unwrap();
        let err = commit(&src, &dst, &staged, &[]).unwrap_err();
        assert!(err.to_string().contains("wp-includes"), "{err}");
        assert!(!elsewhere.join("version.php").exists());
    }
}
