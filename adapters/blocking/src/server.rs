//! [`Server`]: the listener, its builder, the accept loop and graceful shutdown.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sansftp::Error;
use sansftp::server::bind_first;
use sansftp::server::{
    Config, DEFAULT_BACKLOG, Output, ProxiedConnection, ServerState, Session, Stopping,
};
use sansftp_storage::{Storage, net};
use sansftp_tls::ServerTls;

use crate::msg::Msg;
use crate::session;
use crate::shared::{LiveSession, Sessions, Shared, wake_addr};
use crate::threads::Threads;
use crate::users::UserManager;

/// How long [`RunningServer::shutdown`] lets running transfers finish.
const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// A bound FTP server, ready to [`run`](Server::run).
///
/// Built with [`Server::builder`]. Each accepted control connection gets its own thread
/// (plus one reading its socket, and one for its transfers). Storage calls and the
/// user manager run on the session's thread. Threads whose task ended wait a while
/// for the next one (a new session's, say) instead of ending.
///
/// Passive listeners take ports from [`Config::passive_ports`]; server-wide
/// [`Config::max_connections`] are enforced by greeting the extra connection with `421`;
/// per-user limits refuse the login with `530`. Speed limits are applied to every
/// transfer at the four levels of [`Config::speed_limits`].
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

/// Configures a [`Server`]; made by [`Server::builder`].
pub struct Builder {
    storage: Arc<dyn Storage>,
    config: Config,
    users: Option<Arc<dyn UserManager>>,
    backlog: u32,
    tls: Option<ServerTls>,
    implicit: bool,
}

/// Stops a [`Server`] from another thread; cheap to clone.
#[derive(Clone)]
pub struct ShutdownHandle {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
}

/// A [`Server`] running on a background thread ([`Server::spawn`]). Dropping it shuts
/// the server down at once (transfers are cut) and waits for it.
pub struct RunningServer {
    local_addr: SocketAddr,
    handle: ShutdownHandle,
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl Server {
    /// Starts configuring a server over `storage`.
    pub fn builder(storage: impl Storage) -> Builder {
        Builder {
            storage: Arc::new(storage),
            config: Config::new(),
            users: None,
            backlog: DEFAULT_BACKLOG,
            tls: None,
            implicit: false,
        }
    }

    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to stop [`run`](Server::run) from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shared: Arc::clone(&self.shared),
            local_addr: self.local_addr,
        }
    }

    /// Serves until [`ShutdownHandle::shutdown`] is called, then returns once every
    /// session has closed (at most the shutdown deadline later).
    pub fn run(self) -> Result<(), Error> {
        log::info!("listening on {}", self.local_addr);
        let mut failures = 0u32;
        while !self.shared.stopping.is_requested() {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    failures = 0;
                    if self.shared.stopping.is_requested() {
                        break;
                    }
                    self.start_session(stream, peer);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than
                    // spin, and keep serving the sessions there are (one log line per
                    // burst of failures).
                    if failures % 200 == 0 {
                        log::warn!("accept on {} failed: {e}", self.local_addr);
                    }
                    failures = failures.wrapping_add(1);
                    thread::sleep(Duration::from_millis(50));
                }
            }
        }
        drop(self.listener);
        self.shared.close_sessions();
        log::info!("server on {} stopped", self.local_addr);
        Ok(())
    }

    /// Runs the server on a background thread.
    pub fn spawn(self) -> RunningServer {
        let local_addr = self.local_addr;
        let handle = self.shutdown_handle();
        let thread = thread::Builder::new()
            .name("sansftp-accept".into())
            .spawn(move || self.run());
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                log::error!("cannot start the server thread: {e}");
                None
            }
        };
        RunningServer {
            local_addr,
            handle,
            thread,
        }
    }

    fn start_session(&self, stream: TcpStream, peer: SocketAddr) {
        let local = match stream.local_addr() {
            Ok(a) => a,
            Err(e) => {
                log::debug!("connection from {peer} dropped: {e}");
                return;
            }
        };
        if !self.shared.server.config.proxy_protocol {
            return begin_session(&self.shared, stream, peer, local, Default::default());
        }
        // Behind a proxy: its header says whose connection this is. Read on a thread
        // of the pool, never on the accept thread.
        let shared = Arc::clone(&self.shared);
        let spawned = self.shared.threads.spawn(Box::new(move || {
            let wait = shared.server.config.data_wait_timeout;
            match crate::proxy::read_header(&stream, wait) {
                Ok(proxied) => {
                    if let Some(client) = proxied.0 {
                        log::info!("{peer}: proxied for {client}");
                    }
                    begin_session(&shared, stream, peer, local, proxied);
                }
                Err(e) => log::info!("{peer}: closed: {e}"),
            }
        }));
        if let Err(e) = spawned {
            log::error!("{peer}: cannot start a session thread: {e}");
        }
    }
}

impl Builder {
    /// Sets users, limits, timeouts, passive ports, texts. Without any user, the
    /// anonymous user (full access to the storage's root) is added.
    pub fn config(mut self, config: Config) -> Builder {
        self.config = config;
        self
    }

    /// Replaces the default user manager (the [`Config`]'s users).
    pub fn user_manager(mut self, users: impl UserManager) -> Builder {
        self.users = Some(Arc::new(users));
        self
    }

