//! One control connection: the loop that drives a [`Session`].
//!
//! Read the socket, feed the session, drain its outputs and act on them, then wait for
//! whichever comes first: control bytes, the running transfer's next step, the
//! session's deadline, or a shutdown request.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use async_io::{Async, Timer};
use blocking::unblock;
use futures_lite::future::{self, FutureExt};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use log::Level;
use sansftp::server::{DataEvent, Held, Left, Output, ProxiedConnection, Session};
use sansftp_storage::WriteHandle;
use sansftp_tls::SessionTls;

use crate::auth::BoxFuture;
use crate::conn::Conn;
use crate::running::SessionSlot;
use crate::shared::Shared;
use crate::transfer::{self, Step};

/// Control reads are small (command lines); this is all an idle session holds.
const READ_BUF: usize = 1024;

struct Driver {
    shared: Arc<Shared>,
    stream: Conn,
    session: Session,
    /// This session's TLS configurations (resumption state only its connections
    /// share), when the server offers FTPS.
    tls: Option<SessionTls>,
    /// The passive listener, the running transfer's future, the upload waiting for its
    /// commit.
    held: Held<Async<TcpListener>, BoxFuture<'static, Step>, WriteHandle>,
    /// The session's deadline, one timer for the session's life.
    deadline: Deadline,
    /// The last control read filled the buffer: more bytes may be waiting already.
    read_more: bool,
    _slot: SessionSlot,
}

/// The session's deadline timer. Setting an async-io timer costs two reactor operations
/// and a wakeup of the reactor, and the idle deadline moves with every command: so the
/// timer is only ever moved earlier. A timer that fires before the session's deadline
/// makes the driver call [`Session::handle_timeout`] early, which does nothing, and
/// then wait again for the (later) deadline.
struct Deadline {
    timer: Timer,
    /// When `timer` fires, if [`Timer::will_fire`].
    at: Instant,
}

impl Deadline {
    fn new(now: Instant) -> Deadline {
        Deadline {
            timer: Timer::never(),
            at: now,
        }
    }

    /// Makes sure the timer fires at `at` or before it.
    fn arm(&mut self, at: Option<Instant>) {
        let Some(at) = at else { return };
        if !self.timer.will_fire() || at < self.at {
            self.timer.set_at(at);
            self.at = at;
        }
    }

    /// Completes when the timer fires; never when it is not set.
    async fn fired(&mut self) {
        (&mut self.timer).await;
    }

    /// Runs `fut` until it completes (`Some`) or `at` passes (`None`).
    async fn race<T>(&mut self, at: Option<Instant>, fut: impl Future<Output = T>) -> Option<T> {
        let mut fut = pin!(fut);
        loop {
            self.arm(at);
            let result = async { Some(fut.as_mut().await) }
                .or(async {
                    self.fired().await;
                    None
                })
                .await;
            match (result, at) {
                (Some(v), _) => return Some(v),
                (None, Some(at)) if Instant::now() >= at => return None,
                // Fired early: wait on.
                (None, _) => {}
            }
        }
    }
}

enum Wake {
    Read(io::Result<usize>),
    Transfer(Step),
    Timer,
    Shutdown,
}

/// Serves one accepted control connection until it closes.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    stream: Async<TcpStream>,
    mut peer: SocketAddr,
    slot: SessionSlot,
) {
    let local = match stream.get_ref().local_addr() {
        Ok(a) => a,
        Err(e) => {
            log::warn!("{peer}: no local address: {e}");
            return;
        }
    };
    // Replies are single writes that must not wait for the previous one's ACK (a
    // 150 and a 226 in quick succession would otherwise sit out the delayed-ACK timer).
    if let Err(e) = stream.get_ref().set_nodelay(true) {
        log::debug!("{peer}: cannot set TCP_NODELAY: {e}");
    }
    #[cfg(unix)]
    sansftp_storage::net::keep_urgent_inline(stream.get_ref());
    log::info!("{peer}: connected");
    // Behind a proxy: its header says whose connection this is (the core decides).
    let mut proxied = ProxiedConnection::default();
    if shared.server.config.proxy_protocol {
        let wait = shared.server.config.data_wait_timeout;
        match crate::proxy::read_header(&stream, wait).await {
            Ok(header) => proxied = header,
            Err(e) => return log::info!("{peer}: closed: {e}"),
        }
        if let Some(client) = proxied.0 {
            log::info!("{peer}: proxied for {client}");
            peer = client;
        }
    }
    let now = Instant::now();
    let session = shared.server.proxied_session(peer, local, proxied, now);
    let tls = shared.tls.as_ref().and_then(|t| {
        t.session()
            .map_err(|e| log::warn!("{peer}: no TLS for this session: {e}"))
            .ok()
    });
    let mut d = Driver {
        shared,
        stream: Conn::Plain(stream),
        session,
        tls,
        held: Held::new(),
        deadline: Deadline::new(now),
        read_more: false,
        _slot: slot,
    };
    d.run().await;
    log::info!("{peer}: closed");
}

