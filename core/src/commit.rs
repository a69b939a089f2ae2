//! The commit: the one transaction that turns a finished copy into an install.
//!
//! A copy leaves the files that make TARGET look installed or configured
//! (`wp-includes/version.php`, `index.php`, a written `wp-config.php`) under temporary
//! names, and its new directories without their final mode and time. The commit then:
//!
//! 1. appends the [`Journal`] of what is left to do to the run's journal file (see
//!    `core::journal`), durably;
//! 2. renames each staged file into place, in order;
//! 3. gives each new directory its final mode and modification time, deepest first (a
//!    read-only directory is finished only after everything inside it is in place);
//! 4. retires the journal file (and those of the interrupted runs this run finished).
//!
//! Every step is idempotent, so a run that finds a journal with a commit finishes it with
//! [`finish`] before doing anything else, whatever instant the previous run died at.
//! The algorithm lives here, once; the guest (WASI) and the host (`rustix`) each
//! implement [`Finisher`], the handful of file operations it needs.

use serde::{Deserialize, Serialize};

use crate::layout::is_plain_relative;

/// A modification time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Time {
    /// Seconds since the epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

/// A staged file to rename into place (paths relative to TARGET, same directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    /// The temporary path.
    pub temporary: String,
    /// The final path.
    pub path: String,
}

impl Rename {
    /// Why a commit must not make this rename, if it must not: a path that is not plain
    /// and relative, or a rename across directories (a commit renames within one).
    pub fn problem(&self) -> Option<&'static str> {
        fn parent(rel: &str) -> &str {
            rel.rsplit_once('/').map_or("", |(dir, _)| dir)
        }
        if !is_plain_relative(&self.temporary) || !is_plain_relative(&self.path) {
            Some("not a plain relative path")
        } else if parent(&self.temporary) != parent(&self.path) {
            Some("renames across directories")
        } else {
            None
        }
    }
}

/// Where the entry at final path `path` is before the commit has done `renames`: each
/// rename, last first, that names `path` or a directory above it is undone. A staged file
/// inside a staged directory (`wp-includes/.wp-init-tmp.N.version.php` inside
/// `.wp-init-tmp.M.wp-includes`) is found through both.
pub fn before_commit(path: &str, renames: &[Rename]) -> String {
    let mut now = path.to_owned();
    for r in renames.iter().rev() {
        if now == r.path {
            now.clone_from(&r.temporary);
        } else if let Some(rest) = now
            .strip_prefix(r.path.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        {
            now = format!("{}/{rest}", r.temporary);
        }
    }
    now
}

/// Where the entry now at `path` is once the commit has done `renames` (the inverse of
/// [`before_commit`]): each rename, first first, that names `path` or a directory above
/// it is done.
pub fn after_commit(path: &str, renames: &[Rename]) -> String {
    let mut now = path.to_owned();
    for r in renames {
        if now == r.temporary {
            now.clone_from(&r.path);
        } else if let Some(rest) = now
            .strip_prefix(r.temporary.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        {
            now = format!("{}/{rest}", r.path);
        }
    }
    now
}

/// A directory created by the run, finished after everything inside it is in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirFinal {
    /// Path relative to TARGET.
    pub path: String,
    /// Permission bits to set, when the finisher can set modes.
    pub mode: Option<u32>,
    /// Modification time to set.
    pub mtime: Option<Time>,
}

/// What is left to do to finish an install.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Staged files, renamed in this order (`index.php` last).
    pub renames: Vec<Rename>,
    /// New directories, deepest first.
    pub dirs: Vec<DirFinal>,
}

impl Journal {
    /// A journal for `renames` and `dirs` (any order: directories are sorted deepest
    /// first, and a directory listed twice is finished once).
    pub fn new(renames: Vec<Rename>, mut dirs: Vec<DirFinal>) -> Self {
        dirs.sort_by(|a, b| {
            depth(&b.path)
                .cmp(&depth(&a.path))
                .then(a.path.cmp(&b.path))
        });
        dirs.dedup_by(|a, b| a.path == b.path);
        Journal { renames, dirs }
    }
}

