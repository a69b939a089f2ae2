//! A small PHP lexer: just enough of PHP's tokens to find top-level assignments without
//! being fooled by inline HTML, comments or strings.
//!
//! It knows open and close tags (`<?php`, `<?=`, `?>`), `//`, `#` and `/* */` comments
//! (a `#[` attribute is read as a comment too), single- and double-quoted strings with
//! their escapes and `{$ }` interpolations, backtick strings, heredocs and nowdocs,
//! variables, numbers and identifiers; any other byte is a one-byte token. Unterminated
//! comments, strings and heredocs are errors, as are strings nested more than
//! [`MAX_NESTING`] deep through interpolations.

use super::ParseError;

/// A token and the byte offset where it starts.
pub(crate) struct Token<'a> {
    pub(crate) kind: Kind<'a>,
    pub(crate) at: usize,
}

/// What a token is.
pub(crate) enum Kind<'a> {
    /// `$name`: the name.
    Var(&'a [u8]),
    /// A quoted string's value, unless it interpolates (a `$` in double quotes).
    Str(Vec<u8>),
    /// A number as written: a digit then digits, letters and `_` (`53496`, `1_000`, `0x1F`).
    Number(&'a [u8]),
    /// A statement boundary other than `;`: `<?php` or `?>`.
    Boundary,
    /// Any other single byte.
    Punct(u8),
    /// An identifier, `<?=`, an interpolating string, a heredoc or nowdoc, a backtick string.
    Other,
}

/// Lexes PHP source from its start (inline HTML until the first open tag).
#[derive(Clone)]
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    in_php: bool,
    /// How many `{$ }` interpolations the current position is in.
    nesting: usize,
}

