//! The verify report's JSON shape (the WIT `verify-report`).

use serde::Serialize;

/// The outcome of `verify`; paths are relative to TARGET.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Whether nothing differs.
    pub clean: bool,
    /// Files and symlinks compared.
    pub files_checked: u64,
    /// Bytes hashed, both sides.
    pub bytes_hashed: u64,
    /// Core files whose content or kind differs.
    pub modified: Vec<String>,
    /// Core files TARGET lacks.
    pub missing: Vec<String>,
    /// Files in TARGET's core trees that SOURCE lacks.
    pub extra: Vec<String>,
}

impl VerifyReport {
    /// The exit code of a verify that found this.
    pub fn exit_code(&self) -> super::ExitCode {
        if self.clean {
            super::ExitCode::Success
        } else {
            super::ExitCode::Differences
        }
    }
}

/// Converts a WIT `verify-report` into [`VerifyReport`]; see [`crate::report_from_wit`].
#[macro_export]
macro_rules! verify_report_from_wit {
    ($report:expr) => {{
        let r = $report;
        $crate::report::verify::VerifyReport {
            clean: r.modified.is_empty() && r.missing.is_empty() && r.extra.is_empty(),
            files_checked: r.files_checked,
            bytes_hashed: r.bytes_hashed,
            modified: r.modified,
            missing: r.missing,
            extra: r.extra,
        }
    }};
}
