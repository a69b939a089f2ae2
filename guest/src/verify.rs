//! The verify command: TARGET's core against SOURCE's, by SHA-256, writing nothing.
//! The walk is planned by `core::plan::plan_verify`; file contents are streamed through
//! the hash one chunk at a time. Several instances may share the hashing: each walks the
//! whole tree and compares its share of the entries both sides have (`core::parts::Shares`,
//! balanced by size).

use crate::bindings::exports::wp_init::installer::hosted::Share;
use crate::bindings::exports::wp_init::installer::installer::{Error, VerifyOptions, VerifyReport};
use crate::fs::{Access, CHUNK, Dir, File};
use crate::grant::{open_granted, open_source};
use crate::listing;
use sha2::{Digest, Sha256};
use wasip2::filesystem::types::{DescriptorStat, DescriptorType};
use wp_init_core::layout::join;
use wp_init_core::parts::Shares;
use wp_init_core::plan::{Check, plan_verify};
use wp_init_core::report::verify::messages;

/// The verify (README: "Upgrade and verify"), alone: compares everything and says what
/// it found.
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let (r, _) = verify_share(options, &Share { index: 0, of: 1 })?;
    eprint!(
        "{}",
        messages(
            (&options.source, &options.target),
            (&r.modified, &r.missing, &r.extra),
            r.files_checked
        )
    );
    Ok(r)
}

/// One instance's `share` of the verify (WIT `hosted.verify`), silent: the report and the
/// place of each modified entry among the compared ones.
pub fn verify_share(
    options: &VerifyOptions,
    share: &Share,
) -> Result<(VerifyReport, Vec<u64>), Error> {
    let src = open_source(&options.source)?;
    let tgt = open_granted(&options.target, Error::InvalidTarget)?;
    let mut v = Verifier {
        src_root: open_granted(&options.source, Error::InvalidSource)?,
        index: share.index as usize,
        shares: Shares::new(share.of as usize),
        compared: 0,
        modified_at: Vec::new(),
        report: VerifyReport {
            files_checked: 0,
            bytes_hashed: 0,
            modified: Vec::new(),
            missing: Vec::new(),
            extra: Vec::new(),
        },
    };
    v.dir("", &src, &tgt)?;
    Ok((v.report, v.modified_at))
}

/// The walk's state.
struct Verifier {
    /// SOURCE's root, for the listing's symlink resolution.
    src_root: Dir,
    /// This instance's number.
    index: usize,
    /// Which instance compares each entry.
    shares: Shares,
    /// Entries met so far that both sides have.
    compared: u64,
    /// The place among those of each modified entry reported.
    modified_at: Vec<u64>,
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
                    let at = self.compared;
                    self.compared += 1;
                    let first = src.lstat(&name)?;
                    let mine = self.shares.take(first.size) == self.index;
                    if mine && !self.same((src, &first), tgt, &name)? {
                        self.report.modified.push(path);
                        self.modified_at.push(at);
                    }
                }
                Check::Enter => {
                    let s = src.open_dir(&name, Access::Read)?;
                    let t = tgt.open_dir(&name, Access::Read)?;
                    self.dir(&path, &s, &t)?;
                }
                Check::Missing | Check::Extra if self.index != 0 => {}
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

    /// Whether `name` is the same on both sides (`first`: SOURCE's `lstat` of it): two
    /// files with equal SHA-256, or two symlinks with the same text. A different kind is a
    /// modification.
    fn same(
        &mut self,
        (src, first): (&Dir, &DescriptorStat),
        tgt: &Dir,
        name: &str,
    ) -> Result<bool, Error> {
        self.report.files_checked += 1;
        let kinds = (first.type_, tgt.lstat(name)?.type_);
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
