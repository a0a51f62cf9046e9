//! Binary uploads into local files with splice(2) (Linux): the kernel moves the socket's
//! buffers into a pipe without copying them, then from the pipe into the file's page
//! cache; the bytes never pass through this process.
//!
//! It runs on the session's own executor thread, as [`crate::sendfile`] does for
//! downloads: the socket side is non-blocking (an empty socket makes async-io wait for
//! it to be readable), and the file side writes to the page cache, which returns at
//! once unless the kernel throttles a writer that has dirtied too much memory (a disk
//! far slower than the network). Only uploads that the storage hands out as a local
//! file ([`WriteHandle::file`](sansftp_storage::WriteHandle::file)) of a storage whose
//! calls are quick ([`Storage::opens_quickly`](sansftp_storage::Storage::opens_quickly))
//! come here, so the work of an upload is done by the thread that runs its session and
//! the server's threads bound its CPU.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::OwnedFd;
use std::time::Instant;

use async_io::Async;
use futures_lite::future;
use rustix::io::Errno;
use rustix::pipe::{PipeFlags, SpliceFlags};
use sansftp::server::{Flow, TransferError};
use sansftp_storage::storage_error;

/// The pipe's size: what one splice from the socket may take. Bigger than a loopback
/// socket's receive buffer, so that one call empties it.
const PIPE: usize = 1 << 20;
/// Bytes moved between two yields to the executor: a socket that always has data (a
/// fast client on loopback) would otherwise keep this session's future running and
/// starve the control connection (ABOR) and the other sessions on this thread.
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
/// timeout) stops it between two calls; the caller's upload handle is then dropped
/// uncommitted.
pub(crate) async fn receive(
    file: &mut File,
    sock: &Async<TcpStream>,
    flow: &mut Flow,
) -> Result<Received, TransferError> {
    // splice(2) refuses an O_APPEND target; a write(2) loop takes it.
    let append = rustix::fs::fcntl_getfl(&*file)
        .map(|flags| flags.contains(rustix::fs::OFlags::APPEND))
        .unwrap_or(true);
    if append {
        return Ok(Received::Unsupported);
    }
    let Ok((out, into)) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK) else {
        return Ok(Received::Unsupported);
    };
    // A pipe is 64 KiB unless asked; 1 MiB is the unprivileged maximum by default.
    let room = rustix::pipe::fcntl_setpipe_size(&into, PIPE).unwrap_or(64 << 10);
    let mut unyielded = 0usize;
    loop {
        let took = sock
            .read_with(|s| {
                rustix::pipe::splice(s, None, &into, None, room, SpliceFlags::NONBLOCK)
                    .map_err(io::Error::from)
            })
            .await;
        let n = match took {
            Ok(0) => return Ok(Received::End),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TransferError::Broken(e.to_string())),
        };
        if !empty_pipe(&out, file, n)? {
            return Ok(Received::Unsupported);
        }
        flow.moved(n, Instant::now());
        unyielded += n;
        if unyielded >= BUDGET {
            unyielded = 0;
            future::yield_now().await;
        }
    }
}

/// Moves the `n` bytes in the pipe into `file`. False when the file takes no spliced
/// data: the bytes were then copied into it by hand, and later ones must be too.
fn empty_pipe(out: &OwnedFd, file: &mut File, mut n: usize) -> Result<bool, TransferError> {
    let storage = |e: io::Error| TransferError::Storage(storage_error(&e));
    while n > 0 {
        match rustix::pipe::splice(out, None, &*file, None, n, SpliceFlags::MOVE) {
            // A full file system reports ENOSPC (an error), never 0 with bytes left.
            Ok(0) => return Err(storage(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(k) => n -= k,
            Err(Errno::INTR) => {}
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                copy_pipe(out, file, n).map_err(storage)?;
                return Ok(false);
            }
            Err(e) => return Err(storage(e.into())),
        }
    }
    Ok(true)
}

/// Copies the `n` bytes left in the pipe into `file` through a buffer.
fn copy_pipe(out: &OwnedFd, file: &mut File, mut n: usize) -> io::Result<()> {
    let mut pipe = File::from(out.try_clone()?);
    let mut buf = vec![0u8; n.min(64 << 10)];
    while n > 0 {
        let want = n.min(buf.len());
        let k = pipe.read(&mut buf[..want])?;
        if k == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        file.write_all(&buf[..k])?;
        n -= k;
    }
    Ok(())
}
