//! The local file-system backend: each user confined to their base path.
//!
//! # Confinement
//!
//! A [`VirtualPath`] has no `..` and maps under the user's root with
//! [`VirtualPath::under`], so a client's *name* can never leave the root. Symlinks can:
//! before every operation the real path is resolved with [`fs::canonicalize`] and must
//! start with the canonicalized root, else the operation fails with
//! [`StorageError::PermissionDenied`] (and a `warn!` log line). Operations that act on
//! the last component itself (`DELE`, `RMD`, `RNFR`/`RNTO`, `MKD`) resolve only its
//! parent, so a symlink can be deleted or renamed but never written *through* out of the
//! root. Links pointing inside the root are followed normally. A dangling link is never
//! written through (it could create a file anywhere) and answers `PermissionDenied`, as
//! does a missing name below a link out of the root (so "not found" cannot be used to
//! probe what exists outside).
//!
//! **Residual race:** std has no `openat`/`O_NOFOLLOW`, so between the check and the
//! open another *local* process able to write inside the root could swap a checked
//! directory for a symlink. FTP clients cannot create symlinks, so this needs a local
//! accomplice; a server shared with untrusted local users should not rely on this check
//! alone (run it in a container or chroot).
//!
//! **Linux, downloads and metadata:** [`LocalFs::open_read`] (and
//! [`LocalFs::metadata`], with an `O_PATH` descriptor) first asks the kernel to open the file
//! with `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` relative to the root, which
//! confines the walk in one call (no readlink per component, and no race: the check is
//! on the inode opened). Only its successes are used; anything it refuses, and kernels or
//! sandboxes without `openat2`, take the check above, so the answers are the same.
//!
//! # Uploads
//!
//! See [`UploadMode`]. [`Atomic`](UploadMode::Atomic) is the default.

use std::ffi::OsStr;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sansftp::PathIoError;
use sansftp::listing::{Entry, Kind};
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp::time::DateTime;

use crate::leftovers::{remove_leftovers, temp_owner};
use crate::memory::rest_beyond_end;
use crate::{ReadHandle, Storage, Upload, WriteHandle, WriteMode, storage_error};

/// A directory tree on disk; every user works under their own
/// [`base_path`](User::base_path) and cannot leave it (see the module docs).
///
/// Listings report owner and group as numeric uid/gid strings (`1000`): resolving names
/// needs `libc` (`getpwuid_r`), and a number is honest about what the disk holds. Names
/// that are not UTF-8 pass through unchanged on Unix.
///
/// ```
/// use std::io::Write;
/// use sansftp::path::VirtualPath;
/// use sansftp::server::User;
/// use sansftp_storage::{LocalFs, Storage, UploadMode, WriteMode};
///
/// let dir = tempfile::tempdir().unwrap();
/// let user = User::new("alice", "pw").base_path(dir.path());
/// let fs = LocalFs::new().with_upload_mode(UploadMode::Atomic);
/// fs.check_root(&user).unwrap();
///
/// let path = VirtualPath::parse(b"/../../notes.txt").unwrap(); // `..` stops at the root
/// let mut upload = fs.open_write(&user, &path, WriteMode::Write { offset: 0 }).unwrap();
/// upload.write_all(b"hello").unwrap();
/// upload.commit().unwrap();
/// assert_eq!(std::fs::read(dir.path().join("notes.txt")).unwrap(), b"hello");
/// ```
#[derive(Debug, Clone, Default)]
pub struct LocalFs {
    upload_mode: UploadMode,
    fsync: bool,
    /// Set by `with_quick_opens(false)`.
    slow_opens: bool,
    /// Set by `check_root` on a root on a network (or FUSE) file system; shared by clones.
    remote_root: Arc<AtomicBool>,
    /// The roots already rid of earlier processes' upload temporaries (`check_root`).
    cleaned: Arc<std::sync::Mutex<std::collections::HashSet<PathBuf>>>,
}

