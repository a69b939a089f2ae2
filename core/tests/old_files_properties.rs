//! Property tests of `wp_init_core::old_files`: `old_files` reads generated arrays of
//! generated paths exactly, whatever the syntax, quoting, keys, comments and decoy
//! statements around them; `removable` agrees with a reference on generated lists; and
//! neither panics on any input. Bounded: proptest's default 256 cases per property.

use std::collections::BTreeSet;

use proptest::prelude::*;
use wp_init_core::old_files::{old_files, removable};

/// A relative path inside the tree: 1 to 4 components of bytes that mean something in
/// PHP (quotes, `\`, `$`, comment starts, brackets), never `.` or `..`, maybe a trailing
/// `/`.
fn path() -> impl Strategy<Value = String> {
    let component = "[a-zA-Z0-9_.$'\"\\\\ #*(),;=>\\[\\]{}-]{1,6}"
        .prop_filter("not . or ..", |c| c != "." && c != "..");
    (prop::collection::vec(component, 1..=4), any::<bool>())
        .prop_map(|(parts, dir)| parts.join("/") + if dir { "/" } else { "" })
}

/// How an element is written.
#[derive(Debug, Clone, Copy)]
enum Quoting {
    Single,
    Double,
    /// Double quotes, every byte as a `\xHH` or octal `\NNN` escape.
    Escaped,
}

fn quoted(value: &str, quoting: Quoting) -> String {
    match quoting {
        Quoting::Single => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'")),
        Quoting::Double => {
            let escaped = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('$', "\\$");
            format!("\"{escaped}\"")
        }
        Quoting::Escaped => {
            let bytes = value.bytes().enumerate();
            let escaped: String = bytes
                .map(|(i, b)| match i % 2 {
                    0 => format!("\\x{b:02x}"),
                    _ => format!("\\{b:o}"),
                })
                .collect();
            format!("\"{escaped}\"")
        }
    }
}

/// An element: its path, how it is quoted, and its key if it has one (an integer, or a
/// class name as in `$_old_requests_files`).
fn element() -> impl Strategy<Value = (String, Quoting, Option<String>)> {
    let quoting = prop_oneof![
        Just(Quoting::Single),
        Just(Quoting::Double),
        Just(Quoting::Escaped)
    ];
    let key = prop::option::of(prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        "[A-Za-z_]{1,12}".prop_map(|k| format!("'{k}'")),
    ]);
    (path(), quoting, key)
}

/// Whitespace and comments that may go between tokens; some hold what looks like an
/// element or an assignment.
fn filler() -> impl Strategy<Value = String> {
    let pieces = vec![
        " ",
        "\n",
        "\t",
        "\r\n",
        "/* c */",
        "// 6.8\n",
        "# c\n",
        "/* 'decoy/in-comment', */",
        "// 'decoy/line-comment',\n",
        "#'decoy/hash',\n",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..3).prop_map(|p| p.concat())
}

/// Statements around the assignments that must not count.
const DECOYS: [&str; 7] = [
    "global $_old_files, $_old_requests_files;",
    "$_new_bundled_files = array( 'decoy/bundled/' => '6.7', );",
    "function f() { $_old_files = array('decoy/local'); return $_old_files; }",
    "$s = '$_old_files = array(\\'decoy/string\\');';",
    "/* $_old_files = array('decoy/comment'); */",
    "$h = <<<EOT\n$_old_files = array('decoy/heredoc');\nEOT;\n",
    "foreach ( $_old_files as $old_file ) { $x = $old_file; }",
];

/// An array assignment to `$name`, with `f` as the fillers between its tokens.
fn assignment(
    name: &str,
    elements: &[(String, Quoting, Option<String>)],
    short: bool,
    trailing_comma: bool,
    f: &[String],
) -> String {
    let filler = |i: usize| f[i % f.len()].as_str();
    let (open, close) = if short { ("[", "]") } else { ("Array(", ")") };
    let mut out = format!("${name}{}={}{open}", filler(0), filler(1));
    for (i, (value, quoting, key)) in elements.iter().enumerate() {
        out += filler(i + 2);
        if let Some(key) = key {
            out += &format!("{key}{}=>{}", filler(i + 3), filler(i + 4));
        }
        out += &quoted(value, *quoting);
        out += filler(i + 5);
        if i + 1 < elements.len() || trailing_comma {
            out += ",";
        }
    }
    out + filler(2) + close + filler(3) + ";"
}

fn reference_removable(path: &str, listed: &BTreeSet<String>) -> bool {
    let path = path.trim_end_matches('/');
    !path.is_empty()
        && listed.iter().any(|entry| {
            let entry = entry.trim_end_matches('/');
            path == entry || path.starts_with(&format!("{entry}/"))
        })
}

/// PHP-ish fragments, to reach the parser's corners when shuffled.
const FRAGMENTS: [&str; 22] = [
    "<?php ",
    "?>",
    "$_old_files",
    "$_old_requests_files",
    "=",
    ">",
    "array",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "'a'",
    "\"b/\"",
    "'../x'",
    "\"$x\"",
    "1",
    "/*",
    "*/",
    "//",
    "\n",
];

proptest! {
    #[test]
    fn reads_generated_arrays_exactly(
        old in prop::collection::vec(element(), 0..12),
        requests in prop::option::of(prop::collection::vec(element(), 0..6)),
        short in any::<(bool, bool)>(),
        trailing in any::<(bool, bool)>(),
        f in prop::collection::vec(filler(), 1..8),
        before in prop::collection::vec(prop::sample::select(&DECOYS[..]), 0..3),
        after in prop::collection::vec(prop::sample::select(&DECOYS[..]), 0..3),
        requests_first in any::<bool>(),
    ) {
        let mut statements = vec![assignment("_old_files", &old, short.0, trailing.0, &f)];
        if let Some(requests) = &requests {
            let second = assignment("_old_requests_files", requests, short.1, trailing.1, &f);
            statements.insert(usize::from(!requests_first), second);
        }
        let php = format!("<?php\n{}\n{}\n{}\n", before.join("\n"), statements.join("\n"), after.join("\n"));
        let expected: BTreeSet<String> = old.iter().chain(requests.iter().flatten()).map(|(p, _, _)| p.clone()).collect();
        prop_assert_eq!(old_files(&php), Ok(expected), "{}", php);
    }

    #[test]
    fn removable_agrees_with_the_reference(
        listed in prop::collection::btree_set("[ab]{1,2}(/[ab]{1,2}){0,2}/?", 0..6),
        path in "[ab]{1,2}(/[ab]{1,2}){0,3}/?",
    ) {
        prop_assert_eq!(removable(&path, &listed), reference_removable(&path, &listed));
    }

    #[test]
    fn never_panics(pieces in prop::collection::vec(prop::sample::select(&FRAGMENTS[..]), 0..40)) {
        let _ = old_files(&pieces.concat());
    }

    #[test]
    fn never_panics_on_any_text(text in "\\PC*") {
        let _ = old_files(&text);
    }
}
