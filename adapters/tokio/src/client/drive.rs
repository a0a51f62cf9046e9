//! [`Io`]: the client's sockets, TLS and timers on tokio, as the core's
//! [`Driver::run`](sansftp::client::Driver::run) uses them ([`ClientIo`]): the loop is
//! the core's, every decision too; this only moves bytes and waits.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use sansftp::client::{Action, ClientIo, DataWait, Driver, Until, Wait};
use sansftp_tls::rustls::ClientConfig;
use sansftp_tls::rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

use super::Client;
use crate::conn::Conn;

/// A listing is read in blocks of this size.
const LISTING_BLOCK: usize = 64 << 10;

/// The client's sockets, TLS and timers, as the core's [`Driver`] uses them.
#[derive(Debug)]
pub(crate) struct Io {
    pub(crate) ctrl: Conn,
    /// FTPS: one configuration for every connection, and the name they check.
    pub(crate) tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    pub(crate) ctrl_buf: Box<[u8]>,
    /// The data connection: passive, connected; active, accepted.
    pub(crate) data: Option<Conn>,
    /// The active-mode listener, until the server's connection is accepted.
    pub(crate) listener: Option<TcpListener>,
    /// The running listing's read buffer, allocated on first use.
    pub(crate) data_buf: Vec<u8>,
    /// The socket timeout (each read, write and handshake).
    pub(crate) socket_timeout: Option<Duration>,
    /// The connect timeout (each passive data connection).
    pub(crate) connect_timeout: Option<Duration>,
}

impl Client {
    /// Does what the driver says until it stops as `until` asks. Cancel-safe: the
    /// driver keeps every pending action until its result is reported.
    pub(crate) async fn drive(&mut self, until: Until) -> Action {
        self.driver.run(&mut self.io, until).await
    }
}

impl ClientIo for Io {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
        timeout(self.socket_timeout, "writing a command", async {
            let n = self.ctrl.write(bytes).await?;
            self.ctrl.flush().await.map(|()| n)
        })
        .await
    }

    async fn connect(&mut self, addr: SocketAddr) -> io::Result<()> {
        self.data = Some(Conn::Plain(connect(addr, self.connect_timeout).await?));
        Ok(())
    }

    async fn listen(&mut self, ip: IpAddr) -> io::Result<SocketAddr> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let at = listener.local_addr()?;
        self.listener = Some(listener);
        Ok(at)
    }

    async fn secure_control(&mut self) -> io::Result<()> {
        secure(self.tls.as_ref(), &mut self.ctrl, self.socket_timeout, "").await
    }

    async fn secure_data(&mut self) -> io::Result<()> {
        let data = self.data.get_or_insert(Conn::Closed);
        let on = " on the data connection";
        secure(self.tls.as_ref(), data, self.socket_timeout, on).await
    }

    fn close_data(&mut self) {
        (self.data, self.listener) = (None, None);
    }

    fn close_control(&mut self) {
        self.ctrl.close();
    }

    /// Waits for control bytes, the core's deadline, or the data side the driver asks
    /// for (a listing's bytes, the active-mode connection), and reports what came.
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
        let data_side = async {
            match (w.data, data.as_mut(), listener.as_ref()) {
                (DataWait::ReadListing, Some(sock), _) => {
                    if data_buf.is_empty() {
                        data_buf.resize(LISTING_BLOCK, 0);
                    }
                    let read = sock.read(data_buf);
                    Event::Listing(timeout(*socket_timeout, "reading a listing", read).await)
                }
                (DataWait::Accept { until }, _, Some(l)) => {
                    let left = until.map(|u| u.saturating_duration_since(Instant::now()));
                    Event::Accepted(timeout(left, "the server's data connection", l.accept()).await)
                }
                _ => std::future::pending().await,
            }
        };
        let deadline = async {
            match w.deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let event = tokio::select! {
            res = ctrl.read(ctrl_buf) => Event::Control(res),
            event = data_side => event,
            () = deadline => Event::Deadline,
        };
        let now = Instant::now();
        match event {
            Event::Control(res) => driver.control_read(res.map(|n| filled(ctrl_buf, n)), now),
            Event::Deadline => driver.timed_out(now),
            Event::Listing(res) => {
                if let (Ok(0), Some(sock)) = (&res, data.as_mut()) {
                    close_notify_now(sock);
                }
                driver.listing_read(res.map(|n| filled(data_buf, n)), now);
            }
            Event::Accepted(res) => {
                let (sock, from) = match res {
                    Ok((sock, from)) => (Some(sock), Ok(from)),
                    Err(e) => (None, Err(e)),
                };
                if driver.accepted(from, now) {
                    if let Some(Err(e)) = sock.as_ref().map(|s| s.set_nodelay(true)) {
                        log::debug!("TCP_NODELAY refused on a data connection: {e}");
                    }
                    (*data, *listener) = (sock.map(Conn::Plain), None);
                }
            }
        }
    }
}

/// What ended a wait.
enum Event {
    Control(io::Result<usize>),
    Deadline,
    Listing(io::Result<usize>),
    Accepted(io::Result<(TcpStream, SocketAddr)>),
}

/// The TLS client handshake on `conn`, with the client's one configuration and server
/// name (so data connections resume the control connection's session).
async fn secure(
    tls: Option<&(Arc<ClientConfig>, ServerName<'static>)>,
    conn: &mut Conn,
    limit: Option<Duration>,
    on: &str,
) -> io::Result<()> {
    let Some((config, name)) = tls else {
        let text = "the session asked for TLS, but the client has no TLS configuration: use Client::connect_tls";
        return Err(io::Error::new(io::ErrorKind::InvalidInput, text));
    };
    let Conn::Plain(plain) = std::mem::replace(conn, Conn::Closed) else {
        return Err(io::Error::other("the connection is not plaintext"));
    };
    let shake = TlsConnector::from(Arc::clone(config)).connect(name.clone(), plain);
    let s = timeout(limit, "the TLS handshake", shake)
        .await
        .map_err(|e| sansftp_tls::handshake_failed(&e, e.kind(), &name.to_str(), on))?;
    *conn = Conn::Tls(Box::new(s.into()));
    Ok(())
}

/// Under TLS, sends `close_notify` without waiting (best effort, where nothing can
/// await, such as a stream's drop).
pub(crate) fn close_notify_now(conn: &mut Conn) {
    if let Conn::Tls(s) = conn {
        let _ = Pin::new(&mut **s).poll_shutdown(&mut Context::from_waker(Waker::noop()));
    }
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
        Some(d) => tokio::time::timeout(d, f)
            .await
            .unwrap_or_else(|_| Err(timed_out(what))),
    }
}

/// The error of a socket operation that took longer than its limit.
pub(crate) fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("timed out: {what}"))
}

/// Connects to `addr` within `limit`, with `TCP_NODELAY`.
pub(crate) async fn connect(addr: SocketAddr, limit: Option<Duration>) -> io::Result<TcpStream> {
    let sock = timeout(limit, "connecting", TcpStream::connect(addr)).await?;
    sock.set_nodelay(true)?;
    Ok(sock)
}

/// The first `n` bytes of `buf`, which a read of `n` filled.
fn filled(buf: &[u8], n: usize) -> &[u8] {
    buf.get(..n).unwrap_or_default()
}
