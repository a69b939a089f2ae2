//! `wasi:cli/run`: `install`, `upgrade` and `verify`, with the flags the host's CLI
//! gives them that make sense without a host (see [`USAGE`]).

use crate::bindings::exports::wp_init::installer::installer::{
    self as wit, Error, Options, UpgradeOptions, VerifyOptions,
};
use crate::{component, verify};
use std::io::Write;
use wp_init_core::layout::{DEFAULT_SOURCE, DEFAULT_TARGET};
use wp_init_core::report::{ErrorReport, ExitCode};

const USAGE: &str = "\
Usage: wp-init install [--source DIR] [--target DIR] [--mount-point REL]... [--dry-run] [--json]
       wp-init upgrade [--source DIR] [--target DIR] [--mount-point REL]... [--allow-downgrade]
                       [--dry-run] [--json]
       wp-init verify  [--source DIR] [--target DIR] [--json]

install  copies WordPress from SOURCE into TARGET unless it is already installed there,
         then writes wp-config.php when WORDPRESS_* variables are set (as the official
         image does).
upgrade  brings core in TARGET to SOURCE's version (installs when TARGET has none; never
         downgrades unless allowed); wp-content gains only what it lacks, wp-config.php
         is never touched.
verify   compares TARGET's core with SOURCE's by SHA-256 and lists what differs.

Both directories must be granted to the component under these exact names, e.g.
  wasmtime run --dir HOST_SRC::/usr/src/wordpress --dir HOST_DST::/var/www/html \\
      --env WORDPRESS_DB_HOST=db wp-init.wasm install

Options:
  --source DIR   the WordPress tree to copy (default /usr/src/wordpress)
  --target DIR   the directory to install into (default /var/www/html)
  --mount-point REL
                 also leave this directory (relative to TARGET) in place for a volume
                 mounted inside TARGET; wp-content/uploads always is
  --allow-downgrade
                 upgrade: replace core even when SOURCE's WordPress is older
  --dry-run      decide everything, write nothing, print the plan
  --json         print the report as one JSON object on stdout
  -h, --help     print this help

Files are created with the runtime's umask: run with umask 027 (or 077) so that
wp-config.php, which holds the keys and salts, is never readable by others.

Exit codes: 0 success; 1 verify found differences; 2 usage error, invalid SOURCE or
TARGET; 3 refused (a downgrade); 4 any other failure.
";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    Install {
        options: Options,
        json: bool,
    },
    Upgrade {
        options: Options,
        upgrade: UpgradeOptions,
        json: bool,
    },
    Verify {
        options: VerifyOptions,
        json: bool,
    },
}

/// Which flags a command takes besides `--source`, `--target`, `--json`.
fn takes(command: &str, flag: &str) -> bool {
    match flag {
        "--mount-point" | "--dry-run" => command != "verify",
        "--allow-downgrade" => command == "upgrade",
        _ => false,
    }
}

/// Parses the arguments after the program name.
fn parse(args: &[String]) -> Result<Command, String> {
    const EXPECTED: &str = "expected 'install', 'upgrade' or 'verify'";
    let mut it = args.iter();
    let command = match it.next().map(String::as_str) {
        Some(c @ ("install" | "upgrade" | "verify")) => c,
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some(other) => return Err(format!("unknown command '{other}' ({EXPECTED})")),
        None => return Err(format!("missing command ({EXPECTED})")),
    };
    let mut source = DEFAULT_SOURCE.to_owned();
    let mut target = DEFAULT_TARGET.to_owned();
    let (mut dry_run, mut json, mut allow_downgrade) = (false, false, false);
    let mut mount_points = Vec::new();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let known = matches!(flag, "-h" | "--help" | "--source" | "--target" | "--json")
            || takes(command, flag);
        if !known {
            return Err(format!("unknown argument '{arg}' for '{command}'"));
        }
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--source" | "--target" | "--mount-point" => {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("{flag} needs a value"))?,
                };
                if value.is_empty() {
                    return Err(format!("{flag} needs a non-empty value"));
                }
                match flag {
                    "--source" => source = value,
                    "--target" => target = value,
                    _ => mount_points.push(value),
                }
            }
            _ if inline.is_some() => return Err(format!("{flag} takes no value")),
            "--dry-run" => dry_run = true,
            "--allow-downgrade" => allow_downgrade = true,
            _ => json = true,
        }
    }
    let options = Options {
        source,
        target,
        dry_run,
        mount_points,
    };
    Ok(match command {
        "install" => Command::Install { options, json },
        "upgrade" => Command::Upgrade {
            options,
            upgrade: UpgradeOptions { allow_downgrade },
            json,
        },
        _ => Command::Verify {
            options: VerifyOptions {
                source: options.source,
                target: options.target,
            },
            json,
        },
    })
}

