//! Crash points: the kinds of mutating system calls a run makes, and which calls of each
//! kind a crash test kills at.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::run::Call;

/// A kind of mutating system call: its names on Linux (those unknown on this architecture
/// are ignored) and, for opens, whether a call counts (it opens for writing).
pub struct Kind {
    pub name: &'static str,
    pub syscalls: &'static [&'static str],
    pub counts: fn(&Call) -> bool,
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "rename",
        syscalls: &["rename", "renameat", "renameat2"],
        counts: any,
    },
    Kind {
        name: "write",
        syscalls: &["write", "pwrite64", "writev", "pwritev", "pwritev2"],
        counts: any,
    },
    Kind {
        name: "fsync/syncfs",
        syscalls: &["fsync", "fdatasync", "syncfs", "sync"],
        counts: any,
    },
    Kind {
        name: "chmod/chown",
        syscalls: &[
            "chmod",
            "fchmod",
            "fchmodat",
            "fchmodat2",
            "chown",
            "lchown",
            "fchown",
            "fchownat",
        ],
        counts: any,
    },
    Kind {
        name: "mkdir",
        syscalls: &["mkdir", "mkdirat"],
        counts: any,
    },
    Kind {
        name: "unlink",
        syscalls: &["unlink", "unlinkat", "rmdir"],
        counts: any,
    },
    Kind {
        name: "symlink",
        syscalls: &["symlink", "symlinkat"],
        counts: any,
    },
    Kind {
        name: "utimens",
        syscalls: &["utimensat", "futimesat", "utimes"],
        counts: any,
    },
    Kind {
        name: "open-for-write",
        syscalls: &["open", "openat", "openat2", "creat"],
        counts: opens_for_write,
    },
];

fn any(_: &Call) -> bool {
    true
}

fn opens_for_write(c: &Call) -> bool {
    c.syscall == "creat"
        || ["O_WRONLY", "O_RDWR", "O_CREAT"]
            .iter()
            .any(|f| c.line.contains(f))
}

/// Which calls of each kind are crash points: the first, the call at each fraction of the
/// way, and each of the last `last` (duplicates count once).
pub struct Points {
    pub fractions: &'static [(usize, usize)],
    pub last: usize,
}

pub const POINTS: Points = Points {
    fractions: &[(1, 8), (1, 4), (1, 2), (3, 4), (7, 8)],
    last: 4,
};

/// The minimum number of crash points the suite must inject (issue 7: at least 60 in CI).
pub const MIN_POINTS: usize = 60;

impl Points {
    pub fn pick(&self, n: usize) -> BTreeSet<usize> {
        if n == 0 {
            return BTreeSet::new();
        }
        let mut out: BTreeSet<usize> = self.fractions.iter().map(|(a, b)| n * a / b).collect();
        out.insert(0);
        out.extend(n.saturating_sub(self.last)..n);
        out
    }
}

/// One crash point: the `index`th of the `of` calls of kind `kind` (an index into [`KINDS`]).
pub struct Point {
    pub kind: usize,
    pub index: usize,
    pub of: usize,
    pub call: Call,
}

/// The crash points among a traced run's calls, kind by kind.
pub fn points(calls: &[Call]) -> Vec<Point> {
    let mut out = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let of_kind: Vec<&Call> = calls
            .iter()
            .filter(|c| kind.syscalls.contains(&c.syscall.as_str()) && (kind.counts)(c))
            .collect();
        for i in POINTS.pick(of_kind.len()) {
            out.push(Point {
                kind: k,
                index: i,
                of: of_kind.len(),
                call: of_kind[i].clone(),
            });
        }
    }
    out
}

/// Runs `attempt(i)` until its result is other than "not reached", at most three times:
/// a thread's count of calls varies a little from run to run (the runtime's wake-ups), so
/// a point among a thread's last calls may lie past the end of one run. Each attempt
/// needs a fresh TARGET (`i` names it). Never reached in three runs still fails.
pub fn until_reached(mut attempt: impl FnMut(usize) -> Result<(), String>) -> Result<(), String> {
    let mut r = Err(String::new());
    for i in 0..3 {
        r = attempt(i);
        if !r.as_ref().is_err_and(|e| e.starts_with("not reached")) {
            break;
        }
    }
    r
}

/// Runs `check(n, call)` for every point, two at a time (each point is independent; `n`
/// names its scratch space), prints a table of the points by kind under `title`, and
/// returns what broke, one line a point.
pub fn inject(
    points: &[Point],
    title: &str,
    check: impl Fn(usize, &Call) -> Result<(), String> + Sync,
) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; points.len()]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Some(point) = points.get(n) else {
                        break;
                    };
                    let r = check(n, &point.call);
                    results.lock().unwrap()[n] = Some(r);
                }
            });
        }
    });
    let results: Vec<Result<(), String>> = results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();

    println!("{title}");
    let mut failures = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let mine: Vec<_> = points
            .iter()
            .zip(&results)
            .filter(|(p, _)| p.kind == k)
            .collect();
        let survived = mine.iter().filter(|(_, r)| r.is_ok()).count();
        let calls = mine.first().map_or(0, |(p, _)| p.of);
        println!(
            "  {:<15} {calls:>6} calls, {:>2} injected, {survived:>2} survived",
            kind.name,
            mine.len()
        );
        for (p, r) in mine {
            if let Err(e) = r {
                let line: String = p.call.line.chars().take(160).collect();
                failures.push(format!(
                    "{} call {}/{} [{line}]: {e}",
                    kind.name,
                    p.index + 1,
                    p.of
                ));
            }
        }
    }
    println!(
        "  total: {} injected, {} survived",
        points.len(),
        points.len() - failures.len()
    );
    failures
}

/// Fails the test unless every point survived and there were at least `min` of them.
pub fn assert_all_survived(points: &[Point], failures: &[String], min: usize) {
    assert!(
        failures.is_empty(),
        "{} crash points broke the promise:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        points.len() >= min,
        "only {} crash points (want {min})",
        points.len()
    );
}
