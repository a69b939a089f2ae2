//! A hostile component, for tests only: it exports wp-init's world `host` (the public
//! `installer` interface and the host's own `hosted` protocol), bound from the
//! repository's `wit/` (a change of the contract is a compile error here), and each of
//! its entry points makes the attack that `WP_INIT_ATTACK` names, then prints what the
//! runtime answered on stderr, as one line:
//!
//! `attack NAME: OP=OUTCOME OP=OUTCOME ...` (`OUTCOME` is `ok` or the WASI error code).
//!
//! In the host's calls it writes to its journal (stdout) what the attack chose to claim
//! and returns the staged renames it chose, so the host's pass and commit run on them.
//! Under `wasi:cli/run` (`wasmtime run hostile.wasm SOURCE TARGET`) it makes the same
//! attack and prints the same line. `host/tests/hostile_component.rs` holds the table of
//! attacks and what each must give.

mod ctx;
mod escape;
mod grants;
mod lies;
mod resources;
mod source;
mod unpack_lies;

use bindings::exports::wp_init::installer::hosted::{
    self, Context, Part, Share, StagedEntry, UpgradeOptions, VerifyShare,
};
use bindings::exports::wp_init::installer::installer::{
    self, ConfigAction, ConfigReport, Error, InstallStatus, Options, PathError, Report,
    UpgradeReport, UpgradeStatus, VerifyOptions, VerifyReport,
};
use std::io::Write;

use ctx::Ctx;

/// The typed interface, generated from `wit/installer.wit`.
#[allow(unsafe_code, missing_docs, clippy::all, reason = "generated bindings")]
mod bindings {
    wit_bindgen::generate!({
        world: "host",
        path: "../../wit",
    });

    use crate::Component;
    export!(Component);
}

