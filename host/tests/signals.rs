//! SIGTERM and SIGINT: as PID 1 of a PID namespace (the FROM-scratch image, where the
//! kernel drops a signal that has no handler), mid-copy and while waiting for the lock,
//! the run stops with exit 128 + the signal's number and a JSON error report, and the next
//! run completes the install; a second signal stops a run stuck in a system call; the
//! command after `--` starts with the signal dispositions wp-init was given.
//!
//! Every step waits for an event: a line on the run's stderr, or the run blocked in a
//! system call (`/proc/PID/syscall`); the deadlines only bound a run that hangs.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{Fixture, snapshot, stderr};
use rustix::process::{Pid, Signal, kill_process};

const BIN: &str = env!("CARGO_BIN_EXE_wp-init");

/// How long a run may take before the test gives up on it (a hang, not a measurement).
const HANG: Duration = Duration::from_secs(120);

/// A run in the background, its stderr read line by line.
struct Background {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    /// Runs `cmd` (whose stdout the caller chose) with no environment, and SIGINT and
    /// SIGTERM at their defaults even where the test was started with them ignored (a
    /// shell's background job): wp-init leaves an ignored signal ignored.
    fn spawn(mut cmd: Command) -> Background {
        cmd.env_clear().stderr(Stdio::piped());
        // SAFETY: between fork and exec, only signal(2), which is async-signal-safe.
        #[expect(unsafe_code, reason = "pre_exec to reset two dispositions; see SAFETY")]
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        let (send, lines) = channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line holding `text`; fails if the run ends first.
    fn wait_for_line(&mut self, text: &str) {
        let deadline = Instant::now() + HANG;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(e) => panic!("no line {text:?} ({e:?}); stderr: {:?}", self.seen),
            }
        }
    }

    /// Waits for the run to end: its exit status, stdout and whole stderr.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + HANG;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the run did not end; stderr: {:?}", self.seen)
                }
            }
        }
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut out).unwrap();
        }
        let status = self.child.wait().unwrap();
        (status, out, std::mem::take(&mut self.seen).join("\n"))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // On a failed assertion: `unshare --kill-child` takes wp-init with it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wp-init ARGS` as PID 1 of a new PID namespace: its PID outside it is found once it runs.
fn pid1(args: &[&str]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child=SIGKILL",
        BIN,
    ])
    .args(args)
    .stdout(Stdio::piped());
    cmd
}

/// wp-init's PID (as this namespace sees it) under `unshare`, checked to be PID 1 of its
/// own namespace.
fn wp_init_pid(unshare: &Child) -> Pid {
    let u = unshare.id();
    let children = std::fs::read_to_string(format!("/proc/{u}/task/{u}/children")).unwrap();
    let pid: i32 = children.split_whitespace().next().unwrap().parse().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let nspid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    assert!(
        nspid.ends_with("\t1"),
        "not PID 1 of its namespace: {nspid}"
    );
    Pid::from_raw(pid).unwrap()
}

fn install_args<'a>(src: &'a str, dst: &'a str) -> Vec<&'a str> {
    vec!["install", "--json", "--source", src, "--target", dst]
}