fn depth(path: &str) -> usize {
    path.split('/').filter(|c| !c.is_empty()).count()
}

/// The file operations a commit needs, relative to TARGET, never following a symlink.
pub trait Finisher {
    /// The executor's error.
    type Error;
    /// Whether the entry `rel` exists (as an entry, not following a final symlink).
    fn exists(&mut self, rel: &str) -> Result<bool, Self::Error>;
    /// Renames `from` over `to`, durably.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Self::Error>;
    /// Sets a directory's mode (if the executor can) and modification time.
    fn finish_dir(&mut self, dir: &DirFinal) -> Result<(), Self::Error>;
    /// Appends `journal` to the run's journal file as its commit, durably: from then on
    /// the tree is not installed, whatever its sentinels say, until [`finish`] is done.
    fn write_commit(&mut self, journal: &Journal) -> Result<(), Self::Error>;
    /// The commit is done: removes the journal file (and those of the interrupted runs
    /// this run finished), durably.
    fn retire(&mut self) -> Result<(), Self::Error>;
}

/// Commits: journals `journal`, then [`finish`]es it.
///
/// # Errors
/// The first failing operation; the journal then stays, and the next run finishes it.
pub fn commit<F: Finisher>(journal: &Journal, f: &mut F) -> Result<(), F::Error> {
    f.write_commit(journal)?;
    finish(journal, f)
}