/// One attack: its name (`WP_INIT_ATTACK`) and what it does.
type Attack = (&'static str, fn(&mut Ctx));

/// Every attack. The table of expected outcomes is the test's.
const ATTACKS: &[Attack] = &[
    ("none", |_| {}),
    ("list", list),
    // SOURCE, the read-only preopen.
    ("source-create-or-write", source::create_or_write),
    ("source-truncate-on-open", source::truncate_on_open),
    (
        "source-write-through-read-descriptor",
        source::write_through_read_descriptor,
    ),
    ("source-mkdir-rmdir", source::mkdir_rmdir),
    ("source-unlink", source::unlink),
    ("source-rename-within", source::rename_within),
    ("source-rename-out", source::rename_out),
    ("source-rename-in", source::rename_in),
    ("source-set-times", source::set_times),
    ("source-symlink", source::symlink),
    ("source-link-into-target", source::link_into_target),
    ("source-link-from-target", source::link_from_target),
    ("source-through-target", source::through_target),
    // Out of TARGET.
    ("dotdot", escape::dotdot),
    ("absolute", escape::absolute),
    ("symlink-absolute", escape::symlink_absolute),
    ("symlink-relative", escape::symlink_relative),
    ("symlink-chain", escape::symlink_chain),
    ("symlink-trailing-slash", escape::symlink_trailing_slash),
    ("symlink-slash-dot", escape::symlink_slash_dot),
    ("rename-trailing-slash", escape::rename_trailing_slash),
    ("hard-link-out", escape::hard_link_out),
    ("swap", escape::swap),
    // Not granted.
    ("preopens", grants::preopens),
    ("forged-handle", grants::forged_handle),
    ("libc-descriptors", grants::libc_descriptors),
    ("proc-dev", grants::proc_dev),
    ("host-cwd", grants::host_cwd),
    ("environment", grants::environment),
    ("tcp", grants::tcp),
    ("udp", grants::udp),
    ("name-lookup", grants::name_lookup),
    ("stdin", grants::stdin),
    ("target-write", grants::target_write),
    // Resources.
    ("memory", resources::memory),
    ("busy-loop", resources::busy_loop),
    ("host-call-loop", resources::host_call_loop),
    ("stderr-flood", resources::stderr_flood),
    ("stdout-flood", resources::stdout_flood),
    ("endless-stdout", resources::endless_stdout),
    ("empty-writes", resources::empty_writes),
    ("many-descriptors", resources::many_descriptors),
    ("many-handles", resources::many_handles),
    ("deep-chain", resources::deep_chain),
    ("million-files", resources::million_files),
    // Lying to the host: its journal (stdout) and the staged renames it returns.
    ("lie-created-dotdot", lies::created_dotdot),
    ("lie-created-inner-dotdot", lies::created_inner_dotdot),
    ("lie-created-absolute", lies::created_absolute),
    ("lie-created-target-root", lies::created_target_root),
    ("lie-created-through-symlink", lies::created_through_symlink),
    ("lie-created-symlink-as-file", lies::created_symlink_as_file),
    ("lie-created-symlink-as-dir", lies::created_symlink_as_dir),
    ("lie-created-hard-link", lies::created_hard_link),
    ("lie-created-source-escape", lies::created_source_escape),
    ("lie-created-not-created", lies::created_not_created),
    ("lie-created-mount-point", lies::created_mount_point),
    ("lie-staged-dotdot", lies::staged_dotdot),
    ("lie-staged-absolute", lies::staged_absolute),
    ("lie-staged-into-outside", lies::staged_into_outside),
    ("lie-staged-cross-dir", lies::staged_cross_dir),
    (
        "lie-staged-swapped-for-symlink",
        lies::staged_swapped_for_symlink,
    ),
    (
        "lie-staged-symlink-as-symlink",
        lies::staged_symlink_as_symlink,
    ),
    ("lie-journal-commit-stdout", lies::journal_commit_stdout),
    ("lie-journal-commit-direct", lies::journal_commit_direct),
    ("lie-journal-outside", lies::journal_outside),
    ("lie-journal-through-symlink", lies::journal_through_symlink),
    ("lie-journal-target-root", lies::journal_target_root),
    ("lie-journal-planted", lies::journal_planted),
    ("lie-journal-renamed", lies::journal_renamed),
    ("lie-journal-begin", lies::journal_begin),
    ("lie-journal-malformed", lies::journal_malformed),
    ("lie-journal-huge", lies::journal_huge),
    // Lying in `unpack`'s answer: the entries whose modes the host sets.
    ("lie-unpack-dotdot", unpack_lies::dotdot),
    ("lie-unpack-absolute", unpack_lies::absolute),
    ("lie-unpack-symlink", unpack_lies::symlink),
    ("lie-unpack-setuid", unpack_lies::setuid),
];

/// Lists the attacks (the test checks its table has a row for each).
fn list(c: &mut Ctx) {
    let names: Vec<&str> = ATTACKS.iter().map(|(n, _)| *n).collect();
    c.note("attacks", names.join(","));
}

/// Makes the attack `WP_INIT_ATTACK` names on the preopens `source` and `target`,
/// writes what it claims to the journal, prints its outcome line, and returns its context.
fn attack(source: &str, target: &str) -> Result<Ctx, Error> {
    let name = std::env::var("WP_INIT_ATTACK").unwrap_or_default();
    let fail = |cause: String| {
        Error::Io(PathError {
            path: target.to_owned(),
            cause,
        })
    };
    let (_, run) = ATTACKS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| fail(format!("unknown attack {name:?}")))?;
    let mut ctx = Ctx::new(source, target).map_err(fail)?;
    run(&mut ctx);
    ctx.flush_journal();
    // Never panics: an attack may have filled (and so closed) stderr.
    let _ = writeln!(std::io::stderr(), "{}", ctx.line(&name));
    if let Some(e) = ctx.fail.take() {
        return Err(e);
    }
    Ok(ctx)
}

/// The report a successful install would give, with the outcome line as its warning.
fn report(ctx: &Ctx) -> Report {
    let name = std::env::var("WP_INIT_ATTACK").unwrap_or_default();
    Report {
        status: InstallStatus::Copied,
        files_copied: 0,
        dirs_created: 0,
        symlinks_copied: 0,
        bytes_copied: 0,
        excluded: Vec::new(),
        temporaries_removed: Vec::new(),
        config: ConfigReport {
            action: ConfigAction::NotRequested,
            template: String::new(),
            variables: Vec::new(),
        },
        warnings: vec![ctx.line(&name)],
        created: Vec::new(),
    }
}

/// [`report`] and the staged renames the attack asks the host's commit for.
fn staged(ctx: Ctx) -> (Report, Vec<StagedEntry>) {
    (report(&ctx), ctx.staged)
}

