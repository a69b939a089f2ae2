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

/// What `verify` says on stderr: a line per path that differs (`target`-joined), then the
/// outcome, naming `target` and `source` as given.
pub fn messages(
    (source, target): (&str, &str),
    (modified, missing, extra): (&[String], &[String], &[String]),
    files_checked: u64,
) -> String {
    let mut out = String::new();
    for (what, list) in [
        ("modified", modified),
        ("missing", missing),
        ("extra", extra),
    ] {
        for path in list {
            out.push_str(&format!("{what}: {}\n", crate::layout::join(target, path)));
        }
    }
    if modified.is_empty() && missing.is_empty() && extra.is_empty() {
        out.push_str(&format!(
            "{target}: core matches {source} ({files_checked} files checked)\n"
        ));
    } else {
        out.push_str(&format!(
            "{target}: core differs from {source}: {} modified, {} missing, {} extra ({files_checked} files checked)\n",
            modified.len(),
            missing.len(),
            extra.len(),
        ));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_each_path_then_the_outcome() {
        let none: &[String] = &[];
        assert_eq!(
            messages(("s", "/t"), (none, none, none), 3),
            "/t: core matches s (3 files checked)\n"
        );
        let m = ["a/b".to_owned()];
        let x = ["x".to_owned(), "y".to_owned()];
        assert_eq!(
            messages(("s", "t"), (&m, none, &x), 4),
            "modified: t/a/b\nextra: t/x\nextra: t/y\n\
             t: core differs from s: 1 modified, 0 missing, 2 extra (4 files checked)\n"
        );
    }
}
