//! Binary downloads of files on disk with sendfile(2) (Linux): the kernel moves the
//! bytes from the page cache to the socket, none pass through this process or the
//! blocking pool.
//!
//! The socket is non-blocking: a call sends what fits in the socket buffer, and when
//! nothing fits (`EAGAIN`) tokio waits for the socket to be writable. The file side is
//! synchronous: a page not in the page cache is read from the disk inside the call, on
//! the worker thread (as nginx's `sendfile on` does); each call is capped at [`CHUNK`].

use std::fs::File;
use std::io::{self, Seek};
use std::time::Instant;

use rustix::io::Errno;
use sansftp::server::{Flow, TransferError};
use sansftp_storage::storage_error;
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::conn::when_ready;
use crate::wait::{BLOCK, pace};

/// The most one call may send: bounds the disk reads of one call on a cold cache.
const CHUNK: usize = 4 << 20;

pub(crate) enum SendFileError {
    /// Nothing was sent: this file (or file system) has no sendfile; copy it by hand.
    Unsupported,
    Failed(TransferError),
}

/// Sends the rest of `file`, from its current position (the storage backend already
/// seeked to the REST offset) to its end, within the speed limits. Does not end the
/// data connection. Dropping the future (ABOR) stops it between two calls.
pub(crate) async fn send(
    file: &File,
    sock: &TcpStream,
    flow: &mut Flow,
) -> Result<(), SendFileError> {
    let limited = flow.is_limited();
    // Under a speed limit, each call is one burst's worth, waited for first.
    let chunk = if limited { flow.block(BLOCK) } else { CHUNK };
    // What is left, so that the last wait under a speed limit is for the bytes that
    // remain; only a hint (the end is where sendfile returns 0).
    let mut left = match limited.then(|| file.metadata()) {
        Some(Ok(m)) => {
            let pos = (&mut &*file).stream_position().unwrap_or(0);
            m.len().saturating_sub(pos)
        }
        _ => 0,
    };
    let mut unyielded = 0usize;
    loop {
        let want = match usize::try_from(left) {
            Ok(l) if l > 0 => chunk.min(l),
            _ => chunk,
        };
        if limited {
            pace(flow, want).await;
        }
        // `None`: from and advancing the file's own position.
        let sent = when_ready(sock, Interest::WRITABLE, || {
            rustix::fs::sendfile(sock, file, None, want).map_err(io::Error::from)
        })
        .await;
        match sent {
            Ok(0) => return Ok(()),
            Ok(n) => {
                flow.moved(n, Instant::now());
                left = left.saturating_sub(n as u64);
                // A socket that is always writable would let the whole file go in
                // one poll, starving the control connection (ABOR) and the worker's
                // other sessions.
                unyielded += n;
                if unyielded >= chunk {
                    unyielded = 0;
                    tokio::task::yield_now().await;
                }
            }
            Err(e) => match Errno::from_io_error(&e) {
                Some(Errno::INTR) => {}
                Some(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) if flow.total() == 0 => {
                    return Err(SendFileError::Unsupported);
                }
                // Reading the file failed (the socket does not say EIO).
                Some(Errno::IO) => {
                    return Err(SendFileError::Failed(TransferError::Storage(
                        storage_error(&e),
                    )));
                }
                _ => return Err(SendFileError::Failed(TransferError::Broken(e.to_string()))),
            },
        }
    }
}
