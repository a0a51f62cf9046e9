//! [`DataStream`]: a running file transfer's data connection, throttled and timed out;
//! [`ListStream`]: a listing's entries as they arrive.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_lite::{AsyncReadExt, AsyncWriteExt, Stream, future, stream};
use sansftp::Error;
use sansftp::client::{Closing, DataFlow, DataIo, Item, TransferEnd, Until};

use super::Client;
use super::driver::{close_wait, timed_out, timeout};
use crate::conn::Conn;

/// The data connection of a running file transfer: [`AsyncRead`] for a download,
/// [`AsyncWrite`] for an upload (the `futures-io` traits, as re-exported by
/// `futures_lite::io`). Reads and writes obey the client's [`SpeedLimits`](super::SpeedLimits)
/// and its socket timeout; in `TYPE A` line ends are converted.
///
/// End it with [`finish`](DataStream::finish) (which reads the server's final reply) or
/// [`abort`](DataStream::abort). How each end counts (a download finished before its
/// end is aborted and fails; one dropped after its end is complete; a dropped upload is
/// aborted) is the core's decision, the same in every adapter:
/// [`Session::end_transfer`](sansftp::client::Session::end_transfer). A stream dropped
/// cannot wait for the server in `Drop`: the client's next call reads every reply the
/// end causes, so the control connection stays in step.
#[derive(Debug)]
pub struct DataStream<'a> {
    client: &'a mut Client,
    /// The socket and its timers.
    io: Io,
    /// What the core decides around each read and write.
    flow: DataFlow,
}

/// A data stream's socket and timers, as the core's [`DataFlow`] drives them.
#[derive(Debug)]
struct Io {
    /// `None`: the server finished without a data connection, or after the end.
    sock: Option<Conn>,
    /// The socket timeout.
    timeout: Option<Duration>,
    /// The socket timeout of the operation the socket is stuck on.
    stall: Timer,
    stall_armed: bool,
    /// Waiting for the speed limit.
    throttle: Timer,
}

