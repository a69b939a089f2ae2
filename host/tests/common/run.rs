//! One `wp-init` run as data (arguments, environment, user), so the same run can be made
//! plainly, as an unprivileged user, or under strace; and deterministic SIGKILL injection
//! with Debian's strace.

use std::ffi::OsString;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

/// The unprivileged user rows run as (`nobody`).
pub const NOBODY: u32 = 65534;

/// A `wp-init` command line with its environment and user.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    /// Run as `nobody` (uid and gid 65534, no supplementary groups) through `setpriv`.
    pub nobody: bool,
}

impl Invocation {
    /// `wp-init install --source SOURCE --target TARGET`, no environment, as root.
    pub fn install(source: &Path, target: &Path) -> Invocation {
        Invocation::new("install", source, target)
    }

    /// `wp-init COMMAND --source SOURCE --target TARGET`, no environment, as root.
    pub fn new(command: &str, source: &Path, target: &Path) -> Invocation {
        Invocation {
            args: [command, "--source"].map(OsString::from).into(),
            env: Vec::new(),
            nobody: false,
        }
        .arg(source)
        .arg("--target")
        .arg(target)
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Invocation {
        self.args.push(a.into());
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Invocation {
        self.env.push((k.into(), v.into()));
        self
    }

    /// The command, behind `prefix` (e.g. `strace ... --`), with only its own environment.
    pub fn command(&self, prefix: &[&str]) -> Command {
        let mut argv: Vec<OsString> = prefix.iter().map(OsString::from).collect();
        if self.nobody {
            let id = NOBODY.to_string();
            argv.extend(
                [
                    "setpriv",
                    &format!("--reuid={id}"),
                    &format!("--regid={id}"),
                ]
                .map(OsString::from),
            );
            argv.extend(["--clear-groups", "--"].map(OsString::from));
        }
        argv.push(env!("CARGO_BIN_EXE_wp-init").into());
        argv.extend(self.args.iter().cloned());
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .envs(self.env.iter().cloned());
        cmd
    }

    pub fn output(&self) -> Output {
        self.command(&[]).output().expect("run wp-init")
    }
}

/// Fails (never skips) when strace is missing: `scripts/test.sh` installs it.
pub fn require_strace() {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "strace is needed for crash injection (Debian package `strace`; scripts/test.sh installs it)"
    );
}

/// One system call a traced run made: the `nth` call of `syscall` by thread `tid`
/// (strace counts injections per system call and per thread), and strace's line for it.
#[derive(Clone, Debug)]
pub struct Call {
    pub syscall: String,
    pub tid: u32,
    pub nth: u32,
    pub line: String,
}

/// Runs `run` under strace, recording (in order) its calls of `syscalls` (names unknown on
/// this architecture are ignored), with file descriptors shown as paths.
pub fn record(run: &Invocation, syscalls: &[&str], log: &Path) -> (Output, Vec<Call>) {
    let set: Vec<String> = syscalls.iter().map(|s| format!("?{s}")).collect();
    let trace = format!("trace={}", set.join(","));
    let log_s = log.to_str().unwrap();
    let prefix = [
        "strace",
        "-f",
        "-qq",
        "--seccomp-bpf",
        "-y",
        "-s",
        "300",
        "-o",
        log_s,
        "-e",
        &trace,
        "--",
    ];
    let out = run.command(&prefix).output().expect("run strace");
    let text = fs::read(log).unwrap();
    let mut counts = std::collections::HashMap::new();
    let mut calls = Vec::new();
    for line in String::from_utf8_lossy(&text).lines() {
        // `TID  name(args) = ret`; strace pads the TID.
        let Some((tid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some((name, _)) = rest.split_once('(') else {
            continue;
        };
        if rest.starts_with('<') || !syscalls.contains(&name) {
            continue;
        }
        let tid: u32 = tid.parse().unwrap();
        let nth = counts.entry((tid, name.to_owned())).or_insert(0);
        *nth += 1;
        calls.push(Call {
            syscall: name.to_owned(),
            tid,
            nth: *nth,
            line: line.to_owned(),
        });
    }
    (out, calls)
}

/// Runs `run` under strace, which sends SIGKILL on entry to `call` (so that call never
/// happens). Returns the output; see [`killed`]. Without `--seccomp-bpf`: with it, strace
/// 6.1 silently delivers no `signal=` injection (tested; `error=` and `retval=` still work).
pub fn kill_at(run: &Invocation, call: &Call) -> Output {
    assert!(
        call.nth <= 65535,
        "strace's `when=` stops at 65535: {call:?}"
    );
    let trace = format!("trace={}", call.syscall);
    let inject = format!("inject={}:signal=SIGKILL:when={}", call.syscall, call.nth);
    let prefix = [
        "strace",
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        &trace,
        "-e",
        &inject,
        "--",
    ];
    run.command(&prefix).output().expect("run strace")
}

/// Whether a run under strace ended by SIGKILL (strace ends itself with its tracee's signal).
pub fn killed(out: &Output) -> bool {
    out.status.signal() == Some(9) || out.status.code() == Some(128 + 9)
}
