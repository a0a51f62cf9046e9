//! An object store as a sansftp storage backend: [`ObjectStoreFs`] serves a bucket (S3
//! or an S3-compatible server, through the `object_store` crate) to FTP clients, so
//! several stateless servers behind one address can serve one bucket.
//!
//! ```no_run
//! use sansftp_objectstore::ObjectStoreFs;
//!
//! // Credentials, region and endpoint from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//! // AWS_REGION, AWS_ENDPOINT_URL (an S3-compatible server; `http://` allowed).
//! let storage = ObjectStoreFs::s3("s3://my-bucket/ftp-root")?;
//! storage.check()?; // the bucket exists and the credentials are accepted
//! # Ok::<(), sansftp_objectstore::OpenError>(())
//! ```
//!
//! # How FTP maps onto objects
//!
//! - A file is an object; its key is the backend's prefix, the user's base path
//!   ([`User::base_path`](sansftp::server::User::base_path), `.` by default) and the
//!   virtual path (names encoded as in [`keys`]).
//! - A directory is a key prefix: anything below it, or the marker object `MKD` writes
//!   (`<dir>/.sansftp%dir`, hidden from listings). A directory that was never made
//!   with `MKD` disappears with its last file, as in S3.
//! - `LIST`/`MLSD`/`NLST` are one `list_with_delimiter` (common prefixes are the
//!   directories); `SIZE`, `MDTM` come from the object's metadata.
//! - `RETR` (and `REST` + `RETR`) is a ranged GET whose body streams to the client.
//! - `STOR` is a multipart upload of 8 MiB parts (one PUT for a file under one part),
//!   visible only when the commit completes it; a failed, aborted or abandoned upload
//!   aborts its parts and leaves no object, and the old object whole. `REST` + `STOR`
//!   streams the kept head of the old object into the new one. `STOU` never replaces.
//! - `RNFR`/`RNTO` of a file is a server-side copy, then a delete (another server may
//!   see both names for a moment; never neither). A directory is refused with `502`
//!   ([`StorageError::Unsupported`]):
//!   moving its objects one by one could fail half-way.
//! - `APPE` is refused with `502`: an object cannot grow in place, and rewriting it
//!   under a concurrent append would silently lose one of them.
//! - `RMD` refuses a directory with anything below it but its marker.
//!
//! Everything is checked by the storage contract suite of `sansftp-storage` (run by
//! this crate's tests against an S3 server on loopback).
//!
//! # Runtime
//!
//! `object_store` needs tokio. A backend made by [`ObjectStoreFs::s3`] or
//! [`ObjectStoreFs::new`] owns one multi-thread runtime (two workers, threads named
//! `sansftp-s3`), and its blocking calls wait on it from the caller's thread, so async
//! (smol, async-std) and blocking servers use it alike. A server that already runs on
//! tokio (`sansftp-tokio`) passes its own runtime instead, with
//! [`ObjectStoreFs::s3_in`] or [`ObjectStoreFs::new_in`]: the store's requests and
//! upload parts then run on the caller's workers and no second runtime starts.
//!
//! Either way every [`Storage`] call blocks its thread until the store answers, so it
//! must not be made on a tokio worker thread (tokio refuses to block one, and panics):
//! its opens are slow ([`Storage::opens_quickly`] is false), so the async adapters
//! make every call on their blocking pools (`spawn_blocking` on tokio). On a
//! current-thread runtime a call can only finish while a thread runs that runtime's
//! `block_on` (as `#[tokio::main(flavor = "current_thread")]` does).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use sansftp::PathIoError;
use sansftp::listing::Entry;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp_storage::{ReadHandle, Storage, WriteHandle, WriteMode};
use tokio::runtime::Handle;

mod error;
pub mod keys;
mod read;
mod tree;
mod upload;

pub use error::storage_error;
pub use upload::{PART_SIZE, PARTS_IN_FLIGHT};

/// A bucket (or a prefix in one) served as a file tree. See the crate docs.
pub struct ObjectStoreFs {
    store: Arc<dyn ObjectStore>,
    handle: Handle,
    runtime: Runtime,
    prefix: Path,
    name: String,
}

/// Why a backend could not be made or reached: one line, for the user, without
/// credentials.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OpenError(String);

