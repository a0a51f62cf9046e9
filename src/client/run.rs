//! [`ClientIo`]: an adapter's sockets, TLS and timers as the [`Driver`] uses them, and
//! [`Driver::run`], the adapter's loop written once: do what [`Driver::next`] says
//! with the adapter's I/O, report each result, until the driver stops.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::driver::{Action, Driver, Until, Wait};

/// What an adapter does for its client's [`Driver`]: one method per [`Action`], each
/// on the adapter's own sockets, TLS and timers. An async adapter implements it with
/// its runtime's I/O and awaits [`Driver::run`]; a blocking one with blocking calls
/// (whose futures are ready at once) and calls [`Driver::run_blocking`].
pub trait ClientIo {
    /// Writes some of `bytes` to the control connection (under TLS, flushed out of the
    /// TLS layer too): the bytes written ([`Action::Send`]).
    fn send(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<usize>>;

    /// Opens the passive data connection to `addr`, within the connect timeout, and
    /// keeps it ([`Action::Connect`]).
    fn connect(&mut self, addr: SocketAddr) -> impl Future<Output = io::Result<()>>;

    /// Binds the active-mode listener on `ip`, any port, and keeps it: its address
    /// ([`Action::Listen`]).
    fn listen(&mut self, ip: IpAddr) -> impl Future<Output = io::Result<SocketAddr>>;

    /// Runs the TLS client handshake on the control connection
    /// ([`Action::SecureControl`]).
    fn secure_control(&mut self) -> impl Future<Output = io::Result<()>>;

    /// Runs the TLS client handshake on the data connection, with the control
    /// connection's configuration and server name ([`Action::SecureData`]).
    fn secure_data(&mut self) -> impl Future<Output = io::Result<()>>;

    /// Drops the data connection and the listener ([`Action::CloseData`]).
    fn close_data(&mut self);

    /// Shuts the control connection down, after a `close_notify` under TLS
    /// ([`Action::CloseControl`]).
    fn close_control(&mut self);

    /// Waits as `wait` says (a control read, the deadline, the data side) and reports
    /// what came first to `driver`: [`Driver::control_read`], [`Driver::timed_out`],
    /// [`Driver::listing_read`] or [`Driver::accepted`] ([`Action::Wait`]).
    fn wait(&mut self, wait: Wait, driver: &mut Driver) -> impl Future<Output = ()>;

    /// The monotonic clock now.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl Driver {
    /// Does what [`next`](Driver::next) says with `io`, reporting each result, until
    /// the driver stops as `until` asks; returns the stop ([`Action::Done`],
    /// [`Action::Transfer`] or [`Action::Entry`]). Cancel-safe when `io`'s futures
    /// are: the driver keeps every pending action until its result is reported.
    pub async fn run(&mut self, io: &mut impl ClientIo, until: Until) -> Action {
        loop {
            match self.next(until, io.now()) {
                Action::Send => {
                    let res = io.send(self.control_out()).await;
                    self.sent(res);
                }
                Action::Connect(addr) => {
                    let res = io.connect(addr).await;
                    self.connected(res, io.now());
                }
                Action::Listen(ip) => {
                    let res = io.listen(ip).await;
                    self.listening(res, io.now());
                }
                Action::SecureControl => {
                    let res = io.secure_control().await;
                    self.control_secured(res, io.now());
                }
                Action::SecureData => {
                    let res = io.secure_data().await;
                    self.data_secured(res, io.now());
                }
                Action::CloseData => io.close_data(),
                Action::CloseControl => io.close_control(),
                Action::Wait(w) => io.wait(w, self).await,
                stop => return stop,
            }
        }
    }

    /// [`run`](Driver::run) for an `io` of blocking calls, whose futures are ready at
    /// once: polled on the calling thread (again, should one not be ready).
    pub fn run_blocking(&mut self, io: &mut impl ClientIo, until: Until) -> Action {
        let mut run = pin!(self.run(io, until));
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(stop) = run.as_mut().poll(&mut cx) {
                return stop;
            }
        }
    }
}
