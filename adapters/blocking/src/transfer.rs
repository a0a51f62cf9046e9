//! One transfer, on its own thread: open the file, get the data connection, move the
//! bytes, report to the session's channel.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sansftp::server::{DataConnection, DataEvent, Flow, Transfer, TransferError};
use sansftp_storage::{Plan, Storage, WriteHandle, storage_error};
use sansftp_tls::rustls::{ServerConfig, ServerConnection};

use crate::msg::Msg;
use crate::tls::DataSocket;

/// A server data connection.
type Socket = DataSocket<ServerConnection>;

/// The copy buffer of the chunked paths (TYPE A, throttled, uploads): large, so each
/// system call moves a lot, and allocated once per transfer.
const BUFFER: usize = 256 * 1024;
/// The longest a throttled transfer sleeps before checking for an abort.
const MAX_NAP: Duration = Duration::from_millis(100);

/// What the session keeps of a running transfer, to stop it.
#[derive(Debug)]
pub(crate) struct TransferControl {
    aborted: AtomicBool,
    /// A clone of the data connection once there is one, to shut it down.
    socket: Mutex<Option<TcpStream>>,
    /// The passive listener's address: connecting to it wakes a blocked accept().
    wake: Option<SocketAddr>,
    /// The session took the data handshake's report without refusing it.
    released: AtomicBool,
    /// Wakes [`wait_released`](TransferControl::wait_released), with `socket`'s lock.
    go: Condvar,
}

/// Everything a transfer thread needs.
pub(crate) struct Job {
    pub(crate) transfer: Transfer,
    pub(crate) storage: Arc<dyn Storage>,
    /// A passive one borrows the session's listener, which the session keeps until the
    /// core says [`ClosePassive`](sansftp::server::Output::ClosePassive).
    pub(crate) connection: DataConnection<TcpListener>,
    pub(crate) control_peer: SocketAddr,
    pub(crate) control: Arc<TransferControl>,
    /// For active connections; the session itself times out a passive wait.
    pub(crate) connect_timeout: Duration,
    pub(crate) tx: Sender<Msg>,
    /// The data connection's TLS configuration (`PROT P`), from the session's
    /// `SessionTls::data`.
    pub(crate) tls: Option<Arc<ServerConfig>>,
}

impl TransferControl {
    pub(crate) fn new(wake: Option<SocketAddr>) -> TransferControl {
        TransferControl {
            aborted: AtomicBool::new(false),
            socket: Mutex::new(None),
            wake,
            released: AtomicBool::new(false),
            go: Condvar::new(),
        }
    }

    /// Stops the transfer: shuts its data connection down (the thread's next read or
    /// write fails), or wakes its accept(). Its upload is never committed.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let socket = self.lock().take();
        self.go.notify_all();
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

