//! A thin layer over raw `wasi:filesystem` descriptors.
//!
//! Every operation is relative to a directory descriptor and never follows a symlink in
//! its last component unless the method says so. Errors carry the path as the user sees
//! it (the preopen's name joined with the entry), built with `core::layout::join`.

use wasip2::filesystem::types::{
    Datetime, Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, NewTimestamp,
    OpenFlags, PathFlags,
};
use wp_init_core::layout::join;

/// Size of each read/write in the copy loop (wasmtime caps a read at 64 KiB anyway).
pub const CHUNK: u64 = 64 * 1024;

/// A failed filesystem operation: the user-visible path and the WASI error code.
#[derive(Debug, Clone)]
pub struct FsError {
    /// The path as the user sees it.
    pub path: String,
    /// What the runtime said.
    pub code: ErrorCode,
}

impl FsError {
    /// The same error, naming another path.
    pub fn at(self, path: &str) -> Self {
        Self {
            path: path.to_owned(),
            code: self.code,
        }
    }

    /// The error code in words, e.g. `operation not permitted (not-permitted)`.
    pub fn cause(&self) -> String {
        describe(self.code)
    }
}

/// An error code in words, followed by its WASI name.
pub fn describe(code: ErrorCode) -> String {
    let words = match code {
        ErrorCode::NotDirectory => "not a directory".to_owned(),
        ErrorCode::InsufficientMemory => "not enough memory".to_owned(),
        ErrorCode::Unsupported => "operation not supported".to_owned(),
        other => {
            let msg = other.message();
            let short = msg.split(", similar to").next().unwrap_or(msg);
            let short = short.trim_end_matches('.');
            let mut chars = short.chars();
            match chars.next() {
                // Keep acronyms such as "I/O" as they are.
                Some(first) if !short.starts_with("I/O") => {
                    first.to_lowercase().chain(chars).collect()
                }
                _ => short.to_owned(),
            }
        }
    };
    format!("{words} ({})", code.name())
}

/// What a failed look at a path means: absent, unseen, or (`None`) a real error.
///
/// The sandbox refuses to follow a symlink out of its preopen with `not-permitted`; the
/// OS's "permission denied" is `access`, a real error that must be reported, never taken
/// for "something is there".
fn not_there(code: ErrorCode) -> Option<Presence> {
    match code {
        ErrorCode::NoEntry | ErrorCode::NotDirectory | ErrorCode::Loop => Some(Presence::Absent),
        ErrorCode::NotPermitted => Some(Presence::Unseen),
        _ => None,
    }
}

/// What a look at a path, following symlinks (the shell's `-e`), found.
pub enum Presence {
    /// Nothing there, or a dangling symlink.
    Absent,
    /// There, with its metadata.
    Present(DescriptorStat),
    /// Behind a symlink the sandbox refuses to follow (it leads out of the preopen):
    /// something may be there, and wp-init must neither replace nor follow it.
    Unseen,
}

/// What a directory handle may do to its contents.
#[derive(Clone, Copy)]
pub enum Access {
    /// List, stat and open entries.
    Read,
    /// Also create, rename and remove entries.
    Change,
}

/// A directory descriptor and the path the user knows it by.
pub struct Dir {
    desc: Descriptor,
    path: String,
}

impl Dir {
    /// Wraps a descriptor (a preopen) known to the user as `path`.
    pub fn new(desc: Descriptor, path: &str) -> Self {
        Self {
            desc,
            path: path.to_owned(),
        }
    }

    /// The user-visible path of an entry below this directory.
    pub fn path_of(&self, name: &str) -> String {
        join(&self.path, name)
    }

    /// The error of an operation on `name`; the path is only built if there is one.
    fn err<'a>(&'a self, name: &'a str) -> impl Fn(ErrorCode) -> FsError + 'a {
        move |code| FsError {
            path: self.path_of(name),
            code,
        }
    }

    /// The descriptor's own type.
    pub fn get_type(&self) -> Result<DescriptorType, FsError> {
        self.desc.get_type().map_err(self.err(""))
    }

    /// Metadata of `name`, not following a final symlink.
    pub fn lstat(&self, name: &str) -> Result<DescriptorStat, FsError> {
        self.desc
            .stat_at(PathFlags::empty(), name)
            .map_err(self.err(name))
    }

    /// Metadata of `name`, following symlinks.
    pub fn stat(&self, name: &str) -> Result<DescriptorStat, FsError> {
        self.desc
            .stat_at(PathFlags::SYMLINK_FOLLOW, name)
            .map_err(self.err(name))
    }

    /// What is at `name`, following symlinks.
    pub fn presence(&self, name: &str) -> Result<Presence, FsError> {
        match self.desc.stat_at(PathFlags::SYMLINK_FOLLOW, name) {
            Ok(st) => Ok(Presence::Present(st)),
            Err(code) => not_there(code).ok_or_else(|| self.err(name)(code)),
        }
    }

