use super::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::sync::mpsc;

const NO: &dyn Fn() -> bool = &|| false;

fn take(dir: &Path, access: Access, timeout: Duration) -> Result<Acquired, LockError> {
    acquire(dir, access, timeout, NO, &mut |e| {
        panic!("no event expected: {e:?}")
    })
}

fn exclusive(dir: &Path) -> TargetLock {
    take(dir, Access::Exclusive, Duration::ZERO)
        .unwrap()
        .lock
        .unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn a_second_writer_waits_names_the_holder_and_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let got = take(dir.path(), Access::Exclusive, Duration::ZERO).unwrap();
    assert_eq!(got.report.mode, Mode::Exclusive);
    assert_eq!(got.report.waited_secs, 0.0);
    let first = got.lock.unwrap();
    assert_eq!(first.path(), dir.path().join(LOCK_FILE));
    let meta = std::fs::symlink_metadata(first.path()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);

    let mut events = Vec::new();
    let err = acquire(
        dir.path(),
        Access::Exclusive,
        Duration::from_millis(350),
        NO,
        &mut |e| events.push(format!("{e:?}")),
    )
    .unwrap_err();
    assert_eq!(events.len(), 1, "one wait event: {events:?}");
    let me = format!("pid {} on ", std::process::id());
    assert!(events[0].contains("Waiting"), "{events:?}");
    let LockError::Timeout {
        waited, held_by, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(*waited >= Duration::from_millis(350), "{waited:?}");
    assert!(
        held_by.starts_with("wp-init ") && held_by.contains(&me),
        "{held_by}"
    );
    assert!(
        err.to_string()
            .contains("waiting for the lock held by wp-init"),
        "{err}"
    );

    // A zero timeout fails at once, without announcing a wait.
    let err = take(dir.path(), Access::Exclusive, Duration::ZERO).unwrap_err();
    assert!(matches!(err, LockError::Timeout { .. }), "{err:?}");

    drop(first);
    assert_eq!(
        names(dir.path()),
        Vec::<String>::new(),
        "the lock file goes with the lock"
    );
    let again = take(dir.path(), Access::Exclusive, Duration::ZERO).unwrap();
    assert_eq!(again.report.waited_secs, 0.0);
}

#[test]
fn a_waiting_writer_takes_over_the_file_its_holder_removed() {
    let dir = tempfile::tempdir().unwrap();
    let first = exclusive(dir.path());
    // The holder lets go only once the second says it waits; the second opened the file
    // the first then removes, so it must open the name again.
    let (waiting, told) = mpsc::channel();
    let releaser = thread::spawn(move || {
        told.recv().unwrap();
        drop(first);
    });
    let got = acquire(
        dir.path(),
        Access::Exclusive,
        Duration::from_secs(60),
        NO,
        &mut |_| waiting.send(()).unwrap(),
    )
    .unwrap();
    releaser.join().unwrap();
    assert!(got.report.waited_secs > 0.0, "{:?}", got.report);
    assert!(got.report.held_by.is_some());
    // It holds the file the name leads to: a third run finds it busy.
    assert_eq!(names(dir.path()), [LOCK_FILE]);
    let err = take(dir.path(), Access::Exclusive, Duration::ZERO).unwrap_err();
    assert!(matches!(err, LockError::Timeout { .. }), "{err:?}");
}

#[test]
fn readers_share_write_nothing_and_exclude_writers() {
    let dir = tempfile::tempdir().unwrap();
    // No lock file: no writer works, and a reader creates none.
    let got = take(dir.path(), Access::Shared, Duration::ZERO).unwrap();
    assert!(got.lock.is_none());
    assert_eq!(got.report.mode, Mode::None);
    assert_eq!(names(dir.path()), Vec::<String>::new());

    let writer = exclusive(dir.path());
    let err = acquire(
        dir.path(),
        Access::Shared,
        Duration::from_millis(200),
        NO,
        &mut |_| {},
    );
    assert!(
        matches!(err, Err(LockError::Timeout { .. })),
        "a reader waits for a writer"
    );
    drop(writer);
    // Two readers at once, on the file a writer that died left; a writer waits for them.
    std::fs::write(dir.path().join(LOCK_FILE), "").unwrap();
    std::fs::set_permissions(
        dir.path().join(LOCK_FILE),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let r1 = take(dir.path(), Access::Shared, Duration::ZERO).unwrap();
    let r2 = take(dir.path(), Access::Shared, Duration::ZERO).unwrap();
    assert_eq!(
        (r1.report.mode, r2.report.mode),
        (Mode::Shared, Mode::Shared)
    );
    let err = take(dir.path(), Access::Exclusive, Duration::ZERO).unwrap_err();
    assert!(matches!(err, LockError::Timeout { .. }), "{err:?}");
    drop((r1, r2));
    // Readers never remove it; the next writer does.
    assert_eq!(names(dir.path()), [LOCK_FILE]);
    drop(exclusive(dir.path()));
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[test]
fn a_cancelled_wait_ends_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let _held = exclusive(dir.path());
    let cancelled = std::cell::Cell::new(false);
    let started = Instant::now();
    let err = acquire(
        dir.path(),
        Access::Exclusive,
        Duration::from_secs(600),
        &|| cancelled.get(),
        &mut |_| cancelled.set(true),
    )
    .unwrap_err();
    assert!(matches!(err, LockError::Cancelled { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_missing_or_non_directory_target_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = take(&missing, Access::Exclusive, Duration::ZERO).unwrap_err();
    assert!(matches!(err, LockError::Open { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", missing.display())),
        "{err}"
    );
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let err = take(&file, Access::Exclusive, Duration::ZERO).unwrap_err();
    assert!(matches!(err, LockError::Open { .. }), "{err:?}");
}

/// What a co-tenant can put at the lock file's name, and what the report says of it.
type Plant = fn(&Path, &Path);

/// Entries at the lock file's name that wp-init did not make: each is reported, removed
/// (never followed or opened blocking), and replaced by a lock file of wp-init's own.
#[test]
fn entries_wp_init_did_not_make_are_reported_and_replaced() {
    let rows: &[(&str, Plant, &str)] = &[
        (
            "symlink",
            |at, outside| symlink(outside, at).unwrap(),
            "a symlink owned by uid",
        ),
        (
            "dangling symlink",
            |at, _| symlink("/nonexistent/lock", at).unwrap(),
            "a symlink",
        ),
        (
            "FIFO",
            |at, _| {
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    at,
                    rustix::fs::FileType::Fifo,
                    rustix::fs::Mode::from_raw_mode(0o600),
                    0,
                )
                .unwrap()
            },
            "a FIFO owned by uid",
        ),
        (
            "empty directory",
            |at, _| std::fs::create_dir(at).unwrap(),
            "a directory",
        ),
        (
            "readable by others",
            |at, _| {
                std::fs::write(at, "").unwrap();
                std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o644)).unwrap();
            },
            "a file with mode 0644, which others can open",
        ),
        (
            "writable by others",
            |at, _| {
                std::fs::write(at, "").unwrap();
                std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o602)).unwrap();
            },
            "mode 0602",
        ),
        (
            "hard link to a file elsewhere",
            |at, outside| std::fs::hard_link(outside, at).unwrap(),
            "a file with 2 links",
        ),
    ];
    for (name, plant, says) in rows {
        let dir = tempfile::tempdir().unwrap();
        let (target, outside) = (dir.path().join("target"), dir.path().join("outside"));
        std::fs::create_dir(&target).unwrap();
        std::fs::write(&outside, "not yours").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o600)).unwrap();
        plant(&target.join(LOCK_FILE), &outside);

        let mut events = Vec::new();
        let got = acquire(&target, Access::Exclusive, Duration::ZERO, NO, &mut |e| {
            events.push(format!("{e:?}"))
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.report.mode, Mode::Exclusive, "{name}");
        assert_eq!(got.report.replaced.len(), 1, "{name}: {:?}", got.report);
        assert!(
            got.report.replaced[0].contains(says),
            "{name}: {:?}",
            got.report
        );
        assert_eq!(events.len(), 1, "{name}: {events:?}");
        let meta = std::fs::symlink_metadata(target.join(LOCK_FILE)).unwrap();
        assert!(
            meta.is_file() && meta.permissions().mode() & 0o777 == 0o600,
            "{name}"
        );
        assert_eq!(std::fs::read(&outside).unwrap(), b"not yours", "{name}");
        drop(got);
        assert_eq!(names(&target), Vec::<String>::new(), "{name}");

        // A reader leaves such an entry alone, unlocked, and says so.
        plant(&target.join(LOCK_FILE), &outside);
        let got = take(&target, Access::Shared, Duration::ZERO).unwrap();
        assert_eq!(got.report.mode, Mode::None, "{name}");
        assert!(
            got.report
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("not locked"),
            "{name}"
        );
        assert_eq!(names(&target), [LOCK_FILE], "{name}");
    }
}

#[test]
fn a_directory_with_entries_at_the_name_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(LOCK_FILE).join("inside")).unwrap();
    let err = acquire(
        dir.path(),
        Access::Exclusive,
        Duration::ZERO,
        NO,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, LockError::File { .. }), "{err:?}");
    assert!(err.to_string().contains(LOCK_FILE), "{err}");
    assert!(dir.path().join(LOCK_FILE).join("inside").is_dir());
}
