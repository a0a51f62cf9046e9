//! One control connection: the thread that drives a [`Session`] and acts on its outputs.
//!
//! Everything that can happen to the session arrives on one channel ([`Msg`]): bytes
//! from the reader thread, answers from the request worker (user manager and storage
//! calls), progress of the transfer threads, the server's shutdown. The loop blocks on
//! that channel with the session's deadline as timeout, so a finished transfer wakes it
//! at once, a hung storage call is given up at the core's request timeout, and no socket
//! is ever polled.

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::Instant;

use log::Level;
use sansftp::server::TransferError;
use sansftp::server::{DataConnection, DataEvent, Event, Held, Left, Output, Session, Transfer};
use sansftp_storage::WriteHandle;
use sansftp_tls::SessionTls;

pub(crate) use crate::msg::Msg;
use crate::shared::{Shared, wake_addr};
use crate::threads::Threads;
use crate::tls::ControlTls;
use crate::transfer::{self, Job, TransferControl};

/// A user manager or storage call for the request worker.
type Call = Box<dyn FnOnce() + Send>;

/// How many chunks the reader may read ahead of the session: enough to keep pipelined
/// commands flowing, few enough that a flooding client cannot fill memory.
const READ_AHEAD: usize = 4;
/// The reader's buffer: a command line is at most a few KiB.
const READ_CHUNK: usize = 8 * 1024;

/// The session's channel, made by the accept loop.
pub(crate) struct Channel {
    pub(crate) tx: Sender<Msg>,
    pub(crate) rx: Receiver<Msg>,
    /// The shutdown deadline, when shutdown began before the session was registered.
    pub(crate) shutdown: Option<Instant>,
}

/// Serves one control connection until the session closes; `session` is its new
/// [`Session`], made on the accept thread.
pub(crate) fn run(shared: &Arc<Shared>, stream: TcpStream, session: Session, channel: Channel) {
    let peer = session.peer();
    log::info!("{peer}: session opened");
    let _ = stream.set_nodelay(true);
    #[cfg(unix)]
    sansftp_storage::net::keep_urgent_inline(&stream);
    // A client that does not read its replies for the stall timeout is dropped.
    let _ = stream.set_write_timeout(shared.server.config.control_write_timeout());
    // This session's TLS state (its own resumption store and ticket key).
    let session_tls = match shared.tls.as_ref().map(|t| t.session()).transpose() {
        Ok(t) => t,
        Err(e) => return log::warn!("{peer}: cannot set TLS up: {e}"),
    };
    let tls = ControlTls::default();
    if let (Some(st), true) = (&session_tls, shared.server.implicit_tls) {
        // Before the reader starts: the client's first byte is its ClientHello.
        if let Err(e) = tls.start(st.control()) {
            return log::warn!("{peer}: cannot start TLS: {e}");
        }
    }
    let (credit_tx, credit_rx) = mpsc::sync_channel(READ_AHEAD);
    for _ in 0..READ_AHEAD {
        let _ = credit_tx.send(());
    }
    let reader = stream.try_clone().and_then(|s| {
        spawn_reader(
            &shared.threads,
            s,
            tls.clone(),
            channel.tx.clone(),
            credit_rx,
        )
    });
    let mut conn = Conn {
        shared: Arc::clone(shared),
        session,
        control: stream,
        tls,
        session_tls,
        peer,
        tx: channel.tx,
        credit: credit_tx,
        held: Held::new(),
        worker: None,
        transfer_worker: None,
        closed: false,
        outputs: Vec::new(),
    };
    if let Err(e) = reader {
        log::warn!("{peer}: cannot start the reader thread: {e}");
        conn.session.control_closed();
    }
    if let Some(deadline) = channel.shutdown {
        // Accepted as shutdown began: greeted, then 421.
        conn.session.shutdown_by(Instant::now(), deadline);
    }
    conn.serve(&channel.rx);
    log::info!("{peer}: session closed");
}