/// The deepest `"{$a["{$b}"]}"` nesting read (a bound on the lexer's recursion).
const MAX_NESTING: usize = 32;

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a [u8]) -> Self {
        Self {
            src,
            pos: 0,
            in_php: false,
            nesting: 0,
        }
    }

    /// The source being read.
    pub(crate) fn src(&self) -> &'a [u8] {
        self.src
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn error(&self, cause: &str, at: usize) -> ParseError {
        ParseError::at(cause, self.src, at)
    }

    /// Moves to the next `needle` at or after the current position and returns true, or
    /// to the end and returns false.
    fn skip_to(&mut self, needle: &[u8]) -> bool {
        match self.rest().windows(needle.len()).position(|w| w == needle) {
            Some(i) => {
                self.pos += i;
                true
            }
            None => {
                self.pos = self.src.len();
                false
            }
        }
    }

    /// The next token, or `None` at the end of the source.
    pub(crate) fn next_token(&mut self) -> Result<Option<Token<'a>>, ParseError> {
        loop {
            if !self.in_php {
                return Ok(self.open_tag());
            }
            while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
                self.pos += 1;
            }
            let at = self.pos;
            let Some(b) = self.peek(0) else {
                return Ok(None);
            };
            let kind = match (b, self.peek(1)) {
                (b'#', _) | (b'/', Some(b'/')) => {
                    // A line comment ends before a newline or a close tag.
                    while !matches!(
                        (self.peek(0), self.peek(1)),
                        (None | Some(b'\n'), _) | (Some(b'?'), Some(b'>'))
                    ) {
                        self.pos += 1;
                    }
                    continue;
                }
                (b'/', Some(b'*')) => {
                    self.pos += 2;
                    if !self.skip_to(b"*/") {
                        return Err(self.error("unterminated comment", at));
                    }
                    self.pos += 2;
                    continue;
                }
                (b'?', Some(b'>')) => {
                    self.pos += 2;
                    self.in_php = false;
                    Kind::Boundary
                }
                (b'$', Some(c)) if is_ident_start(c) => {
                    self.pos += 1;
                    Kind::Var(self.take_while(is_ident))
                }
                (b'\'', _) => self.single_quoted()?,
                (b'"', _) => self.double_quoted(b)?.map_or(Kind::Other, Kind::Str),
                (b'`', _) => {
                    self.double_quoted(b)?;
                    Kind::Other
                }
                (b'<', _) if self.heredoc()? => Kind::Other,
                (b'0'..=b'9', _) => Kind::Number(self.take_while(is_ident)),
                _ if is_ident_start(b) => {
                    self.take_while(is_ident);
                    Kind::Other
                }
                _ => {
                    self.pos += 1;
                    Kind::Punct(b)
                }
            };
            return Ok(Some(Token { kind, at }));
        }
    }

    /// In inline HTML: moves past the next open tag and returns it, or to the end.
    fn open_tag(&mut self) -> Option<Token<'a>> {
        while self.skip_to(b"<?") {
            let at = self.pos;
            let tag = self.rest().get(2..).unwrap_or_default();
            if tag.get(..3).is_some_and(|t| t.eq_ignore_ascii_case(b"php"))
                && tag.get(3).is_none_or(|b| b.is_ascii_whitespace())
            {
                self.pos += 5;
                self.in_php = true;
                return Some(Token {
                    kind: Kind::Boundary,
                    at,
                });
            }
            if tag.first() == Some(&b'=') {
                self.pos += 3;
                self.in_php = true;
                return Some(Token {
                    kind: Kind::Other,
                    at,
                });
            }
            self.pos += 2;
        }
        None
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek(0).is_some_and(&f) {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or_default()
    }

    /// A `'...'` string: only `\'` and `\\` are escapes.
    fn single_quoted(&mut self) -> Result<Kind<'a>, ParseError> {
        let at = self.pos;
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match (self.peek(0), self.peek(1)) {
                (None, _) => return Err(self.error("unterminated string", at)),
                (Some(b'\''), _) => break,
                (Some(b'\\'), Some(c @ (b'\'' | b'\\'))) => {
                    value.push(c);
                    self.pos += 1;
                }
                (Some(c), _) => value.push(c),
            }
            self.pos += 1;
        }
        self.pos += 1;
        Ok(Kind::Str(value))
    }

    /// A string closed by `quote` (`"` or a backtick) with double-quote escapes: its value,
    /// or `None` if it interpolates (has an unescaped `$`).
    fn double_quoted(&mut self, quote: u8) -> Result<Option<Vec<u8>>, ParseError> {
        let at = self.pos;
        self.pos += 1;
        let (mut value, mut interpolated) = (Vec::new(), false);
        loop {
            let Some(b) = self.peek(0) else {
                return Err(self.error("unterminated string", at));
            };
            self.pos += 1;
            match (b, self.peek(0)) {
                _ if b == quote => return Ok((!interpolated).then_some(value)),
                (b'$', Some(b'{')) | (b'{', Some(b'$')) => {
                    interpolated = true;
                    self.pos += usize::from(b == b'$');
                    self.interpolation(at)?;
                }
                (b'$', _) => {
                    interpolated = true;
                    value.push(b);
                }
                (b'\\', Some(c)) => self.escape(c, quote, &mut value)?,
                _ => value.push(b),
            }
        }
    }

    /// Inside `{$` or `${` of the string at `at`: moves past the code up to the matching `}`.
    fn interpolation(&mut self, at: usize) -> Result<(), ParseError> {
        if self.nesting == MAX_NESTING {
            return Err(self.error("strings nested too deeply", at));
        }
        self.nesting += 1;
        let mut depth = 0usize;
        loop {
            match self.next_token()?.map(|t| t.kind) {
                None => return Err(self.error("unterminated string", at)),
                Some(Kind::Punct(b'{')) => depth += 1,
                Some(Kind::Punct(b'}')) if depth == 0 => break,
                Some(Kind::Punct(b'}')) => depth -= 1,
                Some(_) => {}
            }
        }
        self.nesting -= 1;
        Ok(())
    }

    /// At the letter `c` after a `\` in a string closed by `quote`: the escape's bytes
    /// onto `value`, moving past the escape; a `\` if it is not one.
    fn escape(&mut self, c: u8, quote: u8, value: &mut Vec<u8>) -> Result<(), ParseError> {
        let rest = self.rest();
        // The end of the run of at most `max` digits in `radix` from `from`.
        let digits = |from: usize, radix: u32, max: usize| {
            let run = rest.get(from..).unwrap_or_default().iter().take(max);
            from + run.take_while(|&&d| char::from(d).is_digit(radix)).count()
        };
        let (byte, len) = match c {
            b'n' => (b'\n', 1),
            b't' => (b'\t', 1),
            b'r' => (b'\r', 1),
            b'v' => (0x0b, 1),
            b'e' => (0x1b, 1),
            b'f' => (0x0c, 1),
            b'\\' | b'$' => (c, 1),
            _ if c == quote => (c, 1),
            // PHP keeps the low byte of an octal escape above `\377`.
            b'0'..=b'7' => (number(&rest[..digits(0, 8, 3)], 8) as u8, digits(0, 8, 3)),
            b'x' if digits(1, 16, 2) > 1 => {
                let end = digits(1, 16, 2);
                (number(&rest[1..end], 16) as u8, end)
            }
            b'u' if rest.get(1) == Some(&b'{') => {
                let end = digits(2, 16, usize::MAX);
                let hex = std::str::from_utf8(&rest[2..end]).unwrap_or_default();
                let code = u32::from_str_radix(hex, 16).ok().filter(|&n| n <= 0x10ffff);
                let (Some(code), Some(b'}')) = (code, rest.get(end)) else {
                    return Err(self.error("invalid \\u{} escape", self.pos - 1));
                };
                match char::from_u32(code) {
                    Some(ch) => value.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                    // A surrogate: PHP writes its three bytes, which are not UTF-8.
                    None => value.extend(
                        [
                            0xe0 | code >> 12,
                            0x80 | code >> 6 & 0x3f,
                            0x80 | code & 0x3f,
                        ]
                        .map(|b| b as u8),
                    ),
                }
                self.pos += end + 1;
                return Ok(());
            }
            // Not an escape: the backslash stays, and the letter is read as usual.
            _ => (b'\\', 0),
        };
        value.push(byte);
        self.pos += len;
        Ok(())
    }

    /// At `<`: moves past a heredoc or nowdoc and returns true, or returns false if none
    /// starts here.
    fn heredoc(&mut self) -> Result<bool, ParseError> {
        let at = self.pos;
        let Some(head) = self.rest().strip_prefix(b"<<<") else {
            return Ok(false);
        };
        let head = &head[blanks(head)..];
        // `"LABEL"` or `'LABEL'` (a nowdoc) or `LABEL`, then a newline.
        let quote = head.first().filter(|&&b| b == b'\'' || b == b'"').copied();
        let head = &head[usize::from(quote.is_some())..];
        let (label, after) = head.split_at(head.iter().take_while(|&&b| is_ident(b)).count());
        let after = after.strip_prefix(quote.as_slice());
        let body = after.and_then(|a| a.strip_prefix(b"\n").or(a.strip_prefix(b"\r\n")));
        let (Some(body), Some(&first)) = (body, label.first()) else {
            return Ok(false);
        };
        if !is_ident_start(first) {
            return Ok(false);
        }
        // The closing label: first on a line but for blanks, and not followed by an
        // identifier byte.
        self.pos = self.src.len() - body.len();
        loop {
            let line = self.rest();
            let indent = blanks(line);
            if let Some(tail) = line[indent..].strip_prefix(label)
                && !tail.first().is_some_and(|&b| is_ident(b))
            {
                self.pos += indent + label.len();
                return Ok(true);
            }
            if !self.skip_to(b"\n") {
                return Err(self.error("unterminated heredoc", at));
            }
            self.pos += 1;
        }
    }
}

