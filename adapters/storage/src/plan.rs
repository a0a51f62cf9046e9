//! [`Plan`]: a transfer's file, opened, and the way its bytes move, decided once for
//! every adapter.
//!
//! On [`Output::Transfer`](sansftp::server::Output::Transfer) an adapter asks
//! [`opens_inline`] where to open (on the thread at hand, or on its pool), calls
//! [`Plan::open`] there before touching the network (a missing file answers `550`), and
//! then only moves bytes the way the plan names: sendfile, splice, its buffers, or
//! bytes already in memory.

use bytes::Bytes;
use sansftp::server::{StorageError, Transfer, TransferFile};

use crate::{ReadHandle, Storage, WriteHandle};

/// A transfer's file, opened, with the way its bytes move.
#[derive(Debug)]
pub enum Plan {
    /// Bytes in memory (a listing, a [`MemoryFs`](crate::MemoryFs) file from its
    /// offset on): written from their buffer, a block at a time, through
    /// [`Flow::convert`](sansftp::server::Flow::convert).
    Send(Bytes),
    /// A download of a local file that may go by sendfile(2)
    /// ([`crate::sendfile`]); should the file system have none
    /// ([`SendFileError::Unsupported`](crate::sendfile::SendFileError::Unsupported)),
    /// through the buffers as [`Plan::Read`].
    #[cfg(target_os = "linux")]
    SendFile(std::fs::File),
    /// A download through the adapter's buffers (`TYPE A`, TLS, a stream).
    Read(ReadHandle),
    /// An upload into a local file that may go by splice(2) ([`crate::splice`]); once
    /// that stops short ([`SpliceInto::new`](crate::splice::SpliceInto::new) refuses
    /// the file, or [`Spliced::Copied`](crate::splice::Spliced::Copied)), the rest as
    /// [`Plan::Receive`].
    #[cfg(target_os = "linux")]
    Splice(WriteHandle),
    /// An upload through the adapter's buffers (with [`Transfer::is_direct`], binary at
    /// full speed on a plain connection: an adapter may read and write in one loop).
    Receive(WriteHandle),
}

/// Whether to call [`Plan::open`] on the thread at hand: when the storage says its
/// opens are quick ([`Storage::opens_quickly`]) and the open cannot copy (a resumed
/// upload may copy the kept part of the file first, however quick the storage), or
/// when there is nothing to open. Otherwise on a thread that may block (a pool), so
/// that a slow storage never stalls an executor.
pub fn opens_inline(storage: &dyn Storage, transfer: &Transfer) -> bool {
    match transfer.file() {
        TransferFile::Send(_) => true,
        TransferFile::Read { .. } => storage.opens_quickly(),
        TransferFile::Write { mode, .. } => storage.opens_quickly() && !mode.may_copy(),
    }
}

