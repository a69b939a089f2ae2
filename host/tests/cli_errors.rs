//! The `wp-init` binary's error paths as data: one table, each row a command line (with
//! what its stderr is: a pipe, a pipe nobody reads, or closed), an optional set-up, and
//! what the run must give: the exit code, message fragments it must and must not hold,
//! and a row-specific check.
//!
//! Every row also checks: no panic; under `--json`, stdout is exactly one JSON object, and
//! for a failure it is the error report (`"status": "error"`, the message, the exit code).

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Fixture, stderr};

/// What the run's stderr is.
#[derive(Clone, Copy, PartialEq)]
enum Stderr {
    /// A pipe the test reads.
    Read,
    /// A pipe whose reading end is closed: every write fails with EPIPE (as in
    /// `wp-init ... 2>&1 | head -1` once `head` has gone).
    Broken,
    /// No file descriptor 2 at all (`2>&-`).
    Closed,
}

struct Row {
    name: &'static str,
    /// The arguments; `{src}`, `{dst}` and `{dir}` stand for the fixture's SOURCE,
    /// TARGET and scratch directory.
    args: &'static [&'static str],
    stderr: Stderr,
    setup: Option<fn(&Fixture)>,
    code: i32,
    /// In the message (stderr when it is read, and the JSON report's `error`).
    says: &'static [&'static str],
    /// Never in the message.
    not: &'static [&'static str],
    check: Option<Check>,
}

/// A row-specific check after the run; `Err` says what is wrong.
type Check = fn(&Fixture) -> Result<(), String>;

const ROW: Row = Row {
    name: "",
    args: &[],
    stderr: Stderr::Read,
    setup: None,
    code: 2,
    says: &[],
    not: &[],
    check: None,
};

const INSTALL: &str = "install";

const ROWS: &[Row] = &[
    Row {
        name: "zero timeout under --json",
        args: &[INSTALL, "--json", "--timeout", "0"],
        says: &["--timeout", "more than 0 seconds"],
        ..ROW
    },
    Row {
        name: "timeout too long to represent",
        args: &["upgrade", "--json", "--timeout", "99999999999999"],
        says: &["--timeout", "at most 999999999 seconds"],
        not: &["positive"],
        ..ROW
    },
    Row {
        name: "lock timeout not a number",
        args: &["verify", "--json", "--lock-timeout", "soon"],
        says: &["--lock-timeout", "'soon' is not a number of seconds"],
        ..ROW
    },
    Row {
        name: "zero instances under --json",
        args: &[INSTALL, "--json", "--instances", "0"],
        says: &["--instances"],
        ..ROW
    },
    Row {
        name: "config mode not octal under --json",
        args: &[INSTALL, "--json", "--config-mode", "99"],
        says: &["--config-mode", "not an octal mode"],
        ..ROW
    },
    Row {
        name: "unknown flag under --json",
        args: &[INSTALL, "--json", "--frobnicate"],
        says: &["--frobnicate"],
        ..ROW
    },
    Row {
        name: "unknown flag without --json",
        args: &[INSTALL, "--frobnicate"],
        says: &["--frobnicate"],
        ..ROW
    },
    Row {
        name: "memory limit below what the component needs to start",
        args: &[INSTALL, "--json", "--memory-limit", "1"],
        says: &["--memory-limit", "below the", "needs to start"],
        not: &["table", "run again"],
        check: Some(target_untouched),
        ..ROW
    },
    Row {
        name: "memory limit of 1M, just below what the component needs to start",
        args: &[INSTALL, "--memory-limit", "1M"],
        says: &["--memory-limit 1048576 bytes is below the"],
        not: &["run again"],
        check: Some(target_untouched),
        ..ROW
    },
    Row {
        name: "unknown user under --json",
        args: &[INSTALL, "--json", "--user", "no-such-user-23s"],
        says: &["no-such-user-23s"],
        check: Some(target_untouched),
        ..ROW
    },
    Row {
        name: "missing SOURCE under --json",
        args: &[INSTALL, "--json", "--source", "{dir}/missing"],
        says: &["{dir}/missing"],
        ..ROW
    },
    Row {
        name: "broken stderr, install succeeds",
        args: &[INSTALL],
        stderr: Stderr::Broken,
        code: 0,
        check: Some(installed),
        ..ROW
    },
    Row {
        name: "broken stderr, install succeeds under --json",
        args: &[INSTALL, "--json"],
        stderr: Stderr::Broken,
        code: 0,
        check: Some(installed),
        ..ROW
    },
    Row {
        name: "broken stderr, usage error under --json",
        args: &[INSTALL, "--json", "--source", "{dir}/missing"],
        stderr: Stderr::Broken,
        says: &["{dir}/missing"],
        ..ROW
    },
    Row {
        name: "broken stderr, clap error under --json",
        args: &[INSTALL, "--json", "--timeout", "0"],
        stderr: Stderr::Broken,
        says: &["--timeout"],
        ..ROW
    },
    Row {
        name: "closed stderr, install succeeds",
        args: &[INSTALL],
        stderr: Stderr::Closed,
        code: 0,
        check: Some(installed),
        ..ROW
    },
    Row {
        name: "component --output through a symlink to a file",
        args: &["component", "--output", "{dir}/link.wasm"],
        setup: Some(|f| {
            fs::write(f.dir.path().join("victim"), "victim").unwrap();
            symlink("victim", f.dir.path().join("link.wasm")).unwrap();
        }),
        code: 0,
        check: Some(|f| {
            let victim = fs::read(f.dir.path().join("victim")).unwrap();
            (victim == b"victim")
                .then_some(())
                .ok_or("the symlink's target was written")?;
            regular_wasm(&f.dir.path().join("link.wasm"))
        }),
        ..ROW
    },
    Row {
        name: "component --output through a dangling symlink",
        args: &["component", "--output", "{dir}/dangling.wasm"],
        setup: Some(|f| symlink("elsewhere.wasm", f.dir.path().join("dangling.wasm")).unwrap()),
        code: 0,
        check: Some(|f| {
            let created = fs::symlink_metadata(f.dir.path().join("elsewhere.wasm")).is_ok();
            (!created)
                .then_some(())
                .ok_or("the symlink's target was created")?;
            regular_wasm(&f.dir.path().join("dangling.wasm"))
        }),
        ..ROW
    },
    Row {
        name: "component --output into a missing directory",
        args: &["component", "--output", "{dir}/missing/wp-init.wasm"],
        code: 4,
        says: &["{dir}/missing"],
        ..ROW
    },
];

