//! [`Held`]: what an adapter holds for one session, kept and dropped as the session's
//! outputs say.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use crate::error::NoAvailablePort;

use super::config::Config;
use super::ports::{PortLease, PortPool};
use super::request::{DataChannel, Event, Output, RequestId, Transfer, TransferError};
use super::session::Session;

/// A passive listener and the pool port it holds: the port goes back to the pool when
/// the last clone of its `Arc` is dropped (the session's, or a transfer's that borrowed
/// it).
#[derive(Debug)]
pub struct Passive<L> {
    /// The listener.
    pub listener: L,
    /// Its local address (with the port the OS chose, for port 0).
    pub addr: SocketAddr,
    _lease: PortLease,
}

/// Where a transfer gets its data connection, from [`Held::connection`].
#[derive(Debug)]
pub enum DataConnection<L> {
    /// Accept on this passive listener, keeping only connections the transfer
    /// [`accepts`](Transfer::accepts).
    Accept(Arc<Passive<L>>),
    /// Connect to the client's `PORT`/`EPRT` address.
    Connect(SocketAddr),
}

/// What a running transfer reports, for [`Held::report`].
#[derive(Debug)]
pub enum DataEvent<U> {
    /// The data connection is up, from this peer.
    Connected(SocketAddr),
    /// The TLS handshake on the data connection (for a transfer with
    /// [`Transfer::tls`](super::Transfer::tls)) finished; `resumed`: it resumed this
    /// session's control connection's TLS session.
    Secured {
        /// Whether this session's TLS session was resumed.
        resumed: bool,
    },
    /// Every byte moved (this many) and the data connection closed cleanly.
    Done(u64),
    /// An upload's data connection ended cleanly: its file is written and flushed, not
    /// committed.
    Received {
        /// The bytes that came.
        bytes: u64,
        /// The uncommitted file.
        upload: U,
    },
    /// The transfer failed.
    Failed(TransferError),
}

/// What [`Held::act`] leaves to the adapter of one output.
#[derive(Debug)]
pub enum Left<T> {
    /// Nothing: the output is acted on.
    Nothing,
    /// Log this event, naming the session's peer: at warning level when
    /// [`Event::is_warning`], else at info level.
    Log(Event),
    /// Stop this transfer, the running one an
    /// [`Output::AbortTransfer`] names (drop it, or the adapter's own call); its upload,
    /// if one was held, is dropped already (uncommitted: discarded).
    Stop(RequestId, T),
    /// An output that needs the adapter's IO (sockets, storage, TLS, a user manager).
    Output(Output),
}

impl<U> DataEvent<U> {
    /// How the TLS handshake on a transfer's data connection ended: `Ok(resumed)`
    /// ([`DataEvent::Secured`]), or the failure ([`DataEvent::Failed`], a broken
    /// connection saying "TLS handshake failed").
    pub fn secured(handshake: Result<bool, impl std::fmt::Display>) -> DataEvent<U> {
        match handshake {
            Ok(resumed) => DataEvent::Secured { resumed },
            Err(e) => {
                DataEvent::Failed(TransferError::Broken(format!("TLS handshake failed: {e}")))
            }
        }
    }

    /// How moving a transfer's bytes ended, having moved `bytes`: `Ok(None)`, a
    /// download whose every byte is out and whose connection closed cleanly
    /// ([`DataEvent::Done`]); `Ok(Some(upload))`, an upload's file, written and flushed
    /// ([`DataEvent::Received`]); or the failure ([`DataEvent::Failed`]).
    pub fn ended(moved: Result<Option<U>, TransferError>, bytes: u64) -> DataEvent<U> {
        match moved {
            Ok(None) => DataEvent::Done(bytes),
            Ok(Some(upload)) => DataEvent::Received { bytes, upload },
            Err(e) => DataEvent::Failed(e),
        }
    }
}

