//! The typed interfaces' entry points, and the one place a command's executor is chosen:
//! [`Plan`] for a dry run, [`Write`] otherwise.

use crate::bindings::exports::wp_init::installer::hosted::{
    self, ArchiveError, Context, Part, Share, StagedEntry, UnpackOptions, Unpacked, VerifyShare,
};
use crate::bindings::exports::wp_init::installer::installer::{
    self, Error, Options, Report, UpgradeOptions, UpgradeReport, VerifyOptions, VerifyReport,
};
use crate::exec::{Plan, Write};
use crate::grant::path_error;
use crate::{part, upgrade as up, verify};

/// `install` (see `install.rs`) with the executor `options` ask for.
pub fn install(
    options: &Options,
    context: Option<&Context>,
    leave: Vec<Part>,
) -> Result<(Report, Vec<StagedEntry>), Error> {
    if options.dry_run {
        crate::install::install(&Plan, options, context, leave)
    } else {
        crate::install::install(&Write, options, context, leave)
    }
}

/// `upgrade` (see `upgrade.rs`) with the executor `options` ask for.
pub fn upgrade(
    options: &Options,
    context: Option<&Context>,
    upgrade: &UpgradeOptions,
) -> Result<(UpgradeReport, Vec<StagedEntry>), Error> {
    if options.dry_run {
        up::upgrade(&Plan, options, context, upgrade)
    } else {
        up::upgrade(&Write, options, context, upgrade)
    }
}

/// The component's implementation of both interfaces.
pub struct Component;

impl installer::Guest for Component {
    fn install(options: Options) -> Result<Report, Error> {
        install(&options, None, Vec::new()).map(|(r, _)| r)
    }

    fn upgrade(options: Options, upgrade: UpgradeOptions) -> Result<UpgradeReport, Error> {
        self::upgrade(&options, None, &upgrade).map(|(r, _)| r)
    }

    fn verify(options: VerifyOptions) -> Result<VerifyReport, Error> {
        verify::verify(&options)
    }
}

impl hosted::Guest for Component {
    fn install(
        options: Options,
        context: Context,
        parts: Vec<Part>,
    ) -> Result<(Report, Vec<StagedEntry>), Error> {
        if options.dry_run && !parts.is_empty() {
            return Err(Error::InvalidTarget(path_error(
                options.target,
                "an install in parts is not for a dry run",
            )));
        }
        install(&options, Some(&context), parts)
    }

    fn install_part(
        options: Options,
        context: Context,
        part: Part,
    ) -> Result<(Report, Vec<StagedEntry>), Error> {
        part::install_part(&options, &context, &part)
    }

    fn upgrade(
        options: Options,
        context: Context,
        upgrade: UpgradeOptions,
    ) -> Result<(UpgradeReport, Vec<StagedEntry>), Error> {
        self::upgrade(&options, Some(&context), &upgrade)
    }

    fn verify(options: VerifyOptions, share: Share) -> Result<VerifyShare, Error> {
        verify::verify_share(&options, &share).map(|(report, modified_at)| VerifyShare {
            report,
            modified_at,
        })
    }

    fn gunzip(max_bytes: u64) -> Result<u64, ArchiveError> {
        crate::unpack::gunzip(max_bytes)
    }

    fn unpack(options: UnpackOptions) -> Result<Unpacked, ArchiveError> {
        crate::unpack::unpack(&options)
    }
}
