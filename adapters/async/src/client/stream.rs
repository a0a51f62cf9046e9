//! [`DataStream`]: a running file transfer's data connection, throttled and timed out;
//! [`ListStream`]: a listing's entries as they arrive.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::TcpStream;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use async_io::{Async, Timer};
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_lite::{AsyncReadExt, AsyncWriteExt, Stream, stream};
use sansftp::Error;
use sansftp::ascii::{FromCrlf, ToCrlf};
use sansftp::client::{Item, TransferEnd, TransferKind};

use super::Client;
use super::driver::{Stop, map_timeout, timed_out, timeout};

/// Raw bytes read per call while converting `TYPE A` downloads, and the most input an
/// ASCII upload's `write` takes at once.
const ASCII_BLOCK: usize = 64 << 10;

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
pub struct DataStream<'a> {
    client: &'a mut Client,
    /// `None`: the server finished without a data connection, or after `finish`.
    sock: Option<Async<TcpStream>>,
    upload: bool,
    ascii: bool,
    /// The operation is over (finished, aborted, or ended by the server at once).
    ended: bool,
    /// A download reached end of file.
    eof: bool,
    /// Bytes moved on the connection.
    moved: u64,
    /// The error a read or write on the connection failed with, if one did.
    broken: Option<(io::ErrorKind, String)>,
    /// The socket timeout of the operation the socket is stuck on.
    stall: Timer,
    stall_armed: bool,
    /// Waiting for the speed limit.
    throttle: Timer,
    from_crlf: FromCrlf,
    to_crlf: ToCrlf,
    /// ASCII: converted bytes not yet handed to the reader (download) or written to the
    /// socket (upload), from `pos` on.
    converted: Vec<u8>,
    pos: usize,
    /// ASCII downloads: raw bytes as read.
    raw: Vec<u8>,
}