impl Driver {
    async fn run(&mut self) {
        let mut buf = [0u8; READ_BUF];
        loop {
            while let Some(out) = self.session.poll_output() {
                if self.act(out).await {
                    self.stream.shutdown();
                    return;
                }
            }
            // The session says 421 and closes once nothing runs; the server's deadline
            // drops this future if a transfer outlasts it.
            if self
                .shared
                .shutdown
                .stopping
                .tell(&mut self.session, Instant::now())
            {
                continue;
            }
            let wake = self.wait(&mut buf).await;
            let now = Instant::now();
            match wake {
                Wake::Read(Ok(0)) | Wake::Read(Err(_)) => self.session.control_closed(),
                Wake::Read(Ok(n)) => {
                    self.read_more = n == buf.len();
                    self.session.handle_control(&buf[..n], now);
                }
                // The session reads the transfer's byte count itself.
                Wake::Timer => self.session.handle_timeout(now),
                Wake::Shutdown => {}
                Wake::Transfer(step) => {
                    if let (Some((id, _)), DataEvent::Failed(e)) =
                        (self.held.transfer(), &step.event)
                    {
                        log::debug!("{}: transfer {id} failed: {e}", self.session.peer());
                    }
                    self.held
                        .step(&mut self.session, step.event, step.rest, now);
                }
            }
        }
    }