/// Tells which tokens start a top-level statement (one outside braces, parentheses and
/// brackets): the first token, and those after `;`, `<?php`, `?>` or a closing `}`.
pub(crate) struct Statements {
    depth: usize,
    at_start: bool,
}

impl Statements {
    pub(crate) fn new() -> Self {
        Self {
            depth: 0,
            at_start: true,
        }
    }

    /// Whether `kind`, the next token, starts a top-level statement; every token goes
    /// through here, so that nesting is followed.
    pub(crate) fn starts(&mut self, kind: &Kind) -> bool {
        let start = self.at_start && self.depth == 0;
        self.at_start = false;
        match kind {
            Kind::Punct(b';') | Kind::Boundary => self.at_start = true,
            Kind::Punct(b'{' | b'(' | b'[') => self.depth += 1,
            Kind::Punct(b'}') => {
                self.depth = self.depth.saturating_sub(1);
                self.at_start = true;
            }
            Kind::Punct(b')' | b']') => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        start
    }

    /// The caller read a statement to its end itself: the next token starts another.
    pub(crate) fn ended(&mut self) {
        self.at_start = true;
    }
}

/// How many spaces and tabs `s` starts with.
fn blanks(s: &[u8]) -> usize {
    s.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// The value of up to three `digits` in `radix`, which the caller has checked.
fn number(digits: &[u8], radix: u32) -> u32 {
    digits
        .iter()
        .filter_map(|&d| char::from(d).to_digit(radix))
        .fold(0, |n, d| n * radix + d)
}

/// A PHP integer literal (`53496`, `53_496`, `0x1F`, `0o17`, `017`, `0b101`), or `None`
/// if `raw` is not one or does not fit PHP's 64-bit integers.
pub(crate) fn int_literal(raw: &[u8]) -> Option<u64> {
    let (radix, digits) = match raw {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', _, ..] => (8, raw),
        _ => (10, raw),
    };
    let mut n: u64 = 0;
    // `_` only between digits.
    for group in digits.split(|&b| b == b'_') {
        if group.is_empty() {
            return None;
        }
        for &b in group {
            let d = char::from(b).to_digit(radix)?;
            n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        }
    }
    (n <= i64::MAX as u64).then_some(n)
}
