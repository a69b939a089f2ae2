//! [`Installer::verify`]: TARGET's core against SOURCE's, by SHA-256, writing nothing, with
//! the hashing shared by one component instance per core (WIT `hosted.verify`): each walks
//! the whole tree and compares its share of the entries both sides have (balanced by
//! size, `wp_init_core::parts::Shares`); the host merges the
//! shares in the walk's order, so the report and its order do not depend on how many
//! instances ran.

use crate::component::exports::wp_init::installer::hosted::{Share, VerifyShare};
use crate::component::exports::wp_init::installer::installer as wit;
use crate::installer::{Installer, Ran};
use crate::sandbox::Grants;
use crate::{Error, commit, component, lock};
use wp_init_core::report::verify::{VerifyReport, messages};

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
    /// Component instances that shared the hashing.
    pub instances: u64,
    /// The digests an archive or image SOURCE was checked against.
    pub source: crate::SourceDigests,
}

impl Installer {
    /// Compares TARGET's core with SOURCE's by SHA-256, with TARGET granted read-only (an
    /// archive SOURCE is unpacked into a scratch directory inside TARGET first, removed
    /// before the report),
    /// under a shared lock (so that it never sees an upgrade half done; it creates no lock
    /// file, so with none there it runs unlocked: no writer was working when it started),
    /// on [`Installer::instances`] instances.
    ///
    /// # Errors
    /// Bad SOURCE or TARGET, a lock timeout, a read failure, a limit hit.
    pub fn verify_with(
        &self,
        on_lock: impl FnMut(lock::Event<'_>),
    ) -> Result<VerifyOutcome, Error> {
        let spec = self.spec()?;
        let (dir, target) = self.open_for(&spec)?;
        let lock::Acquired {
            lock: _held,
            report: lock_report,
        } = self.lock_target(&target, lock::Access::Shared, on_lock)?;
        let no_mounts = std::collections::BTreeSet::new();
        let opened =
            self.open_source((dir, &spec), &target, commit::nonce(), (false, &no_mounts))?;
        for warning in &opened.warnings {
            crate::stderr::say(&format!("WARNING: {warning}\n"));
        }
        let grants = self.grants(&opened.root, &target, false, &[]);
        let options = wit::VerifyOptions {
            source: self.source.clone(),
            target: self.target.clone(),
        };
        let ran = self.shares(&grants, &options);
        if let Some(scratch) = opened.scratch {
            let removed = scratch.remove(&target);
            if ran.is_ok() {
                removed?;
            }
        }
        let ran = ran?;
        let instances = ran.len() as u64;
        // What the instances printed themselves (nothing, but for a component not ours).
        let printed: Option<String> = ran.iter().map(|r| r.messages.clone()).collect();
        let report = merge(ran.into_iter().map(|r| r.report).collect());
        let text = messages(
            (&self.source, &self.target),
            (&report.modified, &report.missing, &report.extra),
            report.files_checked,
        );
        let messages = match printed {
            Some(printed) => Some(printed + &text),
            None => {
                crate::stderr::say(&text);
                None
            }
        };
        Ok(VerifyOutcome {
            report,
            lock_wait_secs: lock_report.waited_secs,
            lock: lock_report,
            messages,
            instances,
            source: opened.digests,
        })
    }

    /// [`Installer::verify_with`], silently waiting for the lock.
    ///
    /// # Errors
    /// As [`Installer::verify_with`].
    pub fn verify(&self) -> Result<VerifyOutcome, Error> {
        self.verify_with(|_| {})
    }

    /// Runs the shares, the first here and the others on threads of their own.
    fn shares(
        &self,
        grants: &Grants<'_>,
        options: &wit::VerifyOptions,
    ) -> Result<Vec<Ran<VerifyShare>>, Error> {
        let of = u32::try_from(self.instances.max(1)).unwrap_or(u32::MAX);
        let run = |index: u32| -> Result<Ran<VerifyShare>, Error> {
            self.call_component(grants, grants.target, |inst, store| {
                inst.wp_init_installer_hosted()
                    .call_verify(store, options, Share { index, of })
            })
        };
        if of > 1 {
            // Made once, here, before the threads race to make it (as the install's parts).
            component::prepared()?
                .component
                .initialize_copy_on_write_image()
                .map_err(Error::runtime)?;
        }
        let ran = std::thread::scope(|s| {
            let threads: Vec<_> = (1..of).map(|i| s.spawn(move || run(i))).collect();
            let first = run(0);
            let mut all = vec![first];
            for t in threads {
                all.push(t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            all
        });
        ran.into_iter().collect()
    }
}

/// The shares' reports as one: counts added, the modified entries in the walk's order,
/// what is missing or extra from share 0 (the only one that lists them).
fn merge(shares: Vec<VerifyShare>) -> VerifyReport {
    let mut modified: Vec<(u64, String)> = Vec::new();
    let (mut files_checked, mut bytes_hashed) = (0, 0);
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    for (i, share) in shares.into_iter().enumerate() {
        let r = share.report;
        files_checked += r.files_checked;
        bytes_hashed += r.bytes_hashed;
        modified.extend(share.modified_at.into_iter().zip(r.modified));
        if i == 0 {
            (missing, extra) = (r.missing, r.extra);
        }
    }
    modified.sort();
    wp_init_core::verify_report_from_wit!(wit::VerifyReport {
        files_checked,
        bytes_hashed,
        modified: modified.into_iter().map(|(_, path)| path).collect(),
        missing,
        extra,
    })
}
