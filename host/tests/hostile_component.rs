//! The sandbox holds when the component turns hostile: a test-only component
//! (`tests/hostile-component`, built for `wasm32-wasip2` by the test build) runs through
//! the library's own `Installer` path — the same engine settings, linker, preopens,
//! environment, limits, pass and commit as the real component — and attacks the host,
//! one attack per row of a table (`hostile_component/rows.rs`), each with its expected
//! outcome. After every row: nothing outside TARGET changed (SOURCE included: content,
//! modes, owners, times; no entry created, truncated, renamed or linked), TARGET itself
//! kept its mode and owner, every descriptor the component held was closed, nothing
//! reached the loopback sockets the attacks aim at, and the host's memory stayed within
//! the row's bound where it has one.
//!
//! Also: the same attacks under plain `wasmtime run` where they apply, and one
//! regression test per 2026 wasmtime-wasi advisory that matches wp-init's set-up.
//!
//! `WP_INIT_ROWS=a,b` runs only the rows whose attack names contain `a` or `b`.

#[path = "hostile_component/advisories.rs"]
mod advisories;
#[path = "hostile_component/case.rs"]
mod case;
#[path = "hostile_component/cli.rs"]
mod cli;
mod common;
#[path = "hostile_component/rows.rs"]
mod rows;
mod runners;

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Mutex, Once};
use std::time::Duration;

use advisories::spec_of;
use case::{Case, Net, Outside, fits, open_descriptors, peak_memory, reset_peak_memory};
use rows::{Group, ROWS, Row, Run, Want};
use wp_init::{Error, Installer, Owner};

/// The tests of this file run one at a time: each measures the process's descriptors
/// and memory around its rows.
static SERIAL: Mutex<()> = Mutex::new(());

/// Waits for the other tests of this file to finish.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Loads the hostile component in place of the real one, once per process; then
/// [`serial`].
fn hostile() -> std::sync::MutexGuard<'static, ()> {
    static LOAD: Once = Once::new();
    LOAD.call_once(|| {
        wp_init::use_test_component(wp_init_hostile_artifacts::HOSTILE_COMPONENT)
            .expect("load the hostile component");
        // What a process opens once, on its first run, is not a row's doing.
        let (case, net) = (Case::new(false), Net::new());
        run(&case, ROWS[0], "none", Run::Install, &net).expect("a harmless run");
    });
    serial()
}

/// An error with its causes, as one line.
fn chain(e: &Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// The installer a row runs: the host's defaults but one instance, the attack and its
/// aims in the environment (TARGET's identity too, as journals name it: on a volume's
/// root it is a predictable inode), the row's limits, and an owner when root (as the CLI
/// has).
fn installer(case: &Case, row: &Row, (attack, how): (&str, Run), net: &Net) -> Installer {
    let owner = rustix::process::geteuid()
        .is_root()
        .then_some(Owner { uid: 33, gid: 33 });
    let source = match how {
        Run::Archive | Run::ArchiveGz => &case.archive,
        _ => &case.src,
    };
    Installer::new(Case::path(source), Case::path(&case.dst))
        .capture_messages(true)
        // Two for a tar.gz: its `gunzip` instance beside its `unpack` instance.
        .instances(if how == Run::ArchiveGz { 2 } else { 1 })
        .owner(owner)
        .env("WORDPRESS_DB_HOST", "db")
        .env("WP_INIT_ATTACK", attack)
        .env("WP_INIT_OUTSIDE", Case::path(&case.outside))
        .env("WP_INIT_PORT", net.port().to_string())
        .env("WP_INIT_TARGET_ID", case.target_id())
        .memory_limit(row.memory)
        .timeout(Duration::from_secs(row.timeout_secs))
}

/// The component's outcome line for `attack` in `messages`, after `attack NAME: `.
fn line<'a>(messages: &'a str, attack: &str) -> Result<&'a str, String> {
    let head = format!("attack {attack}:");
    messages
        .lines()
        .find_map(|l| l.strip_prefix(&head))
        .map(str::trim)
        .ok_or_else(|| format!("no outcome line in {messages:?}"))
}

/// One run through the library: the outcome line, or the host's error.
fn run(case: &Case, row: &Row, attack: &str, how: Run, net: &Net) -> Result<String, String> {
    let i = installer(case, row, (attack, how), net);
    // The typed install also returns the line in its warnings: an attack that closes
    // its stderr (by filling it) still reports.
    let warned = |o: wp_init::Outcome| {
        Some(o.report.warnings.join("\n") + "\n" + &o.messages.unwrap_or_default())
    };
    let messages = match how {
        Run::Install | Run::Twice | Run::Archive | Run::ArchiveGz => i.install().map(warned),
        Run::Plan => i.dry_run(true).install().map(warned),
        Run::Verify => i.verify().map(|o| o.messages),
        Run::Command => i
            .run_command(&[
                "hostile".into(),
                Case::path(&case.src).into(),
                Case::path(&case.dst).into(),
            ])
            .map(|o| o.messages),
    };
    match messages {
        Ok(m) => line(&m.unwrap_or_default(), attack).map(str::to_owned),
        Err(e) => Err(chain(&e)),
    }
}

