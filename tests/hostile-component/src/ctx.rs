//! What an attack works with: the two preopens, the place beside them it aims at, and
//! the record of what the runtime answered to each operation.

use std::fmt::Display;

use wasip2::filesystem::preopens::get_directories;
use wasip2::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

use wp_init_core::journal::Line;
use wp_init_core::report::EntryKind;

use crate::bindings::exports::wp_init::installer::hosted::StagedEntry;
use crate::bindings::exports::wp_init::installer::installer::Error;

/// One attack's context.
pub struct Ctx {
    /// SOURCE's preopen (read-only under the wp-init host).
    pub source: Descriptor,
    /// TARGET's preopen.
    pub target: Descriptor,
    /// SOURCE's path as the component knows it.
    pub source_path: String,
    /// TARGET's path as the component knows it.
    pub target_path: String,
    /// A directory beside SOURCE and TARGET that the attacks aim at (`WP_INIT_OUTSIDE`).
    pub outside: String,
    ops: Vec<String>,
    /// Journal text not written to stdout yet.
    journal: Vec<u8>,
    /// Whether a write of the journal failed (later ones are not tried).
    journal_failed: bool,
    /// The staged entries the call will ask the host to rename.
    pub staged: Vec<StagedEntry>,
    /// The error the call returns instead of its report, if the attack chose one.
    pub fail: Option<Error>,
    /// In `unpack`: the entries and modes its answer claims (the host sets those modes).
    pub unpacked: Vec<(String, u32)>,
}

/// What an operation's failure is called in the outcome line.
pub trait Code {
    /// The WASI name of the error (`not-permitted`), or a word for it.
    fn code(&self) -> String;
}

impl Code for ErrorCode {
    fn code(&self) -> String {
        self.name().to_owned()
    }
}

impl Code for wasip2::sockets::network::ErrorCode {
    fn code(&self) -> String {
        self.name().to_owned()
    }
}

impl Code for wasip2::io::streams::StreamError {
    fn code(&self) -> String {
        match self {
            Self::Closed => "closed".to_owned(),
            Self::LastOperationFailed(_) => "failed".to_owned(),
        }
    }
}

impl Code for std::io::Error {
    fn code(&self) -> String {
        format!("{:?}", self.kind())
    }
}

impl Ctx {
    /// Finds the preopens named `source` and `target`.
    pub fn new(source: &str, target: &str) -> Result<Self, String> {
        let mut dirs = get_directories();
        let mut take = |name: &str| {
            let i = dirs
                .iter()
                .position(|(_, n)| n == name)
                .ok_or_else(|| format!("no preopen named {name}"))?;
            Ok::<_, String>(dirs.swap_remove(i).0)
        };
        // `unpack` is granted one directory, both SOURCE and TARGET to an attack.
        let (src, dst) = if source == target {
            let dst = take(target)?;
            let flags = DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY;
            let src = dst
                .open_at(PathFlags::empty(), ".", OpenFlags::DIRECTORY, flags)
                .map_err(|e| format!("reopening {target}: {}", e.code()))?;
            (src, dst)
        } else {
            (take(source)?, take(target)?)
        };
        Ok(Ctx {
            source: src,
            target: dst,
            source_path: source.to_owned(),
            target_path: target.to_owned(),
            outside: std::env::var("WP_INIT_OUTSIDE").unwrap_or_default(),
            ops: Vec::new(),
            journal: Vec::new(),
            journal_failed: false,
            staged: Vec::new(),
            fail: None,
            unpacked: Vec::new(),
        })
    }

    /// Whether this is the `unpack` call (its one directory is both SOURCE and TARGET).
    pub fn unpacking(&self) -> bool {
        self.source_path == self.target_path
    }

