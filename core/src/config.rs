//! The `wp-config.php` step: which variables request it, the templates, and salts.
//!
//! Like the official image, wp-init never writes a variable's value into PHP: the
//! generated file reads the `WORDPRESS_*` environment at runtime. The only text it
//! inserts is the random salts, drawn from an alphabet that needs no escaping inside a
//! single-quoted PHP string.

/// Prefix of the environment variables that request a `wp-config.php`.
pub const VAR_PREFIX: &str = "WORDPRESS_";

/// The placeholder each key/salt line of a template carries.
pub const UNIQUE_PHRASE: &str = "put your unique phrase here";

/// Length of each generated salt.
pub const SALT_LEN: usize = 64;

/// Letters, digits and every printable ASCII punctuation mark except `'` and `\`, the only
/// two characters that mean something inside a single-quoted PHP string.
pub const SALT_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"#$%&()*+,-./:;<=>?@[]^_`{|}~";

/// wp-init's own template, used when neither TARGET nor SOURCE has `wp-config-docker.php`.
/// Same runtime semantics as the official image's template (`getenv` with `_FILE` secrets
/// and the same defaults, `WORDPRESS_CONFIG_EXTRA`, `X-Forwarded-Proto`).
pub const BUILTIN_TEMPLATE: &str = include_str!("wp-config-builtin.php");

/// File name of the official image's template.
pub const DOCKER_TEMPLATE: &str = "wp-config-docker.php";

/// File name of the generated configuration.
pub const CONFIG_FILE: &str = "wp-config.php";

/// The sorted `WORDPRESS_*` names among `names` (values play no part, as upstream).
pub fn requested_by<I, S>(names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut found: Vec<String> = names
        .into_iter()
        .filter(|n| n.as_ref().starts_with(VAR_PREFIX))
        .map(|n| n.as_ref().to_owned())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// What is at a config or template path, as upstream's shell tests see it: `[ -s ]`
/// (exists, following symlinks, and is non-empty) decides whether a config exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// `-s` is false: missing, a dangling symlink, or empty. A config may be written.
    Nothing,
    /// A non-empty regular file: an existing config, or a usable template.
    NonEmptyFile,
    /// Anything else `-s` calls non-empty (a directory): left alone, never used as a
    /// template.
    SomethingElse,
    /// A symlink leading out of the directory, which the sandbox will not follow: wp-init
    /// cannot tell what is there, so it is left alone, never used as a template.
    Unseen,
}

/// [`Found`] for an entry that is there (symlinks followed): a directory, a regular file,
/// or something else, of `size` bytes.
pub fn found(directory: bool, regular: bool, size: u64) -> Found {
    match (directory, regular) {
        (true, _) => Found::SomethingElse,
        _ if size == 0 => Found::Nothing,
        (_, true) => Found::NonEmptyFile,
        _ => Found::SomethingElse,
    }
}

/// What the config step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No `WORDPRESS_*` variable: nothing.
    NotRequested,
    /// Keeps what is there; `unseen`: with a warning that wp-init cannot tell what it is.
    Keep {
        /// What is there is [`Found::Unseen`].
        unseen: bool,
    },
    /// Writes a config.
    Write,
}

/// The config step's decision: `requested` by a variable, with `existing` at the config's
/// path (as the copy leaves it).
pub fn step(requested: bool, existing: Found) -> Step {
    match (requested, existing) {
        (false, _) => Step::NotRequested,
        (true, Found::Nothing) => Step::Write,
        (true, e) => Step::Keep {
            unseen: e == Found::Unseen,
        },
    }
}

/// Builds one salt from a source of random bytes, by rejection sampling so every
/// character of [`SALT_ALPHABET`] is equally likely.
///
/// `fill` writes random bytes into the buffer it is given; its error is passed through.
pub fn salt<E>(fill: &mut impl FnMut(&mut [u8]) -> Result<(), E>) -> Result<String, E> {
    // The largest multiple of the alphabet size that fits a byte: bytes above it are
    // rejected so that `b % len` is uniform.
    let n = SALT_ALPHABET.len();
    let limit = (256 / n) * n;
    let mut out = String::with_capacity(SALT_LEN);
    let mut buf = [0u8; SALT_LEN * 2];
    while out.len() < SALT_LEN {
        fill(&mut buf)?;
        for &b in buf.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == SALT_LEN {
                break;
            }
            out.push(char::from(SALT_ALPHABET[usize::from(b) % n]));
        }
    }
    Ok(out)
}

