//! The loop that drives the core on the calling thread: do what
//! [`Driver::next`](sansftp::client::Driver::next) says with `std::net` sockets and
//! rustls, report each result. Every decision is the core's.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sansftp::client::{Action, DataWait, Until, Wait};
use sansftp_tls::rustls::{ClientConnection, Stream, StreamOwned};

use super::Client;
use crate::tls::DataSocket;

/// A client data connection.
pub(crate) type Socket = DataSocket<ClientConnection>;

/// Bytes read from a listing's data connection at a time.
const LISTING_BUF: usize = 64 << 10;

impl Client {
    /// Does what the driver says until it stops as `until` asks.
    pub(crate) fn drive(&mut self, until: Until) -> Action {
        loop {
            match self.driver.next(until, Instant::now()) {
                Action::Send => {
                    let out = self.driver.control_out();
                    let res = match self.control_tls.as_deref_mut() {
                        Some(tls) => Stream::new(tls, &mut self.control).write_all(out),
                        None => self.control.write_all(out),
                    };
                    let n = out.len();
                    self.driver.sent(res.map(|()| n));
                }
                Action::Connect(addr) => {
                    let options = self.driver.options();
                    let res = connect(addr, options.connect_timeout)
                        .and_then(|s| prepare(s, options.socket_timeout));
                    let res = res.map(|s| self.data = Some(DataSocket::Plain(s)));
                    self.driver.connected(res, Instant::now());
                }
                Action::Listen(ip) => {
                    let res = TcpListener::bind((ip, 0)).and_then(|l| {
                        let at = l.local_addr()?;
                        self.listener = Some(l);
                        Ok(at)
                    });
                    self.driver.listening(res, Instant::now());
                }
                Action::SecureControl => {
                    let res = self.secure_control();
                    self.driver.control_secured(res, Instant::now());
                }
                Action::SecureData => {
                    let res = match self.data.take() {
                        Some(DataSocket::Plain(s)) => self.handshake(s, " on the data connection"),
                        _ => Err(io::Error::other("no plaintext data connection to secure")),
                    };
                    let res = res.map(|s| self.data = Some(DataSocket::Tls(Box::new(s))));
                    self.driver.data_secured(res, Instant::now());
                }
                Action::CloseData => (self.data, self.listener) = (None, None),
                Action::CloseControl => self.close_control(),
                Action::Wait(w) => self.wait(w),
                stop => return stop,
            }
        }
    }

    /// Waits for what the driver asks: one read of a listing, the server's active-mode
    /// connection, or else one read of the control connection, bounded by the core's
    /// deadline (its reply timeout); reports what came.
    fn wait(&mut self, w: Wait) {
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
                self.driver.listing_read(res, now());
            }
            (DataWait::Accept { until }, _, Some(l)) => {
                let timeout = self.driver.options().socket_timeout;
                let res = accept(l, until).and_then(|(s, from)| Ok((prepare(s, timeout)?, from)));
                let (sock, from) = match res {
                    Ok((sock, from)) => (Some(sock), Ok(from)),
                    Err(e) => (None, Err(e)),
                };
                if self.driver.accepted(from, now()) {
                    self.listener = None;
                    self.data = sock.map(DataSocket::Plain);
                }
            }
            _ => self.read_control(w.deadline),
        }
    }

    /// Reads the control connection once, bounded by `deadline`.
    fn read_control(&mut self, deadline: Option<Instant>) {
        let now = Instant::now();
        let wait = deadline.map(|d| {
            d.saturating_duration_since(now)
                .max(Duration::from_millis(1))
        });
        if wait != self.control_read_timeout {
            if let Err(e) = self.control.set_read_timeout(wait) {
                return self.driver.control_read(Err(e), now);
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
                self.driver.timed_out(Instant::now());
            }
            res => {
                let res = res.map(|n| self.control_buf.get(..n).unwrap_or_default());
                self.driver.control_read(res, Instant::now());
            }
        }
    }

    /// Runs the TLS handshake on the control connection (within the socket timeout).
    fn secure_control(&mut self) -> io::Result<()> {
        let timeout = self.driver.options().socket_timeout;
        self.control.set_read_timeout(timeout)?;
        self.control_read_timeout = timeout;
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

    /// Closes the control connection, after a `close_notify` under TLS.
    fn close_control(&mut self) {
        self.data = None;
        if let Some(tls) = self.control_tls.as_deref_mut() {
            tls.send_close_notify();
            let _ = tls.write_tls(&mut self.control);
        }
        let _ = self.control.shutdown(Shutdown::Both);
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