impl ObjectStoreFs {
    /// A backend for `s3://BUCKET[/PREFIX]`, configured from the standard AWS
    /// environment variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`, `AWS_REGION` (default `us-east-1`), `AWS_ENDPOINT_URL`
    /// for an S3-compatible server (an `http://` endpoint is allowed), and the other
    /// `AWS_*` keys `object_store` reads. Makes no request: see [`check`](Self::check).
    pub fn s3(url: &str) -> Result<ObjectStoreFs, OpenError> {
        let (bucket, prefix) = parse_s3_url(url)?;
        let builder = s3_builder(bucket);
        let runtime = runtime()?;
        let store = s3_store(builder, url, runtime.handle())?;
        Ok(ObjectStoreFs::on(store, prefix, Runtime::Own(runtime), url))
    }

    /// As [`s3`](Self::s3), on the caller's tokio runtime (`handle`, e.g.
    /// `Handle::current()` inside `#[tokio::main]`) instead of a runtime of its own.
    /// Its calls still block: make them off the runtime's workers (see the
    /// [crate docs](crate#runtime)).
    pub fn s3_in(url: &str, handle: Handle) -> Result<ObjectStoreFs, OpenError> {
        let (bucket, prefix) = parse_s3_url(url)?;
        let store = s3_store(s3_builder(bucket), url, &handle)?;
        Ok(ObjectStoreFs::on(
            store,
            prefix,
            Runtime::Caller(handle),
            url,
        ))
    }

    /// A backend over any `object_store` store (GCS, Azure, memory, ...), below `prefix`
    /// (`""` for the whole store), with a runtime of its own.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<ObjectStoreFs, OpenError> {
        let prefix = Path::parse(prefix).map_err(|e| OpenError(format!("{prefix}: {e}")))?;
        let name = format!("{store}/{prefix}");
        Ok(ObjectStoreFs::on(
            store,
            prefix,
            Runtime::Own(runtime()?),
            &name,
        ))
    }

    /// As [`new`](Self::new), on the caller's tokio runtime (`handle`) instead of a
    /// runtime of its own; see [`s3_in`](Self::s3_in).
    pub fn new_in(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        handle: Handle,
    ) -> Result<ObjectStoreFs, OpenError> {
        let prefix = Path::parse(prefix).map_err(|e| OpenError(format!("{prefix}: {e}")))?;
        let name = format!("{store}/{prefix}");
        Ok(ObjectStoreFs::on(
            store,
            prefix,
            Runtime::Caller(handle),
            &name,
        ))
    }

    fn on(
        store: Arc<dyn ObjectStore>,
        prefix: Path,
        runtime: Runtime,
        name: &str,
    ) -> ObjectStoreFs {
        let handle = match &runtime {
            Runtime::Own(own) => own.handle().clone(),
            Runtime::Caller(handle) => handle.clone(),
        };
        ObjectStoreFs {
            store,
            handle,
            runtime,
            prefix,
            name: name.to_owned(),
        }
    }

    /// Checks that the bucket exists and the credentials are accepted (one listing
    /// request), for a server to fail at start with one clear line.
    pub fn check(&self) -> Result<(), OpenError> {
        let listing = self.store.list_with_delimiter(Some(&self.prefix));
        match self.handle.block_on(listing) {
            Ok(_) => Ok(()),
            Err(e) => Err(OpenError(format!("{}: {}", self.name, first_line(&e)))),
        }
    }

    /// The store, for tools and tests that look at the objects themselves.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The runtime the store's futures run on (the backend's own, or the caller's), to
    /// wait on them from a plain thread.
    pub fn runtime(&self) -> &Handle {
        &self.handle
    }

    /// The backend started a runtime of its own (made by [`s3`](Self::s3) or
    /// [`new`](Self::new)), rather than running on the caller's.
    pub fn owns_runtime(&self) -> bool {
        matches!(self.runtime, Runtime::Own(_))
    }

    /// The key prefix the backend serves.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    fn tree(&self, user: &User) -> Result<tree::Tree<'_>, StorageError> {
        Ok(tree::Tree {
            store: &self.store,
            runtime: &self.handle,
            root: keys::user_root(&self.prefix, user)?,
        })
    }
}

impl Storage for ObjectStoreFs {
    /// The bucket answers a listing of the user's root (an empty prefix is an empty
    /// directory: object stores have no directories to check).
    fn check_root(&self, user: &User) -> Result<(), PathIoError> {
        let tree = self.tree(user).map_err(PathIoError::new)?;
        let listing = self.store.list_with_delimiter(Some(&tree.root));
        match self.handle.block_on(listing) {
            Ok(_) => Ok(()),
            Err(e) => Err(PathIoError::new(format!(
                "{}: {}",
                self.name,
                first_line(&e)
            ))),
        }
    }

    fn metadata(&self, user: &User, path: &VirtualPath) -> Result<Entry, StorageError> {
        self.tree(user)?.metadata(path)
    }

