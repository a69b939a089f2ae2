//! The table: every row an archive (format, entries), flags, and what the run must give.

use super::build::{B, E, Format};
use super::{After, Archive, Expect, Pre, Row};

/// The first message fragment of every refused entry.
const INV: &str = "invalid archive";

const VERSION_PHP: B = b"<?php\n$wp_version = '6.8.1';\n$wp_db_version = 58975;\n";

/// A small WordPress-like tree (names relative to the subtree), with the modes the
/// archive gives: an executable file (0755 after), a 0600 and a 0666 file (0644 after),
/// a 0700 directory (0755 after), relative symlinks inside the tree.
pub const GOOD: &[E] = &[
    E::Dir(b"", 0o755),
    E::File(
        b"index.php",
        0o644,
        b"<?php define('WP_USE_THEMES', true); require __DIR__ . '/wp-blog-header.php';\n",
    ),
    E::File(b"wp-blog-header.php", 0o644, b"<?php // header\n"),
    E::File(
        b"wp-cron.php",
        0o755,
        b"#!/usr/bin/env php\n<?php // cron\n",
    ),
    E::File(b"wp-config-sample.php", 0o600, b"<?php // sample\n"),
    E::File(b"license.txt", 0o666, b"GPLv2 or later\n"),
    E::Dir(b"wp-admin", 0o755),
    E::File(b"wp-admin/index.php", 0o644, b"<?php // admin\n"),
    E::Dir(b"wp-admin/includes", 0o700),
    E::File(b"wp-admin/includes/file.php", 0o640, b"<?php // file\n"),
    E::Dir(b"wp-includes", 0o755),
    E::File(b"wp-includes/version.php", 0o644, VERSION_PHP),
    E::File(b"wp-includes/functions.php", 0o644, b"<?php // functions\n"),
    E::Symlink(b"wp-includes/functions-link.php", b"functions.php"),
    E::Dir(b"wp-content", 0o755),
    E::File(
        b"wp-content/index.php",
        0o644,
        b"<?php // Silence is golden.\n",
    ),
    E::Dir(b"wp-content/plugins", 0o755),
    E::File(
        b"wp-content/plugins/hello.php",
        0o644,
        b"<?php /* Hello Dolly */\n",
    ),
    E::Dir(b"wp-content/themes", 0o755),
    E::Dir(b"wp-content/themes/twentytwentyfive", 0o755),
    E::File(
        b"wp-content/themes/twentytwentyfive/style.css",
        0o644,
        b"/* Theme Name: Twenty Twenty-Five */\n",
    ),
    E::Symlink(b"wp-content/themes/default", b"twentytwentyfive"),
];

/// A 132-byte path below the subtree (142 in the archive: past ustar's name field).
const LONG_PATH: &str = concat!(
    "wp-content/themes/twentytwentyfive/patterns/",
    "a-pattern-with-a-rather-long-name-that-no-ustar-name-field-can-hold-without-a-prefix.php"
);
/// The same, in the archive.
const LONG_NAME: &str = concat!(
    "wordpress/wp-content/themes/twentytwentyfive/patterns/",
    "a-pattern-with-a-rather-long-name-that-no-ustar-name-field-can-hold-without-a-prefix.php"
);
/// A 131-byte name in a GNU long-name record, and its first 100 bytes (ustar's field).
const GNU_NAME: &str = concat!(
    "wordpress/wp-content/themes/twentytwentyfive/patterns/",
    "another-pattern-with-a-rather-long-name-that-no-ustar-name-field-can-hold.php"
);
const GNU_CUT: &str = concat!(
    "wordpress/wp-content/themes/twentytwentyfive/patterns/",
    "another-pattern-with-a-rather-long-name-that-n"
);
const GNU_PATH: &str = concat!(
    "wp-content/themes/twentytwentyfive/patterns/",
    "another-pattern-with-a-rather-long-name-that-no-ustar-name-field-can-hold.php"
);

const TAR: Archive = Archive {
    format: Format::Tar,
    trees: &["wordpress"],
    bare: false,
    entries: &[],
    edit: None,
};
const TGZ: Archive = Archive {
    format: Format::TarGz,
    ..TAR
};
const ZIP: Archive = Archive {
    format: Format::Zip,
    ..TAR
};

const ROW: Row = Row {
    name: "",
    command: "install",
    target: Pre::UserFiles,
    archive: TAR,
    flags: &[],
    expect: installed(&[]),
};

