//! The record of core: the entries of the core trees (`wp-admin`, `wp-includes`) that
//! wp-init installed last, kept at TARGET's root and committed with the install or
//! upgrade that wrote them. An upgrade removes only entries this record names (or, with
//! no record, those WordPress lists as old files), so a user's files in core are kept.
//!
//! The format: a first line [`MAGIC`], then one JSON string per line, a plain relative
//! path, sorted, each once.

use crate::journal::{Line, lines};
use crate::layout::CORE_TREES;
use crate::layout::is_plain_relative;

/// The record's name at TARGET's root.
pub const NAME: &str = ".wp-init-core";
/// Its first line.
pub const MAGIC: &str = "{\"wp-init-core-record\":1}";

/// Whether `path` is a core tree or inside one.
pub fn in_core_tree(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or_default();
    CORE_TREES.contains(&top)
}

/// The core path a journal line names, if any: a core-tree entry the run created, or
/// one it kept and entered (an existing directory).
pub fn core_path(line: &Line) -> Option<&str> {
    match line {
        Line::Created { path, .. } | Line::Entered { path } if in_core_tree(path) => Some(path),
        _ => None,
    }
}

/// The text of a record of `paths` (in any order, repeats allowed).
pub fn text(mut paths: Vec<String>) -> String {
    paths.sort_unstable();
    paths.dedup();
    let mut text = format!("{MAGIC}\n");
    for p in paths {
        text.push_str(&serde_json::Value::String(p).to_string());
        text.push('\n');
    }
    text
}

/// The paths of a record's `text`, or why it is not one.
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let mut all = lines(text);
    if all.next() != Some(MAGIC) {
        return Err("does not begin as one".into());
    }
    all.map(|line| match serde_json::from_str::<String>(line) {
        Ok(p) if is_plain_relative(&p) => Ok(p),
        _ => Err(format!("a line that is not a path inside TARGET: {line:?}")),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::EntryKind;

    #[test]
    fn a_record_reads_back_sorted_and_once() {
        let t = text(vec![
            "wp-includes/b".into(),
            "wp-admin".into(),
            "wp-includes/b".into(),
        ]);
        assert_eq!(parse(&t).unwrap(), ["wp-admin", "wp-includes/b"]);
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "[\"wp-admin\"]\n",
            &format!("{MAGIC}\n\"../etc/passwd\"\n"),
            &format!("{MAGIC}\n\"/wp-admin\"\n"),
            &format!("{MAGIC}\nwp-admin\n"),
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_core_tree_lines_are_core() {
        let created = |p: &str| Line::Created {
            path: p.into(),
            kind: EntryKind::File,
            source: p.into(),
        };
        assert_eq!(
            core_path(&created("wp-admin/x.php")),
            Some("wp-admin/x.php")
        );
        assert_eq!(core_path(&created("wp-content/x.php")), None);
        assert_eq!(core_path(&created("wp-adminx")), None);
        assert_eq!(
            core_path(&Line::Entered {
                path: "wp-includes".into()
            }),
            Some("wp-includes")
        );
        assert_eq!(
            core_path(&Line::Staging {
                path: "wp-admin/.t".into()
            }),
            None
        );
    }
}
