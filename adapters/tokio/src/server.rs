//! [`Server`] and its [`Builder`]: bind, then spawn a task per session on the
//! caller's runtime.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sansftp::Error;
use sansftp::server::{Config, DEFAULT_BACKLOG, ServerState, bind_first};
use sansftp_storage::Storage;
use sansftp_tls::ServerTls;
use tokio::net::TcpListener;
use tokio::task::{JoinError, JoinSet};

use crate::auth::UserManager;
use crate::session;
use crate::shared::Shared;
use crate::shutdown::{ShutdownHandle, Signal};
use crate::wait::unblock;

/// Configures a [`Server`]; made by [`Server::builder`].
pub struct Builder {
    storage: Arc<dyn Storage>,
    config: Config,
    users: Option<Arc<dyn UserManager>>,
    backlog: u32,
    tls: Option<ServerTls>,
    implicit_tls: bool,
}

/// An FTP server bound to its address, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Server {
    /// Starts configuring a server that serves `storage`.
    pub fn builder(storage: impl Storage) -> Builder {
        Builder {
            storage: Arc::new(storage),
            config: Config::new(),
            users: None,
            backlog: DEFAULT_BACKLOG,
            tls: None,
            implicit_tls: false,
        }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops [`run`](Server::run) gracefully; take it before running.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            signal: Arc::clone(&self.shared.shutdown),
        }
    }

    /// Accepts connections and serves them until [`ShutdownHandle::shutdown`], then
    /// waits for running sessions up to the shutdown deadline and closes the rest.
    ///
    /// Each session is a task spawned on the runtime that polls `run` (with
    /// `tokio::spawn`, so a multi-thread runtime spreads them over its workers).
    /// Storage calls and file reads and writes run on its blocking pool
    /// (`spawn_blocking`), except binary downloads and uploads of local files
    /// (sendfile and splice on Linux), which run on the session's worker.
    ///
    /// When `run` returns, every session has ended. Dropping the future before then
    /// aborts every session task. It must be polled inside a tokio runtime (with its
    /// IO and time drivers enabled).
    pub async fn run(self) -> Result<(), Error> {
        let Server {
            listener,
            local_addr,
            shared,
        } = self;
        log::info!("listening on {local_addr}");
        let mut sessions = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        sessions.spawn(session::serve(Arc::clone(&shared), stream, peer));
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: pause rather than spin.
                        log::warn!("accept on {local_addr} failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(ended) = sessions.join_next() => log_end(ended),
                () = shared.shutdown.wait() => break,
            }
        }
        drop(listener);
        log::info!("shutting down: {} session(s) still open", sessions.len());
        let all_ended = async {
            while let Some(ended) = sessions.join_next().await {
                log_end(ended);
            }
        };
        match shared.shutdown.stopping.deadline() {
            Some(at) => {
                if tokio::time::timeout_at(at.into(), all_ended).await.is_err() {
                    log::info!(
                        "shutdown deadline reached: closing {} session(s)",
                        sessions.len()
                    );
                }
            }
            None => all_ended.await,
        }
        sessions.shutdown().await;
        Ok(())
    }
}

/// Logs a session task that did not end by itself (a panic is a bug; an abort is the
/// shutdown deadline).
fn log_end(ended: Result<(), JoinError>) {
    if let Err(e) = ended {
        if e.is_panic() {
            log::error!("a session panicked: {e}");
        }
    }
}

impl Builder {
    /// Sets the configuration: users, limits, timeouts, texts. Without users, the
    /// anonymous user (full access to the storage root) is added.
    pub fn config(mut self, config: Config) -> Builder {
        self.config = config;
        self
    }

    /// Plugs in a user manager instead of the configuration's users.
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

    /// Offers FTPS with this certificate: `AUTH TLS` is accepted
    /// ([`TlsPolicy::available`](sansftp::server::TlsPolicy::available) is set; the
    /// rest of the configuration's [`TlsPolicy`](sansftp::server::TlsPolicy), such as
    /// `required`, stays as given).
    pub fn tls(mut self, tls: ServerTls) -> Builder {
        self.tls = Some(tls);
        self
    }

    /// Makes the listener implicit FTPS (TLS from the first byte, port 990 by
    /// convention); needs [`tls`](Builder::tls).
    pub fn implicit_tls(mut self, on: bool) -> Builder {
        self.implicit_tls = on;
        self
    }

    /// Checks every user's root with [`Storage::check_root`] (failure:
    /// [`Error::PathIo`] naming the path) and binds the control listener (failure:
    /// [`Error::Io`] naming the address; also for TLS asked for without
    /// [`tls`](Builder::tls)). Must be awaited inside a tokio runtime.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<Server, Error> {
        let (config, certificate, implicit) = (self.config, self.tls.is_some(), self.implicit_tls);
        let storage = self.storage;
        let check = Arc::clone(&storage);
        let server = unblock(move || {
            ServerState::prepare(config, Instant::now(), certificate, implicit, |u| {
                check.check_root(u)
            })
        })
        .await?;
        let addrs = addr.to_socket_addrs().map_err(|e| {
            io::Error::new(e.kind(), format!("cannot resolve the listen address: {e}"))
        })?;
        let listener = bind_first(addrs, |a| listen(a, self.backlog))?;
        let local_addr = listener.local_addr()?;
        let users = self
            .users
            .unwrap_or_else(|| Arc::clone(&server.config) as Arc<dyn UserManager>);
        let shared = Arc::new(Shared {
            server,
            shutdown: Arc::new(Signal::default()),
            storage,
            users,
            tls: self.tls,
        });
        Ok(Server {
            listener,
            local_addr,
            shared,
        })
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

/// A non-blocking listener on `addr` ([`sansftp_storage::net::listen`]).
fn listen(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let listener = sansftp_storage::net::listen(addr, backlog)?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}