/// Renders a template: every line containing [`UNIQUE_PHRASE`] gets its own value from
/// `next_salt` (all occurrences on that line the same value); other lines are unchanged.
/// Like awk, every line of the output ends with a newline; CRs pass through.
pub fn render<E>(
    template: &str,
    next_salt: &mut impl FnMut() -> Result<String, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(template.len() + 8 * SALT_LEN);
    let body = template.strip_suffix('\n').unwrap_or(template);
    if template.is_empty() {
        return Ok(out);
    }
    for line in body.split('\n') {
        if line.contains(UNIQUE_PHRASE) {
            out.push_str(&line.replace(UNIQUE_PHRASE, &next_salt()?));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn found_and_step() {
        assert_eq!(found(true, false, 4096), Found::SomethingElse);
        assert_eq!(found(false, true, 0), Found::Nothing);
        assert_eq!(found(false, true, 1), Found::NonEmptyFile);
        assert_eq!(found(false, false, 0), Found::Nothing);
        assert_eq!(found(false, false, 1), Found::SomethingElse);
        assert_eq!(step(false, Found::Nothing), Step::NotRequested);
        assert_eq!(step(true, Found::Nothing), Step::Write);
        assert_eq!(
            step(true, Found::NonEmptyFile),
            Step::Keep { unseen: false }
        );
        assert_eq!(step(true, Found::Unseen), Step::Keep { unseen: true });
    }

    fn counter_rng() -> impl FnMut(&mut [u8]) -> Result<(), ()> {
        let mut x: u32 = 12345;
        move |buf| {
            for b in buf.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *b = (x >> 16) as u8;
            }
            Ok(())
        }
    }

    #[test]
    fn alphabet_is_safe_and_unique() {
        assert!(!SALT_ALPHABET.contains(&b'\''));
        assert!(!SALT_ALPHABET.contains(&b'\\'));
        let set: HashSet<_> = SALT_ALPHABET.iter().collect();
        assert_eq!(set.len(), SALT_ALPHABET.len());
        assert_eq!(SALT_ALPHABET.len(), 26 * 2 + 10 + 30);
    }

    #[test]
    fn salt_has_length_and_alphabet() {
        let mut rng = counter_rng();
        let s = salt(&mut rng).unwrap();
        assert_eq!(s.len(), SALT_LEN);
        assert!(s.bytes().all(|b| SALT_ALPHABET.contains(&b)));
        assert_ne!(s, salt(&mut rng).unwrap());
    }

    #[test]
    fn salt_rejects_biased_bytes() {
        // Only bytes at or above the rejection limit first: they must all be skipped.
        let mut calls = 0;
        let mut fill = |buf: &mut [u8]| -> Result<(), ()> {
            calls += 1;
            buf.fill(if calls == 1 { 255 } else { 1 });
            Ok(())
        };
        let s = salt(&mut fill).unwrap();
        assert_eq!(s, "B".repeat(SALT_LEN));
        assert_eq!(calls, 2);
    }

    #[test]
    fn salt_passes_errors_through() {
        let mut fill = |_: &mut [u8]| -> Result<(), &str> { Err("no randomness") };
        assert_eq!(salt(&mut fill), Err("no randomness"));
    }

    #[test]
    fn render_replaces_per_line() {
        let t = "a\nx 'put your unique phrase here' 'put your unique phrase here'\ny 'put your unique phrase here'\r\nb";
        let mut n = 0;
        let out = render(t, &mut || -> Result<String, ()> {
            n += 1;
            Ok(format!("S{n}"))
        })
        .unwrap();
        assert_eq!(out, "a\nx 'S1' 'S1'\ny 'S2'\r\nb\n");
    }

    #[test]
    fn render_keeps_single_trailing_newline() {
        let mut none = || -> Result<String, ()> { unreachable!() };
        assert_eq!(render("a\n", &mut none).unwrap(), "a\n");
        assert_eq!(render("a\n\n", &mut none).unwrap(), "a\n\n");
        assert_eq!(render("", &mut none).unwrap(), "");
    }

    #[test]
    fn builtin_template_has_eight_distinct_salt_lines() {
        let mut rng = counter_rng();
        let out = render(BUILTIN_TEMPLATE, &mut || salt(&mut rng)).unwrap();
        assert!(!out.contains(UNIQUE_PHRASE));
        let lines: Vec<_> = BUILTIN_TEMPLATE
            .lines()
            .filter(|l| l.contains(UNIQUE_PHRASE))
            .collect();
        assert_eq!(lines.len(), 8);
        let salts: HashSet<_> = out
            .lines()
            .filter(|l| {
                l.contains("getenv_docker('WORDPRESS_")
                    && (l.contains("_KEY'") || l.contains("_SALT'"))
            })
            .map(|l| l.rsplit(", '").next().unwrap().to_owned())
            .collect();
        assert_eq!(salts.len(), 8);
    }

    #[test]
    fn requested_by_filters_and_sorts() {
        let names = [
            "PATH",
            "WORDPRESS_DB_NAME",
            "WORDPRESS_DB_HOST",
            "WORDPRESSX",
            "WORDPRESS_DB_HOST",
        ];
        assert_eq!(
            requested_by(names),
            ["WORDPRESS_DB_HOST", "WORDPRESS_DB_NAME"]
        );
        assert!(requested_by(["HOME"]).is_empty());
    }
}