/// What an adapter holds for one session (its passive listener, its running transfer,
/// the upload waiting for its commit), kept and dropped as the session's outputs say,
/// so that no adapter writes that bookkeeping (or the matching of request ids it needs)
/// itself.
///
/// The types are the adapter's: `L` a listener, `T` a running transfer (a task, a
/// future, a handle to stop a thread), `U` an uncommitted upload (a storage write
/// handle). Nothing here does IO: binding is the closure passed to
/// [`Held::open_passive`], stopping a transfer is whatever dropping (or the adapter's own
/// call on) the `T` that [`Held::abort`] hands back does.
///
/// | output | call |
/// |---|---|
/// | [`Output::OpenPassive`](super::Output::OpenPassive) | [`Held::open_passive`], answer [`Session::complete_passive`] |
/// | [`Output::ClosePassive`](super::Output::ClosePassive) | [`Held::close_passive`] |
/// | [`Output::Transfer`](super::Output::Transfer) | [`Held::connection`] to get the data connection, [`Held::start`] |
/// | [`Output::AbortTransfer`](super::Output::AbortTransfer) | [`Held::abort`], stop the `T` it gives back |
/// | [`Output::CommitUpload`](super::Output::CommitUpload) | [`Held::commit`], commit the `U` it gives back, answer [`Session::upload_committed`] |
/// | what a transfer reports | [`Held::report`] with a [`DataEvent`] |
///
/// [`Held::act`] does the rows without IO itself (and delivers
/// [`Output::Audit`](super::Output::Audit)): pass it every output first.
#[derive(Debug)]
pub struct Held<L, T, U> {
    passive: Option<Arc<Passive<L>>>,
    transfer: Option<(RequestId, T)>,
    upload: Option<(RequestId, U)>,
}

impl<L, T, U> Default for Held<L, T, U> {
    fn default() -> Self {
        Held {
            passive: None,
            transfer: None,
            upload: None,
        }
    }
}

impl<L, T, U> Held<L, T, U> {
    /// Nothing held.
    pub fn new() -> Self {
        Self::default()
    }

    /// Acts on `output` where that needs no IO, the same in every adapter, and says
    /// what is left: [`Output::ClosePassive`] ([`close_passive`](Held::close_passive)),
    /// [`Output::AbortTransfer`] ([`abort`](Held::abort); [`Left::Stop`] when a
    /// transfer runs), [`Output::Audit`] (handed to `config`'s
    /// [`audit`](Config::audit) sink, which passes it on without blocking),
    /// [`Output::Event`] ([`Left::Log`]). Every other output comes back as
    /// [`Left::Output`]. Call it for each output of
    /// [`Session::poll_output`], in order.
    pub fn act(&mut self, output: Output, config: &Config) -> Left<T> {
        match output {
            Output::ClosePassive => self.close_passive(),
            Output::AbortTransfer { id } => {
                if let Some(transfer) = self.abort(id) {
                    return Left::Stop(id, transfer);
                }
            }
            Output::Audit(audit) => {
                if let Some(sink) = &config.audit {
                    sink.deliver(audit);
                }
            }
            Output::Event(event) => return Left::Log(event),
            other => return Left::Output(other),
        }
        Left::Nothing
    }

    /// Answers [`Output::OpenPassive`](super::Output::OpenPassive): closes the listener
    /// held first (so its port is free again), then binds a new one on `ip` with a port
    /// from `pool`, keeps it and gives its address. `bind` binds one address and gives
    /// the listener with its local address; any error moves on to the next port.
    /// Answer [`Session::complete_passive`] with the result.
    pub fn open_passive<E>(
        &mut self,
        pool: &PortPool,
        ip: IpAddr,
        mut bind: impl FnMut(SocketAddr) -> Result<(L, SocketAddr), E>,
    ) -> Result<SocketAddr, NoAvailablePort> {
        self.passive = None;
        let ((listener, addr), lease) = pool.bind(|port| bind(SocketAddr::new(ip, port)))?;
        self.passive = Some(Arc::new(Passive {
            listener,
            addr,
            _lease: lease,
        }));
        Ok(addr)
    }

    /// Answers [`Output::ClosePassive`](super::Output::ClosePassive): drops the listener
    /// (a transfer that borrowed it keeps it until it ends).
    pub fn close_passive(&mut self) {
        self.passive = None;
    }

