//! The start-up stages of a cold run, timed, for `scripts/bench.sh` (`cargo run
//! --release --example startup`); not part of the API.

use std::time::{Duration, Instant};

use crate::component::{Host_, exports, prepare};
use crate::roots::Root;
use crate::sandbox::{Grants, Sandbox};
use crate::{DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, Error};

/// Times each stage of a run from a cold start: engine, deserialize, linker, store (WASI
/// context, preopens, deadline), instantiate, and the component's `install` call on
/// `target` as a dry run (on an installed TARGET: the no-op, which includes the first
/// host calls). For `scripts/bench.sh` (`cargo run --release --example startup`); not
/// part of the API.
#[doc(hidden)]
pub fn startup_profile(source: &str, target: &str) -> Result<Vec<(&'static str, Duration)>, Error> {
    let mut laps = Vec::new();
    let mut last = Instant::now();
    let mut lap = |name| {
        let now = Instant::now();
        laps.push((name, now - last));
        last = now;
    };
    let prepared = prepare(&mut lap).map_err(Error::runtime)?;
    let (source_root, target_root) = (
        Root::open(source).map_err(Error::InvalidSource)?,
        Root::open(target).map_err(Error::InvalidTarget)?,
    );
    lap("open roots");
    let grants = Grants {
        source: Some(&source_root),
        target: &target_root,
        target_writable: false,
        target_granted: true,
        env: &[],
        args: &[],
        memory_limit: DEFAULT_MEMORY_LIMIT,
        timeout: DEFAULT_TIMEOUT,
        capture_stderr: true,
        stdout: false,
        journal: None,
        stdin: None,
        stdout_file: None,
        source_writable: false,
    };
    let mut sb = Sandbox::new(&prepared, &grants)?;
    lap("store");
    let inst = Host_::instantiate(&mut sb.store, &prepared.component, &prepared.linker)
        .map_err(|e| sb.failure(e))?;
    lap("instantiate");
    let options = exports::wp_init::installer::installer::Options {
        source: source.to_owned(),
        target: target.to_owned(),
        dry_run: true,
        mount_points: Vec::new(),
    };
    let context = exports::wp_init::installer::hosted::Context {
        nonce: 0,
        adopted: Vec::new(),
        leftovers: Vec::new(),
        staging: Vec::new(),
        mounts: Vec::new(),
        core_record: None,
        unfinished_upgrade: None,
        link_source: false,
    };
    let result = inst
        .wp_init_installer_hosted()
        .call_install(&mut sb.store, &options, &context, &[])
        .map_err(|e| sb.failure(e))?;
    result.map_err(Error::from)?;
    lap("install call");
    Ok(laps)
}
