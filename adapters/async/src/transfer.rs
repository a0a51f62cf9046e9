//! One data transfer as a future: open the file, get the data connection, report
//! ([`Step::Connected`]), then move the bytes in large blocks ([`Step::Done`]).
//!
//! The session driver polls it next to the control connection; dropping it at any
//! point (ABOR, timeout, shutdown) closes the socket and drops an uncommitted
//! [`WriteHandle`], which discards the upload as the storage backend's policy says.
//! An upload that reaches its end of file is not committed here: its handle goes back
//! to the driver ([`Step::Received`]), which commits it only when the session says so.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use std::fs::File;

use async_io::Async;
use blocking::unblock;
use bytes::Bytes;
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
use sansftp::buffer::DataBuffer;
use sansftp::server::{DataConnection, DataEvent, Flow, StorageError, Transfer, TransferError};
#[cfg(target_os = "linux")]
use sansftp_storage::sendfile::{SendFile, SendFileError, Sent};
#[cfg(target_os = "linux")]
use sansftp_storage::splice::{SpliceInto, Spliced};
use sansftp_storage::{Plan, ReadHandle, WriteHandle, opens_inline, storage_error};
use sansftp_tls::{SessionTls, read_error};

use crate::auth::BoxFuture;
use crate::conn::Conn;
use crate::shared::Shared;
use crate::throttles::{BLOCK, pace};

/// What a transfer's future completes with: what to report, and after
/// [`DataEvent::Connected`] the rest of the transfer, to poll next. An upload's end is
/// [`DataEvent::Received`]: every byte written and flushed, not committed (commit only
/// on [`Output::CommitUpload`](sansftp::server::Output::CommitUpload)).
pub(crate) struct Step {
    pub(crate) event: DataEvent<WriteHandle>,
    pub(crate) rest: Option<BoxFuture<'static, Step>>,
}

