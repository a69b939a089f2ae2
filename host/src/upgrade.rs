//! [`Installer::upgrade`]: core brought to SOURCE's version, on the same builder and the
//! same transaction as the install.

use crate::component::exports::wp_init::installer::installer as wit;
use crate::installer::{HostActions, Installer};
use crate::{Error, from_wit, lock};
use wp_init_core::report::upgrade::UpgradeReport;

/// What [`Installer::upgrade`] returns.
#[derive(Debug, Clone)]
pub struct UpgradeOutcome {
    /// The component's report.
    pub report: UpgradeReport,
    /// What the host did around the component.
    pub host: HostActions,
    /// The messages the component printed, when [`Installer::capture_messages`] is on.
    pub messages: Option<String>,
}

impl Installer {
    /// Brings core in TARGET to SOURCE's version, as one transaction like
    /// [`Installer::install_with`]: installs when TARGET is not installed, does nothing
    /// at the same version, and refuses an older SOURCE ([`Error::DowngradeRefused`])
    /// unless `allow_downgrade`. `wp-content/` gains only what it lacks, `wp-admin/`
    /// and `wp-includes/` end identical to SOURCE's, `wp-config.php` is never touched;
    /// `wp-includes/version.php` is committed last, so an interrupted upgrade still
    /// reads as the old version and the next run does it again.
    ///
    /// # Errors
    /// As [`Installer::install_with`], and [`Error::DowngradeRefused`].
    pub fn upgrade_with(
        &self,
        allow_downgrade: bool,
        on_lock: impl FnMut(lock::Event<'_>),
    ) -> Result<UpgradeOutcome, Error> {
        let (report, host, messages) = self.transact(
            on_lock,
            |grants, options, context| {
                self.call_component(grants, grants.target, |inst, store| {
                    inst.wp_init_installer_hosted().call_upgrade(
                        store,
                        options,
                        context,
                        wit::UpgradeOptions { allow_downgrade },
                    )
                })
            },
            from_wit::upgrade_report,
        )?;
        Ok(UpgradeOutcome {
            report,
            host,
            messages,
        })
    }

    /// [`Installer::upgrade_with`], silently waiting for the lock.
    ///
    /// # Errors
    /// As [`Installer::upgrade_with`].
    pub fn upgrade(&self, allow_downgrade: bool) -> Result<UpgradeOutcome, Error> {
        self.upgrade_with(allow_downgrade, |_| {})
    }
}
