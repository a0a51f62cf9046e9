//! One data transfer as a future: open the file, get the data connection, report
//! ([`DataEvent::Connected`]), then move the bytes in large blocks.
//!
//! The session driver polls it next to the control connection; dropping it at any
//! point (ABOR, timeout, shutdown) closes the socket and drops an uncommitted
//! [`WriteHandle`]. An upload that reaches its end of file is not committed here: its
//! handle goes back to the driver ([`DataEvent::Received`]), which commits it only when
//! the session says so.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use std::fs::File;

use bytes::Bytes;
use sansftp::buffer::DataBuffer;
use sansftp::server::{DataConnection, DataEvent, Flow, StorageError, Transfer, TransferError};
#[cfg(target_os = "linux")]
use sansftp_storage::sendfile::{SendFile, SendFileError, Sent};
#[cfg(target_os = "linux")]
use sansftp_storage::splice::{SpliceInto, Spliced};
use sansftp_storage::{Plan, ReadHandle, WriteHandle, opens_inline, storage_error};
use sansftp_tls::{SessionTls, read_error};
#[cfg(target_os = "linux")]
use tokio::io::Interest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::auth::BoxFuture;
use crate::conn::Conn;
#[cfg(target_os = "linux")]
use crate::conn::when_ready;
use crate::shared::Shared;
use crate::wait::{BLOCK, pace, unblock};

/// What a transfer's future completes with: what to report, and after
/// [`DataEvent::Connected`] (and [`DataEvent::Secured`]) the rest of the transfer.
pub(crate) struct Step {
    pub(crate) event: DataEvent<WriteHandle>,
    pub(crate) rest: Option<BoxFuture<'static, Step>>,
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

/// Opens the transfer's file ([`Plan::open`]): inline when [`opens_inline`] says so,
/// otherwise on the blocking pool, so a slow storage never stalls a worker.
async fn open(shared: &Shared, t: &Transfer) -> Result<Plan, StorageError> {
    if opens_inline(&*shared.storage, t) {
        return Plan::open(&*shared.storage, t, false);
    }
    let (storage, t) = (Arc::clone(&shared.storage), t.clone());
    unblock(move || Plan::open(&*storage, &t, false)).await
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

/// Sends a local file with sendfile(2) ([`sansftp_storage::sendfile`]) on the
/// session's worker, through `TcpStream::try_io`; a file system without it through
/// [`send_reader`]'s buffers.
#[cfg(target_os = "linux")]
async fn send_file(file: File, sock: &mut Conn, flow: &mut Flow) -> Result<(), TransferError> {
    if let Some(plain) = sock.plain() {
        let mut send = SendFile::new(&file, flow, BLOCK);
        loop {
            let want = send.want();
            pace(flow, want).await;
            let result = when_ready(plain, Interest::WRITABLE, || send.send(plain, want)).await;
            match send.sent(result, flow) {
                Ok(Sent::More) => {}
                Ok(Sent::Yield) => tokio::task::yield_now().await,
                Ok(Sent::End) => return Ok(()),
                // Nothing was sent and the file's position is unchanged.
                Err(SendFileError::Unsupported) => break,
                Err(SendFileError::Failed(e)) => return Err(e),
            }
        }
    }
    send_reader(ReadHandle::File(file), sock, flow).await
}

/// Reads the file on the blocking pool while the previous block goes out on the
/// socket: two buffers, allocated once per transfer, travel to the pool and back.
async fn send_reader(
    reader: ReadHandle,
    sock: &mut Conn,
    flow: &mut Flow,
) -> Result<(), TransferError> {
    let size = flow.block(BLOCK);
    let read = |mut r: ReadHandle, mut buf: DataBuffer| {
        tokio::task::spawn_blocking(move || {
            let res = r.read_full(&mut buf);
            (r, buf, res)
        })
    };
    let mut reading = read(reader, DataBuffer::new(size));
    // The second buffer is made only for a file longer than one block.
    let mut spare = None;
    loop {
        let (r, buf, res) = joined(reading).await?;
        let n = res.map_err(storage)?;
        if n == 0 {
            break;
        }
        // A short block is the last one ([`ReadHandle::read_full`]).
        let next = (n == buf.len())
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

/// A pool task's result; a panic in it goes on here.
async fn joined<T>(task: JoinHandle<T>) -> Result<T, TransferError> {
    task.await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(_) => TransferError::Broken("the server is shutting down".into()),
    })
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

/// Receives a binary upload into a local file with splice(2)
/// ([`sansftp_storage::splice`]) on the session's worker; what the file takes no
/// spliced data for through [`receive`].
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
                let filled = when_ready(plain, Interest::READABLE, || pipe.fill(plain)).await;
                match pipe.land(file, filled, flow)? {
                    Spliced::More => {}
                    Spliced::Yield => tokio::task::yield_now().await,
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
/// kernel sends, so only the session may decide to commit. An end without
/// `close_notify` under TLS is [`TransferError::Truncated`]; after the client's
/// `close_notify` ours goes out.
async fn receive(
    w: WriteHandle,
    sock: &mut Conn,
    flow: &mut Flow,
    close_wait: Duration,
) -> Result<WriteHandle, TransferError> {
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