/// The upgrade report around `install`.
fn upgraded(install: Report) -> UpgradeReport {
    UpgradeReport {
        status: UpgradeStatus::Installed,
        from: None,
        to: String::new(),
        db_version_from: None,
        db_version_to: None,
        replaced: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        kept: Vec::new(),
        install,
    }
}

/// The component: every entry point of both interfaces makes the attack.
struct Component;

impl installer::Guest for Component {
    fn install(options: Options) -> Result<Report, Error> {
        attack(&options.source, &options.target).map(|c| report(&c))
    }

    fn upgrade(
        options: Options,
        _upgrade: installer::UpgradeOptions,
    ) -> Result<UpgradeReport, Error> {
        let c = attack(&options.source, &options.target)?;
        Ok(upgraded(report(&c)))
    }

    fn verify(options: VerifyOptions) -> Result<VerifyReport, Error> {
        attack(&options.source, &options.target)?;
        Ok(VerifyReport {
            files_checked: 0,
            bytes_hashed: 0,
            modified: Vec::new(),
            missing: Vec::new(),
            extra: Vec::new(),
        })
    }
}

impl hosted::Guest for Component {
    fn install(
        options: Options,
        _context: Context,
        _parts: Vec<Part>,
    ) -> Result<(Report, Vec<StagedEntry>), Error> {
        attack(&options.source, &options.target).map(staged)
    }

    fn install_part(
        options: Options,
        _context: Context,
        _part: Part,
    ) -> Result<(Report, Vec<StagedEntry>), Error> {
        attack(&options.source, &options.target).map(staged)
    }

    fn upgrade(
        options: Options,
        _context: Context,
        _upgrade: UpgradeOptions,
    ) -> Result<(UpgradeReport, Vec<StagedEntry>), Error> {
        let (report, staged) = attack(&options.source, &options.target).map(staged)?;
        Ok((upgraded(report), staged))
    }

    fn verify(options: VerifyOptions, _share: Share) -> Result<VerifyShare, Error> {
        let report = <Component as installer::Guest>::verify(options)?;
        Ok(VerifyShare {
            report,
            modified_at: Vec::new(),
        })
    }

    /// `gunzip` is granted no directory: one granted is its error (so the host's). It makes
    /// the attacks that need none (`endless-stdout`, `busy-loop`), then gives no output:
    /// the `unpack` reading it finds no archive.
    fn gunzip(_max_bytes: u64) -> Result<u64, hosted::ArchiveError> {
        if let Some((_, name)) = wasip2::filesystem::preopens::get_directories().first() {
            return Err(hosted::ArchiveError {
                entry: String::new(),
                cause: format!("gunzip was granted a directory: {name}"),
            });
        }
        match std::env::var("WP_INIT_ATTACK").unwrap_or_default().as_str() {
            "endless-stdout" => {
                let _ = resources::write_chunks(&wasip2::cli::stdout::get_stdout(), u64::MAX);
            }
            "busy-loop" => {
                resources::spin();
            }
            _ => {}
        }
        Ok(0)
    }

    /// The attack on the one directory `unpack` is granted (as SOURCE and TARGET both).
    fn unpack(options: hosted::UnpackOptions) -> Result<hosted::Unpacked, hosted::ArchiveError> {
        let refused = |e: Error| hosted::ArchiveError {
            entry: String::new(),
            cause: format!("{e:?}"),
        };
        let ctx = attack(&options.tree, &options.tree).map_err(refused)?;
        let entries = ctx
            .unpacked
            .into_iter()
            .map(|(path, mode)| hosted::UnpackedEntry { path, mode })
            .collect();
        Ok(hosted::Unpacked {
            files: 0,
            directories: 0,
            symlinks: 0,
            bytes: 0,
            entries,
            found: true,
            warnings: Vec::new(),
        })
    }
}

/// `wasi:cli/run`: `hostile.wasm SOURCE TARGET`, the attack from `WP_INIT_ATTACK`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(source), Some(target)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: wp-init-hostile-component SOURCE TARGET (WP_INIT_ATTACK=NAME)");
        std::process::exit(2);
    };
    if let Err(e) = attack(source, target) {
        eprintln!("{e:?}");
        std::process::exit(1);
    }
}
