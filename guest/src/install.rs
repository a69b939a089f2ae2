//! The typed interface's entry points, and the install command: validate SOURCE and
//! TARGET, finish what an interrupted run left, decide, copy, configure, commit.

use crate::bindings::exports::wp_init::installer::hosted::{self, Context, Part, StagedEntry};
use crate::bindings::exports::wp_init::installer::installer::{
    self, Error, InstallStatus, Options, Report, UpgradeOptions, UpgradeReport, VerifyOptions,
    VerifyReport,
};
use crate::fs::Dir;
use crate::run::{Run, installed, path_error};
use crate::{commit, config, copy, part, upgrade, verify};
use wp_init_core::plan::Scope;
use wp_init_core::report::messages;

/// The component's implementation of both interfaces.
pub struct Component;

impl installer::Guest for Component {
    fn install(options: Options) -> Result<Report, Error> {
        install(&options, None, Vec::new()).map(|(r, _)| r)
    }

    fn upgrade(options: Options, upgrade: UpgradeOptions) -> Result<UpgradeReport, Error> {
        upgrade::upgrade(&options, None, &upgrade).map(|(r, _)| r)
    }

    fn verify(options: VerifyOptions) -> Result<VerifyReport, Error> {
        verify::verify(&options)
    }
}

impl hosted::Guest for Component {
    fn install(
        options: Options,
        context: Context,
        parts: Vec<Part>,
    ) -> Result<(Report, Vec<StagedEntry>), Error> {
        if options.dry_run && !parts.is_empty() {
            return Err(Error::InvalidTarget(path_error(
                options.target,
                "an install in parts is not for a dry run",
            )));
        }
        install(&options, Some(&context), parts)
    }

    fn install_part(
        options: Options,
        context: Context,
        part: Part,
    ) -> Result<(Report, Vec<StagedEntry>), Error> {
        part::install_part(&options, &context, &part)
    }

    fn upgrade(
        options: Options,
        context: Context,
        upgrade: UpgradeOptions,
    ) -> Result<(UpgradeReport, Vec<StagedEntry>), Error> {
        upgrade::upgrade(&options, Some(&context), &upgrade)
    }
}

/// The install (README: "What `install` does", and `--dry-run`), leaving `leave` to
/// other instances; hosted (`context`), the staged files are returned for the host's
/// commit.
pub fn install(
    options: &Options,
    context: Option<&Context>,
    leave: Vec<Part>,
) -> Result<(Report, Vec<StagedEntry>), Error> {
    let (mut run, src, tgt) = Run::start(options, context, leave)?;
    let vars = requested_variables();
    let installed = installed(&run, &tgt)?;
    if installed {
        run.report.status = InstallStatus::AlreadyInstalled;
        if run.dry_run {
            run.say(&format!(
                "WordPress found in {} - nothing to copy",
                run.target
            ));
        }
        if let Some((from, to)) = &run.left.upgrade {
            run.warn(&format!(
                "an interrupted upgrade from WordPress {from} to {to} left core half-replaced in {}; run `wp-init upgrade` with WordPress {to} to finish it",
                run.target
            ));
        }
    } else {
        copy_wordpress(&mut run, &src, &tgt)?;
    }
    let complete =
        (run.report.status == InstallStatus::Copied).then(|| messages::copied(&run.target));
    finish(&mut run, &src, &tgt, vars, !installed, complete)?;
    let staged = staged_entries(&mut run);
    Ok((run.into_report(), staged))
}

/// The staged files, for the host's commit.
pub fn staged_entries(run: &mut Run) -> Vec<StagedEntry> {
    std::mem::take(&mut run.staged)
        .into_iter()
        .map(|r| StagedEntry {
            temporary: r.temporary,
            path: r.path,
        })
        .collect()
}

/// The `WORDPRESS_*` variable names set (never their values).
pub fn requested_variables() -> Vec<String> {
    let names = wasip2::cli::environment::get_environment()
        .into_iter()
        .map(|(k, _)| k);
    wp_init_core::config::requested_by(names)
}

/// Copies WordPress into a TARGET where it is not installed, with upstream's messages
/// (but for the last one, printed once the commit is done).
pub fn copy_wordpress(run: &mut Run, src: &Dir, tgt: &Dir) -> Result<(), Error> {
    let now = run.real_or_dry("copying now...", "would copy now...");
    run.say(&format!("WordPress not found in {} - {now}", run.target));
    if tgt.entries()?.iter().any(|(n, _)| {
        n != wp_init_core::layout::CONTENT_DIR && !wp_init_core::layout::is_own_name(n)
    }) {
        let anyhow = run.real_or_dry("copying anyhow", "would copy anyhow");
        run.warn(&format!("{} is not empty! ({anyhow})", run.target));
    }
    copy::populate(run, src, tgt, Scope::Install)?;
    if run.dry_run {
        let r = &run.report;
        run.say(&format!(
            "Complete! WordPress would be copied to {} ({} files, {} bytes, {} directories, {} symlinks)",
            run.target, r.files_copied, r.bytes_copied, r.dirs_created, r.symlinks_copied
        ));
        run.report.status = InstallStatus::WouldCopy;
    } else {
        run.report.status = InstallStatus::Copied;
    }
    Ok(())
}

/// The config step, then, when no host commits, the commit and the `complete` message
/// (a host prints it after its own commit; a plan has printed its own).
pub fn finish(
    run: &mut Run,
    src: &Dir,
    tgt: &Dir,
    vars: Vec<String>,
    copying: bool,
    complete: Option<String>,
) -> Result<(), Error> {
    config::configure(run, src, tgt, vars, copying)?;
    run.flush()?;
    if !run.dry_run && !run.hosted {
        commit::commit(run, src, tgt)?;
        if let Some(line) = complete {
            run.say(&line);
        }
    }
    Ok(())
}
