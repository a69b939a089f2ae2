//! WordPress versions: reading `$wp_version` and `$wp_db_version` from
//! `wp-includes/version.php`, and comparing versions as PHP's `version_compare` does.

pub(crate) mod php;

use std::cmp::Ordering;
use std::fmt;

use php::{Kind, Lexer, Statements};

/// The versions a `wp-includes/version.php` declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// `$wp_version`, e.g. `6.1.9`.
    pub wp_version: String,
    /// `$wp_db_version`, e.g. `53496`; `None` when the file does not assign it.
    pub wp_db_version: Option<u64>,
}

/// Why a version.php could not be read (Display: a short cause in words, e.g.
/// "no $wp_version assignment", "unterminated string at line 7").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    cause: String,
    line: Option<usize>,
}

impl ParseError {
    /// An error at the byte offset `at` of `src` (reported as its 1-based line).
    pub(crate) fn at(cause: impl Into<String>, src: &[u8], at: usize) -> Self {
        let before = src.get(..at).unwrap_or(src);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        Self {
            cause: cause.into(),
            line: Some(line),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} at line {line}", self.cause),
            None => f.write_str(&self.cause),
        }
    }
}

impl std::error::Error for ParseError {}

/// A variable read from version.php.
struct Variable<T> {
    /// Its name after `$`.
    name: &'static str,
    /// What its literal must be, in words.
    expected: &'static str,
    /// Its value from its literal, if that is `expected`.
    convert: fn(Kind) -> Option<T>,
}

const WP_VERSION: Variable<String> = Variable {
    name: "wp_version",
    expected: "a non-empty string",
    convert: |literal| match literal {
        Kind::Str(value) => String::from_utf8(value).ok().filter(|s| !s.is_empty()),
        _ => None,
    },
};

const WP_DB_VERSION: Variable<u64> = Variable {
    name: "wp_db_version",
    expected: "an integer",
    // An integer literal, or a string of decimal digits (which PHP would convert).
    convert: |literal| match literal {
        Kind::Number(raw) => php::int_literal(raw),
        Kind::Str(value) if value.iter().all(u8::is_ascii_digit) => {
            let n: u64 = std::str::from_utf8(&value).ok()?.parse().ok()?;
            i64::try_from(n).is_ok().then_some(n)
        }
        _ => None,
    },
};

impl<T> Variable<T> {
    /// Whether `name` (after `$`) is this variable's.
    fn is(&self, name: &[u8]) -> bool {
        name == self.name.as_bytes()
    }

    /// After this variable at `at`, starting a statement: the value of `= LITERAL;` (or
    /// `= LITERAL ?>`), consuming the statement. Any other statement is an error, and the
    /// lexer is left after the variable so that the rest is read as usual.
    fn read(&self, lexer: &mut Lexer, at: usize) -> Result<T, ParseError> {
        let mut ahead = lexer.clone();
        let mut next = || ahead.next_token().map(|t| t.map(|t| t.kind));
        let (name, src) = (self.name, lexer.src());
        if let (Some(Kind::Punct(b'=')), Some(literal @ (Kind::Str(_) | Kind::Number(_)))) =
            (next()?, next()?)
            && let Some(Kind::Punct(b';') | Kind::Boundary) = next()?
        {
            *lexer = ahead;
            let expected = self.expected;
            return (self.convert)(literal)
                .ok_or_else(|| ParseError::at(format!("${name} is not {expected}"), src, at));
        }
        Err(ParseError::at(
            format!("unsupported statement on ${name}"),
            src,
            at,
        ))
    }
}

/// Reads the versions from the source of a `version.php`.
///
/// Only top-level statements of the form `$wp_version = LITERAL;` count (a string for
/// `$wp_version`; an integer, or a string of digits, for `$wp_db_version`), with any
/// whitespace and comments between the tokens; the last one wins, as in PHP. Mentions in
/// comments, strings, other statements (`global $wp_version;`) or inside braces and
/// parentheses are ignored. A top-level statement that starts with one of the two
/// variables but is not such an assignment (`$wp_version .= '-x';`, `$wp_version =
/// f();`, `$wp_version = "$x";`) is an error unless a later assignment overrides it. The
/// lexer knows PHP's comments, strings, heredocs and inline HTML; an unterminated
/// comment, string or heredoc is an error.
pub fn parse_versions(php: &str) -> Result<Versions, ParseError> {
    let mut lexer = Lexer::new(php.as_bytes());
    let (mut version, mut db_version) = (None, None);
    let mut statements = Statements::new();
    while let Some(token) = lexer.next_token()? {
        if !statements.starts(&token.kind) {
            continue;
        }
        match token.kind {
            Kind::Var(name) if WP_VERSION.is(name) => {
                version = Some(WP_VERSION.read(&mut lexer, token.at));
                statements.ended();
            }
            Kind::Var(name) if WP_DB_VERSION.is(name) => {
                db_version = Some(WP_DB_VERSION.read(&mut lexer, token.at));
                statements.ended();
            }
            _ => {}
        }
    }
    let Some(wp_version) = version else {
        let cause = "no $wp_version assignment".into();
        return Err(ParseError { cause, line: None });
    };
    Ok(Versions {
        wp_version: wp_version?,
        wp_db_version: db_version.transpose()?,
    })
}

