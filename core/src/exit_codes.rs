//! The process exit codes of `wp-init` and of the component's own `run` (`wasmtime run`),
//! one table for both:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: installed, already installed, upgraded, up to date, verified clean, or planned |
//! | 1 | `verify` found core files modified, missing or extra |
//! | 2 | usage error or bad input: flags, SOURCE, TARGET, `--user`, an unreadable `$wp_version` |
//! | 3 | refused: a downgrade without `--allow-downgrade`, or another run's lock held too long |
//! | 4 | runtime or I/O failure; running the same command again completes partial work |
//!
//! `wp-init` adds the shell's 127 (not found) and 126 (not executable) when the install
//! succeeded but the command after `--` could not be executed.
//!
//! The README's table says the same in more words; a test (`host/tests/docs.rs`) keeps the
//! two in step.

/// A documented exit code; see the [module](self) for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0: success.
    Success,
    /// 1: `verify` found differences.
    Differences,
    /// 2: bad usage or bad input (flags, SOURCE, TARGET, `--user`, a version file).
    Usage,
    /// 3: refused (a downgrade, a lock timeout).
    Refused,
    /// 4: runtime or I/O failure; running the same command again completes partial work.
    Failure,
}

impl ExitCode {
    /// Every exit code, in order.
    pub const ALL: [ExitCode; 5] = [
        ExitCode::Success,
        ExitCode::Differences,
        ExitCode::Usage,
        ExitCode::Refused,
        ExitCode::Failure,
    ];
}

impl From<ExitCode> for u8 {
    fn from(code: ExitCode) -> u8 {
        match code {
            ExitCode::Success => 0,
            ExitCode::Differences => 1,
            ExitCode::Usage => 2,
            ExitCode::Refused => 3,
            ExitCode::Failure => 4,
        }
    }
}
