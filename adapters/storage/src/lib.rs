//! Storage backends for sansftp servers, shared by the server adapters (async,
//! blocking, tokio), and what those adapters share about moving a transfer's file.
//!
//! The sans-IO [`Session`](sansftp::server::Session) asks for storage work with
//! [`Output::Storage`](sansftp::server::Output::Storage) and
//! [`Output::Transfer`](sansftp::server::Output::Transfer); an adapter answers with a
//! [`Storage`]: [`Storage::execute`] for the small operations, [`Storage::open_read`] and
//! [`Storage::open_write`] for file data, which never passes through the core.
//!
//! Two backends:
//!
//! - [`LocalFs`]: a directory tree on disk, each user confined to their base path;
//!   `..`, absolute paths and symlinks can never lead outside it. Uploads are atomic by
//!   default ([`UploadMode::Atomic`]: temp file renamed into place on commit);
//!   [`UploadMode::InPlace`] writes the target directly, as vsftpd does.
//! - [`MemoryFs`]: an in-memory tree, for tests and `sansftp serve --memory`; one tree
//!   per `MemoryFs`, shared by all users (base paths are ignored).
//!
//! Both give the same answers to the same operations (one test suite runs against
//! each), including the errors: a `REST` offset past the end of the file refuses the
//! upload ([`StorageError::InvalidOffset`], answered `554`) instead of leaving a zero-filled hole.
//!
//! The trait is synchronous: the blocking adapter calls it on the session's thread, the
//! async adapter on a thread pool (`blocking::unblock`), except the opens of a storage
//! that says they are quick ([`Storage::opens_quickly`]), which it calls inline.
//!
//! # Moving a transfer's file
//!
//! On [`Output::Transfer`](sansftp::server::Output::Transfer) an adapter opens the file
//! with [`Plan::open`] (on the thread at hand when [`opens_inline`] says so, else on a
//! pool), before touching the network, and moves the bytes the way the [`Plan`] says:
//! bytes in memory, its buffers, or on Linux `sendfile(2)` ([`sendfile::SendFile`]) and
//! `splice(2)` ([`splice::SpliceInto`]), which count what they move, classify their
//! errors and say when an executor should yield. The adapter keeps only its way of
//! waiting for a socket and of running a call on a pool.
//!
//! Other backends live in their own crates (`sansftp-objectstore`: S3 and compatible
//! servers); any crate can write one (below).
//!
//! # The storage contract
//!
//! What every backend does, checked by the public suite in the module `contract`
//! (feature `contract`; its macro `contract_suite!` runs it against a backend):
//!
//! - **Paths** are [`VirtualPath`]s below the user's root: absolute, normalized, never
//!   leading outside it (`..` is already resolved). Names are bytes (not always UTF-8)
//!   and come back from [`list`](Storage::list) as they went in.
//! - **Directories**: [`make_dir`](Storage::make_dir) makes one level in an existing
//!   directory (`AlreadyExists` for any existing name, the root included);
//!   [`remove_dir`](Storage::remove_dir) removes an empty one only (`NotEmpty`; the
//!   root is `PermissionDenied`); [`list`](Storage::list) gives one level, without `.`
//!   and `..`.
//! - **Reads** ([`open_read`](Storage::open_read)) start at any offset (`REST`); past
//!   the end they read nothing.
//! - **Uploads** ([`open_write`](Storage::open_write)) are invisible until
//!   [`WriteHandle::commit`], which makes them visible whole (a reader sees the old
//!   file or the new one, never a mix), and dropped without a trace when the handle is
//!   dropped uncommitted (a failure, an `ABOR`, a client that vanished). `REST n` +
//!   `STOR` keeps the first `n` bytes (`InvalidOffset` past the end); `STOU`
//!   ([`WriteMode::CreateNew`]) never replaces a file, at commit time too; `APPE`
//!   appends. Documented exceptions: `LocalFs` appends in place, and its
//!   [`UploadMode::InPlace`] writes as the bytes come.
//! - **Rename** replaces a file, never a directory; a directory moves with its
//!   contents, never into itself; the root never moves.
//! - **What a backend cannot do at all** (an object store: `APPE`, renaming a
//!   directory) is [`StorageError::Unsupported`], which the client sees as `502`, and
//!   changes nothing.
//! - **Errors** are the [`StorageError`] the session maps to replies: `NotFound`
//!   (`550`; `553` for an upload into a missing directory), `NotADirectory` below a file,
//!   `IsADirectory`, `AlreadyExists`, `NotEmpty`, `PermissionDenied` (`550`), `NoSpace`
//!   (`452`, `552` during an upload), `InvalidOffset` (`554`), `Unsupported` (`502`),
//!   `Other` (`451`: a real failure, with a short text; never credentials).
//! - **Blocking** is allowed everywhere (adapters call off their executors), except
//!   in the opens of a storage whose [`Storage::opens_quickly`] says true.
//!
//! # A backend of your own
//!
//! Implement [`Storage`]; give file bytes as a [`ReadHandle::stream`] (any `Read`) and
//! uploads as a [`WriteHandle::new`] around your [`Upload`]. A whole backend that keeps
//! one file (the root holds `/only`), read-only:
//!
//! ```
//! use std::io::Cursor;
//! use sansftp::listing::Entry;
//! use sansftp::path::VirtualPath;
//! use sansftp::server::{StorageError, User};
//! use sansftp::PathIoError;
//! use sansftp_storage::{ReadHandle, Storage, WriteHandle, WriteMode};
//!
//! struct OneFile(&'static [u8]);
//!
//! impl Storage for OneFile {
//!     fn check_root(&self, _: &User) -> Result<(), PathIoError> {
//!         Ok(())
//!     }
//!     fn metadata(&self, _: &User, path: &VirtualPath) -> Result<Entry, StorageError> {
//!         match path.to_string().as_str() {
//!             "/" => Ok(Entry::dir("/")),
//!             "/only" => Ok(Entry::file("only", self.0.len() as u64)),
//!             _ => Err(StorageError::NotFound),
//!         }
//!     }
//!     fn list(&self, user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
//!         match self.metadata(user, path)?.is_dir() {
//!             true => Ok(vec![Entry::file("only", self.0.len() as u64)]),
//!             false => Err(StorageError::NotADirectory),
//!         }
//!     }
//!     fn make_dir(&self, _: &User, _: &VirtualPath) -> Result<(), StorageError> {
//!         Err(StorageError::PermissionDenied)
//!     }
//!     fn remove_dir(&self, _: &User, _: &VirtualPath) -> Result<(), StorageError> {
//!         Err(StorageError::PermissionDenied)
//!     }
//!     fn remove_file(&self, _: &User, _: &VirtualPath) -> Result<(), StorageError> {
//!         Err(StorageError::PermissionDenied)
//!     }
//!     fn rename(&self, _: &User, _: &VirtualPath, _: &VirtualPath) -> Result<(), StorageError> {
//!         Err(StorageError::Unsupported("rename".into()))
//!     }
//!     fn open_read(&self, u: &User, p: &VirtualPath, at: u64) -> Result<ReadHandle, StorageError> {
//!         if self.metadata(u, p)?.is_dir() {
//!             return Err(StorageError::IsADirectory);
//!         }
//!         let rest = self.0.get(at.min(self.0.len() as u64) as usize..).unwrap_or_default();
//!         Ok(ReadHandle::stream(Cursor::new(rest)))
//!     }
//!     fn open_write(&self, _: &User, _: &VirtualPath, _: WriteMode) -> Result<WriteHandle, StorageError> {
//!         Err(StorageError::PermissionDenied)
//!     }
//! }
//!
//! let mut out = String::new();
//! let only = VirtualPath::parse(b"/only").unwrap();
//! let mut file = OneFile(b"hello").open_read(&User::anonymous(), &only, 1).unwrap();
//! std::io::Read::read_to_string(&mut file, &mut out).unwrap();
//! assert_eq!(out, "ello");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{self, Read, Write};
use std::time::SystemTime;