/// Where an upload's bytes go until it completes.
///
/// | mode | `STOR` | `REST`+`STOR` | `APPE` | `STOU` |
/// |---|---|---|---|---|
/// | `Atomic` | temp file, renamed over the target on commit | the first `offset` bytes are copied into the temp file (`copy_file_range` on Linux), then as `STOR` | appended in place; dropped uncommitted, the file is cut back to its old length (or removed if the upload created it) | temp file, hard-linked to the target on commit, so it never replaces a file that appeared meanwhile |
/// | `InPlace` | truncate and write the target | truncate at `offset`, write from there | append in place | create exclusively, write |
///
/// In `Atomic` mode a client that vanishes never changes an existing file: readers see
/// the old content until the new one is complete. `APPE` is the exception that keeps
/// resuming a big upload cheap: it writes in place because appending only adds bytes
/// that truncation removes exactly; readers may see the growing tail, and if the server
/// process itself dies mid-upload the tail stays. A replaced file keeps its permission
/// bits and, where the process may, its owner. Temporary files are named
/// `.<name>.sansftp-<pid>-<n>.part` next to the target and removed when the upload is
/// dropped; only a crash of the server can leave one behind.
///
/// `InPlace` is what vsftpd and pyftpdlib do: a partial upload stays on disk (so a
/// client can resume it with `REST`/`APPE`), and an interrupted `STOR` over an existing
/// file leaves it truncated. Choose it when resuming partial uploads matters more than
/// never exposing a half-written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UploadMode {
    /// Write to a temporary name, rename into place on commit (the default).
    #[default]
    Atomic,
    /// Write the target file directly.
    InPlace,
}

impl LocalFs {
    /// A backend with [`UploadMode::Atomic`] and no fsync on commit.
    pub fn new() -> LocalFs {
        LocalFs::default()
    }

    /// Sets the [`UploadMode`].
    pub fn with_upload_mode(mut self, mode: UploadMode) -> LocalFs {
        self.upload_mode = mode;
        self
    }

    /// Whether [`WriteHandle::commit`] calls `fsync` before making the upload final
    /// (default `false`: durability after a power loss costs a disk flush per file).
    pub fn with_fsync(mut self, fsync: bool) -> LocalFs {
        self.fsync = fsync;
        self
    }

    /// The upload mode in use.
    pub fn upload_mode(&self) -> UploadMode {
        self.upload_mode
    }

    /// Whether opens count as quick ([`Storage::opens_quickly`]): by default yes, unless
    /// [`check_root`](Storage::check_root) found a root on a network or FUSE file system
    /// (Linux), whose opens can stall. Pass `false` when roots that are not checked at
    /// start (users from an authenticator) may be on such a file system.
    pub fn with_quick_opens(mut self, quick: bool) -> LocalFs {
        self.slow_opens = !quick;
        self
    }
}

/// Whether `root` is on a file system whose calls may wait on a network or another
/// process (NFS, SMB/CIFS, 9p, FUSE, Ceph, AFS, ...). Unknown answers count as remote.
#[cfg(target_os = "linux")]
fn on_remote_fs(root: &Path) -> bool {
    const REMOTE: [u32; 12] = [
        0x6969,      // NFS
        0x517b,      // SMB
        0xfe53_4d42, // SMB2
        0xff53_4d42, // CIFS
        0x0102_1997, // 9p (v9fs)
        0x6573_5546, // FUSE
        0x00c3_6400, // Ceph
        0x5346_414f, // AFS
        0x7375_7245, // Coda
        0x0bd0_0bd0, // Lustre
        0x0116_1970, // GFS2
        0x7461_636f, // OCFS2
    ];
    match rustix::fs::statfs(root) {
        // The magic is 32 bits wide whatever the field's type on this architecture.
        Ok(st) => REMOTE.contains(&(st.f_type as u32)),
        Err(_) => true,
    }
}

