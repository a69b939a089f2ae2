//! A tar.gz on two cores: one component instance decompresses it (`hosted.gunzip`, the
//! archive on its stdin, a pipe on its stdout) while another unpacks the tar stream it
//! reads from that pipe (`hosted.unpack`, format `tar`). Both run in the sandbox; the
//! decompressing one is granted no directory at all. A gzip stream's own error (corrupt,
//! truncated, a bomb) is the one reported: the unpacking side then only saw its stream end
//! early.
//!
//! The pipe is widened to [`PIPE_BYTES`]: in the default 64 KiB the two took turns (each
//! about 60% busy, the decompressing side blocked on every 64 KiB write), and a tar.gz
//! install took 1.2x `tar -xzf`; widened, decompression runs flat out.

use std::fs::File;

use super::{ArchiveError, Bindings, UnpackOptions, Unpacked, WitFormat};
use crate::installer::Installer;
use crate::sandbox::Sandbox;
use crate::scratch::Scratch;
use crate::{Error, PathError, component};

/// The pipe's capacity: Linux's `pipe-max-size` default, what any user may ask for.
const PIPE_BYTES: usize = 1 << 20;

impl Installer {
    /// [`Installer::unpack_one`] of the gzip `file`, decompressed by a second instance at
    /// the same time.
    pub(super) fn unpack_piped(
        &self,
        scratch: &Scratch,
        file: &File,
        mut options: UnpackOptions,
    ) -> Result<Result<Unpacked, ArchiveError>, Error> {
        let failed = |cause: String| {
            Error::Io(PathError {
                path: self.source.clone(),
                cause,
            })
        };
        let (reader, writer) =
            std::io::pipe().map_err(|e| failed(format!("making a pipe: {e}")))?;
        let (reader, writer) = (
            File::from(std::os::fd::OwnedFd::from(reader)),
            File::from(std::os::fd::OwnedFd::from(writer)),
        );
        // Refused (a user over `pipe-user-pages-soft`), the default pipe works, slower.
        let _ = rustix::pipe::fcntl_setpipe_size(&writer, PIPE_BYTES);
        options.format = WitFormat::Tar;
        let max = options.max_bytes;
        std::thread::scope(|s| {
            let gunzip = s.spawn(move || self.gunzip_one(scratch, file, writer, max));
            let unpacked = self.unpack_one(scratch, &reader, options);
            // An unpacking refused early leaves the rest in the pipe: drained, so that the
            // writer never meets a closed pipe (EPIPE, or SIGPIPE in an embedding program).
            let drained = std::io::copy(&mut &reader, &mut std::io::sink());
            let gunzipped = gunzip
                .join()
                .unwrap_or_else(|_| Err(failed("the decompressing thread panicked".into())))?;
            drained.map_err(|e| failed(format!("reading the decompressed stream: {e}")))?;
            match gunzipped {
                Err(e) => Ok(Err(e)),
                Ok(_) => unpacked,
            }
        })
    }

    /// One `gunzip` call: `file` on its stdin, `out` (the pipe) on its stdout, no directory
    /// granted; `out` is closed when the call returns.
    fn gunzip_one(
        &self,
        scratch: &Scratch,
        file: &File,
        out: File,
        max: u64,
    ) -> Result<Result<u64, ArchiveError>, Error> {
        let tree = scratch.grant_root()?;
        let prepared = component::prepared()?;
        let mut sb = {
            // `tree` only names the run in messages.
            let mut grants = self.grants(&tree, &tree, false, &[]);
            grants.source = None;
            grants.target_granted = false;
            grants.stdin = Some(file);
            grants.stdout_file = Some(&out);
            Sandbox::new(prepared, &grants)?
        };
        // The sandbox holds its own descriptor of the pipe, closed with the store.
        drop(out);
        let result = Bindings::instantiate(&mut sb.store, &prepared.component, &prepared.linker)
            .and_then(|inst| {
                inst.wp_init_installer_hosted()
                    .call_gunzip(&mut sb.store, max)
            });
        scratch.record_memory(sb.memory_peak());
        result.map_err(|e| sb.failure(e))
    }
}
