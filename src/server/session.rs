//! [`Session`]: one control connection's state, its inputs and its output queue.
//!
//! The command handlers live in `commands.rs`, the handling of answers to requests in
//! `completion.rs`; this file owns the plumbing they share: ordering, buffering of
//! pipelined commands, timers and outputs.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;

use crate::code::Code;
use crate::command::{Command, LineDecoder, ParseError};
use crate::listing::FactSet;
use crate::path::VirtualPath;
use crate::reply::Reply;

use super::abuse::{AddressGuard, AddressRefusal};
use super::audit::{Audit, AuditAction};
use super::config::Config;
use super::data::Progress;
use super::limits::{ConnectionGuard, Limits, SessionThrottles, UserGuard};
use super::request::{Event, HashAlgorithm, Output, RequestId, TransferKind};
use super::tls::TlsState;
use super::user::User;

/// The server side of one control connection, as a sans-IO state machine.
///
/// An adapter creates one per accepted control connection with [`Session::with_limits`]
/// (or [`Session::new`], without connection and speed limits), then loops:
///
/// 1. feed it what happened: bytes read ([`handle_control`](Session::handle_control)),
///    answers to its requests ([`complete_auth`](Session::complete_auth),
///    [`complete_storage`](Session::complete_storage),
///    [`complete_passive`](Session::complete_passive)), data connection events
///    ([`data_connected`](Session::data_connected), [`data_done`](Session::data_done),
///    [`data_failed`](Session::data_failed), the byte count of a running transfer
///    [`data_progress`](Session::data_progress), and for an upload
///    [`upload_committed`](Session::upload_committed)), the clock
///    ([`handle_timeout`](Session::handle_timeout)), the peer going away
///    ([`control_closed`](Session::control_closed)) and the server stopping
///    ([`shutdown`](Session::shutdown));
/// 2. drain [`poll_output`](Session::poll_output) until `None` and act on each
///    [`Output`] in order;
/// 3. wait for sockets, request answers, or [`poll_timeout`](Session::poll_timeout).
///
/// Commands are answered strictly in the order they arrived: while one waits for a
/// request, later ones are buffered. During a transfer, `ABOR` is handled at once
/// (`426` for the transfer, then `226`), and `STAT`, `NOOP` and `QUIT` are handled as
/// soon as they reach the front of the buffer (`QUIT` lets the transfer finish, then
/// answers `221`).
///
/// No input makes it panic; every command line gets a reply.
#[derive(Debug)]
pub struct Session {
    pub(super) config: Arc<Config>,
    pub(super) peer: SocketAddr,
    pub(super) local: SocketAddr,
    decoder: LineDecoder,
    /// Commands received but not yet executed, in order.
    pub(super) queue: VecDeque<Result<Command, ParseError>>,
    out: VecDeque<Output>,
    /// Encoded replies not yet handed out; merged so pipelined replies go out in one write.
    send_buf: BytesMut,
    next_id: u64,
    pub(super) login: Login,
    pub(super) cwd: VirtualPath,
    /// The REST offset, for the command right after REST only.
    pub(super) rest: Option<u64>,
    /// The RNFR path, for the command right after RNFR only.
    pub(super) rename_from: Option<VirtualPath>,
    pub(super) ascii: bool,
    pub(super) mlst_facts: FactSet,
    /// The `HASH` function (`OPTS HASH`).
    pub(super) hash: HashAlgorithm,
    pub(super) epsv_all: bool,
    pub(super) data: DataSetup,
    /// The request the session waits for; commands queue up behind it.
    pub(super) wait: Option<Wait>,
    /// When the client last did something or a request was answered: the start of the
    /// idle timer, and also the instant the outstanding request (if any) was made, since
    /// requests are only made by the input that set it.
    pub(super) last_activity: Instant,
    /// QUIT arrived during a transfer: answer 221 and close when it ends.
    pub(super) quit_after_transfer: bool,
    /// [`Session::shutdown`] was called: say `421` and close once nothing is running.
    pub(super) draining: bool,
    /// [`Session::shutdown_by`]'s deadline: whatever still runs then is cut.
    pub(super) cut_at: Option<Instant>,
    pub(super) closed: bool,
    /// STOU name counter.
    pub(super) unique_seq: u32,
    /// A transfer accepts on the passive listener and has no data connection yet: the
    /// listener is closed ([`Output::ClosePassive`]) once it has one, or once the
    /// transfer ends without one (a `STOU` retry keeps it).
    pub(super) passive_lent: bool,
    /// The server's shared counters, for [`Session::with_limits`] sessions.
    pub(super) limits: Option<Limits>,
    /// This connection's slot in [`Config::max_connections`]; freed at close.
    connection: Option<ConnectionGuard>,
    /// This connection's slot in [`Config::max_connections_per_ip`]; freed at close.
    address: Option<AddressGuard>,
    /// The logged-in user's slot in [`User::max_connections`]; freed at logout.
    pub(super) user_slot: Option<UserGuard>,
    /// Per-connection speed limits, kept across transfers.
    pub(super) throttles: Option<SessionThrottles>,
    /// Where TLS stands on the control connection, and `PBSZ`/`PROT`.
    pub(super) tls: TlsState,
}

