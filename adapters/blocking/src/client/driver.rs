//! [`Io`]: the client's sockets and TLS on `std::net` and rustls, as the core's
//! [`Driver::run_blocking`](sansftp::client::Driver::run_blocking) uses them
//! ([`ClientIo`]) on the calling thread. The loop is the core's, every decision too.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sansftp::client::{Action, ClientIo, DataWait, Driver, Until, Wait};
use sansftp_tls::rustls::pki_types::ServerName;
use sansftp_tls::rustls::{ClientConfig, ClientConnection, Stream, StreamOwned};

use super::Client;
use crate::tls::DataSocket;

/// A client data connection.
pub(crate) type Socket = DataSocket<ClientConnection>;

/// Bytes read from a listing's data connection at a time.
const LISTING_BUF: usize = 64 << 10;

/// The client's sockets and TLS on `std::net` and rustls, as the core's [`Driver`]
/// uses them: every call blocks (bounded by the socket timeout), so every future is
/// ready at once ([`Driver::run_blocking`]).
#[derive(Debug)]
pub(crate) struct Io {
    pub(crate) control: TcpStream,
    /// The control connection's TLS, once secured (or handshaking).
    pub(crate) control_tls: Option<Box<ClientConnection>>,
    /// FTPS: one configuration for every connection, and the name they check (so
    /// data connections resume the control connection's session).
    pub(crate) tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    /// The data connection: passive, connected; active, accepted.
    pub(crate) data: Option<Socket>,
    /// The active-mode listener, until the server's connection is accepted.
    pub(crate) listener: Option<TcpListener>,
    pub(crate) control_buf: Box<[u8]>,
    pub(crate) listing_buf: Vec<u8>,
    /// The read timeout last set on the control socket (none at first), so a
    /// session without timeouts makes no `setsockopt` per reply.
    pub(crate) control_read_timeout: Option<Duration>,
    /// The socket timeout (each read, write and handshake).
    pub(crate) socket_timeout: Option<Duration>,
    /// The connect timeout (each passive data connection).
    pub(crate) connect_timeout: Option<Duration>,
}

impl Client {
    /// Does what the driver says until it stops as `until` asks.
    pub(crate) fn drive(&mut self, until: Until) -> Action {
        self.driver.run_blocking(&mut self.io, until)
    }
}

impl ClientIo for Io {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self.control_tls.as_deref_mut() {
            Some(tls) => Stream::new(tls, &mut self.control).write_all(bytes)?,
            None => self.control.write_all(bytes)?,
        }
        Ok(bytes.len())
    }

    async fn connect(&mut self, addr: SocketAddr) -> io::Result<()> {
        let s = prepare(connect(addr, self.connect_timeout)?, self.socket_timeout)?;
        self.data = Some(DataSocket::Plain(s));
        Ok(())
    }

    async fn listen(&mut self, ip: IpAddr) -> io::Result<SocketAddr> {
        let listener = TcpListener::bind((ip, 0))?;
        let at = listener.local_addr()?;
        self.listener = Some(listener);
        Ok(at)
    }

    /// Runs the TLS handshake on the control connection (within the socket timeout).
    async fn secure_control(&mut self) -> io::Result<()> {
        self.control.set_read_timeout(self.socket_timeout)?;
        self.control_read_timeout = self.socket_timeout;
        let tls = self.handshake(self.control.try_clone()?, "")?;
        self.control_tls = Some(Box::new(tls.conn));
        Ok(())
    }

    async fn secure_data(&mut self) -> io::Result<()> {
        let Some(DataSocket::Plain(s)) = self.data.take() else {
            return Err(io::Error::other("no plaintext data connection to secure"));
        };
        let tls = self.handshake(s, " on the data connection")?;
        self.data = Some(DataSocket::Tls(Box::new(tls)));
        Ok(())
    }

    fn close_data(&mut self) {
        (self.data, self.listener) = (None, None);
    }

    /// Closes the control connection, after a `close_notify` under TLS.
    fn close_control(&mut self) {
        self.data = None;
        if let Some(tls) = self.control_tls.as_deref_mut() {
            tls.send_close_notify();
            let _ = tls.write_tls(&mut self.control);
        }
        let _ = self.control.shutdown(Shutdown::Both);
    }

    /// Waits for what the driver asks: one read of a listing, the server's active-mode
    /// connection, or else one read of the control connection, bounded by the core's
    /// deadline (its reply timeout); reports what came.
    async fn wait(&mut self, w: Wait, driver: &mut Driver) {
        let now = Instant::now;
        match (w.data, self.data.as_mut(), self.listener.as_ref()) {
            (DataWait::ReadListing, Some(s), _) => {
                self.listing_buf.resize(LISTING_BUF, 0);
                let res = match s.read(&mut self.listing_buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
                    res => res,
                };
                if let Ok(0) = res {
                    // Our close_notify back (TLS).
                    let _ = s.close_write();
                }
                let res = res.map(|n| self.listing_buf.get(..n).unwrap_or_default());
                driver.listing_read(res, now());
            }
            (DataWait::Accept { until }, _, Some(l)) => {
                let timeout = self.socket_timeout;
                let res = accept(l, until).and_then(|(s, from)| Ok((prepare(s, timeout)?, from)));
                let (sock, from) = match res {
                    Ok((sock, from)) => (Some(sock), Ok(from)),
                    Err(e) => (None, Err(e)),
                };
                if driver.accepted(from, now()) {
                    self.listener = None;
                    self.data = sock.map(DataSocket::Plain);
                }
            }
            _ => self.read_control(w.deadline, driver),
        }
    }
}