    /// Waits for the next thing that happens to this session.
    ///
    /// Whatever wakes the session (a transfer's progress, say) polls all four waits
    /// again: each is cheap to poll while it is not ready (no system call), the control
    /// connection's readiness included, which is why it is waited for with
    /// `readable()` and read only once it is ready.
    async fn wait(&mut self, buf: &mut [u8]) -> Wake {
        // (Under TLS the read below reads what rustls holds first.)
        if let Some(s) = self
            .stream
            .plain()
            .filter(|_| std::mem::take(&mut self.read_more))
        {
            match io::Read::read(&mut s.get_ref(), buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                res => return Wake::Read(res),
            }
        }
        self.deadline.arm(self.session.poll_timeout());
        let told_shutdown = self.session.is_shutting_down();
        let shutdown = Arc::clone(&self.shared);
        let stream = &mut self.stream;
        let held = &mut self.held;
        let deadline = &mut self.deadline;
        // Cancel-safe: the socket is read in the same poll that finds it ready, so a
        // read that loses the race has consumed nothing (rustls keeps what it read).
        let read = async {
            let stream = match stream {
                Conn::Plain(s) => s,
                tls => return Wake::Read(tls.read(buf).await),
            };
            loop {
                if let Err(e) = stream.readable().await {
                    return Wake::Read(Err(e));
                }
                // The socket is non-blocking (async-io made it so).
                match io::Read::read(&mut stream.get_ref(), buf) {
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) => {}
                    res => return Wake::Read(res),
                }
            }
        };
        let transfer = async {
            match held.transfer() {
                // Polled in place, so losing the race loses no progress.
                Some((_, f)) => Wake::Transfer(f.await),
                None => future::pending().await,
            }
        };
        let timer = async {
            deadline.fired().await;
            Wake::Timer
        };
        let stop = async {
            // Once told, the session itself decides when to close.
            if told_shutdown {
                future::pending::<()>().await;
            }
            shutdown.shutdown.wait().await;
            Wake::Shutdown
        };
        read.or(transfer).or(timer).or(stop).await
    }

    /// Acts on one output; true when the connection must close now.
    async fn act(&mut self, out: Output) -> bool {
        let out = match self.held.act(out, &self.shared.server.config) {
            Left::Output(out) => out,
            Left::Log(e) => {
                let level = if e.is_warning() {
                    Level::Warn
                } else {
                    Level::Info
                };
                log::log!(level, "{}: {e}", self.session.peer());
                return false;
            }
            // Dropping the future closes its socket and drops its file uncommitted.
            Left::Stop(..) | Left::Nothing => return false,
        };
        match out {
            Output::Send(bytes) => {
                if let Err(e) = self.write(&bytes).await {
                    log::debug!("{}: control write failed: {e}", self.session.peer());
                    self.session.control_closed();
                }
            }
            Output::Auth { id, request } => {
                let users = Arc::clone(&self.shared.users);
                if let Some(result) = self.request(users.authenticate(&request)).await {
                    self.session.complete_auth(id, result, Instant::now());
                }
            }
            Output::Storage { id, user, op } => {
                let storage = Arc::clone(&self.shared.storage);
                // A call that outlives the deadline finishes on the pool, unheard.
                let call = unblock(move || storage.execute(&user, &op));
                if let Some(result) = self.request(call).await {
                    self.session.complete_storage(id, result, Instant::now());
                }
            }
            Output::OpenPassive { id, ip } => {
                let result = self
                    .held
                    .open_passive(&self.shared.server.ports, ip, |addr| {
                        // One connection is all a passive listener waits for.
                        let listener = crate::net::listen(addr, 1)?;
                        let addr = listener.get_ref().local_addr()?;
                        Ok::<_, io::Error>((listener, addr))
                    });
                self.session.complete_passive(id, result, Instant::now());
            }
            Output::SecureControl => {
                let secured = match self.tls.as_ref().map(SessionTls::control) {
                    Some(config) => {
                        let at = self.session.poll_timeout();
                        let accept = self.stream.accept(config);
                        self.deadline.race(at, accept).await.unwrap_or_else(|| {
                            Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
                        })
                    }
                    None => Err(io::Error::other("no TLS configuration")),
                };
                match secured {
                    Ok(()) => self.session.control_secured(Instant::now()),
                    Err(e) => {
                        log::info!("{}: TLS handshake failed: {e}", self.session.peer());
                        self.session.control_closed();
                    }
                }
            }
            Output::Transfer(t) => match self.held.connection(&t) {
                Ok(c) => {
                    let tls = self.tls.clone();
                    let shared = Arc::clone(&self.shared);
                    self.held.start(t.id, transfer::start(shared, t, c, tls))
                }
                Err(e) => self.session.data_failed(t.id, e, Instant::now()),
            },
            Output::CommitUpload { id } => {
                if let Some(file) = self.held.commit(id) {
                    let result = unblock(move || file.commit()).await;
                    if let Err(e) = &result {
                        log::warn!("{}: commit of upload {id} failed: {e}", self.session.peer());
                    }
                    self.session.upload_committed(id, result, Instant::now());
                }
            }
            Output::Close => return true,
            other => log::debug!("{}: ignoring {other:?}", self.session.peer()),
        }
        false
    }

    /// Waits for a request's answer, or until the session's deadline (now the
    /// request's, `Config::request_timeout`) passes: then the session gives up on it
    /// itself and there is no answer.
    async fn request<T>(&mut self, answer: impl Future<Output = T>) -> Option<T> {
        let deadline = self.session.poll_timeout();
        let answer = self.deadline.race(deadline, answer).await;
        if answer.is_none() {
            self.session.handle_timeout(Instant::now());
        }
        answer
    }

    /// Writes to the control connection, giving up on a client that stopped reading
    /// for [`Config::stall_timeout`](sansftp::server::Config::stall_timeout).
    // Borrows only the fields it needs: a `&Driver` held across an await would make
    // the session future need `Driver: Sync`, which the transfer future is not.
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let limit = self.shared.server.config.control_write_timeout();
        let stream = &mut self.stream;
        // Under TLS a write may leave records in rustls: the flush sends them.
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        write
            .or(async {
                match limit {
                    Some(limit) => Timer::after(limit).await,
                    None => future::pending().await,
                };
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "control write timed out",
                ))
            })
            .await
    }
}