/// Runs one row and makes every check; `Err` lists what broke.
fn run_row(row: &Row, net: &Net) -> Result<(), String> {
    let mut case = Case::new(row.tmpfs);
    if let Some(setup) = row.setup {
        setup(&mut case);
    }
    if matches!(row.run, Run::Archive | Run::ArchiveGz) {
        case.make_archive(row.run == Run::ArchiveGz);
    }
    let before = Outside::take(&case);
    let fds = open_descriptors();
    let rss = reset_peak_memory();
    let start = std::time::Instant::now();
    let mut broke = Vec::new();
    let mut got = run(&case, row, row.attack, row.run, net);
    if row.run == Run::Twice {
        // The attack's run leaves something; the second run's host meets it.
        if let Some(want) = &row.first
            && let Err(e) = meets(&case, row, want, &got)
        {
            broke.push(format!("the attack's run: {e}"));
        }
        got = run(&case, row, "none", Run::Install, net);
    }
    let grown = peak_memory().saturating_sub(rss);
    println!(
        "{:>6.1}s  host +{:>4} MiB  {} ({:?}): {}",
        start.elapsed().as_secs_f64(),
        grown >> 20,
        row.attack,
        row.run,
        match &got {
            Ok(l) => l.chars().take(200).collect::<String>(),
            Err(e) => format!("refused: {}", e.lines().last().unwrap_or_default()),
        }
    );
    if let Err(e) = meets(&case, row, &row.want, &got) {
        broke.push(e);
    }
    let changes = Outside::take(&case).changes(&before);
    if !changes.is_empty() {
        broke.push(format!("outside TARGET: {}", changes.join("; ")));
    }
    let now = open_descriptors();
    if now != fds {
        broke.push(format!(
            "the host's descriptors were {fds:?} before the row, {now:?} after"
        ));
    }
    if let Some(n) = net.reached() {
        broke.push(format!("the network was reached: {n}"));
    }
    if let Some(max) = row.host_memory
        && grown > max
    {
        broke.push(format!(
            "the host's memory grew by {} MiB (at most {} MiB)",
            grown >> 20,
            max >> 20
        ));
    }
    if let Some(Err(e)) = row.check.map(|check| check(&case)) {
        broke.push(e);
    }
    match broke.is_empty() {
        true => Ok(()),
        false => Err(broke.join("\n    ")),
    }
}

/// Whether the run's result `got` is what `want` says.
fn meets(case: &Case, row: &Row, want: &Want, got: &Result<String, String>) -> Result<(), String> {
    match (want, got) {
        (Want::Line(spec), Ok(l)) => {
            fits(&case.fill(spec_of(row, spec)), l).map_err(|e| format!("outcome: {e}"))
        }
        (Want::Refused(frag), Err(e)) if e.contains(&case.fill(frag)) => Ok(()),
        (want, got) => Err(format!("want {want:?}, got {got:?}")),
    }
}

/// Runs `rows` through the library; returns the failures, each naming its row.
fn run_rows(rows: &[&Row]) -> Vec<String> {
    let net = Net::new();
    let mut failed = Vec::new();
    for row in rows {
        let r = std::panic::catch_unwind(|| run_row(row, &net))
            .unwrap_or_else(|p| Err(format!("panicked: {p:?}")));
        if let Err(e) = r {
            failed.push(format!("{}: {e}", row.attack));
        }
    }
    failed
}

/// The rows `WP_INIT_ROWS` selects (all by default).
fn selected() -> Vec<&'static Row> {
    let only = std::env::var("WP_INIT_ROWS").ok();
    ROWS.iter()
        .copied()
        .filter(|r| {
            only.as_ref()
                .is_none_or(|o| o.split(',').any(|n| r.attack.contains(n.trim())))
        })
        .collect()
}

/// Prints `line` where a passing test's output still shows (the harness captures
/// `println!`, not the standard error stream itself).
fn show(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[test]
#[ignore = "needs root (owners 33:33, a tmpfs for the million files): scripts/test.sh runs it"]
fn hostile_component() {
    let _serial = hostile();
    let rows = selected();
    let failed = run_rows(&rows);
    for group in [
        Group::ReadOnlySource,
        Group::OutOfTarget,
        Group::NotGranted,
        Group::Resources,
        Group::Lies,
    ] {
        let n = rows.iter().filter(|r| r.group == group).count();
        println!("{group:?}: {n} rows");
    }
    show(&format!(
        "hostile component: {} rows, {} held",
        rows.len(),
        rows.len() - failed.len()
    ));
    assert!(
        failed.is_empty(),
        "{} rows failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// Every attack of the component has a row, and every row an attack.
#[test]
fn every_attack_has_a_row_and_every_row_an_attack() {
    let _serial = hostile();
    let (case, net) = (Case::new(false), Net::new());
    let listed = run(&case, ROWS[0], "list", Run::Install, &net).unwrap();
    let listed: BTreeSet<&str> = listed
        .strip_prefix("attacks=")
        .unwrap()
        .split(',')
        .filter(|n| !["none", "list"].contains(n))
        .collect();
    let rows: BTreeSet<&str> = ROWS.iter().copied().map(|r| r.attack).collect();
    assert_eq!(listed, rows);
    let got = run(&case, ROWS[0], "no-such-attack", Run::Install, &net);
    assert!(
        matches!(&got, Err(e) if e.contains("unknown attack")),
        "{got:?}"
    );
}

/// The README's "Security model" states the table's figures.
#[test]
fn the_readme_states_the_figures() {
    // Its open README is a descriptor the rows' check would count as theirs.
    let _serial = serial();
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = |g: Group| ROWS.iter().filter(|r| r.group == g).count();
    let table = format!(
        "**{} attacks, all held** ({} on the read-only SOURCE, {} leaving TARGET, {} on what \
         was not granted, {} on resources, {} lying to the host's pass, commit, recovery and \
         unpacking)",
        ROWS.len(),
        n(Group::ReadOnlySource),
        n(Group::OutOfTarget),
        n(Group::NotGranted),
        n(Group::Resources),
        n(Group::Lies),
    );
    let summary = format!("`hostile component: {0} rows, {0} held`", ROWS.len());
    let cli = format!("**{} runs, all held**", cli::runs().len());
    for want in [table, summary, cli] {
        assert!(readme.contains(&want), "the README lacks {want:?}");
    }
}
