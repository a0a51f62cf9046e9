//! [`Client::upload`] and [`Client::download`]: local files and whole trees, copied in
//! large blocks; the file side runs on the [`blocking`] pool while the socket moves the
//! previous block, through two buffers that go back and forth (nothing is allocated per
//! block).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use blocking::unblock;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use sansftp::client::remote::{join, split_parent};
use sansftp::{Error, PathIoError};

use super::{Client, DataStream};

/// The block moved at a time between a file and a data connection.
const BLOCK: usize = 1 << 20;

/// Numbers temporary download names within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn local_error(path: &Path, e: io::Error) -> Error {
    Error::PathIo(PathIoError::with_path(path, e))
}

impl Client {
    /// Uploads a local file to the remote file `remote` (into it, keeping the file's
    /// name, when `remote` ends with `/`; missing parent directories are made first), or
    /// a local directory to the remote directory `remote`, like `cp -r local remote` when
    /// `remote` does not exist yet: `remote` gets `local`'s contents, directories made as
    /// needed, files overwritten. Returns the bytes sent.
    pub async fn upload(
        &mut self,
        local: impl AsRef<Path>,
        remote: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        let local = local.as_ref().to_path_buf();
        let into_dir = remote.as_ref().ends_with(b"/");
        let mut remote = trim_slashes(remote.as_ref()).to_vec();
        let meta = {
            let l = local.clone();
            unblock(move || std::fs::metadata(l)).await
        }
        .map_err(|e| local_error(&local, e))?;
        if meta.is_dir() {
            return self.upload_tree(local, remote).await;
        }
        if into_dir {
            let name = local.file_name().and_then(name_bytes).ok_or_else(|| {
                let e = io::Error::new(io::ErrorKind::InvalidInput, "no usable file name");
                local_error(&local, e)
            })?;
            remote = join(&remote, &name);
        }
        let (parent, _) = split_parent(&remote);
        if !parent.is_empty() && parent != b"/" {
            self.make_directory(parent, true).await?;
        }
        self.upload_file(local, &remote).await
    }

    /// Downloads the remote file `remote` to the local file `local` (into it, keeping
    /// the remote name, when `local` is an existing directory), or the remote
    /// directory `remote` to the local directory `local` (made as needed, with every
    /// file and directory below; links are skipped). A file is written to a temporary
    /// name beside its target and renamed over it once complete. Returns the bytes
    /// received.
    pub async fn download(
        &mut self,
        remote: impl AsRef<[u8]>,
        local: impl AsRef<Path>,
    ) -> Result<u64, Error> {
        let remote = trim_slashes(remote.as_ref()).to_vec();
        let local = local.as_ref().to_path_buf();
        let item = self.stat(&remote).await?;
        if item.entry.kind.is_dir() {
            self.download_tree(&remote, local).await
        } else {
            let mut local = local;
            let is_dir = {
                let l = local.clone();
                unblock(move || l.is_dir()).await
            };
            if is_dir {
                let (_, name) = split_parent(&remote);
                local = local_path(&local, b"", name).ok_or_else(|| {
                    Error::UnexpectedReply(format!(
                        "no local file name in {:?}",
                        String::from_utf8_lossy(&remote)
                    ))
                })?;
            }
            if let Some(parent) = local.parent().filter(|p| !p.as_os_str().is_empty()) {
                let p = parent.to_path_buf();
                unblock(move || std::fs::create_dir_all(p))
                    .await
                    .map_err(|e| local_error(parent, e))?;
            }
            self.download_file(&remote, local).await
        }
    }

    async fn upload_file(&mut self, local: PathBuf, remote: &[u8]) -> Result<u64, Error> {
        let file = {
            let l = local.clone();
            unblock(move || File::open(l)).await
        }
        .map_err(|e| local_error(&local, e))?;
        let mut stream = self.upload_stream(remote, 0).await?;
        match send_file(&mut stream, file, &local).await {
            Ok(n) => {
                stream.finish().await?;
                Ok(n)
            }
            Err(e) => {
                if let Err(abort) = stream.abort().await {
                    log::debug!("aborting the failed upload: {abort}");
                }
                Err(e)
            }
        }
    }

