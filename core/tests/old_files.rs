//! `old_files` on hand-made `update-core.php` sources (every case a table row), `removable`
//! on a table of paths, and both on the real `update-core.php` of WordPress 6.1.9 and
//! 6.8.12 (the trees `tests/e2e/build-source.sh` builds from Debian's packages; not in the
//! repository).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use wp_init_core::old_files::{old_files, removable};

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

/// Sources and the set they list; each was checked with PHP 8.2 (`include` it, print
/// `array_merge($_old_files, $_old_requests_files ?? [])`).
#[test]
fn reads_the_two_arrays_whatever_surrounds_them() {
    let cases: &[(&str, &[&str])] = &[
        ("<?php $_old_files = array('a.php');", &["a.php"]),
        (
            "<?php $_old_files = ['a.php', \"b/c.php\",];",
            &["a.php", "b/c.php"],
        ),
        ("<?php $_old_files = ARRAY ( 'a' , ) ;", &["a"]),
        ("<?php $_old_files = array();", &[]),
        ("<?php $_old_files = [];", &[]),
        (
            // Comments of each kind between every token, and in the strings' places.
            "<?php $_old_files /* = ['x'] */ = // ['y']\n array # ('z')\n ( /*'w',*/ 'a/', // 'v'\n 'b' # 'u'\n );",
            &["a/", "b"],
        ),
        (
            // Escapes: single quotes know only \' and \\; double quotes know more.
            r#"<?php $_old_files = array('it\'s', 'back\\slash', 'not\n', "tab\tx", "\x41\101\u{42}", "d\$ollar");"#,
            &["it's", "back\\slash", "not\\n", "tab\tx", "AAB", "d$ollar"],
        ),
        (
            // Keys: the values are the paths.
            "<?php $_old_requests_files = array('K' => 'x/K.php', 3 => 'y', 'z/'); $_old_files = array('a');",
            &["a", "x/K.php", "y", "z/"],
        ),
        (
            // The last top-level assignment wins; those inside braces are not read (a
            // function's is local, a block's conditional).
            "<?php $_old_files = array('stale'); function f() { $_old_files = array('local'); }\nif (1) { $_old_files = ['block']; }\n$_old_files = array('a');",
            &["a"],
        ),
        (
            // Other arrays, mentions and look-alikes are not read.
            "<?php global $_old_files; /** $_old_files = array('doc'); */\n$s = '; $_old_files = array(\"str\");';\n$_new_bundled_files = array('themes/t/' => '6.7');\n$_old_files_x = array('other');\n$_old_files = array('a');\nforeach ($_old_files as $f) {}",
            &["a"],
        ),
        (
            // Inline HTML and a closing tag.
            "<html><?php $_old_files = array('a') ?>text<?php $_old_requests_files = ['b'];",
            &["a", "b"],
        ),
        ("<?php $_old_files = array('a', 'a', 'b');", &["a", "b"]),
    ];
    for (php, expected) in cases {
        assert_eq!(old_files(php), Ok(set(expected)), "{php}");
    }
}

