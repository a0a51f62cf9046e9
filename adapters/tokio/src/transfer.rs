//! One data transfer as a future: open the file, get the data connection, report
//! ([`DataEvent::Connected`]), then move the bytes in large blocks.
//!
//! The session driver polls it next to the control connection; dropping it at any
//! point (ABOR, timeout, shutdown) closes the socket and drops an uncommitted
//! [`WriteHandle`]. An upload that reaches its end of file is not committed here: its
//! handle goes back to the driver ([`DataEvent::Received`]), which commits it only when
//! the session says so.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sansftp::server::TransferFile;
use sansftp::server::{DataConnection, DataEvent, Flow, StorageError, Transfer, TransferError};
use sansftp_storage::{ReadHandle, WriteHandle, storage_error};
use sansftp_tls::SessionTls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::auth::BoxFuture;
use crate::conn::Conn;
use crate::shared::Shared;
use crate::wait::{BLOCK, pace, unblock};

/// What a transfer's future completes with: what to report, and after
/// [`DataEvent::Connected`] (and [`DataEvent::Secured`]) the rest of the transfer.
pub(crate) struct Step {
    pub(crate) event: DataEvent<WriteHandle>,
    pub(crate) rest: Option<BoxFuture<'static, Step>>,
}

/// What the transfer reads from or writes to.
enum Io {
    Memory(Bytes),
    Read(ReadHandle),
    /// `quick`: the storage's calls are quick, so a local file it hands out may be
    /// spliced into on the worker thread.
    Write {
        w: WriteHandle,
        quick: bool,
    },
}

/// Builds the transfer's future. A passive `connection` borrows the session's
/// listener. Under `PROT P` the rest after [`DataEvent::Connected`] is the TLS
/// handshake (with `tls`, this session's configurations), reported as
/// [`DataEvent::Secured`], and then the bytes.
pub(crate) fn start(
    shared: Arc<Shared>,
    t: Transfer,
    connection: DataConnection<TcpListener>,
    tls: Option<SessionTls>,
) -> BoxFuture<'static, Step> {
    Box::pin(async move {
        // The file first: a missing file must answer 550 without touching the network.
        let io = match open(&shared, &t).await {
            Ok(io) => io,
            Err(error) => return end(DataEvent::Failed(TransferError::Storage(error))),
        };
        let (sock, peer) = match connect(&t, connection).await {
            Ok(c) => c,
            Err(e) => return end(DataEvent::Failed(TransferError::Connect(e.to_string()))),
        };
        let (mut sock, flow) = (Conn::Plain(sock), t.flow());
        let rest: BoxFuture<'static, Step> = match t.tls {
            None => Box::pin(run(io, sock, flow, Duration::ZERO)),
            Some(data) => Box::pin(async move {
                let handshake = match tls {
                    Some(tls) => sock.accept(tls.data(&data)).await,
                    None => Err(io::Error::other("no TLS configuration")),
                };
                if let Err(e) = handshake {
                    let text = format!("TLS handshake failed: {e}");
                    return end(DataEvent::Failed(TransferError::Broken(text)));
                }
                Step {
                    event: DataEvent::Secured {
                        resumed: sock.resumed(),
                    },
                    rest: Some(Box::pin(run(io, sock, flow, data.close_wait))),
                }
            }),
        };
        Step {
            event: DataEvent::Connected(peer),
            rest: Some(rest),
        }
    })
}

fn end(event: DataEvent<WriteHandle>) -> Step {
    Step { event, rest: None }
}

/// Moves the bytes; `close_wait` bounds the wait for the client's `close_notify`.
async fn run(io: Io, mut sock: Conn, mut flow: Flow, close_wait: Duration) -> Step {
    let (sock, flow) = (&mut sock, &mut flow);
    let sent = match io {
        Io::Write { w, quick } => {
            return end(match receive(w, quick, sock, flow, close_wait).await {
                Ok(upload) => DataEvent::Received {
                    bytes: flow.total(),
                    upload,
                },
                Err(e) => DataEvent::Failed(e),
            });
        }
        Io::Memory(b) => send_memory(b, sock, flow).await,
        Io::Read(r) => send_file(r, sock, flow).await,
    };
    let sent = match sent {
        Ok(()) => sock.finish(close_wait).await.map_err(broken),
        Err(e) => Err(e),
    };
    end(match sent {
        Ok(()) => DataEvent::Done(flow.total()),
        Err(e) => DataEvent::Failed(e),
    })
}

