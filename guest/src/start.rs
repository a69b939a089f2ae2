//! The start of a run: options checked, what interrupted runs left taken over (from the
//! host's `context`, or, with none, from their journals, finishing an interrupted
//! commit), this run's journal begun, their temporaries removed.

use crate::bindings::exports::wp_init::installer::hosted::{Context, Part};
use crate::bindings::exports::wp_init::installer::installer::{Error, Options};
use crate::copy::{clean_leftovers, clean_temps};
use crate::exec::{Executor, Removal};
use crate::fs::Dir;
use crate::journal::Journal;
use crate::run::{Left, Run};
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::core_record;
use wp_init_core::journal::{MAX_JOURNAL_BYTES, Unfinished, journal_nonce, lines};

/// Opens SOURCE and TARGET and starts a run with `ex`, leaving `leave` to other
/// instances (but for their staging directories, temporaries are removed). Returns the
/// run, SOURCE, TARGET and TARGET's root as `ex` holds it.
pub fn start<E: Executor>(
    ex: &E,
    options: &Options,
    context: Option<&Context>,
    leave: Vec<Part>,
) -> Result<(Run, Dir, Dir, E::Dir), Error> {
    let (mut run, src, tgt) = Run::open(options, context, E::TENSE)?;
    run.leave = leave;
    if context.is_none() {
        run.left = recover(ex, &mut run, &tgt)?;
        run.journal = run.real_or_dry(Journal::own(&run.target, run.nonce), Journal::nowhere());
    }
    let root = ex.root(&tgt)?;
    clean_temps(ex, &mut run, &root, "")?;
    for dir in std::mem::take(&mut run.left.leftovers) {
        clean_leftovers(ex, &mut run, &root, &dir)?;
    }
    Ok((run, src, tgt, root))
}

/// With no host around the component: reads the journals interrupted runs left at
/// TARGET's root, finishes the commit of those that got that far, and returns what the
/// others left (a dry run only says what it would finish). A journal file that is not
/// one (not a regular file, unreadable as a journal) is reported and removed. Without
/// the host, nothing tells who wrote a journal: co-tenants are the host's to guard.
fn recover<E: Executor>(ex: &E, run: &mut Run, tgt: &Dir) -> Result<Left, Error> {
    let mut left = Left::default();
    for (name, ty) in tgt.entries()? {
        if name == core_record::NAME {
            read_record(run, tgt, ty);
            continue;
        }
        let Some(nonce) = journal_nonce(&name) else {
            continue;
        };
        let read = if ty == DescriptorType::RegularFile {
            tgt.open_read(&name)
                .and_then(|f| f.read_to_end(MAX_JOURNAL_BYTES))
                .map_err(|e| e.cause())
                .and_then(|bytes| {
                    Unfinished::read(lines(&String::from_utf8_lossy(&bytes)), nonce, None)
                })
        } else {
            Err("not a regular file".to_owned())
        };
        let found = match read {
            Ok(found) => found,
            Err(why) => {
                let done = run.real_or_dry("removed", "would remove");
                run.warn(&format!(
                    "'{}' is not a journal of wp-init's ({why}); not acted on, {done}",
                    run.in_target(&name)
                ));
                if ty != DescriptorType::Directory {
                    ex.remove(tgt, &name, Removal::Entry)?;
                }
                continue;
            }
        };
        if let Some(journal) = &found.commit {
            ex.finish_left(tgt, journal, &name)?;
            let done = run.real_or_dry("Finished", "Would finish");
            run.say(&format!(
                "{done} the install that an interrupted run left unfinished in {}",
                run.target
            ));
            continue;
        }
        left.adopted.extend(found.adopted);
        left.staging.extend(found.staging);
        left.leftovers.extend(found.leftovers);
        left.upgrade = left.upgrade.or(found.upgrade);
        left.journals.push(name);
    }
    Ok(left)
}

/// Takes the record of core at TARGET's root (`ty` its type); one that is not is
/// reported and ignored.
fn read_record(run: &mut Run, tgt: &Dir, ty: DescriptorType) {
    let read = if ty == DescriptorType::RegularFile {
        tgt.open_read(core_record::NAME)
            .and_then(|f| f.read_to_end(MAX_JOURNAL_BYTES))
            .map_err(|e| e.cause())
            .and_then(|bytes| core_record::parse(&String::from_utf8_lossy(&bytes)))
    } else {
        Err("not a regular file".to_owned())
    };
    match read {
        Ok(paths) => run.core_record = Some(paths.into_iter().collect()),
        Err(why) => run.warn(&format!(
            "'{}' is not wp-init's record of core ({why}); ignored",
            run.in_target(core_record::NAME)
        )),
    }
}
