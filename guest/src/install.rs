//! The install command: validate SOURCE and TARGET, finish what an interrupted run
//! left, decide, copy, configure, commit.

use crate::bindings::exports::wp_init::installer::hosted::{Context, Part, StagedEntry};
use crate::bindings::exports::wp_init::installer::installer::{
    Error, InstallStatus, Options, Report,
};
use crate::config;
use crate::exec::Executor;
use crate::fs::Dir;
use crate::populate::populate;
use crate::run::{Run, installed};
use crate::start::start;
use wp_init_core::plan::Scope;
use wp_init_core::report::messages;

/// The install (README: "What `install` does", and `--dry-run`) with `ex`, leaving
/// `leave` to other instances; hosted (`context`), the staged files are returned for
/// the host's commit.
pub fn install<E: Executor>(
    ex: &E,
    options: &Options,
    context: Option<&Context>,
    leave: Vec<Part>,
) -> Result<(Report, Vec<StagedEntry>), Error> {
    let (mut run, src, tgt, root) = start(ex, options, context, leave)?;
    let vars = requested_variables();
    let installed = installed(&run, &tgt)?;
    if installed {
        run.report.status = InstallStatus::AlreadyInstalled;
        // Upstream's install is silent then.
        let nothing = format!("WordPress found in {} - nothing to copy", run.target);
        run.say_in_plan(&nothing);
        if let Some((from, to)) = &run.left.upgrade {
            run.warn(&format!(
                "an interrupted upgrade from WordPress {from} to {to} left core half-replaced in {}; run `wp-init upgrade` with WordPress {to} to finish it",
                run.target
            ));
        }
    } else {
        copy_wordpress(ex, &mut run, (&src, &tgt, &root))?;
    }
    let complete =
        (run.report.status == InstallStatus::Copied).then(|| messages::copied(&run.target));
    finish(ex, &mut run, (&src, &tgt), (vars, !installed), complete)?;
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
/// (but for the last one, printed once the commit is done; a plan prints its own).
pub fn copy_wordpress<E: Executor>(
    ex: &E,
    run: &mut Run,
    (src, tgt, root): (&Dir, &Dir, &E::Dir),
) -> Result<(), Error> {
    let now = run.real_or_dry("copying now...", "would copy now...");
    run.say(&format!("WordPress not found in {} - {now}", run.target));
    if tgt.entries()?.iter().any(|(n, _)| {
        n != wp_init_core::layout::CONTENT_DIR && !wp_init_core::layout::is_own_name(n)
    }) {
        let anyhow = run.real_or_dry("copying anyhow", "would copy anyhow");
        run.warn(&format!("{} is not empty! ({anyhow})", run.target));
    }
    populate(ex, run, (src, tgt, root), Scope::Install)?;
    let r = &run.report;
    let planned = format!(
        "Complete! WordPress would be copied to {} ({} files, {} bytes, {} directories, {} symlinks)",
        run.target, r.files_copied, r.bytes_copied, r.dirs_created, r.symlinks_copied
    );
    run.say_in_plan(&planned);
    run.report.status = run.real_or_dry(InstallStatus::Copied, InstallStatus::WouldCopy);
    Ok(())
}

/// The config step, then, when no host commits, the executor's commit and the
/// `complete` message (a host prints it after its own commit). `copying`: the copy step
/// ran.
pub fn finish<E: Executor>(
    ex: &E,
    run: &mut Run,
    (src, tgt): (&Dir, &Dir),
    (vars, copying): (Vec<String>, bool),
    complete: Option<String>,
) -> Result<(), Error> {
    config::configure(ex, run, (src, tgt), vars, copying)?;
    run.flush()?;
    if !run.hosted {
        ex.commit(run, src, tgt, complete)?;
    }
    Ok(())
}