/// The state of one session's thread.
struct Conn {
    shared: Arc<Shared>,
    session: Session,
    control: TcpStream,
    /// The control connection's TLS, shared with the reader (see [`crate::tls`]).
    tls: ControlTls,
    /// This session's TLS configurations; `None` without [`Builder::tls`](crate::Builder::tls).
    session_tls: Option<SessionTls>,
    peer: SocketAddr,
    /// Handed to transfer threads.
    tx: Sender<Msg>,
    /// Gives the reader back one read-ahead slot per chunk handled.
    credit: SyncSender<()>,
    /// The passive listener, the running transfer (to stop it), the upload waiting for
    /// its commit.
    held: Held<TcpListener, Arc<TransferControl>, WriteHandle>,
    /// Runs user manager and storage calls, one at a time; `None` until the first, and
    /// again after a call timed out (that thread is left to its hung call).
    worker: Option<Sender<Call>>,
    /// The thread that ran the last transfer, kept for the next one: starting a thread
    /// costs more than sending a small file. `None` until the first transfer.
    transfer_worker: Option<TransferWorker>,
    closed: bool,
    /// [`act`](Conn::act)'s batch, kept for its allocation.
    outputs: Vec<Output>,
}

impl Conn {
    fn serve(&mut self, rx: &Receiver<Msg>) {
        loop {
            self.act();
            if self.closed {
                break;
            }
            let msg = match self.session.poll_timeout() {
                Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
                // The loop holds a sender itself, so this only returns with a message.
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let now = Instant::now();
            match msg {
                Ok(msg) => self.handle(msg, now),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.session.control_closed(),
            }
            // Also when messages keep coming (a deadline is never missed for them): the
            // session reads the transfer's byte count itself, and cuts it at the
            // shutdown deadline.
            if self.session.poll_timeout().is_some_and(|at| at <= now) {
                self.session.handle_timeout(now);
            }
        }
        // Whatever is still running belongs to a session that is gone.
        if let Some((_, control)) = self.held.take_transfer() {
            control.abort();
        }
        let _ = self.control.shutdown(Shutdown::Both);
    }

    fn handle(&mut self, msg: Msg, now: Instant) {
        match msg {
            Msg::Control(bytes) => {
                self.session.handle_control(&bytes, now);
                // The reader may read the next chunk. It only fails once the reader is
                // gone, which the session learns from ControlClosed.
                let _ = self.credit.try_send(());
            }
            Msg::ControlClosed => self.session.control_closed(),
            Msg::ControlSecured => self.session.control_secured(now),
            Msg::Auth { id, result } => self.session.complete_auth(id, result, now),
            Msg::Storage { id, result } => {
                if let Err(e) = &result {
                    log::debug!("{}: request {id}: {e}", self.peer);
                }
                self.session.complete_storage(id, result, now);
            }
            Msg::Data { id, event } => {
                match &event {
                    DataEvent::Connected(peer) => {
                        log::debug!("{}: transfer {id} connected from {peer}", self.peer);
                    }
                    DataEvent::Failed(e) => log::debug!("{}: transfer {id} failed: {e}", self.peer),
                    _ => {}
                }
                let secured = matches!(event, DataEvent::Secured { .. });
                self.held.report(&mut self.session, id, event, now);
                // Not refused (the abort, acted on first, would have taken it): the
                // transfer may go on.
                if secured {
                    self.act();
                }
                match self.held.transfer() {
                    Some((t, control)) if secured && t == id => control.release(),
                    _ => {}
                }
            }
            Msg::Shutdown { deadline } => self.session.shutdown_by(now, deadline),
        }
    }

    /// Drains the session's outputs and acts on each, in order.
    fn act(&mut self) {
        // Drained in batches, to see a `SecureControl` before the 234 goes out.
        let mut outputs = std::mem::take(&mut self.outputs);
        loop {
            outputs.extend(std::iter::from_fn(|| self.session.poll_output()));
            if outputs.is_empty() {
                break;
            }
            // Only with a configuration: `start` ends the switch (see `crate::tls`).
            let securing = outputs.iter().any(|o| matches!(o, Output::SecureControl));
            if securing && self.session_tls.is_some() {
                self.tls.switching();
            }
            outputs.drain(..).for_each(|o| self.act_on(o));
        }
        self.outputs = outputs;
    }

    fn act_on(&mut self, output: Output) {
        let output = match self.held.act(output, &self.shared.server.config) {
            Left::Output(output) => output,
            Left::Log(event) => return self.event(event),
            Left::Stop(id, control) => {
                log::debug!("{}: transfer {id} aborted", self.peer);
                return control.abort();
            }
            Left::Nothing => return,
        };
        match output {
            Output::Send(bytes) => {
                if let Err(e) = self.tls.write(&self.control, &bytes) {
                    log::debug!("{}: control write failed: {e}", self.peer);
                    self.session.control_closed();
                }
            }
            Output::Auth { id, request } if self.shared.config_users => {
                // No thread switch for a lookup in memory.
                let result = self.shared.users.authenticate(&request);
                self.session.complete_auth(id, result, Instant::now());
            }
            Output::Auth { id, request } => {
                let users = Arc::clone(&self.shared.users);
                let tx = self.tx.clone();
                self.request(Box::new(move || {
                    let result = users.authenticate(&request);
                    let _ = tx.send(Msg::Auth { id, result });
                }));
            }
            Output::Storage { id, user, op } => {
                let storage = Arc::clone(&self.shared.storage);
                let tx = self.tx.clone();
                self.request(Box::new(move || {
                    let result = storage.execute(&user, &op);
                    let _ = tx.send(Msg::Storage { id, result });
                }));
            }
            Output::OpenPassive { id, ip } => {
                let result = self
                    .held
                    .open_passive(&self.shared.server.ports, ip, |addr| {
                        let listener = TcpListener::bind(addr)?;
                        let addr = listener.local_addr()?;
                        Ok::<_, io::Error>((listener, addr))
                    });
                self.session.complete_passive(id, result, Instant::now());
            }
            Output::Transfer(t) => self.start_transfer(t),
            Output::CommitUpload { id } => {
                if let Some(file) = self.held.commit(id) {
                    let result = file.commit();
                    if let Err(e) = &result {
                        log::warn!("{}: commit of upload {id} failed: {e}", self.peer);
                    }
                    self.session.upload_committed(id, result, Instant::now());
                }
            }
            Output::SecureControl => {
                let started = match &self.session_tls {
                    Some(st) => self.tls.start(st.control()),
                    None => Err(io::Error::other("no TLS configuration")),
                };
                if let Err(e) = started {
                    log::warn!("{}: cannot start TLS: {e}", self.peer);
                    self.session.control_closed();
                }
            }
            Output::Close => {
                self.tls.close(&self.control);
                self.closed = true;
            }
            other => log::debug!("{}: unknown output {other:?}", self.peer),
        }
    }

    /// Hands a user manager or storage call to the worker thread (started on first use);
    /// its answer comes back as a [`Msg`]. Without a request timeout there is no deadline
    /// to keep while it runs, so it runs here and saves the two thread switches.
    fn request(&mut self, call: Call) {
        if self.shared.server.config.request_timeout.is_none() {
            return call();
        }
        let call = match &self.worker {
            Some(worker) => match worker.send(call) {
                Ok(()) => return,
                // The worker is gone (it cannot be, short of a panic): start another.
                Err(mpsc::SendError(call)) => call,
            },
            None => call,
        };
        let (tx, rx) = mpsc::channel::<Call>();
        let spawned = self.shared.threads.spawn(Box::new(move || {
            // Ends when the session drops its sender (closed, or gave up on a call).
            for call in rx {
                call();
            }
        }));
        match spawned {
            Ok(_) => {
                let _ = tx.send(call);
                self.worker = Some(tx);
            }
            Err(e) => {
                log::warn!("{}: cannot start the request thread: {e}", self.peer);
                call();
            }
        }
    }

    fn start_transfer(&mut self, t: Transfer) {
        let id = t.id;
        let connection = match self.held.connection(&t) {
            Ok(c) => c,
            Err(error) => return self.session.data_failed(id, error, Instant::now()),
        };
        log::debug!("{}: transfer {id}: {:?}", self.peer, t.kind);
        let control = Arc::new(TransferControl::new(match &connection {
            DataConnection::Accept(p) => Some(wake_addr(p.addr)),
            DataConnection::Connect(_) => None,
        }));
        let tls = match (&t.tls, &self.session_tls) {
            (Some(dt), Some(st)) => Some(st.data(dt)),
            (None, _) => None,
            (Some(_), None) => {
                let error = TransferError::Connect("no TLS configuration".into());
                return self.session.data_failed(id, error, Instant::now());
            }
        };
        let job = Job {
            tls,
            transfer: t,
            storage: Arc::clone(&self.shared.storage),
            connection,
            control_peer: self.peer,
            control: Arc::clone(&control),
            connect_timeout: self.shared.server.config.data_wait_timeout,
            tx: self.tx.clone(),
        };
        // The kept thread, if it is free: it may still be finishing an aborted transfer
        // (an ABOR does not wait for it), which the new one must not queue behind.
        let job = match &self.transfer_worker {
            Some(w) if w.idle.swap(false, Ordering::AcqRel) => match w.jobs.send(job) {
                Ok(()) => return self.held.start(id, control),
                // The thread is gone (it cannot be, short of a panic): start another.
                Err(mpsc::SendError(job)) => job,
            },
            _ => job,
        };
        // A busy worker is let go: it ends after its transfer, once its sender is dropped.
        match TransferWorker::spawn(&self.shared.threads, job) {
            Ok(w) => {
                self.transfer_worker = Some(w);
                self.held.start(id, control);
            }
            Err(e) => {
                let error = TransferError::Connect(format!("cannot start transfer: {e}"));
                self.session.data_failed(id, error, Instant::now());
            }
        }
    }

    fn event(&mut self, event: Event) {
        let level = if event.is_warning() {
            Level::Warn
        } else {
            Level::Info
        };
        log::log!(level, "{}: {event}", self.peer);
        if let Event::RequestTimedOut { .. } = event {
            // That call may never return: later ones get a fresh thread.
            self.worker = None;
        }
    }
}

/// A session's transfer thread: runs the jobs sent to it, one at a time.
struct TransferWorker {
    jobs: Sender<Job>,
    /// No job is running: the next one starts at once.
    idle: Arc<AtomicBool>,
}

impl TransferWorker {
    /// Starts a thread running `first`, then whatever is sent to it.
    fn spawn(threads: &Arc<Threads>, first: Job) -> io::Result<TransferWorker> {
        let (jobs, rx) = mpsc::channel();
        // Infallible: the receiver is still here.
        let _ = jobs.send(first);
        let idle = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&idle);
        threads.spawn(Box::new(move || transfer::work(rx, &flag)))?;
        Ok(TransferWorker { jobs, idle })
    }
}