/// Builds the transfer's future. A passive `connection` borrows the session's
/// listener: the session keeps it until the core says
/// [`ClosePassive`](sansftp::server::Output::ClosePassive).
/// Under `PROT P` the rest after [`DataEvent::Connected`] is the TLS handshake
/// (with `tls`, this session's configurations), reported as [`DataEvent::Secured`],
/// and then the bytes.
pub(crate) fn start(
    shared: Arc<Shared>,
    t: Transfer,
    connection: DataConnection<Async<TcpListener>>,
    tls: Option<SessionTls>,
) -> BoxFuture<'static, Step> {
    Box::pin(async move {
        // The file first: a missing file must answer 550 without touching the network.
        let plan = match open(&shared, &t).await {
            Ok(plan) => plan,
            Err(error) => return end(DataEvent::Failed(TransferError::Storage(error))),
        };
        let (sock, peer) = match connect(&t, connection).await {
            Ok(c) => c,
            Err(e) => return end(DataEvent::Failed(TransferError::Connect(e.to_string()))),
        };
        let (mut sock, flow) = (Conn::Plain(sock), t.flow());
        let rest: BoxFuture<'static, Step> = match t.tls {
            None => Box::pin(run(plan, sock, flow, Duration::ZERO)),
            Some(data) => Box::pin(async move {
                let handshake = match tls {
                    Some(tls) => sock.accept(tls.data(&data)).await.map(|()| sock.resumed()),
                    None => Err(io::Error::other("no TLS configuration")),
                };
                let event = DataEvent::secured(handshake);
                let secured = matches!(event, DataEvent::Secured { .. });
                let rest = secured.then(|| {
                    Box::pin(run(plan, sock, flow, data.close_wait)) as BoxFuture<'static, Step>
                });
                Step { event, rest }
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

/// Moves the bytes the way the plan says; `close_wait` bounds the wait for the
/// client's `close_notify`.
async fn run(plan: Plan, mut sock: Conn, mut flow: Flow, close_wait: Duration) -> Step {
    let (sock, flow) = (&mut sock, &mut flow);
    let moved = match plan {
        #[cfg(target_os = "linux")]
        Plan::Splice(w) => splice(w, sock, flow, close_wait).await.map(Some),
        Plan::Receive(w) => receive(w, sock, flow, close_wait).await.map(Some),
        Plan::Send(b) => send_memory(b, sock, flow).await.map(|()| None),
        #[cfg(target_os = "linux")]
        Plan::SendFile(f) => send_file(f, sock, flow).await.map(|()| None),
        Plan::Read(r) => send_reader(r, sock, flow).await.map(|()| None),
    };
    let moved = match moved {
        // A download's bytes are all out: ours `close_notify`, the FIN. An upload's
        // file goes to the session driver, uncommitted.
        Ok(None) => sock.finish(close_wait).await.map(|()| None).map_err(broken),
        other => other,
    };
    end(DataEvent::ended(moved, flow.total()))
}

/// Opens the transfer's file ([`Plan::open`]): inline when [`opens_inline`] says so
/// (for small files the trip to the thread pool and back costs more than the open),
/// otherwise on the pool, so a slow storage never stalls the executor.
async fn open(shared: &Shared, t: &Transfer) -> Result<Plan, StorageError> {
    if opens_inline(&*shared.storage, t) {
        return Plan::open(&*shared.storage, t, false);
    }
    let (storage, t) = (Arc::clone(&shared.storage), t.clone());
    unblock(move || Plan::open(&*storage, &t, false)).await
}

/// Accepts on the passive listener (only peers the transfer [`accepts`](Transfer::accepts);
/// others are dropped and the wait goes on) or connects for active mode. The session's
/// own deadline bounds the wait: it aborts the transfer, which drops this future.
async fn connect(
    t: &Transfer,
    connection: DataConnection<Async<TcpListener>>,
) -> io::Result<(Async<TcpStream>, SocketAddr)> {
    match connection {
        DataConnection::Connect(addr) => {
            let s = Async::<TcpStream>::connect(addr).await?;
            Ok((s, addr))
        }
        DataConnection::Accept(passive) => loop {
            let (s, peer) = crate::net::accept(&passive.listener).await?;
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

/// Writes one block (converted to CRLF for TYPE A), within the speed limits.
async fn put(sock: &mut Conn, block: &[u8], flow: &mut Flow) -> Result<(), TransferError> {
    pace(flow, block.len()).await;
    let data = flow.convert(block);
    sock.write_all(data).await.map_err(broken)?;
    let n = data.len();
    flow.moved(n, Instant::now());
    // A socket that is always writable (a fast client on loopback) would let a
    // transfer of in-memory bytes run to its end in one poll, starving the control
    // connection (ABOR) and every other session on this executor.
    future::yield_now().await;
    Ok(())
}

async fn send_memory(bytes: Bytes, sock: &mut Conn, flow: &mut Flow) -> Result<(), TransferError> {
    for chunk in bytes.chunks(flow.block(BLOCK)) {
        put(sock, chunk, flow).await?;
    }
    Ok(())
}

/// Sends a local file with sendfile(2) ([`sansftp_storage::sendfile`]) on the
/// executor thread: the socket is non-blocking, and when nothing fits async-io waits
/// for it to be writable. A file system without sendfile goes through
/// [`send_reader`]'s buffers.
#[cfg(target_os = "linux")]
async fn send_file(file: File, sock: &mut Conn, flow: &mut Flow) -> Result<(), TransferError> {
    if let Some(plain) = sock.plain() {
        let mut send = SendFile::new(&file, flow, BLOCK);
        loop {
            let want = send.want();
            pace(flow, want).await;
            let result = plain.write_with(|s| send.send(s, want)).await;
            match send.sent(result, flow) {
                Ok(Sent::More) => {}
                Ok(Sent::Yield) => future::yield_now().await,
                Ok(Sent::End) => return Ok(()),
                // Nothing was sent and the file's position is unchanged.
                Err(SendFileError::Unsupported) => break,
                Err(SendFileError::Failed(e)) => return Err(e),
            }
        }
    }
    send_reader(ReadHandle::File(file), sock, flow).await
}

/// Reads the file on the blocking thread pool while the previous block goes out on the
/// socket: two buffers, allocated once per transfer, travel to the pool thread and
/// back, so nothing is copied or allocated per block.
async fn send_reader(
    reader: ReadHandle,
    sock: &mut Conn,
    flow: &mut Flow,
) -> Result<(), TransferError> {
    let size = flow.block(BLOCK);
    let read = |mut r: ReadHandle, mut buf: DataBuffer| {
        unblock(move || {
            let res = r.read_full(&mut buf);
            (r, buf, res)
        })
    };
    let mut reading = read(reader, DataBuffer::new(size));
    // The second buffer is made only for a file longer than one block.
    let mut spare = None;
    loop {
        let (r, buf, res) = reading.await;
        let n = res.map_err(|e| TransferError::Storage(storage_error(&e)))?;
        if n == 0 {
            break;
        }
        // A short block is the last one ([`ReadHandle::read_full`]).
        let next = (n == buf.len())
            // Start reading the next block before sending this one.
            .then(|| read(r, spare.take().unwrap_or_else(|| DataBuffer::new(size))));
        put(sock, &buf[..n], flow).await?;
        match next {
            Some(task) => reading = task,
            None => break,
        }
        spare = Some(buf);
    }
    Ok(())
}

/// The upload's file: free, or busy writing a block on the thread pool.
enum Writer {
    Idle(WriteHandle),
    Busy(blocking::Task<(WriteHandle, Vec<u8>, io::Result<()>)>),
}

impl Writer {
    /// Waits for the block being written; its buffer goes back to `free`.
    async fn idle(self, free: &mut Vec<Vec<u8>>) -> Result<WriteHandle, TransferError> {
        match self {
            Writer::Idle(w) => Ok(w),
            Writer::Busy(task) => {
                let (w, buf, res) = task.await;
                free.push(buf);
                res.map_err(|e| TransferError::Storage(storage_error(&e)))?;
                Ok(w)
            }
        }
    }
}

/// Receives a binary upload into a local file with splice(2)
/// ([`sansftp_storage::splice`]) on the executor thread: an empty socket makes async-io
/// wait for it to be readable, and the file side writes to the page cache, so the
/// server's threads bound an upload's CPU. What the file takes no spliced data for
/// goes through [`receive`].
#[cfg(target_os = "linux")]
async fn splice(
    mut w: WriteHandle,
    sock: &mut Conn,
    flow: &mut Flow,
    close_wait: Duration,
) -> Result<WriteHandle, TransferError> {
    if let (Some(plain), Some(file)) = (sock.plain(), w.file()) {
        if let Some(mut pipe) = SpliceInto::new(file) {
            loop {
                let filled = plain.read_with(|s| pipe.fill(s)).await;
                match pipe.land(file, filled, flow)? {
                    Spliced::More => {}
                    Spliced::Yield => future::yield_now().await,
                    Spliced::End => return Ok(w),
                    Spliced::Copied => break,
                }
            }
        }
    }
    receive(w, sock, flow, close_wait).await
}

/// Receives an upload until the client closes the data connection, reading the next
/// block from the socket while the pool writes the previous one, then flushes and
/// hands the file back, uncommitted: an end of file is also what a killed client's
/// kernel sends, so only the session (which knows whether the control connection is
/// alive) may decide to commit. A reset, or an abort that drops this future, drops
/// the handle uncommitted; so does an end without `close_notify` under TLS
/// ([`TransferError::Truncated`]). After the client's `close_notify` ours goes out.
/// Binary at full speed on a plain connection, through [`receive_binary`].
async fn receive(
    w: WriteHandle,
    sock: &mut Conn,
    flow: &mut Flow,
    close_wait: Duration,
) -> Result<WriteHandle, TransferError> {
    if let (true, Some(plain)) = (flow.is_plain(), sock.plain()) {
        return receive_binary(w, plain, flow).await;
    }
    let size = flow.block(BLOCK);
    let ascii = !flow.is_binary();
    // TYPE A reads into `raw` and converts into the block to write.
    let mut raw = DataBuffer::new(if ascii { size } else { 0 });
    let mut free: Vec<Vec<u8>> = Vec::with_capacity(2);
    let mut writer = Writer::Idle(w);
    loop {
        let mut buf = free.pop().unwrap_or_else(|| vec![0u8; size]);
        pace(flow, size).await;
        // `k` bytes came off the socket; `n` bytes of `buf` are to be written.
        let (k, n) = if ascii {
            let k = sock.read(&mut raw).await.map_err(read_error)?;
            buf.clear();
            flow.received_into(&raw[..k], &mut buf);
            (k, buf.len())
        } else {
            let mut k = sock.read(&mut buf).await.map_err(read_error)?;
            // A TLS read gives one record (16 KiB): take what is there already, so
            // the pool writes large blocks.
            while sock.is_tls() && k > 0 && k < buf.len() {
                match future::poll_once(sock.read(&mut buf[k..])).await {
                    Some(Ok(n)) if n > 0 => k += n,
                    Some(Err(e)) => return Err(read_error(e)),
                    _ => break,
                }
            }
            (k, k)
        };
        flow.moved(k, Instant::now());
        // Blocks are written in order: the previous one must be done first.
        let mut h = writer.idle(&mut free).await?;
        if n > 0 {
            writer = Writer::Busy(unblock(move || {
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
    let mut h = writer.idle(&mut free).await?;
    unblock(move || h.flush().map(|()| h))
        .await
        .map_err(|e| TransferError::Storage(storage_error(&e)))
}

/// The buffer of [`receive_binary`]: a socket read and a file write of this size stay
/// in one core's L2 cache.
const DRAIN_BUFFER: usize = 256 * 1024;
/// The most one trip to the pool moves before it comes back, so that an abort (which
/// drops the future, leaving the trip to end unheard) stops an upload promptly.
const DRAIN_BUDGET: usize = 8 << 20;

/// How a trip to the pool in [`receive_binary`] ended.
enum Drained {
    /// The socket has nothing more for now.
    Empty,
    /// [`DRAIN_BUDGET`] moved; there may be more.
    Budget,
    /// The client closed the data connection.
    End,
}

/// Receives a binary upload without a speed limit: a pool thread reads the socket
/// (non-blocking, through a duplicate of its descriptor) and writes each block to the
/// file in the same loop until the socket is empty, then this future waits for the
/// socket to be readable again. The bytes are read and written by one thread, while
/// they are in its cache, and the pool is visited once per burst of data rather than
/// once per block (two thread switches each).
async fn receive_binary(
    w: WriteHandle,
    sock: &Async<TcpStream>,
    flow: &mut Flow,
) -> Result<WriteHandle, TransferError> {
    // The duplicate shares the socket's non-blocking mode (async-io set it).
    let dup = sock.get_ref().try_clone().map_err(broken)?;
    let mut trip = (w, dup, DataBuffer::new(DRAIN_BUFFER));
    let mut wait = false;
    loop {
        if wait {
            sock.readable().await.map_err(broken)?;
        }
        let (mut w, dup, mut buf) = trip;
        let (w, dup, buf, n, res) = unblock(move || {
            let mut n = 0;
            let res = drain(&dup, &mut w, &mut buf, &mut n);
            (w, dup, buf, n, res)
        })
        .await;
        flow.moved(n, Instant::now());
        match res? {
            Drained::End => {
                return unblock(move || {
                    let mut w = w;
                    w.flush().map(|()| w)
                })
                .await
                .map_err(|e| TransferError::Storage(storage_error(&e)));
            }
            Drained::Empty => wait = true,
            Drained::Budget => wait = false,
        }
        trip = (w, dup, buf);
    }
}

/// Moves what the socket holds to the file; `n` counts the bytes moved.
fn drain(
    mut sock: &TcpStream,
    w: &mut WriteHandle,
    buf: &mut [u8],
    n: &mut usize,
) -> Result<Drained, TransferError> {
    while *n < DRAIN_BUDGET {
        let k = match sock.read(buf) {
            Ok(0) => return Ok(Drained::End),
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Drained::Empty),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(broken(e)),
        };
        // `k <= buf.len()`: read never reports more than it was given.
        w.write_all(&buf[..k])
            .map_err(|e| TransferError::Storage(storage_error(&e)))?;
        *n += k;
    }
    Ok(Drained::Budget)
}
