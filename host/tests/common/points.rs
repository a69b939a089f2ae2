//! Crash points: the kinds of mutating system calls a run makes, and which calls of each
//! kind a crash test kills at.

use std::collections::BTreeSet;

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
