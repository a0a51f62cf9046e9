//! The in-memory backend: one tree of directories and files held in RAM.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use sansftp::PathIoError;
use sansftp::listing::Entry;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp::time::DateTime;

use crate::{ReadHandle, Storage, Upload, WriteHandle, WriteMode};

/// An in-memory file tree, for tests and `sansftp serve --memory`.
///
/// **One tree per `MemoryFs`**, shared by every user: a user's
/// [`base_path`](User::base_path) is ignored, so every user sees the same `/`. (Per-user
/// trees would make a test that logs in twice see two worlds; give each server its own
/// `MemoryFs` instead.) Clones share the tree, so a test can keep one clone to inspect
/// what the server stored.
///
/// Answers and errors are those of [`LocalFs`](crate::LocalFs) (one test suite runs
/// against both). Every upload, `APPE` included, is buffered and swapped in on
/// [`WriteHandle::commit`]: it is invisible until then and vanishes when dropped
/// uncommitted. Modification times are
/// the wall-clock time of the last change. Files show mode `0644`, directories `0755`,
/// owner and group `ftp`.
///
/// ```
/// use std::io::{Read, Write};
/// use sansftp::path::VirtualPath;
/// use sansftp::server::User;
/// use sansftp_storage::{MemoryFs, Storage, WriteMode};
///
/// let fs = MemoryFs::new().with_file("/pub/hello.txt", "hello");
/// let user = User::anonymous();
/// let path = VirtualPath::parse(b"/pub/hello.txt").unwrap();
///
/// let mut text = String::new();
/// fs.open_read(&user, &path, 1).unwrap().read_to_string(&mut text).unwrap();
/// assert_eq!(text, "ello");
///
/// let mut upload = fs.open_write(&user, &path, WriteMode::Append).unwrap();
/// upload.write_all(b", world").unwrap();
/// assert_eq!(fs.read("/pub/hello.txt").unwrap(), "hello"); // not yet committed
/// upload.commit().unwrap();
/// assert_eq!(fs.read("/pub/hello.txt").unwrap(), "hello, world");
/// ```
#[derive(Clone)]
pub struct MemoryFs {
    tree: Arc<Mutex<Tree>>,
}

impl MemoryFs {
    /// An empty tree holding only `/`, with no size limit.
    pub fn new() -> MemoryFs {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            b"/".to_vec(),
            Node::Dir {
                modified: SystemTime::now(),
            },
        );
        MemoryFs {
            tree: Arc::new(Mutex::new(Tree {
                nodes,
                used: 0,
                limit: None,
            })),
        }
    }

    /// Caps the total size of all files at `bytes`: an upload that would exceed it fails
    /// with [`io::ErrorKind::StorageFull`] (so the client gets `552`), which keeps a
    /// client from filling the server's memory.
    pub fn with_limit(self, bytes: u64) -> MemoryFs {
        self.lock().limit = Some(bytes);
        self
    }

    /// Adds (or replaces) a file, creating missing parent directories.
    ///
    /// # Panics
    ///
    /// When `path` is not a valid [`VirtualPath`] or one of its ancestors is a file:
    /// this is for setting up a tree in code, never for client input.
    pub fn with_file(self, path: &str, data: impl Into<Bytes>) -> MemoryFs {
        let path = parse_setup_path(path);
        {
            let mut tree = self.lock();
            if let Some(parent) = path.parent() {
                tree.make_dirs(&parent);
            }
            let data = data.into();
            tree.put_file(path.as_bytes().to_vec(), data);
        }
        self
    }

    /// Adds a directory and its missing parents.
    ///
    /// # Panics
    ///
    /// As [`with_file`](MemoryFs::with_file).
    pub fn with_dir(self, path: &str) -> MemoryFs {
        let path = parse_setup_path(path);
        self.lock().make_dirs(&path);
        self
    }

    /// The content of the file at `path`; `None` when it is missing, a directory, or
    /// `path` is not a valid path.
    pub fn read(&self, path: &str) -> Option<Bytes> {
        let path = VirtualPath::parse(path.as_bytes()).ok()?;
        match self.lock().nodes.get(path.as_bytes()) {
            Some(Node::File { data, .. }) => Some(data.clone()),
            _ => None,
        }
    }

    /// Whether `path` names a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        VirtualPath::parse(path.as_bytes()).is_ok_and(|path| {
            matches!(
                self.lock().nodes.get(path.as_bytes()),
                Some(Node::Dir { .. })
            )
        })
    }

    fn lock(&self) -> MutexGuard<'_, Tree> {
        lock(&self.tree)
    }
}

