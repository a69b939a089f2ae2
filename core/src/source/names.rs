//! Where an archive entry's name lands in the unpacked tree, decided on the raw bytes
//! (never on a library's normalised path), and what an OCI whiteout name removes.

/// Longest entry name accepted, in bytes.
pub const MAX_NAME: usize = 4096;

/// The whiteout prefix of OCI layers: `.wh.NAME` removes NAME from the layers below.
pub const WHITEOUT: &str = ".wh.";
/// The opaque-directory marker: its directory hides what the layers below had in it.
pub const OPAQUE: &str = ".wh..wh..opq";

/// Where a name lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Outside the subtree (and not a whiteout that reaches into it): skipped.
    Outside,
    /// The subtree's own directory, or one of its ancestors: nothing to make.
    Above,
    /// At this path relative to the tree (never empty).
    At(String),
    /// A whiteout reaching the tree: removes this path (empty: the whole tree) from the
    /// layers below.
    Remove(String),
    /// An opaque marker reaching the tree: hides what the layers below had in this
    /// directory (empty: the tree's root).
    Opaque(String),
}

/// Why a name is refused (the message's cause).
pub mod refused {
    /// An absolute name.
    pub const ABSOLUTE: &str = "absolute name";
    /// A `..` component.
    pub const DOTDOT: &str = "'..' in the name";
    /// Too long.
    pub const LONG: &str = "name longer than 4096 bytes";
    /// A NUL, or bytes that are not UTF-8.
    pub const BYTES: &str = "name is not UTF-8 or holds a NUL";
    /// A whiteout name in a release archive.
    pub const WHITEOUT: &str = "whiteout name in a release archive (not an image layer)";
}

/// Decides where `raw` (an entry's name, or a hard link's target) lands, for `subtree`
/// (as [`super::subtree`] gives it). `./` components are dropped; a trailing `/` is
/// allowed. `layer`: whiteout names are read as such (else refused).
///
/// # Errors
/// The name is absolute, holds `..`, is too long, or is not UTF-8 without NUL; the cause
/// is one of [`refused`].
pub fn place(raw: &[u8], subtree: &str, layer: bool) -> Result<Placed, &'static str> {
    if raw.len() > MAX_NAME {
        return Err(refused::LONG);
    }
    let name = std::str::from_utf8(raw).map_err(|_| refused::BYTES)?;
    if name.contains('\0') {
        return Err(refused::BYTES);
    }
    if name.starts_with('/') {
        return Err(refused::ABSOLUTE);
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(refused::DOTDOT);
    }
    let whiteout = parts.last().and_then(|last| last.strip_prefix(WHITEOUT));
    match whiteout {
        Some(_) if !layer => Err(refused::WHITEOUT),
        Some(rest) => Ok(whiteout_of(&parts, rest, subtree)),
        None => Ok(within(&parts, subtree).map_or(Placed::Outside, |rel| {
            if rel.is_empty() {
                Placed::Above
            } else {
                Placed::At(rel)
            }
        })),
    }
}

/// `parts` relative to `subtree`: `Some("")` for the subtree or an ancestor of it,
/// `Some(rel)` inside it, `None` elsewhere.
fn within(parts: &[&str], subtree: &str) -> Option<String> {
    let sub: Vec<&str> = subtree.split('/').filter(|p| !p.is_empty()).collect();
    let common = parts.iter().zip(&sub).take_while(|(a, b)| a == b).count();
    if common == parts.len() {
        Some(String::new())
    } else if common == sub.len() {
        Some(parts[common..].join("/"))
    } else {
        None
    }
}

/// What a whiteout (`rest` is the name after `.wh.`) in directory `parts[..len-1]` does.
fn whiteout_of(parts: &[&str], rest: &str, subtree: &str) -> Placed {
    let dir = &parts[..parts.len() - 1];
    if rest == &OPAQUE[WHITEOUT.len()..] {
        return match within(dir, subtree) {
            Some(rel) => Placed::Opaque(rel),
            None => Placed::Outside,
        };
    }
    if rest.is_empty() {
        return Placed::Outside;
    }
    let mut removed = dir.to_vec();
    removed.push(rest);
    match within(&removed, subtree) {
        Some(rel) => Placed::Remove(rel),
        None => Placed::Outside,
    }
}

