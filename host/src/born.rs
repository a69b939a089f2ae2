//! What tells an entry a run created from one that was there before it: its birth time,
//! and whether it is a mount point.
//!
//! The component runs as the host's user, so it can write into every entry of TARGET,
//! the host's journal file included, and name any of them in a journal line. What it
//! cannot do is make an entry older than it is, or make a mount point. So the host only
//! ever changes the owner, mode or time of an entry born no earlier than the journal
//! that names it (made by the host before the component runs: see `journal`), and
//! never those of a mount point (which leads out of TARGET's file system or tree).
//!
//! A file system that keeps no birth time (`statx` without `STATX_BTIME`) gives no floor:
//! the host then cannot tell, and only the mount-point, type and hard-link checks hold.

use std::os::fd::AsFd;

use rustix::fs::{AtFlags, FileType, StatxAttributes, StatxFlags};

/// A birth time, as the file system keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Born {
    secs: i64,
    nanos: u32,
}

impl std::fmt::Display for Born {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// What the host checks of an open entry before changing it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub kind: FileType,
    pub nlink: u64,
    /// When it was born, if the file system says.
    pub born: Option<Born>,
    /// Whether it is the root of a mount (false when the kernel cannot say: before 5.8).
    pub mount_root: bool,
}

/// The facts of the open entry `fd` (`statx` on the descriptor itself; `fstat`, which
/// knows neither birth nor mount, where there is no `statx`: Linux before 4.11, or a
/// seccomp profile that refuses it).
pub(crate) fn facts(fd: impl AsFd) -> rustix::io::Result<Facts> {
    let want = StatxFlags::TYPE | StatxFlags::MODE | StatxFlags::NLINK | StatxFlags::BTIME;
    let st = match rustix::fs::statx(&fd, "", AtFlags::EMPTY_PATH, want) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOSYS) => {
            let st = rustix::fs::fstat(&fd)?;
            #[allow(
                clippy::useless_conversion,
                reason = "`st_nlink` is u32 on some targets"
            )]
            return Ok(Facts {
                kind: FileType::from_raw_mode(st.st_mode),
                nlink: st.st_nlink.into(),
                born: None,
                mount_root: false,
            });
        }
        Err(e) => return Err(e),
    };
    let born = (st.stx_mask & StatxFlags::BTIME.bits() != 0).then_some(Born {
        secs: st.stx_btime.tv_sec,
        nanos: st.stx_btime.tv_nsec,
    });
    Ok(Facts {
        kind: FileType::from_raw_mode(st.stx_mode.into()),
        nlink: st.stx_nlink.into(),
        born,
        mount_root: st.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT)
            && st.stx_attributes.contains(StatxAttributes::MOUNT_ROOT),
    })
}

/// The floor of a run: the earliest birth among the journals it goes by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Floor {
    /// No journal yet.
    #[default]
    Open,
    /// The earliest birth.
    At(Born),
    /// One of the journals has no birth time (its file system keeps none): no floor.
    Unknown,
}

impl Floor {
    /// The floor once a journal born at `born` counts too.
    pub(crate) fn with(self, born: Option<Born>) -> Floor {
        match (self, born) {
            (Floor::Unknown, _) | (_, None) => Floor::Unknown,
            (Floor::Open, Some(b)) => Floor::At(b),
            (Floor::At(a), Some(b)) => Floor::At(a.min(b)),
        }
    }

    /// The birth below which nothing is changed, if there is one.
    pub(crate) fn born(self) -> Option<Born> {
        match self {
            Floor::At(b) => Some(b),
            Floor::Open | Floor::Unknown => None,
        }
    }
}

/// Why an entry born at `born` may not be changed under `floor`, if it may not.
pub(crate) fn too_old(born: Option<Born>, floor: Option<Born>) -> Option<String> {
    match (born, floor) {
        (Some(born), Some(floor)) if born < floor => Some(format!(
            "existed before this run (born at {born}, before its journal at {floor}): not created by it; refusing to change it"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_born_before_the_floor_is_too_old() {
        let t = |secs, nanos| Some(Born { secs, nanos });
        assert!(too_old(t(10, 5), t(10, 6)).is_some());
        assert!(too_old(t(9, 999_999_999), t(10, 0)).is_some());
        assert_eq!(too_old(t(10, 6), t(10, 6)), None);
        assert_eq!(too_old(t(11, 0), t(10, 6)), None);
        assert_eq!(too_old(None, t(10, 6)), None);
        assert_eq!(too_old(t(1, 0), None), None);
        let floor = Floor::Open.with(t(3, 0)).with(t(2, 0));
        assert_eq!(floor.born(), t(2, 0));
        assert_eq!(floor.with(None).born(), None);
        assert_eq!(Floor::Open.born(), None);
    }

    #[test]
    fn a_file_made_now_is_born_after_one_made_before_and_is_no_mount_point() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::fs::File::create(dir.path().join("old")).unwrap();
        let new = std::fs::File::create(dir.path().join("new")).unwrap();
        let (old, new) = (facts(&old).unwrap(), facts(&new).unwrap());
        assert_eq!(new.kind, FileType::RegularFile);
        assert_eq!(new.nlink, 1);
        assert!(!new.mount_root);
        if let (Some(o), Some(n)) = (old.born, new.born) {
            assert!(o <= n, "{o} > {n}");
        }
        let root = std::fs::File::open("/").unwrap();
        assert!(facts(&root).unwrap().mount_root);
    }
}
