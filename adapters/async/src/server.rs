//! [`Server`] and its [`Builder`]: bind, then run every session inside one future.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use blocking::unblock;
use futures_lite::future::{self, FutureExt};
use sansftp::Error;
use sansftp::server::{Config, DEFAULT_BACKLOG, ServerState, bind_first};
use sansftp_storage::Storage;
use sansftp_tls::ServerTls;

use crate::auth::UserManager;
use crate::net;
use crate::running::Running;
use crate::session;
use crate::shards::{Runners, Shards};
use crate::shared::Shared;
use crate::shutdown::{ShutdownHandle, Signal};

/// Configures a [`Server`]; made by [`Server::builder`].
pub struct Builder {
    storage: Arc<dyn Storage>,
    config: Config,
    users: Option<Arc<dyn UserManager>>,
    backlog: u32,
    tls: Option<ServerTls>,
    implicit_tls: bool,
    threads: usize,
}

/// An FTP server bound to its address, ready to [`run`](Server::run).
pub struct Server {
    listener: Async<TcpListener>,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    threads: usize,
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
            threads: 0,
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
    /// Every session runs on an internal executor: this future drives one, and the
    /// threads the server starts for the others ([`Builder::threads`]: one fewer than
    /// the number asked for, since whoever polls `run` is one of them). So the server
    /// needs nothing from the runtime but someone to poll it: spawn it on smol or
    /// async-std, or `block_on` it; nothing is spawned on the caller's runtime. Each
    /// session runs on the thread that had the fewest sessions when it connected. Storage calls and file reads and writes run on
    /// the [`blocking`] thread pool, except binary downloads and uploads of local files
    /// (sendfile and splice on Linux), which run on the thread that runs the session.
    ///
    /// When `run` returns, every session has been dropped and every thread it started
    /// has ended. Dropping the future before then drops the sessions too; the threads
    /// end by themselves soon after.
    pub async fn run(self) -> Result<(), Error> {
        let shards = Arc::new(Shards::new(self.threads));
        // The accept loop is a task of its own, polled only when the listener (or the
        // shutdown signal) wakes it: the future given to `Executor::run` is polled again
        // on every wakeup of any session, which would cost a failed accept4(2) and a
        // reactor re-registration each time. It holds the executors weakly, so dropping
        // this future still drops them and every session in them.
        let accept = shards.home().spawn(self.serve(Arc::downgrade(&shards)));
        let runners = Runners::start(&shards);
        let result = shards.home().run(accept).await;
        runners.stop().await;
        // The last reference: dropping it drops every session still running.
        drop(shards);
        result
    }

    async fn serve(self, shards: Weak<Shards>) -> Result<(), Error> {
        let Server {
            listener,
            local_addr,
            shared,
            ..
        } = self;
        log::info!("listening on {local_addr}");
        loop {
            let accepted = async { Some(net::accept(&listener).await) }
                .or(async {
                    shared.shutdown.wait().await;
                    None
                })
                .await;
            match accepted {
                None => break,
                Some(Ok((stream, peer))) => {
                    // Gone only while `run` is being dropped: nothing to serve then.
                    let Some(shards) = shards.upgrade() else {
                        break;
                    };
                    let slot = shared.running.start();
                    shards.spawn(session::serve(Arc::clone(&shared), stream, peer, slot));
                }
                Some(Err(e)) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    log::warn!("accept on {local_addr} failed: {e}");
                    Timer::after(Duration::from_millis(50)).await;
                }
            }
        }
        drop(listener);
        let running = shared.running.count();
        log::info!("shutting down: {running} session(s) still open");
        let deadline = async {
            match shared.shutdown.stopping.deadline() {
                Some(at) => {
                    Timer::at(at).await;
                }
                None => future::pending::<()>().await,
            }
        };
        shared.running.all_ended().or(deadline).await;
        let left = shared.running.count();
        if left > 0 {
            log::info!("shutdown deadline reached: closing {left} session(s)");
        }
        // Returning drops the executor and with it every session still running.
        Ok(())
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

    /// Runs the sessions on `n` threads: the one that polls [`Server::run`] and `n - 1`
    /// that the server starts (named `sansftp-async`). `0`, the default, means one per
    /// available core ([`std::thread::available_parallelism`]). Each thread runs the
    /// control loops and socket copies of its sessions (a session stays on the thread
    /// with the fewest sessions when it connected); file work that can block goes to
    /// the [`blocking`] pool whatever this says. `1` keeps everything on the polling
    /// thread.
    pub fn threads(mut self, n: usize) -> Builder {
        self.threads = n;
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
    /// [`tls`](Builder::tls)).
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
        let listener = bind_first(addrs, |a| net::listen(a, self.backlog))?;
        let local_addr = listener.get_ref().local_addr()?;
        let users = self
            .users
            .unwrap_or_else(|| Arc::clone(&server.config) as Arc<dyn UserManager>);
        let shared = Arc::new(Shared {
            server,
            running: Arc::new(Running::default()),
            shutdown: Arc::new(Signal::default()),
            storage,
            users,
            tls: self.tls,
        });
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(Server {
            listener,
            local_addr,
            shared,
            threads,
        })
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("threads", &self.threads)
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