/// Login progress.
#[derive(Debug, Clone)]
pub(super) enum Login {
    None,
    /// USER was accepted, PASS is needed.
    UserGiven(Vec<u8>),
    LoggedIn(Arc<User>),
}

/// How the next transfer gets its data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataSetup {
    None,
    /// A passive listener is open.
    Passive,
    /// PORT/EPRT to this address.
    Active(SocketAddr),
}

/// An outstanding request and what to do with its answer.
#[derive(Debug)]
pub(super) enum Wait {
    Auth {
        id: RequestId,
        login: Vec<u8>,
    },
    Storage {
        id: RequestId,
        next: Next,
    },
    Passive {
        id: RequestId,
        extended: bool,
    },
    Transfer(TransferState),
    /// A failed login's `530 text` goes out at `until` ([`Config::login_failure_delay`]).
    FailedLogin {
        until: Instant,
        text: String,
    },
}

/// What a storage answer continues.
#[derive(Debug)]
pub(super) enum Next {
    Cwd(VirtualPath),
    Mkd(VirtualPath),
    /// Done; on success, audit this.
    Done(VirtualPath, AuditAction),
    Rnfr(VirtualPath),
    Size(VirtualPath),
    Mdtm(VirtualPath),
    /// `MFMT`: `213 Modify=...; path` on success.
    Mfmt(VirtualPath, crate::time::DateTime),
    /// `HASH`: the `213` with the digest.
    Hash(VirtualPath),
    /// `SITE CHMOD`: `200`.
    Chmod(VirtualPath),
    Mlst(VirtualPath),
    /// A directory listing for LIST/NLST/MLSD/STAT.
    List(ListKind, VirtualPath),
    /// LIST/NLST/STAT of something that is not a directory: list its own entry.
    ListOne(ListKind, VirtualPath),
}

/// Which command a listing is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListKind {
    List,
    Nlst,
    Mlsd,
    Stat,
}

/// A transfer handed to the adapter.
#[derive(Debug)]
pub(super) struct TransferState {
    pub(super) id: RequestId,
    pub(super) phase: Phase,
    /// Give up waiting for the data connection at this instant.
    pub(super) deadline: Instant,
    pub(super) path: Option<VirtualPath>,
    pub(super) kind: TransferKind,
    pub(super) verb: &'static str,
    /// STOU names tried so far.
    pub(super) unique_tries: u32,
    /// The data setup this transfer consumed, given back for a STOU retry.
    pub(super) channel: DataSetup,
    /// The adapter's byte count ([`Transfer::progress`](super::Transfer::progress)).
    pub(super) progress: Progress,
    /// The data connection runs TLS ([`Transfer::tls`](super::Transfer::tls)).
    pub(super) tls: bool,
    /// [`Session::data_secured`] accepted its handshake.
    pub(super) tls_checked: bool,
}

