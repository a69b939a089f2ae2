//! The installed test and the no-op: whether `install` has nothing to do. The component
//! decides with these functions as it runs; the host asks the same ones first, from what
//! it sees without the component, and skips the component when they say "nothing to do".

use crate::config::{Found, Step, step};
use crate::core_record;
use crate::layout::{SENTINELS, is_own_name};

/// What a look at a sentinel, following symlinks (the shell's `-e`), found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Nothing there, or a dangling symlink.
    Absent,
    /// Something there.
    Present,
    /// Behind a symlink that leads out of TARGET: wp-init cannot tell.
    Unseen,
}

/// The installed test's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// A sentinel is there.
    Yes,
    /// Neither is.
    No,
    /// This sentinel lies behind a symlink leading out of TARGET (an error).
    Unseen(&'static str),
}

/// The installed test (as upstream): a sentinel exists in TARGET. `look` sees one, in
/// [`SENTINELS`] order, until one decides; its error ends the test.
pub fn installed<E>(mut look: impl FnMut(&'static str) -> Result<Seen, E>) -> Result<Installed, E> {
    for s in SENTINELS {
        match look(s)? {
            Seen::Present => return Ok(Installed::Yes),
            Seen::Unseen => return Ok(Installed::Unseen(s)),
            Seen::Absent => {}
        }
    }
    Ok(Installed::No)
}

/// What `install` (not a dry run) would find, for [`nothing_to_do`].
pub struct Facts<'a> {
    /// wp-init's own names at TARGET's root (journals, temporaries, the lock file...).
    pub own_names: &'a [&'a str],
    /// The installed test.
    pub installed: Installed,
    /// Whether a `WORDPRESS_*` variable asks for the config step.
    pub config_requested: bool,
    /// What is at TARGET's `wp-config.php`.
    pub config: Found,
}

/// Whether an install finds nothing to do and nothing to say: installed, no earlier run
/// left anything to finish or clean up (the core record is all of wp-init's at the root:
/// a lock file there is a writer at work, or one that died, whose file the next writer
/// removes), and the config step keeps what is there (or is not asked for) without a
/// warning.
pub fn nothing_to_do(facts: &Facts<'_>) -> bool {
    let quiet_root = facts
        .own_names
        .iter()
        .all(|n| !is_own_name(n) || *n == core_record::NAME);
    let config = match step(facts.config_requested, facts.config) {
        Step::NotRequested => true,
        Step::Keep { unseen } => !unseen,
        Step::Write => false,
    };
    quiet_root && facts.installed == Installed::Yes && config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_by_sentinel() {
        let seen = |v: Seen, i: Seen| {
            installed(|s| {
                Ok::<_, ()>(match s {
                    "index.php" => i,
                    _ => v,
                })
            })
        };
        use Seen::*;
        assert_eq!(seen(Present, Absent), Ok(Installed::Yes));
        assert_eq!(seen(Absent, Present), Ok(Installed::Yes));
        assert_eq!(seen(Absent, Absent), Ok(Installed::No));
        assert_eq!(seen(Present, Unseen), Ok(Installed::Yes));
        assert_eq!(
            seen(Unseen, Present),
            Ok(Installed::Unseen("wp-includes/version.php"))
        );
        assert_eq!(seen(Absent, Unseen), Ok(Installed::Unseen("index.php")));
        assert_eq!(installed(|_| Err::<Seen, _>("e")), Err("e"));
    }

    #[test]
    fn nothing_to_do_by_case() {
        let base = |own: &'static [&'static str]| Facts {
            own_names: own,
            installed: Installed::Yes,
            config_requested: false,
            config: Found::Nothing,
        };
        assert!(nothing_to_do(&base(&[])));
        assert!(nothing_to_do(&base(&[".wp-init-core", "x"])));
        assert!(!nothing_to_do(&base(&[".wp-init-lock", ".wp-init-core"])));
        assert!(!nothing_to_do(&base(&[".wp-init-journal.00ab"])));
        assert!(!nothing_to_do(&base(&[".wp-init-tmp.00ab.index.php"])));
        let mut f = base(&[]);
        f.installed = Installed::No;
        assert!(!nothing_to_do(&f));
        f.installed = Installed::Unseen("index.php");
        assert!(!nothing_to_do(&f));
        f.installed = Installed::Yes;
        f.config_requested = true;
        assert!(!nothing_to_do(&f), "a config to write");
        f.config = Found::NonEmptyFile;
        assert!(nothing_to_do(&f));
        f.config = Found::SomethingElse;
        assert!(nothing_to_do(&f));
        f.config = Found::Unseen;
        assert!(!nothing_to_do(&f), "a warning to give");
        f.config_requested = false;
        assert!(nothing_to_do(&f), "no config step, no warning");
    }
}
