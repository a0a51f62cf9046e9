//! [`DataIo`]: the adapter's side of a data stream (its socket and its timers), and the
//! loops every adapter's `DataStream` runs over it: [`DataFlow::poll_read`] and
//! [`DataFlow::poll_write`], written once in `poll` form.
//!
//! An async adapter implements [`DataIo`] on its socket and timers and calls these from
//! its `poll_read`/`poll_write`; a blocking one implements it with blocking calls
//! (which never return `Pending`) and calls them with a no-op waker.

use std::io;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use super::flow::{DataFlow, ReadNext, WriteNext};

/// What a [`DataFlow`] needs of the adapter to move a stream's bytes: one socket read
/// or write, a timer for the speed limit, and the clock.
pub trait DataIo {
    /// Reads into `buf` from the data connection (`Ok(0)`: end of file). A socket
    /// stuck for the socket timeout gives a `TimedOut` error.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Writes some of `buf` to the data connection. A socket stuck for the socket
    /// timeout gives a `TimedOut` error.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Waits until `at` (the speed limit).
    fn poll_sleep(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()>;

    /// The monotonic clock now.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl DataFlow {
    /// Reads a download's next bytes into `buf` over `io`: the speed limit, `TYPE A`
    /// conversion and end of file as the flow decides; the bytes given (`0`: the end).
    /// An upload's stream fails with `Unsupported`.
    pub fn poll_read(
        &mut self,
        io: &mut impl DataIo,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.check_read()?;
        loop {
            let into = match self.next_read(buf, io.now()) {
                ReadNext::Ready(n) => return Poll::Ready(Ok(n)),
                ReadNext::Wait(at) => {
                    ready!(io.poll_sleep(cx, at));
                    continue;
                }
                ReadNext::Fill(into) => into,
            };
            let n = match ready!(io.poll_read(cx, into)) {
                Ok(n) => n,
                Err(e) => return Poll::Ready(Err(self.broke(e))),
            };
            if let Some(n) = self.filled(n, io.now()) {
                return Poll::Ready(Ok(n));
            }
        }
    }

    /// Writes `input` to an upload over `io` (empty: until what `TYPE A` conversion
    /// holds is out): the bytes of `input` taken. A download's stream fails with
    /// `Unsupported`, an ended one with `NotConnected`.
    pub fn poll_write(
        &mut self,
        io: &mut impl DataIo,
        cx: &mut Context<'_>,
        input: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check_write()?;
        loop {
            let out = match self.next_write(input, io.now()) {
                WriteNext::Taken(n) => return Poll::Ready(Ok(n)),
                WriteNext::Wait(at) => {
                    ready!(io.poll_sleep(cx, at));
                    continue;
                }
                WriteNext::Send(out) => out,
            };
            let n = match ready!(io.poll_write(cx, out)) {
                Ok(n) => n,
                Err(e) => return Poll::Ready(Err(self.broke(e))),
            };
            if let Some(n) = self.sent(n, io.now())? {
                return Poll::Ready(Ok(n));
            }
        }
    }
}