impl Storage for LocalFs {
    /// See [`LocalFs::with_quick_opens`].
    fn opens_quickly(&self) -> bool {
        !self.slow_opens && !self.remote_root.load(Ordering::Relaxed)
    }

    fn check_root(&self, user: &User) -> Result<(), PathIoError> {
        let root = &user.base_path;
        let meta = fs::metadata(root).map_err(|e| PathIoError::with_path(root, e))?;
        if meta.is_dir() {
            self.clean_once(root);
            #[cfg(target_os = "linux")]
            if on_remote_fs(root) {
                log::debug!(
                    "{}: on a network file system, opens go to the pool",
                    root.display()
                );
                self.remote_root.store(true, Ordering::Relaxed);
            }
            Ok(())
        } else {
            let err = io::Error::new(io::ErrorKind::NotADirectory, "not a directory");
            Err(PathIoError::with_path(root, err))
        }
    }

    fn metadata(&self, user: &User, path: &VirtualPath) -> Result<Entry, StorageError> {
        hidden(path)?;
        let name = path.file_name().unwrap_or(b"/").to_vec();
        #[cfg(target_os = "linux")]
        if let Some(meta) = metadata_beneath(user, path) {
            return Ok(to_entry(name, &meta, None));
        }
        let jail = Jail::new(user)?;
        let real = jail.follow(path)?;
        let meta = fs::metadata(&real).map_err(|e| storage_error(&e))?;
        Ok(to_entry(name, &meta, None))
    }

    /// Symlinks are listed as links with their target and the link's own facts; they are
    /// not followed, so a link out of the root reveals nothing but its target text.
    fn list(&self, user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
        let jail = Jail::new(user)?;
        let real = jail.follow(path)?;
        if !fs::metadata(&real).map_err(|e| storage_error(&e))?.is_dir() {
            return Err(StorageError::NotADirectory);
        }
        let mut entries = Vec::new();
        for item in fs::read_dir(&real).map_err(|e| storage_error(&e))? {
            // An entry that vanishes while listing is simply not listed.
            let Ok(item) = item else { continue };
            let Ok(meta) = item.metadata() else { continue };
            let name = os_bytes(&item.file_name());
            if meta.is_file() && temp_owner(&name).is_some() {
                // An upload in progress (or a crash's leftover): not a file yet.
                continue;
            }
            let target = if meta.file_type().is_symlink() {
                fs::read_link(item.path()).ok()
            } else {
                None
            };
            entries.push(to_entry(name, &meta, target.as_deref()));
        }
        Ok(entries)
    }