/// Where a transfer stands; each phase has its own deadline (see `timers.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for [`Session::data_connected`], until [`TransferState::deadline`].
    Opening,
    /// Data moves: `bytes` as last reported ([`Session::data_progress`]), first seen
    /// at `since`; `checked` is when the adapter last reported.
    Moving {
        bytes: u64,
        since: Instant,
        checked: Instant,
    },
    /// An upload's data arrived in full (`bytes`): [`Output::CommitUpload`] goes out at
    /// `until`, unless the control connection ends first ([`Config::commit_grace`]).
    Grace { bytes: u64, until: Instant },
    /// [`Output::CommitUpload`] went out at `since`: waiting for
    /// [`Session::upload_committed`].
    Committing { bytes: u64, since: Instant },
}

impl Phase {
    pub(super) fn connected(self) -> bool {
        self != Phase::Opening
    }

    /// The data has all arrived: only the commit is left.
    pub(super) fn finishing(self) -> bool {
        matches!(self, Phase::Grace { .. } | Phase::Committing { .. })
    }
}

impl Session {
    /// Starts a session for a new control connection from `peer`, accepted on `local`,
    /// and queues the `220` greeting ([`Config::welcome`]). Call once per accepted
    /// connection, then drain [`poll_output`](Session::poll_output).
    pub fn new(config: Arc<Config>, peer: SocketAddr, local: SocketAddr, now: Instant) -> Session {
        let decoder = LineDecoder::with_max_line(config.max_command_line);
        let mut s = Session {
            decoder,
            queue: VecDeque::new(),
            out: VecDeque::new(),
            send_buf: BytesMut::new(),
            next_id: 0,
            login: Login::None,
            cwd: VirtualPath::root(),
            rest: None,
            rename_from: None,
            ascii: false,
            mlst_facts: FactSet::DEFAULT,
            hash: HashAlgorithm::Sha256,
            epsv_all: false,
            data: DataSetup::None,
            wait: None,
            last_activity: now,
            quit_after_transfer: false,
            draining: false,
            cut_at: None,
            closed: false,
            unique_seq: 0,
            passive_lent: false,
            limits: None,
            connection: None,
            address: None,
            user_slot: None,
            throttles: None,
            tls: TlsState::default(),
            peer,
            local,
            config,
        };
        let welcome = s.config.welcome.clone();
        s.reply(Code::READY, welcome);
        s
    }

    /// Starts a session for a server with shared [`Limits`] (one per server, see
    /// [`Limits::new`]): the session counts itself against [`Config::max_connections`]
    /// (when the server is full it says `421` [`Config::server_full_text`] and closes),
    /// and against its address's [`Config::max_connections_per_ip`] (`421`
    /// [`Config::address_limit_text`]; a banned address gets `421`
    /// [`Config::banned_text`]), records its failed logins towards a ban
    /// ([`Config::max_login_failures`]; see [`AddressLimits`](super::AddressLimits)),
    /// counts its login against the user's [`User::max_connections`] (`530`
    /// [`Config::user_limit_text`] when exceeded), keeps its per-connection speed
    /// limits, and hands every [`Transfer`](super::Transfer) the
    /// [`throttles`](super::Transfer::throttles) it must obey. The slots are freed at
    /// logout and at [`Output::Close`]. Call once per accepted connection (also while
    /// shutting down, then [`Session::shutdown`]), then drain
    /// [`poll_output`](Session::poll_output).
    ///
    /// [`Session::new`] is the same session without limits.
    pub fn with_limits(
        config: Arc<Config>,
        limits: &Limits,
        peer: SocketAddr,
        local: SocketAddr,
        now: Instant,
    ) -> Session {
        let Some(connection) = limits.try_connect() else {
            let text = config.server_full_text.clone();
            return Session::refused_for(config, peer, local, now, &text, Event::ServerFull);
        };
        let address = match limits.addresses().connect(peer.ip(), now) {
            Ok(address) => address,
            Err(refusal) => {
                let ip = peer.ip().to_canonical();
                let (text, event) = match refusal {
                    AddressRefusal::TooManyConnections => (
                        config.address_limit_text.clone(),
                        Event::AddressLimitReached { ip },
                    ),
                    _ => (config.banned_text.clone(), Event::Banned { ip }),
                };
                return Session::refused_for(config, peer, local, now, &text, event);
            }
        };
        let mut s = Session::new(config, peer, local, now);
        s.connection = Some(connection);
        s.address = Some(address);
        s.throttles = Some(limits.session_throttles(now));
        s.limits = Some(limits.clone());
        s
    }