    /// Sets the control listener's backlog: how many connections the kernel queues
    /// before the server accepts them (default 1,024; the kernel caps it at
    /// `net.core.somaxconn`). A burst of clients beyond it is left unanswered.
    pub fn backlog(mut self, backlog: u32) -> Builder {
        self.backlog = backlog;
        self
    }

    /// Offers FTPS with this certificate: `AUTH TLS` is accepted (the built
    /// configuration's `tls.available` is set; its other [`TlsPolicy`](sansftp::server::TlsPolicy)
    /// fields, such as `required_on_control`, are kept from [`Builder::config`]).
    pub fn tls(mut self, tls: ServerTls) -> Builder {
        self.tls = Some(tls);
        self
    }

    /// Makes the listener implicit-TLS (port 990 by convention): every connection
    /// starts with the TLS handshake. Needs [`Builder::tls`], else binding fails.
    pub fn implicit_tls(mut self, on: bool) -> Builder {
        self.implicit = on;
        self
    }

    /// Checks every user's root with [`Storage::check_root`] (a missing root fails with
    /// [`Error::PathIo`] naming it) and binds the control listener to `addr` (failing
    /// with [`Error::Io`] naming the address).
    pub fn bind(self, addr: impl ToSocketAddrs) -> Result<Server, Error> {
        let (certificate, storage) = (self.tls.is_some(), &self.storage);
        let server = ServerState::prepare(
            self.config,
            Instant::now(),
            certificate,
            self.implicit,
            |u| storage.check_root(u),
        )?;
        let listener = bind_first(addr.to_socket_addrs()?, |a| net::listen(a, self.backlog))?;
        let local_addr = listener.local_addr()?;
        let config_users = self.users.is_none();
        let users = self
            .users
            .unwrap_or_else(|| Arc::new(Config::clone(&server.config)));
        let shared = Shared {
            config_users,
            tls: self.tls,
            server,
            storage: self.storage,
            users,
            stopping: Stopping::default(),
            next_session: AtomicU64::new(1),
            sessions: Mutex::new(Sessions::default()),
            all_closed: Condvar::new(),
            threads: Threads::new(),
        };
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(shared),
        })
    }
}

impl ShutdownHandle {
    /// Stops accepting connections, lets running transfers finish for at most
    /// `deadline`, then closes every session; [`Server::run`] returns when they are all
    /// closed. Idle sessions get `421` and are closed at once. Returns without waiting.
    /// Calling it again can only shorten the deadline.
    pub fn shutdown(&self, deadline: Duration) {
        // Set before the sessions are told: see `Shared::register`.
        let until = self.shared.stopping.request(Instant::now(), deadline);
        for tx in self.shared.lock_sessions().live.values() {
            let _ = tx.send(Msg::Shutdown { deadline: until });
        }
        // The accept loop is blocked in accept(): a connection of our own wakes it up.
        let _ = TcpStream::connect_timeout(&wake_addr(self.local_addr), Duration::from_secs(1));
    }
}

impl ShutdownHandle {
    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.stopping.is_requested()
    }
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to stop the server with a chosen deadline.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Shuts the server down, letting running transfers finish for up to 5 seconds, and
    /// waits until it has stopped.
    pub fn shutdown(mut self) -> Result<(), Error> {
        self.stop(DEFAULT_SHUTDOWN_DEADLINE)
    }

    /// Waits until the server stops (after a [`ShutdownHandle::shutdown`] elsewhere).
    pub fn join(mut self) -> Result<(), Error> {
        self.wait()
    }

    fn stop(&mut self, deadline: Duration) -> Result<(), Error> {
        self.handle.shutdown(deadline);
        self.wait()
    }

    fn wait(&mut self) -> Result<(), Error> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(Error::Io(io::Error::other("the server thread panicked")))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop(Duration::ZERO);
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// Makes the session of a connection from `peer` ([`ServerState::proxied_session`]:
/// behind a proxy, the client its header named) and runs it on a thread of the pool.
fn begin_session(
    shared: &Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    proxied: ProxiedConnection,
) {
    let session = shared
        .server
        .proxied_session(peer, local, proxied, Instant::now());
    if session.is_closed() {
        return refuse(session, stream);
    }
    let peer = session.peer();
    let id = shared.next_session.fetch_add(1, Ordering::Relaxed);
    // Registered here, not on the new thread, so a shutdown that starts now still
    // reaches it.
    let (tx, rx) = mpsc::channel();
    let shutdown = shared.register(id, tx.clone());
    let live = LiveSession {
        shared: Arc::clone(shared),
        id,
    };
    let spawned = shared.threads.spawn(Box::new(move || {
        let channel = session::Channel { tx, rx, shutdown };
        session::run(&live.shared, stream, session, channel);
        drop(live);
    }));
    if let Err(e) = spawned {
        log::error!("{peer}: cannot start a session thread: {e}");
    }
}

/// Writes a refused session's `421` and closes, on the accept thread: the reply is
/// tiny, so the write does not block.
fn refuse(mut session: Session, mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let peer = session.peer();
    while let Some(out) = session.poll_output() {
        match out {
            Output::Send(bytes) if stream.write_all(&bytes).is_err() => break,
            // Why it was refused (server full, too many from this address, banned).
            Output::Event(e) => log::info!("{peer}: {e}"),
            _ => {}
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
