//! The loop that drives the core: write what it sends, open the data connections it
//! asks for, read a listing's data beside the control connection, wait for replies and
//! the core's deadline. Every protocol decision is the core's.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
use sansftp::Error;
use sansftp::client::{Operation, Output, Request, Transfer, TransferEnd, TransferKind, Value};
use sansftp_tls::rustls::pki_types::ServerName;

use super::Client;
use crate::conn::Conn;

/// Why [`Client::step`] returned.
// One per call, moved once: boxing the result would cost more than it saves.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Stop {
    /// The running operation ended.
    Done(Result<Value, Error>),
    /// A file transfer is ready: its data connection is in `Client::data`.
    Transfer(Transfer),
    /// Listing entries wait in `Client::entries` (only when asked for).
    Entries,
}

/// What woke the loop up.
enum Event {
    Control(io::Result<usize>),
    Deadline,
    Data(io::Result<usize>),
    Accepted(io::Result<(Async<TcpStream>, SocketAddr)>),
}

/// How long an upload waits for the server's `close_notify` at most (less under a
/// smaller socket timeout).
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The wait for the peer's `close_notify` within `socket_timeout`.
pub(crate) fn close_wait(socket_timeout: Option<Duration>) -> Duration {
    socket_timeout.map_or(CLOSE_WAIT, |t| t.min(CLOSE_WAIT))
}

/// Races `f` against `limit` (none: no limit); a timeout is an
/// [`io::ErrorKind::TimedOut`] error naming `what`.
pub(crate) async fn timeout<T>(
    limit: Option<Duration>,
    what: &str,
    f: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match limit {
        None => f.await,
        Some(d) => {
            future::or(f, async {
                Timer::after(d).await;
                Err(timed_out(what))
            })
            .await
        }
    }
}

/// The error of a socket operation that took longer than its limit.
pub(crate) fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("timed out: {what}"))
}

/// Connects to `addr` within `limit`, with `TCP_NODELAY`.
pub(crate) async fn connect(
    addr: SocketAddr,
    limit: Option<Duration>,
) -> io::Result<Async<TcpStream>> {
    let sock = timeout(limit, "connecting", Async::<TcpStream>::connect(addr)).await?;
    sock.get_ref().set_nodelay(true)?;
    Ok(sock)
}

impl Client {
    /// Finishes whatever operation is still running (a stream dropped before its end, a
    /// listing stream dropped halfway): transfers the core starts meanwhile are aborted,
    /// the result is discarded. Afterwards the control channel is in step.
    pub(crate) async fn finish_pending(&mut self) {
        // The core stays busy until the operation's result is drained, also when a
        // dropped stream has already ended it; it ends the operation's file transfer
        // itself.
        if !self.session.is_busy() {
            return;
        }
        self.session.abandon(Instant::now());
        loop {
            match self.step(false).await {
                Stop::Done(res) => {
                    if let Err(e) = res {
                        log::debug!("the abandoned operation ended with: {e}");
                    }
                    break;
                }
                Stop::Transfer(_) => self.refuse_transfer(),
                Stop::Entries => self.entries.clear(),
            }
        }
        self.entries.clear();
    }

    /// Starts `op` once any earlier one is finished.
    pub(crate) async fn start(&mut self, op: Operation) -> Result<(), Error> {
        self.finish_pending().await;
        self.entries.clear();
        Ok(self.session.start(op, Instant::now(), SystemTime::now())?)
    }

