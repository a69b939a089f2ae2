//! The typed interface's entry points, and the install command: validate SOURCE and
//! TARGET, finish what an interrupted run left, decide, copy, configure, commit.

use crate::bindings::exports::wp_init::installer::installer::{
    Error, Guest, InstallStatus, Options, Part, Report, UpgradeOptions, UpgradeReport,
    VerifyOptions, VerifyReport,
};
use crate::fs::Dir;
use crate::run::path_error;
use crate::run::{Run, installed};
use crate::{commit, config, copy, part, upgrade, verify};
use wp_init_core::plan::Scope;

/// The component's implementation of the typed `installer` interface.
pub struct Component;

impl Guest for Component {
    fn install(options: Options) -> Result<Report, Error> {
        install(&options, Vec::new())
    }

    fn install_leaving(options: Options, parts: Vec<Part>) -> Result<Report, Error> {
        if options.dry_run || !options.stage_final {
            return Err(Error::InvalidTarget(path_error(
                options.target,
                "install-leaving needs stage-final and no dry run",
            )));
        }
        install(&options, parts)
    }

    fn install_part(options: Options, part: Part) -> Result<Report, Error> {
        part::install_part(&options, &part)
    }

    fn upgrade(options: Options, upgrade: UpgradeOptions) -> Result<UpgradeReport, Error> {
        upgrade::upgrade(&options, &upgrade)
    }

    fn verify(options: VerifyOptions) -> Result<VerifyReport, Error> {
        verify::verify(&options)
    }
}

/// The install (README: "What `install` does", and `--dry-run`), leaving `leave` to
/// other instances.
pub fn install(options: &Options, leave: Vec<Part>) -> Result<Report, Error> {
    let (mut run, src, tgt) = Run::start(options, leave)?;
    let vars = requested_variables();
    let installed = installed(&mut run, &tgt)?;
    if installed {
        run.report.status = InstallStatus::AlreadyInstalled;
        if run.dry_run {
            run.say(&format!(
                "WordPress found in {} - nothing to copy",
                run.target
            ));
        }
    } else {
        copy_wordpress(&mut run, &src, &tgt)?;
    }
    finish(&mut run, &src, &tgt, vars, !installed)?;
    Ok(run.into_report())
}

/// The `WORDPRESS_*` variable names set (never their values).
pub fn requested_variables() -> Vec<String> {
    let names = wasip2::cli::environment::get_environment()
        .into_iter()
        .map(|(k, _)| k);
    wp_init_core::config::requested_by(names)
}

/// Copies WordPress into a TARGET where it is not installed, with upstream's messages.
pub fn copy_wordpress(run: &mut Run, src: &Dir, tgt: &Dir) -> Result<(), Error> {
    let now = run.real_or_dry("copying now...", "would copy now...");
    run.say(&format!("WordPress not found in {} - {now}", run.target));
    if tgt.entries()?.iter().any(|(n, _)| {
        n != wp_init_core::layout::CONTENT_DIR && !wp_init_core::layout::is_own_name(n)
    }) {
        let anyhow = run.real_or_dry("copying anyhow", "would copy anyhow");
        run.warn(&format!("{} is not empty! ({anyhow})", run.target));
    }
    if !run.dry_run {
        run.open_log(tgt)?;
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
        run.say(&format!(
            "Complete! WordPress has been successfully copied to {}",
            run.target
        ));
        run.report.status = InstallStatus::Copied;
    }
    Ok(())
}

/// The config step, then the commit (unless the caller commits, or this is a plan).
/// `copying`: the copy ran (the config step's plan accounts for it).
pub fn finish(
    run: &mut Run,
    src: &Dir,
    tgt: &Dir,
    vars: Vec<String>,
    copying: bool,
) -> Result<(), Error> {
    config::configure(run, src, tgt, vars, copying)?;
    run.close_log();
    if !run.dry_run && !run.stage_final {
        commit::commit(run, src, tgt)?;
    }
    Ok(())
}
