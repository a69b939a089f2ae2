//! Who owns what the install creates: `--user USER[:GROUP]` and the root default.
//!
//! Names are resolved through the system user and group databases (`getpwnam_r`,
//! `getgrnam_r`, so NSS sources work too); numbers are taken as they are, like `chown`,
//! and need no database (only a user number alone is looked up, for its primary group).
//! Resolution happens before anything is written, so an unknown name fails early.

use std::fmt;

/// The user that runs the web server in the official image; the default owner as root.
const DEFAULT_USER: &str = "www-data";

/// A numeric owner and group, as `chown` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    /// The user ID.
    pub uid: u32,
    /// The group ID.
    pub gid: u32,
}

impl Owner {
    /// The owner for a run, as the CLI's `--user USER[:GROUP]` gives it: `None` for no
    /// specification and not root (files belong to the running user); `www-data:www-data`
    /// for none as root. Names are resolved through the system user and group databases
    /// now, before anything is written; numbers are taken as they are (`USER` alone, or
    /// `USER:`, means the user's primary group, as for `chown USER:`, so a number alone
    /// must be in the user database).
    ///
    /// # Errors
    /// A malformed specification, an unknown name, or a database that cannot be read.
    pub fn resolve(spec: Option<&str>) -> Result<Option<Owner>, OwnerError> {
        match spec {
            Some(spec) => parse_user(spec).map(Some),
            None => default_owner(),
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

/// Why an owner specification could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OwnerError {
    /// The specification is malformed (empty user, too many colons, out-of-range number).
    #[error("invalid --user '{spec}': {reason} (expected USER[:GROUP], names or numbers)")]
    Invalid {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No user of that name exists in the system user database.
    #[error("unknown user '{0}': not in the system user database")]
    UnknownUser(String),
    /// No group of that name exists in the system group database.
    #[error("unknown group '{0}': not in the system group database")]
    UnknownGroup(String),
    /// A numeric user ID without a group, and no user database entry to take the group from.
    #[error(
        "user ID {0} has no entry in the system user database, so it has no primary group: give one (--user {0}:GROUP)"
    )]
    NoPrimaryGroup(u32),
    /// The user or group database could not be read.
    #[error("cannot look up '{name}' in the system user/group database")]
    Lookup {
        /// The name or number looked up.
        name: String,
        /// The error from the C library.
        source: nix::Error,
    },
    /// Running as root and no `--user` given, but the default user does not resolve
    /// (why: the source).
    #[error(
        "running as root, files would belong to {DEFAULT_USER}:{DEFAULT_USER} (pass --user USER[:GROUP] for another owner)"
    )]
    NoDefault(#[source] Box<OwnerError>),
}

/// Parses `USER[:GROUP]`: each a name (resolved through the system databases) or a number.
///
/// `USER` alone, or `USER:` with an empty group, means the user's primary group (as for
/// `chown USER:`); a numeric user alone must therefore exist in the user database.
fn parse_user(spec: &str) -> Result<Owner, OwnerError> {
    let invalid = |reason| OwnerError::Invalid {
        spec: spec.to_owned(),
        reason,
    };
    let (user, group) = match spec.split_once(':') {
        Some((user, group)) => (user, Some(group).filter(|g| !g.is_empty())),
        None => (spec, None),
    };
    if user.is_empty() {
        return Err(invalid("the user is empty"));
    }
    if group.is_some_and(|g| g.contains(':')) {
        return Err(invalid("more than one ':'"));
    }
    let (uid, primary_gid) = match numeric(user).map_err(invalid)? {
        // A number with a group given needs no database (a minimal root may have none).
        Some(uid) if group.is_some() => (uid, None),
        Some(uid) => {
            let entry =
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).map_err(|source| {
                    OwnerError::Lookup {
                        name: user.to_owned(),
                        source,
                    }
                })?;
            (uid, entry.map(|u| u.gid.as_raw()))
        }
        None => {
            let entry = nix::unistd::User::from_name(user)
                .map_err(|source| OwnerError::Lookup {
                    name: user.to_owned(),
                    source,
                })?
                .ok_or_else(|| OwnerError::UnknownUser(user.to_owned()))?;
            (entry.uid.as_raw(), Some(entry.gid.as_raw()))
        }
    };
    let gid = match group {
        None => primary_gid.ok_or(OwnerError::NoPrimaryGroup(uid))?,
        Some(group) => match numeric(group).map_err(invalid)? {
            Some(gid) => gid,
            None => nix::unistd::Group::from_name(group)
                .map_err(|source| OwnerError::Lookup {
                    name: group.to_owned(),
                    source,
                })?
                .ok_or_else(|| OwnerError::UnknownGroup(group.to_owned()))?
                .gid
                .as_raw(),
        },
    };
    Ok(Owner { uid, gid })
}