/// The exit code, the JSON error report and the message of an interrupted run.
fn assert_stopped((status, out, err): &(ExitStatus, String, String), code: i32, says: &[&str]) {
    assert_eq!(status.code(), Some(code), "{status:?}; stderr: {err}");
    let report: serde_json::Value = serde_json::from_str(out).unwrap();
    assert_eq!(report["status"], "error", "{report}");
    assert_eq!(report["exit_code"], code, "{report}");
    for s in says {
        assert!(report["error"].as_str().unwrap().contains(s), "{report}");
        assert!(err.contains(s), "{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// The next run (of SOURCE without the file no run can copy in time) completes.
fn assert_next_run_completes(f: &Fixture, huge: Option<&Path>) {
    assert!(
        !f.dst.join("index.php").exists(),
        "an interrupted copy must not look installed"
    );
    if let Some(huge) = huge {
        std::fs::remove_file(huge).unwrap();
    }
    let out = f.cli().arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        snapshot(&f.src).keys().collect::<Vec<_>>(),
        snapshot(&f.dst).keys().collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs root (a PID namespace): scripts/test.sh runs it"]
fn as_pid_1_a_signal_mid_copy_stops_the_run_and_the_next_run_completes() {
    for (signal, code, name) in [(Signal::TERM, 143, "SIGTERM"), (Signal::INT, 130, "SIGINT")] {
        let f = Fixture::new();
        // A sparse 1 TiB file: no machine copies it before the signal.
        let huge = f.src.join("wp-includes/huge.bin");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        let (src, dst) = (f.src_str(), f.dst_str());
        let mut run = Background::spawn(pid1(&install_args(&src, &dst)));
        run.wait_for_line("copying now...");
        kill_process(wp_init_pid(&run.child), signal).unwrap();
        let result = run.finish();
        let says = [format!("interrupted by {name}"), dst.clone()];
        assert_stopped(&result, code, &says.each_ref().map(String::as_str));
        assert_next_run_completes(&f, Some(&huge));
    }
}

#[test]
#[ignore = "needs root (a PID namespace): scripts/test.sh runs it"]
fn as_pid_1_a_signal_abandons_the_lock_wait_and_the_next_run_completes() {
    let f = Fixture::new();
    let held = common::hold_lock(&f.dst);
    let (src, dst) = (f.src_str(), f.dst_str());
    let mut args = install_args(&src, &dst);
    // Far longer than any run: only the signal ends the wait.
    args.extend(["--lock-timeout", "3600"]);
    let mut run = Background::spawn(pid1(&args));
    run.wait_for_line("waiting for the lock on");
    kill_process(wp_init_pid(&run.child), Signal::TERM).unwrap();
    let result = run.finish();
    assert_stopped(&result, 143, &[&dst, "stopped waiting for the lock"]);
    drop(held);
    assert_next_run_completes(&f, None);
}

/// The system call a thread is blocked in: the first field of `/proc/PID/task/TID/syscall`.
#[cfg(target_arch = "x86_64")]
const WRITE: &str = "1";
#[cfg(target_arch = "aarch64")]
const WRITE: &str = "64";

#[test]
fn a_second_signal_stops_a_run_stuck_in_a_system_call() {
    let f = Fixture::new();
    // stdout is a pipe already full: the JSON report's write blocks, after the commit.
    let (reader, mut writer) = std::io::pipe().unwrap();
    fill(&mut writer);
    let (src, dst) = (f.src_str(), f.dst_str());
    let mut cmd = Command::new(BIN);
    cmd.args(install_args(&src, &dst)).stdout(writer);
    let mut run = Background::spawn(cmd);
    let pid = run.child.id();
    // The main thread (its TID is the PID) blocked writing to stdout.
    let syscall = format!("/proc/{pid}/task/{pid}/syscall");
    let deadline = Instant::now() + HANG;
    while !std::fs::read_to_string(&syscall)
        .unwrap_or_default()
        .starts_with(&format!("{WRITE} 0x1 "))
    {
        assert!(Instant::now() < deadline, "never blocked writing stdout");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    kill_process(pid, Signal::TERM).unwrap();
    run.wait_for_line("SIGTERM: stopping (send it again to stop at once)");
    kill_process(pid, Signal::TERM).unwrap();
    let (status, _, err) = run.finish();
    drop(reader);
    assert_eq!(status.code(), Some(143), "{status:?}; stderr: {err}");
    // It was stopped after the commit: the install is complete.
    assert_eq!(
        snapshot(&f.src).keys().collect::<Vec<_>>(),
        snapshot(&f.dst).keys().collect::<Vec<_>>()
    );
}

/// Writes into `pipe` until it is full (without blocking), then makes it blocking again.
fn fill(pipe: &mut std::io::PipeWriter) {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let flags = fcntl_getfl(&*pipe).unwrap();
    fcntl_setfl(&*pipe, flags | OFlags::NONBLOCK).unwrap();
    let chunk = [b'x'; 4096];
    loop {
        match pipe.write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    fcntl_setfl(&*pipe, flags).unwrap();
}

/// The command after `--` gets the standard signals (1 to 31) blocked, ignored and caught
/// exactly as a command the test starts itself: wp-init's handlers do not survive `exec`,
/// and it blocks and ignores nothing. (The C library's own real-time signals, 32 and up,
/// are its business: glibc catches one at start-up in every process.)
#[test]
fn the_command_after_install_starts_with_the_dispositions_wp_init_was_given() {
    let f = Fixture::new();
    let signals = |out: std::process::Output| -> Vec<(String, u64)> {
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (name, mask) = l.split_once(":\t")?;
                let mask = u64::from_str_radix(mask, 16).ok()?;
                ["SigBlk", "SigIgn", "SigCgt"]
                    .contains(&name)
                    .then(|| (name.to_owned(), mask & 0x7fff_ffff))
            })
            .collect()
    };
    let status = ["/bin/cat", "/proc/self/status"];
    let direct = signals(Command::new(status[0]).arg(status[1]).output().unwrap());
    let after = signals(f.cli().arg("--").args(status).output().unwrap());
    assert_eq!(direct.len(), 3, "{direct:?}");
    assert_eq!(after, direct);
}