    /// Starts a session that only says `421 <text>` and closes, for a connection the
    /// adapter will not serve; drain the outputs. ([`Session::with_limits`] refuses
    /// a connection over [`Config::max_connections`] itself.)
    pub fn refused(
        config: Arc<Config>,
        peer: SocketAddr,
        local: SocketAddr,
        now: Instant,
        text: &str,
    ) -> Session {
        let mut s = Session::new(config, peer, local, now);
        s.send_buf.clear();
        s.reply(Code::SERVICE_UNAVAILABLE, text);
        s.close();
        s
    }

    /// [`Session::refused`] saying why first: `event` comes out before the `421` and
    /// the close, so an adapter that stops at [`Output::Close`] still logs it.
    fn refused_for(
        config: Arc<Config>,
        peer: SocketAddr,
        local: SocketAddr,
        now: Instant,
        text: &str,
        event: Event,
    ) -> Session {
        let mut s = Session::new(config, peer, local, now);
        s.send_buf.clear();
        s.emit(Output::Event(event));
        s.reply(Code::SERVICE_UNAVAILABLE, text);
        s.close();
        s
    }

    /// Feeds bytes read from the control connection, in any split. Call after every read,
    /// then drain [`poll_output`](Session::poll_output).
    pub fn handle_control(&mut self, bytes: &[u8], now: Instant) {
        if self.closed || self.control_handshaking() {
            // During the control handshake nothing the adapter read is a command.
            return;
        }
        self.decoder.push(bytes);
        while let Some(item) = self.decoder.next_command() {
            if self.closed || self.quit_after_transfer {
                // Nothing after QUIT is answered.
                continue;
            }
            self.last_activity = now;
            if self.queue.len() >= self.config.max_pipelined {
                self.reply(
                    Code::SERVICE_UNAVAILABLE,
                    "Too many pipelined commands, closing",
                );
                self.terminate();
                return;
            }
            self.queue.push_back(item);
            self.pump(now);
        }
    }

    /// Starts a graceful shutdown of this session; call when the server stops (for
    /// every live session, and right after [`Session::new`] for a connection accepted
    /// while stopping), then drain [`poll_output`](Session::poll_output).
    ///
    /// With nothing running, the outputs are the replies already queued, then
    /// `421 Server shutting down` and [`Output::Close`]. A running transfer may finish
    /// (its `226` goes out; `ABOR`, `NOOP`, `STAT` and `QUIT` still work meanwhile), an
    /// outstanding request gets its answer, and only then comes the `421` and the close;
    /// commands that arrive meanwhile are not run: the `421` answers them. A hard
    /// deadline is the adapter's business: past it, drop the session. Calling it again
    /// does nothing more.
    pub fn shutdown(&mut self, now: Instant) {
        if self.closed || self.draining {
            return;
        }
        self.draining = true;
        self.pump(now);
    }

    /// [`shutdown`](Session::shutdown) with a hard deadline: at `deadline` (a deadline in
    /// [`poll_timeout`](Session::poll_timeout)) [`handle_timeout`](Session::handle_timeout)
    /// cuts whatever still runs, as if the client had closed the control connection
    /// ([`control_closed`](Session::control_closed): the transfer is aborted, an
    /// uncommitted upload dropped, then [`Output::Close`]). Call it again to shorten the
    /// deadline (a later one changes nothing); drain the outputs after each call.
    pub fn shutdown_by(&mut self, now: Instant, deadline: Instant) {
        self.cut_at = Some(self.cut_at.map_or(deadline, |d| d.min(deadline)));
        self.shutdown(now);
    }