    /// Records `name=ok` or `name=<error>`, and gives the value back.
    pub fn op<T, E: Code>(&mut self, name: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(v) => {
                self.ops.push(format!("{name}=ok"));
                Some(v)
            }
            Err(e) => {
                self.ops.push(format!("{name}={}", e.code()));
                None
            }
        }
    }

    /// Records `name=<type>` for a successful stat (so a stat that followed a link out
    /// shows as the type of what is out there), or `name=<error>`.
    pub fn stat(&mut self, name: &str, result: Result<DescriptorStat, ErrorCode>) {
        match result {
            Ok(s) => {
                let kind = match s.type_ {
                    DescriptorType::Directory => "directory",
                    DescriptorType::SymbolicLink => "symbolic-link",
                    DescriptorType::RegularFile => "regular-file",
                    _ => "other",
                };
                self.note(name, kind);
            }
            Err(e) => self.note(name, e.code()),
        }
    }

    /// Records `name=value`.
    pub fn note(&mut self, name: &str, value: impl Display) {
        self.ops.push(format!("{name}={value}"));
    }

    /// The outcome line of attack `attack`.
    pub fn line(&self, attack: &str) -> String {
        format!("attack {attack}: {}", self.ops.join(" "))
    }

    /// `outside` (or a path below it) relative to TARGET, the way a symlink planted at
    /// TARGET's root would name it.
    pub fn out_of_target(&self, below: &str) -> String {
        relative(&self.target_path, &join(&self.outside, below))
    }

    /// SOURCE (or a path below it) relative to TARGET.
    pub fn source_from_target(&self, below: &str) -> String {
        relative(&self.target_path, &join(&self.source_path, below))
    }

    /// Claims in the journal that `path` was created (from SOURCE's `source_path`).
    pub fn claim(&mut self, path: &str, kind: EntryKind, source_path: &str) {
        let line = Line::Created {
            path: path.to_owned(),
            kind,
            source: source_path.to_owned(),
        };
        self.journal_line(&line);
    }

    /// Writes `line` to the journal (stdout in the host's calls).
    pub fn journal_line(&mut self, line: &Line) {
        self.journal_text(line.to_text().as_bytes());
    }

    /// Writes `text` as it is to the journal, buffered.
    pub fn journal_text(&mut self, text: &[u8]) {
        self.journal.extend_from_slice(text);
        if self.journal.len() >= 32 * 1024 {
            self.flush_journal();
        }
    }

    /// Writes the buffered journal text to stdout, 4 KiB per write (the most one
    /// `blocking-write-and-flush` takes; lines may be split between writes); a failure is
    /// recorded as `journal=<error>` (once) and ends the writing.
    pub fn flush_journal(&mut self) {
        let text = std::mem::take(&mut self.journal);
        if self.journal_failed || text.is_empty() {
            return;
        }
        let out = wasip2::cli::stdout::get_stdout();
        for chunk in text.chunks(4096) {
            if let Err(e) = out.blocking_write_and_flush(chunk) {
                self.journal_failed = true;
                self.op("journal", Err::<(), _>(e));
                return;
            }
        }
    }

    /// Asks the host's commit to rename `temporary` to `path`.
    pub fn stage(&mut self, temporary: &str, path: &str) {
        self.staged.push(StagedEntry {
            temporary: temporary.to_owned(),
            path: path.to_owned(),
        });
    }
}

/// `base/below` (`base` alone when `below` is empty).
pub fn join(base: &str, below: &str) -> String {
    match below {
        "" => base.to_owned(),
        b => format!("{}/{b}", base.trim_end_matches('/')),
    }
}

/// `to` relative to the directory `from` (both absolute, no `.` or `..`).
pub fn relative(from: &str, to: &str) -> String {
    let parts = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (f, t) = (parts(from), parts(to));
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out: Vec<String> = vec!["..".to_owned(); f.len() - common];
    out.extend(t[common..].iter().cloned());
    out.join("/")
}

/// Opens a file for reading.
pub fn open_read(dir: &Descriptor, path: &str, follow: bool) -> Result<Descriptor, ErrorCode> {
    dir.open_at(
        flags(follow),
        path,
        OpenFlags::empty(),
        DescriptorFlags::READ,
    )
}

/// Creates (or opens) a file for writing.
pub fn create(dir: &Descriptor, path: &str, follow: bool) -> Result<Descriptor, ErrorCode> {
    dir.open_at(
        flags(follow),
        path,
        OpenFlags::CREATE,
        DescriptorFlags::WRITE,
    )
}

/// Opens a directory (for reading and changing its entries when `mutate`).
pub fn open_dir(
    dir: &Descriptor,
    path: &str,
    follow: bool,
    mutate: bool,
) -> Result<Descriptor, ErrorCode> {
    let mut f = DescriptorFlags::READ;
    if mutate {
        f |= DescriptorFlags::MUTATE_DIRECTORY;
    }
    dir.open_at(flags(follow), path, OpenFlags::DIRECTORY, f)
}

/// `SYMLINK_FOLLOW` or nothing.
pub fn flags(follow: bool) -> PathFlags {
    if follow {
        PathFlags::SYMLINK_FOLLOW
    } else {
        PathFlags::empty()
    }
}

/// Writes `bytes` to a new file `path` below `dir` (the attack's own set-up).
pub fn plant(dir: &Descriptor, path: &str, bytes: &[u8]) -> Result<(), ErrorCode> {
    let f = dir.open_at(
        PathFlags::empty(),
        path,
        OpenFlags::CREATE | OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    )?;
    f.write(bytes, 0).map(|_| ())
}
