//! The table: one row per attack of `tests/hostile-component`, with what the host must
//! give. An outcome spec is `op=outcome ...` (see `case::fits`): `ok`, or the WASI error
//! code the runtime answered; `op*` covers every op with that prefix. A refusal names a
//! fragment of the host's error. `{src}`, `{dst}`, `{outside}` are the case's paths.
//!
//! The rows of the group `Lies` lie through the host's own protocol (`hosted` in
//! `wit/installer.wit`): the journal on stdout, the staged renames returned, and the
//! journal file the next run's recovery reads.

use std::sync::LazyLock;

use crate::case::Case;

#[path = "rows_host.rs"]
mod host;
#[path = "rows_sandbox.rs"]
mod sandbox;

/// Every row, in the table's order.
pub static ROWS: LazyLock<Vec<&'static Row>> = LazyLock::new(|| {
    sandbox::ROWS
        .iter()
        .chain(host::RESOURCES)
        .chain(host::LIES)
        .chain(host::UNPACK_LIES)
        .collect()
});

/// One attack and what it must give.
pub struct Row {
    /// The component's attack (`WP_INIT_ATTACK`).
    pub attack: &'static str,
    pub group: Group,
    /// The wasmtime advisory whose regression this row is.
    pub advisory: Option<&'static str>,
    /// How the host runs the component.
    pub run: Run,
    /// Done to the case before the run (what someone else planted).
    pub setup: Option<fn(&mut Case)>,
    /// The component's memory cap and deadline.
    pub memory: u64,
    pub timeout_secs: u64,
    /// The case on a tmpfs of its own (rows of a million entries).
    pub tmpfs: bool,
    /// Through the library (with [`Run::Twice`], what the second run gives).
    pub want: Want,
    /// With [`Run::Twice`], what the attack's own run must give.
    pub first: Option<Want>,
    /// The outcome spec where it differs when the runtime resolves paths itself, as on
    /// kernels without `openat2` (before 5.6; the code GHSA-vqjp-4c8c-hfgg was in).
    pub fallback: Option<&'static str>,
    /// Under plain `wasmtime run`.
    pub cli: Cli,
    /// How much the host's peak memory may grow during the row.
    pub host_memory: Option<u64>,
    /// A check of TARGET after the row.
    pub check: Option<Check>,
}

/// A check of TARGET after a row; `Err` says what is wrong.
pub type Check = fn(&Case) -> Result<(), String>;

/// What the attack is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// SOURCE, the read-only preopen, beside a read-write TARGET.
    ReadOnlySource,
    /// Leaving TARGET: `..`, absolute paths, symlinks, hard links.
    OutOfTarget,
    /// What was not granted: descriptors, preopens, `/proc`, `/dev`, cwd, env, sockets,
    /// stdin, a read-only TARGET.
    NotGranted,
    /// Memory, time, output, descriptors, handles, depth, number of entries.
    Resources,
    /// Lying to the host's pass and commit, and to the next run's recovery.
    Lies,
}

/// How the host runs the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// `Installer::install`.
    Install,
    /// `Installer::dry_run(true).install()`: TARGET granted read-only.
    Plan,
    /// `Installer::verify`: TARGET granted read-only.
    Verify,
    /// `Installer::run_command` (`wasi:cli/run`, stdout captured).
    Command,
    /// Two installs: the attack, then a harmless run whose host meets what it left.
    Twice,
    /// `Installer::install` from SOURCE as a release archive (`Case::archive`): the
    /// component's `unpack` runs first.
    Archive,
    /// The same from SOURCE as a `.tar.gz` with two instances: `gunzip` and `unpack` run
    /// at once, joined by a pipe.
    ArchiveGz,
}

/// What the library run must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The run finishes and the component's outcome line fits this spec.
    Line(&'static str),
    /// The host refuses: its error (with causes) contains this.
    Refused(&'static str),
}

/// What `wasmtime run` must give.
#[derive(Debug, Clone, Copy)]
pub enum Cli {
    Line(&'static str),
    /// Why the attack does not apply there.
    NotApplicable(&'static str),
}

pub const MIB: u64 = 1 << 20;

pub const NO_HOST_PASS: Cli = Cli::NotApplicable("no host pass or commit: the CLI trusts nothing");

pub const R: Row = Row {
    attack: "",
    group: Group::ReadOnlySource,
    advisory: None,
    run: Run::Install,
    setup: None,
    memory: 128 * MIB,
    timeout_secs: 120,
    tmpfs: false,
    want: Want::Line(""),
    first: None,
    fallback: None,
    cli: NO_HOST_PASS,
    host_memory: None,
    check: None,
};

pub const SOURCE: Row = Row {
    group: Group::ReadOnlySource,
    ..R
};
pub const OUT: Row = Row {
    group: Group::OutOfTarget,
    ..R
};
pub const GRANT: Row = Row {
    group: Group::NotGranted,
    ..R
};
pub const RES: Row = Row {
    group: Group::Resources,
    cli: Cli::NotApplicable("the CLI sets no memory, time or output cap unless told"),
    ..R
};
pub const LIE: Row = Row {
    group: Group::Lies,
    ..R
};

pub const GHSA_2R75: Option<&str> = Some("GHSA-2r75-cxrj-cmph");
pub const GHSA_4CH3: Option<&str> = Some("GHSA-4ch3-9j33-3pmj");
pub const GHSA_VQJP: Option<&str> = Some("GHSA-vqjp-4c8c-hfgg");