impl Plan {
    /// Opens `transfer`'s file in `storage` and says how its bytes move. The kernel
    /// moves them (sendfile, splice) only for a [`Transfer::is_direct`] transfer of a
    /// local file on Linux; an upload is spliced only where the file may block the
    /// thread that moves the bytes: a storage whose calls are quick, or `may_block` (a
    /// thread of the transfer's own). May block: see [`opens_inline`].
    pub fn open(
        storage: &dyn Storage,
        transfer: &Transfer,
        may_block: bool,
    ) -> Result<Plan, StorageError> {
        let (user, direct) = (&transfer.user, transfer.is_direct());
        match transfer.file() {
            TransferFile::Send(bytes) => Ok(Plan::Send(bytes.clone())),
            TransferFile::Read { path, offset } => {
                Ok(match storage.open_read(user, path, offset)? {
                    // Bytes in memory go to the socket straight from their buffer.
                    ReadHandle::Memory(c) => {
                        let at = usize::try_from(c.position()).unwrap_or(usize::MAX);
                        let bytes = c.into_inner();
                        Plan::Send(bytes.slice(at.min(bytes.len())..))
                    }
                    #[cfg(target_os = "linux")]
                    ReadHandle::File(f) if direct => Plan::SendFile(f),
                    other => Plan::Read(other),
                })
            }
            TransferFile::Write { path, mode } => {
                #[allow(unused_mut)]
                let mut upload = storage.open_write(user, path, mode)?;
                #[cfg(target_os = "linux")]
                if direct && (may_block || storage.opens_quickly()) && upload.file().is_some() {
                    return Ok(Plan::Splice(upload));
                }
                let _ = (direct, may_block);
                Ok(Plan::Receive(upload))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sansftp::server::testing::Driver;
    use sansftp::server::{Config, User};

    use super::*;
    use crate::{LocalFs, MemoryFs};

    /// The transfer a session starts for `commands`, for a user whose root is `root`.
    fn transfer(root: &std::path::Path, commands: &[&str]) -> Transfer {
        let config = Config::new().user(User::new("u", "p").base_path(root));
        let mut d = Driver::new(config);
        d.auto_data = false;
        for c in ["USER u", "PASS p", "PASV"].iter().chain(commands) {
            d.send(format!("{c}\r\n").as_bytes());
        }
        d.pending.take().expect("a transfer")
    }

    #[test]
    fn each_transfer_gets_its_way_of_moving() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"0123456789").unwrap();
        let local: Arc<dyn Storage> = Arc::new(LocalFs::new());
        let plan = |commands: &[&str]| {
            Plan::open(&*local, &transfer(dir.path(), commands), false).unwrap()
        };
        #[cfg(target_os = "linux")]
        {
            assert!(matches!(plan(&["TYPE I", "RETR f"]), Plan::SendFile(_)));
            assert!(matches!(plan(&["TYPE I", "STOR g"]), Plan::Splice(_)));
        }
        assert!(matches!(plan(&["TYPE A", "RETR f"]), Plan::Read(_)));
        assert!(matches!(plan(&["TYPE A", "STOR g"]), Plan::Receive(_)));
        assert!(matches!(plan(&["NLST"]), Plan::Send(_)));
        // A file in memory is sent from its buffer, from the REST offset on.
        let memory = MemoryFs::new();
        let t = transfer(dir.path(), &["TYPE I", "STOR m"]);
        let Plan::Receive(mut upload) = Plan::open(&memory, &t, true).unwrap() else {
            panic!("a memory file is no local file");
        };
        std::io::Write::write_all(&mut upload, b"abcdef").unwrap();
        upload.commit().unwrap();
        let t = transfer(dir.path(), &["TYPE I", "REST 2", "RETR m"]);
        assert!(matches!(Plan::open(&memory, &t, false).unwrap(), Plan::Send(b) if b == "cdef"));
        // A missing file fails before anything else.
        let t = transfer(dir.path(), &["RETR missing"]);
        assert!(Plan::open(&*local, &t, false).is_err());
    }

    #[test]
    fn slow_opens_and_copying_opens_go_to_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"0123456789").unwrap();
        let quick = LocalFs::new();
        assert!(quick.opens_quickly(), "a local disk opens quickly");
        let retrieve = transfer(dir.path(), &["RETR f"]);
        assert!(opens_inline(&quick, &retrieve));
        assert!(opens_inline(&quick, &transfer(dir.path(), &["STOR g"])));
        let resumed = transfer(dir.path(), &["REST 4", "STOR f"]);
        assert!(!opens_inline(&quick, &resumed), "a resumed upload may copy");
        let slow = LocalFs::new().with_quick_opens(false);
        assert!(!opens_inline(&slow, &retrieve));
        assert!(
            opens_inline(&slow, &transfer(dir.path(), &["NLST"])),
            "nothing to open"
        );
        // A slow storage's local file is spliced only by a thread that may block.
        #[cfg(target_os = "linux")]
        {
            let store = transfer(dir.path(), &["TYPE I", "STOR g"]);
            assert!(matches!(
                Plan::open(&slow, &store, false).unwrap(),
                Plan::Receive(_)
            ));
            assert!(matches!(
                Plan::open(&slow, &store, true).unwrap(),
                Plan::Splice(_)
            ));
        }
    }
}
