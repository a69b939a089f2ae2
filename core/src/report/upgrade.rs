//! The upgrade report's JSON shape (the WIT `upgrade-report`).

use serde::Serialize;

use super::Report;

/// What an upgrade did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeStatus {
    /// TARGET was not installed: WordPress was installed.
    Installed,
    /// TARGET already had SOURCE's version.
    UpToDate,
    /// Core was replaced by a newer version.
    Upgraded,
    /// Core was replaced by an older version (allowed).
    Downgraded,
    /// Dry run: WordPress would be installed.
    WouldInstall,
    /// Dry run: core would be upgraded.
    WouldUpgrade,
    /// Dry run: core would be downgraded.
    WouldDowngrade,
}

/// The outcome of an upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradeReport {
    /// What happened.
    pub status: UpgradeStatus,
    /// TARGET's `$wp_version` before; `null` when it was not installed.
    pub from: Option<String>,
    /// SOURCE's `$wp_version`.
    pub to: String,
    /// TARGET's `$wp_db_version` before.
    pub db_version_from: Option<u64>,
    /// SOURCE's `$wp_db_version`.
    pub db_version_to: Option<u64>,
    /// Files and symlinks replaced, relative to TARGET.
    pub replaced: Vec<String>,
    /// Files and symlinks added.
    pub added: Vec<String>,
    /// Entries removed from `wp-admin/` and `wp-includes/`, children first.
    pub removed: Vec<String>,
    /// Entries of `wp-admin/` and `wp-includes/` that SOURCE lacks, kept: not known to be
    /// core (a user's files), or a volume mounted there.
    pub kept: Vec<String>,
    /// The copy's report.
    pub install: Report,
}

/// Converts a WIT `upgrade-report` into [`UpgradeReport`]; see [`crate::report_from_wit`].
#[macro_export]
macro_rules! upgrade_report_from_wit {
    ($($wit:ident)::+, $report:expr) => {{
        use $crate::report::upgrade as json;
        let r = $report;
        json::UpgradeReport {
            status: match r.status {
                $($wit)::+::UpgradeStatus::Installed => json::UpgradeStatus::Installed,
                $($wit)::+::UpgradeStatus::UpToDate => json::UpgradeStatus::UpToDate,
                $($wit)::+::UpgradeStatus::Upgraded => json::UpgradeStatus::Upgraded,
                $($wit)::+::UpgradeStatus::Downgraded => json::UpgradeStatus::Downgraded,
                $($wit)::+::UpgradeStatus::WouldInstall => json::UpgradeStatus::WouldInstall,
                $($wit)::+::UpgradeStatus::WouldUpgrade => json::UpgradeStatus::WouldUpgrade,
                $($wit)::+::UpgradeStatus::WouldDowngrade => json::UpgradeStatus::WouldDowngrade,
            },
            from: r.from,
            to: r.to,
            db_version_from: r.db_version_from,
            db_version_to: r.db_version_to,
            replaced: r.replaced,
            added: r.added,
            removed: r.removed,
            kept: r.kept,
            install: $crate::report_from_wit!($($wit)::+, r.install),
        }
    }};
}
