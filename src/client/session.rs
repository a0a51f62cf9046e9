//! [`Session`]: one control connection's client state machine.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use crate::Error;
use crate::code::Code;
use crate::reply::{Decoder, Reply};
use crate::time::DateTime;

#[cfg(doc)]
use super::api::Value;
use super::api::{Busy, Features, Operation, Output, TransferEnd, TransferKind};
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
/// | [`data_done`](Session::data_done) | a listing's data connection reached end of file |
/// | [`data_failed`](Session::data_failed) | a data connection could not be opened, or broke |
/// | [`end_transfer`](Session::end_transfer) | the application ended a file transfer's stream (finish, drop, abort, an error) |
/// | [`abort`](Session::abort) | the application wants a running transfer stopped |
/// | [`abandon`](Session::abandon) | nobody waits for the running operation any more (a dropped stream or call): it is driven to its end only to keep the channel in step |
///
/// After every input, drain [`poll_output`](Session::poll_output) until it gives `None`.
/// [`start`](Session::start) takes the wall clock with the monotonic one: listings read
/// it for dates without a year, so there is no clock to set beforehand.
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
    /// The transfer handed out with [`Output::Transfer`] whose end is not yet
    /// reported.
    moving: Option<TransferKind>,
    /// [`Session::abandon`] was called: file transfers are ended as unwanted.
    abandoned: bool,
}

