//! The loop that drives the core on the calling thread: the control connection, data
//! connections (passive connects, active listeners), listings, timeouts.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sansftp::client::{
    ClientOptions, Item, Operation, Output, Request, Session, SpeedLimits, Transfer, TransferEnd,
    TransferKind, Value,
};
use sansftp::{Error, Reply};
use sansftp_tls::rustls::pki_types::ServerName;
use sansftp_tls::rustls::{ClientConfig, ClientConnection, Stream, StreamOwned};

use crate::tls::DataSocket;

/// A client data connection.
pub(crate) type Socket = DataSocket<ClientConnection>;

/// The TLS of one client: one configuration for the control connection and every
/// data connection, and the control connection's server name, so that data
/// connections resume the control session.
#[derive(Debug, Clone)]
pub(crate) struct ClientTlsSetup {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) name: ServerName<'static>,
}

/// Bytes read from the control connection at a time.
const CONTROL_BUF: usize = 8 << 10;
/// Bytes read from a listing's data connection at a time.
const LISTING_BUF: usize = 64 << 10;

/// Where the core stopped for the caller.
// Lives for one call and is matched at once; boxing the result would cost more.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Stop {
    /// The operation finished.
    Done(Result<Value, Error>),
    /// A file transfer's data is to move now.
    Transfer(Transfer),
}

/// The data connection being set up, if any.
#[derive(Debug)]
enum DataSlot {
    None,
    /// Passive mode: connected.
    Stream(TcpStream),
    /// Active mode: waiting for the server's connection.
    Listener(TcpListener),
}