/// Reads the control connection on its own thread, one chunk per credit.
/// Under TLS, decrypts (and runs the handshake, see [`crate::tls`]); a credit is used
/// up only by a chunk that gave plaintext.
fn spawn_reader(
    threads: &Arc<Threads>,
    mut stream: TcpStream,
    tls: ControlTls,
    tx: Sender<Msg>,
    credit: Receiver<()>,
) -> io::Result<()> {
    threads.spawn(Box::new(move || {
        let mut buf = vec![0; READ_CHUNK];
        let mut have_credit = false;
        loop {
            // Err: the session is gone.
            if !have_credit && credit.recv().is_err() {
                return;
            }
            have_credit = true;
            let decoded = match stream.read(&mut buf) {
                Ok(0) => Err(None),
                Ok(n) => tls.decode(&buf[..n], &stream).map_err(Some),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(Some(e)),
            };
            let decoded = match decoded {
                Ok(d) => d,
                Err(e) => {
                    if let Some(e) = e {
                        log::debug!("control connection: {e}");
                    }
                    let _ = tx.send(Msg::ControlClosed);
                    return;
                }
            };
            if decoded.secured && tx.send(Msg::ControlSecured).is_err() {
                return;
            }
            if !decoded.plain.is_empty() {
                have_credit = false;
                if tx.send(Msg::Control(decoded.plain)).is_err() {
                    return;
                }
            }
        }
    }))
}
