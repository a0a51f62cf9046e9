//! `RETR`: an object's bytes as a blocking [`Read`], pulled from a ranged GET's body one
//! chunk at a time, so no object is ever held whole.

use std::io::{self, Read};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::runtime::Handle;

/// The body of one GET, read on the caller's thread (each chunk waits on the backend's
/// runtime).
pub struct ObjectReader {
    runtime: Handle,
    body: BoxStream<'static, object_store::Result<Bytes>>,
    chunk: Bytes,
}

impl ObjectReader {
    /// Reads `body` (a `GetResult::into_stream`).
    pub fn new(
        runtime: Handle,
        body: BoxStream<'static, object_store::Result<Bytes>>,
    ) -> ObjectReader {
        ObjectReader {
            runtime,
            body,
            chunk: Bytes::new(),
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.body.next()) {
                None => return Ok(0),
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
