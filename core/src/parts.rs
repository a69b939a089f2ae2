//! Which subtrees of an install extra component instances copy, one each, while the
//! first instance copies the rest (WIT `install-leaving` and `install-part`).
//!
//! Only a fresh install is split: a TARGET with nothing of WordPress's core at its root
//! and nothing of wp-init's (an interrupted run is finished by one instance, which alone
//! knows what it left). A part is a whole top-level core tree, so that its staging
//! directory sits beside its final name and the commit renames it into place.

use crate::layout::CORE_TREES;
use crate::layout::{LOCK_FILE, is_own_name};

/// The core trees, largest first (`wp-includes` holds two thirds of WordPress's files).
const BY_SIZE: [&str; 2] = ["wp-includes", "wp-admin"];

/// The parts for `instances` instances (at most one part per extra instance): the
/// largest core trees that SOURCE has as real directories (`source_dirs`, top level),
/// with no mount point at or below them, when `target_root` (the names at TARGET's root)
/// holds no core tree, no `index.php` and none of wp-init's own names but the lock file
/// (which the run that asks holds).
pub fn parallel_parts(
    instances: usize,
    source_dirs: &[&str],
    target_root: &[&str],
    mount_points: &[String],
) -> Vec<&'static str> {
    let fresh = !target_root.iter().any(|n| {
        *n == "index.php" || (is_own_name(n) && *n != LOCK_FILE) || CORE_TREES.contains(n)
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