/// Exit 0, and TARGET as a directory SOURCE holding the tree taken plus `like` gives.
const fn installed(like: &'static [E]) -> Expect {
    Expect {
        code: 0,
        all: &[],
        any: &[],
        after: After::Like(like),
    }
}

/// Exit 4 with all of `all` and one of `any` on stderr; TARGET exactly as before.
const fn refused(all: &'static [&'static str], any: &'static [&'static str]) -> Expect {
    Expect {
        code: 4,
        all,
        any,
        after: After::Untouched,
    }
}

/// A 20,000,000-byte file of zeros: past `--max-source-bytes 10000000`.
const BOMB: E = E::Zeros(b"wordpress/wp-content/bomb.bin", 20_000_000);
const LIMIT: &[&str] = &["--max-source-bytes", "10000000"];
/// The limit is the archive's: the message need not name the entry it was crossed in.
const BOMB_SAYS: Expect = refused(&[INV, "expands to more than"], &[]);

const LEAVING: &[&str] = &["symlink leaving the tree", "through a symlink"];
const CORRUPT: &[&str] = &["corrupt", "truncated"];
const DUPLICATE: &[&str] = &["duplicate entry"];

/// The rows, good ones first.
pub const ROWS: &[Row] = &[
    // Good archives: TARGET as a directory SOURCE of the same tree gives.
    Row {
        name: "good: tar",
        ..ROW
    },
    Row {
        name: "good: tar.gz",
        archive: TGZ,
        ..ROW
    },
    Row {
        name: "good: zip",
        archive: ZIP,
        ..ROW
    },
    Row {
        name: "good: .tgz with its own --sha256 and --max-source-bytes",
        archive: Archive {
            format: Format::Tgz,
            ..TAR
        },
        flags: &["--sha256", "{sha256}", "--max-source-bytes", "10000000"],
        ..ROW
    },
    Row {
        name: "good: tar.gz without directory entries",
        archive: Archive { bare: true, ..TGZ },
        ..ROW
    },
    Row {
        name: "good: zip without directory entries",
        archive: Archive { bare: true, ..ZIP },
        ..ROW
    },
    Row {
        name: "good: a name past ustar's 100 bytes, as PAX path and as GNU long name",
        archive: Archive {
            entries: &[
                E::File(LONG_NAME.as_bytes(), 0o644, b"<?php // pattern\n"),
                // ustar's name field: the first 100 bytes, as GNU tar writes it.
                E::GnuLong(
                    GNU_NAME.as_bytes(),
                    &E::File(GNU_CUT.as_bytes(), 0o644, b"<?php // gnu\n"),
                ),
            ],
            ..TGZ
        },
        expect: installed(&[
            E::File(LONG_PATH.as_bytes(), 0o644, b"<?php // pattern\n"),
            E::File(GNU_PATH.as_bytes(), 0o644, b"<?php // gnu\n"),
        ]),
        ..ROW
    },
    Row {
        name: "good: PAX records a POSIX tar writes (mtime, atime, ctime, uname, gname)",
        archive: Archive {
            entries: &[E::Pax(
                &[
                    (b"mtime", b"1600000000.123456789"),
                    (b"atime", b"1600000001.5"),
                    (b"ctime", b"1600000002.25"),
                    (b"uname", b"root"),
                    (b"gname", b"root"),
                ],
                &E::File(b"wordpress/wp-admin/pax.php", 0o644, b"<?php // pax\n"),
            )],
            ..TGZ
        },
        expect: installed(&[E::File(b"wp-admin/pax.php", 0o644, b"<?php // pax\n")]),
        ..ROW
    },
    Row {
        name: "good: names with a ./ prefix (tar -C DIR .)",
        archive: Archive {
            trees: &["./wordpress"],
            ..TGZ
        },
        ..ROW
    },
    Row {
        name: "good: a doubled slash is not an absolute name",
        archive: Archive {
            entries: &[E::File(
                b"wordpress//wp-admin/double.php",
                0o644,
                b"<?php // double\n",
            )],
            ..TAR
        },
        expect: installed(&[E::File(b"wp-admin/double.php", 0o644, b"<?php // double\n")]),
        ..ROW
    },
    Row {
        name: "good: a gzip of two members (the tar split between them, as gzip allows)",
        archive: Archive {
            edit: Some(two_members),
            ..TGZ
        },
        ..ROW
    },
    Row {
        name: "good: a hard link to an earlier file of the subtree",
        archive: Archive {
            entries: &[E::Hard(
                b"wordpress/wp-includes/version-copy.php",
                b"wordpress/wp-includes/version.php",
            )],
            ..TAR
        },
        expect: installed(&[E::File(b"wp-includes/version-copy.php", 0o644, VERSION_PHP)]),
        ..ROW
    },
    Row {
        name: "good: a PAX global header (git archive's commit comment)",
        archive: Archive {
            entries: &[E::Global(&[(
                b"comment",
                b"0123456789abcdef0123456789abcdef01234567",
            )])],
            ..TGZ
        },
        ..ROW
    },
    Row {
        name: "good: two top-level directories, --source-path picks the second",
        archive: Archive {
            trees: &["wordpress", "other"],
            entries: &[E::File(b"other/marker.txt", 0o644, b"the other tree\n")],
            ..TGZ
        },
        flags: &["--source-path", "other"],
        expect: installed(&[E::File(b"marker.txt", 0o644, b"the other tree\n")]),
        ..ROW
    },
    Row {
        name: "good: no wordpress/ but --source-path names the top directory",
        archive: Archive {
            trees: &["wordpress-6.8.1"],
            ..TGZ
        },
        flags: &["--source-path", "wordpress-6.8.1"],
        ..ROW
    },
    Row {
        name: "dropped: setuid, setgid and sticky bits (tar)",
        archive: Archive {
            entries: &[
                E::File(b"wordpress/wp-admin/suid.php", 0o4755, b"<?php // suid\n"),
                E::Dir(b"wordpress/wp-admin/sgid", 0o2755),
                E::Dir(b"wordpress/wp-admin/sticky", 0o1777),
            ],
            ..TAR
        },
        expect: Expect {
            all: &[
                "WARNING",
                "wordpress/wp-admin/suid.php",
                "setuid",
                "wordpress/wp-admin/sgid",
                "setgid",
                "wordpress/wp-admin/sticky",
                "sticky",
            ],
            ..installed(&[
                E::File(b"wp-admin/suid.php", 0o755, b"<?php // suid\n"),
                E::Dir(b"wp-admin/sgid", 0o755),
                E::Dir(b"wp-admin/sticky", 0o755),
            ])
        },
        ..ROW
    },
    Row {
        name: "dropped: a setuid file (zip)",
        archive: Archive {
            entries: &[E::File(
                b"wordpress/wp-admin/suid.php",
                0o4644,
                b"<?php // suid\n",
            )],
            ..ZIP
        },
        expect: Expect {
            all: &["WARNING", "wordpress/wp-admin/suid.php", "setuid"],
            ..installed(&[E::File(b"wp-admin/suid.php", 0o644, b"<?php // suid\n")])
        },
        ..ROW
    },
    Row {
        name: "upgrade: a good zip over an older installed TARGET",
        command: "upgrade",
        target: Pre::Older,
        archive: ZIP,
        ..ROW
    },
    Row {
        name: "verify: a good tar.gz against TARGET installed from the same tree",
        command: "verify",
        target: Pre::Installed,
        archive: TGZ,
        expect: Expect {
            code: 0,
            all: &[],
            any: &[],
            after: After::Untouched,
        },
        ..ROW
    },
    Row {
        name: "good: over names like a dead run's scratch directory, leading outside",
        target: Pre::Planted,
        archive: TGZ,
        expect: Expect {
            after: After::Installed,
            ..installed(&[])
        },
        ..ROW
    },
    // Names.
    Row {
        name: "absolute name outside",
        archive: Archive {
            entries: &[E::File(b"{outside}/abs.php", 0o644, b"x")],
            ..TAR
        },
        expect: refused(&[INV, "{outside}/abs.php", "absolute name"], &[]),
        ..ROW
    },
    Row {
        name: "absolute name of the subtree's own path",
        archive: Archive {
            entries: &[E::File(b"/wordpress/abs.php", 0o644, b"x")],
            ..TGZ
        },
        expect: refused(&[INV, "/wordpress/abs.php", "absolute name"], &[]),
        ..ROW
    },
    Row {
        name: "'..' component: wordpress/../x",
        archive: Archive {
            entries: &[E::File(b"wordpress/../x.php", 0o644, b"x")],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/../x.php", "'..' in the name"], &[]),
        ..ROW
    },
    Row {
        name: "'..' components: wordpress/a/../../../outside/x",
        archive: Archive {
            entries: &[E::File(b"wordpress/a/../../../outside/x.php", 0o644, b"x")],
            ..TGZ
        },
        expect: refused(
            &[
                INV,
                "wordpress/a/../../../outside/x.php",
                "'..' in the name",
            ],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "'..' outside the subtree is refused too",
        archive: Archive {
            entries: &[E::File(b"other/../../outside/x.php", 0o644, b"x")],
            ..TAR
        },
        expect: refused(&[INV, "other/../../outside/x.php", "'..' in the name"], &[]),
        ..ROW
    },
    Row {
        name: "name over 4 KiB (PAX path)",
        archive: Archive {
            entries: &[E::File(b"wordpress/{long}", 0o644, b"x")],
            ..TGZ
        },
        expect: refused(
            &[INV, "wordpress/aaaaaaaaaa", "name longer than 4096 bytes"],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "name with a NUL (PAX path)",
        archive: Archive {
            entries: &[E::Pax(
                &[(b"path", b"wordpress/nul\0x.php")],
                &E::File(b"wordpress/nul", 0o644, b"x"),
            )],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/nul"], &["NUL", "corrupt"]),
        ..ROW
    },
    Row {
        name: "name not UTF-8",
        archive: Archive {
            entries: &[E::File(b"wordpress/bad\xff.php", 0o644, b"x")],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/bad"], &["UTF-8", "corrupt"]),
        ..ROW
    },
    Row {
        name: "duplicate entry: the same file twice",
        archive: Archive {
            entries: &[E::File(
                b"wordpress/index.php",
                0o644,
                b"<?php // the second\n",
            )],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/index.php", "duplicate entry"], &[]),
        ..ROW
    },
    Row {
        name: "duplicate entry: a file, then a directory of the same path",
        archive: Archive {
            entries: &[
                E::File(b"wordpress/wp-admin/twice", 0o644, b"x"),
                E::Dir(b"wordpress/wp-admin/twice", 0o755),
            ],
            ..TGZ
        },
        expect: refused(&[INV, "wordpress/wp-admin/twice", "duplicate entry"], &[]),
        ..ROW
    },
    Row {
        name: "an OCI whiteout name in a release archive",
        archive: Archive {
            entries: &[E::File(b"wordpress/wp-admin/.wh.index.php", 0o644, b"")],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/wp-admin/.wh.index.php", "whiteout name"],
            &[],
        ),
        ..ROW
    },
    // Symlinks.
    Row {
        name: "an entry written through an earlier symlink inside the tree",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b"wp-admin"),
                E::File(b"wordpress/l/x.php", 0o644, b"x"),
            ],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/l/x.php", "through a symlink"], &[]),
        ..ROW
    },
    Row {
        name: "symlink to .. then an entry through it",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b".."),
                E::File(b"wordpress/l/x.php", 0o644, b"x"),
            ],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/l"], LEAVING),
        ..ROW
    },
    Row {
        name: "symlink to the canary (absolute) then an entry through it",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b"{outside}"),
                E::File(b"wordpress/l/secret", 0o644, b"overwritten"),
            ],
            ..TGZ
        },
        expect: refused(&[INV, "wordpress/l"], LEAVING),
        ..ROW
    },
    Row {
        name: "symlink leaving the tree: ../../../../outside/secret",
        archive: Archive {
            entries: &[E::Symlink(
                b"wordpress/wp-admin/up",
                b"../../../../outside/secret",
            )],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/wp-admin/up", "symlink leaving the tree"],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "symlink leaving the subtree into the archive's other top directory",
        archive: Archive {
            trees: &["wordpress", "other"],
            entries: &[E::Symlink(b"wordpress/up", b"../other/index.php")],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/up", "symlink leaving the tree"], &[]),
        ..ROW
    },
    Row {
        name: "a symlink chain that leaves the tree only when resolved (l2 -> l1/.., l1 -> ..)",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/wp-admin/l1", b".."),
                E::Symlink(b"wordpress/wp-admin/l2", b"l1/.."),
            ],
            ..TGZ
        },
        expect: refused(
            &["wp-admin/l2"],
            &["symlink leaving the tree", "resolves outside"],
        ),
        ..ROW
    },
    Row {
        name: "a symlink, then a directory of the same name, then an entry in it",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b"wp-admin"),
                E::Dir(b"wordpress/l", 0o755),
                E::File(b"wordpress/l/x.php", 0o644, b"x"),
            ],
            ..TGZ
        },
        expect: refused(
            &[INV, "wordpress/l"],
            &["duplicate entry", "through a symlink"],
        ),
        ..ROW
    },
    Row {
        name: "zip: symlink (S_IFLNK) leaving the tree",
        archive: Archive {
            entries: &[E::Symlink(
                b"wordpress/wp-admin/up",
                b"../../../../outside/secret",
            )],
            ..ZIP
        },
        expect: refused(
            &[INV, "wordpress/wp-admin/up", "symlink leaving the tree"],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "zip: symlink to the canary (absolute) then an entry through it",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b"{outside}"),
                E::File(b"wordpress/l/secret", 0o644, b"overwritten"),
            ],
            ..ZIP
        },
        expect: refused(&[INV, "wordpress/l"], LEAVING),
        ..ROW
    },
    // Hard links.
    Row {
        name: "hard link to an entry outside the subtree",
        archive: Archive {
            entries: &[
                E::File(b"other/secret.php", 0o644, b"<?php // other\n"),
                E::Hard(b"wordpress/h.php", b"other/secret.php"),
            ],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/h.php", "hard link to outside the subtree"],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "hard link to the canary (absolute)",
        archive: Archive {
            entries: &[E::Hard(b"wordpress/h.php", b"{outside}/secret")],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/h.php"],
            &["hard link to outside the subtree", "absolute name"],
        ),
        ..ROW
    },
    Row {
        name: "hard link to ../../../outside/secret",
        archive: Archive {
            entries: &[E::Hard(b"wordpress/h.php", b"../../../outside/secret")],
            ..TGZ
        },
        expect: refused(
            &[INV, "wordpress/h.php"],
            &["hard link to outside the subtree", "'..' in the name"],
        ),
        ..ROW
    },
    Row {
        name: "hard link to nothing",
        archive: Archive {
            entries: &[E::Hard(b"wordpress/h.php", b"wordpress/missing.php")],
            ..TAR
        },
        expect: refused(
            &[
                INV,
                "wordpress/h.php",
                "hard link to an entry not yet unpacked",
            ],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "hard link to a later entry",
        archive: Archive {
            entries: &[
                E::Hard(b"wordpress/h.php", b"wordpress/later.php"),
                E::File(b"wordpress/later.php", 0o644, b"<?php // later\n"),
            ],
            ..TAR
        },
        expect: refused(
            &[
                INV,
                "wordpress/h.php",
                "hard link to an entry not yet unpacked",
            ],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "hard link to an earlier symlink (of the tree, resolving inside it)",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/start.php", b"index.php"),
                E::Hard(b"wordpress/start-too.php", b"wordpress/start.php"),
            ],
            ..TAR
        },
        // No cause of the contract's list says it: a hard link names a file's content.
        expect: refused(
            &[INV, "wordpress/start-too.php"],
            &[
                "hard link to a symlink",
                "hard link to an entry not yet unpacked",
                "unsupported entry type",
            ],
        ),
        ..ROW
    },
    Row {
        name: "hard link to a directory",
        archive: Archive {
            entries: &[E::Hard(b"wordpress/admin-too", b"wordpress/wp-admin")],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/admin-too"],
            &[
                "hard link to a directory",
                "hard link to an entry not yet unpacked",
                "unsupported entry type",
            ],
        ),
        ..ROW
    },
    Row {
        name: "hard link through an earlier symlink to the canary",
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b"{outside}"),
                E::Hard(b"wordpress/h.php", b"wordpress/l/secret"),
            ],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/l"],
            &[
                "symlink leaving the tree",
                "through a symlink",
                "hard link to outside the subtree",
            ],
        ),
        ..ROW
    },
    // Entry types.
    Row {
        name: "character device",
        archive: Archive {
            entries: &[E::Typed(b"wordpress/null", b'3')],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/null", "unsupported entry type"], &[]),
        ..ROW
    },
    Row {
        name: "block device",
        archive: Archive {
            entries: &[E::Typed(b"wordpress/disk", b'4')],
            ..TGZ
        },
        expect: refused(&[INV, "wordpress/disk", "unsupported entry type"], &[]),
        ..ROW
    },
    Row {
        name: "FIFO",
        archive: Archive {
            entries: &[E::Typed(b"wordpress/fifo", b'6')],
            ..TAR
        },
        expect: refused(&[INV, "wordpress/fifo", "unsupported entry type"], &[]),
        ..ROW
    },
    Row {
        name: "GNU sparse file",
        archive: Archive {
            entries: &[E::Typed(b"wordpress/sparse.bin", b'S')],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/sparse.bin", "unsupported entry type"],
            &[],
        ),
        ..ROW
    },
    // PAX and GNU headers that lie.
    Row {
        name: "PAX size bigger than the data",
        archive: Archive {
            entries: &[E::Pax(
                &[(b"size", b"5000")],
                &E::Sized(b"wordpress/paxbig.php", 10, b"0123456789"),
            )],
            ..TAR
        },
        expect: refused(&[INV], CORRUPT),
        ..ROW
    },
    Row {
        name: "PAX size smaller than the data, hiding an entry in it (CVE-2026-33055/33056)",
        archive: Archive {
            entries: &[E::Smuggle(
                b"wordpress/cover.php",
                &E::File(b"wordpress/smuggled.php", 0o644, b"<?php // smuggled\n"),
            )],
            ..TGZ
        },
        expect: refused(&[INV], CORRUPT),
        ..ROW
    },
    Row {
        name: "PAX size smaller than the data, hiding a '..' entry in it",
        archive: Archive {
            entries: &[E::Smuggle(
                b"wordpress/cover.php",
                &E::File(b"../../outside/smuggled.php", 0o644, b"<?php // smuggled\n"),
            )],
            ..TAR
        },
        expect: refused(&[INV], &["corrupt", "truncated", "'..' in the name"]),
        ..ROW
    },
    Row {
        name: "PAX path with '..' over an innocent ustar name (GHSA-3pv8-6f4r-ffg2)",
        archive: Archive {
            entries: &[E::Pax(
                &[(b"path", b"wordpress/../../outside/evil.php")],
                &E::File(b"wordpress/innocent.php", 0o644, b"<?php // evil\n"),
            )],
            ..TAR
        },
        expect: refused(&[INV], &["'..' in the name", "corrupt"]),
        ..ROW
    },
    Row {
        name: "PAX path naming another file than a complete ustar name",
        archive: Archive {
            entries: &[E::Pax(
                &[(b"path", b"wordpress/wp-admin/evil.php")],
                &E::File(b"wordpress/innocent.php", 0o644, b"<?php // evil\n"),
            )],
            ..TGZ
        },
        expect: refused(&[INV], &["corrupt"]),
        ..ROW
    },
    Row {
        name: "PAX linkpath leaving the tree over an innocent ustar link name",
        archive: Archive {
            entries: &[E::Pax(
                &[(b"linkpath", b"{outside}/secret")],
                &E::Symlink(b"wordpress/link.php", b"index.php"),
            )],
            ..TAR
        },
        expect: refused(
            &[INV, "wordpress/link.php"],
            &["symlink leaving the tree", "corrupt"],
        ),
        ..ROW
    },
    Row {
        name: "GNU long name with '..' over an innocent ustar name",
        archive: Archive {
            entries: &[E::GnuLong(
                b"wordpress/../../outside/evil.php",
                &E::File(b"wordpress/innocent.php", 0o644, b"<?php // evil\n"),
            )],
            ..TAR
        },
        expect: refused(&[INV], &["'..' in the name", "corrupt"]),
        ..ROW
    },
    Row {
        name: "a header whose checksum is wrong, after good entries",
        archive: Archive {
            entries: &[E::File(b"wordpress/late.php", 0o644, b"<?php // late\n")],
            edit: Some(break_last_checksum),
            ..TAR
        },
        expect: refused(&[INV], &["corrupt"]),
        ..ROW
    },
    // Bombs.
    Row {
        name: "gzip bomb past --max-source-bytes",
        archive: Archive {
            entries: &[BOMB],
            ..TGZ
        },
        flags: LIMIT,
        expect: BOMB_SAYS,
        ..ROW
    },
    Row {
        name: "zip bomb past --max-source-bytes",
        archive: Archive {
            entries: &[BOMB],
            ..ZIP
        },
        flags: LIMIT,
        expect: BOMB_SAYS,
        ..ROW
    },
    Row {
        name: "zip bomb whose headers say 1,000 bytes",
        archive: Archive {
            entries: &[BOMB],
            edit: Some(understate_bomb),
            ..ZIP
        },
        flags: LIMIT,
        expect: refused(&[INV], &["expands to more than", "corrupt"]),
        ..ROW
    },
    // Zip structure.
    Row {
        name: "zip: two central records pointing at the same local header",
        archive: Archive {
            entries: &[
                E::File(b"wordpress/wp-admin/a.php", 0o644, b"<?php // a\n"),
                E::File(b"wordpress/wp-admin/b.php", 0o644, b"<?php // b\n"),
            ],
            edit: Some(same_local_header),
            ..ZIP
        },
        expect: refused(
            &[INV, "wordpress/wp-admin/"],
            &["overlaps another entry", "corrupt"],
        ),
        ..ROW
    },
    Row {
        name: "zip: an entry's data overlapping the next entry",
        archive: Archive {
            entries: &[
                E::File(b"wordpress/wp-admin/a.php", 0o644, b"<?php // a\n"),
                E::File(b"wordpress/wp-admin/b.php", 0o644, b"<?php // b\n"),
            ],
            edit: Some(overlapping_data),
            ..ZIP
        },
        expect: refused(
            &[INV, "wordpress/wp-admin/"],
            &["overlaps another entry", "corrupt"],
        ),
        ..ROW
    },
    Row {
        name: "zip: central directory and local header disagree on a name",
        archive: Archive {
            entries: &[E::File(
                b"wordpress/wp-admin/innocent.php",
                0o644,
                b"<?php // evil\n",
            )],
            edit: Some(local_name_differs),
            ..ZIP
        },
        expect: refused(&[INV, "wordpress/"], &["corrupt"]),
        ..ROW
    },
    Row {
        name: "zip: absolute name",
        archive: Archive {
            entries: &[E::File(b"{outside}/abs.php", 0o644, b"x")],
            ..ZIP
        },
        expect: refused(&[INV, "{outside}/abs.php", "absolute name"], &[]),
        ..ROW
    },
    Row {
        name: "zip: '..' components",
        archive: Archive {
            entries: &[E::File(b"wordpress/a/../../../outside/x.php", 0o644, b"x")],
            ..ZIP
        },
        expect: refused(
            &[
                INV,
                "wordpress/a/../../../outside/x.php",
                "'..' in the name",
            ],
            &[],
        ),
        ..ROW
    },
    Row {
        name: "zip: duplicate entry",
        archive: Archive {
            entries: &[E::File(
                b"wordpress/index.phq",
                0o644,
                b"<?php // the second\n",
            )],
            edit: Some(duplicate_index),
            ..ZIP
        },
        expect: refused(&[INV, "wordpress/index.php"], DUPLICATE),
        ..ROW
    },
    Row {
        name: "zip: a file, then a directory of the same path",
        archive: Archive {
            entries: &[
                E::File(b"wordpress/wp-admin/twice", 0o644, b"x"),
                E::Dir(b"wordpress/wp-admin/twice", 0o755),
            ],
            ..ZIP
        },
        expect: refused(&[INV, "wordpress/wp-admin/twice", "duplicate entry"], &[]),
        ..ROW
    },
    // Damaged files.
    Row {
        name: "digest mismatch: --sha256 of other bytes",
        archive: TGZ,
        flags: &["--sha256", "{sha256-other}"],
        expect: refused(&["SHA-256"], &[]),
        ..ROW
    },
    Row {
        name: "truncated tar.gz (cut mid-stream)",
        archive: Archive {
            entries: &[E::Zeros(b"wordpress/wp-content/big.bin", 200_000)],
            edit: Some(cut_at_60_percent),
            ..TGZ
        },
        expect: refused(&[INV, "truncated"], &[]),
        ..ROW
    },
    Row {
        name: "truncated tar (cut inside a file's data)",
        archive: Archive {
            entries: &[E::Zeros(b"wordpress/wp-content/big.bin", 200_000)],
            edit: Some(cut_at_60_percent),
            ..TAR
        },
        expect: refused(&[INV, "truncated"], &[]),
        ..ROW
    },
    Row {
        // An image layer may end so (umoci 0.4.7 writes them; Go's archive/tar takes them,
        // and so does wp-init, its digest checked: archive.rs); a release archive may not.
        name: "tar ending right after its last file's data (no padding, no end blocks)",
        archive: Archive {
            entries: &[E::Zeros(b"wordpress/wp-content/big.bin", 200_000)],
            edit: Some(cut_after_last_data),
            ..TAR
        },
        expect: refused(&[INV], CORRUPT),
        ..ROW
    },
    Row {
        name: "truncated zip",
        archive: Archive {
            edit: Some(cut_at_60_percent),
            ..ZIP
        },
        expect: refused(&[INV], &["truncated", "not a valid archive"]),
        ..ROW
    },
    Row {
        name: "garbage named .tar.gz",
        archive: Archive {
            edit: Some(garbage),
            ..TGZ
        },
        expect: refused(&[INV, "not a valid archive"], &[]),
        ..ROW
    },
    Row {
        name: "garbage named .tar",
        archive: Archive {
            edit: Some(garbage),
            ..TAR
        },
        expect: refused(&[INV, "not a valid archive"], &[]),
        ..ROW
    },
    Row {
        name: "garbage named .zip",
        archive: Archive {
            edit: Some(garbage),
            ..ZIP
        },
        expect: refused(&[INV, "not a valid archive"], &[]),
        ..ROW
    },
    // The subtree.
    Row {
        name: "no wordpress/ directory (the subtree is not in the archive)",
        archive: Archive {
            trees: &["wordpress-6.8.1"],
            ..TGZ
        },
        expect: refused(&["wordpress", "not in the archive", "--source-path"], &[]),
        ..ROW
    },
    Row {
        name: "empty tar (only its end blocks)",
        archive: Archive { trees: &[], ..TAR },
        expect: refused(&["wordpress", "not in the archive", "--source-path"], &[]),
        ..ROW
    },
    Row {
        name: "empty zip (only its end record)",
        archive: Archive { trees: &[], ..ZIP },
        expect: refused(&["wordpress", "not in the archive", "--source-path"], &[]),
        ..ROW
    },
    // The other commands.
    Row {
        name: "upgrade: a hostile archive over an older installed TARGET",
        command: "upgrade",
        target: Pre::Older,
        archive: Archive {
            entries: &[
                E::Symlink(b"wordpress/l", b"wp-admin"),
                E::File(b"wordpress/l/x.php", 0o644, b"x"),
            ],
            ..TGZ
        },
        expect: refused(&[INV, "wordpress/l/x.php", "through a symlink"], &[]),
        ..ROW
    },
    Row {
        name: "verify: a hostile archive",
        command: "verify",
        target: Pre::Installed,
        archive: Archive {
            entries: &[E::File(b"wordpress/../x.php", 0o644, b"x")],
            ..TGZ
        },
        expect: refused(&[INV, "wordpress/../x.php", "'..' in the name"], &[]),
        ..ROW
    },
];