/// Runs `f` (a storage open) inline when the storage says its opens are quick and
/// `may_copy` is false (a resumed upload may copy the kept part first); otherwise on
/// the blocking pool, so a slow storage never stalls a worker.
async fn run_open<T: Send + 'static>(
    shared: &Shared,
    may_copy: bool,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    if !may_copy && shared.storage.opens_quickly() {
        f()
    } else {
        unblock(f).await
    }
}

async fn open(shared: &Arc<Shared>, t: &Transfer) -> Result<Io, StorageError> {
    let storage = Arc::clone(&shared.storage);
    let user = Arc::clone(&t.user);
    match t.file() {
        TransferFile::Send(b) => Ok(Io::Memory(b.clone())),
        TransferFile::Read { path, offset } => {
            let path = path.clone();
            let h = run_open(shared, false, move || {
                storage.open_read(&user, &path, offset)
            })
            .await?;
            Ok(match h {
                // Bytes in memory go to the socket straight from their buffer.
                ReadHandle::Memory(c) => {
                    let pos = usize::try_from(c.position()).unwrap_or(usize::MAX);
                    let b = c.into_inner();
                    Io::Memory(b.slice(pos.min(b.len())..))
                }
                other => Io::Read(other),
            })
        }
        TransferFile::Write { path, mode } => {
            let path = path.clone();
            let w = run_open(shared, mode.may_copy(), move || {
                storage.open_write(&user, &path, mode)
            })
            .await?;
            Ok(Io::Write {
                w,
                quick: shared.storage.opens_quickly(),
            })
        }
    }
}

/// Accepts on the passive listener (only peers the transfer
/// [`accepts`](Transfer::accepts)) or connects for active mode. The session's deadline
/// bounds the wait: it aborts the transfer, which drops this future.
async fn connect(
    t: &Transfer,
    connection: DataConnection<TcpListener>,
) -> io::Result<(TcpStream, SocketAddr)> {
    match connection {
        DataConnection::Connect(addr) => Ok((TcpStream::connect(addr).await?, addr)),
        DataConnection::Accept(passive) => loop {
            let (s, peer) = passive.listener.accept().await?;
            if t.accepts(peer) {
                return Ok((s, peer));
            }
            log::warn!(
                "data connection from {peer} refused: the client is {}",
                t.allowed_peer
            );
        },
    }
}

fn broken(e: io::Error) -> TransferError {
    TransferError::Broken(e.to_string())
}

fn storage(e: io::Error) -> TransferError {
    TransferError::Storage(storage_error(&e))
}

/// A read error; under TLS an end of file without `close_notify` is a truncation.
fn read_error(e: io::Error) -> TransferError {
    if sansftp_tls::is_truncation(&e) {
        TransferError::Truncated
    } else {
        broken(e)
    }
}

/// Writes one block (converted to CRLF for TYPE A), within the speed limits.
async fn put(sock: &mut Conn, block: &[u8], flow: &mut Flow) -> Result<(), TransferError> {
    pace(flow, block.len()).await;
    let data = flow.convert(block);
    sock.write_all(data).await.map_err(broken)?;
    let n = data.len();
    flow.moved(n, Instant::now());
    // A socket that is always writable would let a transfer run to its end in one
    // poll, starving the control connection (ABOR) and the worker's other sessions.
    tokio::task::yield_now().await;
    Ok(())
}

async fn send_memory(bytes: Bytes, sock: &mut Conn, flow: &mut Flow) -> Result<(), TransferError> {
    for chunk in bytes.chunks(flow.block(BLOCK)) {
        put(sock, chunk, flow).await?;
    }
    Ok(())
}

/// Sends a file: a binary download of a file on disk with sendfile(2) on Linux;
/// TYPE A, other handles, other platforms and TLS through [`send_reader`]'s buffers.
async fn send_file(
    reader: ReadHandle,
    sock: &mut Conn,
    flow: &mut Flow,
) -> Result<(), TransferError> {
    #[cfg(target_os = "linux")]
    if let (ReadHandle::File(f), true, Some(plain)) = (&reader, flow.is_binary(), sock.plain()) {
        match crate::sendfile::send(f, plain, flow).await {
            Ok(()) => return Ok(()),
            // Nothing was sent and the file's position is unchanged.
            Err(crate::sendfile::SendFileError::Unsupported) => {}
            Err(crate::sendfile::SendFileError::Failed(e)) => return Err(e),
        }
    }
    send_reader(reader, sock, flow).await
}

