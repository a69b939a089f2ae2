//! The journal: what a run does to TARGET, streamed to a file at TARGET's root while it
//! does it ([`journal_name`], one JSON [`Line`] per line).
//!
//! It replaces a report that held every created entry in memory: the host's mode/owner
//! pass reads the entries back from it, the commit is appended to it, and the next run
//! after a crash knows exactly what an unfinished run left ([`Unfinished`]).
//!
//! **Trust.** A journal is acted on only if it is what wp-init makes: the host opens it
//! without following links or blocking and requires a regular file of its own user, one
//! link, not writable by others, within [`MAX_JOURNAL_BYTES`]; here, [`Unfinished::read`]
//! requires its first line to name the nonce of its file name (and, for the host, TARGET's
//! identity), and every path in it to be a plain relative path. Anything else is not
//! wp-init's and is never obeyed.

use serde::{Deserialize, Serialize};

use crate::commit::Journal;
use crate::layout::{is_excludable, is_plain_relative};
use crate::report::EntryKind;

/// Prefix of a journal's file name at TARGET's root; the run's nonce follows, in hex.
pub const JOURNAL_PREFIX: &str = ".wp-init-journal.";

/// The file name of the journal of the run with `nonce`.
pub fn journal_name(nonce: u64) -> String {
    format!("{JOURNAL_PREFIX}{nonce:016x}")
}

/// The nonce a journal file name carries, if `name` is one.
pub fn journal_nonce(name: &str) -> Option<u64> {
    let hex = name.strip_prefix(JOURNAL_PREFIX)?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// Largest journal a run reads back (a line per created entry: about 100 bytes each).
pub const MAX_JOURNAL_BYTES: u64 = 1 << 30;

/// Longest line a component may write to the host's journal (a path is at most 4 KiB).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The format version in [`Line::Begin`].
pub const FORMAT: u32 = 1;

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Line {
    /// The first line: whose journal this is.
    Begin {
        /// [`FORMAT`].
        format: u32,
        /// The run's nonce (also in the file name and in its temporary names).
        nonce: u64,
        /// TARGET's identity (its inode number) when the host made the journal; a journal
        /// moved in from another directory does not match.
        target: Option<String>,
    },
    /// The run replaces core, from version `from` to `to`: until its commit is done, the
    /// tree holds a mix of both.
    Upgrade {
        /// TARGET's version before.
        from: String,
        /// SOURCE's version.
        to: String,
    },
    /// An entry the run creates, by its final path. Written before a directory or an
    /// entry the exclusion rule looks at is created (a later run must know it for
    /// wp-init's), before the run ends for the others.
    Created {
        /// Path relative to TARGET (where it is once the run's own renames are done).
        path: String,
        /// What it is.
        kind: EntryKind,
        /// Its counterpart relative to SOURCE; empty for `wp-config.php` and mount points.
        source: String,
    },
    /// A temporary directory the run is about to make (a `wp-content/*/*` package being
    /// built, an instance's staging directory): the next run may remove it whole.
    Staging {
        /// Path relative to TARGET.
        path: String,
    },
    /// A directory that was there before, in which the run is about to make temporaries.
    Entered {
        /// Path relative to TARGET.
        path: String,
    },
    /// The commit: from here on, the next run finishes it (see `core::commit`).
    Commit(Journal),
}

impl Line {
    /// The line as written, with its newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_else(|_| unreachable!("plain data"));
        s.push('\n');
        s
    }

    /// The paths the line names, for the trust check.
    fn paths(&self) -> Vec<&str> {
        match self {
            Line::Begin { .. } | Line::Upgrade { .. } => Vec::new(),
            Line::Created { path, source, .. } if source.is_empty() => vec![path],
            Line::Created { path, source, .. } => vec![path, source],
            Line::Staging { path } | Line::Entered { path } => vec![path],
            Line::Commit(j) => j
                .renames
                .iter()
                .flat_map(|r| [r.temporary.as_str(), r.path.as_str()])
                .chain(j.dirs.iter().map(|d| d.path.as_str()))
                .collect(),
        }
    }
}