use sansftp::PathIoError;
use sansftp::listing::Entry;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, StorageOp, StorageOutcome, User};
use sansftp::time::DateTime;

#[cfg(target_os = "linux")]
mod beneath;
#[cfg(feature = "contract")]
pub mod contract;
pub mod copy;
mod hash;
mod leftovers;
mod local;
mod memory;
pub mod net;
mod plan;
#[cfg(target_os = "linux")]
pub mod sendfile;
#[cfg(target_os = "linux")]
pub mod splice;

pub use hash::hash_file;
pub use local::{LocalFs, UploadMode};
pub use memory::MemoryFs;
pub use plan::{Plan, opens_inline};
/// How [`Storage::open_write`] opens a file: the core decides it from the session's
/// [`TransferKind::Store`](sansftp::server::TransferKind::Store)
/// ([`Transfer::file`](sansftp::server::Transfer::file)).
pub use sansftp::server::WriteMode;

/// A file system a server serves. One value serves every session of a server, so it is
/// `Send + Sync`; every call names the [`User`] whose root it works in.
pub trait Storage: Send + Sync + 'static {
    /// Checks, when the server starts, that `user`'s root exists and is a directory.
    /// Fails with a [`PathIoError`] naming the path.
    fn check_root(&self, user: &User) -> Result<(), PathIoError>;

    /// Facts about one file or directory (`SIZE`, `MDTM`, `MLST`, `STAT path`, `CWD`).
    fn metadata(&self, user: &User, path: &VirtualPath) -> Result<Entry, StorageError>;

    /// The entries of a directory, without `.` and `..`, in any order.
    fn list(&self, user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError>;

    /// Creates one directory (its parent must exist).
    fn make_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError>;

    /// Removes an empty directory.
    fn remove_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError>;

    /// Removes a file (or a symlink, never what it points to).
    fn remove_file(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError>;

    /// Renames `from` to `to`, replacing a file at `to`.
    fn rename(&self, user: &User, from: &VirtualPath, to: &VirtualPath)
    -> Result<(), StorageError>;

    /// Opens a file for `RETR`, positioned at `offset` (past the end reads nothing).
    fn open_read(
        &self,
        user: &User,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<ReadHandle, StorageError>;

    /// Opens a file for `STOR`/`APPE`/`STOU`. What lands where, and when, is the
    /// backend's upload policy (see [`UploadMode`]); nothing is visible as complete until
    /// [`WriteHandle::commit`].
    fn open_write(
        &self,
        user: &User,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError>;

    /// Whether [`open_read`](Storage::open_read) and [`open_write`](Storage::open_write)
    /// return quickly and never block for long (memory, a local disk), so that an async
    /// adapter may call them inline on its executor instead of sending each to a thread
    /// pool. For small files the round trip to the pool costs more than the open itself
    /// (about a quarter of the server's CPU per file for 4 KiB downloads), but a call
    /// that *can* stall (a network file system, a remote object store, a storage that
    /// takes locks held across I/O) would stall every session on that executor.
    ///
    /// A resumed upload (`REST` + `STOR`) may copy the part of the file it keeps (as
    /// [`LocalFs`]'s atomic uploads do); adapters send it to the pool whatever this says.
    ///
    /// Only a hint, never needed for correctness: the default, `false`, keeps every call
    /// off the executor, which is right for any storage that does not know better.
    /// The small operations ([`execute`](Storage::execute)) and the file data always
    /// go to the pool whatever this says.
    fn opens_quickly(&self) -> bool {
        false
    }

    /// Sets the modification time of the file at `path` (`MFMT`). The default says the
    /// backend cannot.
    fn set_modified(
        &self,
        user: &User,
        path: &VirtualPath,
        modified: DateTime,
    ) -> Result<(), StorageError> {
        let _ = (user, path, modified);
        Err(StorageError::Unsupported(
            "modification times cannot be set here".into(),
        ))
    }

    /// Sets the permission bits (`0o7777` at most) of `path` (`SITE CHMOD`). The default
    /// says the backend has none.
    fn set_mode(&self, user: &User, path: &VirtualPath, mode: u32) -> Result<(), StorageError> {
        let _ = (user, path, mode);
        Err(StorageError::Unsupported(
            "permission bits cannot be set here".into(),
        ))
    }

    /// Runs one [`StorageOp`] the session asked for and gives the answer for
    /// [`Session::complete_storage`](sansftp::server::Session::complete_storage).
    /// Adapters call this rather than matching on the op themselves.
    fn execute(&self, user: &User, op: &StorageOp) -> Result<StorageOutcome, StorageError> {
        match op {
            StorageOp::Metadata(path) => self.metadata(user, path).map(StorageOutcome::Metadata),
            StorageOp::List(path) => Ok(StorageOutcome::Listing {
                entries: self.list(user, path)?,
                now: DateTime::from_system_time(SystemTime::now()).unwrap_or(DateTime::UNIX_EPOCH),
            }),
            StorageOp::MakeDir(path) => self.make_dir(user, path).map(|()| StorageOutcome::Done),
            StorageOp::RemoveDir(path) => {
                self.remove_dir(user, path).map(|()| StorageOutcome::Done)
            }
            StorageOp::RemoveFile(path) => {
                self.remove_file(user, path).map(|()| StorageOutcome::Done)
            }
            StorageOp::Rename { from, to } => {
                self.rename(user, from, to).map(|()| StorageOutcome::Done)
            }
            StorageOp::SetModified { path, modified } => self
                .set_modified(user, path, *modified)
                .map(|()| StorageOutcome::Done),
            StorageOp::SetMode { path, mode } => self
                .set_mode(user, path, *mode)
                .map(|()| StorageOutcome::Done),
            StorageOp::Hash { path, algorithm } => hash_file(self, user, path, *algorithm),
            _ => Err(StorageError::Unsupported("operation not supported".into())),
        }
    }
}

/// A shared backend is a backend, so a server can hold an `Arc<dyn Storage>` (or an
/// `Arc<LocalFs>`) and hand clones to its sessions.
///
/// ```
/// use std::sync::Arc;
/// use sansftp::path::VirtualPath;
/// use sansftp::server::User;
/// use sansftp_storage::{MemoryFs, Storage};
///
/// fn size(storage: &impl Storage) -> Option<u64> {
///     let path = VirtualPath::parse(b"/a").unwrap();
///     storage.metadata(&User::anonymous(), &path).ok()?.size
/// }
/// let shared: Arc<dyn Storage> = Arc::new(MemoryFs::new().with_file("/a", "abc"));
/// assert_eq!(size(&shared), Some(3));
/// ```
impl<S: Storage + ?Sized> Storage for std::sync::Arc<S> {
    fn check_root(&self, user: &User) -> Result<(), PathIoError> {
        (**self).check_root(user)
    }

    fn metadata(&self, user: &User, path: &VirtualPath) -> Result<Entry, StorageError> {
        (**self).metadata(user, path)
    }

    fn list(&self, user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
        (**self).list(user, path)
    }

    fn make_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        (**self).make_dir(user, path)
    }

    fn remove_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        (**self).remove_dir(user, path)
    }

    fn remove_file(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        (**self).remove_file(user, path)
    }

    fn rename(
        &self,
        user: &User,
        from: &VirtualPath,
        to: &VirtualPath,
    ) -> Result<(), StorageError> {
        (**self).rename(user, from, to)
    }

    fn open_read(
        &self,
        user: &User,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<ReadHandle, StorageError> {
        (**self).open_read(user, path, offset)
    }

    fn open_write(
        &self,
        user: &User,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError> {
        (**self).open_write(user, path, mode)
    }

    fn opens_quickly(&self) -> bool {
        (**self).opens_quickly()
    }

    fn set_modified(
        &self,
        user: &User,
        path: &VirtualPath,
        modified: DateTime,
    ) -> Result<(), StorageError> {
        (**self).set_modified(user, path, modified)
    }

    fn set_mode(&self, user: &User, path: &VirtualPath, mode: u32) -> Result<(), StorageError> {
        (**self).set_mode(user, path, mode)
    }

    fn execute(&self, user: &User, op: &StorageOp) -> Result<StorageOutcome, StorageError> {
        (**self).execute(user, op)
    }
}

/// A file opened for reading.
///
/// An enum rather than a `Box<dyn Read>` so that adapters keep their fast paths for the
/// two handles they know: a file on disk goes to the socket with `sendfile(2)`, bytes in
/// memory straight from their buffer. Any other backend gives a [`ReadHandle::Stream`],
/// any `Read` it implements (a network stream, a decompressor, ...), which adapters copy
/// through their buffers.
#[non_exhaustive]
pub enum ReadHandle {
    /// A file on disk, already positioned at the requested offset.
    File(std::fs::File),
    /// Bytes held in memory.
    Memory(io::Cursor<bytes::Bytes>),
    /// Any other source of the file's bytes, from the requested offset on. Its reads
    /// may block (adapters call them off their executors); an error ends the transfer
    /// with `451` (mapped by [`storage_error`]).
    Stream(Box<dyn Read + Send>),
}

impl ReadHandle {
    /// Wraps a backend's own reader.
    pub fn stream(reader: impl Read + Send + 'static) -> ReadHandle {
        ReadHandle::Stream(Box::new(reader))
    }

    /// Reads until `buf` is full or the file ends, and says how many bytes came: fewer
    /// than `buf` holds only at the end. For an adapter that carries each block to a
    /// thread pool and back: fewer, larger blocks mean fewer trips.
    pub fn read_full(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }
}

impl Read for ReadHandle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ReadHandle::File(f) => f.read(buf),
            ReadHandle::Memory(c) => c.read(buf),
            ReadHandle::Stream(r) => r.read(buf),
        }
    }
}