impl Io {
    /// Reads the control connection once, bounded by `deadline`.
    fn read_control(&mut self, deadline: Option<Instant>, driver: &mut Driver) {
        let now = Instant::now();
        let wait = deadline.map(|d| {
            d.saturating_duration_since(now)
                .max(Duration::from_millis(1))
        });
        if wait != self.control_read_timeout {
            if let Err(e) = self.control.set_read_timeout(wait) {
                return driver.control_read(Err(e), now);
            }
            self.control_read_timeout = wait;
        }
        let read = match self.control_tls.as_deref_mut() {
            Some(tls) => Stream::new(tls, &mut self.control).read(&mut self.control_buf),
            None => self.control.read(&mut self.control_buf),
        };
        match read {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                driver.timed_out(Instant::now());
            }
            res => {
                let res = res.map(|n| self.control_buf.get(..n).unwrap_or_default());
                driver.control_read(res, Instant::now());
            }
        }
    }

    /// Runs the TLS handshake on `s` with the one configuration and the control
    /// connection's name (so data connections resume the control session); an error
    /// names the host and `what`.
    fn handshake(
        &self,
        s: TcpStream,
        what: &str,
    ) -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
        let Some((config, server)) = self.tls.as_ref() else {
            let text = "the session asked for TLS, but the client has no TLS configuration: use Client::connect_tls";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, text));
        };
        let name = server.to_str();
        let failed = |e: &(dyn std::error::Error + 'static)| {
            sansftp_tls::handshake_failed(e, io::ErrorKind::Other, &name, what)
        };
        let conn =
            ClientConnection::new(Arc::clone(config), server.clone()).map_err(|e| failed(&e))?;
        crate::tls::handshake(conn, s).map_err(|e| failed(&e))
    }
}

/// Connects to `addr` within `timeout`.
pub(crate) fn connect(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let s = match timeout {
        Some(t) => TcpStream::connect_timeout(&addr, t.max(Duration::from_millis(1)))?,
        None => TcpStream::connect(addr)?,
    };
    s.set_nodelay(true)?;
    Ok(s)
}

/// `s` as a data connection: the socket timeout on its reads and writes (a new socket
/// has none: nothing to do without one).
fn prepare(s: TcpStream, timeout: Option<Duration>) -> io::Result<TcpStream> {
    if timeout.is_some() {
        s.set_read_timeout(timeout)?;
        s.set_write_timeout(timeout)?;
    }
    Ok(s)
}

/// Accepts one connection on `l` before `until`. std's listener has no accept
/// timeout: it polls in non-blocking mode, sleeping 1 ms at first, up to 16 ms between
/// tries.
fn accept(l: &TcpListener, until: Option<Instant>) -> io::Result<(TcpStream, SocketAddr)> {
    l.set_nonblocking(true)?;
    let mut nap = Duration::ZERO;
    loop {
        match l.accept() {
            Ok((s, from)) => {
                s.set_nonblocking(false)?;
                return Ok((s, from));
            }
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
