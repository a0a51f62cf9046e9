//! [`Session`]: one control connection's client state machine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use crate::Error;
use crate::code::Code;
use crate::reply::{Decoder, Reply};
use crate::time::DateTime;

#[cfg(doc)]
use super::api::Value;
use super::api::{Busy, Features, Operation, Output};
use super::build;
use super::config::Config;
use super::machine::{Cx, Data, Op, Shared, Step};

/// The most replies kept that came while no operation ran; older ones are dropped.
const MAX_STRAY: usize = 16;

/// A client's control connection as a sans-IO state machine.
///
/// It starts out waiting for the greeting: drive it until the first [`Output::Done`]
/// (with [`Value::Greeting`]) before starting operations. Then, one at a time:
/// [`start`](Session::start) an [`Operation`], feed inputs, drain
/// [`poll_output`](Session::poll_output) after each, until its [`Output::Done`].
///
/// Inputs, and when to call them:
///
/// | input | when |
/// |---|---|
/// | [`handle_control`](Session::handle_control) | bytes were read from the control connection |
/// | [`control_closed`](Session::control_closed) | the control connection reached end of file or failed |
/// | [`handle_timeout`](Session::handle_timeout) | the instant from [`poll_timeout`](Session::poll_timeout) has passed |
/// | [`data_connected`](Session::data_connected) | the connection asked for by [`Output::Connect`] is open |
/// | [`data_listening`](Session::data_listening) | the listener asked for by [`Output::Listen`] is bound |
/// | [`handle_data`](Session::handle_data) | bytes of a [`TransferKind::Listing`](super::TransferKind::Listing) were read |
/// | [`data_done`](Session::data_done) | a transfer's data moved completely |
/// | [`data_failed`](Session::data_failed) | a data connection could not be opened, or broke |
/// | [`abort`](Session::abort) | the application wants a running transfer stopped |
/// | [`set_clock`](Session::set_clock) | before a listing, so dates without a year resolve |
#[derive(Debug)]
pub struct Session {
    config: Config,
    decoder: Decoder,
    out: VecDeque<Output>,
    shared: Shared,
    op: Option<Box<dyn Op>>,
    /// Replies that came while no operation ran, for the next one.
    stray: VecDeque<Reply>,
    closed: bool,
    /// When the last reply came or the last command went out: the reply timeout counts
    /// from here.
    last_activity: Instant,
    /// [`Output::Done`]s queued but not yet taken by [`Session::poll_output`].
    undelivered: usize,
}

impl Session {
    /// A session on a control connection from `local` to the server at `peer`, just
    /// opened, waiting for the greeting.
    pub fn new(config: Config, peer: SocketAddr, local: SocketAddr, now: Instant) -> Session {
        let mut s = Session {
            config,
            decoder: Decoder::new(),
            out: VecDeque::new(),
            shared: Shared {
                features: None,
                ty: None,
                peer,
                local,
                clock: DateTime::UNIX_EPOCH,
            },
            op: None,
            stray: VecDeque::new(),
            closed: false,
            last_activity: now,
            undelivered: 0,
        };
        s.run(build::greeting(), now);
        s
    }

    /// Starts `op`. Fails with [`Busy`] while another operation runs; drive that one to
    /// its [`Output::Done`] first. On a closed session the operation finishes at once
    /// with [`Error::ConnectionClosed`].
    pub fn start(&mut self, op: Operation, now: Instant) -> Result<(), Busy> {
        if self.is_busy() {
            return Err(Busy);
        }
        if self.closed {
            self.push_done(Err(Error::ConnectionClosed));
            return Ok(());
        }
        self.run(build::build(op), now);
        Ok(())
    }