/// The component's `main`: runs the command line and exits with its status.
pub fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (result, json) = match parse(&args) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return;
        }
        Ok(Command::Install { options, json }) => (
            component::install(&options, None, Vec::new())
                .map(|(r, _)| r)
                .map(|r| to_json(&wp_init_core::report_from_wit!(wit, r), ExitCode::Success)),
            json,
        ),
        Ok(Command::Upgrade {
            options,
            upgrade,
            json,
        }) => (
            component::upgrade(&options, None, &upgrade).map(|(r, _)| {
                to_json(
                    &wp_init_core::upgrade_report_from_wit!(wit, r),
                    ExitCode::Success,
                )
            }),
            json,
        ),
        Ok(Command::Verify { options, json }) => (
            verify::verify(&options).map(|r| {
                let report = wp_init_core::verify_report_from_wit!(r);
                to_json(&report, report.exit_code())
            }),
            json,
        ),
        Err(msg) => {
            eprintln!("error: {msg}");
            eprintln!("Run 'wp-init --help' for usage.");
            exit(ExitCode::Usage);
        }
    };
    match result {
        Ok((text, code)) => {
            if json {
                print_line(&text);
            }
            if code != ExitCode::Success {
                exit(code);
            }
        }
        Err(err) => {
            let (message, code) = describe_error(&err);
            eprintln!("error: {message}");
            if json {
                print_line(&to_json(&ErrorReport::new(message, code), code).0);
            }
            exit(code);
        }
    }
}

