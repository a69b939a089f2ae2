//! `unpack`: an archive (or one image layer) on stdin, made into a tree in the one
//! directory granted, every entry checked before anything is made for it. The host sets
//! the modes it returns and installs from that tree as from a directory SOURCE.

mod tar;
mod tree;
mod zip;

use std::io::{Read, Write};

use flate2::read::MultiGzDecoder;

use crate::bindings::exports::wp_init::installer::hosted::{
    ArchiveError, ArchiveFormat, UnpackOptions, Unpacked, UnpackedEntry,
};
use crate::fs::Dir;
use tree::{Refusal, Tree, refuse};

/// Unpacks stdin into `options.tree`.
pub fn unpack(options: &UnpackOptions) -> Result<Unpacked, ArchiveError> {
    run(options).map_err(|(entry, cause)| ArchiveError { entry, cause })
}

fn run(o: &UnpackOptions) -> Result<Unpacked, Refusal> {
    let dir = open_tree(&o.tree)?;
    let mut tree = Tree::new(dir, o.layer, o.max_bytes);
    let mut stdin = std::io::stdin().lock();
    let found = match o.format {
        ArchiveFormat::Zip => {
            let spool = zip::Spool::new(&tree.dir, &mut stdin, o.max_bytes)?;
            zip::unpack(&spool, &mut tree, &o.subtree)?
        }
        ArchiveFormat::Tar => tar_stream(&mut stdin, &mut tree, o)?,
        ArchiveFormat::TarGzip => tar_stream(MultiGzDecoder::new(stdin), &mut tree, o)?,
    };
    tree.finish()?;
    Ok(Unpacked {
        files: tree.counts[0],
        directories: tree.counts[1],
        symlinks: tree.counts[2],
        bytes: tree.bytes,
        entries: std::mem::take(&mut tree.entries)
            .into_iter()
            .map(|(path, mode)| UnpackedEntry { path, mode })
            .collect(),
        found,
        warnings: std::mem::take(&mut tree.warnings),
    })
}

/// `hosted.gunzip`: stdin's gzip members, decompressed, to stdout (at most `max` bytes).
pub fn gunzip(max: u64) -> Result<u64, ArchiveError> {
    let mut input = tar::Bounded::new(MultiGzDecoder::new(std::io::stdin().lock()), max);
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let copied = std::io::copy(&mut input, &mut out).and_then(|n| out.flush().map(|()| n));
    copied.map_err(|e| {
        let (entry, cause) = match input.count() {
            // As `unpack` says of garbage: nothing came out of it.
            0 => refuse("", &format!("not a valid archive: {e}")),
            _ => tree::stream("", &e),
        };
        ArchiveError { entry, cause }
    })
}

/// A tar stream into `tree`: whether the subtree was seen.
fn tar_stream(input: impl Read, tree: &mut Tree, o: &UnpackOptions) -> Result<bool, Refusal> {
    tar::unpack(
        &mut tar::Bounded::new(input, o.max_bytes),
        tree,
        (&o.subtree, o.layer),
    )
}

/// The granted tree directory.
fn open_tree(name: &str) -> Result<Dir, Refusal> {
    use crate::bindings::exports::wp_init::installer::installer::Error;
    crate::grant::open_granted(name, Error::InvalidTarget).map_err(|e| match e {
        Error::InvalidTarget(pe) => refuse("", &format!("{}: {}", pe.path, pe.cause)),
        _ => refuse("", &format!("{name}: not granted")),
    })
}