impl Default for MemoryFs {
    fn default() -> MemoryFs {
        MemoryFs::new()
    }
}

impl std::fmt::Debug for MemoryFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tree = self.lock();
        f.debug_struct("MemoryFs")
            .field("entries", &tree.nodes.len())
            .field("used", &tree.used)
            .field("limit", &tree.limit)
            .finish()
    }
}

impl Storage for MemoryFs {
    /// An open is a lookup in a map under a lock held only for the lookup.
    fn opens_quickly(&self) -> bool {
        true
    }

    /// Always succeeds: the tree does not use the base path.
    fn check_root(&self, _user: &User) -> Result<(), PathIoError> {
        Ok(())
    }

    fn metadata(&self, _user: &User, path: &VirtualPath) -> Result<Entry, StorageError> {
        let tree = self.lock();
        let node = tree.get(path)?;
        let name = path.file_name().unwrap_or(b"/");
        Ok(node.entry(name))
    }

    fn list(&self, _user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
        let tree = self.lock();
        match tree.get(path)? {
            Node::File { .. } => Err(StorageError::NotADirectory),
            Node::Dir { .. } => Ok(tree
                .children(path.as_bytes())
                .map(|(name, node)| node.entry(name))
                .collect()),
        }
    }

    fn set_modified(
        &self,
        _user: &User,
        path: &VirtualPath,
        time: DateTime,
    ) -> Result<(), StorageError> {
        let time = time
            .to_system_time()
            .ok_or_else(|| StorageError::Other("time out of range".into()))?;
        let mut tree = self.lock();
        tree.get(path)?;
        match tree.nodes.get_mut(path.as_bytes()) {
            Some(Node::File { modified, .. }) => {
                *modified = time;
                Ok(())
            }
            _ => Err(StorageError::IsADirectory),
        }
    }

    fn make_dir(&self, _user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        let mut tree = self.lock();
        if tree.nodes.contains_key(path.as_bytes()) {
            return Err(StorageError::AlreadyExists);
        }
        tree.check_parent(path)?;
        let now = SystemTime::now();
        tree.nodes
            .insert(path.as_bytes().to_vec(), Node::Dir { modified: now });
        tree.touch_parent(path.as_bytes(), now);
        Ok(())
    }

    fn remove_dir(&self, _user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        let mut tree = self.lock();
        if let Node::File { .. } = tree.get(path)? {
            return Err(StorageError::NotADirectory);
        }
        if tree.children(path.as_bytes()).next().is_some() {
            return Err(StorageError::NotEmpty);
        }
        tree.nodes.remove(path.as_bytes());
        tree.touch_parent(path.as_bytes(), SystemTime::now());
        Ok(())
    }

    fn remove_file(&self, _user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        let mut tree = self.lock();
        if let Node::Dir { .. } = tree.get(path)? {
            return Err(StorageError::IsADirectory);
        }
        tree.remove_file(path.as_bytes());
        tree.touch_parent(path.as_bytes(), SystemTime::now());
        Ok(())
    }

