//! Virtual POSIX paths: what a client names, normalised so that it can never leave a
//! user's root directory.
//!
//! A [`VirtualPath`] is the only way a server turns a client's path argument into a
//! storage path. Its constructors normalise lexically, the way aioftp's `get_paths` does,
//! but on bytes so that non-UTF-8 names survive unchanged:
//!
//! - a relative argument is joined to the current directory, an absolute one replaces it;
//! - repeated slashes collapse and `.` components vanish;
//! - `..` removes the previous component and is clamped at `/` (`CWD ../../..` from `/`
//!   stays at `/`);
//! - NUL, CR and LF are refused: none of them can travel inside an FTP command line, and a
//!   name holding one could forge a reply line when echoed back (`257 "..."`).
//!
//! Only `/` separates components. A backslash is an ordinary byte in a name, as it is on
//! Unix, and so are `%2e%2e` and any other percent sequence (FTP has no URL encoding).
//!
//! Symlinks are **not** resolved here, because the core never touches a file system: a
//! storage backend that follows links must resolve them itself and check that the
//! target is still under the user's root.
//!
//! ```
//! use sansftp::path::VirtualPath;
//!
//! let cwd = VirtualPath::parse(b"/home/alice").unwrap();
//! assert_eq!(cwd.join(b"../bob//./notes.txt").unwrap().as_bytes(), b"/home/bob/notes.txt");
//! assert_eq!(cwd.join(b"../../../../etc/passwd").unwrap().as_bytes(), b"/etc/passwd");
//! assert_eq!(cwd.join(b"/srv").unwrap().as_bytes(), b"/srv");
//!
//! // The storage path stays under the user's root whatever the client sent.
//! let real = cwd.join(b"../../../../etc/passwd").unwrap().under("/srv/ftp/alice".as_ref());
//! assert_eq!(real, std::path::Path::new("/srv/ftp/alice/etc/passwd"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Longest normalised path accepted, in bytes (Linux's `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;

/// Longest single component accepted, in bytes (`NAME_MAX` on most file systems).
pub const MAX_COMPONENT_LEN: usize = 255;

/// An absolute, normalised virtual path, held as raw bytes.
///
/// Invariants, upheld by every constructor: it starts with `/`; it has no empty, `.` or
/// `..` component; it has no trailing slash unless it is the root `/`; it holds no NUL, CR
/// or LF; it is at most [`MAX_PATH_LEN`] bytes with components of at most
/// [`MAX_COMPONENT_LEN`] bytes.
///
/// ```
/// use sansftp::path::VirtualPath;
///
/// let p = VirtualPath::parse(b"docs/./a\\b/../report.pdf").unwrap();
/// assert_eq!(p.to_string(), "/docs/report.pdf");
/// assert_eq!(p.file_name(), Some(&b"report.pdf"[..]));
/// assert_eq!(p.parent().unwrap().as_bytes(), b"/docs");
/// assert!(p.starts_with(&VirtualPath::parse(b"/docs").unwrap()));
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtualPath(Vec<u8>);

