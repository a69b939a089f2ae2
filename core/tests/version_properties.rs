//! Property tests of `wp_init_core::version`: `compare` on WordPress-shaped versions
//! against an independent ordering, its symmetry where PHP's `version_compare` has it,
//! `parse_versions` whatever surrounds the assignments, and no panics on any input.
//! Bounded: proptest's default 256 cases per property.

use std::cmp::Ordering;

use proptest::prelude::*;
use wp_init_core::version::{Versions, compare, parse_versions};

/// A version without NUL that ends in an ASCII letter or digit (or is empty): PHP's
/// `version_compare` is reflexive and antisymmetric on these, not on `1.` or `1-`
/// (canonical forms ending in a separator compare less than themselves).
fn plain_version() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9a-zA-Z.+_#-]{0,12}[0-9a-zA-Z]",
        "[^\u{0}]{0,12}[0-9a-zA-Z]",
    ]
}

/// A WordPress release: `MAJOR.MINOR[.PATCH][-(alpha|beta|RC)N]`.
#[derive(Debug, Clone)]
struct Release {
    numbers: Vec<u64>,
    /// The pre-release stage (0 alpha, 1 beta, 2 RC) and its number.
    pre: Option<(usize, u64)>,
}

impl Release {
    fn text(&self) -> String {
        let numbers: Vec<_> = self.numbers.iter().map(u64::to_string).collect();
        let pre = self
            .pre
            .map(|(stage, n)| format!("-{}{n}", ["alpha", "beta", "RC"][stage]));
        numbers.join(".") + &pre.unwrap_or_default()
    }

    /// The reference order: numbers part by part, a missing part before any number
    /// (`6.4` < `6.4.0`); for equal numbers a pre-release before the release, by
    /// stage, then by number.
    fn key(&self) -> (Vec<u64>, (bool, usize, u64)) {
        let pre = self
            .pre
            .map_or((true, 0, 0), |(stage, n)| (false, stage, n));
        (self.numbers.clone(), pre)
    }
}

/// A release with small numbers, so that releases drawn together often share some.
fn release() -> impl Strategy<Value = Release> {
    let n = || prop_oneof![0u64..3, 9u64..11];
    (
        prop::collection::vec(n(), 2..=3),
        prop::option::of((0usize..3, n())),
    )
        .prop_map(|(numbers, pre)| Release { numbers, pre })
}

/// Whitespace and comments that may go between tokens.
fn filler() -> impl Strategy<Value = String> {
    let pieces = vec![
        " ",
        "\n",
        "\t",
        "\r\n",
        "/* c */",
        "/** $wp_version = '0'; */",
        "// $wp_version\n",
        "# $wp_version = '0';\n",
        "/*\n * ; $wp_version = '0';\n */",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..4).prop_map(|p| p.concat())
}

/// Statements that mention `$wp_version` without assigning it at the top level; each hides
/// `; $wp_version = '0';` where a lexer that missed the comment, string or block would
/// see an assignment.
const HIDDEN: [&str; 9] = [
    "// ; $wp_version = '0';\n",
    "# ; $wp_version = '0';\n",
    "/* ; $wp_version = '0'; */",
    "$s = '; $wp_version = \\'0\\';';",
    "$s = \"; \\$wp_version = '0'; \\\"\";",
    "$s = \"{$a[\"; $wp_version = '0'; \"]}\";",
    "$h = <<<EOT\n; $wp_version = '0';\nEOT;\n",
    "function f() { ; $wp_version = '0'; }",
    "if ($x) { ; $wp_version = '0'; }",
];

/// Statements that may come before the real assignments: the hidden ones, and some that
/// a later assignment overrides or that do not assign.
fn before() -> impl Strategy<Value = &'static str> {
    let others = [
        "global $wp_version;",
        "$wp_version = 'stale';",
        "$tinymce_version = '4.9';",
    ];
    prop::sample::select([&HIDDEN[..], &others[..]].concat())
}

