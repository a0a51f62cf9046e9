//! One transfer, on its own thread: open the file, get the data connection, move the
//! bytes, report to the session's channel.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sansftp::server::ascii::{FromCrlf, ToCrlf};
use sansftp::server::{PortLease, Transfer, TransferError, TransferKind};
use sansftp_storage::{ReadHandle, Storage, WriteHandle, WriteMode, storage_error};

use crate::msg::Msg;

/// The copy buffer of the chunked paths (TYPE A, throttled, uploads): large, so each
/// system call moves a lot, and allocated once per transfer.
const BUFFER: usize = 256 * 1024;
/// The longest a throttled transfer sleeps before checking for an abort.
const MAX_NAP: Duration = Duration::from_millis(100);

/// A passive listener and the pool port it holds. The session keeps it until the core
/// says [`ClosePassive`](sansftp::server::Output::ClosePassive); a transfer borrows it.
#[derive(Debug)]
pub(crate) struct Passive {
    pub(crate) listener: TcpListener,
    pub(crate) addr: SocketAddr,
    pub(crate) _lease: PortLease,
}

/// Where the data connection comes from.
pub(crate) enum DataSource {
    Passive(Arc<Passive>),
    Active(SocketAddr),
}

/// What the session keeps of a running transfer, to stop it.
#[derive(Debug)]
pub(crate) struct TransferControl {
    aborted: AtomicBool,
    /// A clone of the data connection once there is one, to shut it down.
    socket: Mutex<Option<TcpStream>>,
    /// The passive listener's address: connecting to it wakes a blocked accept().
    wake: Option<SocketAddr>,
    /// Bytes moved so far, counted once per block, for the session's stall timeout.
    moved: AtomicU64,
}

/// Everything a transfer thread needs.
pub(crate) struct Job {
    pub(crate) transfer: Transfer,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) source: DataSource,
    pub(crate) control_peer: SocketAddr,
    pub(crate) control: Arc<TransferControl>,
    /// For active connections; the session itself times out a passive wait.
    pub(crate) connect_timeout: Duration,
    pub(crate) tx: Sender<Msg>,
}

impl TransferControl {
    pub(crate) fn new(wake: Option<SocketAddr>) -> TransferControl {
        TransferControl {
            aborted: AtomicBool::new(false),
            socket: Mutex::new(None),
            wake,
            moved: AtomicU64::new(0),
        }
    }

    /// The bytes moved so far ([`Session::data_progress`](sansftp::server::Session::data_progress)).
    pub(crate) fn moved(&self) -> u64 {
        self.moved.load(Ordering::Relaxed)
    }