    /// Runs `request`, which moves no file data, to its end.
    pub(crate) async fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
        let finish = request.finisher();
        let res = match self.start(request.into_operation()).await {
            Ok(()) => self.run_started().await,
            Err(e) => Err(e),
        };
        finish(res)
    }

    /// Drives the started operation to its end.
    pub(crate) async fn run_started(&mut self) -> Result<Value, Error> {
        loop {
            match self.step(false).await {
                Stop::Done(res) => return res,
                Stop::Entries => {}
                // Only upload and download operations hand out a file transfer.
                Stop::Transfer(_) => self.refuse_transfer(),
            }
        }
    }

    /// Drives the core until the running operation ends, a file transfer is ready, or
    /// (with `yield_entries`) listing entries are waiting.
    ///
    /// Cancel-safe: a caller that drops the future loses nothing the core needs. Command
    /// bytes wait in `ctrl_out` and a data connection to open in `connecting` until the
    /// next call finishes them; a transfer handed out but never streamed is ended by
    /// the core when the next call abandons the operation (`Session::abandon`).
    pub(crate) async fn step(&mut self, yield_entries: bool) -> Stop {
        loop {
            // What an earlier (maybe cancelled) pass owes the peer, first.
            self.flush_control().await;
            if let Some(addr) = self.connecting {
                let res = connect(addr, self.options.connect_timeout).await;
                self.connecting = None;
                match res {
                    Ok(sock) => {
                        self.data = Some(Conn::Plain(sock));
                        self.session.data_connected(Instant::now());
                    }
                    Err(e) => self.session.data_failed(e, Instant::now()),
                }
            }
            if std::mem::take(&mut self.securing) {
                self.secure_control().await;
            }
            let mut done = None;
            let mut ready = None;
            while let Some(out) = self.session.poll_output() {
                let now = Instant::now();
                match out {
                    Output::Send(bytes) => self.ctrl_out.extend_from_slice(&bytes),
                    Output::Connect(addr) => {
                        // Opened at the top of the loop, after the commands before it.
                        self.connecting = Some(addr);
                        break;
                    }
                    Output::SecureControl => {
                        // Run at the top of the loop, after the commands before it.
                        self.securing = true;
                        break;
                    }
                    Output::Listen(ip) => match bind(ip) {
                        Ok((listener, at)) => {
                            self.listener = Some(listener);
                            self.session.data_listening(at, now);
                        }
                        Err(e) => self.session.data_failed(e, now),
                    },
                    Output::Transfer(t) => {
                        if self.data.is_some() && t.kind != TransferKind::Listing {
                            ready = Some(t);
                        } else {
                            // A listing to read, or (active mode) a connection to accept.
                            self.transfer = Some(t);
                            self.accept_since = Some(now);
                        }
                    }
                    Output::CloseData => {
                        self.data = None;
                        self.listener = None;
                        self.transfer = None;
                    }
                    Output::Entry(item) => self.entries.push_back(item),
                    Output::Done(res) => done = Some(res),
                    Output::Close => self.closing = true,
                    other => log::debug!("ignored an output this client does not know: {other:?}"),
                }
            }
            if self.connecting.is_some() || self.securing {
                continue;
            }
            self.flush_control().await;
            if self.closing {
                self.closing = false;
                self.ctrl.shutdown();
            }
            if let Some(res) = done {
                return Stop::Done(res);
            }
            if let Some(t) = ready {
                match self.hand_out(t).await {
                    Some(stop) => return stop,
                    None => continue,
                }
            }
            if yield_entries && !self.entries.is_empty() {
                return Stop::Entries;
            }
            if self.session.is_closed() || !self.session.is_busy() {
                // Nothing can come any more (a closed session has no operation).
                return Stop::Done(Err(Error::ConnectionClosed));
            }
            // A listing's data connection under `PROT P`, before it is read.
            if matches!((&self.transfer, &self.data), (Some(t), Some(d)) if t.tls && !d.is_tls()) {
                if let Err(e) = self.secure_data().await {
                    self.data = None;
                    self.transfer = None;
                    self.session.data_failed(e, Instant::now());
                    continue;
                }
            }
            match self.wait().await {
                Event::Control(Ok(0)) => self.session.control_closed(),
                Event::Control(Ok(n)) => {
                    let bytes = self.ctrl_buf.get(..n).unwrap_or_default();
                    self.session.handle_control(bytes, Instant::now());
                }
                Event::Control(Err(e)) => self.control_failed(e),
                Event::Deadline => self.session.handle_timeout(Instant::now()),
                Event::Data(Ok(0)) => {
                    if let Some(d) = &mut self.data {
                        d.close_notify_now();
                    }
                    self.data = None;
                    self.transfer = None;
                    self.session.data_done(Instant::now());
                }
                Event::Data(Ok(n)) => {
                    let bytes = self.data_buf.get(..n).unwrap_or_default();
                    self.session.handle_data(bytes, Instant::now());
                }
                Event::Data(Err(e)) => {
                    self.data = None;
                    self.transfer = None;
                    self.session.data_failed(e, Instant::now());
                }
                Event::Accepted(Ok((_, from))) if !self.session.accepts(from) => {
                    log::warn!("refused a data connection from {from}: not the server's host");
                }
                Event::Accepted(Ok((sock, _))) => {
                    self.listener = None;
                    self.accept_since = None;
                    if sock.get_ref().set_nodelay(true).is_err() {
                        log::debug!("TCP_NODELAY refused on a data connection");
                    }
                    self.data = Some(Conn::Plain(sock));
                    match self.transfer {
                        Some(t) if t.kind != TransferKind::Listing => {
                            self.transfer = None;
                            if let Some(stop) = self.hand_out(t).await {
                                return stop;
                            }
                        }
                        _ => {}
                    }
                }
                Event::Accepted(Err(e)) => {
                    self.listener = None;
                    self.transfer = None;
                    self.accept_since = None;
                    self.session.data_failed(e, Instant::now());
                }
            }
        }
    }

    /// Waits for control bytes, the core's deadline, or the running listing's data (or
    /// the active-mode connection), whichever comes first.
    async fn wait(&mut self) -> Event {
        let deadline = self.session.poll_timeout();
        let Client {
            ctrl,
            ctrl_buf,
            data,
            listener,
            transfer,
            data_buf,
            options,
            accept_since,
            ..
        } = self;
        let control = async { Event::Control(ctrl.read(ctrl_buf).await) };
        let timer = async {
            match deadline {
                Some(at) => {
                    Timer::at(at).await;
                    Event::Deadline
                }
                None => future::pending().await,
            }
        };
        let data = async {
            match (transfer.as_ref(), data.as_mut(), listener.as_ref()) {
                (Some(t), Some(sock), _) if t.kind == TransferKind::Listing => {
                    if data_buf.is_empty() {
                        data_buf.resize(LISTING_BLOCK, 0);
                    }
                    let read = sock.read(data_buf);
                    Event::Data(timeout(options.socket_timeout, "reading a listing", read).await)
                }
                (Some(_), None, Some(l)) => {
                    // The wait counts from the transfer's start, across wake-ups.
                    let left = options.connect_timeout.map(|d| {
                        let spent = accept_since.map_or(Duration::ZERO, |s| s.elapsed());
                        d.saturating_sub(spent)
                    });
                    let what = "the server's data connection";
                    Event::Accepted(timeout(left, what, l.accept()).await)
                }
                _ => future::pending().await,
            }
        };
        future::or(control, future::or(data, timer)).await
    }

    /// A file transfer to hand out, after its data connection's TLS handshake when
    /// the core asks for one; `None` when the handshake failed (the transfer ended).
    async fn hand_out(&mut self, t: Transfer) -> Option<Stop> {
        if t.tls {
            if let Err(e) = self.secure_data().await {
                self.data = None;
                self.session
                    .end_transfer(TransferEnd::Failed(e), Instant::now());
                return None;
            }
        }
        Some(Stop::Transfer(t))
    }

    /// The TLS handshake on the control connection, which the core asked for.
    async fn secure_control(&mut self) {
        let res = match &self.tls {
            Some((config, name)) => {
                let (config, name) = (Arc::clone(config), name.clone());
                let what = "the TLS handshake";
                let shake = self.ctrl.connect(config, name.clone());
                timeout(self.options.socket_timeout, what, shake)
                    .await
                    .map_err(|e| tls_failed(e, &name, ""))
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the session asked for TLS, but the client has no TLS configuration: use Client::connect_tls",
            )),
        };
        match res {
            Ok(()) => self.session.control_secured(Instant::now()),
            Err(e) => self.control_failed(e),
        }
    }

    /// The TLS handshake on the data connection (same configuration and server name
    /// as the control connection's, so the server sees its session resumed).
    async fn secure_data(&mut self) -> io::Result<()> {
        let (Some((config, name)), Some(data)) = (&self.tls, self.data.as_mut()) else {
            return Err(io::Error::other(
                "no TLS configuration for the data connection",
            ));
        };
        let shake = data.connect(Arc::clone(config), name.clone());
        let what = "the data connection's TLS handshake";
        timeout(self.options.socket_timeout, what, shake)
            .await
            .map_err(|e| tls_failed(e, name, " on the data connection"))
    }

    /// Ends a file transfer the core handed out where none was wanted.
    pub(crate) fn refuse_transfer(&mut self) {
        self.data = None;
        self.session
            .end_transfer(TransferEnd::Unwanted, Instant::now());
    }

    /// Writes the commands the core has queued, and under TLS flushes them out of
    /// rustls. Cancel-safe: what is not written yet stays in `ctrl_out` (or rustls). A
    /// failure closes the session.
    async fn flush_control(&mut self) {
        self.write_control().await;
        if self.ctrl.is_tls() && !self.session.is_closed() {
            let flushed = timeout(
                self.options.socket_timeout,
                "writing a command",
                self.ctrl.flush(),
            );
            if let Err(e) = flushed.await {
                self.control_failed(e);
            }
        }
    }

    async fn write_control(&mut self) {
        while !self.ctrl_out.is_empty() {
            let limit = self.options.socket_timeout;
            let written =
                timeout(limit, "writing a command", self.ctrl.write(&self.ctrl_out)).await;
            match written {
                Ok(0) => {
                    self.ctrl_out.clear();
                    self.control_failed(io::ErrorKind::WriteZero.into());
                }
                Ok(n) => {
                    self.ctrl_out.drain(..n.min(self.ctrl_out.len()));
                }
                Err(e) => {
                    self.ctrl_out.clear();
                    self.control_failed(e);
                }
            }
        }
    }

    /// The control connection broke: the core ends the session with the error.
    fn control_failed(&mut self, e: io::Error) {
        log::debug!("control connection failed: {e}");
        self.session.control_failed(e);
    }
}

/// A failed TLS handshake with `name`, in one line.
fn tls_failed(e: io::Error, name: &ServerName<'_>, on: &str) -> io::Error {
    sansftp_tls::handshake_failed(&e, e.kind(), &name.to_str(), on)
}

/// A listing is read in blocks of this size.
const LISTING_BLOCK: usize = 64 << 10;

/// Binds the active-mode listener on `ip`, any port.
fn bind(ip: IpAddr) -> io::Result<(Async<TcpListener>, SocketAddr)> {
    let listener = Async::<TcpListener>::bind(SocketAddr::new(ip, 0))?;
    let at = listener.get_ref().local_addr()?;
    Ok((listener, at))
}
