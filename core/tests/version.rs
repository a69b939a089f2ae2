//! `parse_versions` on the real `version.php` of WordPress 6.1.9 and on hand-made files,
//! and `compare` against PHP's own `version_compare`: every row of
//! `fixtures/version_compare.tsv`, which `fixtures/version_compare.php` wrote with PHP 8.2
//! (all pairs of hand-picked versions, then random strings; fields escaped as `\xHH`).

use std::cmp::Ordering;

use wp_init_core::version::{Versions, compare, parse_versions};

/// `parse_versions` of `php` as (`$wp_version`, `$wp_db_version`) or the error's text.
fn parse(php: &str) -> Result<(String, Option<u64>), String> {
    parse_versions(php)
        .map(
            |Versions {
                 wp_version,
                 wp_db_version,
             }| (wp_version, wp_db_version),
        )
        .map_err(|e| e.to_string())
}

fn ok(version: &str, db: Option<u64>) -> Result<(String, Option<u64>), String> {
    Ok((version.to_string(), db))
}

#[test]
fn reads_the_real_version_php_of_6_1_9() {
    let php = include_str!("fixtures/version-6.1.9.php");
    assert_eq!(parse(php), ok("6.1.9", Some(53496)));
}

/// Each file's values were checked with PHP 8.2 (`include` it, print the variables).
#[test]
fn reads_assignments_whatever_surrounds_them() {
    let cases = [
        ("<?php\n$wp_version\n=\n'6.5'\n;", ok("6.5", None)),
        (
            "<?php $wp_version/* = '1' */=// '2'\n'6.5'# '3'\n;",
            ok("6.5", None),
        ),
        (
            "<?PHP\t$wp_version='6.5';$wp_db_version=57155;",
            ok("6.5", Some(57155)),
        ),
        (
            "<?php $wp_version = '1'; $wp_version = '6.5';",
            ok("6.5", None),
        ),
        ("<?php $wp_version = '6.5' ?>", ok("6.5", None)),
        (
            "<?php $wp_version = 'it\\'s \\\\ \\n';",
            ok("it's \\ \\n", None),
        ),
        (
            r#"<?php $wp_version = "\"6.5\x2d\u{41}\101\$\q\n";"#,
            ok("\"6.5-AA$\\q\n", None),
        ),
        (
            concat!(
                "<?php\n// $wp_version = '1.0';\n# $wp_version = '1.1';\n",
                "/* $wp_version = '1.2'; */\n/** $wp_version = '1.3'; */\n",
                "$s = '$wp_version = \"1.4\";';\n$t = \"\\$wp_version = '1.5';\";\n",
                "global $wp_version;\nfunction f() { $wp_version = '1.6'; }\n",
                "$h = <<<EOT\n$wp_version = '1.7';\nEOT;\n",
                "$n = <<<'EOT'\n  $wp_version = '1.8';\n  EOT;\n",
                "$i = \"{$a[\"x\"]} $wp_version ${b}\"; $c = `echo $wp_version`;\n",
                "$x = $wp_version = '1.9'; echo $wp_version;\n",
                "$wp_version = '6.5';\n",
            ),
            ok("6.5", None),
        ),
        (
            "<p><?php $wp_version = '6.5'; ?>\n$wp_version = '1';</p>",
            ok("6.5", None),
        ),
        (
            "<?php $wp_version = '6.5'; // ?> $wp_version = '1';",
            ok("6.5", None),
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 57_155;",
            ok("6.5", Some(57155)),
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 0x1F;",
            ok("6.5", Some(31)),
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 017;",
            ok("6.5", Some(15)),
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 0o17;",
            ok("6.5", Some(15)),
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 0b11;",
            ok("6.5", Some(3)),
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = '57155';",
            ok("6.5", Some(57155)),
        ),
    ];
    for (php, expected) in cases {
        assert_eq!(parse(php), expected, "{php}");
    }
}

#[test]
fn refuses_what_it_cannot_read_with_the_cause_and_line() {
    let cases = [
        ("", "no $wp_version assignment"),
        ("$wp_version = '6.5';", "no $wp_version assignment"),
        ("<?php $wp_db_version = 1;", "no $wp_version assignment"),
        (
            "<?php\n\n$wp_version = '';",
            "$wp_version is not a non-empty string at line 3",
        ),
        (
            "<?php $wp_version = 6;",
            "$wp_version is not a non-empty string at line 1",
        ),
        (
            "<?php $wp_version = 6.5;",
            "unsupported statement on $wp_version at line 1",
        ),
        (
            "<?php $wp_version = \"6.$x\";",
            "unsupported statement on $wp_version at line 1",
        ),
        (
            "<?php $wp_version = '6' . '5';",
            "unsupported statement on $wp_version at line 1",
        ),
        (
            "<?php $wp_version = '6.5';\n$wp_version .= '-x';",
            "unsupported statement on $wp_version at line 2",
        ),
        (
            "<?php $wp_version = '6.5'",
            "unsupported statement on $wp_version at line 1",
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 'x';",
            "$wp_db_version is not an integer at line 1",
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 1__0;",
            "$wp_db_version is not an integer at line 1",
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 08;",
            "$wp_db_version is not an integer at line 1",
        ),
        (
            "<?php $wp_version = '6.5'; $wp_db_version = 9223372036854775808;",
            "$wp_db_version is not an integer at line 1",
        ),
        (
            "<?php\n/**\n *\n */\n\n$x = 1;\n$wp_version = '6.5;\n",
            "unterminated string at line 7",
        ),
        (
            "<?php $wp_version = '6.5';\n/* ",
            "unterminated comment at line 2",
        ),
        (
            "<?php $x = <<<EOT\n$wp_version = '6.5';\n",
            "unterminated heredoc at line 1",
        ),
        (
            "<?php $x = \"\\u{110000}\";",
            "invalid \\u{} escape at line 1",
        ),
    ];
    for (php, expected) in cases {
        assert_eq!(parse(php), Err(expected.to_string()), "{php}");
    }
}

#[test]
fn orders_the_spec_examples() {
    let ascending = ["6.4", "6.4.1", "6.5-beta2", "6.5-RC1", "6.5"];
    for pair in ascending.windows(2) {
        assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        assert_eq!(compare(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
    }
}

/// Undoes the fixture's `\xHH` escapes.
fn unescape(field: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = field.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match (b, tail) {
            (b'\\', [b'x', hex @ ..]) => {
                let hex = std::str::from_utf8(&hex[..2]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                rest = &tail[3..];
            }
            _ => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn compares_as_php_on_every_row() {
    let table = include_str!("fixtures/version_compare.tsv");
    let mut wrong = Vec::new();
    let mut rows = 0;
    for line in table.lines().skip(1) {
        let [a, b, php] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("bad row {line:?}");
        };
        let (a, b) = (unescape(a), unescape(b));
        let php = php.parse::<i8>().unwrap().cmp(&0);
        let ours = compare(&a, &b);
        if ours != php {
            wrong.push(format!("{a:?} {b:?}: PHP {php:?}, ours {ours:?}"));
        }
        rows += 1;
    }
    assert_eq!(rows, 8056);
    assert!(
        wrong.is_empty(),
        "{} of {rows} rows differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