impl std::fmt::Debug for ReadHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadHandle::File(file) => f.debug_tuple("File").field(file).finish(),
            ReadHandle::Memory(c) => f.debug_tuple("Memory").field(c).finish(),
            ReadHandle::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// A file opened for writing. Write the data, then [`commit`](WriteHandle::commit) on
/// success; dropping it uncommitted (a client that vanished, an ABOR, an error) discards
/// the upload as the backend's policy says, so no file is ever half-written silently.
pub struct WriteHandle {
    inner: Box<dyn Upload>,
}

impl WriteHandle {
    /// Wraps a backend's upload.
    pub fn new(upload: impl Upload + 'static) -> WriteHandle {
        WriteHandle {
            inner: Box::new(upload),
        }
    }

    /// Makes the upload final (flush, then for atomic uploads rename into place).
    pub fn commit(mut self) -> Result<(), StorageError> {
        self.inner.commit()
    }

    /// The local file the upload's bytes go to, when writing to it directly is the same
    /// as writing through this handle ([`Upload::file`]): an adapter may then move bytes
    /// from the socket into it with `splice(2)`, without a copy through its own buffers.
    pub fn file(&mut self) -> Option<&mut std::fs::File> {
        self.inner.file()
    }
}

impl Write for WriteHandle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl std::fmt::Debug for WriteHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteHandle { .. }")
    }
}

