//! `STOR`: an upload that nobody sees until it is committed.
//!
//! Bytes gather in a part buffer of [`PART_SIZE`]. An upload that ends before the first
//! part is full becomes one PUT at commit. A longer one starts a multipart upload with
//! its first full part; each part goes out on the backend's runtime while the next one
//! fills, at most [`PARTS_IN_FLIGHT`] at once (a write waits for the oldest beyond
//! that), so an upload holds at most `(PARTS_IN_FLIGHT + 1) * PART_SIZE` bytes however
//! long it is. The commit sends the last part and completes the multipart upload: only
//! then does the object appear (or replace the old one, whole). Dropped uncommitted (a
//! failed write, an `ABOR`, a client gone), it aborts the parts sent and the multipart
//! upload, in the background: no object appears and the old one is untouched.
//!
//! `STOU` (`CreateNew`) never replaces: a single PUT is conditional
//! (`If-None-Match: *`); a multipart one checks at commit that the name is still free
//! (a race with another writer in between is not detected).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sansftp::server::StorageError;
use sansftp_storage::Upload;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::error::storage_error;

/// The size of each part of a multipart upload but the last (S3 needs 5 MiB at least).
pub const PART_SIZE: usize = 8 << 20;

/// How many parts may be on their way at once while the next one fills.
pub const PARTS_IN_FLIGHT: usize = 2;

/// An upload to one key (see the module docs).
pub struct ObjectUpload {
    store: Arc<dyn ObjectStore>,
    runtime: Handle,
    key: Path,
    create_new: bool,
    part: Vec<u8>,
    /// Part buffers the requests are done with, for the next parts.
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    multipart: Option<Box<dyn MultipartUpload>>,
    in_flight: VecDeque<JoinHandle<object_store::Result<()>>>,
    done: bool,
}

impl ObjectUpload {
    /// An empty upload to `key`; with `create_new`, one that never replaces an object.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        runtime: Handle,
        key: Path,
        create_new: bool,
    ) -> ObjectUpload {
        ObjectUpload {
            store,
            runtime,
            key,
            create_new,
            part: Vec::new(),
            spare: Arc::default(),
            multipart: None,
            in_flight: VecDeque::new(),
            done: false,
        }
    }

    /// Sends the part buffer as the next part, starting the multipart upload first if
    /// needed, once fewer than [`PARTS_IN_FLIGHT`] parts are on their way.
    fn send_part(&mut self) -> object_store::Result<()> {
        let multipart = match &mut self.multipart {
            Some(m) => m,
            None => {
                let started = self.runtime.block_on(self.store.put_multipart(&self.key))?;
                self.multipart.insert(started)
            }
        };
        // A long upload: the next part fills a buffer of the full size at once, one the
        // upload had before if a request is done with it.
        let spare = self.spare.lock().ok().and_then(|mut spare| spare.pop());
        let next = spare.unwrap_or_else(|| Vec::with_capacity(PART_SIZE));
        let part = PooledPart {
            bytes: std::mem::replace(&mut self.part, next),
            pool: Arc::clone(&self.spare),
        };
        let sending = multipart.put_part(PutPayload::from(Bytes::from_owner(part)));
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.wait_oldest()?;
        }
        self.in_flight.push_back(self.runtime.spawn(sending));
        Ok(())
    }

    fn wait_oldest(&mut self) -> object_store::Result<()> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        match self.runtime.block_on(task) {
            Ok(result) => result,
            Err(e) => Err(object_store::Error::JoinError { source: e }),
        }
    }

    fn finish(&mut self) -> Result<(), StorageError> {
        if self.multipart.is_none() {
            let mode = match self.create_new {
                true => PutMode::Create,
                false => PutMode::Overwrite,
            };
            let payload = PutPayload::from(std::mem::take(&mut self.part));
            let put = self
                .store
                .put_opts(&self.key, payload, PutOptions::from(mode));
            self.runtime.block_on(put).map_err(storage_error)?;
            return Ok(());
        }
        if !self.part.is_empty() {
            self.send_part().map_err(storage_error)?;
        }
        while !self.in_flight.is_empty() {
            self.wait_oldest().map_err(storage_error)?;
        }
        if self.create_new && self.runtime.block_on(self.store.head(&self.key)).is_ok() {
            return Err(StorageError::AlreadyExists);
        }
        let multipart = self.multipart.as_mut().expect("checked above");
        self.runtime
            .block_on(multipart.complete())
            .map_err(storage_error)?;
        self.multipart = None;
        Ok(())
    }
}

/// A part's bytes, lent to its request and back to the upload's spare buffers when the
/// request drops them: a long upload allocates its `PARTS_IN_FLIGHT + 1` buffers once,
/// instead of 8 MiB per part on whichever pool thread writes, which the allocator's
/// per-thread arenas would keep resident.
struct PooledPart {
    bytes: Vec<u8>,
    pool: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl AsRef<[u8]> for PooledPart {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for PooledPart {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.clear();
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(bytes);
        }
    }
}

impl Write for ObjectUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.part.capacity() == 0 {
            self.part
                .reserve_exact(PART_SIZE.min(buf.len().max(64 << 10)));
        }
        let n = buf.len().min(PART_SIZE - self.part.len());
        self.part.extend_from_slice(&buf[..n]);
        if self.part.len() == PART_SIZE {
            self.send_part().map_err(io::Error::other)?;
        }
        Ok(n)
    }

    /// Nothing: parts go out when full, the rest at the commit.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Upload for ObjectUpload {
    fn commit(&mut self) -> Result<(), StorageError> {
        if self.done {
            return Err(StorageError::Other("upload already finished".into()));
        }
        self.done = true;
        self.finish()
    }
}

impl Drop for ObjectUpload {
    /// Aborts what was sent of an upload that was not committed (or whose commit
    /// failed): the parts' tasks, then the multipart upload, on the runtime, without
    /// waiting here (this may run on an async adapter's executor).
    fn drop(&mut self) {
        for task in self.in_flight.drain(..) {
            task.abort();
        }
        if let Some(mut multipart) = self.multipart.take() {
            let key = self.key.clone();
            self.runtime.spawn(async move {
                if let Err(e) = multipart.abort().await {
                    log::warn!("aborting the multipart upload of {key}: {e}");
                }
            });
        }
    }
}
