//! The harness's own checks, which run without the implementation: the archives hold
//! what the rows say, and the comparison holds for a perfect unpacker.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::build::{self, Fill};
use super::case::{Case, archive_bytes, materialize};
use super::common::run::Invocation;
use super::common::stderr;
use super::common::synth::chmod;
use super::rows::{GOOD, ROWS};
use super::{After, escaping_links, like_directory};

/// The archives hold what the rows say, as the crates the component reads them with see
/// them (runs without the implementation): every row's archive builds; the good trees
/// list [`GOOD`]; the smuggled entry is what `tar` reads; the zip edits land.
#[test]
fn archives_hold_what_the_rows_say() {
    let fill = Fill {
        outside: b"/tmp/outside".to_vec(),
    };
    let by_name = |n: &str| ROWS.iter().find(|r| r.name.starts_with(n)).unwrap();
    for row in ROWS {
        archive_bytes(&row.archive, &fill);
    }
    let names = tar_names(&archive_bytes(&by_name("good: tar").archive, &fill));
    assert_eq!(names.len(), GOOD.len(), "{names:?}");
    assert!(names.contains(&b"wordpress/wp-includes/version.php".to_vec()));
    let names = tar_names(&archive_bytes(&by_name("good: a name past").archive, &fill));
    assert!(
        names.iter().any(|n| n.ends_with(b"can-hold.php")),
        "{names:?}"
    );
    let smuggled = by_name("PAX size smaller than the data, hiding an entry");
    let names = tar_names(&archive_bytes(&smuggled.archive, &fill));
    assert!(
        names.contains(&b"wordpress/smuggled.php".to_vec()),
        "{names:?}"
    );
    let sparse = tar_names(&archive_bytes(&by_name("GNU sparse").archive, &fill));
    assert!(
        sparse.contains(&b"wordpress/sparse.bin".to_vec()),
        "{sparse:?}"
    );
    let zip = archive_bytes(&by_name("good: zip").archive, &fill);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let suid = archive_bytes(&by_name("dropped: a setuid file (zip)").archive, &fill);
    let mut s = zip::ZipArchive::new(std::io::Cursor::new(suid)).unwrap();
    // zip 9's `unix_mode()` clears these bits: the raw attributes keep them.
    let attrs = s
        .by_name("wordpress/wp-admin/suid.php")
        .unwrap()
        .external_attributes();
    assert_eq!(attrs >> 16, 0o104_644);
    assert!(
        z.by_name("wordpress/wp-includes/functions-link.php")
            .unwrap()
            .is_symlink()
    );
    let dup = archive_bytes(&by_name("zip: duplicate entry").archive, &fill);
    let count = build::central(&dup)
        .iter()
        .filter(|c| c.name(&dup) == b"wordpress/index.php")
        .count();
    assert_eq!(count, 2);
}

/// The entry names the `tar` crate reads from a tar or tar.gz.
fn tar_names(b: &[u8]) -> Vec<Vec<u8>> {
    let plain = if b.starts_with(b"\x1f\x8b") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
        out
    } else {
        b.to_vec()
    };
    let mut a = tar::Archive::new(plain.as_slice());
    a.entries()
        .unwrap()
        .map(|e| e.unwrap().path_bytes().into_owned())
        .collect()
}

/// The harness against a perfect unpacker (runs without the implementation): TARGET made
/// by the same command from a directory holding the row's tree passes the row's
/// comparison, and a mode changed afterwards fails it.
#[test]
fn the_comparison_holds_for_a_perfect_unpacker() {
    let rows = [
        "good: tar",
        "dropped: setuid, setgid",
        "upgrade: a good zip",
    ];
    for name in rows {
        let row = ROWS.iter().find(|r| r.name.starts_with(name)).unwrap();
        let After::Like(extra) = row.expect.after else {
            panic!("{name}: not a good row");
        };
        let case = Case::new(row).unwrap();
        let src = case.dir.path().join("perfect");
        materialize(&src, GOOD);
        materialize(&src, extra);
        let out = Invocation::new(row.command, &src, &case.dst).output();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        like_directory(&case, row, extra).unwrap_or_else(|e| panic!("{name}: {e}"));
        escaping_links(&case.dst, &BTreeMap::<PathBuf, ()>::new()).unwrap();
        chmod(&case.dst.join("wp-cron.php"), 0o644);
        assert!(like_directory(&case, row, extra).is_err(), "{name}");
    }
}