    /// The session did not refuse the data handshake: the transfer may move bytes.
    pub(crate) fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
        let _guard = self.lock();
        self.go.notify_all();
    }

    /// Waits for [`release`](Self::release) or an abort; true if released. No file
    /// byte moves before the core has checked that the handshake resumed this session.
    fn wait_released(&self) -> bool {
        let mut guard = self.lock();
        while !self.released.load(Ordering::SeqCst) && !self.is_aborted() {
            guard = self.go.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
        !self.is_aborted()
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
    let event = match result {
        Ok((bytes, upload)) => DataEvent::ended(Ok(upload), bytes),
        Err(error) => DataEvent::Failed(error),
    };
    Some((job.tx, Msg::Data { id, event }))
}

/// The copy loop's failure, by side, so the caller can tell a storage error from a
/// broken connection.
enum PumpError {
    Read(io::Error),
    Write(io::Error),
}

impl PumpError {
    /// A download's: the file is read, the socket written.
    fn download(self) -> TransferError {
        match self {
            PumpError::Read(e) => storage_error(&e).into(),
            PumpError::Write(e) => broken(e),
        }
    }

    /// An upload's: the socket is read (under TLS an end without `close_notify` is a
    /// truncation), the file written.
    fn upload(self) -> TransferError {
        match self {
            PumpError::Read(e) => sansftp_tls::read_error(e),
            PumpError::Write(e) => storage_error(&e).into(),
        }
    }
}

impl Job {
    /// Runs the transfer: the bytes moved, and for an upload its file, flushed but not
    /// committed.
    fn execute(&self) -> Result<(u64, Option<WriteHandle>), TransferError> {
        let t = &self.transfer;
        // On this transfer's own thread: a slow storage's file may be spliced into.
        let plan = Plan::open(&*self.storage, t, true)?;
        let (socket, peer) = self.connect()?;
        if !self.control.connected(&socket) {
            return Err(TransferError::Broken("aborted".into()));
        }
        let event = DataEvent::Connected(peer);
        let _ = self.tx.send(Msg::Data { id: t.id, event });
        let mut socket = match &self.tls {
            Some(config) => self.secure(config, socket)?,
            None => DataSocket::Plain(socket),
        };
        let mut flow = t.flow();
        let upload = match plan {
            Plan::Send(bytes) => self
                .send_bytes(&bytes, &mut socket, &mut flow)
                .map(|()| None),
            #[cfg(target_os = "linux")]
            Plan::SendFile(file) => self.send_file(file, &mut socket, &mut flow).map(|()| None),
            Plan::Read(mut file) => (self.pump(&mut file, &mut socket, &mut flow, false))
                .map_err(PumpError::download)
                .map(|()| None),
            #[cfg(target_os = "linux")]
            Plan::Splice(file) => self.upload(&mut socket, file, &mut flow, true).map(Some),
            Plan::Receive(file) => self.upload(&mut socket, file, &mut flow, false).map(Some),
        }?;
        if let Some(file) = upload {
            // Ours after the client's close_notify: the end is clean both ways.
            let _ = socket.close_write();
            return Ok((flow.total(), Some(file)));
        }
        socket.close_write().map_err(broken)?;
        socket.drain(t.tls.map_or(Duration::ZERO, |t| t.close_wait));
        Ok((flow.total(), None))
    }

    /// Runs the TLS handshake on the data connection and reports it; waits until the
    /// session has taken the report without refusing it.
    fn secure(
        &self,
        config: &Arc<ServerConfig>,
        socket: TcpStream,
    ) -> Result<Socket, TransferError> {
        let conn =
            ServerConnection::new(Arc::clone(config)).map_err(|e| broken(io::Error::other(e)))?;
        let socket = crate::tls::handshake(conn, socket).map(|s| DataSocket::Tls(Box::new(s)));
        let resumed = |s: &Socket| s.tls().is_some_and(|c| sansftp_tls::resumed(c));
        let event = DataEvent::secured(socket.as_ref().map(resumed));
        if let DataEvent::Failed(e) = event {
            return Err(e);
        }
        let _ = self.tx.send(Msg::Data {
            id: self.transfer.id,
            event,
        });
        let socket = socket.map_err(broken)?;
        if !self.control.wait_released() {
            return Err(TransferError::Broken("aborted".into()));
        }
        Ok(socket)
    }

    /// Accepts on the passive listener (only from the client's host) or connects to the
    /// client's PORT address.
    fn connect(&self) -> Result<(TcpStream, SocketAddr), TransferError> {
        match &self.connection {
            DataConnection::Connect(addr) => {
                let socket = TcpStream::connect_timeout(addr, self.connect_timeout)
                    .map_err(|e| TransferError::Connect(format!("{addr}: {e}")))?;
                Ok((socket, *addr))
            }
            DataConnection::Accept(passive) => loop {
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

    /// Sends bytes from memory, a [`BUFFER`] at a time so the progress is counted;
    /// `TYPE A` or under a speed limit through [`pump`](Job::pump).
    fn send_bytes(
        &self,
        bytes: &[u8],
        socket: &mut Socket,
        flow: &mut Flow,
    ) -> Result<(), TransferError> {
        if !flow.is_plain() {
            let mut bytes = bytes;
            return (self.pump(&mut bytes, socket, flow, false)).map_err(PumpError::download);
        }
        for block in bytes.chunks(BUFFER) {
            socket.write_all(block).map_err(broken)?;
            flow.moved(block.len(), Instant::now());
        }
        Ok(())
    }

    /// Sends a local file with sendfile(2) ([`sansftp_storage::sendfile`]), within the
    /// speed limits; a file system without it through [`pump`](Job::pump).
    #[cfg(target_os = "linux")]
    fn send_file(
        &self,
        mut file: std::fs::File,
        socket: &mut Socket,
        flow: &mut Flow,
    ) -> Result<(), TransferError> {
        use sansftp_storage::sendfile::{SendFile, SendFileError, Sent};
        if socket.tls().is_none() {
            let mut send = SendFile::new(&file, flow, BUFFER);
            loop {
                let Some(want) = self.allowance(flow, send.want()) else {
                    return Ok(());
                };
                match send.sent(send.send(socket.tcp(), want), flow) {
                    Ok(Sent::More | Sent::Yield) => {}
                    Ok(Sent::End) => return Ok(()),
                    // Nothing was sent and the file's position is unchanged.
                    Err(SendFileError::Unsupported) => break,
                    Err(SendFileError::Failed(e)) => return Err(e),
                }
            }
        }
        (self.pump(&mut file, socket, flow, false)).map_err(PumpError::download)
    }

    /// Receives an upload until the client closes the data connection. The file is not
    /// committed here: a killed client's kernel also ends the data connection cleanly,
    /// so the session decides ([`Output::CommitUpload`](sansftp::server::Output::CommitUpload)).
    /// Under TLS, an end without the client's close_notify is a truncation.
    /// With `splice`, a local file takes the bytes by splice(2) as long as it can.
    fn upload(
        &self,
        socket: &mut Socket,
        mut file: WriteHandle,
        flow: &mut Flow,
        splice: bool,
    ) -> Result<WriteHandle, TransferError> {
        let spliced = match file.file() {
            Some(f) if splice && socket.tls().is_none() => splice_into(f, socket.tcp(), flow)?,
            _ => false,
        };
        if !spliced {
            (self.pump(socket, &mut file, flow, true)).map_err(PumpError::upload)?;
        }
        // An ABOR shuts the socket down, which reads as end of file: never commit then.
        if self.control.is_aborted() {
            return Err(TransferError::Broken("aborted".into()));
        }
        file.flush()
            .map_err(|e| TransferError::Storage(storage_error(&e)))?;
        Ok(file)
    }

    /// Copies `src` to `dst` in large blocks, converting line endings and obeying the
    /// throttles, counting the bytes that crossed the data connection (`upload`: those
    /// read, else those written).
    fn pump(
        &self,
        src: &mut dyn Read,
        dst: &mut dyn Write,
        flow: &mut Flow,
        upload: bool,
    ) -> Result<(), PumpError> {
        let mut buf = sansftp::buffer::DataBuffer::new(BUFFER);
        loop {
            let Some(want) = self.allowance(flow, buf.len()) else {
                return Ok(());
            };
            let n = match src.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(PumpError::Read(e)),
            };
            let out = flow.convert(&buf[..n]);
            dst.write_all(out).map_err(PumpError::Write)?;
            let wire = if upload { n } else { out.len() };
            flow.moved(wire, Instant::now());
        }
        dst.write_all(flow.finish()).map_err(PumpError::Write)?;
        dst.flush().map_err(PumpError::Write)
    }

    /// How many bytes to move next (at most `max`), after sleeping as long as the speed
    /// limits require; `None` when the transfer was aborted meanwhile.
    fn allowance(&self, flow: &Flow, max: usize) -> Option<usize> {
        loop {
            let now = Instant::now();
            match flow.grant(max, now) {
                Ok(n) => return Some(n),
                Err(_) if self.control.is_aborted() => return None,
                Err(at) => thread::sleep(at.saturating_duration_since(now).min(MAX_NAP)),
            }
        }
    }
}

/// Moves a binary upload from the socket into a local file with splice(2) (Linux, see
/// [`sansftp_storage::splice`]): no byte passes through this process. True when the
/// socket reached its end; false when the file takes no spliced data (everything read
/// so far is in it): copy the rest by hand.
#[cfg(target_os = "linux")]
fn splice_into(
    file: &mut std::fs::File,
    socket: &TcpStream,
    flow: &mut Flow,
) -> Result<bool, TransferError> {
    use sansftp_storage::splice::{SpliceInto, Spliced};
    let Some(mut pipe) = SpliceInto::new(file) else {
        return Ok(false);
    };
    loop {
        let filled = pipe.fill(socket);
        match pipe.land(file, filled, flow)? {
            Spliced::More | Spliced::Yield => {}
            Spliced::End => return Ok(true),
            Spliced::Copied => return Ok(false),
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn splice_into(
    _file: &mut std::fs::File,
    _socket: &TcpStream,
    _flow: &mut Flow,
) -> Result<bool, TransferError> {
    Ok(false)
}

fn broken(e: io::Error) -> TransferError {
    TransferError::Broken(e.to_string())
}