impl fmt::Debug for DataStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataStream")
            .field("upload", &self.upload)
            .field("ascii", &self.ascii)
            .field("moved", &self.moved)
            .field("eof", &self.eof)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<'a> DataStream<'a> {
    pub(crate) fn new(
        client: &'a mut Client,
        sock: Option<Async<TcpStream>>,
        upload: bool,
        ascii: bool,
    ) -> DataStream<'a> {
        let ended = sock.is_none();
        client.handed_out = false;
        DataStream {
            client,
            sock,
            upload,
            ascii,
            ended,
            eof: ended,
            moved: 0,
            broken: None,
            stall: Timer::never(),
            stall_armed: false,
            throttle: Timer::never(),
            from_crlf: FromCrlf::new(),
            to_crlf: ToCrlf::new(),
            converted: Vec::new(),
            pos: 0,
            raw: Vec::new(),
        }
    }

    /// Bytes moved over the data connection so far (on the wire: in `TYPE A`, with
    /// CRLF line ends).
    pub fn bytes_moved(&self) -> u64 {
        self.moved
    }

    /// Ends the transfer and reads the server's final reply. An upload is flushed and
    /// its connection shut down first, which tells the server the file is complete. A
    /// download must have been read to its end, else it is aborted and this fails with
    /// an [`Error::Io`] of kind `InvalidInput`.
    pub async fn finish(mut self) -> Result<(), Error> {
        if self.ended {
            return Ok(());
        }
        let end = if let Some((kind, text)) = self.broken.take() {
            // The connection already failed: the transfer cannot end well.
            TransferEnd::Failed(io::Error::new(kind, text))
        } else if self.upload {
            match self.close().await {
                Ok(()) => TransferEnd::Finished { at_eof: false },
                Err(e) => TransferEnd::Failed(e),
            }
        } else {
            match self.check_eof().await {
                Ok(at_eof) => TransferEnd::Finished { at_eof },
                Err(e) => TransferEnd::Failed(e),
            }
        };
        self.report(end);
        self.end().await
    }

    /// Aborts the transfer (`ABOR`), reading the server's answers to it so the control
    /// connection stays in step. An upload's partial file is the server's to keep or
    /// discard.
    pub async fn abort(mut self) -> Result<(), Error> {
        if self.ended {
            return Ok(());
        }
        self.report(TransferEnd::Aborted);
        self.end().await
    }

    /// Tells the core how the transfer ended and closes the connection: abortively
    /// (a reset) when the core does not count the transfer complete.
    fn report(&mut self, end: TransferEnd) {
        if !self.client.session.end_transfer(end, Instant::now()) {
            self.unsend();
        }
        self.sock = None;
    }

    /// Drives the operation to its end.
    async fn end(&mut self) -> Result<(), Error> {
        self.ended = true;
        loop {
            match self.client.step(false).await {
                Stop::Done(res) => return res.map(drop).map_err(map_timeout),
                Stop::Entries => self.client.entries.clear(),
                Stop::Transfer(_) => self.client.refuse_transfer(),
            }
        }
    }

    /// Whether a download is at end of file, reading once more if it has not seen it:
    /// a reader that took exactly the file's bytes has not.
    async fn check_eof(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(true);
        }
        if self.ascii && self.pos < self.converted.len() {
            return Ok(false);
        }
        let mut probe = [0u8; 1];
        Ok(self.read(&mut probe).await? == 0)
    }

    /// A transfer that did not end well must not look complete to the server: on Unix
    /// its connection is reset rather than closed (`SO_LINGER` 0), so the server sees an
    /// error instead of an end of file.
    fn unsend(&mut self) {
        #[cfg(unix)]
        if let Some(sock) = &self.sock {
            let reset = Some(std::time::Duration::ZERO);
            if let Err(e) = rustix::net::sockopt::set_socket_linger(sock.get_ref(), reset) {
                log::debug!("SO_LINGER on an abandoned upload: {e}");
            }
        }
    }

    /// The socket, or an error once it is gone.
    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        limit: usize,
        op: impl FnOnce(Pin<&mut Async<TcpStream>>, &mut Context<'_>, usize) -> Poll<io::Result<T>>,
        amount: impl Fn(&T) -> usize,
    ) -> Poll<io::Result<T>> {
        let allowed = ready!(self.poll_throttle(cx, limit));
        let Some(sock) = self.sock.as_mut() else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the transfer has ended",
            )));
        };
        match op(Pin::new(sock), cx, allowed) {
            Poll::Ready(Ok(v)) => {
                self.stall_armed = false;
                let n = amount(&v);
                self.moved = self.moved.saturating_add(n as u64);
                self.client.limits.consume(self.kind(), n, Instant::now());
                Poll::Ready(Ok(v))
            }
            Poll::Ready(Err(e)) => {
                self.broken = Some((e.kind(), e.to_string()));
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                let stalled = self.poll_stall(cx);
                if let Poll::Ready(Err(e)) = &stalled {
                    self.broken = Some((e.kind(), e.to_string()));
                }
                stalled
            }
        }
    }

    /// How many of `want` bytes the speed limit lets move now; pending until at least a
    /// block's worth (the throttle's burst) may.
    fn poll_throttle(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<usize> {
        loop {
            match self.client.limits.grant(self.kind(), want, Instant::now()) {
                Ok(n) => return Poll::Ready(n),
                Err(at) => self.throttle.set_at(at),
            }
            ready!(Pin::new(&mut self.throttle).poll(cx));
        }
    }

    fn kind(&self) -> TransferKind {
        if self.upload {
            TransferKind::Upload
        } else {
            TransferKind::Download
        }
    }

    /// The socket is not ready: pending until the socket timeout, counted from the
    /// first time it was not, runs out.
    fn poll_stall<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let Some(limit) = self.client.options.socket_timeout else {
            return Poll::Pending;
        };
        if !self.stall_armed {
            self.stall.set_after(limit);
            self.stall_armed = true;
        }
        ready!(Pin::new(&mut self.stall).poll(cx));
        self.stall_armed = false;
        Poll::Ready(Err(timed_out("the data connection")))
    }

    fn poll_read_raw(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(self.poll_io(
            cx,
            buf.len(),
            |s, cx, max| s.poll_read(cx, buf.get_mut(..max).unwrap_or_default()),
            |n| *n,
        ))?;
        if n == 0 {
            self.eof = true;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write_raw(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(
            cx,
            buf.len(),
            |s, cx, max| s.poll_write(cx, buf.get(..max).unwrap_or_default()),
            |n| *n,
        )
    }

    /// Writes out what an ASCII upload has converted.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let pending = std::mem::take(&mut self.converted);
        let mut result = Poll::Ready(Ok(()));
        while self.pos < pending.len() {
            let rest = pending.get(self.pos..).unwrap_or_default();
            match self.poll_write_raw(cx, rest) {
                Poll::Ready(Ok(0)) => {
                    result = Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    break;
                }
                Poll::Ready(Ok(n)) => self.pos += n,
                Poll::Ready(Err(e)) => {
                    result = Poll::Ready(Err(e));
                    break;
                }
                Poll::Pending => {
                    result = Poll::Pending;
                    break;
                }
            }
        }
        self.converted = pending;
        result
    }
}

