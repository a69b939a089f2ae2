//! The two granted directories (the preopens SOURCE and TARGET name), and how a file
//! system error becomes the interface's error.

use crate::bindings::exports::wp_init::installer::installer::{Error, PathError};
use crate::fs::{Dir, FsError};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::layout::SENTINELS;

impl From<FsError> for Error {
    fn from(e: FsError) -> Self {
        Error::Io(PathError {
            cause: e.cause(),
            path: e.path,
        })
    }
}

/// Builds a [`PathError`].
pub fn path_error(path: impl Into<String>, cause: impl Into<String>) -> PathError {
    PathError {
        path: path.into(),
        cause: cause.into(),
    }
}

/// Finds the preopen named `name` (a trailing `/` does not matter).
fn preopen(name: &str) -> Option<wasip2::filesystem::types::Descriptor> {
    fn norm(s: &str) -> &str {
        match s.trim_end_matches('/') {
            "" if s.starts_with('/') => "/",
            t => t,
        }
    }
    if name.is_empty() {
        return None;
    }
    let want = norm(name);
    wasip2::filesystem::preopens::get_directories()
        .into_iter()
        .find(|(_, path)| norm(path) == want)
        .map(|(desc, _)| desc)
}

const NOT_GRANTED: &str = "not granted to the component (no preopen)";

/// Opens a granted directory; `wrap` turns a problem into the right error variant.
pub fn open_granted(name: &str, wrap: fn(PathError) -> Error) -> Result<Dir, Error> {
    let desc = preopen(name).ok_or_else(|| wrap(path_error(name, NOT_GRANTED)))?;
    let dir = Dir::new(desc, name);
    match dir.get_type() {
        Ok(DescriptorType::Directory) => Ok(dir),
        Ok(_) => Err(wrap(path_error(name, "not a directory"))),
        Err(e) => Err(wrap(path_error(name, e.cause()))),
    }
}

/// Opens and checks SOURCE: a granted directory holding `wp-includes/version.php`.
pub fn open_source(name: &str) -> Result<Dir, Error> {
    let dir = open_granted(name, Error::InvalidSource)?;
    let missing = || {
        Error::InvalidSource(path_error(
            name,
            format!("not a WordPress tree: {} missing", SENTINELS[0]),
        ))
    };
    match dir.stat(SENTINELS[0]) {
        Ok(st) if st.type_ == DescriptorType::RegularFile => Ok(dir),
        Ok(_) => Err(missing()),
        Err(e) if matches!(e.code, ErrorCode::NoEntry | ErrorCode::NotDirectory) => Err(missing()),
        Err(e) => Err(Error::InvalidSource(path_error(e.path.clone(), e.cause()))),
    }
}