    fn make_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::AlreadyExists);
        }
        let real = Jail::new(user)?.parent_and_name(path)?;
        fs::create_dir(&real).map_err(|e| storage_error(&e))
    }

    fn remove_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        if path.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        let real = Jail::new(user)?.parent_and_name(path)?;
        if !fs::symlink_metadata(&real)
            .map_err(|e| storage_error(&e))?
            .is_dir()
        {
            return Err(StorageError::NotADirectory);
        }
        fs::remove_dir(&real).map_err(|e| storage_error(&e))
    }

    fn remove_file(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        hidden(path)?;
        if path.is_root() {
            return Err(StorageError::IsADirectory);
        }
        let real = Jail::new(user)?.parent_and_name(path)?;
        if fs::symlink_metadata(&real)
            .map_err(|e| storage_error(&e))?
            .is_dir()
        {
            return Err(StorageError::IsADirectory);
        }
        fs::remove_file(&real).map_err(|e| storage_error(&e))
    }

    /// Renames the entry itself: a symlink is moved, not what it points to. Replacing a
    /// directory is refused ([`StorageError::AlreadyExists`]) although `rename(2)` would
    /// replace an empty one: an FTP client never means that.
    fn rename(
        &self,
        user: &User,
        from: &VirtualPath,
        to: &VirtualPath,
    ) -> Result<(), StorageError> {
        if from.is_root() || to.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        hidden(from)?;
        if temp_owner(to.file_name().unwrap_or_default()).is_some() {
            return Err(StorageError::PermissionDenied);
        }
        let jail = Jail::new(user)?;
        let source = jail.parent_and_name(from)?;
        let target = jail.parent_and_name(to)?;
        let source_meta = fs::symlink_metadata(&source).map_err(|e| storage_error(&e))?;
        if from == to {
            return Ok(());
        }
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => return Err(StorageError::AlreadyExists),
            Ok(_) if source_meta.is_dir() => return Err(StorageError::NotADirectory),
            _ => {}
        }
        if to.starts_with(from) {
            return Err(StorageError::Other(
                "cannot move a directory into itself".into(),
            ));
        }
        fs::rename(&source, &target).map_err(|e| storage_error(&e))
    }

    /// `MFMT`: the file's modification time, through a descriptor opened read-only
    /// (`futimens` needs the file's owner, not write access); regular files only.
    fn set_modified(
        &self,
        user: &User,
        path: &VirtualPath,
        modified: DateTime,
    ) -> Result<(), StorageError> {
        hidden(path)?;
        let time = modified
            .to_system_time()
            .ok_or_else(|| StorageError::Other("time out of range".into()))?;
        let real = Jail::new(user)?.follow(path)?;
        // Checked before opening: opening a FIFO would block until a writer comes.
        regular_file(&fs::metadata(&real).map_err(|e| storage_error(&e))?)?;
        let file = File::open(&real).map_err(|e| storage_error(&e))?;
        file.set_modified(time).map_err(|e| storage_error(&e))
    }

    /// `SITE CHMOD`: the mode of the entry `path` names (a link inside the root is
    /// followed, as `chmod` does).
    #[cfg(unix)]
    fn set_mode(&self, user: &User, path: &VirtualPath, mode: u32) -> Result<(), StorageError> {
        use std::os::unix::fs::PermissionsExt;
        hidden(path)?;
        let real = Jail::new(user)?.follow(path)?;
        let permissions = fs::Permissions::from_mode(mode & 0o7777);
        fs::set_permissions(&real, permissions).map_err(|e| storage_error(&e))
    }

    fn open_read(
        &self,
        user: &User,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<ReadHandle, StorageError> {
        hidden(path)?;
        #[cfg(target_os = "linux")]
        if let Some(file) = open_read_beneath(user, path) {
            return positioned(file, offset);
        }
        let real = Jail::new(user)?.follow(path)?;
        // Checked before opening: opening a FIFO would block until a writer comes.
        regular_file(&fs::metadata(&real).map_err(|e| storage_error(&e))?)?;
        let file = File::open(&real).map_err(|e| storage_error(&e))?;
        positioned(file, offset)
    }

    /// A `REST` offset beyond the end of the file (or any offset on a missing file) is
    /// refused, as pyftpdlib does (RFC 1123 allows `554`): zero-filling the gap, as
    /// vsftpd does, would silently corrupt a resumed upload.
    fn open_write(
        &self,
        user: &User,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError> {
        // A client may not make (or write into) a name of the temporaries' form: a
        // later start would take it for a leftover.
        if temp_owner(path.file_name().unwrap_or_default()).is_some() {
            return Err(StorageError::PermissionDenied);
        }
        if path.is_root() {
            return Err(if mode == WriteMode::CreateNew {
                StorageError::AlreadyExists
            } else {
                StorageError::IsADirectory
            });
        }
        let jail = Jail::new(user)?;
        let candidate = jail.parent_and_name(path)?;
        let target = match fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if mode == WriteMode::CreateNew {
                    return Err(StorageError::AlreadyExists);
                }
                // Writing goes to where the link points, checked like any other path.
                // A dangling link could create a file anywhere: never written through.
                let real = fs::canonicalize(&candidate).map_err(|_| {
                    log::warn!(
                        "{}: refusing to write through dangling link {path}",
                        user.display_name()
                    );
                    StorageError::PermissionDenied
                })?;
                jail.check(&real, path)?;
                real
            }
            Ok(_) => candidate,
            Err(e) if e.kind() == io::ErrorKind::NotFound => candidate,
            Err(e) => return Err(storage_error(&e)),
        };
        let existing = match fs::metadata(&target) {
            Ok(_) if mode == WriteMode::CreateNew => return Err(StorageError::AlreadyExists),
            Ok(meta) => {
                regular_file(&meta)?;
                Some(meta)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(storage_error(&e)),
        };
        let mut upload = match self.upload_mode {
            UploadMode::InPlace => open_in_place(&target, mode, existing.as_ref())?,
            UploadMode::Atomic => open_atomic(&target, mode, existing.as_ref())?,
        };
        upload.fsync = self.fsync;
        Ok(WriteHandle::new(upload))
    }
}