    /// The entries of this directory, sorted by name, with their types (not following
    /// symlinks; an unknown type is resolved with `lstat`).
    pub fn entries(&self) -> Result<Vec<(String, DescriptorType)>, FsError> {
        let stream = self.desc.read_directory().map_err(self.err(""))?;
        let mut out = Vec::new();
        while let Some(entry) = stream.read_directory_entry().map_err(self.err(""))? {
            let ty = match entry.type_ {
                DescriptorType::Unknown => self.lstat(&entry.name)?.type_,
                ty => ty,
            };
            out.push((entry.name, ty));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Opens the subdirectory `name` (never through a symlink) with `access`; errors
    /// and the handle name it by [`Dir::path_of`] unless [`Dir::known_as`] renames it.
    pub fn open_dir(&self, name: &str, access: Access) -> Result<Dir, FsError> {
        let flags = match access {
            Access::Read => DescriptorFlags::READ,
            Access::Change => DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
        };
        let desc = self
            .desc
            .open_at(PathFlags::empty(), name, OpenFlags::DIRECTORY, flags)
            .map_err(self.err(name))?;
        Ok(Dir {
            desc,
            path: self.path_of(name),
        })
    }

    /// This directory again, as a handle of its own with `access`.
    pub fn reopen(&self, access: Access) -> Result<Dir, FsError> {
        Ok(self.open_dir(".", access)?.known_as(self.path.clone()))
    }

    /// The same handle, known to the user as `path` (a temporary standing for its final
    /// name, or a path opened through several components).
    pub fn known_as(self, path: String) -> Dir {
        Dir { path, ..self }
    }

    /// Opens the file `name` for reading, never through a final symlink.
    pub fn open_read(&self, name: &str) -> Result<File, FsError> {
        self.open_file(PathFlags::empty(), name)
    }

    /// Opens the file `name` for reading, following symlinks (the shell's `cat`).
    pub fn open_read_following(&self, name: &str) -> Result<File, FsError> {
        self.open_file(PathFlags::SYMLINK_FOLLOW, name)
    }

    fn open_file(&self, pf: PathFlags, name: &str) -> Result<File, FsError> {
        let desc = self
            .desc
            .open_at(pf, name, OpenFlags::empty(), DescriptorFlags::READ)
            .map_err(self.err(name))?;
        Ok(File {
            desc,
            path: self.path_of(name),
        })
    }

    /// Creates the file `name`, which must not exist, for writing. Errors, then and
    /// later, name `shown` (the final path the temporary `name` stands for).
    pub fn create_new(&self, name: &str, shown: &str) -> Result<File, FsError> {
        self.create(name, shown, DescriptorFlags::WRITE)
    }

    /// [`Dir::create_new`], for reading back too.
    pub fn create_new_readable(&self, name: &str) -> Result<File, FsError> {
        self.create(name, name, DescriptorFlags::READ | DescriptorFlags::WRITE)
    }

    fn create(&self, name: &str, shown: &str, access: DescriptorFlags) -> Result<File, FsError> {
        let desc = self
            .desc
            .open_at(
                PathFlags::empty(),
                name,
                OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                access,
            )
            .map_err(|code| FsError {
                path: shown.to_owned(),
                code,
            })?;
        Ok(File {
            desc,
            path: shown.to_owned(),
        })
    }

    /// Creates the directory `name`.
    pub fn mkdir(&self, name: &str) -> Result<(), FsError> {
        self.desc.create_directory_at(name).map_err(self.err(name))
    }

    /// Creates a symlink `name` whose contents are `text`.
    pub fn symlink(&self, text: &str, name: &str) -> Result<(), FsError> {
        self.desc.symlink_at(text, name).map_err(self.err(name))
    }

    /// Makes `to` in `into` a hard link to this directory's file `from` (neither followed
    /// if a symlink); errors name `shown`.
    pub fn link(&self, from: &str, into: &Dir, to: &str, shown: &str) -> Result<(), FsError> {
        self.desc
            .link_at(PathFlags::empty(), from, &into.desc, to)
            .map_err(|code| FsError {
                path: shown.to_owned(),
                code,
            })
    }

    /// The contents of the symlink `name`.
    pub fn readlink(&self, name: &str) -> Result<String, FsError> {
        self.desc.readlink_at(name).map_err(self.err(name))
    }

    /// Renames `from` to `to` within this directory, replacing a file or symlink at `to`.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        self.desc
            .rename_at(from, &self.desc, to)
            .map_err(self.err(to))
    }

    /// Removes the non-directory `name`.
    pub fn unlink(&self, name: &str) -> Result<(), FsError> {
        self.desc.unlink_file_at(name).map_err(self.err(name))
    }

    /// Removes the empty directory `name`.
    pub fn rmdir(&self, name: &str) -> Result<(), FsError> {
        self.desc.remove_directory_at(name).map_err(self.err(name))
    }

    /// Removes `name` and, if it is a directory (not a symlink to one), all it holds.
    pub fn remove_tree(&self, name: &str) -> Result<(), FsError> {
        if self.lstat(name)?.type_ != DescriptorType::Directory {
            return self.unlink(name);
        }
        {
            let sub = self.open_dir(name, Access::Change)?;
            for (child, _) in sub.entries()? {
                sub.remove_tree(&child)?;
            }
        }
        self.rmdir(name)
    }

    /// Flushes this directory (its entries: creations, renames, removals) to disk.
    pub fn sync(&self) -> Result<(), FsError> {
        self.desc.sync().map_err(self.err(""))
    }

    /// Sets the modification (and access) time of this directory itself.
    pub fn set_mtime(&self, mtime: Option<Datetime>) -> Result<(), FsError> {
        let Some(t) = mtime else { return Ok(()) };
        self.desc
            .set_times(NewTimestamp::Timestamp(t), NewTimestamp::Timestamp(t))
            .map_err(self.err(""))
    }
}

/// An open regular file and the path the user knows it by.
pub struct File {
    desc: Descriptor,
    path: String,
}

impl File {
    fn err(&self) -> impl Fn(ErrorCode) -> FsError + '_ {
        move |code| FsError {
            path: self.path.clone(),
            code,
        }
    }

