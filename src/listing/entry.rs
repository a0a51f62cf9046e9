//! [`Entry`], one line of a directory listing, its [`Kind`], and the raw MLSx [`Facts`].

use std::borrow::Cow;
use std::fmt;

use crate::time::DateTime;

/// One entry of a directory listing, whichever format it came from (or is going to).
///
/// Fields a format does not carry are `None`. The name is raw bytes, so names that are
/// not UTF-8 survive a round trip; [`Entry::name_str`] gives a lossy `str` for display.
///
/// The server builds entries with the constructors and `with_*` methods:
///
/// ```
/// use sansftp::listing::{Entry, Kind};
/// use sansftp::time::DateTime;
///
/// let e = Entry::file("report.pdf", 1234)
///     .with_modified(DateTime::new(2024, 5, 1, 12, 30, 0).unwrap())
///     .with_mode(0o644)
///     .with_owner("ftp")
///     .with_group("ftp");
/// assert_eq!(e.kind, Kind::File);
/// assert_eq!(e.name_str(), "report.pdf");
/// assert!(Entry::dir("docs").is_dir());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The name as the server sent it (no path), without the line ending.
    pub name: Vec<u8>,
    /// What the entry is.
    pub kind: Kind,
    /// Size in bytes (for MLSx directories, the `sizd` fact).
    pub size: Option<u64>,
    /// Last modification time, in UTC when the format says so (MLSx, EPLF); for `LIST`
    /// formats it is the server's wall-clock reading, usually local time.
    pub modified: Option<DateTime>,
    /// Unix permission bits, `0o7777` at most (setuid, setgid, sticky included).
    pub mode: Option<u32>,
    /// Hard link count.
    pub links: Option<u64>,
    /// Owner name (or numeric id as text).
    pub owner: Option<String>,
    /// Group name (or numeric id as text).
    pub group: Option<String>,
    /// For a symbolic link, where it points, when the listing says.
    pub link_target: Option<Vec<u8>>,
    /// For a device node, its `(major, minor)` numbers, shown instead of a size.
    pub device: Option<(u32, u32)>,
    /// The raw MLSx facts when the entry came from `MLSD`/`MLST`; empty otherwise.
    pub facts: Facts,
}

/// What a listing entry is.
///
/// MLSx's `cdir` (the listed directory itself) and `pdir` (its parent) have their own
/// variants so a client can skip them; [`Kind::is_dir`] is true for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// MLSx `type=cdir`: the directory being listed.
    CurrentDir,
    /// MLSx `type=pdir`: the parent of the directory being listed.
    ParentDir,
    /// A symbolic link.
    Link,
    /// A character device (`c` in `ls -l`).
    CharDevice,
    /// A block device (`b` in `ls -l`).
    BlockDevice,
    /// A named pipe (`p`).
    Pipe,
    /// A Unix socket (`s`).
    Socket,
    /// Anything else, or a kind the listing did not state.
    Other,
}

impl Kind {
    /// Whether this is a directory of any sort (`Dir`, `CurrentDir`, `ParentDir`).
    pub fn is_dir(self) -> bool {
        matches!(self, Kind::Dir | Kind::CurrentDir | Kind::ParentDir)
    }

    /// Whether this is a regular file.
    pub fn is_file(self) -> bool {
        self == Kind::File
    }

    /// Whether this is a symbolic link.
    pub fn is_link(self) -> bool {
        self == Kind::Link
    }
}

impl Entry {
    /// An entry of `kind` named `name`, with every other field unknown.
    pub fn new(name: impl Into<Vec<u8>>, kind: Kind) -> Entry {
        Entry {
            name: name.into(),
            kind,
            size: None,
            modified: None,
            mode: None,
            links: None,
            owner: None,
            group: None,
            link_target: None,
            device: None,
            facts: Facts::default(),
        }
    }

    /// A regular file of `size` bytes.
    pub fn file(name: impl Into<Vec<u8>>, size: u64) -> Entry {
        Entry::new(name, Kind::File).with_size(size)
    }

    /// A directory.
    pub fn dir(name: impl Into<Vec<u8>>) -> Entry {
        Entry::new(name, Kind::Dir)
    }

    /// A symbolic link pointing at `target`.
    pub fn link(name: impl Into<Vec<u8>>, target: impl Into<Vec<u8>>) -> Entry {
        let mut e = Entry::new(name, Kind::Link);
        e.link_target = Some(target.into());
        e
    }

    /// Sets the size.
    pub fn with_size(mut self, size: u64) -> Entry {
        self.size = Some(size);
        self
    }

    /// Sets the modification time.
    pub fn with_modified(mut self, modified: DateTime) -> Entry {
        self.modified = Some(modified);
        self
    }

    /// Sets the Unix permission bits (masked to `0o7777`).
    pub fn with_mode(mut self, mode: u32) -> Entry {
        self.mode = Some(mode & 0o7777);
        self
    }

