//! The last line of a run that changed TARGET, worded once: the component prints it when
//! it commits itself, the host after its own commit (never before: until the commit,
//! nothing is complete).

/// After an install copied WordPress into `target` (upstream's words).
pub fn copied(target: &str) -> String {
    format!("Complete! WordPress has been successfully copied to {target}")
}

/// After an upgrade (or an allowed downgrade) of `target` to version `to`, with the
/// numbers of entries replaced, added and removed.
pub fn upgraded(
    target: &str,
    to: &str,
    (replaced, added, removed): (usize, usize, usize),
) -> String {
    format!(
        "Complete! WordPress in {target} has been upgraded to {to} ({replaced} replaced, {added} added, {removed} removed)"
    )
}

/// Why an upgrade from TARGET's `from` to SOURCE's older `to` was refused.
pub fn downgrade_refused(from: &str, to: &str) -> String {
    format!("refusing to downgrade WordPress {from} to {to} (use --allow-downgrade to force it)")
}

/// Why an upgrade was refused: an interrupted upgrade from `from` to `to` left core
/// half-replaced, and SOURCE holds `source`.
pub fn upgrade_unfinished(from: &str, to: &str, source: &str) -> String {
    format!(
        "an interrupted upgrade from WordPress {from} to {to} left core half-replaced; run the upgrade again with WordPress {to} (SOURCE has {source}), or with --allow-downgrade to replace core with SOURCE's"
    )
}
