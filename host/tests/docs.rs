//! The README against the binary: its exit-code table, its flag table and the JSON fields it
//! names are checked against `ExitCode`, `--help` and real `--json` output, so they cannot
//! drift apart.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

/// The lines of the README section that starts with `heading`, up to the next heading.
fn section(text: &str, heading: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn wp_init(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wp-init"))
        .env_clear()
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_exit_code_table_lists_every_exit_code() {
    let mut documented = BTreeSet::new();
    for line in section(&readme(), "### Exit codes") {
        let Some(first) = line.strip_prefix("| ").and_then(|l| l.split(" |").next()) else {
            continue;
        };
        documented.extend(first.split(", ").filter_map(|c| c.parse::<u8>().ok()));
    }
    let mut want: BTreeSet<u8> = wp_init::ExitCode::ALL
        .iter()
        .map(|&c| u8::from(c))
        .collect();
    // The shell's codes for a command after `--` that cannot be executed (host_pass.rs).
    want.extend([126, 127]);
    // 128 + SIGINT's or SIGTERM's number: a run they stopped (signals.rs).
    want.extend([130, 143]);
    assert_eq!(documented, want);
}

/// The long flags a `--help` text names.
fn flags_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_flag_table_matches_the_help_of_every_command() {
    let mut in_help = BTreeSet::new();
    for command in ["install", "upgrade", "verify"] {
        let out = wp_init(&[command, "--help"]);
        assert!(out.status.success());
        in_help.extend(flags_in(&String::from_utf8_lossy(&out.stdout)));
    }
    in_help.remove("--help");
    let table: BTreeSet<String> = section(&readme(), "## Usage")
        .iter()
        .filter_map(|l| l.strip_prefix("| `--"))
        .map(|l| l.split([' ', '`']).next().unwrap())
        // `-- CMD [ARGS...]` is not a flag.
        .filter(|name| !name.is_empty())
        .map(|name| format!("--{name}"))
        .collect();
    assert_eq!(table, in_help, "README's flag table vs --help");
}

/// The keys of a JSON object and of the objects in it, recursively.
fn keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_json_field_is_documented() {
    let f = Fixture::new();
    let (src, dst) = (f.src_str(), f.dst_str());
    let mut fields = BTreeSet::new();
    for args in [
        &["install", "--json", "--source", &src, "--target", &dst][..],
        &["upgrade", "--json", "--source", &src, "--target", &dst],
        &["verify", "--json", "--source", &src, "--target", &dst],
        &[
            "verify",
            "--json",
            "--source",
            &src,
            "--target",
            "/nonexistent",
        ],
    ] {
        let out = wp_init(args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stderr(&out)));
        keys(&v, &mut fields);
    }
    let readme = readme();
    let missing: Vec<&String> = fields
        .iter()
        .filter(|k| !readme.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "JSON fields the README does not name: {missing:?}"
    );
}