/// `value` as a single- or double-quoted PHP string.
fn quoted(value: &str, double: bool) -> String {
    if double {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$");
        format!("\"{escaped}\"")
    } else {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// `n` as one of PHP's ways of writing an integer, or as a string of digits.
fn int_literal(n: u32, style: u8) -> String {
    let digits = n.to_string();
    match style % 5 {
        0 => digits,
        1 => {
            // Thousands separated by `_`: `1_234_567`.
            let mut grouped = String::new();
            for (i, c) in digits.char_indices() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    grouped.push('_');
                }
                grouped.push(c);
            }
            grouped
        }
        2 => format!("0x{n:X}"),
        3 => format!("0b{n:b}"),
        _ => format!("'{n}'"),
    }
}

/// PHP-ish fragments, to reach the lexer's corners when shuffled.
const FRAGMENTS: [&str; 34] = [
    "<?php ",
    "<?= ",
    "?>",
    "<?",
    "'",
    "\"",
    "`",
    "\\",
    "\\u{",
    "\\x4",
    "\\7",
    "{$",
    "${",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<<<EOT\n",
    "<<<'EOT'\n",
    "EOT",
    "\nEOT;",
    "/*",
    "*/",
    "//",
    "#",
    "\n",
    "$wp_version",
    "$wp_db_version",
    "=",
    ";",
    "'6.5'",
    "0x_1",
];

proptest! {
    #[test]
    fn compare_is_reflexive_on_plain_versions(a in plain_version()) {
        prop_assert_eq!(compare(&a, &a), Ordering::Equal);
    }

    #[test]
    fn compare_is_antisymmetric_on_plain_versions(a in plain_version(), b in plain_version()) {
        prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
    }

    #[test]
    fn compare_orders_releases_as_the_reference(releases in prop::collection::vec(release(), 2..12)) {
        for a in &releases {
            for b in &releases {
                let (a_text, b_text) = (a.text(), b.text());
                prop_assert_eq!(compare(&a_text, &b_text), a.key().cmp(&b.key()), "{} vs {}", a_text, b_text);
            }
        }
    }

    #[test]
    fn parse_finds_the_assignments_whatever_surrounds_them(
        before in prop::collection::vec(before(), 0..4),
        after in prop::collection::vec(prop::sample::select(&HIDDEN[..]), 0..4),
        f in prop::collection::vec(filler(), 8),
        version in "[^\u{0}]{1,12}",
        double in any::<bool>(),
        db in prop::option::of((any::<u32>(), any::<u8>())),
        db_first in any::<bool>(),
    ) {
        let version_statement = format!("$wp_version{}={}{}{};", f[0], f[1], quoted(&version, double), f[2]);
        let db_statement = db.map_or(String::new(), |(n, style)| {
            format!("$wp_db_version{}={}{}{};", f[3], f[4], int_literal(n, style), f[5])
        });
        let statements = match db_first {
            true => [db_statement, version_statement],
            false => [version_statement, db_statement],
        };
        let php = format!(
            "<?php\n{}{}{}{}{}{}",
            f[6], before.join(&f[7]), f[7], statements.join(&f[7]), f[7], after.join(&f[7])
        );
        let expected = Versions { wp_version: version, wp_db_version: db.map(|(n, _)| u64::from(n)) };
        prop_assert_eq!(parse_versions(&php), Ok(expected), "{}", php);
    }

    /// Every prefix too, so that each construct is also cut short by the end of input.
    #[test]
    fn nothing_panics_on_any_input(a in any::<String>(), b in any::<String>()) {
        let _ = compare(&a, &b);
        for end in (0..=a.len()).filter(|&end| a.is_char_boundary(end)) {
            let _ = parse_versions(&a[..end]);
            let _ = parse_versions(&format!("<?php {}", &a[..end]));
        }
    }

    #[test]
    fn nothing_panics_on_php_ish_input(
        pieces in prop::collection::vec(prop::sample::select(&FRAGMENTS[..]), 0..40),
    ) {
        let php = pieces.concat();
        for end in (0..=php.len()).filter(|&end| php.is_char_boundary(end)) {
            let _ = parse_versions(&php[..end]);
        }
        let _ = compare(&php, &pieces.join("."));
    }
}
