//! The same attacks under plain `wasmtime run` (the runners of `scripts/runners-setup.sh`),
//! where they apply: the README's advice for the CLI, tested.

use std::process::Command;

use crate::advisories::{VQJP, injected, no_openat2};
use crate::case::{Case, Outside, fits};
use crate::common::mount::Mount;
use crate::common::run::require_strace;
use crate::rows::{Cli, ROWS, Row};
use crate::{line, runners, selected, serial, show};

/// `wasmtime run --dir RO::SOURCE --dir TARGET::TARGET hostile.wasm SOURCE TARGET`, SOURCE
/// a read-only bind mount (the README's advice for the CLI, which has no read-only
/// preopen): the attacks that apply, with the same checks.
fn cli_row(row: &Row, spec: &str, without_openat2: bool) -> Result<(), String> {
    let mut case = Case::new(false);
    if let Some(setup) = row.setup {
        setup(&mut case);
    }
    let ro = case.dir.path().join("src-ro");
    std::fs::create_dir(&ro).unwrap();
    let _mount = Mount::read_only_bind(&case.src, &ro);
    let before = Outside::take(&case);
    let (src, dst) = (Case::path(&case.src), Case::path(&case.dst));
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("strace.log");
    let mut cmd = match without_openat2 {
        true => {
            let mut c = Command::new("strace");
            c.args(no_openat2(&log)).arg(runners::wasmtime());
            c
        }
        false => Command::new(runners::wasmtime()),
    };
    let out = cmd
        .arg("run")
        .args(["--dir", &format!("{}::{src}", ro.display())])
        .args(["--dir", &format!("{dst}::{dst}")])
        .args(["--env", &format!("WP_INIT_ATTACK={}", row.attack)])
        .args([
            "--env",
            &format!("WP_INIT_OUTSIDE={}", Case::path(&case.outside)),
        ])
        .arg(wp_init_hostile_artifacts::HOSTILE_COMPONENT_PATH)
        .args([src, dst])
        .env_clear()
        .output()
        .expect("run the wasmtime CLI");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let got = line(&stderr, row.attack)?;
    let spec = match without_openat2 {
        true => row.fallback.unwrap_or(spec),
        false => spec,
    };
    fits(&case.fill(spec), got).map_err(|e| format!("outcome: {e}"))?;
    if without_openat2 && !injected(&log) {
        return Err("strace failed no openat2: the runtime's own resolver did not run".into());
    }
    let changes = Outside::take(&case).changes(&before);
    if !changes.is_empty() {
        return Err(format!("outside TARGET: {}", changes.join("; ")));
    }
    Ok(())
}

/// The runs under `wasmtime run`: every row that applies, and the rows of
/// GHSA-vqjp-4c8c-hfgg again without `openat2` (`true`).
pub fn runs() -> Vec<(&'static Row, &'static str, bool)> {
    let mut runs = Vec::new();
    for r in ROWS.iter().copied() {
        if let Cli::Line(spec) = r.cli {
            runs.push((r, spec, false));
            if r.advisory == Some(VQJP) {
                runs.push((r, spec, true));
            }
        }
    }
    runs
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh and root for a read-only bind mount: scripts/test.sh runs it"]
fn the_same_attacks_under_plain_wasmtime_run() {
    let _serial = serial();
    require_strace();
    let chosen = selected();
    for r in &chosen {
        if let Cli::NotApplicable(why) = r.cli {
            println!("{} ({:?}): not under wasmtime run: {why}", r.attack, r.run);
        }
    }
    let runs: Vec<_> = runs()
        .into_iter()
        .filter(|(r, ..)| chosen.iter().any(|c| std::ptr::eq(*c, *r)))
        .collect();
    let failed: Vec<String> = runs
        .iter()
        .filter_map(|(r, spec, without)| {
            let e = cli_row(r, spec, *without).err()?;
            let how = if *without { " (without openat2)" } else { "" };
            Some(format!("{}{how}: {e}", r.attack))
        })
        .collect();
    show(&format!(
        "hostile component under wasmtime run: {} runs, {} held",
        runs.len(),
        runs.len() - failed.len()
    ));
    assert!(
        failed.is_empty(),
        "{} runs failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
