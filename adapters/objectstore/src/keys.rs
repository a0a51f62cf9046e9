//! Where a virtual path lives in the store: its key, the key prefix below which a
//! directory's entries live, and the name a key's last part stands for.
//!
//! Names are bytes and object keys are UTF-8, so a name is written as its UTF-8 with
//! `%`, ASCII control characters and every byte of an invalid UTF-8 sequence
//! percent-encoded (`caf\xe9` is `caf%E9`, `100%` is `100%25`); every other
//! character is the key as is, so keys stay readable in other S3 tools. Reading a key
//! back decodes `%XX`; a `%` that does not start an escape (a key written by another
//! tool) stays as it is.
//!
//! A directory made with `MKD` is a marker object, [`MARKER`], inside it: object keys
//! cannot end in `/` in `object_store`. Its name is one that no encoded file name can
//! be (a raw `%` before letters), so no upload can collide with it; listings hide it.

use object_store::path::{Path, PathPart};
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};

/// The last part of a directory marker's key.
pub const MARKER: &str = ".sansftp%dir";

/// The key prefix every path of one user lives under: the backend's prefix, then the
/// normal components of the user's base path (`.`, the default, adds nothing).
pub fn user_root(prefix: &Path, user: &User) -> Result<Path, StorageError> {
    let mut root = prefix.clone();
    for c in user.base_path.components() {
        match c {
            std::path::Component::Normal(part) => {
                root = child(&root, part.as_encoded_bytes())?;
            }
            std::path::Component::ParentDir => {
                return Err(StorageError::PermissionDenied);
            }
            _ => {}
        }
    }
    Ok(root)
}

/// The key of `path` below `root` (the root itself for `/`).
pub fn key(root: &Path, path: &VirtualPath) -> Result<Path, StorageError> {
    let mut key = root.clone();
    for c in path.components() {
        key = child(&key, c)?;
    }
    Ok(key)
}

/// The key of the marker of directory `dir` (a key from [`key`]).
pub fn marker(dir: &Path) -> Path {
    dir.clone()
        .join(PathPart::parse(MARKER).expect("the marker is a valid part"))
}

/// The name the last part of `key` stands for, or `None` for the marker.
pub fn name(key: &Path) -> Option<Vec<u8>> {
    let last = key.filename()?;
    (last != MARKER).then(|| decode(last))
}

/// `parent`'s child named `name`, encoded (never `PathPart::from`, which would encode
/// again in its own way).
fn child(parent: &Path, name: &[u8]) -> Result<Path, StorageError> {
    let encoded = encode(name);
    let part = PathPart::parse(&encoded)
        .map_err(|e| StorageError::Other(format!("no object key for this name: {e}")))?;
    Ok(parent.clone().join(part))
}

/// A name as a key part (see the module docs).
pub fn encode(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch == '%' || ch.is_ascii_control() {
                out.push_str(&format!("%{:02X}", ch as u32));
            } else {
                out.push(ch);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A key part as a name (see the module docs).
pub fn decode(part: &str) -> Vec<u8> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = match bytes.get(i + 1..i + 3) {
            Some(&[h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                Some(hex(h) << 4 | hex(l))
            }
            _ => None,
        };
        match (bytes[i], escape) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit.to_ascii_uppercase() - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_stay_readable() {
        for name in [
            &b"plain.txt"[..],
            b"caf\xc3\xa9",
            b"caf\xe9 \\ 100% \xff\xfe.txt",
            b"%41",
            b"tab\there",
            b"#{}[]<>|^~`\"",
        ] {
            let encoded = encode(name);
            assert!(PathPart::parse(&encoded).is_ok(), "{encoded}");
            assert_eq!(decode(&encoded), name, "{encoded}");
        }
        assert_eq!(encode(b"caf\xc3\xa9 x"), "café x");
        assert_eq!(encode(b"caf\xe9"), "caf%E9");
        assert_eq!(encode(b"100%"), "100%25");
        // Keys written by other tools: a stray % stays.
        assert_eq!(decode("50%off"), b"50%off");
        assert_eq!(decode("a%"), b"a%");
        assert_eq!(decode("%+1%e9"), b"%+1\xe9");
    }

    #[test]
    fn no_name_is_the_marker() {
        assert_ne!(encode(MARKER.as_bytes()), MARKER);
        let dir = Path::from("p/d");
        assert_eq!(marker(&dir).as_ref(), "p/d/.sansftp%dir");
        assert_eq!(name(&marker(&dir)), None);
        assert_eq!(
            name(&Path::parse("p/d/x%25").unwrap()),
            Some(b"x%".to_vec())
        );
    }

    #[test]
    fn keys_below_the_user_root() {
        let prefix = Path::from("srv");
        let user = User::new("u", "p").base_path("homes/u");
        let root = user_root(&prefix, &user).unwrap();
        assert_eq!(root.as_ref(), "srv/homes/u");
        let default = user_root(&prefix, &User::anonymous()).unwrap();
        assert_eq!(default.as_ref(), "srv");
        let up = User::new("u", "p").base_path("../other");
        assert_eq!(user_root(&prefix, &up), Err(StorageError::PermissionDenied));
        let path = VirtualPath::parse(b"/a/b c").unwrap();
        assert_eq!(key(&root, &path).unwrap().as_ref(), "srv/homes/u/a/b c");
        assert_eq!(key(&root, &VirtualPath::root()).unwrap(), root);
    }
}
