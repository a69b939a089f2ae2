//! The verify command: TARGET's core against SOURCE's, by SHA-256, writing nothing.
//! The walk is planned by `core::plan::plan_verify`; file contents are streamed through
//! the hash one chunk at a time.

use crate::bindings::exports::wp_init::installer::installer::{Error, VerifyOptions, VerifyReport};
use crate::fs::{Access, CHUNK, Dir, File};
use crate::grant::{open_granted, open_source};
use crate::listing;
use sha2::{Digest, Sha256};
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::layout::join;
use wp_init_core::plan::{Check, plan_verify};

/// The verify (README: "Upgrade and verify").
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let src = open_source(&options.source)?;
    let tgt = open_granted(&options.target, Error::InvalidTarget)?;
    let mut v = Verifier {
        src_root: open_granted(&options.source, Error::InvalidSource)?,
        report: VerifyReport {
            files_checked: 0,
            bytes_hashed: 0,
            modified: Vec::new(),
            missing: Vec::new(),
            extra: Vec::new(),
        },
    };
    v.dir("", &src, &tgt)?;
    let r = &v.report;
    for (what, list) in [
        ("modified", &r.modified),
        ("missing", &r.missing),
        ("extra", &r.extra),
    ] {
        for path in list {
            eprintln!("{what}: {}", join(&options.target, path));
        }
    }
    let differences = r.modified.len() + r.missing.len() + r.extra.len();
    if differences == 0 {
        eprintln!(
            "{}: core matches {} ({} files checked)",
            options.target, options.source, r.files_checked
        );
    } else {
        eprintln!(
            "{}: core differs from {}: {} modified, {} missing, {} extra ({} files checked)",
            options.target,
            options.source,
            r.modified.len(),
            r.missing.len(),
            r.extra.len(),
            r.files_checked
        );
    }
    Ok(v.report)
}

/// The walk's state.
struct Verifier {
    /// SOURCE's root, for the listing's symlink resolution.
    src_root: Dir,
    /// The report so far.
    report: VerifyReport,
}

impl Verifier {
    /// Checks the directory at `rel` on both sides.
    fn dir(&mut self, rel: &str, src: &Dir, tgt: &Dir) -> Result<(), Error> {
        let plan = plan_verify(
            rel,
            &listing::source(&self.src_root, src, rel)?,
            &listing::target(tgt, rel, &|_| false)?,
        );
        for (name, check) in plan {
            let path = join(rel, &name);
            match check {
                Check::Compare => {
                    if !self.same(src, tgt, &name)? {
                        self.report.modified.push(path);
                    }
                }
                Check::Enter => {
                    let s = src.open_dir(&name, Access::Read)?;
                    let t = tgt.open_dir(&name, Access::Read)?;
                    self.dir(&path, &s, &t)?;
                }
                Check::Missing => {
                    let mut found = Vec::new();
                    files_under(src, &name, &path, &mut found)?;
                    self.report.missing.extend(found);
                }
                Check::Extra => {
                    let mut found = Vec::new();
                    files_under(tgt, &name, &path, &mut found)?;
                    self.report.extra.extend(found);
                }
            }
        }
        Ok(())
    }

    /// Whether `name` is the same on both sides: two files with equal SHA-256, or two
    /// symlinks with the same text. A different kind is a modification.
    fn same(&mut self, src: &Dir, tgt: &Dir, name: &str) -> Result<bool, Error> {
        self.report.files_checked += 1;
        let kinds = (src.lstat(name)?.type_, tgt.lstat(name)?.type_);
        Ok(match kinds {
            (DescriptorType::RegularFile, DescriptorType::RegularFile) => {
                self.hash(&src.open_read(name)?)? == self.hash(&tgt.open_read(name)?)?
            }
            (DescriptorType::SymbolicLink, DescriptorType::SymbolicLink) => {
                src.readlink(name)? == tgt.readlink(name)?
            }
            _ => false,
        })
    }

    /// The SHA-256 of a file's content, read one chunk at a time.
    fn hash(&mut self, file: &File) -> Result<[u8; 32], Error> {
        let mut hasher = Sha256::new();
        let mut offset = 0;
        loop {
            let (chunk, end) = file.read(CHUNK, offset)?;
            hasher.update(&chunk);
            offset += chunk.len() as u64;
            if end {
                break;
            }
        }
        self.report.bytes_hashed += offset;
        Ok(hasher.finalize().into())
    }
}

/// The files and symlinks at `name` of `dir` (`rel`): itself, or everything under a
/// directory, in name order.
fn files_under(dir: &Dir, name: &str, rel: &str, out: &mut Vec<String>) -> Result<(), Error> {
    if dir.lstat(name)?.type_ != DescriptorType::Directory {
        out.push(rel.to_owned());
        return Ok(());
    }
    let sub = dir.open_dir(name, Access::Read)?;
    for (child, _) in sub.entries()? {
        files_under(&sub, &child, &join(rel, &child), out)?;
    }
    Ok(())
}