/// One control connection and its session.
pub(crate) struct Driver {
    pub(crate) session: Session,
    control: TcpStream,
    /// The control connection's TLS, once secured (or handshaking).
    control_tls: Option<Box<ClientConnection>>,
    tls: Option<ClientTlsSetup>,
    pub(crate) options: ClientOptions,
    pub(crate) limits: SpeedLimits,
    pub(crate) ascii: bool,
    greeting: Reply,
    data: DataSlot,
    /// Entries of the running listing not yet handed out.
    pub(crate) entries: VecDeque<Item>,
    control_buf: Box<[u8]>,
    listing_buf: Vec<u8>,
    /// The read timeout last set on the control socket (none at first), so a
    /// session without timeouts makes no `setsockopt` per reply.
    control_read_timeout: Option<Duration>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("peer", &self.session.peer())
            .field("closed", &self.session.is_closed())
            .field("running", &self.session.is_busy())
            .field("ascii", &self.ascii)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// Connects the control connection and reads the greeting.
    pub(crate) fn connect(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
        tls: Option<ClientTlsSetup>,
    ) -> Result<Driver, Error> {
        if options.config.tls.is_some() && tls.is_none() {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "options.config.tls is set but no TLS configuration was given: use Client::connect_tls",
            )));
        }
        let mut last = None;
        let mut control = None;
        for addr in addr.to_socket_addrs()? {
            match connect(addr, options.connect_timeout) {
                Ok(s) => {
                    control = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let control = match (control, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(Error::from_io(e, "the control connection")),
            (None, None) => {
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the address resolved to nothing",
                )));
            }
        };
        control.set_nodelay(true)?;
        control.set_write_timeout(options.socket_timeout)?;
        let now = Instant::now();
        let session = Session::new(
            options.session_config(),
            control.peer_addr()?,
            control.local_addr()?,
            now,
        );
        let limits = SpeedLimits::new(options.read_limit, options.write_limit);
        let mut driver = Driver {
            session,
            control,
            control_tls: None,
            tls,
            options,
            limits,
            ascii: false,
            greeting: Reply::new(sansftp::Code::READY, ""),
            data: DataSlot::None,
            entries: VecDeque::new(),
            control_buf: vec![0; CONTROL_BUF].into_boxed_slice(),
            listing_buf: Vec::new(),
            control_read_timeout: None,
        };
        match driver.wait_done()? {
            Value::Greeting(reply) => driver.greeting = reply,
            other => {
                return Err(Error::UnexpectedReply(format!(
                    "greeting ended with {other:?}"
                )));
            }
        }
        Ok(driver)
    }

    pub(crate) fn greeting(&self) -> &Reply {
        &self.greeting
    }

    /// Starts `op`, after finishing whatever is still pending.
    pub(crate) fn start(&mut self, op: Operation) -> Result<(), Error> {
        self.finish_pending();
        self.entries.clear();
        Ok(self.session.start(op, Instant::now(), SystemTime::now())?)
    }

    /// Whether an operation was started and its result not yet collected (the core
    /// stays busy until its `Output::Done` is drained).
    pub(crate) fn is_running(&self) -> bool {
        self.session.is_busy()
    }

    /// Runs `request` to its end.
    pub(crate) fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
        let finish = request.finisher();
        let res = match self.start(request.into_operation()) {
            Ok(()) => self.wait_done(),
            Err(e) => Err(e),
        };
        finish(res)
    }

    /// Drives a pending operation (a dropped stream's) to its end, discarding its
    /// result; the core ends its file transfer itself.
    pub(crate) fn finish_pending(&mut self) {
        if self.session.is_busy() {
            self.session.abandon(Instant::now());
            let _ = self.wait_done();
        }
        self.entries.clear();
    }

    /// Drives the running operation to its end. A file transfer asked for here has no
    /// stream to move it: it is failed (and so aborted).
    pub(crate) fn wait_done(&mut self) -> Result<Value, Error> {
        loop {
            match self.step() {
                Some(Stop::Done(res)) => return res,
                Some(Stop::Transfer(_)) => self.refuse_transfer(),
                None => {}
            }
        }
    }

    /// Ends a file transfer nobody will move.
    pub(crate) fn refuse_transfer(&mut self) {
        self.data = DataSlot::None;
        self.session
            .end_transfer(TransferEnd::Unwanted, Instant::now());
    }

    /// Drives the running transfer operation until its data is to move: the data
    /// connection, or `None` when the operation ended without one (the server answered
    /// the command with a completion at once).
    pub(crate) fn wait_transfer(&mut self) -> Result<Option<(Socket, Transfer)>, Error> {
        loop {
            match self.step() {
                Some(Stop::Done(res)) => return res.map(|_| None),
                Some(Stop::Transfer(t)) => match self.take_data(t.tls) {
                    Ok(s) => return Ok(Some((s, t))),
                    Err(e) => {
                        let copy = io::Error::new(e.kind(), e.to_string());
                        let end = TransferEnd::Failed(e);
                        self.session.end_transfer(end, Instant::now());
                        let res = self.wait_done();
                        let data_error = || Error::from_io(copy, "the data connection");
                        return Err(res.err().unwrap_or_else(data_error));
                    }
                },
                None => {}
            }
        }
    }

    /// Drains the core's outputs, acting on each, then (if the operation needs a reply)
    /// reads the control connection once. `Some` where the caller must take over.
    pub(crate) fn step(&mut self) -> Option<Stop> {
        let mut done = None;
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Send(bytes) => {
                    if let Err(e) = self.write_control(&bytes) {
                        // The core fails the operation with `e`; its `Close` follows.
                        self.session.control_failed(e);
                    }
                }
                Output::Connect(addr) => {
                    let now = Instant::now();
                    match self.connect_data(addr) {
                        Ok(s) => {
                            self.data = DataSlot::Stream(s);
                            self.session.data_connected(now);
                        }
                        Err(e) => self.session.data_failed(e, now),
                    }
                }
                Output::Listen(ip) => match TcpListener::bind((ip, 0)).and_then(|l| {
                    let at = l.local_addr()?;
                    Ok((l, at))
                }) {
                    Ok((listener, at)) => {
                        self.data = DataSlot::Listener(listener);
                        self.session.data_listening(at, Instant::now());
                    }
                    Err(e) => self.session.data_failed(e, Instant::now()),
                },
                Output::SecureControl => match self.secure_control() {
                    Ok(()) => self.session.control_secured(Instant::now()),
                    Err(e) => self.session.control_failed(e),
                },
                Output::Transfer(t) if t.kind == TransferKind::Listing => self.read_listing(t.tls),
                Output::Transfer(t) => return Some(Stop::Transfer(t)),
                Output::CloseData => self.data = DataSlot::None,
                Output::Entry(item) => self.entries.push_back(item),
                Output::Done(res) => done = Some(res),
                Output::Close => {
                    self.data = DataSlot::None;
                    self.close_control();
                }
                _ => {}
            }
        }
        if let Some(res) = done {
            return Some(Stop::Done(res));
        }
        if !self.session.is_busy() {
            // Nothing runs and nothing came: a caller bug, not a hang.
            return Some(Stop::Done(Err(Error::ConnectionClosed)));
        }
        self.read_control()
    }

    /// Reads the control connection once, bounded by the core's deadline (its reply
    /// timeout, by default the socket timeout).
    fn read_control(&mut self) -> Option<Stop> {
        let now = Instant::now();
        let wait = self.session.poll_timeout().map(|d| {
            d.saturating_duration_since(now)
                .max(Duration::from_millis(1))
        });
        if wait != self.control_read_timeout {
            if let Err(e) = self.control.set_read_timeout(wait) {
                self.session.control_failed(e);
                return None;
            }
            self.control_read_timeout = wait;
        }
        let read = match self.control_tls.as_deref_mut() {
            Some(tls) => Stream::new(tls, &mut self.control).read(&mut self.control_buf),
            None => self.control.read(&mut self.control_buf),
        };
        match read {
            Ok(0) => self.session.control_closed(),
            Ok(n) => {
                let bytes = self.control_buf.get(..n).unwrap_or_default();
                self.session.handle_control(bytes, Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.session.handle_timeout(Instant::now());
            }
            Err(e) => self.session.control_failed(e),
        }
        None
    }

    fn write_control(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.control_tls.as_deref_mut() {
            Some(tls) => Stream::new(tls, &mut self.control).write_all(bytes),
            None => self.control.write_all(bytes),
        }
    }

    /// Runs the TLS handshake on the control connection (within the socket timeout).
    fn secure_control(&mut self) -> io::Result<()> {
        self.control.set_read_timeout(self.options.socket_timeout)?;
        self.control_read_timeout = self.options.socket_timeout;
        let tls = self.handshake(self.control.try_clone()?, "")?;
        self.control_tls = Some(Box::new(tls.conn));
        Ok(())
    }

    /// Runs the TLS handshake on `s` with the one configuration and the control
    /// connection's name (so data connections resume the control session); an error
    /// names the host and `what`.
    fn handshake(
        &self,
        s: TcpStream,
        what: &str,
    ) -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
        let tls = self
            .tls
            .as_ref()
            .ok_or_else(|| io::Error::other("no TLS configuration"))?;
        let name = tls.name.to_str();
        let failed = |e: &(dyn std::error::Error + 'static)| {
            sansftp_tls::handshake_failed(e, io::ErrorKind::Other, &name, what)
        };
        let conn = ClientConnection::new(Arc::clone(&tls.config), tls.name.clone())
            .map_err(|e| failed(&e))?;
        crate::tls::handshake(conn, s).map_err(|e| failed(&e))
    }

    fn connect_data(&self, addr: SocketAddr) -> io::Result<TcpStream> {
        let s = connect(addr, self.options.connect_timeout)?;
        self.prepare(&s)?;
        Ok(s)
    }

    /// Sets the socket timeout on a data connection (a new socket has none: nothing
    /// to do without one).
    fn prepare(&self, s: &TcpStream) -> io::Result<()> {
        if self.options.socket_timeout.is_none() {
            return Ok(());
        }
        s.set_read_timeout(self.options.socket_timeout)?;
        s.set_write_timeout(self.options.socket_timeout)
    }

    /// The data connection for the transfer the core announced: the passive one, or
    /// the server's connection to the active listener.
    /// With `tls`, after its handshake (the server starts it after its `150`).
    fn take_data(&mut self, tls: bool) -> io::Result<Socket> {
        let s = match std::mem::replace(&mut self.data, DataSlot::None) {
            DataSlot::Stream(s) => s,
            DataSlot::Listener(l) => {
                let wait = self.options.connect_timeout.or(self.options.socket_timeout);
                let s = accept_from(&l, &self.session, wait)?;
                self.prepare(&s)?;
                s
            }
            DataSlot::None => {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "no data connection was opened",
                ));
            }
        };
        if tls {
            return Ok(DataSocket::Tls(Box::new(
                self.handshake(s, " on the data connection")?,
            )));
        }
        Ok(DataSocket::Plain(s))
    }

    /// Reads a listing's data connection to its end, feeding the core.
    fn read_listing(&mut self, tls: bool) {
        let mut s = match self.take_data(tls) {
            Ok(s) => s,
            Err(e) => return self.session.data_failed(e, Instant::now()),
        };
        self.listing_buf.resize(LISTING_BUF, 0);
        // Read until the end, or until the core wants no more (its listing cap).
        while self.session.is_moving() {
            match s.read(&mut self.listing_buf) {
                Ok(0) => {
                    // Our close_notify back (TLS).
                    let _ = s.close_write();
                    return self.session.data_done(Instant::now());
                }
                Ok(n) => {
                    let bytes = self.listing_buf.get(..n).unwrap_or_default();
                    self.session.handle_data(bytes, Instant::now());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.session.data_failed(e, Instant::now()),
            }
        }
    }

    /// Shuts the control connection down (after `QUIT`).
    pub(crate) fn close(&mut self) {
        self.data = DataSlot::None;
        self.close_control();
    }

    /// Closes the control connection, after a `close_notify` under TLS.
    fn close_control(&mut self) {
        if let Some(tls) = self.control_tls.as_deref_mut() {
            tls.send_close_notify();
            let _ = tls.write_tls(&mut self.control);
        }
        let _ = self.control.shutdown(Shutdown::Both);
    }
}

fn connect(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    match timeout {
        Some(t) => TcpStream::connect_timeout(&addr, t.max(Duration::from_millis(1))),
        None => TcpStream::connect(addr),
    }
}

/// Accepts the server's data connection, only those the core
/// [accepts](Session::accepts) (other hosts' connections are dropped), within
/// `timeout`. std's listener has no accept timeout: it polls in non-blocking mode,
/// sleeping 1 ms at first, up to 16 ms between tries.
fn accept_from(
    l: &TcpListener,
    session: &Session,
    timeout: Option<Duration>,
) -> io::Result<TcpStream> {
    l.set_nonblocking(true)?;
    let until = timeout.map(|t| Instant::now() + t);
    let mut nap = Duration::ZERO;
    loop {
        match l.accept() {
            Ok((s, from)) if session.accepts(from) => {
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if until.is_some_and(|u| Instant::now() >= u) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the server did not connect to the active-mode listener",
            ));
        }
        std::thread::sleep(nap);
        nap = (nap * 2).clamp(Duration::from_millis(1), Duration::from_millis(16));
    }
}
