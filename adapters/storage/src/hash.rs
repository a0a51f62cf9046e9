//! `HASH` (draft-bryan-ftpext-hash): the digest of a stored file, read through
//! [`Storage::open_read`] so every backend has it. The core chose the algorithm and
//! formats the reply; this only reads and hashes.

use std::io::Read;

use sansftp::path::VirtualPath;
use sansftp::server::{HashAlgorithm, StorageError, StorageOutcome, User};
use sha2::Digest;

use crate::{Storage, storage_error};

/// The digest of the whole file at `path` with `algorithm`, in lower-case hex, with its
/// size: the answer to [`StorageOp::Hash`](sansftp::server::StorageOp::Hash).
pub fn hash_file<S: Storage + ?Sized>(
    storage: &S,
    user: &User,
    path: &VirtualPath,
    algorithm: HashAlgorithm,
) -> Result<StorageOutcome, StorageError> {
    let mut file = storage.open_read(user, path, 0)?;
    let (digest, size) = match algorithm {
        HashAlgorithm::Sha1 => digest::<sha1::Sha1>(&mut file)?,
        HashAlgorithm::Sha512 => digest::<sha2::Sha512>(&mut file)?,
        HashAlgorithm::Md5 => digest::<md5::Md5>(&mut file)?,
        _ => digest::<sha2::Sha256>(&mut file)?,
    };
    Ok(StorageOutcome::Hash { digest, size })
}

fn digest<D: Digest>(file: &mut impl Read) -> Result<(String, u64), StorageError> {
    let mut hasher = D::new();
    let mut buf = sansftp::buffer::DataBuffer::new(64 * 1024);
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(storage_error(&e)),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, size))
}
