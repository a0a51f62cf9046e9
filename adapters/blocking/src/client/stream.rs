//! The streams a [`Client`](super::Client) hands out: [`DataStream`] for a file
//! transfer, [`ListStream`] for a listing.

use std::io::{self, Read, Write};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use sansftp::Error;
use sansftp::client::{Closing, DataFlow, DataIo, Item, TransferEnd, Until};

use super::Client;
use super::driver::Socket;
use crate::tls::DataSocket;

/// The longest an upload waits for the server's `close_notify` after its own.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The data connection of a running file transfer: [`Read`] for a download, [`Write`]
/// for an upload (the other direction fails with `Unsupported`). Throttled by the
/// client's [`SpeedLimits`](super::SpeedLimits); each read and write is bounded by
/// the socket timeout. In `TYPE A` ([`Client::set_ascii`](super::Client::set_ascii))
/// line ends are converted on the way.
///
/// End it with [`finish`](DataStream::finish) (the transfer is complete) or
/// [`abort`](DataStream::abort). How each end counts (a download finished before its
/// end is aborted and fails; one dropped after its end is complete; a dropped upload is
/// aborted) is the core's decision, the same in every adapter:
/// [`Session::end_transfer`](sansftp::client::Session::end_transfer). The control
/// connection is brought back in step in the drop when the client has a socket
/// timeout, else at the start of its next call.
#[derive(Debug)]
pub struct DataStream<'a> {
    client: &'a mut Client,
    /// `None` once closed (or when the server finished without a data connection).
    socket: Option<Socket>,
    /// What the core decides around each read and write.
    flow: DataFlow,
}

