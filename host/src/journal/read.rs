//! Reading a journal file back: whole (an interrupted run's, for the next run), or a line
//! at a time (this run's, for the pass: its memory stays that of one line).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use crate::{Error, PathError};
use wp_init_core::journal::MAX_JOURNAL_BYTES;

/// Reads a journal file's text, at most [`MAX_JOURNAL_BYTES`].
pub(crate) fn read_text(file: &File, shown: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    let fail = |cause: String| {
        Error::Io(PathError {
            path: shown.to_owned(),
            cause,
        })
    };
    file.take(MAX_JOURNAL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("reading the journal: {e}")))?;
    if bytes.len() as u64 > MAX_JOURNAL_BYTES {
        return Err(fail(format!(
            "larger than {MAX_JOURNAL_BYTES} bytes: not a journal of wp-init's"
        )));
    }
    String::from_utf8(bytes).map_err(|_| fail("not UTF-8: not a journal of wp-init's".into()))
}

/// Reads a journal file line by line from where it is, calling `each` with every line
/// (without its newline), holding one line at a time: at most [`MAX_JOURNAL_BYTES`] in
/// all, and `max_line` bytes a line when given. A last line without its newline was cut
/// short by a crash (or never finished): it is left out, as `core::journal::lines` does.
pub(crate) fn read_lines(
    file: &File,
    shown: &str,
    max_line: Option<usize>,
    mut each: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let fail = |cause: String| {
        Error::Io(PathError {
            path: shown.to_owned(),
            cause,
        })
    };
    let mut reader = BufReader::new(file.take(MAX_JOURNAL_BYTES + 1));
    let mut line = Vec::new();
    let mut read = 0u64;
    loop {
        line.clear();
        let limit = max_line.map_or(u64::MAX, |m| m as u64 + 1);
        let n = BufRead::read_until(&mut (&mut reader).take(limit), b'\n', &mut line)
            .map_err(|e| fail(format!("reading the journal: {e}")))?;
        read += n as u64;
        if read > MAX_JOURNAL_BYTES {
            return Err(fail(format!(
                "larger than {MAX_JOURNAL_BYTES} bytes: not a journal of wp-init's"
            )));
        }
        match (line.strip_suffix(b"\n"), max_line) {
            (Some(whole), _) => each(whole)?,
            (None, Some(max)) if line.len() > max => {
                return Err(fail(format!(
                    "refused what the component wrote to its journal: a line longer than {max} bytes"
                )));
            }
            (None, _) => return Ok(()),
        }
    }
}
