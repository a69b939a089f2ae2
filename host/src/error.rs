//! Typed errors of the library and the exit codes they map to.

use std::fmt;

pub use wp_init_core::report::ExitCode;
use wp_init_core::report::messages;

use crate::lock::LockError;
use crate::owner::OwnerError;
use crate::permissions::PermissionsError;

/// A path and what went wrong with it.
///
/// The cause is text: the component's errors cross the WIT boundary as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The path, as the user gave it (SOURCE or TARGET joined with the entry).
    pub path: String,
    /// The cause, in words.
    pub cause: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.cause)
    }
}

/// Why a run failed.
///
/// Each error names the path (where there is one) and the cause once: in its message, or,
/// when the cause is an error of its own (the runtime's, the system's), as its
/// [`source`](std::error::Error::source). Print the chain to show both, as the CLI does
/// (`{:#}` of an `anyhow::Error`). More variants may come in a minor version.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SOURCE is missing, not a directory, or not a WordPress tree.
    #[error("invalid SOURCE {0}")]
    InvalidSource(PathError),
    /// TARGET is missing or not a directory.
    #[error("invalid TARGET {0}")]
    InvalidTarget(PathError),
    /// Bad options (for example TARGET inside SOURCE).
    #[error("{0}")]
    Usage(String),
    /// SOURCE holds a symlink that cannot be recreated safely.
    #[error("unsafe symlink {0}")]
    UnsafeSymlink(PathError),
    /// Reading or writing failed inside the component.
    #[error("{0}")]
    Io(PathError),
    /// The runtime gave the component no random bytes for the salts.
    #[error("no random bytes available: {0}")]
    RandomUnavailable(String),
    /// `upgrade`: SOURCE's WordPress is older than TARGET's; nothing was changed.
    #[error("{}", messages::downgrade_refused(from, to))]
    DowngradeRefused {
        /// TARGET's version.
        from: String,
        /// SOURCE's version.
        to: String,
    },
    /// `upgrade`: an interrupted upgrade from `from` to `to` left core half-replaced and
    /// SOURCE holds neither; nothing was changed.
    #[error("{}", messages::upgrade_unfinished(from, to, source_version))]
    UpgradeUnfinished {
        /// The version the interrupted upgrade started from.
        from: String,
        /// The version it was bringing.
        to: String,
        /// SOURCE's version.
        source_version: String,
    },
    /// The component needed more memory than allowed.
    #[error(
        "the component hit its memory limit of {limit} bytes (raise it with --memory-limit); run again to complete the install"
    )]
    MemoryLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// The component ran longer than allowed.
    #[error(
        "the component hit its time limit of {secs} s (raise it with --timeout); run again to complete the install"
    )]
    Timeout {
        /// The limit in seconds.
        secs: f64,
    },
    /// A stop was asked for ([`crate::interrupt::request`]: the CLI's SIGTERM or SIGINT)
    /// while the component ran on TARGET; like a kill at that instant, it leaves what
    /// the next run completes.
    #[error(
        "{target}: interrupted by {} while the component ran; run again to complete the work",
        crate::interrupt::signal_name(*signal)
    )]
    Interrupted {
        /// TARGET, as given.
        target: String,
        /// The signal that asked for the stop.
        signal: i32,
    },
    /// The runtime failed to load, instantiate or run the component; the source is the
    /// runtime's error, with its own causes.
    #[error("the component failed")]
    Runtime(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The lock on TARGET could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// `--user` (or the root default) did not resolve.
    #[error(transparent)]
    Owner(#[from] OwnerError),
    /// Setting modes or owners on the created entries failed; the install is not complete.
    #[error("setting modes and owners")]
    Permissions(#[from] PermissionsError),
    /// An archive SOURCE was refused (an entry the component would not unpack, a digest
    /// that does not match, no WordPress where `--source-path` says); nothing was
    /// installed, and nothing of it is left in TARGET.
    #[error("invalid archive {archive}: {}{cause}", if entry.is_empty() { String::new() } else { format!("{entry}: ") })]
    Archive {
        /// The archive, as given.
        archive: String,
        /// The entry at fault as named in the archive; empty for the archive as a whole.
        entry: String,
        /// What is wrong.
        cause: String,
    },
    /// The commit that finishes the install failed; the install is not complete, and
    /// the next run finishes the commit.
    #[error("{0}")]
    Commit(PathError),
    /// SOURCE could not be fetched (a download, a registry, an OCI layout) or a digest did
    /// not match; nothing was unpacked.
    #[error("cannot fetch {0}")]
    Fetch(PathError),
}

impl Error {
    /// A failure of the runtime, its causes kept.
    pub(crate) fn runtime(e: wasmtime::Error) -> Error {
        Error::Runtime(e.into_boxed_dyn_error())
    }

    /// The exit code this error maps to.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            // The user database could not be read: a failure of the system, not of the input.
            Error::Owner(OwnerError::Lookup { .. }) => ExitCode::Failure,
            Error::Owner(OwnerError::NoDefault(inner))
                if matches!(**inner, OwnerError::Lookup { .. }) =>
            {
                ExitCode::Failure
            }
            Error::InvalidSource(_)
            | Error::InvalidTarget(_)
            | Error::Usage(_)
            | Error::Owner(_) => ExitCode::Usage,
            Error::Lock(LockError::Timeout { .. })
            | Error::DowngradeRefused { .. }
            | Error::UpgradeUnfinished { .. } => ExitCode::Refused,
            Error::UnsafeSymlink(_)
            | Error::Io(_)
            | Error::RandomUnavailable(_)
            | Error::MemoryLimit { .. }
            | Error::Timeout { .. }
            | Error::Interrupted { .. }
            | Error::Runtime(_)
            | Error::Lock(_)
            | Error::Permissions(_)
            | Error::Archive { .. }
            | Error::Commit(_)
            | Error::Fetch(_) => ExitCode::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let p = || PathError {
            path: "/x".into(),
            cause: "c".into(),
        };
        assert_eq!(u8::from(ExitCode::Success), 0);
        assert_eq!(u8::from(Error::InvalidSource(p()).exit_code()), 2);
        assert_eq!(u8::from(Error::InvalidTarget(p()).exit_code()), 2);
        assert_eq!(u8::from(Error::Usage("u".into()).exit_code()), 2);
        assert_eq!(u8::from(ExitCode::Refused), 3);
        let refused = Error::DowngradeRefused {
            from: "6.8".into(),
            to: "6.1".into(),
        };
        assert_eq!(u8::from(refused.exit_code()), 3);
        assert_eq!(u8::from(Error::Io(p()).exit_code()), 4);
        assert_eq!(u8::from(Error::UnsafeSymlink(p()).exit_code()), 4);
        assert_eq!(u8::from(Error::Timeout { secs: 1.0 }.exit_code()), 4);
        assert_eq!(Error::Io(p()).to_string(), "/x: c");
        assert_eq!(u8::from(Error::Fetch(p()).exit_code()), 4);
        assert_eq!(Error::Fetch(p()).to_string(), "cannot fetch /x: c");
    }

    /// The message and its causes, as the CLI prints them.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut out = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            out = format!("{out}: {c}");
            cause = c.source();
        }
        out
    }

    #[test]
    fn causes_are_sources_named_once() {
        let inner = wasmtime::Error::msg("out of fuel").context("calling install");
        let e = Error::runtime(inner);
        assert_eq!(e.to_string(), "the component failed");
        assert_eq!(
            chain(&e),
            "the component failed: calling install: out of fuel"
        );
        assert_eq!(u8::from(e.exit_code()), 4);

        let lookup = OwnerError::Lookup {
            name: "www-data".into(),
            source: nix::Error::ENOENT,
        };
        let e = Error::Owner(OwnerError::NoDefault(Box::new(lookup)));
        let text = chain(&e);
        assert_eq!(text.matches("www-data:www-data").count(), 1, "{text}");
        assert!(
            text.ends_with(&format!(": {}", nix::Error::ENOENT)),
            "{text}"
        );
        assert_eq!(u8::from(e.exit_code()), 4);
    }
}