impl<'a> DataStream<'a> {
    /// The stream of the transfer `flow` runs, over the data connection the client
    /// holds (none when the server finished without one).
    pub(crate) fn new(client: &'a mut Client, flow: DataFlow) -> DataStream<'a> {
        let socket = client.io.data.take();
        DataStream {
            client,
            socket,
            flow,
        }
    }

    /// Completes the transfer and waits for the server's final reply. An upload is
    /// shut down (the server sees the end of the file); a download must have been read
    /// to its end (a `read` that returned 0), else the transfer is aborted and an
    /// [`Error::Io`] of kind `InvalidInput` is returned.
    pub fn finish(mut self) -> Result<(), Error> {
        let closed = match self.flow.closing() {
            Closing::Shutdown => self.end_upload(),
            Closing::Probe => self.read(&mut [0u8; 1]).map(drop),
            Closing::Ready => Ok(()),
        };
        let end = self.flow.finish(closed);
        self.end(end)
    }

    /// Stops the transfer (`ABOR`) and waits until the server's replies to it are read.
    pub fn abort(mut self) -> Result<(), Error> {
        let end = self.flow.abort();
        self.end(end)
    }

    /// Tells the core how the transfer ended (none: it was told) and closes the
    /// connection: abortively (a reset) when the core does not count the transfer
    /// complete.
    fn tell(&mut self, end: Option<TransferEnd>) {
        let Some(end) = end else {
            return;
        };
        let download = self.flow.kind() != sansftp::client::TransferKind::Upload;
        if !self.client.driver.end_transfer(end, Instant::now()) {
            self.reset();
        } else if let Some(s @ DataSocket::Tls(_)) = self.socket.as_mut().filter(|_| download) {
            // Our close_notify after the server's.
            let _ = s.close_write();
        }
        self.socket = None;
    }

    /// Tells the core how the transfer ended and drives the operation to its end.
    fn end(&mut self, end: Option<TransferEnd>) -> Result<(), Error> {
        self.tell(end);
        if !self.client.driver.is_pending() {
            // Ended before any data (the server answered the command with a
            // completion), its result already taken.
            return Ok(());
        }
        self.client.run_started().map(drop)
    }

    /// Closes the data connection abortively (a reset, not an end of file), so a
    /// server cannot take a cut-off upload for a complete one.
    fn reset(&mut self) {
        if let Some(socket) = self.socket.take() {
            #[cfg(unix)]
            {
                let zero = Some(std::time::Duration::ZERO);
                let _ = rustix::net::sockopt::set_socket_linger(socket.tcp(), zero);
            }
            drop(socket);
        }
    }

    /// Writes what `TYPE A` conversion holds, then shuts the write side down (after a
    /// `close_notify` under TLS, then reading until the server's, bounded, so TLS 1.3
    /// tickets are read and no reset eats the tail).
    fn end_upload(&mut self) -> io::Result<()> {
        self.flush()?;
        if let Some(s) = &mut self.socket {
            s.close_write()?;
            let timeout = self.client.driver.options().socket_timeout;
            s.drain(timeout.map_or(CLOSE_WAIT, |t| t.min(CLOSE_WAIT)));
        }
        Ok(())
    }

    /// Uploads from `file`'s current position with sendfile(2) (Linux), while the
    /// core lets it (binary, the upload speed unlimited: checked every 8 MiB, so a
    /// limit set meanwhile takes over); returns the bytes sent, the file's position
    /// moved past them. Sends nothing elsewhere: copy the rest through
    /// [`Write`] (from the file's position, which stays where sendfile stopped).
    ///
    /// It costs this side about a quarter of the CPU of a copy through a buffer, but
    /// measured on Linux loopback the servers received its spliced pages more slowly
    /// (25-35% against pyftpdlib and vsftpd), so [`Client::upload`](super::Client::upload)
    /// writes through a buffer instead.
    pub fn send_file(&mut self, file: &mut std::fs::File) -> io::Result<u64> {
        let mut total = 0u64;
        while let Some(n) = self.send_file_chunk(file)? {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        Ok(total)
    }

    /// One step of [`send_file`](DataStream::send_file), for a caller that shows
    /// progress: up to 8 MiB from `file`'s position with sendfile(2). `Some(0)` at the
    /// file's end; `None` when sendfile may not be used (TLS, `TYPE A`, an upload
    /// speed limit, another system or file system): copy the rest through [`Write`].
    pub fn send_file_chunk(&mut self, file: &mut std::fs::File) -> io::Result<Option<usize>> {
        if !self.flow.may_send_file() {
            return Ok(None);
        }
        // Never under TLS: the bytes must go through rustls.
        let Some(DataSocket::Plain(socket)) = self.socket.as_ref() else {
            return Ok(None);
        };
        match sendfile(socket, file) {
            Ok(Some(0)) => Ok(Some(0)),
            Ok(Some(n)) => {
                self.flow.sent(n, Instant::now())?;
                Ok(Some(n))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.flow.broke(e)),
        }
    }
}

/// One sendfile(2) call of up to 8 MiB from `file`'s position: `None` when the
/// system cannot (nothing was sent).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn sendfile(socket: &std::net::TcpStream, file: &std::fs::File) -> io::Result<Option<usize>> {
    use rustix::io::Errno;
    const CHUNK: usize = 8 << 20;
    loop {
        match rustix::fs::sendfile(socket, file, None, CHUNK) {
            Ok(n) => return Ok(Some(n)),
            Err(Errno::INTR) => {}
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn sendfile(_socket: &std::net::TcpStream, _file: &std::fs::File) -> io::Result<Option<usize>> {
    Ok(None)
}

/// One read from a download's socket: what has arrived, without waiting, and only when
/// nothing has, a blocking read (bounded by the socket timeout).
///
/// Measured on Linux loopback (1 GiB, 1 MiB reads, vsftpd and pyftpdlib): a plain
/// blocking `recv` costs about twice the client CPU per byte of this (0.46 s vs 0.19 s
/// per GiB against vsftpd) and throughput follows (~2.2 vs ~3.7 GB/s); the async
/// client, whose reads never wait, costs the same as this.
#[cfg(unix)]
fn recv(socket: &mut Socket, buf: &mut [u8]) -> io::Result<usize> {
    use rustix::net::RecvFlags;
    let DataSocket::Plain(plain) = socket else {
        return socket.read(buf);
    };
    match rustix::net::recv(&*plain, &mut *buf, RecvFlags::DONTWAIT) {
        Ok((n, _)) => Ok(n),
        Err(rustix::io::Errno::AGAIN) => socket.read(buf),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn recv(socket: &mut Socket, buf: &mut [u8]) -> io::Result<usize> {
    socket.read(buf)
}

/// A data stream's socket as the core's [`DataFlow`] drives it: each call blocks
/// (bounded by the socket timeout), so none is ever pending.
struct Io<'a>(&'a mut Option<Socket>);

impl DataIo for Io<'_> {
    fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let socket = self.0.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        loop {
            match recv(socket, buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return Poll::Ready(res),
            }
        }
    }

    fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let socket = self.0.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        loop {
            match socket.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return Poll::Ready(res),
            }
        }
    }

    fn poll_sleep(&mut self, _: &mut Context<'_>, at: Instant) -> Poll<()> {
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        Poll::Ready(())
    }
}

/// The result of a `poll` function over [`Io`], which never pends.
fn blocking<T>(poll: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<T>>) -> io::Result<T> {
    match poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(res) => res,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

impl Read for DataStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        blocking(|cx| self.flow.poll_read(&mut Io(&mut self.socket), cx, buf))
    }
}

impl Write for DataStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        blocking(|cx| self.flow.poll_write(&mut Io(&mut self.socket), cx, buf))
    }

    /// Writes what `TYPE A` conversion holds.
    fn flush(&mut self) -> io::Result<()> {
        if self.flow.check_write().is_ok() {
            self.write(&[])?;
        }
        match self.socket.as_mut() {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for DataStream<'_> {
    fn drop(&mut self) {
        let end = self.flow.dropped();
        self.tell(end);
        if self.client.driver.options().socket_timeout.is_some() {
            // Bounded by the socket timeout; the result belongs to nobody.
            self.client.finish_pending();
        }
    }
}

/// The entries of a running listing, as an iterator (see
/// [`Client::list_stream`](super::Client::list_stream)). Ends after the last entry, or
/// after the first error.
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
}

impl Iterator for ListStream<'_> {
    type Item = Result<Item, Error>;

    fn next(&mut self) -> Option<Result<Item, Error>> {
        if self.ended {
            return None;
        }
        let next = self.client.drive(Until::Entry).into_entry();
        self.ended = !matches!(next, Some(Ok(_)));
        next
    }
}
