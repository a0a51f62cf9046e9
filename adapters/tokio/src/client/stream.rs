//! [`DataStream`]: a running file transfer's data connection, throttled and timed
//! out; [`ListStream`]: a listing's entries as they arrive.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use sansftp::Error;
use sansftp::client::{Closing, DataFlow, DataIo, Item, TransferEnd, Until};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Sleep;

use super::Client;
use super::drive::{close_notify_now, timed_out, timeout};
use crate::conn::Conn;

/// How long an upload waits for the server's `close_notify` at most.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The data connection of a running file transfer: [`AsyncRead`] for a download,
/// [`AsyncWrite`] for an upload (tokio's traits). Reads and writes obey the client's
/// [`SpeedLimits`](super::SpeedLimits) and its socket timeout; in `TYPE A` line ends
/// are converted.
///
/// End it with [`finish`](DataStream::finish) (which reads the server's final reply) or
/// [`abort`](DataStream::abort). How each end counts (a download finished before its
/// end is aborted and fails; one dropped after its end is complete; a dropped upload is
/// aborted) is the core's decision:
/// [`Session::end_transfer`](sansftp::client::Session::end_transfer). A dropped stream
/// cannot wait for the server in `Drop`: the client's next call reads the replies.
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
    /// The socket timeout of the operation the socket is stuck on, once armed.
    stall: Option<Pin<Box<Sleep>>>,
    /// Waiting for the speed limit.
    throttle: Option<Pin<Box<Sleep>>>,
}

impl<'a> DataStream<'a> {
    /// The stream of the transfer `flow` runs, over the data connection the client
    /// holds (none when the server finished without one).
    pub(crate) fn new(client: &'a mut Client, flow: DataFlow) -> Self {
        let io = Io {
            sock: client.io.data.take(),
            timeout: client.driver.options().socket_timeout,
            stall: None,
            throttle: None,
        };
        DataStream { client, io, flow }
    }

    /// Bytes moved over the data connection so far (on the wire: in `TYPE A`, with
    /// CRLF line ends).
    pub fn bytes_moved(&self) -> u64 {
        self.flow.bytes_moved()
    }

    /// Ends the transfer and reads the server's final reply; call when the download
    /// was read to its end or the upload's bytes are all written. An upload is flushed
    /// and shut down first (under TLS: `close_notify`, then the server's is awaited for
    /// up to 2 s). A download not read to its end is aborted and this fails with an
    /// [`Error::Io`] of kind `InvalidInput`.
    pub async fn finish(mut self) -> Result<(), Error> {
        let limit = self.client.driver.options().socket_timeout;
        let closed = match self.flow.closing() {
            Closing::Shutdown => {
                let wait = limit.map_or(CLOSE_WAIT, |t| t.min(CLOSE_WAIT));
                timeout(limit, "closing the upload", async {
                    self.flush().await?;
                    match self.io.sock.as_mut() {
                        Some(sock) => sock.finish(wait).await,
                        None => Ok(()),
                    }
                })
                .await
            }
            Closing::Probe => self.read(&mut [0u8; 1]).await.map(drop),
            Closing::Ready => Ok(()),
        };
        let end = self.flow.finish(closed);
        self.end(end).await
    }

    /// Aborts the transfer (`ABOR`), reading the server's answers so the control
    /// connection stays in step.
    pub async fn abort(mut self) -> Result<(), Error> {
        let end = self.flow.abort();
        self.end(end).await
    }

    /// Tells the core how the transfer ended and closes the connection: abortively (a
    /// reset) when the core does not count it complete.
    fn report(&mut self, end: TransferEnd) {
        let sock = self.io.sock.take();
        if !self.client.driver.end_transfer(end, Instant::now()) {
            if let Some(tcp) = sock.as_ref().and_then(Conn::tcp) {
                let _ = socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO));
            }
        } else if let Some(mut sock) = sock {
            close_notify_now(&mut sock);
        }
    }

    /// Reports `end` (none: it was reported) and drives the operation to its end.
    async fn end(&mut self, end: Option<TransferEnd>) -> Result<(), Error> {
        let Some(end) = end else {
            return Ok(());
        };
        self.report(end);
        self.client.run_started().await.map(drop)
    }
}

/// Sleeps in `timer` until `at`.
fn poll_until(timer: &mut Option<Pin<Box<Sleep>>>, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
    let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())));
    if sleep.deadline() != at.into() {
        sleep.as_mut().reset(at.into());
    }
    sleep.as_mut().poll(cx)
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
            self.stall = None;
            return poll;
        };
        let at = self
            .stall
            .as_ref()
            .map_or_else(|| Instant::now() + limit, |s| s.deadline().into_std());
        ready!(poll_until(&mut self.stall, cx, at));
        self.stall = None;
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
        let mut buf = ReadBuf::new(buf);
        let read = self.sock()?.poll_read(cx, &mut buf);
        self.stalled(cx, read).map_ok(|()| buf.filled().len())
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = self.sock()?.poll_write(cx, buf);
        self.stalled(cx, written)
    }

    fn poll_sleep(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        poll_until(&mut self.throttle, cx, at)
    }
}

impl AsyncRead for DataStream<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = ready!(
            this.flow
                .poll_read(&mut this.io, cx, buf.initialize_unfilled())
        )?;
        buf.advance(n);
        Poll::Ready(Ok(()))
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

    /// Writes what `TYPE A` conversion holds, then shuts the connection down; prefer
    /// [`finish`](DataStream::finish), which also reads the server's reply.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.flow.poll_write(&mut this.io, cx, &[]))?;
        match this.io.sock.as_mut() {
            Some(sock) => Pin::new(sock).poll_shutdown(cx),
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

/// The entries of a [`Client::list_stream`], as each directory's listing arrives. The
/// client is busy while it lives; dropped early, the next call on the client aborts
/// what is left of the listing.
#[derive(Debug)]
pub struct ListStream<'a> {
    client: &'a mut Client,
    ended: bool,
}

impl<'a> ListStream<'a> {
    pub(crate) fn new(client: &'a mut Client) -> ListStream<'a> {
        ListStream {
            client,
            ended: false,
        }
    }

    /// The next entry; `None` after the last (or after the first error). Cancel-safe:
    /// a dropped call loses no entry.
    pub async fn next(&mut self) -> Option<Result<Item, Error>> {
        if self.ended {
            return None;
        }
        let next = self.client.drive(Until::Entry).await.into_entry();
        self.ended = !matches!(next, Some(Ok(_)));
        next
    }
}