/// An upload temporary is not a file to clients: [`StorageError::NotFound`].
fn hidden(path: &VirtualPath) -> Result<(), StorageError> {
    match path.file_name().and_then(temp_owner) {
        Some(_) => Err(StorageError::NotFound),
        None => Ok(()),
    }
}

impl LocalFs {
    /// Removes the upload temporaries earlier processes left under `root`, once per
    /// root, and logs how many.
    fn clean_once(&self, root: &Path) {
        let mut cleaned = self.cleaned.lock().unwrap_or_else(|e| e.into_inner());
        if !cleaned.insert(root.to_owned()) {
            return;
        }
        drop(cleaned);
        match remove_leftovers(root) {
            Ok(0) => {}
            Ok(n) => log::info!(
                "{}: removed {n} temporary upload file(s) left by an earlier server",
                root.display()
            ),
            Err(e) => log::warn!("{}: cannot look for leftover uploads: {e}", root.display()),
        }
    }
}

/// The fast path of [`LocalFs::open_read`] on Linux: one `openat2` confined by the kernel
/// (see `beneath.rs`) instead of resolving every component. `None` sends the caller to
/// the portable path, which answers exactly (errors included) as it always has.
#[cfg(target_os = "linux")]
fn open_read_beneath(user: &User, path: &VirtualPath) -> Option<File> {
    // Only a regular file is opened: opening a FIFO would block until a writer comes, a
    // device may act on open. This stat is not confined, so it only decides whether to
    // try: what it sees is never told to the client (anything but a regular file takes
    // the portable path), and the open below is confined and checked again by `positioned`.
    if !fs::metadata(path.under(&user.base_path)).ok()?.is_file() {
        return None;
    }
    let rel = path.under(Path::new(""));
    crate::beneath::open_beneath(&user.base_path, &rel, rustix::fs::OFlags::RDONLY)
}

/// The fast path of [`LocalFs::metadata`] on Linux (`SIZE`, `MDTM`, `CWD`, ...): an
/// `O_PATH` descriptor confined like [`open_read_beneath`]'s, then `fstat`. `O_PATH`
/// never runs a device's or FIFO's open, so no type check is needed first. `None`: the
/// portable path answers.
#[cfg(target_os = "linux")]
fn metadata_beneath(user: &User, path: &VirtualPath) -> Option<Metadata> {
    let rel = path.under(Path::new(""));
    crate::beneath::open_beneath(&user.base_path, &rel, rustix::fs::OFlags::PATH)?
        .metadata()
        .ok()
}

/// An opened file, checked to be regular, positioned at `offset` for reading.
fn positioned(mut file: File, offset: u64) -> Result<ReadHandle, StorageError> {
    let meta = file.metadata().map_err(|e| storage_error(&e))?;
    regular_file(&meta)?;
    // A fresh descriptor is at 0 already. Past the end reads nothing; lseek refuses
    // offsets beyond i64::MAX.
    if offset > 0 {
        file.seek(SeekFrom::Start(offset.min(meta.len())))
            .map_err(|e| storage_error(&e))?;
    }
    Ok(ReadHandle::File(file))
}

