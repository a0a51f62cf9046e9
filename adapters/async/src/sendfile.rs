//! Binary downloads of files on disk with sendfile(2) (Linux): the kernel moves the
//! bytes from the page cache to the socket, none pass through this process or the
//! thread pool.
//!
//! The socket is nonblocking: a call sends what fits in the socket buffer, and when
//! nothing fits (`EAGAIN`) async-io waits for the socket to be writable. The file side
//! is synchronous: a page not in the page cache is read from the disk inside the call,
//! on the executor thread. That is accepted practice (nginx's `sendfile on` does the
//! same); each call is capped at [`CHUNK`] so one call holds the thread briefly.

use std::fs::File;
use std::io::{self, Seek};
use std::net::TcpStream;
use std::time::Instant;

use async_io::Async;
use futures_lite::future;
use rustix::io::Errno;
use sansftp::server::{Flow, TransferError};
use sansftp_storage::storage_error;

use crate::throttles::{BLOCK, pace};

/// The most one call may send. A nonblocking socket takes at most its buffer's worth
/// anyway (a few MiB on loopback); this bounds the disk reads of one call on a cold
/// cache.
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
    sock: &Async<TcpStream>,
    flow: &mut Flow,
) -> Result<(), SendFileError> {
    let limited = flow.is_limited();
    // Under a speed limit, each call is one burst's worth, waited for first.
    let chunk = if limited { flow.block(BLOCK) } else { CHUNK };
    // What is left to send, so that the last wait under a speed limit is for the
    // bytes that remain, not a whole burst. Only a hint: the end is where sendfile
    // returns 0 (a file that grows meanwhile is sent as it is then).
    let mut left = match limited.then(|| file.metadata()) {
        Some(Ok(m)) => {
            let pos = (&mut &*file).stream_position().unwrap_or(0);
            m.len().saturating_sub(pos)
        }
        _ => 0,
    };
    // Bytes sent since this future last yielded.
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
        let sent = sock
            .write_with(|s| rustix::fs::sendfile(s, file, None, want).map_err(io::Error::from))
            .await;
        match sent {
            Ok(0) => return Ok(()),
            Ok(n) => {
                flow.moved(n, Instant::now());
                left = left.saturating_sub(n as u64);
                // A socket that is always writable (a fast client on loopback) would
                // let the whole file go in one poll, starving the control connection
                // (ABOR) and every other session on this executor: yield after every
                // `chunk`'s worth. Not after every call: a call sends what the socket
                // buffer takes (a few hundred KiB on loopback), and each yield polls
                // the whole session again; and a small file is sent without one.
                unyielded += n;
                if unyielded >= chunk {
                    unyielded = 0;
                    future::yield_now().await;
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
