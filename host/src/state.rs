//! What earlier runs left at TARGET's root, taken only when it is wp-init's own.
//!
//! Whoever can write the docroot (the user PHP runs as) can plant files with wp-init's
//! names. So a journal or the core record is opened relative to TARGET's descriptor with
//! `O_NOFOLLOW|O_NONBLOCK` (a symlink is refused, a fifo never blocks) and acted on only
//! if `fstat` says it is a regular file of this process's user, with one link, not
//! writable by group or others, and within [`MAX_JOURNAL_BYTES`]; a journal must also
//! have the host's mark ([`JOURNAL_MODE`]: the component, which runs as this user too,
//! cannot make it) and name its own nonce and this TARGET's identity (`core::journal`).
//! Anything else is reported by path and never obeyed; a planted file is removed (which
//! its planter could do too), a planted directory left alone.
//!
//! What a journal can still say that its run did not (the component could write to its
//! own): the host changes nothing older than the earliest journal it goes by
//! (`crate::born`).

use std::fs::File;
use std::os::fd::AsFd;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::born::{self, Born, Floor};
use crate::commit::{self, Retired};
use crate::journal::{JOURNAL_MODE, read_text};
use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::journal::{MAX_JOURNAL_BYTES, Unfinished, journal_nonce, lines};
use wp_init_core::layout::OWN_PREFIX;

use wp_init_core::core_record::{self, NAME as CORE_RECORD};
/// Names earlier wp-init versions used; never obeyed now.
const LEGACY: [&str; 2] = [".wp-init-commit", ".wp-init-created."];

/// What earlier runs left, for this run.
#[derive(Default)]
pub(crate) struct Found {
    /// What their unfinished journals say, merged.
    pub left: Unfinished,
    /// Those journals: retired when this run's commit is done.
    pub journals: Vec<Retired>,
    /// The earliest birth among them: entries they name that are older are not theirs.
    pub floor: Floor,
    /// The core record, when it is wp-init's.
    pub core_record: Option<Vec<String>>,
    /// Whether a commit an interrupted run left was finished (or, in a plan, would be).
    pub finished: bool,
    /// What was found and not obeyed, in words.
    pub notes: Vec<String>,
}

/// TARGET's identity, as journals name it: its inode number. Not its device number too:
/// NFS clients number their mounts each their own way, and a journal must be finished by
/// whichever node runs next. The inode is enough against a journal moved in from another
/// directory: a move is a rename, within one file system, where inode numbers are unique
/// (a copy is its copier's file, which is refused anyway).
pub(crate) fn identity(target: &Root) -> Result<String, Error> {
    let st = rustix::fs::fstat(target.fd()).map_err(|e| {
        Error::InvalidTarget(PathError {
            path: target.given.clone(),
            cause: std::io::Error::from(e).to_string(),
        })
    })?;
    Ok(st.st_ino.to_string())
}

/// Looks at what earlier runs left at TARGET's root: finishes the commits they got to
/// (not in a plan), and gathers what the others left, and the core record.
pub(crate) fn scan(target: &Root, id: &str, plan: bool) -> Result<Found, Error> {
    let mut found = Found::default();
    let mut journals = Vec::new();
    for name in own_names(target)? {
        if let Some(nonce) = journal_nonce(&name) {
            if let Some(taken) = journal(target, id, plan, &name, nonce, &mut found)? {
                journals.push(taken);
            }
        } else if name == CORE_RECORD {
            match open_trusted(target, &name, false, false)?
                .and_then(|f| read_record(&f, target, &name))
            {
                Ok(record) => found.core_record = Some(record),
                Err(why) => found.notes.push(format!(
                    "'{}' is not wp-init's record of core ({why}); ignored",
                    target.path_of(&name).display()
                )),
            }
        } else if LEGACY.iter().any(|l| name.starts_with(l)) {
            refuse(
                target,
                &name,
                "left by an older wp-init, or not by wp-init",
                plan,
                &mut found,
            )?;
        }
    }
    // A commit names entries of its run and of the runs it took over, whose journals
    // stay until its own is retired (`commit::pass_then_commit`): the floor is theirs.
    let all = journals
        .iter()
        .fold(Floor::Open, |f, (_, _, born)| f.with(*born));
    for (retired, unfinished, born) in journals {
        match unfinished.commit {
            Some(journal) => {
                found.finished = true;
                if !plan {
                    commit::finish_left(target, &journal, retired, all.born())?;
                }
            }
            None => {
                let left = &mut found.left;
                left.adopted.extend(unfinished.adopted);
                left.leftovers.extend(unfinished.leftovers);
                left.staging.extend(unfinished.staging);
                left.upgrade = left.upgrade.take().or(unfinished.upgrade);
                found.floor = found.floor.with(born);
                found.journals.push(retired);
            }
        }
    }
    Ok(found)
}