// Edits of finished archives.

/// A tar's last entry header (before the end blocks) with a wrong checksum.
fn break_last_checksum(mut b: Vec<u8>) -> Vec<u8> {
    // `late.php`: one header block and one data block before the two end blocks.
    let at = b.len() - 1024 - 1024;
    assert_eq!(&b[at..at + 18], b"wordpress/late.php");
    b[at + 148] ^= 1;
    b
}

/// A tar cut right after its last entry's data (`big.bin`, 200,000 bytes): its 192 bytes
/// of padding and the two end blocks gone.
fn cut_after_last_data(mut b: Vec<u8>) -> Vec<u8> {
    let end = b.len() - 1024 - (512 - 200_000 % 512);
    assert!(b[end..].iter().all(|&x| x == 0));
    b.truncate(end);
    b
}

fn cut_at_60_percent(mut b: Vec<u8>) -> Vec<u8> {
    b.truncate(b.len() * 6 / 10);
    b
}

/// 64 KiB of seeded noise.
fn garbage(_: Vec<u8>) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The bomb's sizes in both headers say 1,000 bytes.
fn understate_bomb(mut b: Vec<u8>) -> Vec<u8> {
    let cd = super::build::record_of(&b, b"wordpress/wp-content/bomb.bin");
    cd.set_size(&mut b, 1000);
    b
}