#[test]
fn every_error_path_gives_its_code_and_message() {
    let mut failures = Vec::new();
    for row in ROWS {
        let f = Fixture::new();
        if let Some(setup) = row.setup {
            setup(&f);
        }
        let out = run(&f, row);
        if let Err(e) = judge(&f, row, &out) {
            failures.push(format!(
                "{}: {e}\n  stdout: {}\n  stderr: {}",
                row.name,
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

/// `{src}`, `{dst}` and `{dir}` in `s`, replaced.
fn fill(f: &Fixture, s: &str) -> String {
    s.replace("{src}", &f.src_str())
        .replace("{dst}", &f.dst_str())
        .replace("{dir}", f.dir.path().to_str().unwrap())
}

fn run(f: &Fixture, row: &Row) -> Output {
    let mut args: Vec<String> = row.args.iter().map(|a| fill(f, a)).collect();
    if ["install", "upgrade", "verify"].contains(&row.args[0]) {
        // The row's own --source wins (flags override themselves).
        let roots = ["--source", "{src}", "--target", "{dst}"];
        args.splice(1..1, roots.map(|a| fill(f, a)));
    }
    let bin = env!("CARGO_BIN_EXE_wp-init");
    let mut cmd = match row.stderr {
        Stderr::Closed => {
            let mut c = Command::new("sh");
            c.args(["-c", "exec \"$0\" \"$@\" 2>&-", bin]);
            c
        }
        _ => Command::new(bin),
    };
    cmd.args(&args).env_clear().stdout(Stdio::piped());
    match row.stderr {
        Stderr::Read => cmd.stderr(Stdio::piped()),
        Stderr::Broken => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            cmd.stderr(writer)
        }
        Stderr::Closed => cmd.stderr(Stdio::inherit()),
    };
    cmd.output().unwrap()
}

fn judge(f: &Fixture, row: &Row, out: &Output) -> Result<(), String> {
    let code = out.status.code();
    if code != Some(row.code) {
        return Err(format!("exit {:?}, want {}", out.status, row.code));
    }
    let mut texts = Vec::new();
    if row.stderr == Stderr::Read {
        texts.push(("stderr", stderr(out)));
    }
    if row.args.contains(&"--json") {
        let text = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("stdout is not one JSON object: {e}"))?;
        if row.code == 0 {
            if v["status"] == "error" {
                return Err("an error report for a success".into());
            }
        } else {
            if v["status"] != "error" || v["exit_code"] != row.code {
                return Err(format!("not the error report of exit {}: {v}", row.code));
            }
            texts.push((
                "the JSON error",
                v["error"].as_str().unwrap_or("").to_owned(),
            ));
        }
    } else if !out.stdout.is_empty() {
        return Err("stdout is not empty".into());
    }
    for (what, text) in &texts {
        if text.contains("panicked") {
            return Err(format!("{what} says it panicked"));
        }
        for s in row.says.iter().map(|s| fill(f, s)) {
            if !text.contains(&s) {
                return Err(format!("{what} does not say {s:?}"));
            }
        }
        for s in row.not {
            if text.contains(s) {
                return Err(format!("{what} says {s:?}"));
            }
        }
    }
    row.check.map_or(Ok(()), |check| check(f))
}

fn target_untouched(f: &Fixture) -> Result<(), String> {
    let n = fs::read_dir(&f.dst).unwrap().count();
    (n == 0)
        .then_some(())
        .ok_or(format!("TARGET holds {n} entries"))
}

fn installed(f: &Fixture) -> Result<(), String> {
    let names = |p: &Path| common::snapshot(p).into_keys().collect::<Vec<_>>();
    let got = names(&f.dst);
    (got == names(&f.src))
        .then_some(())
        .ok_or(format!("TARGET is not SOURCE: {got:?}"))
}

fn regular_wasm(path: &Path) -> Result<(), String> {
    let meta = fs::symlink_metadata(path).unwrap();
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    (fs::read(path).unwrap() == wp_init::COMPONENT_WASM)
        .then_some(())
        .ok_or(format!("{} is not the component", path.display()))
}