    /// Flushes the file's contents to disk.
    pub fn sync(&self) -> Result<(), FsError> {
        self.desc.sync().map_err(self.err())
    }

    /// The file's metadata.
    pub fn stat(&self) -> Result<DescriptorStat, FsError> {
        self.desc.stat().map_err(self.err())
    }

    /// Reads up to `len` bytes at `offset`, and whether the end of the file was reached
    /// (an empty result also means the end).
    pub fn read(&self, len: u64, offset: u64) -> Result<(Vec<u8>, bool), FsError> {
        let (buf, eof) = self.desc.read(len, offset).map_err(self.err())?;
        let eof = eof || buf.is_empty();
        Ok((buf, eof))
    }

    /// Writes all of `buf` at `offset`.
    pub fn write_all(&self, buf: &[u8], offset: u64) -> Result<(), FsError> {
        let mut done = 0usize;
        while done < buf.len() {
            let n = self
                .desc
                .write(&buf[done..], offset + done as u64)
                .map_err(self.err())?;
            if n == 0 {
                return Err(self.err()(ErrorCode::Io));
            }
            done += usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(buf.len() - done);
        }
        Ok(())
    }

    /// Copies this whole file into `to`, 64 KiB at a time; returns the bytes copied.
    /// A chunk of zeros is not written, so a hole stays a hole (a sparse file stays
    /// sparse); the length is set at the end.
    ///
    /// `size` is the length `stat` gave. Each read asks for at most one byte more than
    /// is left of it (the runtime allocates and zeroes what is asked for): a short read
    /// at or past `size` ends the copy without one more call just to see the end of the
    /// file, and a file that grew meanwhile is still copied to its end.
    pub fn copy_to(&self, to: &File, size: u64) -> Result<u64, FsError> {
        let (mut offset, mut written) = (0u64, 0u64);
        loop {
            let want = size.saturating_sub(offset).saturating_add(1).min(CHUNK);
            let (buf, eof) = self.read(want, offset)?;
            if buf.iter().any(|b| *b != 0) {
                to.write_all(&buf, offset)?;
                written = offset + buf.len() as u64;
            }
            offset += buf.len() as u64;
            if eof || ((buf.len() as u64) < want && offset >= size) {
                if written < offset {
                    to.desc.set_size(offset).map_err(to.err())?;
                }
                return Ok(offset);
            }
        }
    }

    /// Reads the whole file, failing with `file-too-large` beyond `cap` bytes.
    pub fn read_to_end(&self, cap: u64) -> Result<Vec<u8>, FsError> {
        let mut out = Vec::new();
        loop {
            let (buf, eof) = self.read(CHUNK, out.len() as u64)?;
            if (out.len() + buf.len()) as u64 > cap {
                return Err(self.err()(ErrorCode::FileTooLarge));
            }
            out.extend_from_slice(&buf);
            if eof {
                return Ok(out);
            }
        }
    }

    /// Sets the modification (and access) time.
    pub fn set_mtime(&self, mtime: Option<Datetime>) -> Result<(), FsError> {
        let Some(t) = mtime else { return Ok(()) };
        self.desc
            .set_times(NewTimestamp::Timestamp(t), NewTimestamp::Timestamp(t))
            .map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_in_words() {
        assert_eq!(
            describe(ErrorCode::NotPermitted),
            "operation not permitted (not-permitted)"
        );
        assert_eq!(describe(ErrorCode::Access), "permission denied (access)");
        assert_eq!(describe(ErrorCode::Io), "I/O error (io)");
        assert_eq!(
            describe(ErrorCode::NotDirectory),
            "not a directory (not-directory)"
        );
        assert_eq!(
            describe(ErrorCode::InsufficientSpace),
            "no space left on device (insufficient-space)"
        );
    }

    #[test]
    fn probes_of_missing_and_escaping_entries() {
        assert!(matches!(
            not_there(ErrorCode::NoEntry),
            Some(Presence::Absent)
        ));
        assert!(matches!(not_there(ErrorCode::Loop), Some(Presence::Absent)));
        assert!(matches!(
            not_there(ErrorCode::NotPermitted),
            Some(Presence::Unseen)
        ));
        assert!(not_there(ErrorCode::Access).is_none());
        assert!(not_there(ErrorCode::Io).is_none());
    }
}
