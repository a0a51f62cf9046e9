//! What a [`Plan`](super::Plan) hands out and takes in: the [`Step`]s, the facts it is fed
//! ([`LocalKind`]) and what it reports ([`Totals`], [`Warning`], [`Copied`]).

use std::fmt;
use std::path::PathBuf;

use crate::listing::Kind;

/// One thing for the adapter to do, or to know. The answer each needs is named on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// What the local path is, links followed (`std::fs::metadata`): answer with
    /// [`Plan::local_kind`](super::Plan::local_kind).
    StatLocal(PathBuf),
    /// The local path made absolute, links resolved (`std::fs::canonicalize`), asked
    /// for a source like `.` that has no name of its own: [`Plan::canonical`](super::Plan::canonical).
    Canonicalize(PathBuf),
    /// The entries of a local directory, links *not* followed (`std::fs::read_dir` and
    /// each entry's own metadata): [`Plan::local_entries`](super::Plan::local_entries).
    ReadLocalDir(PathBuf),
    /// What the remote path is (`stat`): [`Plan::remote_item`](super::Plan::remote_item).
    StatRemote(Vec<u8>),
    /// One remote directory's listing, not recursive: [`Plan::remote_entries`](super::Plan::remote_entries).
    ListRemote(Vec<u8>),
    /// Every fact is in; what the copy will move. No answer.
    Planned(Totals),
    /// Something skipped; the copy goes on. No answer (the warnings are also in
    /// [`Copied::warnings`]).
    Warning(Warning),
    /// `MKD path` (`parents`: each missing ancestor first): [`Plan::remote_done`](super::Plan::remote_done). A
    /// failure is checked with a [`Step::StatRemote`] before it counts.
    MakeRemoteDir {
        /// The directory.
        path: Vec<u8>,
        /// Whether missing ancestors should be made too.
        parents: bool,
    },
    /// A local directory and its missing parents, an existing one being fine
    /// (`std::fs::create_dir_all`): [`Plan::local_done`](super::Plan::local_done).
    MakeLocalDir(PathBuf),
    /// Upload one local file: [`Plan::transferred`](super::Plan::transferred).
    Upload(UploadFile),
    /// Download one remote file to [`DownloadFile::temp`] (created or truncated):
    /// [`Plan::transferred`](super::Plan::transferred). A [`Step::Rename`] into place follows, or a
    /// [`Step::RemoveLocal`] of the temporary file on failure.
    Download(DownloadFile),
    /// Rename a finished download over its target: [`Plan::local_done`](super::Plan::local_done).
    Rename {
        /// The temporary file.
        from: PathBuf,
        /// The target.
        to: PathBuf,
    },
    /// Remove a failed download's temporary file: [`Plan::local_done`](super::Plan::local_done) (its outcome
    /// changes nothing: the plan has failed).
    RemoveLocal(PathBuf),
}

impl Step {
    /// Whether the step is work on the local file system (`StatLocal`, `Canonicalize`,
    /// `ReadLocalDir`, `MakeLocalDir`, `Rename`, `RemoveLocal`), which an async adapter
    /// runs off its executor (`sansftp_storage::copy::answer_local` does each).
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            Step::StatLocal(_)
                | Step::Canonicalize(_)
                | Step::ReadLocalDir(_)
                | Step::MakeLocalDir(_)
                | Step::Rename { .. }
                | Step::RemoveLocal(_)
        )
    }
}

/// One file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFile {
    /// The local file.
    pub local: PathBuf,
    /// Where it goes.
    pub remote: Vec<u8>,
    /// Its path below the copied tree (its name, for a single file), for display.
    pub name: Vec<u8>,
    /// Its size when the plan looked.
    pub size: u64,
}

/// One file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadFile {
    /// The remote file.
    pub remote: Vec<u8>,
    /// The temporary file to write ([`temp_path`](super::temp_path) of `target`).
    pub temp: PathBuf,
    /// Where the file ends up.
    pub target: PathBuf,
    /// Its path below the copied tree (its name, for a single file), for display.
    pub name: Vec<u8>,
    /// Its size, when the server said.
    pub size: Option<u64>,
}

/// What a local path is, as the plan needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    /// A regular file of this size.
    File {
        /// Bytes.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symbolic link (only from metadata that does not follow links).
    Link,
    /// Anything else: a pipe, a socket, a device.
    Other,
}

impl LocalKind {
    /// The kind `meta` describes.
    pub fn of(meta: &std::fs::Metadata) -> LocalKind {
        let ty = meta.file_type();
        if ty.is_symlink() {
            LocalKind::Link
        } else if ty.is_dir() {
            LocalKind::Dir
        } else if ty.is_file() {
            LocalKind::File { size: meta.len() }
        } else {
            LocalKind::Other
        }
    }
}

/// What a plan will move, given by [`Step::Planned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Files to copy.
    pub files: u64,
    /// Directories to make (the target's own included, for a tree).
    pub dirs: u64,
    /// Their bytes (as far as sizes are known).
    pub bytes: u64,
    /// Whether the source is a directory.
    pub tree: bool,
}

/// Something a copy skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A remote listing held a name that is not one plain path component.
    UnsafeName {
        /// The listed directory.
        dir: Vec<u8>,
        /// The name as the server sent it.
        name: Vec<u8>,
    },
    /// A remote entry that is neither a file nor a directory (a link, a device).
    NotCopied {
        /// Its path.
        path: Vec<u8>,
        /// What the listing says it is.
        kind: Kind,
    },
    /// A local link to a directory, not followed.
    LinkToDir(PathBuf),
    /// A local link to nothing.
    BrokenLink(PathBuf),
    /// A local entry that is neither a file nor a directory.
    NotAFile(PathBuf),
    /// A local name that cannot be sent (not UTF-8, where names are not bytes).
    LocalName(PathBuf),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self {
            Warning::UnsafeName { dir, name } => write!(
                f,
                "skipping {:?} in the listing of {}: not a plain name",
                lossy(name),
                lossy(dir)
            ),
            Warning::NotCopied { path, kind } => write!(
                f,
                "skipping {} (a {kind:?}, not a file or directory)",
                lossy(path)
            ),
            Warning::LinkToDir(p) => write!(
                f,
                "skipping {} (a link to a directory, not followed)",
                p.display()
            ),
            Warning::BrokenLink(p) => write!(f, "skipping {} (a broken link)", p.display()),
            Warning::NotAFile(p) => {
                write!(f, "skipping {} (not a file or directory)", p.display())
            }
            Warning::LocalName(p) => write!(f, "skipping {} (name not UTF-8)", p.display()),
        }
    }
}

/// What a finished plan moved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copied {
    /// Bytes transferred.
    pub bytes: u64,
    /// Files transferred.
    pub files: u64,
    /// What was skipped.
    pub warnings: Vec<Warning>,
}