    async fn download_file(&mut self, remote: &[u8], local: PathBuf) -> Result<u64, Error> {
        let temp = TempFile(Some(temp_name(&local)));
        let path = temp.path().to_path_buf();
        let file = {
            let t = path.clone();
            unblock(move || File::create(t)).await
        }
        .map_err(|e| local_error(&path, e))?;
        let mut stream = self.download_stream(remote, 0).await?;
        let n = match receive_file(&mut stream, file, &path).await {
            Ok(n) => n,
            Err(e) => {
                if let Err(abort) = stream.abort().await {
                    log::debug!("aborting the failed download: {abort}");
                }
                return Err(e);
            }
        };
        stream.finish().await?;
        let target = local.clone();
        unblock(move || std::fs::rename(path, target))
            .await
            .map_err(|e| local_error(&local, e))?;
        temp.keep();
        Ok(n)
    }

    async fn upload_tree(&mut self, local: PathBuf, remote: Vec<u8>) -> Result<u64, Error> {
        self.make_directory(&remote, true).await?;
        let mut total = 0u64;
        let mut dirs = VecDeque::from([(local, remote)]);
        while let Some((dir, rdir)) = dirs.pop_front() {
            let entries = {
                let d = dir.clone();
                unblock(move || read_dir(&d)).await
            }
            .map_err(|e| local_error(&dir, e))?;
            for (name, is_dir) in entries {
                let Some(rname) = name_bytes(&name) else {
                    let path = dir.join(&name);
                    let e = io::Error::new(io::ErrorKind::InvalidData, "name is not UTF-8");
                    return Err(local_error(&path, e));
                };
                let rpath = join(&rdir, &rname);
                let lpath = dir.join(&name);
                if is_dir {
                    self.make_existing_directory(&rpath).await?;
                    dirs.push_back((lpath, rpath));
                } else {
                    total = total.saturating_add(self.upload_file(lpath, &rpath).await?);
                }
            }
        }
        Ok(total)
    }

    /// `MKD path`, where an existing directory is fine.
    async fn make_existing_directory(&mut self, path: &[u8]) -> Result<(), Error> {
        match self.make_directory(path, false).await {
            Err(e) if e.is_permanent() => {
                if self.is_dir(path).await? {
                    Ok(())
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    async fn download_tree(&mut self, remote: &[u8], local: PathBuf) -> Result<u64, Error> {
        let l = local.clone();
        unblock(move || std::fs::create_dir_all(l))
            .await
            .map_err(|e| local_error(&local, e))?;
        let items = self.list(remote, true).await?;
        let mut total = 0u64;
        for item in items {
            let kind = item.entry.kind;
            if !kind.is_dir() && !kind.is_file() {
                continue;
            }
            let target = local_path(&local, remote, &item.path).ok_or_else(|| {
                Error::UnexpectedReply(format!(
                    "the listing of {} holds an unsafe name: {:?}",
                    String::from_utf8_lossy(remote),
                    item.path_str()
                ))
            })?;
            if kind.is_dir() {
                let t = target.clone();
                unblock(move || std::fs::create_dir_all(t))
                    .await
                    .map_err(|e| local_error(&target, e))?;
            } else {
                // Breadth first: the parent directory was made before.
                total = total.saturating_add(self.download_file(&item.path, target).await?);
            }
        }
        Ok(total)
    }
}

/// A download's temporary file, removed when dropped (an error, a cancelled call)
/// unless [`keep`](TempFile::keep) says it was renamed into place.
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // A small synchronous unlink: `Drop` cannot await.
        let Some(path) = self.0.take() else {
            return;
        };
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                log::debug!("removing {}: {e}", path.display());
            }
            _ => {}
        }
    }
}

/// Copies `file` to an upload stream; reading the next block overlaps writing this one.
async fn send_file(stream: &mut DataStream<'_>, file: File, path: &Path) -> Result<u64, Error> {
    let mut buf = vec![0u8; BLOCK];
    let spare = vec![0u8; BLOCK];
    let mut reader = unblock(move || read_block(file, spare));
    let mut total = 0u64;
    loop {
        let (n, mut next, file) = reader.await.map_err(|e| local_error(path, e))?;
        if n == 0 {
            return Ok(total);
        }
        std::mem::swap(&mut buf, &mut next);
        reader = unblock(move || read_block(file, next));
        let block = buf.get(..n).unwrap_or_default();
        stream
            .write_all(block)
            .await
            .map_err(super::driver::io_error)?;
        total = total.saturating_add(n as u64);
    }
}