/// Finishes a journaled commit: each step is done or skipped if already done, so this
/// can run any number of times, interrupted anywhere.
///
/// # Errors
/// The first failing operation; the journal then stays.
pub fn finish<F: Finisher>(journal: &Journal, f: &mut F) -> Result<(), F::Error> {
    for r in &journal.renames {
        // Absent: renamed by an earlier attempt (or removed by the user: nothing to do).
        if f.exists(&r.temporary)? {
            f.rename(&r.temporary, &r.path)?;
        }
    }
    for d in &journal.dirs {
        if f.exists(&d.path)? {
            f.finish_dir(d)?;
        }
    }
    f.retire()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn rename(temporary: &str, path: &str) -> Rename {
        Rename {
            temporary: temporary.into(),
            path: path.into(),
        }
    }

    #[test]
    fn before_commit_undoes_the_renames_that_name_a_path_or_its_directories() {
        let renames = [
            rename(".t.7.wp-includes", "wp-includes"),
            rename("wp-includes/.t.7.version.php", "wp-includes/version.php"),
            rename(".t.9.index.php", "index.php"),
        ];
        for (path, now) in [
            ("wp-includes", ".t.7.wp-includes"),
            ("wp-includes/js", ".t.7.wp-includes/js"),
            ("wp-includes/js/a.js", ".t.7.wp-includes/js/a.js"),
            (
                "wp-includes/version.php",
                ".t.7.wp-includes/.t.7.version.php",
            ),
            ("index.php", ".t.9.index.php"),
            ("wp-includes-old/x", "wp-includes-old/x"),
            ("wp-admin/index.php", "wp-admin/index.php"),
        ] {
            assert_eq!(before_commit(path, &renames), now, "{path}");
            assert_eq!(after_commit(now, &renames), path, "{now}");
        }
    }

    /// Rows: a staged rename, and why a commit must not make it (none: it may).
    #[test]
    fn a_commit_renames_within_one_directory_by_plain_paths() {
        let rows = [
            (".t.index.php", "index.php", None),
            ("wp-admin/.t.a.php", "wp-admin/a.php", None),
            ("../x", "index.php", Some("not a plain relative path")),
            ("/etc/x", "index.php", Some("not a plain relative path")),
            ("x.php", "../x", Some("not a plain relative path")),
            ("", "index.php", Some("not a plain relative path")),
            (
                "wp-admin/x.php",
                "index.php",
                Some("renames across directories"),
            ),
            (
                "x.php",
                "wp-admin/x.php",
                Some("renames across directories"),
            ),
        ];
        for (temporary, path, want) in rows {
            assert_eq!(
                rename(temporary, path).problem(),
                want,
                "{temporary} -> {path}"
            );
        }
    }

    /// A file system as a set of paths, recording every operation.
    #[derive(Default)]
    struct Fake {
        entries: BTreeSet<String>,
        ops: Vec<String>,
        journal: Option<Journal>,
        /// Fail (simulate a crash) at this operation number.
        crash_at: Option<usize>,
    }

    impl Fake {
        fn op(&mut self, what: String) -> Result<(), ()> {
            if self.crash_at == Some(self.ops.len()) {
                return Err(());
            }
            self.ops.push(what);
            Ok(())
        }
    }

    impl Finisher for Fake {
        type Error = ();
        fn exists(&mut self, rel: &str) -> Result<bool, ()> {
            Ok(self.entries.contains(rel))
        }
        fn rename(&mut self, from: &str, to: &str) -> Result<(), ()> {
            self.op(format!("rename {from} {to}"))?;
            self.entries.remove(from);
            self.entries.insert(to.to_owned());
            Ok(())
        }
        fn finish_dir(&mut self, dir: &DirFinal) -> Result<(), ()> {
            self.op(format!("dir {}", dir.path))
        }
        fn write_commit(&mut self, journal: &Journal) -> Result<(), ()> {
            self.op("journal".into())?;
            self.journal = Some(journal.clone());
            Ok(())
        }
        fn retire(&mut self) -> Result<(), ()> {
            self.op("unjournal".into())?;
            self.journal = None;
            Ok(())
        }
    }

    fn journal() -> Journal {
        let dir = |p: &str| DirFinal {
            path: p.into(),
            mode: Some(0o555),
            mtime: Some(Time { secs: 1, nanos: 2 }),
        };
        Journal::new(
            vec![
                Rename {
                    temporary: "wp-includes/.t.version.php".into(),
                    path: "wp-includes/version.php".into(),
                },
                Rename {
                    temporary: ".t.index.php".into(),
                    path: "index.php".into(),
                },
            ],
            vec![
                dir("wp-includes"),
                dir("wp-includes/js/x"),
                dir("wp-includes/js"),
                dir("wp-includes"),
            ],
        )
    }

    fn staged() -> Fake {
        let mut fs = Fake::default();
        for p in ["wp-includes", "wp-includes/js", "wp-includes/js/x"] {
            fs.entries.insert(p.into());
        }
        fs.entries.insert("wp-includes/.t.version.php".into());
        fs.entries.insert(".t.index.php".into());
        fs
    }

    #[test]
    fn dirs_deepest_first_once() {
        let paths: Vec<_> = journal().dirs.into_iter().map(|d| d.path).collect();
        assert_eq!(paths, ["wp-includes/js/x", "wp-includes/js", "wp-includes"]);
    }

    #[test]
    fn commit_order() {
        let mut fs = staged();
        commit(&journal(), &mut fs).unwrap();
        assert_eq!(
            fs.ops,
            [
                "journal",
                "rename wp-includes/.t.version.php wp-includes/version.php",
                "rename .t.index.php index.php",
                "dir wp-includes/js/x",
                "dir wp-includes/js",
                "dir wp-includes",
                "unjournal",
            ]
        );
        assert!(fs.entries.contains("index.php") && fs.journal.is_none());
    }

    /// A crash at every operation, then a finish from the journal on disk (if written),
    /// ends in the same state as an uninterrupted commit.
    #[test]
    fn a_crash_anywhere_is_finished_by_the_next_run() {
        let mut clean = staged();
        commit(&journal(), &mut clean).unwrap();
        for n in 0..7 {
            let mut fs = staged();
            fs.crash_at = Some(n);
            assert!(commit(&journal(), &mut fs).is_err(), "crash at {n}");
            fs.crash_at = None;
            match fs.journal.clone() {
                Some(j) => {
                    finish(&j, &mut fs).unwrap();
                    assert_eq!(fs.entries, clean.entries, "crash at {n}");
                    assert!(fs.journal.is_none());
                }
                // No journal: nothing was renamed, the tree is not installed.
                None => assert_eq!(fs.entries, staged().entries, "crash at {n}"),
            }
        }
    }
}