/// Prints a line on stdout; a closed stdout (`| head`) is not worth a trap.
fn print_line(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// A report as one line of JSON, with the exit code it means.
fn to_json(value: &impl serde::Serialize, code: ExitCode) -> (String, ExitCode) {
    let text = serde_json::to_string(value).unwrap_or_else(|e| {
        format!("{{\"status\":\"error\",\"error\":\"cannot write the JSON report: {e}\"}}")
    });
    (text, code)
}

/// Ends the program with `code` (std's `process::exit` would turn every failure into 1).
fn exit(code: ExitCode) -> ! {
    let code = u8::from(code);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    if cfg!(target_os = "wasi") {
        wasip2::cli::exit::exit_with_code(code);
    }
    std::process::exit(i32::from(code))
}

/// An error's message (path and cause) and exit code.
fn describe_error(err: &Error) -> (String, ExitCode) {
    use wp_init_core::report::messages;
    match err {
        Error::InvalidSource(pe) | Error::InvalidTarget(pe) => {
            (format!("{}: {}", pe.path, pe.cause), ExitCode::Usage)
        }
        Error::UnsafeSymlink(pe) | Error::Io(pe) => {
            (format!("{}: {}", pe.path, pe.cause), ExitCode::Failure)
        }
        Error::RandomUnavailable(msg) => (msg.clone(), ExitCode::Failure),
        Error::DowngradeRefused(v) => (
            messages::downgrade_refused(&v.from, &v.to),
            ExitCode::Refused,
        ),
        Error::UpgradeUnfinished(u) => (
            messages::upgrade_unfinished(&u.interrupted.from, &u.interrupted.to, &u.source),
            ExitCode::Refused,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn install_opts(source: &str, target: &str, dry_run: bool, json: bool) -> Command {
        let options = Options {
            source: source.into(),
            target: target.into(),
            dry_run,
            mount_points: Vec::new(),
        };
        Command::Install { options, json }
    }

    #[test]
    fn defaults() {
        assert_eq!(
            parse(&args(&["install"])),
            Ok(install_opts(DEFAULT_SOURCE, DEFAULT_TARGET, false, false))
        );
    }

    #[test]
    fn flags_both_forms() {
        assert_eq!(
            parse(&args(&[
                "install",
                "--source",
                "/s",
                "--target=/t",
                "--dry-run",
                "--json"
            ])),
            Ok(install_opts("/s", "/t", true, true))
        );
    }

    proptest::proptest! {
        /// Any non-empty value round-trips through both flag forms; anything after
        /// `install` that is not a known flag is refused.
        #[test]
        fn values_round_trip(
            source in "[^\u{0}]{1,30}",
            target in "[^\u{0}]{1,30}",
            mount in "[^\u{0}]{1,30}",
            stray in "[^\u{0}-]{1,10}",
        ) {
            let want = Command::Install {
                options: Options {
                    source: source.clone(),
                    target: target.clone(),
                    dry_run: true,
                    mount_points: vec![mount.clone()],
                },
                json: false,
            };
            let spaced = args(&["install", "--source", &source, "--target", &target, "--mount-point", &mount, "--dry-run"]);
            proptest::prop_assert_eq!(parse(&spaced), Ok(want));
            let joined = [format!("--source={source}"), format!("--target={target}"), format!("--mount-point={mount}")];
            let mut inline = args(&["install", "--dry-run"]);
            inline.extend(joined);
            let Ok(Command::Install { options, .. }) = parse(&inline) else {
                return Err(proptest::test_runner::TestCaseError::fail("inline form"));
            };
            proptest::prop_assert_eq!((options.source, options.target), (source, target));
            proptest::prop_assert!(parse(&args(&["install", &stray])).is_err());
        }
    }

    #[test]
    fn mount_points_repeat() {
        let Ok(Command::Install { options, .. }) = parse(&args(&[
            "install",
            "--mount-point",
            "a/b",
            "--mount-point=c",
        ])) else {
            panic!("parses")
        };
        assert_eq!(options.mount_points, ["a/b", "c"]);
    }

    #[test]
    fn upgrade_and_verify() {
        let Ok(Command::Upgrade {
            options,
            upgrade,
            json,
        }) = parse(&args(&[
            "upgrade",
            "--allow-downgrade",
            "--dry-run",
            "--json",
        ]))
        else {
            panic!("parses")
        };
        assert!(upgrade.allow_downgrade && options.dry_run && json);
        assert_eq!(
            parse(&args(&["verify", "--target=/t", "--json"])),
            Ok(Command::Verify {
                options: VerifyOptions {
                    source: DEFAULT_SOURCE.into(),
                    target: "/t".into()
                },
                json: true
            })
        );
    }

    #[test]
    fn help_and_errors() {
        assert_eq!(parse(&args(&["--help"])), Ok(Command::Help));
        assert_eq!(parse(&args(&["install", "-h"])), Ok(Command::Help));
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["upgrade", "--allow-downgrade=1"])).is_err());
        assert!(parse(&args(&["install", "--allow-downgrade"])).is_err());
        assert!(parse(&args(&["verify", "--dry-run"])).is_err());
        assert!(parse(&args(&["verify", "--mount-point", "x"])).is_err());
        assert!(parse(&args(&["bogus"])).is_err());
        assert!(parse(&args(&["install", "--bogus"])).is_err());
        assert!(parse(&args(&["install", "--source"])).is_err());
        assert!(parse(&args(&["install", "--source="])).is_err());
        assert!(parse(&args(&["install", "--json=1"])).is_err());
        assert!(parse(&args(&["install", "extra"])).is_err());
    }
}