impl Session {
    /// A session on a control connection from `local` to the server at `peer`, just
    /// opened, waiting for the greeting. With [`Config::tls`] set, the first
    /// [`Output::Done`] comes once the control connection runs TLS: for
    /// [`TlsMode::Implicit`](super::TlsMode::Implicit) the first output is
    /// [`Output::SecureControl`] (handshake before the greeting), for
    /// [`TlsMode::Explicit`](super::TlsMode::Explicit) `AUTH TLS` follows the greeting.
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
                tls_control: false,
                tls_data: false,
            },
            op: None,
            stray: VecDeque::new(),
            closed: false,
            last_activity: now,
            undelivered: 0,
            moving: None,
            abandoned: false,
        };
        if s.config.tls == Some(super::config::TlsMode::Implicit) {
            s.out.push_back(Output::SecureControl);
        }
        let explicit = s.config.tls == Some(super::config::TlsMode::Explicit);
        s.run(build::greeting(explicit), now);
        s
    }

    /// Starts `op` at `now`, `wall` being the same moment on the wall clock (a
    /// `SystemTime::now()`, or a [`DateTime`] in UTC; listings read it for dates without
    /// a year), then drain [`poll_output`](Session::poll_output). Fails
    /// with [`Busy`] while another operation runs; drive that one to its
    /// [`Output::Done`] first. On a closed session the operation finishes at once with
    /// [`Error::ConnectionClosed`].
    pub fn start(
        &mut self,
        op: Operation,
        now: Instant,
        wall: impl Into<DateTime>,
    ) -> Result<(), Busy> {
        if self.is_busy() {
            return Err(Busy);
        }
        self.shared.clock = wall.into();
        self.abandoned = false;
        if self.closed {
            self.push_done(Err(Error::ConnectionClosed));
            return Ok(());
        }
        self.run(build::build(op), now);
        Ok(())
    }

    /// Feeds bytes read from the control connection; then drain
    /// [`poll_output`](Session::poll_output).
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

    /// The control connection reached end of file; then drain
    /// [`poll_output`](Session::poll_output). The running operation ends: well if the
    /// close is its end (`QUIT`), else with [`Error::ConnectionClosed`].
    pub fn control_closed(&mut self) {
        self.close_control(Error::ConnectionClosed);
    }

    /// A read or write on the control connection failed with `error`: the session
    /// closes as with [`control_closed`](Session::control_closed), and the running
    /// operation fails with the socket's error ([`Error::from_io`]: a timed-out socket
    /// is [`Error::Timeout`]), which says why, rather than "closed". Then drain
    /// [`poll_output`](Session::poll_output).
    pub fn control_failed(&mut self, error: std::io::Error) {
        self.close_control(Error::from_io(error, "the control connection"));
    }

    fn close_control(&mut self, error: Error) {
        if self.closed {
            return;
        }
        let ended = self.op.as_mut().and_then(|op| op.on_closed());
        match ended {
            Some(Ok(v)) => {
                self.op = None;
                self.push_done(Ok(v));
                self.closed = true;
                self.out.push_back(Output::Close);
            }
            // A plain end of file: the operation's own account of it.
            Some(Err(e)) if matches!(error, Error::ConnectionClosed) => self.fail(e),
            _ => self.fail(error),
        }
    }

    /// Fires the reply timeout if it is due; then drain
    /// [`poll_output`](Session::poll_output).
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

    /// The TLS handshake on the control connection finished: after the
    /// [`Output::SecureControl`] of an [`Operation::SecureControl`], or for implicit
    /// FTPS right after [`Session::new`], once the handshake that starts the
    /// connection is done (before the greeting is read). A later
    /// [`Operation::Login`] then sends `PBSZ 0` and `PROT P` (unless
    /// [`Config::protect_data`] is off), and transfers run TLS. A failed handshake is
    /// [`control_failed`](Session::control_failed). Then drain
    /// [`poll_output`](Session::poll_output).
    pub fn control_secured(&mut self, now: Instant) {
        self.shared.tls_control = true;
        self.data(Data::Secured, now);
    }

    /// Whether the control connection runs TLS ([`control_secured`](Session::control_secured)
    /// was called).
    pub fn is_secure(&self) -> bool {
        self.shared.tls_control
    }

    /// The passive data connection asked for by [`Output::Connect`] is open; then
    /// drain [`poll_output`](Session::poll_output).
    pub fn data_connected(&mut self, now: Instant) {
        self.data(Data::Connected, now);
    }

    /// The active-mode listener asked for by [`Output::Listen`] is bound at `addr`;
    /// then drain [`poll_output`](Session::poll_output).
    pub fn data_listening(&mut self, addr: SocketAddr, now: Instant) {
        self.data(Data::Listening(addr), now);
    }

    /// Bytes read from a listing's data connection; then drain
    /// [`poll_output`](Session::poll_output) (an [`Output::CloseData`] there means the
    /// core wants no more: stop reading).
    pub fn handle_data(&mut self, bytes: &[u8], now: Instant) {
        self.data(Data::Bytes(bytes), now);
    }

    /// The transfer's data moved completely: a listing read to end of file (a file
    /// transfer's end goes through [`end_transfer`](Session::end_transfer)); then
    /// drain [`poll_output`](Session::poll_output).
    pub fn data_done(&mut self, now: Instant) {
        self.moving = None;
        self.data(Data::Done, now);
    }

    /// The application ended the transfer of the last [`Output::Transfer`] (a listing
    /// counts as a download); then
    /// drain [`poll_output`](Session::poll_output) and drive the operation to its
    /// [`Output::Done`]. The core decides what that means, the same for every adapter:
    ///
    /// | `end` | upload | download |
    /// |---|---|---|
    /// | [`Finished`](TransferEnd::Finished) | complete (every byte written, the connection shut down) | complete if at end of file; else `ABOR`, and the operation fails with an [`Error::Io`] of kind `InvalidInput` |
    /// | [`Dropped`](TransferEnd::Dropped) | `ABOR`: a cut-off upload is not a file | complete if at end of file, else `ABOR` |
    /// | [`Aborted`](TransferEnd::Aborted) | `ABOR`; the operation ends with [`Value::Aborted`] | the same |
    /// | [`Failed`](TransferEnd::Failed) | `ABOR`; the operation fails with the error | the same |
    /// | [`Unwanted`](TransferEnd::Unwanted) | `ABOR`; the operation fails | the same |
    ///
    /// Returns whether the transfer is complete. When it is not, the adapter closes
    /// the data connection abortively (a TCP reset, `SO_LINGER` 0), so that the server
    /// cannot mistake a cut-off upload for a whole one. Does nothing (and returns
    /// `true`) when no transfer is moving.
    pub fn end_transfer(&mut self, end: TransferEnd, now: Instant) -> bool {
        let Some(kind) = self.moving.take() else {
            return true;
        };
        // A listing read by the adapter ends like a download.
        let download = kind != TransferKind::Upload;
        let failure = match end {
            TransferEnd::Finished { at_eof } if at_eof || !download => None,
            TransferEnd::Dropped { at_eof } if at_eof && download => None,
            TransferEnd::Finished { .. } => Some(io::Error::new(
                io::ErrorKind::InvalidInput,
                "finish() before the end of the download: the transfer was aborted",
            )),
            TransferEnd::Dropped { .. } => Some(io::Error::other(
                "the data stream was dropped before its end",
            )),
            TransferEnd::Failed(e) => Some(e),
            TransferEnd::Unwanted => Some(io::Error::other("no stream for this transfer")),
            TransferEnd::Aborted => {
                self.abort(now);
                return false;
            }
        };
        match failure {
            None => {
                self.data(Data::Done, now);
                true
            }
            Some(e) => {
                self.data(Data::Failed(e), now);
                false
            }
        }
    }

    /// Whether the active-mode data connection from `from` is the server's: it must
    /// come from the control connection's peer host (an IPv4 address and its
    /// IPv4-mapped IPv6 form are one host). Close connections it refuses and keep
    /// accepting.
    pub fn accepts(&self, from: SocketAddr) -> bool {
        crate::addr::same_host(from.ip(), self.shared.peer.ip())
    }

    /// The data connection could not be opened or broke (a listing's, or one being
    /// opened); then drain [`poll_output`](Session::poll_output). A transfer the server
    /// started is aborted, and the operation ends with this error once the control
    /// channel is in step again.
    pub fn data_failed(&mut self, error: io::Error, now: Instant) {
        self.moving = None;
        self.data(Data::Failed(error), now);
    }

    /// Aborts the running transfer (`ABOR`), then drain
    /// [`poll_output`](Session::poll_output); the operation ends with
    /// [`Value::Aborted`] once the server's answers are read. Does nothing when no
    /// transfer runs.
    pub fn abort(&mut self, now: Instant) {
        self.moving = None;
        self.with_op(now, |op, cx| op.on_abort(cx));
    }

    /// Nobody waits for the running operation any more (a stream or a call dropped
    /// before its end); then drain [`poll_output`](Session::poll_output) and drive the
    /// operation to its [`Output::Done`], whose result belongs to nobody. The core ends
    /// its file transfer as [`TransferEnd::Unwanted`] itself: the one handed out and
    /// not ended yet (close its data connection, abortively), and any it would hand
    /// out later (no [`Output::Transfer`] comes for it). A listing is read as usual.
    pub fn abandon(&mut self, now: Instant) {
        if !self.is_busy() {
            return;
        }
        self.abandoned = true;
        if self
            .moving
            .is_some_and(|kind| kind != TransferKind::Listing)
        {
            self.end_transfer(TransferEnd::Unwanted, now);
        }
    }

    /// The next output for the adapter. Drain until `None` after every input.
    pub fn poll_output(&mut self) -> Option<Output> {
        loop {
            let out = self.out.pop_front();
            match &out {
                Some(Output::Done(_)) => {
                    self.undelivered = self.undelivered.saturating_sub(1);
                    self.moving = None;
                    self.abandoned = false;
                }
                Some(Output::Transfer(t)) if self.abandoned && t.kind != TransferKind::Listing => {
                    // Queued with the reply that started it: that reply's instant.
                    self.moving = Some(t.kind);
                    self.end_transfer(TransferEnd::Unwanted, self.last_activity);
                    continue;
                }
                Some(Output::Transfer(t)) => self.moving = Some(t.kind),
                _ => {}
            }
            return out;
        }
    }

    /// Whether an operation (or the greeting) is running, or its [`Output::Done`] is
    /// still waiting in [`poll_output`](Session::poll_output): while true,
    /// [`start`](Session::start) refuses.
    pub fn is_busy(&self) -> bool {
        self.op.is_some() || self.undelivered > 0
    }

    /// Whether the transfer of the last [`Output::Transfer`] is still to move: its end
    /// not reported, and the core not done with it (no [`Output::CloseData`] queued,
    /// e.g. a listing past the core's 256 MiB cap). An adapter reading a listing stops
    /// when this turns false.
    pub fn is_moving(&self) -> bool {
        self.moving.is_some() && !self.out.iter().any(|o| matches!(o, Output::CloseData))
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
