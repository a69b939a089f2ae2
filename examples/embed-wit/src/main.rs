//! A host of its own for the wp-init component: binds `wit/installer.wit` with
//! `wasmtime::component::bindgen!`, grants SOURCE read-only and TARGET read-write, calls the
//! typed `install` export and prints the typed report. No `wp_init` library involved.
//!
//! ```sh
//! wp-init component --output wp-init.wasm
//! cargo run --release -p wp-init-example-embed-wit -- wp-init.wasm examples/wordpress /tmp/docroot
//! ```
//!
//! What it relies on in `wit/installer.wit` (`wp-init:installer@1.0.0`; a 1.x only adds
//! functions): the world `embed`, the interface `installer` with
//! `install: func(options) -> result<report, error>`, and the fields used below.
//! What it leaves out, which the `wp_init` library adds: memory and time limits, the lock
//! on TARGET, modes and owners (WASI has no chmod or chown).

use std::process::ExitCode;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::add_to_linker_sync;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// The bindings `bindgen!` generates for the world `embed` of `wit/installer.wit`.
mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "embed",
    });
}

use bindings::Embed;
use bindings::exports::wp_init::installer::installer::{Error, Options, PathError, Report};

/// The store's data: the WASI context and its resource table.
struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [wasm, source, target] = args.as_slice() else {
        eprintln!("usage: embed-wit COMPONENT.wasm SOURCE TARGET");
        return Ok(ExitCode::from(2));
    };

    let engine = Engine::default();
    let component = Component::from_file(&engine, wasm)
        .map_err(|e| anyhow::Error::from(e).context(format!("cannot load {wasm}")))?;
    let mut linker = Linker::new(&engine);
    add_to_linker_sync(&mut linker)?;

    let mut wasi = WasiCtxBuilder::new();
    // Before the preopens: each preopened directory copies this flag when it is made.
    wasi.allow_blocking_current_thread(true).inherit_stderr();
    // The guest paths are the host paths, so the component's messages show real paths.
    wasi.preopened_dir(source, source, FsPerms::ReadOnly)
        .map_err(|e| anyhow::Error::from(e).context(format!("cannot open SOURCE {source}")))?;
    wasi.preopened_dir(target, target, FsPerms::ReadWrite)
        .map_err(|e| anyhow::Error::from(e).context(format!("cannot open TARGET {target}")))?;
    for (name, value) in std::env::vars().filter(|(n, _)| n.starts_with("WORDPRESS_")) {
        wasi.env(name, value);
    }
    let host = Host {
        ctx: wasi.build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);

    let instance = Embed::instantiate(&mut store, &component, &linker)?;
    let result = instance
        .wp_init_installer_installer()
        .call_install(&mut store, &options(source, target))?;
    match result {
        Ok(report) => {
            print_report(&report);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let (kind, detail, code) = describe(&err);
            eprintln!("error: {kind}: {detail}");
            Ok(ExitCode::from(code))
        }
    }
}

/// What to ask for: a real install (the public interface: the component commits itself),
/// with only the default mount point.
fn options(source: &str, target: &str) -> Options {
    Options {
        source: source.to_owned(),
        target: target.to_owned(),
        dry_run: false,
        mount_points: Vec::new(),
    }
}

fn print_report(report: &Report) {
    println!("status: {:?}", report.status);
    println!(
        "copied: {} files, {} directories, {} symlinks, {} bytes",
        report.files_copied, report.dirs_created, report.symlinks_copied, report.bytes_copied
    );
    println!(
        "wp-config.php: {:?} (template {:?}, variables {:?})",
        report.config.action, report.config.template, report.config.variables
    );
    // `created` names at most the first 100 entries; the counts above are the totals.
    println!("created (first by path): {} entries", report.created.len());
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
}

/// The error's kind, its detail (path and cause) and the exit code `wp-init` uses for it.
fn describe(err: &Error) -> (&'static str, String, u8) {
    let at = |pe: &PathError| format!("{}: {}", pe.path, pe.cause);
    match err {
        Error::InvalidSource(pe) => ("invalid SOURCE", at(pe), 2),
        Error::InvalidTarget(pe) => ("invalid TARGET", at(pe), 2),
        Error::UnsafeSymlink(pe) => ("unsafe symlink", at(pe), 4),
        Error::Io(pe) => ("I/O", at(pe), 4),
        Error::RandomUnavailable(msg) => ("no random bytes", msg.clone(), 4),
        Error::DowngradeRefused(v) => ("downgrade refused", format!("{} -> {}", v.from, v.to), 3),
        Error::UpgradeUnfinished(u) => (
            "interrupted upgrade unfinished",
            format!(
                "{} -> {}, SOURCE has {}",
                u.interrupted.from, u.interrupted.to, u.source
            ),
            3,
        ),
    }
}
