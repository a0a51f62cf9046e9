//! Paths on the server as a client writes them: byte strings split and joined without
//! normalising (the server resolves `.`, `..` and its own rules), `/`-separated.
//!
//! ```
//! use sansftp::client::remote::{file_name, join, split_parent};
//!
//! assert_eq!(split_parent(b"/pub/a.txt"), (&b"/pub"[..], &b"a.txt"[..]));
//! assert_eq!(split_parent(b"a.txt"), (&b""[..], &b"a.txt"[..]));
//! assert_eq!(join(b"/pub", b"a.txt"), b"/pub/a.txt");
//! assert_eq!(file_name(b"/pub/dir/"), Some(&b"dir"[..]));
//! assert_eq!(file_name(b"/"), None);
//! ```

/// `path` without trailing slashes; `/` (or `//`) stays `/`.
pub fn trim_trailing_slashes(path: &[u8]) -> &[u8] {
    let mut end = path.len();
    while end > 1 && path.get(end - 1) == Some(&b'/') {
        end -= 1;
    }
    path.get(..end).unwrap_or(path)
}

/// `(parent, name)`, trailing slashes ignored: `/a/b` gives `/a`, `b`; `/b` gives `/`,
/// `b`; `b` gives an empty parent (the current directory); `/` gives `/` and an empty
/// name.
pub fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    let path = trim_trailing_slashes(path);
    if path.iter().all(|&b| b == b'/') {
        return (path, &[]);
    }
    match memchr::memrchr(b'/', path) {
        Some(0) => (b"/", path.get(1..).unwrap_or_default()),
        Some(i) => (
            path.get(..i).unwrap_or_default(),
            path.get(i + 1..).unwrap_or_default(),
        ),
        None => (&[], path),
    }
}

/// The last component, unless there is none worth a name (empty, `.`, `..`, `/`).
pub fn file_name(path: &[u8]) -> Option<&[u8]> {
    let name = split_parent(path).1;
    (!name.is_empty() && name != b"." && name != b"..").then_some(name)
}

/// `dir` joined with `name` (`name` alone when `dir` is empty).
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        return name.to_vec();
    }
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    p.extend_from_slice(dir);
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join() {
        assert_eq!(split_parent(b"/a/b"), (&b"/a"[..], &b"b"[..]));
        assert_eq!(split_parent(b"/b/"), (&b"/"[..], &b"b"[..]));
        assert_eq!(split_parent(b"b"), (&b""[..], &b"b"[..]));
        assert_eq!(split_parent(b"/"), (&b"/"[..], &b""[..]));
        assert_eq!(split_parent(b"//"), (&b"/"[..], &b""[..]));
        assert_eq!(split_parent(b"a/b/"), (&b"a"[..], &b"b"[..]));
        assert_eq!(trim_trailing_slashes(b"/a//"), b"/a");
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"", b"x"), b"x");
        assert_eq!(join(b"/d", b"x"), b"/d/x");
        for none in [&b""[..], b".", b"..", b"/", b"a/.."] {
            assert_eq!(file_name(none), None, "{none:?}");
        }
    }
}
