//! [`Conn`]: a control or data connection, plaintext or TLS (FTPS), in either role.
//! The core says when to upgrade and how a close counts; this only wraps the socket.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_io::{Async, Timer};
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, future};
use futures_rustls::{TlsAcceptor, TlsConnector, TlsStream};
use sansftp_tls::rustls::pki_types::ServerName;
use sansftp_tls::rustls::{ClientConfig, ServerConfig};

/// A connection: plaintext, or TLS once [`accept`](Conn::accept) or
/// [`connect`](Conn::connect) ran the handshake on it.
#[derive(Debug)]
pub(crate) enum Conn {
    Plain(Async<TcpStream>),
    Tls(Box<TlsStream<Async<TcpStream>>>),
    /// The socket went down with a TLS handshake that failed or was cancelled.
    Closed,
}

impl Conn {
    /// The socket, while it carries plaintext (for sendfile and the upload drain).
    pub(crate) fn plain(&self) -> Option<&Async<TcpStream>> {
        match self {
            Conn::Plain(s) => Some(s),
            _ => None,
        }
    }

    /// The socket under it.
    pub(crate) fn tcp(&self) -> Option<&Async<TcpStream>> {
        match self {
            Conn::Plain(s) => Some(s),
            Conn::Tls(s) => Some(s.get_ref().0),
            Conn::Closed => None,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }

    /// Whether the TLS handshake resumed a session of the same
    /// [`SessionTls`](sansftp_tls::SessionTls) (for `Session::data_secured`).
    pub(crate) fn resumed(&self) -> bool {
        match self {
            Conn::Tls(s) => sansftp_tls::resumed(s.get_ref().1),
            _ => false,
        }
    }

    /// Shuts the socket down both ways (the end of a control connection).
    pub(crate) fn shutdown(&self) {
        if let Some(s) = self.tcp() {
            let _ = s.get_ref().shutdown(Shutdown::Both);
        }
    }

    /// Runs the TLS server handshake.
    pub(crate) async fn accept(&mut self, config: Arc<ServerConfig>) -> io::Result<()> {
        let s = TlsAcceptor::from(config).accept(self.take_plain()?).await?;
        *self = Conn::Tls(Box::new(s.into()));
        Ok(())
    }

    /// Runs the TLS client handshake, checking the certificate against `name`.
    pub(crate) async fn connect(
        &mut self,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<()> {
        let s = TlsConnector::from(config)
            .connect(name, self.take_plain()?)
            .await?;
        *self = Conn::Tls(Box::new(s.into()));
        Ok(())
    }

    fn take_plain(&mut self) -> io::Result<Async<TcpStream>> {
        match std::mem::replace(self, Conn::Closed) {
            Conn::Plain(s) => Ok(s),
            other => {
                *self = other;
                Err(io::Error::other("the connection is not plaintext"))
            }
        }
    }

    /// Ends the sending side: a FIN; under TLS first `close_notify` and a flush, then
    /// [`linger`](Conn::linger) for `wait`.
    pub(crate) async fn finish(&mut self, wait: Duration) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.get_ref().shutdown(Shutdown::Write),
            _ => {
                self.close().await?;
                self.linger(wait).await;
                Ok(())
            }
        }
    }

    /// Under TLS, reads (and drops) what comes until the peer's `close_notify` or end
    /// of file, for at most `wait`: the peer's last records (TLS 1.3 tickets, its
    /// `close_notify`) are taken in, so no reset cuts the end of the connection.
    pub(crate) async fn linger(&mut self, wait: Duration) {
        if !self.is_tls() {
            return;
        }
        let mut buf = [0u8; 2048];
        let drain = async { while matches!(self.read(&mut buf).await, Ok(n) if n > 0) {} };
        future::or(drain, async {
            Timer::after(wait).await;
        })
        .await;
    }

    /// Under TLS, sends `close_notify` without waiting (best effort, for an end
    /// decided where nothing can await, such as a stream's drop).
    pub(crate) fn close_notify_now(&mut self) {
        if let Conn::Tls(s) = self {
            let mut cx = Context::from_waker(Waker::noop());
            let _ = Pin::new(&mut **s).poll_close(&mut cx);
        }
    }
}

fn closed() -> io::Error {
    io::ErrorKind::NotConnected.into()
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
            Conn::Closed => Poll::Ready(Err(closed())),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
            Conn::Closed => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
            Conn::Closed => Poll::Ready(Err(closed())),
        }
    }

    /// Under TLS: `close_notify`, flush, then the FIN.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_close(cx),
            Conn::Tls(s) => Pin::new(&mut **s).poll_close(cx),
            Conn::Closed => Poll::Ready(Err(closed())),
        }
    }
}
