//! The file tree one user sees in the store: what a path is (an object is a file; a
//! key prefix with anything below it, or a [`MARKER`](crate::keys::MARKER), is a
//! directory), and each storage operation on it, as the contract on
//! [`sansftp_storage::Storage`] says.

use std::sync::Arc;

use futures::StreamExt;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};
use sansftp::listing::Entry;
use sansftp::path::VirtualPath;
use sansftp::server::StorageError;
use sansftp::time::DateTime;
use sansftp_storage::{ReadHandle, WriteHandle, WriteMode};
use tokio::runtime::Handle;

use crate::error::storage_error;
use crate::keys;
use crate::read::ObjectReader;
use crate::upload::ObjectUpload;

/// What a path is in the store.
pub enum Probe {
    /// An object.
    File(ObjectMeta),
    /// A prefix with objects below it (a marker, at least).
    Dir,
    /// Nothing.
    Missing,
}

/// One user's tree: the store, the runtime its calls wait on, the user's root key.
pub struct Tree<'a> {
    /// The store.
    pub store: &'a Arc<dyn ObjectStore>,
    /// The backend's runtime.
    pub runtime: &'a Handle,
    /// The key prefix of the user's `/`.
    pub root: Path,
}

impl Tree<'_> {
    /// `SIZE`, `MDTM`, `MLST`, `CWD`.
    pub fn metadata(&self, path: &VirtualPath) -> Result<Entry, StorageError> {
        let name = path.file_name().unwrap_or(b"/").to_vec();
        if path.is_root() {
            return Ok(dir_entry(name));
        }
        match self.probe(path)? {
            Probe::File(meta) => Ok(file_entry(name, &meta)),
            Probe::Dir => Ok(dir_entry(name)),
            Probe::Missing => Err(self.missing(path)),
        }
    }

    /// `LIST`, `MLSD`, `NLST`: one `list_with_delimiter`; its common prefixes are the
    /// directories.
    pub fn list(&self, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
        let dir = self.key(path)?;
        let prefix = (!dir.as_ref().is_empty()).then_some(&dir);
        let listing = self.wait(self.store.list_with_delimiter(prefix))?;
        let mut entries = Vec::with_capacity(listing.objects.len() + listing.common_prefixes.len());
        for meta in &listing.objects {
            if meta.location == dir {
                continue;
            }
            if let Some(name) = keys::name(&meta.location) {
                entries.push(file_entry(name, meta));
            }
        }
        for p in &listing.common_prefixes {
            if let Some(name) = keys::name(p) {
                entries.push(dir_entry(name));
            }
        }
        if entries.is_empty() && listing.objects.is_empty() && !path.is_root() {
            return match self.probe(path)? {
                Probe::File(_) => Err(StorageError::NotADirectory),
                Probe::Dir => Ok(entries),
                Probe::Missing => Err(self.missing(path)),
            };
        }
        Ok(entries)
    }

    /// `MKD`: writes the directory's marker, in an existing directory.
    pub fn make_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::AlreadyExists);
        }
        if !matches!(self.probe(path)?, Probe::Missing) {
            return Err(StorageError::AlreadyExists);
        }
        self.parent_is_dir(path)?;
        let marker = keys::marker(&self.key(path)?);
        self.wait(self.store.put(&marker, PutPayload::new()))?;
        Ok(())
    }

    /// `RMD`: removes the marker of a directory with nothing else below it.
    pub fn remove_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        match self.probe(path)? {
            Probe::File(_) => return Err(StorageError::NotADirectory),
            Probe::Missing => return Err(self.missing(path)),
            Probe::Dir => {}
        }
        let dir = self.key(path)?;
        let marker = keys::marker(&dir);
        let mut below = self.store.list(Some(&dir));
        while let Some(meta) = self.runtime.block_on(below.next()) {
            if meta.map_err(storage_error)?.location != marker {
                return Err(StorageError::NotEmpty);
            }
        }
        self.wait(self.store.delete(&marker))
    }

    /// `DELE`.
    pub fn remove_file(&self, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::IsADirectory);
        }
        match self.probe(path)? {
            Probe::File(meta) => self.wait(self.store.delete(&meta.location)),
            Probe::Dir => Err(StorageError::IsADirectory),
            Probe::Missing => Err(self.missing(path)),
        }
    }

    /// `RNFR`/`RNTO` of a file: a server-side copy, then the delete of the source. A
    /// directory is [`StorageError::Unsupported`]: its objects would move one by one, and
    /// a failure half-way would leave it split in two.
    pub fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> Result<(), StorageError> {
        if from.is_root() || to.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        let source = match self.probe(from)? {
            Probe::File(meta) => meta.location,
            Probe::Dir => return Err(StorageError::Unsupported("renaming a directory".into())),
            Probe::Missing => return Err(self.missing(from)),
        };
        if from == to {
            return Ok(());
        }
        if let Probe::Dir = self.probe(to)? {
            return Err(StorageError::AlreadyExists);
        }
        self.parent_is_dir(to)?;
        let target = self.key(to)?;
        self.wait(self.store.copy(&source, &target))?;
        self.wait(self.store.delete(&source))
    }

    /// `RETR` from `offset`: a ranged GET, read as it streams.
    pub fn open_read(&self, path: &VirtualPath, offset: u64) -> Result<ReadHandle, StorageError> {
        if path.is_root() {
            return Err(StorageError::IsADirectory);
        }
        let key = self.key(path)?;
        let options = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            ..GetOptions::default()
        };
        let got = match self.wait(self.store.get_opts(&key, options)) {
            Ok(got) => got,
            Err(StorageError::NotFound) => {
                return Err(match self.probe(path)? {
                    Probe::Dir => StorageError::IsADirectory,
                    _ => self.missing(path),
                });
            }
            // A range that starts at or past the end (`416`): nothing to read, if the
            // file is there.
            Err(e) => {
                return match self.probe(path)? {
                    Probe::File(meta) if offset >= meta.size => {
                        Ok(ReadHandle::stream(std::io::empty()))
                    }
                    _ => Err(e),
                };
            }
        };
        let body = got.into_stream();
        Ok(ReadHandle::stream(ObjectReader::new(
            self.runtime.clone(),
            body,
        )))
    }

    /// `STOR`, `REST` + `STOR` (the kept head of the old object streams into the new
    /// upload first), `STOU`. `APPE` is [`StorageError::Unsupported`].
    pub fn open_write(
        &self,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError> {
        let offset = match mode {
            WriteMode::Write { offset } => offset,
            WriteMode::CreateNew => 0,
            WriteMode::Append => return Err(StorageError::Unsupported("APPE".into())),
        };
        if path.is_root() {
            return Err(StorageError::IsADirectory);
        }
        let existing = match self.probe(path)? {
            Probe::Dir if mode == WriteMode::CreateNew => return Err(StorageError::AlreadyExists),
            Probe::Dir => return Err(StorageError::IsADirectory),
            Probe::File(_) if mode == WriteMode::CreateNew => {
                return Err(StorageError::AlreadyExists);
            }
            Probe::File(meta) => Some(meta),
            Probe::Missing => None,
        };
        self.parent_is_dir(path)?;
        let key = self.key(path)?;
        let store = Arc::clone(self.store);
        let create_new = mode == WriteMode::CreateNew;
        let mut upload = ObjectUpload::new(store, self.runtime.clone(), key.clone(), create_new);
        if offset > 0 {
            let size = existing.as_ref().map(|m| m.size);
            match size {
                None => return Err(StorageError::NotFound),
                Some(size) if offset > size => {
                    return Err(StorageError::InvalidOffset { offset, size });
                }
                Some(_) => self.copy_head(&key, offset, &mut upload)?,
            }
        }
        Ok(WriteHandle::new(upload))
    }

    /// Streams the first `len` bytes of `key` into `upload`.
    fn copy_head(
        &self,
        key: &Path,
        len: u64,
        upload: &mut ObjectUpload,
    ) -> Result<(), StorageError> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(0..len)),
            ..GetOptions::default()
        };
        let got = self.wait(self.store.get_opts(key, options))?;
        let mut reader = ObjectReader::new(self.runtime.clone(), got.into_stream());
        let copied = std::io::copy(&mut reader, upload)
            .map_err(|e| StorageError::Other(format!("copying the kept part of the file: {e}")))?;
        match copied == len {
            true => Ok(()),
            false => Err(StorageError::Other(
                "the file changed while resuming".into(),
            )),
        }
    }

    /// What `path` is.
    pub fn probe(&self, path: &VirtualPath) -> Result<Probe, StorageError> {
        if path.is_root() {
            return Ok(Probe::Dir);
        }
        let key = self.key(path)?;
        match self.wait(self.store.head(&key)) {
            Ok(meta) => return Ok(Probe::File(meta)),
            Err(StorageError::NotFound) => {}
            Err(e) => return Err(e),
        }
        let mut below = self.store.list(Some(&key));
        match self.runtime.block_on(below.next()) {
            Some(Ok(_)) => Ok(Probe::Dir),
            Some(Err(e)) => Err(storage_error(e)),
            None => Ok(Probe::Missing),
        }
    }

    /// Why `path`, which is missing, is: below a file, `NotADirectory`; else `NotFound`.
    fn missing(&self, path: &VirtualPath) -> StorageError {
        let mut up = path.parent();
        while let Some(p) = up {
            match self.probe(&p) {
                Ok(Probe::File(_)) => return StorageError::NotADirectory,
                Ok(Probe::Dir) => break,
                Ok(Probe::Missing) => up = p.parent(),
                Err(e) => return e,
            }
        }
        StorageError::NotFound
    }

    /// Whether a new entry may be made at `path`: its parent is a directory.
    fn parent_is_dir(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let parent = path.parent().ok_or(StorageError::PermissionDenied)?;
        match self.probe(&parent)? {
            Probe::Dir => Ok(()),
            Probe::File(_) => Err(StorageError::NotADirectory),
            Probe::Missing => Err(self.missing(&parent)),
        }
    }

    fn key(&self, path: &VirtualPath) -> Result<Path, StorageError> {
        keys::key(&self.root, path)
    }

    fn wait<T>(&self, f: impl Future<Output = object_store::Result<T>>) -> Result<T, StorageError> {
        self.runtime.block_on(f).map_err(storage_error)
    }
}

fn file_entry(name: Vec<u8>, meta: &ObjectMeta) -> Entry {
    let entry = Entry::file(name, meta.size).with_mode(0o644);
    match DateTime::from_unix(meta.last_modified.timestamp()) {
        Some(time) => entry.with_modified(time),
        None => entry,
    }
}

fn dir_entry(name: Vec<u8>) -> Entry {
    Entry::dir(name).with_mode(0o755)
}
