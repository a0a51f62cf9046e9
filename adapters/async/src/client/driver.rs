//! [`Io`]: the client's sockets, TLS and timers on async-io, as the core's
//! [`Driver::run`](sansftp::client::Driver::run) uses them ([`ClientIo`]): write what
//! it sends, open the data connections it asks for, read a listing's data beside the
//! control connection, wait for replies and the core's deadline. The loop is the
//! core's, every decision too.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
use sansftp::client::{Action, ClientIo, DataWait, Driver, Until, Wait};
use sansftp_tls::rustls::ClientConfig;
use sansftp_tls::rustls::pki_types::ServerName;

use super::Client;
use crate::conn::Conn;

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

/// The client's sockets, TLS and timers on async-io, as the core's [`Driver`] uses them.
#[derive(Debug)]
pub(crate) struct Io {
    pub(crate) ctrl: Conn,
    /// FTPS: one configuration for every connection, and the name they check.
    pub(crate) tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    pub(crate) ctrl_buf: Box<[u8]>,
    /// The data connection: passive, connected; active, accepted.
    pub(crate) data: Option<Conn>,
    /// The active-mode listener, until the server's connection is accepted.
    pub(crate) listener: Option<Async<TcpListener>>,
    /// The running listing's read buffer, allocated on first use.
    pub(crate) data_buf: Vec<u8>,
    /// The socket timeout (each read, write and handshake).
    pub(crate) socket_timeout: Option<Duration>,
    /// The connect timeout (each passive data connection).
    pub(crate) connect_timeout: Option<Duration>,
}

impl Client {
    /// Does what the core's [`Driver`] says until it stops as `until` asks (`Done`,
    /// `Transfer` or `Entry`), which it returns.
    ///
    /// Cancel-safe: the driver keeps every pending action (unsent commands, a connect,
    /// an accept and its deadline) until its result is reported, so a dropped call
    /// loses nothing the next one needs.
    pub(crate) async fn drive(&mut self, until: Until) -> Action {
        self.driver.run(&mut self.io, until).await
    }
}

impl ClientIo for Io {
    /// Writes some of the commands the core has queued, under TLS flushed out of
    /// rustls: the bytes written.
    async fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let what = "writing a command";
        let n = timeout(self.socket_timeout, what, self.ctrl.write(bytes)).await?;
        if self.ctrl.is_tls() {
            timeout(self.socket_timeout, what, self.ctrl.flush()).await?;
        }
        Ok(n)
    }

    async fn connect(&mut self, addr: SocketAddr) -> io::Result<()> {
        self.data = Some(Conn::Plain(connect(addr, self.connect_timeout).await?));
        Ok(())
    }

    async fn listen(&mut self, ip: IpAddr) -> io::Result<SocketAddr> {
        let listener = Async::<TcpListener>::bind(SocketAddr::new(ip, 0))?;
        let at = listener.get_ref().local_addr()?;
        self.listener = Some(listener);
        Ok(at)
    }

    /// The TLS handshake on the control connection, which the core asked for.
    async fn secure_control(&mut self) -> io::Result<()> {
        let Some((config, name)) = &self.tls else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the session asked for TLS, but the client has no TLS configuration: use Client::connect_tls",
            ));
        };
        let (config, name) = (Arc::clone(config), name.clone());
        let shake = self.ctrl.connect(config, name.clone());
        timeout(self.socket_timeout, "the TLS handshake", shake)
            .await
            .map_err(|e| tls_failed(e, &name, ""))
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
        timeout(self.socket_timeout, what, shake)
            .await
            .map_err(|e| tls_failed(e, name, " on the data connection"))
    }

    fn close_data(&mut self) {
        (self.data, self.listener) = (None, None);
    }

    fn close_control(&mut self) {
        self.ctrl.shutdown();
    }

    /// Waits for control bytes, the core's deadline, or the running listing's data (or
    /// the active-mode connection), whichever comes first, and reports it.
    async fn wait(&mut self, w: Wait, driver: &mut Driver) {
        let Io {
            ctrl,
            ctrl_buf,
            data,
            listener,
            data_buf,
            socket_timeout,
            ..
        } = self;
        let control = async { Event::Control(ctrl.read(ctrl_buf).await) };
        let timer = async {
            match w.deadline {
                Some(at) => Timer::at(at).await,
                None => future::pending().await,
            };
            Event::Deadline
        };
        let data_side = async {
            match (w.data, data.as_mut(), listener.as_ref()) {
                (DataWait::ReadListing, Some(sock), _) => {
                    if data_buf.is_empty() {
                        data_buf.resize(LISTING_BLOCK, 0);
                    }
                    let read = sock.read(data_buf);
                    Event::Data(timeout(*socket_timeout, "reading a listing", read).await)
                }
                (DataWait::Accept { until }, _, Some(l)) => {
                    let left = until.map(|u| u.saturating_duration_since(Instant::now()));
                    let what = "the server's data connection";
                    Event::Accepted(timeout(left, what, l.accept()).await)
                }
                _ => future::pending().await,
            }
        };
        let now = Instant::now;
        match future::or(control, future::or(data_side, timer)).await {
            Event::Control(res) => driver.control_read(res.map(|n| filled(ctrl_buf, n)), now()),
            Event::Deadline => driver.timed_out(now()),
            Event::Data(res) => {
                if let (Ok(0), Some(d)) = (&res, data.as_mut()) {
                    d.close_notify_now();
                }
                driver.listing_read(res.map(|n| filled(data_buf, n)), now());
            }
            Event::Accepted(res) => {
                let (sock, res) = match res {
                    Ok((sock, from)) => (Some(sock), Ok(from)),
                    Err(e) => (None, Err(e)),
                };
                if driver.accepted(res, now()) {
                    if let Some(sock) = sock {
                        if sock.get_ref().set_nodelay(true).is_err() {
                            log::debug!("TCP_NODELAY refused on a data connection");
                        }
                        *data = Some(Conn::Plain(sock));
                    }
                    *listener = None;
                }
            }
        }
    }
}

/// A failed TLS handshake with `name`, in one line.
fn tls_failed(e: io::Error, name: &ServerName<'_>, on: &str) -> io::Error {
    sansftp_tls::handshake_failed(&e, e.kind(), &name.to_str(), on)
}

/// The first `n` bytes of `buf`, which a read of `n` filled.
fn filled(buf: &[u8], n: usize) -> &[u8] {
    buf.get(..n).unwrap_or_default()
}

/// A listing is read in blocks of this size.
const LISTING_BLOCK: usize = 64 << 10;