    /// Where `transfer` gets its data connection: the passive listener held, or the
    /// client's address. Fails (answer [`Session::data_failed`] with it) for a passive
    /// transfer with no listener held.
    pub fn connection(&self, transfer: &Transfer) -> Result<DataConnection<L>, TransferError> {
        match (transfer.channel, &self.passive) {
            (DataChannel::Active(addr), _) => Ok(DataConnection::Connect(addr)),
            (DataChannel::Passive, Some(p)) => Ok(DataConnection::Accept(Arc::clone(p))),
            (DataChannel::Passive, None) => {
                Err(TransferError::Connect("no passive listener".into()))
            }
        }
    }

    /// Keeps `transfer`, the running transfer `id` (replacing one held before, which
    /// the session no longer waits for).
    pub fn start(&mut self, id: RequestId, transfer: T) {
        self.transfer = Some((id, transfer));
    }

    /// The running transfer, to poll or to ask.
    pub fn transfer(&mut self) -> Option<(RequestId, &mut T)> {
        self.transfer.as_mut().map(|(id, t)| (*id, t))
    }

    /// Takes the running transfer out (to replace it, or to stop it when the session
    /// ends).
    pub fn take_transfer(&mut self) -> Option<(RequestId, T)> {
        self.transfer.take()
    }

    /// Answers [`Output::AbortTransfer`](super::Output::AbortTransfer): gives back the
    /// running transfer if it is `id` (stop it), and drops the upload held for `id`
    /// (uncommitted: discarded).
    pub fn abort(&mut self, id: RequestId) -> Option<T> {
        if self.upload.as_ref().is_some_and(|(u, _)| *u == id) {
            self.upload = None;
        }
        match self.transfer.take() {
            Some((t, transfer)) if t == id => Some(transfer),
            other => {
                self.transfer = other;
                None
            }
        }
    }

    /// Answers [`Output::CommitUpload`](super::Output::CommitUpload): the upload held
    /// for `id`, to commit; then answer [`Session::upload_committed`]. `None` when none
    /// is held for it (the session's commit deadline answers the client then).
    pub fn commit(&mut self, id: RequestId) -> Option<U> {
        match self.upload.take() {
            Some((u, upload)) if u == id => Some(upload),
            other => {
                self.upload = other;
                None
            }
        }
    }

    /// Reports what the running transfer did (`event`) to `session`
    /// ([`report`](Held::report)), for an adapter whose transfer completes in steps:
    /// `rest`, the step that follows, becomes the running transfer. Nothing when no
    /// transfer runs (the one that said it was aborted meanwhile).
    pub fn step(
        &mut self,
        session: &mut Session,
        event: DataEvent<U>,
        rest: Option<T>,
        now: Instant,
    ) {
        let Some((id, _)) = self.transfer() else {
            return;
        };
        if let Some(rest) = rest {
            self.start(id, rest);
        }
        self.report(session, id, event, now);
    }