/// A user's canonical root, and the checks that keep real paths under it.
struct Jail<'a> {
    user: &'a User,
    root: PathBuf,
}

impl<'a> Jail<'a> {
    fn new(user: &'a User) -> Result<Jail<'a>, StorageError> {
        let root = fs::canonicalize(&user.base_path).map_err(|e| {
            log::error!(
                "{}: root {} unusable: {e}",
                user.display_name(),
                user.base_path.display()
            );
            storage_error(&e)
        })?;
        Ok(Jail { user, root })
    }

    fn check(&self, real: &Path, path: &VirtualPath) -> Result<(), StorageError> {
        if real.starts_with(&self.root) {
            Ok(())
        } else {
            log::warn!(
                "{}: {path} resolves outside the root, refused",
                self.user.display_name()
            );
            Err(StorageError::PermissionDenied)
        }
    }

    /// The real path of `path`, every symlink resolved, checked to be inside the root.
    fn follow(&self, path: &VirtualPath) -> Result<PathBuf, StorageError> {
        match fs::canonicalize(path.under(&self.root)) {
            Ok(real) => {
                self.check(&real, path)?;
                Ok(real)
            }
            Err(e) => {
                // Say "denied", not "not found", for a path that leads outside: the
                // difference would tell the client what exists out there.
                self.check_prefix(path)?;
                Err(storage_error(&e))
            }
        }
    }

    /// After `path` failed to resolve: refuses when the longest prefix that does resolve
    /// is outside the root, or when a prefix is a dangling symlink.
    fn check_prefix(&self, path: &VirtualPath) -> Result<(), StorageError> {
        let mut current = path.parent();
        if is_symlink(&path.under(&self.root)) {
            return Err(StorageError::PermissionDenied);
        }
        while let Some(dir) = current {
            let full = dir.under(&self.root);
            match fs::canonicalize(&full) {
                Ok(real) => return self.check(&real, path),
                Err(_) if is_symlink(&full) => return Err(StorageError::PermissionDenied),
                Err(_) => current = dir.parent(),
            }
        }
        Ok(())
    }

    /// The real path of `path`'s parent (checked) joined with its own last component,
    /// which is *not* resolved: for operations on the entry itself. Not for the root.
    fn parent_and_name(&self, path: &VirtualPath) -> Result<PathBuf, StorageError> {
        let parent = path.parent().ok_or(StorageError::PermissionDenied)?;
        let real_parent = self.follow(&parent)?;
        let full = path.under(&self.root);
        let name = full.file_name().ok_or(StorageError::PermissionDenied)?;
        Ok(real_parent.join(name))
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Refuses directories and special files (FIFOs, devices, sockets) as file contents.
fn regular_file(meta: &Metadata) -> Result<(), StorageError> {
    if meta.is_file() {
        Ok(())
    } else if meta.is_dir() {
        Err(StorageError::IsADirectory)
    } else {
        Err(StorageError::Other("not a regular file".into()))
    }
}

/// For `REST` + `STOR`: the existing file must hold at least `offset` bytes.
fn check_resume(existing: Option<&Metadata>, offset: u64) -> Result<(), StorageError> {
    let size = existing.ok_or(StorageError::NotFound)?.len();
    if offset > size {
        return Err(rest_beyond_end(offset, size));
    }
    Ok(())
}

fn open_in_place(
    target: &Path,
    mode: WriteMode,
    existing: Option<&Metadata>,
) -> Result<LocalUpload, StorageError> {
    let io = |e: io::Error| storage_error(&e);
    let file = match mode {
        WriteMode::Write { offset: 0 } => File::create(target).map_err(io)?,
        WriteMode::Write { offset } => {
            check_resume(existing, offset)?;
            let mut file = OpenOptions::new().write(true).open(target).map_err(io)?;
            file.set_len(offset).map_err(io)?;
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            file
        }
        WriteMode::Append => OpenOptions::new()
            .append(true)
            .create(true)
            .open(target)
            .map_err(io)?,
        WriteMode::CreateNew => OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
            .map_err(io)?,
    };
    Ok(LocalUpload::new(file, Finish::InPlace))
}

fn open_atomic(
    target: &Path,
    mode: WriteMode,
    existing: Option<&Metadata>,
) -> Result<LocalUpload, StorageError> {
    let io = |e: io::Error| storage_error(&e);
    let offset = match mode {
        WriteMode::Append => {
            let file = OpenOptions::new()
                .append(true)
                .create(true)
                .open(target)
                .map_err(io)?;
            let finish = Finish::Append {
                path: target.to_owned(),
                original_len: existing.map_or(0, Metadata::len),
                created: existing.is_none(),
            };
            return Ok(LocalUpload::new(file, finish));
        }
        WriteMode::Write { offset } if offset > 0 => {
            check_resume(existing, offset)?;
            offset
        }
        _ => 0,
    };
    let (file, temp) = create_temp(target).map_err(io)?;
    let target = target.to_owned();
    let finish = if mode == WriteMode::CreateNew {
        Finish::CreateNew { temp, target }
    } else {
        Finish::Replace { temp, target }
    };
    // From here on, an early return drops `upload`, which removes the temp file.
    let mut upload = LocalUpload::new(file, finish);
    if let Some(meta) = existing {
        keep_owner_and_mode(&upload.file, meta);
    }
    if let Finish::Replace { target, .. } = &upload.finish
        && offset > 0
    {
        let source = File::open(target).map_err(io)?;
        let copied = io::copy(&mut source.take(offset), &mut upload.file).map_err(io)?;
        if copied != offset {
            return Err(StorageError::Other("file shrank while resuming".into()));
        }
    }
    Ok(upload)
}

/// Creates `.<name>.sansftp-<pid>-<n>.part` next to `target`, exclusively.
fn create_temp(target: &Path) -> io::Result<(File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(os_bytes).unwrap_or_default();
    // Leave room for the decoration within NAME_MAX (255 bytes).
    let name = &name[..name.len().min(180)];
    let mut attempts = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = b".".to_vec();
        temp_name.extend_from_slice(name);
        let suffix = format!(".sansftp-{}-{n}.part", std::process::id());
        temp_name.extend_from_slice(suffix.as_bytes());
        let temp = dir.join(bytes_os(temp_name));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            // A leftover of a crashed run that had the same pid: try the next number.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Best effort: a replaced file keeps its permission bits and owner.
fn keep_owner_and_mode(file: &File, meta: &Metadata) {
    let _ = file.set_permissions(meta.permissions());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Only root (or the owner keeping their own group) may do this; failure is fine.
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
}

/// What commit (and drop without commit) does with an upload.
enum Finish {
    /// Nothing: the bytes are already where they belong.
    InPlace,
    /// Rename `temp` over `target`; dropped: remove `temp`.
    Replace { temp: PathBuf, target: PathBuf },
    /// Link `temp` to `target` unless it exists, remove `temp`; dropped: remove `temp`.
    CreateNew { temp: PathBuf, target: PathBuf },
    /// Appended in place; dropped: cut back to `original_len` (or remove if `created`).
    Append {
        path: PathBuf,
        original_len: u64,
        created: bool,
    },
}

struct LocalUpload {
    file: File,
    finish: Finish,
    fsync: bool,
    done: bool,
}

impl LocalUpload {
    fn new(file: File, finish: Finish) -> LocalUpload {
        LocalUpload {
            file,
            finish,
            fsync: false,
            done: false,
        }
    }
}

impl Write for LocalUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.file.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Upload for LocalUpload {
    /// Every write goes straight to the file (temporary, or the target in place).
    fn file(&mut self) -> Option<&mut File> {
        Some(&mut self.file)
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        let io = |e: io::Error| storage_error(&e);
        if self.done {
            return Err(StorageError::Other("upload already committed".into()));
        }
        self.file.flush().map_err(io)?;
        if self.fsync {
            self.file.sync_all().map_err(io)?;
        }
        match &self.finish {
            Finish::InPlace | Finish::Append { .. } => {}
            Finish::Replace { temp, target } => fs::rename(temp, target).map_err(io)?,
            Finish::CreateNew { temp, target } => {
                // link(2) fails if the target exists: exclusive even against a file
                // that appeared since open_write.
                match fs::hard_link(temp, target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(io(e)),
                    // File systems without hard links: check, then rename (racy).
                    Err(_) if fs::symlink_metadata(target).is_ok() => {
                        return Err(StorageError::AlreadyExists);
                    }
                    Err(_) => fs::rename(temp, target).map_err(io)?,
                }
                let _ = fs::remove_file(temp);
            }
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let result = match &self.finish {
            Finish::InPlace => Ok(()),
            Finish::Replace { temp, .. } | Finish::CreateNew { temp, .. } => fs::remove_file(temp),
            Finish::Append {
                path,
                created: true,
                ..
            } => fs::remove_file(path),
            Finish::Append { original_len, .. } => self.file.set_len(*original_len),
        };
        if let Err(e) = result {
            log::warn!("cleaning up an abandoned upload failed: {e}");
        }
    }
}

fn to_entry(name: Vec<u8>, meta: &Metadata, link_target: Option<&Path>) -> Entry {
    let kind = file_kind(meta);
    let mut entry = match kind {
        Kind::Link => Entry::link(
            name,
            link_target
                .map(|t| os_bytes(t.as_os_str()))
                .unwrap_or_default(),
        ),
        kind => Entry::new(name, kind),
    }
    .with_size(meta.len());
    if let Some(time) = meta.modified().ok().and_then(DateTime::from_system_time) {
        entry = entry.with_modified(time);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        entry = entry
            .with_mode(meta.mode())
            .with_links(meta.nlink())
            .with_owner(meta.uid().to_string())
            .with_group(meta.gid().to_string());
        // MLSx `unique` (RFC 3659 §7.5.2): the device and inode, as pure-ftpd does.
        // Hex digits and `g` always make a valid fact value.
        let _ = entry.facts.push(
            "unique",
            format!("{:x}g{:x}", meta.dev(), meta.ino()).as_bytes(),
        );
        if matches!(kind, Kind::CharDevice | Kind::BlockDevice) {
            let rdev = meta.rdev();
            // glibc's major()/minor() encoding.
            let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
            let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
            entry.device = Some((major as u32, minor as u32));
        }
    }
    #[cfg(not(unix))]
    {
        entry = entry.with_mode(if meta.permissions().readonly() {
            0o444
        } else {
            0o644
        });
    }
    entry
}

fn file_kind(meta: &Metadata) -> Kind {
    let ft = meta.file_type();
    if ft.is_symlink() {
        return Kind::Link;
    }
    if ft.is_dir() {
        return Kind::Dir;
    }
    if ft.is_file() {
        return Kind::File;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_char_device() {
            return Kind::CharDevice;
        }
        if ft.is_block_device() {
            return Kind::BlockDevice;
        }
        if ft.is_fifo() {
            return Kind::Pipe;
        }
        if ft.is_socket() {
            return Kind::Socket;
        }
    }
    Kind::Other
}

/// A file name's bytes: exact on Unix, lossy elsewhere.
fn os_bytes(name: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        name.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

fn bytes_os(name: Vec<u8>) -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        std::ffi::OsString::from_vec(name)
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(&name).into_owned().into()
    }
}
