//! Binary uploads into local files with splice(2) (Linux, through
//! [`sansftp_storage::splice`]): socket -> pipe -> the file's page cache, the bytes
//! never pass through this process.
//!
//! It runs on the session's worker thread, as [`crate::sendfile`] does for downloads:
//! the socket side is non-blocking (an empty socket makes tokio wait for it to be
//! readable) and the file side writes to the page cache. Only uploads that the storage
//! hands out as a local file
//! ([`WriteHandle::file`](sansftp_storage::WriteHandle::file)) of a storage whose
//! calls are quick ([`Storage::opens_quickly`](sansftp_storage::Storage::opens_quickly))
//! come here.

use std::fs::File;
use std::time::Instant;

use sansftp::server::{Flow, TransferError};
use sansftp_storage::splice::{Drained, SpliceInto};
use sansftp_storage::storage_error;
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::conn::when_ready;

/// Bytes moved between two yields: a socket that always has data would otherwise
/// keep this task running and starve the control connection (ABOR).
const BUDGET: usize = 4 << 20;

/// How [`receive`] ended without an error.
pub(crate) enum Received {
    /// The client closed the data connection: every byte is in the file.
    End,
    /// This file cannot take spliced data (`O_APPEND`, a file system without splice);
    /// every byte read so far is in the file, the rest is still in the socket.
    Unsupported,
}

/// Moves the socket's data into `file` at its position until the client closes the
/// data connection, counting it with [`Flow::moved`]. Dropping the future (ABOR, a
/// timeout) stops it between two calls.
pub(crate) async fn receive(
    file: &mut File,
    sock: &TcpStream,
    flow: &mut Flow,
) -> Result<Received, TransferError> {
    let Some(pipe) = SpliceInto::new(file) else {
        return Ok(Received::Unsupported);
    };
    let mut unyielded = 0usize;
    loop {
        let n = match when_ready(sock, Interest::READABLE, || pipe.fill(sock)).await {
            Ok(0) => return Ok(Received::End),
            Ok(n) => n,
            Err(e) => return Err(TransferError::Broken(e.to_string())),
        };
        let drained = pipe
            .drain(file, n)
            .map_err(|e| TransferError::Storage(storage_error(&e)))?;
        flow.moved(n, Instant::now());
        if drained == Drained::Copied {
            return Ok(Received::Unsupported);
        }
        unyielded += n;
        if unyielded >= BUDGET {
            unyielded = 0;
            tokio::task::yield_now().await;
        }
    }
}