    /// Reports what transfer `id` did to `session` ([`Session::data_connected`],
    /// [`Session::data_secured`],
    /// [`Session::data_done`], [`Session::data_failed`]), forgetting the transfer once
    /// it ended. A received upload is held uncommitted for [`commit`](Held::commit); one
    /// from a transfer no longer held (aborted meanwhile) is dropped, uncommitted.
    pub fn report(
        &mut self,
        session: &mut Session,
        id: RequestId,
        event: DataEvent<U>,
        now: Instant,
    ) {
        match event {
            DataEvent::Connected(peer) => return session.data_connected(id, peer, now),
            DataEvent::Secured { resumed } => return session.data_secured(id, resumed, now),
            _ => {}
        }
        let running = self.transfer.as_ref().is_some_and(|(t, _)| *t == id);
        if running {
            self.transfer = None;
        }
        match event {
            DataEvent::Connected(_) | DataEvent::Secured { .. } => {}
            DataEvent::Done(bytes) => session.data_done(id, bytes, now),
            DataEvent::Received { bytes, upload } => {
                if running {
                    // Kept uncommitted: the session asks for the commit after its
                    // grace, unless the control connection ends first.
                    self.upload = Some((id, upload));
                }
                session.data_done(id, bytes, now);
            }
            DataEvent::Failed(error) => session.data_failed(id, error, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::Ipv4Addr;

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    type Slots = Held<&'static str, &'static str, &'static str>;

    #[test]
    fn a_new_passive_listener_replaces_the_old_one_after_closing_it() {
        // One port in the range: the second open works only if the first listener gave
        // its port back before binding.
        let pool = PortPool::new(Some(5000..=5000));
        let mut held = Slots::new();
        let bound = |a: SocketAddr| Ok::<_, ()>(("listener", a));
        let first = held.open_passive(&pool, LOCAL, bound).unwrap();
        assert_eq!(first, SocketAddr::new(LOCAL, 5000));
        assert_eq!(held.open_passive(&pool, LOCAL, bound), Ok(first));
        assert_eq!(pool.in_use(), 1);
        held.close_passive();
        assert_eq!(pool.in_use(), 0, "closing gives the port back");
        // A bind that fails leaves nothing held.
        assert!(
            held.open_passive(&pool, LOCAL, |_| Err::<(&str, _), _>(()))
                .is_err()
        );
        assert!(held.passive.is_none());
    }

    #[test]
    fn aborts_and_commits_match_the_request_id() {
        let mut held = Slots::new();
        held.start(RequestId(1), "transfer");
        assert_eq!(held.abort(RequestId(2)), None, "another id: kept");
        assert_eq!(held.transfer(), Some((RequestId(1), &mut "transfer")));
        assert_eq!(held.abort(RequestId(1)), Some("transfer"));
        assert!(held.transfer().is_none());

        held.upload = Some((RequestId(3), "file"));
        assert_eq!(held.commit(RequestId(4)), None);
        assert_eq!(held.commit(RequestId(3)), Some("file"));
        held.upload = Some((RequestId(5), "file"));
        assert_eq!(held.abort(RequestId(6)), None);
        assert!(held.upload.is_some(), "another id's abort keeps it");
        held.abort(RequestId(5));
        assert_eq!(
            held.commit(RequestId(5)),
            None,
            "an aborted upload is dropped"
        );
    }

    #[test]
    fn reports_end_the_transfer_and_hold_only_a_running_upload() {
        let config = Arc::new(super::super::Config::new());
        let peer = SocketAddr::new(LOCAL, 4000);
        let mut session = Session::new(config, peer, SocketAddr::new(LOCAL, 21), Instant::now());
        let now = Instant::now();
        let mut held = Slots::new();
        held.start(RequestId(1), "upload");
        let received = |upload| DataEvent::Received { bytes: 3, upload };
        held.report(&mut session, RequestId(1), received("file"), now);
        assert!(held.transfer().is_none());
        assert_eq!(held.commit(RequestId(1)), Some("file"));
        // A late report of a transfer no longer held: its upload is not kept.
        held.report(&mut session, RequestId(2), received("late"), now);
        assert_eq!(held.commit(RequestId(2)), None);
        held.start(RequestId(3), "download");
        held.report(&mut session, RequestId(3), DataEvent::Connected(peer), now);
        assert!(held.transfer().is_some(), "connected: still running");
        held.report(&mut session, RequestId(3), DataEvent::Done(9), now);
        assert!(held.transfer().is_none());
    }

    #[test]
    fn outputs_without_io_are_acted_on_and_the_rest_given_back() {
        use std::sync::Mutex;
        let audits = Arc::new(Mutex::new(Vec::new()));
        let mut config = super::super::Config::new();
        let seen = Arc::clone(&audits);
        config.audit = Some(super::super::AuditSink::new(move |a| {
            seen.lock().unwrap().push(a)
        }));
        let mut held = Slots::new();
        let pool = PortPool::new(None);
        held.open_passive(&pool, LOCAL, |a| Ok::<_, ()>(("l", a)))
            .unwrap();
        assert!(matches!(
            held.act(Output::ClosePassive, &config),
            Left::Nothing
        ));
        assert!(held.passive.is_none());
        held.start(RequestId(1), "transfer");
        held.upload = Some((RequestId(1), "file"));
        let abort = |id| Output::AbortTransfer { id: RequestId(id) };
        assert!(matches!(held.act(abort(2), &config), Left::Nothing));
        assert!(matches!(
            held.act(abort(1), &config),
            Left::Stop(RequestId(1), "transfer")
        ));
        assert!(held.upload.is_none(), "the aborted upload is dropped");
        let event = Output::Event(Event::IdleTimeout);
        assert!(matches!(
            held.act(event, &config),
            Left::Log(Event::IdleTimeout)
        ));
        let mut session = Session::new(
            Arc::new(config.clone()),
            SocketAddr::new(LOCAL, 4000),
            SocketAddr::new(LOCAL, 21),
            Instant::now(),
        );
        session.handle_control(b"USER anonymous\r\nPASS x\r\n", Instant::now());
        let mut left = Vec::new();
        while let Some(out) = session.poll_output() {
            match held.act(out, &config) {
                Left::Output(Output::Auth { id, request }) => {
                    session.complete_auth(id, config.answer(&request), Instant::now());
                }
                Left::Output(out) => left.push(out),
                _ => {}
            }
        }
        assert!(!audits.lock().unwrap().is_empty(), "the login was audited");
        assert!(left.iter().all(|o| !matches!(o, Output::Audit(_))));
        assert!(left.iter().any(|o| matches!(o, Output::Send(_))));
    }

    #[test]
    fn ends_and_handshakes_become_the_events_to_report() {
        type Event = DataEvent<&'static str>;
        assert!(matches!(Event::ended(Ok(None), 7), DataEvent::Done(7)));
        assert!(matches!(
            Event::ended(Ok(Some("file")), 7),
            DataEvent::Received {
                bytes: 7,
                upload: "file"
            }
        ));
        let failed = Event::ended(Err(TransferError::Truncated), 7);
        assert!(matches!(
            failed,
            DataEvent::Failed(TransferError::Truncated)
        ));
        assert!(matches!(
            Event::secured(Ok::<_, String>(true)),
            DataEvent::Secured { resumed: true }
        ));
        let refused = Event::secured(Err("bad certificate"));
        assert!(
            matches!(refused, DataEvent::Failed(TransferError::Broken(text))
            if text == "TLS handshake failed: bad certificate")
        );
    }

    #[test]
    fn steps_report_the_running_transfer_and_keep_its_rest() {
        let config = Arc::new(super::super::Config::new());
        let peer = SocketAddr::new(LOCAL, 4000);
        let mut session = Session::new(config, peer, SocketAddr::new(LOCAL, 21), Instant::now());
        let now = Instant::now();
        let mut held = Slots::new();
        held.step(&mut session, DataEvent::Done(1), Some("ignored"), now);
        assert!(held.transfer().is_none(), "no transfer runs: nothing kept");
        held.start(RequestId(1), "connecting");
        held.step(
            &mut session,
            DataEvent::Connected(peer),
            Some("moving"),
            now,
        );
        assert_eq!(held.transfer(), Some((RequestId(1), &mut "moving")));
        held.step(
            &mut session,
            DataEvent::Received {
                bytes: 3,
                upload: "file",
            },
            None,
            now,
        );
        assert!(held.transfer().is_none());
        assert_eq!(held.commit(RequestId(1)), Some("file"));
    }

    #[test]
    fn transfers_find_their_data_connection() {
        use super::super::{TransferKind, TransferThrottles};
        use bytes::Bytes;
        let mut t = Transfer {
            id: RequestId(1),
            user: Arc::new(super::super::User::anonymous()),
            kind: TransferKind::SendData(Bytes::new()),
            channel: DataChannel::Passive,
            ascii: false,
            allowed_peer: LOCAL,
            throttles: TransferThrottles::default(),
            progress: Default::default(),
            tls: None,
        };
        let mut held = Slots::new();
        assert!(matches!(
            held.connection(&t),
            Err(TransferError::Connect(_))
        ));
        let pool = PortPool::new(None);
        held.open_passive(&pool, LOCAL, |a| Ok::<_, ()>(("l", a)))
            .unwrap();
        assert!(matches!(held.connection(&t), Ok(DataConnection::Accept(p)) if p.listener == "l"));
        let addr = SocketAddr::new(LOCAL, 2000);
        t.channel = DataChannel::Active(addr);
        assert!(matches!(held.connection(&t), Ok(DataConnection::Connect(a)) if a == addr));
    }
}
