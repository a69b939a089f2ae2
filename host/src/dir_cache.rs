//! The directories of the last path opened below a root, each opened from the one before
//! with `O_NOFOLLOW`: the journal lists siblings together, so most lookups cost one open,
//! not one per component. The mode/owner pass and the commit both walk TARGET with it.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// A no-follow directory-descriptor cache below one root.
pub(crate) struct DirCache {
    flags: OFlags,
    /// `open[i]` is the directory of the first `i + 1` components of the last path.
    open: Vec<(String, OwnedFd)>,
}

impl DirCache {
    /// A cache whose directories are opened with `flags` (`O_DIRECTORY`, `O_NOFOLLOW` and
    /// `O_CLOEXEC` are added).
    pub(crate) fn new(flags: OFlags) -> Self {
        DirCache {
            flags: flags | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            open: Vec::new(),
        }
    }

    /// The directory `dirs` (plain components) below `root`, never through a symlink.
    ///
    /// # Errors
    /// The index of the component that could not be opened, and why (`EINVAL` for `.`,
    /// `..` or an empty one).
    pub(crate) fn get<'r>(
        &'r mut self,
        root: BorrowedFd<'r>,
        dirs: &[&str],
    ) -> Result<BorrowedFd<'r>, (usize, Errno)> {
        let common = self
            .open
            .iter()
            .zip(dirs)
            .take_while(|((have, _), want)| have == *want)
            .count();
        self.open.truncate(common);
        for (i, comp) in dirs.iter().enumerate().skip(common) {
            if matches!(*comp, "" | "." | "..") {
                return Err((i, Errno::INVAL));
            }
            let at = self.open.last().map_or(root, |(_, fd)| fd.as_fd());
            let fd =
                rustix::fs::openat(at, *comp, self.flags, Mode::empty()).map_err(|e| (i, e))?;
            self.open.push(((*comp).to_owned(), fd));
        }
        Ok(self.open.last().map_or(root, |(_, fd)| fd.as_fd()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn opens_below_the_root_and_never_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        symlink("a", dir.path().join("l")).unwrap();
        let root = std::fs::File::open(dir.path()).unwrap();
        let mut cache = DirCache::new(OFlags::PATH);
        assert!(cache.get(root.as_fd(), &["a", "b"]).is_ok());
        assert!(cache.get(root.as_fd(), &["a"]).is_ok());
        // Refused at the symlink (`ENOTDIR` or `ELOOP`, as the kernel's flags decide).
        let through = cache.get(root.as_fd(), &["l", "b"]).err();
        assert!(
            matches!(through, Some((0, Errno::NOTDIR | Errno::LOOP))),
            "{through:?}"
        );
        assert_eq!(
            cache.get(root.as_fd(), &["a", ".."]).err(),
            Some((1, Errno::INVAL))
        );
        assert_eq!(
            cache.get(root.as_fd(), &["a", "x"]).err(),
            Some((1, Errno::NOENT))
        );
    }
}
