//! Typed errors of the library and the exit codes they map to.

use std::fmt;

pub use wp_init_core::report::ExitCode;

use crate::lock::LockError;
use crate::owner::OwnerError;
use crate::permissions::PermissionsError;

/// A path and what went wrong with it.
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

/// Why an install failed.
#[derive(Debug, thiserror::Error)]
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
    #[error("refusing to downgrade WordPress {from} to {to} (use --allow-downgrade to force it)")]
    DowngradeRefused {
        /// TARGET's version.
        from: String,
        /// SOURCE's version.
        to: String,
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
    /// The runtime failed to compile, instantiate or run the component.
    #[error("the component failed: {0}")]
    Runtime(String),
    /// The lock on TARGET could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// `--user` (or the root default) did not resolve.
    #[error(transparent)]
    Owner(#[from] OwnerError),
    /// Setting modes or owners on the created entries failed; the install is not complete.
    #[error("setting modes and owners")]
    Permissions(#[from] PermissionsError),
    /// The commit that finishes the install failed; the install is not complete, and
    /// the next run finishes the commit.
    #[error("{0}")]
    Commit(PathError),
}

impl Error {
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
            Error::Lock(LockError::Timeout { .. }) | Error::DowngradeRefused { .. } => {
                ExitCode::Refused
            }
            Error::UnsafeSymlink(_)
            | Error::Io(_)
            | Error::RandomUnavailable(_)
            | Error::MemoryLimit { .. }
            | Error::Timeout { .. }
            | Error::Interrupted { .. }
            | Error::Runtime(_)
            | Error::Lock(_)
            | Error::Permissions(_)
            | Error::Commit(_) => ExitCode::Failure,
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
    }
}
