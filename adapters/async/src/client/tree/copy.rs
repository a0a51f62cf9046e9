//! One local file over a data stream, in large blocks: the file side runs on the
//! [`blocking`] pool while the socket moves the previous block, through two buffers
//! that go back and forth (nothing is allocated per block).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use blocking::unblock;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use sansftp::{Error, PathIoError};

use super::super::{Client, DataStream};

/// The block moved at a time between a file and a data connection.
const BLOCK: usize = 1 << 20;

fn local_error(path: &Path, e: io::Error) -> Error {
    Error::PathIo(PathIoError::with_path(path, e))
}

impl Client {
    pub(super) async fn upload_file(
        &mut self,
        local: PathBuf,
        remote: &[u8],
    ) -> Result<u64, Error> {
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
    pub(super) async fn download_file(
        &mut self,
        remote: &[u8],
        temp: PathBuf,
    ) -> Result<u64, Error> {
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
            .map_err(super::super::driver::io_error)?;
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
            .map_err(super::super::driver::io_error)?;
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