/// A path could not become a [`VirtualPath`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path was empty where a name is required.
    #[error("empty path")]
    Empty,
    /// The path held a byte no FTP path may hold (NUL, CR or LF).
    #[error("path contains forbidden byte {byte:#04x} (NUL, CR and LF are not allowed)")]
    ForbiddenByte {
        /// The offending byte.
        byte: u8,
    },
    /// The normalised path is longer than [`MAX_PATH_LEN`].
    #[error("path is {len} bytes long, the limit is {max}")]
    TooLong {
        /// Length of the normalised path.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
    /// One component is longer than [`MAX_COMPONENT_LEN`].
    #[error("path component is {len} bytes long, the limit is {max}")]
    ComponentTooLong {
        /// Length of the component.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
}

impl VirtualPath {
    /// The root directory, `/`.
    pub fn root() -> VirtualPath {
        VirtualPath(vec![b'/'])
    }

    /// Normalises `path`. A relative path is taken relative to the root, so `a/b` and
    /// `/a/b` give the same result; use [`join`](Self::join) to resolve against a
    /// current directory.
    pub fn parse(path: &[u8]) -> Result<VirtualPath, PathError> {
        VirtualPath::root().join(path)
    }

    /// Resolves a client's argument against `self`, the current directory: an absolute
    /// `arg` replaces it, a relative one is appended; then the result is normalised.
    ///
    /// An empty `arg` is refused ([`PathError::Empty`]) rather than meaning "here": a
    /// `DELE` or `RMD` with an empty argument must not act on the current directory.
    /// Components that a later `..` removes must still be valid names.
    pub fn join(&self, arg: &[u8]) -> Result<VirtualPath, PathError> {
        if arg.is_empty() {
            return Err(PathError::Empty);
        }
        if let Some(i) = memchr::memchr3(0, b'\r', b'\n', arg) {
            return Err(PathError::ForbiddenByte { byte: arg[i] });
        }
        // Built without the root's slash, so that "" stands for "/" and every push is
        // just "/" + name.
        let mut out = if arg[0] == b'/' || self.is_root() {
            Vec::with_capacity(arg.len() + 1)
        } else {
            let mut v = Vec::with_capacity(self.0.len() + arg.len() + 1);
            v.extend_from_slice(&self.0);
            v
        };
        for component in arg.split(|&b| b == b'/') {
            match component {
                b"" | b"." => {}
                b".." => {
                    // `out` is empty or starts with '/', so the cut is at a separator.
                    let cut = memchr::memrchr(b'/', &out).unwrap_or(0);
                    out.truncate(cut);
                }
                name => {
                    if name.len() > MAX_COMPONENT_LEN {
                        return Err(PathError::ComponentTooLong {
                            len: name.len(),
                            max: MAX_COMPONENT_LEN,
                        });
                    }
                    out.push(b'/');
                    out.extend_from_slice(name);
                }
            }
        }
        if out.is_empty() {
            return Ok(VirtualPath::root());
        }
        if out.len() > MAX_PATH_LEN {
            return Err(PathError::TooLong {
                len: out.len(),
                max: MAX_PATH_LEN,
            });
        }
        Ok(VirtualPath(out))
    }

    /// The path as bytes, always starting with `/`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The path as owned bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Whether this is the root directory `/`.
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The directory holding this path, or `None` for the root.
    pub fn parent(&self) -> Option<VirtualPath> {
        if self.is_root() {
            return None;
        }
        let cut = memchr::memrchr(b'/', &self.0).unwrap_or(0);
        if cut == 0 {
            Some(VirtualPath::root())
        } else {
            Some(VirtualPath(self.0[..cut].to_vec()))
        }
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&[u8]> {
        self.components().next_back()
    }

    /// The components from the root down, without separators: `/a/b` gives `a`, `b`; the
    /// root gives nothing. Each is non-empty, not `.` or `..`, and free of `/`, NUL, CR
    /// and LF.
    pub fn components(&self) -> Components<'_> {
        Components { rest: &self.0[1..] }
    }

    /// Whether `base` is this path or one of its ancestors, component-wise: `/ab` does not
    /// start with `/a`.
    pub fn starts_with(&self, base: &VirtualPath) -> bool {
        if base.is_root() {
            return true;
        }
        self.0.starts_with(&base.0)
            && (self.0.len() == base.0.len() || self.0[base.0.len()] == b'/')
    }

    /// Maps this path under a user's `root` directory on the server's storage.
    ///
    /// Every component is appended to `root` as one plain name, so the result always
    /// starts with `root` and never holds a `..` component. Nothing is read from the file
    /// system: symlinks under `root` are the storage backend's to resolve and check.
    ///
    /// On Unix the bytes are kept exactly. Elsewhere names are decoded lossily and bytes
    /// that would change the meaning of a path there (`\`, `:`, and other characters
    /// Windows reserves) become `_`; a name Windows would shrink to nothing or to `..`
    /// (trailing dots and spaces) gets a leading `_`. Device names such as `CON` are left
    /// alone: they cannot leave the root, and the storage backend must refuse them.
    ///
    /// ```
    /// use std::path::Path;
    /// use sansftp::path::VirtualPath;
    ///
    /// let p = VirtualPath::parse(b"/../a/b.txt").unwrap();
    /// assert_eq!(p.under(Path::new("/srv/ftp")), Path::new("/srv/ftp/a/b.txt"));
    /// assert_eq!(VirtualPath::root().under(Path::new("/srv/ftp")), Path::new("/srv/ftp"));
    /// ```
    pub fn under(&self, root: &Path) -> PathBuf {
        let mut out = root.to_path_buf();
        for component in self.components() {
            out.push(native_component(component));
        }
        out
    }
}

impl Default for VirtualPath {
    fn default() -> VirtualPath {
        VirtualPath::root()
    }
}

impl AsRef<[u8]> for VirtualPath {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for VirtualPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<VirtualPath, PathError> {
        VirtualPath::parse(s.as_bytes())
    }
}

/// Lossy: bytes that are not UTF-8 show as U+FFFD. Use [`VirtualPath::as_bytes`] to keep
/// them.
impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtualPath(\"{}\")", self.0.escape_ascii())
    }
}

