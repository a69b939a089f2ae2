//! Resource abuse: memory over the cap, loops past the deadline, floods of output, many
//! descriptors and handles, a very deep directory chain, a million tiny files.

use std::hint::black_box;

use wasip2::filesystem::preopens::get_directories;
use wasip2::filesystem::types::{Descriptor, PathFlags};
use wasip2::io::streams::{OutputStream, StreamError};

use wp_init_core::report::EntryKind;

use crate::ctx::{Ctx, create, open_dir, open_read};

/// Grows memory until the runtime refuses (the host's cap traps the instance).
pub fn memory(c: &mut Ctx) {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        held.push(vec![1u8; 16 << 20]);
        black_box(&held);
        if held.len() > 4096 {
            break;
        }
    }
    c.note("held-mib", held.len() * 16);
}

/// Spins without calling the host.
pub fn busy_loop(c: &mut Ctx) {
    c.note("ended", spin());
}

/// Counts to `u64::MAX` (never, in practice); what it got to.
pub fn spin() -> u64 {
    let mut i: u64 = 0;
    while black_box(i) != u64::MAX {
        i = black_box(i.wrapping_add(1));
    }
    i
}

/// Calls the host in a loop.
pub fn host_call_loop(c: &mut Ctx) {
    let mut n: u64 = 0;
    while black_box(n) != u64::MAX {
        let _ = black_box(c.target.stat_at(PathFlags::empty(), "."));
        n += 1;
    }
    c.note("ended", n);
}

/// Writes `total` bytes to `stream` in 4 KiB chunks (the most one
/// `blocking-write-and-flush` takes); records how far it got.
fn flood(c: &mut Ctx, name: &str, stream: &OutputStream, total: u64) {
    match write_chunks(stream, total) {
        Ok(written) => c.note(&format!("{name}-mib"), written >> 20),
        Err(e) => {
            c.op(name, Err::<(), _>(e));
        }
    }
}

/// Writes `total` bytes to `stream` in 4 KiB chunks; how many, or the error that stopped it.
pub fn write_chunks(stream: &OutputStream, total: u64) -> Result<u64, StreamError> {
    let chunk = vec![b'x'; 4096];
    let mut written: u64 = 0;
    while written < total {
        stream.blocking_write_and_flush(&chunk)?;
        written += chunk.len() as u64;
    }
    Ok(written)
}

/// 64 MiB on stderr (the host captures 4 MiB at most, or passes it through).
pub fn stderr_flood(c: &mut Ctx) {
    let err = wasip2::cli::stderr::get_stderr();
    flood(c, "stderr", &err, 64 << 20);
}

/// 1 GiB on stdout, without a newline (the journal in the host's calls, captured under
/// `run`).
pub fn stdout_flood(c: &mut Ctx) {
    let out = wasip2::cli::stdout::get_stdout();
    flood(c, "stdout", &out, 1 << 30);
}

/// Stdout without end: in `gunzip` (which makes it without a context: it is granted no
/// directory), the pipe a concurrent `unpack` reads; elsewhere the journal or a sink.
pub fn endless_stdout(c: &mut Ctx) {
    let out = wasip2::cli::stdout::get_stdout();
    flood(c, "stdout", &out, u64::MAX);
}

/// Empty writes on stdout and stderr, many of them (GHSA-5m8g-xhq4-4h93 was host
/// memory growth from empty writes to a stream).
pub fn empty_writes(c: &mut Ctx) {
    let (out, err) = (
        wasip2::cli::stdout::get_stdout(),
        wasip2::cli::stderr::get_stderr(),
    );
    for i in 0..2_000_000u32 {
        if let Err(e) = out.write(&[]).and_then(|()| err.write(&[])) {
            c.op("empty-write", Err::<(), _>(e));
            c.note("after", i);
            return;
        }
    }
    c.note("empty-writes", 2_000_000);
}

/// Opens files until the runtime refuses, keeping every descriptor (each holds a host
/// descriptor): the first refusal.
pub fn many_descriptors(c: &mut Ctx) {
    let mut held = Vec::new();
    for _ in 0..1_000_000 {
        match open_read(&c.source, "index.php", false) {
            Ok(d) => held.push(d),
            Err(e) => {
                c.op("open", Err::<(), _>(e));
                c.note("opened-over-1000", held.len() > 1000);
                return;
            }
        }
    }
    c.note("opened", held.len());
}

/// Asks for the preopens again and again, keeping every handle (no host descriptor: a
/// table entry each), until the runtime refuses.
pub fn many_handles(c: &mut Ctx) {
    let mut held: Vec<Descriptor> = Vec::new();
    for _ in 0..2_000_000 {
        held.extend(get_directories().into_iter().map(|(d, _)| d));
    }
    c.note("handles", held.len());
}

/// Depth of [`deep_chain`].
const DEPTH: usize = 1000;

/// A chain of `DEPTH` nested directories, each made relative to the one before, all
/// journaled as created (the host walks every one of them).
pub fn deep_chain(c: &mut Ctx) {
    let mut dir = None::<Descriptor>;
    let mut path = String::new();
    for depth in 0..DEPTH {
        let parent = dir.as_ref().unwrap_or(&c.target);
        if let Err(e) = parent.create_directory_at("d") {
            c.op("mkdir", Err::<(), _>(e));
            c.note("depth", depth);
            return;
        }
        match open_dir(parent, "d", false, true) {
            Ok(d) => dir = Some(d),
            Err(e) => {
                c.op("open", Err::<(), _>(e));
                c.note("depth", depth);
                return;
            }
        }
        if !path.is_empty() {
            path.push('/');
        }
        path.push('d');
        c.claim(&path, EntryKind::Directory, "");
    }
    if let Some(d) = &dir {
        c.op("create-at-bottom", create(d, "bottom.txt", false));
    }
    c.note("depth", DEPTH);
}

/// Files of [`million_files`]: `DIRS` directories of `PER_DIR` files.
const DIRS: usize = 1000;
const PER_DIR: usize = 1000;

/// A million empty files in TARGET, all journaled as created (with SOURCE's `index.php`
/// as their counterpart, so the host sets a mode on each).
pub fn million_files(c: &mut Ctx) {
    for d in 0..DIRS {
        let name = format!("m{d}");
        if let Err(e) = c.target.create_directory_at(&name) {
            c.op("mkdir", Err::<(), _>(e));
            return;
        }
        let dir = match open_dir(&c.target, &name, false, true) {
            Ok(d) => d,
            Err(e) => {
                c.op("open", Err::<(), _>(e));
                return;
            }
        };
        c.claim(&name, EntryKind::Directory, "");
        for f in 0..PER_DIR {
            let file = format!("{f}");
            if let Err(e) = create(&dir, &file, false) {
                c.op("create", Err::<(), _>(e));
                return;
            }
            c.claim(&format!("{name}/{file}"), EntryKind::File, "index.php");
        }
    }
    c.note("files", DIRS * PER_DIR);
}
