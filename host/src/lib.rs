//! # wp_init
//!
//! Installs WordPress from a SOURCE tree into a TARGET directory by running the wp-init
//! WebAssembly component, sandboxed: the component sees SOURCE read-only and TARGET
//! writable, the `WORDPRESS_*` environment, random numbers, and nothing else.
//!
//! ## What to use for what
//!
//! | you want to | use |
//! |---|---|
//! | install from Rust, with everything the `wp-init` CLI does | [`Installer`] (a builder: SOURCE, TARGET, environment, limits, owner, lock), then [`Installer::install`] |
//! | upgrade core in TARGET to SOURCE's version, never downgrading unless allowed | [`Installer::upgrade`]: an [`UpgradeOutcome`] with the [`UpgradeReport`] |
//! | check TARGET's core against SOURCE's, offline, writing nothing | [`Installer::verify`]: a [`VerifyOutcome`] with the [`VerifyReport`] |
//! | read what happened | [`Outcome`]: the component's [`Report`] and the host's [`HostActions`] |
//! | handle a failure | [`Error`]: names the path and the cause (a cause that is an error of its own is its `source`); [`Error::exit_code`] is the CLI's [`ExitCode`] |
//! | give the created entries an owner, as the CLI's `--user` does | [`Owner::resolve`], then [`Installer::owner`] |
//! | run the component's own command line (what `wasmtime run` runs) under the same grants | [`Installer::run_command`] |
//! | stop every run of this process (from a SIGTERM handler, as the CLI does) | [`interrupt::request`]: components interrupted, lock waits abandoned; the run fails with [`Error::Interrupted`] |
//! | run the component in another runtime | [`COMPONENT_WASM`] (or `wp-init component --output FILE`) and the contract `wit/installer.wit` (world `embed`) |
//!
//! The repository has a runnable example of each way in: `examples/embed-library` (this
//! crate's builder, its report and its errors in a few lines) and `examples/embed-wit` (a
//! host of its own: `wasmtime::component::bindgen!` on `wit/`, two preopens, the typed
//! `install` call). The README says which other runtimes run the component.
//!
//! ```no_run
//! let outcome = wp_init::Installer::new("/usr/src/wordpress", "/var/www/html")
//!     .env("WORDPRESS_DB_HOST", "db")
//!     .install()?;
//! println!("{:?}: {} files copied", outcome.report.status, outcome.report.files_copied);
//! # Ok::<(), wp_init::Error>(())
//! ```
//!
//! ## The component inside this crate
//!
//! [`COMPONENT_WASM`] is embedded at build time: the build script compiles it from the
//! repository's `guest/` (it needs the `wasm32-wasip2` target). The crate package has no
//! `guest/`; it carries the component built for its version as `component/wp-init.wasm` and
//! the WIT it implements under `wit/` (the README's "Supply chain" says how it is made).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod artifact_arch;
mod born;
mod command;
mod commit;
mod component;
mod dir_cache;
mod engine_config;
mod error;
mod fetch;
mod from_wit;
mod installer;
pub mod interrupt;
mod journal;
pub mod lock;
mod mounts;
mod owner;
mod parts;
mod permissions;
mod roots;
mod sandbox;
mod scratch;
mod source;
mod startup;
mod state;
mod stderr;
mod store;
mod upgrade;
mod verify;

pub use command::CommandOutput;
pub use component::COMPONENT_WASM;
#[cfg(feature = "test-component")]
#[doc(hidden)]
pub use component::use_test_component;
pub use error::{Error, ExitCode, PathError};
pub use installer::{
    DEFAULT_LOCK_TIMEOUT, DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, HostActions, Installer, Outcome,
};
pub use lock::LockError;
pub use owner::{Owner, OwnerError};
pub use permissions::{Cause as PermissionsCause, PermissionsError};
pub use source::SourceDigests;
#[doc(hidden)]
pub use startup::startup_profile;
pub use upgrade::UpgradeOutcome;
pub use verify::VerifyOutcome;
pub use wp_init_core::layout::{DEFAULT_SOURCE, DEFAULT_TARGET};
pub use wp_init_core::report::upgrade::{UpgradeReport, UpgradeStatus};
pub use wp_init_core::report::verify::VerifyReport;
pub use wp_init_core::report::{
    Config, ConfigAction, Created, EntryKind, ErrorReport, Report, Status,
};