impl AsyncRead for DataStream<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.upload {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "an upload stream cannot be read",
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if !this.ascii {
            return this.poll_read_raw(cx, buf);
        }
        loop {
            if let Some(ready) = this.converted.get(this.pos..).filter(|r| !r.is_empty()) {
                let n = ready.len().min(buf.len());
                // In bounds: n is at most either length.
                buf[..n].copy_from_slice(&ready[..n]);
                this.pos += n;
                return Poll::Ready(Ok(n));
            }
            if this.eof {
                return Poll::Ready(Ok(0));
            }
            this.converted.clear();
            this.pos = 0;
            let mut raw = std::mem::take(&mut this.raw);
            raw.resize(ASCII_BLOCK, 0);
            let read = this.poll_read_raw(cx, &mut raw);
            if let Poll::Ready(Ok(n)) = read {
                if n == 0 {
                    this.from_crlf.finish(&mut this.converted);
                } else {
                    let chunk = raw.get(..n).unwrap_or_default();
                    this.from_crlf.convert(chunk, &mut this.converted);
                }
            }
            this.raw = raw;
            ready!(read)?;
        }
    }
}

impl AsyncWrite for DataStream<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.upload {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a download stream cannot be written",
            )));
        }
        if !this.ascii {
            return this.poll_write_raw(cx, buf);
        }
        ready!(this.poll_drain(cx))?;
        let take = buf.get(..buf.len().min(ASCII_BLOCK)).unwrap_or_default();
        this.converted.clear();
        this.pos = 0;
        this.to_crlf.convert(take, &mut this.converted);
        // Start writing now; what is left goes out with the next write or flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(take.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        match this.sock.as_mut() {
            Some(sock) => Pin::new(sock).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        match this.sock.as_mut() {
            Some(sock) => Pin::new(sock).poll_close(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl DataStream<'_> {
    /// Flushes an upload and shuts its connection down.
    async fn close(&mut self) -> io::Result<()> {
        let limit = self.client.options.socket_timeout;
        timeout(limit, "closing the upload", AsyncWriteExt::close(self)).await
    }
}

impl Drop for DataStream<'_> {
    fn drop(&mut self) {
        if !self.ended {
            // The final reply is read by the client's next call.
            self.report(TransferEnd::Dropped { at_eof: self.eof });
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
            loop {
                if let Some(item) = client.entries.pop_front() {
                    return Some((Ok(item), Some(client)));
                }
                if !client.session.is_busy() {
                    return None;
                }
                match client.step(true).await {
                    Stop::Entries | Stop::Done(Ok(_)) => {}
                    Stop::Done(Err(e)) => {
                        client.entries.clear();
                        return Some((Err(map_timeout(e)), None));
                    }
                    Stop::Transfer(_) => client.refuse_transfer(),
                }
            }
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
