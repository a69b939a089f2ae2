//! # wp-init-core
//!
//! Pure logic shared by the wp-init guest component and its host, kept free of I/O so it
//! builds for both `wasm32-wasip2` and the native target and is unit-tested natively:
//!
//! - [`config`]: the `wp-config.php` step — which variables ask for it, the built-in
//!   template, and the per-line replacement of the unique-phrase placeholder with salts.
//! - [`core_record`]: the record of the core entries wp-init installed last.
//! - [`commit`]: the journaled commit that finishes an install, and its recovery.
//! - [`journal`]: the journal a run streams to TARGET, and what an unfinished one says.
//! - [`layout`]: names and rules of the WordPress tree — sentinel files, the exclusion
//!   rule for existing `wp-content/*/*` directories, temporary names, mount points.
//! - [`noop`]: the installed test, and whether an install has nothing to do.
//! - [`plan`]: the planner — what `install`, `upgrade` and `verify` do with each entry of
//!   a directory, from listings of both sides.
//! - [`parts`]: which subtrees of a fresh install extra component instances copy.
//! - [`report`]: the reports' one JSON shape (install, upgrade, verify).
//! - [`source`]: the forms of `--source` (a directory, an archive, an OCI image) and the
//!   rules they share (the subtree taken, archive modes, digests).
//! - [`exit_codes`]: the process exit codes and their table.
//! - [`version`]: `$wp_version` and `$wp_db_version` read from `wp-includes/version.php`,
//!   and versions compared as PHP's `version_compare` does (for `upgrade`).

pub mod commit;
pub mod config;
pub mod core_record;
pub mod exit_codes;
pub mod journal;
pub mod layout;
pub mod noop;
pub mod old_files;
pub mod parts;
pub mod plan;
pub mod report;
pub mod source;
pub mod version;