#[test]
fn refuses_what_it_cannot_read_exactly() {
    let cases: &[(&str, &str)] = &[
        ("<?php $x = 1;", "no $_old_files assignment"),
        (
            "<?php $_old_requests_files = ['a'];",
            "no $_old_files assignment",
        ),
        (
            "<?php $_old_files[] = 'a';",
            "$_old_files: unsupported statement",
        ),
        (
            "<?php $_old_files .= 'a';",
            "$_old_files: unsupported statement",
        ),
        (
            "<?php $_old_files = f();",
            "$_old_files: unsupported statement",
        ),
        (
            "<?php $_old_files = 'a';",
            "$_old_files: unsupported statement",
        ),
        (
            "<?php $_old_files = array_merge(['a']);",
            "unsupported statement",
        ),
        (
            "<?php $_old_files = array('a' . 'b');",
            "expected `,` or the end",
        ),
        ("<?php $_old_files = array(X);", "not a string literal"),
        (
            "<?php $_old_files = array(\"$x/a\");",
            "not a string literal",
        ),
        ("<?php $_old_files = array(['a']);", "not a string literal"),
        (
            "<?php $_old_files = array('k' = > 'a');",
            "unsupported array key",
        ),
        (
            "<?php $_old_files = array(K => 'a');",
            "unsupported array key",
        ),
        ("<?php $_old_files = array('a'", "unexpected end of file"),
        (
            "<?php $_old_files = array('a') 'b';",
            "expected `;` after the array",
        ),
        ("<?php $_old_files = array('a", "unterminated string"),
        ("<?php /* $_old_files = array('a');", "unterminated comment"),
        ("<?php $_old_files = array('');", "is not a relative path"),
        (
            "<?php $_old_files = array('/etc/passwd');",
            "is not a relative path",
        ),
        (
            "<?php $_old_files = array('../x');",
            "is not a relative path",
        ),
        (
            "<?php $_old_files = array('a/../../x');",
            "is not a relative path",
        ),
        (
            "<?php $_old_files = array('a//b');",
            "is not a relative path",
        ),
        ("<?php $_old_files = array('./');", "is not a relative path"),
        ("<?php $_old_files = array('/');", "is not a relative path"),
        (
            "<?php $_old_files = array(\"a\\0\");",
            "not a relative path",
        ),
        ("<?php $_old_files = array(\"\\xff\");", "not UTF-8"),
        // An error in the optional array is an error too.
        (
            "<?php $_old_files = ['a']; $_old_requests_files = [C];",
            "$_old_requests_files: an element is not a string literal at line 1",
        ),
    ];
    for (php, expected) in cases {
        match old_files(php) {
            Err(e) => assert!(e.contains(expected), "{php}: {e} (want {expected:?})"),
            Ok(v) => panic!("{php}: accepted as {v:?} (want an error with {expected:?})"),
        }
    }
}

#[test]
fn errors_name_the_line() {
    let e = old_files("<?php\n$_old_files = array(\n'a',\nB,\n);").unwrap_err();
    assert_eq!(
        e,
        "$_old_files: an element is not a string literal at line 4"
    );
}

#[test]
fn removable_is_a_listed_path_or_under_a_listed_one() {
    let listed = set(&[
        "wp-admin/a.php",
        "wp-includes/d/",
        "wp-images/smilies",
        "x.php",
    ]);
    let cases = [
        ("wp-admin/a.php", true),
        ("wp-admin/a.php/", true),
        ("wp-includes/d", true),
        ("wp-includes/d/", true),
        ("wp-includes/d/f.php", true),
        ("wp-includes/d/e/f.php", true),
        // A listed name without `/` that is a directory goes with what it holds.
        ("wp-images/smilies/icon.gif", true),
        ("x.php", true),
        // Not listed: siblings, prefixes that are not whole components, parents.
        ("wp-admin/.htaccess", false),
        ("wp-admin/.htpasswd", false),
        ("wp-admin/a.php.bak", false),
        ("wp-admin/a.ph", false),
        ("wp-admin", false),
        ("wp-includes/dd/f.php", false),
        ("wp-includes", false),
        ("wp-includes/d.php", false),
        ("x.php2", false),
        ("", false),
        ("/", false),
    ];
    for (path, expected) in cases {
        assert_eq!(removable(path, &listed), expected, "{path:?}");
    }
    assert!(!removable("anything", &BTreeSet::new()));
}

