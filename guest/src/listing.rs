//! Listings of one directory on each side, as the planner (`core::plan`) takes them.

use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::fs::{Dir, Presence};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::layout::join;
use wp_init_core::plan::{Entry, Kind, Resolved};

/// The kind of an entry from its directory type; symlinks are resolved by `link`.
fn kind(ty: DescriptorType, link: impl FnOnce() -> Result<Resolved, Error>) -> Result<Kind, Error> {
    Ok(match ty {
        DescriptorType::RegularFile => Kind::File,
        DescriptorType::Directory => Kind::Dir,
        DescriptorType::SymbolicLink => Kind::Symlink(link()?),
        _ => Kind::Special,
    })
}

/// SOURCE's directory `dir` at `rel`, each symlink judged by where its whole chain leads,
/// followed from SOURCE's root `root` (a WASI descriptor is a sandbox of its own: from the
/// link's directory, `../x` would be refused).
pub fn source(root: &Dir, dir: &Dir, rel: &str) -> Result<Vec<Entry>, Error> {
    dir.entries()?
        .into_iter()
        .map(|(name, ty)| {
            let kind = kind(ty, || resolve(root, dir, &name, &join(rel, &name)))?;
            Ok(Entry { name, kind })
        })
        .collect()
}

/// How the symlink `name` of `dir` (`rel` from the root) resolves.
fn resolve(root: &Dir, dir: &Dir, name: &str, rel: &str) -> Result<Resolved, Error> {
    match dir.readlink(name) {
        Ok(text) if text.starts_with('/') => return Ok(Resolved::Absolute),
        Ok(_) => {}
        // The runtime refuses to read an absolute link.
        Err(e) if e.code == ErrorCode::NotPermitted => return Ok(Resolved::Absolute),
        Err(e) => return Err(e.into()),
    }
    Ok(match root.presence(rel)? {
        Presence::Present(st) if st.type_ == DescriptorType::Directory => Resolved::Dir,
        Presence::Present(_) => Resolved::NonDir,
        Presence::Unseen => Resolved::Outside,
        Presence::Absent => Resolved::Dangling,
    })
}

/// TARGET's directory `dir` at `rel`; a symlink is `Dangling` or not (the shell's `-e`;
/// one the sandbox cannot follow counts as present); an entry `mounted` says is a mount
/// point is [`Kind::Mounted`], whatever it looks like.
pub fn target(dir: &Dir, rel: &str, mounted: &dyn Fn(&str) -> bool) -> Result<Vec<Entry>, Error> {
    dir.entries()?
        .into_iter()
        .map(|(name, ty)| {
            if mounted(&join(rel, &name)) {
                return Ok(Entry {
                    name,
                    kind: Kind::Mounted,
                });
            }
            let kind = kind(ty, || {
                Ok(match dir.presence(&name)? {
                    Presence::Absent => Resolved::Dangling,
                    _ => Resolved::NonDir,
                })
            })?;
            Ok(Entry { name, kind })
        })
        .collect()
}