/// Reads journal text line by line. A last line without its newline was cut short by a
/// crash: it was never acted on, and is ignored.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
}

/// What the journal of an earlier run says, for the run that finds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unfinished {
    /// Its nonce.
    pub nonce: u64,
    /// The upgrade it was making, if any (`from`, `to`).
    pub upgrade: Option<(String, String)>,
    /// Entries it created that a later run would otherwise take for the user's
    /// (directories, `.htaccess`, `wp-content/*/*`): this run finishes them as its own.
    pub adopted: Vec<String>,
    /// Directories where it may have left temporaries.
    pub leftovers: Vec<String>,
    /// Temporary directories it made.
    pub staging: Vec<String>,
    /// Its commit, if it got that far (then the next run finishes the commit).
    pub commit: Option<Journal>,
}

impl Unfinished {
    /// Reads the `lines` of the journal whose file name carries `nonce`; `target`, when
    /// given, must match the identity its first line names.
    ///
    /// # Errors
    /// Why it is not a journal of wp-init's for this TARGET (a message).
    pub fn read<'a>(
        lines: impl IntoIterator<Item = &'a str>,
        nonce: u64,
        target: Option<&str>,
    ) -> Result<Self, String> {
        let mut lines = lines.into_iter();
        match lines.next().map(parse) {
            Some(Ok(Line::Begin {
                format: FORMAT,
                nonce: n,
                target: t,
            })) if n == nonce => {
                if let Some(want) = target
                    && t.as_deref() != Some(want)
                {
                    return Err(format!(
                        "made for another directory ({}), not this TARGET ({want})",
                        t.as_deref().unwrap_or("unnamed")
                    ));
                }
            }
            Some(Err(e)) => return Err(e),
            _ => return Err("does not begin as a wp-init journal of its name's run".into()),
        }
        let mut found = Unfinished {
            nonce,
            ..Unfinished::default()
        };
        for line in lines {
            match parse(line)? {
                Line::Begin { .. } => return Err("begins twice".into()),
                Line::Upgrade { from, to } => found.upgrade = Some((from, to)),
                Line::Created { path, kind, .. } => {
                    let dir = kind == EntryKind::Directory;
                    if dir || is_excludable(&path, true) || is_excludable(&path, false) {
                        if dir {
                            found.leftovers.push(path.clone());
                        }
                        found.adopted.push(path);
                    }
                }
                Line::Staging { path } => found.staging.push(path),
                Line::Entered { path } => found.leftovers.push(path),
                Line::Commit(j) => found.commit = Some(j),
            }
        }
        Ok(found)
    }
}

/// Parses one line the component wrote to the host's journal (without its newline): a
/// line of its own kind (not [`Line::Begin`] nor [`Line::Commit`], which only the host
/// writes), every path in it plain and relative.
///
/// # Errors
/// Why the line is not one the component may write (a message).
pub fn from_component(line: &[u8]) -> Result<Line, String> {
    let line = std::str::from_utf8(line)
        .map_err(|e| format!("not a wp-init journal line: not UTF-8 ({e})"))?;
    match parse(line)? {
        Line::Begin { .. } => Err("a begin line, which only the host writes".into()),
        Line::Commit(_) => Err("a commit line, which only the host writes".into()),
        ok => Ok(ok),
    }
}

