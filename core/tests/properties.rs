//! Property tests of the pure rules: path joining, the exclusion and mount-point rules,
//! template rendering, the journal's lines and the commit (a crash at any step is
//! finished by the next run). Bounded: proptest's default 256 cases per property.

use std::collections::BTreeSet;

use proptest::prelude::*;
use wp_init_core::commit::{self, DirFinal, Finisher, Journal, Rename, Time};
use wp_init_core::config::{SALT_ALPHABET, SALT_LEN, UNIQUE_PHRASE, render, salt};
use wp_init_core::journal::{self, Line};
use wp_init_core::layout::{is_content_package, is_excludable, is_plain_relative, join};
use wp_init_core::report::EntryKind;

/// A plain path component (any characters but `/` and NUL, not `.` or `..`).
fn component() -> impl Strategy<Value = String> {
    "[^/\u{0}]{1,12}".prop_filter("plain", |c| c != "." && c != "..")
}

/// A relative `/`-separated path of 1 to 5 plain components.
fn rel_path() -> impl Strategy<Value = String> {
    prop::collection::vec(component(), 1..5).prop_map(|c| c.join("/"))
}

proptest! {
    #[test]
    fn join_concatenates_with_one_separator(base in rel_path(), rel in rel_path()) {
        let joined = join(&base, &rel);
        prop_assert_eq!(&joined, &format!("{base}/{rel}"));
        prop_assert_eq!(join(&format!("/{base}/"), &rel), format!("/{base}/{rel}"));
        prop_assert_eq!(join("", &rel), rel.clone());
        prop_assert_eq!(join(&base, ""), base);
    }

    #[test]
    fn pluggable_is_exactly_two_visible_levels_under_wp_content(a in component(), b in component(), c in component()) {
        let two = format!("wp-content/{a}/{b}");
        prop_assert_eq!(is_content_package(&two), !a.starts_with('.') && !b.starts_with('.'));
        let (one, three, elsewhere) = (
            format!("wp-content/{a}"),
            format!("{two}/{c}"),
            format!("{c}x/{a}/{b}"),
        );
        prop_assert!(!is_content_package(&one));
        prop_assert!(!is_content_package(&three));
        prop_assert!(!is_content_package(&elsewhere));
        // Files are never excludable, except `.htaccess` at the root.
        prop_assert!(!is_excludable(&two, false));
        prop_assert_eq!(is_excludable(&two, true), is_content_package(&two));
    }

    #[test]
    fn plain_relative_paths_stay_inside(p in rel_path(), c in component()) {
        prop_assert!(is_plain_relative(&p));
        for bad in [format!("/{p}"), format!("{p}/../{c}"), format!("{p}//{c}"), format!("./{p}"), format!("{p}/")] {
            prop_assert!(!is_plain_relative(&bad), "{:?}", bad);
        }
    }

    /// Rendering changes exactly the placeholder lines: every other line comes back
    /// byte for byte, each placeholder line gets one salt for all its occurrences.
    #[test]
    fn render_changes_only_placeholder_lines(
        lines in prop::collection::vec(
            prop_oneof![
                "[^\n]{0,40}",
                "[^\n]{0,10}".prop_map(|s| format!("define('K', '{UNIQUE_PHRASE}'); {s}")),
            ],
            0..20,
        )
    ) {
        let template: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let mut n = 0;
        let out = render(&template, &mut || -> Result<String, ()> {
            n += 1;
            Ok(format!("<salt {n}>"))
        }).unwrap();
        let out_lines: Vec<&str> = out.split_terminator('\n').collect();
        prop_assert_eq!(out_lines.len(), lines.len());
        let mut k = 0;
        for (i, o) in lines.iter().zip(&out_lines) {
            if i.contains(UNIQUE_PHRASE) {
                k += 1;
                prop_assert_eq!(*o, i.replace(UNIQUE_PHRASE, &format!("<salt {k}>")));
            } else {
                prop_assert_eq!(*o, i.as_str());
            }
        }
    }

    #[test]
    fn salts_are_long_and_safe_in_php_single_quotes(seed in any::<u64>()) {
        let mut x = seed;
        let mut fill = |buf: &mut [u8]| -> Result<(), ()> {
            for b in buf.iter_mut() {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                *b = (x >> 33) as u8;
            }
            Ok(())
        };
        let s = salt(&mut fill).unwrap();
        prop_assert_eq!(s.len(), SALT_LEN);
        prop_assert!(s.bytes().all(|b| SALT_ALPHABET.contains(&b) && b != b'\'' && b != b'\\'));
    }

    /// Any name (newlines, quotes, tabs...) survives the journal; a line cut short by a
    /// crash is dropped, never misread as another entry.
    #[test]
    fn journal_lines_round_trip(names in prop::collection::vec(rel_path(), 0..10), cut in any::<prop::sample::Index>()) {
        let written: Vec<Line> = names.iter().map(|n| Line::Created {
            path: n.clone(),
            kind: EntryKind::File,
            source: n.clone(),
        }).collect();
        let text: String = written.iter().map(Line::to_text).collect();
        let read = |t: &str| -> Vec<Line> {
            journal::lines(t).map(|l| serde_json::from_str(l).unwrap()).collect()
        };
        prop_assert_eq!(read(&text), written.clone());
        let cut = cut.index(text.len() + 1);
        if text.is_char_boundary(cut) {
            let got = read(&text[..cut]);
            prop_assert!(written.starts_with(&got), "{:?} not a prefix of {:?}", got, written);
        }
    }

    #[test]
    fn commit_line_round_trips(j in journal()) {
        let text = Line::Commit(j.clone()).to_text();
        prop_assert_eq!(serde_json::from_str::<Line>(text.trim_end()).unwrap(), Line::Commit(j));
    }

    /// A commit interrupted at any operation, then finished from the journal on disk (as
    /// the next run does), ends exactly where an uninterrupted commit does; interrupted
    /// before the journal exists, nothing was renamed.
    #[test]
    fn a_commit_crashed_anywhere_is_finished(j in journal(), crash in any::<prop::sample::Index>()) {
        let mut clean = Fake::staged(&j);
        commit::commit(&j, &mut clean).unwrap();
        let ops = clean.ops;
        let mut fs = Fake::staged(&j);
        fs.crash_at = Some(crash.index(ops + 1));
        let crashed = commit::commit(&j, &mut fs).is_err();
        fs.crash_at = None;
        match fs.journal.clone() {
            Some(written) => {
                prop_assert!(crashed);
                commit::finish(&written, &mut fs).unwrap();
                prop_assert_eq!(&fs.entries, &clean.entries);
                prop_assert_eq!(&fs.finished, &clean.finished);
            }
            None if crashed => prop_assert_eq!(fs.entries, Fake::staged(&j).entries),
            None => prop_assert_eq!(fs.entries, clean.entries),
        }
    }
}