/// PHP's `version_compare($a, $b)` as an [`Ordering`].
///
/// A faithful port of `php_version_compare` (PHP 8, `ext/standard/versioning.c`), with the
/// 64-bit `strtol` saturation of long numbers. Like PHP it reads each string only up to a
/// NUL byte, and like PHP it is not a total order on odd strings: a version whose
/// canonical form ends in a separator (`1.`, `1-`) compares less than itself.
pub fn compare(a: &str, b: &str) -> Ordering {
    let c_str = |s: &str| {
        s.as_bytes()
            .split(|&b| b == 0)
            .next()
            .unwrap_or_default()
            .to_vec()
    };
    let (mut v1, mut v2) = (c_str(a), c_str(b));
    // PHP recurses on what is left after the common parts; this loop is that tail call.
    loop {
        if v1.is_empty() || v2.is_empty() {
            return (!v1.is_empty()).cmp(&!v2.is_empty());
        }
        let (c1, c2) = (canonicalize(&v1), canonicalize(&v2));
        // What follows the last separator seen (C's `p` while its `n` is not NULL).
        let (mut rest1, mut rest2) = (Some(&c1[..]), Some(&c2[..]));
        while let (Some(p1), Some(p2)) = (rest1, rest2)
            && !p1.is_empty()
            && !p2.is_empty()
        {
            let (part1, next1) = split_part(p1);
            let (part2, next2) = split_part(p2);
            let order = compare_parts(part1, part2);
            if order.is_ne() {
                return order;
            }
            (rest1, rest2) = (next1, next2);
        }
        (v1, v2) = match (rest1, rest2) {
            (Some(p1), _) if starts_with_digit(p1) => return Ordering::Greater,
            (Some(p1), _) => (p1.to_vec(), NUMBER.to_vec()),
            (None, Some(p2)) if starts_with_digit(p2) => return Ordering::Less,
            (None, Some(p2)) => (NUMBER.to_vec(), p2.to_vec()),
            (None, None) => return Ordering::Equal,
        };
    }
}

/// The name PHP compares a number part with when the other part is a name.
const NUMBER: &[u8] = b"#N#";

/// PHP's special forms by prefix, in PHP's lookup order, with their rank.
const SPECIAL_FORMS: [(&[u8], i8); 10] = [
    (b"dev", 0),
    (b"alpha", 1),
    (b"a", 1),
    (b"beta", 2),
    (b"b", 2),
    (b"RC", 3),
    (b"rc", 3),
    (b"#", 4),
    (b"pl", 5),
    (b"p", 5),
];

/// The rank of a name part: its first matching prefix in [`SPECIAL_FORMS`], else -1.
fn special_form(part: &[u8]) -> i8 {
    SPECIAL_FORMS
        .iter()
        .find(|(form, _)| part.starts_with(form))
        .map_or(-1, |&(_, rank)| rank)
}

fn starts_with_digit(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_digit)
}

/// Compares one part of each version: numbers by value, names by special form, and a
/// number as [`NUMBER`] against a name.
fn compare_parts(p1: &[u8], p2: &[u8]) -> Ordering {
    match (starts_with_digit(p1), starts_with_digit(p2)) {
        (true, true) => strtol(p1).cmp(&strtol(p2)),
        (false, false) => special_form(p1).cmp(&special_form(p2)),
        (true, false) => special_form(NUMBER).cmp(&special_form(p2)),
        (false, true) => special_form(p1).cmp(&special_form(NUMBER)),
    }
}

/// The leading decimal digits of `s` as C's `strtol` on a 64-bit `long` reads them,
/// saturating at `i64::MAX`.
fn strtol(s: &[u8]) -> i64 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        })
}

/// The part before the first `.`, and what follows that `.` if there is one.
fn split_part(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == b'.') {
        Some(dot) => (&s[..dot], Some(&s[dot + 1..])),
        None => (s, None),
    }
}

/// PHP's `php_canonicalize_version` (skipped, as by PHP, for a version starting with `#`).
///
/// The first byte is kept as is. After it, `-`, `_`, `+` and other bytes that are not
/// ASCII alphanumeric become a `.`, a `.` goes between a digit and a non-digit, and no
/// `.` is doubled. But, as in PHP, a byte right after a digit that is neither
/// alphanumeric nor one of `.-_+` is kept after the `.` inserted before it (`1#` becomes
/// `1.#`, a part that ranks as `#`; `1 ` becomes `1. `).
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let Some((&first, tail)) = v.split_first().filter(|(first, _)| **first != b'#') else {
        return v.to_vec();
    };
    let is_digit = |b: u8| b.is_ascii_digit();
    let is_non_digit = |b: u8| !b.is_ascii_digit() && b != b'.';
    let mut out = Vec::with_capacity(v.len() * 2);
    out.push(first);
    let mut previous = first;
    for &b in tail {
        let needs_dot = out.last() != Some(&b'.');
        if matches!(b, b'-' | b'_' | b'+') {
            out.extend(needs_dot.then_some(b'.'));
        } else if is_non_digit(previous) && is_digit(b) || is_digit(previous) && is_non_digit(b) {
            out.extend(needs_dot.then_some(b'.'));
            out.push(b);
        } else if !b.is_ascii_alphanumeric() {
            out.extend(needs_dot.then_some(b'.'));
        } else {
            out.push(b);
        }
        previous = b;
    }
    out
}
