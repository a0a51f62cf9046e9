//! [`Conn`]: a control or data connection, plaintext or TLS (FTPS). The core says when
//! to upgrade and how a close counts; this only wraps the socket.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use sansftp_tls::rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsStream};

/// A connection: plaintext, or TLS once [`accept`](Conn::accept) ran the handshake.
#[derive(Debug)]
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// The socket went down with a TLS handshake that failed or was cancelled.
    Closed,
}

impl Conn {
    /// The socket, while it carries plaintext (for sendfile and splice).
    pub(crate) fn plain(&self) -> Option<&TcpStream> {
        match self {
            Conn::Plain(s) => Some(s),
            _ => None,
        }
    }

    /// The socket under it.
    pub(crate) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Conn::Plain(s) => Some(s),
            Conn::Tls(s) => Some(s.get_ref().0),
            Conn::Closed => None,
        }
    }

    /// Shuts the socket down both ways at once (the end of a control connection).
    pub(crate) fn close(&self) {
        if let Some(s) = self.tcp() {
            let _ = socket2::SockRef::from(s).shutdown(std::net::Shutdown::Both);
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

    /// Runs the TLS server handshake.
    pub(crate) async fn accept(&mut self, config: Arc<ServerConfig>) -> io::Result<()> {
        let plain = match std::mem::replace(self, Conn::Closed) {
            Conn::Plain(s) => s,
            other => {
                *self = other;
                return Err(io::Error::other("the connection is not plaintext"));
            }
        };
        let s = TlsAcceptor::from(config).accept(plain).await?;
        *self = Conn::Tls(Box::new(s.into()));
        Ok(())
    }

    /// Ends the sending side: a FIN; under TLS first `close_notify`, then
    /// [`linger`](Conn::linger) for `wait`.
    pub(crate) async fn finish(&mut self, wait: Duration) -> io::Result<()> {
        self.shutdown().await?;
        self.linger(wait).await;
        Ok(())
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
        let _ = tokio::time::timeout(wait, drain).await;
    }
}

fn closed() -> io::Error {
    io::ErrorKind::NotConnected.into()
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
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
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
            Conn::Closed => Poll::Ready(Err(closed())),
        }
    }
}

/// Runs `f` (a non-blocking system call on `sock`, such as sendfile or splice) once
/// the socket is ready for `interest`, again after each `WouldBlock`.
#[cfg(target_os = "linux")]
pub(crate) async fn when_ready<T>(
    sock: &TcpStream,
    interest: tokio::io::Interest,
    mut f: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    loop {
        sock.ready(interest).await?;
        match sock.try_io(interest, &mut f) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            res => return res,
        }
    }
}