    /// Whether [`shutdown`](Session::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.draining
    }

    /// The next thing to do, or `None` when there is nothing more for now. Drain it after
    /// every input and act on each output in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.out.pop_front() {
            return Some(o);
        }
        if !self.send_buf.is_empty() {
            return Some(Output::Send(self.send_buf.split().freeze()));
        }
        None
    }

    /// Tells the session the client closed the control connection (or it broke). Call
    /// once; the outputs then stop any transfer and end with [`Output::Close`]. An
    /// upload not yet committed is then never committed ([`Output::AbortTransfer`]):
    /// a client that is gone cannot have completed it.
    pub fn control_closed(&mut self) {
        if self.closed {
            return;
        }
        self.send_buf.clear();
        self.out.retain(|o| !matches!(o, Output::Send(_)));
        self.terminate();
    }

    /// Whether a data connection from `peer` may be used: it must come from the control
    /// connection's host (no PASV port theft). The same answer as
    /// [`Transfer::accepts`](super::Transfer::accepts), which a transfer task that does
    /// not hold the session can call; drop connections for which it is false.
    pub fn is_allowed_data_peer(&self, peer: SocketAddr) -> bool {
        crate::addr::same_host(peer.ip(), self.peer.ip())
    }

    /// Whether the session has ended ([`Output::Close`] was queued).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&Arc<User>> {
        match &self.login {
            Login::LoggedIn(u) => Some(u),
            _ => None,
        }
    }

    /// The current working directory.
    pub fn current_dir(&self) -> &VirtualPath {
        &self.cwd
    }

    /// The control connection's peer.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
}

// Helpers shared by the handler files.
impl Session {
    /// Puts [`Output::SecureControl`] before every output queued (the greeting).
    pub(super) fn secure_first(&mut self) {
        self.out.push_front(Output::SecureControl);
    }

    /// Forgets command bytes received but not yet cut into commands.
    pub(super) fn drop_unread_input(&mut self) {
        self.decoder = LineDecoder::with_max_line(self.config.max_command_line);
    }

    pub(super) fn next_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    /// Queues a reply, after every output queued before it.
    pub(super) fn reply(&mut self, code: Code, text: impl AsRef<[u8]>) {
        self.send(&Reply::new(code, text));
    }

    pub(super) fn send(&mut self, reply: &Reply) {
        reply.encode(&mut self.send_buf);
    }

    /// Queues a non-reply output after the replies queued so far.
    pub(super) fn emit(&mut self, output: Output) {
        if !self.send_buf.is_empty() {
            self.out
                .push_back(Output::Send(self.send_buf.split().freeze()));
        }
        self.out.push_back(output);
    }

    /// Queues an audit record of `action` by the logged-in user (if any).
    pub(super) fn audit(&mut self, action: AuditAction) {
        let user = self.user().map(|u| u.display_name().to_owned());
        self.emit(Output::Audit(Audit {
            peer: self.peer,
            user,
            action,
        }));
    }

    /// Audits an upload that ends here without its commit, if its data had started.
    pub(super) fn audit_aborted(&mut self, t: &TransferState) {
        let bytes = match t.phase {
            Phase::Opening => return,
            Phase::Moving { bytes, .. }
            | Phase::Grace { bytes, .. }
            | Phase::Committing { bytes, .. } => bytes,
        };
        if let (true, Some(path)) = (t.kind.is_upload(), t.path.clone()) {
            let bytes = bytes.max(t.progress.get());
            self.audit(AuditAction::UploadAborted { path, bytes });
        }
    }