impl<'a> DataStream<'a> {
    /// The stream of the transfer `flow` runs, over the data connection the client
    /// holds (none when the server finished without one).
    pub(crate) fn new(client: &'a mut Client, flow: DataFlow) -> DataStream<'a> {
        let io = Io {
            sock: client.io.data.take(),
            timeout: client.driver.options().socket_timeout,
            stall: Timer::never(),
            stall_armed: false,
            throttle: Timer::never(),
        };
        DataStream { client, io, flow }
    }

    /// Bytes moved over the data connection so far (on the wire: in `TYPE A`, with
    /// CRLF line ends).
    pub fn bytes_moved(&self) -> u64 {
        self.flow.bytes_moved()
    }

    /// Ends the transfer and reads the server's final reply. An upload is flushed and
    /// its connection shut down first, which tells the server the file is complete
    /// (under TLS: `close_notify`, then the server's is awaited for up to 2 s). A
    /// download must have been read to its end (under TLS: to the server's
    /// `close_notify`; an end without it is an error), else it is aborted and this
    /// fails with an [`Error::Io`] of kind `InvalidInput`.
    pub async fn finish(mut self) -> Result<(), Error> {
        let limit = self.client.driver.options().socket_timeout;
        let closed = match self.flow.closing() {
            // Flushes the upload and shuts its connection down.
            Closing::Shutdown => {
                let closed = timeout(limit, "closing the upload", self.close()).await;
                if let (Ok(()), Some(sock)) = (&closed, self.io.sock.as_mut()) {
                    sock.linger(close_wait(limit)).await;
                }
                closed
            }
            Closing::Probe => self.read(&mut [0u8; 1]).await.map(drop),
            Closing::Ready => Ok(()),
        };
        let end = self.flow.finish(closed);
        self.end(end).await
    }

    /// Aborts the transfer (`ABOR`), reading the server's answers to it so the control
    /// connection stays in step. An upload's partial file is the server's to keep or
    /// discard.
    pub async fn abort(mut self) -> Result<(), Error> {
        let end = self.flow.abort();
        self.end(end).await
    }

    /// Tells the core how the transfer ended and closes the connection: abortively
    /// (a reset) when the core does not count the transfer complete.
    fn report(&mut self, end: TransferEnd) {
        if !self.client.driver.end_transfer(end, Instant::now()) {
            self.unsend();
        } else if let Some(sock) = self.io.sock.as_mut() {
            sock.close_notify_now();
        }
        self.io.sock = None;
    }

    /// Reports `end` (none: it was reported) and drives the operation to its end.
    async fn end(&mut self, end: Option<TransferEnd>) -> Result<(), Error> {
        let Some(end) = end else {
            return Ok(());
        };
        self.report(end);
        self.client.run_started().await.map(drop)
    }

    /// A transfer that did not end well must not look complete to the server: on Unix
    /// its connection is reset rather than closed (`SO_LINGER` 0), so the server sees an
    /// error instead of an end of file.
    fn unsend(&mut self) {
        #[cfg(unix)]
        if let Some(sock) = self.io.sock.as_ref().and_then(Conn::tcp) {
            let reset = Some(std::time::Duration::ZERO);
            if let Err(e) = rustix::net::sockopt::set_socket_linger(sock.get_ref(), reset) {
                log::debug!("SO_LINGER on an abandoned upload: {e}");
            }
        }
    }

    /// Uploads from `file`'s current position with sendfile(2) (Linux), while the
    /// core lets it (binary, the upload speed unlimited: asked again every 8 MiB, so a
    /// limit set meanwhile takes over); returns the bytes sent, the file's position
    /// moved past them. Sends nothing under TLS or elsewhere: copy the rest through
    /// [`AsyncWrite`](futures_lite::AsyncWrite), from the file's position. A socket
    /// that takes nothing for the socket timeout fails with `TimedOut`.
    ///
    /// The file side runs on this task, as a download's sendfile does in the server:
    /// meant for local files, whose pages the kernel reads quickly. It costs this side
    /// about a quarter of the CPU of a copy through buffers, but measured on Linux
    /// loopback the servers received its spliced pages more slowly (25-35% against
    /// pyftpdlib and vsftpd), so [`Client::upload`](super::Client::upload) copies.
    pub async fn send_file(&mut self, file: &mut std::fs::File) -> io::Result<u64> {
        let mut total = 0u64;
        future::poll_fn(|cx| self.poll_send_file(cx, file, &mut total)).await?;
        Ok(total)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn poll_send_file(
        &mut self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        total: &mut u64,
    ) -> Poll<io::Result<()>> {
        use rustix::io::Errno;
        const CHUNK: usize = 8 << 20;
        loop {
            if !self.flow.may_send_file() {
                return Poll::Ready(Ok(()));
            }
            let Some(sock) = self.io.sock.as_ref().and_then(Conn::plain) else {
                return Poll::Ready(Ok(()));
            };
            match rustix::fs::sendfile(sock.get_ref(), file, None, CHUNK) {
                Ok(0) => return Poll::Ready(Ok(())),
                Ok(n) => {
                    self.io.stall_armed = false;
                    self.flow.sent(n, Instant::now())?;
                    *total += n as u64;
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => match sock.poll_writable(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(self.flow.broke(e))),
                    Poll::Pending => {
                        let stalled = self.io.stalled(cx, Poll::Pending);
                        return stalled.map_err(|e| self.flow.broke(e));
                    }
                },
                // Nothing was sent by this call: the caller copies the rest.
                Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                    return Poll::Ready(Ok(()));
                }
                Err(e) => return Poll::Ready(Err(self.flow.broke(e.into()))),
            }
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn poll_send_file(
        &mut self,
        _cx: &mut Context<'_>,
        _file: &std::fs::File,
        _total: &mut u64,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Io {
    /// The socket was ready (`Ready`), or not: then pending until the socket timeout,
    /// counted from the first time it was not, runs out.
    fn stalled<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        let (Poll::Pending, Some(limit)) = (&poll, self.timeout) else {
            self.stall_armed = false;
            return poll;
        };
        if !self.stall_armed {
            self.stall.set_after(limit);
            self.stall_armed = true;
        }
        ready!(Pin::new(&mut self.stall).poll(cx));
        self.stall_armed = false;
        Poll::Ready(Err(timed_out("the data connection")))
    }

    fn sock(&mut self) -> io::Result<Pin<&mut Conn>> {
        Ok(Pin::new(
            self.sock.as_mut().ok_or(io::ErrorKind::NotConnected)?,
        ))
    }
}

impl DataIo for Io {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let read = self.sock()?.poll_read(cx, buf);
        self.stalled(cx, read)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = self.sock()?.poll_write(cx, buf);
        self.stalled(cx, written)
    }

    fn poll_sleep(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        self.throttle.set_at(at);
        Pin::new(&mut self.throttle).poll(cx).map(drop)
    }
}

impl AsyncRead for DataStream<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.flow.poll_read(&mut this.io, cx, buf)
    }
}

impl AsyncWrite for DataStream<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.flow.poll_write(&mut this.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.flow.poll_write(&mut this.io, cx, &[]))?;
        match this.io.sock.as_mut() {
            Some(sock) => Pin::new(sock).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.flow.poll_write(&mut this.io, cx, &[]))?;
        match this.io.sock.as_mut() {
            Some(sock) => Pin::new(sock).poll_close(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for DataStream<'_> {
    fn drop(&mut self) {
        if let Some(end) = self.flow.dropped() {
            // The final reply is read by the client's next call.
            self.report(end);
        }
    }
}

/// The entries of a [`Client::list_stream`], as each directory's listing arrives: a
/// [`Stream`] of `Result<Item, Error>` that ends after the last entry (or the first
/// error). The client is busy while it lives; dropped early, the next call on the client
/// aborts what is left of the listing.
pub struct ListStream<'a> {
    inner: Pin<Box<dyn Stream<Item = Result<Item, Error>> + Send + 'a>>,
}

impl fmt::Debug for ListStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListStream").finish_non_exhaustive()
    }
}

impl<'a> ListStream<'a> {
    pub(crate) fn new(client: &'a mut Client) -> ListStream<'a> {
        let inner = stream::unfold(Some(client), |state| async move {
            let client = state?;
            let next = client.drive(Until::Entry).await.into_entry()?;
            let more = next.is_ok();
            Some((next, more.then_some(client)))
        });
        ListStream {
            inner: Box::pin(inner),
        }
    }
}

impl Stream for ListStream<'_> {
    type Item = Result<Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