/// The components of a [`VirtualPath`], from [`VirtualPath::components`].
#[derive(Debug, Clone)]
pub struct Components<'a> {
    // The path without its leading '/': empty for the root, else "a/b/c".
    rest: &'a [u8],
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'/', self.rest) {
            Some(i) => {
                let (head, tail) = (&self.rest[..i], &self.rest[i + 1..]);
                self.rest = tail;
                Some(head)
            }
            None => Some(std::mem::take(&mut self.rest)),
        }
    }
}

impl<'a> DoubleEndedIterator for Components<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        match memchr::memrchr(b'/', self.rest) {
            Some(i) => {
                let (head, tail) = (&self.rest[..i], &self.rest[i + 1..]);
                self.rest = head;
                Some(tail)
            }
            None => Some(std::mem::take(&mut self.rest)),
        }
    }
}

impl std::iter::FusedIterator for Components<'_> {}

/// Quotes `path` for a `257` reply (`MKD`, `PWD`): wrapped in `"` with every `"` inside
/// doubled (RFC 959 appendix II). The caller writes `257 ` before it and any comment after.
///
/// ```
/// use sansftp::path::{parse_257, quote_257};
///
/// assert_eq!(quote_257(b"/say \"hi\""), b"\"/say \"\"hi\"\"\"");
/// assert_eq!(parse_257(&quote_257(b"/say \"hi\"")).unwrap(), b"/say \"hi\"");
/// ```
pub fn quote_257(path: &[u8]) -> Vec<u8> {
    let quotes = memchr::memchr_iter(b'"', path).count();
    let mut out = Vec::with_capacity(path.len() + quotes + 2);
    out.push(b'"');
    for &b in path {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// Extracts the path from a `257` reply's text: the bytes between the first `"` and its
/// closing `"`, where `""` stands for one literal `"`.
///
/// Returns `None` when there is no quoted path (a bare `257`, or a server that writes the
/// path unquoted) or when the closing quote is missing. `text` may include the code or
/// not; only what follows the first `"` matters.
///
/// ```
/// use sansftp::path::parse_257;
///
/// assert_eq!(parse_257(b"257 \"/home\" is current directory").unwrap(), b"/home");
/// assert_eq!(
///     parse_257(b"foo \"baz \"\" test nop\" \"\"\"\"\"fdfs \"\"\"").unwrap(),
///     b"baz \" test nop"
/// );
/// assert_eq!(parse_257(b"257"), None);
/// ```
pub fn parse_257(text: &[u8]) -> Option<Vec<u8>> {
    let start = memchr::memchr(b'"', text)? + 1;
    let mut out = Vec::new();
    let mut rest = &text[start..];
    loop {
        let q = memchr::memchr(b'"', rest)?;
        out.extend_from_slice(&rest[..q]);
        if rest.get(q + 1) == Some(&b'"') {
            out.push(b'"');
            rest = &rest[q + 2..];
        } else {
            return Some(out);
        }
    }
}

#[cfg(unix)]
fn native_component(name: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(name)
}

#[cfg(not(unix))]
fn native_component(name: &[u8]) -> String {
    sanitize_foreign(name)
}

/// The lossy mapping used where paths are not bytes (Windows): it must never yield a
/// name that Windows reads as a separator, a drive, a stream or `..`.
#[cfg_attr(unix, allow(dead_code))]
fn sanitize_foreign(name: &[u8]) -> String {
    let mut s: String = String::from_utf8_lossy(name)
        .chars()
        .map(|c| match c {
            '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    // Win32 drops trailing dots and spaces, so "..." or ". ." would become "" or "..".
    if s.trim_end_matches(['.', ' ']).is_empty() {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vp(s: &str) -> VirtualPath {
        VirtualPath::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn normalises_like_aioftp() {
        let cases: &[(&str, &str)] = &[
            ("/", "/"),
            ("//", "/"),
            (".", "/"),
            ("..", "/"),
            ("../../..", "/"),
            ("/a/../b/..", "/"),
            ("a//b///c/", "/a/b/c"),
            ("/a/./b/.", "/a/b"),
            ("/a/b/../../../c", "/c"),
            ("...", "/..."),
            ("a\\..\\b", "/a\\..\\b"),
            ("%2e%2e/%2e%2e", "/%2e%2e/%2e%2e"),
            (" lead and trail ", "/ lead and trail "),
            ("/foo/C:\\windows", "/foo/C:\\windows"),
        ];
        for (input, want) in cases {
            assert_eq!(vp(input).as_bytes(), want.as_bytes(), "input {input:?}");
        }
    }

    #[test]
    fn join_is_relative_to_cwd_unless_absolute() {
        let cwd = vp("/home/alice");
        assert_eq!(cwd.join(b"x").unwrap(), vp("/home/alice/x"));
        assert_eq!(cwd.join(b"..").unwrap(), vp("/home"));
        assert_eq!(cwd.join(b"/x").unwrap(), vp("/x"));
        assert_eq!(cwd.join(b"//x").unwrap(), vp("/x"));
        assert_eq!(VirtualPath::root().join(b"x").unwrap(), vp("/x"));
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(VirtualPath::parse(b""), Err(PathError::Empty));
        assert_eq!(vp("/a").join(b""), Err(PathError::Empty));
        for byte in [0u8, b'\r', b'\n'] {
            let input = [b'a', byte, b'b'];
            assert_eq!(
                VirtualPath::parse(&input),
                Err(PathError::ForbiddenByte { byte })
            );
        }
        // Refused even when a later `..` would have removed it.
        assert!(VirtualPath::parse(b"a\0/..").is_err());
        let long_name = vec![b'n'; MAX_COMPONENT_LEN + 1];
        assert_eq!(
            VirtualPath::parse(&long_name),
            Err(PathError::ComponentTooLong {
                len: MAX_COMPONENT_LEN + 1,
                max: MAX_COMPONENT_LEN
            })
        );
        assert!(VirtualPath::parse(&vec![b'n'; MAX_COMPONENT_LEN]).is_ok());
        let deep = b"/abcdefg".repeat(MAX_PATH_LEN / 8 + 1);
        assert!(matches!(
            VirtualPath::parse(&deep),
            Err(PathError::TooLong { .. })
        ));
        // Long input that normalises short is fine.
        let mut shrinking = deep.clone();
        shrinking.extend_from_slice(&b"/..".repeat(MAX_PATH_LEN / 8 + 1));
        assert_eq!(VirtualPath::parse(&shrinking), Ok(VirtualPath::root()));
    }

    #[test]
    fn errors_display_as_one_line() {
        assert_eq!(
            PathError::ForbiddenByte { byte: 0 }.to_string(),
            "path contains forbidden byte 0x00 (NUL, CR and LF are not allowed)"
        );
        assert_eq!(
            PathError::TooLong {
                len: 5000,
                max: 4096
            }
            .to_string(),
            "path is 5000 bytes long, the limit is 4096"
        );
    }

    #[test]
    fn accessors() {
        let p = vp("/a/b/c");
        assert_eq!(p.components().collect::<Vec<_>>(), [b"a", b"b", b"c"]);
        assert_eq!(p.components().rev().collect::<Vec<_>>(), [b"c", b"b", b"a"]);
        assert_eq!(p.file_name(), Some(&b"c"[..]));
        assert_eq!(p.parent(), Some(vp("/a/b")));
        assert_eq!(vp("/a").parent(), Some(VirtualPath::root()));
        assert_eq!(VirtualPath::root().parent(), None);
        assert_eq!(VirtualPath::root().file_name(), None);
        assert_eq!(VirtualPath::root().components().count(), 0);
        assert!(p.starts_with(&vp("/a")));
        assert!(p.starts_with(&p));
        assert!(p.starts_with(&VirtualPath::root()));
        assert!(!vp("/ab").starts_with(&vp("/a")));
        assert!(!vp("/a").starts_with(&vp("/a/b")));
        assert_eq!("/x/../y".parse::<VirtualPath>().unwrap(), vp("/y"));
        assert_eq!(VirtualPath::default(), VirtualPath::root());
    }

    #[test]
    fn keeps_non_utf8_bytes() {
        let p = VirtualPath::parse(b"/caf\xe9/\xff").unwrap();
        assert_eq!(p.as_bytes(), b"/caf\xe9/\xff");
        assert_eq!(p.to_string(), "/caf\u{fffd}/\u{fffd}");
        assert_eq!(format!("{p:?}"), "VirtualPath(\"/caf\\xe9/\\xff\")");
    }

    #[cfg(unix)]
    #[test]
    fn under_keeps_bytes_on_unix() {
        use std::os::unix::ffi::OsStrExt;
        let root = Path::new("/srv/ftp");
        let p = VirtualPath::parse(b"/../a\\..\\b/\xff").unwrap();
        let real = p.under(root);
        assert_eq!(real.as_os_str().as_bytes(), b"/srv/ftp/a\\..\\b/\xff");
        assert_eq!(real.components().count(), 5);
    }

    #[test]
    fn foreign_names_cannot_escape() {
        assert_eq!(sanitize_foreign(b"C:\\windows"), "C__windows");
        assert_eq!(sanitize_foreign(b"..\\.."), ".._..");
        assert_eq!(sanitize_foreign(b"..."), "_...");
        assert_eq!(sanitize_foreign(b". ."), "_. .");
        assert_eq!(sanitize_foreign(b"a:stream"), "a_stream");
        assert_eq!(sanitize_foreign(b"caf\xe9"), "caf\u{fffd}");
    }

    #[test]
    fn parse_257_cases() {
        assert_eq!(parse_257(b"257 \"/\" is cwd").unwrap(), b"/");
        assert_eq!(parse_257(b"\"\"").unwrap(), b"");
        assert_eq!(parse_257(b"257 \"/a\"\"b\"").unwrap(), b"/a\"b");
        assert_eq!(parse_257(b"257 /home is current directory"), None);
        assert_eq!(parse_257(b"257 \"/unterminated"), None);
        assert_eq!(parse_257(b"257 \"/a\"\""), None);
        assert_eq!(parse_257(b""), None);
    }

    fn arb_input() -> impl Strategy<Value = Vec<u8>> {
        // NUL is rare so that most inputs get past the byte check.
        let piece = prop_oneof![
            4 => Just(b"..".to_vec()),
            2 => Just(b".".to_vec()),
            4 => Just(b"/".to_vec()),
            1 => Just(b"//".to_vec()),
            1 => Just(b"\\".to_vec()),
            1 => Just(b"..\\".to_vec()),
            1 => Just(b"%2e%2e".to_vec()),
            1 => Just(b"C:".to_vec()),
            1 => Just(b"\0".to_vec()),
            1 => Just(vec![0xff, 0xfe]),
            4 => "[a-z]{1,4}".prop_map(String::into_bytes),
            1 => proptest::collection::vec(any::<u8>(), 1..4),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    fn assert_invariants(p: &VirtualPath) {
        let b = p.as_bytes();
        assert_eq!(b[0], b'/');
        assert!(!b.contains(&0) && !b.contains(&b'\r') && !b.contains(&b'\n'));
        assert!(b.len() <= MAX_PATH_LEN);
        assert!(p.is_root() || !b.ends_with(b"/"));
        for c in p.components() {
            assert!(!c.is_empty() && c != b"." && c != b"..");
            assert!(c.len() <= MAX_COMPONENT_LEN);
        }
        let root = Path::new("/srv/ftp/user");
        let real = p.under(root);
        assert!(real.starts_with(root), "{real:?} left {root:?}");
        assert!(
            !real
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        );
    }

    proptest! {
        #[test]
        fn join_never_escapes(cwd in arb_input(), arg in arb_input()) {
            let cwd = VirtualPath::parse(&cwd).unwrap_or_default();
            assert_invariants(&cwd);
            if let Ok(p) = cwd.join(&arg) {
                assert_invariants(&p);
                // Normalisation is idempotent.
                prop_assert_eq!(VirtualPath::parse(p.as_bytes()), Ok(p.clone()));
                prop_assert_eq!(cwd.join(p.as_bytes()), Ok(p.clone()));
                if arg.first() == Some(&b'/') {
                    prop_assert_eq!(VirtualPath::parse(&arg), Ok(p.clone()));
                }
                if let Some(parent) = p.parent() {
                    prop_assert!(p.starts_with(&parent));
                    let name = p.file_name().unwrap_or_default();
                    prop_assert_eq!(parent.join(name), Ok(p.clone()));
                }
            }
        }

        #[test]
        fn quote_257_round_trips(path in proptest::collection::vec(any::<u8>(), 0..40),
                                 tail in "( [ a-z\"]{0,10})?") {
            // A comment after the path starts with a space; `""` right after the closing
            // quote would read as an escaped quote.
            let mut reply = b"257 ".to_vec();
            reply.extend_from_slice(&quote_257(&path));
            reply.extend_from_slice(tail.as_bytes());
            prop_assert_eq!(parse_257(&reply), Some(path));
        }
    }
}
