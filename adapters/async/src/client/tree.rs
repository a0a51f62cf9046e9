//! [`Client::upload`], [`Client::download`] and [`Client::run_plan`]: the core's
//! [`Plan`] decides what a copy of a file or a tree means (`sansftp::client::tree` has
//! the rules); this file carries its steps out. Files are copied in large blocks; the
//! file side runs on the [`blocking`] pool while the socket moves the previous block,
//! through two buffers that go back and forth (nothing is allocated per block).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use blocking::unblock;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use sansftp::client::tree::{Copied, LocalKind, Plan, Step};
use sansftp::{Error, PathIoError};

use super::{Client, DataStream};

/// The block moved at a time between a file and a data connection.
const BLOCK: usize = 1 << 20;

fn local_error(path: &Path, e: io::Error) -> Error {
    Error::PathIo(PathIoError::with_path(path, e))
}

impl Client {
    /// Uploads a local file or tree to `remote`, like `cp -r local remote`: into
    /// `remote/<name>` when `remote` is an existing directory (or ends with `/`), else
    /// as `remote` (missing parents made). Links to directories below `local` are not
    /// followed. The rules are `sansftp::client::tree`'s; [`run_plan`](Client::run_plan)
    /// also gives the warnings. Returns the bytes sent.
    pub async fn upload(
        &mut self,
        local: impl AsRef<Path>,
        remote: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        let plan = Plan::upload(local.as_ref(), remote.as_ref());
        self.run_plan(plan).await.map(|c| c.bytes)
    }

    /// Downloads a remote file or tree to `local`, like `cp -r remote local`: into
    /// `local/<name>` when `local` is an existing directory (or ends with `/`), else as
    /// `local`. Each file is written to a temporary name beside its target and renamed
    /// when complete; unsafe names in a listing are skipped. Returns the bytes received.
    pub async fn download(
        &mut self,
        remote: impl AsRef<[u8]>,
        local: impl AsRef<Path>,
    ) -> Result<u64, Error> {
        let plan = Plan::download(remote.as_ref(), local.as_ref());
        self.run_plan(plan).await.map(|c| c.bytes)
    }

    /// Carries out a copy [`Plan`]: what was moved, with the warnings of what was
    /// skipped (also logged). A call cancelled mid-way leaves no temporary file.
    pub async fn run_plan(&mut self, mut plan: Plan) -> Result<Copied, Error> {
        let mut temp = TempFile(None);
        while let Some(step) = plan.next_step() {
            match step {
                Step::StatLocal(p) => {
                    let kind = unblock(move || fs::metadata(p).map(|m| LocalKind::of(&m)));
                    plan.local_kind(kind.await)
                }
                Step::Canonicalize(p) => plan.canonical(unblock(move || fs::canonicalize(p)).await),
                Step::ReadLocalDir(p) => plan.local_entries(unblock(move || read_dir(&p)).await),
                Step::StatRemote(p) => plan.remote_item(self.stat(p).await),
                Step::ListRemote(p) => plan.remote_entries(self.list(p, false).await),
                Step::MakeRemoteDir { path, parents } => {
                    plan.remote_done(self.make_directory(path, parents).await)
                }
                Step::MakeLocalDir(p) => {
                    plan.local_done(unblock(move || fs::create_dir_all(p)).await)
                }
                Step::Upload(f) => plan.transferred(self.upload_file(f.local, &f.remote).await),
                Step::Download(f) => {
                    temp.0 = Some(f.temp.clone());
                    plan.transferred(self.download_file(&f.remote, f.temp).await)
                }
                Step::Rename { from, to } => {
                    let renamed = unblock(move || fs::rename(from, to)).await;
                    temp.0 = temp.0.take().filter(|_| renamed.is_err());
                    plan.local_done(renamed)
                }
                Step::RemoveLocal(p) => {
                    temp.0 = None;
                    plan.local_done(unblock(move || fs::remove_file(p)).await)
                }
                Step::Planned(_) => {}
                Step::Warning(w) => log::warn!("{w}"),
            }
        }
        plan.finish()
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

    /// Downloads one file to `temp` (the plan renames it into place, or removes it).
    async fn download_file(&mut self, remote: &[u8], temp: PathBuf) -> Result<u64, Error> {
        let file = {
            let t = temp.clone();
            unblock(move || File::create(t)).await
        }
        .map_err(|e| local_error(&temp, e))?;
        let mut stream = self.download_stream(remote, 0).await?;
        match receive_file(&mut stream, file, &temp).await {
            Ok(n) => {
                stream.finish().await?;
                Ok(n)
            }
            Err(e) => {
                if let Err(abort) = stream.abort().await {
                    log::debug!("aborting the failed download: {abort}");
                }
                Err(e)
            }
        }
    }
}

/// A download's temporary file, removed when the plan's future is dropped before it
/// was renamed into place or removed (a cancelled call).
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        // A small synchronous unlink: `Drop` cannot await.
        if let Some(path) = self.0.take() {
            if let Err(e) = fs::remove_file(&path) {
                log::debug!("removing {}: {e}", path.display());
            }
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

/// A directory's entries, links not followed.
fn read_dir(dir: &Path) -> io::Result<Vec<(OsString, LocalKind)>> {
    let kind = |e: fs::DirEntry| Ok((e.file_name(), LocalKind::of(&e.metadata()?)));
    fs::read_dir(dir)?.map(|e| e.and_then(kind)).collect()
}
