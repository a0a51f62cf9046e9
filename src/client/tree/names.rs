//! Names crossing between the local file system and the server: local names as the
//! bytes sent, remote names as local path components (only plain ones), and the
//! temporary names downloads are written to.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the temporary names of this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The hidden temporary name a download of `target` is written to before it is renamed
/// into place: `.<name>.sansftp-<pid>-<n>.part` beside `target`, where `n` counts every
/// temporary name this process made, so two downloads of one name (in one process or
/// in two) never share one.
///
/// ```
/// use std::path::Path;
/// use sansftp::client::tree::{is_temp_of, temp_path};
///
/// let a = temp_path(Path::new("/d/f.bin"));
/// let b = temp_path(Path::new("/d/f.bin"));
/// assert_ne!(a, b);
/// assert_eq!(a.parent(), Some(Path::new("/d")));
/// assert!(is_temp_of(a.file_name().unwrap(), "f.bin".as_ref()));
/// ```
pub fn temp_path(target: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(".");
    name.push(target.file_name().unwrap_or_else(|| OsStr::new("download")));
    name.push(format!(".sansftp-{}-{n}.part", std::process::id()));
    target.with_file_name(name)
}

/// Whether `candidate` is a name [`temp_path`] makes for a target named `target` (in any
/// process): how a resumed download finds what an interrupted one left.
pub fn is_temp_of(candidate: &OsStr, target: &OsStr) -> bool {
    let (c, t) = (candidate.as_encoded_bytes(), target.as_encoded_bytes());
    let Some(rest) = c.strip_prefix(b".").and_then(|r| r.strip_prefix(t)) else {
        return false;
    };
    let Some(middle) = rest
        .strip_prefix(b".sansftp-")
        .and_then(|r| r.strip_suffix(b".part"))
    else {
        return false;
    };
    // `<pid>-<n>`: digits, one dash, digits.
    let mut parts = middle.split(|&b| b == b'-');
    let digits =
        |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// Whether a name from a listing is one plain path component that stays where it is
/// put: not empty, not `.` or `..`, no `/` and no NUL (and, on Windows, no `\` or `:`).
pub fn is_plain_name(name: &[u8]) -> bool {
    let windows_bad = cfg!(windows) && name.iter().any(|&b| b == b'\\' || b == b':');
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.contains(&b'/')
        && !name.contains(&0)
        && !windows_bad
}

/// A local name as the bytes sent to the server: as they are on Unix, UTF-8 elsewhere
/// (`None` for a name that is not).
pub(super) fn local_to_remote(name: &OsStr) -> Option<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(name.as_bytes().to_vec())
    }
    #[cfg(not(unix))]
    {
        name.to_str().map(|s| s.as_bytes().to_vec())
    }
}

/// A plain remote name (see [`is_plain_name`]) as a local name: the bytes as they are
/// on Unix, UTF-8 elsewhere (`None` for a name that is not, or not plain).
pub(super) fn remote_to_local(name: &[u8]) -> Option<OsString> {
    if !is_plain_name(name) {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(OsStr::from_bytes(name).to_os_string())
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(name).ok().map(OsString::from)
    }
}

/// Whether a local path, as written, ends with a separator (`dir/`).
pub(super) fn ends_with_separator(path: &Path) -> bool {
    path.as_os_str()
        .as_encoded_bytes()
        .last()
        .is_some_and(|&b| std::path::is_separator(char::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_unique_hidden_siblings() {
        let target = Path::new("/d/f.bin");
        let names: Vec<PathBuf> = (0..100).map(|_| temp_path(target)).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        for name in &names {
            assert_eq!(name.parent(), Some(Path::new("/d")));
            let file = name.file_name().unwrap_or_default();
            let text = file.to_string_lossy();
            assert!(text.starts_with(".f.bin.sansftp-"), "{text}");
            assert!(
                text.contains(&format!("-{}-", std::process::id())),
                "{text}"
            );
            assert!(is_temp_of(file, OsStr::new("f.bin")));
            assert!(!is_temp_of(file, OsStr::new("f")));
        }
        for other in [
            ".f.bin",
            ".f.bin.sansftp-part",
            ".f.bin.sansftp-1.part",
            "f.bin",
        ] {
            assert!(
                !is_temp_of(OsStr::new(other), OsStr::new("f.bin")),
                "{other}"
            );
        }
    }

    #[test]
    fn plain_names() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"/", b"a\0"] {
            assert!(!is_plain_name(bad), "{bad:?}");
            assert_eq!(remote_to_local(bad), None);
        }
        assert!(is_plain_name(b"..a"));
        assert_eq!(remote_to_local(b"a b"), Some(OsString::from("a b")));
        assert!(ends_with_separator(Path::new("a/")));
        assert!(!ends_with_separator(Path::new("a")));
    }
}