    /// Runs queued commands while nothing is outstanding.
    pub(super) fn pump(&mut self, now: Instant) {
        while !self.closed {
            match &self.wait {
                None if self.draining => {
                    self.reply(Code::SERVICE_UNAVAILABLE, "Server shutting down");
                    self.terminate();
                }
                None => {
                    let Some(item) = self.queue.pop_front() else {
                        break;
                    };
                    self.execute(item, now);
                }
                Some(Wait::Transfer(_)) => {
                    // ABOR is urgent (RFC 959 sends it with a Telnet Synch): it overtakes.
                    if let Some(i) = self
                        .queue
                        .iter()
                        .position(|c| matches!(c, Ok(Command::Abor)))
                    {
                        self.queue.remove(i);
                        self.abort_transfer(now);
                        continue;
                    }
                    match self.queue.front() {
                        Some(Ok(Command::Noop)) => {
                            self.queue.pop_front();
                            self.reply(Code::OK, "NOOP ok");
                        }
                        Some(Ok(Command::Stat(None))) => {
                            self.queue.pop_front();
                            self.transfer_status();
                        }
                        Some(Ok(Command::Quit)) => {
                            self.queue.clear();
                            self.quit_after_transfer = true;
                        }
                        _ => break,
                    }
                }
                Some(_) => break,
            }
        }
    }

    /// The transfer ended one way or another: go on with queued commands.
    pub(super) fn after_transfer(&mut self, now: Instant) {
        self.last_activity = now;
        self.close_lent_passive();
        if self.quit_after_transfer {
            self.reply(Code::CLOSING, "Goodbye");
            self.terminate();
            return;
        }
        self.pump(now);
    }

    /// The passive listener a transfer accepted on has done its work (one connection,
    /// or none and the transfer is over): close it.
    pub(super) fn close_lent_passive(&mut self) {
        if std::mem::take(&mut self.passive_lent) {
            self.emit(Output::ClosePassive);
        }
    }

    /// Logs out, stops everything, closes.
    pub(super) fn terminate(&mut self) {
        if let Some(Wait::Transfer(t)) = self.wait.take() {
            self.emit(Output::AbortTransfer { id: t.id });
            self.audit_aborted(&t);
        }
        if self.data == DataSetup::Passive || self.passive_lent {
            self.passive_lent = false;
            self.emit(Output::ClosePassive);
        }
        self.data = DataSetup::None;
        self.logout();
        self.queue.clear();
        self.close();
    }

    pub(super) fn logout(&mut self) {
        if let Login::LoggedIn(_) = &self.login {
            self.audit(AuditAction::Logout);
        }
        if let Login::LoggedIn(user) = std::mem::replace(&mut self.login, Login::None) {
            self.user_slot = None;
            self.emit(Output::Event(Event::LoggedOut(user)));
        }
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.user_slot = None;
            self.connection = None;
            self.address = None;
            self.emit(Output::Close);
        }
    }

    /// The outstanding auth/storage/passive request was not answered in time.
    pub(super) fn request_timed_out(&mut self, now: Instant) {
        let id = match &self.wait {
            Some(Wait::Auth { id, .. } | Wait::Storage { id, .. } | Wait::Passive { id, .. }) => {
                *id
            }
            _ => return,
        };
        let wait = self.wait.take();
        self.emit(Output::Event(Event::RequestTimedOut { id }));
        match wait {
            Some(Wait::Auth { .. }) => {
                self.reply(
                    Code::SERVICE_UNAVAILABLE,
                    "Login check timed out, closing control connection",
                );
                return self.terminate();
            }
            Some(Wait::Passive { .. }) => self.reply(
                Code::CANT_OPEN_DATA,
                "Can't open passive connection: timed out",
            ),
            _ => self.reply(Code::LOCAL_ERROR, "Request timed out"),
        }
        self.last_activity = now;
        self.pump(now);
    }

    /// When the outstanding request must have been answered: it was made at
    /// `last_activity` (see that field).
    pub(super) fn request_deadline(&self) -> Option<Instant> {
        self.last_activity.checked_add(self.config.request_timeout?)
    }

    pub(super) fn idle_deadline(&self) -> Option<Instant> {
        let idle = self.config.idle_timeout?;
        if self.wait.is_some() {
            return None;
        }
        self.last_activity.checked_add(idle)
    }
}
