//! # wp_init
//!
//! Installs WordPress from a SOURCE tree into a TARGET directory by running the wp-init
//! WebAssembly component, sandboxed: the component sees SOURCE read-only and TARGET
//! writable, the `WORDPRESS_*` environment, random numbers, and nothing else.
//!
//! - [`Installer`] is the entry point: set SOURCE, TARGET, environment and limits, then
//!   [`Installer::install`].
//! - [`Report`] is what the component did; [`Error`] why it failed, with the
//!   [`ExitCode`] the CLI uses.
//! - [`owner`], [`metadata`] and [`lock`] are what the host adds around the component,
//!   which WASI cannot do: owners and modes of the created entries (never following a
//!   symlink), and a lock on TARGET for the whole run.
//! - [`COMPONENT_WASM`] is the embedded component itself, for other runtimes.

mod component;
mod engine_config;
mod error;
mod finish;
mod installer;
pub mod lock;
pub mod metadata;
pub mod owner;
mod report;
mod sandbox;

pub use component::COMPONENT_WASM;
#[doc(hidden)]
pub use component::startup_profile;
pub use error::{Error, ExitCode, PathError};
pub use installer::{
    CommandOutput, DEFAULT_LOCK_TIMEOUT, DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, HostActions,
    Installer, Outcome,
};
pub use wp_init_core::layout::{DEFAULT_SOURCE, DEFAULT_TARGET};
pub use wp_init_core::report::{
    Config, ConfigAction, Created, EntryKind, ErrorReport, Report, Status,
};