    fn rename(
        &self,
        _user: &User,
        from: &VirtualPath,
        to: &VirtualPath,
    ) -> Result<(), StorageError> {
        if from.is_root() || to.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        let mut tree = self.lock();
        let source_is_dir = matches!(tree.get(from)?, Node::Dir { .. });
        if from == to {
            return Ok(());
        }
        tree.check_parent(to)?;
        if to.starts_with(from) {
            // Linux says EINVAL; moving a directory under itself would detach the subtree.
            return Err(StorageError::Other(
                "cannot move a directory into itself".into(),
            ));
        }
        match tree.nodes.get(to.as_bytes()) {
            // `rename(2)` would replace an empty directory; FTP clients never mean that.
            Some(Node::Dir { .. }) => return Err(StorageError::AlreadyExists),
            Some(Node::File { .. }) if source_is_dir => return Err(StorageError::NotADirectory),
            Some(Node::File { .. }) => tree.remove_file(to.as_bytes()),
            None => {}
        }
        let node = tree
            .nodes
            .remove(from.as_bytes())
            .expect("source checked above");
        tree.nodes.insert(to.as_bytes().to_vec(), node);
        if source_is_dir {
            let old_prefix = dir_prefix(from.as_bytes());
            let moved: Vec<Vec<u8>> = tree
                .nodes
                .range(old_prefix.clone()..)
                .take_while(|(key, _)| key.starts_with(&old_prefix))
                .map(|(key, _)| key.clone())
                .collect();
            let new_prefix = dir_prefix(to.as_bytes());
            for key in moved {
                if let Some(node) = tree.nodes.remove(&key) {
                    let mut new_key = new_prefix.clone();
                    new_key.extend_from_slice(&key[old_prefix.len()..]);
                    tree.nodes.insert(new_key, node);
                }
            }
        }
        let now = SystemTime::now();
        tree.touch_parent(from.as_bytes(), now);
        tree.touch_parent(to.as_bytes(), now);
        Ok(())
    }