    /// Feeds bytes read from the control connection.
    pub fn handle_control(&mut self, bytes: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_reply() {
                Ok(Some(reply)) => {
                    self.last_activity = now;
                    self.deliver(reply);
                }
                Ok(None) => break,
                Err(e) => {
                    // The reply stream is garbled: which reply answers which command can
                    // no longer be known.
                    self.fail(Error::MalformedReply(e));
                    break;
                }
            }
        }
    }

    /// The control connection reached end of file (or broke).
    pub fn control_closed(&mut self) {
        if self.closed {
            return;
        }
        let res = self
            .op
            .as_mut()
            .and_then(|op| op.on_closed())
            .unwrap_or(Err(Error::ConnectionClosed));
        match res {
            Ok(v) => {
                self.op = None;
                self.push_done(Ok(v));
                self.closed = true;
                self.out.push_back(Output::Close);
            }
            Err(e) => self.fail(e),
        }
    }

    /// Fires the reply timeout if it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| t <= now) {
            self.fail(Error::Timeout("a reply from the server".into()));
        }
    }

    /// When to call [`handle_timeout`](Session::handle_timeout): while a reply is due
    /// and [`Config::reply_timeout`] is set.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timeout = self.config.reply_timeout?;
        let op = self.op.as_ref()?;
        if self.closed || !op.awaiting_reply() {
            return None;
        }
        self.last_activity.checked_add(timeout)
    }

    /// The passive data connection asked for by [`Output::Connect`] is open.
    pub fn data_connected(&mut self, now: Instant) {
        self.data(Data::Connected, now);
    }

    /// The active-mode listener asked for by [`Output::Listen`] is bound at `addr`.
    pub fn data_listening(&mut self, addr: SocketAddr, now: Instant) {
        self.data(Data::Listening(addr), now);
    }

    /// Bytes read from a listing's data connection.
    pub fn handle_data(&mut self, bytes: &[u8], now: Instant) {
        self.data(Data::Bytes(bytes), now);
    }

    /// The transfer's data moved completely: a download or listing read to end of file,
    /// an upload written and shut down.
    pub fn data_done(&mut self, now: Instant) {
        self.data(Data::Done, now);
    }

    /// The data connection could not be opened or broke (also: an upload's source
    /// failed, or a download stream was dropped early). A transfer the server started
    /// is aborted, and the operation ends with this error once the control channel is
    /// in step again.
    pub fn data_failed(&mut self, error: std::io::Error, now: Instant) {
        self.data(Data::Failed(error), now);
    }

    /// Aborts the running transfer (`ABOR`); the operation ends with [`Value::Aborted`]
    /// once the server's answers are read. Does nothing when no transfer runs.
    pub fn abort(&mut self, now: Instant) {
        self.with_op(now, |op, cx| op.on_abort(cx));
    }

    /// Sets the wall clock (UTC), read when a `LIST` line gives a date without a year.
    pub fn set_clock(&mut self, now: DateTime) {
        self.shared.clock = now;
    }

    /// The next output for the adapter. Drain until `None` after every input.
    pub fn poll_output(&mut self) -> Option<Output> {
        let out = self.out.pop_front();
        if let Some(Output::Done(_)) = out {
            self.undelivered = self.undelivered.saturating_sub(1);
        }
        out
    }

    /// Whether an operation (or the greeting) is running, or its [`Output::Done`] is
    /// still waiting in [`poll_output`](Session::poll_output): while true,
    /// [`start`](Session::start) refuses.
    pub fn is_busy(&self) -> bool {
        self.op.is_some() || self.undelivered > 0
    }

    /// Whether the session is over ([`Output::Close`] was given).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// What the server announced with `FEAT`, once asked.
    pub fn features(&self) -> Option<&Features> {
        self.shared.features.as_ref()
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.shared.peer
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn run(&mut self, mut op: Box<dyn Op>, now: Instant) {
        self.last_activity = now;
        let mut cx = Cx {
            out: &mut self.out,
            config: &self.config,
            state: &mut self.shared,
        };
        let step = op.start(&mut cx);
        self.op = Some(op);
        self.settle(step);
        while self.op.is_some() {
            let Some(reply) = self.stray.pop_front() else {
                break;
            };
            self.deliver(reply);
        }
    }

    fn data(&mut self, data: Data<'_>, now: Instant) {
        self.with_op(now, |op, cx| op.on_data(data, cx));
    }

    fn with_op(&mut self, now: Instant, f: impl FnOnce(&mut dyn Op, &mut Cx<'_>) -> Step) {
        let Some(op) = self.op.as_mut() else {
            return;
        };
        let queued = self.out.len();
        let mut cx = Cx {
            out: &mut self.out,
            config: &self.config,
            state: &mut self.shared,
        };
        let step = f(op.as_mut(), &mut cx);
        if self.out.len() != queued {
            self.last_activity = now;
        }
        self.settle(step);
    }

    fn deliver(&mut self, reply: Reply) {
        let Some(op) = self.op.as_mut() else {
            if reply.code() == Code::SERVICE_UNAVAILABLE {
                // 421 out of turn: the server is closing the connection.
                self.closed = true;
                self.out.push_back(Output::Close);
                return;
            }
            if self.stray.len() == MAX_STRAY {
                self.stray.pop_front();
            }
            self.stray.push_back(reply);
            return;
        };
        let closing = reply.code() == Code::SERVICE_UNAVAILABLE;
        let mut cx = Cx {
            out: &mut self.out,
            config: &self.config,
            state: &mut self.shared,
        };
        let step = op.on_reply(reply, &mut cx);
        self.settle(step);
        if closing && !self.closed {
            // 421 ends the session whatever the operation made of it.
            if let Some(mut op) = self.op.take() {
                let _ = op.on_closed();
                self.push_done(Err(Error::ConnectionClosed));
            }
            self.closed = true;
            self.out.push_back(Output::CloseData);
            self.out.push_back(Output::Close);
        }
    }

    fn push_done(&mut self, res: Result<super::api::Value, Error>) {
        self.undelivered += 1;
        self.out.push_back(Output::Done(res));
    }

    fn settle(&mut self, step: Step) {
        if let Step::Done(res) = step {
            self.op = None;
            if self.out.iter().any(|o| matches!(o, Output::Close)) {
                self.closed = true;
            }
            self.push_done(res);
        }
    }

    /// Ends the running operation with `error` and closes the session.
    fn fail(&mut self, error: Error) {
        if self.op.take().is_some() {
            self.out.push_back(Output::CloseData);
            self.push_done(Err(error));
        }
        self.closed = true;
        self.out.push_back(Output::Close);
    }
}
