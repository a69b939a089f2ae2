//! The `wp-config.php` step, as upstream: when TARGET's `wp-config.php` is missing, empty
//! or a dangling symlink and a `WORDPRESS_*` variable is set, render a template (TARGET's
//! `wp-config-docker.php`, else SOURCE's, else the built-in one) with fresh salts and
//! stage it for the commit.

use crate::bindings::exports::wp_init::installer::installer::{ConfigAction, EntryKind, Error};
use crate::exec::Executor;
use crate::fs::{Dir, FsError, Presence};
use crate::grant::path_error;
use crate::run::Run;
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::config::{
    BUILTIN_TEMPLATE, CONFIG_FILE, DOCKER_TEMPLATE, Found, Step, found, render, salt, step,
};

/// Largest template read (the official one is about 5 KiB).
const TEMPLATE_CAP: u64 = 1024 * 1024;

/// Looks at `name` in `dir`, following symlinks.
fn look(dir: &Dir, name: &str) -> Result<Found, FsError> {
    Ok(match dir.presence(name)? {
        Presence::Absent => Found::Nothing,
        Presence::Present(st) => found(
            st.type_ == DescriptorType::Directory,
            st.type_ == DescriptorType::RegularFile,
            st.size,
        ),
        Presence::Unseen => Found::Unseen,
    })
}

/// Where the template comes from.
enum Template<'a> {
    In(&'a Dir),
    Builtin,
}

/// The config step. `copying` says whether the copy step ran (or, planned, would run):
/// TARGET then holds what SOURCE has where it had nothing, and the step sees it so.
pub fn configure<E: Executor>(
    ex: &E,
    run: &mut Run,
    (src, tgt): (&Dir, &Dir),
    vars: Vec<String>,
    copying: bool,
) -> Result<(), Error> {
    if vars.is_empty() {
        run.report.config.action = ConfigAction::NotRequested;
        return Ok(());
    }
    let names = vars.join(" ");
    run.report.config.variables = vars;

    let mut existing = look(tgt, CONFIG_FILE)?;
    if copying && existing == Found::Nothing && look(src, CONFIG_FILE)? != Found::Nothing {
        existing = Found::SomethingElse;
    }
    if let Step::Keep { unseen } = step(true, existing) {
        if unseen {
            run.warn(&format!(
                "'{}' is a symlink leading out of {}; wp-init cannot tell whether it is a config, so it writes none",
                run.in_target(CONFIG_FILE),
                run.target
            ));
        }
        run.report.config.action = ConfigAction::KeptExisting;
        return Ok(());
    }

    let (shown, template) = if look(tgt, DOCKER_TEMPLATE)? == Found::NonEmptyFile {
        (run.in_target(DOCKER_TEMPLATE), Template::In(tgt))
    } else if look(src, DOCKER_TEMPLATE)? == Found::NonEmptyFile {
        // The copy brings it into TARGET, unless TARGET's was in the way.
        let name = if copying {
            run.in_target(DOCKER_TEMPLATE)
        } else {
            run.in_source(DOCKER_TEMPLATE)
        };
        (name, Template::In(src))
    } else {
        ("built-in".to_owned(), Template::Builtin)
    };
    let copying_word = run.real_or_dry("copying", "would copy");
    run.say(&format!(
        "No '{CONFIG_FILE}' found in {}, but 'WORDPRESS_...' variables supplied; {copying_word} '{shown}' ({names})",
        run.target
    ));
    run.report.config.template = shown;

    let mut content = || {
        let text = match template {
            Template::In(dir) => read_template(dir)?,
            Template::Builtin => BUILTIN_TEMPLATE.to_owned(),
        };
        let rendered = render(&text, &mut || salt(&mut fill_random)).map_err(|()| {
            Error::RandomUnavailable(
                "the runtime returned fewer random bytes than requested".to_owned(),
            )
        })?;
        Ok(rendered.into_bytes())
    };
    // Staged under a temporary name, renamed over the final name by the commit (replacing
    // an empty file or a dangling symlink rather than writing through it). The host runs
    // the component under a private umask: the salts are never readable by others.
    if let Some(rename) = ex.stage_new(run, tgt, CONFIG_FILE, &mut content)? {
        run.staged.push(rename);
    }
    run.report.config.action = run.real_or_dry(ConfigAction::Written, ConfigAction::WouldWrite);
    run.created(CONFIG_FILE, EntryKind::File, "")?;
    Ok(())
}

/// Fills `buf` from `wasi:random`; fails if the runtime returns fewer bytes.
fn fill_random(buf: &mut [u8]) -> Result<(), ()> {
    let bytes = wasip2::random::random::get_random_bytes(buf.len() as u64);
    if bytes.len() != buf.len() {
        return Err(());
    }
    buf.copy_from_slice(&bytes);
    Ok(())
}

/// Reads `wp-config-docker.php` from `dir` (following symlinks, as upstream's `awk`).
fn read_template(dir: &Dir) -> Result<String, Error> {
    let file = dir.open_read_following(DOCKER_TEMPLATE)?;
    let bytes = file.read_to_end(TEMPLATE_CAP)?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Io(path_error(dir.path_of(DOCKER_TEMPLATE), "not UTF-8 text")))
}
