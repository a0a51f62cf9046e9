//! One local file over a data stream, in large blocks: the file side runs on the
//! [`blocking`] pool while the socket moves the previous block, through two buffers
//! that go back and forth (nothing is allocated per block).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use blocking::unblock;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use sansftp::buffer::DataBuffer;
use sansftp::client::tree::{DownloadFile, UploadFile};
use sansftp::{Error, PathIoError};
use sansftp_storage::copy::read_block;

use super::super::{Client, DataStream};

/// The block moved at a time between a file and a data connection.
const BLOCK: usize = 1 << 20;

fn data_error(e: io::Error) -> Error {
    Error::from_io(e, "the data connection")
}

fn local_error(path: &Path, e: io::Error) -> Error {
    Error::PathIo(PathIoError::with_path(path, e))
}

impl Client {
    /// Uploads one local file.
    pub(super) async fn upload_file(&mut self, f: &UploadFile) -> Result<u64, Error> {
        let l = f.local.clone();
        let file = unblock(move || File::open(l)).await;
        let file = file.map_err(|e| local_error(&f.local, e))?;
        let mut stream = self.upload_stream(&f.remote, 0).await?;
        // On an error the stream's drop aborts the transfer (the core's rule for a
        // dropped upload), and the next call on the client reads the replies.
        // Through the buffers, not `DataStream::send_file`: sendfile's spliced pages
        // cost the servers more to receive (slower uploads, measured in issue 10).
        let sent = send_file(&mut stream, file, &f.local).await?;
        stream.finish().await.map(|()| sent)
    }

    /// Downloads one file to its temporary name (the plan renames it, or removes it).
    pub(super) async fn download_file(&mut self, f: &DownloadFile) -> Result<u64, Error> {
        let t = f.temp.clone();
        let file = unblock(move || File::create(t)).await;
        let file = file.map_err(|e| local_error(&f.temp, e))?;
        let mut stream = self.download_stream(&f.remote, 0).await?;
        // On an error the drop aborts, as for an upload (a download dropped before
        // its end).
        let received = receive_file(&mut stream, file, &f.temp).await?;
        stream.finish().await.map(|()| received)
    }
}

/// Copies `file` to an upload stream; reading the next block overlaps writing this one.
async fn send_file(stream: &mut DataStream<'_>, file: File, path: &Path) -> Result<u64, Error> {
    let mut buf = DataBuffer::new(BLOCK);
    let spare = DataBuffer::new(BLOCK);
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
        stream.write_all(block).await.map_err(data_error)?;
        total = total.saturating_add(n as u64);
    }
}

/// Copies a download stream to `file`; writing this block overlaps reading the next.
async fn receive_file(stream: &mut DataStream<'_>, file: File, path: &Path) -> Result<u64, Error> {
    let mut buf = DataBuffer::new(BLOCK);
    let spare = DataBuffer::new(BLOCK);
    let mut writer = unblock(move || Ok((spare, file)));
    let mut total = 0u64;
    loop {
        let n = fill(stream, &mut buf).await.map_err(data_error)?;
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