    fn list(&self, user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
        self.tree(user)?.list(path)
    }

    fn make_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        self.tree(user)?.make_dir(path)
    }

    fn remove_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        self.tree(user)?.remove_dir(path)
    }

    fn remove_file(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        self.tree(user)?.remove_file(path)
    }

    fn rename(
        &self,
        user: &User,
        from: &VirtualPath,
        to: &VirtualPath,
    ) -> Result<(), StorageError> {
        self.tree(user)?.rename(from, to)
    }

    fn open_read(
        &self,
        user: &User,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<ReadHandle, StorageError> {
        self.tree(user)?.open_read(path, offset)
    }

    fn open_write(
        &self,
        user: &User,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError> {
        self.tree(user)?.open_write(path, mode)
    }

    /// Every call is a network request.
    fn opens_quickly(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for ObjectStoreFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStoreFs")
            .field("store", &self.name)
            .finish_non_exhaustive()
    }
}

impl Drop for ObjectStoreFs {
    /// Stops the runtime without waiting for its tasks (aborts of abandoned uploads
    /// still running are cut; S3 lifecycle rules clean such parts up), and without
    /// the panic a runtime dropped inside another one would raise.
    /// The caller's runtime is left alone.
    fn drop(&mut self) {
        let runtime = std::mem::replace(&mut self.runtime, Runtime::Caller(self.handle.clone()));
        if let Runtime::Own(own) = runtime {
            own.shutdown_background();
        }
    }
}

/// The runtime a backend's futures run on.
enum Runtime {
    /// Started by the backend, stopped when it is dropped.
    Own(tokio::runtime::Runtime),
    /// The caller's, which outlives the backend.
    Caller(Handle),
}

/// The S3 client's settings from the environment (see [`ObjectStoreFs::s3`]).
fn s3_builder(bucket: &str) -> AmazonS3Builder {
    let builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let endpoint = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .iter()
        .find_map(|k| std::env::var(k).ok());
    if endpoint.is_some_and(|e| e.starts_with("http://")) {
        builder.with_allow_http(true)
    } else {
        builder
    }
}

/// The S3 client, built inside the runtime it will run on.
fn s3_store(
    builder: AmazonS3Builder,
    url: &str,
    handle: &Handle,
) -> Result<Arc<dyn ObjectStore>, OpenError> {
    let _inside = handle.enter();
    match builder.build() {
        Ok(store) => Ok(Arc::new(store)),
        Err(e) => Err(OpenError(format!("{url}: {e}"))),
    }
}

/// `s3://BUCKET[/PREFIX]` as the bucket and the prefix's key.
fn parse_s3_url(url: &str) -> Result<(&str, Path), OpenError> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| OpenError(format!("{url}: expected s3://BUCKET[/PREFIX]")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(OpenError(format!("{url}: no bucket name")));
    }
    let prefix =
        Path::parse(prefix.trim_matches('/')).map_err(|e| OpenError(format!("{url}: {e}")))?;
    Ok((bucket, prefix))
}

fn runtime() -> Result<tokio::runtime::Runtime, OpenError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sansftp-s3")
        .enable_all()
        .build()
        .map_err(|e| OpenError(format!("starting the object store's runtime: {e}")))
}

/// An error in one line: its text without the XML body an S3 server's error reply
/// carries, but with that body's error code (`NoSuchBucket`, `InvalidAccessKeyId`,
/// `SignatureDoesNotMatch`, ...), which says what to fix.
fn first_line(e: &object_store::Error) -> String {
    let text = e.to_string();
    let (head, body) = text.split_once("<?xml").unwrap_or((&text, ""));
    let mut line = head
        .trim_end_matches([' ', ':', '\n', '\r'])
        .replace(['\r', '\n'], " ");
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code);
    if let Some(code) = code {
        line.push_str(&format!(" ({code})"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        let (b, p) = parse_s3_url("s3://bucket").unwrap();
        assert_eq!((b, p.as_ref()), ("bucket", ""));
        let (b, p) = parse_s3_url("s3://bucket/a/b/").unwrap();
        assert_eq!((b, p.as_ref()), ("bucket", "a/b"));
        for bad in ["bucket", "s3:///x", "http://bucket"] {
            assert!(parse_s3_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_are_one_line_with_the_s3_code() {
        let e = object_store::Error::Generic {
            store: "S3",
            source: "list: 404 Not Found: <?xml version=\"1.0\"?>\n<Error><Code>NoSuchBucket</Code>\n</Error>".into(),
        };
        assert_eq!(
            first_line(&e),
            "Generic S3 error: list: 404 Not Found (NoSuchBucket)"
        );
    }
}
