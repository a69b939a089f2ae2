//! Which subtrees of an install extra component instances copy, one each, while the
//! first instance copies the rest (WIT `install-leaving` and `install-part`); and which
//! entries each instance of a shared `verify` compares ([`Shares`]).
//!
//! Only a fresh install is split: a TARGET with nothing of WordPress's core at its root
//! and nothing of wp-init's (an interrupted run is finished by one instance, which alone
//! knows what it left). A part is a whole top-level core tree, so that its staging
//! directory sits beside its final name and the commit renames it into place.

use crate::layout::CORE_TREES;
use crate::layout::{LOCK_FILE, is_own_name, is_scratch_name};

/// The core trees, largest first (`wp-includes` holds two thirds of WordPress's files).
const BY_SIZE: [&str; 2] = ["wp-includes", "wp-admin"];

/// The parts for `instances` instances (at most one part per extra instance): the
/// largest core trees that SOURCE has as real directories (`source_dirs`, top level),
/// with no mount point at or below them, when `target_root` (the names at TARGET's root)
/// holds no core tree, no `index.php` and none of wp-init's own names but the lock file
/// (which the run that asks holds) and the scratch directory of its archive SOURCE.
pub fn parallel_parts(
    instances: usize,
    source_dirs: &[&str],
    target_root: &[&str],
    mount_points: &[String],
) -> Vec<&'static str> {
    let fresh = !target_root.iter().any(|n| {
        *n == "index.php"
            || (is_own_name(n) && *n != LOCK_FILE && !is_scratch_name(n))
            || CORE_TREES.contains(n)
    });
    if !fresh {
        return Vec::new();
    }
    BY_SIZE
        .into_iter()
        .filter(|tree| source_dirs.contains(tree))
        .filter(|tree| {
            !mount_points
                .iter()
                .any(|m| m == tree || m.starts_with(&format!("{tree}/")))
        })
        .take(instances.saturating_sub(1))
        .collect()
}

/// Which instance of a `verify` shared by several compares each entry: every instance
/// walks the same entries in the same order and gives each, by its size, to the least
/// loaded instance so far (the lowest-numbered on a tie), so all agree without talking and
/// the bytes each hashes differ by at most one entry's.
#[derive(Debug, Clone)]
pub struct Shares {
    loads: Vec<u64>,
}

impl Shares {
    /// Shares for `of` instances (at least one).
    pub fn new(of: usize) -> Self {
        Shares {
            loads: vec![0; of.max(1)],
        }
    }

    /// The instance that compares the next entry, of `size` bytes.
    pub fn take(&mut self, size: u64) -> usize {
        let (mut best, mut least) = (0, u64::MAX);
        for (i, load) in self.loads.iter().enumerate() {
            if *load < least {
                (best, least) = (i, *load);
            }
        }
        if let Some(load) = self.loads.get_mut(best) {
            *load = load.saturating_add(size.max(1));
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WP: &[&str] = &["wp-admin", "wp-content", "wp-includes"];

    /// instances, SOURCE's dirs, TARGET's root, mount points, the parts.
    type Row = (
        usize,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );

    #[test]
    fn shares_balance_bytes() {
        let mut one = Shares::new(1);
        assert!([5, 0, 9].iter().all(|s| one.take(*s) == 0));
        let mut two = Shares::new(2);
        let got: Vec<usize> = [10, 3, 3, 3, 0, 8].iter().map(|s| two.take(*s)).collect();
        assert_eq!(got, [0, 1, 1, 1, 1, 0]);
        let mut three = Shares::new(0);
        assert_eq!(three.take(7), 0, "no instances count as one");
    }

    #[test]
    fn parts_by_case() {
        let none: &[&str] = &[];
        let mounts = |m: &[&str]| m.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let rows: &[Row] = &[
            (1, WP, none, none, none),
            (2, WP, none, none, &["wp-includes"]),
            (3, WP, none, none, &["wp-includes", "wp-admin"]),
            (8, WP, none, none, &["wp-includes", "wp-admin"]),
            (2, WP, &["wp-content", ".htaccess"], none, &["wp-includes"]),
            (2, WP, &["index.php"], none, none),
            (2, WP, &["wp-includes"], none, none),
            (3, WP, &["wp-admin"], none, none),
            (2, WP, &[".wp-init-created.00ab"], none, none),
            (2, WP, &[".wp-init-tmp.00ab.wp-includes"], none, none),
            (2, WP, &[".wp-init-lock"], none, &["wp-includes"]),
            (2, WP, &[".wp-init-source.00ab"], none, &["wp-includes"]),
            (2, WP, &[".wp-init-lock", ".wp-init-commit"], none, none),
            (2, &["wp-admin", "wp-content"], none, none, &["wp-admin"]),
            (2, WP, none, &["wp-includes/fonts"], &["wp-admin"]),
            (
                3,
                WP,
                none,
                &["wp-admin", "wp-content/uploads"],
                &["wp-includes"],
            ),
            (2, WP, none, &["wp-includes-x"], &["wp-includes"]),
        ];
        for (n, (instances, src, tgt, m, want)) in rows.iter().enumerate() {
            assert_eq!(
                parallel_parts(*instances, src, tgt, &mounts(m)),
                *want,
                "row {n}"
            );
        }
    }
}