fn journal() -> impl Strategy<Value = Journal> {
    let renames = prop::collection::btree_set(rel_path(), 0..4).prop_map(|paths| {
        paths
            .into_iter()
            .map(|p| Rename {
                temporary: format!("{p}.tmp"),
                path: p,
            })
            .collect()
    });
    let dirs = prop::collection::vec(
        (
            rel_path(),
            prop::option::of(0u32..0o7777),
            any::<(i32, u32)>(),
        ),
        0..6,
    )
    .prop_map(|d| {
        d.into_iter()
            .map(|(path, mode, (secs, nanos))| DirFinal {
                path,
                mode,
                mtime: Some(Time {
                    secs: secs.into(),
                    nanos: nanos % 1_000_000_000,
                }),
            })
            .collect()
    });
    (renames, dirs).prop_map(|(r, d)| Journal::new(r, d))
}

/// A file system as a set of paths; fails (a crash) at operation `crash_at`.
#[derive(Default)]
struct Fake {
    entries: BTreeSet<String>,
    finished: BTreeSet<String>,
    journal: Option<Journal>,
    ops: usize,
    crash_at: Option<usize>,
}

impl Fake {
    /// The state a copy leaves: staged files and new directories in place.
    fn staged(j: &Journal) -> Fake {
        let mut fs = Fake::default();
        fs.entries
            .extend(j.renames.iter().map(|r| r.temporary.clone()));
        fs.entries.extend(j.dirs.iter().map(|d| d.path.clone()));
        fs
    }

    fn op(&mut self) -> Result<(), ()> {
        if self.crash_at == Some(self.ops) {
            return Err(());
        }
        self.ops += 1;
        Ok(())
    }
}

impl Finisher for Fake {
    type Error = ();
    fn exists(&mut self, rel: &str) -> Result<bool, ()> {
        Ok(self.entries.contains(rel))
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), ()> {
        self.op()?;
        self.entries.remove(from);
        self.entries.insert(to.to_owned());
        Ok(())
    }
    fn finish_dir(&mut self, dir: &DirFinal) -> Result<(), ()> {
        self.op()?;
        self.finished.insert(dir.path.clone());
        Ok(())
    }
    fn write_commit(&mut self, journal: &Journal) -> Result<(), ()> {
        self.op()?;
        self.journal = Some(journal.clone());
        Ok(())
    }
    fn retire(&mut self) -> Result<(), ()> {
        self.op()?;
        self.journal = None;
        Ok(())
    }
}