/// Whether a symlink at `at` (relative to the tree) with contents `text` stays in the
/// tree, read lexically: not absolute, and its `..` never climbs above the tree's root.
pub fn symlink_stays(at: &str, text: &str) -> bool {
    if text.is_empty() || text.starts_with('/') || text.contains('\0') {
        return false;
    }
    let mut depth = at.split('/').filter(|p| !p.is_empty()).count() as i64 - 1;
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

/// `s` with control characters escaped (`\u{1b}`), for a message: a name from an
/// archive never reaches a terminal as the bytes it was.
pub fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped = c.is_control().then(|| c.escape_default());
            let plain = (!c.is_control()).then_some(c);
            escaped.into_iter().flatten().chain(plain)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(printable("wp-admin/é.php"), "wp-admin/é.php");
    }

    #[test]
    fn names_land_relative_to_the_subtree() {
        let cases: &[(&[u8], &str, Placed)] = &[
            (
                b"wordpress/index.php",
                "wordpress",
                Placed::At("index.php".into()),
            ),
            (
                b"./wordpress/wp-admin/",
                "wordpress",
                Placed::At("wp-admin".into()),
            ),
            (b"wordpress/", "wordpress", Placed::Above),
            (b"other/x", "wordpress", Placed::Outside),
            (b"wordpressx/y", "wordpress", Placed::Outside),
            (b"usr/", "usr/src/wordpress", Placed::Above),
            (
                b"usr/src/wordpress/a//b",
                "usr/src/wordpress",
                Placed::At("a/b".into()),
            ),
            (b"a/b", "", Placed::At("a/b".into())),
        ];
        for (raw, sub, want) in cases {
            assert_eq!(&place(raw, sub, false).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn whiteouts_reach_the_tree_from_inside_and_above() {
        let s = "usr/src/wordpress";
        let cases: &[(&[u8], Placed)] = &[
            (
                b"usr/src/wordpress/.wh.readme.html",
                Placed::Remove("readme.html".into()),
            ),
            (
                b"usr/src/wordpress/wp-admin/.wh..wh..opq",
                Placed::Opaque("wp-admin".into()),
            ),
            (b"usr/src/.wh.wordpress", Placed::Remove(String::new())),
            (b"usr/.wh.src", Placed::Remove(String::new())),
            (b"usr/src/.wh..wh..opq", Placed::Opaque(String::new())),
            (
                b"usr/src/wordpress/.wh..wh..opq",
                Placed::Opaque(String::new()),
            ),
            (b"etc/.wh.passwd", Placed::Outside),
            (b"usr/src/.wh.other", Placed::Outside),
        ];
        for (raw, want) in cases {
            assert_eq!(&place(raw, s, true).unwrap(), want, "{raw:?}");
        }
        assert_eq!(
            place(b"wordpress/.wh.x", "wordpress", false),
            Err(refused::WHITEOUT)
        );
    }

    #[test]
    fn hostile_names_are_refused() {
        let long = vec![b'a'; MAX_NAME + 1];
        let cases: &[(&[u8], &str)] = &[
            (b"/etc/passwd", refused::ABSOLUTE),
            (b"wordpress/../x", refused::DOTDOT),
            (b"wordpress/a/../../x", refused::DOTDOT),
            (b"..", refused::DOTDOT),
            (b"wordpress/\xff", refused::BYTES),
            (b"wordpress/a\0b", refused::BYTES),
            (&long, refused::LONG),
        ];
        for (raw, want) in cases {
            assert_eq!(place(raw, "wordpress", true), Err(*want), "{raw:?}");
        }
    }

    #[test]
    fn symlinks_may_not_climb_out() {
        assert!(symlink_stays("a/l", "b"));
        assert!(symlink_stays("a/l", "../c"));
        assert!(symlink_stays("a/b/l", "../../c"));
        assert!(!symlink_stays("a/l", "../../c"));
        assert!(!symlink_stays("l", ".."));
        assert!(!symlink_stays("l", "/etc"));
        assert!(!symlink_stays("l", ""));
        assert!(symlink_stays("l", "./x/../y"));
    }
}