/// The owner to use when no `--user` is given: `www-data:www-data` (resolved by name)
/// when the effective user is root, else `None` (files belong to the running user).
///
/// Errors when running as root and `www-data` does not resolve.
fn default_owner() -> Result<Option<Owner>, OwnerError> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    parse_user(&format!("{DEFAULT_USER}:{DEFAULT_USER}"))
        .map(Some)
        .map_err(|e| OwnerError::NoDefault(Box::new(e)))
}

/// `Some(n)` for an all-digit string (a numeric ID), `None` for a name.
fn numeric(s: &str) -> Result<Option<u32>, &'static str> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match s.parse::<u32>() {
        // u32::MAX is -1, which chown takes as "leave unchanged".
        Ok(n) if n != u32::MAX => Ok(Some(n)),
        _ => Err("numeric ID out of range"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        assert_eq!(parse_user("root").unwrap(), Owner { uid: 0, gid: 0 });
        assert_eq!(parse_user("root:root").unwrap(), Owner { uid: 0, gid: 0 });
        assert_eq!(parse_user("root:").unwrap(), Owner { uid: 0, gid: 0 });
    }

    #[test]
    fn numbers_are_taken_as_they_are() {
        assert_eq!(parse_user("33:33").unwrap(), Owner { uid: 33, gid: 33 });
        assert_eq!(
            parse_user("12345:54321").unwrap(),
            Owner {
                uid: 12345,
                gid: 54321
            }
        );
        assert_eq!(parse_user("0").unwrap(), Owner { uid: 0, gid: 0 });
        assert_eq!(parse_user("0:root").unwrap(), Owner { uid: 0, gid: 0 });
        assert_eq!(
            parse_user("root:12345").unwrap(),
            Owner { uid: 0, gid: 12345 }
        );
    }

    #[test]
    fn numeric_user_without_entry_needs_a_group() {
        let err = parse_user("3999999").unwrap_err();
        assert!(
            matches!(err, OwnerError::NoPrimaryGroup(3999999)),
            "{err:?}"
        );
        assert!(err.to_string().contains("--user 3999999:GROUP"), "{err}");
    }

    #[test]
    fn unknown_names_are_named() {
        let err = parse_user("nonexistent-user-xyz").unwrap_err();
        assert!(matches!(err, OwnerError::UnknownUser(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "unknown user 'nonexistent-user-xyz': not in the system user database"
        );
        let err = parse_user("root:nonexistent-group-xyz").unwrap_err();
        assert!(err.to_string().contains("'nonexistent-group-xyz'"), "{err}");
    }

    #[test]
    fn malformed_specs_are_rejected() {
        for spec in [
            "",
            ":",
            ":root",
            "root:root:root",
            "4294967295",
            "0:99999999999",
        ] {
            let err = parse_user(spec).unwrap_err();
            assert!(matches!(err, OwnerError::Invalid { .. }), "{spec}: {err:?}");
        }
    }

    #[test]
    fn default_owner_as_root_is_www_data() {
        let expected = if rustix::process::geteuid().is_root() {
            // www-data as /etc/passwd has it (33:33 on Debian), read without the resolver.
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
            let fields: Vec<&str> = passwd
                .lines()
                .find(|l| l.starts_with("www-data:"))
                .expect("www-data in /etc/passwd")
                .split(':')
                .collect();
            Some(Owner {
                uid: fields[2].parse().unwrap(),
                gid: fields[3].parse().unwrap(),
            })
        } else {
            None
        };
        assert_eq!(default_owner().unwrap(), expected);
        assert_eq!(Owner::resolve(None).unwrap(), expected);
        assert_eq!(
            Owner::resolve(Some("1:2")).unwrap(),
            Some(Owner { uid: 1, gid: 2 })
        );
    }
}
