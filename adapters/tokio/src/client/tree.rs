//! [`Client::run_plan`] (and so [`Client::upload`] and [`Client::download`]): the
//! core's [`Plan`] decides what a copy of a file or a tree means; this carries its
//! steps out, the file side on tokio's blocking pool, one file at a time in 1 MiB
//! blocks through one buffer that travels to the pool and back (nothing is allocated
//! per block).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use sansftp::buffer::DataBuffer;
use sansftp::client::tree::{Copied, Plan, Step};
use sansftp::{Error, PathIoError};
use sansftp_storage::copy::{TempFile, answer_local, read_block};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::spawn_blocking;

use super::Client;

/// The block moved at a time between a file and a data connection.
const BLOCK: usize = 1 << 20;

impl Client {
    /// Carries out a copy [`Plan`] (`Plan::upload(local, remote)`,
    /// `Plan::download(remote, local)`; `sansftp::client::tree` has the rules): what
    /// was moved, with the warnings of what was skipped (also logged). A call
    /// cancelled mid-way leaves no temporary file.
    pub async fn run_plan(&mut self, mut plan: Plan) -> Result<Copied, Error> {
        let mut temp = TempFile::default();
        while let Some(step) = plan.next_step() {
            temp.track(&plan);
            match step {
                step if step.is_local() => {
                    let answered = spawn_blocking(move || (answer_local(&mut plan, step), plan));
                    plan = answered.await.map_err(io::Error::other)?.1;
                }
                Step::StatRemote(p) => plan.remote_item(self.stat(p).await),
                Step::ListRemote(p) => plan.remote_entries(self.list_names(p).await),
                Step::MakeRemoteDir { path, parents } => {
                    plan.remote_done(self.make_directory(path, parents).await)
                }
                Step::Upload(f) => plan.transferred(self.copy(&f.local, &f.remote, true).await),
                Step::Download(f) => plan.transferred(self.copy(&f.temp, &f.remote, false).await),
                Step::Warning(w) => log::warn!("{w}"),
                _ => {}
            }
        }
        temp.track(&plan);
        plan.finish()
    }

    /// Copies the local file `path` to `remote` (`up`) or `remote` into `path`: the
    /// bytes moved.
    async fn copy(&mut self, path: &Path, remote: &[u8], up: bool) -> Result<u64, Error> {
        let owned = path.to_owned();
        let local_error = |e| Error::PathIo(PathIoError::with_path(path, e));
        let file = match up {
            true => local(move || File::open(owned)).await,
            false => local(move || File::create(owned)).await,
        };
        let mut file = file.map_err(local_error)?;
        let mut stream = match up {
            true => self.upload_stream(remote, 0).await?,
            false => self.download_stream(remote, 0).await?,
        };
        // On an error the stream's drop aborts (the core's rule), and the next call
        // on the client reads the replies.
        let data_error = |e| Error::from_io(e, "the data connection");
        let mut buf = DataBuffer::new(BLOCK);
        let mut total = 0u64;
        loop {
            let n = if up {
                let (n, b, f) = local(move || read_block(file, buf))
                    .await
                    .map_err(local_error)?;
                (buf, file) = (b, f);
                let block = buf.get(..n).unwrap_or_default();
                stream.write_all(block).await.map_err(data_error)?;
                n
            } else {
                let n = fill(&mut stream, &mut buf).await.map_err(data_error)?;
                (buf, file) = local(move || {
                    file.write_all(buf.get(..n).unwrap_or_default())?;
                    Ok((buf, file))
                })
                .await
                .map_err(local_error)?;
                n
            };
            if n == 0 {
                stream.finish().await?;
                return Ok(total);
            }
            total = total.saturating_add(n as u64);
        }
    }
}

/// Runs `f` (file work) on tokio's blocking pool.
async fn local<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Reads until `buf` is full or the stream ends.
async fn fill(stream: &mut super::DataStream<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match stream.read(rest).await? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