    fn count(&self, n: usize) {
        self.moved.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Stops the transfer: shuts its data connection down (the thread's next read or
    /// write fails), or wakes its accept(). Its upload is never committed.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let socket = self.lock().take();
        match socket {
            Some(s) => {
                let _ = s.shutdown(Shutdown::Both);
            }
            None => {
                if let Some(addr) = self.wake {
                    // Refused when the listener is already gone: then nothing waits.
                    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
                }
            }
        }
    }

    fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// Keeps a clone of the data connection for [`abort`](Self::abort); false when the
    /// transfer was aborted already.
    fn connected(&self, socket: &TcpStream) -> bool {
        if let Ok(clone) = socket.try_clone() {
            *self.lock() = Some(clone);
        }
        // Checked after storing: an abort either sees the socket or is seen here.
        !self.is_aborted()
    }

    fn lock(&self) -> MutexGuard<'_, Option<TcpStream>> {
        self.socket.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs transfers one after the other on this thread (a session's transfer worker, see
/// `session::Conn::start_transfer`), until the session drops its sender. `idle` is set
/// before each report goes out, so a session that starts its next transfer on that
/// report finds this thread free.
pub(crate) fn work(jobs: Receiver<Job>, idle: &AtomicBool) {
    for job in jobs {
        let report = run(job);
        idle.store(true, Ordering::Release);
        if let Some((tx, msg)) = report {
            // Err: the session is gone, nobody to tell.
            let _ = tx.send(msg);
        }
    }
}

/// Runs a transfer; its report for the session, unless it was aborted (the session no
/// longer waits for it). Everything else the transfer held (its data connection, its
/// passive listener) is closed by then.
fn run(job: Job) -> Option<(Sender<Msg>, Msg)> {
    let id = job.transfer.id;
    // A bug below must not leave the session waiting forever for this transfer.
    // An upload's file comes back uncommitted: only the session may commit it.
    let result = panic::catch_unwind(AssertUnwindSafe(|| job.execute())).unwrap_or_else(|_| {
        log::error!("{}: transfer {id} panicked", job.control_peer);
        Err(TransferError::Broken("internal error".into()))
    });
    // The clone kept for abort() would hold the connection open: close it now, so the
    // client sees the end of the data before the 226.
    job.control.lock().take();
    if job.control.is_aborted() {
        return None;
    }
    let msg = match result {
        Ok((bytes, None)) => Msg::Done { id, bytes },
        Ok((bytes, Some(file))) => Msg::Received { id, bytes, file },
        Err(error) => Msg::Failed { id, error },
    };
    Some((job.tx, msg))
}

/// The file side of a transfer, opened before the data connection.
enum Endpoint {
    Read(ReadHandle),
    Write(WriteHandle),
    Bytes(bytes::Bytes),
}

/// The copy loop's failure, by side, so the caller can tell a storage error from a
/// broken connection.
enum PumpError {
    Read(io::Error),
    Write(io::Error),
}

impl Job {
    /// Runs the transfer: the bytes moved, and for an upload its file, flushed but not
    /// committed.
    fn execute(&self) -> Result<(u64, Option<WriteHandle>), TransferError> {
        let t = &self.transfer;
        let endpoint = match &t.kind {
            TransferKind::Retrieve { path, offset } => {
                Endpoint::Read(self.storage.open_read(&t.user, path, *offset)?)
            }
            TransferKind::Store {
                path,
                offset,
                append,
                unique,
            } => {
                let mode = WriteMode::for_store(*offset, *append, *unique);
                Endpoint::Write(self.storage.open_write(&t.user, path, mode)?)
            }
            TransferKind::SendData(bytes) => Endpoint::Bytes(bytes.clone()),
            other => {
                return Err(TransferError::Connect(format!(
                    "unsupported transfer {other:?}"
                )));
            }
        };
        let (socket, peer) = self.connect()?;
        if !self.control.connected(&socket) {
            return Err(TransferError::Broken("aborted".into()));
        }
        let _ = self.tx.send(Msg::Connected { id: t.id, peer });
        match endpoint {
            Endpoint::Read(file) => {
                let n = self.download(file, &socket)?;
                finish(&socket)?;
                Ok((n, None))
            }
            Endpoint::Bytes(bytes) => {
                let n = self.send_bytes(&bytes, &socket)?;
                finish(&socket)?;
                Ok((n, None))
            }
            Endpoint::Write(file) => {
                let (n, file) = self.upload(socket, file)?;
                Ok((n, Some(file)))
            }
        }
    }

    /// Accepts on the passive listener (only from the client's host) or connects to the
    /// client's PORT address.
    fn connect(&self) -> Result<(TcpStream, SocketAddr), TransferError> {
        match &self.source {
            DataSource::Active(addr) => {
                let socket = TcpStream::connect_timeout(addr, self.connect_timeout)
                    .map_err(|e| TransferError::Connect(format!("{addr}: {e}")))?;
                Ok((socket, *addr))
            }
            DataSource::Passive(passive) => loop {
                let (socket, peer) = passive
                    .listener
                    .accept()
                    .map_err(|e| TransferError::Connect(e.to_string()))?;
                if self.control.is_aborted() {
                    return Err(TransferError::Connect("aborted".into()));
                }
                // No port theft: another host's connection is dropped, and the real
                // client may still come.
                if !self.transfer.accepts(peer) {
                    log::warn!(
                        "{}: data connection from {peer} refused (not the client's host)",
                        self.control_peer
                    );
                    continue;
                }
                return Ok((socket, peer));
            },
        }
    }

    /// Sends bytes from memory, a [`BUFFER`] at a time so the progress is counted.
    fn send_bytes(&self, bytes: &[u8], mut socket: &TcpStream) -> Result<u64, TransferError> {
        for block in bytes.chunks(BUFFER) {
            socket.write_all(block).map_err(broken)?;
            self.control.count(block.len());
        }
        Ok(bytes.len() as u64)
    }

    fn download(&self, file: ReadHandle, socket: &TcpStream) -> Result<u64, TransferError> {
        let mut socket = socket;
        let plain = !self.transfer.ascii && !self.transfer.throttles.is_limited();
        match file {
            ReadHandle::File(mut f) if plain => match send_file(&mut f, socket, &self.control) {
                Ok(n) => Ok(n),
                // No sendfile for this file (or platform): copy it by hand.
                Err(SendFileError::Unsupported) => self
                    .pump(&mut f, &mut socket, Convert::None, false)
                    .map_err(|e| match e {
                        PumpError::Read(e) => storage_error(&e).into(),
                        PumpError::Write(e) => broken(e),
                    }),
                Err(SendFileError::Io(e)) => Err(broken(e)),
            },
            ReadHandle::Memory(cursor) if plain => {
                let start = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
                let bytes = cursor.into_inner();
                let rest = bytes.get(start..).unwrap_or_default();
                self.send_bytes(rest, socket)
            }
            mut file => {
                let convert = if self.transfer.ascii {
                    Convert::ToCrlf(ToCrlf::new())
                } else {
                    Convert::None
                };
                self.pump(&mut file, &mut socket, convert, false)
                    .map_err(|e| match e {
                        PumpError::Read(e) => storage_error(&e).into(),
                        PumpError::Write(e) => broken(e),
                    })
            }
        }
    }

    /// Receives an upload until the client closes the data connection. The file is not
    /// committed here: a killed client's kernel also ends the data connection cleanly,
    /// so the session decides ([`Output::CommitUpload`](sansftp::server::Output::CommitUpload)).
    fn upload(
        &self,
        mut socket: TcpStream,
        mut file: WriteHandle,
    ) -> Result<(u64, WriteHandle), TransferError> {
        let convert = if self.transfer.ascii {
            Convert::FromCrlf(FromCrlf::new())
        } else {
            Convert::None
        };
        let bytes = self
            .pump(&mut socket, &mut file, convert, true)
            .map_err(|e| match e {
                PumpError::Read(e) => broken(e),
                PumpError::Write(e) => storage_error(&e).into(),
            })?;
        // An ABOR shuts the socket down, which reads as end of file: never commit then.
        if self.control.is_aborted() {
            return Err(TransferError::Broken("aborted".into()));
        }
        file.flush()
            .map_err(|e| TransferError::Storage(storage_error(&e)))?;
        Ok((bytes, file))
    }

    /// Copies `src` to `dst` in large blocks, converting line endings and obeying the
    /// throttles; returns the bytes that crossed the data connection.
    fn pump(
        &self,
        src: &mut dyn Read,
        dst: &mut dyn Write,
        mut convert: Convert,
        upload: bool,
    ) -> Result<u64, PumpError> {
        let mut buf = vec![0u8; BUFFER];
        let mut converted = Vec::new();
        let mut total = 0u64;
        loop {
            let Some(want) = self.allowance(buf.len()) else {
                return Ok(total);
            };
            let n = match src.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(PumpError::Read(e)),
            };
            let out: &[u8] = match &mut convert {
                Convert::None => &buf[..n],
                Convert::ToCrlf(c) => {
                    converted.clear();
                    c.convert(&buf[..n], &mut converted);
                    &converted
                }
                Convert::FromCrlf(c) => {
                    converted.clear();
                    c.convert(&buf[..n], &mut converted);
                    &converted
                }
            };
            dst.write_all(out).map_err(PumpError::Write)?;
            let wire = if upload { n } else { out.len() };
            total += wire as u64;
            self.control.count(wire);
            self.transfer.throttles.consume(wire as u64, Instant::now());
        }
        if let Convert::FromCrlf(c) = &mut convert {
            converted.clear();
            c.finish(&mut converted);
            dst.write_all(&converted).map_err(PumpError::Write)?;
        }
        dst.flush().map_err(PumpError::Write)?;
        Ok(total)
    }

    /// How many bytes to move next (at most `max`), after sleeping as long as the speed
    /// limits require; `None` when the transfer was aborted meanwhile.
    fn allowance(&self, max: usize) -> Option<usize> {
        if !self.transfer.throttles.is_limited() {
            return Some(max);
        }
        loop {
            if self.control.is_aborted() {
                return None;
            }
            let now = Instant::now();
            match self.transfer.throttles.ready_at(max as u64, now) {
                Some(at) => thread::sleep(at.saturating_duration_since(now).min(MAX_NAP)),
                None => {
                    let available = self.transfer.throttles.available(now);
                    let n = usize::try_from(available).unwrap_or(usize::MAX);
                    return Some(n.clamp(1, max));
                }
            }
        }
    }
}

enum SendFileError {
    /// Nothing was sent: use another way.
    Unsupported,
    Io(io::Error),
}

/// Sends the rest of `file` (from its current position, the REST offset) with
/// sendfile(2): the kernel moves the bytes, none pass through this process.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_file(
    file: &mut std::fs::File,
    socket: &TcpStream,
    control: &TransferControl,
) -> Result<u64, SendFileError> {
    use rustix::io::Errno;
    // A few MiB per call, so the progress is counted while a large file goes out.
    const CHUNK: usize = 4 << 20;
    let mut total = 0u64;
    loop {
        match rustix::fs::sendfile(socket, &*file, None, CHUNK) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                total += n as u64;
                control.count(n);
            }
            Err(Errno::INTR) => {}
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) if total == 0 => {
                return Err(SendFileError::Unsupported);
            }
            Err(e) => return Err(SendFileError::Io(e.into())),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn send_file(
    _file: &mut std::fs::File,
    _socket: &TcpStream,
    _control: &TransferControl,
) -> Result<u64, SendFileError> {
    Err(SendFileError::Unsupported)
}

enum Convert {
    None,
    ToCrlf(ToCrlf),
    FromCrlf(FromCrlf),
}

/// Ends a download: FIN now, whoever else holds the socket.
fn finish(socket: &TcpStream) -> Result<(), TransferError> {
    match socket.shutdown(Shutdown::Write) {
        // Already closed by the client after it had everything: not an error.
        Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(broken(e)),
        _ => Ok(()),
    }
}

fn broken(e: io::Error) -> TransferError {
    TransferError::Broken(e.to_string())
}