/// Parses one line, checking that every path in it is a plain relative path.
fn parse(line: &str) -> Result<Line, String> {
    let parsed: Line =
        serde_json::from_str(line).map_err(|e| format!("not a wp-init journal line: {e}"))?;
    match parsed.paths().into_iter().find(|p| !is_plain_relative(p)) {
        Some(bad) => Err(format!("names a path outside TARGET ({bad:?})")),
        None => Ok(parsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::Rename;

    fn begin(nonce: u64, target: Option<&str>) -> String {
        Line::Begin {
            format: FORMAT,
            nonce,
            target: target.map(Into::into),
        }
        .to_text()
    }

    fn created(path: &str, kind: EntryKind) -> String {
        Line::Created {
            path: path.into(),
            kind,
            source: path.into(),
        }
        .to_text()
    }

    #[test]
    fn names_round_trip() {
        let name = journal_name(0xabc);
        assert_eq!(name, ".wp-init-journal.0000000000000abc");
        assert_eq!(journal_nonce(&name), Some(0xabc));
        for bad in [
            ".wp-init-journal.",
            ".wp-init-journal.xyz",
            ".wp-init-commit",
        ] {
            assert_eq!(journal_nonce(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_what_an_unfinished_run_left() {
        let text = [
            begin(7, Some("1:2")),
            Line::Upgrade {
                from: "6.1".into(),
                to: "6.8".into(),
            }
            .to_text(),
            created("wp-admin", EntryKind::Directory),
            created("wp-admin/a.php", EntryKind::File),
            created(".htaccess", EntryKind::File),
            created("wp-content/plugins/akismet", EntryKind::Directory),
            Line::Staging {
                path: "wp-content/plugins/.wp-init-tmp.0000000000000007.akismet".into(),
            }
            .to_text(),
            Line::Entered {
                path: "wp-includes".into(),
            }
            .to_text(),
            "{\"created\":{\"path\":\"cut".into(),
        ]
        .concat();
        let u = Unfinished::read(lines(&text), 7, Some("1:2")).unwrap();
        assert_eq!(u.upgrade, Some(("6.1".into(), "6.8".into())));
        assert_eq!(
            u.adopted,
            ["wp-admin", ".htaccess", "wp-content/plugins/akismet"]
        );
        assert_eq!(
            u.leftovers,
            ["wp-admin", "wp-content/plugins/akismet", "wp-includes"]
        );
        assert_eq!(u.staging.len(), 1);
        assert_eq!(u.commit, None);
    }

    /// Rows: a journal text that must not be obeyed, and what the refusal says.
    #[test]
    fn refuses_what_wp_init_did_not_write() {
        let commit_out = Line::Commit(Journal::new(
            vec![Rename {
                temporary: "../etc/x".into(),
                path: "wp-includes/version.php".into(),
            }],
            vec![],
        ))
        .to_text();
        let rows: [(String, &str); 7] = [
            (String::new(), "does not begin"),
            ("garbage\n".into(), "not a wp-init journal line"),
            (begin(8, Some("1:2")), "does not begin"),
            (begin(7, Some("3:4")), "another directory"),
            (begin(7, None), "another directory"),
            (begin(7, Some("1:2")) + &commit_out, "outside TARGET"),
            (
                begin(7, Some("1:2")) + &created("/etc", EntryKind::Directory),
                "outside TARGET",
            ),
        ];
        for (text, says) in rows {
            let err = Unfinished::read(lines(&text), 7, Some("1:2")).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
        // Without a TARGET identity to match (no host), an unnamed one is read.
        assert!(Unfinished::read(lines(&begin(7, None)), 7, None).is_ok());
    }

    /// Rows: a line a component writes to the host's journal, and what the host says.
    #[test]
    fn takes_from_the_component_only_its_own_lines() {
        let ok = created("wp-admin/a.php", EntryKind::File);
        assert!(from_component(ok.trim_end().as_bytes()).is_ok());
        let commit = Line::Commit(Journal::new(Vec::new(), Vec::new())).to_text();
        let begin = begin(7, None);
        let rows: [(&[u8], &str); 6] = [
            (begin.trim_end().as_bytes(), "a begin line"),
            (commit.trim_end().as_bytes(), "a commit line"),
            (b"garbage", "not a wp-init journal line"),
            (b"{\"created\":{\"path\":\"\xff\"}}", "not UTF-8"),
            (b"{\"staging\":{\"path\":\"../x\"}}", "outside TARGET"),
            (
                b"{\"created\":{\"path\":\"a\",\"kind\":\"file\",\"source\":\"/etc/shadow\"}}",
                "outside TARGET",
            ),
        ];
        for (line, says) in rows {
            let err = from_component(line).unwrap_err();
            assert!(err.contains(says), "{line:?}: {err}");
        }
    }
}