    fn open_read(
        &self,
        _user: &User,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<ReadHandle, StorageError> {
        let tree = self.lock();
        match tree.get(path)? {
            Node::Dir { .. } => Err(StorageError::IsADirectory),
            Node::File { data, .. } => {
                let mut cursor = Cursor::new(data.clone());
                cursor.set_position(offset);
                Ok(ReadHandle::Memory(cursor))
            }
        }
    }

    /// A `REST` offset beyond the end of the file (or any offset on a missing file) is
    /// refused, as pyftpdlib does (RFC 1123 §4.1.3.4 allows `554`): zero-filling the gap,
    /// as vsftpd does, would silently corrupt a resumed upload.
    fn open_write(
        &self,
        _user: &User,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError> {
        if path.is_root() {
            return Err(StorageError::IsADirectory);
        }
        let tree = self.lock();
        if mode == WriteMode::CreateNew && tree.nodes.contains_key(path.as_bytes()) {
            // Whatever is there, STOU must try another name (as `O_EXCL` says EEXIST).
            return Err(StorageError::AlreadyExists);
        }
        let existing = match tree.nodes.get(path.as_bytes()) {
            Some(Node::Dir { .. }) => return Err(StorageError::IsADirectory),
            Some(Node::File { data, .. }) => Some(data.clone()),
            None => None,
        };
        tree.check_parent(path)?;
        let mut buffer = Vec::new();
        match mode {
            WriteMode::Write { offset } if offset > 0 => {
                let data = existing.ok_or(StorageError::NotFound)?;
                let keep = usize::try_from(offset)
                    .ok()
                    .filter(|&keep| keep <= data.len())
                    .ok_or_else(|| rest_beyond_end(offset, data.len() as u64))?;
                buffer.extend_from_slice(&data[..keep]);
            }
            WriteMode::CreateNew if existing.is_some() => return Err(StorageError::AlreadyExists),
            _ => {}
        }
        drop(tree);
        Ok(WriteHandle::new(MemoryUpload {
            tree: Arc::clone(&self.tree),
            path: path.as_bytes().to_vec(),
            buffer,
            mode,
            done: false,
        }))
    }
}

/// The error for a `REST` offset past the end of the file being resumed.
pub(crate) fn rest_beyond_end(offset: u64, size: u64) -> StorageError {
    StorageError::InvalidOffset { offset, size }
}

/// An upload buffered in memory until [`Upload::commit`] swaps it in.
struct MemoryUpload {
    tree: Arc<Mutex<Tree>>,
    path: Vec<u8>,
    buffer: Vec<u8>,
    mode: WriteMode,
    done: bool,
}

impl Write for MemoryUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.done {
            return Err(io::Error::other("upload already committed"));
        }
        let tree = lock(&self.tree);
        if let Some(limit) = tree.limit {
            // A replaced file's bytes are freed on commit, so they do not count.
            let replaced = match self.mode {
                WriteMode::Write { .. } => tree.file_len(&self.path),
                _ => 0,
            };
            let wanted = (tree.used - replaced)
                .saturating_add(self.buffer.len() as u64)
                .saturating_add(buf.len() as u64);
            if wanted > limit {
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "memory storage limit reached",
                ));
            }
        }
        drop(tree);
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Upload for MemoryUpload {
    fn commit(&mut self) -> Result<(), StorageError> {
        if self.done {
            return Err(StorageError::Other("upload already committed".into()));
        }
        let mut tree = lock(&self.tree);
        // The tree may have changed since open_write: check again under the lock.
        let path =
            VirtualPath::parse(&self.path).map_err(|e| StorageError::Other(e.to_string()))?;
        tree.check_parent(&path)?;
        let data = match (tree.nodes.get(&self.path), self.mode) {
            (Some(_), WriteMode::CreateNew) => return Err(StorageError::AlreadyExists),
            (Some(Node::Dir { .. }), _) => return Err(StorageError::IsADirectory),
            (Some(Node::File { data, .. }), WriteMode::Append) => {
                let mut all = Vec::with_capacity(data.len() + self.buffer.len());
                all.extend_from_slice(data);
                all.extend_from_slice(&self.buffer);
                all
            }
            _ => std::mem::take(&mut self.buffer),
        };
        let old = tree.file_len(&self.path);
        if tree
            .limit
            .is_some_and(|limit| tree.used - old + data.len() as u64 > limit)
        {
            return Err(StorageError::NoSpace);
        }
        tree.put_file(self.path.clone(), Bytes::from(data));
        tree.touch_parent(&self.path, SystemTime::now());
        self.done = true;
        Ok(())
    }
}

struct Tree {
    /// Every node by its full path (`/`, `/a`, `/a/b`): a directory's descendants are the
    /// keys that follow it with its path plus `/` as prefix, so listing and moving a
    /// subtree are range scans.
    nodes: BTreeMap<Vec<u8>, Node>,
    /// Total bytes of all files.
    used: u64,
    limit: Option<u64>,
}

enum Node {
    Dir { modified: SystemTime },
    File { data: Bytes, modified: SystemTime },
}

impl Node {
    fn entry(&self, name: &[u8]) -> Entry {
        let (entry, modified) = match self {
            Node::Dir { modified } => (Entry::dir(name).with_mode(0o755).with_links(2), modified),
            Node::File { data, modified } => (
                Entry::file(name, data.len() as u64)
                    .with_mode(0o644)
                    .with_links(1),
                modified,
            ),
        };
        let entry = entry.with_owner("ftp").with_group("ftp");
        match DateTime::from_system_time(*modified) {
            Some(time) => entry.with_modified(time),
            None => entry,
        }
    }
}

impl Tree {
    /// The node at `path`, or why there is none: `NotADirectory` when an ancestor is a
    /// file (as `stat(2)` says `ENOTDIR`), else `NotFound`.
    fn get(&self, path: &VirtualPath) -> Result<&Node, StorageError> {
        match self.nodes.get(path.as_bytes()) {
            Some(node) => Ok(node),
            None => Err(self.missing(path)),
        }
    }