/// Copies a download stream to `file`; writing this block overlaps reading the next.
async fn receive_file(stream: &mut DataStream<'_>, file: File, path: &Path) -> Result<u64, Error> {
    let mut buf = vec![0u8; BLOCK];
    let spare = vec![0u8; BLOCK];
    let mut writer = unblock(move || Ok((spare, file)));
    let mut total = 0u64;
    loop {
        let n = fill(stream, &mut buf)
            .await
            .map_err(super::driver::io_error)?;
        let (mut spare, mut file) = writer.await.map_err(|e| local_error(path, e))?;
        if n == 0 {
            unblock(move || file.flush())
                .await
                .map_err(|e| local_error(path, e))?;
            return Ok(total);
        }
        total = total.saturating_add(n as u64);
        std::mem::swap(&mut buf, &mut spare);
        writer = unblock(move || {
            file.write_all(spare.get(..n).unwrap_or_default())?;
            Ok((spare, file))
        });
    }
}

/// Reads until `buf` is full or the file ends.
fn read_block(mut file: File, mut buf: Vec<u8>) -> io::Result<(usize, Vec<u8>, File)> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((n, buf, file))
}

/// Reads until `buf` is full or the stream ends.
async fn fill(stream: &mut DataStream<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match stream.read(rest).await? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A directory's entries: name and whether it is a directory (symlinks followed).
fn read_dir(dir: &Path) -> io::Result<Vec<(std::ffi::OsString, bool)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let is_dir = std::fs::metadata(entry.path())?.is_dir();
        out.push((entry.file_name(), is_dir));
    }
    out.sort();
    Ok(out)
}

/// `.<name>.sansftp-<pid>-<n>.part` beside `target`.
fn temp_name(target: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = format!(".{name}.sansftp-{}-{n}.part", std::process::id());
    target.with_file_name(temp)
}

/// A local name as the bytes sent to the server.
fn name_bytes(name: &std::ffi::OsStr) -> Option<Vec<u8>> {
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

/// Where the remote `path` under the listed `root` goes below `local`: `None` unless
/// every component is a plain name (a hostile listing cannot climb out with `..`).
fn local_path(local: &Path, root: &[u8], path: &[u8]) -> Option<PathBuf> {
    let rel = if root.is_empty() {
        path
    } else {
        path.strip_prefix(root)?
    };
    let mut out = local.to_path_buf();
    let mut any = false;
    for part in rel.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
        if part == b"." || part == b".." || part.contains(&0) || part.contains(&b'\\') {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            out.push(std::ffi::OsStr::from_bytes(part));
        }
        #[cfg(not(unix))]
        out.push(std::str::from_utf8(part).ok()?);
        any = true;
    }
    // A name that is the root itself, or that only matched a prefix of a longer name.
    let joined = root.is_empty() || root.ends_with(b"/") || rel.first() == Some(&b'/');
    (any && joined).then_some(out)
}

/// `path` without trailing slashes, except a lone `/`.
fn trim_slashes(path: &[u8]) -> &[u8] {
    let mut p = path;
    while p.len() > 1 && p.ends_with(b"/") {
        p = p.get(..p.len() - 1).unwrap_or_default();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_stay_below_the_target() {
        let l = Path::new("/tmp/x");
        assert_eq!(
            local_path(l, b"/a", b"/a/b/c"),
            Some(PathBuf::from("/tmp/x/b/c"))
        );
        assert_eq!(local_path(l, b"a", b"a/b"), Some(PathBuf::from("/tmp/x/b")));
        assert_eq!(local_path(l, b"", b"b"), Some(PathBuf::from("/tmp/x/b")));
        assert_eq!(local_path(l, b"/", b"/b"), Some(PathBuf::from("/tmp/x/b")));
        assert_eq!(local_path(l, b"/a", b"/a/../etc"), None);
        assert_eq!(local_path(l, b"/a", b"/ab/c"), None);
        assert_eq!(local_path(l, b"/a", b"/a"), None);
        assert_eq!(local_path(l, b"/a", b"/other"), None);
    }

    #[test]
    fn paths_split_and_join() {
        assert_eq!(split_parent(b"/a/b"), (&b"/a"[..], &b"b"[..]));
        assert_eq!(split_parent(b"/a"), (&b"/"[..], &b"a"[..]));
        assert_eq!(split_parent(b"a"), (&b""[..], &b"a"[..]));
        assert_eq!(trim_slashes(b"/a//"), b"/a");
        assert_eq!(trim_slashes(b"/"), b"/");
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"", b"x"), b"x");
        assert_eq!(join(b"/d", b"x"), b"/d/x");
    }
}
