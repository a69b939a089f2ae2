//! Conversions from the component's typed bindings (generated from `wit/installer.wit`)
//! to the library's types: the reports and the error.

use wp_init_core::report::Report;
use wp_init_core::report::upgrade::UpgradeReport;

use crate::component::exports::wp_init::installer::installer as wit;
use crate::{Error, PathError};

/// The install report.
pub(crate) fn report(report: wit::Report) -> Report {
    wp_init_core::report_from_wit!(
        crate::component::exports::wp_init::installer::installer,
        report
    )
}

/// The upgrade report.
pub(crate) fn upgrade_report(report: wit::UpgradeReport) -> UpgradeReport {
    wp_init_core::upgrade_report_from_wit!(
        crate::component::exports::wp_init::installer::installer,
        report
    )
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
            wit::Error::DowngradeRefused(v) => Error::DowngradeRefused {
                from: v.from,
                to: v.to,
            },
            wit::Error::UpgradeUnfinished(u) => Error::UpgradeUnfinished {
                from: u.interrupted.from,
                to: u.interrupted.to,
                source_version: u.source,
            },
        }
    }
}