/// A backend's in-progress upload: a writer that becomes final on [`Upload::commit`] and
/// is abandoned (per the backend's policy) when dropped without it.
pub trait Upload: Write + Send {
    /// Makes the written data final.
    fn commit(&mut self) -> Result<(), StorageError>;

    /// The local file this upload writes to, if every byte written through the upload
    /// goes to it unchanged at its current position (no buffering, no accounting in
    /// between), so that writing to the file directly is the same as writing through the
    /// upload. Adapters use it to `splice(2)` socket data into the file. The default,
    /// `None`, always writes through [`Write`].
    fn file(&mut self) -> Option<&mut std::fs::File> {
        None
    }
}

/// Maps an I/O error to the [`StorageError`] the session turns into a reply code.
pub fn storage_error(err: &io::Error) -> StorageError {
    StorageError::from_io_kind(err.kind(), err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives at most 3 bytes a call, and is interrupted once.
    struct Trickle(io::Cursor<Vec<u8>>, bool);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.1 {
                self.1 = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(3);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn whole_blocks_are_read_and_only_the_last_is_short() {
        let mut r = ReadHandle::stream(Trickle(io::Cursor::new((0..10).collect()), false));
        let mut buf = [0u8; 8];
        assert_eq!(r.read_full(&mut buf).unwrap(), 8);
        assert_eq!(buf, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.read_full(&mut buf).unwrap(), 2, "the end");
        assert_eq!(buf[..2], [8, 9]);
        assert_eq!(r.read_full(&mut buf).unwrap(), 0);
    }
}
