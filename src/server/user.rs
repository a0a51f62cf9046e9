//! [`User`], one account, and [`Permission`], its rights on a path.

use std::path::PathBuf;

use crate::error::{Error, PathIsNotAbsolute};
use crate::path::VirtualPath;

/// One account: who may log in, where their files are, what they may do there.
///
/// ```
/// use sansftp::server::{Permission, User};
/// use sansftp::path::VirtualPath;
///
/// let u = User::new("bob", "pw")
///     .base_path("/srv/ftp/bob")
///     .permission(Permission::new("/pub").unwrap().read_only());
/// let p = VirtualPath::parse(b"/pub/a.txt").unwrap();
/// assert!(u.permission_for(&p).readable && !u.permission_for(&p).writable);
/// assert!(u.permission_for(&VirtualPath::root()).writable);
/// assert!(User::new("x", "y").home("relative").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The login name; `None` for the anonymous user, who answers to `anonymous` and
    /// `ftp` (any case; RFC 1635), is asked for a password (`331`) and takes any.
    pub login: Option<String>,
    /// The password; `None` logs in right after `USER` (`230`), except the anonymous
    /// user, who is asked for one.
    pub password: Option<String>,
    /// For the anonymous user (`login` `None`): also answer to every login name no
    /// other user has, right after `USER` (`230`), as aioftp's anonymous user does
    /// ([`User::any_login`]). Off for [`User::anonymous`]: a mistyped name must not
    /// become a login.
    pub any_login: bool,
    /// The local directory this user's `/` maps to. The core only carries it to the
    /// storage requests; the storage backend confines every access to it.
    pub base_path: PathBuf,
    /// The working directory after login (absolute; not checked for existence).
    pub home_path: VirtualPath,
    /// Rights per path; the longest matching prefix wins. No match: full access.
    pub permissions: Vec<Permission>,
    /// Most simultaneous sessions of this user (`None`: unlimited), counted by sessions
    /// made with [`Session::with_limits`](super::Session::with_limits) (`530` beyond).
    pub max_connections: Option<usize>,
    /// Download limit shared by all this user's sessions, bytes/s.
    pub write_speed_limit: Option<u64>,
    /// Upload limit shared by all this user's sessions, bytes/s.
    pub read_speed_limit: Option<u64>,
    /// Download limit of each of this user's sessions, bytes/s.
    pub write_speed_limit_per_connection: Option<u64>,
    /// Upload limit of each of this user's sessions, bytes/s.
    pub read_speed_limit_per_connection: Option<u64>,
}

/// Read and write rights on a path and everything below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Permission {
    /// The directory (or file) the rights apply to.
    pub path: VirtualPath,
    /// Listing, downloading, `CWD`, `SIZE`, `MDTM`, `MLST`.
    pub readable: bool,
    /// Uploading, `MKD`, `RMD`, `DELE`, renaming.
    pub writable: bool,
}

impl User {
    /// A user `login` with `password`, root `.`, home `/`, full access, no limits.
    pub fn new(login: impl Into<String>, password: impl Into<String>) -> User {
        User {
            login: Some(login.into()),
            password: Some(password.into()),
            ..User::anonymous()
        }
    }

    /// A user `login` that needs no password.
    pub fn without_password(login: impl Into<String>) -> User {
        User {
            login: Some(login.into()),
            ..User::anonymous()
        }
    }

    /// The anonymous user: logins `anonymous` and `ftp` (any case), any password.
    pub fn anonymous() -> User {
        User {
            login: None,
            password: None,
            any_login: false,
            base_path: PathBuf::from("."),
            home_path: VirtualPath::root(),
            permissions: Vec::new(),
            max_connections: None,
            write_speed_limit: None,
            read_speed_limit: None,
            write_speed_limit_per_connection: None,
            read_speed_limit_per_connection: None,
        }
    }

