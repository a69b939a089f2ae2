//! The install report as the library returns it and `--json` prints it.

use serde::Serialize;

use crate::component::exports::wp_init::installer::installer as wit;
use crate::{Error, PathError};

/// Whether WordPress was copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// `index.php` or `wp-includes/version.php` was already in TARGET: nothing copied.
    AlreadyInstalled,
    /// WordPress was copied into TARGET.
    Copied,
    /// Dry run: WordPress would be copied.
    WouldCopy,
}

/// What happened to `wp-config.php`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigAction {
    /// No `WORDPRESS_*` variable was set.
    NotRequested,
    /// A non-empty `wp-config.php` was already there and left alone.
    KeptExisting,
    /// `wp-config.php` was written from a template.
    Written,
    /// Dry run: `wp-config.php` would be written.
    WouldWrite,
}

/// The config step's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    /// What happened.
    pub action: ConfigAction,
    /// The template used (a path, or `built-in`); empty when none.
    pub template: String,
    /// The sorted `WORDPRESS_*` names seen (never values).
    pub variables: Vec<String>,
}

/// The kind of a created entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
}

/// One entry the install created in TARGET.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    /// Path relative to TARGET.
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Its counterpart relative to SOURCE; empty for `wp-config.php`.
    pub source_path: String,
}

/// The outcome of an install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Whether WordPress was copied.
    pub status: Status,
    /// Regular files copied.
    pub files_copied: u64,
    /// Directories created.
    pub dirs_created: u64,
    /// Symbolic links copied.
    pub symlinks_copied: u64,
    /// Bytes of file content copied.
    pub bytes_copied: u64,
    /// Paths left alone because TARGET already had them.
    pub excluded: Vec<String>,
    /// Leftovers of an interrupted run that were removed.
    pub temporaries_removed: Vec<String>,
    /// The config step.
    pub config: Config,
    /// Every warning printed, in order.
    pub warnings: Vec<String>,
    /// Every entry created in TARGET, parents before children.
    pub created: Vec<Created>,
}

impl From<wit::Report> for Report {
    fn from(r: wit::Report) -> Self {
        Report {
            status: match r.status {
                wit::InstallStatus::AlreadyInstalled => Status::AlreadyInstalled,
                wit::InstallStatus::Copied => Status::Copied,
                wit::InstallStatus::WouldCopy => Status::WouldCopy,
            },
            files_copied: r.files_copied,
            dirs_created: r.dirs_created,
            symlinks_copied: r.symlinks_copied,
            bytes_copied: r.bytes_copied,
            excluded: r.excluded,
            temporaries_removed: r.temporaries_removed,
            config: Config {
                action: match r.config.action {
                    wit::ConfigAction::NotRequested => ConfigAction::NotRequested,
                    wit::ConfigAction::KeptExisting => ConfigAction::KeptExisting,
                    wit::ConfigAction::Written => ConfigAction::Written,
                    wit::ConfigAction::WouldWrite => ConfigAction::WouldWrite,
                },
                template: r.config.template,
                variables: r.config.variables,
            },
            warnings: r.warnings,
            created: r
                .created
                .into_iter()
                .map(|c| Created {
                    path: c.path,
                    kind: match c.kind {
                        wit::EntryKind::File => EntryKind::File,
                        wit::EntryKind::Directory => EntryKind::Directory,
                        wit::EntryKind::Symlink => EntryKind::Symlink,
                    },
                    source_path: c.source_path,
                })
                .collect(),
        }
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        let p = |e: wit::PathError| PathError {
            path: e.path,
            cause: e.cause,
        };
        match e {
            wit::Error::InvalidSource(e) => Error::InvalidSource(p(e)),
            wit::Error::InvalidTarget(e) => Error::InvalidTarget(p(e)),
            wit::Error::UnsafeSymlink(e) => Error::UnsafeSymlink(p(e)),
            wit::Error::Io(e) => Error::Io(p(e)),
            wit::Error::RandomUnavailable(m) => Error::RandomUnavailable(m),
        }
    }
}