    fn missing(&self, path: &VirtualPath) -> StorageError {
        let mut ancestor = path.parent();
        while let Some(dir) = ancestor {
            match self.nodes.get(dir.as_bytes()) {
                Some(Node::File { .. }) => return StorageError::NotADirectory,
                Some(Node::Dir { .. }) => return StorageError::NotFound,
                None => ancestor = dir.parent(),
            }
        }
        StorageError::NotFound
    }

    /// Succeeds when the parent of `path` is an existing directory.
    fn check_parent(&self, path: &VirtualPath) -> Result<(), StorageError> {
        match path.parent() {
            None => Ok(()),
            Some(parent) => match self.get(&parent)? {
                Node::Dir { .. } => Ok(()),
                Node::File { .. } => Err(StorageError::NotADirectory),
            },
        }
    }

    /// The direct children of the directory at `dir`, as (name, node).
    fn children<'a>(&'a self, dir: &[u8]) -> impl Iterator<Item = (&'a [u8], &'a Node)> + 'a {
        let prefix = dir_prefix(dir);
        let len = prefix.len();
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(key, _)| key.starts_with(&prefix))
            .filter(move |(key, _)| key.len() > len && !key[len..].contains(&b'/'))
            .map(move |(key, node)| (&key[len..], node))
    }

    fn file_len(&self, path: &[u8]) -> u64 {
        match self.nodes.get(path) {
            Some(Node::File { data, .. }) => data.len() as u64,
            _ => 0,
        }
    }

    fn put_file(&mut self, path: Vec<u8>, data: Bytes) {
        let old = self.file_len(&path);
        self.used = self.used - old + data.len() as u64;
        let modified = SystemTime::now();
        self.nodes.insert(path, Node::File { data, modified });
    }

    fn remove_file(&mut self, path: &[u8]) {
        self.used -= self.file_len(path);
        self.nodes.remove(path);
    }

    fn touch_parent(&mut self, path: &[u8], now: SystemTime) {
        let parent = match memchr_last_slash(path) {
            0 => &path[..1],
            cut => &path[..cut],
        };
        if let Some(Node::Dir { modified }) = self.nodes.get_mut(parent) {
            *modified = now;
        }
    }

    /// `mkdir -p` for builder helpers.
    fn make_dirs(&mut self, path: &VirtualPath) {
        let mut current = VirtualPath::root();
        for component in path.components() {
            current = current
                .join(component)
                .expect("a component of a valid path");
            match self.nodes.get(current.as_bytes()) {
                Some(Node::Dir { .. }) => {}
                Some(Node::File { .. }) => panic!("MemoryFs: {current} is a file"),
                None => {
                    let modified = SystemTime::now();
                    self.nodes
                        .insert(current.as_bytes().to_vec(), Node::Dir { modified });
                }
            }
        }
    }
}

/// `dir` with a trailing slash: the prefix shared by every descendant's key.
fn dir_prefix(dir: &[u8]) -> Vec<u8> {
    let mut prefix = dir.to_vec();
    if prefix.last() != Some(&b'/') {
        prefix.push(b'/');
    }
    prefix
}

fn memchr_last_slash(path: &[u8]) -> usize {
    path.iter().rposition(|&b| b == b'/').unwrap_or(0)
}

fn parse_setup_path(path: &str) -> VirtualPath {
    VirtualPath::parse(path.as_bytes())
        .unwrap_or_else(|e| panic!("MemoryFs: invalid path {path:?}: {e}"))
}

/// Locks the tree; a panic elsewhere while it was held leaves it consistent enough (every
/// change is a few map operations), so a poisoned lock is recovered, not propagated.
fn lock(tree: &Mutex<Tree>) -> MutexGuard<'_, Tree> {
    tree.lock().unwrap_or_else(PoisonError::into_inner)
}