    /// aioftp's anonymous user (`User()`): the anonymous user that also takes every
    /// login name no other user has, without a password ([`User::any_login`]). For
    /// test servers and those who want it; a real server wants [`User::anonymous`].
    pub fn any_login() -> User {
        User {
            any_login: true,
            ..User::anonymous()
        }
    }

    /// Whether `login` names the anonymous user: `anonymous` or `ftp`, any case.
    pub fn is_anonymous_login(login: &[u8]) -> bool {
        login.eq_ignore_ascii_case(b"anonymous") || login.eq_ignore_ascii_case(b"ftp")
    }

    /// Sets [`User::base_path`].
    pub fn base_path(mut self, path: impl Into<PathBuf>) -> User {
        self.base_path = path.into();
        self
    }

    /// Sets [`User::home_path`]. Fails with [`PathIsNotAbsolute`] when `path` does not
    /// start with `/`, and with a path error when it holds NUL, CR or LF.
    pub fn home(mut self, path: &str) -> Result<User, Error> {
        if !path.starts_with('/') {
            return Err(PathIsNotAbsolute::new(path).into());
        }
        self.home_path = VirtualPath::parse(path.as_bytes())?;
        Ok(self)
    }

    /// Adds a [`Permission`].
    pub fn permission(mut self, permission: Permission) -> User {
        self.permissions.push(permission);
        self
    }

    /// Sets [`User::max_connections`].
    pub fn max_connections(mut self, max: Option<usize>) -> User {
        self.max_connections = max;
        self
    }

    /// The rights on `path`: those of the permission with the longest path that is
    /// `path` or one of its ancestors; full access when none is.
    pub fn permission_for(&self, path: &VirtualPath) -> Permission {
        self.permissions
            .iter()
            .filter(|p| path.starts_with(&p.path))
            .max_by_key(|p| p.path.as_bytes().len())
            .cloned()
            .unwrap_or_else(|| Permission::full(VirtualPath::root()))
    }

    /// The login for logs: the name, or `anonymous`.
    pub fn display_name(&self) -> &str {
        self.login.as_deref().unwrap_or("anonymous")
    }
}

impl Permission {
    /// Full rights on `path` (relative paths are taken from `/`). Fails on NUL, CR, LF.
    pub fn new(path: &str) -> Result<Permission, Error> {
        Ok(Permission::full(VirtualPath::parse(path.as_bytes())?))
    }

    /// Full rights on an already parsed path.
    pub fn full(path: VirtualPath) -> Permission {
        Permission {
            path,
            readable: true,
            writable: true,
        }
    }

    /// The same path, read-only.
    pub fn read_only(mut self) -> Permission {
        self.readable = true;
        self.writable = false;
        self
    }

    /// The same path with the given rights.
    pub fn rights(mut self, readable: bool, writable: bool) -> Permission {
        self.readable = readable;
        self.writable = writable;
        self
    }
}

/// Compares every byte whatever the first difference, so the time taken does not tell
/// how much of a password guess was right (the length still shows).
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x);
    }
    diff == 0
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abc\0"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn longest_prefix_permission_wins() {
        let u = User::anonymous()
            .permission(Permission::new("/").unwrap().read_only())
            .permission(Permission::new("/up").unwrap())
            .permission(Permission::new("/up/locked").unwrap().rights(false, false));
        let p = |s: &str| VirtualPath::parse(s.as_bytes()).unwrap();
        assert!(!u.permission_for(&p("/a")).writable);
        assert!(u.permission_for(&p("/up/x")).writable);
        assert!(!u.permission_for(&p("/up/locked/x")).readable);
        assert!(u.permission_for(&p("/upper")).readable);
        assert!(!u.permission_for(&p("/upper")).writable);
    }

    #[test]
    fn home_must_be_absolute() {
        let err = User::anonymous().home("home").unwrap_err();
        assert!(matches!(err, Error::PathIsNotAbsolute(_)));
        assert!(User::anonymous().home("/a\0b").is_err());
        assert_eq!(
            User::anonymous()
                .home("/a/../b")
                .unwrap()
                .home_path
                .as_bytes(),
            b"/b"
        );
    }
}