/// `b.php`'s central record points at `a.php`'s local header.
fn same_local_header(mut b: Vec<u8>) -> Vec<u8> {
    let a = super::build::record_of(&b, b"wordpress/wp-admin/a.php").local(&b);
    super::build::record_of(&b, b"wordpress/wp-admin/b.php").set_local(&mut b, a);
    b
}

/// `a.php`'s compressed size runs into `b.php`'s local header and data.
fn overlapping_data(mut b: Vec<u8>) -> Vec<u8> {
    let a = super::build::record_of(&b, b"wordpress/wp-admin/a.php");
    let next = super::build::record_of(&b, b"wordpress/wp-admin/b.php").local(&b);
    let grown = next - a.data_start(&b) + 40;
    a.set_compressed(&mut b, grown);
    b
}

/// The local header names `wordpress/../../outside/evi.php` (as long as the central name).
fn local_name_differs(b: Vec<u8>) -> Vec<u8> {
    super::build::rename_local(
        b,
        b"wordpress/wp-admin/innocent.php",
        b"wordpress/../../outside/evi.php",
    )
}

/// `index.phq` renamed `index.php`: the name twice (the zip writer refuses to).
fn duplicate_index(b: Vec<u8>) -> Vec<u8> {
    super::build::rename(b, b"wordpress/index.phq", b"wordpress/index.php")
}

/// The tar inside split between two gzip members.
fn two_members(b: Vec<u8>) -> Vec<u8> {
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b.as_slice()), &mut tar).unwrap();
    let (a, c) = tar.split_at(tar.len() / 2);
    [super::build::gzip(a), super::build::gzip(c)].concat()
}