/// The `with-template` tree `tests/e2e/build-source.sh ARGS` builds (or reuses from its
/// cache), as `tests/e2e/upgrade.sh` finds it.
fn real_tree(args: &[&str], outdir_env: &str) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("bash")
        .arg(workspace.join("tests/e2e/build-source.sh"))
        .args(args)
        .args(std::env::var(outdir_env).ok())
        .output()
        .expect("run bash tests/e2e/build-source.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "build-source.sh {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = stdout
        .lines()
        .last()
        .expect("build-source.sh prints its OUTDIR");
    Path::new(root).join("with-template")
}

/// An independent reading of the real file, line by line: in each of the two arrays (from
/// its `$NAME = array(` line to the next `);` line), every line that is not blank or a
/// comment (`//`, or a `/* */` block starting a line) holds one element, whose value is the first single-quoted string after
/// the line's `=>` if it has one, else the line's first (the real lists have no `'` in
/// their paths).
fn line_by_line(php: &str) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    let (mut inside, mut in_block) = (false, false);
    for line in php.lines().map(str::trim) {
        if in_block || line.starts_with("/*") {
            in_block = !line.contains("*/");
        } else if line == "$_old_files = array(" || line == "$_old_requests_files = array(" {
            inside = true;
        } else if inside && line == ");" {
            inside = false;
        } else if inside && !line.is_empty() && !line.starts_with("//") {
            let element = line.split_once("=>").map_or(line, |(_, value)| value);
            let value = element
                .trim_start()
                .strip_prefix('\'')
                .and_then(|v| v.split_once('\''));
            let (value, _) = value.unwrap_or_else(|| panic!("not one quoted element: {line}"));
            listed.insert(value.to_owned());
        }
    }
    listed
}

#[test]
#[ignore = "needs the real WordPress tree (Debian's archive; cached): scripts/test.sh runs it"]
fn reads_the_real_update_core_php_of_6_1_and_6_8() {
    let old = real_tree(&[], "WP_E2E_OLD_SOURCE");
    let new = real_tree(&["--suite", "trixie"], "WP_E2E_NEW_SOURCE");
    let read = |tree: &Path| {
        let file = tree.join("wp-admin/includes/update-core.php");
        let php = std::fs::read_to_string(&file).expect("read update-core.php");
        let listed = old_files(&php).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(listed, line_by_line(&php), "{}", file.display());
        listed
    };
    let (listed_6_1, listed_6_8) = (read(&old), read(&new));
    // PHP 8.2 read the same sets from 6.1.9's and 6.8.12's files (`include` it, then
    // `array_unique(array_merge($_old_files, $_old_requests_files ?? []))`: 783 and
    // 735 + 66 paths); a later point release may list a few more, never fewer.
    assert!(listed_6_1.len() >= 783 && listed_6_8.len() >= 801);
    for listed in [&listed_6_1, &listed_6_8] {
        assert!(
            listed.contains("wp-admin/import-b2.php"),
            "2.0's first entry"
        );
        assert!(!removable("wp-admin/.htaccess", listed));
        assert!(
            !listed.iter().any(|p| p.starts_with("themes/")),
            "$_new_bundled_files"
        );
    }
    // 6.2 moved the Requests library to wp-includes/Requests/src/; 6.8's list removes the
    // old files (values of a keyed array) and directories, not the class names (keys).
    assert!(
        !listed_6_1
            .iter()
            .any(|p| p.starts_with("wp-includes/Requests/"))
    );
    for path in [
        "wp-includes/Requests/Auth/Basic.php",
        "wp-includes/Requests/Exception/HTTP/404.php",
        "wp-includes/Requests/IRI.php",
    ] {
        assert!(old.join(path).is_file(), "{path} is in 6.1.9");
        assert!(removable(path, &listed_6_8), "{path}");
    }
    assert!(!listed_6_8.contains("Requests_Auth"));
    // Entries commented out in a `/* */` block (restored in 6.7) are not deleted.
    let restored = "wp-includes/blocks/tag-cloud/editor.css";
    assert!(new.join(restored).is_file() && !removable(restored, &listed_6_8));
    assert!(!removable(
        "wp-includes/Requests/src/Auth/Basic.php",
        &listed_6_8
    ));
    assert!(
        new.join("wp-includes/Requests/src/Auth/Basic.php")
            .is_file()
    );
}