/// One journal: what it says, or refused (`None`).
fn journal(
    target: &Root,
    id: &str,
    plan: bool,
    name: &str,
    nonce: u64,
    found: &mut Found,
) -> Result<Option<(Retired, Unfinished, Option<Born>)>, Error> {
    let read = open_trusted(target, name, !plan, true)?.and_then(|file| {
        let text = read_text(&file, &target.path_of(name).display().to_string())
            .map_err(|e| e.to_string())?;
        Unfinished::read(lines(&text), nonce, Some(id)).map(|u| (file, u))
    });
    let (file, unfinished) = match read {
        Ok(taken) => taken,
        Err(why) => return refuse(target, name, &why, plan, found).map(|()| None),
    };
    let born = born::facts(&file).ok().and_then(|f| f.born);
    let retired = Retired {
        name: name.to_owned(),
        file,
    };
    Ok(Some((retired, unfinished, born)))
}

/// Reports `name` as not wp-init's, and removes it unless it is a directory (or this is a
/// plan).
fn refuse(
    target: &Root,
    name: &str,
    why: &str,
    plan: bool,
    found: &mut Found,
) -> Result<(), Error> {
    let shown = target.path_of(name).display().to_string();
    let dir = rustix::fs::statat(target.fd(), name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory);
    let done = match (dir, plan) {
        (true, _) => "left alone (remove it if it is not yours)",
        (false, true) => "would be removed",
        (false, false) => {
            rustix::fs::unlinkat(target.fd(), name, AtFlags::empty()).map_err(|e| {
                Error::Io(PathError {
                    path: shown.clone(),
                    cause: format!("removing it: {}", std::io::Error::from(e)),
                })
            })?;
            "removed"
        }
    };
    found.notes.push(format!(
        "'{shown}' is not wp-init's own state ({why}); not acted on, {done}"
    ));
    Ok(())
}

/// The names at TARGET's root with wp-init's prefix.
pub(crate) fn own_names(target: &Root) -> Result<Vec<String>, Error> {
    let fail = |e: Errno| {
        Error::Io(PathError {
            path: target.given.clone(),
            cause: format!("listing the directory: {}", std::io::Error::from(e)),
        })
    };
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(target.fd()).map_err(fail)? {
        let name = entry
            .map_err(fail)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.starts_with(OWN_PREFIX) {
            names.push(name);
        }
    }
    Ok(names)
}

/// Opens `name` at TARGET's root if it is a file wp-init would have made: `Ok(Err(why))`
/// when it is not. `write`: opened read-write, to be retired later. `journal`: it must
/// have the host's mark.
pub(crate) fn open_trusted(
    target: &Root,
    name: &str,
    write: bool,
    journal: bool,
) -> Result<Result<File, String>, Error> {
    let access = if write { OFlags::RDWR } else { OFlags::RDONLY };
    let flags = access | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = match rustix::fs::openat(target.fd(), name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::LOOP) => return Ok(Err("a symlink".into())),
        Err(Errno::ISDIR) => return Ok(Err("a directory".into())),
        Err(Errno::NOENT) => return Ok(Err("gone".into())),
        Err(e) => {
            return Err(Error::Io(PathError {
                path: target.path_of(name).display().to_string(),
                cause: format!("opening it: {}", std::io::Error::from(e)),
            }));
        }
    };
    let st = rustix::fs::fstat(fd.as_fd()).map_err(|e| {
        Error::Io(PathError {
            path: target.path_of(name).display().to_string(),
            cause: format!("examining it: {}", std::io::Error::from(e)),
        })
    })?;
    let me = rustix::process::geteuid().as_raw();
    let why = match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile if st.st_uid != me => Some(format!(
            "owned by uid {}, not by this user (uid {me})",
            st.st_uid
        )),
        FileType::RegularFile if st.st_mode & 0o022 != 0 => Some(format!(
            "writable by others (mode {:04o})",
            st.st_mode & 0o7777
        )),
        FileType::RegularFile if st.st_nlink != 1 => Some(format!("{} hard links", st.st_nlink)),
        FileType::RegularFile if st.st_size as u64 > MAX_JOURNAL_BYTES => Some(format!(
            "{} bytes, more than wp-init ever writes",
            st.st_size
        )),
        FileType::RegularFile if journal && st.st_mode & 0o7777 != JOURNAL_MODE => Some(format!(
            "mode {:04o}, not the {JOURNAL_MODE:04o} of the host's journals",
            st.st_mode & 0o7777
        )),
        FileType::RegularFile => None,
        other => Some(format!("not a regular file ({other:?})")),
    };
    Ok(match why {
        None => Ok(File::from(fd)),
        Some(why) => Err(why),
    })
}

/// The paths of a core record.
fn read_record(file: &File, target: &Root, name: &str) -> Result<Vec<String>, String> {
    let text =
        read_text(file, &target.path_of(name).display().to_string()).map_err(|e| e.to_string())?;
    core_record::parse(&text)
}