    /// Sets the hard link count.
    pub fn with_links(mut self, links: u64) -> Entry {
        self.links = Some(links);
        self
    }

    /// Sets the owner.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Entry {
        self.owner = Some(owner.into());
        self
    }

    /// Sets the group.
    pub fn with_group(mut self, group: impl Into<String>) -> Entry {
        self.group = Some(group.into());
        self
    }

    /// The name, with bytes that are not UTF-8 replaced by U+FFFD.
    pub fn name_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// Whether this is a directory of any sort (see [`Kind::is_dir`]).
    pub fn is_dir(&self) -> bool {
        self.kind.is_dir()
    }

    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.kind.is_file()
    }

    /// Whether this entry names the listed directory or its parent: MLSx `cdir`/`pdir`,
    /// or a `.`/`..` line of `ls -la`. Clients usually skip these.
    pub fn is_self_or_parent(&self) -> bool {
        matches!(self.kind, Kind::CurrentDir | Kind::ParentDir)
            || self.name == b"."
            || self.name == b".."
    }
}

/// The facts of an MLSx line (RFC 3659 §7), in the order the server sent them, with
/// fact names lower-cased and values kept as raw bytes.
///
/// Stored as one buffer (`name=value;name=value;`), so an MLSD line costs one
/// allocation for its facts however many there are.
///
/// ```
/// use sansftp::listing::Facts;
///
/// let mut facts = Facts::default();
/// facts.push("Perm", b"adfr").unwrap();
/// facts.push("unique", b"803U1").unwrap();
/// assert_eq!(facts.get("PERM"), Some(&b"adfr"[..]));
/// assert_eq!(facts.iter().count(), 2);
/// assert!(facts.push("bad name", b"x").is_err());
/// assert!(facts.push("x", b"a;b").is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Facts {
    raw: Vec<u8>,
}

/// A fact name or value that cannot appear in an MLSx line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid MLSx fact {name:?}: names are printable ASCII without '=', ';' or space; values hold no ';', space, CR or LF"
)]
pub struct InvalidFact {
    /// The fact name given (lossy).
    pub name: String,
}

impl Facts {
    /// Appends a fact. The name is stored lower-cased. Refused when the name is empty or
    /// holds anything but printable ASCII other than `=`, `;`, space, or when the value
    /// holds `;`, space, CR, LF or NUL (they would break the line).
    pub fn push(&mut self, name: &str, value: &[u8]) -> Result<(), InvalidFact> {
        if !is_fact_name(name.as_bytes()) || !is_fact_value(value) {
            return Err(InvalidFact {
                name: name.to_owned(),
            });
        }
        self.push_unchecked(name.as_bytes(), value);
        Ok(())
    }

    /// The value of fact `name` (case-insensitive), the first if it is repeated.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every `(name, value)` pair in order; names are lower-case.
    pub fn iter(&self) -> FactsIter<'_> {
        FactsIter { rest: &self.raw }
    }

    /// Whether there are no facts.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The number of facts.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The facts as the MLSx facts field: `name=value;` for each, names lower-case.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// Appends a fact whose name and value the caller has checked (the MLSx parser).
    pub(crate) fn push_unchecked(&mut self, name: &[u8], value: &[u8]) {
        self.raw.extend(name.iter().map(u8::to_ascii_lowercase));
        self.raw.push(b'=');
        self.raw.extend_from_slice(value);
        self.raw.push(b';');
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.raw.reserve_exact(n);
    }
}

impl fmt::Debug for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k, String::from_utf8_lossy(v))))
            .finish()
    }
}

impl<'a> IntoIterator for &'a Facts {
    type Item = (&'a str, &'a [u8]);
    type IntoIter = FactsIter<'a>;
    fn into_iter(self) -> FactsIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Facts`], from [`Facts::iter`].
#[derive(Debug, Clone)]
pub struct FactsIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for FactsIter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<(&'a str, &'a [u8])> {
        // The buffer is only written by push/push_unchecked: `name=value;` with an ASCII
        // name and a value without ';'. Anything else ends the iteration.
        let end = memchr::memchr(b';', self.rest)?;
        let fact = self.rest.get(..end)?;
        self.rest = self.rest.get(end + 1..).unwrap_or_default();
        let eq = memchr::memchr(b'=', fact)?;
        let name = std::str::from_utf8(fact.get(..eq)?).ok()?;
        Some((name, fact.get(eq + 1..)?))
    }
}

/// RFC 3659 fact names: printable ASCII, no `=`, `;` or space.
pub(crate) fn is_fact_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'=' && b != b';')
}

/// Values may hold anything but the separators and line breaks.
pub(crate) fn is_fact_value(value: &[u8]) -> bool {
    !value
        .iter()
        .any(|&b| matches!(b, b';' | b' ' | b'\r' | b'\n' | 0))
}
