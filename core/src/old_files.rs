//! WordPress's own list of the files an upgrade deletes.
//!
//! WordPress's updater (`update_core()` in `wp-admin/includes/update-core.php` of the
//! version being installed) copies the new files over the old ones, then deletes exactly
//! the paths listed in that file's `$_old_files` and `$_old_requests_files` arrays —
//! relative to the WordPress root, a directory with all it holds (`$wp_filesystem->delete(
//! $path, true)`) — and nothing else: a file of the user's in a core directory stays.
//! `$_new_bundled_files` lists additions, not deletions, and is not read.

use std::collections::BTreeSet;

use crate::version::ParseError;
use crate::version::php::{Kind, Lexer, Statements};

/// The arrays whose elements the updater deletes: `$_old_files` (every release since 2.7
/// has it) and `$_old_requests_files` (since 6.2).
const LISTS: [&str; 2] = ["_old_files", "_old_requests_files"];

/// The paths the `update-core.php` source `php` lists for deletion: the string elements
/// of its `$_old_files` and `$_old_requests_files` arrays, as written (relative to the
/// WordPress root; a trailing `/` marks a directory).
///
/// Only top-level statements `$_old_files = array( ... );` (or `[ ... ]`) count, the last
/// one winning as in PHP; mentions in comments, strings, functions or other statements
/// (`global $_old_files;`) are ignored. The elements are single- or double-quoted strings
/// without interpolation, each optionally after a key (`'Requests_Auth' => 'wp-includes/
/// Requests/Auth.php'`: the value counts), with comments anywhere and an optional
/// trailing comma.
///
/// # Errors
/// No `$_old_files` assignment; a top-level statement on either array that is not such
/// an assignment (`$_old_files[] = 'x';`, an element that is a constant, a concatenation
/// or an interpolating string); an element that is not UTF-8 or not a relative path inside
/// the tree (empty, absolute, or with an empty, `.` or `..` component: the updater would
/// delete outside what it names); an unterminated comment or string. The message names
/// the cause and, where there is one, the line.
pub fn old_files(php: &str) -> Result<BTreeSet<String>, String> {
    let mut lexer = Lexer::new(php.as_bytes());
    let mut found: [Option<Vec<String>>; 2] = [None, None];
    let mut statements = Statements::new();
    while let Some(token) = lexer.next_token().map_err(|e| e.to_string())? {
        if !statements.starts(&token.kind) {
            continue;
        }
        if let Kind::Var(name) = token.kind
            && let Some(i) = LISTS.iter().position(|list| list.as_bytes() == name)
        {
            let elements = assignment(&mut lexer, LISTS[i], token.at);
            found[i] = Some(elements.map_err(|e| e.to_string())?);
            statements.ended();
        }
    }
    let [Some(old), requests] = found else {
        return Err("no $_old_files assignment".to_owned());
    };
    Ok(old
        .into_iter()
        .chain(requests.into_iter().flatten())
        .collect())
}

/// Whether an upgrade may remove `path` (relative to the WordPress root, `/`-separated; a
/// trailing `/` is ignored): it is listed in `listed` (what [`old_files`] returned), with or
/// without a trailing `/`, or it lies under a listed path — the updater deletes a listed
/// directory with everything in it.
pub fn removable(path: &str, listed: &BTreeSet<String>) -> bool {
    let mut path = path.trim_end_matches('/');
    while !path.is_empty() {
        if listed.contains(path) || listed.contains(&format!("{path}/")) {
            return true;
        }
        path = path.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
    false
}

/// After `$name` at `at`, which starts a statement: the elements of `= array( ... )` or
/// `= [ ... ]`, consuming the statement through its `;` (or `?>`).
fn assignment(lexer: &mut Lexer, name: &str, at: usize) -> Result<Vec<String>, ParseError> {
    let src = lexer.src();
    let error = |cause: &str, at: usize| ParseError::at(format!("${name}: {cause}"), src, at);
    let mut next = || -> Result<(Kind, usize), ParseError> {
        match lexer.next_token()? {
            Some(token) => Ok((token.kind, token.at)),
            None => Err(error("unexpected end of file", src.len())),
        }
    };
    let not_array = "unsupported statement (wp-init reads only `= array( ... );` of strings)";
    let Kind::Punct(b'=') = next()?.0 else {
        return Err(error(not_array, at));
    };
    let close = match next()? {
        (Kind::Punct(b'['), _) => b']',
        (Kind::Other, word) if is_word(src, word, b"array") => match next()? {
            (Kind::Punct(b'('), _) => b')',
            (_, at) => return Err(error(not_array, at)),
        },
        (_, at) => return Err(error(not_array, at)),
    };
    let mut elements = Vec::new();
    loop {
        let (mut kind, mut at) = next()?;
        if matches!(kind, Kind::Punct(b) if b == close) {
            break;
        }
        // `KEY => VALUE`: the value is the path.
        let (mut separator, mut separator_at) = next()?;
        if let Kind::Punct(b'=') = separator {
            match (&kind, next()?) {
                (Kind::Str(_) | Kind::Number(_), (Kind::Punct(b'>'), arrow))
                    if arrow == separator_at + 1 => {}
                _ => return Err(error("unsupported array key", at)),
            }
            (kind, at) = next()?;
            (separator, separator_at) = next()?;
        }
        let Kind::Str(value) = kind else {
            return Err(error("an element is not a string literal", at));
        };
        let path = String::from_utf8(value).map_err(|_| error("an element is not UTF-8", at))?;
        if !is_relative_path(&path) {
            let cause = format!("{path:?} is not a relative path inside the WordPress tree");
            return Err(error(&cause, at));
        }
        elements.push(path);
        match separator {
            Kind::Punct(b',') => {}
            Kind::Punct(b) if b == close => break,
            _ => return Err(error("expected `,` or the end of the array", separator_at)),
        }
    }
    match next()? {
        (Kind::Punct(b';') | Kind::Boundary, _) => Ok(elements),
        (_, at) => Err(error("expected `;` after the array", at)),
    }
}

/// Whether the identifier at `at` in `src` is `word` (ASCII case-insensitive, as PHP's
/// keywords are).
fn is_word(src: &[u8], at: usize, word: &[u8]) -> bool {
    let rest = src.get(at..).unwrap_or_default();
    rest.get(..word.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(word))
        && !rest
            .get(word.len())
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
}

/// Whether `path` names something inside the tree: relative, `/`-separated, no empty,
/// `.` or `..` component (but for one trailing `/`), no NUL.
fn is_relative_path(path: &str) -> bool {
    let body = path.strip_suffix('/').unwrap_or(path);
    !body.is_empty()
        && !body.contains('\0')
        && body
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}
