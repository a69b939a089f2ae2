//! [`Installer::upgrade`] and [`Installer::verify`]: the other two commands, on the same
//! builder and, for `upgrade`, the same transaction as the install.

use crate::component::exports::wp_init::installer::installer as wit;
use crate::installer::{HostActions, Installer};
use crate::{Error, from_wit, lock};
use wp_init_core::report::upgrade::UpgradeReport;
use wp_init_core::report::verify::VerifyReport;

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

/// What [`Installer::verify`] returns.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    /// The component's report; [`VerifyReport::clean`] says whether anything differs.
    pub report: VerifyReport,
    /// Seconds spent waiting for another run's lock on TARGET.
    pub lock_wait_secs: f64,
    /// How TARGET was locked (shared: `verify` writes nothing).
    pub lock: lock::LockReport,
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

    /// Compares TARGET's core with SOURCE's by SHA-256, with TARGET granted read-only,
    /// under a shared lock (so that it never sees an upgrade half done; it creates no lock
    /// file, so with none there it runs unlocked: no writer was working when it started).
    ///
    /// # Errors
    /// Bad SOURCE or TARGET, a lock timeout, a read failure, a limit hit.
    pub fn verify_with(
        &self,
        on_lock: impl FnMut(lock::Event<'_>),
    ) -> Result<VerifyOutcome, Error> {
        let (source, target) = self.open_roots()?;
        let lock::Acquired {
            lock: _held,
            report: lock_report,
        } = self.lock_target(&target, lock::Access::Shared, on_lock)?;
        let grants = self.grants(&source, &target, false, &[]);
        let ran = self.call_component(&grants, &target, |inst, store| {
            let options = wit::VerifyOptions {
                source: self.source.clone(),
                target: self.target.clone(),
            };
            inst.wp_init_installer_installer()
                .call_verify(store, &options)
        })?;
        Ok(VerifyOutcome {
            report: wp_init_core::verify_report_from_wit!(ran.report),
            lock_wait_secs: lock_report.waited_secs,
            lock: lock_report,
            messages: ran.messages,
        })
    }

    /// [`Installer::verify_with`], silently waiting for the lock.
    ///
    /// # Errors
    /// As [`Installer::verify_with`].
    pub fn verify(&self) -> Result<VerifyOutcome, Error> {
        self.verify_with(|_| {})
    }
}