/// Reads the file on the blocking pool while the previous block goes out on the
/// socket: two buffers, allocated once per transfer, travel to the pool and back.
async fn send_reader(
    reader: ReadHandle,
    sock: &mut Conn,
    flow: &mut Flow,
) -> Result<(), TransferError> {
    let size = flow.block(BLOCK);
    let read = |mut r: ReadHandle, mut buf: Vec<u8>| {
        tokio::task::spawn_blocking(move || {
            let res = read_full(&mut r, &mut buf);
            (r, buf, res)
        })
    };
    let mut reading = read(reader, vec![0u8; size]);
    // The second buffer is made only for a file longer than one block.
    let mut spare = None;
    loop {
        let (r, buf, res) = joined(reading).await?;
        let n = res.map_err(storage)?;
        if n == 0 {
            break;
        }
        // A short block is the last one (`read_full` stops short only at the end).
        let next =
            (n == buf.len()).then(|| read(r, spare.take().unwrap_or_else(|| vec![0u8; size])));
        put(sock, &buf[..n], flow).await?;
        match next {
            Some(task) => reading = task,
            None => break,
        }
        spare = Some(buf);
    }
    Ok(())
}

/// A pool task's result; a panic in it goes on here.
async fn joined<T>(task: JoinHandle<T>) -> Result<T, TransferError> {
    task.await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(_) => TransferError::Broken("the server is shutting down".into()),
    })
}

/// Fills `buf` unless the end comes first: fewer, larger blocks mean fewer trips
/// through the pool.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The upload's file: free, or busy writing a block on the pool.
enum Writer {
    Idle(WriteHandle),
    Busy(JoinHandle<(WriteHandle, Vec<u8>, io::Result<()>)>),
}

impl Writer {
    /// Waits for the block being written; its buffer goes back to `free`.
    async fn idle(self, free: &mut Vec<Vec<u8>>) -> Result<WriteHandle, TransferError> {
        match self {
            Writer::Idle(w) => Ok(w),
            Writer::Busy(task) => {
                let (w, buf, res) = joined(task).await?;
                free.push(buf);
                res.map_err(storage)?;
                Ok(w)
            }
        }
    }
}

/// Receives an upload until the client closes the data connection, reading the next
/// block from the socket while the pool writes the previous one, then flushes and
/// hands the file back, uncommitted: an end of file is also what a killed client's
/// kernel sends, so only the session may decide to commit. An end without
/// `close_notify` under TLS is [`TransferError::Truncated`]; after the client's
/// `close_notify` ours goes out. Binary uploads into local files go by splice on Linux.
async fn receive(
    mut w: WriteHandle,
    quick: bool,
    sock: &mut Conn,
    flow: &mut Flow,
    close_wait: Duration,
) -> Result<WriteHandle, TransferError> {
    #[cfg(target_os = "linux")]
    if let (true, true, Some(plain), Some(file)) = (flow.is_plain(), quick, sock.plain(), w.file())
    {
        match crate::splice::receive(file, plain, flow).await? {
            crate::splice::Received::End => return Ok(w),
            crate::splice::Received::Unsupported => {}
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = quick;
    let size = flow.block(BLOCK);
    let ascii = !flow.is_binary();
    // TYPE A reads into `raw` and converts into the block to write.
    let mut raw = if ascii { vec![0u8; size] } else { Vec::new() };
    let mut free: Vec<Vec<u8>> = Vec::with_capacity(2);
    let mut writer = Writer::Idle(w);
    loop {
        let mut buf = free.pop().unwrap_or_else(|| vec![0u8; size]);
        pace(flow, size).await;
        // `k` bytes came off the socket; `n` bytes of `buf` are to be written.
        let (k, n) = if ascii {
            let k = sock.read(&mut raw).await.map_err(read_error)?;
            buf.clear();
            if k == 0 {
                flow.finish_into(&mut buf);
            } else {
                flow.convert_into(&raw[..k], &mut buf);
            }
            (k, buf.len())
        } else {
            let k = sock.read(&mut buf).await.map_err(read_error)?;
            (k, k)
        };
        flow.moved(k, Instant::now());
        // Blocks are written in order: the previous one must be done first.
        let mut h = writer.idle(&mut free).await?;
        if n > 0 {
            writer = Writer::Busy(tokio::task::spawn_blocking(move || {
                let res = h.write_all(&buf[..n]);
                (h, buf, res)
            }));
        } else {
            free.push(buf);
            writer = Writer::Idle(h);
        }
        if k == 0 {
            break;
        }
    }
    if sock.is_tls() {
        // Every byte is in: a failure to say goodbye loses nothing.
        let _ = sock.finish(close_wait).await;
    }
    let mut w = writer.idle(&mut free).await?;
    unblock(move || w.flush().map(|()| w))
        .await
        .map_err(storage)
}
